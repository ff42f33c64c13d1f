"""Servicio web del curso: los modelos de las clases 7 y 8 detrás de una API con FastAPI.

Se arranca con ``make serve`` (o ``python -m clase_8.servicio``) y se explica en el cuaderno
``clase_8/8c_nlp_en_produccion.ipynb``. Piezas:

- :mod:`.config`: la configuración, leída de variables de entorno ``CURSO_SERVICIO_*``.
- :mod:`.schemas`: qué aceptan y qué devuelven los endpoints (pydantic v2, con límites).
- :mod:`.models`: un adaptador pequeño por modelo (sentimiento, rellenar máscara, resumen,
  generación) que carga una carpeta en formato Hugging Face y hace la inferencia por lotes.
- :mod:`.batching`: micro-lotes dinámicos con ``asyncio.Queue`` (tamaño máximo, espera máxima,
  503 cuando la cola está llena).
- :mod:`.app`: la aplicación (``create_app``): carga en ``lifespan``, validación, errores en
  español, límite de tamaño del cuerpo, token opcional y registro de cada petición.

Ejemplo:
    >>> from clase_8.servicio import create_app  # doctest: +SKIP
    >>> app = create_app()  # los modelos se cargan al arrancar (lifespan)  # doctest: +SKIP
"""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
