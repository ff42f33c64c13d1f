"""Mini-BETO: un BERT pequeño en español, preentrenado por el curso con el corpus del curso.

BETO (``dccuchile/bert-base-spanish-wwm-cased``) no se puede descargar sin conexión y ningún
paquete de PyPI trae un BERT en español. Así que el curso preentrena el suyo: un
``BertForMaskedLM`` de ``transformers`` con un tokenizador WordPiece entrenado con
``tokenizers`` sobre la partición de **entrenamiento** del corpus (Reina-Valera 1909), y lo
guarda en el formato estándar de Hugging Face (``config.json``, archivos del tokenizador,
``model.safetensors``). Cualquier cuaderno lo carga con ``from_pretrained(carpeta)``, igual que
cargaría BETO desde el Hub.

Piezas públicas:

- :func:`load_mini_beto`: la carpeta del modelo (preentrenado una vez y guardado en la caché con
  :func:`utils.artifacts.cached_artifact`; diminuto en modo rápido).
- :func:`corpus_splits`: el corpus con la partición de la clase 4 (por capítulos).
- :func:`train_wordpiece`: entrena el tokenizador WordPiece.
- :func:`whole_word_mask`: enmascarado de palabras completas (15 %, 80/10/10).
- :func:`masked_lm_loss`: la pérdida de MLM calculando la cabeza solo en las posiciones
  enmascaradas (lo que hace viable el preentrenamiento en CPU).

Ejemplo::

    >>> from transformers import pipeline
    >>> carpeta = load_mini_beto()                                   # doctest: +SKIP
    mini_beto: cargado de la caché …/mini_beto/mini_beto-…
    >>> relleno = pipeline("fill-mask", model=str(carpeta))          # doctest: +SKIP
    >>> relleno("Y dijo [MASK] á Moisés")[0]["token_str"]            # doctest: +SKIP
    'Jehová'
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torch.nn import functional as F

from . import config as _config
from .artifacts import artifact_info, cached_artifact
from .data import _sha256_file

__all__ = [
    "FULL_CONFIG",
    "KIND",
    "SMOKE_CONFIG",
    "SPECIAL_TOKENS",
    "corpus_splits",
    "load_mini_beto",
    "masked_lm_loss",
    "mini_beto_config",
    "pack_sequences",
    "train_wordpiece",
    "whole_word_mask",
]

#: Nombre del artefacto en la caché (``data_dir()/mini_beto/…``).
KIND = "mini_beto"

#: Tokens especiales, en este orden (ids 0 a 4), como en BERT.
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

#: Configuración del modo completo: un BERT de 2 capas y 128 dimensiones (~1,5 M de parámetros).
#: Con pocos pasos, la pérdida de MLM se queda un buen rato en la del unigrama (~6,2 tras 160
#: pasos de 64 secuencias, medido); hacen falta del orden de miles de pasos para salir de ahí.
FULL_CONFIG: dict[str, Any] = {
    "vocab_size": 8000,  # tamaño del vocabulario WordPiece
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 512,
    "max_len": 64,  # tokens por secuencia, con [CLS] y [SEP]
    "batch_size": 32,
    # 12000 pasos (~26 min con 1 hilo en la máquina del curso). Con 2000 la pérdida de validación
    # se queda en la meseta del unigrama (5.78; top-5 1.2× el del unigrama); con 6000 sale de ella
    # hacia el paso 4000 y acaba en 5.05; con 12000 (calentamiento y decaimiento más largos) sale
    # antes y acaba en 3.85. Elegido en versículos de validación: top-5 1.99× el del unigrama con
    # 6000 pasos, 3.61× con 12000.
    "steps": 12000,  # pasos del optimizador
    "eval_every": 500,  # pasos entre dos medidas de la pérdida de validación
    "lr": 2e-3,
    "warmup": 0.06,  # fracción de pasos de calentamiento lineal de la tasa de aprendizaje
    "mask_prob": 0.15,
    "max_train_verses": None,  # None = toda la partición de entrenamiento
    "val_sequences": 64,
    "seed": 0,
}

#: Configuración del modo rápido: se construye en pocos segundos con un hilo.
SMOKE_CONFIG: dict[str, Any] = {
    **FULL_CONFIG,
    "vocab_size": 1000,
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 128,
    "max_len": 64,
    "batch_size": 16,
    "steps": 40,
    "eval_every": 10,
    "lr": 2e-3,
    "max_train_verses": 3000,
    "val_sequences": 16,
}

_INT_KEYS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_len",
    "batch_size",
    "steps",
    "eval_every",
    "val_sequences",
)
_WEIGHTS = "model.safetensors"


# ---------------------------------------------------------------------------------------------
# Configuración
# ---------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def mini_beto_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """La configuración de mini-BETO del modo actual, con ``overrides`` aplicados y validados.

    Parte de :data:`SMOKE_CONFIG` en modo rápido (``CURSO_SMOKE=1``) y de :data:`FULL_CONFIG`
    en modo completo. Una clave desconocida o un valor imposible es un ``ValueError`` que dice
    qué falla.

    Ejemplo:
        >>> mini_beto_config({"steps": 10})["steps"]
        10
        >>> mini_beto_config({"capas": 2})
        Traceback (most recent call last):
        ...
        ValueError: Clave de configuración desconocida para mini-BETO: 'capas'. Claves válidas: ...
    """
    base = dict(SMOKE_CONFIG if _config.SMOKE else FULL_CONFIG)
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise TypeError(
            f"La configuración debe ser un dict (p. ej. {{'steps': 100}}); "
            f"se recibió {type(overrides).__name__}."
        )
    for key in overrides:
        if key not in base:
            raise ValueError(
                f"Clave de configuración desconocida para mini-BETO: {key!r}. "
                f"Claves válidas: {', '.join(base)}."
            )
    cfg = {**base, **overrides}
    for key in _INT_KEYS:
        if not _is_int(cfg[key]) or cfg[key] < 1:
            raise ValueError(f"{key} debe ser un entero ≥ 1; se recibió {cfg[key]!r}.")
        cfg[key] = int(cfg[key])
    if cfg["vocab_size"] < 100:
        raise ValueError(
            f"vocab_size debe ser ≥ 100 (caracteres sueltos + especiales); es {cfg['vocab_size']}."
        )
    if cfg["hidden_size"] % cfg["num_attention_heads"]:
        raise ValueError(
            f"hidden_size ({cfg['hidden_size']}) debe ser múltiplo de num_attention_heads "
            f"({cfg['num_attention_heads']}): cada cabeza recibe hidden_size / cabezas dimensiones."
        )
    if not 8 <= cfg["max_len"] <= 512:
        raise ValueError(f"max_len debe estar entre 8 y 512 tokens; es {cfg['max_len']}.")
    for key, low, high in (("lr", 0.0, 1.0), ("mask_prob", 0.0, 1.0), ("warmup", -1e-12, 1.0)):
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value < high:
            raise ValueError(f"{key} debe ser un número en ({max(low, 0)}, {high}); es {value!r}.")
        cfg[key] = float(value)
    verses = cfg["max_train_verses"]
    if verses is not None and (not _is_int(verses) or verses < 1):
        raise ValueError(f"max_train_verses debe ser None o un entero ≥ 1; es {verses!r}.")
    if not _is_int(cfg["seed"]):
        raise ValueError(f"seed debe ser un entero; es {cfg['seed']!r}.")
    return cfg


# ---------------------------------------------------------------------------------------------
# Datos
# ---------------------------------------------------------------------------------------------


def corpus_splits() -> pd.DataFrame:
    """El corpus (un versículo por fila) con la columna ``split``: la partición de la clase 4.

    La misma regla que ``clase_4/4c_modelo_de_lenguaje.ipynb``, aplicada a cada testamento:
    se numeran sus capítulos en orden (0, 1, 2…) y el capítulo ``i`` va a ``"validation"``
    si ``i % 10 == 3``, a ``"test"`` si ``i % 10 == 7`` y a ``"train"`` en otro caso. En el
    Nuevo Testamento es exactamente la partición de 4c. Así ningún modelo de la clase 7 ve en
    entrenamiento los capítulos con que se evalúa.

    Ejemplo:
        >>> frame = corpus_splits()  # doctest: +SKIP
        >>> frame["split"].value_counts().to_dict()  # doctest: +SKIP
        {'train': 24881, 'validation': 3126, 'test': 3095}
    """
    from .data import load_spanish_corpus

    frame = load_spanish_corpus().to_pandas()
    chapter_idx = np.zeros(len(frame), dtype=np.int64)
    for _, part in frame.groupby("testament", sort=False):
        chapter_idx[part.index] = part.groupby(["book_id", "chapter"], sort=False).ngroup()
    frame["chapter_idx"] = chapter_idx
    frame["split"] = np.select(
        [chapter_idx % 10 == 3, chapter_idx % 10 == 7], ["validation", "test"], "train"
    )
    return frame


def _check_texts(texts: Any, what: str) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence | pd.Series):
        raise TypeError(f"{what} debe ser una lista de textos, no {type(texts).__name__}.")
    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    if not texts:
        raise ValueError(f"{what} está vacío (corpus vacío): no hay textos para entrenar.")
    return texts


def train_wordpiece(texts: Sequence[str], vocab_size: int = 8000, min_frequency: int = 2) -> Any:
    """Entrena un tokenizador WordPiece (como el de BERT, con mayúsculas y tildes) con ``texts``.

    Normaliza como BERT sin pasar a minúsculas ni quitar tildes (igual que BETO *cased*), separa
    por espacios y signos de puntuación, y aprende un vocabulario de ``vocab_size`` piezas; las
    que continúan una palabra empiezan por ``##``. Devuelve un ``BertTokenizerFast`` de
    ``transformers`` (se guarda con ``save_pretrained``).

    Ejemplo:
        >>> tok = train_wordpiece(["el vino de la viña"] * 5 + ["vino Jesús"] * 5, vocab_size=100)
        >>> tok.tokenize("vino")
        ['vino']
        >>> train_wordpiece([])
        Traceback (most recent call last):
        ...
        ValueError: Los textos del tokenizador está vacío (corpus vacío): no hay textos para entrenar.
    """
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import BertTokenizerFast

    texts = _check_texts(texts, "Los textos del tokenizador")
    if not _is_int(vocab_size) or vocab_size < len(SPECIAL_TOKENS) + 1:
        raise ValueError(
            f"vocab_size debe ser un entero > {len(SPECIAL_TOKENS)}; es {vocab_size!r}."
        )
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=int(vocab_size),
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return BertTokenizerFast(
        tokenizer_object=tok,
        do_lower_case=False,
        strip_accents=False,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def pack_sequences(
    encoded: Sequence[Sequence[int]], max_len: int, cls_id: int, sep_id: int
) -> list[list[int]]:
    """Junta textos consecutivos ya codificados en secuencias ``[CLS] … [SEP]`` de ≤ ``max_len``.

    Se añaden textos enteros mientras quepan (un texto más largo que la secuencia se corta),
    así casi no hace falta relleno y cada paso del entrenamiento aprovecha sus ``max_len``
    posiciones.

    Ejemplo:
        >>> pack_sequences([[5, 6], [7], [8, 9, 10]], max_len=6, cls_id=2, sep_id=3)
        [[2, 5, 6, 7, 3], [2, 8, 9, 10, 3]]
    """
    if not _is_int(max_len) or max_len < 3:
        raise ValueError(f"max_len debe ser un entero ≥ 3; es {max_len!r}.")
    body = max_len - 2
    out: list[list[int]] = []
    current: list[int] = []
    for ids in encoded:
        ids = list(ids)[:body]
        if current and len(current) + len(ids) > body:
            out.append([cls_id, *current, sep_id])
            current = []
        current.extend(ids)
    if current:
        out.append([cls_id, *current, sep_id])
    if not out:
        raise ValueError("No hay tokens que empaquetar (corpus vacío).")
    return out


# ---------------------------------------------------------------------------------------------
# Enmascarado y pérdida
# ---------------------------------------------------------------------------------------------


def whole_word_mask(
    input_ids: Tensor,
    word_start: Tensor,
    *,
    mask_id: int,
    special_ids: Sequence[int],
    mask_prob: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Enmascarado de palabras completas (*whole-word masking*) para el MLM de BERT.

    Elige cada **palabra** con probabilidad ``mask_prob`` y enmascara **todas** sus piezas
    WordPiece (``Gal ##ile ##a``). Cada pieza elegida se reemplaza por ``[MASK]`` el 80 % de
    las veces, por un token al azar el 10 % y se deja igual el 10 % (BERT, Devlin et al. 2019).
    Cada fila tiene al menos una palabra enmascarada.

    Args:
        input_ids: ``[batch, seq_len]`` con los ids (incluidos especiales y relleno).
        word_start: tensor booleano ``[vocab]``: ``True`` si el token empieza palabra (no ``##``).
        mask_id: id de ``[MASK]``.
        special_ids: ids que nunca se enmascaran (``[PAD]``, ``[CLS]``, ``[SEP]``…).
        mask_prob: probabilidad de elegir cada palabra.
        generator: generador de PyTorch (para enmascarados reproducibles, p. ej. en validación).

    Returns:
        ``(entrada_enmascarada, labels)``; ``labels`` vale ``-100`` donde no hay que predecir.

    Ejemplo:
        >>> ids = torch.tensor([[2, 10, 11, 12, 3]])            # [CLS] Gal ##ile ##a [SEP]
        >>> start = torch.ones(20, dtype=torch.bool); start[[11, 12]] = False
        >>> x, y = whole_word_mask(ids, start, mask_id=4, special_ids=[0, 2, 3], mask_prob=0.5)
        >>> y.tolist()                                             # la palabra entera
        [[-100, 10, 11, 12, -100]]
    """
    if not isinstance(input_ids, Tensor) or input_ids.dim() != 2:
        raise ValueError("input_ids debe ser un tensor [batch, seq_len] de ids.")
    if not 0 < mask_prob < 1:
        raise ValueError(f"mask_prob debe estar entre 0 y 1; es {mask_prob!r}.")
    if int(input_ids.max()) >= len(word_start):
        raise ValueError(
            f"input_ids tiene ids ≥ {len(word_start)} (tamaño de word_start = vocabulario)."
        )
    special = torch.isin(input_ids, torch.as_tensor(list(special_ids), dtype=input_ids.dtype))
    starts = word_start.to(input_ids.device)[input_ids] & ~special  # [B, T]
    word_id = torch.cumsum(
        starts.long(), dim=1
    )  # [B, T]: nº de palabra de cada token (0 = ninguna)
    rand = torch.rand(input_ids.shape, generator=generator).to(input_ids.device)
    chosen_start = starts & (rand < mask_prob)  # palabras elegidas, marcadas en su primera pieza
    # Filas sin ninguna palabra elegida: se elige la de mayor número aleatorio entre sus inicios.
    empty = ~chosen_start.any(dim=1) & starts.any(dim=1)
    if empty.any():
        best = torch.where(starts, rand, torch.full_like(rand, -1.0)).argmax(dim=1)
        chosen_start[empty, best[empty]] = True
    chosen_word = torch.zeros(input_ids.shape[0], input_ids.shape[1] + 1, dtype=torch.bool)
    chosen_word = chosen_word.to(input_ids.device)
    chosen_word.scatter_(1, torch.where(chosen_start, word_id, 0), chosen_start)
    chosen_word[:, 0] = False
    chosen = chosen_word.gather(1, word_id) & ~special & (word_id > 0)  # todas las piezas
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    action = torch.rand(input_ids.shape, generator=generator).to(input_ids.device)
    random_ids = torch.randint(
        len(SPECIAL_TOKENS), len(word_start), input_ids.shape, generator=generator
    ).to(input_ids.device)
    masked = input_ids.clone()
    masked[chosen & (action < 0.8)] = mask_id
    swap = chosen & (action >= 0.8) & (action < 0.9)
    masked[swap] = random_ids[swap]
    return masked, labels


def masked_lm_loss(model: Any, batch: dict[str, Tensor]) -> Tensor:
    """Pérdida de MLM calculando la cabeza de salida **solo** en las posiciones enmascaradas.

    ``BertForMaskedLM`` calcula por defecto los *logits* de las ``V`` palabras en **todas** las
    posiciones (``[batch, seq_len, V]``) aunque solo el ~15 % cuente para la pérdida. Aquí se
    pasa por el codificador (``model.bert``) y se aplica la cabeza (``model.cls``) a los
    vectores enmascarados: mismo resultado, ~6 veces menos cómputo en la última capa. Sirve
    como ``compute_loss`` de :func:`utils.train.fit`.

    Ejemplo:
        >>> from transformers import BertConfig, BertForMaskedLM
        >>> m = BertForMaskedLM(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                                num_attention_heads=2, intermediate_size=32)).eval()
        >>> ids = torch.randint(5, 50, (2, 6)); labels = torch.full_like(ids, -100)
        >>> labels[:, 2] = ids[:, 2]
        >>> batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
        >>> full = m(**batch).loss                     # la cabeza en todas las posiciones
        >>> torch.allclose(masked_lm_loss(m, batch), full)
        True
    """
    labels = batch["labels"]
    selected = labels != -100  # [B, T]
    if not bool(selected.any()):
        raise ValueError("El lote no tiene ninguna posición enmascarada (labels todo -100).")
    hidden = model.bert(
        input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask")
    ).last_hidden_state  # [B, T, H]
    logits = model.cls(hidden[selected])  # [n_enmascarados, V]
    return F.cross_entropy(logits.float(), labels[selected])


# ---------------------------------------------------------------------------------------------
# Preentrenamiento
# ---------------------------------------------------------------------------------------------


def _word_start_table(tokenizer: Any) -> Tensor:
    start = torch.ones(len(tokenizer), dtype=torch.bool)
    for token, idx in tokenizer.get_vocab().items():
        if token.startswith("##"):
            start[idx] = False
    return start


class _MLMCollator:
    """Rellena un lote de secuencias y aplica el enmascarado de palabras completas."""

    def __init__(self, tokenizer: Any, word_start: Tensor, mask_prob: float) -> None:
        self.pad_id = tokenizer.pad_token_id
        self.mask_id = tokenizer.mask_token_id
        self.special_ids = list(tokenizer.all_special_ids)
        self.word_start = word_start
        self.mask_prob = mask_prob

    def __call__(
        self, seqs: list[list[int]], generator: torch.Generator | None = None
    ) -> dict[str, Tensor]:
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)  # [B, T]
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.as_tensor(s)
        attention = (ids != self.pad_id).long()  # [B, T]
        masked, labels = whole_word_mask(
            ids, self.word_start, mask_id=self.mask_id, special_ids=self.special_ids,
            mask_prob=self.mask_prob, generator=generator,
        )  # fmt: skip
        return {"input_ids": masked, "attention_mask": attention, "labels": labels}


def _pretrain(
    folder: Path,
    cfg: dict[str, Any],
    train_texts: Sequence[str],
    val_texts: Sequence[str],
    verbose: bool = True,
) -> dict[str, Any]:
    """Entrena tokenizador + ``BertForMaskedLM`` y los guarda en ``folder`` (formato HF)."""
    from torch.utils.data import DataLoader, RandomSampler
    from transformers import BertConfig, BertForMaskedLM, get_linear_schedule_with_warmup

    from .seed import set_seed
    from .train import fit

    train_texts = _check_texts(train_texts, "El corpus de entrenamiento de mini-BETO")
    val_texts = _check_texts(val_texts, "El corpus de validación de mini-BETO")
    set_seed(cfg["seed"])
    start = time.perf_counter()
    tokenizer = train_wordpiece(train_texts, vocab_size=cfg["vocab_size"])
    tokenizer_seconds = time.perf_counter() - start

    def encode(texts: Sequence[str]) -> list[list[int]]:
        # Versículos enteros (algunos superan max_len): pack_sequences los corta después.
        return tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]

    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    train_seqs = pack_sequences(encode(train_texts), cfg["max_len"], cls_id, sep_id)
    val_seqs = pack_sequences(encode(val_texts), cfg["max_len"], cls_id, sep_id)
    val_seqs = val_seqs[: cfg["val_sequences"]]
    collate = _MLMCollator(tokenizer, _word_start_table(tokenizer), cfg["mask_prob"])
    # Validación: el mismo enmascarado en cada medida (generador fijo), así las pérdidas se comparan.
    g_val = torch.Generator().manual_seed(cfg["seed"] + 1)
    bs = cfg["batch_size"]
    val_batches = [collate(val_seqs[i : i + bs], g_val) for i in range(0, len(val_seqs), bs)]
    # Cada «época» de fit es un tramo de eval_every pasos: así hay una curva de validación.
    sampler = RandomSampler(
        train_seqs,
        replacement=False,
        num_samples=cfg["eval_every"] * bs,
        generator=torch.Generator().manual_seed(cfg["seed"]),
    )
    train_loader = DataLoader(train_seqs, batch_size=bs, sampler=sampler, collate_fn=collate)

    model_config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg["hidden_size"],
        num_hidden_layers=cfg["num_hidden_layers"],
        num_attention_heads=cfg["num_attention_heads"],
        intermediate_size=cfg["intermediate_size"],
        max_position_embeddings=cfg["max_len"],
        pad_token_id=tokenizer.pad_token_id,
    )
    model = BertForMaskedLM(model_config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, round(cfg["warmup"] * cfg["steps"]), cfg["steps"]
    )
    n_chunks = math.ceil(cfg["steps"] / cfg["eval_every"])
    if verbose:
        n_params = sum(p.numel() for p in model.parameters())
        n_tokens = sum(len(s) for s in train_seqs)
        print(
            f"Preentrenando mini-BETO: {cfg['num_hidden_layers']} capas × {cfg['hidden_size']} "
            f"dim, {n_params / 1e6:.1f} M parámetros, vocabulario {len(tokenizer):,}; "
            f"{len(train_seqs):,} secuencias de ≤ {cfg['max_len']} tokens ({n_tokens:,} tokens); "
            f"{cfg['steps']} pasos de {bs} secuencias."
        )
    history = fit(
        model,
        train_loader,
        epochs=n_chunks,
        max_steps=cfg["steps"],
        optimizer=optimizer,
        scheduler=scheduler,
        compute_loss=masked_lm_loss,
        val_loader=val_batches,
        grad_clip=1.0,
        verbose=verbose,
    )
    model.save_pretrained(folder)
    tokenizer.model_max_length = cfg["max_len"]  # lo que acepta el modelo (posiciones)
    tokenizer.save_pretrained(folder)
    mean_len = float(np.mean([len(s) for s in train_seqs]))
    # Tiempo de la fase de entrenamiento (sin validación) de cada tramo de eval_every pasos.
    train_seconds = sum(cfg["eval_every"] * bs / eps for eps in history["examples_per_s"])
    tokens_seen = cfg["steps"] * bs * mean_len
    return {
        "history": [
            {k: e.get(k) for k in ("epoch", "train_loss", "val_loss", "time_s", "examples_per_s")}
            for e in history.epochs
        ],
        "steps_per_epoch": cfg["eval_every"],
        "final_val_loss": float(history["val_loss"][-1]),
        "params": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "train_verses": len(train_texts),
        "train_sequences": len(train_seqs),
        "val_sequences": len(val_seqs),
        "tokens_seen": round(tokens_seen),
        "train_seconds": round(train_seconds, 2),
        "tokens_per_s": round(tokens_seen / train_seconds, 1) if train_seconds > 0 else None,
        "tokenizer_seconds": round(tokenizer_seconds, 2),
        "torch_threads": torch.get_num_threads(),
        "sha256": {_WEIGHTS: _sha256_file(folder / _WEIGHTS)},
    }


def _corpus_texts(cfg: dict[str, Any]) -> tuple[list[str], list[str]]:
    frame = corpus_splits()
    train = frame.loc[frame["split"] == "train", "text"].tolist()
    if cfg["max_train_verses"] is not None:
        train = train[: cfg["max_train_verses"]]
    val = frame.loc[frame["split"] == "validation", "text"].tolist()
    return train, val


def _is_complete(folder: Path) -> bool:
    """¿Están todos los archivos y coinciden los pesos con la suma sha256 del sello?"""
    needed = ("config.json", "tokenizer.json", "tokenizer_config.json", _WEIGHTS)
    if not all((folder / name).is_file() for name in needed):
        return False
    expected = artifact_info(folder).get("info", {}).get("sha256", {}).get(_WEIGHTS)
    return expected is not None and _sha256_file(folder / _WEIGHTS) == expected


def load_mini_beto(
    retrain: bool = False, verbose: bool = True, config: dict[str, Any] | None = None
) -> Path:
    """Carpeta de mini-BETO (``BertForMaskedLM`` + tokenizador WordPiece), preentrenado una vez.

    La primera llamada entrena el tokenizador y el modelo con la partición de entrenamiento de
    :func:`corpus_splits` y los guarda en la caché (``data_dir()/mini_beto/…``), de forma
    atómica, con la configuración, la versión del corpus y el modo rápido en el nombre de la
    carpeta. Las siguientes devuelven la carpeta al instante. Si falta un archivo o los pesos no
    coinciden con la suma sha256 guardada, se reconstruye. En modo rápido (``CURSO_SMOKE=1``) el
    modelo es diminuto y se construye en segundos; en modo completo (:data:`FULL_CONFIG`) tarda
    unos minutos en 2 núcleos. El sello ``curso_artifact.json`` guarda la curva de pérdida,
    los tokens/s y el tiempo (``utils.artifacts.artifact_info(carpeta)``).

    Args:
        retrain: reentrenar aunque esté en la caché.
        verbose: imprimir qué se hizo.
        config: cambios sobre la configuración del modo actual (ver :func:`mini_beto_config`).

    Returns:
        La carpeta, lista para ``AutoModelForMaskedLM.from_pretrained(carpeta)``,
        ``AutoTokenizer.from_pretrained(carpeta)`` o ``pipeline("fill-mask", model=...)``.

    Ejemplo:
        >>> from transformers import AutoModelForMaskedLM
        >>> carpeta = load_mini_beto()  # doctest: +SKIP
        >>> modelo = AutoModelForMaskedLM.from_pretrained(carpeta)  # doctest: +SKIP
    """
    cfg = mini_beto_config(config)

    def build(folder: Path) -> dict[str, Any]:
        train, val = _corpus_texts(cfg)
        return _pretrain(folder, cfg, train, val, verbose=verbose)

    return cached_artifact(KIND, cfg, build, retrain=retrain, verbose=verbose, check=_is_complete)
