"""Solución de referencia del desafío 3: Skip-gram, más épocas y un `min_count` más bajo.

Con solo 164.000 palabras (Nuevo Testamento): Skip-gram aprende mejor las palabras poco
frecuentes, 30 épocas compensan el poco texto y ``min_count=2`` deja entrar en el vocabulario
las palabras de los pares de prueba. Elegida mirando solo el Spearman de desarrollo.
"""

NOTEBOOK = "clase_3/desafio_3.ipynb"

CELLS = {
    "# ✏️ Reemplaza esta línea de base por tu configuración.": """
# Solución de referencia.
MY_PARAMS = dict(sg=1, vector_size=100, window=5, min_count=2, negative=5, epochs=30)
""",
}

#: Expresión que debe ser verdadera en modo completo (variables del propio cuaderno).
CHECK = "similarity_ok and coverage_ok"

#: Cifras que se guardan en resultados/soluciones/desafio_3.json.
FIGURES = {
    "spearman_desarrollo": "my_res['spearman_dev']",
    "spearman_prueba": "test_spearman",
    "spearman_prueba_ic_bajo": "test_ci.low",
    "pares_prueba": "len(test_items)",
}
