"""Solución de referencia del desafío 1: TF-IDF para el buscador, regresión logística para el autor.

Parte 1: TF-IDF con ``sublinear_tf``, sin tildes (la ortografía de 1909 acentúa «á», «fué») y
sin las palabras que aparecen en más de la mitad de los capítulos.
Parte 2: TF-IDF de unigramas a trigramas **con puntuación** (el estilo de Juan se nota en ella)
y regresión logística con clases balanceadas. Elegida con la validación cruzada del cuaderno.
"""

NOTEBOOK = "clase_1/desafio_1.ipynb"

CELLS = {
    "# ✏️ Reemplaza esta línea de base por tu versión.": """
# Solución de referencia: TF-IDF sublineal, sin tildes y sin palabras demasiado frecuentes.
def plain_tokens(text: str) -> list[str]:
    return [strip_accents(w) for w in tokenize(text, keep_punct=False)]


my_vec = TfidfVectorizer(
    tokenizer=plain_tokens, token_pattern=None, lowercase=False, sublinear_tf=True, max_df=0.5
)
my_matrix = my_vec.fit_transform(chapters["text"])


def my_search(query: str) -> list[str]:
    scores = cosine_similarity(my_vec.transform([query]), my_matrix).ravel()
    return chapters["name"].iloc[np.argsort(-scores)].tolist()
""",
    "# ✏️ Reemplaza esta línea de base por tu modelo.": """
# Solución de referencia: n-gramas de 1 a 3 palabras con puntuación + regresión logística.
my_clf = make_pipeline(
    TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 3),
        sublinear_tf=True, min_df=2,
    ),
    LogisticRegression(C=10, class_weight="balanced", max_iter=2000),
)  # fmt: skip
""",
}

#: Expresión que debe ser verdadera en modo completo (variables del propio cuaderno).
CHECK = "part1_ok and part2_ok"

#: Cifras que se guardan en resultados/soluciones/desafio_1.json.
FIGURES = {
    "buscador_mrr_prueba": "my_mrr",
    "buscador_mejora_ic_bajo": "search_gain.low",
    "autor_macro_f1_prueba": "test_f1",
    "autor_mejora_ic_bajo": "f1_gain.low",
}
