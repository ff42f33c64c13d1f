"""Resumen extractivo: elegir las oraciones más representativas de un texto, sin escribir nada nuevo.

La idea (la de *bert-extractive-summarizer*): cada oración se convierte en un vector
(*embedding*); las oraciones cercanas al «centro» del texto lo representan bien. Tres métodos:

- ``"centroid"``: las ``k`` oraciones más parecidas (coseno) al vector medio del texto;
- ``"kmeans"``: agrupa las oraciones en ``k`` grupos y toma la más cercana al centro de cada uno
  (un tema por grupo);
- ``"mmr"`` (*maximal marginal relevance*): como el centroide, pero cada oración nueva se
  penaliza por parecerse a las ya elegidas (menos redundancia).

Las oraciones elegidas se devuelven **en su orden original**. Aquí también están las funciones
para convertir oraciones en vectores (TF-IDF, Word2Vec promediado, un transformer con
*mean pooling*), las líneas de base (las ``k`` primeras, ``k`` al azar, TextRank/LexRank de
``sumy``), ROUGE con un tokenizador que respeta las tildes y el conjunto de evaluación del curso
(``clase_7/resumenes_es.jsonl``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from . import config
from ._checks import check_int
from .text import split_sentences

__all__ = [
    "EVAL_FILE",
    "METHODS",
    "SpanishRougeTokenizer",
    "extractive_summary",
    "key_sentence_f1",
    "lead_k",
    "load_summary_eval",
    "random_k",
    "rouge",
    "select_sentences",
    "sumy_select",
    "tfidf_embedder",
    "transformer_embedder",
    "word2vec_embedder",
]

Method = Literal["centroid", "kmeans", "mmr"]
METHODS: tuple[str, ...] = ("centroid", "kmeans", "mmr")
Embed = Callable[[list[str]], Any]

#: Conjunto de evaluación del curso: documentos en español con oraciones clave y un resumen.
EVAL_FILE: Path = config.REPO_ROOT / "clase_7" / "resumenes_es.jsonl"


# --------------------------------------------------------------------------------------------
# Selección de oraciones
# --------------------------------------------------------------------------------------------


def _sentences_of(text: str | Sequence[str]) -> list[str]:
    if isinstance(text, str):
        if not text.strip():
            raise ValueError("El texto está vacío: no hay oraciones que resumir.")
        return split_sentences(text)
    if not isinstance(text, Sequence) or not all(isinstance(s, str) for s in text):
        raise TypeError("Se esperaba un texto (str) o una lista de oraciones (list[str]).")
    sentences = [s.strip() for s in text if s.strip()]
    if not sentences:
        raise ValueError("La lista de oraciones está vacía: no hay nada que resumir.")
    return sentences


def _unit_rows(matrix: Any, n: int) -> np.ndarray:
    """Normaliza cada fila a norma 1 (las filas nulas quedan en cero) y comprueba la forma."""
    if hasattr(matrix, "toarray"):  # matrices dispersas de scikit-learn
        matrix = matrix.toarray()
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().cpu().numpy()
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != n:
        raise ValueError(
            f"embed debe devolver una matriz [n_oraciones, dim] = [{n}, d]; devolvió {x.shape}."
        )
    if not np.isfinite(x).all():
        raise ValueError("embed devolvió valores no finitos (NaN o infinito).")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _centroid_scores(x: np.ndarray) -> np.ndarray:
    centroid = x.mean(axis=0)
    norm = np.linalg.norm(centroid)
    return x @ (centroid / norm) if norm > 0 else np.zeros(len(x))


def _kmeans_pick(x: np.ndarray, k: int, seed: int) -> list[int]:
    from sklearn.cluster import KMeans

    distinct = len(np.unique(np.round(x, 8), axis=0))
    k = min(k, distinct)  # con oraciones repetidas no hay k grupos distintos
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
    picks = []
    for c in range(k):
        members = np.flatnonzero(km.labels_ == c)
        dist = np.linalg.norm(x[members] - km.cluster_centers_[c], axis=1)
        picks.append(int(members[np.argmin(dist)]))
    return picks


def _mmr_pick(x: np.ndarray, k: int, diversity: float) -> list[int]:
    relevance = _centroid_scores(x)
    sim = x @ x.T
    chosen: list[int] = []
    rest = list(range(len(x)))
    while rest and len(chosen) < k:
        if chosen:
            redundancy = sim[np.ix_(rest, chosen)].max(axis=1)
        else:
            redundancy = np.zeros(len(rest))
        score = (1 - diversity) * relevance[rest] - diversity * redundancy
        best = rest[int(np.argmax(score))]
        chosen.append(best)
        rest.remove(best)
    return chosen


def select_sentences(
    sentences: Sequence[str],
    embed: Embed,
    k: int = 3,
    method: Method = "centroid",
    *,
    diversity: float = 0.3,
    seed: int = 0,
) -> list[int]:
    """Índices (en orden creciente) de las ``k`` oraciones que forman el resumen.

    ``embed`` recibe la lista de oraciones y devuelve una matriz ``[n_oraciones, dim]`` (numpy,
    torch o dispersa). ``method`` es ``"centroid"``, ``"kmeans"`` o ``"mmr"`` (con
    ``diversity`` ∈ [0, 1): 0 = solo relevancia, como el centroide; más alto = menos
    redundancia). Si ``k`` ≥ número de oraciones se devuelven todas (el resumen es el texto
    entero); si hay una sola, no se llama a ``embed``.

    Ejemplo:
        >>> vecs = {"a": [1, 0], "b": [0.9, 0.1], "c": [0, 1]}
        >>> select_sentences(["a", "b", "c"], lambda ss: [vecs[s] for s in ss], k=1)
        [1]
    """
    if isinstance(sentences, str):
        raise TypeError("select_sentences espera una lista de oraciones; para un texto usa "
                        "extractive_summary.")  # fmt: skip
    sentences = _sentences_of(sentences)
    k = check_int(k, "k")
    if method not in METHODS:
        raise ValueError(f"method debe ser uno de {METHODS}; se recibió {method!r}.")
    if not 0 <= diversity < 1:
        raise ValueError(f"diversity debe estar en [0, 1); se recibió {diversity!r}.")
    if not callable(embed):
        raise TypeError("embed debe ser una función: lista de oraciones → matriz [n, dim].")
    n = len(sentences)
    if k >= n:
        return list(range(n))
    x = _unit_rows(embed(list(sentences)), n)
    if method == "centroid":
        picks = [int(i) for i in np.argsort(-_centroid_scores(x), kind="stable")[:k]]
    elif method == "kmeans":
        picks = _kmeans_pick(x, k, seed)
    else:
        picks = _mmr_pick(x, k, diversity)
    return sorted(picks)


def extractive_summary(
    text: str | Sequence[str],
    embed: Embed,
    k: int = 3,
    method: Method = "centroid",
    **kwargs: Any,
) -> str:
    """Resumen extractivo de ``text``: sus ``k`` oraciones más representativas, en orden original.

    Divide el texto en oraciones con :func:`utils.text.split_sentences` (o recibe ya la lista),
    las elige con :func:`select_sentences` y las une con un espacio. Comportamiento en los
    bordes: un texto vacío es un ``ValueError``; con una sola oración, el resumen es esa
    oración; con ``k`` mayor que el número de oraciones, el texto entero.

    Ejemplo:
        >>> texto = "El río creció. Hubo lluvias. El río inundó el pueblo."
        >>> emb = tfidf_embedder()
        >>> extractive_summary(texto, emb, k=1)
        'El río creció.'
    """
    sentences = _sentences_of(text)
    return " ".join(sentences[i] for i in select_sentences(sentences, embed, k, method, **kwargs))


# --------------------------------------------------------------------------------------------
# Vectores de oraciones
# --------------------------------------------------------------------------------------------


def tfidf_embedder(corpus: Sequence[str] | None = None, **tfidf_kwargs: Any) -> Embed:
    """Vectores TF-IDF: ajustados en ``corpus`` (IDF de un corpus grande) o en cada documento.

    Sin ``corpus``, el vectorizador se ajusta en las oraciones del propio documento cada vez
    que se llama (la IDF mide qué palabras distinguen unas oraciones de otras). Por defecto
    usa palabras en minúsculas con tildes y las *stopwords* en español de spaCy.

    Ejemplo:
        >>> emb = tfidf_embedder()
        >>> emb(["el gato come", "el perro duerme"]).shape
        (2, 4)
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .nlp import spanish_stopwords

    params = {"lowercase": True, "stop_words": sorted(spanish_stopwords()), "sublinear_tf": True,
              "token_pattern": r"(?u)\b\w+\b"}  # fmt: skip
    params.update(tfidf_kwargs)
    if corpus is not None:
        if isinstance(corpus, str) or not list(corpus):
            raise ValueError("corpus debe ser una lista de textos no vacía.")
        fitted = TfidfVectorizer(**params).fit(list(corpus))
        return lambda sentences: fitted.transform(sentences).toarray()

    def embed(sentences: list[str]) -> np.ndarray:
        try:
            return TfidfVectorizer(**params).fit_transform(sentences).toarray()
        except ValueError as err:
            if "empty vocabulary" not in str(err):
                raise
            return np.zeros((len(sentences), 1))  # solo stopwords: ningún término, vectores nulos

    return embed


def word2vec_embedder(kv: Any, lower: bool = True) -> Embed:
    """Media de los vectores Word2Vec de las palabras de cada oración (las desconocidas se omiten).

    ``kv`` son unos ``KeyedVectors`` de gensim (p. ej. ``utils.embeddings.load_word2vec()``).
    Una oración sin palabras conocidas recibe un vector nulo.

    Ejemplo:
        >>> emb = word2vec_embedder(load_word2vec())  # doctest: +SKIP
        >>> emb(["el agua del río"]).shape  # doctest: +SKIP
        (1, 100)
    """
    from .text import tokenize

    if not hasattr(kv, "vector_size") or not hasattr(kv, "key_to_index"):
        raise TypeError("kv debe ser un KeyedVectors de gensim (tiene vector_size y key_to_index).")

    def embed(sentences: list[str]) -> np.ndarray:
        out = np.zeros((len(sentences), kv.vector_size), dtype=np.float32)
        for i, sentence in enumerate(sentences):
            words = [
                w for w in tokenize(sentence, lower=lower, keep_punct=False) if w in kv.key_to_index
            ]
            if words:
                out[i] = np.mean([kv[w] for w in words], axis=0)
        return out

    return embed


def transformer_embedder(
    model: Any, tokenizer: Any, *, max_length: int = 128, batch_size: int = 32
) -> Embed:
    """Vectores de oración de un transformer: media de sus estados ocultos (*mean pooling*).

    ``model`` es un ``AutoModel`` (o un modelo con ``output_hidden_states``, como
    ``BertForMaskedLM``; entonces se usa la última capa). Se ignoran las posiciones de relleno
    con la máscara de atención. Es lo que hace sentence-transformers con all-MiniLM-L6-v2.

    Ejemplo:
        >>> modelo, tok, _ = load_pretrained("sentence-transformers/all-MiniLM-L6-v2",
        ...                                  fallback=minilm_path)  # doctest: +SKIP
        >>> transformer_embedder(modelo, tok)(["hola", "adiós"]).shape  # doctest: +SKIP
        (2, 384)
    """
    import torch

    check_int(max_length, "max_length", minimum=2)
    check_int(batch_size, "batch_size")
    device = next(model.parameters()).device

    def embed(sentences: list[str]) -> np.ndarray:
        from .finetune import length_sorted_batches

        out = np.zeros((len(sentences), model.config.hidden_size), dtype=np.float32)
        model.eval()
        with torch.inference_mode():
            for idx, enc in length_sorted_batches(
                sentences, tokenizer, batch_size, max_length, device
            ):
                result = model(**enc, output_hidden_states=True)
                hidden = getattr(result, "last_hidden_state", None)
                if hidden is None:
                    hidden = result.hidden_states[-1]  # h: [batch, seq_len, dim]
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # [batch, seq_len, 1]
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)  # [batch, dim]
                out[idx] = pooled.float().cpu().numpy()
        return out

    return embed


# --------------------------------------------------------------------------------------------
# Líneas de base
# --------------------------------------------------------------------------------------------


def lead_k(n: int, k: int = 3) -> list[int]:
    """Las ``k`` primeras oraciones (la línea de base clásica en noticias).

    Ejemplo:
        >>> lead_k(10, 3)
        [0, 1, 2]
    """
    check_int(n, "n")
    return list(range(min(check_int(k, "k"), n)))


def random_k(n: int, k: int = 3, seed: int = 0) -> list[int]:
    """``k`` oraciones al azar (con semilla), en orden original.

    Ejemplo:
        >>> len(random_k(10, 3, seed=1))
        3
    """
    check_int(n, "n")
    k = min(check_int(k, "k"), n)
    return sorted(int(i) for i in np.random.default_rng(seed).choice(n, size=k, replace=False))


class _SumyTokenizer:
    """Adaptador para ``sumy``: oraciones y palabras con los tokenizadores del curso."""

    language = "spanish"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        from .text import tokenize

        return tuple(tokenize(sentence, lower=False, keep_punct=False))


def sumy_select(sentences: Sequence[str], k: int = 3, method: str = "textrank") -> list[int]:
    """Índices elegidos por TextRank o LexRank de la biblioteca ``sumy`` (grafo de oraciones).

    Se usa el lematizador Snowball en español y las *stopwords* en español de ``sumy``.

    Ejemplo:
        >>> sumy_select(["El sol sale.", "El sol brilla mucho.", "Comí pan."], k=1)
        [0]
    """
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    classes = {"textrank": TextRankSummarizer, "lexrank": LexRankSummarizer}
    if method not in classes:
        raise ValueError(f"method debe ser «textrank» o «lexrank»; se recibió {method!r}.")
    sentences = _sentences_of(sentences)
    k = check_int(k, "k")
    if k >= len(sentences):
        return list(range(len(sentences)))
    tok = _SumyTokenizer()
    objs = [Sentence(s, tok) for s in sentences]
    summarizer = classes[method](Stemmer("spanish"))
    summarizer.stop_words = get_stop_words("spanish")
    chosen = summarizer(ObjectDocumentModel([Paragraph(objs)]), k)
    ids = {id(o): i for i, o in enumerate(objs)}
    return sorted(ids[id(s)] for s in chosen)


# --------------------------------------------------------------------------------------------
# Evaluación
# --------------------------------------------------------------------------------------------


class SpanishRougeTokenizer:
    """Tokenizador para ``rouge_score`` que conserva tildes y eñes.

    El tokenizador por defecto de ``rouge_score`` pasa a minúsculas y **borra todo lo que no sea
    a-z o 0-9**: «canción» queda como «canci» y «ón», y «año» como «a» y «o». Este separa por
    caracteres de palabra Unicode (``\\w``), pasa a minúsculas y, opcionalmente, quita las tildes
    (``strip_accents=True``) para que «ejercito» y «ejército» cuenten igual.

    Ejemplo:
        >>> SpanishRougeTokenizer().tokenize("La canción del año")
        ['la', 'canción', 'del', 'año']
    """

    _WORD = re.compile(r"\w+", re.UNICODE)

    def __init__(self, strip_accents: bool = False) -> None:
        self.strip_accents = strip_accents

    def tokenize(self, text: str) -> list[str]:
        text = text.lower()
        if self.strip_accents:
            text = "".join(
                c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
            )
        return self._WORD.findall(text)


def rouge(
    predictions: Sequence[str],
    references: Sequence[str],
    *,
    spanish: bool = True,
    per_item: bool = False,
) -> dict[str, Any]:
    """ROUGE-1, ROUGE-2 y ROUGE-L (F1) de ``rouge_score``, promediados sobre los documentos.

    Con ``spanish=True`` usa :class:`SpanishRougeTokenizer` (conserva las tildes); con
    ``False``, el tokenizador por defecto de ``rouge_score`` (pensado para inglés), para ver la
    diferencia. Con ``per_item=True`` añade ``"items"``: la lista de puntuaciones de cada
    documento (para intervalos por bootstrap).

    Ejemplo:
        >>> rouge(["el río creció mucho"], ["el río creció"])["rouge1"]
        0.8571
    """
    from rouge_score import rouge_scorer

    preds, refs = list(predictions), list(references)
    if isinstance(predictions, str) or isinstance(references, str):
        raise TypeError("rouge espera listas de textos, no un texto suelto.")
    if len(preds) != len(refs):
        raise ValueError(f"Hay {len(preds)} resúmenes y {len(refs)} referencias: deben coincidir.")
    if not preds:
        raise ValueError("rouge recibió listas vacías.")
    keys = ["rouge1", "rouge2", "rougeL"]
    scorer = rouge_scorer.RougeScorer(keys, tokenizer=SpanishRougeTokenizer() if spanish else None)
    items = [
        {k: s.fmeasure for k, s in scorer.score(r, p).items()}
        for p, r in zip(preds, refs, strict=True)
    ]
    out: dict[str, Any] = {k: round(float(np.mean([it[k] for it in items])), 4) for k in keys}
    if per_item:
        out["items"] = items
    return out


def key_sentence_f1(chosen: Sequence[int], key: Sequence[int]) -> float:
    """F1 entre las oraciones elegidas y las oraciones clave marcadas a mano.

    Ejemplo:
        >>> key_sentence_f1([0, 2, 5], [0, 5])
        0.8
    """
    chosen_set, key_set = set(chosen), set(key)
    if not key_set:
        raise ValueError("La lista de oraciones clave de referencia está vacía.")
    hits = len(chosen_set & key_set)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(chosen_set), hits / len(key_set)
    return 2 * precision * recall / (precision + recall)


def load_summary_eval(split: str | None = None, path: str | Path | None = None) -> list[dict]:
    """Documentos del conjunto de evaluación de resúmenes del curso (``clase_7/resumenes_es.jsonl``).

    Cada documento es un dict con ``id``, ``split`` (``"dev"`` o ``"test"``), ``genre``,
    ``title``, ``sentences`` (lista de oraciones), ``text`` (las oraciones unidas),
    ``key_sentences`` (índices de las 2–3 oraciones clave) y ``abstract`` (resumen de una
    oración). ``split`` filtra por partición. Comprueba que cada documento está bien formado y
    que ``utils.text.split_sentences(text)`` devuelve exactamente ``sentences``.

    Ejemplo:
        >>> docs = load_summary_eval("dev")
        >>> {d["split"] for d in docs}
        {'dev'}
    """
    path = Path(path) if path is not None else EVAL_FILE
    if split not in (None, "dev", "test"):
        raise ValueError(f"split debe ser None, «dev» o «test»; se recibió {split!r}.")
    if not path.is_file():
        raise FileNotFoundError(f"No existe el conjunto de evaluación {path}.")
    docs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        doc = json.loads(line)
        missing = {"id", "split", "genre", "title", "sentences", "key_sentences", "abstract"} - set(
            doc
        )
        if missing:
            raise ValueError(f"Línea {number} de {path.name}: faltan los campos {sorted(missing)}.")
        n = len(doc["sentences"])
        if not 6 <= n <= 20 or not 2 <= len(doc["key_sentences"]) <= 3:
            raise ValueError(f"Documento {doc['id']}: {n} oraciones y {len(doc['key_sentences'])} "
                             "clave (se esperan 6–20 y 2–3).")  # fmt: skip
        if not all(0 <= i < n for i in doc["key_sentences"]):
            raise ValueError(f"Documento {doc['id']}: índice de oración clave fuera de rango.")
        doc["text"] = " ".join(doc["sentences"])
        if split_sentences(doc["text"]) != doc["sentences"]:
            raise ValueError(f"Documento {doc['id']}: split_sentences no recupera sus oraciones.")
        if split is None or doc["split"] == split:
            docs.append(doc)
    return docs
