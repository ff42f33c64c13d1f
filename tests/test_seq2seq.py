"""Pruebas de utils.seq2seq: formas, máscaras, coherencia entre teacher forcing y paso a paso."""

from __future__ import annotations

import doctest

import pytest
import torch

import utils.seq2seq as seq2seq_module
from utils.decoding import beam_search, greedy_decode
from utils.seq2seq import (
    AttnDecoder,
    Decoder,
    Encoder,
    LuongAttention,
    Seq2Seq,
    reversal_task,
    teacher_forcing_loss,
    translate,
)
from utils.text import Vocab


def test_doctests():
    result = doctest.testmod(seq2seq_module)
    assert result.failed == 0 and result.attempted > 0


def make_model(attention: str | None = "general", vocab: int = 12, hidden: int = 8) -> Seq2Seq:
    torch.manual_seed(0)
    decoder = (
        Decoder(vocab, 6, hidden, dropout=0.0)
        if attention is None
        else AttnDecoder(vocab, 6, hidden, dropout=0.0, score=attention)
    )
    return Seq2Seq(Encoder(vocab, 6, hidden, dropout=0.0), decoder).eval()


SRC = torch.tensor([[4, 5, 6, 7], [8, 9, 0, 0]])  # la segunda oración tiene relleno
LENGTHS = torch.tensor([4, 2])


def test_encoder_padding_and_final_state():
    enc = make_model().encoder
    outputs, hidden = enc(SRC, LENGTHS)
    assert outputs.shape == (2, 4, 8) and hidden.shape == (1, 2, 8)
    assert torch.all(outputs[1, 2:] == 0)  # el relleno no produce salidas
    # el estado final es la salida en la última posición real de cada oración
    assert torch.allclose(hidden[0, 0], outputs[0, 3], atol=1e-6)
    assert torch.allclose(hidden[0, 1], outputs[1, 1], atol=1e-6)
    # y no depende del relleno: la oración sola da lo mismo
    _, alone = enc(SRC[1:, :2], LENGTHS[1:])
    assert torch.allclose(alone[0, 0], hidden[0, 1], atol=1e-6)


def test_encoder_bad_input():
    enc = make_model().encoder
    with pytest.raises(ValueError, match="batch, seq_len"):
        enc(torch.tensor([4, 5]), torch.tensor([2]))
    with pytest.raises(ValueError, match="src_lengths"):
        enc(SRC, torch.tensor([4]))
    with pytest.raises(ValueError, match="vacías"):
        enc(SRC, torch.tensor([4, 0]))
    with pytest.raises(TypeError, match="enteros"):
        enc(SRC.float(), LENGTHS)
    with pytest.raises(ValueError, match="hidden_dim"):
        Encoder(10, 4, 0)


@pytest.mark.parametrize("score", ["dot", "general", "concat"])
def test_attention_weights_are_a_masked_distribution(score):
    torch.manual_seed(0)
    att = LuongAttention(5, score)
    query, keys = torch.randn(2, 3, 5), torch.randn(2, 4, 5)
    mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    context, weights = att(query, keys, mask)
    assert context.shape == (2, 3, 5) and weights.shape == (2, 3, 4)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3))
    assert torch.all(weights[1, :, 2:] == 0)  # nadie mira el relleno
    assert torch.allclose(context, weights @ keys)


def test_attention_scores_match_formulas():
    torch.manual_seed(0)
    query, keys = torch.randn(1, 2, 3), torch.randn(1, 4, 3)
    dot = LuongAttention(3, "dot")
    assert torch.allclose(dot.scores(query, keys), torch.einsum("bth,bsh->bts", query, keys))
    general = LuongAttention(3, "general")
    with torch.no_grad():
        general.W_a.weight.copy_(torch.eye(3))  # W_a = I → igual que dot
    assert torch.allclose(general.scores(query, keys), dot.scores(query, keys))


def test_attention_bad_input():
    with pytest.raises(ValueError, match="dot"):
        LuongAttention(4, "additive")  # type: ignore[arg-type]
    att = LuongAttention(4, "dot")
    with pytest.raises(ValueError, match="mismo H"):
        att(torch.randn(1, 2, 4), torch.randn(1, 3, 5))
    with pytest.raises(ValueError, match="src_mask"):
        att(torch.randn(1, 2, 4), torch.randn(1, 3, 4), torch.ones(1, 4, dtype=torch.bool))


def test_attn_decoder_needs_encoder_outputs():
    dec = AttnDecoder(10, 4, 6)
    with pytest.raises(ValueError, match="enc_outputs"):
        dec(torch.tensor([[2]]), torch.zeros(1, 1, 6))


def test_hidden_size_mismatch():
    with pytest.raises(ValueError, match="mismo tamaño oculto"):
        Seq2Seq(Encoder(10, 4, 6), Decoder(10, 4, 8))


@pytest.mark.parametrize("attention", [None, "dot", "general", "concat"])
def test_step_fn_matches_teacher_forcing(attention):
    """Decodificar paso a paso da los mismos logits que el forward con teacher forcing."""
    model = make_model(attention)
    tgt_in = torch.tensor([[2, 5, 6, 7], [2, 9, 4, 4]])
    full = model(SRC, LENGTHS, tgt_in)  # [2, 4, V]
    state = model.encode(SRC, LENGTHS)
    for t in range(tgt_in.shape[1]):
        logits, state = model.step_fn(tgt_in[:, : t + 1], state)
        assert torch.allclose(logits, full[:, t], atol=1e-5)


def test_attention_method():
    model = make_model("general")
    weights = model.attention(SRC, LENGTHS, torch.tensor([[2, 5, 6], [2, 9, 4]]))
    assert weights.shape == (2, 3, 4)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3))
    assert make_model(None).attention(SRC, LENGTHS, torch.tensor([[2], [2]])) is None
    assert make_model("dot").has_attention and not make_model(None).has_attention


def test_beam_search_with_state_batch_dim():
    model = make_model("general")
    state = model.encode(SRC[:1], LENGTHS[:1])
    out = beam_search(
        model.step_fn, [2], 5, beam_size=3, eos_id=3, state=state,
        state_batch_dim=Seq2Seq.state_batch_dim,
    )  # fmt: skip
    assert isinstance(out, list) and len(out) <= 5
    # con un solo haz, beam search es greedy
    one = beam_search(
        model.step_fn, [2], 5, beam_size=1, eos_id=3, state=model.encode(SRC[:1], LENGTHS[:1]),
        state_batch_dim=Seq2Seq.state_batch_dim, length_penalty=0.0,
    )  # fmt: skip
    greedy = greedy_decode(
        model.step_fn, [2], 5, eos_id=3, state=model.encode(SRC[:1], LENGTHS[:1])
    )
    assert one == greedy


def test_teacher_forcing_loss_ignores_padding():
    model = make_model("dot")
    loss_fn = teacher_forcing_loss(pad_id=0)
    batch = (SRC[:1], LENGTHS[:1], torch.tensor([[2, 5]]), torch.tensor([[5, 3]]))
    padded = (SRC[:1], LENGTHS[:1], torch.tensor([[2, 5, 0]]), torch.tensor([[5, 3, 0]]))
    loss, logits, target = loss_fn(model, batch)
    assert logits.shape == (1, 2, 12) and torch.equal(target, batch[3])
    assert torch.allclose(loss, loss_fn(model, padded)[0], atol=1e-6)
    with pytest.raises(ValueError, match="shift_target"):
        loss_fn(model, (SRC, LENGTHS, SRC))


def tiny_copy_task() -> tuple[Seq2Seq, Vocab, Vocab, list[str]]:
    """Un modelo con atención que aprende a copiar secuencias de 3 palabras."""
    from utils.text import make_seq2seq_collate
    from utils.train import fit

    torch.manual_seed(0)
    words = ["a", "b", "c", "d", "e"]
    g = torch.Generator().manual_seed(0)
    seqs = [[words[i] for i in torch.randint(0, 5, (3,), generator=g)] for _ in range(400)]
    vocab = Vocab.build([words])
    pairs = [(vocab.encode(s), vocab.encode(s, add_bos=True, add_eos=True)) for s in seqs]
    loader = torch.utils.data.DataLoader(
        pairs, batch_size=32, shuffle=True, generator=g,
        collate_fn=make_seq2seq_collate(0, 0, shift_target=True),
    )  # fmt: skip
    model = Seq2Seq(
        Encoder(len(vocab), 16, 32, dropout=0.0),
        AttnDecoder(len(vocab), 16, 32, dropout=0.0, score="dot"),
    )
    fit(model, loader, epochs=8, lr=0.01, compute_loss=teacher_forcing_loss(0), device="cpu",
        verbose=False)  # fmt: skip
    return model, vocab, vocab, [" ".join(s) for s in seqs[:20]]


def test_translate_learns_a_copy_task():
    model, src_v, tgt_v, texts = tiny_copy_task()
    for method in ("greedy", "beam"):
        out = translate(model, texts, src_v, tgt_v, method=method, max_len=6)
        accuracy = sum(" ".join(o) == t for o, t in zip(out, texts, strict=True)) / len(texts)
        assert accuracy >= 0.9, (method, accuracy)
    assert not model.training  # translate deja el modelo en modo evaluación


def test_translate_bad_input_and_unknown_words():
    model = make_model("general")
    vocab = Vocab.build([["a", "b", "c", "d", "e", "f", "g", "h"]])
    out = translate(model, ["palabras desconocidas", ""], vocab, vocab, max_len=3)
    assert len(out) == 2 and all(len(o) <= 3 for o in out)
    with pytest.raises(TypeError, match="lista de textos"):
        translate(model, "hola", vocab, vocab)
    with pytest.raises(ValueError, match="method"):
        translate(model, ["hola"], vocab, vocab, method="sample")  # type: ignore[arg-type]


def test_bidirectional_encoder():
    torch.manual_seed(0)
    enc = Encoder(12, 6, 8, dropout=0.0, bidirectional=True)
    outputs, hidden = enc(SRC, LENGTHS)
    assert outputs.shape == (2, 4, 8) and hidden.shape == (1, 2, 8)
    # mitad izquierda: sentido directo (último token real); mitad derecha: inverso (primer token)
    assert torch.allclose(hidden[0, 1, :4], outputs[1, 1, :4], atol=1e-6)
    assert torch.allclose(hidden[0, 1, 4:], outputs[1, 0, 4:], atol=1e-6)
    assert torch.all(outputs[1, 2:] == 0)
    model = Seq2Seq(enc, AttnDecoder(12, 6, 8)).eval()
    assert model(SRC, LENGTHS, torch.tensor([[2, 5], [2, 6]])).shape == (2, 2, 12)
    with pytest.raises(ValueError, match="par"):
        Encoder(12, 6, 7, bidirectional=True)


def test_reversal_task_test_is_disjoint_and_reproducible():
    train, test = reversal_task(1000, 300, min_len=3, max_len=6, seed=1)
    assert len(train) == 1000 and len(test) == 300
    assert all(t == d[::-1] and 3 <= len(d) <= 6 for d, t in train + test)
    test_seqs = [tuple(d) for d, _ in test]
    assert not set(test_seqs) & {tuple(d) for d, _ in train}  # nada de entrenamiento en prueba
    assert len(set(test_seqs)) == len(test_seqs)  # ni repetidas dentro de la prueba
    # con 1000 secuencias de 3 dígitos posibles, el entrenamiento ya repite alguna
    assert len({tuple(d) for d, _ in train}) < len(train)
    assert reversal_task(1000, 300, min_len=3, max_len=6, seed=1) == (train, test)
    assert reversal_task(1000, 300, min_len=3, max_len=6, seed=2) != (train, test)


def test_reversal_task_bad_input():
    with pytest.raises(ValueError, match="no caben"):
        reversal_task(10, 200, min_len=2, max_len=2)  # solo hay 100 secuencias de 2 dígitos
    with pytest.raises(ValueError, match="max_len"):
        reversal_task(10, 10, min_len=5, max_len=3)
    with pytest.raises(ValueError, match="n_test"):
        reversal_task(10, -1)
