"""Pruebas de insignias de Colab, celdas de configuración y reescritura del repositorio."""

import shutil
from pathlib import Path

import nbformat
import pytest

from utils import colab
from utils.config import REPO_ROOT


def test_every_notebook_has_badge_and_setup_cell():
    assert list(REPO_ROOT.glob("clase_*/*.ipynb")), "no hay cuadernos"
    assert colab.check() == []


def test_every_notebook_is_listed_in_its_class_readme():
    for nb in REPO_ROOT.glob("clase_*/*.ipynb"):
        readme = (nb.parent / "README.md").read_text(encoding="utf-8")
        assert colab.badge(nb.relative_to(REPO_ROOT).as_posix()) in readme, nb


def test_committed_notebooks_are_fully_executed_without_errors():
    for path in REPO_ROOT.glob("clase_*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            assert cell.execution_count is not None, f"{path.name}: celda sin ejecutar"
            assert all(o.output_type != "error" for o in cell.outputs), (
                f"{path.name}: error guardado"
            )
        assert "widgets" not in nb.metadata, f"{path.name}: metadatos de widgets"


def test_rewrite_changes_badges_setup_cells_and_readmes(tmp_path: Path):
    root = tmp_path / "repo"
    (root / "clase_1").mkdir(parents=True)
    src = REPO_ROOT / "clase_1" / "1a_vectorizacion.ipynb"
    shutil.copy(src, root / "clase_1" / src.name)
    shutil.copy(REPO_ROOT / "clase_1" / "README.md", root / "clase_1" / "README.md")
    (root / "README.md").write_text("sin enlaces\n", encoding="utf-8")
    (root / "utils").mkdir()
    shutil.copy(colab.__file__, root / "utils" / "colab.py")  # una copia: el real no se toca
    real_module = Path(colab.__file__).read_bytes()
    changed = colab.rewrite("alguien/mi-fork", root=root)
    assert root / "clase_1" / src.name in changed
    assert colab.check(root=root, slug="alguien/mi-fork") == []
    readme = (root / "clase_1" / "README.md").read_text(encoding="utf-8")
    assert "github/alguien/mi-fork/blob/main/clase_1" in readme
    assert colab.REPO_SLUG not in readme
    copy = (root / "utils" / "colab.py").read_text(encoding="utf-8")
    assert root / "utils" / "colab.py" in changed and 'REPO_SLUG = "alguien/mi-fork"' in copy
    assert Path(colab.__file__).read_bytes() == real_module
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("bad", ["", "sin-barra", "a/b/c", "con espacio/x"])
def test_rewrite_rejects_bad_slug(bad):
    with pytest.raises(ValueError, match="usuario/nombre"):
        colab.rewrite(bad)
