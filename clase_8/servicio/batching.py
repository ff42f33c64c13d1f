"""Micro-lotes dinámicos: juntar las peticiones que llegan casi a la vez en un solo lote.

Un modelo en CPU procesa 16 oraciones juntas mucho más rápido que 16 veces una oración (las
multiplicaciones de matrices grandes aprovechan mejor la caché y los núcleos). El servidor recibe
las peticiones de una en una, así que un único *trabajador* las espera en una ``asyncio.Queue``:
toma la primera, espera como mucho ``max_wait_ms`` a que lleguen más (hasta ``max_batch``), y
ejecuta el lote en un hilo aparte para no bloquear el bucle de eventos. Si la cola ya tiene
``max_queue`` elementos, la petición se rechaza enseguida (:class:`Saturado` → 503 con
``Retry-After``) en lugar de acumular esperas que nadie va a aguantar.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any


class Saturado(Exception):
    """La cola de un modelo está llena: el cliente debe reintentar más tarde (HTTP 503)."""

    def __init__(self, task: str, retry_after: int = 1) -> None:
        super().__init__(
            f"El modelo de «{task}» está saturado (cola llena). Reintenta en {retry_after} s."
        )
        self.retry_after = retry_after


class MicroBatcher:
    """Un trabajador que agrupa elementos en lotes y llama a ``fn(lote) -> resultados``.

    ``fn`` recibe una lista de elementos y devuelve una lista de resultados del mismo largo; se
    ejecuta en ``executor`` (un hilo), nunca en el bucle de eventos. Un resultado que es una
    excepción se entrega como error solo a la petición de ese elemento.

    Ejemplo:
        >>> import asyncio
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> async def demo():
        ...     mb = MicroBatcher("doble", lambda xs: [2 * x for x in xs],
        ...                       executor=ThreadPoolExecutor(1))
        ...     mb.start()
        ...     out = await mb.submit_many([1, 2, 3])
        ...     await mb.stop()
        ...     return out
        >>> asyncio.run(demo())
        [2, 4, 6]
    """

    def __init__(
        self,
        task: str,
        fn: Callable[[list[Any]], Sequence[Any]],
        *,
        executor: Executor,
        max_batch: int = 16,
        max_wait_ms: float = 5.0,
        max_queue: int = 256,
    ) -> None:
        if max_batch < 1 or max_queue < 1 or max_wait_ms < 0:
            raise ValueError("max_batch y max_queue deben ser ≥ 1 y max_wait_ms ≥ 0.")
        self.task = task
        self.fn = fn
        self.executor = executor
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self._queue: asyncio.Queue[tuple[Any, asyncio.Future[Any]]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0  # lotes ejecutados
        self.items = 0  # elementos procesados
        self.rejected = 0  # elementos rechazados por cola llena

    def start(self) -> None:
        """Crea la cola y el trabajador (dentro de un bucle de eventos en marcha)."""
        self._queue = asyncio.Queue(maxsize=self.max_queue)
        self._worker = asyncio.create_task(self._run(), name=f"micro-lotes-{self.task}")

    async def stop(self) -> None:
        """Detiene el trabajador; las peticiones pendientes reciben un error."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        while self._queue is not None and not self._queue.empty():
            _, fut = self._queue.get_nowait()
            if not fut.done():
                fut.set_exception(RuntimeError("El servicio se está deteniendo."))

    def stats(self) -> dict[str, Any]:
        """Contadores: lotes, elementos, tamaño medio del lote, rechazos y cola actual."""
        return {
            "max_lote": self.max_batch,
            "espera_ms": round(self.max_wait * 1000, 1),
            "lotes": self.batches,
            "elementos": self.items,
            "lote_medio": round(self.items / self.batches, 2) if self.batches else 0.0,
            "rechazados": self.rejected,
            "en_cola": self._queue.qsize() if self._queue is not None else 0,
        }

    async def submit_many(self, items: Sequence[Any]) -> list[Any]:
        """Encola todos los elementos (o ninguno, si no caben) y espera sus resultados."""
        if self._queue is None or self._worker is None or self._worker.done():
            raise RuntimeError(f"El trabajador de «{self.task}» no está en marcha.")
        if self.max_queue - self._queue.qsize() < len(items):
            self.rejected += len(items)
            raise Saturado(self.task)
        loop = asyncio.get_running_loop()
        futures = []
        for item in items:
            fut = loop.create_future()
            self._queue.put_nowait((item, fut))
            futures.append(fut)
        return list(await asyncio.gather(*futures))

    async def submit(self, item: Any) -> Any:
        """Encola un elemento y espera su resultado."""
        return (await self.submit_many([item]))[0]

    async def _next_batch(self) -> list[tuple[Any, asyncio.Future[Any]]]:
        assert self._queue is not None
        batch = [await self._queue.get()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        while len(batch) < self.max_batch:
            if not self._queue.empty():  # lo que ya está en la cola entra sin esperar
                batch.append(self._queue.get_nowait())
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [(x, f) for x, f in await self._next_batch() if not f.done()]
            if not batch:  # todos los clientes se fueron (peticiones canceladas)
                continue
            try:
                results = await loop.run_in_executor(self.executor, self.fn, [x for x, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(
                        f"{self.task}: el modelo devolvió {len(results)} resultados para un lote "
                        f"de {len(batch)}."
                    )
            except Exception as err:  # el error llega a cada petición del lote (→ 500)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(err)
                continue
            self.batches += 1
            self.items += len(batch)
            for (_, fut), result in zip(batch, results, strict=True):
                if fut.done():
                    continue
                if isinstance(result, Exception):  # un elemento inválido no tumba al resto del lote
                    fut.set_exception(result)
                else:
                    fut.set_result(result)
