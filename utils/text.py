"""Texto en español: tokenizador, separador de oraciones, vocabulario y relleno (*padding*).

Todo lo que un cuaderno necesita para pasar de un texto a un tensor de índices:

>>> tokens = tokenize("¿Dónde está el niño? ¡Tiene 15 años!")
>>> vocab = Vocab.build([tokens])
>>> ids = vocab.encode(tokens, add_bos=True, add_eos=True)
>>> vocab.decode(ids)[:3]
['¿', 'dónde', 'está']
>>> pad_sequences([[5, 6, 7], [8]]).tolist()
[[5, 6, 7], [8, 0, 0]]

Convenciones de índices del vocabulario por defecto: ``<pad>`` = 0, ``<unk>`` = 1,
``<bos>`` = 2 (inicio de secuencia) y ``<eos>`` = 3 (fin de secuencia).
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch solo se importa al rellenar: el tokenizador y Vocab no lo necesitan
    import torch

__all__ = [
    "DEFAULT_SPECIALS",
    "Vocab",
    "make_collate",
    "make_seq2seq_collate",
    "ngrams",
    "pad_batch",
    "pad_sequences",
    "detokenize",
    "split_sentences",
    "tokenize",
]

# ---------------------------------------------------------------------------------------------
# Tokenizador
# ---------------------------------------------------------------------------------------------

# Letras Unicode (tildes, ñ, ü…): `\w` sin dígitos ni guion bajo.
_LETTER = r"[^\W\d_]"
# Palabra: empieza por letra, puede llevar letras o dígitos («mp3») y apóstrofos internos
# («O'Donnell»).
_WORD = rf"{_LETTER}[^\W_]*(?:['’]{_LETTER}[^\W_]*)*"
# Número: un solo token con separadores de miles o decimales («15», «3,5», «1.000», «2.500,75»).
_NUMBER = r"\d+(?:[.,]\d+)*"
# Puntuación y símbolos: «...» como un token; el resto, carácter a carácter.
_PUNCT = r"\.\.\.|[^\w\s]|_"

_TOKEN_RE = re.compile(rf"{_WORD}|{_NUMBER}|{_PUNCT}")
_TOKEN_NO_PUNCT_RE = re.compile(rf"{_WORD}|{_NUMBER}")


def _check_text(text: Any, func: str) -> None:
    if not isinstance(text, str):
        raise TypeError(
            f"{func}() espera un texto (str); se recibió {type(text).__name__}. "
            "Si tienes una lista de textos, llama a la función con cada uno."
        )


def tokenize(text: str, lower: bool = True, keep_punct: bool = True) -> list[str]:
    """Divide un texto en español en tokens (palabras, números y signos de puntuación).

    - Las palabras conservan tildes, ñ y ü; los apóstrofos internos se mantienen («O'Donnell»).
    - Un número es un solo token, con sus separadores de miles o decimales: «15», «3,5»,
      «1.000».
    - Con ``keep_punct=True`` cada signo (``¿ ¡ ? ! . , ; : « » " ( ) -``…) es un token aparte,
      y los puntos suspensivos ``...`` son uno solo; con ``keep_punct=False`` se descartan.
    - Con ``lower=True`` (por defecto) se pasa todo a minúsculas.

    El texto se normaliza a la forma Unicode NFC (una «á» escrita como «a» + tilde combinada
    pasa a ser un solo carácter) y se eliminan los guiones blandos invisibles (``\\xad``).

    Ejemplo:
        >>> tokenize("¿Dónde está el niño? ¡Tiene 15 años!")
        ['¿', 'dónde', 'está', 'el', 'niño', '?', '¡', 'tiene', '15', 'años', '!']
        >>> tokenize("Pagó 1.000 pesos, o sea 3,5 dólares.", keep_punct=False)
        ['pagó', '1.000', 'pesos', 'o', 'sea', '3,5', 'dólares']
    """
    _check_text(text, "tokenize")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if "\xad" in text:
            text = text.replace("\xad", "")
    if lower:
        text = text.lower()
    pattern = _TOKEN_RE if keep_punct else _TOKEN_NO_PUNCT_RE
    return pattern.findall(text)


_NO_SPACE_BEFORE = frozenset(".,;:!?)]}»”’…%") | {"..."}
_NO_SPACE_AFTER = frozenset("¿¡([{«“‘")
_SENTENCE_END = frozenset(".!?…") | {"..."}
_HYPHEN_RE = re.compile(r"(?<=\w) - (?=\w)")


def detokenize(tokens: Sequence[str], capitalize: bool = False) -> str:
    """El paso inverso (aproximado) de :func:`tokenize`: une tokens en un texto legible.

    Sin espacio antes de ``. , ; : ! ? ) » %`` ni después de ``¿ ¡ ( «``, y con los guiones
    entre palabras pegados («sixty - two» → «sixty-two»). Con ``capitalize=True`` pone en
    mayúscula la primera letra y la que sigue a un fin de oración, porque ``tokenize`` pasa todo
    a minúsculas. Sirve para mostrar texto generado y para calcular BLEU con sacrebleu, que
    espera texto sin tokenizar.

    Ejemplo:
        >>> detokenize(["y", "dijo", ":", "¿", "quién", "eres", "?", "yo", "soy", "."], capitalize=True)
        'Y dijo: ¿quién eres? Yo soy.'
        >>> detokenize(["sixty", "-", "two", "years", "(", "old", ")", "."])
        'sixty-two years (old).'
    """
    if isinstance(tokens, str):
        raise TypeError("detokenize espera una lista de tokens, no un texto.")
    pieces: list[str] = []
    attach = True  # ¿el siguiente token va pegado al anterior?
    upper = capitalize
    for tok in tokens:
        if not isinstance(tok, str):
            raise TypeError(f"Cada token debe ser str; se recibió {tok!r}.")
        if not tok:
            continue
        word = tok
        if upper and word[0].isalpha():
            word = word[0].upper() + word[1:]
            upper = False
        if pieces and not attach and tok not in _NO_SPACE_BEFORE:
            pieces.append(" ")
        pieces.append(word)
        attach = tok in _NO_SPACE_AFTER
        if capitalize and tok in _SENTENCE_END:
            upper = True
    return _HYPHEN_RE.sub("-", "".join(pieces))


# ---------------------------------------------------------------------------------------------
# Separador de oraciones
# ---------------------------------------------------------------------------------------------

#: Abreviaturas tras las que un punto no cierra la oración (en minúsculas, sin el punto).
#: Las iniciales de una sola letra («J. R. R. Tolkien») tampoco cortan.
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "sr", "sra", "srta", "sres", "sras", "dr", "dra", "dres", "lic", "ing", "arq", "prof",
        "profa", "mr", "mrs", "ms", "ud", "uds", "vd", "vds", "ee", "avda", "av", "pág", "págs",
        "pag", "núm", "art", "cap", "vol", "ed", "fig", "tel", "aprox", "dpto", "depto", "gral",
        "cía", "sto", "sta", "mons", "fr", "ej", "vs", "admón", "excmo", "excma", "ilmo", "ilma",
        "cf", "op", "cit",
    }
)  # fmt: skip

# Candidato a fin de oración: signos finales (. ! ? … o "...") seguidos, quizá, de comillas o
# paréntesis de cierre, y luego de espacio o del final del texto.
_END_RE = re.compile(r"(?:\.\.\.|[.!?…])+[»\"”’')\]]*(?=\s|$)")
_WORD_BEFORE_RE = re.compile(r"(\w+)\.$")
_PARAGRAPH_RE = re.compile(r"\n\s*\n")
# Una oración nueva empieza por mayúscula, dígito o signo de apertura.
_OPENERS = "¿¡«\"“'‘(["


def _starts_sentence(text: str, pos: int) -> bool:
    """¿Empieza una oración en ``text[pos:]`` (tras saltar espacios)?"""
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    if pos >= n:
        return True
    char = text[pos]
    if char in "—–-" and pos + 1 < n:  # raya de diálogo: «—Sí.» empieza; «—preguntó» no
        char = text[pos + 1]
    return char.isupper() or char.isdigit() or char in _OPENERS


def _split_paragraph(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _END_RE.finditer(text):
        end = match.end()
        marks = match.group(0)
        if not _starts_sentence(text, end):
            continue  # «¿vienes? y se fue», «etc. y más»: sigue la misma oración
        current = text[start:end]
        if marks.rstrip("»\"”’')]") == ".":
            word = _WORD_BEFORE_RE.search(current)
            if word is not None:
                before = word.group(1)
                if before.lower() in ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
                    continue  # «Sr. García», «EE. UU.», «J. R. R. Tolkien»
        if not any(c in marks for c in "?!"):
            # Dentro de un «¿…?» o «¡…!» abierto que se cierra más adelante no se corta.
            if (current.count("¿") > current.count("?") and text.find("?", end) != -1) or (
                current.count("¡") > current.count("!") and text.find("!", end) != -1
            ):
                continue
        sentences.append(current)
        start = end
    sentences.append(text[start:])
    return sentences


def split_sentences(text: str) -> list[str]:
    """Divide un texto en oraciones, conservando el signo final en cada una.

    Corta tras ``.``, ``!``, ``?``, ``…`` o ``...`` cuando lo que sigue empieza una oración
    (mayúscula, dígito o un signo de apertura como ``¿``, ``¡`` o ``«``), y siempre en una
    línea en blanco. No corta:

    - tras abreviaturas frecuentes (``Sr.``, ``Sra.``, ``Dr.``, ``EE. UU.``… ver
      ``ABBREVIATIONS``) ni tras iniciales de una letra («J. R. R. Tolkien»);
    - en números decimales (``3.5``), porque tras el punto no hay espacio;
    - cuando sigue una minúscula («—¿Vienes? —preguntó», «peras, etc. y más»);
    - dentro de un par ``¿…?`` o ``¡…!`` que aún no se ha cerrado.

    Quita los espacios de los extremos y descarta las oraciones vacías.

    Ejemplo:
        >>> split_sentences("¡Hola! ¿Cómo está, Sr. García? Mide 3.5 metros… Adiós.")
        ['¡Hola!', '¿Cómo está, Sr. García?', 'Mide 3.5 metros…', 'Adiós.']
    """
    _check_text(text, "split_sentences")
    result: list[str] = []
    for paragraph in _PARAGRAPH_RE.split(text):
        for sentence in _split_paragraph(paragraph):
            sentence = sentence.strip()
            if sentence:
                result.append(sentence)
    return result


def ngrams(tokens: Sequence[Any], n: int) -> list[tuple[Any, ...]]:
    """Devuelve los n-gramas consecutivos de una secuencia de tokens, como tuplas.

    Si la secuencia tiene menos de ``n`` tokens, devuelve una lista vacía. Para n-gramas de
    caracteres pasa ``list(palabra)``.

    Ejemplo:
        >>> ngrams(["el", "gato", "come"], 2)
        [('el', 'gato'), ('gato', 'come')]
    """
    if isinstance(tokens, str):
        raise TypeError(
            "ngrams() espera una lista de tokens, no un texto. Tokeniza primero con "
            "tokenize(texto), o usa list(texto) si quieres n-gramas de caracteres."
        )
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n debe ser un entero ≥ 1; se recibió {n!r}.")
    tokens = list(tokens)
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


# ---------------------------------------------------------------------------------------------
# Vocabulario
# ---------------------------------------------------------------------------------------------

#: Tokens especiales por defecto, en este orden: ``<pad>``=0, ``<unk>``=1, ``<bos>``=2, ``<eos>``=3.
DEFAULT_SPECIALS: tuple[str, ...] = ("<pad>", "<unk>", "<bos>", "<eos>")
PAD, UNK, BOS, EOS = DEFAULT_SPECIALS
#: Papeles de los especiales: qué token hace de relleno, desconocido, inicio y fin.
ROLES: tuple[str, ...] = ("pad", "unk", "bos", "eos")

_VOCAB_FORMAT = "curso-nlp-vocab"


def _check_token_list(tokens: Any, where: str) -> None:
    if isinstance(tokens, str):
        raise TypeError(
            f"{where}: se recibió un texto (str) donde se esperaba una lista de tokens. "
            "Tokeniza primero, por ejemplo con utils.text.tokenize(texto)."
        )
    if isinstance(tokens, (Mapping, bytes)) or not isinstance(tokens, Iterable):
        raise TypeError(
            f"{where}: se esperaba una lista de tokens (str); se recibió {type(tokens).__name__}."
        )


def _is_tensor(obj: Any) -> bool:
    """``True`` si ``obj`` es un tensor de PyTorch (sin importar torch si nadie lo ha hecho)."""
    torch_module = sys.modules.get("torch")
    return torch_module is not None and isinstance(obj, torch_module.Tensor)


def _to_id_list(ids: Any, where: str) -> list[int]:
    """Convierte una lista, un array de NumPy o un tensor 1-D de enteros en ``list[int]``."""
    if _is_tensor(ids):
        if ids.dim() != 1:
            raise ValueError(
                f"{where}: se esperaba un tensor 1-D de índices; tiene forma {tuple(ids.shape)}. "
                "Para un lote, decodifica cada fila por separado."
            )
        if ids.is_floating_point() or ids.is_complex():
            raise TypeError(f"{where}: los índices deben ser enteros; el tensor es {ids.dtype}.")
        return ids.tolist()
    if isinstance(ids, np.ndarray):
        if ids.ndim != 1:
            raise ValueError(
                f"{where}: se esperaba un array 1-D de índices; tiene forma {ids.shape}."
            )
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"{where}: los índices deben ser enteros; el array es {ids.dtype}.")
        return ids.tolist()
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(
            f"{where}: se esperaba una lista de índices enteros; se recibió {type(ids).__name__}."
        )
    out = []
    for i in ids:
        if isinstance(i, np.integer) or _is_tensor(i):
            i = int(i)
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"{where}: cada índice debe ser un entero; se recibió {i!r}.")
        out.append(i)
    return out


class Vocab:
    """Vocabulario: correspondencia entre tokens (``str``) e índices (``int``).

    Se construye normalmente con :meth:`Vocab.build` a partir de listas de tokens. Los tokens
    especiales van primero (por defecto ``<pad>``=0, ``<unk>``=1, ``<bos>``=2, ``<eos>``=3) y
    después el resto, de más a menos frecuente (los empates, en orden alfabético), así que el
    resultado es siempre el mismo para el mismo corpus.

    Atributos:
        itos: lista índice → token (*index to string*).
        stoi: diccionario token → índice (*string to index*).
        freqs: ``Counter`` con la frecuencia de cada token en el corpus de construcción.
        specials: tupla con los tokens especiales.

    Un token desconocido se traduce a ``unk_id``. Si el vocabulario no tiene token de
    desconocido (por ejemplo, uno de etiquetas construido con ``specials=()``), un token
    desconocido es un error.

    Especiales con otros nombres (p. ej. los de BERT): pase ``roles`` para decir qué papel
    hace cada uno, ``roles={"pad": "[PAD]", "unk": "[UNK]", "bos": "[CLS]", "eos": "[SEP]"}``.
    Sin ``roles``, un papel lo hace el token por defecto (``<pad>``, ``<unk>``, ``<bos>``,
    ``<eos>``) si está entre los especiales.

    Ejemplo:
        >>> vocab = Vocab.build([["el", "gato"], ["el", "perro"]])
        >>> len(vocab), vocab["el"], vocab["dinosaurio"] == vocab.unk_id
        (7, 4, True)
        >>> bert = Vocab.build([["hola"]], specials=["[PAD]", "[UNK]"],
        ...                    roles={"pad": "[PAD]", "unk": "[UNK]"})
        >>> bert.pad_id, bert["adiós"] == bert.unk_id
        (0, True)
    """

    def __init__(
        self,
        itos: Sequence[str],
        specials: Sequence[str] = DEFAULT_SPECIALS,
        freqs: Mapping[str, int] | None = None,
        roles: Mapping[str, str] | None = None,
    ) -> None:
        _check_token_list(itos, "Vocab(itos)")
        _check_token_list(specials, "Vocab(specials)")
        itos = list(itos)
        specials = tuple(specials)
        for token in itos:
            if not isinstance(token, str):
                raise TypeError(f"Vocab: cada token debe ser str; se recibió {token!r}.")
        if len(set(itos)) != len(itos):
            repeated = sorted(t for t, c in Counter(itos).items() if c > 1)
            raise ValueError(f"Vocab: hay tokens repetidos en itos: {repeated[:10]}.")
        if list(specials) != itos[: len(specials)]:
            raise ValueError(
                "Vocab: los tokens especiales deben ocupar las primeras posiciones de itos, "
                f"en el mismo orden: {list(specials)}."
            )
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = {token: i for i, token in enumerate(itos)}
        self.specials: tuple[str, ...] = specials
        self.freqs: Counter[str] = Counter(freqs or {})
        self._special_ids = frozenset(range(len(specials)))
        self.roles: dict[str, str] = _check_roles(roles, specials)
        unk = self.roles.get("unk")
        self._unk_id: int | None = None if unk is None else self.stoi[unk]

    # -- construcción -------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
        roles: Mapping[str, str] | None = None,
    ) -> Vocab:
        """Construye un vocabulario a partir de un corpus ya tokenizado.

        Args:
            token_lists: un iterable de listas de tokens (una por documento u oración).
            min_freq: frecuencia mínima para entrar en el vocabulario (≥ 1).
            max_size: tamaño máximo **total**, contando los especiales (``None``: sin límite).
            specials: tokens especiales, que ocupan los primeros índices en este orden.
            roles: qué especial hace de ``pad``/``unk``/``bos``/``eos`` (ver la clase).

        Ejemplo:
            >>> corpus = [tokenize("el gato come"), tokenize("el perro come pan")]
            >>> Vocab.build(corpus, min_freq=2).itos
            ['<pad>', '<unk>', '<bos>', '<eos>', 'come', 'el']
        """
        if isinstance(token_lists, str):
            raise TypeError(
                "Vocab.build() espera una lista de listas de tokens, no un texto. "
                "Tokeniza primero: Vocab.build([tokenize(t) for t in textos])."
            )
        if not isinstance(min_freq, int) or isinstance(min_freq, bool) or min_freq < 1:
            raise ValueError(f"min_freq debe ser un entero ≥ 1; se recibió {min_freq!r}.")
        _check_token_list(specials, "Vocab.build(specials)")
        specials = tuple(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"Hay tokens especiales repetidos: {list(specials)}.")
        if max_size is not None and (
            not isinstance(max_size, int) or isinstance(max_size, bool) or max_size < len(specials)
        ):
            raise ValueError(
                f"max_size debe ser un entero ≥ {len(specials)} (el número de tokens "
                f"especiales, que cuentan en el tamaño); se recibió {max_size!r}."
            )
        counter: Counter[str] = Counter()
        for i, tokens in enumerate(token_lists):
            _check_token_list(tokens, f"Vocab.build(): el elemento {i} del corpus")
            try:
                counter.update(tokens)
            except TypeError as err:
                raise TypeError(
                    f"Vocab.build(): el elemento {i} del corpus contiene tokens que no son str "
                    f"({err})."
                ) from err
        if not counter:
            raise ValueError(
                "Corpus vacío: no hay ningún token con el que construir el vocabulario."
            )
        bad = next((t for t in counter if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"Vocab.build(): cada token debe ser str; se encontró {bad!r}.")
        special_set = set(specials)
        candidates = [
            (token, count)
            for token, count in counter.items()
            if count >= min_freq and token not in special_set
        ]
        if not candidates:
            raise ValueError(
                f"Ningún token aparece al menos min_freq={min_freq} veces "
                f"(la frecuencia máxima es {max(counter.values())}). Baja min_freq."
            )
        candidates.sort(key=lambda tc: (-tc[1], tc[0]))
        if max_size is not None:
            candidates = candidates[: max_size - len(specials)]
        itos = list(specials) + [token for token, _ in candidates]
        return cls(itos, specials=specials, freqs=counter, roles=roles)

    # -- índices especiales -------------------------------------------------------------------

    def _special_id(self, role: str) -> int:
        token = self.roles.get(role)
        if token is None:
            raise ValueError(
                f"Este vocabulario no tiene token especial con el papel {role!r}, así que no hay "
                f"{role}_id. Especiales: {list(self.specials)}; papeles: {self.roles}. Indícalo "
                f"con roles={{{role!r}: ...}} al construirlo."
            )
        return self.stoi[token]

    @property
    def pad_id(self) -> int:
        """Índice del relleno (``<pad>``), 0 por defecto."""
        return self._special_id("pad")

    @property
    def unk_id(self) -> int:
        """Índice del token desconocido (``<unk>``), 1 por defecto."""
        return self._special_id("unk")

    @property
    def bos_id(self) -> int:
        """Índice del inicio de secuencia (``<bos>``), 2 por defecto."""
        return self._special_id("bos")

    @property
    def eos_id(self) -> int:
        """Índice del fin de secuencia (``<eos>``), 3 por defecto."""
        return self._special_id("eos")

    # -- consulta -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        if not isinstance(token, str):
            raise TypeError(
                f"vocab[...] espera un token (str); se recibió {type(token).__name__}. "
                "Para pasar de índice a token usa vocab.itos[i] o vocab.lookup_tokens([i])."
            )
        idx = self.stoi.get(token)
        if idx is not None:
            return idx
        if self._unk_id is None:
            raise KeyError(
                f"El token {token!r} no está en el vocabulario, y este vocabulario no tiene "
                "token especial para los desconocidos (roles={'unk': ...})."
            )
        return self._unk_id

    def __iter__(self) -> Iterator[str]:
        return iter(self.itos)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (
            self.itos == other.itos
            and self.specials == other.specials
            and self.roles == other.roles
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vocab(tamaño={len(self)}, especiales={list(self.specials)})"

    # -- codificar / decodificar --------------------------------------------------------------

    def encode(
        self, tokens: Sequence[str], add_bos: bool = False, add_eos: bool = False
    ) -> list[int]:
        """Convierte una lista de tokens en índices (desconocidos → ``unk_id``).

        ``add_bos`` / ``add_eos`` añaden ``<bos>`` al principio y ``<eos>`` al final.

        Ejemplo:
            >>> vocab = Vocab.build([["hola", "mundo"]])
            >>> vocab.encode(["hola", "marte"], add_eos=True)
            [4, 1, 3]
        """
        _check_token_list(tokens, "encode()")
        ids = [self[token] for token in tokens]
        if add_bos:
            ids.insert(0, self.bos_id)
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def lookup_indices(self, tokens: Sequence[str]) -> list[int]:
        """Igual que :meth:`encode` sin ``<bos>``/``<eos>``: tokens → índices.

        Ejemplo:
            >>> Vocab.build([["sí"]]).lookup_indices(["sí", "no"])
            [4, 1]
        """
        return self.encode(tokens)

    def lookup_tokens(self, ids: Sequence[int] | np.ndarray | torch.Tensor) -> list[str]:
        """Convierte índices en tokens, sin quitar ninguno (ni siquiera los especiales).

        Ejemplo:
            >>> Vocab.build([["sí"]]).lookup_tokens([2, 4, 3])
            ['<bos>', 'sí', '<eos>']
        """
        id_list = _to_id_list(ids, "lookup_tokens()")
        size = len(self.itos)
        bad = [i for i in id_list if i < 0 or i >= size]
        if bad:
            raise ValueError(
                f"Índices fuera del vocabulario (tamaño {size}, válidos 0…{size - 1}): {bad[:10]}."
            )
        return [self.itos[i] for i in id_list]

    def decode(
        self, ids: Sequence[int] | np.ndarray | torch.Tensor, skip_specials: bool = True
    ) -> list[str]:
        """Convierte índices en tokens (lista, array de NumPy o tensor 1-D).

        Con ``skip_specials=True`` quita ``<pad>``, ``<bos>``, ``<eos>`` y demás especiales,
        pero **conserva** el desconocido (``<unk>``), que ocupa el lugar de una palabra real. Un índice fuera de
        rango es un error. Para obtener un texto: ``" ".join(vocab.decode(ids))``.

        Ejemplo:
            >>> vocab = Vocab.build([["hola", "mundo"]])
            >>> vocab.decode([2, 4, 1, 3, 0, 0])
            ['hola', '<unk>']
        """
        tokens = self.lookup_tokens(ids)
        if not skip_specials:
            return tokens
        keep_unk = self._unk_id
        id_list = _to_id_list(ids, "decode()")
        return [
            tok
            for i, tok in zip(id_list, tokens, strict=True)
            if i not in self._special_ids or i == keep_unk
        ]

    # -- guardar / cargar ---------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Guarda el vocabulario como JSON (UTF-8, legible) y devuelve la ruta.

        La escritura es atómica (``utils.artifacts.atomic_write_text``): un corte a mitad
        nunca deja un archivo a medias.

        Ejemplo:
            >>> vocab.save(data_dir() / "vocab.json")  # doctest: +SKIP
        """
        from .artifacts import atomic_write_text

        payload = {
            "format": _VOCAB_FORMAT,
            "version": 2,
            "specials": list(self.specials),
            "roles": self.roles,
            "itos": self.itos,
            "freqs": dict(self.freqs.most_common()),
        }
        return atomic_write_text(path, json.dumps(payload, ensure_ascii=False))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocab:
        """Carga un vocabulario guardado con :meth:`save`.

        Ejemplo:
            >>> vocab = Vocab.load(data_dir() / "vocab.json")  # doctest: +SKIP
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"No existe el archivo de vocabulario {str(path)!r}. ¿Lo guardaste antes con "
                "vocab.save(ruta)? ¿Es correcta la ruta?"
            )
        try:
            with open(path, encoding="utf-8") as fh:
                payload = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(
                f"El archivo {str(path)!r} no es un JSON válido de vocabulario: {err}."
            ) from err
        if (
            not isinstance(payload, dict)
            or payload.get("format") != _VOCAB_FORMAT
            or not isinstance(payload.get("itos"), list)
            or not isinstance(payload.get("specials"), list)
        ):
            raise ValueError(
                f"El archivo {str(path)!r} no tiene el formato de un vocabulario guardado con "
                "Vocab.save() (faltan 'format', 'itos' o 'specials')."
            )
        freqs = payload.get("freqs") or {}
        if not isinstance(freqs, dict):
            raise ValueError(f"El archivo {str(path)!r} tiene 'freqs' con un formato inválido.")
        try:
            roles = payload.get("roles")  # la versión 1 no los guardaba: papeles por defecto
            return cls(payload["itos"], specials=payload["specials"], freqs=freqs, roles=roles)
        except (TypeError, ValueError) as err:
            raise ValueError(f"El vocabulario de {str(path)!r} es inválido: {err}") from err


def _check_roles(roles: Mapping[str, str] | None, specials: tuple[str, ...]) -> dict[str, str]:
    """Valida ``roles`` (papel → token especial) o deduce los papeles por defecto."""
    if roles is None:
        defaults = dict(zip(ROLES, DEFAULT_SPECIALS, strict=True))
        return {role: tok for role, tok in defaults.items() if tok in specials}
    if not isinstance(roles, Mapping):
        raise TypeError(f"roles debe ser un dict papel → token; se recibió {type(roles).__name__}.")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"Papeles desconocidos en roles: {unknown}. Válidos: {list(ROLES)}.")
    missing = sorted(tok for tok in roles.values() if tok not in specials)
    if missing:
        raise ValueError(
            f"Los tokens de roles deben estar en specials; faltan {missing} en {list(specials)}."
        )
    return {role: roles[role] for role in ROLES if role in roles}


# ---------------------------------------------------------------------------------------------
# Relleno (padding) y lotes
# ---------------------------------------------------------------------------------------------


def _as_1d_tensor(seq: Any, i: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    import torch

    if isinstance(seq, str):
        raise TypeError(
            f"La secuencia {i} es un texto; se esperaban índices enteros. Convierte los tokens "
            "en índices primero con vocab.encode(tokenize(texto))."
        )
    try:
        t = seq if isinstance(seq, torch.Tensor) else torch.as_tensor(np.asarray(seq))
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"La secuencia {i} no se puede convertir en un tensor de números ({err}). "
            "¿Son índices enteros (vocab.encode(...))?"
        ) from err
    if t.dim() != 1:
        raise ValueError(
            f"Cada secuencia debe ser 1-D (una lista de índices); la {i} tiene forma "
            f"{tuple(t.shape)}."
        )
    if dtype is not None and t.dtype != dtype:
        if t.numel() == 0:
            return t.to(dtype)
        if t.is_floating_point() and not dtype.is_floating_point:
            raise TypeError(
                f"La secuencia {i} tiene números reales ({t.dtype}) y se esperaban índices "
                f"enteros ({dtype}). Usa dtype=torch.float32 si de verdad son reales."
            )
        t = t.to(dtype)
    return t


def _check_sequences(sequences: Any) -> list[Any]:
    if (isinstance(sequences, np.ndarray) or _is_tensor(sequences)) and sequences.ndim == 1:
        raise ValueError(
            "Se recibió una sola secuencia 1-D; se espera una lista de secuencias. "
            "Envuélvela en una lista: [secuencia]."
        )
    if isinstance(sequences, str) or not isinstance(sequences, Iterable):
        raise TypeError(
            f"Se esperaba una lista de secuencias de índices; se recibió {type(sequences).__name__}."
        )
    sequences = list(sequences)
    if not sequences:
        raise ValueError("La lista de secuencias está vacía: no hay nada que rellenar.")
    return sequences


def pad_sequences(
    sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor],
    maxlen: int | None = None,
    padding: str = "post",
    truncating: str = "post",
    value: float = 0,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Rellena (o recorta) secuencias a una misma longitud y las apila en un tensor.

    Misma semántica que ``pad_sequences`` de Keras, pero con ``"post"`` por defecto:

    - ``maxlen``: longitud final (``None``: la de la secuencia más larga).
    - ``padding="post"`` rellena al final; ``"pre"``, al principio.
    - ``truncating="post"`` recorta el final de las secuencias largas; ``"pre"``, el principio.
    - ``value``: valor de relleno (usa ``vocab.pad_id``).
    - ``dtype``: tipo del tensor (``None``: ``torch.long``, índices para ``nn.Embedding``).

    Devuelve un tensor ``[n_secuencias, maxlen]``.

    Ejemplo:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="pre", truncating="pre").tolist()
        [[2, 3], [0, 4]]
    """
    import torch

    sequences = _check_sequences(sequences)
    if dtype is None:
        dtype = torch.long
    if padding not in ("post", "pre"):
        raise ValueError(f"padding debe ser 'post' o 'pre'; se recibió {padding!r}.")
    if truncating not in ("post", "pre"):
        raise ValueError(f"truncating debe ser 'post' o 'pre'; se recibió {truncating!r}.")
    tensors = [_as_1d_tensor(seq, i, dtype=dtype) for i, seq in enumerate(sequences)]
    if maxlen is None:
        maxlen = max(len(t) for t in tensors)
    elif not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
        raise ValueError(f"maxlen debe ser un entero ≥ 1 o None; se recibió {maxlen!r}.")
    out = torch.full((len(tensors), maxlen), value, dtype=dtype)
    for i, t in enumerate(tensors):
        if len(t) > maxlen:
            t = t[:maxlen] if truncating == "post" else t[len(t) - maxlen :]
        n = len(t)
        if n == 0:
            continue
        if padding == "post":
            out[i, :n] = t
        else:
            out[i, maxlen - n :] = t
    return out


def pad_batch(
    sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor], pad_id: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rellena un lote al final y devuelve ``(padded, lengths)``.

    - ``padded``: ``LongTensor [batch, max_len]`` con ``pad_id`` al final.
    - ``lengths``: ``LongTensor [batch]`` en CPU con la longitud real de cada secuencia, lista
      para ``nn.utils.rnn.pack_padded_sequence(..., lengths, batch_first=True,
      enforce_sorted=False)``.

    Ejemplo:
        >>> padded, lengths = pad_batch([[5, 6, 7], [8]])
        >>> padded.tolist(), lengths.tolist()
        ([[5, 6, 7], [8, 0, 0]], [3, 1])
    """
    import torch

    sequences = _check_sequences(sequences)
    tensors = [_as_1d_tensor(seq, i, dtype=torch.long) for i, seq in enumerate(sequences)]
    lengths = torch.tensor([len(t) for t in tensors], dtype=torch.long)
    max_len = int(lengths.max())
    padded = torch.full((len(tensors), max_len), pad_id, dtype=torch.long)
    for i, t in enumerate(tensors):
        padded[i, : len(t)] = t
    return padded, lengths


def _stack_labels(labels: list[Any]) -> torch.Tensor:
    import torch

    if all(isinstance(y, torch.Tensor) for y in labels):
        return torch.stack(labels)
    try:
        return torch.tensor(labels)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"Las etiquetas del lote no se pueden convertir en un tensor ({err}). Convierte las "
            "etiquetas de texto en enteros antes (por ejemplo con un Vocab de etiquetas)."
        ) from err


def _split_pair(item: Any, keys: tuple[str, str], where: str) -> tuple[Any, Any]:
    if isinstance(item, Mapping):
        try:
            return item[keys[0]], item[keys[1]]
        except KeyError as err:
            raise KeyError(
                f"{where}: el ejemplo no tiene la clave {err.args[0]!r}; claves disponibles: "
                f"{list(item)}. Indica las claves con keys=(...)."
            ) from None
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1]
    raise TypeError(
        f"{where}: cada ejemplo debe ser un par (secuencia, etiqueta) o un diccionario con las "
        f"claves {list(keys)}; se recibió {type(item).__name__}."
    )


def make_collate(
    pad_id: int = 0,
    with_lengths: bool = True,
    keys: tuple[str, str] = ("input_ids", "label"),
) -> Callable[[list[Any]], tuple[torch.Tensor, ...]]:
    """Crea una ``collate_fn`` para un ``DataLoader`` de ejemplos ``(ids, etiqueta)``.

    Cada ejemplo puede ser una tupla ``(ids, etiqueta)`` o un diccionario (por ejemplo una
    fila de ``datasets.Dataset``) con las claves ``keys`` (por defecto ``"input_ids"`` y
    ``"label"``). El lote resultante es:

    - ``(padded, lengths, labels)`` con ``with_lengths=True`` → el modelo se llama
      ``model(padded, lengths)``;
    - ``(padded, labels)`` con ``with_lengths=False`` → ``model(padded)``.

    Así cumple la convención de ``utils.train.fit``: ``*inputs, target = batch``. Las
    etiquetas enteras dan un ``LongTensor`` (para ``CrossEntropyLoss``) y las reales un
    ``FloatTensor`` (para ``BCEWithLogitsLoss``).

    Ejemplo:
        >>> collate = make_collate(pad_id=0)
        >>> padded, lengths, labels = collate([([5, 6, 7], 1), ([8], 0)])
        >>> padded.shape, lengths.tolist(), labels.tolist()
        (torch.Size([2, 3]), [3, 1], [1, 0])
    """

    def collate(batch: list[Any]) -> tuple[torch.Tensor, ...]:
        if not batch:
            raise ValueError("collate: el lote está vacío.")
        pairs = [_split_pair(item, keys, "collate") for item in batch]
        padded, lengths = pad_batch([p[0] for p in pairs], pad_id=pad_id)
        labels = _stack_labels([p[1] for p in pairs])
        return (padded, lengths, labels) if with_lengths else (padded, labels)

    return collate


def make_seq2seq_collate(
    src_pad_id: int = 0,
    tgt_pad_id: int = 0,
    shift_target: bool = False,
    keys: tuple[str, str] = ("src_ids", "tgt_ids"),
) -> Callable[[list[Any]], tuple[torch.Tensor, ...]]:
    """Crea una ``collate_fn`` para pares ``(src_ids, tgt_ids)`` de un traductor o chatbot.

    Rellena origen y destino por separado (cada uno con su ``pad_id``). Devuelve:

    - ``(src, src_lengths, tgt)`` por defecto → ``model(src, src_lengths)`` y objetivo ``tgt``;
    - con ``shift_target=True``, ``(src, src_lengths, tgt_in, tgt_out)`` donde
      ``tgt_in = tgt[:, :-1]`` (empieza por ``<bos>``) y ``tgt_out = tgt[:, 1:]`` (acaba en
      ``<eos>``): la forma habitual de *teacher forcing*, con
      ``model(src, src_lengths, tgt_in)`` y la pérdida contra ``tgt_out``.

    Las secuencias destino deben llevar ya ``<bos>`` y ``<eos>``
    (``vocab.encode(tokens, add_bos=True, add_eos=True)``).

    Ejemplo:
        >>> collate = make_seq2seq_collate(0, 0, shift_target=True)
        >>> src, src_len, tgt_in, tgt_out = collate([([4, 5], [2, 7, 3]), ([6], [2, 3])])
        >>> tgt_in.tolist(), tgt_out.tolist()
        ([[2, 7], [2, 3]], [[7, 3], [3, 0]])
    """

    def collate(batch: list[Any]) -> tuple[torch.Tensor, ...]:
        if not batch:
            raise ValueError("collate: el lote está vacío.")
        pairs = [_split_pair(item, keys, "collate seq2seq") for item in batch]
        src, src_lengths = pad_batch([p[0] for p in pairs], pad_id=src_pad_id)
        tgt, _ = pad_batch([p[1] for p in pairs], pad_id=tgt_pad_id)
        if not shift_target:
            return src, src_lengths, tgt
        if tgt.shape[1] < 2:
            raise ValueError(
                "shift_target=True necesita secuencias destino de al menos 2 tokens "
                "(<bos> … <eos>). ¿Olvidaste add_bos=True, add_eos=True al codificar?"
            )
        return src, src_lengths, tgt[:, :-1], tgt[:, 1:]

    return collate
