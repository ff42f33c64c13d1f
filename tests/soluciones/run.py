"""Ejecuta las soluciones de referencia de los desafíos y comprueba que alcanzan sus objetivos.

Cada desafío tiene aquí un archivo ``desafio_N.py`` con su solución (ver ``README.md``). Este
programa abre el cuaderno del desafío, cambia sus celdas ✏️ por las de la solución, lo ejecuta
de principio a fin en un núcleo nuevo (sin tocar el archivo del cuaderno) y evalúa, al final, la
expresión ``CHECK`` de la solución con las variables del propio cuaderno: las mismas
autocomprobaciones que ve un estudiante.

Uso::

    python tests/soluciones/run.py              # todas, modo completo (make soluciones)
    python tests/soluciones/run.py desafio_1    # una sola
    python tests/soluciones/run.py --smoke      # modo rápido: solo comprueba que se ejecutan
    python tests/soluciones/run.py --timeout 3600 desafio_5   # más tiempo por celda (máquina cargada)

En modo completo guarda las cifras en ``resultados/soluciones/<desafío>.json`` y termina con
error si alguna solución no cumple sus objetivos.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import nbformat
from nbclient import NotebookClient

from utils.artifacts import atomic_write_text

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
RESULTS_DIR = REPO_ROOT / "resultados" / "soluciones"
MARK = "__SOLUCION__"


def available() -> list[str]:
    """Nombres de las soluciones que hay en esta carpeta (``desafio_1``, ``desafio_2``, …)."""
    return sorted(p.stem for p in HERE.glob("desafio_*.py"))


def load_solution(name: str) -> ModuleType:
    """Importa ``tests/soluciones/<name>.py`` y comprueba que define lo necesario."""
    path = HERE / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"No hay solución {path.name}; disponibles: {available()}.")
    spec = importlib.util.spec_from_file_location(f"solucion_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attr in ("NOTEBOOK", "CELLS", "CHECK", "FIGURES"):
        if not hasattr(module, attr):
            raise ValueError(f"La solución {path.name} no define {attr}.")
    return module


def build_notebook(solution: ModuleType, results_dir: str) -> nbformat.NotebookNode:
    """El cuaderno del desafío con las celdas ✏️ de la solución y una celda final de control."""
    nb = nbformat.read(REPO_ROOT / solution.NOTEBOOK, as_version=4)
    for marker, source in solution.CELLS.items():
        hits = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
        if len(hits) != 1:
            raise ValueError(
                f"{solution.NOTEBOOK}: la marca {marker!r} aparece en {len(hits)} celdas de "
                "código; debe identificar exactamente una celda ✏️."
            )
        hits[0].source = source.strip("\n")
    # Las cifras del cuaderno no deben pisar las del desafío sin resolver (resultados/*.json).
    redirect = (
        f"import pathlib, utils.results\nutils.results.RESULTS_DIR = pathlib.Path({results_dir!r})"
    )
    nb.cells.insert(0, nbformat.v4.new_code_cell(redirect))
    figures = ", ".join(f"{k!r}: {v}" for k, v in solution.FIGURES.items())
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import json as _json\n"
            f"_figures = {{{figures}}}\n"
            f"print({MARK!r} + _json.dumps({{'ok': bool({solution.CHECK}), "
            "'cifras': {k: (float(v) if not isinstance(v, str) else v) "
            "for k, v in _figures.items()}}))"
        )
    )
    return nb


def run(name: str, smoke: bool = False, timeout: int = 1200) -> dict:
    """Ejecuta una solución y devuelve ``{'ok': bool, 'cifras': {...}, 'segundos': float}``."""
    solution = load_solution(name)
    env_backup = dict(os.environ)
    os.environ.update({"TQDM_DISABLE": "1", "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1"})
    if smoke:
        os.environ["CURSO_SMOKE"] = "1"
    else:
        os.environ.pop("CURSO_SMOKE", None)
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            nb = build_notebook(solution, tmp)
            notebook_dir = (REPO_ROOT / solution.NOTEBOOK).parent
            client = NotebookClient(
                nb, timeout=timeout, kernel_name="python3",
                resources={"metadata": {"path": str(notebook_dir)}},
            )  # fmt: skip
            client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    seconds = time.perf_counter() - start
    text = "".join(
        out.get("text", "")
        for out in nb.cells[-1].get("outputs", [])
        if out.get("name") == "stdout"
    )
    line = next((ln for ln in text.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"{name}: la celda de control no imprimió su resultado:\n{text}")
    result = json.loads(line[len(MARK) :])
    result["segundos"] = round(seconds, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soluciones de referencia de los desafíos.")
    parser.add_argument("names", nargs="*", help=f"por defecto todas: {available()}")
    parser.add_argument("--smoke", action="store_true", help="modo rápido (no exige objetivos)")
    parser.add_argument(
        "--timeout", type=int, default=1200, help="segundos máximos por celda (por omisión 1200)"
    )
    args = parser.parse_args(argv)
    failed = []
    for name in args.names or available():
        result = run(name, smoke=args.smoke, timeout=args.timeout)
        status = "✅ cumple" if result["ok"] else "❌ NO cumple"
        print(f"{name}: {status} sus objetivos · {result['segundos']} s · {result['cifras']}")
        if args.smoke:
            continue
        if not result["ok"]:
            failed.append(name)
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        payload = {"desafio": name, **result, "fecha": datetime.now(UTC).strftime("%Y-%m-%d")}
        atomic_write_text(
            RESULTS_DIR / f"{name}.json", json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        )
    if failed:
        print(f"Soluciones que no alcanzan su objetivo: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
