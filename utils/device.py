"""Elección del dispositivo (GPU si la hay) y precisión mixta."""

from __future__ import annotations

import torch


def get_device(prefer: str | None = None, verbose: bool = True) -> torch.device:
    """Elige el mejor dispositivo disponible: ``cuda`` → ``mps`` → ``cpu``.

    ``prefer`` fuerza uno concreto (por ejemplo ``"cpu"``). Imprime lo que eligió.

    Ejemplo:
        >>> get_device("cpu", verbose=False)
        device(type='cpu')
    """
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("Se pidió 'cuda' pero no hay GPU CUDA disponible en esta máquina.")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError("Se pidió 'mps' pero no hay GPU Apple (MPS) disponible.")
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    elif torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if verbose:
        print(f"Dispositivo: {describe_device(device)}")
    return device


def describe_device(device: torch.device | str) -> str:
    """Describe el dispositivo en palabras (nombre de la GPU o núcleos de CPU).

    Ejemplo:
        >>> describe_device("cpu").startswith("cpu")
        True
    """
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (GPU de Apple)"
    return f"cpu ({torch.get_num_threads()} hilos)"


def amp_dtype(device: torch.device | str) -> torch.dtype | None:
    """Tipo para precisión mixta automática: bf16 si la GPU lo tiene **nativo**, si no fp16.

    bf16 nativo llega con la capacidad de cómputo 8.0 (Ampere: A100, RTX 30xx, L4, H100...).
    Una T4 (la GPU gratuita de Colab, capacidad 7.5) solo lo *emula* y es mucho más lenta;
    allí se usa fp16 con ``GradScaler``. En CPU o MPS devuelve ``None`` (sin autocast).

    Ejemplo:
        >>> amp_dtype("cpu") is None
        True
    """
    device = torch.device(device)
    if device.type != "cuda":
        return None
    major, _ = torch.cuda.get_device_capability(device)
    native = major >= 8 and torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.bfloat16 if native else torch.float16


def model_device(model: torch.nn.Module, default: torch.device | str = "cpu") -> torch.device:
    """El dispositivo donde están los parámetros de ``model`` (``default`` si no tiene ninguno).

    Ejemplo:
        >>> model_device(torch.nn.Linear(2, 2))
        device(type='cpu')
    """
    first = next(iter(model.parameters()), None)
    return first.device if first is not None else torch.device(default)
