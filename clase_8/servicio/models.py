"""Un adaptador pequeño por modelo: carga una carpeta en formato Hugging Face y predice por lotes.

Todos los modelos del curso (el clasificador afinado de 7e, mini-BETO de 7d, el MiniLM que da
los vectores del resumen de 7f y el GPT de 8a) se guardan con ``save_pretrained``, así que se
cargan igual que un modelo del Hub: ``AutoModel...from_pretrained(carpeta)``. Cada adaptador:

- carga el modelo **una vez**, lo pone en modo evaluación (``eval()``) y, si se pide, lo
  cuantiza a int8 (capas lineales);
- expone ``predict(lote) -> resultados``: una función *síncrona* que el servicio ejecuta en un
  hilo aparte, bajo ``torch.inference_mode()`` (sin grafo de gradientes: menos memoria y más
  rápido);
- describe qué modelo es (``info()``): origen, versión, arquitectura, parámetros, dispositivo.
"""

from __future__ import annotations

import importlib
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from utils import config

from .config import Settings
from .schemas import MASK


def quantize_int8(model: nn.Module) -> nn.Module:
    """Cuantización dinámica int8 de las capas ``nn.Linear`` (pesos en int8, activaciones al vuelo).

    ``torch.ao.quantization`` avisa de que será reemplazado por ``torchao``; la técnica es la
    misma y aquí basta la versión que trae PyTorch, así que se silencia ese aviso.

    Ejemplo:
        >>> q = quantize_int8(nn.Sequential(nn.Linear(4, 4)))
        >>> "quantized.dynamic" in type(q[0]).__module__  # la capa ahora es int8 dinámica
        True
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)


def _describe_source(source: str, course_loader: str | None) -> dict[str, Any]:
    """Origen y versión de un modelo: caché del curso (con su sello), carpeta local o Hub."""
    path = Path(source)
    if not path.is_dir():
        return {"origen": "Hub", "version": source}
    info: dict[str, Any] = {
        "origen": f"caché del curso ({course_loader})" if course_loader else "carpeta local",
        "version": path.name,
    }
    stamp = path / "curso_artifact.json"
    if stamp.is_file():
        meta = json.loads(stamp.read_text(encoding="utf-8"))
        info["version"] = f"{path.name} (construido {meta.get('built_at', '?')})"
        info["modo_rapido"] = bool(meta.get("smoke"))
    return info


class InvalidInput(ValueError):
    """La entrada cumple el esquema pero el modelo no puede procesarla (→ HTTP 422)."""


class Adapter:
    """Base de los adaptadores: carga, descripción y el contrato de ``predict``."""

    task = ""
    auto_class = "AutoModel"

    def __init__(
        self,
        source: str,
        *,
        device: torch.device,
        quantize: bool = False,
        loader: str | None = None,
    ) -> None:
        import transformers

        start = time.perf_counter()
        self.source = str(source)
        self.device = device
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.source)
        model = getattr(transformers, self.auto_class).from_pretrained(self.source)
        model.eval()
        self.quantized = bool(quantize) and device.type == "cpu"
        if self.quantized:
            model = quantize_int8(model)
        self.model = model.to(device)
        self.load_seconds = time.perf_counter() - start
        self._source_info = _describe_source(self.source, loader)

    @property
    def name(self) -> str:
        """Nombre corto: la carpeta (o su carpeta madre si se llama «model»), o el id del Hub."""
        path = Path(self.source)
        if not path.is_dir():
            return self.source
        return path.parent.name if path.name == "model" else path.name

    def info(self) -> dict[str, Any]:
        config = self.model.config
        return {
            "tarea": self.task,
            "modelo": self.source,
            **self._source_info,
            "arquitectura": (config.architectures or [type(self.model).__name__])[0],
            "parametros": sum(p.numel() for p in self.model.parameters()),
            "dispositivo": str(self.device),
            "cuantizado_int8": self.quantized,
            "carga_s": round(self.load_seconds, 2),
        }

    def predict(self, batch: list[Any]) -> list[Any]:  # pragma: no cover - abstracto
        raise NotImplementedError

    def _max_length(self) -> int:
        limit = getattr(self.model.config, "max_position_embeddings", 512)
        return int(min(512, limit))

    def _encode(self, texts: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self._max_length(), return_tensors="pt"
        )
        return {k: v.to(self.device) for k, v in enc.items()}


class SentimentAdapter(Adapter):
    """Clasificador de secuencias: ``predict([texto, ...]) -> [{etiqueta, probabilidades}]``."""

    task = "sentimiento"
    auto_class = "AutoModelForSequenceClassification"

    def info(self) -> dict[str, Any]:
        return {**super().info(), "etiquetas": list(self.labels())}

    def labels(self) -> list[str]:
        id2label = self.model.config.id2label
        return [str(id2label[i]) for i in range(len(id2label))]

    def predict(self, batch: list[str]) -> list[dict[str, Any]]:
        labels = self.labels()
        with torch.inference_mode():
            logits = self.model(**self._encode(batch)).logits  # [B, n_clases]
            probs = logits.float().softmax(-1).cpu()  # [B, n_clases]
        return [
            {
                "etiqueta": labels[int(row.argmax())],
                "probabilidades": {
                    lab: round(float(p), 6) for lab, p in zip(labels, row, strict=True)
                },
            }
            for row in probs
        ]


class FillMaskAdapter(Adapter):
    """Modelo de lenguaje enmascarado: ``predict([(texto, top_k), ...]) -> [[candidato, ...]]``."""

    task = "mascara"
    auto_class = "AutoModelForMaskedLM"

    def __init__(self, source: str, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        if self.tokenizer.mask_token is None:
            raise ValueError(f"El tokenizador de «{source}» no tiene token de máscara.")
        special = torch.tensor(self.tokenizer.all_special_ids)
        self._special = special[special < self.model.config.vocab_size]

    def predict(self, batch: list[tuple[str, int]]) -> list[list[dict[str, Any]] | InvalidInput]:
        texts = [t.replace(MASK, self.tokenizer.mask_token) for t, _ in batch]
        enc = self._encode(texts)
        with torch.inference_mode():
            logits = self.model(**enc).logits.float()  # [B, T, V]
            logits[..., self._special] = float("-inf")  # nunca [CLS], [PAD], [MASK]...
            probs = logits.softmax(-1)  # [B, T, V]
        is_mask = enc["input_ids"] == self.tokenizer.mask_token_id  # [B, T]
        results = []
        for i, (text, top_k) in enumerate(batch):
            positions = is_mask[i].nonzero().flatten()
            if len(positions) == 0:  # la máscara quedó fuera por truncado
                results.append(
                    InvalidInput(
                        f"«{MASK}» quedó fuera de los {self._max_length()} tokens que el modelo "
                        "puede leer: acorta el texto o acerca la máscara al principio."
                    )
                )
                continue
            top = probs[i, positions[0]].topk(top_k)  # los k más probables en la máscara
            candidates = []
            for p, idx in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                token = self.tokenizer.convert_ids_to_tokens(idx)
                filled = (
                    text.replace(" " + MASK, token[2:]).replace(MASK, token[2:])
                    if token.startswith("##")  # continuación de palabra (WordPiece)
                    else text.replace(MASK, token)
                )
                candidates.append({"token": token, "probabilidad": round(p, 6), "texto": filled})
            results.append(candidates)
        return results


class EmbeddingAdapter(Adapter):
    """El modelo que da los vectores de oración del resumen (``AutoModel``, sin cabeza)."""

    task = "embeddings"
    auto_class = "AutoModel"


class SummaryAdapter:
    """Resumen extractivo de 7f: ``predict([(texto, k, método), ...]) -> [{resumen, ...}]``.

    Divide el texto en oraciones (``utils.text.split_sentences``), las convierte en vectores con
    la media de los estados ocultos del modelo (``utils.summarize.transformer_embedder``) y elige
    las ``k`` más representativas con ``utils.summarize.select_sentences``, en su orden original.
    """

    task = "resumen"

    def __init__(self, embedder: EmbeddingAdapter) -> None:
        from utils.summarize import transformer_embedder

        self.embedder = embedder
        self.model = embedder.model
        self.embed = transformer_embedder(embedder.model, embedder.tokenizer)

    @property
    def name(self) -> str:
        return self.embedder.name

    def info(self) -> dict[str, Any]:
        return {**self.embedder.info(), "tarea": self.task,
                "seleccion": "utils.summarize.select_sentences"}  # fmt: skip

    def predict(self, batch: list[tuple[str, int, str]]) -> list[dict[str, Any] | InvalidInput]:
        from utils.summarize import select_sentences
        from utils.text import split_sentences

        results: list[dict[str, Any] | InvalidInput] = []
        for text, k, method in batch:
            sentences = split_sentences(text)
            if not sentences:
                results.append(InvalidInput("El texto no tiene ninguna oración que resumir."))
                continue
            with torch.inference_mode():
                chosen = select_sentences(sentences, self.embed, k=k, method=method)
            results.append({
                "resumen": " ".join(sentences[i] for i in chosen),
                "indices": chosen,
                "n_oraciones": len(sentences),
            })  # fmt: skip
        return results


class GenerationAdapter(Adapter):
    """Modelo causal (GPT): ``predict([(texto, parámetros), ...]) -> [{continuacion, ...}]``."""

    task = "generacion"
    auto_class = "AutoModelForCausalLM"

    @property
    def context_length(self) -> int:
        config = self.model.config
        return int(getattr(config, "n_positions", None) or config.max_position_embeddings)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "contexto_tokens": self.context_length}

    def predict(
        self, batch: list[tuple[str, dict[str, Any]]]
    ) -> list[dict[str, Any] | InvalidInput]:
        return [self._generate(text, params) for text, params in batch]

    def _generate(self, text: str, params: dict[str, Any]) -> dict[str, Any] | InvalidInput:
        max_new = int(params["max_new_tokens"])
        ids = self.tokenizer(text)["input_ids"] or [self.tokenizer.eos_token_id]
        room = self.context_length - max_new  # tokens de entrada que caben con los nuevos
        if room < 1:
            return InvalidInput(
                f"max_new_tokens={max_new} no cabe en el contexto de {self.context_length} tokens."
            )
        cropped = len(ids) > room
        ids = ids[-room:]  # si no cabe, se conserva el final del texto (lo más reciente)
        input_ids = torch.tensor([ids], device=self.device)  # [1, T]
        kwargs: dict[str, Any] = {"max_new_tokens": max_new, "do_sample": False}
        if params["temperature"] > 0:
            kwargs.update(
                do_sample=True,
                temperature=float(params["temperature"]),
                top_k=int(params["top_k"]) or None,
                top_p=float(params["top_p"]),
            )
        if params.get("seed") is not None:
            torch.manual_seed(int(params["seed"]))
        pad = self.tokenizer.pad_token_id
        with torch.inference_mode():
            out = self.model.generate(
                input_ids,
                attention_mask=torch.ones_like(input_ids),
                pad_token_id=self.tokenizer.eos_token_id if pad is None else pad,
                **kwargs,
            )  # [1, T + nuevos]
        new_ids = out[0, input_ids.shape[1] :].tolist()
        prompt = self.tokenizer.decode(ids, skip_special_tokens=True)
        continuation = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        return {
            "texto": prompt + continuation,
            "continuacion": continuation,
            "tokens_generados": len(new_ids),
            "recortado": cropped,
        }


# --- de dónde sale cada modelo ---------------------------------------------------------------


class CourseLoader(NamedTuple):
    """El cargador del curso de una fuente: ``módulo.función()`` devuelve la carpeta del modelo."""

    module: str
    function: str
    #: Cuánto tarda la primera vez en modo completo (medido en la máquina del curso); ``None``
    #: si el modelo viene empaquetado y no se entrena.
    first_build: str | None


#: Para cada fuente, su cargador del curso.
COURSE_LOADERS: dict[str, CourseLoader] = {
    "sentimiento": CourseLoader(
        "utils.finetune", "load_sentiment_classifier", "unos 10 minutos en 2 núcleos de CPU libres"
    ),
    "mascara": CourseLoader(
        "utils.mini_beto", "load_mini_beto", "unos 26 minutos con 1 hilo de CPU"
    ),
    "embeddings": CourseLoader("utils.hub", "minilm_path", None),
    "generacion": CourseLoader("utils.gpt", "load_gpt", "unos minutos en CPU"),
}
#: Qué fuentes necesita cada tarea (el resumen: los vectores y la función de 7f).
TASK_SOURCES: dict[str, tuple[str, ...]] = {
    "sentimiento": ("sentimiento",),
    "mascara": ("mascara",),
    "resumen": ("embeddings",),
    "generacion": ("generacion",),
}


class NotAvailable(Exception):
    """Un cargador del curso todavía no existe en ``utils``: la tarea queda sin modelo."""


def _course_function(module: str, function: str) -> Callable[..., Any]:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name != module:  # falta otra dependencia: es un error de verdad
            raise
        raise NotAvailable(f"falta el módulo {module}") from err
    if not hasattr(mod, function):
        raise NotAvailable(f"{module} no tiene {function}()")
    return getattr(mod, function)


def resolve_source(key: str, settings: Settings) -> tuple[str, str | None]:
    """Carpeta (o id del Hub) de la fuente ``key``: la variable de entorno o el cargador del curso.

    Devuelve ``(ruta, nombre_del_cargador)``; el nombre es ``None`` si vino de la configuración.
    """
    if key in settings.sources:
        return settings.sources[key], None
    source = COURSE_LOADERS[key]
    loader = _course_function(source.module, source.function)
    name = f"{source.module}.{source.function}()"
    trained = source.first_build is not None  # si no, viene empaquetado: nada que entrenar
    if trained:
        cost = "unos segundos" if config.SMOKE else source.first_build
        print(f"[servicio] {key}: {name}. Si no está en la caché se entrena ahora, una sola vez "
              f"({cost}); las siguientes veces se carga al instante.", flush=True)  # fmt: skip
    start = time.perf_counter()
    path = loader(verbose=True) if trained else loader()
    print(f"[servicio] {key}: listo en {time.perf_counter() - start:.1f} s → {path}", flush=True)
    return str(path), name


def load_models(settings: Settings, device: torch.device) -> tuple[dict[str, Any], dict[str, str]]:
    """Carga los adaptadores de las tareas pedidas. Devuelve ``(adaptadores, no_disponibles)``.

    Una tarea queda «no disponible» (con el motivo) solo si su cargador del curso aún no existe
    en ``utils``; cualquier otro error (una carpeta que no existe, un modelo dañado) se propaga y
    el servicio no arranca.
    """
    adapters: dict[str, Any] = {}
    missing: dict[str, str] = {}
    common = {"device": device, "quantize": settings.quantize}
    for task in settings.tasks:
        try:
            sources = {k: resolve_source(k, settings) for k in TASK_SOURCES[task]}
            if task == "resumen":
                _course_function("utils.summarize", "select_sentences")
        except NotAvailable as err:
            missing[task] = f"modelo no disponible: {err}"
            print(f"[servicio] {task}: {missing[task]}", flush=True)
            continue
        if task == "sentimiento":
            path, loader = sources["sentimiento"]
            adapters[task] = SentimentAdapter(path, loader=loader, **common)
        elif task == "mascara":
            path, loader = sources["mascara"]
            adapters[task] = FillMaskAdapter(path, loader=loader, **common)
        elif task == "resumen":
            path, loader = sources["embeddings"]
            embedder = EmbeddingAdapter(path, loader=loader, **common)
            adapters[task] = SummaryAdapter(embedder)
        else:
            path, loader = sources["generacion"]
            adapters[task] = GenerationAdapter(path, loader=loader, **common)
    return adapters, missing
