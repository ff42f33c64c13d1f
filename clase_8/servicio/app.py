"""La aplicación FastAPI: ``create_app(settings)``.

Recorrido de una petición:

1. :class:`GuardMiddleware` (ASGI puro) mide la latencia y registra una línea por petición
   (método, ruta, estado, milisegundos; nunca el texto), rechaza cuerpos demasiado grandes
   (413) y los POST que no son JSON (415).
2. FastAPI valida el cuerpo con los modelos de :mod:`.schemas` (422 con mensajes en español).
3. Si hay token configurado, ``Authorization: Bearer ...`` se compara en tiempo constante (401).
4. El endpoint encola los textos en el :class:`~.batching.MicroBatcher` de su modelo y espera;
   el modelo corre en un único hilo de inferencia, así que el bucle de eventos sigue libre.
"""

from __future__ import annotations

import hmac
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import torch
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import schemas
from .batching import MicroBatcher, Saturado
from .config import Settings
from .errors import spanish_http_detail, spanish_validation_errors
from .models import InvalidInput, load_models

logger = logging.getLogger("clase_8.servicio")
STATIC = Path(__file__).parent / "static"

#: Tareas cuyos elementos se agrupan en micro-lotes (las demás van de una en una).
BATCHED = ("sentimiento", "mascara")

DESCRIPTION = """
Los modelos del curso «NLP de 0 a 100» servidos con FastAPI (clase 8).

* **/sentimiento**: el clasificador afinado en la clase 7 (7e), con la probabilidad de cada clase.
* **/mascara**: rellena la palabra que falta con mini-BETO (7d), el BERT que preentrena el curso.
* **/resumen**: resumen extractivo (7f): las oraciones más representativas del documento.
* **/generar**: continúa un texto con el GPT del curso (8a).

Los límites de cada campo están en los esquemas de abajo; una petición fuera de ellos recibe un
**422** con el motivo en español, un cuerpo demasiado grande un **413**, y un modelo saturado un
**503** con la cabecera `Retry-After`. Si el servicio se arrancó con `CURSO_SERVICIO_TOKEN`, los
endpoints de inferencia exigen `Authorization: Bearer <token>` (botón *Authorize*).
"""

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.Error, "description": "Falta el token o no es válido."},
    413: {"model": schemas.Error, "description": "El cuerpo de la petición es demasiado grande."},
    415: {"model": schemas.Error, "description": "El cuerpo debe ser JSON."},
    422: {"model": schemas.Error, "description": "La petición no cumple los límites."},
    503: {"model": schemas.Error, "description": "Modelo saturado o no disponible."},
}


def _json_error(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any):
    return JSONResponse({"detalle": detail, **extra}, status_code=status, headers=headers)


class GuardMiddleware:
    """Registro de una línea por petición, límite de tamaño del cuerpo (413) y JSON obligatorio.

    Es un *middleware* ASGI puro: lee el cuerpo entero (como mucho ``max_body_bytes``) antes de
    pasárselo a la aplicación, así un cliente no puede obligarnos a guardar 1 GB en memoria.
    """

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_logged(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, send_logged)
        finally:
            ms = (time.perf_counter() - start) * 1000
            logger.info("%s %s %d %.1f ms", scope["method"], scope["path"], status["code"], ms)

    async def _handle(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        too_big = _json_error(
            413, f"El cuerpo de la petición supera el máximo de {self.max_body_bytes} bytes."
        )
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await too_big(scope, receive, send)
            return
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            await _json_error(
                415,
                "El cuerpo debe ser JSON con la cabecera «Content-Type: application/json» "
                f"(se recibió «{ctype or 'ninguna'}»).",
            )(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await too_big(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


BEARER = HTTPBearer(auto_error=False, description="Token del servicio (si se configuró).")


def check_token(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> None:
    """Si el servicio tiene token, exige ``Authorization: Bearer <token>`` (401 si no).

    La comparación es en tiempo constante (``hmac.compare_digest``): no revela cuántos
    caracteres del token acertó un atacante por lo que tarda la respuesta.
    """
    token = request.app.state.settings.token
    if token is None:
        return
    given = creds.credentials.encode() if creds is not None else b""
    if creds is None or not hmac.compare_digest(given, token.encode()):
        raise StarletteHTTPException(
            401,
            "Falta el token o no es válido: envía «Authorization: Bearer <token>».",
            headers={"WWW-Authenticate": "Bearer"},
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Crea la aplicación. Los modelos se cargan al arrancar (``lifespan``), no aquí.

    Ejemplo:
        >>> from fastapi.testclient import TestClient
        >>> with TestClient(create_app()) as client:  # doctest: +SKIP
        ...     client.post("/sentimiento", json={"textos": ["Great film!"]}).json()
    """
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from utils.device import get_device

        torch.set_num_threads(settings.threads)
        device = get_device(verbose=False)
        start = time.perf_counter()
        adapters, missing = load_models(settings, device)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inferencia")
        batchers = {
            task: MicroBatcher(
                task,
                adapter.predict,
                executor=executor,
                max_batch=settings.max_batch if task in BATCHED else 1,
                max_wait_ms=settings.max_wait_ms,
                max_queue=settings.max_queue,
            )
            for task, adapter in adapters.items()
        }
        for batcher in batchers.values():
            batcher.start()
        app.state.adapters = adapters
        app.state.missing = missing
        app.state.batchers = batchers
        app.state.device = device
        logger.info(
            "Servicio listo en %.1f s: %s en %s, %d hilos de torch.",
            time.perf_counter() - start,
            ", ".join(adapters) or "ningún modelo",
            device,
            settings.threads,
        )
        try:
            yield
        finally:
            for batcher in batchers.values():
                await batcher.stop()
            executor.shutdown(wait=True)

    app = FastAPIOffline(
        title="Servicio de NLP del curso «NLP de 0 a 100»",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
        static_url="/docs-estaticos",
    )
    app.state.settings = settings
    app.add_middleware(GuardMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:  # desactivado salvo que se pida explícitamente
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"]
        )

    # --- errores en español ------------------------------------------------------------------

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = spanish_validation_errors(exc.errors())
        first = errors[0]
        where = f" ({first['campo']})" if first["campo"] else ""
        return _json_error(422, f"Petición no válida{where}: {first['mensaje']}", errores=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json_error(exc.status_code, spanish_http_detail(exc), headers=exc.headers)

    @app.exception_handler(Saturado)
    async def _busy(request: Request, exc: Saturado) -> JSONResponse:
        return _json_error(503, str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(InvalidInput)
    async def _bad_input(request: Request, exc: InvalidInput) -> JSONResponse:
        return _json_error(422, str(exc))

    # --- seguridad y acceso a los modelos ----------------------------------------------------

    def batcher(request: Request, task: str) -> MicroBatcher:
        batchers = request.app.state.batchers
        if task not in batchers:
            reason = request.app.state.missing.get(task, "no se cargó en este servicio")
            raise StarletteHTTPException(503, f"«{task}»: {reason}.")
        return batchers[task]

    def model_name(request: Request, task: str) -> str:
        return request.app.state.adapters[task].name

    protected = {"dependencies": [Depends(check_token)], "responses": ERROR_RESPONSES}

    # --- rutas -------------------------------------------------------------------------------

    app.mount("/estaticos", StaticFiles(directory=STATIC), name="estaticos")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/salud", summary="¿Está vivo el servicio?", tags=["servicio"])
    async def health(request: Request) -> dict[str, Any]:
        """Responde enseguida, sin tocar los modelos: sirve para comprobar que el servidor
        arrancó (por ejemplo, desde un balanceador de carga)."""
        state = request.app.state
        models = {t: "listo" for t in state.adapters} | dict(state.missing)
        return {"estado": "ok", "modelos": models}

    @app.get("/modelos", summary="Qué modelos están cargados", tags=["servicio"])
    async def models_info(request: Request) -> dict[str, Any]:
        """Para cada tarea: origen (caché del curso, carpeta local o Hub), versión, arquitectura,
        parámetros, dispositivo y estadísticas de los micro-lotes."""
        state = request.app.state
        return {
            "modelos": {
                task: {**adapter.info(), "lotes": state.batchers[task].stats()}
                for task, adapter in state.adapters.items()
            },
            "no_disponibles": state.missing,
            "dispositivo": str(state.device),
            "hilos_torch": torch.get_num_threads(),
            "token_requerido": settings.token is not None,
        }

    @app.post("/sentimiento", summary="Sentimiento de un lote de textos", tags=["modelos"],
              **protected)  # fmt: skip
    async def sentiment(body: schemas.SentimientoIn, request: Request) -> schemas.SentimientoOut:
        """Clasifica cada texto con el modelo afinado en 7e y devuelve la etiqueta más probable y
        la probabilidad de cada clase. Los textos de varias peticiones simultáneas se agrupan en
        micro-lotes. (El modelo del curso se afinó con reseñas de cine **en inglés**: no hay un
        conjunto de sentimiento en español etiquetado que se pueda usar sin conexión.)"""
        results = await batcher(request, "sentimiento").submit_many(body.textos)
        return schemas.SentimientoOut(resultados=results, modelo=model_name(request, "sentimiento"))

    @app.post("/mascara", summary="Rellenar la palabra que falta", tags=["modelos"], **protected)
    async def fill_mask(body: schemas.MascaraIn, request: Request) -> schemas.MascaraOut:
        """Devuelve los ``top_k`` candidatos de mini-BETO para la posición de ``[MASK]``."""
        candidates = await batcher(request, "mascara").submit((body.texto, body.top_k))
        return schemas.MascaraOut(candidatos=candidates, modelo=model_name(request, "mascara"))

    @app.post("/resumen", summary="Resumen extractivo", tags=["modelos"], **protected)
    async def summary(body: schemas.ResumenIn, request: Request) -> schemas.ResumenOut:
        """Elige las ``oraciones`` más representativas del texto (método de 7f) y las devuelve en
        su orden original."""
        result = await batcher(request, "resumen").submit((body.texto, body.oraciones, body.metodo))
        return schemas.ResumenOut(**result, modelo=model_name(request, "resumen"))

    @app.post("/generar", summary="Continuar un texto con el GPT", tags=["modelos"], **protected)
    async def generate(body: schemas.GenerarIn, request: Request) -> schemas.GenerarOut:
        """Genera hasta ``max_new_tokens`` tokens. Con ``temperature`` = 0 elige siempre el token
        más probable (*greedy*); si no, muestrea con ``top_k`` y ``top_p``. Si el texto de
        entrada no cabe en el contexto junto con los tokens nuevos, se usa su final y la
        respuesta lo indica con ``recortado``."""
        gen = batcher(request, "generacion")
        context = request.app.state.adapters["generacion"].context_length
        if body.max_new_tokens >= context:
            raise InvalidInput(
                f"max_new_tokens debe ser menor que el contexto del modelo ({context} tokens)."
            )
        params = body.model_dump(exclude={"texto"})
        result = await gen.submit((body.texto, params))
        return schemas.GenerarOut(**result, modelo=model_name(request, "generacion"))

    return app
