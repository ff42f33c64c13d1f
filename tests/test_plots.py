"""Pruebas de utils.plots (backend Agg, sin ventanas)."""

from __future__ import annotations

import doctest
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import utils.plots as plots_module  # noqa: E402
from utils.plots import (  # noqa: E402
    plot_attention,
    plot_confusion_matrix,
    plot_embeddings_2d,
    plot_heatmap,
    plot_history,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


EPOCHS = [
    {"epoch": 1, "train_loss": 1.0, "val_loss": 1.2, "val_accuracy": 0.5, "train_accuracy": 0.4},
    {"epoch": 2, "train_loss": 0.6, "val_loss": 0.9, "val_accuracy": 0.7, "train_accuracy": 0.6},
    {"epoch": 3, "train_loss": 0.4, "val_loss": 0.8, "val_accuracy": 0.8, "train_accuracy": 0.8},
]


def test_doctests():
    result = doctest.testmod(plots_module)
    assert result.failed == 0


def test_plot_history_accepts_three_formats():
    as_object = SimpleNamespace(epochs=EPOCHS)
    as_dict = {k: [r[k] for r in EPOCHS] for k in EPOCHS[0]}
    for history in (EPOCHS, as_object, as_dict):
        ax = plot_history(history)
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["entrenamiento", "validación"]
        assert list(lines[0].get_xdata()) == [1, 2, 3]
        assert list(lines[1].get_ydata()) == [1.2, 0.9, 0.8]
        assert ax.get_xlabel() == "época" and ax.get_ylabel() == "pérdida"


def test_plot_history_with_metrics_panel():
    ax_loss, ax_metric = plot_history(EPOCHS, metrics=["accuracy"])
    labels = [line.get_label() for line in ax_metric.get_lines()]
    assert labels == ["accuracy (entrenamiento)", "accuracy (validación)"]
    assert ax_loss.figure is ax_metric.figure
    _, ax_metric = plot_history(EPOCHS, metrics="val_accuracy")
    assert len(ax_metric.get_lines()) == 2
    fig, axes = plt.subplots(1, 2)
    out = plot_history(EPOCHS, metrics=["accuracy"], ax=axes)
    assert out[0] is axes[0]


def test_plot_history_missing_values_and_no_validation():
    rows = [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}]
    ax = plot_history(rows)
    assert [line.get_label() for line in ax.get_lines()] == ["entrenamiento"]
    rows = [{"train_loss": 1.0, "val_loss": None}, {"train_loss": 0.5, "val_loss": 0.7}]
    ax = plot_history(rows)
    assert len(ax.get_lines()) == 2
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2]


def test_plot_history_bad_input():
    with pytest.raises(ValueError, match="vacío"):
        plot_history([])
    with pytest.raises(ValueError, match="train_loss"):
        plot_history([{"epoch": 1, "accuracy": 0.5}])
    with pytest.raises(ValueError, match="f1"):
        plot_history(EPOCHS, metrics=["f1"])
    with pytest.raises(ValueError, match="longitudes"):
        plot_history({"train_loss": [1, 2], "val_loss": [1]})
    with pytest.raises(TypeError):
        plot_history("historial")
    with pytest.raises(ValueError, match="dos ejes"):
        plot_history(EPOCHS, metrics=["accuracy"], ax=plt.subplots()[1])


def test_plot_confusion_matrix():
    ax = plot_confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 0, 2, 2, 1], labels=["neg", "neu", "pos"])
    image = ax.get_images()[0].get_array()
    assert image.shape == (3, 3)
    assert image.tolist() == [[1, 0, 0], [1, 1, 0], [0, 1, 2]]
    assert len(ax.texts) == 9
    assert [t.get_text() for t in ax.get_xticklabels()] == ["neg", "neu", "pos"]
    assert ax.get_xlabel() == "predicción" and ax.get_ylabel() == "real"
    ax = plot_confusion_matrix(["a", "b", "b"], ["a", "a", "b"], normalize=True)
    assert ax.get_images()[0].get_array().tolist() == [[1.0, 0.0], [0.5, 0.5]]
    assert "normalizada" in ax.get_title()
    with pytest.raises(ValueError, match="longitudes"):
        plot_confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="labels"):
        plot_confusion_matrix([0, 5], [0, 1], labels=["a", "b"])


def test_plot_attention():
    weights = torch.softmax(torch.randn(3, 4, requires_grad=True), dim=-1)
    ax = plot_attention(weights, ["el", "gato", "come", "<eos>"], ["the", "cat", "eats"])
    assert ax.get_images()[0].get_array().shape == (3, 4)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["the", "cat", "eats"]
    assert ax.get_title() == "Pesos de atención"
    ax = plot_attention(weights[None], ["a", "b", "c", "d"], ["x", "y", "z"], annotate=True)
    assert len(ax.texts) == 12
    with pytest.raises(ValueError, match="tgt_len, src_len"):
        plot_attention(weights, ["el", "gato"], ["the", "cat", "eats"])
    with pytest.raises(ValueError, match="forma"):
        plot_attention(torch.rand(2, 3, 4), ["a"] * 4, ["b"] * 3)
    with pytest.raises(TypeError, match="tokeniza"):
        plot_attention(np.ones((1, 4)), "el gato", ["x"])


def test_plot_heatmap():
    sim = np.array([[1.0, 0.2, 0.1], [0.2, 1.0, 0.5]])
    ax = plot_heatmap(sim, ["rey", "reina"], ["a", "b", "c"], title="Similitud", annotate=True)
    assert ax.get_title() == "Similitud"
    assert ax.get_images()[0].get_array().shape == (2, 3)
    assert [t.get_text() for t in ax.texts][:2] == ["1.00", "0.20"]
    fig, ax0 = plt.subplots()
    assert plot_heatmap(sim, None, None, ax=ax0) is ax0
    with pytest.raises(ValueError, match="row_labels"):
        plot_heatmap(sim, ["rey"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="2-D"):
        plot_heatmap(np.ones(3), None, None)
    with pytest.raises(TypeError, match="Axes"):
        plot_heatmap(sim, None, None, ax="no")  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_plot_embeddings_2d(method):
    rng = np.random.default_rng(0)
    vectors = np.concatenate([rng.normal(0, 0.1, (5, 8)), rng.normal(3, 0.1, (5, 8))])
    labels = [f"p{i}" for i in range(10)]
    groups = ["a"] * 5 + ["b"] * 5
    ax = plot_embeddings_2d(torch.tensor(vectors), labels, method=method, groups=groups)
    assert len(ax.texts) == 10
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert len(ax.collections) == 2
    offsets = ax.collections[0].get_offsets()
    assert offsets.shape == (5, 2)
    assert method.replace("tsne", "t-SNE").upper() in ax.get_title().upper()


def test_plot_embeddings_2d_small_and_bad_input():
    ax = plot_embeddings_2d(np.eye(3), ["a", "b", "c"], method="tsne")
    assert len(ax.texts) == 3
    ax = plot_embeddings_2d(np.eye(4), None)
    assert len(ax.texts) == 0 and ax.get_legend() is None
    with pytest.raises(ValueError, match="labels"):
        plot_embeddings_2d(np.eye(3), ["a", "b"])
    with pytest.raises(ValueError, match="method"):
        plot_embeddings_2d(np.eye(3), None, method="umap")
    with pytest.raises(ValueError, match="forma"):
        plot_embeddings_2d(np.ones(3), None)
    with pytest.raises(ValueError, match="al menos 2"):
        plot_embeddings_2d(np.ones((1, 5)), None)
    with pytest.raises(ValueError, match="finitos"):
        plot_embeddings_2d(np.array([[1.0, np.nan], [0.0, 1.0]]), None)
