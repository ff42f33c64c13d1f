"""Conjunto de evaluación de sentidos de palabras del curso (clase 7) y su métrica, el ROC AUC.

``clase_7/sentidos.tsv`` tiene pares de usos de la misma palabra ambigua del corpus («vino»
bebida / de venir, «sal» sustancia / de salir…), cada uno etiquetado como mismo sentido (1) o
sentido distinto (0), y repartido en ``dev`` (para elegir capas y variantes) y ``test`` (se
puntúa una vez). ``clase_7/sentidos.md`` cuenta cómo se hizo.

Un buen vector contextual da **más similitud** a los pares del mismo sentido: el ROC AUC de la
similitud coseno frente a la etiqueta mide cuánto (0,5 = no separa nada; 1 = separa del todo).

Ejemplo:
    >>> pares = load_word_sense_pairs("dev")
    >>> sorted(pares.columns[:4])
    ['id', 'mismo_sentido', 'palabra', 'particion']
    >>> word_sense_auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]).estimate
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import REPO_ROOT
from .metrics import Interval, bootstrap_ci, paired_bootstrap

__all__ = [
    "PAIRS_PATH",
    "find_word",
    "load_word_sense_pairs",
    "word_sense_auc",
    "word_sense_auc_diff",
]

#: El archivo de pares (dentro del repositorio).
PAIRS_PATH: Path = REPO_ROOT / "clase_7" / "sentidos.tsv"
_COLUMNS = ["id", "palabra", "particion", "mismo_sentido", "texto_a", "texto_b"]


def load_word_sense_pairs(split: str | None = None, path: str | Path | None = None) -> pd.DataFrame:
    """Lee los pares etiquetados; ``split`` = ``"dev"``, ``"test"`` o ``None`` (todos).

    Ejemplo:
        >>> len(load_word_sense_pairs("test")) >= 40
        True
    """
    path = Path(path) if path is not None else PAIRS_PATH
    if not path.is_file():
        raise FileNotFoundError(f"No existe el archivo de pares de sentidos {path}.")
    if split not in (None, "dev", "test"):
        raise ValueError(f"split debe ser 'dev', 'test' o None; se recibió {split!r}.")
    frame = pd.read_csv(path, sep="\t", dtype={"mismo_sentido": int})
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path.name} no tiene las columnas {missing}.")
    if not set(frame["mismo_sentido"]) <= {0, 1}:
        raise ValueError("La columna mismo_sentido solo puede valer 0 o 1.")
    if split is not None:
        frame = frame[frame["particion"] == split].reset_index(drop=True)
    return frame


def find_word(tokens: Sequence[str], word: str) -> int:
    """Posición de la **primera** aparición de ``word`` en ``tokens`` (sin distinguir mayúsculas).

    Ejemplo:
        >>> find_word(["Y", "vino", "Jesús"], "vino")
        1
    """
    target = word.lower()
    for i, token in enumerate(tokens):
        if token.lower() == target:
            return i
    raise ValueError(f"La palabra «{word}» no aparece en {list(tokens)[:12]}…")


def _auc(pairs: Any) -> float:
    """AUC de Mann-Whitney: probabilidad de que un par «mismo sentido» puntúe más que uno «distinto».

    Con rangos promedio (los empates cuentan ½); igual a ``sklearn.metrics.roc_auc_score`` y
    mucho más rápido dentro de un *bootstrap* de miles de remuestras.
    """
    from scipy.stats import rankdata

    arr = np.asarray(pairs, dtype=float)  # [n, 2]: (puntuación, etiqueta)
    scores, labels = arr[:, 0], arr[:, 1]
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _check(scores: Any, labels: Any) -> list[tuple[float, int]]:
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(
            f"scores y labels deben ser listas de la misma longitud; tienen {scores.shape} y "
            f"{labels.shape}."
        )
    if not set(labels.tolist()) <= {0, 1} or len(set(labels.tolist())) < 2:
        raise ValueError("labels debe tener 0 y 1 (hacen falta pares de ambas clases).")
    if not np.isfinite(scores).all():
        raise ValueError("scores contiene NaN o infinitos.")
    return list(zip(scores.tolist(), labels.astype(int).tolist(), strict=True))


def word_sense_auc(scores: Sequence[float], labels: Sequence[int], seed: int = 0) -> Interval:
    """ROC AUC de ``scores`` (similitudes) frente a ``labels`` (1 = mismo sentido), con IC 95 %.

    El intervalo es un *bootstrap* por pares (el conjunto es pequeño: siempre con intervalo).

    Ejemplo:
        >>> iv = word_sense_auc([0.9, 0.7, 0.8, 0.1, 0.3, 0.2], [1, 1, 1, 0, 0, 0])
        >>> iv.estimate, iv.low <= iv.estimate <= iv.high
        (1.0, True)
    """
    items = _check(scores, labels)
    return bootstrap_ci(items, statistic=_nan_safe(_auc), seed=seed)


def word_sense_auc_diff(
    scores_a: Sequence[float], scores_b: Sequence[float], labels: Sequence[int], seed: int = 0
) -> Interval:
    """Diferencia de AUC (A − B) con *bootstrap* pareado: los mismos pares remuestreados para ambos.

    Ejemplo:
        >>> y = [1, 1, 1, 0, 0, 0] * 5
        >>> word_sense_auc_diff([0.9, 0.7, 0.8, 0.1, 0.3, 0.2] * 5, [0.5] * 30, y).estimate
        0.5
    """
    items_a = _check(scores_a, labels)
    items_b = _check(scores_b, labels)
    return paired_bootstrap(items_a, items_b, statistic=_nan_safe(_auc), seed=seed)


def _nan_safe(stat: Any) -> Any:
    """Una remuestra con una sola clase no tiene AUC: se le da 0,5 (no separa), muy improbable."""

    def wrapped(items: Any) -> float:
        value = stat(items)
        return 0.5 if np.isnan(value) else value

    return wrapped
