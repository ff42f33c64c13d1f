"""Pruebas de utils.metrics."""

from __future__ import annotations

import doctest
import functools
import math

import numpy as np
import pytest
import torch

import utils.metrics as metrics_module
from utils.metrics import (
    accuracy,
    bleu,
    bleu_from_statistics,
    bleu_statistics,
    classification_summary,
    logits_accuracy,
    logits_macro_f1,
    macro_f1,
    meets_bar,
    perplexity,
    sentence_bleu,
)


def test_doctests():
    result = doctest.testmod(metrics_module)
    assert result.failed == 0


def test_accuracy_and_macro_f1():
    assert accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    assert accuracy(torch.tensor([1, 2]), np.array([1, 2])) == 1.0
    assert accuracy(["pos", "neg"], ["pos", "pos"]) == 0.5
    # Clase mayoritaria: exactitud alta, F1 macro bajo.
    y_true = [0] * 9 + [1]
    y_pred = [0] * 10
    assert accuracy(y_true, y_pred) == 0.9
    assert macro_f1(y_true, y_pred) == pytest.approx((18 / 19 + 0) / 2)
    assert macro_f1([0, 1, 2], [0, 1, 2]) == 1.0
    assert isinstance(macro_f1([0, 1], [0, 1]), float)


def test_label_metrics_bad_input():
    with pytest.raises(ValueError, match="longitudes distintas"):
        accuracy([1, 0], [1])
    with pytest.raises(ValueError, match="vacíos"):
        macro_f1([], [])
    with pytest.raises(ValueError, match="logits"):
        accuracy(torch.zeros(3, 2), torch.zeros(3, 2))
    with pytest.raises(TypeError):
        accuracy("abc", "abd")


def test_classification_summary():
    table = classification_summary([0, 1, 1, 2], [0, 1, 0, 2], labels=["neg", "neu", "pos"])
    assert list(table.columns) == ["precisión", "exhaustividad", "F1", "soporte"]
    assert list(table.index) == ["neg", "neu", "pos", "promedio macro", "promedio ponderado"]
    assert table.loc["neu", "exhaustividad"] == 0.5
    assert table.loc["neg", "precisión"] == 0.5
    assert table.loc["promedio macro", "soporte"] == 4
    assert table.loc["promedio macro", "F1"] == pytest.approx(macro_f1([0, 1, 1, 2], [0, 1, 0, 2]))
    # Etiquetas de texto: labels fija el orden.
    table = classification_summary(["b", "a"], ["b", "b"], labels=["b", "a"])
    assert list(table.index[:2]) == ["b", "a"]
    with pytest.raises(ValueError, match="labels"):
        classification_summary([0, 3], [0, 1], labels=["a", "b"])
    with pytest.raises(ValueError, match="labels"):
        classification_summary(["x", "y"], ["x", "x"], labels=["x"])


def test_perplexity():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(50)) == pytest.approx(50)
    assert perplexity(torch.tensor(math.log(7))) == pytest.approx(7, rel=1e-5)
    assert perplexity(1e6) == math.inf
    with pytest.raises(ValueError, match="negativa"):
        perplexity(-0.1)
    with pytest.raises(ValueError, match="finita"):
        perplexity(float("nan"))
    with pytest.raises(ValueError, match="finita"):
        perplexity(float("inf"))
    with pytest.raises(ValueError, match="mean"):
        perplexity(torch.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        perplexity("2.0")  # type: ignore[arg-type]


HYPS = ["el gato negro come pescado fresco hoy", "hola mundo cómo estás tú hoy"]
REFS = ["el gato negro come pescado fresco", "hola mundo cómo estás hoy"]


def test_bleu_corpus():
    import sacrebleu

    expected = sacrebleu.corpus_bleu(HYPS, [REFS]).score
    assert bleu(HYPS, REFS) == pytest.approx(expected)
    assert bleu(REFS, REFS) == pytest.approx(100.0)
    assert 0 <= bleu(HYPS, REFS) <= 100
    # Varias referencias por hipótesis (y de distinto número).
    multi = bleu(HYPS, [[REFS[0], "otra cosa distinta"], [REFS[1]]])
    assert multi >= bleu(HYPS, REFS) - 1e-9
    assert bleu(HYPS, [[r] for r in REFS]) == pytest.approx(expected)
    assert bleu(["Hola Mundo"], ["hola mundo"], lowercase=True) == pytest.approx(
        sacrebleu.corpus_bleu(["Hola Mundo"], [["hola mundo"]], lowercase=True).score
    )


def test_bleu_bad_input():
    with pytest.raises(ValueError, match="hipótesis"):
        bleu(HYPS, REFS[:1])
    with pytest.raises(ValueError, match="vacía"):
        bleu([], [])
    with pytest.raises(TypeError, match="join"):
        bleu([["el", "gato"]], ["el gato"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        bleu("el gato", "el gato")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ninguna referencia"):
        bleu(["a"], [[]])


def test_sentence_bleu():
    assert sentence_bleu("el gato come pescado", "el gato come pescado") == pytest.approx(100)
    one = sentence_bleu("el gato come", "el gato come pescado")
    assert 0 < one < 100
    assert sentence_bleu("el gato come", ["el gato come", "x"]) == pytest.approx(100)
    with pytest.raises(TypeError):
        sentence_bleu(["el"], "el")  # type: ignore[arg-type]


def test_logits_accuracy_shapes():
    outputs = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [4.0, 0.0, 0.0]])
    targets = torch.tensor([0, 1, 1, 0])
    assert logits_accuracy(outputs, targets) == 0.75
    assert logits_macro_f1(outputs, targets) == pytest.approx(macro_f1([0, 1, 1, 0], [0, 1, 2, 0]))
    # Secuencias [N, T, C] con relleno ignorado (functools.partial, como en fit(metrics=...)).
    seq_out = torch.zeros(2, 3, 4)
    seq_out[..., 2] = 1.0  # predice siempre 2
    seq_tgt = torch.tensor([[2, 2, 0], [2, 1, 0]])
    assert logits_accuracy(seq_out, seq_tgt) == pytest.approx(3 / 6)
    acc_no_pad = functools.partial(logits_accuracy, ignore_index=0)
    assert acc_no_pad(seq_out, seq_tgt) == pytest.approx(3 / 4)
    # Binaria: un logit por ejemplo (BCEWithLogitsLoss), targets float; se pide explícitamente.
    binary_acc = functools.partial(logits_accuracy, binary=True)
    assert binary_acc(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])) == (
        pytest.approx(2 / 3)
    )
    assert binary_acc(torch.tensor([[2.0], [-1.0]]), torch.tensor([1, 0])) == 1.0


def test_same_shape_is_not_silently_binary():
    """Antes, outputs y targets de la misma forma pasaban en silencio a umbral > 0."""
    with pytest.raises(ValueError, match="binary=True"):
        logits_accuracy(torch.tensor([2.0, -1.0]), torch.tensor([1, 0]))
    with pytest.raises(ValueError, match="binary=True"):
        logits_accuracy(torch.tensor([[2.0], [-1.0]]), torch.tensor([1, 0]))
    with pytest.raises(ValueError, match="binary=True"):  # p. ej. salidas de regresión [N, T]
        logits_macro_f1(torch.randn(3, 4), torch.randint(0, 2, (3, 4)))


def test_float_targets_are_not_silently_rounded():
    with pytest.raises(ValueError, match="decimales"):
        logits_accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0.4, 1.2]))
    with pytest.raises(ValueError, match="decimales"):
        logits_accuracy(torch.tensor([2.0, -1.0]), torch.tensor([0.7, 0.2]), binary=True)
    with pytest.raises(ValueError, match="binary=True se espera"):
        logits_accuracy(torch.zeros(3, 2), torch.zeros(3), binary=True)


def test_prediction_accumulator_matches_the_function_and_keeps_only_labels():
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(4, 5, 7, generator=g), torch.randint(0, 7, (4, 5), generator=g))
               for _ in range(3)]  # fmt: skip
    batches[1][1][:, 3:] = 0  # relleno
    for fn in (logits_accuracy, logits_macro_f1):
        acc = fn.accumulator(ignore_index=0)
        for out, tgt in batches:
            acc.update(out, tgt)
        assert all(p.dtype == torch.long and p.dim() == 1 for p, _ in acc.chunks)
        whole = fn(torch.cat([o for o, _ in batches]), torch.cat([t for _, t in batches]),
                   ignore_index=0)  # fmt: skip
        assert acc.compute() == pytest.approx(whole)
    empty = logits_accuracy.accumulator(ignore_index=0)
    empty.update(torch.zeros(1, 2, 3), torch.zeros(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="No quedan posiciones"):
        empty.compute()


def test_logits_metrics_bad_input():
    with pytest.raises(ValueError, match="Formas incompatibles"):
        logits_accuracy(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="ignore_index"):
        logits_accuracy(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), ignore_index=0)
    with pytest.raises(TypeError):
        logits_accuracy([[1.0, 0.0]], [0])  # type: ignore[arg-type]


def test_meets_bar(capsys):
    assert meets_bar(0.812, 0.8, "macro-F1") is True
    assert capsys.readouterr().out.strip() == "✅ macro-F1 = 0.812 ≥ 0.800: ¡objetivo cumplido!"
    assert meets_bar(0.7, 0.8, "exactitud") is False
    out = capsys.readouterr().out
    assert out.startswith("❌ exactitud = 0.700 < 0.800")
    assert meets_bar(120.0, 150.0, "perplejidad", higher_is_better=False) is True
    assert "≤ 150.000" in capsys.readouterr().out
    assert meets_bar(torch.tensor(0.9), 0.8, "exactitud") is True
    assert meets_bar(float("nan"), 0.8, "exactitud") is False
    assert "no es finito" in capsys.readouterr().out.split("\n")[-2]
    with pytest.raises(ValueError, match="umbral"):
        meets_bar(0.5, float("nan"), "x")
    with pytest.raises(TypeError):
        meets_bar("0.5", 0.8, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        meets_bar(0.5, 0.8, "")


def test_bootstrap_ci_contains_estimate_and_narrows_with_n():
    from utils.metrics import bootstrap_ci

    small = bootstrap_ci([1, 0] * 10)
    large = bootstrap_ci([1, 0] * 500)
    assert small.low <= 0.5 <= small.high
    assert (large.high - large.low) < (small.high - small.low) / 3


def test_paired_bootstrap_detects_difference_and_its_absence():
    from utils.metrics import paired_bootstrap

    a = [1, 1, 1, 0, 1, 1, 1, 1, 0, 1] * 5
    b = [1, 0, 1, 0, 1, 0, 1, 1, 0, 0] * 5
    assert paired_bootstrap(a, b).excludes_zero
    same = paired_bootstrap(a, a[::-1])
    assert not same.excludes_zero and "IC 95 %" in str(same)


def test_paired_bootstrap_corpus_statistic_and_bad_input():
    from utils.metrics import bleu, paired_bootstrap

    refs = ["the cat sat on the mat", "a dog runs in the park", "he eats bread"] * 4
    good = list(zip(refs, refs, strict=True))
    bad = [("the the the", r) for r in refs]

    def stat(pairs):
        return bleu([h for h, _ in pairs], [r for _, r in pairs])

    iv = paired_bootstrap(good, bad, stat, n_boot=200)
    assert iv.estimate > 50 and iv.excludes_zero
    with pytest.raises(ValueError, match="mismos ítems"):
        paired_bootstrap([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="al menos 2"):
        paired_bootstrap([1], [0])
    with pytest.raises(ValueError, match="n_boot"):
        paired_bootstrap([1, 0], [0, 1], n_boot=5)


def test_bleu_statistics_reproduce_corpus_bleu():
    """Sumar los recuentos por oración da el mismo BLEU de corpus, también al remuestrear."""
    hyps = ["el gato come pescado", "un perro ladra fuerte", "la casa es grande", "Hola a todos"]
    refs = [
        "el gato come pescado fresco",
        ["el perro ladra", "un perro ladra mucho"],  # referencias de distinto número
        "la casa es muy grande",
        "hola a todos",
    ]
    stats = bleu_statistics(hyps, refs, lowercase=True)
    assert len(stats) == 4 and all(len(s) == 10 for s in stats)
    assert bleu_from_statistics(stats) == pytest.approx(bleu(hyps, refs, lowercase=True))
    sample = [0, 0, 2, 3]  # un remuestreo con repetición: BLEU de ese corpus remuestreado
    assert bleu_from_statistics([stats[i] for i in sample]) == pytest.approx(
        bleu([hyps[i] for i in sample], [refs[i] for i in sample], lowercase=True)
    )
    # sin lowercase, «Hola» ≠ «hola»: los recuentos cambian
    assert bleu_statistics(hyps, refs)[3] != stats[3]


def test_bleu_statistics_bad_input():
    with pytest.raises(ValueError, match="referencias"):
        bleu_statistics(["a b"], ["a b", "c d"])
    with pytest.raises(TypeError):
        bleu_statistics(["a b"], "a b")
    with pytest.raises(ValueError, match="10 recuentos"):
        bleu_from_statistics([(1, 2, 3)])
    with pytest.raises(ValueError, match="10 recuentos"):
        bleu_from_statistics([])


def test_macro_f1_of_pairs_matches_macro_f1_and_rejects_empty():
    from utils.metrics import macro_f1, macro_f1_of_pairs

    y_true, y_pred = [0, 1, 2, 2, 1, 0], [0, 2, 2, 2, 1, 1]
    assert macro_f1_of_pairs(list(zip(y_true, y_pred, strict=True))) == pytest.approx(
        macro_f1(y_true, y_pred)
    )
    with pytest.raises(ValueError, match="al menos un par"):
        macro_f1_of_pairs([])
