"""Pruebas de la ejecución de cuadernos en modo completo (``utils.course``)."""

from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from utils.course import run_notebook


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_run_notebook_stores_real_outputs_in_full_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("CURSO_SMOKE", "1")  # run_notebook debe quitarlo: modo completo
    path = _notebook(
        tmp_path / "ok.ipynb", "import os\nprint(os.environ.get('CURSO_SMOKE', 'completo'))"
    )
    secs = run_notebook(path)
    nb = nbformat.read(path, as_version=4)
    assert secs > 0
    assert nb.cells[0].execution_count == 1
    assert nb.cells[0].outputs[0].text.strip() == "completo"


def test_failing_notebook_is_not_overwritten(tmp_path):
    path = _notebook(tmp_path / "falla.ipynb", "print('antes')", "raise ValueError('roto')")
    before = path.read_bytes()
    with pytest.raises(CellExecutionError, match="roto"):
        run_notebook(path)
    assert path.read_bytes() == before


def test_missing_notebook_gives_spanish_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No existe"):
        run_notebook(tmp_path / "no_existe.ipynb")
