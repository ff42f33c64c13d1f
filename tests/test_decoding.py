"""Pruebas de utils.decoding con modelos diminutos y deterministas."""

from __future__ import annotations

import collections
import doctest
import math

import pytest
import torch
from torch import nn

import utils.decoding as decoding_module
from utils.decoding import (
    beam_search,
    filter_logits,
    greedy_decode,
    reorder_state,
    sample,
    sequence_log_prob,
    softmax_with_temperature,
)

BOS, EOS, A, B, C, D = range(6)


def bigram_step(log_table: torch.Tensor):
    """Función de paso de un modelo de bigramas: logits = fila del último token."""

    def step(tokens: torch.Tensor, state):
        return log_table[tokens[:, -1]], state

    return step


def table_from_probs(rows: dict[int, dict[int, float]], vocab_size: int = 6) -> torch.Tensor:
    table = torch.full((vocab_size, vocab_size), 1e-9)
    for src, dist in rows.items():
        for dst, p in dist.items():
            table[src, dst] = p
    table = table / table.sum(dim=1, keepdim=True)
    return table.log()


# Greedy es miope: desde <bos> elige A (0.55), pero después de A todo es incierto.
# El camino B → <eos> es mucho más probable (0.45 × 0.95).
MYOPIC = table_from_probs(
    {
        BOS: {A: 0.55, B: 0.45},
        A: {C: 0.34, D: 0.33, EOS: 0.33},
        B: {EOS: 0.95, C: 0.05},
        C: {EOS: 1.0},
        D: {EOS: 1.0},
        EOS: {EOS: 1.0},
    }
)


def test_doctests():
    result = doctest.testmod(decoding_module)
    assert result.failed == 0


# -- greedy -----------------------------------------------------------------------------------


def test_greedy_follows_argmax_path():
    torch.manual_seed(0)
    table = torch.randn(6, 6)
    step = bigram_step(table)
    out = greedy_decode(step, [BOS], max_new_tokens=8)
    expected, cur = [], BOS
    for _ in range(8):
        cur = int(table[cur].argmax())
        expected.append(cur)
    assert out == expected
    assert greedy_decode(step, [BOS], max_new_tokens=0) == []


def test_greedy_stops_at_eos():
    step = bigram_step(MYOPIC)
    assert greedy_decode(step, [BOS], 10, eos_id=EOS) == [A, C]
    assert greedy_decode(step, [BOS], 10, eos_id=EOS, include_eos=True) == [A, C, EOS]
    assert greedy_decode(step, torch.tensor([BOS]), 1, eos_id=EOS) == [A]
    assert greedy_decode(step, torch.tensor([[BOS]]), 10, eos_id=EOS) == [A, C]


def test_step_fn_sees_full_prefix_and_state():
    seen = []

    def step(tokens, state):
        seen.append(tokens.tolist())
        state = 0 if state is None else state + 1
        return torch.tensor([[0.0, 1.0, 0.0]]), state

    greedy_decode(step, [2, 0], max_new_tokens=3)
    assert seen == [[[2, 0]], [[2, 0, 1]], [[2, 0, 1, 1]]]


def test_logits_with_time_dimension_use_last_position():
    def step(tokens, state):
        logits = torch.zeros(tokens.shape[0], tokens.shape[1], 4)
        logits[:, -1, 3] = 1.0
        logits[:, :-1, 1] = 5.0
        return logits, None

    assert greedy_decode(step, [0, 0], 2) == [3, 3]


# -- beam search ------------------------------------------------------------------------------


def test_beam_size_one_equals_greedy():
    torch.manual_seed(1)
    for _ in range(5):
        table = torch.randn(6, 6) * 2
        step = bigram_step(table)
        for eos in (None, EOS):
            g = greedy_decode(step, [BOS], 7, eos_id=eos)
            b = beam_search(step, [BOS], 7, beam_size=1, eos_id=eos)
            assert b == g


def test_beam_search_beats_myopic_greedy():
    step = bigram_step(MYOPIC)
    greedy = greedy_decode(step, [BOS], 5, eos_id=EOS, include_eos=True)
    beam = beam_search(step, [BOS], 5, beam_size=3, eos_id=EOS, include_eos=True)
    assert greedy == [A, C, EOS]
    assert beam == [B, EOS]
    assert sequence_log_prob(step, [BOS], beam) > sequence_log_prob(step, [BOS], greedy)
    # Sin <eos> en la salida por defecto.
    assert beam_search(step, [BOS], 5, beam_size=3, eos_id=EOS) == [B]


def test_beam_search_return_all_sorted_and_scored():
    step = bigram_step(MYOPIC)
    results = beam_search(
        step, [BOS], 5, beam_size=3, eos_id=EOS, length_penalty=0.0, return_all=True,
        include_eos=True,
    )  # fmt: skip
    assert 1 <= len(results) <= 3
    scores = [s for _, s in results]
    assert scores == sorted(scores, reverse=True)
    # Con length_penalty=0 la puntuación es la log-probabilidad total.
    for seq, score in results:
        assert score == pytest.approx(sequence_log_prob(step, [BOS], seq), abs=1e-5)
    # Con length_penalty=1, la media por token.
    results = beam_search(
        step, [BOS], 5, beam_size=2, eos_id=EOS, return_all=True, include_eos=True
    )
    for seq, score in results:
        assert score == pytest.approx(sequence_log_prob(step, [BOS], seq) / len(seq), abs=1e-5)


def test_beam_search_without_eos_runs_to_max_length():
    torch.manual_seed(2)
    step = bigram_step(torch.randn(6, 6))
    results = beam_search(step, [BOS], 4, beam_size=3, return_all=True)
    assert len(results) == 3
    assert all(len(seq) == 4 for seq, _ in results)
    assert len({tuple(seq) for seq, _ in results}) == 3
    assert beam_search(step, [BOS], 0) == []


def test_beam_search_single_step_call_per_time_step():
    calls = []
    table = torch.randn(6, 6, generator=torch.Generator().manual_seed(3))

    def step(tokens, state):
        calls.append(tokens.shape)
        return table[tokens[:, -1]], state

    beam_search(step, [BOS], 4, beam_size=3)
    assert len(calls) == 4
    assert calls[0] == (1, 1)
    assert all(shape == (3, i + 2) for i, shape in enumerate(calls[1:]))


class TinyLSTM(nn.Module):
    def __init__(self, vocab_size: int = 7, emb: int = 8, hidden: int = 16):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
        self.fc = nn.Linear(hidden, vocab_size)

    def step(self, tokens, state):
        x = tokens if state is None else tokens[:, -1:]  # x: [batch, t]
        out, state = self.lstm(self.emb(x), state)  # out: [batch, t, hidden]
        return self.fc(out[:, -1]), state  # logits: [batch, vocab]

    def log_prob(self, prompt: list[int], continuation: list[int]) -> float:
        """Log-probabilidad recalculada desde cero, sin estado incremental."""
        seq = torch.tensor([prompt + continuation])
        logits = self.fc(self.lstm(self.emb(seq))[0])[0]  # [t, vocab]
        log_probs = torch.log_softmax(logits, dim=-1)
        start = len(prompt) - 1
        return float(sum(log_probs[start + i, tok] for i, tok in enumerate(continuation)))


def test_beam_search_with_lstm_state_reordering():
    torch.manual_seed(0)
    model = TinyLSTM().eval()
    prompt = [2, 4, 5]
    with torch.no_grad():
        results = beam_search(
            model.step, prompt, 6, beam_size=4, eos_id=3, length_penalty=0.0,
            return_all=True, include_eos=True,
        )  # fmt: skip
        scores = [s for _, s in results]
        assert scores == sorted(scores, reverse=True)
        assert len(results) == 4
        # Si el estado no se reordenara bien, la puntuación no coincidiría con la recalculada.
        for seq, score in results:
            assert score == pytest.approx(model.log_prob(prompt, seq), abs=1e-4)
        greedy = greedy_decode(model.step, prompt, 6, eos_id=3, include_eos=True)
        assert greedy == beam_search(model.step, prompt, 6, beam_size=1, eos_id=3, include_eos=True)


def test_beam_search_with_nested_state_dims():
    """Estado ((h, c), memoria) con la memoria en batch_first: state_batch_dim=((1, 1), 0)."""
    torch.manual_seed(0)
    model = TinyLSTM().eval()
    memory = torch.randn(1, 5, 3)  # [batch, src_len, dim]

    def step(tokens, state):
        lstm_state, mem = state
        logits, lstm_state = model.step(tokens, lstm_state)
        return logits + mem.sum(dim=(1, 2))[:, None] * 0, (lstm_state, mem)

    out = beam_search(step, [2], 3, beam_size=3, state=(None, memory), state_batch_dim=(1, 0))
    assert len(out) == 3
    # Con la dimensión por defecto (1) la memoria [1, 5, 3] no cuadra: error claro, no silencio.
    with pytest.raises(ValueError, match="state_batch_dim"):
        beam_search(step, [2], 3, beam_size=3, state=(None, memory))


def test_reorder_state():
    h = torch.arange(6.0).reshape(1, 3, 2)  # [capas, batch, hidden]
    idx = torch.tensor([2, 2, 0])
    h2, c2 = reorder_state((h, h.clone()), idx)
    assert h2[0, :, 0].tolist() == [4.0, 4.0, 0.0]
    assert torch.equal(h2, c2)
    assert reorder_state(None, idx) is None
    d = reorder_state({"h": h, "mem": h.transpose(0, 1)}, [1], dim={"h": 1, "mem": 0})
    assert d["h"].shape == (1, 1, 2) and d["mem"].shape == (1, 1, 2)
    Pair = collections.namedtuple("Pair", "a b")
    p = reorder_state(Pair(h, h), [0])
    assert isinstance(p, Pair) and p.a.shape == (1, 1, 2)
    with pytest.raises(ValueError, match="state_batch_dim"):
        reorder_state(h, [5])
    with pytest.raises(ValueError, match="state_batch_dim"):
        reorder_state(h, [0], batch_size=2)
    with pytest.raises(ValueError, match="dimensión"):
        reorder_state(h, [0], dim=4)
    with pytest.raises(ValueError, match="misma estructura"):
        reorder_state((h, h), [0], dim=(1,))
    with pytest.raises(TypeError, match="tensores"):
        reorder_state((h, "texto"), [0])


# -- muestreo ---------------------------------------------------------------------------------


def test_sampling_reproducible_with_generator():
    torch.manual_seed(5)
    step = bigram_step(torch.randn(6, 6))
    a = sample(step, [BOS], 20, generator=torch.Generator().manual_seed(42))
    b = sample(step, [BOS], 20, generator=torch.Generator().manual_seed(42))
    c = sample(step, [BOS], 20, generator=torch.Generator().manual_seed(43))
    assert a == b
    assert len(a) == 20
    assert a != c  # con semillas distintas (casi seguro) sale otra secuencia


def test_sampling_top_k_one_and_low_temperature_equal_greedy():
    torch.manual_seed(6)
    step = bigram_step(torch.randn(6, 6))
    greedy = greedy_decode(step, [BOS], 10)
    g = torch.Generator().manual_seed(0)
    assert sample(step, [BOS], 10, top_k=1, generator=g) == greedy
    assert sample(step, [BOS], 10, temperature=1e-4, generator=g) == greedy
    assert sample(step, [BOS], 10, top_p=1e-6, generator=g) == greedy


def test_sampling_respects_filters_and_eos():
    step = bigram_step(MYOPIC)
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        out = sample(step, [BOS], 10, top_k=2, eos_id=EOS, generator=g, include_eos=True)
        assert out[-1] == EOS
        assert out[0] in (A, B)
        assert len(out) <= 3


def test_sampling_distribution_matches_probabilities():
    probs = torch.tensor([0.7, 0.2, 0.1])
    step = bigram_step(probs.log().expand(3, 3))
    g = torch.Generator().manual_seed(0)
    draws = sample(step, [0], 3000, generator=g)
    freq = torch.bincount(torch.tensor(draws), minlength=3).float() / len(draws)
    assert torch.allclose(freq, probs, atol=0.03)


def test_filter_logits_and_temperature():
    logits = torch.tensor([[3.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 5.0]])
    out = filter_logits(logits, top_k=2)
    # Fila 2: los tres ceros empatan en el corte (2.º puesto), así que se quedan todos.
    assert torch.isinf(out).sum(dim=1).tolist() == [2, 0]
    assert logits[0, 1] == 1.0  # la entrada no cambia
    p = torch.softmax(logits[0], -1)
    out = filter_logits(logits[0], top_p=float(p[0] + p[2]) - 1e-3)
    assert torch.isfinite(out).tolist() == [True, False, True, False]
    assert torch.equal(filter_logits(logits, top_p=1.0), logits)
    assert torch.equal(filter_logits(logits, top_k=10), logits)
    cold = softmax_with_temperature(logits[0], 0.1)
    hot = softmax_with_temperature(logits[0], 10.0)
    assert cold.max() > softmax_with_temperature(logits[0]).max() > hot.max()
    assert math.isclose(float(hot.sum()), 1.0, rel_tol=1e-5)


def test_bad_arguments():
    step = bigram_step(MYOPIC)
    with pytest.raises(ValueError, match="greedy"):
        sample(step, [BOS], 3, temperature=0)
    with pytest.raises(ValueError, match="greedy"):
        softmax_with_temperature([1.0, 2.0], -1.0)
    with pytest.raises(ValueError, match="top_k"):
        sample(step, [BOS], 3, top_k=0)
    with pytest.raises(ValueError, match="top_p"):
        sample(step, [BOS], 3, top_p=1.5)
    with pytest.raises(ValueError, match="top_p"):
        filter_logits(torch.zeros(3), top_p=0.0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        greedy_decode(step, [BOS], -1)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(step, [BOS], 3, beam_size=0)
    with pytest.raises(ValueError, match="vacío"):
        greedy_decode(step, [], 3)
    with pytest.raises(TypeError, match="encode"):
        greedy_decode(step, "hola", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1-D"):
        greedy_decode(step, torch.zeros(2, 3, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="eos_id"):
        greedy_decode(step, [BOS], 3, eos_id=99)
    with pytest.raises(TypeError, match="generator"):
        sample(step, [BOS], 3, generator=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\(logits, state\)"):
        greedy_decode(lambda t, s: torch.zeros(1, 6), [BOS], 3)
    with pytest.raises(ValueError, match="forma"):
        greedy_decode(lambda t, s: (torch.zeros(6), s), [BOS], 3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="sin GPU CUDA")
def test_decoders_on_cuda():
    torch.manual_seed(0)
    model = TinyLSTM().cuda().eval()
    prompt = [2, 4]
    g = greedy_decode(model.step, prompt, 5, eos_id=3, device="cuda")
    assert g == beam_search(model.step, prompt, 5, beam_size=1, eos_id=3, device="cuda")
    assert len(beam_search(model.step, prompt, 5, beam_size=3, eos_id=3, device="cuda")) <= 5
    gen = torch.Generator().manual_seed(0)  # generador de CPU con logits en GPU
    assert len(sample(model.step, prompt, 5, top_p=0.9, generator=gen, device="cuda")) <= 5
