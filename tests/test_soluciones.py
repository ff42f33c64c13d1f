"""Las soluciones de referencia de los desafíos se ejecutan de principio a fin (modo rápido).

En modo rápido los datos son más pequeños y los objetivos no se exigen: eso lo hace
``make soluciones`` (modo completo). Aquí se comprueba que cada solución encaja en su cuaderno
(sus marcas encuentran exactamente una celda ✏️) y que el cuaderno resultante se ejecuta.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

RUNNER = Path(__file__).parent / "soluciones" / "run.py"
spec = importlib.util.spec_from_file_location("soluciones_run", RUNNER)
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)


def test_there_are_solutions():
    assert {"desafio_1", "desafio_2", "desafio_3"} <= set(run.available())


@pytest.mark.parametrize("name", run.available())
def test_solution_runs_in_smoke_mode(name):
    result = run.run(name, smoke=True)
    assert isinstance(result["ok"], bool)
    assert set(result["cifras"]) == set(run.load_solution(name).FIGURES)


def test_unknown_solution_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="No hay solución"):
        run.load_solution("desafio_99")


def test_marker_must_match_exactly_one_cell(tmp_path, monkeypatch):
    bad = tmp_path / "desafio_9.py"
    bad.write_text(
        'NOTEBOOK = "clase_1/desafio_1.ipynb"\nCELLS = {"no existe esta marca": "x = 1"}\n'
        'CHECK = "True"\nFIGURES = {}\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(run, "HERE", tmp_path)
    with pytest.raises(ValueError, match="exactamente una celda"):
        run.build_notebook(run.load_solution("desafio_9"), str(tmp_path))
