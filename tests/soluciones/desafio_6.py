"""Solución de referencia del desafío 6: pregunta normalizada, variantes automáticas y más capacidad.

- La pregunta se normaliza antes de tokenizar (sin mayúsculas, tildes ni signos): «que es un
  chatbot» y «¿Qué es un chatbot?» pasan a ser la misma entrada.
- Aumento de datos automático, sin mirar la evaluación: cada pregunta de 3 o más palabras
  aparece también sin su primera palabra («dime», «qué», «cuál»…) y solo con sus palabras de
  contenido (sin *stopwords*), con la misma respuesta.
- Codificador bidireccional, estados de 256 y EPOCHS épocas (para memorizar las respuestas).

Decidida mirando solo la memoria y la exactitud de **desarrollo**; la prueba la puntúa el
cuaderno una vez.
"""

NOTEBOOK = "clase_6/desafio_6.ipynb"

CELLS = {
    "# ✏️ Reemplaza esta línea de base por tu versión.": """
# Solución de referencia.
from utils.nlp import spanish_stopwords

STOP_PLAIN = {strip_accents(w) for w in spanish_stopwords("spacy")}


def my_question_tokens(text: str) -> list[str]:
    return normalize(text, remove_accents=True, remove_punct=True).split()


my_pairs = list(zip(questions, answers))
for q, a in zip(questions, answers):
    words = my_question_tokens(q)
    if len(words) >= 3:
        my_pairs.append((" ".join(words[1:]), a))  # sin la primera palabra
    content = [w for w in words if w not in STOP_PLAIN]
    if content and content != words:
        my_pairs.append((" ".join(content), a))  # solo las palabras de contenido
print(f"{len(my_pairs)} pares de entrenamiento ({len(questions)} originales)")
start = time.perf_counter()
my_model, my_vocab, my_history = train_bot(my_pairs, my_question_tokens, emb_dim=128, hidden_dim=256,
                                           epochs=smoke_or(25, 1), bidirectional=True)  # fmt: skip
my_reply = make_reply_fn(my_model, my_vocab, my_question_tokens)
train_seconds = time.perf_counter() - start
print(f"entrenado en {train_seconds:.0f} s · pérdida final {my_history['train_loss'][-1]:.3f}")
""",
    "# ✏️ Tus mensajes: completa la lista": """
# Solución de referencia: mensajes propios (ninguno copiado del corpus ni de la evaluación).
MY_SCRIPT = [
    "hola, ¿qué tal te va?",
    "¿tú cómo te llamas?",
    "cuéntame qué es la inteligencia artificial",
    "¿eres una máquina?",
    "¿sientes algo?",
    "¿en qué lenguaje de programación estás escrito?",
    "¿qué es el dinero para ti?",
    "dime la capital de colombia",
    "¿me cuentas un chiste?",
    "¿cuánta memoria necesita un ordenador?",
    "¿qué opinas del fútbol?",
    "bueno, hasta luego",
]
log = list(zip(MY_SCRIPT, my_reply(MY_SCRIPT)))
for message, reply in log:
    print(f"Tú:  {message}\\nBot: {reply}\\n")
copied = find_copies(MY_SCRIPT, questions + para_texts + OUT_OF_DOMAIN)
print("Mensajes copiados (no cuentan):", copied or "ninguno")
turns_ok = desafio.check("mensajes propios en la conversación", len(log) - len(copied), MIN_TURNS)
""",
}

#: Expresión que debe ser verdadera en modo completo (variables del propio cuaderno).
CHECK = "memory_ok and test_ok and once_ok and turns_ok"

#: Cifras que se guardan en resultados/soluciones/desafio_6.json.
FIGURES = {
    "memoria": "my_memory",
    "exactitud_desarrollo": "my_dev['exactitud']",
    "exactitud_prueba": "final.loc['tu bot', 'exactitud']",
    "mejora_prueba_ic_bajo": "vs_base.low",
    "bleu_prueba": "final.loc['tu bot', 'BLEU']",
    "mensajes_propios": "len(log) - len(copied)",
    "entrenamiento_s": "train_seconds",
}
