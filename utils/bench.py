"""Velocidad de ``utils.train.fit`` frente a un bucle de PyTorch escrito a mano.

Entrena el mismo modelo (un clasificador de texto con ``EmbeddingBag`` sobre datos
sintéticos) con el mismo número de pasos de las dos maneras, tras una ronda de
calentamiento, varias veces, y compara la mediana de ejemplos por segundo. En CPU siempre;
en CUDA (si hay GPU) con y sin precisión mixta.

Uso::

    python -m utils.bench                 # CPU (y GPU si la hay), 5 repeticiones
    python -m utils.bench --repeats 9 --device cpu

No es una prueba cronometrada: es una medición para leer (``make bench``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .device import amp_dtype, describe_device
from .train import fit

__all__ = ["BagClassifier", "bare_loop", "run_benchmark"]


class BagClassifier(nn.Module):
    """Clasificador de texto mínimo: media de embeddings (``EmbeddingBag``) + MLP.

    Ejemplo:
        >>> BagClassifier(100)(torch.randint(0, 100, (8, 12))).shape
        torch.Size([8, 4])
    """

    def __init__(self, vocab_size: int, dim: int = 64, hidden: int = 128, classes: int = 4):
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab_size, dim, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [batch, seq_len] → [batch, dim] → [batch, classes]
        return self.mlp(self.emb(x))


def _synthetic_data(n: int, vocab_size: int, seq_len: int, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, vocab_size, (n, seq_len), generator=g)  # x: [n, seq_len]
    # Etiqueta: cuartil de la media de los identificadores (aprendible y barata).
    y = (x.float().mean(dim=1) / vocab_size * 4).long().clamp_(0, 3)  # y: [n]
    return TensorDataset(x, y)


def bare_loop(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
    epochs: int = 1,
    amp: bool = False,
) -> float:
    """Bucle de entrenamiento mínimo escrito a mano (la referencia). Devuelve la pérdida media.

    Es la variante más ligera en cada dispositivo: en CPU suma ``loss.item()``; en GPU acumula
    la pérdida como tensor y sincroniza una sola vez al final.

    Ejemplo:
        >>> bare_loop(model, loader, torch.optim.Adam(model.parameters()), torch.device("cpu"))  # doctest: +SKIP
        1.38
    """
    loss_fn = nn.CrossEntropyLoss()
    dtype = amp_dtype(device) if amp else None
    use_autocast = device.type == "cuda" and dtype is not None
    scaler = torch.amp.GradScaler("cuda") if use_autocast and dtype == torch.float16 else None
    non_blocking = device.type == "cuda"
    model.to(device).train()
    on_cpu = device.type == "cpu"
    total = torch.zeros((), device=device)
    total_cpu = 0.0
    count = 0
    for _ in range(epochs):
        for x, y in loader:
            x = x.to(device, non_blocking=non_blocking)
            y = y.to(device, non_blocking=non_blocking)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=dtype) if use_autocast else contextlib.nullcontext():
                loss = loss_fn(model(x), y)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            if on_cpu:
                total_cpu += loss.item() * y.shape[0]
            else:  # en GPU, sin sincronizar en cada paso
                total += loss.detach() * y.shape[0]
            count += y.shape[0]
    return (total_cpu if on_cpu else float(total.item())) / max(count, 1)


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[None]:
    """Activa o desactiva la barra de tqdm y oculta la salida durante la medición."""
    old = os.environ.get("TQDM_DISABLE")
    if enabled:
        os.environ.pop("TQDM_DISABLE", None)
    else:
        os.environ["TQDM_DISABLE"] = "1"
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        if old is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = old


def _time_once(
    kind: str,
    data: TensorDataset,
    *,
    vocab_size: int,
    batch_size: int,
    epochs: int,
    device: torch.device,
    amp: bool,
    bar: bool,
    pin_memory: bool,
) -> float:
    torch.manual_seed(0)
    model = BagClassifier(vocab_size).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(data, batch_size=batch_size, shuffle=True, pin_memory=pin_memory)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    if kind == "bare":
        bare_loop(model, loader, optimizer, device, epochs=epochs, amp=amp)
    else:
        with _progress_bar(bar):
            fit(
                model, loader, epochs=epochs, optimizer=optimizer, device=device, amp=amp,
                verbose=bar,
            )  # fmt: skip
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def run_benchmark(
    *,
    n_examples: int = 16384,
    batch_size: int = 64,
    epochs: int = 2,
    repeats: int = 5,
    device: str | torch.device | None = None,
    vocab_size: int = 5000,
    seq_len: int = 32,
    progress_bar: bool = True,
    pin_memory: bool | None = None,
) -> list[dict[str, Any]]:
    """Mide ejemplos/s de ``fit`` y del bucle a mano; devuelve una fila por configuración.

    Configuraciones: CPU sin barra (y con barra si ``progress_bar``); en CUDA, con y sin AMP.
    Cada fila: ``device``, ``amp``, ``bar``, ``bare_ex_s``, ``fit_ex_s`` (medianas),
    ``ratio`` (fit / a mano, de las medianas) y ``overhead_pct`` (tiempo extra de ``fit``
    en %, mediana de los cocientes de cada par de mediciones consecutivas).

    Ejemplo:
        >>> rows = run_benchmark(n_examples=128, batch_size=32, repeats=1, device="cpu",
        ...                      vocab_size=50, progress_bar=False)
        >>> rows[0]["fit_ex_s"] > 0
        True
    """
    if n_examples < batch_size or batch_size < 1:
        raise ValueError("n_examples debe ser ≥ batch_size ≥ 1 para medir al menos un paso.")
    if repeats < 1 or epochs < 1:
        raise ValueError("repeats y epochs deben ser enteros ≥ 1.")
    if device is None:
        devices = [torch.device("cpu")]
        if torch.cuda.is_available():
            devices.append(torch.device("cuda"))
    else:
        devices = [torch.device(device)]
    data = _synthetic_data(n_examples, vocab_size, seq_len)
    rows: list[dict[str, Any]] = []
    for dev in devices:
        configs: list[tuple[bool, bool]] = []
        if dev.type == "cuda":
            configs = [(False, False), (True, False)] + ([(True, True)] if progress_bar else [])
        else:
            configs = [(False, False)] + ([(False, True)] if progress_bar else [])
        pin = dev.type == "cuda" if pin_memory is None else pin_memory
        for amp, bar in configs:
            opts = dict(
                vocab_size=vocab_size, batch_size=batch_size, epochs=epochs, device=dev,
                amp=amp, bar=bar, pin_memory=pin,
            )  # fmt: skip
            _time_once("bare", data, **opts)  # calentamiento
            _time_once("fit", data, **opts)
            bare_t: list[float] = []
            fit_t: list[float] = []
            for r in range(repeats):
                order = ("bare", "fit") if r % 2 == 0 else ("fit", "bare")
                for kind in order:
                    t = _time_once(kind, data, **opts)
                    (bare_t if kind == "bare" else fit_t).append(t)
            total = n_examples * epochs
            bare_rate = total / statistics.median(bare_t)
            fit_rate = total / statistics.median(fit_t)
            # Sobrecoste por pares (fit y bucle a mano medidos uno tras otro): resiste mejor
            # las variaciones lentas de velocidad de la máquina que el cociente de medianas.
            paired = statistics.median(f / b for f, b in zip(fit_t, bare_t, strict=True))
            rows.append(
                {
                    "device": describe_device(dev),
                    "amp": bool(amp and amp_dtype(dev) is not None),
                    "bar": bar,
                    "bare_ex_s": bare_rate,
                    "fit_ex_s": fit_rate,
                    "ratio": fit_rate / bare_rate,
                    "overhead_pct": (paired - 1.0) * 100.0,
                    "steps": epochs * -(-n_examples // batch_size),
                    "repeats": repeats,
                }
            )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """Tabla en texto (markdown) con los resultados de :func:`run_benchmark`.

    Ejemplo:
        >>> print(format_table(run_benchmark(n_examples=256, repeats=1)))  # doctest: +SKIP
    """
    lines = [
        "| dispositivo | AMP | barra | a mano (ej/s) | fit (ej/s) | fit / a mano | sobrecoste |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['device']} | {'sí' if r['amp'] else 'no'} | {'sí' if r['bar'] else 'no'} "
            f"| {r['bare_ex_s']:,.0f} | {r['fit_ex_s']:,.0f} | {r['ratio']:.3f} "
            f"| {r['overhead_pct']:+.1f} % |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Punto de entrada de ``python -m utils.bench``."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.bench",
        description="Compara la velocidad de utils.train.fit con un bucle de PyTorch a mano.",
    )
    parser.add_argument("--repeats", type=int, default=5, help="repeticiones (se usa la mediana)")
    parser.add_argument("--device", default=None, help="cpu, cuda… (por defecto: CPU y GPU si hay)")
    parser.add_argument("--n-examples", type=int, default=16384, help="ejemplos por época")
    parser.add_argument("--batch-size", type=int, default=64, help="tamaño de lote")
    parser.add_argument("--epochs", type=int, default=2, help="épocas por medición")
    parser.add_argument("--no-bar", action="store_true", help="no medir con la barra de progreso")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="hilos de PyTorch en CPU (por defecto, los de torch)",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads debe ser ≥ 1")
        torch.set_num_threads(args.threads)
    print(
        f"Modelo: EmbeddingBag + MLP · {args.n_examples} ejemplos × {args.epochs} épocas · "
        f"lotes de {args.batch_size} · {args.repeats} repeticiones (mediana) · "
        f"torch {torch.__version__}"
    )
    rows = run_benchmark(
        n_examples=args.n_examples,
        batch_size=args.batch_size,
        epochs=args.epochs,
        repeats=args.repeats,
        device=args.device,
        progress_bar=not args.no_bar,
    )
    print(format_table(rows))
    print("sobrecoste = tiempo extra de fit respecto al bucle a mano (objetivo en CPU: ≤ 5 %).")
    return rows


if __name__ == "__main__":
    main()
