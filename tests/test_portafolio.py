"""Pruebas de ``utils.portafolio`` con cuadernos diminutos ejecutados de verdad.

Se construye un repositorio falso con un desafío de cada tipo (superado, pendiente, sin
ejecutar, con un error, en modo rápido, desordenado) y se comprueba que cada uno sale en el
portafolio como lo que es. La página HTML se abre en el Chromium sin interfaz del sistema.
"""

from __future__ import annotations

import copy
import html.parser
import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from utils import portafolio
from utils.portafolio import ERROR, EXECUTED, NOT_RUN, PARTIAL, SMOKE

CLOSING_TEMPLATE = (
    "## Qué probé y qué aprendí\n\n✏️ *Reemplaza este texto con el tuyo.* Qué probaste..."
)


def _notebook(results_dir: Path, body: list[str], closing: str = CLOSING_TEMPLATE):
    """Cuaderno de desafío mínimo: título, celdas de código y celda de cierre."""
    setup = (
        "from pathlib import Path\n"
        "from utils import desafio, results\n"
        f"results.RESULTS_DIR = Path({str(results_dir)!r})  # nunca el resultados/ real\n"
    )
    cells = [nbformat.v4.new_markdown_cell("# Desafío de prueba\n\nTexto.")]
    cells += [nbformat.v4.new_code_cell(setup)]
    cells += [nbformat.v4.new_code_cell(src) for src in body]
    cells.append(nbformat.v4.new_markdown_cell(closing))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _execute(nb, folder: Path, monkeypatch, smoke: bool = False, allow_errors: bool = False):
    with monkeypatch.context() as m:
        m.setenv("OMP_NUM_THREADS", "1")
        m.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        if smoke:
            m.setenv("CURSO_SMOKE", "1")
        else:
            m.delenv("CURSO_SMOKE", raising=False)
        NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(folder)}},
        ).execute()
    return nb


@pytest.fixture(scope="module")
def fake_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    results_dir = root / "resultados"
    results_dir.mkdir()
    mp = pytest.MonkeyPatch()

    def write(clase: str, name: str, nb) -> None:
        folder = root / clase
        folder.mkdir(exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")

    def run(clase: str, name: str, body: list[str], **kw):
        closing = kw.pop("closing", CLOSING_TEMPLATE)
        nb = _notebook(results_dir, [f"desafio.start({name!r})", *body], closing)
        (root / clase).mkdir(exist_ok=True)
        return _execute(nb, root / clase, mp, **kw)

    try:
        passed = run(
            "clase_1",
            "desafio_1",
            [
                'ok = desafio.check("macro-F1 en validación", 0.91, 0.8)',
                "import matplotlib.pyplot as plt\nplt.plot([3, 2, 1])\nplt.title('pérdida')\n"
                "plt.show()",
                'desafio.check("reto extra de analogías", 0.01, 0.3, required=False)',
                "desafio.record(f1=0.91)",
            ],
            closing="## Qué probé y qué aprendí\n\nProbé **TF-IDF** con bigramas. <script>x</script>",
        )
        write("clase_1", "desafio_1", passed)
        write(
            "clase_2",
            "desafio_2",
            run("clase_2", "desafio_2", ['desafio.check("exactitud", 0.5, 0.8)']),
        )
        write("clase_3", "desafio_3", _notebook(results_dir, ['desafio.check("x", 1, 0)']))
        write(
            "clase_4",
            "desafio_4",
            run(
                "clase_4",
                "desafio_4",
                ['desafio.check("exactitud", 0.95, 0.8)', "1 / 0"],
                allow_errors=True,
            ),
        )
        write(
            "clase_5",
            "desafio_5",
            run("clase_5", "desafio_5", ['desafio.check("exactitud", 0.95, 0.8)'], smoke=True),
        )
        # el mismo cuaderno superado, con una celda vuelta a ejecutar a mano después
        shuffled = copy.deepcopy(passed)
        code = [c for c in shuffled.cells if c.cell_type == "code"]
        code[1].execution_count = 99
        write("clase_6", "desafio_6", shuffled)
        # «desafio_final» en la clase 8: superado, pero su resultados/ es de otra ejecución
        final = run("clase_8", "desafio_final", ['desafio.check("ROUGE-1", 0.4, 0.3)'])
        write("clase_8", "desafio_final", final)
        data = json.loads((results_dir / "desafio_final.json").read_text(encoding="utf-8"))
        data["autoevaluacion"]["ejecucion"] = "otra"
        (results_dir / "desafio_final.json").write_text(json.dumps(data), encoding="utf-8")
    finally:
        mp.undo()
    out = root / "portafolio"
    entries = portafolio.build(root, out)
    return root, out, {e.name: e for e in entries}


def test_rows_say_what_each_notebook_is(fake_repo):
    _, _, entries = fake_repo
    assert list(entries) == [
        "desafio_1",
        "desafio_2",
        "desafio_3",
        "desafio_4",
        "desafio_5",
        "desafio_6",
        "desafio_final",
    ]
    expected = {
        "desafio_1": (EXECUTED, True),
        "desafio_2": (EXECUTED, False),
        "desafio_3": (NOT_RUN, False),
        "desafio_4": (ERROR, False),
        "desafio_5": (SMOKE, False),
        "desafio_6": (PARTIAL, False),
        "desafio_final": (EXECUTED, True),
    }
    got = {name: (e.status, e.passed) for name, e in entries.items()}
    assert got == expected


def test_passing_row_details(fake_repo):
    _, _, entries = fake_repo
    e = entries["desafio_1"]
    assert e.verdict() == "✅ superado (1 de 1 objetivos)"  # el reto extra fallido no cuenta
    assert [(c.nombre, c.cumple, c.obligatoria) for c in e.checks] == [
        ("macro-F1 en validación", True, True),
        ("reto extra de analogías", False, False),
    ]
    assert len(e.figures) == 1 and e.figures[0][:8] == b"\x89PNG\r\n\x1a\n"
    assert e.closing.startswith("Probé **TF-IDF**")
    assert e.record_note is None  # resultados/desafio_1.json es de esta misma ejecución


def test_failing_and_not_counted_rows(fake_repo):
    _, _, entries = fake_repo
    assert entries["desafio_2"].verdict() == "❌ pendiente (0 de 1 objetivos)"
    assert entries["desafio_2"].closing is None  # la plantilla sin tocar
    assert entries["desafio_3"].checks == [] and entries["desafio_3"].verdict().startswith("—")
    # con error o en modo rápido, la comprobación ✅ se ve pero nunca da el desafío por superado
    for name in ("desafio_4", "desafio_5"):
        assert entries[name].checks[0].cumple and not entries[name].passed
    assert "ZeroDivisionError" in entries["desafio_4"].detail
    assert "CURSO_SMOKE" in entries["desafio_5"].detail
    assert "una sola pasada" in entries["desafio_6"].detail


def test_results_file_from_another_run_is_flagged(fake_repo):
    _, _, entries = fake_repo
    assert "otra ejecución" in entries["desafio_final"].record_note


def test_readme_table(fake_repo):
    _, out, _ = fake_repo
    text = (out / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert len(rows) == 7
    assert "(../clase_1/desafio_1.ipynb)" in rows[0] and "✅ superado" in rows[0]
    assert "⏸️ sin ejecutar" in rows[2] and "✅" not in rows[2]
    assert "💥 con errores" in rows[3] and "no cuentan" in rows[3]
    assert "🧪 modo rápido" in rows[4] and "superado" not in rows[4]
    assert "![Figura 1 de desafio_1](figuras/desafio_1_1.png)" in text
    assert (out / "figuras" / "desafio_1_1.png").read_bytes()[:4] == b"\x89PNG"
    assert "*Todavía sin escribir.*" in text


def test_rebuilding_removes_stale_files(fake_repo, tmp_path):
    root, _, _ = fake_repo
    out = tmp_path / "portafolio"
    (out / "figuras").mkdir(parents=True)
    (out / "figuras" / "vieja.png").write_bytes(b"x")
    portafolio.build(root, out)
    names = sorted(p.name for p in (out / "figuras").iterdir())
    assert names == ["desafio_1_1.png", "desafio_6_1.png"]  # sin «vieja.png»


def test_html_is_self_contained_and_escapes_student_html(fake_repo):
    _, out, _ = fake_repo
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "http://" not in page.replace("https://github.com/", "")
    assert "<script" not in page and "<link" not in page
    assert "&lt;script&gt;" in page  # el HTML del estudiante se muestra, no se ejecuta
    assert "<strong>TF-IDF</strong>" in page
    assert page.count("data:image/png;base64,") == 2  # desafio_1 y su copia desordenada


def test_missing_repo_or_notebook_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="desafio_"):
        portafolio.collect(tmp_path)
    with pytest.raises(FileNotFoundError, match="No existe"):
        portafolio.analyze_notebook(tmp_path / "clase_1" / "desafio_1.ipynb", tmp_path)
    bad = tmp_path / "clase_1" / "desafio_1.ipynb"
    bad.parent.mkdir()
    bad.write_text("esto no es un cuaderno", encoding="utf-8")
    with pytest.raises(ValueError, match="no es un cuaderno"):
        portafolio.collect(tmp_path)


# ---------------------------------------------------------------------------------------------
# La página en un navegador de verdad
# ---------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _TableRows(html.parser.HTMLParser):
    """Filas (lista de textos de celda) de la tabla ``#desafios`` del DOM."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_table = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "desafios") in attrs:
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif self._in_table and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.mark.skipif(CHROMIUM is None, reason="falta Chromium (Debian: apt-get install chromium)")
def test_html_table_renders_in_headless_chromium(fake_repo, tmp_path):
    _, out, _ = fake_repo
    url = (out / "index.html").resolve().as_uri()
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'perfil'}"]
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    parser = _TableRows()
    parser.feed(dom)
    header, *rows = parser.rows
    assert header == ["Desafío", "Ejecución", "Autoevaluación", "Resultado"]
    assert [r[1] for r in rows] == [
        "ejecutado",
        "ejecutado",
        "sin ejecutar",
        "con errores",
        "modo rápido",
        "ejecución incompleta",
        "ejecutado",
    ]
    assert rows[0][3] == "✔ superado (1 de 1 objetivos)"
    assert rows[1][3] == "✘ pendiente (0 de 1 objetivos)"
    assert rows[3][3] == "— (con errores)" and "✔ exactitud" in rows[3][2]
    # y se pinta: una captura no vacía y con contraste (texto sobre fondo)
    shot = tmp_path / "portafolio.png"
    subprocess.run(
        [*base, "--window-size=1200,1600", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from PIL import Image

    with Image.open(shot) as img:
        lo, hi = img.convert("L").getextrema()
    assert img.size == (1200, 1600) and hi - lo > 100


def test_shipped_desafios_are_executed_unsolved_templates():
    """El repositorio del curso trae cada desafío ejecutado en modo completo y sin resolver.

    Es lo que ``make portafolio`` dice sobre el repositorio tal cual: ninguno superado (si un
    cuaderno se guardara en modo rápido, con errores o a medias, o si una plantilla ya cumpliera
    su objetivo, esta prueba lo detecta).
    """
    entries = portafolio.collect()
    assert {"desafio_1", "desafio_final"} <= {e.name for e in entries}
    for e in entries:
        assert e.status == EXECUTED, f"{e.name}: {e.status} ({e.detail})"
        assert not e.passed, f"{e.name}: la plantilla sin tocar no debería cumplir su objetivo"
