"""Ejecuta cuadernos del curso en modo completo, en su sitio, y regenera ``RESULTADOS.md``.

Uso (lo llama ``make course``)::

    python -m utils.course clase_1/1a_vectorizacion.ipynb clase_1/1b_clasificacion_de_documentos.ipynb
    python -m utils.course --timeout 3600 clase_7/7b_transformer_traductor.ipynb  # celdas largas

Cada cuaderno se ejecuta de arriba abajo con un núcleo de Jupyter nuevo, sin ``CURSO_SMOKE``,
y se guarda con sus salidas (sin metadatos de *widgets*). Si una celda falla, el cuaderno no se
sobrescribe y el comando termina con error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .artifacts import atomic_write_text
from .config import REPO_ROOT
from .results import write_table


def _strip_widgets(nb: nbformat.NotebookNode) -> None:
    """Quita los metadatos de *widgets* (y los tiempos de ejecución) de un cuaderno, en su sitio.

    Ejemplo:
        >>> nb = nbformat.v4.new_notebook(metadata={"widgets": {"estado": 1}})
        >>> _strip_widgets(nb)
        >>> "widgets" in nb.metadata
        False
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            data.pop("application/vnd.jupyter.widget-view+json", None)


def run_notebook(path: Path, timeout: int = 1800, smoke: bool = False) -> float:
    """Ejecuta un cuaderno en su sitio y devuelve los segundos que tardó.

    Ejemplo:
        >>> run_notebook(Path("clase_1/1a_vectorizacion.ipynb"))  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No existe el cuaderno {path}.")
    nb = nbformat.read(path, as_version=4)
    saved_env = dict(os.environ)  # el núcleo hereda el entorno; lo restauramos al terminar
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if smoke:
        os.environ["CURSO_SMOKE"] = "1"
    else:
        os.environ.pop("CURSO_SMOKE", None)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    elapsed = time.perf_counter() - start
    _strip_widgets(nb)
    if not smoke:
        atomic_write_text(path, nbformat.writes(nb) + "\n")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ejecuta cuadernos en modo completo.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--smoke", action="store_true", help="modo rápido, sin guardar salidas")
    parser.add_argument(
        "--timeout",
        type=int,
        default=1800,
        help="segundos máximos por celda (por omisión 1800; súbelo en una máquina cargada)",
    )
    args = parser.parse_args(argv)
    times: list[tuple[str, float]] = []
    failed = False
    for nb_path in args.notebooks:
        print(f"▶ {nb_path} ...", flush=True)
        try:
            secs = run_notebook(nb_path, timeout=args.timeout, smoke=args.smoke)
        except CellExecutionError as err:
            print(f"✗ {nb_path} falló; no se sobrescribe.\n{err}", file=sys.stderr)
            failed = True
            continue
        times.append((str(nb_path), secs))
        print(f"✓ {nb_path}: {secs:.1f} s", flush=True)
    if not args.smoke:
        print(f"Tabla regenerada: {write_table().relative_to(REPO_ROOT)}")
    print("\nTiempos:")
    for name, secs in times:
        print(f"  {secs:7.1f} s  {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
