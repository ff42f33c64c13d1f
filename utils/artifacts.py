"""Escritura atómica y caché de los artefactos que el curso entrena una sola vez.

Dos piezas que usan todos los módulos que guardan algo en disco:

- :func:`atomic_write_bytes` / :func:`atomic_write_text` / :func:`atomic_dir`: escriben en un
  temporal **de nombre único en la misma carpeta**, hacen ``fsync`` y lo renombran con
  ``os.replace``. Una interrupción nunca deja un archivo a medias y dos procesos que escriben a
  la vez no se pisan el temporal.
- :func:`cached_artifact`: la carpeta de un modelo entrenado por el curso (mini-BETO, el
  clasificador afinado, el GPT...), identificada por su configuración, la versión del corpus y el
  modo rápido. Si no existe o está dañada, se construye una vez con la función que se le pasa.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from utils import config

#: Archivo que se escribe dentro de la carpeta de un artefacto cuando terminó de construirse.
STAMP = "curso_artifact.json"


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Escribe ``data`` en ``path`` de forma atómica (temporal único + fsync + ``os.replace``).

    Ejemplo:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "a.bin"
        >>> atomic_write_bytes(p, b"hola").read_bytes()
        b'hola'
    """
    path = Path(path)
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"atomic_write_bytes espera bytes, no {type(data).__name__}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp crea con 0o600; la caché debe poder leerla cualquiera
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Como :func:`atomic_write_bytes`, para texto en UTF-8.

    Ejemplo:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "a.txt"
        >>> atomic_write_text(p, "ñandú").read_text(encoding="utf-8")
        'ñandú'
    """
    if not isinstance(text, str):
        raise TypeError(f"atomic_write_text espera str, no {type(text).__name__}.")
    return atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def atomic_dir(final: str | Path, keep_if: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """Construye una carpeta entera y la pone en su sitio solo si todo salió bien.

    Entrega una carpeta temporal vacía junto a ``final``; al salir sin error, reemplaza
    ``final`` (si existía, la anterior se borra). Si hay una excepción, borra el temporal y
    ``final`` queda como estaba. Si ``keep_if(final)`` es verdadero al terminar (otro proceso
    construyó ya una carpeta válida mientras tanto), se conserva esa y se descarta la nueva: así
    nunca se reemplaza una carpeta que otro proceso puede estar leyendo.

    Ejemplo:
        >>> import tempfile
        >>> destino = Path(tempfile.mkdtemp()) / "modelo"
        >>> with atomic_dir(destino) as tmp:
        ...     _ = (tmp / "config.json").write_text("{}")
        >>> sorted(p.name for p in destino.iterdir())
        ['config.json']
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}."))
    try:
        yield tmp
        if keep_if is not None and final.exists() and keep_if(final):
            return
        _fsync_tree(tmp)
        old = None
        if final.exists():
            old = final.parent / f".{final.name}.old.{os.getpid()}.{time.time_ns()}"
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def corpus_version() -> str:
    """Versión de la limpieza del corpus del curso (cambia cuando cambia ``utils.data``).

    Toda caché de un modelo entrenado sobre el corpus la incluye en su clave: si la limpieza
    cambia, la caché vieja deja de usarse en lugar de devolver un modelo obsoleto.

    Ejemplo:
        >>> isinstance(corpus_version(), str)
        True
    """
    from utils import data

    return str(data._CORPUS_VERSION)


def artifact_key(config_dict: dict[str, Any]) -> str:
    """Huella corta de una configuración (más la versión del corpus y el modo rápido).

    Ejemplo:
        >>> artifact_key({"capas": 2}) == artifact_key({"capas": 2})
        True
        >>> artifact_key({"capas": 2}) == artifact_key({"capas": 4})
        False
    """
    if not isinstance(config_dict, dict):
        raise TypeError("La configuración de un artefacto debe ser un dict.")
    try:
        payload = json.dumps(
            {"config": config_dict, "corpus": corpus_version(), "smoke": config.SMOKE},
            sort_keys=True,
            ensure_ascii=False,
        )
    except TypeError as exc:
        raise TypeError(
            f"La configuración debe contener solo valores JSON (números, texto, listas): {exc}"
        ) from exc
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def artifact_path(kind: str, config_dict: dict[str, Any]) -> Path:
    """Carpeta de caché de un artefacto: ``data_dir()/kind/<kind>-<huella>``.

    Ejemplo:
        >>> artifact_path("gpt", {"capas": 2}).parent.name
        'gpt'
    """
    if not kind or not kind.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"Nombre de artefacto no válido: {kind!r} (usa letras, números y _).")
    return config.data_dir() / kind / f"{kind}-{artifact_key(config_dict)}"


def is_built(folder: str | Path) -> bool:
    """``True`` si la carpeta tiene el sello de construcción completa y su archivo es legible."""
    stamp = Path(folder) / STAMP
    try:
        meta = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "config" in meta


def cached_artifact(
    kind: str,
    config_dict: dict[str, Any],
    build: Callable[[Path], dict[str, Any] | None],
    *,
    retrain: bool = False,
    verbose: bool = True,
    check: Callable[[Path], bool] | None = None,
) -> Path:
    """Devuelve la carpeta de un artefacto del curso, construyéndola una vez si hace falta.

    ``build(carpeta)`` recibe una carpeta temporal vacía y debe dejar allí el modelo (por
    ejemplo con ``model.save_pretrained(carpeta)``); puede devolver un dict de información
    (tiempo, tokens/s, métricas) que se guarda en el sello ``curso_artifact.json``. La carpeta
    solo pasa a su sitio definitivo si ``build`` termina sin error (escritura atómica).

    Se reconstruye cuando no existe, cuando el sello falta o está dañado, cuando ``check``
    (opcional) devuelve ``False`` o cuando ``retrain=True``.

    Ejemplo:
        >>> def build(tmp):
        ...     (tmp / "pesos.txt").write_text("1 2 3")
        ...     return {"tiempo_s": 0.0}
        >>> carpeta = cached_artifact("demo", {"n": 3}, build, verbose=False)  # doctest: +SKIP
        >>> (carpeta / "pesos.txt").read_text()  # doctest: +SKIP
        '1 2 3'
    """
    if not callable(build):
        raise TypeError("build debe ser una función que reciba la carpeta temporal.")
    final = artifact_path(kind, config_dict)
    if not retrain and is_built(final) and (check is None or check(final)):
        if verbose:
            print(f"{kind}: cargado de la caché {final}")
        return final
    if verbose:
        why = "se pidió reentrenar" if retrain else (
            "la caché está dañada" if final.exists() else "no está en la caché"
        )  # fmt: skip
        print(f"{kind}: {why}; se construye una vez y se guarda en {final}")
    start = time.perf_counter()

    def already_built(folder: Path) -> bool:  # otro proceso terminó antes que este
        return not retrain and is_built(folder) and (check is None or check(folder))

    with atomic_dir(final, keep_if=already_built) as tmp:
        info = build(tmp) or {}
        if not isinstance(info, dict):
            raise TypeError("build debe devolver un dict de información o None.")
        meta = {
            "kind": kind,
            "config": config_dict,
            "corpus_version": corpus_version(),
            "smoke": config.SMOKE,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - start, 2),
            "info": info,
        }
        atomic_write_text(tmp / STAMP, json.dumps(meta, ensure_ascii=False, indent=2))
    if verbose:
        print(f"{kind}: construido en {meta['build_seconds']:.1f} s.")
    return final


def artifact_info(folder: str | Path) -> dict[str, Any]:
    """Lee el sello de un artefacto (configuración, versión del corpus, tiempo, información).

    Raises:
        FileNotFoundError: si la carpeta no es un artefacto construido por el curso.
    """
    stamp = Path(folder) / STAMP
    if not stamp.is_file():
        raise FileNotFoundError(f"{folder} no es un artefacto del curso (falta {STAMP}).")
    return json.loads(stamp.read_text(encoding="utf-8"))
