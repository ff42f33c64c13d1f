"""Servicio de la clase 8 con ``TestClient``: cada endpoint con entradas válidas y con entradas
malas de todo tipo (→ 4xx con mensaje en español, nunca 5xx), token, saturación y micro-lotes."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from clase_8.servicio import Settings, create_app
from clase_8.servicio.batching import MicroBatcher, Saturado
from clase_8.servicio.errors import spanish_validation_errors
from tests.servicio_modelos import build_tiny_models

SUMMARY_TEXT = (
    "El río nace en la sierra. Cruza tres provincias antes de llegar al mar. "
    "Sus aguas riegan huertas y olivares. En verano su caudal baja mucho."
)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, str]:
    return build_tiny_models(tmp_path_factory.mktemp("modelos_servicio"))


@pytest.fixture(scope="module")
def client(tiny_models, one_thread):
    with TestClient(create_app(Settings(sources=tiny_models, threads=1))) as c:
        yield c


def _post(client: TestClient, path: str, body=None, *, raw: bytes | None = None,
          ctype: str = "application/json"):  # fmt: skip
    if raw is None:
        raw = json.dumps(body).encode()
    return client.post(path, content=raw, headers={"content-type": ctype})


# --- peticiones válidas ---------------------------------------------------------------------


def test_health_and_models_info(client):
    health = client.get("/salud")
    assert health.status_code == 200 and health.json()["estado"] == "ok"
    assert health.json()["modelos"]["sentimiento"] == "listo"
    info = client.get("/modelos").json()
    sent = info["modelos"]["sentimiento"]
    assert sent["arquitectura"] == "BertForSequenceClassification"
    assert sent["origen"] == "carpeta local" and sent["dispositivo"] == "cpu"
    assert sent["etiquetas"] == ["negativo", "positivo"] and sent["parametros"] > 1000
    assert info["modelos"]["generacion"]["contexto_tokens"] == 64
    assert info["hilos_torch"] == 1 and info["token_requerido"] is False


def test_sentiment_batch(client):
    texts = ["La película no me gustó nada.", "Muy buena.", "The movie was wonderful."]
    r = _post(client, "/sentimiento", {"textos": texts})
    assert r.status_code == 200, r.text
    results = r.json()["resultados"]
    assert len(results) == len(texts)
    for res in results:
        probs = res["probabilidades"]
        assert set(probs) == {"negativo", "positivo"}
        assert math.isclose(sum(probs.values()), 1.0, abs_tol=1e-4)
        assert res["etiqueta"] == max(probs, key=probs.get)


def test_sentiment_same_alone_or_in_batch(client):
    """El relleno del lote no cambia la predicción (la máscara de atención funciona)."""
    short, long = "buena", "la película no me gustó nada muy aburrida"
    alone = _post(client, "/sentimiento", {"textos": [short]}).json()["resultados"][0]
    batch = _post(client, "/sentimiento", {"textos": [long, short]}).json()["resultados"][1]
    for label, p in alone["probabilidades"].items():
        assert math.isclose(p, batch["probabilidades"][label], abs_tol=1e-4)


def test_fill_mask(client):
    r = _post(client, "/mascara", {"texto": "En el principio creó [MASK] los cielos.", "top_k": 4})
    assert r.status_code == 200, r.text
    cands = r.json()["candidatos"]
    probs = [c["probabilidad"] for c in cands]
    assert len(cands) == 4 and probs == sorted(probs, reverse=True)
    assert all(0 < p <= 1 for p in probs)
    for c in cands:
        assert c["token"] not in {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"}
        assert "[MASK]" not in c["texto"]


def test_generation_greedy_seed_and_crop(client):
    body = {"texto": "En el principio", "max_new_tokens": 6, "temperature": 0}
    a, b = (_post(client, "/generar", body).json() for _ in range(2))
    assert a == b and 1 <= a["tokens_generados"] <= 6 and a["recortado"] is False
    assert a["texto"].endswith(a["continuacion"])
    sampled = {**body, "temperature": 1.0, "top_k": 20, "top_p": 0.9, "seed": 7}
    assert _post(client, "/generar", sampled).json() == _post(client, "/generar", sampled).json()
    long = _post(client, "/generar", {"texto": "la tierra y el mar " * 40, "max_new_tokens": 8})
    assert long.status_code == 200 and long.json()["recortado"] is True


def test_summary(client):
    r = _post(client, "/resumen", {"texto": SUMMARY_TEXT, "oraciones": 2})
    missing = client.get("/salud").json()["modelos"]["resumen"]
    if missing != "listo":  # utils.summarize (7f) todavía no está: 503 claro, no 500
        assert r.status_code == 503 and "resumen" in r.json()["detalle"]
        return
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["n_oraciones"] == 4 and len(data["indices"]) == 2
    assert data["indices"] == sorted(data["indices"])


def test_page_docs_and_openapi_offline(client):
    page = client.get("/")
    assert page.status_code == 200 and "Servicio de NLP" in page.text
    assert client.get("/estaticos/app.js").status_code == 200
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-estaticos/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()  # la documentación funciona sin internet
    assert client.get("/docs-estaticos/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    sent = spec["paths"]["/sentimiento"]["post"]
    assert "Clasifica cada texto" in sent["description"]
    assert "503" in sent["responses"] and "422" in sent["responses"]


# --- entradas malas: siempre 4xx, con el motivo en español -------------------------------------

BIG = "a" * 1_100_000  # ~1 MB de texto
BAD_REQUESTS = [
    # (ruta, cuerpo JSON o bytes crudos, content-type, estado esperado)
    ("/sentimiento", {"textos": [""]}, None, 422),
    ("/sentimiento", {"textos": ["   "]}, None, 422),
    ("/sentimiento", {"textos": []}, None, 422),
    ("/sentimiento", {"textos": ["x" * 1001]}, None, 422),
    ("/sentimiento", {"textos": [BIG]}, None, 413),
    ("/sentimiento", {"textos": ["hola"] * 33}, None, 422),
    ("/sentimiento", {"textos": ["hola"] * 100_000}, None, 413),
    ("/sentimiento", {"textos": "hola"}, None, 422),
    ("/sentimiento", {"textos": [1, 2]}, None, 422),
    ("/sentimiento", {"textos": None}, None, 422),
    ("/sentimiento", {"textos": [None]}, None, 422),
    ("/sentimiento", None, None, 422),
    ("/sentimiento", [], None, 422),
    ("/sentimiento", {}, None, 422),
    ("/sentimiento", {"textos": ["hola"], "extra": 1}, None, 422),
    ("/sentimiento", b'{"textos": ["hola"', None, 422),
    ("/sentimiento", b"", None, 422),
    ("/sentimiento", b'{"textos": ["\xff\xfe\xfa"]}', None, 400),
    ("/sentimiento", b'{"textos": ["hola"]}', "text/plain", 415),
    ("/sentimiento", b"textos=hola", "application/x-www-form-urlencoded", 415),
    ("/sentimiento", b'{"textos": ["hola"]}', "", 415),
    ("/mascara", {"texto": "sin máscara"}, None, 422),
    ("/mascara", {"texto": "[MASK] y [MASK]"}, None, 422),
    ("/mascara", {"texto": "el [MASK]", "top_k": 0}, None, 422),
    ("/mascara", {"texto": "el [MASK]", "top_k": 21}, None, 422),
    ("/mascara", {"texto": "el [MASK]", "top_k": "5"}, None, 422),
    ("/mascara", {"texto": "el [MASK]", "top_k": 2.5}, None, 422),
    ("/mascara", {"texto": "el [MASK]", "top_k": True}, None, 422),
    ("/mascara", {"texto": 5}, None, 422),
    ("/mascara", {"texto": "la " * 300 + "[MASK]"}, None, 422),  # máscara más allá del contexto
    ("/generar", {"texto": "hola", "max_new_tokens": 0}, None, 422),
    ("/generar", {"texto": "hola", "max_new_tokens": 201}, None, 422),
    ("/generar", {"texto": "hola", "max_new_tokens": 64}, None, 422),  # = contexto del modelo
    ("/generar", {"texto": "hola", "temperature": -0.1}, None, 422),
    ("/generar", {"texto": "hola", "temperature": 2.5}, None, 422),
    ("/generar", {"texto": "hola", "top_p": 0}, None, 422),
    ("/generar", {"texto": "hola", "top_p": 1.5}, None, 422),
    ("/generar", {"texto": "hola", "top_k": -1}, None, 422),
    ("/generar", {"texto": "hola", "seed": -1}, None, 422),
    ("/generar", b'{"texto": "hola", "temperature": NaN}', None, 422),
    ("/generar", b'{"texto": "hola", "top_p": Infinity}', None, 422),
    ("/generar", {"texto": ""}, None, 422),
    ("/resumen", {"texto": SUMMARY_TEXT, "oraciones": 0}, None, 422),
    ("/resumen", {"texto": SUMMARY_TEXT, "oraciones": 11}, None, 422),
    ("/resumen", {"texto": SUMMARY_TEXT, "metodo": "xyz"}, None, 422),
    ("/resumen", {"texto": "x" * 20_001}, None, 422),
    ("/resumen", {"texto": "  \n "}, None, 422),
]


@pytest.mark.parametrize(("path", "body", "ctype", "status"), BAD_REQUESTS,
                         ids=[f"{i}-{r[0][1:]}-{r[3]}" for i, r in enumerate(BAD_REQUESTS)])  # fmt: skip
def test_bad_input_is_4xx_in_spanish(client, path, body, ctype, status):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = _post(client, path, raw=raw, ctype="application/json" if ctype is None else ctype)
    assert r.status_code == status, r.text
    detail = r.json()["detalle"]
    assert isinstance(detail, str) and len(detail) > 10
    assert not any(w in detail for w in ("Field required", "Input should", "Not Found"))


def test_wrong_method_and_route(client):
    assert client.get("/sentimiento").status_code == 405
    r = client.get("/no-existe")
    assert r.status_code == 404 and "no existe" in r.json()["detalle"]


def test_validation_message_names_the_field(client):
    r = _post(client, "/sentimiento", {"textos": ["ok", ""]})
    assert r.json()["errores"][0]["campo"] == "textos[1]"
    assert "vacío" in r.json()["detalle"]


def test_unknown_error_type_still_spanish():
    out = spanish_validation_errors([{"type": "nuevo_tipo", "loc": ("body", "x"), "msg": "m"}])
    assert out == [{"campo": "x", "mensaje": "valor no válido (m)", "tipo": "nuevo_tipo"}]


# --- token, saturación, modelos ausentes y registro ---------------------------------------------


def test_bearer_token(tiny_models, one_thread):
    settings = Settings(sources=tiny_models, threads=1, token="secreto", tasks=("sentimiento",))
    body = {"textos": ["hola"]}
    with TestClient(create_app(settings)) as c:
        assert c.get("/salud").status_code == 200  # la salud no exige token
        r = c.post("/sentimiento", json=body)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "token" in r.json()["detalle"]
        bad = c.post("/sentimiento", json=body, headers={"Authorization": "Bearer secretO"})
        assert bad.status_code == 401
        ok = c.post("/sentimiento", json=body, headers={"Authorization": "Bearer secreto"})
        assert ok.status_code == 200
        assert c.get("/modelos").json()["token_requerido"] is True


def test_full_queue_is_503_with_retry_after(tiny_models, one_thread):
    settings = Settings(sources=tiny_models, threads=1, max_queue=2, tasks=("sentimiento",))
    with TestClient(create_app(settings)) as c:
        r = c.post("/sentimiento", json={"textos": ["a", "b", "c"]})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert "saturado" in r.json()["detalle"]
        assert c.post("/sentimiento", json={"textos": ["a", "b"]}).status_code == 200
        assert c.get("/modelos").json()["modelos"]["sentimiento"]["lotes"]["rechazados"] == 3


def test_model_not_loaded_is_503(tiny_models, one_thread):
    with TestClient(create_app(Settings(sources=tiny_models, tasks=("sentimiento",)))) as c:
        r = c.post("/generar", json={"texto": "hola"})
        assert r.status_code == 503 and "generacion" in r.json()["detalle"]


def test_missing_local_folder_fails_at_startup(tmp_path):
    settings = Settings(
        sources={"sentimiento": str(tmp_path / "no_existe")}, tasks=("sentimiento",)
    )
    with pytest.raises(OSError), TestClient(create_app(settings)):
        pass


def test_cors_off_by_default(client):
    r = client.options("/sentimiento", headers={"Origin": "http://otro.example",
                                                "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert "access-control-allow-origin" not in r.headers


def test_one_log_line_per_request_without_text(client, caplog):
    secret = "frase-privada-del-usuario"
    with caplog.at_level(logging.INFO, logger="clase_8.servicio"):
        _post(client, "/sentimiento", {"textos": [secret]})
        _post(client, "/sentimiento", {"textos": [""]})
    lines = [r.getMessage() for r in caplog.records if r.name == "clase_8.servicio"]
    assert len(lines) == 2
    assert lines[0].startswith("POST /sentimiento 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("POST /sentimiento 422 ")
    assert not any(secret in line for line in lines)


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("CURSO_SERVICIO_MAX_LOTE", "1")
    monkeypatch.setenv("CURSO_SERVICIO_MODELOS", "sentimiento, generacion")
    monkeypatch.setenv("CURSO_SERVICIO_MODELO_SENTIMIENTO", "/tmp/x")
    s = Settings.from_env()
    assert s.max_batch == 1 and s.tasks == ("sentimiento", "generacion")
    assert s.sources == {"sentimiento": "/tmp/x"} and s.token is None
    monkeypatch.setenv("CURSO_SERVICIO_MAX_LOTE", "muchos")
    with pytest.raises(ValueError, match="entero"):
        Settings.from_env()
    monkeypatch.setenv("CURSO_SERVICIO_MAX_LOTE", "0")
    with pytest.raises(ValueError, match="entre 1 y"):
        Settings.from_env()
    with pytest.raises(ValueError, match="Tareas desconocidas"):
        Settings(tasks=("traducir",))


# --- micro-lotes --------------------------------------------------------------------------------


def _run_batcher(fn, items, **kwargs):
    async def main():
        mb = MicroBatcher("prueba", fn, executor=ThreadPoolExecutor(1), **kwargs)
        mb.start()
        try:
            results = await asyncio.gather(*(mb.submit(x) for x in items), return_exceptions=True)
        finally:
            await mb.stop()
        return results, mb.stats()

    return asyncio.run(main())


def test_batcher_groups_concurrent_requests():
    sizes = []

    def fn(batch):
        sizes.append(len(batch))
        return [x * 10 for x in batch]

    results, stats = _run_batcher(fn, list(range(10)), max_batch=4, max_wait_ms=50)
    assert results == [x * 10 for x in range(10)]  # cada petición recibe su propio resultado
    assert max(sizes) == 4 and sum(sizes) == 10 and len(sizes) == 3
    assert stats["lotes"] == 3 and stats["lote_medio"] == pytest.approx(10 / 3, abs=0.01)


def test_batcher_one_at_a_time_and_errors():
    results, stats = _run_batcher(lambda b: [x + 1 for x in b], [1, 2, 3], max_batch=1)
    assert results == [2, 3, 4] and stats["lotes"] == 3
    per_item = _run_batcher(lambda b: [ValueError("mal") if x == 2 else x for x in b], [1, 2, 3],
                            max_batch=8, max_wait_ms=20)[0]  # fmt: skip
    assert per_item[0] == 1 and isinstance(per_item[1], ValueError) and per_item[2] == 3
    crash = _run_batcher(lambda b: 1 / 0, [1, 2], max_batch=8, max_wait_ms=20)[0]
    assert all(isinstance(r, ZeroDivisionError) for r in crash)
    wrong_len = _run_batcher(lambda b: [], [1], max_batch=2)[0]
    assert isinstance(wrong_len[0], RuntimeError)


def test_batcher_rejects_when_full():
    async def main():
        mb = MicroBatcher("prueba", lambda b: b, executor=ThreadPoolExecutor(1), max_queue=3)
        with pytest.raises(RuntimeError, match="no está en marcha"):
            await mb.submit(1)
        mb.start()
        with pytest.raises(Saturado, match="saturado"):
            await mb.submit_many([1, 2, 3, 4])
        assert await mb.submit_many([1, 2, 3]) == [1, 2, 3]
        await mb.stop()

    asyncio.run(main())
    with pytest.raises(ValueError):
        MicroBatcher("x", lambda b: b, executor=ThreadPoolExecutor(1), max_batch=0)


@pytest.mark.parametrize("name", ["app", "batching", "bench", "config", "errors", "models"])
def test_service_doctests(name):
    import doctest
    import importlib

    module = importlib.import_module(f"clase_8.servicio.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} de {result.attempted} ejemplos fallan"
