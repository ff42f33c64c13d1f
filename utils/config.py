"""Configuración global del curso: modo rápido, carpeta de datos y modo sin conexión.

Variables de entorno que se leen:

- ``CURSO_SMOKE=1``: modo rápido («smoke»). Los cuadernos reducen datos y épocas a
  segundos; así se ejecutan en las pruebas automáticas.
- ``CURSO_NLP_DATA``: carpeta donde se guardan los datos preparados y los modelos
  entrenados. Por defecto, ``.cache/`` en la raíz del repositorio.
- ``HF_HUB_OFFLINE=1``: no intentar descargar nada del Hugging Face Hub.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "si", "sí", "on"}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


#: Raíz del repositorio (la carpeta que contiene ``utils/``).
REPO_ROOT: Path = Path(__file__).resolve().parent.parent

#: ``True`` cuando ``CURSO_SMOKE=1``: los cuadernos usan pocos datos y pocas épocas.
SMOKE: bool = _env_flag("CURSO_SMOKE")


def _data_dir() -> Path:
    custom = os.environ.get("CURSO_NLP_DATA")
    path = Path(custom).expanduser() if custom else REPO_ROOT / ".cache"
    return path


#: Carpeta de caché de datos y modelos (se crea al usarla).
DATA_DIR: Path = _data_dir()


def data_dir() -> Path:
    """Devuelve la carpeta de caché, creándola si no existe.

    Ejemplo:
        >>> data_dir().is_dir()
        True
    """
    path = _data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def smoke_or(full: T, smoke: T) -> T:
    """Devuelve ``smoke`` en modo rápido (``CURSO_SMOKE=1``) y ``full`` en modo completo.

    Ejemplo:
        >>> EPOCHS = smoke_or(10, 1)  # 10 épocas en clase, 1 en las pruebas
    """
    return smoke if SMOKE else full


def is_offline() -> bool:
    """``True`` si no se debe usar la red (``HF_HUB_OFFLINE=1`` o ``TRANSFORMERS_OFFLINE=1``).

    Ejemplo:
        >>> isinstance(is_offline(), bool)
        True
    """
    return _env_flag("HF_HUB_OFFLINE") or _env_flag("TRANSFORMERS_OFFLINE")
