"""Ajuste fino (*fine-tuning*) de un BERT para clasificar textos con el ``Trainer`` de Hugging Face.

Tres piezas:

- :func:`make_trainer`: un ``Trainer`` con la API actual (``eval_strategy``,
  ``processing_class``, ``DataCollatorWithPadding``, ``compute_metrics``, el mejor modelo al
  final según la exactitud de **validación** y parada temprana). Sirve para cualquier modelo de
  PyTorch que devuelva ``loss`` y ``logits``.
- :func:`fine_tune`: ajusta un ``AutoModelForSequenceClassification`` (todo el modelo o, con
  ``freeze_encoder=True``, solo la cabeza) sobre un ``Dataset`` con columnas de texto y etiqueta.
- :func:`load_sentiment_classifier`: el clasificador de sentimiento del curso (all-MiniLM-L6-v2
  ajustado con las frases de críticas de cine de la clase 5). Se entrena una vez, se guarda en
  la caché en el formato estándar de Hugging Face (``config.json``, tokenizador,
  ``model.safetensors``; etiquetas en ``config.id2label``) y lo sirve la clase 8.

La partición de prueba nunca se usa aquí: el modelo se elige con validación y la prueba se mide
una sola vez en el cuaderno 7e.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import config
from ._checks import check_int
from .artifacts import cached_artifact

__all__ = [
    "SENTIMENT_FULL",
    "SENTIMENT_SMOKE",
    "accuracy_metrics",
    "fine_tune",
    "length_sorted_batches",
    "load_sentiment_classifier",
    "make_trainer",
    "predict_proba",
    "sentiment_config",
    "tokenize_dataset",
]

#: Configuración del clasificador de sentimiento en modo completo: dos épocas (DESIGN.md §10
#: midió 0.852 de exactitud de validación tras una y 0.861 en prueba tras dos). Las palancas de
#: velocidad en CPU: ``max_length`` 48 recorta el 3,6 % de las frases de entrenamiento (el
#: 0,05 % pasa de 64 subpalabras) y los lotes agrupados por longitud reducen el relleno.
SENTIMENT_FULL: dict[str, Any] = {
    "base": "sentence-transformers/all-MiniLM-L6-v2",
    "layers": 6,
    "train_size": None,
    "epochs": 2,
    "lr": 5e-5,
    "batch_size": 32,
    "max_length": 48,
    "weight_decay": 0.01,
    "warmup_ratio": 0.06,
    "evals_per_epoch": 2,
    "patience": 2,
    "group_by_length": True,
    "seed": 0,
}

#: Modo rápido: la primera capa del mismo MiniLM y 64 frases, para que se construya en segundos.
SENTIMENT_SMOKE: dict[str, Any] = {
    **SENTIMENT_FULL,
    "layers": 1,
    "train_size": 64,
    "val_size": 32,
    "epochs": 1,
    "max_length": 32,
}


def sentiment_config() -> dict[str, Any]:
    """Configuración vigente del clasificador (la de modo rápido si ``CURSO_SMOKE=1``)."""
    return dict(SENTIMENT_SMOKE if config.SMOKE else SENTIMENT_FULL)


def accuracy_metrics(eval_pred: Any) -> dict[str, float]:
    """``compute_metrics`` para el ``Trainer``: exactitud a partir de (logits, etiquetas).

    Ejemplo:
        >>> accuracy_metrics((np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([0, 0])))
        {'accuracy': 0.5}
    """
    logits, labels = eval_pred[0], eval_pred[1]
    if isinstance(logits, tuple):  # algunos modelos devuelven (logits, estados ocultos)
        logits = logits[0]
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim != 2 or len(logits) != len(labels):
        raise ValueError(
            f"compute_metrics espera logits [n, clases] y n etiquetas; llegaron {logits.shape} "
            f"y {labels.shape}."
        )
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


def tokenize_dataset(
    dataset: Any, tokenizer: Any, max_length: int, text_column: str = "text"
) -> Any:
    """Tokeniza la columna de texto de un ``datasets.Dataset`` **sin rellenar**.

    El relleno se hace después, lote a lote, con ``DataCollatorWithPadding`` (relleno dinámico:
    cada lote se rellena hasta su frase más larga, no hasta ``max_length``). Añade la columna
    ``length`` para poder agrupar lotes por longitud y quita la columna de texto.

    Ejemplo:
        >>> enc = tokenize_dataset(ds["train"], tokenizer, max_length=48)  # doctest: +SKIP
        >>> enc.column_names  # doctest: +SKIP
        ['label', 'score', 'input_ids', 'token_type_ids', 'attention_mask', 'length']
    """
    check_int(max_length, "max_length", minimum=2)
    if text_column not in dataset.column_names:
        raise ValueError(
            f"El conjunto no tiene la columna de texto «{text_column}»; tiene {dataset.column_names}."
        )
    if len(dataset) == 0:
        raise ValueError("El conjunto de datos está vacío: no hay nada que tokenizar.")

    def encode(batch: dict[str, list[Any]]) -> Any:
        enc = tokenizer(batch[text_column], truncation=True, max_length=max_length)
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return enc

    return dataset.map(encode, batched=True, remove_columns=[text_column])


def make_trainer(
    model: Any,
    train_dataset: Any,
    eval_dataset: Any,
    *,
    output_dir: str | Path,
    epochs: float = 2,
    lr: float = 5e-5,
    batch_size: int = 32,
    processing_class: Any = None,
    data_collator: Any = None,
    evals_per_epoch: int = 1,
    patience: int = 2,
    weight_decay: float = 0.01,
    warmup_ratio: float = 0.0,
    group_by_length: bool = False,
    seed: int = 0,
    verbose: bool = True,
) -> Any:
    """Crea un ``Trainer`` que elige el mejor punto de control por exactitud de **validación**.

    - evalúa ``evals_per_epoch`` veces por época (``eval_strategy="steps"``) y guarda un punto de
      control en cada evaluación (solo el modelo, sin el optimizador);
    - al terminar carga el mejor (``load_best_model_at_end``, ``metric_for_best_model="accuracy"``)
      y para antes si la exactitud no mejora en ``patience`` evaluaciones seguidas
      (``EarlyStoppingCallback``);
    - con ``processing_class`` (el tokenizador) y sin ``data_collator`` usa
      ``DataCollatorWithPadding`` (relleno dinámico); con ``group_by_length=True`` arma los lotes
      con frases de longitud parecida (menos relleno, más rápido en CPU).

    ``model`` puede ser un modelo de ``transformers`` o cualquier ``nn.Module`` cuyo ``forward``
    reciba las columnas del lote y devuelva ``loss`` y ``logits``.

    Ejemplo:
        >>> trainer = make_trainer(modelo, train_enc, val_enc, output_dir="ckpt",
        ...                        processing_class=tokenizer)  # doctest: +SKIP
        >>> trainer.train()  # doctest: +SKIP
    """
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        Trainer,
        TrainingArguments,
    )

    check_int(batch_size, "batch_size")
    check_int(evals_per_epoch, "evals_per_epoch")
    check_int(patience, "patience")
    if not epochs > 0 or not lr > 0:
        raise ValueError(f"epochs y lr deben ser positivos; se recibió epochs={epochs}, lr={lr}.")
    if len(train_dataset) == 0 or len(eval_dataset) == 0:
        raise ValueError("Los conjuntos de entrenamiento y validación no pueden estar vacíos.")
    steps_per_epoch = max(1, -(-len(train_dataset) // batch_size))
    eval_steps = max(1, steps_per_epoch // evals_per_epoch)
    if data_collator is None and processing_class is not None:
        data_collator = DataCollatorWithPadding(processing_class)
    args = TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=epochs,
        learning_rate=lr,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=2 * batch_size,
        weight_decay=weight_decay,
        warmup_steps=int(warmup_ratio * steps_per_epoch * epochs),
        eval_strategy="steps",
        eval_steps=eval_steps,
        save_strategy="steps",
        save_steps=eval_steps,
        save_only_model=True,
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="accuracy",
        greater_is_better=True,
        logging_steps=eval_steps,
        train_sampling_strategy="group_by_length" if group_by_length else "random",
        seed=seed,
        data_seed=seed,
        report_to="none",
        disable_tqdm=not verbose or config._env_flag("TQDM_DISABLE"),
        dataloader_pin_memory=False,
    )
    return Trainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=processing_class,
        data_collator=data_collator,
        compute_metrics=accuracy_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=patience)],
    )


def _eval_history(trainer: Any) -> list[dict[str, float]]:
    """Las evaluaciones de validación del entrenamiento: [{"epoch", "step", "accuracy", "loss"}]."""
    return [
        {
            "epoch": round(float(row["epoch"]), 3),
            "step": int(row["step"]),
            "accuracy": float(row["eval_accuracy"]),
            "loss": float(row["eval_loss"]),
        }
        for row in trainer.state.log_history
        if "eval_accuracy" in row
    ]


def fine_tune(
    model_path: str | Path,
    train: Any,
    validation: Any,
    *,
    label_names: Sequence[str],
    max_length: int = 64,
    epochs: float = 2,
    lr: float = 5e-5,
    batch_size: int = 32,
    freeze_encoder: bool = False,
    layers: int | None = None,
    text_column: str = "text",
    verbose: bool = True,
    **trainer_kwargs: Any,
) -> tuple[Any, Any, dict[str, Any]]:
    """Ajusta un modelo tipo BERT para clasificar ``train`` y elige el mejor por validación.

    Carga ``AutoModelForSequenceClassification`` desde ``model_path`` (una carpeta o un id del
    Hub) con una cabeza nueva de ``len(label_names)`` clases y las etiquetas en
    ``config.id2label``. Con ``freeze_encoder=True`` solo se entrena la cabeza (el codificador
    queda congelado); si no, todo el modelo (*fine-tuning* completo). ``layers`` recorta el
    codificador a sus primeras capas (para pruebas rápidas). ``trainer_kwargs`` va a
    :func:`make_trainer`.

    Devuelve ``(modelo, tokenizador, info)``; ``info`` tiene la exactitud de validación de cada
    evaluación (``history``), la mejor, el tiempo y las frases por segundo.

    Ejemplo:
        >>> modelo, tok, info = fine_tune(minilm_path(), cine["train"], cine["validation"],
        ...                               label_names=["negativo", "positivo"])  # doctest: +SKIP
        >>> info["best_val_accuracy"]  # doctest: +SKIP
        0.86
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers import logging as hf_logging

    label_names = list(label_names)
    if len(label_names) < 2 or len(set(label_names)) != len(label_names):
        raise ValueError(f"label_names necesita ≥ 2 etiquetas distintas; se recibió {label_names}.")
    for name, ds in (("train", train), ("validation", validation)):
        labels = set(ds["label"]) if "label" in ds.column_names else None
        if labels is None:
            raise ValueError(f"El conjunto {name} no tiene la columna «label».")
        if not labels <= set(range(len(label_names))):
            raise ValueError(
                f"Las etiquetas de {name} deben ser enteros de 0 a {len(label_names) - 1}; "
                f"hay {sorted(labels)[:5]}."
            )
    extra: dict[str, Any] = {"num_hidden_layers": layers} if layers else {}
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # el aviso «classifier.* MISSING» es lo esperado: cabeza nueva
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            model_path,
            num_labels=len(label_names),
            id2label=dict(enumerate(label_names)),
            label2id={n: i for i, n in enumerate(label_names)},
            **extra,
        )
    finally:
        hf_logging.set_verbosity(previous)
    if freeze_encoder:
        model.base_model.requires_grad_(False)
    train_enc = tokenize_dataset(train, tokenizer, max_length, text_column)
    val_enc = tokenize_dataset(validation, tokenizer, max_length, text_column)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    with tempfile.TemporaryDirectory(prefix="curso_trainer_") as ckpt:
        trainer = make_trainer(
            model, train_enc, val_enc, output_dir=ckpt, epochs=epochs, lr=lr,
            batch_size=batch_size, processing_class=tokenizer, verbose=verbose, **trainer_kwargs,
        )  # fmt: skip
        start = time.perf_counter()
        result = trainer.train()
        seconds = time.perf_counter() - start
        history = _eval_history(trainer)
        best = trainer.state.best_metric
        best_step = trainer.state.best_global_step
    model = trainer.model.eval()
    info = {
        "history": history,
        "best_val_accuracy": float(best) if best is not None else float("nan"),
        "best_step": int(best_step) if best_step is not None else None,
        "steps": int(trainer.state.global_step),
        "train_seconds": round(seconds, 1),
        "train_sentences_per_s": round(
            float(result.metrics.get("train_samples_per_second", 0.0)), 2
        ),
        "trainable_params": int(trainable),
        "total_params": int(sum(p.numel() for p in model.parameters())),
    }
    return model, tokenizer, info


def length_sorted_batches(
    texts: Sequence[str], tokenizer: Any, batch_size: int, max_length: int, device: Any = "cpu"
) -> Iterator[tuple[np.ndarray, Any]]:
    """Lotes tokenizados de ``texts`` ordenados por longitud: ``(índices, lote)`` uno a uno.

    Cada lote se rellena hasta su texto más largo; al agrupar textos de longitud parecida se
    rellena poco (más rápido en CPU). ``índices`` dice a qué posiciones de ``texts`` corresponde
    cada fila del lote, para devolver los resultados en el orden original.

    Ejemplo:
        >>> [idx.tolist() for idx, _ in length_sorted_batches(["aaa", "a", "aa"], tok, 2, 8)]  # doctest: +SKIP
        [[1, 2], [0]]
    """
    check_int(batch_size, "batch_size")
    check_int(max_length, "max_length", minimum=2)
    order = np.argsort([len(t) for t in texts], kind="stable")
    for i in range(0, len(texts), batch_size):
        idx = order[i : i + batch_size]
        enc = tokenizer([texts[j] for j in idx], padding=True, truncation=True,
                        max_length=max_length, return_tensors="pt")  # fmt: skip
        yield idx, enc.to(device)


def predict_proba(
    model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 64, max_length: int = 64
) -> np.ndarray:
    """Probabilidades de cada clase para una lista de textos: ``[n_textos, n_clases]``.

    Procesa los textos por lotes ordenados por longitud (:func:`length_sorted_batches`) y
    devuelve las filas en el orden original.

    Ejemplo:
        >>> predict_proba(modelo, tok, ["a great movie", "boring"]).shape  # doctest: +SKIP
        (2, 2)
    """
    import torch

    if isinstance(texts, str):
        raise TypeError("predict_proba espera una lista de textos, no un texto suelto.")
    texts = list(texts)
    if not texts:
        raise ValueError("predict_proba recibió una lista de textos vacía.")
    device = next(model.parameters()).device
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    model.eval()
    with torch.inference_mode():
        for idx, enc in length_sorted_batches(texts, tokenizer, batch_size, max_length, device):
            out[idx] = model(**enc).logits.float().softmax(-1).cpu().numpy()
    return out


def _build_sentiment(folder: Path, cfg: dict[str, Any], verbose: bool) -> dict[str, Any]:
    import torch

    from .data import load_movie_sentiment
    from .hub import minilm_path
    from .seed import set_seed

    set_seed(cfg["seed"])
    cine = load_movie_sentiment()
    train, validation = cine["train"], cine["validation"]
    if cfg.get("train_size"):
        train = train.shuffle(seed=cfg["seed"]).select(range(cfg["train_size"]))
    if cfg.get("val_size"):
        validation = validation.shuffle(seed=cfg["seed"]).select(range(cfg["val_size"]))
    labels = cine["train"].features["label"].names
    model, tokenizer, info = fine_tune(
        minilm_path(), train, validation, label_names=labels, max_length=cfg["max_length"],
        epochs=cfg["epochs"], lr=cfg["lr"], batch_size=cfg["batch_size"],
        layers=cfg["layers"] if cfg["layers"] != 6 else None, verbose=verbose,
        evals_per_epoch=cfg["evals_per_epoch"], patience=cfg["patience"],
        weight_decay=cfg["weight_decay"], warmup_ratio=cfg["warmup_ratio"],
        group_by_length=cfg["group_by_length"], seed=cfg["seed"],
    )  # fmt: skip
    tokenizer.model_max_length = cfg["max_length"]  # quien lo cargue recorta igual que al entrenar
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    info["threads"] = torch.get_num_threads()
    info["train_size"] = len(train)
    info["val_size"] = len(validation)
    return info


def load_sentiment_classifier(retrain: bool = False, verbose: bool = True) -> Path:
    """Carpeta con el clasificador de sentimiento del curso (MiniLM ajustado), entrenado una vez.

    La primera vez ajusta all-MiniLM-L6-v2 (todo el modelo) con las frases de críticas de cine
    de la clase 5 (``utils.data.load_movie_sentiment``: entrenamiento y validación; la prueba no
    se toca) con la configuración :data:`SENTIMENT_FULL` (en modo rápido, :data:`SENTIMENT_SMOKE`:
    1 capa y 64 frases) y lo guarda con ``save_pretrained`` a través de
    :func:`utils.artifacts.cached_artifact`. Las siguientes veces devuelve la carpeta al instante.
    El sello ``curso_artifact.json`` de la carpeta guarda la exactitud de validación de cada
    evaluación, el tiempo y las frases/s (:func:`utils.artifacts.artifact_info`).

    Se carga como cualquier modelo del Hub; las etiquetas están en ``config.id2label``
    (``{0: "negativo", 1: "positivo"}``).

    Ejemplo:
        >>> from transformers import AutoModelForSequenceClassification, AutoTokenizer
        >>> carpeta = load_sentiment_classifier()  # doctest: +SKIP
        >>> modelo = AutoModelForSequenceClassification.from_pretrained(carpeta)  # doctest: +SKIP
        >>> modelo.config.id2label  # doctest: +SKIP
        {0: 'negativo', 1: 'positivo'}
    """
    cfg = sentiment_config()
    return cached_artifact(
        "sentiment_classifier",
        cfg,
        lambda folder: _build_sentiment(folder, cfg, verbose),
        retrain=retrain,
        verbose=verbose,
        check=lambda folder: (
            (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()
        ),
    )
