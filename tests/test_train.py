"""Pruebas de ``utils.train`` (bucle de entrenamiento) y ``utils.bench``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from utils.seed import set_seed
from utils.train import History, evaluate, fit, sequence_cross_entropy

REPO = Path(__file__).resolve().parent.parent
CPU = torch.device("cpu")


pytestmark = pytest.mark.usefixtures("one_thread")


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    return (outputs.argmax(-1) == targets).float().mean().item()


def separable(n: int = 256, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)  # x: [n, 2]
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()  # y: [n]
    return TensorDataset(x, y)


def mlp(dropout: float = 0.0) -> nn.Module:
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))


class CountingSGD(torch.optim.SGD):
    """SGD que cuenta sus pasos y guarda la norma del gradiente que ve en cada uno."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.n_steps = 0
        self.norms: list[float] = []

    def step(self, closure=None):  # type: ignore[override]
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        self.norms.append(float(torch.nn.utils.get_total_norm(grads)))
        self.n_steps += 1
        return super().step(closure)


def strip_times(h: History) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in ("time_s", "examples_per_s")} for e in h.epochs]


# ---------------------------------------------------------------------------------------------
def test_fit_learns_separable_problem(capsys):
    set_seed(0)
    train, val = separable(512, 0), separable(256, 1)
    model = mlp()
    h = fit(
        model,
        DataLoader(train, batch_size=32, shuffle=True),
        val_loader=DataLoader(val, batch_size=64),
        epochs=5,
        lr=1e-2,
        metrics={"accuracy": accuracy},
        device="cpu",
    )
    assert h["train_loss"][-1] < 0.3 < h["train_loss"][0] + 0.2
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert h["val_accuracy"][-1] > 0.9
    assert set(h.epochs[0]) >= {"epoch", "train_loss", "val_loss", "val_accuracy", "time_s"}
    assert h.epochs[0]["examples_per_s"] > 0 and h.epochs[0]["lr"] == pytest.approx(1e-2)
    out = capsys.readouterr().out
    assert "Entrenando en cpu" in out
    assert "Época 5/5 · pérdida" in out and "val_pérdida" in out and "ej/s" in out
    # evaluate por separado da lo mismo que la última época
    res = evaluate(model, DataLoader(val, batch_size=50), metrics={"accuracy": accuracy})
    assert res["loss"] == pytest.approx(h["val_loss"][-1], rel=1e-5)
    assert res["accuracy"] == pytest.approx(h["val_accuracy"][-1])
    # History: DataFrame, dict de ida y vuelta, gráfico
    frame = h.to_frame()
    assert list(frame.index) == [1, 2, 3, 4, 5]
    assert History.from_dict(h.to_dict()) == h
    assert h.best_epoch is not None and h.monitor == "val_loss"


def test_verbose_false_prints_nothing(capsys):
    set_seed(0)
    fit(mlp(), DataLoader(separable(64), batch_size=16), epochs=2, verbose=False, device="cpu")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_history_plot_uses_utils_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = History(epochs=[{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.5},
                        {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7, "val_accuracy": 0.8}])  # fmt: skip
    assert h.plot() is not None
    assert h.plot(["val_accuracy"]) is not None
    plt.close("all")


def test_history_plot_fallback(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setitem(sys.modules, "utils.plots", None)  # fuerza el gráfico de reserva
    h = History(epochs=[{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1},
                        {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7}])  # fmt: skip
    ax = h.plot()
    assert ax.get_title() == "Curvas de entrenamiento"
    assert ax.get_xlabel() == "época" and ax.get_ylabel() == "pérdida"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["entrenamiento", "validación"]
    plt.close("all")
    with pytest.raises(KeyError, match="no tiene la clave"):
        h["val_accuracy"]


# ---------------------------------------------------------------------------------------------
def _resume_run(
    ckpt: Path, epochs: int, resume: bool = False, seed: int = 0, own_generator: bool = False
) -> tuple[nn.Module, History]:
    set_seed(seed)
    train, val = separable(200, 0), separable(64, 1)
    model = mlp(dropout=0.2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    # el DataLoader baraja con el RNG global de torch o con su propio generador
    gen = torch.Generator().manual_seed(seed + 7) if own_generator else None
    h = fit(
        model,
        DataLoader(train, batch_size=32, shuffle=True, generator=gen),
        val_loader=DataLoader(val, batch_size=32),
        epochs=epochs,
        optimizer=opt,
        scheduler=sched,
        scheduler_step="epoch",
        metrics={"accuracy": accuracy},
        checkpoint_dir=ckpt,
        resume=resume,
        device="cpu",
        verbose=resume,
    )
    return model, h


@pytest.mark.parametrize("own_generator", [False, True])
def test_resume_gives_exactly_the_same_weights(tmp_path, capsys, own_generator):
    model_a, hist_a = _resume_run(tmp_path / "a", epochs=4, own_generator=own_generator)
    # «interrumpido» tras la época 2
    _resume_run(tmp_path / "b", epochs=2, own_generator=own_generator)
    # modelo, optimizador y planificador nuevos; otra semilla para que cuente solo el checkpoint
    model_b, hist_b = _resume_run(
        tmp_path / "b", epochs=4, resume=True, seed=123, own_generator=own_generator
    )
    assert "Reanudando desde la época 2" in capsys.readouterr().out
    for (name, pa), pb in zip(
        model_a.state_dict().items(), model_b.state_dict().values(), strict=True
    ):
        assert torch.equal(pa, pb), name
    assert strip_times(hist_a) == strip_times(hist_b)
    assert hist_a.best_epoch == hist_b.best_epoch


def test_resume_without_checkpoint_starts_fresh(tmp_path, capsys):
    set_seed(0)
    h = fit(mlp(), DataLoader(separable(64), batch_size=32), epochs=1, device="cpu",
            checkpoint_dir=tmp_path / "vacio", resume=True)  # fmt: skip
    assert len(h) == 1
    assert "se empieza desde cero" in capsys.readouterr().out


def test_checkpoint_files_weights_only_and_no_tmp(tmp_path):
    set_seed(0)
    fit(mlp(), DataLoader(separable(64), batch_size=16, shuffle=True),
        val_loader=DataLoader(separable(32, 1), batch_size=16), epochs=2, device="cpu",
        early_stopping=3, checkpoint_dir=tmp_path, verbose=False)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "last.pt"]
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    assert last["epoch"] == 2 and last["global_step"] == 8
    assert {"model", "optimizer", "scheduler", "scaler", "history", "rng"} <= set(last)
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert set(best) == set(mlp().state_dict())


def test_resume_with_wrong_model_is_clear(tmp_path):
    set_seed(0)
    fit(mlp(), DataLoader(separable(32), batch_size=16), epochs=1, device="cpu",
        checkpoint_dir=tmp_path, verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match="no corresponde a este modelo"):
        fit(nn.Linear(2, 2), DataLoader(separable(32), batch_size=16), epochs=2, device="cpu",
            checkpoint_dir=tmp_path, resume=True, verbose=False)  # fmt: skip


# ---------------------------------------------------------------------------------------------
def test_nan_loss_stops_with_clear_message():
    x = torch.randn(64, 2)
    x[20] = float("nan")
    loader = DataLoader(TensorDataset(x, torch.zeros(64, dtype=torch.long)), batch_size=16)
    with pytest.raises(FloatingPointError, match=r"NaN.*época 1, lote 2.*tasa de aprendizaje"):
        fit(mlp(), loader, epochs=2, device="cpu", verbose=False)


def test_deferred_sync_path_same_loss_and_nan_window(monkeypatch):
    """El camino de GPU (pérdida acumulada como tensor) probado en CPU."""
    import utils.train as train_mod

    loader = DataLoader(separable(96), batch_size=8)  # 12 lotes
    set_seed(0)
    h_each = fit(mlp(), loader, epochs=2, device="cpu", verbose=False)
    monkeypatch.setattr(train_mod, "_sync_each_step", lambda device, distributed: False)
    monkeypatch.setattr(train_mod, "_SYNC_EVERY_GPU", 5)
    set_seed(0)
    h_deferred = fit(mlp(), loader, epochs=2, device="cpu", verbose=False)
    assert h_deferred["train_loss"] == pytest.approx(h_each["train_loss"], rel=1e-6)
    x = torch.randn(96, 2)
    x[50] = float("inf")  # lote 7
    bad = DataLoader(TensorDataset(x, torch.zeros(96, dtype=torch.long)), batch_size=8)
    with pytest.raises(FloatingPointError, match="entre los lotes 6 y 10"):
        fit(mlp(), bad, epochs=1, device="cpu", verbose=False)


def test_early_stopping_restores_best_weights():
    set_seed(0)
    model = mlp()
    scores = iter([0.5, 0.8, 0.7, 0.6, 0.9, 0.95])
    snapshots: list[dict] = []

    def score(outputs: torch.Tensor, targets: torch.Tensor) -> float:
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return next(scores)

    h = fit(model, DataLoader(separable(64), batch_size=16),
            val_loader=DataLoader(separable(32, 1), batch_size=16), epochs=6, device="cpu",
            metrics={"score": score}, early_stopping=2, monitor="val_score", mode="max",
            verbose=False)  # fmt: skip
    assert h.stopped_early and len(h) == 4
    assert h.best_epoch == 2 and h.best_value == pytest.approx(0.8)
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshots[1][k])
    assert not torch.equal(snapshots[1]["0.weight"], snapshots[3]["0.weight"])


def test_max_steps_counts_optimizer_steps():
    set_seed(0)
    model = mlp()
    opt = CountingSGD(model.parameters(), lr=0.1)
    loader = DataLoader(separable(160), batch_size=16)  # 10 lotes por época
    h = fit(model, loader, epochs=5, optimizer=opt, max_steps=13, device="cpu", verbose=False)
    assert opt.n_steps == 13 and len(h) == 2 and not h.stopped_early
    opt2 = CountingSGD(model.parameters(), lr=0.1)
    fit(model, loader, epochs=5, optimizer=opt2, max_steps=3, accumulation_steps=4,
        device="cpu", verbose=False)  # fmt: skip
    assert opt2.n_steps == 3


@pytest.mark.parametrize("n, micro, k, big", [(8, 2, 4, 8), (10, 2, 4, 8)])
def test_gradient_accumulation_equals_big_batch(n, micro, k, big):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(n, 3, generator=g), torch.randn(n, 1, generator=g)
    ds = TensorDataset(x, y)
    base = nn.Linear(3, 1)
    results = []
    for bs, acc in ((micro, k), (big, 1)):
        model = nn.Linear(3, 1)
        model.load_state_dict(base.state_dict())
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        fit(model, DataLoader(ds, batch_size=bs), epochs=2, optimizer=opt, loss_fn=nn.MSELoss(),
            accumulation_steps=acc, device="cpu", verbose=False)  # fmt: skip
        results.append(model)
    for pa, pb in zip(results[0].parameters(), results[1].parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-6, atol=1e-6)


def test_grad_clip_bounds_the_norm_and_grad_norm_is_logged():
    set_seed(0)
    x = torch.randn(64, 2) * 100
    loader = DataLoader(TensorDataset(x, (x[:, 0] > 0).long()), batch_size=16)
    model = mlp()
    opt = CountingSGD(model.parameters(), lr=1e-3)
    h = fit(model, loader, epochs=2, optimizer=opt, grad_clip=0.5, log_grad_norm=True,
            device="cpu", verbose=False)  # fmt: skip
    assert max(opt.norms) <= 0.5 + 1e-5
    assert all(g > 0.5 for g in h["grad_norm"])  # la norma registrada es la de antes de recortar


def test_schedulers_step_per_batch_and_per_epoch():
    loader = DataLoader(separable(64), batch_size=16)  # 4 lotes
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = fit(model, loader, epochs=3, optimizer=opt, scheduler=sched, scheduler_step="epoch",
            device="cpu", verbose=False)  # fmt: skip
    assert h["lr"] == pytest.approx([0.1, 0.05, 0.025])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 / (1 + s))
    h = fit(model, loader, epochs=2, optimizer=opt, scheduler=sched, scheduler_step="batch",
            device="cpu", verbose=False)  # fmt: skip
    assert h["lr"] == pytest.approx([0.1 / 5, 0.1 / 9])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5)
    h = fit(model, loader, epochs=3, optimizer=opt, scheduler=plateau, monitor="train_loss",
            mode="max", device="cpu", verbose=False)  # fmt: skip
    assert opt.param_groups[0]["lr"] < 0.1


def test_scheduler_unit_must_be_explicit_unless_unambiguous():
    """Antes, un StepLR pensado por épocas decaía en cada lote sin avisar."""
    loader = DataLoader(separable(64), batch_size=16)  # 4 lotes
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    step_lr = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    with pytest.raises(ValueError, match="scheduler_step='batch'.*scheduler_step='epoch'"):
        fit(model, loader, optimizer=opt, scheduler=step_lr, device="cpu", verbose=False)
    assert opt.param_groups[0]["lr"] == 0.1  # no entrenó
    one_cycle = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=8)
    fit(model, loader, epochs=2, optimizer=opt, scheduler=one_cycle, device="cpu", verbose=False)
    assert one_cycle.last_epoch == 8  # por lote, deducido
    transformers = pytest.importorskip("transformers")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    warm = transformers.get_linear_schedule_with_warmup(opt, 2, 8)
    h = fit(model, loader, epochs=2, optimizer=opt, scheduler=warm, device="cpu", verbose=False)
    assert warm.last_epoch == 8 and h["lr"][-1] == pytest.approx(0.0)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="ReduceLROnPlateau avanza por época"):
        fit(model, loader, optimizer=opt, scheduler=plateau, scheduler_step="batch",
            monitor="train_loss", device="cpu", verbose=False)  # fmt: skip


def test_scheduler_does_not_step_when_fp16_skips_the_step(monkeypatch):
    """Con GradScaler, un paso con gradientes infinitos se salta: el planificador tampoco avanza."""
    import utils.train as train_mod

    accelerator = train_mod._accelerator("cpu", amp=False)
    # El GradScaler de fp16 (en GPU lo pone Accelerate); aquí, su versión de CPU.
    monkeypatch.setattr(accelerator, "scaler", torch.amp.GradScaler("cpu", init_scale=2.0**16))
    x = torch.ones(8, 1)
    x[4:6] = 1e36  # el lote 3: pérdida finita, pero × 2**16 desborda → gradiente infinito
    loader = DataLoader(TensorDataset(x, torch.zeros(8)), batch_size=2)  # 4 lotes
    model = nn.Linear(1, 1, bias=False)
    opt = CountingSGD(model.parameters(), lr=1e-40)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    fit(model, loader, optimizer=opt, scheduler=sched, scheduler_step="batch", device="cpu",
        loss_fn=lambda out, y: out.mean(), verbose=False)  # fmt: skip
    assert opt.n_steps == 3  # un paso saltado por GradScaler
    assert sched.last_epoch == 3  # y el planificador no avanzó en ese paso


def test_accelerator_is_reused_and_follows_the_precision(monkeypatch):
    """Un Accelerator por proceso; pedir otra precisión lo reinicia en vez de fallar."""
    import utils.train as train_mod

    first = train_mod._accelerator("cpu", amp=True)
    assert train_mod._accelerator("cpu", amp=False) is first  # en CPU ambas son "no"
    loader = DataLoader(separable(64), batch_size=16)
    monkeypatch.setattr(train_mod, "_precision", lambda device, amp: "bf16")
    set_seed(0)
    h = fit(mlp(), loader, epochs=2, device="cpu", verbose=False)
    assert train_mod._ACCELERATOR.mixed_precision == "bf16"
    assert h["train_loss"][-1] < h["train_loss"][0]
    monkeypatch.setattr(train_mod, "_precision", lambda device, amp: "no")
    set_seed(0)
    model = mlp()
    fit(model, loader, epochs=1, device="cpu", verbose=False)
    assert train_mod._ACCELERATOR.mixed_precision == "no"
    assert "_original_forward" not in vars(model)  # fit no deja el modelo envuelto


# ---------------------------------------------------------------------------------------------
class TinyLM(nn.Module):
    """Embedding + Linear: logits [B, T, V] para cada posición."""

    def __init__(self, vocab: int = 12) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 8)
        self.out = nn.Linear(8, vocab)

    def forward(self, x):  # x: [B, T] → [B, T, V]
        return self.out(self.emb(x))


def padded_sequences() -> TensorDataset:
    """24 secuencias de longitudes 2…9 rellenas con 0 (el objetivo es el mismo token)."""
    from torch.nn.utils.rnn import pad_sequence

    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(1, 12, (2 + i % 8,), generator=g) for i in range(24)]
    x = pad_sequence(seqs, batch_first=True, padding_value=0)  # [24, 9]
    return TensorDataset(x, x.clone())


def test_validation_loss_is_a_token_mean_whatever_the_batching():
    """Con relleno, val_loss (y la perplejidad) promedian por token, no por ejemplo."""
    set_seed(0)
    model, ds = TinyLM(), padded_sequences()
    loss_fn = sequence_cross_entropy(ignore_index=0)
    whole = evaluate(model, DataLoader(ds, batch_size=24), loss_fn=loss_fn, device="cpu")
    logits = model(ds.tensors[0])
    expected = nn.functional.cross_entropy(logits.reshape(-1, 12), ds.tensors[1].reshape(-1),
                                           ignore_index=0).item()  # fmt: skip
    assert whole["loss"] == pytest.approx(expected, rel=1e-6)
    for bs in (2, 5, 7):
        res = evaluate(model, DataLoader(ds, batch_size=bs), loss_fn=loss_fn, device="cpu")
        assert res["loss"] == pytest.approx(expected, rel=1e-6), bs

    # compute_loss: con el atributo ignore_index, o devolviendo el número de tokens
    def step(model, batch):
        x, y = batch
        return loss_fn(model(x), y), None, y

    step.ignore_index = 0  # type: ignore[attr-defined]

    def step4(model, batch):
        x, y = batch
        return loss_fn(model(x), y), None, y, (y != 0).sum()

    for cl in (step, step4):
        res = evaluate(model, DataLoader(ds, batch_size=5), compute_loss=cl, device="cpu")
        assert res["loss"] == pytest.approx(expected, rel=1e-6)
    h = fit(model, DataLoader(ds, batch_size=5), val_loader=DataLoader(ds, batch_size=24),
            loss_fn=loss_fn, epochs=1, lr=1e-9, device="cpu", verbose=False)  # fmt: skip
    assert h["val_loss"][0] == pytest.approx(expected, rel=1e-5)


def test_class_weighted_loss_mean_is_exact_over_batches():
    set_seed(0)
    model, ds = mlp(), separable(30)
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0]))
    expected = loss_fn(model(ds.tensors[0]), ds.tensors[1]).item()
    res = evaluate(model, DataLoader(ds, batch_size=4), loss_fn=loss_fn, device="cpu")
    assert res["loss"] == pytest.approx(expected, rel=1e-6)


class SpyMetric:
    """Métrica con acumulador propio: no debe recibir nunca todas las salidas juntas."""

    def __init__(self) -> None:
        self.updates: list[tuple[int, ...]] = []

    def __call__(self, outputs, targets):
        raise AssertionError("no debía recibir todas las salidas concatenadas")

    def accumulator(self):
        spy = self

        class Acc:
            chunks: list = []

            def update(self, outputs, targets):
                spy.updates.append(tuple(outputs.shape))

            def compute(self):
                return 1.0

        return Acc()


def test_metrics_are_streamed_batch_by_batch():
    import functools

    from utils.metrics import logits_accuracy

    set_seed(0)
    model, ds = TinyLM(), padded_sequences()
    spy = SpyMetric()
    acc = functools.partial(logits_accuracy, ignore_index=0)
    res = evaluate(model, DataLoader(ds, batch_size=5), loss_fn=sequence_cross_entropy(0),
                   metrics={"spy": spy, "acc": acc}, device="cpu")  # fmt: skip
    assert res["spy"] == 1.0 and spy.updates == [(5, 9, 12)] * 4 + [(4, 9, 12)]
    with torch.no_grad():
        assert res["acc"] == pytest.approx(acc(model(ds.tensors[0]), ds.tensors[1]))


class Stream(torch.utils.data.IterableDataset):
    """Un conjunto sin len(): el cargador no sabe cuántos lotes tendrá."""

    def __init__(self, ds: TensorDataset) -> None:
        self.ds = ds

    def __iter__(self):
        return iter(self.ds)


def test_accumulation_without_len_scales_the_last_group():
    g = torch.Generator().manual_seed(0)
    ds = TensorDataset(torch.randn(10, 3, generator=g), torch.randn(10, 1, generator=g))
    base = nn.Linear(3, 1)
    models = []
    for loader, acc in (
        (DataLoader(Stream(ds), batch_size=2), 4),
        (DataLoader(ds, batch_size=8), 1),
    ):
        model = nn.Linear(3, 1)
        model.load_state_dict(base.state_dict())
        opt = CountingSGD(model.parameters(), lr=0.1)
        fit(model, loader, epochs=2, optimizer=opt, loss_fn=nn.MSELoss(), accumulation_steps=acc,
            device="cpu", verbose=False)  # fmt: skip
        assert opt.n_steps == 4  # 2 por época: 4 lotes de 2 + 1 lote de 2 (grupo incompleto)
        models.append(model)
    for pa, pb in zip(models[0].parameters(), models[1].parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-6, atol=1e-6)


def _max_steps_run(ckpt: Path, max_steps: int, resume: bool = False, seed: int = 0):
    set_seed(seed)
    model = mlp(dropout=0.2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    h = fit(model, DataLoader(separable(160, 0), batch_size=16, shuffle=True),  # 10 lotes
            val_loader=DataLoader(separable(64, 1), batch_size=32), epochs=5, optimizer=opt,
            max_steps=max_steps, checkpoint_dir=ckpt, resume=resume, device="cpu",
            verbose=False)  # fmt: skip
    return model, h


def test_max_steps_mid_epoch_is_exactly_resumable(tmp_path):
    model_a, hist_a = _max_steps_run(tmp_path / "a", 25)
    assert len(hist_a) == 3  # 2 épocas completas + 5 lotes de la tercera
    _, hist_b1 = _max_steps_run(tmp_path / "b", 13)  # «interrumpido» a mitad de la época 2
    assert len(hist_b1) == 2
    model_b, hist_b = _max_steps_run(tmp_path / "b", 25, resume=True, seed=123)
    for (name, pa), pb in zip(
        model_a.state_dict().items(), model_b.state_dict().values(), strict=True
    ):
        assert torch.equal(pa, pb), name
    assert strip_times(hist_a) == strip_times(hist_b)
    # reanudar uno ya terminado no entrena y devuelve el mismo historial
    _, hist_again = _max_steps_run(tmp_path / "b", 25, resume=True, seed=7)
    assert strip_times(hist_again) == strip_times(hist_b)


# ---------------------------------------------------------------------------------------------
@dataclass
class FakeOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor


class TinyHFModel(nn.Module):
    """Imita un modelo de Hugging Face: recibe kwargs y devuelve un objeto con .loss y .logits."""

    def __init__(self, vocab: int = 20, classes: int = 2) -> None:
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab, 8)
        self.head = nn.Linear(8, classes)

    def forward(self, input_ids, attention_mask=None, labels=None):
        logits = self.head(self.emb(input_ids))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return FakeOutput(loss=loss, logits=logits)


def test_dict_batches_with_hf_style_model():
    set_seed(0)
    ids = torch.randint(0, 20, (128, 6))
    labels = (ids < 10).sum(1).gt(3).long()
    rows = [{"input_ids": i, "attention_mask": torch.ones(6), "labels": lab}
            for i, lab in zip(ids, labels, strict=True)]  # fmt: skip
    model = TinyHFModel()
    h = fit(model, DataLoader(rows, batch_size=16, shuffle=True),
            val_loader=DataLoader(rows, batch_size=32), epochs=8, lr=0.05,
            metrics={"accuracy": accuracy}, device="cpu", verbose=False)  # fmt: skip
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert h["val_accuracy"][-1] > 0.7
    assert h.epochs[0]["examples_per_s"] > 0


def test_compute_loss_hook_and_sequence_cross_entropy():
    set_seed(0)
    vocab, seq = 12, 9
    # secuencias periódicas: el siguiente token es (t + 1) % vocab
    starts = torch.randint(0, vocab, (64, 1))
    seqs = (starts + torch.arange(seq)) % vocab  # seqs: [64, seq]

    class TinyLM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(vocab, 16)
            self.out = nn.Linear(16, vocab)

        def forward(self, x):  # x: [B, T] → [B, T, V]
            return self.out(self.emb(x))

    loss_fn = sequence_cross_entropy(ignore_index=-100)

    def lm_step(model, batch):
        (tokens,) = batch
        logits = model(tokens[:, :-1])  # [B, T-1, V]
        targets = tokens[:, 1:]  # [B, T-1]
        return loss_fn(logits, targets), logits, targets

    def token_acc(out, tgt):
        return (out.argmax(-1) == tgt).float().mean().item()

    loader = DataLoader(TensorDataset(seqs), batch_size=16, shuffle=True)
    h = fit(TinyLM(), loader, val_loader=DataLoader(TensorDataset(seqs), batch_size=16),
            compute_loss=lm_step, epochs=6, lr=0.05, metrics={"acc": token_acc},
            device="cpu", verbose=False)  # fmt: skip
    assert h["val_loss"][-1] < 0.5 * h["val_loss"][0]
    assert h["val_acc"][-1] > 0.9
    with pytest.raises(ValueError, match="batch, seq_len"):
        loss_fn(torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype=torch.long))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"accumulation_steps": 0}, "accumulation_steps"),
        ({"mode": "avg"}, "mode debe ser"),
        ({"grad_clip": 0.0}, "grad_clip debe ser"),
        ({"grad_clip": -1.0}, "grad_clip debe ser"),
        ({"early_stopping": 2}, "no hay val_loader"),
        ({"monitor": "val_acuracy", "early_stopping": 1}, "no se produce"),
        ({"scheduler_step": "step"}, "scheduler_step"),
        ({"scheduler_step": "epoch", "metrics": {"a": accuracy}, "monitor": "val_a"}, "no se"),
        ({"max_steps": 0}, "max_steps"),
        ({"resume": True}, "checkpoint_dir"),
    ],
)
def test_bad_inputs_raise_spanish_value_error(kwargs, match):
    loader = DataLoader(separable(32), batch_size=16)
    with pytest.raises(ValueError, match=match):
        fit(mlp(), loader, device="cpu", verbose=False, **kwargs)


def test_empty_loader_and_bad_batch():
    empty = DataLoader(TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)))
    with pytest.raises(ValueError, match="vacío"):
        fit(mlp(), empty, device="cpu", verbose=False)
    with pytest.raises(ValueError, match="al menos dos elementos"):
        fit(mlp(), DataLoader(TensorDataset(torch.zeros(8, 2)), batch_size=4), device="cpu",
            verbose=False)  # fmt: skip


# ---------------------------------------------------------------------------------------------
DDP_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    sys.path.insert(0, {repo!r})
    from utils.train import fit

    def data(n, seed):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, 2, generator=g)
        return TensorDataset(x, (x[:, 0] - x[:, 1] > 0).long())

    def train(world_size):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        # 32 ejemplos por paso: 2 lotes acumulados de 16 (un proceso) o de 8 por proceso
        # (2 procesos: DDP promedia los gradientes, que es la media sobre los 32 ejemplos).
        bs = 16 // world_size
        train_loader = DataLoader(data(256, 0), batch_size=bs)
        val_loader = DataLoader(data(100, 1), batch_size=bs)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        acc = lambda out, y: (out.argmax(-1) == y).float().mean().item()
        h = fit(model, train_loader, val_loader=val_loader, epochs=3, optimizer=opt,
                metrics={{"accuracy": acc}}, grad_clip=5.0, accumulation_steps=2,
                log_grad_norm=True)
        return model, h

    if __name__ == "__main__":
        model, h = train(int(os.environ.get("WORLD_SIZE", "1")))
        if int(os.environ.get("RANK", "0")) == 0:
            out = sys.argv[1]
            torch.save(model.state_dict(), out + ".pt")
            with open(out + ".json", "w") as fh:
                json.dump(h.to_dict(), fh)
    """
)


def test_two_process_cpu_run_matches_single_process(tmp_path):
    script = tmp_path / "ddp_train.py"
    script.write_text(DDP_SCRIPT.format(repo=str(REPO)))
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", TQDM_DISABLE="1", PYTHONPATH=str(REPO))
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
           str(script), str(out)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "con Accelerate (2 procesos)" in proc.stdout
    assert proc.stdout.count("Época 3/3") == 1  # solo imprime el proceso principal

    sys.path.insert(0, str(tmp_path))
    try:
        import ddp_train  # type: ignore[import-not-found]

        single_model, single_h = ddp_train.train(1)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("ddp_train", None)
    ddp_state = torch.load(str(out) + ".pt", weights_only=True)
    ddp_h = History.from_dict(json.loads(Path(str(out) + ".json").read_text()))
    assert ddp_h["train_loss"][-1] < ddp_h["train_loss"][0]
    assert ddp_h["val_accuracy"][-1] > 0.9
    for k, v in single_model.state_dict().items():
        torch.testing.assert_close(ddp_state[k], v, rtol=1e-4, atol=1e-5)
    for key in ("train_loss", "val_loss", "val_accuracy", "grad_norm"):
        assert ddp_h[key] == pytest.approx(single_h[key], rel=1e-4, abs=1e-5), key


# ---------------------------------------------------------------------------------------------
def test_bench_returns_positive_rates():
    from utils.bench import format_table, run_benchmark

    rows = run_benchmark(
        n_examples=128, batch_size=32, epochs=1, repeats=1, device="cpu", vocab_size=50
    )
    assert [r["bar"] for r in rows] == [False, True]
    for r in rows:
        assert r["bare_ex_s"] > 0 and r["fit_ex_s"] > 0 and r["steps"] == 4
        assert r["ratio"] > 0
    assert "sobrecoste" in format_table(rows)


# ---------------------------------------------------------------------------------------------
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="necesita GPU CUDA")


@needs_cuda
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_fit_on_cuda_with_mixed_precision(monkeypatch, capsys, precision):
    import math

    import utils.train as train_mod

    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("la GPU no soporta bf16")
    if precision == "fp16":  # fuerza fp16 + GradScaler aunque la GPU soporte bf16
        monkeypatch.setattr(
            train_mod,
            "amp_dtype",
            lambda d: torch.float16 if torch.device(d).type == "cuda" else None,
        )
    set_seed(0)
    model = mlp()
    h = fit(model, DataLoader(separable(512), batch_size=32, shuffle=True, pin_memory=True),
            val_loader=DataLoader(separable(256, 1), batch_size=64), epochs=5, lr=1e-2,
            metrics={"accuracy": accuracy}, device="cuda", amp=precision != "fp32",
            grad_clip=1.0, log_grad_norm=True, accumulation_steps=2)  # fmt: skip
    out = capsys.readouterr().out
    assert "Entrenando en cuda" in out
    if precision != "fp32":
        assert f"precisión mixta {precision}" in out
    assert next(model.parameters()).device.type == "cuda"
    assert h["val_accuracy"][-1] > 0.9
    assert any(math.isfinite(g) for g in h["grad_norm"])
    res = evaluate(
        model, DataLoader(separable(256, 1), batch_size=64), metrics={"accuracy": accuracy}
    )
    assert res["accuracy"] > 0.9


@needs_cuda
def test_nan_on_cuda_is_detected():
    x = torch.randn(64, 2)
    x[20] = float("nan")
    loader = DataLoader(TensorDataset(x, torch.zeros(64, dtype=torch.long)), batch_size=16)
    with pytest.raises(FloatingPointError, match="NaN"):
        fit(mlp(), loader, epochs=1, device="cuda", verbose=False)


@needs_cuda
def test_bench_on_cuda():
    from utils.bench import run_benchmark

    rows = run_benchmark(n_examples=128, batch_size=32, repeats=1, device="cuda", vocab_size=50)
    assert [(r["amp"], r["bar"]) for r in rows][:2] == [(False, False), (True, False)]
    assert all(r["fit_ex_s"] > 0 for r in rows)


class _TrackedLoss(nn.CrossEntropyLoss):
    """CrossEntropyLoss que anota a qué dispositivo se movió."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.moved_to: list[torch.device] = []

    def to(self, *args, **kwargs):  # type: ignore[override]
        self.moved_to.append(torch.device(args[0]))
        return super().to(*args, **kwargs)


def test_loss_module_with_class_weights_follows_the_device():
    """Los pesos por clase de la pérdida van al dispositivo del entrenamiento (si no, fallaría en GPU)."""
    loss_fn = _TrackedLoss(weight=torch.tensor([1.0, 3.0]))
    fit(
        mlp(),
        DataLoader(separable(64), batch_size=16),
        epochs=1,
        loss_fn=loss_fn,
        device="cpu",
        verbose=False,
    )
    assert loss_fn.moved_to == [torch.device("cpu")]
    evaluate(mlp(), DataLoader(separable(64), batch_size=16), loss_fn=loss_fn, device="cpu")
    assert loss_fn.moved_to[-1] == torch.device("cpu") and len(loss_fn.moved_to) == 2


@needs_cuda
def test_class_weighted_loss_on_cuda():
    set_seed(0)
    h = fit(mlp(), DataLoader(separable(256), batch_size=32), epochs=3, lr=1e-2, device="cuda",
            loss_fn=nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0])), verbose=False)  # fmt: skip
    assert h["train_loss"][-1] < h["train_loss"][0]
