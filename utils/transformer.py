"""Las piezas del Transformer (Vaswani et al., 2017), escritas a la vista en el cuaderno 7a.

El cuaderno 7a las construye paso a paso y comprueba que calculan lo mismo que PyTorch; aquí
quedan reunidas para que 7b (el traductor), el cuaderno de BERT y el GPT de la clase 8 las
importen sin copiarlas:

- :func:`scaled_dot_product_attention`: ``softmax(QKᵀ/√d_k)·V`` con máscara; una fila sin
  ninguna posición permitida da pesos 0 (y salida 0), **nunca NaN**.
- :func:`causal_mask` y :func:`padding_mask`: las dos máscaras, con la convención de
  ``F.scaled_dot_product_attention``: ``True`` = se puede mirar, ``False`` = prohibido.
  Ambas tienen 4 dimensiones ``[batch, cabezas, T_q, T_k]`` (con 1 donde se difunde), así
  una máscara de relleno nunca se difunde por el eje equivocado.
- :class:`MultiHeadAttention`: proyecciones ``W_Q, W_K, W_V`` → ``h`` cabezas → concatenar →
  ``W_O``. Con ``use_cache=True`` devuelve las claves y valores para generar token a token
  (*KV cache*, lo usa el GPT de la clase 8). :meth:`MultiHeadAttention.to_torch` copia los
  pesos a un ``nn.MultiheadAttention`` equivalente.
- :class:`PositionalEncoding`: codificación posicional sinusoidal.
- :class:`FeedForward`: la red posición a posición ``W_2·act(W_1·x)``.
- :class:`EncoderBlock` y :class:`DecoderBlock`: autoatención (enmascarada en el
  decodificador), atención cruzada (solo decodificador) y *feed-forward*, cada una con
  conexión residual y ``LayerNorm`` antes (``norm_first=True``, *pre-LN*) o después
  (``norm_first=False``, *post-LN*, como el artículo original).

Convención de formas: ``B`` lote, ``T`` longitud, ``D = d_model``, ``H`` cabezas,
``d_k = D / H``. Todas las entradas son ``batch_first`` (``[B, T, D]``).

Ejemplo::

    enc = EncoderBlock(d_model=64, num_heads=4, d_ff=256)
    x = PositionalEncoding(64)(torch.randn(2, 5, 64))            # x: [2, 5, 64]
    mask = padding_mask(torch.tensor([[5, 6, 7, 0, 0], [4, 5, 6, 7, 8]]), pad_id=0)
    y = enc(x, mask)                                              # y: [2, 5, 64]
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_int

__all__ = [
    "DecoderBlock",
    "EncoderBlock",
    "FeedForward",
    "KVCache",
    "MultiHeadAttention",
    "PositionalEncoding",
    "causal_mask",
    "padding_mask",
    "scaled_dot_product_attention",
]

#: Claves y valores ya calculados de una capa: ``(K, V)``, cada uno ``[B, H, T_pasado, d_k]``.
KVCache = tuple[Tensor, Tensor]


# ---------------------------------------------------------------------------------------------
# Comprobaciones
# ---------------------------------------------------------------------------------------------
def _check_dropout(p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ValueError(f"dropout debe ser un número en [0, 1); se recibió {p!r}.")
    return float(p)


def _check_tensor(x: object, name: str, dims: int) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} debe ser un tensor; se recibió {type(x).__name__}.")
    if x.dim() != dims:
        raise ValueError(
            f"{name} debe tener {dims} dimensiones; tiene forma {tuple(x.shape)}. "
            "Las entradas son [batch, seq_len, d_model]; para una sola oración usa x.unsqueeze(0)."
        )
    return x


def _check_mask(mask: Tensor, scores_shape: torch.Size) -> None:
    """La máscara debe ser booleana, con las mismas dimensiones que las puntuaciones y cada
    tamaño igual al de las puntuaciones o 1 (difusión explícita, nunca por el eje equivocado)."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"mask debe ser un tensor booleano; se recibió {type(mask).__name__}.")
    if mask.dtype != torch.bool:
        raise TypeError(
            f"mask debe ser booleana (True = se puede mirar); es de tipo {mask.dtype}. "
            "Usa padding_mask() o causal_mask(), o conviértela con mask.bool()."
        )
    expected = "[" + ", ".join(str(s) for s in scores_shape) + "]"
    ok = mask.dim() == len(scores_shape) and all(
        m in (1, s) for m, s in zip(mask.shape, scores_shape, strict=True)
    )
    if not ok or mask.shape[-1] != scores_shape[-1]:
        raise ValueError(
            f"La máscara tiene forma {tuple(mask.shape)} y no encaja con las puntuaciones de "
            f"atención {expected} ([batch, cabezas, T_q, T_k]): debe tener "
            f"{len(scores_shape)} dimensiones, la última igual a T_k={scores_shape[-1]} y las "
            "demás iguales o 1. Una máscara de relleno es [batch, 1, 1, T_k] (padding_mask) y "
            "una causal [1, 1, T_q, T_k] (causal_mask)."
        )


# ---------------------------------------------------------------------------------------------
# Máscaras
# ---------------------------------------------------------------------------------------------
def causal_mask(
    t_q: int, t_k: int | None = None, device: torch.device | str | None = None
) -> Tensor:
    """Máscara causal (*look-ahead*) ``[1, 1, t_q, t_k]``: la consulta ``i`` ve las claves ``≤ i``.

    Con ``t_k > t_q`` (generación con *KV cache*: ``t_k - t_q`` claves ya calculadas antes de
    las ``t_q`` consultas nuevas) la consulta ``i`` es la posición ``t_k - t_q + i`` y ve todo
    lo anterior a ella, incluidas las claves del pasado.

    Ejemplo:
        >>> causal_mask(3)[0, 0].int().tolist()
        [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
        >>> causal_mask(1, 3)[0, 0].int().tolist()   # un token nuevo tras 2 del pasado
        [[1, 1, 1]]
    """
    check_int(t_q, "t_q")
    t_k = t_q if t_k is None else check_int(t_k, "t_k")
    if t_k < t_q:
        raise ValueError(
            f"t_k ({t_k}) no puede ser menor que t_q ({t_q}): cada consulta es también una clave."
        )
    allowed = torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril(diagonal=t_k - t_q)
    return allowed[None, None]  # [1, 1, t_q, t_k]


def padding_mask(ids: Tensor, pad_id: int = 0) -> Tensor:
    """Máscara de relleno ``[B, 1, 1, T]`` a partir de los índices ``[B, T]``: ``True`` = token real.

    Tiene 4 dimensiones para que se difunda sobre las cabezas y las consultas, y **no** sobre
    el lote: con una máscara ``[B, T]`` pegada a puntuaciones ``[B, H, T_q, T_k]`` PyTorch
    alinearía ``B`` con ``T_q`` sin avisar (si coinciden los tamaños).

    Ejemplo:
        >>> padding_mask(torch.tensor([[5, 6, 0], [7, 0, 0]]))[:, 0, 0].int().tolist()
        [[1, 1, 0], [1, 0, 0]]
    """
    if not isinstance(ids, Tensor) or ids.dim() != 2 or ids.is_floating_point():
        shape = tuple(ids.shape) if isinstance(ids, Tensor) else type(ids).__name__
        raise ValueError(f"ids debe ser un tensor de índices [batch, seq_len]; se recibió {shape}.")
    return (ids != pad_id)[:, None, None, :]  # [B, 1, 1, T]


# ---------------------------------------------------------------------------------------------
# Atención de producto escalar escalado
# ---------------------------------------------------------------------------------------------
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None = None,
    dropout_p: float = 0.0,
    training: bool = False,
) -> tuple[Tensor, Tensor]:
    """``softmax(Q·Kᵀ/√d_k)·V`` con máscara; devuelve ``(salida, pesos)``.

    - ``query``: ``[..., T_q, d_k]``; ``key``: ``[..., T_k, d_k]``; ``value``: ``[..., T_k, d_v]``.
    - ``mask`` (opcional): booleana, mismas dimensiones que las puntuaciones
      ``[..., T_q, T_k]`` (cada tamaño igual o 1); ``True`` = se puede mirar.
    - Devuelve ``salida [..., T_q, d_v]`` y ``pesos [..., T_q, T_k]`` (cada fila suma 1, o 0 si
      la máscara no deja mirar nada: esa fila da salida 0 en vez de NaN).

    Ejemplo:
        >>> q = torch.tensor([[[1.0, 0.0]]])                      # q: [1, T_q=1, 2]
        >>> k = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])          # k: [1, T_k=2, 2]
        >>> v = torch.tensor([[[10.0], [20.0]]])                  # v: [1, 2, 1]
        >>> out, w = scaled_dot_product_attention(q, k, v)
        >>> [round(x, 3) for x in w[0, 0].tolist()], round(out.item(), 2)
        ([0.67, 0.33], 13.3)
        >>> mask = torch.tensor([[[False, False]]])               # nada permitido
        >>> out, w = scaled_dot_product_attention(q, k, v, mask)
        >>> w.tolist(), out.tolist()
        ([[[0.0, 0.0]]], [[[0.0]]])
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.dim() < 2:
            raise ValueError(f"{name} debe ser un tensor [..., seq_len, dim].")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query y key deben tener la misma última dimensión d_k; tienen {query.shape[-1]} "
            f"y {key.shape[-1]}."
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"key y value deben tener la misma longitud T_k; tienen {key.shape[-2]} y "
            f"{value.shape[-2]}."
        )
    d_k = query.shape[-1]
    scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)  # scores: [..., T_q, T_k]
    if mask is not None:
        _check_mask(mask, scores.shape)
        scores = scores.masked_fill(~mask, float("-inf"))
        # Una fila sin ninguna clave permitida sería softmax(-inf, ..., -inf) = NaN: se pone a 0
        # antes de la softmax y sus pesos se anulan después.
        empty_row = ~mask.any(dim=-1, keepdim=True)  # empty_row: [..., T_q, 1]
        scores = scores.masked_fill(empty_row, 0.0)
    weights = torch.softmax(scores, dim=-1)  # weights: [..., T_q, T_k]
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    if dropout_p > 0.0 and training:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ value, weights  # salida: [..., T_q, d_v]


# ---------------------------------------------------------------------------------------------
# Atención multi-cabeza
# ---------------------------------------------------------------------------------------------
class MultiHeadAttention(nn.Module):
    """Atención multi-cabeza: ``W_O · concat(cabeza_1, ..., cabeza_H)``.

    Cada cabeza ``i`` es ``attention(Q·W_Q_i, K·W_K_i, V·W_V_i)`` con ``d_k = d_model / H``;
    las ``H`` cabezas se calculan juntas partiendo las proyecciones ``W_Q, W_K, W_V``
    (``d_model → d_model``) en ``H`` trozos.

    ``forward(query, key=None, value=None, mask=None, past_kv=None, use_cache=False)``:

    - ``query``: ``[B, T_q, D]``; ``key``/``value``: ``[B, T_k, D]`` (por defecto, ``query``:
      autoatención). En atención cruzada, ``key = value = memoria`` del codificador.
    - ``mask``: ``[B o 1, H o 1, T_q, T_k]`` booleana (``True`` = se puede mirar), p. ej.
      :func:`padding_mask` o :func:`causal_mask`.
    - ``past_kv``: ``(K, V)`` de las posiciones anteriores (``[B, H, T_pasado, d_k]``), que se
      concatenan delante de las nuevas: ``T_k = T_pasado + T_nuevo``.
    - Devuelve ``(salida [B, T_q, D], pesos [B, H, T_q, T_k])``; con ``use_cache=True``,
      ``(salida, pesos, (K, V))`` con las claves y valores completos para el paso siguiente.

    Los pesos de la última llamada quedan además en ``self.last_weights`` (sin gradiente),
    para dibujar mapas de atención por cabeza.

    Ejemplo:
        >>> mha = MultiHeadAttention(d_model=8, num_heads=2)
        >>> x = torch.randn(3, 5, 8)                              # x: [B=3, T=5, D=8]
        >>> out, w = mha(x, mask=causal_mask(5))
        >>> tuple(out.shape), tuple(w.shape)
        ((3, 5, 8), (3, 2, 5, 5))
        >>> MultiHeadAttention(d_model=10, num_heads=4)
        Traceback (most recent call last):
        ...
        ValueError: d_model (10) debe ser divisible por num_heads (4): cada cabeza recibe d_model / num_heads dimensiones.
    """

    def __init__(
        self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True
    ) -> None:
        super().__init__()
        check_int(d_model, "d_model")
        check_int(num_heads, "num_heads")
        if d_model % num_heads:
            raise ValueError(
                f"d_model ({d_model}) debe ser divisible por num_heads ({num_heads}): cada "
                "cabeza recibe d_model / num_heads dimensiones."
            )
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.dropout = _check_dropout(dropout)
        self.W_Q = nn.Linear(d_model, d_model, bias=bias)
        self.W_K = nn.Linear(d_model, d_model, bias=bias)
        self.W_V = nn.Linear(d_model, d_model, bias=bias)
        self.W_O = nn.Linear(d_model, d_model, bias=bias)
        self.last_weights: Tensor | None = None

    def _split(self, x: Tensor) -> Tensor:
        b, t, _ = x.shape  # x: [B, T, D]
        return x.view(b, t, self.num_heads, self.d_k).transpose(1, 2)  # [B, H, T, d_k]

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        mask: Tensor | None = None,
        past_kv: KVCache | None = None,
        use_cache: bool = False,
    ) -> tuple[Tensor, Tensor] | tuple[Tensor, Tensor, KVCache]:
        key = query if key is None else key
        value = key if value is None else value
        for name, t in (("query", query), ("key", key), ("value", value)):
            _check_tensor(t, name, 3)
            if t.shape[-1] != self.d_model:
                raise ValueError(
                    f"{name} tiene {t.shape[-1]} dimensiones por token y el módulo espera "
                    f"d_model={self.d_model}."
                )
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(
                f"Formas incompatibles: query {tuple(query.shape)}, key {tuple(key.shape)}, "
                f"value {tuple(value.shape)} (mismo batch; key y value, misma longitud)."
            )
        b, t_q, _ = query.shape
        q = self._split(self.W_Q(query))  # q: [B, H, T_q, d_k]
        k = self._split(self.W_K(key))  # k: [B, H, T_nuevo, d_k]
        v = self._split(self.W_V(value))  # v: [B, H, T_nuevo, d_k]
        if past_kv is not None:
            past_k, past_v = past_kv
            if past_k.shape[:2] != (b, self.num_heads) or past_k.shape[-1] != self.d_k:
                raise ValueError(
                    f"past_kv tiene claves de forma {tuple(past_k.shape)}; se esperaba "
                    f"[{b}, {self.num_heads}, T_pasado, {self.d_k}]."
                )
            k = torch.cat([past_k, k], dim=2)  # k: [B, H, T_pasado + T_nuevo, d_k]
            v = torch.cat([past_v, v], dim=2)
        out, weights = scaled_dot_product_attention(
            q, k, v, mask, dropout_p=self.dropout, training=self.training
        )  # out: [B, H, T_q, d_k]; weights: [B, H, T_q, T_k]
        self.last_weights = weights.detach()
        out = out.transpose(1, 2).reshape(b, t_q, self.d_model)  # concat de cabezas: [B, T_q, D]
        out = self.W_O(out)  # out: [B, T_q, D]
        if use_cache:
            return out, weights, (k, v)
        return out, weights

    def to_torch(self) -> nn.MultiheadAttention:
        """Un ``nn.MultiheadAttention(batch_first=True)`` con los mismos pesos (para comparar).

        Ojo con la convención de máscaras de PyTorch en ese módulo: ``True`` = **prohibido**
        (al revés que aquí): pásale ``attn_mask=~mask`` o ``key_padding_mask=~mask``.
        """
        bias = self.W_Q.bias is not None
        ref = nn.MultiheadAttention(
            self.d_model, self.num_heads, dropout=self.dropout, bias=bias, batch_first=True
        )
        ref = ref.to(self.W_Q.weight.device, self.W_Q.weight.dtype)
        with torch.no_grad():
            ref.in_proj_weight.copy_(
                torch.cat([self.W_Q.weight, self.W_K.weight, self.W_V.weight], dim=0)
            )
            ref.out_proj.weight.copy_(self.W_O.weight)
            if bias:
                ref.in_proj_bias.copy_(torch.cat([self.W_Q.bias, self.W_K.bias, self.W_V.bias]))
                ref.out_proj.bias.copy_(self.W_O.bias)
        return ref.train(self.training)


# ---------------------------------------------------------------------------------------------
# Codificación posicional y feed-forward
# ---------------------------------------------------------------------------------------------
class PositionalEncoding(nn.Module):
    """Codificación posicional sinusoidal: suma ``PE[pos]`` a cada *embedding*.

    ``PE[pos, 2i] = sin(pos / 10000^(2i/D))`` y ``PE[pos, 2i+1] = cos(pos / 10000^(2i/D))``.
    La tabla ``pe`` (``[max_len, D]``) es un *buffer*: no se entrena y viaja con el modelo.
    ``forward(x, offset=0)`` suma las posiciones ``offset, ..., offset + T - 1`` (el
    ``offset`` sirve al generar con *KV cache*, cuando llega un solo token nuevo).

    Ejemplo:
        >>> pe = PositionalEncoding(d_model=4, max_len=10)
        >>> pe.pe[0].tolist()                                    # posición 0: sin 0, cos 0
        [0.0, 1.0, 0.0, 1.0]
        >>> tuple(pe(torch.zeros(2, 3, 4)).shape)
        (2, 3, 4)
    """

    def __init__(self, d_model: int, max_len: int = 512, dropout: float = 0.0) -> None:
        super().__init__()
        check_int(d_model, "d_model")
        self.max_len = check_int(max_len, "max_len")
        position = torch.arange(max_len, dtype=torch.float32)[:, None]  # [max_len, 1]
        div = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)  # pe: [max_len, D]
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div[: d_model // 2])
        self.register_buffer("pe", pe, persistent=False)
        self.dropout = nn.Dropout(_check_dropout(dropout))

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        _check_tensor(x, "x", 3)
        t = x.shape[1]
        if offset < 0 or offset + t > self.max_len:
            raise ValueError(
                f"Las posiciones {offset}..{offset + t - 1} no caben en max_len={self.max_len}: "
                "crea PositionalEncoding con un max_len mayor."
            )
        if x.shape[-1] != self.pe.shape[-1]:
            raise ValueError(
                f"x tiene {x.shape[-1]} dimensiones por token y la codificación posicional "
                f"{self.pe.shape[-1]}."
            )
        return self.dropout(x + self.pe[offset : offset + t])  # [B, T, D]


class FeedForward(nn.Module):
    """Red posición a posición: ``W_2 · dropout(act(W_1 · x))``, ``D → d_ff → D``.

    Se aplica igual e independientemente a cada token (es una capa densa sobre la última
    dimensión). ``activation``: ``"relu"`` (artículo original) o ``"gelu"`` (BERT, GPT).

    Ejemplo:
        >>> tuple(FeedForward(8, 32)(torch.randn(2, 5, 8)).shape)
        (2, 5, 8)
    """

    def __init__(
        self,
        d_model: int,
        d_ff: int,
        dropout: float = 0.0,
        activation: Literal["relu", "gelu"] = "relu",
    ) -> None:
        super().__init__()
        check_int(d_model, "d_model")
        check_int(d_ff, "d_ff")
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation debe ser 'relu' o 'gelu'; se recibió {activation!r}.")
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.activation = nn.ReLU() if activation == "relu" else nn.GELU()
        self.dropout = nn.Dropout(_check_dropout(dropout))

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))  # [B, T, D]


# ---------------------------------------------------------------------------------------------
# Bloques
# ---------------------------------------------------------------------------------------------
def _residual(x: Tensor, sublayer, norm: nn.LayerNorm, dropout: nn.Dropout, norm_first: bool):
    """Conexión residual + LayerNorm: pre-LN ``x + Drop(f(LN(x)))``; post-LN ``LN(x + Drop(f(x)))``."""
    if norm_first:
        return x + dropout(sublayer(norm(x)))
    return norm(x + dropout(sublayer(x)))


class _Block(nn.Module):
    """Lo común a los dos bloques: autoatención (con caché) y feed-forward, con residuales."""

    _cross_attention: bool  # el decodificador añade atención cruzada (y un tercer LayerNorm)

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        norm_first: bool = True,
        activation: Literal["relu", "gelu"] = "relu",
    ) -> None:
        super().__init__()
        dropout = _check_dropout(dropout)
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        if self._cross_attention:
            self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        for i in range(1, 4 if self._cross_attention else 3):
            self.add_module(f"norm{i}", nn.LayerNorm(d_model))
            self.add_module(f"dropout{i}", nn.Dropout(dropout))

    def _self_attention(
        self, x: Tensor, mask: Tensor | None, past_kv: KVCache | None
    ) -> tuple[Tensor, KVCache]:
        present: list[KVCache] = []

        def attend(h: Tensor) -> Tensor:
            out, _, kv = self.self_attn(h, mask=mask, past_kv=past_kv, use_cache=True)
            present.append(kv)
            return out  # out: [B, T, D]

        x = _residual(x, attend, self.norm1, self.dropout1, self.norm_first)
        return x, present[0]

    def _feed_forward(self, x: Tensor, norm: nn.LayerNorm, dropout: nn.Dropout) -> Tensor:
        return _residual(x, self.ff, norm, dropout, self.norm_first)  # [B, T, D]


class EncoderBlock(_Block):
    """Bloque del codificador: autoatención multi-cabeza + *feed-forward*, con residuales.

    - ``norm_first=True`` (*pre-LN*): ``x = x + Drop(MHA(LN(x)))``;
      ``x = x + Drop(FFN(LN(x)))``. Estable sin *warm-up*; el modelo completo necesita un
      ``LayerNorm`` final tras el último bloque.
    - ``norm_first=False`` (*post-LN*, artículo original): ``x = LN(x + Drop(MHA(x)))``;
      ``x = LN(x + Drop(FFN(x)))``.

    Con una máscara causal es también el bloque de un modelo solo-decodificador (GPT):
    ``forward(x, mask=None, past_kv=None, use_cache=False)`` devuelve ``x [B, T, D]``, o
    ``(x, (K, V))`` con ``use_cache=True``. Los submódulos se llaman como en
    ``nn.TransformerEncoderLayer`` (``self_attn``, ``ff.linear1``, ``norm1``, ``norm2``).

    Ejemplo:
        >>> block = EncoderBlock(d_model=8, num_heads=2, d_ff=16)
        >>> tuple(block(torch.randn(2, 4, 8)).shape)
        (2, 4, 8)
    """

    _cross_attention = False

    def forward(
        self,
        x: Tensor,
        mask: Tensor | None = None,
        past_kv: KVCache | None = None,
        use_cache: bool = False,
    ) -> Tensor | tuple[Tensor, KVCache]:
        _check_tensor(x, "x", 3)
        x, present = self._self_attention(x, mask, past_kv)  # x: [B, T, D]
        x = self._feed_forward(x, self.norm2, self.dropout2)
        return (x, present) if use_cache else x


class DecoderBlock(_Block):
    """Bloque del decodificador: autoatención enmascarada, atención cruzada y *feed-forward*.

    ``forward(x, memory, self_mask=None, memory_mask=None, past_kv=None, use_cache=False)``:

    - ``x``: ``[B, T, D]`` (la salida desplazada); ``memory``: ``[B, S, D]`` (el codificador).
    - ``self_mask``: normalmente ``causal_mask(T)`` (y el relleno del destino, combinados con
      ``&``); ``memory_mask``: ``padding_mask(src)`` ``[B, 1, 1, S]``.
    - Devuelve ``x [B, T, D]`` (o ``(x, (K, V))`` de la autoatención con ``use_cache=True``).
      Los pesos de la atención cruzada de la última llamada están en
      ``self.cross_attn.last_weights`` (``[B, H, T, S]``).

    Pre-LN / post-LN como en :class:`EncoderBlock`; nombres como en
    ``nn.TransformerDecoderLayer`` (``self_attn``, ``cross_attn``, ``norm1..3``).

    Ejemplo:
        >>> block = DecoderBlock(d_model=8, num_heads=2, d_ff=16)
        >>> tuple(block(torch.randn(2, 4, 8), torch.randn(2, 6, 8), causal_mask(4)).shape)
        (2, 4, 8)
    """

    _cross_attention = True

    def forward(
        self,
        x: Tensor,
        memory: Tensor,
        self_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        past_kv: KVCache | None = None,
        use_cache: bool = False,
    ) -> Tensor | tuple[Tensor, KVCache]:
        _check_tensor(x, "x", 3)
        _check_tensor(memory, "memory", 3)
        # 1) autoatención enmascarada: cada posición mira solo las anteriores
        x, present = self._self_attention(x, self_mask, past_kv)  # x: [B, T, D]

        # 2) atención cruzada: consultas del decodificador, claves y valores del codificador
        def cross(h: Tensor) -> Tensor:
            return self.cross_attn(h, memory, memory, mask=memory_mask)[0]  # [B, T, D]

        x = _residual(x, cross, self.norm2, self.dropout2, self.norm_first)
        # 3) feed-forward posición a posición
        x = self._feed_forward(x, self.norm3, self.dropout3)
        return (x, present) if use_cache else x
