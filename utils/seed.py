"""Semillas para que los resultados se puedan reproducir."""

from __future__ import annotations

import random

import numpy as np


def set_seed(seed: int = 42, deterministic: bool = False) -> int:
    """Fija la semilla de ``random``, NumPy y PyTorch (CPU y CUDA).

    Con ``deterministic=True`` además pide a PyTorch algoritmos deterministas (más lentos
    en GPU). Devuelve la semilla para poder imprimirla.

    No toca ``PYTHONHASHSEED``: Python la lee solo al arrancar, así que cambiarla dentro de un
    proceso (o de un cuaderno) no afecta al orden de ``set`` ni a ``hash(str)``. Si un resultado
    depende de ese orden, ordene (``sorted``) en lugar de confiar en la semilla, o arranque el
    proceso con la variable ya fijada (``PYTHONHASHSEED=0 python ...``).

    Ejemplo:
        >>> set_seed(0)
        0
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"La semilla debe ser un entero no negativo; se recibió {seed!r}.")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # el curso funciona sin torch en las primeras clases
        return seed
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return seed
