"""Fixtures compartidas por las pruebas unitarias."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Modelos diminutos: un hilo es más rápido y no sufre si la máquina está ocupada."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
