"""Configuración del servicio, leída de variables de entorno ``CURSO_SERVICIO_*``.

| variable | por defecto | qué controla |
|---|---|---|
| ``CURSO_SERVICIO_TOKEN`` | (vacío) | si tiene valor, los endpoints de inferencia exigen ``Authorization: Bearer <token>`` |
| ``CURSO_SERVICIO_MAX_LOTE`` | 16 | tamaño máximo de un micro-lote (1 = una petición cada vez) |
| ``CURSO_SERVICIO_ESPERA_MS`` | 2 | cuánto espera el micro-lote a que lleguen más textos |
| ``CURSO_SERVICIO_COLA`` | 256 | textos en espera como máximo; más allá, 503 con ``Retry-After`` |
| ``CURSO_SERVICIO_MAX_BYTES`` | 262144 | tamaño máximo del cuerpo de una petición (413 si lo supera) |
| ``CURSO_SERVICIO_HILOS`` | núcleos − 1 (entre 1 y 4) | hilos de PyTorch para la inferencia |
| ``CURSO_SERVICIO_CORS`` | (vacío) | orígenes permitidos separados por comas; vacío = CORS desactivado |
| ``CURSO_SERVICIO_MODELOS`` | todos | qué modelos cargar: ``sentimiento,mascara,resumen,generacion`` |
| ``CURSO_SERVICIO_CUANTIZAR`` | 0 | 1 = cuantización dinámica int8 de las capas lineales |
| ``CURSO_SERVICIO_MODELO_<TAREA>`` | (vacío) | carpeta (o id del Hub) que reemplaza al modelo del curso |

``<TAREA>`` es ``SENTIMIENTO``, ``MASCARA``, ``EMBEDDINGS`` (los vectores del resumen) o
``GENERACION``. Sin esa variable se usa el cargador del curso (``utils.finetune``,
``utils.mini_beto``, el MiniLM empaquetado y ``utils.gpt``), que entrena el modelo una vez si no
está en la caché.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

#: Las tareas que sabe servir el servicio, en el orden en que se cargan.
TASKS: tuple[str, ...] = ("sentimiento", "mascara", "resumen", "generacion")
_PREFIX = "CURSO_SERVICIO_"


def default_threads() -> int:
    """Hilos de PyTorch por defecto: todos los núcleos menos uno (entre 1 y 4).

    El núcleo libre es para el bucle de eventos (HTTP, JSON, validación). Medido en 2 núcleos:
    con 2 hilos de PyTorch, los hilos de OpenMP que esperan activamente le quitan la CPU al
    bucle de eventos y, con 16 clientes, el servicio atiende varias veces menos peticiones/s.
    """
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _int_env(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(_PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{_PREFIX}{name} debe ser un número entero; vale {raw!r}.") from None
    if not low <= value <= high:
        raise ValueError(f"{_PREFIX}{name} debe estar entre {low} y {high}; vale {value}.")
    return value


def _list_env(name: str) -> tuple[str, ...]:
    raw = os.environ.get(_PREFIX + name, "")
    return tuple(x.strip() for x in raw.split(",") if x.strip())


@dataclass(frozen=True)
class Settings:
    """Parámetros del servicio. ``Settings.from_env()`` los lee del entorno.

    Ejemplo:
        >>> Settings(max_batch=1).max_batch  # una petición cada vez, sin micro-lotes
        1
    """

    token: str | None = None
    max_batch: int = 16
    max_wait_ms: int = 2
    max_queue: int = 256
    max_body_bytes: int = 256 * 1024
    threads: int = field(default_factory=default_threads)
    cors_origins: tuple[str, ...] = ()
    tasks: tuple[str, ...] = TASKS
    quantize: bool = False
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown:
            raise ValueError(f"Tareas desconocidas {unknown}; las válidas son {list(TASKS)}.")
        for f in fields(self):
            value = getattr(self, f.name)
            low = 0 if f.name == "max_wait_ms" else 1  # 0 ms = no esperar a más peticiones
            if isinstance(value, int) and not isinstance(value, bool) and value < low:
                raise ValueError(f"{f.name} debe ser ≥ {low}; vale {value}.")
        if self.token is not None and not self.token.strip():
            raise ValueError("El token no puede ser una cadena vacía (usa None para no exigirlo).")

    @classmethod
    def from_env(cls) -> Settings:
        """Lee la configuración de las variables ``CURSO_SERVICIO_*`` (tabla del módulo)."""
        sources = {}
        for key in ("SENTIMIENTO", "MASCARA", "EMBEDDINGS", "GENERACION"):
            value = os.environ.get(f"{_PREFIX}MODELO_{key}", "").strip()
            if value:
                sources[key.lower()] = value
        token = os.environ.get(_PREFIX + "TOKEN", "").strip() or None
        return cls(
            token=token,
            max_batch=_int_env("MAX_LOTE", 16, 1, 512),
            max_wait_ms=_int_env("ESPERA_MS", 2, 0, 1000),
            max_queue=_int_env("COLA", 256, 1, 100_000),
            max_body_bytes=_int_env("MAX_BYTES", 256 * 1024, 1024, 64 * 1024 * 1024),
            threads=_int_env("HILOS", default_threads(), 1, 256),
            cors_origins=_list_env("CORS"),
            tasks=_list_env("MODELOS") or TASKS,
            quantize=os.environ.get(_PREFIX + "CUANTIZAR", "0").strip() in {"1", "true", "sí"},
            sources=sources,
        )
