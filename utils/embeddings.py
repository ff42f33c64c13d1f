"""Vectores de palabras (Word2Vec) del curso: entrenarlos una vez, guardarlos y evaluarlos.

No hay vectores preentrenados en español que se puedan instalar desde PyPI, así que la clase 3
entrena Word2Vec (gensim) con el corpus del curso (Reina-Valera 1909) y lo guarda en la caché
(``data_dir()/word2vec/``). Las clases siguientes los reutilizan con una sola línea:

>>> kv = load_word2vec()  # doctest: +SKIP
Vectores cargados de .cache/word2vec/rv1909c1_sg1_d100_w5_mc5_neg5_s0.001_e5_seed0.kv ...
>>> kv.most_similar("agua", topn=3)  # doctest: +SKIP

La evaluación usa dos archivos escritos por el curso para su propio corpus, en ``clase_3/``:

- ``analogias_es.txt``: analogías «a es a b como c es a d», en el formato de
  ``questions-words.txt`` de Mikolov (líneas ``: categoría`` y luego ``a b c d``).
- ``similitud_es.tsv``: pares de palabras con una puntuación de parecido de 0 a 10, en el
  formato de WordSim-353 (``palabra1<TAB>palabra2<TAB>puntuación``; ``#`` comenta).
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._checks import check_int
from .artifacts import atomic_write_bytes, atomic_write_text, corpus_version
from .config import REPO_ROOT, data_dir

__all__ = [
    "ANALOGIES_FILE",
    "SIMILARITY_FILE",
    "analogy_outcomes",
    "config_name",
    "corpus_sentences",
    "evaluate_embeddings",
    "load_word2vec",
    "model_path",
    "read_similarity_pairs",
    "similarity_items",
    "spearman",
    "split_similarity_pairs",
]

#: Identificador del corpus con el que se entrena (forma parte del nombre del archivo).
CORPUS_TAG = "rv1909"

#: Analogías del curso (formato ``questions-words.txt``).
ANALOGIES_FILE: Path = REPO_ROOT / "clase_3" / "analogias_es.txt"

#: Pares de palabras con su parecido de 0 a 10 (formato WordSim-353).
SIMILARITY_FILE: Path = REPO_ROOT / "clase_3" / "similitud_es.tsv"


def corpus_sentences(books: Sequence[str] | None = None) -> list[list[str]]:
    """Versículos del corpus en español, tokenizados: una lista de palabras por versículo.

    Usa ``utils.text.tokenize`` en minúsculas y sin signos de puntuación. Con ``books`` se
    quedan solo los versículos de esos libros (nombres como en la columna ``book``:
    «Génesis», «1 Samuel», «Mateo»…).

    Ejemplo:
        >>> frases = corpus_sentences()
        >>> frases[0]
        ['en', 'el', 'principio', 'crió', 'dios', 'los', 'cielos', 'y', 'la', 'tierra']
        >>> len(corpus_sentences(["Rut"]))
        85
    """
    from .data import load_spanish_corpus
    from .text import tokenize

    frame = load_spanish_corpus().to_pandas()
    if books is not None:
        if isinstance(books, str):
            books = [books]
        wanted = list(books)
        unknown = sorted(set(wanted) - set(frame["book"]))
        if unknown:
            raise ValueError(
                f"Libros desconocidos: {unknown}. Los nombres válidos son los de la columna "
                f"'book' de load_spanish_corpus(), p. ej. {list(frame['book'].unique()[:3])}."
            )
        frame = frame[frame["book"].isin(wanted)]
    return [tokenize(text, keep_punct=False) for text in frame["text"]]


def config_name(
    sg: int = 1,
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    seed: int = 0,
) -> str:
    """Nombre de archivo (sin extensión) que identifica una configuración de Word2Vec.

    Incluye la versión de la limpieza del corpus (``utils.artifacts.corpus_version()``,
    ``c1``…): si la limpieza cambia, los vectores viejos dejan de usarse.

    Ejemplo:
        >>> config_name(sg=0, vector_size=50)  # con corpus_version() == "1"
        'rv1909c1_sg0_d50_w5_mc5_neg5_s0.001_e5_seed0'
    """
    return (
        f"{CORPUS_TAG}c{corpus_version()}_sg{sg}_d{vector_size}_w{window}_mc{min_count}_neg{negative}"
        f"_s{sample:g}_e{epochs}_seed{seed}"
    )


def model_path(**config: Any) -> Path:
    """Ruta en la caché del modelo con esa configuración (los mismos argumentos que ``config_name``).

    Ejemplo:
        >>> model_path(sg=1).name
        'rv1909c1_sg1_d100_w5_mc5_neg5_s0.001_e5_seed0.kv'
    """
    return data_dir() / "word2vec" / f"{config_name(**config)}.kv"


def _check_config(
    sg: Any, vector_size: Any, window: Any, min_count: Any, negative: Any, sample: Any,
    epochs: Any, seed: Any, workers: Any,
) -> None:  # fmt: skip
    if sg not in (0, 1) or isinstance(sg, bool):
        raise ValueError(f"sg debe ser 0 (CBOW) o 1 (Skip-gram); se recibió {sg!r}.")
    for name, value, low in (
        ("vector_size", vector_size, 1),
        ("window", window, 1),
        ("min_count", min_count, 1),
        ("negative", negative, 1),
        ("epochs", epochs, 1),
        ("workers", workers, 1),
        ("seed", seed, 0),
    ):
        check_int(value, name, low)
    if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not 0 <= sample < 1:
        raise ValueError(
            f"sample debe ser un número en [0, 1) (p. ej. 1e-3); se recibió {sample!r}."
        )


def _atomic_save(kv: Any, path: Path) -> None:
    """Guarda ``kv`` en un solo archivo, de forma atómica (``utils.artifacts``)."""
    buffer = io.BytesIO()
    kv.save(buffer)  # con un archivo abierto, gensim lo guarda todo en él (sin .npy aparte)
    atomic_write_bytes(path, buffer.getvalue())


def _try_load(path: Path, vector_size: int) -> tuple[Any, str]:
    """Carga un ``KeyedVectors`` guardado; devuelve (vectores o None, motivo si no sirve)."""
    from gensim.models import KeyedVectors

    try:
        kv = KeyedVectors.load(str(path))
    except Exception as exc:  # pickle dañado, archivo truncado, formato ajeno…
        return None, f"no se puede leer ({type(exc).__name__}: {exc})"
    if not isinstance(kv, KeyedVectors):
        return None, f"contiene un {type(kv).__name__}, no un KeyedVectors"
    if len(kv) == 0 or kv.vector_size != vector_size:
        return (
            None,
            f"tiene {len(kv)} palabras de dimensión {kv.vector_size} (se esperaba {vector_size})",
        )
    return kv, ""


def load_word2vec(
    sg: int = 1,
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    seed: int = 0,
    workers: int = 2,
    retrain: bool = False,
    verbose: bool = True,
) -> Any:
    """Vectores Word2Vec del corpus del curso: los carga de la caché o los entrena y guarda.

    Busca ``data_dir()/"word2vec"/<configuración>.kv`` (ver :func:`config_name`). Si existe y
    se puede leer, lo devuelve al instante. Si no existe, si está dañado o si
    ``retrain=True``, entrena ``gensim.models.Word2Vec`` sobre :func:`corpus_sentences` con
    esa configuración y semilla, y lo guarda de forma atómica (escribe un temporal y lo
    renombra: una interrupción nunca deja un archivo a medias). Junto a él deja un ``.json``
    con la configuración, el tiempo de entrenamiento y las palabras por segundo.

    Args:
        sg: 1 = Skip-gram (predice el contexto), 0 = CBOW (predice la palabra central).
        vector_size: dimensión de los vectores.
        window: tamaño máximo de la ventana de contexto a cada lado.
        min_count: se descartan las palabras con menos apariciones.
        negative: palabras negativas por ejemplo (muestreo negativo).
        sample: umbral del submuestreo de palabras frecuentes (0 = sin submuestreo).
        epochs: pasadas por el corpus.
        seed: semilla de gensim. Con ``workers > 1`` el resultado **no** es idéntico bit a bit
            entre ejecuciones (los hilos se reparten el trabajo de forma no determinista);
            con ``workers=1`` sí, a costa de tardar más.
        workers: hilos de entrenamiento.
        retrain: entrenar de nuevo aunque exista el archivo.
        verbose: imprimir qué se hizo.

    Returns:
        ``gensim.models.KeyedVectors`` (solo los vectores: ``kv["agua"]``, ``kv.most_similar``…).

    Ejemplo:
        >>> kv = load_word2vec(sg=1, vector_size=100)  # doctest: +SKIP
        Entrenando Word2Vec (Skip-gram, dim 100, 5 épocas) con 31.102 versículos...
        >>> [w for w, _ in kv.most_similar("plata", topn=3)]  # doctest: +SKIP
        ['oro', ...]
    """
    from gensim.models import Word2Vec

    _check_config(sg, vector_size, window, min_count, negative, sample, epochs, seed, workers)
    config = dict(
        sg=sg, vector_size=vector_size, window=window, min_count=min_count,
        negative=negative, sample=sample, epochs=epochs, seed=seed,
    )  # fmt: skip
    path = model_path(**config)
    if path.exists() and not retrain:
        kv, problem = _try_load(path, vector_size)
        if kv is not None:
            if verbose:
                print(
                    f"Vectores cargados de {path} ({len(kv):,} palabras, dimensión {kv.vector_size})."
                )
            return kv
        print(f"⚠️ El archivo {path} {problem}: se vuelve a entrenar el modelo.")

    sentences = corpus_sentences()
    if not sentences or not any(sentences):
        raise ValueError("El corpus para entrenar Word2Vec está vacío (corpus vacío).")
    arquitectura = "Skip-gram" if sg == 1 else "CBOW"
    if verbose:
        print(
            f"Entrenando Word2Vec ({arquitectura}, dim {vector_size}, ventana {window}, "
            f"{epochs} épocas, {workers} hilos) con {len(sentences):,} versículos..."
        )
    start = time.perf_counter()
    try:
        model = Word2Vec(sentences, workers=workers, **config)
    except RuntimeError as exc:  # p. ej. «you must first build vocabulary before training»
        raise ValueError(
            f"No se pudo entrenar Word2Vec: ¿ninguna palabra llega a min_count={min_count}? ({exc})"
        ) from exc
    seconds = time.perf_counter() - start
    words_per_s = model.corpus_total_words * epochs / seconds if seconds > 0 else float("nan")
    kv = model.wv
    _atomic_save(kv, path)
    meta = {
        **config,
        "workers": workers,
        "corpus": CORPUS_TAG,
        "corpus_version": corpus_version(),
        "versiculos": len(sentences),
        "palabras_corpus": int(model.corpus_total_words),
        "vocabulario": len(kv),
        "segundos": round(seconds, 2),
        "palabras_por_s": round(words_per_s),
    }
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, ensure_ascii=False, indent=2))
    if verbose:
        print(
            f"Entrenado en {seconds:.1f} s ({words_per_s:,.0f} palabras/s); {len(kv):,} palabras. "
            f"Guardado en {path}."
        )
    return kv


def evaluate_embeddings(
    kv: Any,
    analogies: str | os.PathLike[str] | None = ANALOGIES_FILE,
    similarity: str | os.PathLike[str] | None = SIMILARITY_FILE,
) -> dict[str, Any]:
    """Evalúa vectores de palabras con las analogías y los pares de similitud del curso.

    - **Analogías** (``kv.evaluate_word_analogies``): para «a : b :: c : ?» busca la palabra más
      cercana a ``b - a + c`` (método 3CosAdd) y cuenta los aciertos exactos. Las preguntas con
      palabras fuera del vocabulario se omiten (se informa cuántas se evaluaron).
    - **Similitud** (``kv.evaluate_word_pairs``): correlación de Spearman entre el coseno de cada
      par y la puntuación humana (1 = mismo orden).

    Pase ``None`` para omitir una de las dos evaluaciones.

    Returns:
        Diccionario con ``analogias`` (exactitud), ``analogias_evaluadas``, ``analogias_total``,
        ``analogias_por_categoria`` (exactitud por sección), ``spearman``, ``pares_evaluados`` y
        ``pares_total`` (sin las claves de la evaluación omitida).

    Ejemplo:
        >>> res = evaluate_embeddings(load_word2vec())  # doctest: +SKIP
        >>> round(res["spearman"], 2), res["analogias_evaluadas"]  # doctest: +SKIP
        (0.72, 480)
    """
    from gensim.models import KeyedVectors

    if not isinstance(kv, KeyedVectors):
        wv = getattr(kv, "wv", None)
        if not isinstance(wv, KeyedVectors):
            raise TypeError(
                "evaluate_embeddings espera un KeyedVectors (p. ej. modelo.wv); se recibió "
                f"{type(kv).__name__}."
            )
        kv = wv
    if analogies is None and similarity is None:
        raise ValueError("Nada que evaluar: analogies y similarity son None.")
    result: dict[str, Any] = {}
    if analogies is not None:
        path = Path(analogies)
        if not path.is_file():
            raise FileNotFoundError(f"No existe el archivo de analogías {path}.")
        lines = [ln.split() for ln in path.read_text(encoding="utf-8").splitlines()]
        total = sum(1 for ln in lines if len(ln) == 4 and ln[0] != ":")
        if total == 0:
            raise ValueError(f"El archivo de analogías {path} no tiene preguntas «a b c d».")
        score, sections = kv.evaluate_word_analogies(str(path))
        evaluated = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
        result["analogias"] = float(score) if evaluated else 0.0
        result["analogias_evaluadas"] = evaluated
        result["analogias_total"] = total
        result["analogias_por_categoria"] = {
            s["section"]: len(s["correct"]) / max(len(s["correct"]) + len(s["incorrect"]), 1)
            for s in sections[:-1]
        }
    if similarity is not None:
        path = Path(similarity)
        if not path.is_file():
            raise FileNotFoundError(f"No existe el archivo de similitud {path}.")
        rows = [
            ln.split("\t")
            for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")
        ]
        in_vocab = [r for r in rows if len(r) == 3 and r[0].lower() in kv and r[1].lower() in kv]
        result["pares_total"] = len(rows)
        result["pares_evaluados"] = len(in_vocab)
        if len(in_vocab) >= 2:
            _, spearman, _ = kv.evaluate_word_pairs(str(path))
            result["spearman"] = float(spearman.statistic)
        else:
            result["spearman"] = float("nan")
    return result


# ---------------------------------------------------------------------------------------------
# Resultados por ítem, para intervalos de confianza (utils.metrics.bootstrap_ci / paired_bootstrap)
# ---------------------------------------------------------------------------------------------


def read_similarity_pairs(
    path: str | os.PathLike[str] = SIMILARITY_FILE,
) -> list[tuple[str, str, float]]:
    """Los pares ``(palabra1, palabra2, puntuación)`` de un archivo de similitud (WordSim-353).

    Ejemplo:
        >>> read_similarity_pairs()[0]
        ('oro', 'plata', 9.0)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No existe el archivo de similitud {path}.")
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(
                f"{path.name}, línea {n}: se esperaban 3 columnas separadas por tabulador."
            )
        pairs.append((parts[0].lower(), parts[1].lower(), float(parts[2])))
    if not pairs:
        raise ValueError(f"El archivo de similitud {path} no tiene pares.")
    return pairs


def split_similarity_pairs(
    pairs: Sequence[tuple[str, str, float]] | None = None,
) -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
    """Parte los pares de similitud en **desarrollo** y **prueba**, de forma fija.

    Ordena por puntuación (y por las palabras, para desempatar) y alterna: así las dos mitades
    cubren todo el rango de parecidos. Desarrollo sirve para elegir la configuración; prueba, para
    medirla una sola vez.

    Ejemplo:
        >>> dev, test = split_similarity_pairs()
        >>> len(dev), len(test), set(dev) & set(test)
        (24, 24, set())
    """
    pairs = read_similarity_pairs() if pairs is None else list(pairs)
    if len(pairs) < 4:
        raise ValueError(f"Hacen falta al menos 4 pares para partirlos; hay {len(pairs)}.")
    ordered = sorted(pairs, key=lambda p: (p[2], p[0], p[1]))
    return ordered[0::2], ordered[1::2]


def _as_keyed_vectors(kv: Any, func: str) -> Any:
    from gensim.models import KeyedVectors

    if isinstance(kv, KeyedVectors):
        return kv
    wv = getattr(kv, "wv", None)
    if isinstance(wv, KeyedVectors):
        return wv
    raise TypeError(
        f"{func} espera un KeyedVectors (p. ej. modelo.wv); se recibió {type(kv).__name__}."
    )


def similarity_items(
    kv: Any, pairs: Sequence[tuple[str, str, float]] | None = None
) -> list[tuple[float, float]]:
    """``(puntuación humana, coseno del modelo)`` para cada par con las dos palabras en ``kv``.

    Los pares con alguna palabra sin vector se omiten (compara su número con ``len(pairs)``).
    Es la entrada de :func:`spearman` y de los intervalos de ``utils.metrics``.

    Ejemplo:
        >>> items = similarity_items(load_word2vec())  # doctest: +SKIP
        >>> spearman(items)  # doctest: +SKIP
        0.72
    """
    kv = _as_keyed_vectors(kv, "similarity_items")
    pairs = read_similarity_pairs() if pairs is None else pairs
    return [
        (float(score), float(kv.similarity(a, b)))
        for a, b, score in pairs
        if a in kv.key_to_index and b in kv.key_to_index
    ]


def spearman(items: Sequence[tuple[float, float]]) -> float:
    """Correlación de Spearman de una lista de pares ``(x, y)``: Pearson de sus rangos.

    Rápida (para remuestrear miles de veces en un *bootstrap*); los empates reciben el rango
    medio, como en ``scipy.stats.spearmanr``. Con menos de 2 pares o sin variación, ``nan``.

    Ejemplo:
        >>> round(spearman([(1, 10), (2, 20), (3, 25), (4, 5)]), 3)
        -0.2
    """
    import numpy as np
    from scipy.stats import rankdata

    values = np.asarray(items, dtype=float)
    if values.ndim != 2 or values.shape[1] != 2:
        raise ValueError(
            f"spearman espera una lista de pares (x, y); forma recibida {values.shape}."
        )
    if len(values) < 2:
        return float("nan")
    ranks = rankdata(values, axis=0)  # [n, 2]
    if np.ptp(ranks[:, 0]) == 0 or np.ptp(ranks[:, 1]) == 0:
        return float("nan")
    return float(np.corrcoef(ranks.T)[0, 1])


def analogy_outcomes(
    kv: Any, path: str | os.PathLike[str] = ANALOGIES_FILE
) -> dict[tuple[str, str, str, str], int]:
    """Acierto (1) o fallo (0) de cada analogía «a b c d» evaluable con ``kv``.

    Usa ``kv.evaluate_word_analogies`` (3CosAdd, respuesta exacta en el primer puesto); las
    preguntas con palabras sin vector no aparecen. Dos modelos con el mismo vocabulario dan las
    mismas claves, así que se pueden comparar con un *bootstrap* pareado.

    Ejemplo:
        >>> out = analogy_outcomes(load_word2vec())  # doctest: +SKIP
        >>> sum(out.values()) / len(out)  # doctest: +SKIP
        0.158
    """
    kv = _as_keyed_vectors(kv, "analogy_outcomes")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No existe el archivo de analogías {path}.")
    _, sections = kv.evaluate_word_analogies(str(path))
    total = sections[-1]
    outcomes = {tuple(w.lower() for w in q): 0 for q in total["incorrect"]}
    outcomes.update({tuple(w.lower() for w in q): 1 for q in total["correct"]})
    return outcomes
