"""Autoevaluación de los desafíos: una sola función, :func:`check`, para todas las comprobaciones.

Cada desafío declara primero cuál es (``start("desafio_1")``) y luego comprueba sus objetivos::

    from utils import desafio

    desafio.start("desafio_1")
    ok = desafio.check("MRR del buscador", my_mrr, 0.50)
    ...
    desafio.record(buscador_mrr=my_mrr)  # métricas del cuaderno + autoevaluación

:func:`check` hace tres cosas:

1. Imprime en español si se cumplió el objetivo, con números que no se confunden con miles
   (``15 ≥ 15``, ``1.2346``, ``0.812``; nunca ``15.000``).
2. Deja en la salida del cuaderno una copia legible por máquina (tipo MIME
   :data:`MIME`), que ``make portafolio`` lee del cuaderno guardado.
3. En modo completo, la guarda en ``resultados/desafio_N.json`` bajo la clave
   ``"autoevaluacion"`` (valor, objetivo, cumple, fecha, modo rápido e identificador de la
   ejecución), sin tocar las demás claves que escribe :func:`utils.results.record`. En modo
   rápido (``CURSO_SMOKE=1``) no escribe nada, igual que ``record``: las pruebas automáticas no
   deben cambiar los resultados publicados.
"""

from __future__ import annotations

import json
import math
import platform
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import config, results
from .artifacts import atomic_write_text

#: Tipo MIME de la copia legible por máquina que :func:`check` deja en la salida del cuaderno.
MIME = "application/vnd.curso-nlp.autoevaluacion+json"

#: Clave de ``resultados/desafio_N.json`` donde se guarda la autoevaluación.
KEY = "autoevaluacion"

_current: str | None = None
#: Por desafío: identificador de esta ejecución y comprobaciones hechas (por nombre, en orden).
_runs: dict[str, dict[str, Any]] = {}


# ---------------------------------------------------------------------------------------------
# Números sin ambigüedad
# ---------------------------------------------------------------------------------------------


def format_number(value: float, decimals: int | None = None) -> str:
    """Escribe un número de forma que un lector hispanohablante no lo confunda con miles.

    - Los enteros van sin decimales (``15``, no ``15.000``); desde 10 000, agrupados con
      espacios, como recomienda la RAE (``15 000``).
    - El resto, con punto decimal y unas 4 cifras significativas, pero **nunca exactamente
      tres decimales tras una parte entera distinta de cero** (``1.235`` se leería «mil
      doscientos treinta y cinco»): en ese caso se usan cuatro (``1.2346``).

    Ejemplo:
        >>> format_number(15.0), format_number(0.8123), format_number(1.23456), format_number(180.5)
        ('15', '0.8123', '1.2346', '180.5')
        >>> format_number(123456)
        '123 456'
    """
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        if value == int(value) and abs(value) < 1e15:
            return _group(f"{int(value)}")
        if abs(value) >= 1:
            decimals = max(1, 4 - len(str(int(abs(value)))))
        else:  # 0.8123, 0.0001234: cuatro cifras significativas
            decimals = max(4, 3 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    int_part, _, frac = text.lstrip("-").partition(".")
    if len(frac) == 3 and int_part != "0":
        text = f"{value:.4f}"
    int_part, dot, frac = text.partition(".")
    return _group(int_part) + dot + frac


def _group(int_text: str) -> str:
    sign = "-" if int_text.startswith("-") else ""
    digits = int_text.lstrip("-")
    if len(digits) <= 4:  # «1500»: sin separador, como pide la RAE para cuatro cifras
        return int_text
    groups = []
    while digits:
        groups.append(digits[-3:])
        digits = digits[:-3]
    return sign + " ".join(reversed(groups))


def format_pair(value: float, bar: float) -> tuple[str, str]:
    """Formatea valor y objetivo con la precisión justa para que no parezcan iguales si no lo son.

    Ejemplo:
        >>> format_pair(0.79996, 0.8)
        ('0.79996', '0.8')
    """
    a, b = format_number(value), format_number(bar)
    decimals = 4
    while a == b and value != bar and decimals < 10:
        decimals += 1
        a, b = format_number(value, decimals), format_number(bar, decimals)
    return a, b


# ---------------------------------------------------------------------------------------------
# Comprobaciones
# ---------------------------------------------------------------------------------------------


def _as_number(value: Any, label: str) -> float:
    if hasattr(value, "numel") and hasattr(value, "item"):  # tensor de PyTorch
        if value.numel() != 1:
            raise ValueError(
                f"{label} debe ser un número; es un tensor de forma {tuple(value.shape)}."
            )
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{label} debe ser un número; se recibió {type(value).__name__}.")
    return float(value)


def verdict(value: Any, bar: Any, name: str, higher_is_better: bool = True) -> tuple[bool, str]:
    """Decide si ``value`` alcanza ``bar`` y devuelve ``(cumple, mensaje en español)``.

    No imprime ni guarda nada (eso lo hace :func:`check`). Un valor no finito nunca cumple.

    Ejemplo:
        >>> verdict(15, 15, "entradas en la FAQ")
        (True, '✅ entradas en la FAQ = 15 ≥ 15: ¡objetivo cumplido!')
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError("name debe ser el nombre de la comprobación (un texto no vacío).")
    value = _as_number(value, "value")
    bar = _as_number(bar, "bar")
    if not math.isfinite(bar):
        raise ValueError(f"El objetivo debe ser un número finito; se recibió {bar}.")
    ok_sign, bad_sign = ("≥", "<") if higher_is_better else ("≤", ">")
    if not math.isfinite(value):
        return False, f"❌ {name} = {value}: el valor no es finito (¿divergió el entrenamiento?)."
    ok = value >= bar if higher_is_better else value <= bar
    v, b = format_pair(value, bar)
    if ok:
        return True, f"✅ {name} = {v} {ok_sign} {b}: ¡objetivo cumplido!"
    return False, (
        f"❌ {name} = {v} {bad_sign} {b}: todavía no; el objetivo es {ok_sign} {b}. "
        "¡Sigue probando!"
    )


def _check_desafio_name(name: Any) -> str:
    if not isinstance(name, str) or not name.startswith("desafio_") or "/" in name:
        raise ValueError(
            "El desafío se nombra como su cuaderno sin carpeta ni extensión, p. ej. "
            f"'desafio_1' o 'desafio_final'; se recibió {name!r}."
        )
    return name


def start(desafio: str) -> None:
    """Declara qué desafío se está resolviendo y empieza una ejecución nueva.

    Llámala una vez, al principio del cuaderno. Cada ejecución recibe un identificador (el mismo
    en la salida del cuaderno y en ``resultados/``, para comprobar que ambos vienen de la misma
    ejecución); las comprobaciones de ejecuciones anteriores dejan de contar.

    Ejemplo:
        >>> start("desafio_1")
        >>> summary()
        {}
    """
    global _current
    _current = _check_desafio_name(desafio)
    _runs[_current] = {"ejecucion": uuid.uuid4().hex[:12], "checks": {}}


def run_id(desafio: str | None = None) -> str:
    """Identificador de la ejecución en curso del desafío (lo fija :func:`start`)."""
    return _run_for(desafio)[1]["ejecucion"]


def _run_for(desafio: str | None) -> tuple[str, dict[str, Any]]:
    name = _current if desafio is None else _check_desafio_name(desafio)
    if name is None:
        raise RuntimeError(
            "Antes de comprobar nada, di qué desafío es: utils.desafio.start('desafio_1')."
        )
    if name not in _runs:
        start(name)
    return name, _runs[name]


def check(
    name: str,
    value: Any,
    bar: Any,
    higher_is_better: bool = True,
    *,
    required: bool = True,
    desafio: str | None = None,
) -> bool:
    """Autocomprobación de un objetivo del desafío: imprime ✅/❌ y lo registra.

    Con ``higher_is_better=False`` (pérdida, perplejidad) el objetivo es no superar ``bar``.
    Con ``required=False`` es un reto extra: se muestra, pero no cuenta para dar el desafío por
    superado en el portafolio. ``desafio`` sustituye al declarado con :func:`start`. Devuelve si
    se cumplió.

    Ejemplo:
        >>> start("desafio_1")  # doctest: +SKIP
        >>> check("macro-F1 en validación", 0.812, 0.8)  # doctest: +SKIP
        ✅ macro-F1 en validación = 0.812 ≥ 0.8: ¡objetivo cumplido!
        True
    """
    ok, message = verdict(value, bar, name, higher_is_better)
    desafio_name, run = _run_for(desafio)
    value_f = float(_as_number(value, "value"))
    row = {
        "nombre": name,
        "valor": value_f if math.isfinite(value_f) else str(value_f),
        "objetivo": float(_as_number(bar, "bar")),
        "sentido": "≥" if higher_is_better else "≤",
        "cumple": ok,
        "obligatoria": bool(required),
        "fecha": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "modo_rapido": bool(config.SMOKE),
    }
    run["checks"][name] = row
    _emit(message, {"desafio": desafio_name, "ejecucion": run["ejecucion"], **row})
    if not config.SMOKE:
        _save(desafio_name)
    return ok


def _emit(message: str, payload: dict[str, Any]) -> None:
    """Muestra el mensaje; dentro de Jupyter añade la copia legible por máquina."""
    try:
        from IPython import get_ipython
    except ImportError:  # sin IPython instalado: basta con imprimir
        get_ipython = None  # noqa: N806
    shell = get_ipython() if get_ipython is not None else None
    if shell is None or not hasattr(shell, "kernel"):
        print(message)
        return
    from IPython.display import display

    display({"text/plain": message, MIME: payload}, raw=True)


def results_path(desafio: str) -> Path:
    """Ruta de ``resultados/<desafio>.json`` (la misma que usa :func:`utils.results.record`)."""
    return results.RESULTS_DIR / f"{_check_desafio_name(desafio)}.json"


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{path} no es un JSON válido ({err}). Bórralo y vuelve a ejecutar el desafío."
        ) from err
    if not isinstance(data, dict):
        raise ValueError(f"{path} debería contener un objeto JSON; bórralo y vuelve a ejecutar.")
    return data


def _save(desafio: str) -> Path:
    """Escribe la autoevaluación de esta ejecución en ``resultados/``, conservando lo demás."""
    run = _runs[desafio]
    path = results_path(desafio)
    data = _read(path)
    if not data:  # todavía sin record(): las claves que espera utils.results.build_table
        data = {
            "notebook": desafio,
            "clase": results._class_of(desafio),
            "metrics": {},
            "wall_time_s": round(time.perf_counter() - results._START, 1),
            "device": "sin registrar",
            "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        }
    data[KEY] = {
        "ejecucion": run["ejecucion"],
        "modo_rapido": bool(config.SMOKE),
        "comprobaciones": list(run["checks"].values()),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path


def record(*, force: bool = False, desafio: str | None = None, **metrics: Any) -> Path | None:
    """Como :func:`utils.results.record` para el desafío en curso, sin perder su autoevaluación.

    ``results.record`` reescribe ``resultados/desafio_N.json`` entero; esta función vuelve a
    añadir las comprobaciones de esta ejecución. En modo rápido no escribe nada.

    Ejemplo:
        >>> record(buscador_mrr=0.61)  # doctest: +SKIP
    """
    desafio_name, run = _run_for(desafio)
    path = results.record(desafio_name, force=force, **metrics)
    if path is not None and run["checks"]:
        _save(desafio_name)
    return path


def summary(desafio: str | None = None) -> dict[str, bool]:
    """Las comprobaciones hechas en esta ejecución: ``{nombre: cumple}``.

    Ejemplo:
        >>> summary()  # doctest: +SKIP
        {'MRR del buscador': True, 'macro-F1 en validación cruzada': False}
    """
    _, run = _run_for(desafio)
    return {name: row["cumple"] for name, row in run["checks"].items()}


# ---------------------------------------------------------------------------------------------
# El conjunto de prueba, bajo llave
# ---------------------------------------------------------------------------------------------


class HeldOut:
    """El conjunto de prueba bajo llave: se puntúa **una vez**, al final, con todos los modelos.

    Guarda entradas y respuestas correctas; las respuestas no se pueden leer hasta haber
    puntuado. :meth:`score` recibe un diccionario ``{nombre: función que predice}`` y cuenta
    cuántas veces se llamó (:attr:`times_scored`): la autocomprobación exige que sea 1, porque
    mirar la prueba, cambiar el modelo y volver a mirarla es ajustar con la prueba.

    Ejemplo:
        >>> test = HeldOut(["hola", "adiós", "buenas"], ["saludo", "despedida", "saludo"])
        >>> preds = test.score({"siempre saludo": lambda xs: ["saludo"] * len(xs)})
        >>> preds["siempre saludo"], test.targets, test.times_scored
        (['saludo', 'saludo', 'saludo'], ['saludo', 'despedida', 'saludo'], 1)
    """

    def __init__(self, inputs: Any, targets: Any, *, name: str = "prueba") -> None:
        inputs, targets = list(inputs), list(targets)
        if not inputs:
            raise ValueError(f"El conjunto de {name} está vacío.")
        if len(inputs) != len(targets):
            raise ValueError(
                f"El conjunto de {name} tiene {len(inputs)} entradas y {len(targets)} respuestas."
            )
        self._inputs, self._targets, self.name = inputs, targets, name
        self.times_scored = 0

    def __len__(self) -> int:
        return len(self._inputs)

    def __repr__(self) -> str:
        return f"HeldOut({self.name!r}, {len(self)} ejemplos, puntuado {self.times_scored} veces)"

    @property
    def inputs(self) -> list[Any]:
        """Las entradas (no son secretas: los modelos las necesitan para predecir)."""
        return list(self._inputs)

    @property
    def targets(self) -> list[Any]:
        """Las respuestas correctas; solo después de :meth:`score`."""
        if self.times_scored == 0:
            raise RuntimeError(
                f"Las respuestas de {self.name} se ven después de puntuar (score), no antes: "
                "decide con el conjunto de desarrollo."
            )
        return list(self._targets)

    def score(self, predictors: dict[str, Any]) -> dict[str, list[Any]]:
        """Predice el conjunto con cada modelo y devuelve ``{nombre: predicciones}``."""
        if not isinstance(predictors, dict) or not predictors:
            raise TypeError(
                "score() recibe un diccionario {nombre: función}, p. ej. "
                "{'línea de base': base.predict, 'mi modelo': model.predict}."
            )
        self.times_scored += 1
        if self.times_scored > 1:
            print(
                f"⚠️ Es la vez n.º {self.times_scored} que puntúas el conjunto de {self.name}: "
                "sus cifras ya no son una medida limpia (la autocomprobación lo marcará)."
            )
        out = {}
        for name, predict in predictors.items():
            preds = list(predict(list(self._inputs)))
            if len(preds) != len(self._inputs):
                raise ValueError(
                    f"«{name}» devolvió {len(preds)} predicciones para {len(self)} ejemplos."
                )
            out[name] = preds
        return out
