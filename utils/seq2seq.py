"""Modelos secuencia a secuencia (*seq2seq*) con y sin atención de Luong.

Las piezas que los cuadernos 6a y 6b escriben a la vista, reunidas aquí para que el bot
conversacional (6c) y el desafío 6 las reutilicen sin copiarlas:

- :class:`Encoder`: *embedding* + GRU que lee la oración de origen (con secuencias
  empaquetadas, así el relleno no cuenta).
- :class:`Decoder`: el decodificador **sin atención**: arranca del último estado oculto del
  codificador, todo lo que sabe de la entrada es ese vector.
- :class:`LuongAttention`: puntuaciones ``dot``, ``general`` o ``concat`` (Luong et al., 2015,
  https://arxiv.org/abs/1508.04025) → *softmax* con máscara → vector de contexto.
- :class:`AttnDecoder`: el decodificador **con atención global** de Luong (sin *input
  feeding*): en cada paso mira todas las salidas del codificador,
  ``h̃_t = tanh(W_c [c_t; h_t])`` y predice desde ``h̃_t``.
- :class:`Seq2Seq`: une codificador y decodificador; ``forward`` hace *teacher forcing*
  (``model(src, src_lengths, tgt_in) → logits [B, T, V]``) y :meth:`Seq2Seq.step_fn` es la
  función de paso de ``utils.decoding`` (greedy, beam search, muestreo).
- :func:`teacher_forcing_loss`: el ``compute_loss`` de ``utils.train.fit`` para lotes
  ``(src, src_lengths, tgt_in, tgt_out)`` de ``make_seq2seq_collate(shift_target=True)``.
- :func:`translate`: de textos a los tokens generados, con greedy o beam search
  (``utils.text.detokenize`` los vuelve texto, también para calcular BLEU).
- :func:`reversal_task`: la tarea de juguete de 6a (invertir secuencias de dígitos), con una
  prueba sin secuencias de entrenamiento; 6b la usa para el experimento controlado con y sin
  atención.

Ejemplo::

    model = Seq2Seq(Encoder(len(src_vocab), 128, 128, bidirectional=True),
                    AttnDecoder(len(tgt_vocab), 128, 128, score="general"))
    fit(model, train_loader, compute_loss=teacher_forcing_loss(pad_id=0), epochs=10)
    tokens = translate(model, ["En el principio crió Dios los cielos"], src_vocab, tgt_vocab)
    detokenize(tokens[0])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ._checks import check_int
from .decoding import beam_search, greedy_decode
from .device import model_device
from .text import Vocab, tokenize

__all__ = [
    "AttnDecoder",
    "Decoder",
    "Encoder",
    "LuongAttention",
    "Seq2Seq",
    "reversal_task",
    "teacher_forcing_loss",
    "translate",
]

Score = Literal["dot", "general", "concat"]
#: Estado de decodificación: (h [1, B, H], salidas del codificador [B, S, H], máscara [B, S]).
State = tuple[Tensor, Tensor, Tensor]


def _check_ids(x: Tensor, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} debe ser un tensor de índices; se recibió {type(x).__name__}.")
    if x.dim() != 2:
        raise ValueError(
            f"{name} debe tener forma [batch, seq_len]; tiene {tuple(x.shape)}. "
            "Para una sola oración usa x.unsqueeze(0)."
        )
    if x.is_floating_point():
        raise TypeError(f"{name} debe contener índices enteros; es de tipo {x.dtype}.")


# ---------------------------------------------------------------------------------------------
# Codificador
# ---------------------------------------------------------------------------------------------
class Encoder(nn.Module):
    """Codificador: *embedding* + GRU de una capa sobre la oración de origen.

    Con ``bidirectional=True`` usa dos GRU de ``hidden_dim / 2`` (una lee de izquierda a
    derecha y otra al revés) y concatena sus salidas y sus estados finales: las formas de
    salida no cambian.

    ``forward(src, src_lengths)`` devuelve ``(outputs, hidden)``:

    - ``outputs``: ``[B, S, H]``, un vector por token de origen (la atención los usa); las
      posiciones de relleno valen 0.
    - ``hidden``: ``[1, B, H]``, el último estado oculto de cada oración (su longitud real):
      el «resumen» de toda la entrada que recibe el decodificador.

    Ejemplo:
        >>> enc = Encoder(vocab_size=10, emb_dim=4, hidden_dim=6)
        >>> outputs, hidden = enc(torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2]))
        >>> tuple(outputs.shape), tuple(hidden.shape)
        ((2, 3, 6), (1, 2, 6))
    """

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int,
        hidden_dim: int,
        pad_id: int = 0,
        dropout: float = 0.1,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        check_int(vocab_size, "vocab_size")
        check_int(emb_dim, "emb_dim")
        check_int(hidden_dim, "hidden_dim")
        if bidirectional and hidden_dim % 2:
            raise ValueError(
                f"Con bidirectional=True, hidden_dim debe ser par (la mitad por dirección); se "
                f"recibió {hidden_dim}."
            )
        self.pad_id = pad_id
        self.hidden_dim = hidden_dim
        self.bidirectional = bidirectional
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        rnn_size = hidden_dim // 2 if bidirectional else hidden_dim
        self.rnn = nn.GRU(emb_dim, rnn_size, batch_first=True, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)

    def forward(self, src: Tensor, src_lengths: Tensor) -> tuple[Tensor, Tensor]:
        _check_ids(src, "src")
        if src_lengths.dim() != 1 or src_lengths.shape[0] != src.shape[0]:
            raise ValueError(
                f"src_lengths debe ser [batch] = [{src.shape[0]}]; tiene forma "
                f"{tuple(src_lengths.shape)}."
            )
        if int(src_lengths.min()) < 1:
            raise ValueError("Hay oraciones de origen vacías (longitud 0): no se pueden codificar.")
        emb = self.dropout(self.embedding(src))  # emb: [B, S, E]
        packed = pack_padded_sequence(
            emb, src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, hidden = self.rnn(packed)  # hidden: [1, B, H] o [2, B, H/2] si es bidireccional
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        if self.bidirectional:  # se concatenan las dos direcciones: [2, B, H/2] → [1, B, H]
            hidden = torch.cat([hidden[0], hidden[1]], dim=-1).unsqueeze(0)
        return outputs, hidden  # outputs: [B, S, H]


# ---------------------------------------------------------------------------------------------
# Decodificador sin atención
# ---------------------------------------------------------------------------------------------
class Decoder(nn.Module):
    """Decodificador **sin atención**: GRU que arranca del estado final del codificador.

    ``forward(tgt_in, hidden, enc_outputs=None, src_mask=None)`` devuelve
    ``(logits [B, T, V], hidden [1, B, H], None)``; ignora las salidas del codificador (solo
    las recibe para tener la misma firma que :class:`AttnDecoder`).

    Ejemplo:
        >>> dec = Decoder(vocab_size=10, emb_dim=4, hidden_dim=6)
        >>> logits, h, w = dec(torch.tensor([[2, 5]]), torch.zeros(1, 1, 6))
        >>> tuple(logits.shape), w is None
        ((1, 2, 10), True)
    """

    def __init__(
        self, vocab_size: int, emb_dim: int, hidden_dim: int, pad_id: int = 0, dropout: float = 0.1
    ) -> None:
        super().__init__()
        check_int(vocab_size, "vocab_size")
        check_int(emb_dim, "emb_dim")
        check_int(hidden_dim, "hidden_dim")
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.rnn = nn.GRU(emb_dim, hidden_dim, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def forward(
        self,
        tgt_in: Tensor,
        hidden: Tensor,
        enc_outputs: Tensor | None = None,
        src_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, None]:
        _check_ids(tgt_in, "tgt_in")
        emb = self.dropout(self.embedding(tgt_in))  # emb: [B, T, E]
        dec_out, hidden = self.rnn(emb, hidden)  # dec_out: [B, T, H], hidden: [1, B, H]
        logits = self.out(self.dropout(dec_out))  # logits: [B, T, V]
        return logits, hidden, None


# ---------------------------------------------------------------------------------------------
# Atención de Luong
# ---------------------------------------------------------------------------------------------
class LuongAttention(nn.Module):
    """Atención global de Luong: puntuaciones → *softmax* → vector de contexto.

    Para cada estado del decodificador ``h_t`` y cada salida del codificador ``h̄_s``:

    - ``dot``: ``score = h_t · h̄_s`` (sin parámetros);
    - ``general``: ``score = h_t · (W_a h̄_s)``;
    - ``concat``: ``score = v_a · tanh(W_a [h_t; h̄_s])``.

    Los pesos ``a_t = softmax(score)`` ignoran el relleno (``src_mask`` en ``False``) y el
    contexto es ``c_t = Σ_s a_ts h̄_s``. ``forward(query [B, T, H], keys [B, S, H],
    src_mask [B, S])`` devuelve ``(context [B, T, H], weights [B, T, S])``.

    Ejemplo:
        >>> att = LuongAttention(hidden_dim=4, score="dot")
        >>> ctx, w = att(torch.ones(2, 3, 4), torch.ones(2, 5, 4),
        ...              torch.tensor([[True] * 5, [True, True, False, False, False]]))
        >>> tuple(ctx.shape), tuple(w.shape), round(float(w[1, 0, :2].sum()), 4)
        ((2, 3, 4), (2, 3, 5), 1.0)
    """

    def __init__(self, hidden_dim: int, score: Score = "general") -> None:
        super().__init__()
        check_int(hidden_dim, "hidden_dim")
        if score not in ("dot", "general", "concat"):
            raise ValueError(
                f"score debe ser 'dot', 'general' o 'concat' (Luong et al., 2015); se recibió "
                f"{score!r}."
            )
        self.score = score
        if score == "general":
            self.W_a = nn.Linear(hidden_dim, hidden_dim, bias=False)
        elif score == "concat":
            self.W_a = nn.Linear(2 * hidden_dim, hidden_dim, bias=False)
            self.v_a = nn.Linear(hidden_dim, 1, bias=False)

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """Puntuaciones sin normalizar: ``[B, T, S]``."""
        if self.score == "dot":
            return query @ keys.transpose(1, 2)  # [B, T, H] @ [B, H, S] → [B, T, S]
        if self.score == "general":
            return query @ self.W_a(keys).transpose(1, 2)  # [B, T, S]
        T, S = query.shape[1], keys.shape[1]
        q = query.unsqueeze(2).expand(-1, -1, S, -1)  # [B, T, S, H]
        k = keys.unsqueeze(1).expand(-1, T, -1, -1)  # [B, T, S, H]
        return self.v_a(torch.tanh(self.W_a(torch.cat([q, k], dim=-1)))).squeeze(-1)  # [B, T, S]

    def forward(
        self, query: Tensor, keys: Tensor, src_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        if query.dim() != 3 or keys.dim() != 3 or query.shape[-1] != keys.shape[-1]:
            raise ValueError(
                "La atención espera query [B, T, H] y keys [B, S, H] con el mismo H; se "
                f"recibieron {tuple(query.shape)} y {tuple(keys.shape)}."
            )
        scores = self.scores(query, keys)  # [B, T, S]
        if src_mask is not None:
            if src_mask.shape != (keys.shape[0], keys.shape[1]):
                raise ValueError(
                    f"src_mask debe tener forma [B, S] = {tuple(keys.shape[:2])}; tiene "
                    f"{tuple(src_mask.shape)}."
                )
            scores = scores.masked_fill(~src_mask.bool().unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # [B, T, S], cada fila suma 1
        context = weights @ keys  # [B, T, S] @ [B, S, H] → [B, T, H]
        return context, weights


# ---------------------------------------------------------------------------------------------
# Decodificador con atención
# ---------------------------------------------------------------------------------------------
class AttnDecoder(nn.Module):
    """Decodificador con atención global de Luong (sin *input feeding*).

    Por cada paso ``t``: ``h_t = GRU(y_{t-1}, h_{t-1})``; ``c_t, a_t = atención(h_t, h̄)``;
    ``h̃_t = tanh(W_c [c_t; h_t])``; ``logits_t = W_s h̃_t``. Como ``h_t`` no depende de la
    atención, con *teacher forcing* se calcula todo el destino de una vez.

    ``forward(tgt_in, hidden, enc_outputs, src_mask)`` devuelve
    ``(logits [B, T, V], hidden [1, B, H], weights [B, T, S])``.

    Ejemplo:
        >>> dec = AttnDecoder(vocab_size=10, emb_dim=4, hidden_dim=6, score="dot")
        >>> logits, h, w = dec(torch.tensor([[2, 5]]), torch.zeros(1, 1, 6),
        ...                    torch.randn(1, 3, 6), torch.ones(1, 3, dtype=torch.bool))
        >>> tuple(logits.shape), tuple(w.shape)
        ((1, 2, 10), (1, 2, 3))
    """

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int,
        hidden_dim: int,
        pad_id: int = 0,
        dropout: float = 0.1,
        score: Score = "general",
    ) -> None:
        super().__init__()
        check_int(vocab_size, "vocab_size")
        check_int(emb_dim, "emb_dim")
        check_int(hidden_dim, "hidden_dim")
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.rnn = nn.GRU(emb_dim, hidden_dim, batch_first=True)
        self.attention = LuongAttention(hidden_dim, score)
        self.W_c = nn.Linear(2 * hidden_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def forward(
        self,
        tgt_in: Tensor,
        hidden: Tensor,
        enc_outputs: Tensor | None = None,
        src_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        _check_ids(tgt_in, "tgt_in")
        if enc_outputs is None:
            raise ValueError(
                "AttnDecoder necesita enc_outputs [B, S, H]: las salidas del codificador."
            )
        emb = self.dropout(self.embedding(tgt_in))  # emb: [B, T, E]
        dec_out, hidden = self.rnn(emb, hidden)  # dec_out: [B, T, H]
        context, weights = self.attention(dec_out, enc_outputs, src_mask)  # [B, T, H], [B, T, S]
        combined = torch.tanh(self.W_c(torch.cat([context, dec_out], dim=-1)))  # [B, T, H]
        logits = self.out(self.dropout(combined))  # logits: [B, T, V]
        return logits, hidden, weights


# ---------------------------------------------------------------------------------------------
# El modelo completo
# ---------------------------------------------------------------------------------------------
class Seq2Seq(nn.Module):
    """Codificador + decodificador (con o sin atención).

    - ``forward(src, src_lengths, tgt_in) → logits [B, T, V]`` (*teacher forcing*).
    - ``encode(src, src_lengths) → state`` y ``step_fn(tokens, state) → (logits [B, V],
      state)``: la pareja que piden ``utils.decoding.greedy_decode`` y ``beam_search``
      (con ``state_batch_dim=Seq2Seq.state_batch_dim``).
    - ``attention(src, src_lengths, tgt_in) → [B, T, S]`` (o ``None`` sin atención).

    Ejemplo:
        >>> model = Seq2Seq(Encoder(10, 4, 6), AttnDecoder(12, 4, 6))
        >>> src, lengths = torch.tensor([[4, 5, 6]]), torch.tensor([3])
        >>> tuple(model(src, lengths, torch.tensor([[2, 7]])).shape)
        (1, 2, 12)
    """

    #: Dimensión de lote de cada parte del estado (h, salidas del codificador, máscara).
    state_batch_dim = (1, 0, 0)

    def __init__(self, encoder: Encoder, decoder: Decoder | AttnDecoder, pad_id: int = 0) -> None:
        super().__init__()
        enc_h = getattr(encoder, "hidden_dim", encoder.rnn.hidden_size)
        dec_h = decoder.rnn.hidden_size
        if enc_h != dec_h:
            raise ValueError(
                f"El codificador (hidden_dim={enc_h}) y el decodificador (hidden_dim={dec_h}) "
                "deben tener el mismo tamaño oculto: el estado final del uno inicia al otro."
            )
        self.encoder = encoder
        self.decoder = decoder
        self.pad_id = pad_id

    @property
    def has_attention(self) -> bool:
        return isinstance(self.decoder, AttnDecoder)

    def encode(self, src: Tensor, src_lengths: Tensor) -> State:
        """Codifica el origen y devuelve el estado inicial del decodificador."""
        enc_outputs, hidden = self.encoder(src, src_lengths)  # [B, S, H], [1, B, H]
        src_mask = src != self.pad_id  # [B, S]
        return hidden, enc_outputs, src_mask

    def forward(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        hidden, enc_outputs, src_mask = self.encode(src, src_lengths)
        logits, _, _ = self.decoder(tgt_in, hidden, enc_outputs, src_mask)
        return logits  # [B, T, V]

    def step_fn(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:
        """Función de paso para ``utils.decoding``: solo procesa el último token del prefijo."""
        hidden, enc_outputs, src_mask = state
        logits, hidden, _ = self.decoder(tokens[:, -1:], hidden, enc_outputs, src_mask)
        return logits[:, -1], (hidden, enc_outputs, src_mask)  # logits: [B, V]

    @torch.no_grad()
    def attention(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor | None:
        """Pesos de atención ``[B, T, S]`` al decodificar ``tgt_in`` (``None`` sin atención).

        Como el estado del decodificador no depende de la atención, los pesos calculados con
        la salida ya generada como ``tgt_in`` son los mismos que durante la generación.
        """
        hidden, enc_outputs, src_mask = self.encode(src, src_lengths)
        _, _, weights = self.decoder(tgt_in, hidden, enc_outputs, src_mask)
        return weights


def teacher_forcing_loss(
    pad_id: int = 0, label_smoothing: float = 0.0
) -> Callable[[nn.Module, Any], tuple[Tensor, Tensor, Tensor]]:
    """Crea el ``compute_loss`` de ``utils.train.fit`` para un :class:`Seq2Seq`.

    El lote es ``(src, src_lengths, tgt_in, tgt_out)`` (``make_seq2seq_collate(...,
    shift_target=True)``): el decodificador recibe la respuesta correcta desplazada
    (``tgt_in`` empieza por ``<bos>``) y se compara con ``tgt_out`` (acaba en ``<eos>``),
    ignorando el relleno.

    Ejemplo:
        >>> loss_fn = teacher_forcing_loss(pad_id=0)
        >>> model = Seq2Seq(Encoder(10, 4, 6), Decoder(10, 4, 6))
        >>> batch = (torch.tensor([[4, 5]]), torch.tensor([2]), torch.tensor([[2, 6]]),
        ...          torch.tensor([[6, 3]]))
        >>> loss, logits, target = loss_fn(model, batch)
        >>> tuple(logits.shape), loss.item() > 0
        ((1, 2, 10), True)
    """

    def compute_loss(model: nn.Module, batch: Any) -> tuple[Tensor, Tensor, Tensor]:
        if not isinstance(batch, (tuple, list)) or len(batch) != 4:
            raise ValueError(
                "teacher_forcing_loss espera lotes (src, src_lengths, tgt_in, tgt_out): usa "
                "make_seq2seq_collate(..., shift_target=True)."
            )
        src, src_lengths, tgt_in, tgt_out = batch
        logits = model(src, src_lengths, tgt_in)  # [B, T, V]
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),  # [B*T, V]
            tgt_out.reshape(-1),  # [B*T]
            ignore_index=pad_id,
            label_smoothing=label_smoothing,
        )
        return loss, logits, tgt_out

    # fit/evaluate promedian la pérdida de la época por token sin relleno (no por ejemplo)
    compute_loss.ignore_index = pad_id  # type: ignore[attr-defined]
    return compute_loss


@torch.no_grad()
def translate(
    model: Seq2Seq,
    sentences: Sequence[str],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    method: Literal["greedy", "beam"] = "greedy",
    beam_size: int = 4,
    max_len: int = 40,
    length_penalty: float = 1.0,
    tokenizer: Callable[[str], list[str]] = tokenize,
    device: torch.device | str | None = None,
) -> list[list[str]]:
    """Traduce (o responde) una lista de textos y devuelve los tokens generados de cada uno.

    Cada texto se tokeniza con ``tokenizer``, se codifica con ``src_vocab`` (las palabras
    desconocidas pasan a ``<unk>``) y se decodifica con ``utils.decoding.greedy_decode`` o
    ``beam_search`` desde ``<bos>`` hasta ``<eos>`` o ``max_len`` tokens. Pone el modelo en
    modo evaluación. Para un texto: ``" ".join(tokens)``.

    Ejemplo:
        >>> src_v, tgt_v = Vocab.build([["hola"]]), Vocab.build([["hello"]])
        >>> model = Seq2Seq(Encoder(len(src_v), 4, 6), AttnDecoder(len(tgt_v), 4, 6))
        >>> out = translate(model, ["hola"], src_v, tgt_v, max_len=3)
        >>> len(out), len(out[0]) <= 3
        (1, True)
    """
    if isinstance(sentences, str):
        raise TypeError("sentences debe ser una lista de textos; envuelve el texto en una lista.")
    if method not in ("greedy", "beam"):
        raise ValueError(f"method debe ser 'greedy' o 'beam'; se recibió {method!r}.")
    if device is None:
        device = model_device(model)
    model.eval()
    results: list[list[str]] = []
    for text in sentences:
        ids = src_vocab.encode(tokenizer(text)) or [src_vocab.unk_id]
        src = torch.tensor([ids], dtype=torch.long, device=device)  # [1, S]
        state = model.encode(src, torch.tensor([len(ids)]))
        if method == "greedy":
            out = greedy_decode(
                model.step_fn, [tgt_vocab.bos_id], max_len, eos_id=tgt_vocab.eos_id,
                state=state, device=device,
            )  # fmt: skip
        else:
            out = beam_search(
                model.step_fn, [tgt_vocab.bos_id], max_len, beam_size=beam_size,
                eos_id=tgt_vocab.eos_id, length_penalty=length_penalty, state=state,
                state_batch_dim=Seq2Seq.state_batch_dim, device=device,
            )  # fmt: skip
        results.append(tgt_vocab.decode(out))
    return results


def reversal_task(
    n_train: int, n_test: int, min_len: int = 3, max_len: int = 10, seed: int = 0
) -> tuple[list[tuple[list[str], list[str]]], list[tuple[list[str], list[str]]]]:
    """La tarea de juguete del cuaderno 6a: secuencias de dígitos y la misma secuencia invertida.

    Devuelve ``(train, test)``, listas de pares ``(dígitos, dígitos invertidos)`` con longitudes
    uniformes entre ``min_len`` y ``max_len``. Ninguna secuencia de prueba está en
    entrenamiento ni se repite en la prueba (se descartan y se sortean otras): así la prueba
    mide generalización y no memoria. Con la misma ``seed`` da los mismos pares que 6a.

    Ejemplo:
        >>> train, test = reversal_task(100, 20, min_len=3, max_len=5)
        >>> digits, target = test[0]
        >>> target == digits[::-1], 3 <= len(digits) <= 5
        (True, True)
        >>> {tuple(d) for d, _ in test} & {tuple(d) for d, _ in train}
        set()
    """
    import random

    check_int(n_train, "n_train", minimum=0)
    check_int(n_test, "n_test", minimum=0)
    check_int(min_len, "min_len", minimum=1)
    check_int(max_len, "max_len", minimum=min_len)
    rng = random.Random(seed)

    def one() -> tuple[list[str], list[str]]:
        digits = [str(rng.randint(0, 9)) for _ in range(rng.randint(min_len, max_len))]
        return digits, digits[::-1]

    train = [one() for _ in range(n_train)]
    seen = {tuple(d) for d, _ in train}
    possible = sum(10**n for n in range(min_len, max_len + 1))
    if len(seen) + n_test > possible:
        raise ValueError(
            f"Solo hay {possible} secuencias de {min_len} a {max_len} dígitos y entrenamiento ya "
            f"usa {len(seen)}: no caben {n_test} de prueba distintas."
        )
    test: list[tuple[list[str], list[str]]] = []
    while len(test) < n_test:
        digits, target = one()
        if tuple(digits) not in seen:  # ni de entrenamiento ni repetida en la prueba
            seen.add(tuple(digits))
            test.append((digits, target))
    return train, test
