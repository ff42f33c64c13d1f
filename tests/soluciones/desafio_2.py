"""Solución de referencia del desafío 2: n-gramas de caracteres, más formas en la FAQ y umbral de desarrollo.

- La FAQ del ejemplo (la biblioteca) con una o dos formas más por entrada, escritas a partir de
  los fallos de **desarrollo** (nunca mirando la prueba; la comprobación de copias lo vigila).
- Preprocesamiento: n-gramas de 3 a 5 caracteres de las palabras normalizadas sin stopwords.
- Umbral: el que maximiza los aciertos de desarrollo (reformulaciones bien respondidas más
  preguntas ajenas rechazadas), elegido por código con el barrido de la sección 5.
"""

NOTEBOOK = "clase_2/desafio_2.ipynb"

CELLS = {
    "# ✏️ Reemplaza esta línea de base por tu versión.": """
# Solución de referencia.
EXTRA_FORMS = {
    "horario": ["¿Qué días abre la biblioteca?", "¿Hasta qué hora está abierta?", "¿Cuándo cierran?"],
    "limite_prestamo": ["¿Cuántos libros me puedo llevar a casa y por cuántos días?"],
    "renovar": ["¿Puedo ampliar el plazo de devolución?", "Quiero quedarme el libro más tiempo"],
    "multas": ["¿Hay sanción si entrego un libro con retraso?"],
    "wifi": ["¿Cómo me conecto a internet en la biblioteca?"],
    "salas": ["¿Hay salas para estudiar en grupo?"],
    "imprimir": ["¿Hay impresoras o fotocopiadoras?", "¿Cuánto cuesta imprimir una hoja?"],
    "carnet": ["¿Cómo obtengo el carnet de usuario?", "¿Necesito registrarme para usar la biblioteca?"],
    "buzon": ["¿Puedo devolver libros fuera del horario?"],
    "perdida": ["Perdí o estropeé un libro prestado"],
    "bases_de_datos": ["¿Cómo consulto revistas y artículos en línea desde fuera del campus?"],
    "interbibliotecario": ["¿Pueden conseguir un libro que no está en la biblioteca?"],
    "comida": ["¿Se puede comer o beber en las salas?"],
    "ubicacion": ["¿En qué edificio está la biblioteca?", "¿Dónde queda la biblioteca en el campus?"],
    "catalogo": ["¿Cómo encuentro un libro?", "¿Está disponible el libro que busco?"],
}  # fmt: skip
FAQ = {key: (questions + EXTRA_FORMS.get(key, []), answer) for key, (questions, answer) in FAQ.items()}
STOP_PLAIN = {strip_accents(w) for w in spanish_stopwords("spacy")}


def my_preprocess(texts: Sequence[str]) -> list[list[str]]:
    features = []
    for text in texts:
        grams = []
        for word in normalize(text, remove_accents=True, remove_punct=True).split():
            if word not in STOP_PLAIN:
                padded = f" {word} "
                grams += [padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
        features.append(grams or ["<vacío>"])
    return features


INDEX_ANSWERS = False


def dev_score(threshold: float) -> float:
    res = evaluate(FAQBot(FAQ, my_preprocess, threshold), DEV_PARAPHRASES, DEV_OUT_OF_DOMAIN)
    n_in, n_out = len(DEV_PARAPHRASES), len(DEV_OUT_OF_DOMAIN)
    return res["exactitud"] * n_in + res["fallback fuera de dominio"] * n_out


MY_THRESHOLD = max(np.round(np.arange(0.0, 0.61, 0.05), 2), key=lambda t: (dev_score(t), -t))
INTENTS: dict[str, tuple[str, str]] = {
    "saludo": (
        r"^(hola|buen[oa]s( dias| tardes| noches)?)\\b",
        "¡Hola! Soy el asistente de la biblioteca. ¿En qué te ayudo?",
    ),
    "despedida": (r"\\b(adios|chao|hasta luego|nos vemos)\\b", "¡Hasta pronto!"),
    "gracias": (r"\\bgracias\\b", "¡De nada!"),
}
FALLBACK = (
    "No tengo información sobre eso. Puedo ayudarte con horarios, préstamos, renovaciones, "
    "salas, impresión y servicios de la biblioteca."
)
my_bot = FAQBot(
    FAQ, my_preprocess, MY_THRESHOLD, intents=INTENTS, index_answers=INDEX_ANSWERS, fallback=FALLBACK
)
print(f"Umbral elegido en desarrollo: {MY_THRESHOLD}")
""",
}

#: Expresión que debe ser verdadera en modo completo (variables del propio cuaderno).
CHECK = "all(checks.values())"

#: Cifras que se guardan en resultados/soluciones/desafio_2.json.
FIGURES = {
    "umbral": "MY_THRESHOLD",
    "exactitud_desarrollo": "mine_dev['exactitud']",
    "exactitud_prueba": "mine['exactitud']",
    "fallback_fuera_de_dominio_prueba": "mine['fallback fuera de dominio']",
}
