"""Pruebas de ``utils.device`` y ``utils.seed``."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from utils._checks import check_int
from utils.device import amp_dtype, describe_device, get_device, model_device
from utils.seed import set_seed


def test_get_device_cpu_and_message(capsys):
    assert get_device("cpu", verbose=False) == torch.device("cpu")
    assert capsys.readouterr().out == ""
    get_device("cpu")
    assert capsys.readouterr().out.startswith("Dispositivo: cpu")


def test_get_device_default_is_valid():
    dev = get_device(verbose=False)
    assert dev.type in {"cuda", "mps", "cpu"}
    if torch.cuda.is_available():
        assert dev.type == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="hay GPU CUDA en esta máquina")
def test_get_device_cuda_without_gpu_is_clear():
    with pytest.raises(ValueError, match="no hay GPU CUDA"):
        get_device("cuda")


def test_describe_and_amp_dtype_on_cpu():
    assert describe_device("cpu").startswith("cpu (")
    assert "hilos" in describe_device(torch.device("cpu"))
    assert amp_dtype("cpu") is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="necesita GPU CUDA")
def test_amp_dtype_on_cuda():
    native = torch.cuda.is_bf16_supported(including_emulation=False)
    assert amp_dtype("cuda") == (torch.bfloat16 if native else torch.float16)


@pytest.mark.parametrize(
    "capability, expected",
    [((7, 5), torch.float16), ((8, 0), torch.bfloat16), ((9, 0), torch.bfloat16)],
)
def test_amp_dtype_uses_native_bf16_only(monkeypatch, capability, expected):
    """Una T4 (7.5) «soporta» bf16 por emulación: allí debe elegirse fp16 + GradScaler."""

    def is_bf16_supported(including_emulation: bool = True) -> bool:
        return including_emulation or capability >= (8, 0)

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    assert amp_dtype("cuda") == expected
    assert amp_dtype("cpu") is None


def _draws() -> tuple[float, float, list[float]]:
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def test_set_seed_makes_all_generators_reproducible():
    assert set_seed(123) == 123
    first = _draws()
    set_seed(123)
    assert _draws() == first
    set_seed(124)
    assert _draws() != first


def test_set_seed_does_not_pretend_to_fix_the_hash_seed(monkeypatch):
    """PYTHONHASHSEED solo actúa al arrancar Python: set_seed no la toca."""
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    set_seed(7)
    assert "PYTHONHASHSEED" not in os.environ
    assert "PYTHONHASHSEED" in (set_seed.__doc__ or "")


def test_set_seed_large_seed_is_accepted():
    assert set_seed(2**40) == 2**40  # NumPy recibe la semilla módulo 2**32


@pytest.mark.parametrize("bad", [-1, 1.5, True, "42", None])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="entero no negativo"):
        set_seed(bad)  # type: ignore[arg-type]


def test_set_seed_deterministic_flag():
    try:
        set_seed(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


def test_model_device_follows_the_parameters():
    assert model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")  # sin parámetros: el de defecto
    assert model_device(torch.nn.ReLU(), default="meta") == torch.device("meta")
    assert model_device(torch.nn.Linear(2, 2, device="meta")) == torch.device("meta")


def test_check_int_accepts_integers_and_rejects_the_rest():
    assert check_int(3, "n") == 3 and check_int(np.int64(0), "seed", 0) == 0
    for bad in (0, -1, 2.0, True, "3", None):
        with pytest.raises(ValueError, match="n debe ser un entero ≥ 1"):
            check_int(bad, "n")
