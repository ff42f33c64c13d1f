"""Pruebas de utils.text: tokenizador, oraciones, vocabulario y relleno."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import utils.text as text_module
from utils.text import (
    Vocab,
    detokenize,
    make_collate,
    make_seq2seq_collate,
    ngrams,
    pad_batch,
    pad_sequences,
    split_sentences,
    tokenize,
)


def test_doctests():
    result = doctest.testmod(text_module)
    assert result.failed == 0


# -- tokenize ---------------------------------------------------------------------------------


def test_tokenize_example_from_brief():
    assert tokenize("¿Dónde está el niño? ¡Tiene 15 años!") == [
        "¿", "dónde", "está", "el", "niño", "?", "¡", "tiene", "15", "años", "!",
    ]  # fmt: skip


def test_tokenize_numbers_are_one_token():
    assert tokenize("Pesa 3,5 kilos, cuesta 1.000 pesos y 2.500,75 dólares.") == [
        "pesa", "3,5", "kilos", ",", "cuesta", "1.000", "pesos", "y", "2.500,75", "dólares", ".",
    ]  # fmt: skip
    # Un punto final tras un número no se pega al número.
    assert tokenize("Tengo 15.") == ["tengo", "15", "."]


def test_tokenize_punctuation_and_letters():
    toks = tokenize('«Pingüino», dijo (ÑANDÚ) - "sí"; no: fin...', lower=True)
    assert toks == [
        "«", "pingüino", "»", ",", "dijo", "(", "ñandú", ")", "-", '"', "sí", '"', ";", "no",
        ":", "fin", "...",
    ]  # fmt: skip
    assert tokenize("O'Donnell llegó") == ["o'donnell", "llegó"]


def test_tokenize_without_punct_and_case():
    assert tokenize("¡Hola, Mundo!", keep_punct=False) == ["hola", "mundo"]
    assert tokenize("¡Hola, Mundo!", lower=False) == ["¡", "Hola", ",", "Mundo", "!"]


def test_tokenize_normalizes_unicode_and_soft_hyphen():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "canción")
    assert tokenize(decomposed) == ["canción"]
    assert tokenize("pala\xadbra") == ["palabra"]


def test_tokenize_empty_and_bad_input():
    assert tokenize("") == []
    assert tokenize("   \n") == []
    with pytest.raises(TypeError, match="texto"):
        tokenize(["hola"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tokenize(None)  # type: ignore[arg-type]


# -- split_sentences --------------------------------------------------------------------------


def test_split_sentences_basic():
    text = "¡Hola! ¿Cómo estás? Bien, gracias. Adiós…  "
    assert split_sentences(text) == ["¡Hola!", "¿Cómo estás?", "Bien, gracias.", "Adiós…"]


def test_split_sentences_abbreviations_and_decimals():
    text = "El Sr. Pérez y la Dra. Gómez viajaron a EE. UU. en 2020. Midieron 3.5 metros. Fin."
    assert split_sentences(text) == [
        "El Sr. Pérez y la Dra. Gómez viajaron a EE. UU. en 2020.",
        "Midieron 3.5 metros.",
        "Fin.",
    ]
    assert split_sentences("J. R. R. Tolkien escribió. Sí.") == [
        "J. R. R. Tolkien escribió.",
        "Sí.",
    ]


def test_split_sentences_lowercase_continuation_and_pairs():
    # «¿vienes? —preguntó»: la raya y la minúscula siguen la misma oración.
    assert split_sentences("—¿Vienes? —preguntó. —Sí. Vamos.") == [
        "—¿Vienes? —preguntó.",
        "—Sí.",
        "Vamos.",
    ]
    assert split_sentences("Compró peras, etc. y se fue. Luego volvió.") == [
        "Compró peras, etc. y se fue.",
        "Luego volvió.",
    ]
    # Dentro de un ¿…? abierto no se corta en el punto.
    assert split_sentences("¿Qué pasó. Dime? Nada.") == ["¿Qué pasó. Dime?", "Nada."]
    assert split_sentences("«Hola.» Dijo él.") == ["«Hola.»", "Dijo él."]


def test_split_sentences_paragraphs_empty_and_bad_input():
    assert split_sentences("Título\n\nTexto del párrafo.") == ["Título", "Texto del párrafo."]
    assert split_sentences("") == []
    assert split_sentences(" . ") == ["."]
    with pytest.raises(TypeError):
        split_sentences(123)  # type: ignore[arg-type]


# -- ngrams -----------------------------------------------------------------------------------


def test_ngrams():
    assert ngrams(["a", "b", "c"], 1) == [("a",), ("b",), ("c",)]
    assert ngrams(["a", "b", "c"], 3) == [("a", "b", "c")]
    assert ngrams(["a", "b"], 3) == []
    with pytest.raises(ValueError):
        ngrams(["a"], 0)
    with pytest.raises(TypeError, match="tokenize"):
        ngrams("hola", 2)


# -- Vocab ------------------------------------------------------------------------------------


@pytest.fixture
def corpus() -> list[list[str]]:
    return [tokenize("el gato come pescado"), tokenize("el perro come carne"), tokenize("el gato")]


def test_vocab_build_order_and_specials(corpus):
    vocab = Vocab.build(corpus)
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    # Por frecuencia (el=3, come=2, gato=2) y empates alfabéticos.
    assert vocab.itos[4:] == ["el", "come", "gato", "carne", "perro", "pescado"]
    assert len(vocab) == 10
    assert vocab.freqs["el"] == 3
    assert vocab.stoi["gato"] == 6
    assert "gato" in vocab and "dinosaurio" not in vocab
    assert vocab["dinosaurio"] == vocab.unk_id
    assert list(vocab) == vocab.itos
    assert "tamaño=10" in repr(vocab)


def test_vocab_deterministic_regardless_of_corpus_order(corpus):
    assert Vocab.build(corpus) == Vocab.build(list(reversed(corpus)))


def test_vocab_min_freq_and_max_size(corpus):
    assert Vocab.build(corpus, min_freq=2).itos[4:] == ["el", "come", "gato"]
    assert Vocab.build(corpus, max_size=6).itos == [
        "<pad>",
        "<unk>",
        "<bos>",
        "<eos>",
        "el",
        "come",
    ]
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build(corpus, min_freq=0)
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build(corpus, max_size=2)
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build(corpus, min_freq=100)


def test_vocab_accepts_generators_and_custom_specials():
    vocab = Vocab.build((tokenize(t) for t in ["sí no", "no"]), specials=())
    assert vocab.itos == ["no", "sí"]
    with pytest.raises(KeyError, match="no está en el vocabulario"):
        vocab["quizás"]
    with pytest.raises(ValueError, match="pad_id"):
        _ = vocab.pad_id


def test_vocab_custom_specials_with_roles(tmp_path):
    specials = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
    roles = {"pad": "[PAD]", "unk": "[UNK]", "bos": "[CLS]", "eos": "[SEP]"}
    vocab = Vocab.build([["hola", "mundo"]], specials=specials, roles=roles)
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert vocab["adiós"] == 1  # el desconocido es [UNK], no un KeyError
    ids = vocab.encode(["hola", "adiós"], add_bos=True, add_eos=True)
    assert ids == [2, 4, 1, 3]
    assert vocab.decode(ids + [0]) == ["hola", "[UNK]"]  # conserva el desconocido
    loaded = Vocab.load(vocab.save(tmp_path / "bert.json"))
    assert loaded == vocab and loaded.unk_id == 1
    # sin roles, los especiales con otros nombres no tienen papel: error claro
    plain = Vocab.build([["hola"]], specials=specials)
    with pytest.raises(ValueError, match="roles="):
        _ = plain.pad_id
    with pytest.raises(ValueError, match="Papeles desconocidos"):
        Vocab.build([["hola"]], specials=specials, roles={"mask": "[PAD]"})
    with pytest.raises(ValueError, match="deben estar en specials"):
        Vocab.build([["hola"]], specials=specials, roles={"pad": "<pad>"})


def test_vocab_loads_version_1_files(tmp_path):
    old = tmp_path / "v1.json"
    old.write_text(
        json.dumps({"format": "curso-nlp-vocab", "version": 1,
                    "specials": ["<pad>", "<unk>"], "itos": ["<pad>", "<unk>", "a"]}),
        encoding="utf-8",
    )  # fmt: skip
    vocab = Vocab.load(old)
    assert vocab.pad_id == 0 and vocab["b"] == 1


def test_vocab_save_uses_the_shared_atomic_writer(tmp_path, monkeypatch, corpus):
    import utils.artifacts as artifacts

    calls = []
    real = artifacts.atomic_write_text
    monkeypatch.setattr(
        artifacts, "atomic_write_text", lambda path, text: calls.append(path) or real(path, text)
    )
    path = Vocab.build(corpus).save(tmp_path / "v.json")
    assert calls == [path] and sorted(p.name for p in tmp_path.iterdir()) == ["v.json"]


def test_vocab_bad_corpus():
    with pytest.raises(ValueError, match="vacío"):
        Vocab.build([])
    with pytest.raises(ValueError, match="vacío"):
        Vocab.build([[], []])
    with pytest.raises(TypeError, match="[Tt]okeniza"):
        Vocab.build("el gato come")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="[Tt]okeniza"):
        Vocab.build(["el gato", "come"])
    with pytest.raises(TypeError):
        Vocab.build([["a", 3]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="repetidos"):
        Vocab.build([["a"]], specials=("<pad>", "<pad>"))


def test_encode_decode(corpus):
    vocab = Vocab.build(corpus)
    ids = vocab.encode(["el", "gato", "vuela"], add_bos=True, add_eos=True)
    assert ids == [2, 4, 6, 1, 3]
    assert vocab.decode(ids) == ["el", "gato", "<unk>"]
    assert vocab.decode(ids, skip_specials=False) == ["<bos>", "el", "gato", "<unk>", "<eos>"]
    assert vocab.decode(ids + [0, 0]) == ["el", "gato", "<unk>"]
    assert vocab.decode(torch.tensor(ids)) == ["el", "gato", "<unk>"]
    assert vocab.decode(np.array(ids)) == ["el", "gato", "<unk>"]
    assert vocab.lookup_tokens([4, 5]) == ["el", "come"]
    assert vocab.lookup_indices(["come"]) == [5]
    with pytest.raises(ValueError, match="fuera del vocabulario"):
        vocab.decode([4, 99])
    with pytest.raises(ValueError, match="fuera del vocabulario"):
        vocab.decode([-1])
    with pytest.raises(ValueError, match="1-D"):
        vocab.decode(torch.tensor([[1, 2]]))
    with pytest.raises(TypeError):
        vocab.decode(torch.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="[Tt]okeniza"):
        vocab.encode("el gato")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        vocab[3]  # type: ignore[index]


def test_vocab_save_load_roundtrip(tmp_path, corpus):
    vocab = Vocab.build(corpus)
    path = vocab.save(tmp_path / "sub" / "vocab.json")
    raw = path.read_text(encoding="utf-8")
    assert "pescado" in raw and "\\u" not in raw  # UTF-8 legible
    loaded = Vocab.load(path)
    assert loaded == vocab
    assert loaded.freqs == vocab.freqs
    assert loaded.encode(["el", "perro"]) == vocab.encode(["el", "perro"])
    assert not (tmp_path / "sub" / "vocab.json.tmp").exists()


def test_vocab_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No existe"):
        Vocab.load(tmp_path / "no_existe.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{esto no es json", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON"):
        Vocab.load(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"a": 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="formato"):
        Vocab.load(other)
    dup = tmp_path / "dup.json"
    dup.write_text(
        json.dumps({"format": "curso-nlp-vocab", "specials": [], "itos": ["a", "a"]}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="repetidos"):
        Vocab.load(dup)


# -- padding ----------------------------------------------------------------------------------


def test_pad_sequences_keras_semantics():
    seqs = [[1, 2, 3], [4]]
    assert pad_sequences(seqs).tolist() == [[1, 2, 3], [4, 0, 0]]
    assert pad_sequences(seqs, padding="pre").tolist() == [[1, 2, 3], [0, 0, 4]]
    assert pad_sequences(seqs, maxlen=2).tolist() == [[1, 2], [4, 0]]
    assert pad_sequences(seqs, maxlen=2, truncating="pre").tolist() == [[2, 3], [4, 0]]
    assert pad_sequences(seqs, maxlen=4, value=9).tolist() == [[1, 2, 3, 9], [4, 9, 9, 9]]
    out = pad_sequences([torch.tensor([1, 2]), np.array([3]), []])
    assert out.dtype == torch.long and out.tolist() == [[1, 2], [3, 0], [0, 0]]
    assert pad_sequences([[0.5]], dtype=torch.float32).dtype == torch.float32


def test_pad_sequences_bad_input():
    with pytest.raises(ValueError, match="vacía"):
        pad_sequences([])
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match="maxlen"):
        pad_sequences([[1]], maxlen=0)
    with pytest.raises(TypeError, match="encode"):
        pad_sequences(["hola", "mundo"])
    with pytest.raises(ValueError, match="1-D"):
        pad_sequences([[[1, 2]]])
    with pytest.raises(ValueError, match="lista de secuencias"):
        pad_sequences(torch.tensor([1, 2, 3]))


def test_pad_batch():
    padded, lengths = pad_batch([[5, 6, 7], torch.tensor([8])], pad_id=1)
    assert padded.tolist() == [[5, 6, 7], [8, 1, 1]]
    assert lengths.tolist() == [3, 1]
    assert lengths.dtype == torch.long and lengths.device.type == "cpu"
    with pytest.raises(ValueError):
        pad_batch([])


def test_make_collate_with_dataloader():
    data = [([5, 6, 7], 1), ([8], 0), ([9, 10], 1)]
    loader = DataLoader(data, batch_size=3, collate_fn=make_collate(pad_id=0))
    *inputs, target = next(iter(loader))
    padded, lengths = inputs
    assert padded.shape == (3, 3)
    assert lengths.tolist() == [3, 1, 2]
    assert target.dtype == torch.long and target.tolist() == [1, 0, 1]
    # La convención model(padded, lengths) funciona con pack_padded_sequence.
    emb = torch.nn.Embedding(11, 4, padding_idx=0)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        emb(padded), lengths, batch_first=True, enforce_sorted=False
    )
    assert packed.data.shape == (6, 4)


def test_make_collate_variants():
    collate = make_collate(with_lengths=False)
    padded, labels = collate([([1], 0.5), ([2, 3], 1.0)])
    assert labels.dtype == torch.float32 and padded.shape == (2, 2)
    rows = [{"input_ids": [1, 2], "label": 0}, {"input_ids": [3], "label": 2}]
    padded, lengths, labels = make_collate()(rows)
    assert labels.tolist() == [0, 2]
    _, _, labels = make_collate()([([1], torch.tensor(1)), ([2], torch.tensor(0))])
    assert labels.tolist() == [1, 0]
    with pytest.raises(KeyError, match="keys"):
        make_collate()([{"ids": [1], "label": 0}])
    with pytest.raises(TypeError, match="par"):
        make_collate()([[1, 2, 3]])
    with pytest.raises(TypeError, match="etiquetas"):
        make_collate()([([1], "pos")])
    with pytest.raises(ValueError, match="vacío"):
        make_collate()([])


def test_make_seq2seq_collate():
    batch = [([4, 5, 6], [2, 7, 8, 3]), ([9], [2, 3])]
    src, src_lengths, tgt = make_seq2seq_collate(0, 1)(batch)
    assert src.tolist() == [[4, 5, 6], [9, 0, 0]]
    assert src_lengths.tolist() == [3, 1]
    assert tgt.tolist() == [[2, 7, 8, 3], [2, 3, 1, 1]]
    src, src_lengths, tgt_in, tgt_out = make_seq2seq_collate(0, 0, shift_target=True)(batch)
    assert tgt_in.tolist() == [[2, 7, 8], [2, 3, 0]]
    assert tgt_out.tolist() == [[7, 8, 3], [3, 0, 0]]
    rows = [{"src_ids": [1], "tgt_ids": [2, 3]}]
    assert make_seq2seq_collate()(rows)[2].tolist() == [[2, 3]]
    with pytest.raises(ValueError, match="add_bos"):
        make_seq2seq_collate(shift_target=True)([([1], [2])])


def test_tokenize_long_text():
    """Un texto largo se tokeniza entero (la velocidad se mide en un benchmark, no aquí)."""
    text = "¿Dónde está el niño? ¡Tiene 15 años y pesa 3,5 kilos! " * 2_000
    tokens = tokenize(text)
    assert len(tokens) == 2_000 * 15
    assert tokens[:4] == ["¿", "dónde", "está", "el"]


def test_padding_rejects_float_ids_and_keeps_floats_when_asked():
    with pytest.raises(TypeError, match="enteros"):
        pad_batch([[1.5, 2.0]])
    with pytest.raises(TypeError, match="enteros"):
        pad_sequences([torch.tensor([0.5])])
    assert pad_sequences([[0.5, 1.5], []], dtype=torch.float32).tolist() == [[0.5, 1.5], [0.0, 0.0]]
    assert pad_batch([[], [3]])[0].tolist() == [[0], [3]]


def test_text_module_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, utils.text as t; t.Vocab.build([t.tokenize('hola mundo')]).decode([4]); "
        "assert 'torch' not in sys.modules, 'torch importado'"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).parents[1]),
    )


# --- detokenize -------------------------------------------------------------------------------


def test_detokenize_spanish_punctuation_and_capitals():
    tokens = ["en", "el", "principio", ",", "dios", "dijo", ":", "¡", "sea", "la", "luz", "!",
              "(", "y", "fue", ")", "«", "bien", "»", "..."]  # fmt: skip
    assert detokenize(tokens, capitalize=True) == (
        "En el principio, dios dijo: ¡sea la luz! (Y fue) «bien»..."
    )
    assert detokenize(tokens) == "en el principio, dios dijo: ¡sea la luz! (y fue) «bien»..."
    assert detokenize([]) == ""
    assert detokenize(["<unk>", "."]) == "<unk>."


def test_detokenize_joins_hyphenated_words_and_percent():
    tokens = ["sixty", "-", "two", "years", "(", "old", ")", ",", "50", "%", "."]
    assert detokenize(tokens) == "sixty-two years (old), 50%."
    assert detokenize(["a", "-", "-", "b"]) == "a - - b"  # solo un guion entre dos palabras


def test_detokenize_inverts_tokenize_on_plain_text():
    text = "¿dónde está el niño? ¡tiene 15 años, no 16!"
    assert detokenize(tokenize(text)) == text


def test_detokenize_bad_input():
    with pytest.raises(TypeError, match="lista de tokens"):
        detokenize("hola mundo")
    with pytest.raises(TypeError, match="str"):
        detokenize(["hola", 3])  # type: ignore[list-item]
