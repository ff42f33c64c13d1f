"""Clasificación de textos con redes recurrentes: el modelo y sus utilidades.

El cuaderno ``clase_5/5c_sentimiento_lstm.ipynb`` escribe este clasificador a la vista, paso a
paso; aquí queda la misma pieza, probada, para reutilizarla en el desafío y en clases
posteriores sin copiar y pegar:

- :class:`RNNClassifier`: *embedding* → LSTM o GRU (uni o bidireccional, con secuencias
  empaquetadas) → capa lineal. Se llama ``model(ids, lengths)``, como produce
  ``utils.text.make_collate``.
- :func:`encode_texts`: textos → listas de índices del vocabulario (nunca vacías).
- :func:`embedding_matrix_from_word2vec`: matriz inicial de la capa de *embedding* a partir de
  vectores Word2Vec (gensim ``KeyedVectors``).
- :func:`predict_loader` y :func:`predict_texts`: probabilidades de un modelo entrenado, para
  un ``DataLoader`` o para frases nuevas.

>>> import torch
>>> from utils.text import Vocab, make_collate, tokenize
>>> vocab = Vocab.build([tokenize("a great movie"), tokenize("a boring movie")])
>>> model = RNNClassifier(len(vocab), emb_dim=8, hidden=16, num_classes=2)
>>> ids, lengths, _ = make_collate()([(encode_texts(["a great movie"], vocab)[0], 1)])
>>> model(ids, lengths).shape
torch.Size([1, 2])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ._checks import check_int
from .device import model_device
from .text import Vocab, make_collate, tokenize

__all__ = [
    "RNNClassifier",
    "embedding_matrix_from_word2vec",
    "encode_texts",
    "predict_loader",
    "predict_texts",
]

_CELLS: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU}


class RNNClassifier(nn.Module):
    """Clasificador de secuencias: *embedding* → LSTM/GRU → capa lineal (un logit por clase).

    Las secuencias de un lote tienen longitudes distintas y vienen rellenas con ``pad_id`` al
    final. Con ``pack_padded_sequence`` la red recurrente procesa **solo los tokens reales** de
    cada secuencia, así que su último estado oculto ``h_n`` es el de la última palabra de
    verdad, no el de un relleno.

    Args:
        vocab_size: tamaño del vocabulario (filas de la capa de *embedding*).
        emb_dim: dimensión de los vectores de palabra.
        hidden: tamaño del estado oculto (por dirección).
        num_classes: número de clases de salida.
        cell: ``"lstm"`` o ``"gru"``.
        bidirectional: si es ``True``, una segunda red lee la frase de derecha a izquierda y se
            concatenan los dos estados finales (el vector final mide ``2 * hidden``).
        num_layers: capas recurrentes apiladas.
        dropout: *dropout* sobre los *embeddings* y antes de la capa lineal (y entre capas
            recurrentes si hay más de una).
        pad_id: índice del relleno (su vector es cero y no se entrena).
        pretrained: matriz ``[vocab_size, emb_dim]`` con la que iniciar los *embeddings* (por
            ejemplo la de :func:`embedding_matrix_from_word2vec`); ``None`` = aleatorios.
        freeze: con ``pretrained``, ``True`` congela los *embeddings* (no se entrenan).
        pooling: ``"last"`` usa el estado oculto final; ``"max"`` el máximo de las salidas de
            todos los pasos (ignorando el relleno).

    ``forward(ids, lengths)``: ``ids [batch, seq_len]`` (enteros), ``lengths [batch]`` (≥ 1)
    → ``logits [batch, num_classes]``.

    Ejemplo:
        >>> model = RNNClassifier(100, emb_dim=8, hidden=16, num_classes=3, cell="gru",
        ...                       bidirectional=True)
        >>> ids = torch.tensor([[5, 6, 7], [8, 9, 0]])
        >>> model(ids, torch.tensor([3, 2])).shape
        torch.Size([2, 3])
    """

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int,
        hidden: int,
        num_classes: int,
        cell: Literal["lstm", "gru"] = "lstm",
        bidirectional: bool = False,
        num_layers: int = 1,
        dropout: float = 0.0,
        pad_id: int = 0,
        pretrained: Tensor | np.ndarray | None = None,
        freeze: bool = False,
        pooling: Literal["last", "max"] = "last",
    ) -> None:
        super().__init__()
        vocab_size = check_int(vocab_size, "vocab_size")
        emb_dim = check_int(emb_dim, "emb_dim")
        hidden = check_int(hidden, "hidden")
        num_layers = check_int(num_layers, "num_layers")
        if check_int(num_classes, "num_classes") < 2:
            raise ValueError(f"num_classes debe ser ≥ 2; se recibió {num_classes}.")
        if cell not in _CELLS:
            raise ValueError(f"cell debe ser 'lstm' o 'gru'; se recibió {cell!r}.")
        if pooling not in ("last", "max"):
            raise ValueError(f"pooling debe ser 'last' o 'max'; se recibió {pooling!r}.")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout debe estar en [0, 1); se recibió {dropout!r}.")
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id={pad_id} está fuera del vocabulario (0..{vocab_size - 1}).")
        if freeze and pretrained is None:
            raise ValueError(
                "freeze=True solo tiene sentido con pretrained=<matriz de embeddings>."
            )
        self.cell = cell
        self.bidirectional = bool(bidirectional)
        self.pooling = pooling
        self.pad_id = pad_id
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        if pretrained is not None:
            weights = torch.as_tensor(pretrained, dtype=torch.float32)
            if tuple(weights.shape) != (vocab_size, emb_dim):
                raise ValueError(
                    f"pretrained debe tener forma [vocab_size, emb_dim] = [{vocab_size}, "
                    f"{emb_dim}]; tiene {list(weights.shape)}."
                )
            with torch.no_grad():
                self.embedding.weight.copy_(weights)
            self.embedding.weight.requires_grad_(not freeze)
        self.rnn = _CELLS[cell](
            emb_dim,
            hidden,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=self.bidirectional,
            dropout=float(dropout) if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(float(dropout))
        self.fc = nn.Linear(hidden * (2 if self.bidirectional else 1), num_classes)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        if ids.dim() != 2:
            raise ValueError(f"ids debe ser [batch, seq_len]; tiene forma {tuple(ids.shape)}.")
        lengths = torch.as_tensor(lengths).cpu()  # pack_padded_sequence las quiere en CPU
        if lengths.shape != ids.shape[:1]:
            raise ValueError(
                f"lengths debe tener una longitud por secuencia ({ids.shape[0]}); tiene forma "
                f"{tuple(lengths.shape)}."
            )
        if int(lengths.min()) < 1:
            raise ValueError(
                "Hay secuencias de longitud 0: una frase sin tokens no se puede procesar. "
                "Usa encode_texts, que cambia las frases vacías por [<unk>]."
            )
        emb = self.dropout(self.embedding(ids))  # emb: [B, T, E]
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.pooling == "max":
            # out: [B, T', D] con D = hidden × direcciones; el relleno vale -inf para el máximo
            out, _ = pad_packed_sequence(out, batch_first=True, padding_value=float("-inf"))
            features = out.max(dim=1).values  # [B, D]
        else:
            h_n = state[0] if self.cell == "lstm" else state  # h_n: [capas × dirs, B, H]
            if self.bidirectional:  # última capa: hacia delante (-2) y hacia atrás (-1)
                features = torch.cat([h_n[-2], h_n[-1]], dim=-1)  # [B, 2H]
            else:
                features = h_n[-1]  # [B, H]
        return self.fc(self.dropout(features))  # [B, num_classes]


def encode_texts(
    texts: Iterable[str],
    vocab: Vocab,
    tokenizer: Callable[[str], list[str]] = tokenize,
    max_len: int | None = None,
) -> list[list[int]]:
    """Tokeniza y codifica textos como listas de índices de ``vocab``.

    Las palabras que no están en el vocabulario pasan a ``<unk>``. Una frase sin ningún token
    (vacía o solo espacios) se codifica como ``[<unk>]`` para que su longitud sea ≥ 1 (las
    redes recurrentes con secuencias empaquetadas no admiten longitud 0). Con ``max_len`` se
    conservan los primeros ``max_len`` tokens.

    Ejemplo:
        >>> vocab = Vocab.build([["a", "great", "movie"]])
        >>> encode_texts(["A great film", ""], vocab)
        [[4, 5, 1], [1]]
    """
    if isinstance(texts, str):
        raise TypeError("encode_texts espera una lista de textos, no un único texto: usa [texto].")
    if max_len is not None:
        max_len = check_int(max_len, "max_len")
    encoded = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] debe ser un texto (str); es {type(text).__name__}.")
        tokens = tokenizer(text)
        if max_len is not None:
            tokens = tokens[:max_len]
        ids = vocab.encode(tokens)
        encoded.append(ids if ids else [vocab.unk_id])
    return encoded


def embedding_matrix_from_word2vec(
    vocab: Vocab, keyed_vectors: Any, seed: int = 0
) -> tuple[Tensor, float]:
    """Matriz ``[len(vocab), dim]`` para iniciar una capa de *embedding* con vectores Word2Vec.

    Cada palabra del vocabulario que está en ``keyed_vectors`` (un ``gensim`` ``KeyedVectors``,
    p. ej. ``Word2Vec(...).wv``, o cualquier objeto con ``vector_size``, ``in`` y ``[palabra]``)
    recibe su vector. Las que no están reciben un vector aleatorio normal con la misma
    desviación típica que los vectores conocidos (para no desentonar en escala), y el
    relleno ``<pad>``, ceros.

    Devuelve ``(matriz, cobertura)``, donde cobertura es la fracción de palabras del
    vocabulario (sin contar los especiales) que tenían vector.

    Ejemplo:
        >>> class FakeKV(dict):
        ...     vector_size = 2
        >>> vocab = Vocab.build([["good", "bad"]])
        >>> matrix, coverage = embedding_matrix_from_word2vec(vocab, FakeKV(good=np.ones(2)))
        >>> matrix.shape, coverage, matrix[vocab["good"]].tolist(), matrix[vocab.pad_id].tolist()
        (torch.Size([6, 2]), 0.5, [1.0, 1.0], [0.0, 0.0])
    """
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab debe ser un utils.text.Vocab; se recibió {type(vocab).__name__}.")
    dim = getattr(keyed_vectors, "vector_size", None)
    if not isinstance(dim, (int, np.integer)) or dim < 1:
        raise TypeError(
            "keyed_vectors debe ser un KeyedVectors de gensim (p. ej. Word2Vec(...).wv), con "
            "atributo vector_size."
        )
    n_specials = len(vocab.specials)
    words = vocab.itos[n_specials:]
    if not words:
        raise ValueError("El vocabulario no tiene palabras (solo tokens especiales).")
    found = {i: np.asarray(keyed_vectors[w], dtype=np.float32)
             for i, w in enumerate(vocab.itos) if i >= n_specials and w in keyed_vectors}  # fmt: skip
    for i, vec in found.items():
        if vec.shape != (dim,):
            raise ValueError(
                f"El vector de {vocab.itos[i]!r} tiene forma {vec.shape}; se esperaba ({dim},)."
            )
    std = float(np.std(np.stack(list(found.values())))) if found else 1.0
    generator = torch.Generator().manual_seed(seed)
    matrix = torch.randn(len(vocab), int(dim), generator=generator) * std  # [V, dim]
    for i, vec in found.items():
        matrix[i] = torch.tensor(vec)
    pad_id = vocab.stoi.get("<pad>")
    if pad_id is not None:
        matrix[pad_id] = 0.0
    return matrix, len(found) / len(words)


@torch.no_grad()
def predict_loader(
    model: nn.Module, loader: Iterable[Any], device: torch.device | str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilidades de ``model`` sobre un ``DataLoader`` de lotes ``(ids, lengths, labels)``.

    Pone el modelo en modo evaluación (sin *dropout*) y devuelve ``(probs, labels)``:
    ``probs [N, C]`` (softmax de los *logits*) y ``labels [N]``, en el orden del cargador
    (que no debe barajar). ``device=None`` usa el dispositivo donde ya está el modelo.

    Ejemplo:
        >>> probs, labels = predict_loader(model, test_loader)  # doctest: +SKIP
        >>> accuracy(labels, probs.argmax(axis=1))  # doctest: +SKIP
    """
    dev = torch.device(device) if device is not None else model_device(model)
    model.to(dev).eval()
    all_probs, all_labels = [], []
    for batch in loader:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError(
                "Cada lote debe ser (entradas..., etiquetas), como el de make_collate()."
            )
        *inputs, labels = batch
        logits = model(*(x.to(dev) if isinstance(x, Tensor) else x for x in inputs))
        all_probs.append(torch.softmax(logits.float(), dim=-1).cpu())
        all_labels.append(torch.as_tensor(labels).cpu())
    if not all_probs:
        raise ValueError("El cargador no produjo ningún lote: no hay nada que predecir.")
    return torch.cat(all_probs).numpy(), torch.cat(all_labels).numpy()


def predict_texts(
    model: nn.Module,
    texts: Sequence[str],
    vocab: Vocab,
    tokenizer: Callable[[str], list[str]] = tokenize,
    batch_size: int = 256,
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Probabilidades de cada clase para frases nuevas: ``[len(texts), num_classes]``.

    Tokeniza y codifica con el mismo ``vocab`` (y el mismo ``tokenizer``) que el
    entrenamiento, rellena por lotes y aplica softmax. La clase predicha es
    ``probs.argmax(axis=1)``.

    Ejemplo:
        >>> probs = predict_texts(model, ["What a wonderful film!"], vocab)  # doctest: +SKIP
        >>> probs.shape  # doctest: +SKIP
        (1, 2)
    """
    if isinstance(texts, str):
        raise TypeError("predict_texts espera una lista de textos, no un único texto: usa [texto].")
    texts = list(texts)
    if not texts:
        raise ValueError("No hay textos que clasificar (lista vacía).")
    batch_size = check_int(batch_size, "batch_size")
    encoded = encode_texts(texts, vocab, tokenizer)
    collate = make_collate(pad_id=vocab.pad_id)
    batches = [
        collate([(ids, 0) for ids in encoded[i : i + batch_size]])
        for i in range(0, len(encoded), batch_size)
    ]
    probs, _ = predict_loader(model, batches, device=device)
    return probs
