"""Configuración de pytest en la raíz: resumen del tiempo de cada cuaderno ejecutado con nbval."""

from collections import defaultdict

_NOTEBOOK_SECONDS: dict[str, float] = defaultdict(float)
SMOKE_BUDGET_S = 60


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _NOTEBOOK_SECONDS[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _NOTEBOOK_SECONDS:
        return
    terminalreporter.section("tiempo por cuaderno")
    for path, secs in sorted(_NOTEBOOK_SECONDS.items()):
        flag = "  ⚠ supera el presupuesto de 60 s del modo rápido" if secs > SMOKE_BUDGET_S else ""
        terminalreporter.write_line(f"{secs:7.1f} s  {path}{flag}")
