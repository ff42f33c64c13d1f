"""Pruebas de ``utils.embeddings`` con un corpus diminuto (segundos, sin el corpus real)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gensim.models import KeyedVectors

from utils import embeddings

TINY_CORPUS = [
    ["el", "rey", "habló", "al", "pueblo"],
    ["la", "reina", "habló", "al", "pueblo"],
    ["el", "hijo", "del", "rey", "comió", "pan"],
    ["la", "hija", "de", "la", "reina", "bebió", "agua"],
] * 30

TINY = dict(vector_size=8, window=2, min_count=2, negative=2, epochs=2, workers=1)


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """Caché en una carpeta temporal y un corpus de juguete en lugar del real."""
    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path))
    calls = []

    def fake_sentences(books=None):
        calls.append(books)
        return [list(s) for s in TINY_CORPUS]

    monkeypatch.setattr(embeddings, "corpus_sentences", fake_sentences)
    return calls


def test_config_name_distinguishes_configurations():
    names = {
        embeddings.config_name(sg=0),
        embeddings.config_name(sg=1),
        embeddings.config_name(sg=1, vector_size=50),
        embeddings.config_name(sg=1, epochs=10),
        embeddings.config_name(sg=1, seed=1),
    }
    assert len(names) == 5
    assert embeddings.config_name(sg=1).startswith(embeddings.CORPUS_TAG)


def test_corpus_version_is_part_of_the_cache_key(tiny, monkeypatch):
    """Si cambia la limpieza del corpus, los vectores guardados no se reutilizan."""
    params = {k: v for k, v in TINY.items() if k != "workers"}
    embeddings.load_word2vec(**TINY, verbose=False)
    old_path = embeddings.model_path(sg=1, **params)
    monkeypatch.setattr(embeddings, "corpus_version", lambda: "999")
    new_path = embeddings.model_path(sg=1, **params)
    assert new_path != old_path and "c999" in new_path.name
    embeddings.load_word2vec(**TINY, verbose=False)
    assert len(tiny) == 2 and new_path.is_file()
    meta = json.loads(new_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["corpus_version"] == "999"


def test_trains_saves_and_reuses(tiny, capsys):
    kv = embeddings.load_word2vec(**TINY)
    assert isinstance(kv, KeyedVectors)
    assert kv.vector_size == 8 and "rey" in kv
    path = embeddings.model_path(sg=1, **{k: v for k, v in TINY.items() if k != "workers"})
    assert path.is_file()
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["vector_size"] == 8 and meta["vocabulario"] == len(kv)
    assert len(tiny) == 1
    assert "Entrenando" in capsys.readouterr().out

    again = embeddings.load_word2vec(**TINY)
    assert len(tiny) == 1, "no debía volver a leer el corpus: el modelo guardado se reutiliza"
    assert "cargados" in capsys.readouterr().out
    np.testing.assert_array_equal(again["rey"], kv["rey"])


def test_retrain_trains_again(tiny):
    embeddings.load_word2vec(**TINY, verbose=False)
    embeddings.load_word2vec(**TINY, retrain=True, verbose=False)
    assert len(tiny) == 2


def test_corrupt_file_is_rebuilt_with_a_message(tiny, capsys):
    path = embeddings.model_path(sg=1, **{k: v for k, v in TINY.items() if k != "workers"})
    path.parent.mkdir(parents=True)
    path.write_bytes(b"esto no es un modelo")
    kv = embeddings.load_word2vec(**TINY)
    out = capsys.readouterr().out
    assert "no se puede leer" in out and "se vuelve a entrenar" in out
    assert "rey" in kv and len(tiny) == 1
    assert isinstance(KeyedVectors.load(str(path)), KeyedVectors)  # quedó un archivo válido


def test_wrong_dimension_in_file_is_rebuilt(tiny, capsys):
    params = {k: v for k, v in TINY.items() if k != "workers"}
    kv = embeddings.load_word2vec(**TINY, verbose=False)
    other = KeyedVectors(vector_size=3)
    other.add_vectors(["a", "b"], np.zeros((2, 3), dtype=np.float32))
    other.save(str(embeddings.model_path(sg=1, **params)))
    rebuilt = embeddings.load_word2vec(**TINY)
    assert "dimensión 3" in capsys.readouterr().out
    assert rebuilt.vector_size == kv.vector_size == 8


def test_no_temporary_files_left(tiny):
    embeddings.load_word2vec(**TINY, verbose=False)
    folder = embeddings.model_path(sg=1).parent
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "bad",
    [
        {"sg": 2},
        {"sg": True},
        {"vector_size": 0},
        {"window": 1.5},
        {"workers": 0},
        {"epochs": -1},
        {"sample": 1.0},
        {"seed": -3},
    ],
)
def test_bad_configuration_is_a_clear_error(tiny, bad):
    with pytest.raises(ValueError, match="debe"):
        embeddings.load_word2vec(**{**TINY, **bad})
    assert tiny == [], "no debía leer el corpus con una configuración inválida"


def test_empty_corpus_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path))
    monkeypatch.setattr(embeddings, "corpus_sentences", lambda books=None: [])
    with pytest.raises(ValueError, match="vacío"):
        embeddings.load_word2vec(**TINY)


def test_min_count_too_high_is_an_error(tiny):
    with pytest.raises(ValueError, match="min_count"):
        embeddings.load_word2vec(**{**TINY, "min_count": 10_000})


def test_evaluate_embeddings_on_tiny_files(tiny, tmp_path):
    kv = embeddings.load_word2vec(**TINY, verbose=False)
    analogies = tmp_path / "analogias.txt"
    analogies.write_text(
        ": género\nrey reina hijo hija\nhijo hija rey reina\nrey reina perro perra\n",
        encoding="utf-8",
    )
    pairs = tmp_path / "pares.tsv"
    pairs.write_text(
        "# comentario\nrey\treina\t8\npan\tagua\t6\nrey\tpan\t1\nrey\tdragón\t0\n", encoding="utf-8"
    )
    res = embeddings.evaluate_embeddings(kv, analogies, pairs)
    assert res["analogias_total"] == 3 and res["analogias_evaluadas"] == 2
    assert 0.0 <= res["analogias"] <= 1.0
    assert set(res["analogias_por_categoria"]) == {"género"}
    assert res["pares_total"] == 4 and res["pares_evaluados"] == 3
    assert -1.0 <= res["spearman"] <= 1.0
    only_pairs = embeddings.evaluate_embeddings(kv, analogies=None, similarity=pairs)
    assert "analogias" not in only_pairs


def test_evaluate_embeddings_bad_input(tiny, tmp_path):
    kv = embeddings.load_word2vec(**TINY, verbose=False)
    with pytest.raises(FileNotFoundError, match="No existe"):
        embeddings.evaluate_embeddings(kv, tmp_path / "no_existe.txt", None)
    with pytest.raises(TypeError, match="KeyedVectors"):
        embeddings.evaluate_embeddings({"rey": [1, 2]})
    with pytest.raises(ValueError, match="Nada que evaluar"):
        embeddings.evaluate_embeddings(kv, None, None)


def test_course_evaluation_files_are_well_formed():
    lines = embeddings.ANALOGIES_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(": ")
    assert all(ln.startswith(": ") or len(ln.split()) == 4 for ln in lines)
    rows = [
        ln.split("\t")
        for ln in embeddings.SIMILARITY_FILE.read_text(encoding="utf-8").splitlines()
        if ln and not ln.startswith("#")
    ]
    assert len(rows) >= 40 and all(len(r) == 3 and 0 <= float(r[2]) <= 10 for r in rows)


def test_corpus_sentences_unknown_book():
    with pytest.raises(ValueError, match="Libros desconocidos"):
        embeddings.corpus_sentences(["Libro de Nadie"])


def test_similarity_pairs_split_is_fixed_and_disjoint():
    pairs = embeddings.read_similarity_pairs()
    dev, test = embeddings.split_similarity_pairs()
    assert len(dev) + len(test) == len(pairs) and not set(dev) & set(test)
    assert embeddings.split_similarity_pairs() == (dev, test)
    # las dos mitades cubren todo el rango de puntuaciones
    assert abs(np.mean([p[2] for p in dev]) - np.mean([p[2] for p in test])) < 1.0


def test_similarity_items_and_spearman(tiny):
    kv = embeddings.load_word2vec(**TINY, verbose=False)
    pairs = [("rey", "reina", 8.0), ("pan", "agua", 6.0), ("rey", "dragón", 0.0)]
    items = embeddings.similarity_items(kv, pairs)
    assert len(items) == 2 and items[0][0] == 8.0
    assert embeddings.spearman([(1, 1), (2, 2), (3, 3)]) == pytest.approx(1.0)
    assert embeddings.spearman([(1, 3), (2, 2), (3, 1)]) == pytest.approx(-1.0)
    assert np.isnan(embeddings.spearman([(1, 2)]))
    assert np.isnan(embeddings.spearman([(1, 2), (1, 3)]))  # sin variación


def test_analogy_outcomes_per_question(tiny, tmp_path):
    kv = embeddings.load_word2vec(**TINY, verbose=False)
    analogies = tmp_path / "analogias.txt"
    analogies.write_text(": género\nrey reina hijo hija\nrey reina perro perra\n", encoding="utf-8")
    out = embeddings.analogy_outcomes(kv, analogies)
    assert list(out) == [("rey", "reina", "hijo", "hija")] and set(out.values()) <= {0, 1}


def test_item_helpers_bad_input(tiny, tmp_path):
    with pytest.raises(TypeError, match="KeyedVectors"):
        embeddings.similarity_items({"rey": [1.0]})
    with pytest.raises(ValueError, match="pares"):
        embeddings.spearman([1, 2, 3])
    with pytest.raises(FileNotFoundError, match="No existe"):
        embeddings.read_similarity_pairs(tmp_path / "no.tsv")
    bad = tmp_path / "malo.tsv"
    bad.write_text("rey reina 8\n", encoding="utf-8")
    with pytest.raises(ValueError, match="3 columnas"):
        embeddings.read_similarity_pairs(bad)
    with pytest.raises(ValueError, match="al menos 4"):
        embeddings.split_similarity_pairs([("a", "b", 1.0)])
