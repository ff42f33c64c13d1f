"""Solución de referencia del desafío 4: una LSTM el doble de ancha, con más *dropout* y más épocas.

Nivel de palabras con el Pentateuco y el vocabulario por defecto (4.000 tipos), así que la
línea de base se entrena con la misma tokenización. La configuración se eligió mirando solo la
perplejidad de **desarrollo**: el doble de unidades (256), *dropout* 0.25 (con pocos datos la
red más grande sobreajusta sin él) y 6 épocas con parada temprana de paciencia 2; en un ensayo
previo la perplejidad de desarrollo (por ventanas) bajó de 73 con la línea de base a 48.
Para generar, muestreo con temperatura 0.8 y top-k 40: sin bucles y más plausible para el
modelo que el texto real. La prueba se puntúa una sola vez, en la celda del cuaderno.
Ejecútala con ``python tests/soluciones/run.py desafio_4``.
"""

NOTEBOOK = "clase_4/desafio_4.ipynb"

CELLS = {
    "# ✏️ Tus configuraciones (parten de la línea de base).": """
# Solución de referencia.
MY_CONFIGS = {
    "lstm 256, 6 épocas": {
        **BASE,
        "hidden": smoke_or(256, 64),
        "dropout": 0.25,
        "epochs": smoke_or(6, 1),
        "patience": 2,
    },
}
DECODING = dict(strategy="sample", temperature=0.8, top_k=40)
""",
}

#: Expresión que debe ser verdadera en modo completo (variables del propio cuaderno).
CHECK = "ok_reduction and ok_interval and ok_once and ok_distinct and ok_logp"

#: Cifras que se guardan en resultados/soluciones/desafio_4.json.
FIGURES = {
    "ppl_prueba_base": "perplexity(per_token(base_test))",
    "ppl_prueba_solucion": "perplexity(per_token(mine_test))",
    "reduccion_prueba": "reduction",
    "reduccion_prueba_ic_bajo": "reduction_low",
    "bigramas_distintos": "float(mine['bigramas distintos'])",
    "logprob_token": "float(mine['log-prob/token'])",
    "logprob_texto_real": "real_logp",
}
