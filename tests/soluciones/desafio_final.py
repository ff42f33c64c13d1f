"""Solución de referencia del desafío final (opción A, el clasificador de secciones).

TF-IDF de unigramas y bigramas con ``sublinear_tf`` y una SVM lineal con clases balanceadas;
``C`` se elige en **desarrollo** entre tres valores. La prueba se puntúa una sola vez, en la
celda del cuaderno. Ejecútala con ``python tests/soluciones/run.py desafio_final``.
"""

NOTEBOOK = "clase_8/desafio_final.ipynb"

CELLS = {
    "# ✏️ Reemplaza esta copia de la línea de base por tu modelo.": """
MY_MODEL_NAME = "TF-IDF (1-2 gramas) + SVM lineal"


def tfidf_svm(C):
    return make_pipeline(
        TfidfVectorizer(
            tokenizer=spanish_tokens,
            token_pattern=None,
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=2,
        ),
        LinearSVC(C=C, class_weight="balanced"),
    ).fit(train["text"], train["label"])


tuning = {C: metric(dev["label"], tfidf_svm(C).predict(dev["text"])) for C in (0.1, 0.3, 1.0)}
best_C = max(tuning, key=tuning.get)
print("macro-F1 en desarrollo por C:", {C: round(f, 4) for C, f in tuning.items()}, "→", best_C)
my_model = tfidf_svm(best_C)
""",
}

#: Todas las autocomprobaciones del cuaderno en ✅.
CHECK = "all(checks.values())"

FIGURES = {
    "base_prueba": "test_scores[baseline_name]",
    "modelo_prueba": "test_scores[MY_MODEL_NAME]",
    "mejora_ic_bajo": "test_interval.low",
}
