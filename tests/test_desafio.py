"""Pruebas de ``utils.desafio``: mensajes, números sin ambigüedad y registro en ``resultados/``."""

from __future__ import annotations

import json
import math

import pytest
import torch

from utils import config, desafio, results


@pytest.fixture
def results_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(config, "SMOKE", False)
    monkeypatch.setattr(desafio, "_current", None)
    monkeypatch.setattr(desafio, "_runs", {})
    return tmp_path


@pytest.mark.parametrize(
    "value, expected",
    [
        (15, "15"),
        (15.0, "15"),
        (0.812, "0.812"),
        (0.8123456, "0.8123"),
        (1.23456, "1.2346"),  # «1.235» se leería como mil doscientos treinta y cinco
        (1.235, "1.2350"),
        (12.3456, "12.35"),
        (180.5, "180.5"),
        (1500, "1500"),
        (15000, "15 000"),
        (-123456.0, "-123 456"),
        (0.0001234, "0.0001234"),
        (-3.5, "-3.5"),
    ],
)
def test_format_number_is_unambiguous(value, expected):
    assert desafio.format_number(value) == expected


def test_format_number_never_three_decimals_after_nonzero_integer():
    for value in [1.0005, 2.25, 3.1415926, 99.125, 15.0001, 7.999]:
        text = desafio.format_number(value)
        integer, _, frac = text.partition(".")
        assert not (len(frac) == 3 and integer.lstrip("-") != "0"), text


def test_format_pair_adds_precision_when_rounding_would_hide_a_miss():
    assert desafio.format_pair(0.79996, 0.8) == ("0.79996", "0.8")
    assert desafio.format_pair(15.0, 15.0) == ("15", "15")


def test_verdict_messages():
    ok, msg = desafio.verdict(15, 15, "entradas en la FAQ")
    assert ok and msg == "✅ entradas en la FAQ = 15 ≥ 15: ¡objetivo cumplido!"
    ok, msg = desafio.verdict(180.0, 150.0, "perplejidad", higher_is_better=False)
    assert not ok and "180 > 150" in msg and "el objetivo es ≤ 150" in msg
    ok, msg = desafio.verdict(torch.tensor(0.9), 0.8, "exactitud")
    assert ok and "0.9 ≥ 0.8" in msg
    ok, msg = desafio.verdict(float("nan"), 0.8, "exactitud")
    assert not ok and "no es finito" in msg


@pytest.mark.parametrize(
    "args, error",
    [
        (("x", 0.8, "exactitud"), TypeError),  # valor que no es número
        ((True, 0.8, "exactitud"), TypeError),  # un booleano no es una métrica
        ((0.9, float("inf"), "exactitud"), ValueError),
        ((0.9, 0.8, ""), TypeError),
        ((torch.ones(3), 0.8, "exactitud"), ValueError),
    ],
)
def test_verdict_bad_input(args, error):
    with pytest.raises(error):
        desafio.verdict(*args)


def test_check_without_start_says_what_to_do(results_dir):
    with pytest.raises(RuntimeError, match="desafio.start"):
        desafio.check("exactitud", 0.9, 0.8)


@pytest.mark.parametrize("name", ["1a_vectorizacion", "clase_1/desafio_1", "", None])
def test_start_rejects_bad_names(results_dir, name):
    with pytest.raises(ValueError, match="desafio_1"):
        desafio.start(name)


def test_check_prints_and_records(results_dir, capsys):
    desafio.start("desafio_9")
    run_id = desafio.run_id()
    assert desafio.check("MRR", 0.61, 0.5) is True
    assert desafio.check("perplejidad", 200, 150, higher_is_better=False) is False
    assert desafio.check("reto extra", 0.1, 0.3, required=False) is False
    out = capsys.readouterr().out
    assert "✅ MRR = 0.61 ≥ 0.5" in out and "❌ perplejidad = 200 > 150" in out
    data = json.loads((results_dir / "desafio_9.json").read_text(encoding="utf-8"))
    block = data["autoevaluacion"]
    assert block["ejecucion"] == run_id and block["modo_rapido"] is False
    rows = {r["nombre"]: r for r in block["comprobaciones"]}
    assert rows["MRR"]["cumple"] is True and rows["MRR"]["valor"] == 0.61
    assert rows["perplejidad"]["sentido"] == "≤" and rows["perplejidad"]["objetivo"] == 150
    assert rows["reto extra"]["obligatoria"] is False
    assert rows["MRR"]["fecha"].endswith("Z")
    # el archivo sigue siendo legible por la tabla de RESULTADOS.md
    assert "desafio_9" in results.build_table(results_dir)
    assert desafio.summary() == {"MRR": True, "perplejidad": False, "reto extra": False}


def test_rechecking_replaces_the_row(results_dir, capsys):
    desafio.start("desafio_9")
    desafio.check("MRR", 0.4, 0.5)
    desafio.check("MRR", 0.6, 0.5)
    data = json.loads((results_dir / "desafio_9.json").read_text(encoding="utf-8"))
    assert [r["valor"] for r in data["autoevaluacion"]["comprobaciones"]] == [0.6]


def test_new_run_replaces_previous_runs_checks(results_dir, capsys):
    desafio.start("desafio_9")
    desafio.check("vieja", 0.4, 0.5)
    desafio.start("desafio_9")
    second = desafio.run_id()
    desafio.check("nueva", 0.6, 0.5)
    block = json.loads((results_dir / "desafio_9.json").read_text(encoding="utf-8"))[
        "autoevaluacion"
    ]
    assert block["ejecucion"] == second
    assert [r["nombre"] for r in block["comprobaciones"]] == ["nueva"]


def test_record_keeps_the_self_check(results_dir, capsys):
    """``results.record`` reescribe el archivo; ``desafio.record`` no pierde la autoevaluación."""
    desafio.start("desafio_9")
    desafio.check("MRR", 0.61, 0.5)
    path = desafio.record(buscador_mrr=0.61)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["metrics"] == {"buscador_mrr": 0.61}
    assert data["autoevaluacion"]["comprobaciones"][0]["nombre"] == "MRR"
    # y un check posterior conserva las métricas de record
    desafio.check("F1", 0.7, 0.8)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["metrics"] == {"buscador_mrr": 0.61}
    assert len(data["autoevaluacion"]["comprobaciones"]) == 2


def test_smoke_mode_writes_nothing(results_dir, monkeypatch, capsys):
    monkeypatch.setattr(config, "SMOKE", True)
    desafio.start("desafio_9")
    assert desafio.check("MRR", 0.61, 0.5) is True
    assert desafio.record(buscador_mrr=0.61) is None
    assert list(results_dir.iterdir()) == []
    assert "✅ MRR" in capsys.readouterr().out


def test_corrupt_results_file_is_reported(results_dir, capsys):
    (results_dir / "desafio_9.json").write_text("{no es json", encoding="utf-8")
    desafio.start("desafio_9")
    with pytest.raises(ValueError, match="no es un JSON válido"):
        desafio.check("MRR", 0.61, 0.5)


def test_non_finite_value_is_recorded_as_failure(results_dir, capsys):
    desafio.start("desafio_9")
    assert desafio.check("pérdida", math.inf, 1.0, higher_is_better=False) is False
    row = json.loads((results_dir / "desafio_9.json").read_text(encoding="utf-8"))[
        "autoevaluacion"
    ]["comprobaciones"][0]
    assert row["cumple"] is False and row["valor"] == "inf"


def test_held_out_counts_scorings_and_hides_targets(capsys):
    test = desafio.HeldOut(["a", "b"], [1, 0])
    with pytest.raises(RuntimeError, match="después de puntuar"):
        _ = test.targets
    preds = test.score({"uno": lambda xs: [1] * len(xs)})
    assert preds == {"uno": [1, 1]} and test.targets == [1, 0] and test.times_scored == 1
    test.score({"uno": lambda xs: [1] * len(xs)})
    assert test.times_scored == 2 and "vez n.º 2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, predictors, error",
    [
        (([], []), None, ValueError),
        ((["a"], [1, 2]), None, ValueError),
        ((["a"], [1]), {}, TypeError),
        ((["a"], [1]), {"mal": lambda xs: []}, ValueError),
    ],
)
def test_held_out_bad_input(args, predictors, error):
    with pytest.raises(error):
        desafio.HeldOut(*args).score(predictors)
