"""Pruebas de utils.artifacts: escritura atómica y caché de artefactos."""

from __future__ import annotations

import json

import pytest

from utils import artifacts, config


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_atomic_write_leaves_no_temp_files(tmp_path):
    path = tmp_path / "sub" / "a.txt"
    artifacts.atomic_write_text(path, "uno")
    artifacts.atomic_write_text(path, "dos")
    assert path.read_text(encoding="utf-8") == "dos"
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]


def test_atomic_write_rejects_wrong_type(tmp_path):
    with pytest.raises(TypeError, match="bytes"):
        artifacts.atomic_write_bytes(tmp_path / "a", "texto")
    with pytest.raises(TypeError, match="str"):
        artifacts.atomic_write_text(tmp_path / "a", b"bytes")


def test_atomic_dir_keeps_old_folder_on_error(tmp_path):
    final = tmp_path / "modelo"
    with artifacts.atomic_dir(final) as tmp:
        (tmp / "v.txt").write_text("1")
    with pytest.raises(RuntimeError), artifacts.atomic_dir(final) as tmp:
        (tmp / "v.txt").write_text("2")
        raise RuntimeError("fallo a mitad")
    assert (final / "v.txt").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["modelo"]


def test_key_depends_on_config_corpus_and_smoke(monkeypatch):
    base = artifacts.artifact_key({"d": 1})
    assert artifacts.artifact_key({"d": 2}) != base
    monkeypatch.setattr(config, "SMOKE", not config.SMOKE)
    assert artifacts.artifact_key({"d": 1}) != base
    monkeypatch.undo()
    from utils import data

    monkeypatch.setattr(data, "_CORPUS_VERSION", "otra")
    assert artifacts.artifact_key({"d": 1}) != base


def test_key_rejects_non_json_config():
    with pytest.raises(TypeError, match="JSON"):
        artifacts.artifact_key({"f": object()})
    with pytest.raises(ValueError, match="artefacto"):
        artifacts.artifact_path("con espacios", {})


def test_cached_artifact_builds_once_and_rebuilds_when_corrupt(cache):
    calls = []

    def build(tmp):
        calls.append(tmp)
        (tmp / "pesos.txt").write_text("ok")
        return {"tokens_s": 10.0}

    first = artifacts.cached_artifact("demo", {"n": 1}, build, verbose=False)
    second = artifacts.cached_artifact("demo", {"n": 1}, build, verbose=False)
    assert first == second and len(calls) == 1
    assert artifacts.artifact_info(first)["info"] == {"tokens_s": 10.0}

    (first / artifacts.STAMP).write_text("{no es json")  # caché dañada
    artifacts.cached_artifact("demo", {"n": 1}, build, verbose=False)
    assert len(calls) == 2
    assert json.loads((first / artifacts.STAMP).read_text())["config"] == {"n": 1}

    artifacts.cached_artifact("demo", {"n": 1}, build, verbose=False, retrain=True)
    assert len(calls) == 3


def test_failed_build_leaves_nothing(cache):
    def build(tmp):
        (tmp / "medio.txt").write_text("x")
        raise RuntimeError("se cortó el entrenamiento")

    with pytest.raises(RuntimeError):
        artifacts.cached_artifact("demo", {"n": 2}, build, verbose=False)
    assert not artifacts.artifact_path("demo", {"n": 2}).exists()
    with pytest.raises(FileNotFoundError, match="artefacto"):
        artifacts.artifact_info(artifacts.artifact_path("demo", {"n": 2}))


def test_concurrent_build_keeps_the_first_valid_folder(cache):
    final = artifacts.artifact_path("demo", {"n": 3})

    def build(tmp):
        # mientras este proceso entrena, otro termina y deja una carpeta válida
        if not final.exists():
            artifacts.cached_artifact("demo", {"n": 3}, other, verbose=False)
        (tmp / "pesos.txt").write_text("segundo")

    def other(tmp):
        (tmp / "pesos.txt").write_text("primero")

    artifacts.cached_artifact("demo", {"n": 3}, build, verbose=False)
    assert (final / "pesos.txt").read_text() == "primero"
    assert [p.name for p in final.parent.iterdir()] == [final.name]
