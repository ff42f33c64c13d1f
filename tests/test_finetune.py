"""Pruebas de utils.finetune: Trainer, ajuste fino y el clasificador de sentimiento en caché."""

from __future__ import annotations

import time

import numpy as np
import pytest
from datasets import Dataset

from utils import config
from utils import finetune as ft
from utils.hub import minilm_path

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path())


def toy_sets():
    good = ["great movie", "wonderful film", "great acting", "wonderful story"] * 4
    bad = ["awful movie", "terrible film", "awful acting", "terrible story"] * 4
    data = Dataset.from_dict({"text": good + bad, "label": [1] * 16 + [0] * 16})
    return data, data.select([0, 1, 2, 3, 16, 17, 18, 19])


def test_accuracy_metrics():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [0.3, 0.1]])
    assert ft.accuracy_metrics((logits, np.array([0, 1, 1]))) == {"accuracy": pytest.approx(2 / 3)}
    with pytest.raises(ValueError, match="logits"):
        ft.accuracy_metrics((np.zeros(3), np.zeros(3)))


def test_tokenize_dataset_does_not_pad(tokenizer):
    data = Dataset.from_dict({"text": ["hola", "una frase bastante más larga que la otra"],
                              "label": [0, 1]})  # fmt: skip
    enc = ft.tokenize_dataset(data, tokenizer, max_length=8)
    assert "text" not in enc.column_names and enc["length"][0] < enc["length"][1] == 8
    with pytest.raises(ValueError, match="columna de texto"):
        ft.tokenize_dataset(data, tokenizer, 8, text_column="frase")
    with pytest.raises(ValueError, match="vacío"):
        ft.tokenize_dataset(data.select([]), tokenizer, 8)
    with pytest.raises(ValueError, match="max_length"):
        ft.tokenize_dataset(data, tokenizer, 0)


def test_fine_tune_rejects_bad_labels():
    train, val = toy_sets()
    with pytest.raises(ValueError, match="label_names"):
        ft.fine_tune(minilm_path(), train, val, label_names=["solo"])
    wrong = train.map(lambda r: {"label": r["label"] + 5})
    with pytest.raises(ValueError, match="enteros de 0 a 1"):
        ft.fine_tune(minilm_path(), wrong, val, label_names=["neg", "pos"])


def test_make_trainer_rejects_bad_arguments():
    train, val = toy_sets()
    with pytest.raises(ValueError, match="positivos"):
        ft.make_trainer(None, train, val, output_dir="x", lr=0)
    with pytest.raises(ValueError, match="vacíos"):
        ft.make_trainer(None, train, val.select([]), output_dir="x")


def test_fine_tune_learns_a_separable_toy_task():
    train, val = toy_sets()
    model, tok, info = ft.fine_tune(
        minilm_path(), train, val, label_names=["negativo", "positivo"], layers=1,
        max_length=8, epochs=4, lr=1e-3, batch_size=8, patience=10, verbose=False,
    )  # fmt: skip
    assert info["best_val_accuracy"] == 1.0
    assert info["history"][-1]["loss"] < info["history"][0]["loss"]
    probs = ft.predict_proba(model, tok, ["great story", "terrible acting"])
    assert probs.shape == (2, 2) and probs[0, 1] > 0.5 > probs[1, 1]
    with pytest.raises(ValueError, match="vacía"):
        ft.predict_proba(model, tok, [])
    with pytest.raises(TypeError, match="lista"):
        ft.predict_proba(model, tok, "great")


def test_freeze_encoder_trains_only_the_head():
    train, val = toy_sets()
    _, _, info = ft.fine_tune(
        minilm_path(), train, val, label_names=["neg", "pos"], layers=1, max_length=8,
        epochs=1, batch_size=16, freeze_encoder=True, verbose=False,
    )  # fmt: skip
    assert info["trainable_params"] < 0.05 * info["total_params"]


def test_sentiment_classifier_is_cached_and_loadable(tmp_path, monkeypatch):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path))
    monkeypatch.setattr(config, "SMOKE", True)
    folder = ft.load_sentiment_classifier(verbose=False)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()
    }
    start = time.perf_counter()
    assert ft.load_sentiment_classifier(verbose=False) == folder
    assert time.perf_counter() - start < 1.0
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    assert model.config.id2label == {0: "negativo", 1: "positivo"}
    tok = AutoTokenizer.from_pretrained(folder)
    assert tok.model_max_length == ft.SENTIMENT_SMOKE["max_length"]
    assert ft.predict_proba(model, tok, ["a good film"]).shape == (1, 2)
    (folder / "model.safetensors").unlink()  # dañada: se reconstruye
    assert (ft.load_sentiment_classifier(verbose=False) / "model.safetensors").is_file()
