"""Pruebas de ``utils.config`` y ``utils.results``."""

from __future__ import annotations

import json

import pytest

from utils import config, results


def test_smoke_or_follows_smoke_flag(monkeypatch):
    monkeypatch.setattr(config, "SMOKE", False)
    assert config.smoke_or(10, 1) == 10
    monkeypatch.setattr(config, "SMOKE", True)
    assert config.smoke_or(10, 1) == 1


def test_data_dir_from_env_is_created(monkeypatch, tmp_path):
    target = tmp_path / "datos" / "curso"
    monkeypatch.setenv("CURSO_NLP_DATA", str(target))
    assert config.data_dir() == target
    assert target.is_dir()


def test_data_dir_default_is_repo_cache(monkeypatch):
    monkeypatch.delenv("CURSO_NLP_DATA", raising=False)
    assert config._data_dir() == config.REPO_ROOT / ".cache"


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, False),
        ({"HF_HUB_OFFLINE": "1"}, True),
        ({"TRANSFORMERS_OFFLINE": "true"}, True),
        ({"HF_HUB_OFFLINE": "0"}, False),
    ],  # fmt: skip
)
def test_is_offline(monkeypatch, env, expected):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert config.is_offline() is expected


@pytest.fixture
def results_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    return tmp_path


def test_record_in_smoke_mode_writes_nothing(monkeypatch, results_dir, capsys):
    monkeypatch.setattr(config, "SMOKE", True)
    assert results.record("1a_vectorizacion", exactitud=0.9) is None
    assert list(results_dir.iterdir()) == []
    assert "exactitud=0.9" in capsys.readouterr().out


def test_record_writes_json_and_table(monkeypatch, results_dir):
    monkeypatch.setattr(config, "SMOKE", False)
    path = results.record("4b_modelo_de_lenguaje", perplejidad=123.456789, epocas=3)
    assert path == results_dir / "4b_modelo_de_lenguaje.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["clase"] == 4 and data["metrics"] == {"perplejidad": 123.4568, "epocas": 3}
    assert not list(results_dir.glob("*.tmp"))
    results.record("desafio_2", force=True, f1=0.5)
    table = results.build_table(results_dir)
    assert "| 4 | [4b_modelo_de_lenguaje](clase_4/4b_modelo_de_lenguaje.ipynb) |" in table
    assert "| 2 | [desafio_2](clase_2/desafio_2.ipynb) | f1 = 0.5 |" in table


def test_record_accepts_numpy_and_torch_scalars(monkeypatch, results_dir):
    import numpy as np
    import torch

    monkeypatch.setattr(config, "SMOKE", False)
    path = results.record("3a_w2v", a=np.float32(0.25), b=torch.tensor(2))
    assert json.loads(path.read_text(encoding="utf-8"))["metrics"] == {"a": 0.25, "b": 2}


@pytest.mark.parametrize(
    "name, metrics, match",
    [
        ("clase_1/1a", {"f1": 0.5}, "sin carpeta"),
        ("1a.ipynb", {"f1": 0.5}, "sin carpeta"),
        ("", {"f1": 0.5}, "sin carpeta"),
        ("1a", {}, "al menos una métrica"),
        ("1a", {"f1": float("nan")}, "no finita"),
        ("1a", {"f1": [0.5]}, "Solo se registran"),
    ],
)
def test_record_bad_input(results_dir, name, metrics, match):
    with pytest.raises(ValueError, match=match):
        results.record(name, force=True, **metrics)


def test_load_metrics_reads_what_record_wrote(monkeypatch, results_dir):
    monkeypatch.setattr(config, "SMOKE", False)
    results.record("6b_atencion", bleu=12.34567)
    assert results.load_metrics("6b_atencion") == {"bleu": 12.3457}
    assert results.load_metrics("7z_falta", required=False) is None
    with pytest.raises(FileNotFoundError, match="ejecuta antes ese cuaderno"):
        results.load_metrics("7z_falta")
