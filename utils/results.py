"""Resultados de cada cuaderno: ``resultados/<cuaderno>.json`` y la tabla ``RESULTADOS.md``.

Solo se escriben en modo completo (no en ``CURSO_SMOKE=1``), porque las cifras publicadas
tienen que salir de ejecuciones reales con todos los datos.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import config
from .artifacts import atomic_write_text

#: Momento en que se importó el paquete: el cuaderno lo importa en su primera celda de código.
_START = time.perf_counter()

RESULTS_DIR: Path = config.REPO_ROOT / "resultados"


def _device_name() -> str:
    try:
        from .device import describe_device, get_device

        return describe_device(get_device(verbose=False))
    except ImportError:
        return f"cpu ({os.cpu_count()} núcleos)"


def _clean(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # escalares de numpy/torch
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Métrica no finita: {value!r}. No se registran resultados inválidos.")
        return round(value, 4)
    if isinstance(value, (int, str, bool)) or value is None:
        return value
    raise ValueError(
        f"Solo se registran números o textos; se recibió {type(value).__name__}: {value!r}."
    )


def record(notebook: str, *, force: bool = False, **metrics: Any) -> Path | None:
    """Guarda las métricas clave del cuaderno en ``resultados/<notebook>.json``.

    Añade el tiempo de pared desde que se importó ``utils`` y el dispositivo usado. En modo
    rápido no escribe nada (devuelve ``None``) salvo con ``force=True``.

    Ejemplo:
        >>> record("1a_vectorizacion", exactitud=0.91)  # doctest: +SKIP
    """
    if not notebook or "/" in notebook or notebook.endswith(".ipynb"):
        raise ValueError(
            "El nombre del cuaderno debe ser su nombre sin carpeta ni extensión, "
            f"p. ej. '1a_vectorizacion'; se recibió {notebook!r}."
        )
    if not metrics:
        raise ValueError("record() necesita al menos una métrica, p. ej. record('1b', f1=0.8).")
    clean = {k: _clean(v) for k, v in metrics.items()}
    wall = time.perf_counter() - _START
    print("Resultados:", ", ".join(f"{k}={v}" for k, v in clean.items()), f"| {wall:.1f} s")
    if config.SMOKE and not force:
        return None
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "notebook": notebook,
        "clase": _class_of(notebook),
        "metrics": clean,
        "wall_time_s": round(wall, 1),
        "device": _device_name(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    path = RESULTS_DIR / f"{notebook}.json"
    return atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def load_metrics(notebook: str, required: bool = True) -> dict[str, Any] | None:
    """Las métricas que guardó otro cuaderno con :func:`record` (``resultados/<notebook>.json``).

    Sirve para comparar con un cuaderno anterior sin volver a entrenarlo (p. ej. 7b con la GRU
    de 6b). Si el archivo no existe: ``FileNotFoundError`` con qué ejecutar, o ``None`` con
    ``required=False`` (para una comparación opcional).

    Ejemplo:
        >>> load_metrics("6b_atencion")["bleu_con_atencion"]  # doctest: +SKIP
        12.9062
        >>> load_metrics("no_existe", required=False) is None
        True
    """
    path = RESULTS_DIR / f"{notebook}.json"
    if not path.is_file():
        if not required:
            return None
        raise FileNotFoundError(
            f"No hay resultados de {notebook!r} ({path}): ejecuta antes ese cuaderno en modo "
            f"completo (make nb NB=clase_N/{notebook}.ipynb)."
        )
    return json.loads(path.read_text(encoding="utf-8"))["metrics"]


def _class_of(notebook: str) -> int | None:
    """Número de clase de un cuaderno: el de la carpeta ``clase_N/`` que lo contiene o, si no
    está en ninguna, el número con que empieza su nombre (``4b_…`` o ``desafio_4`` → 4).

    Ejemplo:
        >>> _class_of("7b_transformer_traductor"), _class_of("desafio_final"), _class_of("9z_nuevo")
        (7, 8, 9)
        >>> _class_of("no_existe") is None
        True
    """
    for path in sorted(config.REPO_ROOT.glob(f"clase_*/{notebook}.ipynb")):
        number = path.parent.name.removeprefix("clase_")
        if number.isdigit():
            return int(number)
    digits = ""
    for ch in notebook.removeprefix("desafio_"):
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else None


def build_table(results_dir: Path | None = None) -> str:
    """Construye el texto de ``RESULTADOS.md`` a partir de ``resultados/*.json``.

    Ejemplo:
        >>> "| Clase |" in build_table()
        True
    """
    results_dir = results_dir or RESULTS_DIR
    rows = []
    for path in sorted(results_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        metrics = ", ".join(f"{k} = {v}" for k, v in data["metrics"].items())
        rows.append(
            (
                data.get("clase") or _class_of(data["notebook"]) or 0,
                data["notebook"],
                metrics,
                data["wall_time_s"],
                data["device"],
                data.get("date", ""),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1].startswith("desafio"), r[1]))
    lines = [
        "# Resultados del curso",
        "",
        "Tabla generada por `make course` a partir de `resultados/*.json`: cada fila sale de una",
        "ejecución real del cuaderno en modo completo. No la edites a mano.",
        "",
        "| Clase | Cuaderno | Métricas clave | Tiempo (s) | Dispositivo | Fecha |",
        "|---|---|---|---|---|---|",
    ]
    for clase, nb, metrics, wall, device, date in rows:
        link = f"[{nb}](clase_{clase}/{nb}.ipynb)" if clase else nb
        lines.append(f"| {clase} | {link} | {metrics} | {wall} | {device} | {date} |")
    return "\n".join(lines) + "\n"


def write_table(path: Path | None = None) -> Path:
    """Escribe ``RESULTADOS.md`` en la raíz del repositorio y devuelve su ruta."""
    path = path or (config.REPO_ROOT / "RESULTADOS.md")
    atomic_write_text(path, build_table())
    return path


if __name__ == "__main__":
    print(f"Escrito {write_table()}")
