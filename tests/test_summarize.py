"""Pruebas de utils.summarize: selección de oraciones, líneas de base, ROUGE y conjunto de evaluación."""

from __future__ import annotations

import json

import numpy as np
import pytest

from utils import summarize as sm

TEXT = (
    "El río Tajo creció durante la noche. Las lluvias fueron intensas en toda la cuenca. "
    "El agua del río inundó las calles del pueblo. Los vecinos subieron los muebles al piso de "
    "arriba. Por la mañana el río volvió a su cauce."
)

# Vectores de juguete: dos temas (río / vecinos) para comprobar cada método a mano.
TOY = {
    "a": [1.0, 0.0],
    "b": [0.95, 0.05],
    "c": [0.9, 0.1],
    "d": [0.0, 1.0],
}


def toy_embed(sentences):
    return np.array([TOY[s] for s in sentences])


def test_empty_text_is_a_clear_error():
    with pytest.raises(ValueError, match="vacío"):
        sm.extractive_summary("   ", sm.tfidf_embedder())
    with pytest.raises(ValueError, match="vacía"):
        sm.select_sentences([" ", ""], toy_embed)


def test_one_sentence_is_its_own_summary_without_embedding():
    def never(_):
        raise AssertionError("no hace falta calcular vectores con una sola oración")

    assert (
        sm.extractive_summary("Solo hay una oración aquí.", never) == "Solo hay una oración aquí."
    )


def test_k_larger_than_sentences_returns_whole_text_in_order():
    summary = sm.extractive_summary(TEXT, sm.tfidf_embedder(), k=50)
    assert summary == " ".join(sm.split_sentences(TEXT))
    assert sm.select_sentences(["a", "b"], toy_embed, k=5, method="kmeans") == [0, 1]


def test_bad_arguments():
    with pytest.raises(ValueError, match="k debe ser un entero"):
        sm.select_sentences(["a", "b"], toy_embed, k=0)
    with pytest.raises(ValueError, match="method"):
        sm.select_sentences(["a", "b", "c"], toy_embed, k=1, method="bert")
    with pytest.raises(ValueError, match=r"\[3, d\]"):
        sm.select_sentences(["a", "b", "c"], lambda ss: np.zeros((2, 4)), k=1)
    with pytest.raises(TypeError, match="lista de oraciones"):
        sm.select_sentences("a. b.", toy_embed)
    with pytest.raises(ValueError, match="no finitos"):
        sm.select_sentences(["a", "b", "c"], lambda ss: np.full((3, 2), np.nan), k=1)


def test_centroid_picks_the_majority_topic_and_keeps_order():
    # El centroide está del lado de a, b, c: la oración d (otro tema) no entra.
    assert sm.select_sentences(["d", "a", "b", "c"], toy_embed, k=2) == [2, 3]


def test_kmeans_takes_one_sentence_per_topic():
    picks = sm.select_sentences(["a", "b", "c", "d"], toy_embed, k=2, method="kmeans")
    assert 3 in picks and len(picks) == 2


def test_mmr_avoids_redundant_sentences():
    # Con diversidad alta, MMR no elige dos oraciones casi iguales del mismo tema.
    sentences = ["a", "b", "c", "d"]
    assert sm.select_sentences(sentences, toy_embed, k=2, method="centroid") == [1, 2]
    picks = sm.select_sentences(sentences, toy_embed, k=2, method="mmr", diversity=0.7)
    assert 3 in picks


def test_kmeans_with_repeated_sentences_does_not_fail():
    picks = sm.select_sentences(["a", "a", "a", "d"], toy_embed, k=3, method="kmeans")
    assert len(picks) == 2 and 3 in picks


def test_tfidf_of_only_stopwords_gives_zero_vectors():
    out = sm.tfidf_embedder()(["y de la", "el de los"])
    assert out.shape[0] == 2 and not out.any()


def test_zero_vectors_are_allowed():
    picks = sm.select_sentences(["x", "y", "z"], lambda ss: np.zeros((3, 4)), k=1)
    assert picks == [0]


def test_tfidf_summary_of_real_text():
    summary = sm.extractive_summary(TEXT, sm.tfidf_embedder(), k=2)
    chosen = sm.split_sentences(summary)
    original = sm.split_sentences(TEXT)
    assert len(chosen) == 2 and all(s in original for s in chosen)
    assert [original.index(s) for s in chosen] == sorted(original.index(s) for s in chosen)


def test_word2vec_embedder_averages_known_words():
    class KV:
        vector_size = 2
        key_to_index = {"río": 0, "agua": 1}

        def __getitem__(self, w):
            return np.array([1.0, 0.0]) if w == "río" else np.array([0.0, 1.0])

    out = sm.word2vec_embedder(KV())(["El río y el agua", "nada conocido"])
    np.testing.assert_allclose(out, [[0.5, 0.5], [0.0, 0.0]])
    with pytest.raises(TypeError, match="KeyedVectors"):
        sm.word2vec_embedder({"río": [1, 0]})


def test_baselines():
    assert sm.lead_k(2, 3) == [0, 1]
    r = sm.random_k(10, 3, seed=0)
    assert r == sorted(r) and len(set(r)) == 3 and r == sm.random_k(10, 3, seed=0)
    with pytest.raises(ValueError):
        sm.lead_k(0, 3)


@pytest.mark.parametrize("method", ["textrank", "lexrank"])
def test_sumy_baselines_return_sorted_indices(method):
    sentences = sm.split_sentences(TEXT)
    picks = sm.sumy_select(sentences, k=2, method=method)
    assert len(picks) == 2 and picks == sorted(picks)
    assert all(0 <= i < len(sentences) for i in picks)
    with pytest.raises(ValueError, match="textrank"):
        sm.sumy_select(sentences, k=2, method="pagerank")


def test_spanish_rouge_keeps_accents_and_default_tokenizer_breaks_them():
    pred, ref = ["La canción del año"], ["La canción del año pasado"]
    es = sm.rouge(pred, ref)
    en = sm.rouge(pred, ref, spanish=False)
    assert es["rouge1"] == pytest.approx(2 * 4 / 9, abs=1e-4)  # 4 palabras comunes de 4 y 5
    # El tokenizador por defecto parte «canción» en «canci» + «n» y «año» en «a» + «o».
    assert en["rouge1"] != es["rouge1"]
    assert sm.SpanishRougeTokenizer(strip_accents=True).tokenize("Ejército") == ["ejercito"]


def test_rouge_bad_input_and_per_item():
    with pytest.raises(ValueError, match="coincidir"):
        sm.rouge(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="vacías"):
        sm.rouge([], [])
    out = sm.rouge(["el gato", "un perro"], ["el gato", "la casa"], per_item=True)
    assert out["rouge1"] == 0.5 and [it["rouge1"] for it in out["items"]] == [1.0, 0.0]


def test_key_sentence_f1():
    assert sm.key_sentence_f1([0, 1, 2], [0, 1, 2]) == 1.0
    assert sm.key_sentence_f1([3, 4], [0, 1]) == 0.0
    with pytest.raises(ValueError, match="vacía"):
        sm.key_sentence_f1([1], [])


def test_course_evaluation_set_is_well_formed():
    docs = sm.load_summary_eval()
    dev, test = sm.load_summary_eval("dev"), sm.load_summary_eval("test")
    assert len(docs) >= 25 and len(dev) + len(test) == len(docs)
    assert {d["id"] for d in dev}.isdisjoint({d["id"] for d in test})
    assert {d["genre"] for d in docs} == {"noticia", "enciclopedia"}
    for d in docs:
        assert 6 <= len(d["sentences"]) <= 20 and 2 <= len(d["key_sentences"]) <= 3
        assert len(sm.split_sentences(d["abstract"])) == 1


def test_evaluation_loader_rejects_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        sm.load_summary_eval(path=tmp_path / "no.jsonl")
    with pytest.raises(ValueError, match="split"):
        sm.load_summary_eval("train")
    bad = tmp_path / "malo.jsonl"
    row = {"id": "x", "split": "dev", "genre": "noticia", "title": "t",
           "sentences": ["Uno.", "Dos."], "key_sentences": [0, 1], "abstract": "a"}  # fmt: skip
    bad.write_text(json.dumps(row), encoding="utf-8")
    with pytest.raises(ValueError, match="6–20"):
        sm.load_summary_eval(path=bad)
