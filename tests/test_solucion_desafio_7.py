"""Desafío 7: la plantilla sin tocar no cumple su autocomprobación de desarrollo.

(Que la solución de referencia encaja y se ejecuta lo prueba ``tests/test_soluciones.py``.)
"""

from __future__ import annotations

import numpy as np

from utils.summarize import key_sentence_f1, load_summary_eval, select_sentences, tfidf_embedder

#: El objetivo del cuaderno (KEY_F1_GOAL en clase_7/desafio_7.ipynb).
GOAL = 0.60


def test_untouched_template_fails_its_dev_check():
    """La línea de base del cuaderno (centroide TF-IDF, k = 3) queda lejos del objetivo."""
    dev = load_summary_eval("dev")
    emb = tfidf_embedder()
    picks = [select_sentences(d["sentences"], emb, k=3) for d in dev]
    f1 = np.mean([key_sentence_f1(p, d["key_sentences"]) for p, d in zip(picks, dev, strict=True)])
    assert f1 < GOAL - 0.1


def test_goal_matches_the_notebook():
    import json
    from pathlib import Path

    nb = json.loads(
        (Path(__file__).resolve().parents[1] / "clase_7" / "desafio_7.ipynb").read_text()
    )
    source = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert f"KEY_F1_GOAL = {GOAL:.2f}" in source
