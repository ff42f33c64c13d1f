"""Medición del servicio real: latencia (p50/p95/p99) y peticiones/s con y sin micro-lotes.

``make bench-servicio`` (o ``python -m clase_8.servicio.bench``) arranca el servidor con
uvicorn en 127.0.0.1 (tres veces: con micro-lotes, sin ellos y con cuantización int8), le envía
un número fijo de peticiones desde hilos cliente y escribe ``resultados/8c_bench_servicio.json``
(solo en modo completo). Es una medición para leer, no una prueba cronometrada: los clientes
comparten los 2 núcleos con el servidor, así que las cifras son conservadoras.

Las mismas funciones (:func:`hammer`, :func:`percentiles`) las usa el cuaderno 8c con
``TestClient``, sin servidor.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .config import default_threads

REPO = Path(__file__).resolve().parents[2]

#: Frases cortas de críticas de cine (el clasificador de 7e se afinó con reseñas en inglés).
SENTENCES = [
    "A wonderful, moving film.",
    "The plot is dull and predictable.",
    "Great acting and a clever script.",
    "I wanted my two hours back.",
    "A charming little comedy.",
    "Boring from start to finish.",
    "The best movie of the year.",
    "Nothing works in this mess.",
]


def percentiles(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50, p95 y p99 en milisegundos.

    Ejemplo:
        >>> percentiles([0.010, 0.020, 0.030])["p50_ms"]
        20.0
    """
    if len(latencies_s) == 0:
        raise ValueError("No hay latencias que resumir.")
    ms = np.asarray(latencies_s, dtype=float) * 1000
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 2) for q in (50, 95, 99)}


def hammer(
    post: Callable[[dict[str, Any]], Any], bodies: Sequence[dict[str, Any]], concurrency: int
) -> dict[str, Any]:
    """Envía ``bodies`` con ``concurrency`` clientes a la vez y resume latencias y errores.

    ``post(body)`` hace una petición y devuelve la respuesta (con ``status_code``); sirve un
    ``TestClient`` o un ``httpx.Client``. Cada cliente espera su respuesta antes de enviar la
    siguiente (como un usuario), así que la concurrencia nunca supera ``concurrency``.

    Ejemplo:
        >>> class R: status_code = 200
        >>> hammer(lambda b: R(), [{}] * 4, concurrency=2)["errores"]
        0
    """
    if concurrency < 1 or not bodies:
        raise ValueError("Hace falta concurrency ≥ 1 y al menos una petición.")

    def one(body: dict[str, Any]) -> tuple[float, int]:
        start = time.perf_counter()
        status = post(body).status_code
        return time.perf_counter() - start, status

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, bodies))
    elapsed = time.perf_counter() - start
    statuses = [s for _, s in results]
    return {
        "n": len(bodies),
        "concurrencia": concurrency,
        **percentiles([t for t, _ in results]),
        "peticiones_s": round(len(bodies) / elapsed, 1),
        "errores": sum(s != 200 for s in statuses),
        "errores_5xx": sum(s >= 500 for s in statuses),
    }


def free_port() -> int:
    """Un puerto TCP libre en 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(
    env: dict[str, str] | None = None,
    *,
    log: Path | None = None,
    log_level: str = "warning",
    timeout_s: float = 900,
) -> Iterator[str]:
    """Arranca ``python -m clase_8.servicio`` en 127.0.0.1 y un puerto libre; devuelve su URL.

    Espera a que ``/salud`` responda (la primera vez puede entrenar modelos: de ahí el margen) y
    al salir lo detiene con SIGTERM y comprueba que terminó ordenadamente. ``env`` se suma al
    entorno actual; con ``log``, la salida del servidor se guarda en ese archivo.
    """
    import httpx

    port = free_port()
    full_env = {**os.environ, **(env or {})}
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "clase_8.servicio", "--port", str(port), "--log-level", log_level],
        cwd=REPO,
        env=full_env,
        stdout=out,
        stderr=subprocess.STDOUT if log is not None else None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"El servidor terminó al arrancar (código {proc.returncode}).")
            try:
                if httpx.get(base + "/salud", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"El servidor no respondió en {timeout_s:.0f} s.")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log is not None:
            out.close()
    # uvicorn termina ordenadamente (lifespan incluido) y luego repite la señal: -SIGTERM
    if proc.returncode not in (0, -signal.SIGTERM):
        raise RuntimeError(f"El servidor no se detuvo limpiamente (código {proc.returncode}).")


def _sentiment_bodies(n: int, per_request: int = 1) -> list[dict[str, Any]]:
    return [
        {"textos": [SENTENCES[(i + j) % len(SENTENCES)] for j in range(per_request)]}
        for i in range(n)
    ]


def _measure_server(env: dict[str, str], plan: dict[str, Any]) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {}
    with running_server(env) as base, httpx.Client(base_url=base, timeout=60) as client:
        info = client.get("/modelos").json()
        out["modelos"] = {t: m["modelo"] for t, m in info["modelos"].items()}

        def post_sent(body: dict[str, Any]) -> Any:
            return client.post("/sentimiento", json=body)

        hammer(post_sent, _sentiment_bodies(20), 1)  # calentamiento
        if plan.get("single"):
            out["una_frase"] = hammer(post_sent, _sentiment_bodies(plan["single"]), 1)
        if plan.get("batch16"):
            res = hammer(post_sent, _sentiment_bodies(plan["batch16"], 16), 1)
            res["textos_s"] = round(res["peticiones_s"] * 16, 1)
            out["lote_de_16"] = res
        if plan.get("concurrent"):
            out["concurrencia_16"] = hammer(post_sent, _sentiment_bodies(plan["concurrent"]), 16)
        if plan.get("generate"):
            context = info["modelos"]["generacion"]["contexto_tokens"]
            new_tokens = min(
                32, context // 2
            )  # el GPT diminuto del modo rápido tiene poco contexto
            body = {"texto": "En el principio", "max_new_tokens": new_tokens, "temperature": 0}

            def post_gen(body: dict[str, Any]) -> Any:
                return client.post("/generar", json=body)

            post_gen(body)  # calentamiento
            res = hammer(post_gen, [body] * plan["generate"], 1)
            res["tokens_s"] = round(res["peticiones_s"] * new_tokens, 1)
            res["tokens_nuevos"] = new_tokens
            out["generacion"] = res
        stats = client.get("/modelos").json()["modelos"]["sentimiento"]["lotes"]
        out["lote_medio_sentimiento"] = stats["lote_medio"]
    return out


def run_benchmark(
    n_single: int = 200, n_concurrent: int = 400, n_batch: int = 40, n_generate: int = 20,
    threads: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """Las tres configuraciones del servidor y sus mediciones (ver la documentación del módulo)."""
    base_env = {"CURSO_SERVICIO_HILOS": str(threads), "CURSO_SERVICIO_ESPERA_MS": "2",
                "CURSO_SERVICIO_MODELOS": "sentimiento,generacion", "TQDM_DISABLE": "1"}  # fmt: skip
    print("1/3 · con micro-lotes (máx. 16)...", flush=True)
    batched = _measure_server(
        {**base_env, "CURSO_SERVICIO_MAX_LOTE": "16"},
        {"single": n_single, "batch16": n_batch, "concurrent": n_concurrent,
         "generate": n_generate},
    )  # fmt: skip
    print("2/3 · sin micro-lotes (una petición cada vez)...", flush=True)
    one_by_one = _measure_server(
        {**base_env, "CURSO_SERVICIO_MAX_LOTE": "1", "CURSO_SERVICIO_MODELOS": "sentimiento"},
        {"concurrent": n_concurrent},
    )
    print("3/3 · cuantización dinámica int8, con micro-lotes...", flush=True)
    quantized = _measure_server(
        {**base_env, "CURSO_SERVICIO_MAX_LOTE": "16", "CURSO_SERVICIO_CUANTIZAR": "1",
         "CURSO_SERVICIO_MODELOS": "sentimiento"},
        {"single": n_single, "concurrent": n_concurrent},
    )  # fmt: skip
    speedup = (
        batched["concurrencia_16"]["peticiones_s"] / one_by_one["concurrencia_16"]["peticiones_s"]
    )
    return {
        "con_micro_lotes": batched,
        "sin_micro_lotes": one_by_one,
        "int8": quantized,
        "aceleracion_micro_lotes": round(speedup, 2),
        "hilos_torch": threads,
    }


def _print_report(res: dict[str, Any]) -> None:
    rows = [
        ("sentimiento, 1 frase, 1 cliente", res["con_micro_lotes"]["una_frase"]),
        ("sentimiento, 16 frases/petición, 1 cliente", res["con_micro_lotes"]["lote_de_16"]),
        ("sentimiento, 16 clientes, con micro-lotes", res["con_micro_lotes"]["concurrencia_16"]),
        ("sentimiento, 16 clientes, sin micro-lotes", res["sin_micro_lotes"]["concurrencia_16"]),
        ("sentimiento int8, 1 frase, 1 cliente", res["int8"]["una_frase"]),
        ("sentimiento int8, 16 clientes, micro-lotes", res["int8"]["concurrencia_16"]),
        ("generación (greedy), 1 cliente", res["con_micro_lotes"]["generacion"]),
    ]
    print(f"\n{'medición':45s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'pet/s':>8s} errores")
    for name, r in rows:
        print(f"{name:45s} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f} "
              f"{r['peticiones_s']:8.1f} {r['errores']:7d}")  # fmt: skip
    print(f"\nMicro-lotes a 16 clientes: {res['aceleracion_micro_lotes']:.2f}× las peticiones/s de "
          f"una en una (lote medio {res['con_micro_lotes']['lote_medio_sentimiento']}).")  # fmt: skip
    gen = res["con_micro_lotes"]["generacion"]
    print(f"Generación: {gen['tokens_nuevos']} tokens nuevos por petición, {gen['tokens_s']:.0f} "
          f"tokens/s. Modelos: {res['con_micro_lotes']['modelos']}")  # fmt: skip


def flat_metrics(res: dict[str, Any]) -> dict[str, Any]:
    """Las cifras clave en un dict plano (para ``utils.results.record``)."""
    b, s, q = res["con_micro_lotes"], res["sin_micro_lotes"], res["int8"]
    errors = sum(
        r["errores"] for part in (b, s, q) for r in part.values() if isinstance(r, dict) and
        "errores" in r
    )  # fmt: skip
    return {
        "sent_p50_ms": b["una_frase"]["p50_ms"],
        "sent_p95_ms": b["una_frase"]["p95_ms"],
        "sent_p99_ms": b["una_frase"]["p99_ms"],
        "sent_pet_s_1_cliente": b["una_frase"]["peticiones_s"],
        "sent_lote16_p50_ms": b["lote_de_16"]["p50_ms"],
        "sent_lote16_textos_s": b["lote_de_16"]["textos_s"],
        "sent_c16_microlotes_pet_s": b["concurrencia_16"]["peticiones_s"],
        "sent_c16_microlotes_p95_ms": b["concurrencia_16"]["p95_ms"],
        "sent_c16_sin_microlotes_pet_s": s["concurrencia_16"]["peticiones_s"],
        "sent_c16_sin_microlotes_p95_ms": s["concurrencia_16"]["p95_ms"],
        "aceleracion_microlotes": res["aceleracion_micro_lotes"],
        "lote_medio_c16": b["lote_medio_sentimiento"],
        "int8_sent_p50_ms": q["una_frase"]["p50_ms"],
        "int8_c16_pet_s": q["concurrencia_16"]["peticiones_s"],
        "gen_tokens_nuevos": b["generacion"]["tokens_nuevos"],
        "gen_p50_ms": b["generacion"]["p50_ms"],
        "gen_p95_ms": b["generacion"]["p95_ms"],
        "gen_tokens_s": b["generacion"]["tokens_s"],
        "errores": errors,
        "modelo_sentimiento": b["modelos"]["sentimiento"],
        "modelo_generacion": b["modelos"].get("generacion", ""),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peticiones", type=int, default=400, help="peticiones a 16 clientes")
    parser.add_argument("--hilos", type=int, default=default_threads(),
                        help="hilos de PyTorch del servidor (por defecto, núcleos − 1)")  # fmt: skip
    parser.add_argument("--sin-guardar", action="store_true",
                        help="no escribir resultados/8c_bench_servicio.json (p. ej. con modelos "
                        "propios en CURSO_SERVICIO_MODELO_*)")  # fmt: skip
    args = parser.parse_args(argv)
    from utils.results import record

    res = run_benchmark(n_concurrent=args.peticiones, n_single=args.peticiones // 2,
                        threads=args.hilos)  # fmt: skip
    _print_report(res)
    if args.sin_guardar:
        print("No se guardan resultados (--sin-guardar).")
        return
    path = record("8c_bench_servicio", **flat_metrics(res))
    print(f"Resultados en {path}." if path else "Modo rápido: no se guardan resultados.")


if __name__ == "__main__":
    main()
