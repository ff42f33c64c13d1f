"""Gráficos del curso (matplotlib): curvas de pérdida, matriz de confusión, atención y
proyecciones 2-D de embeddings.

Todas las funciones dibujan sobre ``ax`` si se pasa uno (para componer figuras) o crean una
figura nueva, y **devuelven los ejes** (``Axes``) sin llamar a ``plt.show()``: en Jupyter la
figura se muestra sola al final de la celda.

Ejemplo:
    >>> ax = plot_heatmap([[1.0, 0.2], [0.2, 1.0]], ["rey", "reina"], ["rey", "reina"])
    >>> ax.get_title()
    'Mapa de calor'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from .metrics import _check_labels, _is_tensor, resolve_labels

__all__ = [
    "plot_attention",
    "plot_confusion_matrix",
    "plot_embeddings_2d",
    "plot_heatmap",
    "plot_history",
]


def _to_numpy(values: Any, name: str) -> np.ndarray:
    """Tensor de PyTorch (también en GPU o con gradiente), lista o array → ``np.ndarray``."""
    if _is_tensor(values):
        values = values.detach().cpu().float().numpy()
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} debe ser una matriz de números ({err}).") from err
    return arr


def _check_ax(ax: Any) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(f"ax debe ser un matplotlib Axes o None; se recibió {type(ax).__name__}.")
    return ax


def _check_tick_labels(
    labels: Sequence[Any] | None, n: int, name: str, what: str
) -> list[str] | None:
    if labels is None:
        return None
    if isinstance(labels, str):
        raise TypeError(f"{name} debe ser una lista de etiquetas, no un texto.")
    labels = [str(x) for x in labels]
    if len(labels) != n:
        raise ValueError(f"{name} tiene {len(labels)} etiquetas, pero la matriz tiene {n} {what}.")
    return labels


# ---------------------------------------------------------------------------------------------
# Historial de entrenamiento
# ---------------------------------------------------------------------------------------------


def _history_rows(history: Any) -> list[dict[str, Any]]:
    if hasattr(history, "epochs") and not isinstance(history, Mapping):
        rows = history.epochs
    else:
        rows = history
    if isinstance(rows, Mapping):  # dict de listas
        lengths = {k: len(v) for k, v in rows.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"Las listas del historial tienen longitudes distintas: {lengths}.")
        n = next(iter(lengths.values()), 0)
        rows = [{k: v[i] for k, v in rows.items()} for i in range(n)]
    if isinstance(rows, str) or not isinstance(rows, Sequence):
        raise TypeError(
            "history debe ser un History de utils.train.fit (con .epochs), una lista de "
            "diccionarios por época o un diccionario de listas."
        )
    rows = list(rows)
    if not rows:
        raise ValueError("El historial está vacío: no hay ninguna época que dibujar.")
    for row in rows:
        if not isinstance(row, Mapping):
            raise TypeError(
                f"Cada época del historial debe ser un diccionario; se recibió {row!r}."
            )
    return rows


def _series(rows: list[dict[str, Any]], key: str) -> list[float] | None:
    if not any(key in r for r in rows):
        return None
    out = []
    for r in rows:
        v = r.get(key)
        out.append(float("nan") if v is None else float(v))
    return None if all(math.isnan(v) for v in out) else out


def plot_history(
    history: Any,
    metrics: Sequence[str] | str | None = None,
    ax: Axes | Sequence[Axes] | None = None,
) -> Axes | tuple[Axes, Axes]:
    """Dibuja las curvas de pérdida de entrenamiento y validación por época.

    ``history`` puede ser el ``History`` que devuelve ``utils.train.fit`` (atributo
    ``.epochs``: lista de diccionarios con ``"epoch"``, ``"train_loss"``, ``"val_loss"`` y
    ``"val_<métrica>"``), una lista de esos diccionarios o un diccionario de listas.

    Con ``metrics`` (p. ej. ``["accuracy"]`` o ``"val_accuracy"``) añade un segundo panel con
    esas métricas (de validación y, si existe, de entrenamiento) y devuelve los dos ejes
    ``(ax_pérdida, ax_métricas)``; sin ``metrics`` devuelve un solo ``Axes``. Para dibujar en
    ejes existentes pasa ``ax`` (uno, o dos si hay ``metrics``).

    Ejemplo:
        >>> epochs = [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.6},
        ...           {"epoch": 2, "train_loss": 0.7, "val_loss": 0.9, "val_accuracy": 0.7}]
        >>> ax_loss, ax_metric = plot_history(epochs, metrics=["accuracy"])
        >>> [line.get_label() for line in ax_loss.get_lines()]
        ['entrenamiento', 'validación']
    """
    rows = _history_rows(history)
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(rows)]
    train = _series(rows, "train_loss")
    val = _series(rows, "val_loss")
    if train is None and val is None:
        raise ValueError(
            "El historial no tiene 'train_loss' ni 'val_loss'. Claves disponibles: "
            f"{sorted({k for r in rows for k in r})}."
        )
    if isinstance(metrics, str):
        metrics = [metrics]
    elif metrics is not None:
        metrics = list(metrics)
    metric_series: list[tuple[str, list[float]]] = []
    if metrics is not None:
        if not metrics:
            raise ValueError("metrics está vacía; usa None para dibujar solo la pérdida.")
        available = sorted(
            {k for r in rows for k in r if k not in ("epoch", "train_loss", "val_loss")}
        )
        for name in metrics:
            base = name.removeprefix("val_").removeprefix("train_")
            found = False
            for prefix, legend in (("train_", "entrenamiento"), ("val_", "validación")):
                series = _series(rows, prefix + base)
                if series is not None:
                    metric_series.append((f"{base} ({legend})", series))
                    found = True
            if not found and (series := _series(rows, name)) is not None:
                metric_series.append((name, series))
                found = True
            if not found:
                raise ValueError(
                    f"La métrica {name!r} no está en el historial. Disponibles: {available}."
                )
    # Ejes
    if metrics is None:
        ax_loss = _check_ax(ax)
        ax_metric = None
    elif ax is None:
        _, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(11, 4))
    else:
        if isinstance(ax, Axes) or len(ax) != 2:
            raise ValueError("Con metrics hacen falta dos ejes: ax=(ax_pérdida, ax_métricas).")
        ax_loss, ax_metric = (_check_ax(a) for a in ax)
    marker = "o" if len(rows) <= 30 else None
    if train is not None:
        ax_loss.plot(epochs, train, marker=marker, label="entrenamiento")
    if val is not None:
        ax_loss.plot(epochs, val, marker=marker, label="validación")
    ax_loss.set_xlabel("época")
    ax_loss.set_ylabel("pérdida")
    ax_loss.set_title("Curva de pérdida")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    if ax_metric is None:
        return ax_loss
    for label, series in metric_series:
        ax_metric.plot(epochs, series, marker=marker, label=label)
    ax_metric.set_xlabel("época")
    ax_metric.set_ylabel("valor")
    ax_metric.set_title("Métricas")
    ax_metric.legend()
    ax_metric.grid(alpha=0.3)
    ax_loss.figure.tight_layout()
    return ax_loss, ax_metric


# ---------------------------------------------------------------------------------------------
# Matrices
# ---------------------------------------------------------------------------------------------


def _annotate(ax: Axes, matrix: np.ndarray, fmt: str) -> None:
    finite = matrix[np.isfinite(matrix)]
    mid = (finite.max() + finite.min()) / 2 if finite.size else 0.0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = matrix[i, j]
            ax.text(
                j, i, format(value, fmt), ha="center", va="center", fontsize=9,
                color="white" if value < mid else "black",
            )  # fmt: skip


def plot_heatmap(
    matrix: Any,
    row_labels: Sequence[Any] | None,
    col_labels: Sequence[Any] | None,
    title: str | None = None,
    ax: Axes | None = None,
    annotate: bool = False,
    cmap: str = "viridis",
    fmt: str = ".2f",
) -> Axes:
    """Mapa de calor de una matriz (p. ej. similitudes coseno entre palabras).

    ``row_labels`` / ``col_labels`` nombran filas y columnas (``None``: sin nombres). Con
    ``annotate=True`` escribe el valor en cada celda con el formato ``fmt``.

    Ejemplo:
        >>> ax = plot_heatmap([[1.0, 0.3], [0.3, 1.0]], ["gato", "perro"], ["gato", "perro"],
        ...                   title="Similitud coseno", annotate=True)
        >>> ax.get_images()[0].get_array().shape
        (2, 2)
    """
    arr = _to_numpy(matrix, "matrix")
    if arr.ndim != 2:
        raise ValueError(f"matrix debe ser 2-D; tiene forma {arr.shape}.")
    if arr.size == 0:
        raise ValueError("matrix está vacía.")
    rows = _check_tick_labels(row_labels, arr.shape[0], "row_labels", "filas")
    cols = _check_tick_labels(col_labels, arr.shape[1], "col_labels", "columnas")
    ax = _check_ax(ax)
    image = ax.imshow(arr, cmap=cmap, aspect="auto")
    ax.figure.colorbar(image, ax=ax)
    if cols is not None:
        ax.set_xticks(range(len(cols)), labels=cols, rotation=45, ha="right")
    if rows is not None:
        ax.set_yticks(range(len(rows)), labels=rows)
    if annotate:
        _annotate(ax, arr, fmt)
    ax.set_title(title if title is not None else "Mapa de calor")
    return ax


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    labels: Sequence[Any] | None = None,
    normalize: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Matriz de confusión anotada: filas = clase real, columnas = predicción.

    ``labels`` puede ser la lista de clases (si las etiquetas son textos) o los nombres de las
    clases ``0…K-1`` (si son enteros). Con ``normalize=True`` cada fila se divide por su total
    (la diagonal es entonces la exhaustividad, *recall*, de cada clase).

    Ejemplo:
        >>> ax = plot_confusion_matrix([0, 1, 1, 0], [0, 1, 0, 0], labels=["neg", "pos"])
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('predicción', 'real')
    """
    from sklearn.metrics import confusion_matrix

    t, p = _check_labels(y_true, y_pred)
    values, names = resolve_labels(t, p, labels)
    cm = confusion_matrix(t, p, labels=values).astype(float)
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    ax = _check_ax(ax)
    image = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    ax.figure.colorbar(image, ax=ax)
    ax.set_xticks(range(len(names)), labels=names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), labels=names)
    fmt = ".2f" if normalize else ".0f"
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(
                j, i, format(cm[i, j], fmt), ha="center", va="center",
                color="white" if cm[i, j] > threshold else "black",
            )  # fmt: skip
    ax.set_xlabel("predicción")
    ax.set_ylabel("real")
    ax.set_title("Matriz de confusión" + (" (normalizada por fila)" if normalize else ""))
    return ax


def plot_attention(
    weights: Any,
    src_tokens: Sequence[str],
    tgt_tokens: Sequence[str],
    ax: Axes | None = None,
    annotate: bool = False,
) -> Axes:
    """Mapa de calor de los pesos de atención ``[tgt_len, src_len]``.

    Cada fila es un token generado (destino) y muestra cuánto «miró» cada token de origen;
    las filas suelen sumar 1. Acepta tensores (también en GPU o con gradiente) y un eje de
    lote de tamaño 1 (``[1, tgt_len, src_len]``).

    Ejemplo:
        >>> w = [[0.9, 0.1], [0.2, 0.8]]
        >>> ax = plot_attention(w, ["el", "gato"], ["the", "cat"])
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('origen', 'destino')
    """
    arr = _to_numpy(weights, "weights")
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(
            f"weights debe tener forma [tgt_len, src_len]; tiene {arr.shape}. Si es un lote o "
            "varias cabezas, elige un ejemplo y una cabeza: weights[0, cabeza]."
        )
    for name, tokens in (("src_tokens", src_tokens), ("tgt_tokens", tgt_tokens)):
        if isinstance(tokens, str):
            raise TypeError(f"{name} debe ser una lista de tokens, no un texto: tokeniza primero.")
    if len(tgt_tokens) != arr.shape[0] or len(src_tokens) != arr.shape[1]:
        raise ValueError(
            f"Los pesos tienen forma {arr.shape} = [tgt_len, src_len], pero hay "
            f"{len(tgt_tokens)} tokens destino y {len(src_tokens)} de origen."
        )
    ax = _check_ax(ax)
    image = ax.imshow(arr, cmap="viridis", aspect="auto", vmin=0)
    ax.figure.colorbar(image, ax=ax)
    ax.set_xticks(
        range(len(src_tokens)), labels=[str(t) for t in src_tokens], rotation=45, ha="right"
    )
    ax.set_yticks(range(len(tgt_tokens)), labels=[str(t) for t in tgt_tokens])
    if annotate:
        _annotate(ax, arr, ".2f")
    ax.set_xlabel("origen")
    ax.set_ylabel("destino")
    ax.set_title("Pesos de atención")
    return ax


# ---------------------------------------------------------------------------------------------
# Embeddings
# ---------------------------------------------------------------------------------------------


def plot_embeddings_2d(
    vectors: Any,
    labels: Sequence[str] | None,
    method: str = "pca",
    groups: Sequence[str] | None = None,
    ax: Axes | None = None,
    seed: int = 0,
) -> Axes:
    """Proyecta vectores ``[n, d]`` a 2-D (PCA o t-SNE) y los dibuja con su etiqueta.

    - ``method="pca"``: proyección lineal; los ejes indican el % de varianza explicada.
    - ``method="tsne"``: no lineal, conserva vecindarios; la *perplexity* se adapta a ``n``
      pequeño (``min(30, (n - 1) / 3)``) y ``seed`` la hace reproducible. Con hasta 500 puntos
      usa el gradiente exacto (rápido para pocos puntos); con más, Barnes-Hut.
    - ``groups``: un grupo por punto (p. ej. «animales», «colores»); colorea por grupo y añade
      la leyenda.

    Ejemplo:
        >>> vecs = np.random.default_rng(0).normal(size=(6, 10))
        >>> ax = plot_embeddings_2d(vecs, ["rey", "reina", "hombre", "mujer", "gato", "perro"],
        ...                         groups=["realeza"] * 2 + ["persona"] * 2 + ["animal"] * 2)
        >>> len(ax.texts), ax.get_legend() is not None
        (6, True)
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    arr = _to_numpy(vectors, "vectors")
    if arr.ndim != 2:
        raise ValueError(f"vectors debe tener forma [n, d]; tiene {arr.shape}.")
    n, d = arr.shape
    if n < 2 or d < 2:
        raise ValueError(f"Hacen falta al menos 2 vectores de dimensión ≥ 2; forma {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError("vectors contiene valores no finitos (nan o inf).")
    if method not in ("pca", "tsne"):
        raise ValueError(f"method debe ser 'pca' o 'tsne'; se recibió {method!r}.")
    names = _check_tick_labels(labels, n, "labels", "vectores")
    group_names = _check_tick_labels(groups, n, "groups", "vectores")
    if method == "pca":
        pca = PCA(n_components=2, random_state=seed)
        coords = pca.fit_transform(arr)
        ratio = pca.explained_variance_ratio_ * 100
        xlabel = f"componente 1 ({ratio[0]:.0f} % de la varianza)"
        ylabel = f"componente 2 ({ratio[1]:.0f} % de la varianza)"
        title = "Embeddings proyectados con PCA"
    else:
        perplexity = float(max(1.0, min(30.0, (n - 1) / 3)))
        # Con pocos puntos el gradiente exacto es más rápido (y sin hilos) que Barnes-Hut.
        tsne = TSNE(
            n_components=2,
            perplexity=perplexity,
            random_state=seed,
            init="pca",
            method="exact" if n <= 500 else "barnes_hut",
        )
        coords = tsne.fit_transform(arr)
        xlabel, ylabel = "dimensión 1", "dimensión 2"
        title = "Embeddings proyectados con t-SNE"
    ax = _check_ax(ax)
    if group_names is None:
        ax.scatter(coords[:, 0], coords[:, 1], s=25)
    else:
        unique = list(dict.fromkeys(group_names))
        cmap = plt.get_cmap("tab10" if len(unique) <= 10 else "tab20")
        for k, group in enumerate(unique):
            mask = np.array([g == group for g in group_names])
            ax.scatter(coords[mask, 0], coords[mask, 1], s=25, color=cmap(k % cmap.N), label=group)
        ax.legend(title="grupo")
    if names is not None:
        for (x, y), name in zip(coords, names, strict=True):
            ax.annotate(name, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax
