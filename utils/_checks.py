"""Validación de argumentos compartida por los módulos de ``utils`` (mensajes en español)."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """Devuelve ``value`` como ``int`` si es un entero ≥ ``minimum``; si no, ``ValueError``.

    Ejemplo:
        >>> check_int(3, "epochs")
        3
        >>> check_int(0, "epochs")
        Traceback (most recent call last):
        ...
        ValueError: epochs debe ser un entero ≥ 1; se recibió 0.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} debe ser un entero ≥ {minimum}; se recibió {value!r}.")
    return int(value)
