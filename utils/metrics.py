"""Métricas del curso: exactitud, F1, perplejidad y BLEU, más adaptadores para ``fit``.

- :func:`accuracy`, :func:`macro_f1` y :func:`classification_summary` comparan etiquetas
  (listas, arrays de NumPy o tensores) con scikit-learn.
- :func:`perplexity` convierte una pérdida de entropía cruzada media en perplejidad.
- :func:`bleu` y :func:`sentence_bleu` puntúan traducciones con sacrebleu (0–100).
- :func:`logits_accuracy` y :func:`logits_macro_f1` reciben ``(outputs, targets)`` tal como
  se los pasa ``utils.train.fit(metrics={...})``: los *logits* del modelo y las etiquetas.
- :func:`bootstrap_ci` y :func:`paired_bootstrap` dan intervalos de confianza (un modelo, o
  la diferencia entre dos sobre los mismos ítems).
- :func:`meets_bar` imprime ✅/❌ en las celdas de autoevaluación de los desafíos.

Ejemplo:
    >>> accuracy([1, 0, 1, 1], [1, 0, 0, 1])
    0.75
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch y pandas se importan solo cuando hacen falta
    import pandas as pd
    import torch

__all__ = [
    "Interval",
    "PredictionAccumulator",
    "accuracy",
    "bleu",
    "bleu_from_statistics",
    "bleu_statistics",
    "bootstrap_ci",
    "classification_summary",
    "logits_accuracy",
    "logits_macro_f1",
    "logits_to_predictions",
    "macro_f1",
    "macro_f1_of_pairs",
    "meets_bar",
    "paired_bootstrap",
    "perplexity",
    "sentence_bleu",
]


# ---------------------------------------------------------------------------------------------
# Etiquetas
# ---------------------------------------------------------------------------------------------


def _is_tensor(obj: Any) -> bool:
    """``True`` si ``obj`` es un tensor de PyTorch (sin importar torch si nadie lo ha hecho)."""
    torch_module = sys.modules.get("torch")
    return torch_module is not None and isinstance(obj, torch_module.Tensor)


def _to_numpy_1d(values: Any, name: str) -> np.ndarray:
    if _is_tensor(values):
        values = values.detach().cpu().numpy()
    elif isinstance(values, str):
        raise TypeError(f"{name} debe ser una secuencia de etiquetas, no un texto.")
    arr = np.asarray(values)
    if arr.ndim == 0:
        raise TypeError(f"{name} debe ser una secuencia de etiquetas; se recibió un escalar.")
    if arr.ndim != 1:
        raise ValueError(
            f"{name} debe ser 1-D (una etiqueta por ejemplo); tiene forma {arr.shape}. "
            "Si son logits, usa logits_accuracy() o aplica argmax antes."
        )
    return arr


def _check_labels(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = _to_numpy_1d(y_true, "y_true")
    p = _to_numpy_1d(y_pred, "y_pred")
    if len(t) != len(p):
        raise ValueError(
            f"y_true e y_pred tienen longitudes distintas ({len(t)} y {len(p)}): "
            "debe haber una predicción por ejemplo."
        )
    if len(t) == 0:
        raise ValueError("No hay ejemplos: y_true e y_pred están vacíos.")
    return t, p


def resolve_labels(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[Any] | None
) -> tuple[list[Any], list[str]]:
    """Decide qué clases mostrar y con qué nombre (uso interno de métricas y gráficos).

    - ``labels=None``: las clases presentes en ``y_true`` o ``y_pred``, ordenadas.
    - ``labels`` con los mismos valores que aparecen en los datos (p. ej. textos): ese orden.
    - ``labels`` con nombres y datos enteros ``0…K-1``: ``labels[i]`` es el nombre de la clase
      ``i``.

    Ejemplo:
        >>> resolve_labels(np.array([0, 1]), np.array([1, 1]), ["neg", "pos"])
        ([0, 1], ['neg', 'pos'])
    """
    present = np.unique(np.concatenate([y_true, y_pred]))
    if labels is None:
        values = present.tolist()
        return values, [str(v) for v in values]
    if isinstance(labels, str):
        raise TypeError("labels debe ser una lista de clases, no un texto.")
    labels = list(labels)
    if not labels:
        raise ValueError("labels está vacía.")
    if len(set(map(str, labels))) != len(labels):
        raise ValueError(f"labels tiene nombres repetidos: {labels}.")
    present_list = present.tolist()
    if set(present_list) <= set(labels):
        return labels, [str(v) for v in labels]
    if np.issubdtype(present.dtype, np.integer):
        out_of_range = [v for v in present_list if v < 0 or v >= len(labels)]
        if not out_of_range:
            return list(range(len(labels))), [str(v) for v in labels]
        raise ValueError(
            f"Hay clases {out_of_range} fuera de labels (que nombra las clases 0…"
            f"{len(labels) - 1}). ¿Falta algún nombre en labels?"
        )
    missing = sorted(set(present_list) - set(labels), key=str)
    raise ValueError(f"Hay clases en los datos que no aparecen en labels: {missing}.")


def accuracy(y_true: Sequence[Any] | np.ndarray | torch.Tensor, y_pred: Any) -> float:
    """Exactitud (*accuracy*): fracción de predicciones iguales a la etiqueta real.

    Ejemplo:
        >>> accuracy(["pos", "neg", "pos"], ["pos", "pos", "pos"])
        0.6666666666666666
    """
    from sklearn.metrics import accuracy_score

    t, p = _check_labels(y_true, y_pred)
    return float(accuracy_score(t, p))


def macro_f1(
    y_true: Sequence[Any] | np.ndarray | torch.Tensor,
    y_pred: Any,
    labels: Sequence[Any] | None = None,
) -> float:
    """F1 macro: la media sin ponderar del F1 de cada clase (todas las clases pesan igual).

    Es la métrica adecuada cuando las clases están desbalanceadas: un clasificador que siempre
    dice la clase mayoritaria tiene exactitud alta pero F1 macro bajo. Las clases que se
    promedian son las presentes en ``y_true`` o ``y_pred`` (o las de ``labels``, valores de
    clase como en scikit-learn). Una clase nunca predicha cuenta con F1 = 0.

    Ejemplo:
        >>> round(macro_f1([0, 0, 0, 1], [0, 0, 0, 0]), 3)
        0.429
    """
    from sklearn.metrics import f1_score

    t, p = _check_labels(y_true, y_pred)
    return float(
        f1_score(t, p, average="macro", labels=None if labels is None else list(labels),
                 zero_division=0)
    )  # fmt: skip


def macro_f1_of_pairs(pairs: Sequence[tuple[Any, Any]]) -> float:
    """:func:`macro_f1` de una lista de pares ``(etiqueta real, predicción)``.

    Es la ``statistic`` para :func:`bootstrap_ci` y :func:`paired_bootstrap` cuando la métrica
    es de corpus (no una media por ítem): el *bootstrap* remuestrea pares y recalcula la
    macro-F1 de cada muestra.

    Ejemplo:
        >>> round(macro_f1_of_pairs([(0, 0), (0, 0), (0, 0), (1, 0)]), 3)
        0.429
        >>> iv = paired_bootstrap(list(zip([0, 1] * 20, [0, 1] * 20)),
        ...                       list(zip([0, 1] * 20, [0] * 40)), statistic=macro_f1_of_pairs)
        >>> iv.excludes_zero
        True
    """
    pairs = list(pairs)
    if not pairs:
        raise ValueError("macro_f1_of_pairs necesita al menos un par (real, predicción).")
    return macro_f1([t for t, _ in pairs], [p for _, p in pairs])


def classification_summary(
    y_true: Sequence[Any] | np.ndarray | torch.Tensor,
    y_pred: Any,
    labels: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Tabla de precisión, exhaustividad (*recall*), F1 y soporte por clase, en español.

    ``labels`` puede ser la lista de clases (si las etiquetas son textos) o los nombres de
    las clases ``0…K-1`` (si son enteros). Las últimas filas son el promedio macro y el
    promedio ponderado por soporte.

    Ejemplo:
        >>> tabla = classification_summary([0, 1, 1], [0, 1, 0], labels=["neg", "pos"])
        >>> list(tabla.columns)
        ['precisión', 'exhaustividad', 'F1', 'soporte']
        >>> list(tabla.index)
        ['neg', 'pos', 'promedio macro', 'promedio ponderado']
    """
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support

    t, p = _check_labels(y_true, y_pred)
    values, names = resolve_labels(t, p, labels)
    prec, rec, f1, support = precision_recall_fscore_support(t, p, labels=values, zero_division=0)
    table = pd.DataFrame(
        {"precisión": prec, "exhaustividad": rec, "F1": f1, "soporte": support.astype(int)},
        index=names,
    )
    total = int(support.sum())
    weights = support / total if total else np.zeros_like(prec)
    table.loc["promedio macro"] = [prec.mean(), rec.mean(), f1.mean(), total]
    table.loc["promedio ponderado"] = [
        float((prec * weights).sum()), float((rec * weights).sum()),
        float((f1 * weights).sum()), total,
    ]  # fmt: skip
    table["soporte"] = table["soporte"].astype(int)
    return table


# ---------------------------------------------------------------------------------------------
# Modelos de lenguaje y traducción
# ---------------------------------------------------------------------------------------------


def perplexity(mean_loss: float | torch.Tensor) -> float:
    """Perplejidad = ``exp(pérdida)``, con la entropía cruzada media por token en *nats*.

    Es la pérdida que devuelve ``nn.CrossEntropyLoss`` (logaritmo natural). Se interpreta como
    el número de palabras entre las que el modelo «duda» en cada paso: un modelo que reparte la
    probabilidad por igual entre 100 palabras tiene perplejidad 100. Si la pérdida es tan
    grande que ``exp`` desborda, devuelve ``inf``.

    Ejemplo:
        >>> round(perplexity(math.log(100)), 6)
        100.0
    """
    if _is_tensor(mean_loss):
        if mean_loss.numel() != 1:
            raise ValueError(
                "perplexity() espera la pérdida media (un número); se recibió un tensor de forma "
                f"{tuple(mean_loss.shape)}. Usa loss.mean()."
            )
        mean_loss = mean_loss.item()
    if isinstance(mean_loss, bool) or not isinstance(mean_loss, (int, float, np.number)):
        raise TypeError(
            f"perplexity() espera un número (la pérdida media); se recibió {type(mean_loss).__name__}."
        )
    mean_loss = float(mean_loss)
    if not math.isfinite(mean_loss):
        raise ValueError(f"La pérdida no es finita ({mean_loss}): el entrenamiento divergió.")
    if mean_loss < 0:
        raise ValueError(
            f"La entropía cruzada no puede ser negativa; se recibió {mean_loss}. ¿Pasaste una "
            "log-probabilidad en vez de la pérdida (que es su opuesto)?"
        )
    try:
        return math.exp(mean_loss)
    except OverflowError:
        return math.inf


def _check_texts(texts: Any, name: str) -> list[str]:
    if isinstance(texts, str):
        raise TypeError(f"{name} debe ser una lista de textos, no un único texto: usa [{name}].")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            hint = (
                " Si son listas de tokens, únelas antes con ' '.join(tokens)."
                if isinstance(t, (list, tuple))
                else ""
            )
            raise TypeError(f"{name}[{i}] debe ser un texto (str); es {type(t).__name__}.{hint}")
    return texts


def _hypotheses_and_references(
    hypotheses: Any, references: Any
) -> tuple[list[str], list[list[str]]]:
    """Valida hipótesis y referencias de BLEU; devuelve las hipótesis y las referencias de cada una."""
    hyps = _check_texts(hypotheses, "hypotheses")
    if isinstance(references, str):
        raise TypeError("references debe ser una lista de textos, no un único texto.")
    refs_in = list(references)
    if len(hyps) != len(refs_in):
        raise ValueError(
            f"Hay {len(hyps)} hipótesis y {len(refs_in)} referencias: debe haber una entrada "
            "de referencias por cada hipótesis."
        )
    if not hyps:
        raise ValueError("No hay hipótesis que evaluar (lista vacía).")
    per_hyp: list[list[str]] = []
    for i, ref in enumerate(refs_in):
        group = [ref] if isinstance(ref, str) else _check_texts(ref, f"references[{i}]")
        if not group:
            raise ValueError(f"references[{i}] no tiene ninguna referencia.")
        per_hyp.append(group)
    return hyps, per_hyp


def bleu(
    hypotheses: Sequence[str],
    references: Sequence[str] | Sequence[Sequence[str]],
    lowercase: bool = False,
    tokenize: str = "13a",
) -> float:
    """BLEU de corpus (0–100) con sacrebleu, la forma estándar de comparar traductores.

    Args:
        hypotheses: traducciones del modelo, un texto por ejemplo.
        references: una referencia por ejemplo (``list[str]``), o varias por ejemplo
            (``list[list[str]]``: ``references[i]`` son las referencias de ``hypotheses[i]``;
            pueden ser de distinto número).
        lowercase: ignorar mayúsculas.
        tokenize: tokenizador de sacrebleu (``"13a"`` por defecto, ``"none"`` si ya está
            tokenizado con espacios).

    BLEU se calcula sobre el corpus entero (no es la media de los BLEU por oración).

    Ejemplo:
        >>> round(bleu(["el gato come pescado fresco"], ["el gato come pescado fresco"]), 1)
        100.0
    """
    import sacrebleu

    hyps, per_hyp = _hypotheses_and_references(hypotheses, references)
    n_refs = max(len(g) for g in per_hyp)
    # sacrebleu quiere «flujos» de referencias: streams[j][i] es la j-ésima referencia de i.
    streams = [[g[j] if j < len(g) else None for g in per_hyp] for j in range(n_refs)]
    result = sacrebleu.corpus_bleu(hyps, streams, lowercase=lowercase, tokenize=tokenize)
    return float(result.score)


def bleu_statistics(
    hypotheses: Sequence[str],
    references: Sequence[str] | Sequence[Sequence[str]],
    lowercase: bool = False,
    tokenize: str = "13a",
) -> list[tuple[int, ...]]:
    """Los recuentos de BLEU de cada oración, para remuestrear el BLEU de **corpus** (bootstrap).

    BLEU de corpus no es la media de los BLEU por oración: suma, sobre todas las oraciones, los
    n-gramas acertados y propuestos (de 1 a 4 palabras) y las longitudes, y solo al final calcula
    las precisiones y la penalización por brevedad. Esta función devuelve, para cada oración,
    la tupla de sacrebleu ``(aciertos₁..₄, propuestos₁..₄, long. hipótesis, long. referencia)``;
    :func:`bleu_from_statistics` suma una muestra de tuplas y da su BLEU de corpus. Así
    :func:`bootstrap_ci` y :func:`paired_bootstrap` remuestrean oraciones sin volver a contar
    n-gramas (miles de veces más rápido que llamar a :func:`bleu` en cada remuestreo). Los
    argumentos son los de :func:`bleu`.

    Ejemplo:
        >>> hyps, refs = ["el gato come pescado", "un perro ladra"], ["el gato come pescado", "el perro ladra"]
        >>> stats = bleu_statistics(hyps, refs)
        >>> len(stats), len(stats[0])
        (2, 10)
        >>> round(bleu_from_statistics(stats), 4) == round(bleu(hyps, refs), 4)
        True
    """
    import sacrebleu

    hyps, per_hyp = _hypotheses_and_references(hypotheses, references)
    metric = sacrebleu.metrics.BLEU(lowercase=lowercase, tokenize=tokenize)
    stats = []
    for hyp, group in zip(hyps, per_hyp, strict=True):
        score = metric.corpus_score([hyp], [[r] for r in group])
        stats.append((*score.counts, *score.totals, score.sys_len, score.ref_len))
    return stats


def bleu_from_statistics(statistics: Any) -> float:
    """BLEU de corpus (0–100) a partir de los recuentos por oración de :func:`bleu_statistics`.

    Suma las tuplas y aplica la fórmula de sacrebleu (sin suavizado, como :func:`bleu`). Es el
    ``statistic`` que se pasa a :func:`bootstrap_ci` o :func:`paired_bootstrap`.

    Ejemplo:
        >>> stats = bleu_statistics(["el gato come"], ["el gato come pescado"])
        >>> round(bleu_from_statistics(stats + stats), 1) == round(bleu_from_statistics(stats), 1)
        True
    """
    import sacrebleu

    arr = np.asarray(list(statistics), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 10 or len(arr) == 0:
        raise ValueError(
            "statistics debe ser una lista no vacía de tuplas de 10 recuentos, como las que "
            "devuelve bleu_statistics()."
        )
    total = arr.sum(axis=0).tolist()
    return float(
        sacrebleu.metrics.BLEU.compute_bleu(total[0:4], total[4:8], total[8], total[9]).score
    )


def sentence_bleu(hypothesis: str, reference: str | Sequence[str]) -> float:
    """BLEU de una sola oración (0–100), con suavizado (útil para mirar ejemplos sueltos).

    Para evaluar un modelo usa :func:`bleu` sobre todo el corpus: el BLEU por oración es
    ruidoso y su media no es el BLEU del corpus.

    Ejemplo:
        >>> round(sentence_bleu("el gato come", "el gato come pescado"), 1)
        71.7
    """
    import sacrebleu

    if not isinstance(hypothesis, str):
        raise TypeError(f"hypothesis debe ser un texto (str); es {type(hypothesis).__name__}.")
    refs = [reference] if isinstance(reference, str) else _check_texts(reference, "reference")
    if not refs:
        raise ValueError("reference no tiene ninguna referencia.")
    return float(sacrebleu.sentence_bleu(hypothesis, refs).score)


# ---------------------------------------------------------------------------------------------
# Adaptadores para utils.train.fit: reciben (outputs, targets)
# ---------------------------------------------------------------------------------------------


def logits_to_predictions(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    ignore_index: int | None = None,
    binary: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Convierte *logits* en predicciones y las alinea con las etiquetas (ambas 1-D).

    - Multiclase: ``outputs [N, C]`` con ``targets [N]``, o ``outputs [N, T, C]`` con
      ``targets [N, T]`` (un token por posición): ``argmax`` en la última dimensión.
    - Binaria con un logit por ejemplo (``BCEWithLogitsLoss``): hay que pedirla con
      ``binary=True``; ``outputs [N]`` o ``[N, 1]`` con ``targets [N]`` (enteros, o decimales
      0.0/1.0), predicción ``logit > 0``.
    - ``ignore_index``: se descartan las posiciones cuyo objetivo es ese valor (p. ej. el
      ``pad_id`` o -100).

    Las etiquetas deben ser enteras: unos objetivos decimales (p. ej. de regresión) son un
    error, no se redondean.

    Ejemplo:
        >>> import torch
        >>> pred, true = logits_to_predictions(torch.tensor([[2.0, 1.0], [0.0, 3.0]]),
        ...                                    torch.tensor([0, 0]))
        >>> pred.tolist(), true.tolist()
        ([0, 1], [0, 0])
        >>> logits_to_predictions(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 1.0]),
        ...                       binary=True)[0].tolist()
        [1, 0]
    """
    pred, true = _predictions(outputs, targets, ignore_index, binary)
    if true.numel() == 0:
        raise ValueError(
            "No quedan posiciones que evaluar (¿todas son ignore_index, o el lote está vacío?)."
        )
    return pred, true


def _predictions(
    outputs: torch.Tensor, targets: torch.Tensor, ignore_index: int | None, binary: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Como :func:`logits_to_predictions`, pero admite que no quede ninguna posición."""
    import torch

    if not isinstance(outputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise TypeError("outputs y targets deben ser tensores de PyTorch.")
    outputs, targets = outputs.detach(), targets.detach()
    one_per_class = outputs.dim() == targets.dim() + 1 and outputs.shape[:-1] == targets.shape
    if binary:
        if one_per_class and outputs.shape[-1] == 1:
            outputs = outputs.squeeze(-1)
        if outputs.shape != targets.shape:
            raise ValueError(
                f"Con binary=True se espera un logit por ejemplo: outputs {tuple(outputs.shape)} "
                f"debe tener la forma de targets {tuple(targets.shape)} (o con un 1 al final)."
            )
        pred = (outputs > 0).long()
    elif one_per_class and outputs.shape[-1] > 1:
        pred = outputs.argmax(dim=-1)
    elif one_per_class or outputs.shape == targets.shape:
        raise ValueError(
            f"outputs {tuple(outputs.shape)} tiene un solo valor por ejemplo: ¿es una "
            "clasificación binaria con un logit (BCEWithLogitsLoss)? Pídela explícitamente con "
            "binary=True, p. ej. functools.partial(logits_accuracy, binary=True). Si es "
            "multiclase, el modelo debe devolver un logit por clase: [N, C]."
        )
    else:
        raise ValueError(
            f"Formas incompatibles: outputs {tuple(outputs.shape)} y targets "
            f"{tuple(targets.shape)}. Se espera outputs [N, C] con targets [N], outputs "
            "[N, T, C] con targets [N, T], o un logit por ejemplo con binary=True."
        )
    pred, true = pred.reshape(-1), targets.reshape(-1)
    if true.is_floating_point():
        if not (binary and bool(((true == 0) | (true == 1)).all())):
            raise ValueError(
                "Los objetivos son decimales y las métricas de clasificación necesitan etiquetas "
                "enteras (clases). ¿Es un problema de regresión? Entonces use otra métrica. "
                "Con binary=True se admiten objetivos 0.0/1.0."
            )
        true = true.long()
    if ignore_index is not None:
        keep = true != ignore_index
        pred, true = pred[keep], true[keep]
    return pred.cpu(), true.cpu()


class PredictionAccumulator:
    """Acumula predicciones y etiquetas lote a lote y calcula una métrica al final.

    Es lo que usa ``utils.train`` para :func:`logits_accuracy` y :func:`logits_macro_f1`: de
    cada lote guarda solo las clases predichas (enteros), no los *logits*. Con un modelo de
    lenguaje (``[N, T, V]``) la memoria pasa de N·T·V decimales a N·T enteros. ``chunks`` es el
    estado (una lista), que ``fit`` reúne entre procesos.

    Ejemplo:
        >>> import torch
        >>> acc = logits_accuracy.accumulator()
        >>> acc.update(torch.tensor([[2.0, 1.0]]), torch.tensor([0]))
        >>> acc.update(torch.tensor([[0.0, 3.0]]), torch.tensor([0]))
        >>> acc.compute()
        0.5
    """

    def __init__(
        self,
        score: Any,
        ignore_index: int | None = None,
        binary: bool = False,
    ) -> None:
        self.score = score
        self.ignore_index = ignore_index
        self.binary = binary
        self.chunks: list[tuple[torch.Tensor, torch.Tensor]] = []

    def update(self, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        """Añade un lote: guarda sus clases predichas y sus etiquetas (1-D, en CPU)."""
        self.chunks.append(_predictions(outputs, targets, self.ignore_index, self.binary))

    def compute(self) -> float:
        """La métrica sobre todos los lotes añadidos."""
        import torch

        if not self.chunks or sum(int(t.numel()) for _, t in self.chunks) == 0:
            raise ValueError(
                "No quedan posiciones que evaluar (¿todas son ignore_index, o no hubo lotes?)."
            )
        pred = torch.cat([p for p, _ in self.chunks])
        true = torch.cat([t for _, t in self.chunks])
        return float(self.score(true.numpy(), pred.numpy()))


def _accuracy_score(true: np.ndarray, pred: np.ndarray) -> float:
    return float((true == pred).mean())


def _macro_f1_score(true: np.ndarray, pred: np.ndarray) -> float:
    return macro_f1(true, pred)


def logits_accuracy(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    ignore_index: int | None = None,
    binary: bool = False,
) -> float:
    """Exactitud a partir de *logits*, para ``fit(metrics={"accuracy": logits_accuracy})``.

    Ver :func:`logits_to_predictions` para las formas aceptadas. Para ignorar el relleno en
    secuencias usa ``functools.partial(logits_accuracy, ignore_index=vocab.pad_id)``; para un
    solo logit por ejemplo, ``functools.partial(logits_accuracy, binary=True)``. En ``fit`` se
    calcula por lotes sin guardar los *logits* (ver :class:`PredictionAccumulator`).

    Ejemplo:
        >>> import torch
        >>> logits_accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 0]))
        0.5
    """
    pred, true = logits_to_predictions(outputs, targets, ignore_index, binary)
    return _accuracy_score(true.numpy(), pred.numpy())


def logits_macro_f1(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    ignore_index: int | None = None,
    binary: bool = False,
) -> float:
    """F1 macro a partir de *logits*, para ``fit(metrics={"macro_f1": logits_macro_f1})``.

    Ejemplo:
        >>> import torch
        >>> logits_macro_f1(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 1]))
        1.0
    """
    pred, true = logits_to_predictions(outputs, targets, ignore_index, binary)
    return _macro_f1_score(true.numpy(), pred.numpy())


def _accumulator_factory(score: Any) -> Any:
    def accumulator(ignore_index: int | None = None, binary: bool = False) -> PredictionAccumulator:
        return PredictionAccumulator(score, ignore_index=ignore_index, binary=binary)

    return accumulator


# ``fit`` y ``evaluate`` piden a una métrica su acumulador por lotes con ``.accumulator()``.
logits_accuracy.accumulator = _accumulator_factory(_accuracy_score)  # type: ignore[attr-defined]
logits_macro_f1.accumulator = _accumulator_factory(_macro_f1_score)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Autoevaluación de los desafíos
# ---------------------------------------------------------------------------------------------


def meets_bar(
    value: float | torch.Tensor, threshold: float, name: str, higher_is_better: bool = True
) -> bool:
    """Comprueba si una métrica alcanza el objetivo e imprime una línea ✅ o ❌.

    Con ``higher_is_better=False`` (pérdida, perplejidad) el objetivo es no superar el umbral.
    Un valor no finito (``nan``, ``inf``) nunca cumple.

    Ejemplo:
        >>> meets_bar(0.812, 0.8, "macro-F1")
        ✅ macro-F1 = 0.812 ≥ 0.800: ¡objetivo cumplido!
        True
        >>> meets_bar(180.0, 150.0, "perplejidad", higher_is_better=False)
        ❌ perplejidad = 180.000 > 150.000: todavía no; el objetivo es ≤ 150.000. ¡Sigue probando!
        False
    """
    if not isinstance(name, str) or not name:
        raise TypeError("name debe ser el nombre de la métrica (un texto no vacío).")
    if _is_tensor(value):
        if value.numel() != 1:
            raise ValueError(
                f"value debe ser un número; es un tensor de forma {tuple(value.shape)}."
            )
        value = value.item()
    for label, v in (("value", value), ("threshold", threshold)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            raise TypeError(f"{label} debe ser un número; se recibió {type(v).__name__}.")
    value, threshold = float(value), float(threshold)
    if not math.isfinite(threshold):
        raise ValueError(f"El umbral debe ser un número finito; se recibió {threshold}.")
    ok_sign, bad_sign = ("≥", "<") if higher_is_better else ("≤", ">")
    if not math.isfinite(value):
        print(f"❌ {name} = {value}: el valor no es finito (¿divergió el entrenamiento?).")
        return False
    ok = value >= threshold if higher_is_better else value <= threshold
    if ok:
        print(f"✅ {name} = {value:.3f} {ok_sign} {threshold:.3f}: ¡objetivo cumplido!")
    else:
        print(
            f"❌ {name} = {value:.3f} {bad_sign} {threshold:.3f}: todavía no; el objetivo es "
            f"{ok_sign} {threshold:.3f}. ¡Sigue probando!"
        )
    return ok


# ---------------------------------------------------------------------------------------------
# Intervalos de confianza por bootstrap
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """Una estimación con su intervalo de confianza (``low`` ≤ ``estimate`` ≤ ``high`` en general).

    Para una comparación pareada, ``estimate`` es la diferencia A − B y ``excludes_zero`` dice
    si el intervalo permite afirmar que A y B difieren.
    """

    estimate: float
    low: float
    high: float
    confidence: float = 0.95

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        pct = f"{100 * self.confidence:g} %"
        return f"{self.estimate:+.4f} (IC {pct}: {self.low:+.4f} a {self.high:+.4f})"


def _resampler(values: Any, name: str) -> tuple[int, Any]:
    if isinstance(values, str) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} debe ser una secuencia de resultados por ítem.")
    n = len(values)
    if n < 2:
        raise ValueError(f"{name} necesita al menos 2 ítems para un bootstrap; tiene {n}.")
    try:
        arr = np.asarray(values, dtype=float)
        if arr.ndim == 1:
            return n, lambda idx: arr[idx]
    except (TypeError, ValueError):
        pass
    items = list(values)
    return n, lambda idx: [items[i] for i in idx]


def _check_boot(n_boot: int, confidence: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 100:
        raise ValueError(f"n_boot debe ser un entero ≥ 100; se recibió {n_boot!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence debe estar entre 0 y 1 (p. ej. 0.95); es {confidence!r}.")


def _percentile_interval(
    n: int, estimate_at: Any, n_boot: int, confidence: float, seed: int
) -> Interval:
    """Intervalo percentil de ``estimate_at(índices)`` sobre ``n_boot`` remuestreos de n ítems."""
    _check_boot(n_boot, confidence)
    rng = np.random.default_rng(seed)
    boots = np.array([estimate_at(rng.integers(0, n, n)) for _ in range(n_boot)], dtype=float)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha])
    return Interval(float(estimate_at(np.arange(n))), float(low), float(high), confidence)


def bootstrap_ci(
    values: Any,
    statistic: Any = None,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Intervalo de confianza por bootstrap (percentil) de una métrica sobre ítems de prueba.

    ``values`` son los resultados por ítem (aciertos 0/1, pérdidas...) y ``statistic`` la
    función que resume una muestra (por defecto la media). Para métricas de corpus como BLEU,
    ``values`` puede ser una lista de pares ``(hipótesis, referencia)`` y ``statistic`` una
    función que recibe la lista remuestreada.

    Ejemplo:
        >>> iv = bootstrap_ci([1, 0, 1, 1, 0, 1, 1, 1, 0, 1])
        >>> iv.estimate, iv.low <= 0.7 <= iv.high
        (0.7, True)
    """
    n, take = _resampler(values, "values")
    stat = statistic or (lambda x: float(np.mean(x)))
    return _percentile_interval(n, lambda idx: stat(take(idx)), n_boot, confidence, seed)


def paired_bootstrap(
    values_a: Any,
    values_b: Any,
    statistic: Any = None,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Bootstrap pareado de la diferencia A − B medida sobre **los mismos** ítems de prueba.

    Remuestrea los mismos índices para los dos modelos, así la variación de dificultad entre
    ítems no se confunde con la diferencia entre modelos. Si el intervalo excluye el 0
    (``excludes_zero``), se puede decir «A supera a B» (o al revés); si no, «no hay diferencia
    medible con este conjunto».

    Ejemplo:
        >>> a = [1, 1, 1, 0, 1, 1, 1, 1, 0, 1] * 5   # aciertos del modelo A por ítem
        >>> b = [1, 0, 1, 0, 1, 0, 1, 1, 0, 0] * 5   # aciertos del modelo B, mismos ítems
        >>> iv = paired_bootstrap(a, b)
        >>> round(iv.estimate, 2), iv.excludes_zero
        (0.3, True)
    """
    n, take_a = _resampler(values_a, "values_a")
    n_b, take_b = _resampler(values_b, "values_b")
    if n != n_b:
        raise ValueError(
            f"El bootstrap pareado necesita los mismos ítems: A tiene {n} y B tiene {n_b}."
        )
    stat = statistic or (lambda x: float(np.mean(x)))
    return _percentile_interval(
        n, lambda idx: stat(take_a(idx)) - stat(take_b(idx)), n_boot, confidence, seed
    )
