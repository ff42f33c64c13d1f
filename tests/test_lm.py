"""Pruebas de utils.lm: ventanas, modelo de lenguaje recurrente, y generación."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import utils.lm as lm_module
from utils.decoding import greedy_decode, sample
from utils.lm import RNNLanguageModel, generate, make_lm_windows
from utils.seed import set_seed
from utils.train import fit, sequence_cross_entropy

pytestmark = pytest.mark.usefixtures("one_thread")


def test_doctests():
    result = doctest.testmod(lm_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# --- make_lm_windows ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["list", "numpy", "tensor"])
def test_windows_target_is_input_shifted(source):
    ids = list(range(100, 125))  # 25 tokens
    data = {"list": ids, "numpy": np.array(ids), "tensor": torch.tensor(ids)}[source]
    ds = make_lm_windows(data, seq_len=6)
    x, y = ds.tensors
    assert x.shape == y.shape == (4, 6)  # (25 - 1) // 6 = 4 ventanas sin solaparse
    assert x.dtype == torch.long
    assert torch.equal(y[:, :-1], x[:, 1:])  # y es x desplazado una posición
    assert x[1, 0].item() == 106 and y[-1, -1].item() == 124
    flat = torch.cat([x.reshape(-1), y[-1, -1:]])  # sin solaparse cubre el texto en orden
    assert flat.tolist() == ids[: len(flat)]


def test_windows_stride_and_exact_length():
    ds = make_lm_windows(list(range(11)), seq_len=5, stride=2)
    assert [row[0] for row in ds.tensors[0].tolist()] == [0, 2, 4]
    assert len(make_lm_windows([1, 2, 3], seq_len=2)) == 1  # justo seq_len + 1 tokens


@pytest.mark.parametrize(
    ("ids", "kwargs", "exc", "msg"),
    [
        ([1, 2, 3], {"seq_len": 3}, ValueError, "al menos"),
        ([], {"seq_len": 1}, ValueError, "al menos"),
        ([[1, 2], [3, 4]], {"seq_len": 1}, ValueError, "1-D"),
        ([1.0, 2.0, 3.0], {"seq_len": 1}, TypeError, "enteros"),
        ([1, -2, 3], {"seq_len": 1}, ValueError, "negativos"),
        ([1, 2, 3], {"seq_len": 0}, ValueError, "seq_len"),
        ([1, 2, 3], {"seq_len": 1, "stride": 0}, ValueError, "stride"),
        ("hola mundo", {"seq_len": 2}, TypeError, "texto"),
    ],
)
def test_windows_bad_input(ids, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        make_lm_windows(ids, **kwargs)


# --- RNNLanguageModel --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("tie", [False, True])
def test_model_shapes(cell, tie):
    model = RNNLanguageModel(
        30, emb_dim=8, hidden=12, cell=cell, layers=2, dropout=0.1, tie_weights=tie
    )
    x = torch.randint(0, 30, (3, 5))  # x: [batch, seq_len]
    logits, state = model(x, return_state=True)
    assert logits.shape == (3, 5, 30)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2, 3, 12)  # [capas, batch, hidden]


def test_tied_weights_share_the_embedding_matrix():
    tied = RNNLanguageModel(40, emb_dim=8, hidden=16, tie_weights=True)
    untied = RNNLanguageModel(40, emb_dim=8, hidden=16, tie_weights=False)
    assert tied.fc.weight is tied.emb.weight
    n_tied = sum(p.numel() for p in tied.parameters())  # parameters() no repite la compartida
    n_untied = sum(p.numel() for p in untied.parameters())
    assert n_untied - n_tied == 40 * 16 - 16 * 8 - 8  # sin la matriz V×H, con la proyección H→E


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_step_fn_matches_full_forward(cell):
    """Paso a paso con estado = de una vez: la recurrencia no depende de cómo se trocee."""
    set_seed(0)
    model = RNNLanguageModel(25, emb_dim=6, hidden=10, cell=cell, layers=2).eval()
    x = torch.randint(0, 25, (2, 7))
    full = model(x)  # [2, 7, 25]
    logits, state = model.step_fn(x[:, :3], None)  # prefijo de 3 tokens
    torch.testing.assert_close(logits, full[:, 2])
    for t in range(3, 7):
        logits, state = model.step_fn(x[:, : t + 1], state)  # solo usa el último token
        torch.testing.assert_close(logits, full[:, t], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"cell": "transformer"}, "cell"),
        ({"vocab_size": 1}, "vocab_size"),
        ({"hidden": 0}, "hidden"),
        ({"dropout": 1.0}, "dropout"),
        ({"layers": 1.5}, "layers"),
    ],
)
def test_model_bad_arguments(kwargs, msg):
    args = {"vocab_size": 10, "emb_dim": 4, "hidden": 4} | kwargs
    with pytest.raises(ValueError, match=msg):
        RNNLanguageModel(**args)


def test_model_rejects_wrong_input_shape():
    model = RNNLanguageModel(10, emb_dim=4, hidden=4)
    with pytest.raises(ValueError, match=r"\[batch, seq_len\]"):
        model(torch.randint(0, 10, (5,)))


def test_model_learns_a_cycle_with_fit():
    """Una secuencia periódica 4 5 6 7 4 5 6 7…: el modelo debe predecirla casi sin error."""
    set_seed(0)
    ids = [4, 5, 6, 7] * 60
    loader = DataLoader(make_lm_windows(ids, seq_len=8), batch_size=8, shuffle=True)
    model = RNNLanguageModel(8, emb_dim=8, hidden=16, cell="gru")
    history = fit(model, loader, epochs=15, lr=0.02, loss_fn=sequence_cross_entropy(),
                  device="cpu", verbose=False)  # fmt: skip
    assert history["train_loss"][-1] < 0.1 < history["train_loss"][0]
    assert generate(model, [4, 5], 6) == [6, 7, 4, 5, 6, 7]


# --- generate -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_lstm():
    set_seed(1)
    return RNNLanguageModel(15, emb_dim=6, hidden=8, cell="lstm").eval()


def test_generate_strategies_agree_with_decoding(small_lstm):
    prompt = [2, 5, 7]
    greedy = generate(small_lstm, prompt, 6)
    assert greedy == greedy_decode(small_lstm.step_fn, prompt, 6)
    g = torch.Generator().manual_seed(0)
    assert generate(small_lstm, prompt, 6, strategy="sample", top_k=1, generator=g) == greedy
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert generate(
        small_lstm, prompt, 6, strategy="sample", temperature=1.5, generator=g1
    ) == sample(small_lstm.step_fn, prompt, 6, temperature=1.5, generator=g2)
    beams = generate(small_lstm, prompt, 6, strategy="beam", beam_size=3, return_all=True)
    assert 1 <= len(beams) <= 3 and all(len(seq) == 6 for seq, _ in beams)
    assert all(0 <= t < 15 for seq, _ in beams for t in seq)


def test_generate_stops_at_eos_and_sets_eval_mode(small_lstm):
    small_lstm.train()
    first = generate(small_lstm, [2], 1)[0]
    out = generate(small_lstm, [2], 10, eos_id=first)
    assert out == [] and not small_lstm.training


@pytest.mark.parametrize(
    ("kwargs", "exc", "msg"),
    [
        ({"strategy": "top_k"}, ValueError, "strategy"),
        ({"strategy": "sample", "temperature": 0.0}, ValueError, "temperature"),
        ({"strategy": "beam", "beam_size": 0}, ValueError, "beam_size"),
    ],
)
def test_generate_bad_arguments(small_lstm, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        generate(small_lstm, [2, 3], 4, **kwargs)


def test_generate_banned_ids_are_never_produced(small_lstm):
    greedy = generate(small_lstm, [2, 5], 8)
    banned = sorted(set(greedy))
    out = generate(small_lstm, [2, 5], 8, banned_ids=banned)
    assert not set(out) & set(banned)
    g = torch.Generator().manual_seed(0)
    sampled = generate(small_lstm, [2], 30, strategy="sample", temperature=3.0, generator=g,
                       banned_ids=[0, 1])  # fmt: skip
    assert 0 not in sampled and 1 not in sampled
    beams = generate(small_lstm, [2], 5, strategy="beam", beam_size=3, banned_ids=banned)
    assert not set(beams) & set(banned)
    with pytest.raises(ValueError, match="banned_ids"):
        generate(small_lstm, [2], 3, banned_ids=[99])


def test_generate_needs_step_fn():
    with pytest.raises(TypeError, match="step_fn"):
        generate(torch.nn.Linear(2, 2), [1], 3)


class _WindowedCounter(torch.nn.Module):
    """Modelo de juguete con contexto máximo: predice (último token + 1) y falla si ve más."""

    block_size = 4

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        self.seen: list[int] = []

    def step_fn(self, tokens, state):
        if tokens.shape[1] > self.block_size:
            raise AssertionError(f"recibió {tokens.shape[1]} tokens > block_size")
        self.seen.append(tokens.shape[1])
        logits = torch.full((tokens.shape[0], 20), -1e9)
        logits[torch.arange(tokens.shape[0]), (tokens[:, -1] + 1) % 20] = 0.0
        return logits, state


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam"])
def test_generate_crops_context_to_block_size(strategy):
    model = _WindowedCounter()
    kwargs = {"beam_size": 2} if strategy == "beam" else {}
    out = generate(model, [1, 2, 3], 10, strategy=strategy, **kwargs)
    assert out == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]  # generó más allá del contexto
    assert max(model.seen) == 4 and model.seen[-1] == 4  # la ventana deslizante, nunca más


def test_generate_prompt_longer_than_context_is_an_error():
    with pytest.raises(ValueError, match="contexto del modelo es de 4"):
        generate(_WindowedCounter(), [1, 2, 3, 4, 5], 3)
    with pytest.raises(ValueError, match="contexto"):
        generate(_WindowedCounter(), torch.tensor([1, 2, 3, 4, 5]), 3)
    assert len(generate(_WindowedCounter(), [1, 2, 3, 4], 3)) == 3  # justo el contexto: vale
