"""Modelos de lenguaje recurrentes: ventanas de datos, el modelo y la generación de texto.

El cuaderno ``clase_4/4c_modelo_de_lenguaje.ipynb`` escribe estas piezas a la vista; a partir
de ahí viven aquí para que los cuadernos de caracteres, el desafío y las clases siguientes no
las copien:

- :func:`make_lm_windows`: corta una secuencia larga de índices en ventanas de longitud fija,
  con el objetivo desplazado una posición (``y[t] = x[t + 1]``).
- :class:`RNNLanguageModel`: *embedding* → RNN / LSTM / GRU → capa lineal con los *logits*
  del siguiente token, con ``step_fn`` para ``utils.decoding``.
- :func:`generate`: envoltorio de *greedy*, *beam search* y muestreo de ``utils.decoding``.

Ejemplo::

    >>> import torch
    >>> ds = make_lm_windows(list(range(10)), seq_len=4)
    >>> ds[0][0].tolist(), ds[0][1].tolist()
    ([0, 1, 2, 3], [1, 2, 3, 4])
    >>> model = RNNLanguageModel(vocab_size=10, emb_dim=8, hidden=16, cell="gru")
    >>> model(ds.tensors[0]).shape                       # logits: [ventanas, seq_len, vocab]
    torch.Size([2, 4, 10])
    >>> len(generate(model, [1, 2], max_new_tokens=5))    # greedy por defecto
    5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from ._checks import check_int
from .decoding import beam_search, greedy_decode, sample
from .device import model_device

__all__ = ["CELLS", "RNNLanguageModel", "generate", "make_lm_windows"]

#: Celdas recurrentes disponibles: nombre → clase de PyTorch.
CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

_STRATEGIES = ("greedy", "beam", "sample")


# ---------------------------------------------------------------------------------------------
# Datos: ventanas de longitud fija
# ---------------------------------------------------------------------------------------------


def make_lm_windows(
    ids: Sequence[int] | np.ndarray | Tensor, seq_len: int, stride: int | None = None
) -> TensorDataset:
    """Corta una secuencia de índices en ventanas ``(x, y)`` para un modelo de lenguaje.

    Cada ejemplo es ``x = ids[i : i + seq_len]`` y ``y = ids[i + 1 : i + seq_len + 1]``: el
    objetivo en cada posición es **el token siguiente**. Las ventanas empiezan cada ``stride``
    tokens (por defecto ``seq_len``: sin solaparse, así cada token es objetivo una sola vez);
    los tokens que no llenan una ventana al final se descartan.

    Args:
        ids: secuencia 1-D de índices enteros (lista, array de NumPy o tensor).
        seq_len: longitud de cada ventana (≥ 1).
        stride: distancia entre el inicio de dos ventanas consecutivas (≥ 1).

    Returns:
        ``TensorDataset`` con dos tensores ``long`` de forma ``[n_ventanas, seq_len]``.

    Ejemplo:
        >>> ds = make_lm_windows([5, 6, 7, 8, 9, 10, 11], seq_len=3)
        >>> ds.tensors[0].tolist(), ds.tensors[1].tolist()
        ([[5, 6, 7], [8, 9, 10]], [[6, 7, 8], [9, 10, 11]])
        >>> len(make_lm_windows(list(range(7)), seq_len=3, stride=1))
        4
    """
    seq_len = check_int(seq_len, "seq_len")
    stride = seq_len if stride is None else check_int(stride, "stride")
    if isinstance(ids, str):
        raise TypeError("ids debe ser una secuencia de índices, no un texto: codifícalo antes.")
    if isinstance(ids, Tensor):
        tensor = ids.detach().cpu()
    else:
        try:
            tensor = torch.as_tensor(np.asarray(ids))
        except (TypeError, ValueError) as err:
            raise TypeError(f"ids debe ser una secuencia de índices enteros ({err}).") from err
    if tensor.dim() != 1:
        raise ValueError(
            f"ids debe ser 1-D (todo el texto como una sola secuencia); tiene forma "
            f"{tuple(tensor.shape)}. Concaténalo antes, p. ej. con np.concatenate."
        )
    if len(tensor) < seq_len + 1:
        raise ValueError(
            f"La secuencia tiene {len(tensor)} tokens: hacen falta al menos seq_len + 1 = "
            f"{seq_len + 1} para formar una ventana (entrada y objetivo desplazado)."
        )
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(f"ids debe contener índices enteros; es de tipo {tensor.dtype}.")
    if int(tensor.min()) < 0:
        raise ValueError("ids contiene índices negativos.")
    tensor = tensor.long()
    starts = torch.arange(0, len(tensor) - seq_len, stride)  # [n_ventanas]
    offsets = torch.arange(seq_len)  # [seq_len]
    index = starts[:, None] + offsets[None, :]  # [n_ventanas, seq_len]
    x = tensor[index]  # x: [n_ventanas, seq_len]
    y = tensor[index + 1]  # y: [n_ventanas, seq_len], desplazado una posición
    return TensorDataset(x, y)


# ---------------------------------------------------------------------------------------------
# El modelo
# ---------------------------------------------------------------------------------------------


class RNNLanguageModel(nn.Module):
    """Modelo de lenguaje recurrente: *embedding* → RNN/LSTM/GRU → *logits* del siguiente token.

    Args:
        vocab_size: tamaño del vocabulario (V).
        emb_dim: dimensión de los *embeddings* (E).
        hidden: tamaño del estado oculto (H).
        cell: ``"rnn"`` (Elman, tanh), ``"lstm"`` o ``"gru"``.
        layers: capas recurrentes apiladas.
        dropout: *dropout* sobre los *embeddings*, entre capas y a la salida de la RNN.
        tie_weights: si es ``True``, la capa de salida **comparte** la matriz del *embedding*
            (Press y Wolf, 2017): una proyección lineal lleva el estado de H a E dimensiones y
            el *logit* de cada palabra es el producto con su vector de entrada. Ahorra
            ``V × H`` parámetros y suele bajar la perplejidad con pocos datos.

    ``forward(x)`` devuelve ``logits: [batch, seq_len, V]`` (lo que ``utils.train.fit``
    necesita con ``loss_fn=sequence_cross_entropy()``); con ``return_state=True`` devuelve
    también el estado final. :meth:`step_fn` sigue el contrato de ``utils.decoding``. El estado
    tiene la dimensión de lote en la posición 1 (``h: [layers, batch, H]``, y ``(h, c)`` en la
    LSTM), que es lo que ``beam_search`` espera por defecto.

    Ejemplo:
        >>> model = RNNLanguageModel(vocab_size=50, emb_dim=16, hidden=32, cell="lstm")
        >>> x = torch.randint(0, 50, (4, 7))                # x: [batch, seq_len]
        >>> model(x).shape                                   # logits: [batch, seq_len, vocab]
        torch.Size([4, 7, 50])
        >>> logits, state = model.step_fn(x, None)           # el prefijo entero la primera vez
        >>> logits.shape, state[0].shape                     # h: [capas, batch, hidden]
        (torch.Size([4, 50]), torch.Size([1, 4, 32]))
    """

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int = 128,
        hidden: int = 256,
        cell: str = "lstm",
        layers: int = 1,
        dropout: float = 0.0,
        tie_weights: bool = False,
    ) -> None:
        super().__init__()
        vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
        emb_dim = check_int(emb_dim, "emb_dim")
        hidden = check_int(hidden, "hidden")
        layers = check_int(layers, "layers")
        if not isinstance(cell, str) or cell.lower() not in CELLS:
            raise ValueError(f"cell debe ser una de {list(CELLS)}; se recibió {cell!r}.")
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not (0.0 <= dropout < 1.0)
        ):
            raise ValueError(f"dropout debe estar en [0, 1); se recibió {dropout!r}.")
        self.cell = cell.lower()
        self.vocab_size, self.emb_dim = vocab_size, emb_dim
        self.hidden, self.layers = hidden, layers
        self.emb = nn.Embedding(vocab_size, emb_dim)
        self.rnn = CELLS[self.cell](
            emb_dim,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.tie_weights = bool(tie_weights)
        if self.tie_weights:
            self.proj: nn.Module = nn.Linear(hidden, emb_dim)  # H → E
            self.fc = nn.Linear(emb_dim, vocab_size)
            self.fc.weight = self.emb.weight  # la misma matriz [V, E] a la entrada y a la salida
        else:
            self.proj = nn.Identity()
            self.fc = nn.Linear(hidden, vocab_size)

    def forward(
        self, x: Tensor, state: Any = None, return_state: bool = False
    ) -> Tensor | tuple[Tensor, Any]:
        """``x: [batch, seq_len]`` → ``logits: [batch, seq_len, vocab]`` (y el estado final)."""
        if not isinstance(x, Tensor) or x.dim() != 2:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(
                f"x debe ser un tensor de índices [batch, seq_len]; se recibió {shape}."
            )
        emb = self.drop(self.emb(x))  # emb: [batch, seq_len, E]
        out, state = self.rnn(emb, state)  # out: [batch, seq_len, H]
        logits = self.fc(self.proj(self.drop(out)))  # logits: [batch, seq_len, V]
        return (logits, state) if return_state else logits

    def step_fn(self, tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Función de paso para ``utils.decoding``: ``(tokens [B, t], state) -> (logits [B, V], state)``.

        La primera vez (``state=None``) procesa el prefijo entero; después, solo el último token.
        """
        x = tokens if state is None else tokens[:, -1:]  # x: [B, t] o [B, 1]
        logits, state = self(x, state, return_state=True)
        return logits[:, -1], state  # logits del token siguiente: [B, V]

    def extra_repr(self) -> str:
        return f"cell={self.cell!r}, tie_weights={self.tie_weights}"


# ---------------------------------------------------------------------------------------------
# Generación
# ---------------------------------------------------------------------------------------------


def generate(
    model: RNNLanguageModel | nn.Module,
    prompt: Sequence[int] | Tensor,
    max_new_tokens: int,
    strategy: str = "greedy",
    device: torch.device | str | None = None,
    banned_ids: Sequence[int] = (),
    **kwargs: Any,
) -> list[int]:
    """Genera la continuación de ``prompt`` con ``model.step_fn`` y una estrategia de ``utils.decoding``.

    - ``"greedy"``: el token más probable en cada paso (:func:`utils.decoding.greedy_decode`).
    - ``"beam"``: búsqueda en haz (:func:`utils.decoding.beam_search`; p. ej. ``beam_size=5``).
    - ``"sample"``: muestreo (:func:`utils.decoding.sample`; ``temperature``, ``top_k``,
      ``top_p``, ``generator``).

    Los ``kwargs`` se pasan tal cual (``eos_id``, ``beam_size``, ``temperature``…).
    ``banned_ids`` son índices que no se generan nunca (su *logit* pasa a ``-inf``), p. ej.
    ``[vocab.unk_id, vocab.pad_id]``. Pone el modelo en modo evaluación y, si ``device`` es
    ``None``, usa el dispositivo del modelo. Devuelve solo los índices nuevos, sin el *prompt*.

    **Contexto máximo.** Si el modelo tiene un atributo ``block_size`` (un Transformer con
    posiciones aprendidas, como ``utils.gpt.GPT``), un *prompt* más largo que ``block_size`` es
    un error, y al generar más allá del contexto ``step_fn`` recibe solo los últimos
    ``block_size`` tokens (ventana deslizante). Las redes recurrentes no tienen ese límite.

    Ejemplo:
        >>> model = RNNLanguageModel(vocab_size=20, emb_dim=8, hidden=8)
        >>> g = torch.Generator().manual_seed(0)
        >>> len(generate(model, [3, 4], 6, strategy="sample", temperature=0.8, generator=g))
        6
    """
    if not hasattr(model, "step_fn"):
        raise TypeError(
            "model debe tener un método step_fn(tokens, state) (p. ej. RNNLanguageModel)."
        )
    if not isinstance(strategy, str) or strategy not in _STRATEGIES:
        raise ValueError(f"strategy debe ser una de {list(_STRATEGIES)}; se recibió {strategy!r}.")
    if device is None:
        device = model_device(model)
    banned = [int(i) for i in banned_ids]
    base_step = model.step_fn
    block_size = getattr(model, "block_size", None)
    if block_size is not None:
        block_size = check_int(block_size, "model.block_size")
        prompt_len = prompt.shape[-1] if isinstance(prompt, Tensor) else len(prompt)
        if prompt_len > block_size:
            raise ValueError(
                f"El prompt tiene {prompt_len} tokens y el contexto del modelo es de "
                f"{block_size}: acórtalo (p. ej. quédate con los últimos {block_size} tokens)."
            )

        def base_step(tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
            return model.step_fn(tokens[:, -block_size:], state)  # tokens: [B, ≤ block_size]

    step_fn = base_step
    if banned:

        def step_fn(tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
            logits, state = base_step(tokens, state)
            if max(banned) >= logits.shape[-1] or min(banned) < 0:
                raise ValueError(
                    f"banned_ids contiene índices fuera del vocabulario (0…{logits.shape[-1] - 1})."
                )
            logits = logits.clone()
            logits[..., banned] = float("-inf")
            return logits, state

    model.eval()
    decoder = {"greedy": greedy_decode, "beam": beam_search, "sample": sample}[strategy]
    return decoder(step_fn, prompt, max_new_tokens, device=device, **kwargs)
