"""Pruebas de utils.classify: clasificador recurrente, codificación, embeddings y predicción."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import utils.classify as classify_module
from utils.classify import (
    RNNClassifier,
    embedding_matrix_from_word2vec,
    encode_texts,
    predict_loader,
    predict_texts,
)
from utils.metrics import logits_accuracy
from utils.text import Vocab, make_collate, tokenize
from utils.train import fit


class FakeKV(dict):
    """Imita un KeyedVectors de gensim: ``in``, ``[palabra]`` y ``vector_size``."""

    vector_size = 3


@pytest.fixture
def vocab() -> Vocab:
    texts = ["a great movie", "a boring movie", "great acting", "boring plot"]
    return Vocab.build([tokenize(t) for t in texts])


def test_doctests():
    result = doctest.testmod(classify_module)
    assert result.failed == 0


# -- RNNClassifier ----------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "max"])
def test_output_shape(cell, bidirectional, pooling):
    model = RNNClassifier(
        50, emb_dim=6, hidden=5, num_classes=3, cell=cell, bidirectional=bidirectional,
        num_layers=2, dropout=0.1, pooling=pooling,
    )  # fmt: skip
    ids = torch.randint(1, 50, (4, 7))
    assert model(ids, torch.tensor([7, 3, 1, 5])).shape == (4, 3)
    assert model.fc.in_features == 5 * (2 if bidirectional else 1)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_output(cell, bidirectional):
    """Con secuencias empaquetadas, añadir relleno al final no cambia la predicción."""
    torch.manual_seed(0)
    model = RNNClassifier(30, 4, 6, 2, cell=cell, bidirectional=bidirectional).eval()
    short = torch.tensor([[5, 6, 7]])
    padded = torch.tensor([[5, 6, 7, 0, 0, 0]])
    out_short = model(short, torch.tensor([3]))
    out_padded = model(padded, torch.tensor([3]))
    torch.testing.assert_close(out_short, out_padded)


def test_last_state_is_last_real_token():
    """Para una LSTM unidireccional, 'last' es la salida del último token real."""
    torch.manual_seed(0)
    model = RNNClassifier(20, 4, 5, 2).eval()
    ids = torch.tensor([[3, 4, 5, 0]])
    out, _ = model.rnn(model.embedding(ids[:, :3]))
    expected = model.fc(out[:, -1])
    torch.testing.assert_close(model(ids, torch.tensor([3])), expected)


def test_pretrained_and_freeze():
    weights = torch.arange(12, dtype=torch.float32).reshape(4, 3)
    frozen = RNNClassifier(4, 3, 5, 2, pretrained=weights, freeze=True)
    torch.testing.assert_close(frozen.embedding.weight.detach(), weights)
    assert not frozen.embedding.weight.requires_grad
    tuned = RNNClassifier(4, 3, 5, 2, pretrained=weights.numpy())
    assert tuned.embedding.weight.requires_grad


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell"):
        RNNClassifier(10, 4, 5, 2, cell="rnn")
    with pytest.raises(ValueError, match="num_classes"):
        RNNClassifier(10, 4, 5, 1)
    with pytest.raises(ValueError, match="forma"):
        RNNClassifier(10, 4, 5, 2, pretrained=torch.zeros(9, 4))
    with pytest.raises(ValueError, match="freeze"):
        RNNClassifier(10, 4, 5, 2, freeze=True)
    with pytest.raises(ValueError, match="pooling"):
        RNNClassifier(10, 4, 5, 2, pooling="mean")
    with pytest.raises(ValueError, match="vocab_size"):
        RNNClassifier(0, 4, 5, 2)
    model = RNNClassifier(10, 4, 5, 2)
    with pytest.raises(ValueError, match="longitud 0"):
        model(torch.tensor([[1, 2], [0, 0]]), torch.tensor([2, 0]))
    with pytest.raises(ValueError, match="lengths"):
        model(torch.tensor([[1, 2]]), torch.tensor([2, 1]))
    with pytest.raises(ValueError, match="seq_len"):
        model(torch.tensor([1, 2]), torch.tensor([2]))


def test_learns_a_toy_task_with_fit():
    """Con fit aprende una tarea trivial: ¿aparece el token 'great'?"""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    data = []
    for _ in range(256):
        ids = rng.integers(5, 20, size=rng.integers(2, 8)).tolist()
        label = int(rng.random() < 0.5)
        if label:
            ids[rng.integers(len(ids))] = 4
        data.append((ids, label))
    loader = DataLoader(data, batch_size=32, shuffle=True, collate_fn=make_collate())
    model = RNNClassifier(20, 8, 16, 2, cell="gru")
    history = fit(
        model, loader, val_loader=loader, epochs=15, lr=1e-2, device="cpu", verbose=False,
        metrics={"accuracy": logits_accuracy},
    )  # fmt: skip
    assert history["val_accuracy"][-1] > 0.9
    assert history["train_loss"][-1] < history["train_loss"][0]


# -- encode_texts ------------------------------------------------------------------------------


def test_encode_texts(vocab):
    encoded = encode_texts(["A great film", "", "!!!"], vocab, max_len=2)
    assert encoded[0] == [vocab["a"], vocab["great"]]
    assert encoded[1] == [vocab.unk_id]  # nunca vacía
    assert all(len(ids) >= 1 for ids in encoded)


def test_encode_texts_custom_tokenizer(vocab):
    assert encode_texts(["great movie"], vocab, tokenizer=str.split) == [
        [vocab["great"], vocab["movie"]]
    ]


def test_encode_texts_bad_input(vocab):
    with pytest.raises(TypeError, match="lista de textos"):
        encode_texts("a great movie", vocab)
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        encode_texts(["ok", 3], vocab)
    with pytest.raises(ValueError, match="max_len"):
        encode_texts(["ok"], vocab, max_len=0)


# -- embedding_matrix_from_word2vec -------------------------------------------------------------


def test_embedding_matrix(vocab):
    kv = FakeKV(great=np.array([1.0, 2.0, 3.0]), boring=np.array([-1.0, 0.0, 1.0]))
    matrix, coverage = embedding_matrix_from_word2vec(vocab, kv, seed=0)
    assert matrix.shape == (len(vocab), 3) and matrix.dtype == torch.float32
    assert matrix[vocab["great"]].tolist() == [1.0, 2.0, 3.0]
    assert matrix[vocab.pad_id].abs().sum() == 0
    n_words = len(vocab) - len(vocab.specials)
    assert coverage == pytest.approx(2 / n_words)
    again, _ = embedding_matrix_from_word2vec(vocab, kv, seed=0)
    torch.testing.assert_close(matrix, again)  # reproducible con la misma semilla


def test_embedding_matrix_works_with_gensim(vocab):
    gensim = pytest.importorskip("gensim")
    sentences = [tokenize(t) for t in ["a great movie", "a boring movie"]] * 20
    w2v = gensim.models.Word2Vec(sentences, vector_size=4, min_count=1, workers=1, seed=0)
    matrix, coverage = embedding_matrix_from_word2vec(vocab, w2v.wv)
    assert matrix.shape == (len(vocab), 4)
    np.testing.assert_allclose(matrix[vocab["movie"]].numpy(), w2v.wv["movie"])
    assert 0 < coverage < 1  # "acting" y "plot" no están en el Word2Vec


def test_embedding_matrix_bad_input(vocab):
    with pytest.raises(TypeError, match="KeyedVectors"):
        embedding_matrix_from_word2vec(vocab, {"great": np.ones(3)})
    with pytest.raises(TypeError, match="Vocab"):
        embedding_matrix_from_word2vec(["great"], FakeKV())
    with pytest.raises(ValueError, match="forma"):
        embedding_matrix_from_word2vec(vocab, FakeKV(great=np.ones(2)))
    with pytest.raises(ValueError, match="solo tokens especiales"):
        embedding_matrix_from_word2vec(
            Vocab(["<pad>", "<unk>"], specials=("<pad>", "<unk>")), FakeKV()
        )


# -- predict_loader / predict_texts -------------------------------------------------------------


def test_predict_texts_and_loader_agree(vocab):
    torch.manual_seed(0)
    model = RNNClassifier(len(vocab), 4, 6, 3, dropout=0.5)
    texts = ["a great movie", "boring plot", "unknown words here", ""]
    probs = predict_texts(model, texts, vocab, batch_size=3)
    assert probs.shape == (4, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert not model.training  # modo evaluación: predicciones deterministas
    np.testing.assert_allclose(probs, predict_texts(model, texts, vocab))
    data = list(zip(encode_texts(texts, vocab), [0, 1, 2, 0], strict=True))
    loader = DataLoader(data, batch_size=2, collate_fn=make_collate())
    loader_probs, labels = predict_loader(model, loader)
    np.testing.assert_allclose(loader_probs, probs, rtol=1e-5)
    assert labels.tolist() == [0, 1, 2, 0]


def test_predict_bad_input(vocab):
    model = RNNClassifier(len(vocab), 4, 6, 2)
    with pytest.raises(TypeError, match="lista de textos"):
        predict_texts(model, "a great movie", vocab)
    with pytest.raises(ValueError, match="vacía"):
        predict_texts(model, [], vocab)
    with pytest.raises(ValueError, match="ningún lote"):
        predict_loader(model, [])
    with pytest.raises(ValueError, match="etiquetas"):
        predict_loader(model, [torch.tensor([[1, 2]])])
