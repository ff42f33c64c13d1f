"""Servicio de la clase 8 de verdad: un proceso de uvicorn en 127.0.0.1 con un puerto libre,
peticiones HTTP reales, una prueba de carga acotada (solo loopback) y un navegador Chromium
sin pantalla que usa la página web."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from clase_8.servicio.bench import running_server
from tests.servicio_modelos import build_tiny_models

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Arranca ``python -m clase_8.servicio`` con modelos diminutos y lo detiene al final."""
    sources = build_tiny_models(tmp_path_factory.mktemp("modelos_servidor"))
    env = {"CURSO_SERVICIO_HILOS": "1", "OMP_NUM_THREADS": "1", "CURSO_SERVICIO_MAX_LOTE": "8",
           "CURSO_SERVICIO_ESPERA_MS": "10", "CURSO_SERVICIO_TOKEN": ""}  # fmt: skip
    env.update({f"CURSO_SERVICIO_MODELO_{k.upper()}": v for k, v in sources.items()})
    log = tmp_path_factory.mktemp("registro") / "servidor.log"
    try:
        with running_server(env, log=log, log_level="info", timeout_s=180) as base:
            yield base, log
    except (RuntimeError, TimeoutError) as err:
        raise AssertionError(f"{err}\n{log.read_text()}") from err
    assert "Application shutdown complete" in log.read_text()


def test_real_server(server, tmp_path):
    """Un solo servidor para las tres partes (con pytest-xdist, un fixture de módulo se crearía
    una vez por proceso): HTTP real, carga acotada y navegador."""
    check_http(*server)
    check_bounded_load(server[0])
    check_browser(server[0], tmp_path)


def check_http(base: str, log: Path) -> None:
    health = httpx.get(base + "/salud", timeout=10).json()
    assert set(health["modelos"]) == {"sentimiento", "mascara", "resumen", "generacion"}
    r = httpx.post(base + "/sentimiento", json={"textos": ["Muy buena.", "Aburrida."]}, timeout=30)
    assert r.status_code == 200 and len(r.json()["resultados"]) == 2
    bad = httpx.post(base + "/sentimiento", json={"textos": ["   "]}, timeout=30)
    assert bad.status_code == 422 and "vacío" in bad.json()["detalle"]
    big = httpx.post(base + "/sentimiento", content=b"x" * 2_000_000,
                     headers={"content-type": "application/json"}, timeout=30)  # fmt: skip
    assert big.status_code == 413
    gen = httpx.post(base + "/generar", json={"texto": "En el principio", "max_new_tokens": 5,
                                              "temperature": 0}, timeout=30)  # fmt: skip
    assert gen.status_code == 200 and gen.json()["tokens_generados"] >= 1
    assert "POST /sentimiento 422" in log.read_text()


def check_bounded_load(base: str) -> None:
    """400 peticiones con 16 clientes a la vez (solo 127.0.0.1): 0 errores y micro-lotes reales."""
    n_requests, concurrency = 400, 16
    texts = ["La película no me gustó nada.", "Muy buena.", "The movie was wonderful.", "Mala."]

    async def main() -> list[int]:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            sem = asyncio.Semaphore(concurrency)

            async def one(i: int) -> int:
                async with sem:
                    r = await client.post("/sentimiento", json={"textos": [texts[i % 4]]})
                    return r.status_code

            return await asyncio.wait_for(
                asyncio.gather(*(one(i) for i in range(n_requests))), timeout=120
            )

    before = httpx.get(base + "/modelos", timeout=10).json()["modelos"]["sentimiento"]["lotes"]
    codes = asyncio.run(main())
    after = httpx.get(base + "/modelos", timeout=10).json()["modelos"]["sentimiento"]["lotes"]
    assert codes.count(200) == n_requests, {c: codes.count(c) for c in set(codes)}
    items = after["elementos"] - before["elementos"]
    batches = after["lotes"] - before["lotes"]
    assert items == n_requests
    assert batches < items  # con 16 clientes a la vez, los textos se agruparon en lotes


def _browser_or_skip():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Falta {CHROMIUM}: `make setup` debe instalar el paquete chromium.")
        pytest.skip(f"Falta {CHROMIUM}: HTTP y carga comprobados, navegador no "
                    "(instálalo con `make navegador` o `apt-get install chromium`).")  # fmt: skip
    return pytest.importorskip("playwright.sync_api")


def check_browser(base: str, tmp_path: Path) -> None:
    """Chromium sin pantalla: escribir, pulsar, ver barras, texto generado y un error claro."""
    playwright_api = _browser_or_skip()
    outside: list[str] = []
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "perfil"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
            page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))

            def only_loopback(route):  # la página no puede depender de internet (ni de una CDN)
                if route.request.url.startswith(base):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_loopback)
            page.goto(base + "/")
            page.wait_for_selector("#estado:has-text('Servicio en marcha')", timeout=20_000)

            page.fill("#sent-texto", "La película no me gustó nada.\nMuy buena.")
            page.click("#sent-enviar")
            page.wait_for_selector("#sent-resultado .barra", timeout=20_000)
            assert not [c for c in console if c.startswith(("error", "pageerror"))], console
            assert page.locator("#sent-resultado .caso").count() == 2
            assert page.locator("#sent-resultado .barra").count() == 4  # 2 textos × 2 clases
            assert "no me gustó" in page.inner_text("#sent-resultado")

            page.fill("#gen-texto", "En el principio")
            page.fill("#gen-max", "5")
            page.click("#gen-enviar")
            page.wait_for_selector("#gen-resultado .continuacion", state="attached", timeout=20_000)
            assert page.inner_text("#gen-resultado").startswith("En el principio")

            page.fill("#res-k", "1")
            page.click("#res-enviar")
            page.wait_for_selector("#res-resultado .ayuda", timeout=20_000)
            assert "Oraciones elegidas" in page.inner_text("#res-resultado")

            page.fill("#mask-texto", "un texto sin máscara")
            page.click("#mask-enviar")
            page.wait_for_selector("#error:not([hidden])", timeout=20_000)
            error = page.inner_text("#error")
            assert "Error 422" in error and "[MASK]" in error
            page.screenshot(path=str(tmp_path / "pagina.png"), full_page=True)

            page.goto(base + "/docs")  # la documentación interactiva también funciona sin red
            page.wait_for_selector("text=/sentimiento", timeout=20_000)
        finally:
            context.close()
    assert (tmp_path / "pagina.png").stat().st_size > 10_000
    assert outside == [], f"La página pidió recursos de fuera: {outside}"
