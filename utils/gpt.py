"""Un GPT pequeño (Transformer solo-decodificador) entrenado por el curso con el corpus español.

El cuaderno ``clase_8/8a_gpt.ipynb`` escribe estas piezas a la vista; aquí quedan para que
8b (la ley de escala), el servicio de la clase 8 y el desafío final las importen sin copiarlas:

- :func:`lm_splits`: la partición por capítulos de los cuadernos 4c/4d (uno de cada diez
  capítulos a validación, otro a prueba), como texto crudo.
- :func:`train_bpe_tokenizer`: un tokenizador BPE **a nivel de bytes** (como el de GPT-2)
  entrenado con Hugging Face ``tokenizers`` solo con el texto de entrenamiento.
- :class:`GPT`: *embeddings* de tokens y posiciones → bloques pre-LN de
  :mod:`utils.transformer` con máscara causal → ``LayerNorm`` final → salida atada al
  *embedding*. Con *KV cache* (:meth:`GPT.step_fn`) y recorte al tamaño de contexto.
- :func:`bits_per_character`: la pérdida de un texto crudo en bits por carácter, la unidad
  en la que se comparan modelos con tokenizadores distintos.
- :func:`to_hf` / :func:`from_hf`: copia los pesos a un ``GPT2LMHeadModel`` de Hugging Face
  (mismos *logits*) y vuelta.
- :func:`load_gpt`: la carpeta en formato Hugging Face (``config.json``,
  ``model.safetensors``, tokenizador) del GPT del curso, entrenado una vez y guardado en la
  caché (diminuto en modo rápido).

Ejemplo::

    >>> model = GPT(vocab_size=50, block_size=8, d_model=16, num_layers=2, num_heads=2)
    >>> x = torch.randint(0, 50, (3, 8))                  # x: [batch, T]
    >>> model(x).shape                                      # logits: [batch, T, vocab]
    torch.Size([3, 8, 50])
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ._checks import check_int
from .transformer import EncoderBlock, KVCache, causal_mask

__all__ = [
    "EOS_TOKEN",
    "GPT",
    "FULL_CONFIG",
    "SMOKE_CONFIG",
    "gpt_config",
    "make_optimizer",
    "save_gpt",
    "store_gpt",
    "bits_per_character",
    "count_params",
    "from_hf",
    "gpt_windows",
    "lm_splits",
    "load_gpt",
    "to_hf",
    "train_bpe_tokenizer",
    "train_gpt",
]

#: Token especial de fin de texto (el mismo nombre que en GPT-2).
EOS_TOKEN = "<|endoftext|>"


# ---------------------------------------------------------------------------------------------
# Datos: la partición de 4c/4d, como texto crudo
# ---------------------------------------------------------------------------------------------


def lm_splits(
    section: str | None = "Evangelios y Hechos",
    n_chapters: int | None = None,
    testament: str | None = None,
) -> dict[str, str]:
    """Texto crudo de entrenamiento, validación y prueba con la partición de los cuadernos 4c/4d.

    Toma la sección ``section`` del corpus (por defecto la del modelo de caracteres de 4d),
    numera sus capítulos en orden y manda a validación los que cumplen ``índice % 10 == 3`` y a
    prueba los de ``índice % 10 == 7``; el resto, a entrenamiento. Cada versículo acaba en
    ``"\\n"``. Con la sección por defecto, ``lm_splits()["test"]`` es **exactamente** el texto
    de prueba de 4d, así que los bits por carácter se comparan sobre el mismo texto.

    Con ``section=None, testament="Nuevo"`` es la partición del modelo de palabras de 4c (todo
    el Nuevo Testamento).

    Args:
        section: sección del corpus (columna ``section`` de ``load_spanish_corpus``).
        n_chapters: si se indica, solo los primeros ``n_chapters`` capítulos (modo rápido).
        testament: en lugar de una sección, un testamento entero (``"Antiguo"``/``"Nuevo"``).

    Returns:
        ``{"train": str, "val": str, "test": str}``.

    Ejemplo:
        >>> texts = lm_splits(n_chapters=20)                      # doctest: +SKIP
        >>> sorted(texts), texts["train"][:25]                    # doctest: +SKIP
        (['test', 'train', 'val'], 'Libro de la generación de')
    """
    from .data import load_spanish_corpus

    if n_chapters is not None:
        check_int(n_chapters, "n_chapters")
    corpus = load_spanish_corpus().to_pandas()
    column, value = ("testament", testament) if testament is not None else ("section", section)
    values = sorted(corpus[column].unique())
    if value not in values:
        raise ValueError(f"{value!r} no es un valor de {column!r} en el corpus; hay: {values}.")
    part = corpus[corpus[column] == value].copy()
    part["chapter_idx"] = part.groupby(["book_id", "chapter"], sort=False).ngroup()
    if n_chapters is not None:
        part = part[part["chapter_idx"] < n_chapters]
    split = np.select(
        [part["chapter_idx"] % 10 == 3, part["chapter_idx"] % 10 == 7], ["val", "test"], "train"
    )
    texts = {}
    for name in ("train", "val", "test"):
        verses = part.loc[split == name, "text"]
        if verses.empty:
            raise ValueError(
                f"La partición {name!r} está vacía: usa n_chapters ≥ 8 para tener las tres."
            )
        texts[name] = "\n".join(verses) + "\n"
    return texts


# ---------------------------------------------------------------------------------------------
# Tokenizador BPE a nivel de bytes
# ---------------------------------------------------------------------------------------------


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int = 1024, min_frequency: int = 2):
    """Entrena un tokenizador BPE a nivel de bytes (como GPT-2) y lo envuelve para ``transformers``.

    El alfabeto de partida son los 256 bytes: cualquier texto se puede codificar (no hay
    ``<unk>``) y ``decode(encode(texto)) == texto``. Las ``vocab_size - 257`` fusiones más
    frecuentes del texto de entrenamiento se añaden como tokens. Incluye el especial
    :data:`EOS_TOKEN`.

    Args:
        texts: textos de **entrenamiento** (nunca validación ni prueba).
        vocab_size: tamaño final del vocabulario (≥ 258: 256 bytes + ``EOS`` + una fusión).
        min_frequency: frecuencia mínima de un par para fusionarlo.

    Returns:
        Un ``GPT2TokenizerFast`` (se guarda con ``save_pretrained`` junto al modelo).

    Ejemplo:
        >>> tok = train_bpe_tokenizer(["la casa de la sierra"] * 10, vocab_size=270)
        >>> tok.decode(tok.encode("la casa")) == "la casa"
        True
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2TokenizerFast

    vocab_size = check_int(vocab_size, "vocab_size", minimum=258)
    if isinstance(texts, str):
        texts = [texts]
    texts = [t for t in texts if isinstance(t, str) and t]
    if not texts:
        raise ValueError("No hay texto para entrenar el tokenizador: la lista está vacía.")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=[EOS_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # Por líneas: así las fusiones no cruzan versículos y el entrenamiento es rápido.
    tok.train_from_iterator((line for t in texts for line in t.splitlines(keepends=True)), trainer)
    return GPT2TokenizerFast(
        tokenizer_object=tok, bos_token=EOS_TOKEN, eos_token=EOS_TOKEN, unk_token=EOS_TOKEN
    )


def gpt_windows(
    ids: Sequence[int] | np.ndarray | Tensor, block_size: int, stride: int | None = None
):
    """Ventanas ``(x, y)`` de ``block_size`` tokens con el objetivo desplazado (``y[t] = x[t+1]``).

    Es :func:`utils.lm.make_lm_windows`: el desplazamiento se hace **una sola vez**, aquí, y el
    modelo recibe entradas y objetivos ya alineados (por eso no se le pasan "labels" a un
    ``GPT2LMHeadModel``, que los desplazaría otra vez).
    """
    from .lm import make_lm_windows

    return make_lm_windows(ids, block_size, stride)


# ---------------------------------------------------------------------------------------------
# El modelo
# ---------------------------------------------------------------------------------------------


class GPT(nn.Module):
    """Transformer solo-decodificador (GPT-2 en miniatura).

    ``tokens [B, T]`` → *embedding* de tokens + *embedding* de posiciones aprendido →
    ``num_layers`` bloques pre-LN (:class:`utils.transformer.EncoderBlock` con máscara causal,
    GELU) → ``LayerNorm`` final → capa de salida **atada** al *embedding* de tokens →
    ``logits [B, T, V]``. Es la arquitectura de GPT-2, así que :func:`to_hf` copia sus pesos a
    un ``GPT2LMHeadModel``.

    Args:
        vocab_size: tamaño del vocabulario (V).
        block_size: contexto máximo en tokens (las posiciones que conoce).
        d_model: dimensión de los vectores (D).
        num_layers: bloques apilados.
        num_heads: cabezas de atención (``d_model`` debe ser divisible por ``num_heads``).
        d_ff: dimensión oculta de la red *feed-forward* (por defecto ``4 * d_model``).
        dropout: *dropout* de *embeddings*, atención y residuales.

    ``forward(tokens, past_kv=None, use_cache=False)`` devuelve ``logits``; con
    ``use_cache=True``, ``(logits, present)``, donde ``present`` es una tupla con el ``(K, V)``
    de cada capa. :meth:`step_fn` sigue el contrato de ``utils.decoding`` con *KV cache*.

    Ejemplo:
        >>> model = GPT(vocab_size=20, block_size=6, d_model=8, num_layers=1, num_heads=2)
        >>> logits, present = model(torch.randint(0, 20, (2, 4)), use_cache=True)
        >>> logits.shape, present[0][0].shape                 # K: [B, H, T, d_k]
        (torch.Size([2, 4, 20]), torch.Size([2, 2, 4, 4]))
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int = 128,
        d_model: int = 128,
        num_layers: int = 4,
        num_heads: int = 4,
        d_ff: int | None = None,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
        self.block_size = check_int(block_size, "block_size")
        self.d_model = check_int(d_model, "d_model")
        self.num_layers = check_int(num_layers, "num_layers")
        self.num_heads = check_int(num_heads, "num_heads")
        self.d_ff = 4 * d_model if d_ff is None else check_int(d_ff, "d_ff")
        self.dropout = float(dropout)
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(d_model, num_heads, self.d_ff, dropout, norm_first=True, activation="gelu")
            for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # la misma matriz [V, D] a la entrada y a la salida
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # Inicialización de GPT-2: normal(0, 0.02) en lineales y embeddings, sesgos a 0.
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def config(self) -> dict[str, Any]:
        """Los argumentos con los que se creó el modelo (para guardarlo y recrearlo)."""
        return {
            "vocab_size": self.vocab_size,
            "block_size": self.block_size,
            "d_model": self.d_model,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "d_ff": self.d_ff,
            "dropout": self.dropout,
        }

    def forward(
        self,
        tokens: Tensor,
        past_kv: Sequence[KVCache] | None = None,
        use_cache: bool = False,
    ) -> Tensor | tuple[Tensor, tuple[KVCache, ...]]:
        """``tokens [B, T]`` → ``logits [B, T, V]`` (y el ``(K, V)`` de cada capa)."""
        if not isinstance(tokens, Tensor) or tokens.dim() != 2 or tokens.is_floating_point():
            shape = tuple(tokens.shape) if isinstance(tokens, Tensor) else type(tokens).__name__
            raise ValueError(
                f"tokens debe ser un tensor de índices [batch, T]; se recibió {shape}."
            )
        past_len = 0 if past_kv is None else past_kv[0][0].shape[2]
        t = tokens.shape[1]
        if past_len + t > self.block_size:
            raise ValueError(
                f"La secuencia tiene {past_len + t} tokens y el contexto del modelo es de "
                f"{self.block_size}: recórtala a los últimos {self.block_size} (step_fn lo hace)."
            )
        if past_kv is not None and len(past_kv) != self.num_layers:
            raise ValueError(f"past_kv debe tener {self.num_layers} capas; tiene {len(past_kv)}.")
        pos = torch.arange(past_len, past_len + t, device=tokens.device)  # pos: [T]
        x = self.drop(self.tok_emb(tokens) + self.pos_emb(pos))  # x: [B, T, D]
        mask = causal_mask(t, past_len + t, device=tokens.device)  # [1, 1, T, T_pasado + T]
        present = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, mask, None if past_kv is None else past_kv[i], use_cache=True)
            present.append(kv)
        logits = self.head(self.ln_f(x))  # logits: [B, T, V]
        return (logits, tuple(present)) if use_cache else logits

    def step_fn(self, tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Función de paso para ``utils.decoding`` **con KV cache** y recorte del contexto.

        ``state`` guarda el ``(K, V)`` de cada capa. La primera vez (``state=None``) procesa el
        prefijo entero; después, solo el último token, reutilizando las claves y valores
        calculados (coste O(T) por token en lugar de O(T²)). Si el texto ya no cabe en
        ``block_size``, recorta a los últimos ``block_size`` tokens y recalcula la caché (las
        posiciones cambian); así nunca se pasa del contexto con el que se entrenó.
        """
        cached = 0 if state is None else state[0][0].shape[2]
        if state is None or cached + 1 > self.block_size or tokens.shape[1] != cached + 1:
            window = tokens[:, -self.block_size :]  # window: [B, ≤ block_size]
            logits, state = self(window, use_cache=True)
        else:
            logits, state = self(tokens[:, -1:], past_kv=state, use_cache=True)
        return logits[:, -1], state  # logits del token siguiente: [B, V]

    def step_fn_no_cache(self, tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Función de paso **sin** caché: recalcula todo el contexto (recortado) en cada token."""
        return self(tokens[:, -self.block_size :])[:, -1], None


def count_params(model: nn.Module, non_embedding: bool = False) -> int:
    """Parámetros del modelo (sin contar dos veces los atados).

    Con ``non_embedding=True`` descuenta los *embeddings* de tokens y posiciones, como hacen
    Kaplan et al. (2020) al medir leyes de escala.

    Ejemplo:
        >>> m = GPT(vocab_size=10, block_size=4, d_model=8, num_layers=1, num_heads=2)
        >>> count_params(m) - count_params(m, non_embedding=True) == 10 * 8 + 4 * 8
        True
    """
    total = sum(p.numel() for p in model.parameters())  # parameters() no repite los atados
    if non_embedding:
        for name in ("tok_emb", "pos_emb"):
            emb = getattr(model, name, None)
            if emb is not None:
                total -= emb.weight.numel()
    return total


# ---------------------------------------------------------------------------------------------
# Evaluación: bits por carácter
# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def bits_per_character(
    model: nn.Module,
    ids: Sequence[int] | np.ndarray | Tensor,
    n_chars: int,
    block_size: int | None = None,
    batch_size: int = 32,
) -> dict[str, float]:
    """Pérdida de un texto en **bits por carácter** (BPC), comparable entre tokenizadores.

    Recorre ``ids`` (el texto entero ya tokenizado) en ventanas sin solaparse de
    ``block_size`` tokens, como las de 4c/4d: cada token salvo el primero es objetivo una vez,
    con el contexto de su ventana. Suma la pérdida en *nats* de todos ellos y la divide por
    ``n_chars · ln 2``, los caracteres que esos tokens cubren. Un tokenizador con tokens más
    largos tiene más pérdida por token pero menos tokens: en BPC la comparación es justa.

    Args:
        model: devuelve ``logits [B, T, V]`` para ``tokens [B, T]``.
        ids: el texto tokenizado, 1-D.
        n_chars: caracteres cubiertos por ``ids[1:]`` (el texto menos su primer token).
        block_size: tokens por ventana (por defecto ``model.block_size``).
        batch_size: ventanas por lote.

    Returns:
        ``{"bpc", "nats_per_token", "tokens", "chars"}``.
    """
    ids_t = torch.as_tensor(np.asarray(ids), dtype=torch.long).reshape(-1)
    if block_size is None:
        block_size = getattr(model, "block_size", None)
    block_size = check_int(block_size, "block_size")
    n_chars = check_int(n_chars, "n_chars")
    if len(ids_t) < 2:
        raise ValueError("Hacen falta al menos 2 tokens para medir la pérdida.")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    n_targets = len(ids_t) - 1
    starts = list(range(0, n_targets, block_size))
    total = 0.0
    for i in range(0, len(starts), batch_size):
        chunk = starts[i : i + batch_size]
        full = [s for s in chunk if s + block_size <= n_targets]
        rest = [s for s in chunk if s + block_size > n_targets]  # la última ventana, más corta
        for group, length in ((full, block_size), *[([s], n_targets - s) for s in rest]):
            if not group:
                continue
            x = torch.stack([ids_t[s : s + length] for s in group]).to(device)  # [b, L]
            y = torch.stack([ids_t[s + 1 : s + 1 + length] for s in group]).to(device)
            logits = model(x).float()  # logits: [b, L, V]
            total += float(
                nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"
                )
            )
    model.train(was_training)
    return {
        "bpc": total / (n_chars * math.log(2)),
        "nats_per_token": total / n_targets,
        "tokens": n_targets,
        "chars": n_chars,
    }


# ---------------------------------------------------------------------------------------------
# Hugging Face: GPT2LMHeadModel con los mismos pesos
# ---------------------------------------------------------------------------------------------


def _hf_config(model: GPT, eos_token_id: int | None = None):
    from transformers import GPT2Config

    return GPT2Config(
        vocab_size=model.vocab_size,
        n_positions=model.block_size,
        n_embd=model.d_model,
        n_layer=model.num_layers,
        n_head=model.num_heads,
        n_inner=model.d_ff,
        activation_function="gelu",  # GELU exacta, como nn.GELU()
        resid_pdrop=model.dropout,
        embd_pdrop=model.dropout,
        attn_pdrop=model.dropout,
        layer_norm_epsilon=1e-5,
        bos_token_id=eos_token_id,
        eos_token_id=eos_token_id,
        tie_word_embeddings=True,
    )


def to_hf(model: GPT, eos_token_id: int | None = None):
    """Copia los pesos de un :class:`GPT` a un ``GPT2LMHeadModel`` de Hugging Face equivalente.

    La arquitectura es la misma; solo cambian los nombres y una convención: GPT-2 guarda sus
    capas lineales como ``Conv1D`` con la matriz **traspuesta** (``[entrada, salida]``) y junta
    ``W_Q, W_K, W_V`` en una sola matriz ``c_attn``. El resultado da los mismos *logits*
    (compruébalo con ``torch.allclose``) y se guarda con ``save_pretrained``.

    Ejemplo:
        >>> m = GPT(vocab_size=30, block_size=8, d_model=16, num_layers=1, num_heads=2).eval()
        >>> hf = to_hf(m).eval()
        >>> x = torch.randint(0, 30, (2, 8))
        >>> torch.allclose(hf(x).logits, m(x), atol=1e-5)
        True
    """
    from transformers import GPT2LMHeadModel

    if not isinstance(model, GPT):
        raise TypeError(f"to_hf espera un utils.gpt.GPT; se recibió {type(model).__name__}.")
    hf = GPT2LMHeadModel(_hf_config(model, eos_token_id))
    sd = {
        "transformer.wte.weight": model.tok_emb.weight,
        "transformer.wpe.weight": model.pos_emb.weight,
        "transformer.ln_f.weight": model.ln_f.weight,
        "transformer.ln_f.bias": model.ln_f.bias,
    }
    for i, block in enumerate(model.blocks):
        p, att = f"transformer.h.{i}.", block.self_attn
        sd.update(
            {
                p + "ln_1.weight": block.norm1.weight,
                p + "ln_1.bias": block.norm1.bias,
                # Conv1D: [D, 3D] = (W_Q; W_K; W_V)ᵀ
                p + "attn.c_attn.weight": torch.cat(
                    [att.W_Q.weight, att.W_K.weight, att.W_V.weight], dim=0
                ).T,
                p + "attn.c_attn.bias": torch.cat([att.W_Q.bias, att.W_K.bias, att.W_V.bias]),
                p + "attn.c_proj.weight": att.W_O.weight.T,
                p + "attn.c_proj.bias": att.W_O.bias,
                p + "ln_2.weight": block.norm2.weight,
                p + "ln_2.bias": block.norm2.bias,
                p + "mlp.c_fc.weight": block.ff.linear1.weight.T,
                p + "mlp.c_fc.bias": block.ff.linear1.bias,
                p + "mlp.c_proj.weight": block.ff.linear2.weight.T,
                p + "mlp.c_proj.bias": block.ff.linear2.bias,
            }
        )
    sd = {k: v.detach().clone().contiguous() for k, v in sd.items()}
    missing, unexpected = hf.load_state_dict(sd, strict=False)
    missing = [k for k in missing if k != "lm_head.weight"]  # atado a wte
    if missing or unexpected:
        raise RuntimeError(f"Pesos sin copiar: {missing}; sobrantes: {unexpected}.")
    hf.tie_weights()
    return hf.to(next(model.parameters()).device).train(model.training)


def from_hf(hf_model) -> GPT:
    """El camino inverso de :func:`to_hf`: un ``GPT2LMHeadModel`` → :class:`GPT` con sus pesos.

    Solo admite la variante que usa el curso (GELU exacta, ``n_inner`` explícito o ``4·D``).
    """
    cfg = hf_model.config
    if cfg.activation_function != "gelu":
        raise ValueError(
            f"from_hf solo admite activation_function='gelu'; el modelo usa "
            f"{cfg.activation_function!r} (p. ej. 'gelu_new' en el GPT-2 original)."
        )
    model = GPT(
        cfg.vocab_size,
        cfg.n_positions,
        cfg.n_embd,
        cfg.n_layer,
        cfg.n_head,
        cfg.n_inner or 4 * cfg.n_embd,
        cfg.resid_pdrop,
    )
    src = hf_model.state_dict()
    d = cfg.n_embd
    with torch.no_grad():
        model.tok_emb.weight.copy_(src["transformer.wte.weight"])
        model.pos_emb.weight.copy_(src["transformer.wpe.weight"])
        model.ln_f.weight.copy_(src["transformer.ln_f.weight"])
        model.ln_f.bias.copy_(src["transformer.ln_f.bias"])
        for i, block in enumerate(model.blocks):
            p, att = f"transformer.h.{i}.", block.self_attn
            w, b = src[p + "attn.c_attn.weight"].T, src[p + "attn.c_attn.bias"]
            for j, lin in enumerate((att.W_Q, att.W_K, att.W_V)):
                lin.weight.copy_(w[j * d : (j + 1) * d])
                lin.bias.copy_(b[j * d : (j + 1) * d])
            att.W_O.weight.copy_(src[p + "attn.c_proj.weight"].T)
            att.W_O.bias.copy_(src[p + "attn.c_proj.bias"])
            for ln_name, norm in (("ln_1", block.norm1), ("ln_2", block.norm2)):
                norm.weight.copy_(src[p + ln_name + ".weight"])
                norm.bias.copy_(src[p + ln_name + ".bias"])
            block.ff.linear1.weight.copy_(src[p + "mlp.c_fc.weight"].T)
            block.ff.linear1.bias.copy_(src[p + "mlp.c_fc.bias"])
            block.ff.linear2.weight.copy_(src[p + "mlp.c_proj.weight"].T)
            block.ff.linear2.bias.copy_(src[p + "mlp.c_proj.bias"])
    return model.train(hf_model.training)


# ---------------------------------------------------------------------------------------------
# Entrenamiento y el artefacto del curso
# ---------------------------------------------------------------------------------------------

#: Configuración del GPT del curso en modo completo (la de ``clase_8/8a_gpt.ipynb``).
FULL_CONFIG: dict[str, Any] = {
    "n_chapters": None,
    "vocab_size": 1024,
    "block_size": 128,
    "d_model": 128,
    "num_layers": 4,
    "num_heads": 4,
    "dropout": 0.1,
    "batch_size": 16,
    "lr": 2e-3,
    "epochs": 10,
    "seed": 0,
}

#: Configuración diminuta del modo rápido (``CURSO_SMOKE=1``): se entrena en segundos.
SMOKE_CONFIG: dict[str, Any] = {
    "n_chapters": 20,
    "vocab_size": 300,
    "block_size": 32,
    "d_model": 32,
    "num_layers": 2,
    "num_heads": 2,
    "dropout": 0.1,
    "batch_size": 16,
    "lr": 2e-3,
    "epochs": 1,
    "seed": 0,
}

_CONFIG_KEYS = set(FULL_CONFIG)


def gpt_config() -> dict[str, Any]:
    """La configuración del GPT del curso: :data:`SMOKE_CONFIG` en modo rápido, si no :data:`FULL_CONFIG`.

    Ejemplo:
        >>> sorted(gpt_config())[:3]
        ['batch_size', 'block_size', 'd_model']
    """
    from . import config

    return dict(SMOKE_CONFIG if config.SMOKE else FULL_CONFIG)


def _check_config(cfg: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(cfg, dict):
        raise TypeError("La configuración del GPT debe ser un dict (ver utils.gpt.FULL_CONFIG).")
    missing, extra = _CONFIG_KEYS - set(cfg), set(cfg) - _CONFIG_KEYS
    if missing or extra:
        raise ValueError(
            f"Configuración del GPT incorrecta: faltan {sorted(missing)}, sobran {sorted(extra)}."
        )
    return dict(cfg)


def make_optimizer(model: nn.Module, lr: float, total_steps: int):
    """AdamW (``weight_decay=0.1`` salvo sesgos, *LayerNorm* y *embeddings*) + calentamiento y coseno.

    La receta habitual para entrenar GPT: el *learning rate* sube linealmente durante el 10 %
    de los pasos y luego baja con un coseno (``OneCycleLR``). Devuelve ``(optimizer, scheduler)``
    para pasarlos a ``utils.train.fit`` (con ``scheduler_step="batch"``).
    """
    check_int(total_steps, "total_steps")
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (decay if param.dim() >= 2 and "emb" not in name else no_decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.95),
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=total_steps, pct_start=0.1
    )
    return optimizer, scheduler


def train_gpt(cfg: dict[str, Any] | None = None, verbose: bool = True) -> dict[str, Any]:
    """Entrena el GPT del curso con la receta de 8a y devuelve modelo, tokenizador e historial.

    Tokenizador BPE de bytes con el texto de entrenamiento de :func:`lm_splits`, ventanas de
    ``block_size`` tokens, :func:`make_optimizer` y ``utils.train.fit`` con recorte de
    gradientes. Devuelve ``{"model", "tokenizer", "history", "bpc_val", "tokens_per_s"}``.
    """
    from torch.utils.data import DataLoader

    from .seed import set_seed
    from .train import fit, sequence_cross_entropy

    cfg = _check_config(gpt_config() if cfg is None else cfg)
    texts = lm_splits(n_chapters=cfg["n_chapters"])
    tokenizer = train_bpe_tokenizer([texts["train"]], vocab_size=cfg["vocab_size"])
    ids = {k: tokenizer.encode(v) for k, v in texts.items()}
    set_seed(cfg["seed"])
    model = GPT(
        len(tokenizer),
        cfg["block_size"],
        cfg["d_model"],
        cfg["num_layers"],
        cfg["num_heads"],
        dropout=cfg["dropout"],
    )
    g = torch.Generator().manual_seed(cfg["seed"])
    train_loader = DataLoader(
        gpt_windows(ids["train"], cfg["block_size"]),
        batch_size=cfg["batch_size"],
        shuffle=True,
        generator=g,
    )
    val_loader = DataLoader(gpt_windows(ids["val"], cfg["block_size"]), batch_size=64)
    optimizer, scheduler = make_optimizer(model, cfg["lr"], cfg["epochs"] * len(train_loader))
    history = fit(
        model,
        train_loader,
        val_loader=val_loader,
        epochs=cfg["epochs"],
        optimizer=optimizer,
        scheduler=scheduler,
        loss_fn=sequence_cross_entropy(),
        grad_clip=1.0,
        verbose=verbose,
    )
    first = len(tokenizer.decode(ids["val"][:1]))
    bpc = bits_per_character(model, ids["val"], len(texts["val"]) - first)["bpc"]
    tokens_per_s = max(history["examples_per_s"]) * cfg["block_size"]
    return {
        "model": model,
        "tokenizer": tokenizer,
        "history": history,
        "bpc_val": bpc,
        "tokens_per_s": tokens_per_s,
    }


def save_gpt(model: GPT, tokenizer, folder: str | Path) -> Path:
    """Guarda modelo y tokenizador en ``folder`` en formato Hugging Face (``GPT2LMHeadModel``)."""
    folder = Path(folder)
    hf = to_hf(model, eos_token_id=tokenizer.eos_token_id)
    hf.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def store_gpt(model: GPT, tokenizer, cfg: dict[str, Any], info: dict[str, Any] | None = None):
    """Guarda un GPT ya entrenado (p. ej. el del cuaderno 8a) como el artefacto de ``cfg``.

    Lo que luego devuelve :func:`load_gpt` si ``cfg`` es :func:`gpt_config`: así el modelo que
    el cuaderno entrena y evalúa es el mismo que usa el servicio. Reemplaza el que hubiera.
    """
    from .artifacts import cached_artifact

    cfg = _check_config(cfg)

    def build(tmp: Path) -> dict[str, Any]:
        save_gpt(model, tokenizer, tmp)
        return dict(info or {})

    return cached_artifact("gpt", cfg, build, retrain=True, verbose=False)


def load_gpt(retrain: bool = False, verbose: bool = True) -> Path:
    """Carpeta del GPT del curso en formato Hugging Face; lo entrena una vez si no está en caché.

    La carpeta tiene ``config.json``, ``model.safetensors`` y el tokenizador, así que se carga
    como cualquier modelo del Hub::

        from transformers import AutoTokenizer, GPT2LMHeadModel
        folder = load_gpt()
        model = GPT2LMHeadModel.from_pretrained(folder)
        tokenizer = AutoTokenizer.from_pretrained(folder)

    En modo completo es el modelo de ``clase_8/8a_gpt.ipynb`` (si ese cuaderno ya se ejecutó,
    es exactamente el suyo; si no, se entrena aquí con la misma receta, unos minutos en CPU).
    En modo rápido (``CURSO_SMOKE=1``) es un modelo diminuto que se entrena en segundos.

    Ejemplo:
        >>> folder = load_gpt(verbose=False)                       # doctest: +SKIP
        >>> sorted(p.name for p in folder.iterdir())[:2]           # doctest: +SKIP
        ['config.json', 'curso_artifact.json']
    """
    from .artifacts import cached_artifact

    cfg = gpt_config()

    def build(tmp: Path) -> dict[str, Any]:
        start = time.perf_counter()
        out = train_gpt(cfg, verbose=verbose)
        save_gpt(out["model"], out["tokenizer"], tmp)
        return {
            "bpc_val": round(out["bpc_val"], 4),
            "tokens_per_s": round(out["tokens_per_s"], 1),
            "train_seconds": round(time.perf_counter() - start, 1),
            "origen": "utils.gpt.load_gpt",
        }

    return cached_artifact("gpt", cfg, build, retrain=retrain, verbose=verbose)
