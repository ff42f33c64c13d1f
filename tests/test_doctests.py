"""Los ejemplos de las docstrings de cada módulo de ``utils`` se ejecutan y deben cumplirse."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import utils

#: Módulos sin ejemplos ejecutables (solo internos o solo con ejemplos marcados +SKIP).
NO_EXAMPLES: set[str] = set()

MODULES = sorted(m.name for m in pkgutil.iter_modules(utils.__path__, "utils."))


def test_every_module_is_collected():
    assert {"utils.train", "utils.text", "utils.metrics", "utils.hub"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # lo que un ejemplo escriba en rutas relativas, a un temporal
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{name}: {result.failed} de {result.attempted} ejemplos fallan"
    assert result.attempted > 0 or name in NO_EXAMPLES, f"{name} no tiene ningún ejemplo"
