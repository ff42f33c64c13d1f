"""El bucle de entrenamiento del curso: ``fit`` y ``evaluate``.

Un único bucle para todos los modelos de PyTorch del curso, escrito para leerse de una
sentada: :func:`fit` es el bucle (épocas → lotes → paso del optimizador → validación →
mejor época y parada temprana → checkpoint) y cada detalle vive en una función pequeña con
nombre propio. Lo que ya resuelve Hugging Face **Accelerate** no se reescribe aquí: el
dispositivo, la precisión mixta (``autocast`` y ``GradScaler``), la acumulación de
gradientes (``accelerator.accumulate``), el recorte (``clip_grad_norm_``) y varios procesos
(``torchrun`` o ``accelerate launch``). En CPU, en una GPU o en varios procesos el código es
el mismo.

Convención de lotes
-------------------
- **Tupla o lista** ``(x, y)`` o ``(x1, x2, ..., y)``: el último elemento es el objetivo.
  Se calcula ``outputs = model(*inputs)`` y ``loss = loss_fn(outputs, target)``.
- **Diccionario** (estilo Hugging Face, p. ej. ``{"input_ids": ..., "attention_mask": ...,
  "labels": ...}``): se llama ``model(**batch)`` y la pérdida es ``outputs.loss``; si el modelo
  no la devuelve (o si se pasa ``loss_fn`` explícitamente) se usa
  ``loss_fn(outputs.logits, batch["labels"])``.
- **Paso a medida**: ``compute_loss(model, batch) -> (loss, outputs, targets)`` para
  seq2seq, modelos de lenguaje con estado, etc. (``outputs`` y ``targets`` solo se usan para
  las métricas; pueden ser ``None``). También puede devolver solo la pérdida, o
  ``(loss, outputs, targets, n)`` con ``n`` = cuántos elementos promedia la pérdida.

Pérdida media por token
-----------------------
Las pérdidas por época (``train_loss``, ``val_loss``) son la media sobre **lo mismo que
promedia la pérdida**: cada lote pesa tantos elementos como cuenta su pérdida. Con
``CrossEntropyLoss`` / :func:`sequence_cross_entropy` son los objetivos distintos de
``ignore_index`` (los tokens sin relleno; con pesos por clase, la suma de esos pesos); con
lotes-diccionario, las etiquetas distintas de -100; con ``compute_loss``, el ``n`` que
devuelva o, si la función tiene el atributo ``ignore_index``, los objetivos distintos de él.
En otro caso, los ejemplos del lote. Así ``val_loss`` y la perplejidad (``exp(val_loss)``, ver
``utils.metrics.perplexity``) no dependen de cómo se agrupan en lotes secuencias de distinta
longitud.

Todos los tensores del lote (también dentro de tuplas o diccionarios anidados) se mueven al
dispositivo. La pérdida por defecto es ``nn.CrossEntropyLoss()``; para modelos de lenguaje
(``logits: [B, T, V]`` frente a ``targets: [B, T]``) use ``sequence_cross_entropy()``.

Ejemplo mínimo::

    from utils.metrics import logits_accuracy
    from utils.train import fit
    history = fit(model, train_loader, val_loader=val_loader, epochs=5, lr=1e-3,
                  metrics={"accuracy": logits_accuracy})
    history.plot()              # curvas de pérdida
    history["val_accuracy"]     # lista por época
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from .artifacts import atomic_write_bytes
from .device import amp_dtype, describe_device, get_device, model_device

__all__ = [
    "History",
    "SequenceCrossEntropy",
    "evaluate",
    "fit",
    "sequence_cross_entropy",
]

Metric = Callable[[Tensor, Tensor], float]
ComputeLoss = Callable[[nn.Module, Any], Any]

_TRUE = {"1", "true", "yes", "si", "sí", "on"}
#: Cada cuántos pasos se sincroniza la pérdida acumulada en GPU (comprobación de NaN y barra).
_SYNC_EVERY_GPU = 50
#: Cada cuántos pasos se actualiza el texto de la barra de progreso en CPU.
_POSTFIX_EVERY_CPU = 10

_LABELS_ES = {
    "train_loss": "entrenamiento",
    "val_loss": "validación",
    "grad_norm": "norma del gradiente",
    "lr": "tasa de aprendizaje",
}


# ---------------------------------------------------------------------------------------------
# Historial
# ---------------------------------------------------------------------------------------------
@dataclass
class History:
    """Historial de un entrenamiento: un diccionario por época.

    Cada época tiene ``epoch``, ``train_loss``, ``val_loss`` (``None`` sin validación),
    ``val_<métrica>``, ``time_s`` (época completa), ``examples_per_s`` (solo la fase de
    entrenamiento), ``lr`` (tasa de aprendizaje al terminar la época) y, con
    ``log_grad_norm=True``, ``grad_norm`` (media de la norma del gradiente antes de recortar).

    Ejemplo:
        >>> h = History(epochs=[{"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.5}])
        >>> h["train_loss"]
        [0.9, 0.5]
    """

    epochs: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None
    best_value: float | None = None
    monitor: str = "val_loss"

    def __getitem__(self, key: str) -> list[Any]:
        """Lista de valores de ``key`` a lo largo de las épocas.

        Ejemplo:
            >>> History(epochs=[{"epoch": 1, "val_loss": 0.3}])["val_loss"]
            [0.3]
        """
        if self.epochs and not any(key in e for e in self.epochs):
            disponibles = ", ".join(self.keys())
            raise KeyError(
                f"El historial no tiene la clave {key!r}. Claves disponibles: {disponibles}."
            )
        return [e.get(key) for e in self.epochs]

    def __len__(self) -> int:
        return len(self.epochs)

    def keys(self) -> list[str]:
        """Claves registradas por época, en orden de aparición.

        Ejemplo:
            >>> History(epochs=[{"epoch": 1, "train_loss": 0.9}]).keys()
            ['epoch', 'train_loss']
        """
        seen: dict[str, None] = {}
        for e in self.epochs:
            for k in e:
                seen.setdefault(k, None)
        return list(seen)

    def to_frame(self) -> Any:
        """Devuelve el historial como ``pandas.DataFrame`` (una fila por época, índice ``epoch``).

        Ejemplo:
            >>> History(epochs=[{"epoch": 1, "train_loss": 0.9}]).to_frame().loc[1, "train_loss"]
            np.float64(0.9)
        """
        import pandas as pd

        frame = pd.DataFrame(self.epochs)
        if "epoch" in frame.columns:
            frame = frame.set_index("epoch")
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Diccionario con tipos simples (apto para JSON y para ``torch.load(weights_only=True)``).

        Ejemplo:
            >>> History.from_dict(History(epochs=[{"epoch": 1}]).to_dict()).epochs
            [{'epoch': 1}]
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """Reconstruye un ``History`` a partir de ``to_dict()``.

        Ejemplo:
            >>> History.from_dict({"epochs": [], "monitor": "val_loss"}).monitor
            'val_loss'
        """
        return cls(
            epochs=[dict(e) for e in data.get("epochs", [])],
            stopped_early=bool(data.get("stopped_early", False)),
            best_epoch=data.get("best_epoch"),
            best_value=data.get("best_value"),
            monitor=str(data.get("monitor", "val_loss")),
        )

    def plot(self, metrics: Iterable[str] | str | None = None, ax: Any = None) -> Any:
        """Dibuja las curvas de entrenamiento (por defecto, pérdida de entrenamiento y validación).

        Usa ``utils.plots.plot_history`` si existe (con ``metrics`` añade un segundo panel y
        devuelve los dos ejes); si no, un gráfico sencillo de matplotlib con las claves de
        ``metrics`` (p. ej. ``["val_accuracy"]``) en un solo eje, que devuelve.

        Ejemplo:
            >>> ax = history.plot()  # doctest: +SKIP
            >>> ax = history.plot(["grad_norm"])  # doctest: +SKIP
        """
        if isinstance(metrics, str):
            metrics = [metrics]
        try:
            from .plots import plot_history  # type: ignore[attr-defined]
        except ImportError:
            plot_history = None
        if plot_history is not None:
            return plot_history(self, metrics=metrics, ax=ax)
        return self._plot_fallback(list(metrics) if metrics is not None else None, ax)

    def _plot_fallback(self, metrics: list[str] | None, ax: Any) -> Any:
        import matplotlib.pyplot as plt

        keys = metrics or [
            k for k in ("train_loss", "val_loss") if any(e.get(k) is not None for e in self.epochs)
        ]
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        xs = self["epoch"] if self.epochs else []
        for key in keys:
            ys = [np.nan if v is None else v for v in self[key]]
            ax.plot(xs, ys, marker="o", label=_LABELS_ES.get(key, key))
        if self.best_epoch is not None and self.monitor in keys:
            ax.axvline(self.best_epoch, color="gray", linestyle="--", label="mejor época")
        ax.set_title("Curvas de entrenamiento")
        ax.set_xlabel("época")
        only_losses = all(k.endswith("loss") for k in keys)
        ax.set_ylabel("pérdida" if only_losses else "valor")
        ax.grid(alpha=0.3)
        if keys:
            ax.legend()
        return ax

    def __repr__(self) -> str:
        last = self.epochs[-1] if self.epochs else {}
        resumen = ", ".join(
            f"{k}={v:.4f}"
            for k, v in last.items()
            if k.endswith(("loss", "_acc")) and v is not None
        )
        extra = f", mejor época {self.best_epoch} ({self.monitor})" if self.best_epoch else ""
        parada = ", parada temprana" if self.stopped_early else ""
        return f"History({len(self.epochs)} épocas{parada}{extra}; última: {resumen})"


# ---------------------------------------------------------------------------------------------
# Pérdida para secuencias
# ---------------------------------------------------------------------------------------------
class SequenceCrossEntropy(nn.Module):
    """Entropía cruzada por token: aplana ``logits: [B, T, V]`` y ``targets: [B, T]``.

    Los tokens con ``ignore_index`` (el relleno) no cuentan. La media es por token.

    Ejemplo:
        >>> loss_fn = SequenceCrossEntropy(ignore_index=0)
        >>> loss_fn(torch.zeros(2, 3, 5), torch.ones(2, 3, dtype=torch.long)).item() > 0
        True
    """

    def __init__(self, ignore_index: int = -100, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        if logits.shape[:-1] != targets.shape:
            raise ValueError(
                "sequence_cross_entropy espera logits [batch, seq_len, vocab] y objetivos "
                f"[batch, seq_len]; se recibieron {tuple(logits.shape)} y {tuple(targets.shape)}."
            )
        return nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),  # [B*T, V]
            targets.reshape(-1),  # [B*T]
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )


def sequence_cross_entropy(
    ignore_index: int = -100, label_smoothing: float = 0.0
) -> SequenceCrossEntropy:
    """Crea la pérdida de entropía cruzada por token para modelos de lenguaje y seq2seq.

    Ejemplo:
        >>> loss_fn = sequence_cross_entropy(ignore_index=0)
        >>> # fit(model, loader, loss_fn=loss_fn)  # logits [B, T, V], objetivos [B, T]
    """
    return SequenceCrossEntropy(ignore_index=ignore_index, label_smoothing=label_smoothing)


# ---------------------------------------------------------------------------------------------
# Convención de lotes: un paso hacia delante y cuánto pesa su pérdida
# ---------------------------------------------------------------------------------------------
class _DefaultLoss(nn.CrossEntropyLoss):
    """``nn.CrossEntropyLoss()`` puesta por defecto (con lotes-diccionario manda ``outputs.loss``)."""


def _first_tensor(obj: Any) -> Tensor | None:
    if isinstance(obj, Tensor):
        return obj
    values = obj.values() if isinstance(obj, Mapping) else obj
    if isinstance(values, Iterable) and not isinstance(values, (str, bytes)):
        for v in values:
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


def _count_examples(batch: Any) -> int:
    """Ejemplos de un lote: primera dimensión del objetivo (tuplas) o del primer tensor (dicts)."""
    if isinstance(batch, (tuple, list)) and batch and isinstance(batch[-1], Tensor):
        target = batch[-1]
        return int(target.shape[0]) if target.dim() > 0 else 1
    t = _first_tensor(batch)
    if t is None or t.dim() == 0:
        return 1
    return int(t.shape[0])


def _get_field(outputs: Any, name: str) -> Any:
    if isinstance(outputs, Mapping):
        return outputs.get(name)
    return getattr(outputs, name, None)


def _logits_of(outputs: Any) -> Any:
    if isinstance(outputs, Tensor):
        return outputs
    logits = _get_field(outputs, "logits")
    if logits is not None:
        return logits
    if isinstance(outputs, (tuple, list)) and outputs:
        return outputs[0]
    return outputs


def _forward(
    model: nn.Module,
    batch: Any,
    loss_fn: Callable[..., Tensor],
    compute_loss: ComputeLoss | None,
) -> tuple[Tensor, Any, Any, Any, int]:
    """Un paso hacia delante: ``(pérdida, salidas, objetivos, peso de la pérdida, ejemplos)``.

    El peso es cuántos elementos promedia la pérdida (ver «Pérdida media por token»).
    """
    n = _count_examples(batch)
    if compute_loss is not None:
        result = compute_loss(model, batch)
        if isinstance(result, Tensor):
            return result, None, None, n, n
        if not isinstance(result, (tuple, list)) or len(result) not in (3, 4):
            raise ValueError(
                "compute_loss(model, batch) debe devolver (loss, outputs, targets), "
                f"(loss, outputs, targets, n) o solo la pérdida; devolvió {type(result).__name__}."
            )
        loss, outputs, targets = result[:3]
        if len(result) == 4:
            return loss, outputs, targets, result[3], n
        ignore = getattr(compute_loss, "ignore_index", None)
        return loss, outputs, targets, _loss_weight(targets, ignore, None, n), n
    if isinstance(batch, Mapping):
        outputs = model(**batch)
        labels = batch.get("labels")
        loss = None if not isinstance(loss_fn, _DefaultLoss) else _get_field(outputs, "loss")
        if loss is not None:  # la pérdida del modelo (Hugging Face ignora las etiquetas -100)
            shifted = labels[..., 1:] if type(model).__name__.endswith("ForCausalLM") else labels
            return loss, outputs, labels, _loss_weight(shifted, -100, None, n), n
        if labels is None:
            raise ValueError(
                "El lote es un diccionario sin 'labels' y el modelo no devolvió 'loss': "
                "añada 'labels' al lote o pase compute_loss=..."
            )
        target = labels
    elif isinstance(batch, (tuple, list)):
        if len(batch) < 2:
            raise ValueError(
                "Cada lote debe ser (entradas..., objetivo) con al menos dos elementos; "
                f"se recibió una secuencia de {len(batch)}. Use compute_loss para otros formatos."
            )
        *inputs, target = batch
        outputs = model(*inputs)
    else:
        raise ValueError(
            f"Formato de lote no reconocido ({type(batch).__name__}): se espera una tupla "
            "(entradas..., objetivo), un diccionario estilo Hugging Face o compute_loss=..."
        )
    loss = loss_fn(_logits_of(outputs) if isinstance(batch, Mapping) else outputs, target)
    ignore, class_weight = getattr(loss_fn, "ignore_index", None), getattr(loss_fn, "weight", None)
    return loss, outputs, target, _loss_weight(target, ignore, class_weight, n), n


def _loss_weight(targets: Any, ignore_index: int | None, class_weight: Any, n: int) -> Any:
    """Cuántos elementos promedia una entropía cruzada: objetivos ≠ ``ignore_index``.

    Con pesos por clase, la suma de los pesos de esos objetivos (así promedia PyTorch). Si no
    hay ``ignore_index`` o los objetivos no son etiquetas enteras, los ``n`` ejemplos.

    Ejemplo:
        >>> _loss_weight(torch.tensor([[5, 6, 0], [7, 0, 0]]), 0, None, 2)
        tensor(3)
    """
    if ignore_index is None or not isinstance(targets, Tensor) or targets.is_floating_point():
        return n
    keep = targets != ignore_index
    if isinstance(class_weight, Tensor):
        return class_weight[targets[keep]].sum()
    return keep.sum()


def _to_device(batch: Any, device: torch.device) -> Any:
    """Todos los tensores del lote al dispositivo (tuplas, listas y dicts anidados).

    En CPU no se copia nada: los lotes del ``DataLoader`` ya están ahí.
    """
    if device.type == "cpu":
        return batch
    from accelerate.utils import send_to_device

    return send_to_device(batch, device, non_blocking=device.type == "cuda")


# ---------------------------------------------------------------------------------------------
# Accelerate: un solo Accelerator por proceso
# ---------------------------------------------------------------------------------------------
_ACCELERATOR: Any = None


def _world_size() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def _precision(device: torch.device, amp: bool) -> str:
    """``"no"``, ``"bf16"`` o ``"fp16"``: precisión mixta solo en CUDA (ver ``amp_dtype``)."""
    dtype = amp_dtype(device) if amp else None
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, "no")


def _accelerator(device: torch.device | str | None, amp: bool) -> Any:
    """El ``accelerate.Accelerator`` del proceso, reutilizado entre llamadas.

    El estado de Accelerate es único por proceso: si una llamada pide otro dispositivo u otra
    precisión que la anterior, se reinicia ese estado (sin tocar el grupo de procesos de
    ``torchrun``) en lugar de fallar o ignorar la petición.
    """
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState

    global _ACCELERATOR
    distributed = _world_size() > 1
    if distributed:
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        dev = torch.device(device) if device is not None else get_device(verbose=False)
    key = (dev.type, _precision(dev, amp))
    if _ACCELERATOR is not None and _ACCELERATOR.curso_key == key:
        return _ACCELERATOR
    if _ACCELERATOR is not None or AcceleratorState._shared_state:
        AcceleratorState._reset_state(reset_partial_state=not distributed)
        GradientState._reset_state()
    accelerator = Accelerator(cpu=dev.type == "cpu", mixed_precision=key[1])
    if not distributed and accelerator.device.type != dev.type:
        raise ValueError(
            f"Se pidió el dispositivo {dev} pero Accelerate usa {accelerator.device}. Para "
            "elegir una GPU concreta, use CUDA_VISIBLE_DEVICES."
        )
    accelerator.curso_key = key
    _ACCELERATOR = accelerator
    return accelerator


def _prepare_eval_loader(accelerator: Any, loader: Any) -> Any:
    """Reparte el cargador de evaluación entre procesos sin rellenar el último lote.

    Con ``even_batches=True`` (lo normal al entrenar) Accelerate repite ejemplos para igualar
    los lotes, y la pérdida media de ese último lote saldría sesgada; aquí no se repite nada.
    """
    old = accelerator.even_batches
    accelerator.even_batches = False
    try:
        return accelerator.prepare_data_loader(loader)
    finally:
        accelerator.even_batches = old


# ---------------------------------------------------------------------------------------------
# Evaluación
# ---------------------------------------------------------------------------------------------
class _Concat:
    """Acumulador por defecto de una métrica: guarda salidas y objetivos y la llama al final."""

    def __init__(self, fn: Metric) -> None:
        self.fn = fn
        self.chunks: list[tuple[Tensor, Tensor]] = []

    def update(self, outputs: Tensor, targets: Tensor) -> None:
        self.chunks.append((outputs.detach().float().cpu(), targets.detach().cpu()))

    def compute(self) -> float:
        outs = _cat_for_metrics([o for o, _ in self.chunks])
        tgts = _cat_for_metrics([t for _, t in self.chunks])
        return float(self.fn(outs, tgts))


def _cat_for_metrics(chunks: list[Tensor]) -> Tensor:
    """Concatena salidas u objetivos por lotes; si las longitudes varían, aplana a tokens."""
    if len({tuple(c.shape[1:]) for c in chunks}) <= 1:
        return torch.cat(chunks, dim=0)
    return torch.cat([c.reshape(-1, *c.shape[2:]) for c in chunks], dim=0)


def _metric_accumulator(fn: Metric) -> Any:
    """El acumulador lote a lote de una métrica: el suyo (``fn.accumulator()``) o :class:`_Concat`.

    Ejemplo:
        >>> from utils.metrics import logits_accuracy
        >>> type(_metric_accumulator(functools.partial(logits_accuracy, ignore_index=0))).__name__
        'PredictionAccumulator'
    """
    base, kwargs = fn, {}
    if isinstance(fn, functools.partial) and not fn.args:
        base, kwargs = fn.func, fn.keywords
    factory = getattr(base, "accumulator", None)
    return factory(**kwargs) if callable(factory) else _Concat(fn)


def _run_eval(
    model: nn.Module,
    loader: Iterable[Any],
    *,
    loss_fn: Callable[..., Tensor],
    metrics: Mapping[str, Metric] | None,
    compute_loss: ComputeLoss | None,
    accelerator: Any,
) -> dict[str, float]:
    """Pérdida media (por token, ver la ayuda del módulo) y métricas sobre ``loader``."""
    device, distributed = accelerator.device, accelerator.num_processes > 1
    accumulators = {name: _metric_accumulator(fn) for name, fn in (metrics or {}).items()}
    totals = torch.zeros(2, dtype=torch.float64, device=device)  # [Σ pérdida × peso, Σ peso]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                batch = batch if distributed else _to_device(batch, device)
                with accelerator.autocast():
                    loss, outputs, targets, weight, _ = _forward(
                        model, batch, loss_fn, compute_loss
                    )
                totals[0] += loss.detach().double() * weight
                totals[1] += weight
                if accumulators:
                    out = _logits_of(outputs)
                    if not isinstance(out, Tensor) or not isinstance(targets, Tensor):
                        raise ValueError(
                            "Para calcular métricas hacen falta salidas y objetivos tensoriales; "
                            "con compute_loss, devuelva (loss, outputs, targets)."
                        )
                    for acc in accumulators.values():
                        acc.update(out, targets)
    finally:
        model.train(was_training)
    if distributed:  # cada proceso evaluó su parte: se suman pérdidas y se reúnen las métricas
        from accelerate.utils import gather_object

        totals = accelerator.reduce(totals, "sum")
        for acc in accumulators.values():
            acc.chunks = gather_object(acc.chunks)
    loss_sum, weight_sum = totals.tolist()
    if weight_sum == 0:
        raise ValueError("El cargador de evaluación está vacío: no hay lotes que evaluar.")
    result = {"loss": loss_sum / weight_sum}
    result.update({name: float(acc.compute()) for name, acc in accumulators.items()})
    return result


def evaluate(
    model: nn.Module,
    loader: Iterable[Any],
    *,
    loss_fn: Callable[..., Tensor] | None = None,
    metrics: Mapping[str, Metric] | None = None,
    compute_loss: ComputeLoss | None = None,
    device: torch.device | str | None = None,
    amp: bool = True,
) -> dict[str, float]:
    """Evalúa el modelo sobre ``loader``: pérdida media (por token) y métricas.

    ``device=None`` evalúa donde ya está el modelo. La pérdida se promedia sobre lo mismo que
    promedia ``loss_fn`` (los tokens sin relleno, ver la ayuda del módulo), así que no depende
    del tamaño de los lotes. Las métricas de ``utils.metrics`` se acumulan lote a lote sin
    guardar los *logits*; una función cualquiera ``fn(outputs, targets)`` recibe las salidas
    de todos los lotes concatenadas, en CPU y ``float32`` (las de secuencia se aplanan a tokens
    si la longitud varía entre lotes). Con varios procesos, cada uno evalúa su parte y se
    reúnen los resultados.

    Ejemplo:
        >>> evaluate(model, val_loader, metrics={"accuracy": acc})  # doctest: +SKIP
        {'loss': 0.41, 'accuracy': 0.83}
    """
    loss_fn = loss_fn if loss_fn is not None else _DefaultLoss()
    if device is None:  # por defecto, donde ya está el modelo (p. ej. la GPU tras fit)
        device = model_device(model, default=get_device(verbose=False))
    accelerator = _accelerator(device, amp)
    model.to(accelerator.device)
    if isinstance(loss_fn, nn.Module):
        loss_fn.to(accelerator.device)
    if accelerator.num_processes > 1:
        loader = _prepare_eval_loader(accelerator, loader)
    return _run_eval(model, loader, loss_fn=loss_fn, metrics=metrics,
                     compute_loss=compute_loss, accelerator=accelerator)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Entrenamiento
# ---------------------------------------------------------------------------------------------
def fit(
    model: nn.Module,
    train_loader: Iterable[Any],
    *,
    epochs: int = 1,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    loss_fn: Callable[..., Tensor] | None = None,
    val_loader: Iterable[Any] | None = None,
    metrics: Mapping[str, Metric] | None = None,
    compute_loss: ComputeLoss | None = None,
    scheduler: Any = None,
    scheduler_step: Literal["batch", "epoch"] | None = None,
    grad_clip: float | None = None,
    accumulation_steps: int = 1,
    early_stopping: int | None = None,
    monitor: str = "val_loss",
    mode: Literal["min", "max"] = "min",
    max_steps: int | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    device: torch.device | str | None = None,
    amp: bool = True,
    verbose: bool = True,
    log_grad_norm: bool = False,
) -> History:
    """Entrena ``model`` con ``train_loader`` y devuelve un :class:`History`.

    Lo esencial:

    - **Dispositivo**: por defecto ``get_device()`` (GPU si hay). En CUDA usa precisión mixta
      (bf16 si la GPU lo tiene nativo; si no, fp16 con ``GradScaler``); ``amp=False`` la
      desactiva. En CPU no hay autocast. Lo gestiona Accelerate.
    - **Optimizador**: si no se pasa, ``AdamW(model.parameters(), lr=lr)``; si se pasa, ``lr``
      no se usa.
    - **Pérdida**: ``loss_fn`` (por defecto ``nn.CrossEntropyLoss()``) o ``compute_loss``
      (ver la convención de lotes en la ayuda del módulo). Las pérdidas por época son medias
      por token (ver «Pérdida media por token» en la ayuda del módulo).
    - **Métricas**: ``metrics={"accuracy": fn}`` con ``fn(outputs, targets) -> float``; se
      calculan sobre ``val_loader`` y aparecen como ``val_accuracy``. Las de
      ``utils.metrics`` (``logits_accuracy``, ``logits_macro_f1``) se acumulan lote a lote
      guardando solo las clases predichas; una función cualquiera recibe todas las salidas.
    - ``scheduler`` y su **unidad**, ``scheduler_step``: ``"batch"`` (avanza tras cada paso
      real del optimizador; no avanza si ``GradScaler`` saltó el paso por gradientes
      infinitos) o ``"epoch"`` (al final de cada época). Si no se indica se deduce solo en
      los casos sin ambigüedad: ``OneCycleLR``, ``CyclicLR`` y los de ``transformers``
      (``get_linear_schedule_with_warmup``…) van por lote; ``ReduceLROnPlateau`` siempre va
      por época con el valor de ``monitor``. Con cualquier otro (``StepLR``,
      ``CosineAnnealingLR``…) hay que decirlo: es un error frecuente que un planificador
      pensado por épocas decaiga en cada lote.
    - ``grad_clip``: recorta la norma del gradiente (tras des-escalar en fp16).
      ``log_grad_norm=True`` guarda la norma media por época en ``grad_norm``.
    - ``accumulation_steps=k``: acumula gradientes de k lotes y da un paso del optimizador
      cada k lotes; el último grupo de la época, si es más corto, se promedia sobre sus
      propios lotes (también con cargadores sin ``len()``).
    - ``early_stopping=p``: para si ``monitor`` (``"val_loss"``, ``"val_<métrica>"`` o
      ``"train_loss"``) no mejora en p épocas, según ``mode`` (``"min"``/``"max"``), y al final
      restaura los pesos de la mejor época.
    - ``max_steps``: número máximo de pasos del optimizador (puede parar a mitad de época).
    - ``checkpoint_dir``: guarda ``last.pt`` al final de cada época y al llegar a
      ``max_steps`` (de forma atómica), y ``best.pt`` (solo pesos) cuando ``monitor`` mejora.
      ``resume=True`` continúa desde ``last.pt`` (también a mitad de época) y termina con los
      mismos pesos que un entrenamiento sin interrupción.
    - Una pérdida NaN o infinita detiene el entrenamiento con ``FloatingPointError``. En CPU se
      comprueba en cada lote; en GPU, para no sincronizar en cada paso, cada 50 lotes y al final
      de la época.
    - Varios procesos (``torchrun`` / ``accelerate launch``): la misma llamada; solo el proceso
      principal imprime y guarda checkpoints. Cada proceso recibe lotes de ``batch_size`` (el
      lote efectivo se multiplica por el número de procesos) y un planificador por lote
      avanza una vez por paso del optimizador. La reanudación exacta
      está garantizada con un solo proceso.

    El historial guarda por época ``train_loss``, ``val_loss``, ``val_<métrica>``, ``time_s``,
    ``examples_per_s`` (ejemplos = primera dimensión del objetivo o, en lotes-diccionario, del
    primer tensor), ``lr`` y, si se pide, ``grad_norm``.

    Ejemplo:
        >>> history = fit(model, train_loader, val_loader=val_loader, epochs=10,
        ...               early_stopping=3, grad_clip=1.0)  # doctest: +SKIP
        Entrenando en cpu (2 hilos) · 10 épocas · 32 lotes por época
        Época 1/10 · pérdida 0.6931 · val_pérdida 0.6500 · 0.4 s · 12,345 ej/s
        ...
    """
    n_batches = _check_loader(train_loader)
    metrics = dict(metrics or {})
    _validate(epochs=epochs, accumulation_steps=accumulation_steps, mode=mode,
              grad_clip=grad_clip, early_stopping=early_stopping, max_steps=max_steps)  # fmt: skip
    unit = _scheduler_unit(scheduler, scheduler_step)
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True necesita checkpoint_dir (la carpeta con last.pt).")
    track_best = _check_monitor(monitor, val_loader, metrics, early_stopping, unit)
    loss_fn = loss_fn if loss_fn is not None else _DefaultLoss()
    accelerator = _accelerator(device, amp)
    dev, say = accelerator.device, verbose and accelerator.is_main_process
    if isinstance(loss_fn, nn.Module):  # p. ej. CrossEntropyLoss(weight=...): pesos al dispositivo
        loss_fn.to(dev)
    raw_model = model
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=lr)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("El modelo no tiene parámetros entrenables (requires_grad=True).")
    try:
        accelerator.gradient_accumulation_steps = accumulation_steps
        model = accelerator.prepare_model(model)  # al dispositivo (y DDP con varios procesos)
        batch_scheduler = scheduler if unit == "batch" else None
        distributed = accelerator.num_processes > 1
        if distributed:
            train_loader = accelerator.prepare_data_loader(train_loader)
            val_loader = val_loader and _prepare_eval_loader(accelerator, val_loader)
        state = _TrainState(History(monitor=monitor))
        ckpt = None
        if checkpoint_dir is not None:
            ckpt = _Checkpoint(checkpoint_dir, raw_model, optimizer, scheduler, accelerator)
        if resume:
            state = ckpt.load(state, max_steps, train_loader, say)
        state.finished = state.finished or state.epoch >= epochs
        if say:
            _print_start(accelerator, dev, amp, epochs, n_batches, train_loader, state)
        eval_kw = dict(loss_fn=loss_fn, metrics=metrics, compute_loss=compute_loss)
        better = (lambda a, b: a < b) if mode == "min" else (lambda a, b: a > b)
        each_step = _sync_each_step(dev, distributed)
        accumulate, autocast = _step_contexts(accelerator, model)
        for epoch in range(state.epoch + 1, epochs + 1):
            if state.finished:
                break
            # --- fase de entrenamiento ------------------------------------------------------
            model.train()
            run = _Running.start(dev, each_step, state.partial)
            epoch_rng = (
                state.partial["rng_epoch_start"] if state.partial else _rng_state(train_loader)
            )
            batches = _epoch_batches(train_loader, state.partial)
            state.partial = None
            accelerator.step, micro, hit_max = 0, 0, False
            optimizer.zero_grad(set_to_none=True)
            bar = _progress_bar(say, n_batches, epoch, epochs, initial=run.batches)
            for batch in batches:
                batch = batch if distributed else _to_device(batch, dev)
                with accumulate():
                    with autocast():
                        loss, _, _, weight, n = _forward(model, batch, loss_fn, compute_loss)
                    run.add(loss, weight, n, epoch)
                    accelerator.backward(loss)
                    micro += 1
                    if accelerator.sync_gradients:
                        _optimizer_step(accelerator, optimizer, batch_scheduler, params,
                                        grad_clip, log_grad_norm, run, micro)  # fmt: skip
                        state.step, micro = state.step + 1, 0
                        hit_max = max_steps is not None and state.step >= max_steps
                _update_bar(bar, run)
                if hit_max:
                    break
            if micro > 0:  # último grupo incompleto (cargadores sin len() o sin preparar)
                accelerator.sync_gradients = True
                _optimizer_step(accelerator, optimizer, batch_scheduler, params,
                                grad_clip, log_grad_norm, run, micro)  # fmt: skip
                state.step += 1
                hit_max = max_steps is not None and state.step >= max_steps
            bar.close()
            if run.batches == 0:
                raise ValueError("train_loader no produjo ningún lote: no hay datos para entrenar.")
            entry = run.summary(accelerator, epoch, log_grad_norm)
            mid_epoch = hit_max and n_batches is not None and run.batches < n_batches
            before = state.snapshot(run, epoch_rng, train_loader) if mid_epoch else None
            # --- validación, mejor época, planificador --------------------------------------
            if val_loader is not None:
                val = _run_eval(raw_model, val_loader, accelerator=accelerator, **eval_kw)
                entry["val_loss"] = val.pop("loss")
                entry.update({f"val_{name}": value for name, value in val.items()})
            entry["time_s"] = time.perf_counter() - run.t0
            entry["lr"] = float(optimizer.param_groups[0]["lr"])
            if track_best:
                _track_best(state, entry, monitor, better, raw_model, early_stopping, ckpt)
            if unit == "plateau":
                scheduler.step(entry[monitor])
            elif unit == "epoch":
                scheduler.step()
            state.history.epochs.append(entry)
            state.epoch = epoch
            if say:
                print(_fmt_summary(entry, epochs))
            stop = early_stopping is not None and state.bad_epochs >= early_stopping
            state.history.stopped_early = stop
            state.finished = stop or hit_max
            if ckpt is not None:
                ckpt.save(state, before, train_loader)
            if say and stop:
                print(
                    f"Parada temprana: {monitor} no mejora desde hace {state.bad_epochs} épocas "
                    f"(mejor {state.best_value:.4f} en la época {state.history.best_epoch})."
                )
            if say and hit_max:
                print(f"Se alcanzó max_steps={max_steps} pasos del optimizador.")
        _restore_best(state, raw_model, early_stopping, monitor, say)
    finally:
        _release(accelerator, model)
    accelerator.wait_for_everyone()
    return state.history


# ---------------------------------------------------------------------------------------------
# Paso del optimizador y sumas de la época
# ---------------------------------------------------------------------------------------------
def _step_contexts(accelerator: Any, model: nn.Module) -> tuple[Callable, Callable]:
    """Los contextos de cada lote: ``accelerator.accumulate`` y ``accelerator.autocast``.

    Con un proceso y sin acumulación, ``accumulate`` no hace nada; sin precisión mixta,
    ``autocast`` tampoco. Aun así cuestan unos 50 µs por lote (del 5 al 8 % de un paso de un
    modelo pequeño en CPU, medido con ``make bench``), así que entonces se usan contextos vacíos.
    """
    if accelerator.gradient_accumulation_steps == 1 and accelerator.num_processes == 1:
        accelerator.sync_gradients = True  # cada lote es un paso, lo que fijaría ``accumulate``
        accumulate = contextlib.nullcontext
    else:
        accumulate = functools.partial(accelerator.accumulate, model)
    mixed = accelerator.mixed_precision != "no"
    return accumulate, accelerator.autocast if mixed else contextlib.nullcontext


def _optimizer_step(
    accelerator: Any,
    optimizer: Any,
    scheduler: Any,
    params: list[nn.Parameter],
    grad_clip: float | None,
    log_grad_norm: bool,
    run: _Running,
    micro: int,
) -> None:
    """Recorte (opcional) + paso del optimizador + planificador por lote.

    ``accelerator.backward`` divide cada pérdida entre ``accumulation_steps``; si el grupo
    tuvo menos lotes (``micro``), el gradiente se reescala para que sea la media de esos lotes.
    El planificador solo avanza si el paso se dio de verdad. (Se usa el optimizador tal cual,
    sin ``AcceleratedOptimizer``, cuyo ``step`` consulta el disco en cada paso.)
    """
    k = accelerator.gradient_accumulation_steps
    if micro != k:
        for p in params:
            if p.grad is not None:
                p.grad.mul_(k / micro)
    if grad_clip is not None or log_grad_norm:
        accelerator.unscale_gradients(optimizer=optimizer)  # fp16: gradientes reales
        if grad_clip is not None:
            norm = accelerator.clip_grad_norm_(params, grad_clip)
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
        run.add_grad_norm(norm, log_grad_norm)
    scaler = accelerator.scaler  # el GradScaler de fp16 que creó Accelerate (o None)
    if scaler is None:
        optimizer.step()
        taken = True
    else:  # GradScaler salta el paso si hay gradientes inf/NaN, y entonces baja la escala
        scale = scaler.get_scale()
        scaler.step(optimizer)
        scaler.update()
        taken = scaler.get_scale() >= scale
    if scheduler is not None and taken:
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)


class _Running:
    """Sumas de una época de entrenamiento: pérdida × peso, peso, ejemplos, norma del gradiente.

    En CPU (``each_step``) la pérdida se lee en cada lote (detecta el NaN en el lote exacto);
    en GPU se acumula como tensor y se lee cada ``_SYNC_EVERY_GPU`` lotes.
    """

    def __init__(self, device: torch.device, each_step: bool) -> None:
        self.device, self.each_step = device, each_step
        self.t0 = time.perf_counter()
        self.loss: Any = 0.0 if each_step else torch.zeros((), device=device)
        self.weight: Any = 0.0 if each_step else torch.zeros((), device=device)
        self.examples = 0
        self.batches = 0
        self.gn_sum = torch.zeros((), device=device)
        self.gn_count = torch.zeros((), device=device)

    @classmethod
    def start(cls, device: torch.device, each_step: bool, partial: dict | None) -> _Running:
        run = cls(device, each_step)
        if partial:  # reanudación a mitad de época: las sumas de los lotes ya vistos
            sums = partial["sums"]
            run.loss = sums["loss"] if each_step else torch.tensor(sums["loss"], device=device)
            run.weight = (
                sums["weight"] if each_step else torch.tensor(sums["weight"], device=device)
            )
            run.examples, run.batches = sums["examples"], sums["batches"]
            run.gn_sum.fill_(sums["gn_sum"])
            run.gn_count.fill_(sums["gn_count"])
            run.t0 -= sums["seconds"]
        return run

    def add(self, loss: Tensor, weight: Any, n: int, epoch: int) -> None:
        self.batches += 1
        self.examples += n
        if self.each_step:
            value, w = loss.item(), float(weight)
            if not math.isfinite(value):
                raise _non_finite_error(epoch, self.batches)
            self.loss += value * w
            self.weight += w
            return
        self.loss += loss.detach().float() * weight
        self.weight += weight
        if self.batches % _SYNC_EVERY_GPU == 0 and not math.isfinite(float(self.loss.item())):
            first = self.batches - _SYNC_EVERY_GPU + 1
            raise _non_finite_error(
                epoch, self.batches, f" (detectado entre los lotes {first} y {self.batches})"
            )

    def add_grad_norm(self, norm: Tensor, keep: bool) -> None:
        if keep:
            norm = norm.detach().float().to(self.gn_sum.device)
            finite = torch.isfinite(norm)
            self.gn_sum += torch.where(finite, norm, torch.zeros_like(norm))
            self.gn_count += finite.float()

    def sums(self) -> dict[str, float]:
        """Las sumas como números de Python (para el checkpoint a mitad de época)."""
        return {
            "loss": float(self.loss), "weight": float(self.weight), "examples": self.examples,
            "batches": self.batches, "gn_sum": float(self.gn_sum), "gn_count": float(self.gn_count),
            "seconds": time.perf_counter() - self.t0,
        }  # fmt: skip

    def summary(self, accelerator: Any, epoch: int, grad_norm: bool) -> dict[str, Any]:
        """Entrada del historial con la fase de entrenamiento (una sola sincronización)."""
        seconds = time.perf_counter() - self.t0
        totals = torch.tensor(
            [float(self.loss), float(self.weight), float(self.examples)],
            dtype=torch.float64, device=self.device,
        )  # fmt: skip
        if accelerator.num_processes > 1:
            totals = accelerator.reduce(totals, "sum")
        loss_sum, weight, examples = totals.tolist()
        train_loss = loss_sum / weight if weight else float("nan")
        if not math.isfinite(train_loss):
            raise _non_finite_error(epoch, self.batches, " (detectado al final de la época)")
        entry: dict[str, Any] = {"epoch": epoch, "train_loss": train_loss, "val_loss": None}
        entry["examples_per_s"] = examples / seconds if seconds > 0 else float("nan")
        if grad_norm:
            gn = torch.stack([self.gn_sum, self.gn_count])
            if accelerator.num_processes > 1:
                gn = accelerator.reduce(gn, "mean")
            entry["grad_norm"] = float(gn[0] / gn[1]) if gn[1] else float("nan")
        return entry


def _release(accelerator: Any, model: nn.Module) -> None:
    """Deja el Accelerator listo para el siguiente ``fit`` y el modelo sin envoltorios."""
    accelerator.unwrap_model(model, keep_fp32_wrapper=False)  # deshace el autocast de AMP
    accelerator.gradient_accumulation_steps = 1
    # Olvida lo preparado en esta llamada: es lo que hace accelerator.free_memory(), sin su
    # gc.collect(), que en un cuaderno con muchos datos cuesta segundos.
    for name in ("_models", "_optimizers", "_schedulers", "_dataloaders"):
        getattr(accelerator, name).clear()


def _non_finite_error(epoch: int, batch_idx: int, where: str = "") -> FloatingPointError:
    return FloatingPointError(
        f"La pérdida es NaN o infinita en la época {epoch}, lote {batch_idx}{where}. "
        "El entrenamiento se detuvo. Pruebe a bajar la tasa de aprendizaje (lr), a usar "
        "grad_clip=1.0 o a revisar que los datos no contengan NaN."
    )


def _sync_each_step(device: torch.device, distributed: bool) -> bool:
    """¿Leer la pérdida (``.item()``) en cada lote?

    En CPU con un proceso, sí: cuesta microsegundos y detecta un NaN en el lote exacto, antes
    de actualizar los pesos. En GPU (o con varios procesos) cada ``.item()`` obliga a esperar
    a la GPU, así que la pérdida se acumula como tensor y se lee cada ``_SYNC_EVERY_GPU`` lotes
    y al final de la época.
    """
    return device.type == "cpu" and not distributed


# ---------------------------------------------------------------------------------------------
# Estado del entrenamiento: mejor época, checkpoints, reanudación
# ---------------------------------------------------------------------------------------------
@dataclass
class _TrainState:
    """Lo que hay que guardar para continuar un entrenamiento exactamente donde se dejó."""

    history: History
    epoch: int = 0  # épocas terminadas
    step: int = 0  # pasos del optimizador
    best_value: float | None = None
    best_state: dict[str, Tensor] | None = None
    bad_epochs: int = 0
    finished: bool = False
    partial: dict[str, Any] | None = None  # época a medias (al parar por max_steps)

    def snapshot(self, run: _Running, epoch_rng: dict, loader: Any) -> _TrainState:
        """Copia del estado antes de cerrar una época a medias, para reanudarla desde aquí."""
        partial = {"sums": run.sums(), "rng_epoch_start": epoch_rng, "rng": _rng_state(loader)}
        history = History.from_dict(self.history.to_dict())
        return dataclasses.replace(self, history=history, partial=partial)


def _track_best(
    state: _TrainState,
    entry: Mapping[str, Any],
    monitor: str,
    better: Callable[[float, float], bool],
    model: nn.Module,
    early_stopping: int | None,
    ckpt: _Checkpoint | None,
) -> None:
    """Actualiza la mejor época (y ``best.pt``) o cuenta una época más sin mejorar."""
    current = entry[monitor]
    if current is not None and (state.best_value is None or better(current, state.best_value)):
        state.best_value = float(current)
        state.history.best_epoch, state.history.best_value = entry["epoch"], state.best_value
        state.bad_epochs = 0
        if early_stopping is not None:
            state.best_state = _cpu_state(model)
        if ckpt is not None:
            ckpt.save_best(model)
    else:
        state.bad_epochs += 1


def _restore_best(
    state: _TrainState, model: nn.Module, early_stopping: int | None, monitor: str, say: bool
) -> None:
    """Con parada temprana, deja en el modelo los pesos de la mejor época."""
    if early_stopping is None or state.best_state is None or not state.history.epochs:
        return
    if state.history.best_epoch != state.history.epochs[-1]["epoch"]:
        model.load_state_dict(state.best_state)
        if say:
            print(
                f"Se restauraron los pesos de la mejor época ({state.history.best_epoch}, "
                f"{monitor}={state.best_value:.4f})."
            )


class _Checkpoint:
    """``last.pt`` (todo lo necesario para reanudar) y ``best.pt`` (solo pesos) en una carpeta."""

    def __init__(
        self,
        folder: str | Path,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any,
        accelerator: Any,
    ) -> None:
        self.folder = Path(folder)
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.accelerator = accelerator
        self.is_main = accelerator.is_main_process

    def save_best(self, model: nn.Module) -> None:
        if self.is_main:
            _atomic_save(_cpu_state(model), self.folder / "best.pt")

    def save(self, state: _TrainState, before: _TrainState | None, loader: Any) -> None:
        """Guarda al final de la época; si paró a mitad (``before``), el estado de ese momento."""
        if not self.is_main:
            return
        saved = before or state
        model, optimizer, scheduler = self.model, self.optimizer, self.scheduler
        scaler = self.accelerator.scaler
        _atomic_save(
            {
                "model": _cpu_state(model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "scaler": scaler.state_dict() if scaler is not None else None,
                "epoch": saved.epoch,
                "global_step": state.step,
                "history": saved.history.to_dict(),
                "final_history": state.history.to_dict(),
                "best_value": saved.best_value,
                "bad_epochs": saved.bad_epochs,
                "best_state": saved.best_state,
                "partial": saved.partial,
                "rng": _rng_state(loader),
            },
            self.folder / "last.pt",
        )

    def load(
        self, state: _TrainState, max_steps: int | None, loader: Any, say: bool
    ) -> _TrainState:
        last = self.folder / "last.pt"
        model, optimizer, scheduler = self.model, self.optimizer, self.scheduler
        scaler = self.accelerator.scaler
        if not last.exists():
            if say:
                print(f"No hay checkpoint en {last}: se empieza desde cero.")
            return state
        ckpt = torch.load(last, map_location="cpu", weights_only=True)
        try:
            model.load_state_dict(ckpt["model"])
        except RuntimeError as exc:
            raise ValueError(
                f"El checkpoint {last} no corresponde a este modelo (¿cambió la "
                f"arquitectura?). Detalle: {exc}"
            ) from exc
        optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None and ckpt.get("scheduler") is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        if scaler is not None and ckpt.get("scaler"):
            scaler.load_state_dict(ckpt["scaler"])
        state = _TrainState(
            history=History.from_dict(ckpt["history"]),
            epoch=int(ckpt["epoch"]),
            step=int(ckpt["global_step"]),
            best_value=ckpt.get("best_value"),
            best_state=ckpt.get("best_state"),
            bad_epochs=int(ckpt.get("bad_epochs", 0)),
            partial=ckpt.get("partial"),
        )
        if max_steps is not None and state.step >= max_steps:  # ya terminado: lo que devolvió
            state.history, state.partial = History.from_dict(ckpt["final_history"]), None
        state.finished = (
            state.history.stopped_early
            or state.partial is None
            and (max_steps is not None and state.step >= max_steps)
        )
        if state.partial is None:
            _set_rng_state(ckpt["rng"], loader)
        if say:
            where = f" (a mitad de la época {state.epoch + 1})" if state.partial else ""
            print(f"Reanudando desde la época {state.epoch}{where} (paso {state.step}) de {last}")
        return state


def _epoch_batches(loader: Iterable[Any], partial: Mapping[str, Any] | None) -> Iterator[Any]:
    """Los lotes de una época; al reanudar a mitad de época, desde donde se dejó.

    Para reproducir el mismo orden se restaura el estado aleatorio del comienzo de la época,
    se recorren (sin entrenar) los lotes ya vistos y se restaura el estado aleatorio del
    momento del checkpoint (el de la regularización: *dropout*...).
    """
    if partial is None:
        yield from loader
        return
    _set_rng_state(partial["rng_epoch_start"], loader)
    iterator = iter(loader)
    for _ in range(partial["sums"]["batches"]):
        next(iterator)
    _set_rng_state(partial["rng"], loader)
    yield from iterator


def _rng_state(loader: Any = None) -> dict[str, Any]:
    """Estado de todos los generadores aleatorios (Python, NumPy, torch y los del cargador)."""
    py = random.getstate()
    np_state = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [
            str(np_state[0]),
            np.asarray(np_state[1]).tolist(),
            int(np_state[2]),
            int(np_state[3]),
            float(np_state[4]),
        ],
        "torch": torch.get_rng_state(),
        "loader": [g.get_state() for g in _loader_generators(loader)],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any], loader: Any = None) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = list(state["cuda"])
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)
    for gen, st in zip(_loader_generators(loader), state.get("loader", []), strict=False):
        gen.set_state(st)


def _loader_generators(loader: Any) -> list[torch.Generator]:
    """Generadores propios del DataLoader (si el usuario los pasó), para reanudar exactamente."""
    found: list[torch.Generator] = []
    candidates = [
        getattr(loader, "generator", None),
        getattr(getattr(loader, "sampler", None), "generator", None),
        getattr(
            getattr(getattr(loader, "batch_sampler", None), "sampler", None), "generator", None
        ),
    ]
    for g in candidates:
        if isinstance(g, torch.Generator) and all(g is not f for f in found):
            found.append(g)
    return found


def _atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` atómico (``utils.artifacts.atomic_write_bytes``)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _cpu_state(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------------------
# Comprobaciones de los argumentos
# ---------------------------------------------------------------------------------------------
def _check_loader(loader: Iterable[Any]) -> int | None:
    """Número de lotes (``None`` si el cargador no tiene ``len()``); error si está vacío."""
    try:
        n_batches: int | None = len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None
    if n_batches == 0:
        raise ValueError(
            "train_loader está vacío: no hay lotes para entrenar (¿conjunto vacío o "
            "drop_last=True con menos ejemplos que batch_size?)."
        )
    return n_batches


def _validate(
    *,
    epochs: int,
    accumulation_steps: int,
    mode: str,
    grad_clip: float | None,
    early_stopping: int | None,
    max_steps: int | None,
) -> None:
    def is_int(x: Any) -> bool:
        return isinstance(x, int) and not isinstance(x, bool)

    if not is_int(epochs) or epochs < 1:
        raise ValueError(f"epochs debe ser un entero ≥ 1; se recibió {epochs!r}.")
    if not is_int(accumulation_steps) or accumulation_steps < 1:
        raise ValueError(
            f"accumulation_steps debe ser un entero ≥ 1; se recibió {accumulation_steps!r}."
        )
    if mode not in ("min", "max"):
        raise ValueError(f"mode debe ser 'min' o 'max'; se recibió {mode!r}.")
    if grad_clip is not None and not (grad_clip > 0 and math.isfinite(grad_clip)):
        raise ValueError(
            f"grad_clip debe ser un número positivo (p. ej. 1.0); se recibió {grad_clip!r}."
        )
    if early_stopping is not None and (not is_int(early_stopping) or early_stopping < 1):
        raise ValueError(
            f"early_stopping es la paciencia en épocas: un entero ≥ 1; se recibió {early_stopping!r}."
        )
    if max_steps is not None and (not is_int(max_steps) or max_steps < 1):
        raise ValueError(f"max_steps debe ser un entero ≥ 1; se recibió {max_steps!r}.")


#: Planificadores que por diseño avanzan en cada paso del optimizador.
_PER_BATCH = (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR)


def _scheduler_unit(scheduler: Any, scheduler_step: str | None) -> str | None:
    """``"batch"``, ``"epoch"``, ``"plateau"`` o ``None`` (sin planificador).

    Ejemplo:
        >>> opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
        >>> _scheduler_unit(torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=9), None)
        'batch'
        >>> _scheduler_unit(torch.optim.lr_scheduler.StepLR(opt, 1), "epoch")
        'epoch'
    """
    if scheduler_step not in (None, "batch", "epoch"):
        raise ValueError(
            f"scheduler_step debe ser 'batch' o 'epoch'; se recibió {scheduler_step!r}."
        )
    if scheduler is None:
        return None
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        if scheduler_step == "batch":
            raise ValueError("ReduceLROnPlateau avanza por época (con el valor de monitor).")
        return "plateau"
    if scheduler_step is not None:
        return scheduler_step
    if isinstance(scheduler, _PER_BATCH) or _is_transformers_schedule(scheduler):
        return "batch"
    raise ValueError(
        f"Indique la unidad del planificador {type(scheduler).__name__}: "
        "scheduler_step='batch' (avanza tras cada paso del optimizador, p. ej. calentamiento "
        "lineal) o scheduler_step='epoch' (al final de cada época, p. ej. StepLR(step_size=2) "
        "= cada 2 épocas)."
    )


def _is_transformers_schedule(scheduler: Any) -> bool:
    """``True`` para los planificadores de ``transformers`` (``get_*_schedule_with_warmup``)."""
    lambdas = getattr(scheduler, "lr_lambdas", None) or []
    funcs = [getattr(f, "func", f) for f in lambdas]
    return bool(funcs) and all(
        getattr(f, "__module__", "").startswith("transformers.") for f in funcs
    )


def _check_monitor(
    monitor: str,
    val_loader: Any,
    metrics: Mapping[str, Any],
    early_stopping: int | None,
    unit: str | None,
) -> bool:
    """¿Se produce ``monitor``? Error claro si algo (parada temprana, plateau) lo necesita."""
    produced = {"train_loss"}
    if val_loader is not None:
        produced |= {"val_loss"} | {f"val_{m}" for m in metrics}
    if monitor in produced:
        return True
    if early_stopping is not None or unit == "plateau" or monitor != "val_loss":
        needs = "early_stopping" if early_stopping is not None else "el seguimiento"
        needs = "ReduceLROnPlateau" if unit == "plateau" else needs
        hint = " (no hay val_loader)" if val_loader is None and monitor.startswith("val_") else ""
        raise ValueError(
            f"monitor={monitor!r} no se produce en este entrenamiento{hint} y {needs} lo "
            f"necesita. Claves disponibles: {', '.join(sorted(produced))}."
        )
    return False


# ---------------------------------------------------------------------------------------------
# Salida por pantalla
# ---------------------------------------------------------------------------------------------
def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def _print_start(
    accelerator: Any,
    device: torch.device,
    amp: bool,
    epochs: int,
    n_batches: int | None,
    loader: Any,
    state: _TrainState,
) -> None:
    if state.finished:
        print("El entrenamiento guardado ya estaba terminado: no hay épocas pendientes.")
        return
    where = describe_device(device)
    if accelerator.num_processes > 1:
        where += f" con Accelerate ({accelerator.num_processes} procesos)"
    precision = accelerator.mixed_precision
    amp_txt = f" · precisión mixta {precision}" if amp and precision != "no" else ""
    lotes = f" · {n_batches} lotes por época" if n_batches is not None else ""
    print(f"Entrenando en {where}{amp_txt} · {epochs} épocas{lotes}")
    if device.type == "cuda" and getattr(loader, "pin_memory", True) is False:
        print("Consejo: DataLoader(..., pin_memory=True) acelera las copias a la GPU.")


def _progress_bar(say: bool, total: int | None, epoch: int, epochs: int, initial: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total, initial=initial, desc=f"Época {epoch}/{epochs}", leave=False,
        disable=(not say) or _env_flag("TQDM_DISABLE"), unit="lote", dynamic_ncols=True,
    )  # fmt: skip


def _update_bar(bar: Any, run: _Running) -> None:
    if bar.disable:
        return
    bar.update(1)
    if run.batches % (_POSTFIX_EVERY_CPU if run.each_step else _SYNC_EVERY_GPU) == 0:
        running = float(run.loss) / max(float(run.weight), 1e-12)
        bar.set_postfix({"pérdida": f"{running:.4f}"}, refresh=False)


def _fmt_summary(entry: Mapping[str, Any], epochs: int) -> str:
    parts = [f"Época {entry['epoch']}/{epochs}", f"pérdida {entry['train_loss']:.4f}"]
    for key, value in entry.items():
        if key.startswith("val_") and value is not None:
            name = "val_pérdida" if key == "val_loss" else key
            parts.append(f"{name} {value:.4f}")
    if "grad_norm" in entry:
        parts.append(f"norma_grad {entry['grad_norm']:.3g}")
    parts.append(f"{entry['time_s']:.1f} s")
    parts.append(f"{entry['examples_per_s']:,.0f} ej/s")
    return " · ".join(parts)
