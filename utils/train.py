"""El bucle de entrenamiento del curso: ``fit`` y ``evaluate``.

Un único bucle para todos los modelos de PyTorch del curso. Funciona igual en CPU, en una
GPU (con precisión mixta automática) y en varios procesos (``torchrun`` o
``accelerate launch``, a través de Hugging Face Accelerate).

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
  las métricas; pueden ser ``None``). También puede devolver solo la pérdida.

Todos los tensores del lote (también dentro de tuplas o diccionarios anidados) se mueven al
dispositivo. La pérdida por defecto es ``nn.CrossEntropyLoss()``; para modelos de lenguaje
(``logits: [B, T, V]`` frente a ``targets: [B, T]``) use ``sequence_cross_entropy()``.
La perplejidad es ``exp(val_loss)`` (ver ``utils.metrics.perplexity``).

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
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

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
# Piezas internas
# ---------------------------------------------------------------------------------------------
def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def _world_size() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def _to_device(obj: Any, device: torch.device, non_blocking: bool) -> Any:
    """Mueve al dispositivo todos los tensores de ``obj`` (tuplas, listas y dicts anidados)."""
    if isinstance(obj, Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, Mapping):
        return {k: _to_device(v, device, non_blocking) for k, v in obj.items()}
    if isinstance(obj, tuple):
        moved = [_to_device(v, device, non_blocking) for v in obj]
        return type(obj)(*moved) if hasattr(obj, "_fields") else tuple(moved)
    if isinstance(obj, list):
        return [_to_device(v, device, non_blocking) for v in obj]
    return obj


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
    explicit_loss_fn: bool,
) -> tuple[Tensor, Any, Any]:
    """Un paso hacia delante según la convención de lotes: devuelve (pérdida, salidas, objetivos)."""
    if compute_loss is not None:
        result = compute_loss(model, batch)
        if isinstance(result, Tensor):
            return result, None, None
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise ValueError(
                "compute_loss(model, batch) debe devolver (loss, outputs, targets) o solo la "
                f"pérdida; devolvió {type(result).__name__}."
            )
        return result[0], result[1], result[2]
    if isinstance(batch, Mapping):
        outputs = model(**batch)
        labels = batch.get("labels")
        loss = None if explicit_loss_fn else _get_field(outputs, "loss")
        if loss is None:
            if labels is None:
                raise ValueError(
                    "El lote es un diccionario sin 'labels' y el modelo no devolvió 'loss': "
                    "añada 'labels' al lote o pase compute_loss=..."
                )
            loss = loss_fn(_logits_of(outputs), labels)
        return loss, outputs, labels
    if isinstance(batch, (tuple, list)):
        if len(batch) < 2:
            raise ValueError(
                "Cada lote debe ser (entradas..., objetivo) con al menos dos elementos; "
                f"se recibió una secuencia de {len(batch)}. Use compute_loss para otros formatos."
            )
        *inputs, target = batch
        outputs = model(*inputs)
        return loss_fn(outputs, target), outputs, target
    raise ValueError(
        f"Formato de lote no reconocido ({type(batch).__name__}): se espera una tupla "
        "(entradas..., objetivo), un diccionario estilo Hugging Face o compute_loss=..."
    )


def _non_finite_error(epoch: int, batch_idx: int, where: str = "") -> FloatingPointError:
    return FloatingPointError(
        f"La pérdida es NaN o infinita en la época {epoch}, lote {batch_idx}{where}. "
        "El entrenamiento se detuvo. Pruebe a bajar la tasa de aprendizaje (lr), a usar "
        "grad_clip=1.0 o a revisar que los datos no contengan NaN."
    )


def _cat_for_metrics(chunks: list[Tensor]) -> Tensor:
    """Concatena salidas u objetivos por lotes; si las longitudes varían, aplana a tokens."""
    if len({tuple(c.shape[1:]) for c in chunks}) <= 1:
        return torch.cat(chunks, dim=0)
    return torch.cat([c.reshape(-1, *c.shape[2:]) for c in chunks], dim=0)


def _rng_state() -> dict[str, Any]:
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
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = list(state["cuda"])
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)


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
    """Guarda con ``torch.save`` en un temporal de la misma carpeta y lo renombra (atómico)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _cpu_state(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


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


def _validate(
    *,
    epochs: int,
    accumulation_steps: int,
    mode: str,
    grad_clip: float | None,
    early_stopping: int | None,
    max_steps: int | None,
    scheduler_step: str,
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
    if scheduler_step not in ("batch", "epoch"):
        raise ValueError(
            f"scheduler_step debe ser 'batch' o 'epoch'; se recibió {scheduler_step!r}."
        )


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


def _sync_each_step(device: torch.device, distributed: bool) -> bool:
    """¿Leer la pérdida (``.item()``) en cada lote?

    En CPU con un proceso, sí: cuesta microsegundos y detecta un NaN en el lote exacto, antes
    de actualizar los pesos. En GPU (o con varios procesos) cada ``.item()`` obliga a esperar
    a la GPU, así que la pérdida se acumula como tensor y se lee cada ``_SYNC_EVERY_GPU`` lotes
    y al final de la época.
    """
    return device.type == "cpu" and not distributed


def _make_accelerator(amp: bool) -> Any:
    """Crea un ``accelerate.Accelerator`` con la misma lógica de precisión que el camino simple."""
    from accelerate import Accelerator

    has_cuda = torch.cuda.is_available()
    mixed = "no"
    if amp and has_cuda:
        mixed = "bf16" if amp_dtype("cuda") == torch.bfloat16 else "fp16"
    return Accelerator(cpu=not has_cuda, mixed_precision=mixed)


# ---------------------------------------------------------------------------------------------
# Evaluación
# ---------------------------------------------------------------------------------------------
def _run_eval(
    model: nn.Module,
    loader: Iterable[Any],
    *,
    loss_fn: Callable[..., Tensor],
    explicit_loss_fn: bool,
    metrics: Mapping[str, Metric] | None,
    compute_loss: ComputeLoss | None,
    device: torch.device,
    move: bool,
    non_blocking: bool,
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
    accelerator: Any = None,
) -> dict[str, float]:
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    count = 0
    outs: list[Tensor] = []
    tgts: list[Tensor] = []
    try:
        with torch.no_grad():
            for batch in loader:
                if move:
                    batch = _to_device(batch, device, non_blocking)
                with autocast():
                    loss, outputs, targets = _forward(
                        model, batch, loss_fn, compute_loss, explicit_loss_fn
                    )
                n = _count_examples(batch)
                loss_sum += loss.detach().double() * n
                count += n
                if metrics:
                    out = _logits_of(outputs)
                    if not isinstance(out, Tensor) or not isinstance(targets, Tensor):
                        raise ValueError(
                            "Para calcular métricas hacen falta salidas y objetivos tensoriales; "
                            "con compute_loss, devuelva (loss, outputs, targets)."
                        )
                    outs.append(out.detach().float().cpu())
                    tgts.append(targets.detach().cpu())
    finally:
        model.train(was_training)
    if accelerator is not None:
        # Con varios procesos, cada uno evaluó su parte (sin lotes duplicados, ver
        # _prepare_eval_loader): se suman pérdidas y ejemplos, y se reúnen salidas y objetivos.
        totals = accelerator.reduce(
            torch.stack([loss_sum, torch.tensor(float(count), dtype=torch.float64, device=device)]),
            "sum",
        )
        loss_sum, count = totals[0], int(totals[1].item())
        if metrics:
            from accelerate.utils import gather_object

            outs, tgts = gather_object(outs), gather_object(tgts)
    if count == 0:
        raise ValueError("El cargador de evaluación está vacío: no hay lotes que evaluar.")
    mean_loss = float(loss_sum.item() / count)
    result: dict[str, float] = {"loss": mean_loss}
    if metrics:
        all_out, all_tgt = _cat_for_metrics(outs), _cat_for_metrics(tgts)
        for name, fn in metrics.items():
            result[name] = float(fn(all_out, all_tgt))
    return result


def _autocast_factory(device: torch.device, amp: bool) -> Callable[[], Any]:
    dtype = amp_dtype(device) if amp else None
    if device.type == "cuda" and dtype is not None:
        return lambda: torch.autocast("cuda", dtype=dtype)
    null = contextlib.nullcontext()
    return lambda: null


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
    """Evalúa el modelo sobre ``loader``: pérdida media por ejemplo y métricas.

    ``device=None`` evalúa donde ya está el modelo. Las métricas reciben ``(outputs,
    targets)`` concatenados de todos los lotes, en CPU y ``float32`` (las salidas); las salidas
    de secuencia se entregan tal cual (o aplanadas a tokens si la longitud varía entre lotes) y
    la métrica decide. Sin métricas no se guardan las salidas (ahorra memoria en modelos de
    lenguaje). Con varios procesos, cada uno evalúa su parte y se reúnen los resultados.

    Ejemplo:
        >>> evaluate(model, val_loader, metrics={"accuracy": acc})  # doctest: +SKIP
        {'loss': 0.41, 'accuracy': 0.83}
    """
    explicit = loss_fn is not None
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    if _world_size() > 1:
        accelerator = _make_accelerator(amp)
        dev = accelerator.device
        model.to(dev)
        prepared = _prepare_eval_loader(accelerator, loader)
        return _run_eval(
            model, prepared, loss_fn=loss_fn, explicit_loss_fn=explicit,
            metrics=metrics, compute_loss=compute_loss, device=dev, move=False,
            non_blocking=False, autocast=accelerator.autocast, accelerator=accelerator,
        )  # fmt: skip
    if device is not None:
        dev = torch.device(device)
    else:  # por defecto, donde ya está el modelo (p. ej. la GPU tras fit)
        dev = model_device(model, default=get_device(verbose=False))
    model.to(dev)
    if isinstance(loss_fn, nn.Module):
        loss_fn.to(dev)
    return _run_eval(
        model, loader, loss_fn=loss_fn, explicit_loss_fn=explicit, metrics=metrics,
        compute_loss=compute_loss, device=dev, move=True, non_blocking=dev.type == "cuda",
        autocast=_autocast_factory(dev, amp),
    )  # fmt: skip


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
    scheduler_step: Literal["batch", "epoch"] = "batch",
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
      (``torch.autocast`` con bf16 si la GPU lo soporta; si no fp16 con ``GradScaler``);
      ``amp=False`` la desactiva. En CPU no hay autocast.
    - **Optimizador**: si no se pasa, ``AdamW(model.parameters(), lr=lr)``; si se pasa, ``lr``
      no se usa.
    - **Pérdida**: ``loss_fn`` (por defecto ``nn.CrossEntropyLoss()``) o ``compute_loss``
      (ver la convención de lotes en la ayuda del módulo).
    - **Métricas**: ``metrics={"accuracy": fn}`` con ``fn(outputs, targets) -> float``; se
      calculan sobre ``val_loader`` y aparecen como ``val_accuracy``.
    - ``scheduler`` avanza por lote (``scheduler_step="batch"``, tras cada paso del
      optimizador) o por época; ``ReduceLROnPlateau`` siempre por época con el valor de ``monitor``.
    - ``grad_clip``: recorta la norma del gradiente (tras des-escalar en fp16).
      ``log_grad_norm=True`` guarda la norma media por época en ``grad_norm``.
    - ``accumulation_steps=k``: acumula gradientes de k lotes (pérdida dividida entre k) y da un
      paso del optimizador cada k lotes y al final de la época.
    - ``early_stopping=p``: para si ``monitor`` (``"val_loss"``, ``"val_<métrica>"`` o
      ``"train_loss"``) no mejora en p épocas, según ``mode`` (``"min"``/``"max"``), y al final
      restaura los pesos de la mejor época.
    - ``max_steps``: número máximo de pasos del optimizador (puede parar a mitad de época).
    - ``checkpoint_dir``: guarda ``last.pt`` al final de cada época (de forma atómica) y
      ``best.pt`` (solo pesos) cuando ``monitor`` mejora. ``resume=True`` continúa desde
      ``last.pt`` y termina con los mismos pesos que un entrenamiento sin interrupción.
    - Una pérdida NaN o infinita detiene el entrenamiento con ``FloatingPointError``. En CPU se
      comprueba en cada lote; en GPU, para no sincronizar en cada paso, cada 50 lotes y al final
      de la época.
    - Varios procesos (``torchrun`` / ``accelerate launch``): se usa Hugging Face Accelerate sin
      cambiar la llamada; solo el proceso principal imprime y guarda checkpoints. Cada proceso
      recibe lotes de ``batch_size`` (el lote efectivo se multiplica por el número de procesos)
      y, como es norma en Accelerate, un planificador por lote avanza una vez por proceso en
      cada paso. La reanudación exacta está garantizada con un solo proceso.

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
    _validate(
        epochs=epochs,
        accumulation_steps=accumulation_steps,
        mode=mode,
        grad_clip=grad_clip,
        early_stopping=early_stopping,
        max_steps=max_steps,
        scheduler_step=scheduler_step,
    )
    try:
        n_batches: int | None = len(train_loader)  # type: ignore[arg-type]
    except TypeError:
        n_batches = None
    if n_batches == 0:
        raise ValueError(
            "train_loader está vacío: no hay lotes para entrenar (¿conjunto vacío o "
            "drop_last=True con menos ejemplos que batch_size?)."
        )
    metrics = dict(metrics) if metrics else {}
    produced = {"train_loss"}
    if val_loader is not None:
        produced |= {"val_loss"} | {f"val_{m}" for m in metrics}
    is_plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    track_best = monitor in produced
    if not track_best and (early_stopping is not None or is_plateau or monitor != "val_loss"):
        needs = "early_stopping" if early_stopping is not None else "el seguimiento"
        if is_plateau:
            needs = "ReduceLROnPlateau"
        hint = " (no hay val_loader)" if val_loader is None and monitor.startswith("val_") else ""
        raise ValueError(
            f"monitor={monitor!r} no se produce en este entrenamiento{hint} y {needs} lo "
            f"necesita. Claves disponibles: {', '.join(sorted(produced))}."
        )

    explicit_loss_fn = loss_fn is not None
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()

    # --- dispositivo y (si hay varios procesos) Accelerate --------------------------------
    distributed = _world_size() > 1
    accelerator: Any = None
    raw_model = model
    if distributed:
        accelerator = _make_accelerator(amp)
        dev = accelerator.device
        is_main = bool(accelerator.is_main_process)
        raw_model.to(dev)
    else:
        dev = torch.device(device) if device is not None else get_device(verbose=False)
        is_main = True
        model.to(dev)
    if isinstance(loss_fn, nn.Module):  # p. ej. CrossEntropyLoss(weight=...): pesos al dispositivo
        loss_fn.to(dev)
    say = verbose and is_main
    use_cuda = dev.type == "cuda"
    non_blocking = use_cuda
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    raw_optimizer = optimizer
    raw_scheduler = scheduler
    fp16 = use_cuda and amp and amp_dtype(dev) == torch.float16
    scaler = torch.amp.GradScaler("cuda") if (fp16 and not distributed) else None

    if distributed:
        prep_sched = scheduler is not None and scheduler_step == "batch" and not is_plateau
        to_prepare: list[Any] = [model, optimizer, train_loader]
        if prep_sched:
            to_prepare.append(scheduler)
        prepared = list(accelerator.prepare(*to_prepare))
        model, optimizer, train_loader = prepared[0], prepared[1], prepared[2]
        if prep_sched:
            scheduler = prepared[3]
        if val_loader is not None:
            val_loader = _prepare_eval_loader(accelerator, val_loader)
        n_batches = len(train_loader)  # type: ignore[arg-type]
        autocast: Callable[[], Any] = accelerator.autocast
        move = False
    else:
        autocast = _autocast_factory(dev, amp)
        move = True

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("El modelo no tiene parámetros entrenables (requires_grad=True).")
    check_each_step = _sync_each_step(dev, distributed)
    sync_every = 1 if check_each_step else _SYNC_EVERY_GPU

    # --- estado y reanudación ---------------------------------------------------------------
    history = History(monitor=monitor)
    start_epoch = 0
    global_step = 0
    best_value: float | None = None
    best_state: dict[str, Tensor] | None = None
    bad_epochs = 0
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if resume and ckpt_dir is None:
        raise ValueError("resume=True necesita checkpoint_dir (la carpeta con last.pt).")
    if resume and ckpt_dir is not None:
        last = ckpt_dir / "last.pt"
        if last.exists():
            ckpt = torch.load(last, map_location="cpu", weights_only=True)
            try:
                raw_model.load_state_dict(ckpt["model"])
            except RuntimeError as exc:
                raise ValueError(
                    f"El checkpoint {last} no corresponde a este modelo (¿cambió la "
                    f"arquitectura?). Detalle: {exc}"
                ) from exc
            raw_optimizer.load_state_dict(ckpt["optimizer"])
            if raw_scheduler is not None and ckpt.get("scheduler") is not None:
                raw_scheduler.load_state_dict(ckpt["scheduler"])
            if scaler is not None and ckpt.get("scaler"):
                scaler.load_state_dict(ckpt["scaler"])
            history = History.from_dict(ckpt["history"])
            start_epoch = int(ckpt["epoch"])
            global_step = int(ckpt["global_step"])
            best_value = ckpt.get("best_value")
            bad_epochs = int(ckpt.get("bad_epochs", 0))
            best_state = ckpt.get("best_state")
            _set_rng_state(ckpt["rng"])
            for gen, st in zip(
                _loader_generators(train_loader), ckpt.get("loader_rng", []), strict=False
            ):
                gen.set_state(st)
            if say:
                print(f"Reanudando desde la época {start_epoch} (paso {global_step}) de {last}")
        elif say:
            print(f"No hay checkpoint en {last}: se empieza desde cero.")

    finished = (
        history.stopped_early
        or start_epoch >= epochs
        or (max_steps is not None and global_step >= max_steps)
    )
    if say and not finished:
        if distributed:
            donde = f"{describe_device(dev)} con Accelerate ({accelerator.num_processes} procesos)"
        else:
            donde = describe_device(dev)
        amp_txt = ""
        if use_cuda and amp:
            amp_txt = f" · precisión mixta {'fp16' if fp16 else 'bf16'}"
        lotes = f" · {n_batches} lotes por época" if n_batches is not None else ""
        print(f"Entrenando en {donde}{amp_txt} · {epochs} épocas{lotes}")
        if use_cuda and getattr(train_loader, "pin_memory", True) is False and not distributed:
            print("Consejo: DataLoader(..., pin_memory=True) acelera las copias a la GPU.")

    if say and finished and start_epoch > 0:
        print("El entrenamiento guardado ya estaba terminado: no hay épocas pendientes.")

    from tqdm.auto import tqdm

    disable_bar = (not say) or _env_flag("TQDM_DISABLE")
    better = (lambda a, b: a < b) if mode == "min" else (lambda a, b: a > b)

    for epoch in range(start_epoch + 1, epochs + 1):
        if finished:
            break
        model.train()
        t0 = time.perf_counter()
        loss_total = 0.0  # CPU: suma de pérdida × ejemplos en float de Python
        loss_acc = torch.zeros((), device=dev)  # GPU/varios procesos: acumulada en el dispositivo
        examples = 0
        gn_sum = torch.zeros((), device=dev)
        gn_count = torch.zeros((), device=dev)
        micro = 0
        group = accumulation_steps
        hit_max = False
        bar = tqdm(
            total=n_batches, desc=f"Época {epoch}/{epochs}", leave=False, disable=disable_bar,
            unit="lote", dynamic_ncols=True,
        )  # fmt: skip
        optimizer.zero_grad(set_to_none=True)
        i = 0
        for i, batch in enumerate(train_loader, start=1):
            if move:
                batch = _to_device(batch, dev, non_blocking)
            n = _count_examples(batch)
            if micro == 0 and accumulation_steps > 1 and n_batches is not None:
                group = min(accumulation_steps, n_batches - (i - 1))
            with autocast():
                loss = _forward(model, batch, loss_fn, compute_loss, explicit_loss_fn)[0]
            if check_each_step:
                value = loss.item()
                if not math.isfinite(value):
                    raise _non_finite_error(epoch, i)
                loss_total += value * n
            else:
                loss_acc += loss.detach().float() * n
                if i % sync_every == 0:
                    acc = accelerator.reduce(loss_acc.clone(), "sum") if distributed else loss_acc
                    value = float(acc.item())
                    if not math.isfinite(value):
                        raise _non_finite_error(
                            epoch, i, f" (detectado entre los lotes {i - sync_every + 1} y {i})"
                        )
            examples += n
            micro += 1
            step_now = micro == group
            scaled = loss / group if group != 1 else loss
            if distributed:
                if step_now or n_batches is None:  # sin len() no se sabe cuál es el último lote
                    accelerator.backward(scaled)
                else:
                    with accelerator.no_sync(model):
                        accelerator.backward(scaled)
            elif scaler is not None:
                scaler.scale(scaled).backward()
            else:
                scaled.backward()
            if step_now:
                _optimizer_step(
                    optimizer,
                    params,
                    scaler,
                    accelerator,
                    grad_clip,
                    log_grad_norm,
                    gn_sum,
                    gn_count,
                )
                if scheduler is not None and scheduler_step == "batch" and not is_plateau:
                    scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                micro = 0
                global_step += 1
                if max_steps is not None and global_step >= max_steps:
                    hit_max = True
            if not disable_bar:
                bar.update(1)
                if i % (_POSTFIX_EVERY_CPU if check_each_step else sync_every) == 0:
                    running = loss_total if check_each_step else float(loss_acc.item())
                    bar.set_postfix({"pérdida": f"{running / max(examples, 1):.4f}"}, refresh=False)
            if hit_max:
                break
        if micro > 0:  # lotes sobrantes al final de la época (cargadores sin len())
            _optimizer_step(
                optimizer, params, scaler, accelerator, grad_clip, log_grad_norm, gn_sum, gn_count
            )
            if scheduler is not None and scheduler_step == "batch" and not is_plateau:
                scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            global_step += 1
            hit_max = max_steps is not None and global_step >= max_steps
        bar.close()
        if i == 0:
            raise ValueError("train_loader no produjo ningún lote: no hay datos para entrenar.")

        # --- resumen de la fase de entrenamiento (una sola sincronización) --------------------
        if distributed:
            totals = accelerator.reduce(
                torch.stack([loss_acc, torch.tensor(float(examples), device=dev)]), "sum"
            )
            loss_total, examples_all = float(totals[0].item()), int(totals[1].item())
        else:
            if not check_each_step:
                loss_total = float(loss_acc.item())
            examples_all = examples
        train_time = time.perf_counter() - t0
        train_loss = loss_total / max(examples_all, 1)
        if not math.isfinite(train_loss):
            raise _non_finite_error(epoch, i, " (detectado al final de la época)")

        entry: dict[str, Any] = {"epoch": epoch, "train_loss": train_loss, "val_loss": None}
        if val_loader is not None:
            val = _run_eval(
                raw_model, val_loader, loss_fn=loss_fn, explicit_loss_fn=explicit_loss_fn,
                metrics=metrics, compute_loss=compute_loss, device=dev, move=move,
                non_blocking=non_blocking, autocast=autocast, accelerator=accelerator,
            )  # fmt: skip
            entry["val_loss"] = val.pop("loss")
            for name, value in val.items():
                entry[f"val_{name}"] = value
        entry["time_s"] = time.perf_counter() - t0
        entry["examples_per_s"] = examples_all / train_time if train_time > 0 else float("nan")
        entry["lr"] = float(raw_optimizer.param_groups[0]["lr"])
        if log_grad_norm:
            if distributed:
                gn = accelerator.reduce(torch.stack([gn_sum, gn_count]), "mean")
                gn_sum, gn_count = gn[0], gn[1]
            count = float(gn_count.item())
            entry["grad_norm"] = float(gn_sum.item()) / count if count else float("nan")

        # --- mejor época, parada temprana, planificador ---------------------------------------
        if track_best:
            current = entry[monitor]
            if current is not None and (best_value is None or better(current, best_value)):
                best_value = float(current)
                history.best_epoch, history.best_value = epoch, best_value
                bad_epochs = 0
                if early_stopping is not None:
                    best_state = _cpu_state(raw_model)
                if ckpt_dir is not None and is_main:
                    _atomic_save(_cpu_state(raw_model), ckpt_dir / "best.pt")
            else:
                bad_epochs += 1
        if scheduler is not None:
            if is_plateau:
                scheduler.step(entry[monitor])
            elif scheduler_step == "epoch":
                scheduler.step()
        history.epochs.append(entry)
        if say:
            print(_fmt_summary(entry, epochs))
        stop = early_stopping is not None and bad_epochs >= early_stopping
        if stop:
            history.stopped_early = True
        finished = stop or hit_max

        if ckpt_dir is not None and is_main:
            ckpt_out: dict[str, Any] = {
                "model": _cpu_state(raw_model),
                "optimizer": raw_optimizer.state_dict(),
                "scheduler": raw_scheduler.state_dict() if raw_scheduler is not None else None,
                "scaler": scaler.state_dict() if scaler is not None else None,
                "epoch": epoch,
                "global_step": global_step,
                "history": history.to_dict(),
                "best_value": best_value,
                "bad_epochs": bad_epochs,
                "best_state": best_state,
                "rng": _rng_state(),
                "loader_rng": [g.get_state() for g in _loader_generators(train_loader)],
            }
            _atomic_save(ckpt_out, ckpt_dir / "last.pt")
        if say and stop:
            print(
                f"Parada temprana: {monitor} no mejora desde hace {bad_epochs} épocas "
                f"(mejor {best_value:.4f} en la época {history.best_epoch})."
            )
        if say and hit_max:
            print(f"Se alcanzó max_steps={max_steps} pasos del optimizador.")

    if early_stopping is not None and best_state is not None:
        last_epoch = history.epochs[-1]["epoch"] if history.epochs else None
        if history.best_epoch != last_epoch:
            raw_model.load_state_dict(best_state)
            if say:
                print(
                    f"Se restauraron los pesos de la mejor época ({history.best_epoch}, "
                    f"{monitor}={best_value:.4f})."
                )
    if distributed:
        accelerator.wait_for_everyone()
    return history


def _optimizer_step(
    optimizer: Any,
    params: list[nn.Parameter],
    scaler: torch.amp.GradScaler | None,
    accelerator: Any,
    grad_clip: float | None,
    log_grad_norm: bool,
    gn_sum: Tensor,
    gn_count: Tensor,
) -> None:
    """Recorte (opcional) + paso del optimizador, con o sin GradScaler / Accelerate."""
    if grad_clip is not None or log_grad_norm:
        if accelerator is not None:
            if grad_clip is not None:
                norm = accelerator.clip_grad_norm_(params, grad_clip)
            else:
                accelerator.unscale_gradients()
                norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
        else:
            if scaler is not None:
                scaler.unscale_(optimizer)
            if grad_clip is not None:
                norm = torch.nn.utils.clip_grad_norm_(params, grad_clip)
            else:
                norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
        if log_grad_norm:
            norm = norm.detach().float().to(gn_sum.device)
            finite = torch.isfinite(norm)
            gn_sum += torch.where(finite, norm, torch.zeros_like(norm))
            gn_count += finite.float()
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
