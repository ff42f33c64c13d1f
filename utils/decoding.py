"""Decodificación: generar secuencias con un modelo (greedy, beam search y muestreo).

Sirve igual para el modelo de lenguaje, el traductor seq2seq y el Transformer, porque no
conoce el modelo: solo una **función de paso** (``step_fn``) que el cuaderno escribe::

    step_fn(tokens, state) -> (logits, new_state)

- ``tokens``: ``LongTensor [batch, t]`` con **todo el prefijo** generado hasta ahora (en la
  primera llamada, el *prompt* completo; en las siguientes, el último token es el nuevo).
- ``state``: lo que la función devolvió en la llamada anterior (en la primera, el ``state``
  inicial que se pasa a la función de decodificación; por defecto ``None``). Puede ser
  ``None``, un tensor o una tupla/lista/diccionario (anidados) de tensores.
- ``logits``: ``Tensor [batch, vocab]`` con los *logits* del **siguiente** token. También se
  acepta ``[batch, t, vocab]`` (se usa la última posición).

Una red recurrente procesa el *prompt* entero la primera vez y luego solo el último token::

    def step_fn(tokens, state):
        x = tokens if state is None else tokens[:, -1:]   # x: [batch, t] o [batch, 1]
        out, state = model.lstm(model.emb(x), state)      # out: [batch, t, hidden]
        return model.fc(out[:, -1]), state                # logits: [batch, vocab]

En un seq2seq, el ``state`` inicial es el del codificador y el *prompt* es ``[bos_id]``. Un
Transformer ignora el estado y procesa el prefijo entero: ``return model(tokens)[:, -1], None``.

Para **beam search** el estado se reordena entre pasos (cada haz hereda el estado de su
padre) con :func:`reorder_state`: cada tensor del estado debe tener la dimensión de lote
(*batch*, que aquí recorre los haces) en ``state_batch_dim``, 1 por defecto, como el
``(h, c)`` de ``nn.LSTM`` de forma ``[capas, batch, hidden]`` (también con
``batch_first=True``). Si el estado mezcla tensores con el lote en dimensiones distintas
(p. ej. ``(h, salidas_codificador)`` con ``h [capas, batch, hid]`` y
``salidas_codificador [batch, src_len, hid]``), pasa una estructura de dimensiones con la
misma forma: ``state_batch_dim=(1, 0)``.

Todas las funciones se ejecutan bajo ``torch.no_grad()`` y devuelven **solo los tokens
nuevos** como ``list[int]``. Pon el modelo en modo evaluación (``model.eval()``) antes. Si el
modelo está en GPU, pasa ``device=device`` para que el *prompt* se cree allí.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "StepFn",
    "beam_search",
    "filter_logits",
    "greedy_decode",
    "reorder_state",
    "sample",
    "sequence_log_prob",
    "softmax_with_temperature",
]

#: Firma de la función de paso: ``(tokens [batch, t], state) -> (logits [batch, vocab], state)``.
StepFn = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]

BatchDim = int | Sequence["BatchDim"] | Mapping[Any, "BatchDim"]


# ---------------------------------------------------------------------------------------------
# Comprobaciones comunes
# ---------------------------------------------------------------------------------------------


def _prepare_prompt(
    prompt: Sequence[int] | torch.Tensor, device: torch.device | str | None
) -> torch.Tensor:
    """Convierte el *prompt* en un ``LongTensor [1, t]`` en el dispositivo pedido."""
    if isinstance(prompt, str):
        raise TypeError(
            "prompt debe ser una lista de índices, no un texto. Codifícalo antes, por ejemplo "
            "vocab.encode(tokenize(texto), add_bos=True)."
        )
    if isinstance(prompt, torch.Tensor):
        tensor = prompt.detach()
        if device is not None:
            tensor = tensor.to(device)
    else:
        if isinstance(prompt, np.ndarray):
            prompt = prompt.tolist()
        try:
            tensor = torch.tensor(list(prompt), dtype=torch.long, device=device or "cpu")
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"prompt debe ser una lista de índices enteros ({err}).") from err
    if tensor.is_floating_point() or tensor.is_complex():
        raise TypeError(f"prompt debe contener índices enteros; es de tipo {tensor.dtype}.")
    if tensor.dim() == 2 and tensor.shape[0] == 1:
        tensor = tensor[0]
    if tensor.dim() != 1:
        raise ValueError(
            f"prompt debe ser una sola secuencia 1-D (o [1, t]); tiene forma "
            f"{tuple(tensor.shape)}. Decodifica cada ejemplo por separado."
        )
    if tensor.numel() == 0:
        raise ValueError(
            "prompt está vacío: hace falta al menos un token para empezar (p. ej. [vocab.bos_id])."
        )
    if int(tensor.min()) < 0:
        raise ValueError("prompt contiene índices negativos.")
    return tensor.long().unsqueeze(0)  # [1, t]


def _check_max_new_tokens(max_new_tokens: int) -> None:
    if (
        not isinstance(max_new_tokens, int)
        or isinstance(max_new_tokens, bool)
        or max_new_tokens < 0
    ):
        raise ValueError(f"max_new_tokens debe ser un entero ≥ 0; se recibió {max_new_tokens!r}.")


def _check_eos(eos_id: int | None) -> None:
    if eos_id is not None and (
        not isinstance(eos_id, int) or isinstance(eos_id, bool) or eos_id < 0
    ):
        raise ValueError(f"eos_id debe ser un índice entero ≥ 0 o None; se recibió {eos_id!r}.")


def _call_step(
    step_fn: StepFn, tokens: torch.Tensor, state: Any, batch: int, eos_id: int | None
) -> tuple[torch.Tensor, Any]:
    """Llama a ``step_fn`` y comprueba que cumple el contrato; devuelve logits ``[batch, V]``."""
    out = step_fn(tokens, state)
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(
            "step_fn debe devolver una tupla (logits, state); si el modelo no tiene estado, "
            "devuelve (logits, None)."
        )
    logits, new_state = out
    if not isinstance(logits, torch.Tensor):
        raise TypeError(
            f"step_fn debe devolver logits como tensor; devolvió {type(logits).__name__}."
        )
    if logits.dim() == 3:
        logits = logits[:, -1, :]
    if logits.dim() != 2 or logits.shape[0] != batch:
        raise ValueError(
            f"step_fn devolvió logits de forma {tuple(logits.shape)}; se esperaba "
            f"[{batch}, vocab] (un vector de logits por secuencia del lote)."
        )
    if eos_id is not None and eos_id >= logits.shape[-1]:
        raise ValueError(
            f"eos_id={eos_id} está fuera del vocabulario del modelo (tamaño {logits.shape[-1]})."
        )
    return logits.float(), new_state


def _check_temperature(temperature: float) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature debe ser un número; se recibió {type(temperature).__name__}.")
    if not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(
            f"temperature debe ser un número positivo y finito; se recibió {temperature}. "
            "Para elegir siempre el token más probable (temperatura → 0) usa greedy_decode()."
        )
    return float(temperature)


def _check_top_k_top_p(top_k: int | None, top_p: float | None) -> None:
    if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1):
        raise ValueError(f"top_k debe ser un entero ≥ 1 o None; se recibió {top_k!r}.")
    if top_p is not None and (
        isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1
    ):
        raise ValueError(
            f"top_p debe estar en el intervalo (0, 1] o ser None; se recibió {top_p!r}."
        )


# ---------------------------------------------------------------------------------------------
# Probabilidades: temperatura, top-k y top-p
# ---------------------------------------------------------------------------------------------


def softmax_with_temperature(
    logits: torch.Tensor | Sequence[float] | np.ndarray, temperature: float = 1.0
) -> torch.Tensor:
    """Softmax de ``logits / temperature`` en la última dimensión.

    Temperatura < 1 concentra la probabilidad en los tokens más probables (más conservador);
    temperatura > 1 la reparte (más variado y más errático). Con temperatura 1 es la softmax
    normal.

    Ejemplo:
        >>> [round(p, 3) for p in softmax_with_temperature([2.0, 1.0, 0.0], 1.0).tolist()]
        [0.665, 0.245, 0.09]
        >>> [round(p, 3) for p in softmax_with_temperature([2.0, 1.0, 0.0], 0.5).tolist()]
        [0.867, 0.117, 0.016]
    """
    temperature = _check_temperature(temperature)
    if not isinstance(logits, torch.Tensor):
        logits = torch.as_tensor(np.asarray(logits, dtype=np.float32))
    if logits.dim() == 0 or logits.shape[-1] == 0:
        raise ValueError("logits debe tener al menos un elemento en la última dimensión.")
    return torch.softmax(logits.float() / temperature, dim=-1)


def filter_logits(
    logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """Deja en ``-inf`` los *logits* de los tokens descartados por top-k y/o top-p (nucleus).

    - ``top_k``: conserva los ``k`` tokens más probables (con empates en el corte, todos los
      empatados).
    - ``top_p``: conserva el conjunto más pequeño de tokens más probables cuya probabilidad
      acumulada llega a ``p`` (siempre al menos uno).

    Devuelve un tensor nuevo de la misma forma (``[..., vocab]``); no modifica la entrada.

    Ejemplo:
        >>> filter_logits(torch.tensor([3.0, 1.0, 2.0, 0.0]), top_k=2).tolist()
        [3.0, -inf, 2.0, -inf]
        >>> filter_logits(torch.tensor([3.0, 1.0, 2.0, 0.0]), top_p=0.6).tolist()
        [3.0, -inf, -inf, -inf]
    """
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits debe ser un tensor; se recibió {type(logits).__name__}.")
    _check_top_k_top_p(top_k, top_p)
    if logits.dim() == 0 or logits.shape[-1] == 0:
        raise ValueError("logits debe tener al menos un elemento en la última dimensión.")
    logits = logits.clone()
    vocab_size = logits.shape[-1]
    if top_k is not None and top_k < vocab_size:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits.float(), dim=-1)
        mass_before = probs.cumsum(dim=-1) - probs  # probabilidad acumulada antes de cada token
        remove_sorted = mass_before >= top_p
        remove_sorted[..., 0] = False  # siempre queda el más probable
        remove = remove_sorted.scatter(-1, sorted_idx, remove_sorted)
        logits = logits.masked_fill(remove, float("-inf"))
    return logits


# ---------------------------------------------------------------------------------------------
# Estado
# ---------------------------------------------------------------------------------------------


def reorder_state(
    state: Any,
    index: torch.Tensor | Sequence[int],
    dim: BatchDim = 1,
    batch_size: int | None = None,
) -> Any:
    """Reordena (o repite) el estado a lo largo de la dimensión de lote: ``index_select``.

    ``state`` puede ser ``None``, un tensor o una tupla/lista/diccionario (anidados) de
    tensores. ``dim`` es la dimensión de lote de cada tensor: un entero para todos, o una
    estructura con la misma forma que ``state`` (p. ej. ``((1, 1), 0)`` para
    ``((h, c), salidas_codificador)``). Beam search la usa para que cada haz herede el estado
    del haz del que proviene. Con ``batch_size`` comprueba además que cada tensor tenga ese
    tamaño en su dimensión de lote (así un ``state_batch_dim`` equivocado no pasa en silencio).

    Ejemplo:
        >>> h = torch.tensor([[[10.0], [20.0]]])          # h: [capas=1, batch=2, hidden=1]
        >>> reorder_state((h, h), [1, 1, 0])[0][0, :, 0].tolist()
        [20.0, 20.0, 10.0]
    """
    if not isinstance(index, torch.Tensor):
        index = torch.as_tensor(list(index), dtype=torch.long)
    if index.dim() != 1:
        raise ValueError(f"index debe ser 1-D; tiene forma {tuple(index.shape)}.")
    index = index.long()
    return _reorder(state, index, dim, "state", batch_size)


def _reorder(state: Any, index: torch.Tensor, dim: Any, path: str, batch_size: int | None) -> Any:
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise ValueError(
                f"{path} es un tensor, pero su dimensión de lote no es un entero: {dim!r}."
            )
        if not -state.dim() <= dim < state.dim():
            raise ValueError(
                f"{path} tiene forma {tuple(state.shape)} y no tiene la dimensión {dim}. "
                "Revisa state_batch_dim (la dimensión de lote de cada tensor del estado)."
            )
        size = state.shape[dim]
        if batch_size is not None and size != batch_size:
            raise ValueError(
                f"{path} tiene forma {tuple(state.shape)}: en la dimensión {dim} mide {size}, "
                f"pero el lote tiene {batch_size} secuencia(s). Revisa state_batch_dim (la "
                "dimensión de lote de cada tensor; nn.LSTM/nn.GRU: 1; salidas con "
                "batch_first=True: 0; para un estado mixto, p. ej. ((1, 1), 0))."
            )
        if index.numel() and (int(index.max()) >= size or int(index.min()) < 0):
            raise ValueError(
                f"{path} tiene {size} elemento(s) en la dimensión {dim}, que debería ser la de "
                f"lote, pero se pidió el índice {int(index.max())}. ¿Es correcto "
                "state_batch_dim? (nn.LSTM/nn.GRU: 1; salidas con batch_first=True: 0)."
            )
        return state.index_select(dim, index.to(state.device))
    if isinstance(state, Mapping):
        dims = dim if isinstance(dim, Mapping) else dict.fromkeys(state, dim)
        missing = set(state) - set(dims)
        if missing:
            raise ValueError(
                f"state_batch_dim no indica la dimensión de {sorted(map(str, missing))}."
            )
        return type(state)(
            {k: _reorder(v, index, dims[k], f"{path}[{k!r}]", batch_size) for k, v in state.items()}
        )
    if isinstance(state, (tuple, list)):
        if isinstance(dim, (tuple, list)):
            if len(dim) != len(state):
                raise ValueError(
                    f"state_batch_dim tiene {len(dim)} elementos y {path} tiene {len(state)}: "
                    "deben tener la misma estructura."
                )
            dims = list(dim)
        else:
            dims = [dim] * len(state)
        items = [
            _reorder(s, index, d, f"{path}[{i}]", batch_size)
            for i, (s, d) in enumerate(zip(state, dims, strict=True))
        ]
        if hasattr(state, "_fields"):  # namedtuple
            return type(state)(*items)
        return type(state)(items)
    raise TypeError(
        f"{path} es de tipo {type(state).__name__}; el estado solo puede contener tensores, "
        "tuplas, listas, diccionarios o None."
    )


# ---------------------------------------------------------------------------------------------
# Decodificadores
# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def greedy_decode(
    step_fn: StepFn,
    prompt: Sequence[int] | torch.Tensor,
    max_new_tokens: int,
    eos_id: int | None = None,
    state: Any = None,
    include_eos: bool = False,
    device: torch.device | str | None = None,
) -> list[int]:
    """Decodificación voraz (*greedy*): en cada paso elige el token más probable.

    Para al generar ``eos_id`` (que se incluye en la salida solo con ``include_eos=True``) o
    tras ``max_new_tokens`` tokens. Devuelve solo los tokens nuevos, sin el *prompt*.

    Ejemplo:
        >>> bigram = torch.tensor([[0.0, 5.0, 0.0], [0.0, 0.0, 5.0], [5.0, 0.0, 0.0]])
        >>> step = lambda tokens, state: (bigram[tokens[:, -1]], state)
        >>> greedy_decode(step, [0], max_new_tokens=4)
        [1, 2, 0, 1]
        >>> greedy_decode(step, [0], max_new_tokens=4, eos_id=2, include_eos=True)
        [1, 2]
    """
    _check_max_new_tokens(max_new_tokens)
    _check_eos(eos_id)
    tokens = _prepare_prompt(prompt, device)
    return _generate(
        step_fn,
        tokens,
        state,
        max_new_tokens,
        eos_id,
        include_eos,
        lambda logits: int(logits[0].argmax()),
    )


def _generate(
    step_fn: StepFn,
    tokens: torch.Tensor,
    state: Any,
    max_new_tokens: int,
    eos_id: int | None,
    include_eos: bool,
    pick: Callable[[torch.Tensor], int],
) -> list[int]:
    """Bucle autorregresivo común a greedy y muestreo: ``pick(logits [1, V]) -> id``."""
    generated: list[int] = []
    for _ in range(max_new_tokens):
        logits, state = _call_step(step_fn, tokens, state, 1, eos_id)
        next_id = pick(logits)
        if eos_id is not None and next_id == eos_id:
            if include_eos:
                generated.append(next_id)
            break
        generated.append(next_id)
        next_tok = torch.tensor([[next_id]], dtype=torch.long, device=tokens.device)
        tokens = torch.cat([tokens, next_tok], dim=1)
    return generated


@torch.no_grad()
def sample(
    step_fn: StepFn,
    prompt: Sequence[int] | torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    eos_id: int | None = None,
    state: Any = None,
    generator: torch.Generator | None = None,
    include_eos: bool = False,
    device: torch.device | str | None = None,
) -> list[int]:
    """Muestreo: en cada paso sortea el siguiente token según las probabilidades del modelo.

    Antes de sortear divide los *logits* por ``temperature`` y aplica ``top_k`` / ``top_p``
    (ver :func:`filter_logits`). Con ``top_k=1`` equivale a :func:`greedy_decode`. Pasa un
    ``torch.Generator`` con semilla (``torch.Generator().manual_seed(0)``) para que el resultado
    sea reproducible sin tocar la semilla global.

    Ejemplo:
        >>> bigram = torch.tensor([[0.0, 2.0, 1.0], [1.0, 0.0, 2.0], [2.0, 1.0, 0.0]])
        >>> step = lambda tokens, state: (bigram[tokens[:, -1]], state)
        >>> g = torch.Generator().manual_seed(0)
        >>> len(sample(step, [0], max_new_tokens=5, temperature=0.8, generator=g))
        5
    """
    _check_max_new_tokens(max_new_tokens)
    _check_eos(eos_id)
    temperature = _check_temperature(temperature)
    _check_top_k_top_p(top_k, top_p)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError("generator debe ser un torch.Generator (o None).")
    tokens = _prepare_prompt(prompt, device)

    def pick(logits: torch.Tensor) -> int:
        logits = filter_logits(logits / temperature, top_k=top_k, top_p=top_p)
        probs = torch.softmax(logits, dim=-1)  # probs: [1, vocab]
        if generator is not None and probs.device != generator.device:
            probs = probs.to(generator.device)
        return int(torch.multinomial(probs, 1, generator=generator)[0, 0])

    return _generate(step_fn, tokens, state, max_new_tokens, eos_id, include_eos, pick)


@torch.no_grad()
def beam_search(
    step_fn: StepFn,
    prompt: Sequence[int] | torch.Tensor,
    max_new_tokens: int,
    beam_size: int = 4,
    eos_id: int | None = None,
    length_penalty: float = 1.0,
    state: Any = None,
    state_batch_dim: BatchDim = 1,
    return_all: bool = False,
    include_eos: bool = False,
    device: torch.device | str | None = None,
) -> list[int] | list[tuple[list[int], float]]:
    """Búsqueda en haz (*beam search*): mantiene las ``beam_size`` secuencias más probables.

    En cada paso se llama **una sola vez** a ``step_fn`` con todos los haces como lote
    (``tokens: [beam_size, t]``); el estado se reordena con :func:`reorder_state` usando
    ``state_batch_dim``. Una hipótesis termina al generar ``eos_id`` o al llegar a
    ``max_new_tokens``.

    Puntuación (normalización por longitud, como en Hugging Face): ``score = suma de
    log-probabilidades / longitud ** length_penalty``, donde la longitud cuenta los tokens
    nuevos (incluido ``<eos>``). Con ``length_penalty=0`` es la log-probabilidad total (que
    favorece las secuencias cortas); con ``1`` (por defecto), la log-probabilidad media por
    token. La búsqueda se detiene cuando ya hay ``beam_size`` hipótesis terminadas y ningún
    haz vivo las supera con su puntuación actual (criterio heurístico habitual).

    Devuelve los tokens nuevos de la mejor hipótesis (sin ``eos_id`` salvo con
    ``include_eos=True``), o con ``return_all=True`` una lista de hasta ``beam_size`` pares
    ``(tokens, score)`` ordenada de mejor a peor.

    Ejemplo:
        >>> bigram = torch.tensor([[0.0, 5.0, 0.0], [0.0, 0.0, 5.0], [5.0, 0.0, 0.0]])
        >>> step = lambda tokens, state: (bigram[tokens[:, -1]], state)
        >>> beam_search(step, [0], max_new_tokens=3, beam_size=2)
        [1, 2, 0]
    """
    _check_max_new_tokens(max_new_tokens)
    _check_eos(eos_id)
    if not isinstance(beam_size, int) or isinstance(beam_size, bool) or beam_size < 1:
        raise ValueError(f"beam_size debe ser un entero ≥ 1; se recibió {beam_size!r}.")
    if (
        isinstance(length_penalty, bool)
        or not isinstance(length_penalty, (int, float))
        or not (math.isfinite(length_penalty))
    ):
        raise ValueError(
            f"length_penalty debe ser un número finito; se recibió {length_penalty!r}."
        )
    tokens = _prepare_prompt(prompt, device)  # [1, t0]
    prompt_len = tokens.shape[1]

    def normalized(raw: float, length: int) -> float:
        return raw / (length**length_penalty) if length > 0 else raw

    finished: list[tuple[list[int], float]] = []
    scores: torch.Tensor | None = None  # [haces] log-probabilidad acumulada de cada haz vivo
    for step in range(max_new_tokens):
        n_beams = tokens.shape[0]
        logits, state = _call_step(step_fn, tokens, state, n_beams, eos_id)
        log_probs = F.log_softmax(logits, dim=-1)  # [haces, vocab]
        vocab_size = log_probs.shape[-1]
        if scores is None:
            scores = torch.zeros(n_beams, device=log_probs.device)
        candidates = (scores.to(log_probs.device)[:, None] + log_probs).reshape(-1)
        n_cand = min(candidates.numel(), 2 * beam_size if eos_id is not None else beam_size)
        top_scores, top_idx = candidates.topk(n_cand)
        length = step + 1
        keep_beam: list[int] = []
        keep_tok: list[int] = []
        keep_score: list[float] = []
        for rank, (raw, flat) in enumerate(zip(top_scores.tolist(), top_idx.tolist(), strict=True)):
            beam, tok = divmod(flat, vocab_size)
            if eos_id is not None and tok == eos_id:
                if rank < beam_size:  # solo cuenta si habría entrado en el haz
                    seq = tokens[beam, prompt_len:].tolist() + [tok]
                    finished.append((seq, normalized(raw, length)))
                continue
            keep_beam.append(beam)
            keep_tok.append(tok)
            keep_score.append(raw)
            if len(keep_beam) == beam_size:
                break
        if not keep_beam:  # todos los candidatos terminaron en <eos>
            scores = None
            break
        beam_idx = torch.tensor(keep_beam, dtype=torch.long, device=tokens.device)
        new_tok = torch.tensor(keep_tok, dtype=torch.long, device=tokens.device)
        tokens = torch.cat([tokens.index_select(0, beam_idx), new_tok[:, None]], dim=1)
        scores = torch.tensor(keep_score, device=log_probs.device)
        state = reorder_state(state, beam_idx, state_batch_dim, batch_size=n_beams)
        if len(finished) >= beam_size:
            worst_kept = sorted((s for _, s in finished), reverse=True)[beam_size - 1]
            if normalized(max(keep_score), length) <= worst_kept:
                scores = None  # los haces vivos ya no pueden entrar entre los mejores
                break
    if scores is not None:
        length = tokens.shape[1] - prompt_len
        for seq_t, raw in zip(tokens[:, prompt_len:], scores.tolist(), strict=True):
            finished.append((seq_t.tolist(), normalized(raw, length)))
    if not finished:  # max_new_tokens == 0
        finished = [([], 0.0)]
    finished.sort(key=lambda pair: pair[1], reverse=True)
    best = finished[:beam_size]
    if not include_eos and eos_id is not None:
        best = [(seq[:-1] if seq and seq[-1] == eos_id else seq, s) for seq, s in best]
    if return_all:
        return best
    return best[0][0]


@torch.no_grad()
def sequence_log_prob(
    step_fn: StepFn,
    prompt: Sequence[int] | torch.Tensor,
    continuation: Sequence[int],
    state: Any = None,
    device: torch.device | str | None = None,
) -> float:
    """Log-probabilidad (en *nats*) que el modelo asigna a ``continuation`` tras ``prompt``.

    Sirve para comparar lo que devuelven greedy y beam search: la secuencia con mayor
    log-probabilidad es la que el modelo considera más probable.

    Ejemplo:
        >>> uniform = lambda tokens, state: (torch.zeros(tokens.shape[0], 4), state)
        >>> round(sequence_log_prob(uniform, [0], [1, 2]), 4) == round(2 * math.log(1 / 4), 4)
        True
    """
    tokens = _prepare_prompt(prompt, device)
    total = 0.0
    for tok in continuation:
        logits, state = _call_step(step_fn, tokens, state, 1, None)
        log_probs = F.log_softmax(logits[0], dim=-1)
        if not 0 <= int(tok) < log_probs.shape[-1]:
            raise ValueError(
                f"El token {tok} está fuera del vocabulario (tamaño {log_probs.shape[-1]})."
            )
        total += float(log_probs[int(tok)])
        next_tok = torch.tensor([[int(tok)]], dtype=torch.long, device=tokens.device)
        tokens = torch.cat([tokens, next_tok], dim=1)
    return total
