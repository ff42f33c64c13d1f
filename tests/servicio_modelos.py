"""Modelos diminutos en formato Hugging Face para probar el servicio de la clase 8 en segundos.

Son modelos de verdad (``BertForSequenceClassification``, ``BertForMaskedLM``, ``BertModel``,
``GPT2LMHeadModel``) con pesos aleatorios y tokenizadores entrenados al vuelo, guardados con
``save_pretrained``: el servicio los carga por el mismo camino (``from_pretrained(carpeta)``)
que a los modelos del curso. Sus predicciones no significan nada; las pruebas comprueban el
contrato de la API, no la calidad.
"""

from __future__ import annotations

from pathlib import Path

import torch

WORDS = (
    "el la los las un una de del en y que no me gustó nada película muy buena mala aburrida "
    "principio creó dios cielos tierra río nace sierra cruza provincias mar aguas verano "
    "the movie was wonderful boring film great bad"
).split()

CORPUS = [
    "En el principio creó Dios los cielos y la tierra.",
    "El río nace en la sierra y cruza tres provincias antes de llegar al mar.",
    "La película no me gustó nada: muy aburrida.",
    "The movie was wonderful, a great film.",
] * 5


def _bert_tokenizer(folder: Path):
    from transformers import BertTokenizerFast

    chars = sorted({c for w in WORDS for c in w} | set(".,:;¿?¡!áéíóúñü0123456789"))
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *WORDS,
        *chars,
        *(f"##{c}" for c in chars),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    return BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True)


def _gpt_tokenizer():
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2TokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS, vocab_size=300, min_frequency=1,
                            special_tokens=["<|endoftext|>"])  # fmt: skip
    return GPT2TokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|endoftext|>",
                             bos_token="<|endoftext|>", unk_token="<|endoftext|>")  # fmt: skip


def build_tiny_models(root: Path, *, max_positions: int = 64) -> dict[str, str]:
    """Crea las cuatro carpetas y devuelve ``{fuente: ruta}`` para ``Settings(sources=...)``."""
    from transformers import (
        BertConfig,
        BertForMaskedLM,
        BertForSequenceClassification,
        BertModel,
        GPT2Config,
        GPT2LMHeadModel,
    )

    torch.manual_seed(0)
    root = Path(root)
    tok = _bert_tokenizer(root / "_vocab")
    bert = dict(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                intermediate_size=64, max_position_embeddings=max_positions)  # fmt: skip
    models = {
        "sentimiento": BertForSequenceClassification(
            BertConfig(
                **bert,
                num_labels=2,
                id2label={0: "negativo", 1: "positivo"},
                label2id={"negativo": 0, "positivo": 1},
            )  # fmt: skip
        ),
        "mascara": BertForMaskedLM(BertConfig(**bert)),
        "embeddings": BertModel(BertConfig(**bert)),
    }
    paths = {}
    for key, model in models.items():
        model.save_pretrained(root / key)
        tok.save_pretrained(root / key)
        paths[key] = str(root / key)
    gpt_tok = _gpt_tokenizer()
    gpt = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(gpt_tok),
            n_positions=max_positions,
            n_embd=32,
            n_layer=1,
            n_head=2,
            bos_token_id=gpt_tok.eos_token_id,
            eos_token_id=gpt_tok.eos_token_id,
        )  # fmt: skip
    )
    gpt.save_pretrained(root / "generacion")
    gpt_tok.save_pretrained(root / "generacion")
    paths["generacion"] = str(root / "generacion")
    return paths
