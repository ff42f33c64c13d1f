"""Pruebas de utils.transformer: coincidencia con PyTorch, máscaras, caché KV y errores."""

from __future__ import annotations

import doctest

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import utils.transformer as transformer_module
from utils.transformer import (
    DecoderBlock,
    EncoderBlock,
    FeedForward,
    MultiHeadAttention,
    PositionalEncoding,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)

pytestmark = pytest.mark.usefixtures("one_thread")

IDS = torch.tensor([[4, 5, 6, 7, 8], [4, 5, 6, 0, 0], [9, 0, 0, 0, 0]])  # relleno = 0


def test_doctests():
    result = doctest.testmod(transformer_module)
    assert result.failed == 0 and result.attempted > 0


def test_masks():
    assert causal_mask(3).shape == (1, 1, 3, 3)
    assert causal_mask(3).dtype == torch.bool
    # con caché: 2 claves del pasado y 2 consultas nuevas (posiciones 2 y 3)
    assert causal_mask(2, 4)[0, 0].int().tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    pad = padding_mask(IDS)
    assert pad.shape == (3, 1, 1, 5)
    assert pad[1, 0, 0].tolist() == [True, True, True, False, False]
    combined = causal_mask(5) & pad  # [3, 1, 5, 5]
    assert combined.shape == (3, 1, 5, 5)
    assert not combined[2, 0, 3, 1]  # relleno prohibido aunque sea pasado
    with pytest.raises(ValueError, match="t_k"):
        causal_mask(4, 2)
    with pytest.raises(ValueError, match="batch, seq_len"):
        padding_mask(torch.tensor([1, 2, 0]))


def test_sdpa_matches_pytorch_and_masks_are_respected():
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 2, 5, 4), torch.randn(3, 2, 5, 4), torch.randn(3, 2, 5, 6)
    mask = causal_mask(5) & padding_mask(IDS)  # [3, 1, 5, 5]
    out, w = scaled_dot_product_attention(q, k, v, mask)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    real_rows = mask.any(-1)  # filas con alguna clave permitida (todas aquí)
    assert torch.all(real_rows)
    assert (out - ref).abs().max() < 1e-5
    assert torch.all(w.masked_select(~mask) == 0)
    assert torch.allclose(w.sum(-1), torch.ones(3, 2, 5))
    # cambiar un valor prohibido no cambia nada; cambiar uno permitido, sí
    v2 = v.clone()
    v2[1, :, 4] += 100.0  # posición de relleno de la segunda oración
    assert torch.allclose(scaled_dot_product_attention(q, k, v2, mask)[0][1], out[1])
    v2[1, :, 0] += 100.0
    assert not torch.allclose(scaled_dot_product_attention(q, k, v2, mask)[0][1], out[1])


def test_fully_masked_rows_give_zero_not_nan():
    torch.manual_seed(0)
    q = torch.randn(2, 1, 3, 4, requires_grad=True)
    k, v = torch.randn(2, 1, 3, 4), torch.randn(2, 1, 3, 4)
    mask = torch.ones(2, 1, 3, 3, dtype=torch.bool)
    mask[1, 0, 2] = False  # la última consulta de la segunda oración no puede mirar nada
    out, w = scaled_dot_product_attention(q, k, v, mask)
    assert not torch.isnan(out).any() and not torch.isnan(w).any()
    assert torch.all(out[1, 0, 2] == 0) and torch.all(w[1, 0, 2] == 0)
    out.sum().backward()
    assert not torch.isnan(q.grad).any()
    # el ingenuo masked_fill(-inf) + softmax sí da NaN: la prueba compara con algo que falla
    naive = torch.softmax((q @ k.transpose(-2, -1)).masked_fill(~mask, float("-inf")), -1)
    assert torch.isnan(naive[1, 0, 2]).all()


@pytest.mark.parametrize("bias", [True, False])
def test_multihead_matches_nn_multiheadattention(bias):
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=16, num_heads=4, bias=bias).eval()
    ref = mha.to_torch().eval()
    x = torch.randn(3, 5, 16)
    memory = torch.randn(3, 7, 16)
    # autoatención con máscara causal + relleno
    mask = causal_mask(5) & padding_mask(IDS)
    out, w = mha(x, mask=mask)
    ref_out, ref_w = ref(
        x,
        x,
        x,
        key_padding_mask=~padding_mask(IDS)[:, 0, 0],
        attn_mask=~causal_mask(5)[0, 0],
        average_attn_weights=False,
    )
    assert (out - ref_out).abs().max() <= 1e-5
    assert (w - ref_w).abs().max() <= 1e-5
    # atención cruzada con relleno en la memoria
    mem_ids = torch.tensor([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5])
    out, _ = mha(x, memory, memory, mask=padding_mask(mem_ids))
    ref_out, _ = ref(x, memory, memory, key_padding_mask=~padding_mask(mem_ids)[:, 0, 0])
    assert (out - ref_out).abs().max() <= 1e-5
    assert mha.last_weights.shape == (3, 4, 5, 7)


def test_kv_cache_gives_the_same_as_full_sequence():
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=8, num_heads=2).eval()
    x = torch.randn(2, 6, 8)
    full, _ = mha(x, mask=causal_mask(6))
    out, _, cache = mha(x[:, :4], mask=causal_mask(4), use_cache=True)
    steps = [out]
    for t in range(4, 6):
        out, _, cache = mha(
            x[:, t : t + 1], mask=causal_mask(1, t + 1), past_kv=cache, use_cache=True
        )
        steps.append(out)
    assert cache[0].shape == (2, 2, 6, 4)
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-6)
    with pytest.raises(ValueError, match="past_kv"):
        mha(x[:, :1], past_kv=(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4)))


def test_bad_input_errors():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(d_model=10, num_heads=3)
    with pytest.raises(ValueError, match="d_model"):
        MultiHeadAttention(d_model=0, num_heads=1)
    mha = MultiHeadAttention(d_model=8, num_heads=2)
    x = torch.randn(3, 5, 8)
    # máscara [batch, T_k] sin las dimensiones de cabezas y consultas: el error clásico
    with pytest.raises(ValueError, match="no encaja"):
        mha(x, mask=IDS != 0)
    with pytest.raises(ValueError, match="no encaja"):
        mha(x, mask=causal_mask(4))  # longitud equivocada
    with pytest.raises(ValueError, match="no encaja"):
        mha(x, mask=padding_mask(IDS[:2]))  # lote equivocado
    with pytest.raises(TypeError, match="booleana"):
        mha(x, mask=causal_mask(5).float())
    with pytest.raises(ValueError, match="d_model=8"):
        mha(torch.randn(3, 5, 6))
    with pytest.raises(ValueError, match="dimensiones"):
        mha(torch.randn(5, 8))
    with pytest.raises(ValueError, match="max_len"):
        PositionalEncoding(8, max_len=4)(x)
    with pytest.raises(ValueError, match="activation"):
        FeedForward(8, 16, activation="tanh")
    with pytest.raises(ValueError, match="dropout"):
        EncoderBlock(8, 2, 16, dropout=1.5)


def test_positional_encoding_values_and_order():
    pe = PositionalEncoding(d_model=6, max_len=50)
    pos, i = 7, 1
    expected_sin = torch.sin(torch.tensor(pos / 10000 ** (2 * i / 6)))
    assert torch.isclose(pe.pe[pos, 2 * i], expected_sin, atol=1e-6)
    assert pe.pe.shape == (50, 6)
    odd = PositionalEncoding(d_model=5, max_len=10)  # dimensión impar también funciona
    assert odd.pe.shape == (10, 5)
    # con offset se suman las posiciones correctas
    x = torch.zeros(1, 2, 6)
    assert torch.allclose(pe(x, offset=3)[0], pe.pe[3:5])
    # sin posiciones la autoatención es equivariante a permutaciones; con ellas, no
    torch.manual_seed(0)
    mha = MultiHeadAttention(6, 2).eval()
    x = torch.randn(1, 5, 6)
    perm = torch.tensor([3, 0, 4, 1, 2])
    assert torch.allclose(mha(x[:, perm])[0], mha(x)[0][:, perm], atol=1e-6)
    assert not torch.allclose(mha(pe(x)[:, perm])[0], mha(pe(x[:, perm]))[0], atol=1e-3)


def _copy_block(block: EncoderBlock | DecoderBlock, ref: nn.Module) -> None:
    """Copia los pesos de un bloque nuestro a la capa equivalente de PyTorch."""
    ref.self_attn.load_state_dict(block.self_attn.to_torch().state_dict())
    if isinstance(block, DecoderBlock):
        ref.multihead_attn.load_state_dict(block.cross_attn.to_torch().state_dict())
    ref.linear1.load_state_dict(block.ff.linear1.state_dict())
    ref.linear2.load_state_dict(block.ff.linear2.state_dict())
    for name in ("norm1", "norm2", "norm3"):
        if hasattr(block, name):
            getattr(ref, name).load_state_dict(getattr(block, name).state_dict())


@pytest.mark.parametrize("norm_first", [True, False])
def test_encoder_block_matches_pytorch_layer(norm_first):
    torch.manual_seed(0)
    block = EncoderBlock(16, 4, 32, dropout=0.0, norm_first=norm_first).eval()
    ref = nn.TransformerEncoderLayer(
        16, 4, 32, dropout=0.0, batch_first=True, norm_first=norm_first
    ).eval()
    _copy_block(block, ref)
    x = torch.randn(3, 5, 16)
    out = block(x, padding_mask(IDS))
    ref_out = ref(x, src_key_padding_mask=~padding_mask(IDS)[:, 0, 0])
    real = padding_mask(IDS)[:, 0, 0]  # en el relleno PyTorch puede devolver otra cosa
    assert (out - ref_out)[real].abs().max() <= 1e-5


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_matches_pytorch_layer(norm_first):
    torch.manual_seed(0)
    block = DecoderBlock(16, 4, 32, dropout=0.0, norm_first=norm_first).eval()
    ref = nn.TransformerDecoderLayer(
        16, 4, 32, dropout=0.0, batch_first=True, norm_first=norm_first
    ).eval()
    _copy_block(block, ref)
    x, memory = torch.randn(3, 5, 16), torch.randn(3, 5, 16)
    out = block(x, memory, causal_mask(5), padding_mask(IDS))
    ref_out = ref(
        x,
        memory,
        tgt_mask=~causal_mask(5)[0, 0],
        memory_key_padding_mask=~padding_mask(IDS)[:, 0, 0],
    )
    assert (out - ref_out).abs().max() <= 1e-5
    assert block.cross_attn.last_weights.shape == (3, 4, 5, 5)
    assert torch.all(block.cross_attn.last_weights[2, :, :, 1:] == 0)


def test_decoder_block_cache_and_training_gradients():
    torch.manual_seed(0)
    block = DecoderBlock(8, 2, 16, dropout=0.0).eval()
    x, memory = torch.randn(1, 4, 8), torch.randn(1, 3, 8)
    full = block(x, memory, causal_mask(4))
    first, cache = block(x[:, :3], memory, causal_mask(3), use_cache=True)
    last, cache = block(x[:, 3:], memory, causal_mask(1, 4), past_kv=cache, use_cache=True)
    assert torch.allclose(torch.cat([first, last], 1), full, atol=1e-6)
    # con dropout y en entrenamiento, todos los parámetros reciben gradiente
    block = DecoderBlock(8, 2, 16, dropout=0.1).train()
    block(x, memory, causal_mask(4)).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in block.parameters())
