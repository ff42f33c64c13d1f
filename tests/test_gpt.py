"""Pruebas de utils.gpt: tokenizador BPE de bytes, GPT con KV cache, BPC y formato Hugging Face."""

from __future__ import annotations

import doctest
import json
import math

import pytest
import torch

import utils.gpt as gpt_module
from utils import config
from utils.decoding import greedy_decode, sample
from utils.gpt import (
    GPT,
    bits_per_character,
    count_params,
    from_hf,
    gpt_windows,
    load_gpt,
    save_gpt,
    to_hf,
    train_bpe_tokenizer,
)
from utils.lm import generate

pytestmark = pytest.mark.usefixtures("one_thread")

TEXT = (
    "Y respondiendo Jesús, les dijo: De cierto os digo, que no quedará piedra sobre piedra.\n"
    "Y él les dijo: ¿No veis todo esto? Mañana será otro día, y la niña comió ñame.\n"
) * 20


@pytest.fixture(scope="module")
def tokenizer():
    return train_bpe_tokenizer([TEXT], vocab_size=300)


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return GPT(vocab_size=40, block_size=8, d_model=16, num_layers=2, num_heads=2).eval()


def test_doctests():
    result = doctest.testmod(gpt_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# --- tokenizador --------------------------------------------------------------------------------


def test_tokenizer_roundtrip_and_compression(tokenizer):
    ids = tokenizer.encode(TEXT)
    assert tokenizer.decode(ids) == TEXT  # sin pérdidas: tildes, ñ, ¿ y saltos de línea
    assert len(ids) < 0.6 * len(TEXT.encode("utf-8"))  # las fusiones comprimen el texto
    assert len(tokenizer) == 300
    # a nivel de bytes no hay desconocidos: un carácter nunca visto se codifica por bytes
    unseen = "Ωmega 🙂"
    assert tokenizer.decode(tokenizer.encode(unseen)) == unseen
    assert tokenizer.eos_token == gpt_module.EOS_TOKEN


@pytest.mark.parametrize(
    ("texts", "kwargs", "msg"),
    [([], {}, "vacía"), (["", ""], {}, "vacía"), ([TEXT], {"vocab_size": 100}, "vocab_size")],
)
def test_tokenizer_bad_input(texts, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        train_bpe_tokenizer(texts, **kwargs)


# --- modelo --------------------------------------------------------------------------------------


def test_shapes_tying_and_param_count(tiny):
    x = torch.randint(0, 40, (3, 8))  # x: [batch, T]
    assert tiny(x).shape == (3, 8, 40)
    assert tiny.head.weight is tiny.tok_emb.weight  # salida atada al embedding
    assert count_params(tiny) - count_params(tiny, non_embedding=True) == 40 * 16 + 8 * 16
    per_block = 4 * (16 * 16 + 16) + 2 * (16 * 64) + 64 + 16 + 4 * 16  # atención, MLP, 2 LN
    assert count_params(tiny, non_embedding=True) == 2 * per_block + 2 * 16  # + LN final


def test_attention_is_causal(tiny):
    x = torch.randint(0, 40, (1, 8))
    y = x.clone()
    y[0, 5:] = (y[0, 5:] + 1) % 40  # cambia el futuro a partir de la posición 5
    assert torch.allclose(tiny(x)[0, :5], tiny(y)[0, :5], atol=1e-6)
    assert not torch.allclose(tiny(x)[0, 5:], tiny(y)[0, 5:], atol=1e-4)


def test_kv_cache_matches_full_forward(tiny):
    x = torch.randint(0, 40, (2, 7))
    full = tiny(x)  # [2, 7, V]
    logits, past = tiny(x[:, :4], use_cache=True)
    steps = [logits]
    for t in range(4, 7):
        logits, past = tiny(x[:, t : t + 1], past_kv=past, use_cache=True)
        steps.append(logits)
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-5)
    assert past[0][0].shape == (2, 2, 7, 8)  # K: [B, H, T, d_k]


def test_cached_generation_identical_beyond_block_size(tiny):
    # 30 tokens nuevos con un contexto de 8: la ventana se desliza y la caché se recalcula
    cached = greedy_decode(tiny.step_fn, [1, 2, 3], 30)
    uncached = greedy_decode(tiny.step_fn_no_cache, [1, 2, 3], 30)
    assert cached == uncached and len(cached) == 30
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    s1 = sample(tiny.step_fn, [1, 2], 25, temperature=1.5, generator=g1)
    s2 = sample(tiny.step_fn_no_cache, [1, 2], 25, temperature=1.5, generator=g2)
    assert s1 == s2


def test_generate_with_gpt_respects_context_and_checks_arguments(tiny):
    assert len(generate(tiny, list(range(8)), 20)) == 20  # prompt = contexto, genera más allá
    with pytest.raises(ValueError, match="contexto"):
        generate(tiny, list(range(9)), 5)  # prompt más largo que el contexto
    with pytest.raises(ValueError, match="temperat"):
        generate(tiny, [1, 2], 5, strategy="sample", temperature=0)
    with pytest.raises(ValueError, match="top_p"):
        generate(tiny, [1, 2], 5, strategy="sample", top_p=1.5)
    with pytest.raises(ValueError, match="top_p"):
        generate(tiny, [1, 2], 5, strategy="sample", top_p=0.0)


def test_forward_bad_input(tiny):
    with pytest.raises(ValueError, match="contexto"):
        tiny(torch.randint(0, 40, (1, 9)))
    with pytest.raises(ValueError, match="índices"):
        tiny(torch.randn(2, 4))
    with pytest.raises(ValueError, match="índices"):
        tiny(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="divisible"):
        GPT(vocab_size=10, d_model=10, num_heads=4)
    with pytest.raises(ValueError, match="block_size"):
        GPT(vocab_size=10, block_size=0)


# --- bits por carácter ---------------------------------------------------------------------------


class _Uniform(torch.nn.Module):
    block_size = 5

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.p = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.zeros(*x.shape, self.vocab) + 0 * self.p


def test_bits_per_character_exact_for_uniform_model():
    ids = list(range(23))  # 22 objetivos: 4 ventanas de 5 y una última de 2
    out = bits_per_character(_Uniform(30), ids, n_chars=44)
    assert out["tokens"] == 22
    assert out["bpc"] == pytest.approx(22 * math.log(30) / (44 * math.log(2)))
    assert out["nats_per_token"] == pytest.approx(math.log(30))


def test_bits_per_character_bad_input():
    with pytest.raises(ValueError, match="2 tokens"):
        bits_per_character(_Uniform(30), [1], n_chars=3)
    with pytest.raises(ValueError, match="n_chars"):
        bits_per_character(_Uniform(30), [1, 2, 3], n_chars=0)


def test_windows_shift_once():
    x, y = gpt_windows(list(range(10)), 4).tensors
    assert torch.equal(y[:, :-1], x[:, 1:]) and y[0, -1].item() == 4


# --- Hugging Face ---------------------------------------------------------------------------------


def test_to_hf_and_back_give_the_same_logits(tiny):
    x = torch.randint(0, 40, (2, 8))
    hf = to_hf(tiny).eval()
    assert torch.allclose(hf(x).logits, tiny(x), atol=1e-5)
    back = from_hf(hf).eval()
    assert torch.allclose(back(x), tiny(x), atol=1e-6)
    with pytest.raises(TypeError, match="GPT"):
        to_hf(torch.nn.Linear(2, 2))


def test_saved_folder_runs_in_transformers(tmp_path, tokenizer):
    from transformers import AutoTokenizer, GPT2LMHeadModel, pipeline

    torch.manual_seed(0)
    model = GPT(len(tokenizer), block_size=16, d_model=16, num_layers=1, num_heads=2).eval()
    save_gpt(model, tokenizer, tmp_path)
    hf = GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    tok = AutoTokenizer.from_pretrained(tmp_path)
    ids = torch.tensor([tok.encode("Y respondiendo Jesús")])
    assert torch.allclose(hf(ids).logits, model(ids), atol=1e-5)
    gen = pipeline("text-generation", model=hf, tokenizer=tok)
    out = gen("Y él les dijo", max_new_tokens=5, do_sample=False)[0]["generated_text"]
    assert out.startswith("Y él les dijo") and len(out) > len("Y él les dijo")


def test_load_gpt_smoke_is_cached(tmp_path, monkeypatch):
    from transformers import GPT2LMHeadModel

    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(config, "SMOKE", True)
    folder = load_gpt(verbose=False)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()
    }
    meta = json.loads((folder / "curso_artifact.json").read_text(encoding="utf-8"))
    assert meta["config"] == gpt_module.SMOKE_CONFIG and meta["info"]["bpc_val"] < 8
    model = GPT2LMHeadModel.from_pretrained(folder)
    assert model.config.n_positions == gpt_module.SMOKE_CONFIG["block_size"]
    stamp = (folder / "curso_artifact.json").stat().st_mtime_ns
    assert load_gpt(verbose=False) == folder  # segunda llamada: de la caché, sin reentrenar
    assert (folder / "curso_artifact.json").stat().st_mtime_ns == stamp


def test_check_config_rejects_wrong_keys():
    with pytest.raises(ValueError, match="faltan"):
        gpt_module.train_gpt({"vocab_size": 300})
