"""Pruebas de utils.mini_beto: configuración, tokenizador, enmascarado, pérdida y caché."""

from __future__ import annotations

import json

import pytest
import torch

from utils import artifacts, mini_beto

TINY = {
    "vocab_size": 150,
    "hidden_size": 16,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "max_len": 24,
    "batch_size": 4,
    "steps": 4,
    "eval_every": 2,
    "val_sequences": 2,
    "max_train_verses": None,
}

FRASES = [
    "Y vino Jesús á Galilea, y bebió el vino de la viña.",
    "Vosotros sois la sal de la tierra: si la sal perdiere su sabor.",
    "Y la llama del fuego subía, y él llama á sus discípulos.",
    "En el principio crió Dios los cielos y la tierra.",
    "Y dijo Dios: Sea la luz: y fué la luz.",
]


@pytest.fixture
def tiny_corpus(tmp_path, monkeypatch, one_thread):
    """Caché en una carpeta temporal y un corpus diminuto (sin leer la Biblia entera)."""
    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path / "cache"))
    texts = FRASES * 8
    monkeypatch.setattr(mini_beto, "_corpus_texts", lambda cfg: (texts, FRASES))
    return texts


def test_config_rejects_unknown_keys_and_impossible_values():
    assert mini_beto.mini_beto_config({"steps": 7})["steps"] == 7
    with pytest.raises(ValueError, match="desconocida.*'capas'"):
        mini_beto.mini_beto_config({"capas": 2})
    with pytest.raises(ValueError, match="múltiplo de num_attention_heads"):
        mini_beto.mini_beto_config({"hidden_size": 30, "num_attention_heads": 4})
    with pytest.raises(ValueError, match="steps debe ser un entero"):
        mini_beto.mini_beto_config({"steps": 0})
    with pytest.raises(ValueError, match="mask_prob"):
        mini_beto.mini_beto_config({"mask_prob": 1.5})
    with pytest.raises(TypeError, match="dict"):
        mini_beto.mini_beto_config([("steps", 3)])


def test_wordpiece_keeps_case_and_accents_and_rejects_empty_corpus():
    tok = mini_beto.train_wordpiece(FRASES * 3, vocab_size=200)
    assert tok.tokenize("Jesús")[0].startswith("J")  # ni minúsculas ni tildes quitadas
    assert tok.decode(tok("Y vino Jesús")["input_ids"], skip_special_tokens=True) == "Y vino Jesús"
    assert tok.convert_ids_to_tokens([0, 1, 2, 3, 4]) == mini_beto.SPECIAL_TOKENS
    with pytest.raises(ValueError, match="vacío"):
        mini_beto.train_wordpiece([])
    with pytest.raises(ValueError, match="vacío"):
        mini_beto.train_wordpiece(["   ", ""])
    with pytest.raises(TypeError, match="lista de textos"):
        mini_beto.train_wordpiece("un texto suelto")


def test_pack_sequences_fills_up_to_max_len():
    seqs = mini_beto.pack_sequences([[5] * 3, [6] * 3, [7] * 10], max_len=8, cls_id=2, sep_id=3)
    assert seqs == [[2, 5, 5, 5, 6, 6, 6, 3], [2, *[7] * 6, 3]]
    assert all(len(s) <= 8 for s in seqs)
    with pytest.raises(ValueError, match="vacío"):
        mini_beto.pack_sequences([], max_len=8, cls_id=2, sep_id=3)


def test_whole_word_mask_masks_every_piece_of_a_word_and_never_specials():
    vocab = 40
    start = torch.ones(vocab, dtype=torch.bool)
    start[30:] = False  # los ids 30…39 son piezas «##…»
    g = torch.Generator().manual_seed(0)
    # [CLS] w ##a ##b w w ##c … [SEP] [PAD]
    row = [2] + [10, 30, 31, 11, 12, 32] * 5 + [3, 0]
    ids = torch.tensor([row] * 200)
    masked, labels = mini_beto.whole_word_mask(
        ids, start, mask_id=4, special_ids=[0, 1, 2, 3, 4], mask_prob=0.15, generator=g
    )
    chosen = labels != -100
    assert not chosen[:, 0].any() and not chosen[:, -2:].any()  # [CLS], [SEP], [PAD]
    assert chosen.any(dim=1).all()  # al menos una palabra por fila
    # Una pieza «##» está elegida si y solo si lo está el inicio de su palabra.
    assert torch.equal(chosen[:, 2], chosen[:, 1]) and torch.equal(chosen[:, 3], chosen[:, 1])
    assert torch.equal(chosen[:, 6], chosen[:, 5])
    rate = chosen[:, 1:-2].float().mean().item()
    assert 0.10 < rate < 0.25, rate
    replaced = (masked == 4)[chosen].float().mean().item()
    assert 0.7 < replaced < 0.9, replaced  # ~80 % [MASK]
    assert torch.equal(labels[chosen], ids[chosen])
    with pytest.raises(ValueError, match=r"\[batch, seq_len\]"):
        mini_beto.whole_word_mask(ids[0], start, mask_id=4, special_ids=[0])
    with pytest.raises(ValueError, match="vocabulario"):
        mini_beto.whole_word_mask(ids + 100, start, mask_id=4, special_ids=[0])


def test_masked_lm_loss_matches_full_head_and_rejects_empty_mask(one_thread):
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    model = BertForMaskedLM(
        BertConfig(
            vocab_size=50,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
        )  # fmt: skip
    ).eval()  # sin dropout: las dos pérdidas deben coincidir
    ids = torch.randint(5, 50, (3, 7))
    labels = torch.full_like(ids, -100)
    labels[:, [1, 4]] = ids[:, [1, 4]]
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
    assert torch.allclose(mini_beto.masked_lm_loss(model, batch), model(**batch).loss, atol=1e-6)
    batch["labels"] = torch.full_like(ids, -100)
    with pytest.raises(ValueError, match="enmascarada"):
        mini_beto.masked_lm_loss(model, batch)


def test_load_builds_once_in_hf_layout_then_hits_cache(tiny_corpus, capsys):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    folder = mini_beto.load_mini_beto(config=TINY)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"):
        assert (folder / name).is_file(), name
    info = artifacts.artifact_info(folder)["info"]
    assert info["tokens_per_s"] > 0 and len(info["history"]) == 2
    model = AutoModelForMaskedLM.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    assert model.config.num_hidden_layers == 1 and tok.mask_token == "[MASK]"
    mtime = (folder / "model.safetensors").stat().st_mtime_ns
    capsys.readouterr()
    assert mini_beto.load_mini_beto(config=TINY) == folder
    assert "cargado de la caché" in capsys.readouterr().out
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    # Otra configuración → otra carpeta.
    assert mini_beto.load_mini_beto(config={**TINY, "steps": 2}, verbose=False) != folder


def test_corrupt_or_incomplete_cache_is_rebuilt(tiny_corpus, capsys):
    folder = mini_beto.load_mini_beto(config=TINY, verbose=False)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # pesos truncados
    mini_beto.load_mini_beto(config=TINY)
    out = capsys.readouterr().out
    assert "dañada" in out and "construido" in out
    from transformers import AutoModelForMaskedLM

    AutoModelForMaskedLM.from_pretrained(folder)  # vuelve a cargar
    (folder / "tokenizer.json").unlink()
    mini_beto.load_mini_beto(config=TINY, verbose=False)
    assert (folder / "tokenizer.json").is_file()
    (folder / artifacts.STAMP).write_text("{no es json", encoding="utf-8")
    mini_beto.load_mini_beto(config=TINY, verbose=False)
    assert "config" in json.loads((folder / artifacts.STAMP).read_text(encoding="utf-8"))


def test_empty_corpus_is_a_clear_error_and_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(mini_beto, "_corpus_texts", lambda cfg: ([], FRASES))
    with pytest.raises(ValueError, match="corpus vacío"):
        mini_beto.load_mini_beto(config=TINY, verbose=False)
    assert not list((tmp_path / "cache" / mini_beto.KIND).iterdir())
    with pytest.raises(ValueError, match="desconocida"):
        mini_beto.load_mini_beto(config={"capas_ocultas": 3})


def test_corpus_splits_reuse_the_clase_4_rule():
    frame = mini_beto.corpus_splits()
    assert set(frame["split"]) == {"train", "validation", "test"}
    nt = frame[frame["testament"] == "Nuevo"]
    # Mateo 4 es el capítulo 3 del Nuevo Testamento (contando desde 0) → validación en 4c.
    assert set(nt[(nt["book_id"] == 40) & (nt["chapter"] == 4)]["split"]) == {"validation"}
    assert set(nt[(nt["book_id"] == 40) & (nt["chapter"] == 8)]["split"]) == {"test"}
    shares = frame["split"].value_counts(normalize=True)
    assert 0.75 < shares["train"] < 0.85 and 0.07 < shares["test"] < 0.13
    # Un capítulo entero va a una sola partición.
    assert (frame.groupby(["book_id", "chapter"])["split"].nunique() == 1).all()
