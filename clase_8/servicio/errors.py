"""Mensajes de error en español para los errores de validación de pydantic y los HTTP de Starlette.

pydantic describe cada error con un *tipo* estable (``string_too_long``, ``missing``...) y su
contexto (``max_length``...); aquí se traduce cada tipo a una frase para quien usa la API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException

_INT = "debe ser un número entero"
_NUM = "debe ser un número"
_OBJ = "debe ser un objeto JSON con los campos del esquema (ver /docs)"

_MESSAGES: dict[str, str] = {
    "missing": "falta este campo",
    "extra_forbidden": "campo no permitido: este endpoint no lo acepta (ver /docs)",
    "string_type": "debe ser un texto",
    "string_unicode": "debe ser texto UTF-8 válido",
    "string_too_short": "no puede estar vacío ni tener solo espacios",
    "string_too_long": "es demasiado largo: como mucho {max_length} caracteres",
    "too_short": "debe tener al menos {min_length} elemento(s)",
    "too_long": "tiene demasiados elementos: como mucho {max_length}",
    "list_type": "debe ser una lista",
    "int_type": _INT,
    "int_parsing": _INT,
    "int_from_float": _INT,
    "float_type": _NUM,
    "float_parsing": _NUM,
    "finite_number": "debe ser un número finito",
    "bool_type": "debe ser true o false",
    "greater_than_equal": "debe ser mayor o igual que {ge}",
    "greater_than": "debe ser mayor que {gt}",
    "less_than_equal": "debe ser menor o igual que {le}",
    "less_than": "debe ser menor que {lt}",
    "literal_error": "debe ser uno de estos valores: {expected}",
    "model_attributes_type": _OBJ,
    "model_type": _OBJ,
    "dict_type": _OBJ,
    "json_invalid": "el cuerpo no es JSON válido ({error})",
    "json_type": "el cuerpo no es JSON válido",
}


def _field(loc: Sequence[Any]) -> str:
    parts = [p for p in loc if p != "body"]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def spanish_validation_errors(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Traduce la lista de errores de pydantic a ``[{"campo", "mensaje", "tipo"}]`` en español.

    Ejemplo:
        >>> spanish_validation_errors([{"type": "missing", "loc": ("body", "textos"), "msg": ""}])
        [{'campo': 'textos', 'mensaje': 'falta este campo', 'tipo': 'missing'}]
    """
    out = []
    for err in errors:
        kind = err.get("type", "")
        ctx = err.get("ctx") or {}
        if kind == "value_error" and "error" in ctx:  # mensajes de nuestros validadores
            message = str(ctx["error"])
        elif kind in _MESSAGES:
            try:
                message = _MESSAGES[kind].format(**ctx)
            except (KeyError, IndexError):
                message = _MESSAGES[kind]
        else:
            message = f"valor no válido ({err.get('msg', kind)})"
        out.append({"campo": _field(err.get("loc", ())), "mensaje": message, "tipo": kind})
    if not out:
        out.append({"campo": "", "mensaje": "la petición no es válida", "tipo": "desconocido"})
    return out


_HTTP: dict[int, str] = {
    400: "No se pudo leer el cuerpo de la petición: debe ser JSON válido codificado en UTF-8.",
    404: "Esta ruta no existe. Las rutas disponibles están en /docs.",
    405: "Método HTTP no permitido en esta ruta (ver /docs).",
}


def spanish_http_detail(exc: HTTPException) -> str:
    """El mensaje de un error HTTP: el nuestro si ya está en español, o uno fijo por código.

    Ejemplo:
        >>> spanish_http_detail(HTTPException(404))
        'Esta ruta no existe. Las rutas disponibles están en /docs.'
    """
    from http import HTTPStatus

    detail = str(exc.detail)
    try:
        default = HTTPStatus(exc.status_code).phrase
    except ValueError:
        default = ""
    english = detail == default or detail == "There was an error parsing the body"
    if english or not detail:
        return _HTTP.get(exc.status_code, f"Error HTTP {exc.status_code}.")
    return detail
