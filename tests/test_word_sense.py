"""Pruebas de utils.word_sense: el conjunto de pares de sentidos y su AUC."""

from __future__ import annotations

import pytest

from utils import word_sense


def test_pairs_file_is_consistent():
    pares = word_sense.load_word_sense_pairs()
    assert len(word_sense.load_word_sense_pairs("dev")) >= 40
    assert len(word_sense.load_word_sense_pairs("test")) >= 40
    # dev y test no comparten palabras (lo que se elige en dev no se filtra a test).
    dev_words = set(pares[pares["particion"] == "dev"]["palabra"])
    assert dev_words and not dev_words & set(pares[pares["particion"] == "test"]["palabra"])
    for _, row in pares.iterrows():
        for col in ("texto_a", "texto_b"):
            assert row["palabra"] in row[col].lower(), (row["id"], col)
        assert row["mismo_sentido"] == int(row["sentido_a"] == row["sentido_b"])
    assert set(pares["mismo_sentido"]) == {0, 1}


def test_auc_with_interval_and_paired_difference():
    labels = [1, 1, 1, 0, 0, 0] * 4
    good = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1] * 4
    iv = word_sense.word_sense_auc(good, labels)
    assert iv.estimate == 1.0 and iv.low > 0.9
    constant = word_sense.word_sense_auc([1.0] * 24, labels)
    assert constant.estimate == 0.5  # un vector por palabra: todas las similitudes iguales
    diff = word_sense.word_sense_auc_diff(good, [1.0] * 24, labels)
    assert diff.estimate == 0.5 and diff.excludes_zero


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="misma longitud"):
        word_sense.word_sense_auc([0.1, 0.2], [1, 0, 1])
    with pytest.raises(ValueError, match="ambas clases"):
        word_sense.word_sense_auc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="NaN"):
        word_sense.word_sense_auc([float("nan"), 0.2], [1, 0])
    with pytest.raises(ValueError, match="split"):
        word_sense.load_word_sense_pairs("train")
    with pytest.raises(FileNotFoundError, match="No existe"):
        word_sense.load_word_sense_pairs(path=tmp_path / "no.tsv")
    with pytest.raises(ValueError, match="no aparece"):
        word_sense.find_word(["y", "vino"], "sal")


def test_fast_auc_matches_scikit_learn():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 50)
    scores = np.round(rng.normal(size=50) + labels, 1)  # con empates
    ours = word_sense.word_sense_auc(scores, labels).estimate
    assert ours == pytest.approx(roc_auc_score(labels, scores))
