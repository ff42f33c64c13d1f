"""``make portafolio``: tu portafolio del curso, generado a partir de tus desafíos.

Para cada ``clase_*/desafio_*.ipynb`` lee el cuaderno **guardado** (no lo ejecuta) y anota:

- si se ejecutó de arriba abajo sin errores, en modo completo (o si está sin ejecutar, a medias,
  con errores o en modo rápido: entonces lo dice y no muestra sus cifras como resultado);
- sus autocomprobaciones, tal como las dejó :func:`utils.desafio.check` en la salida del
  cuaderno, y si coinciden con ``resultados/desafio_N.json`` (la misma ejecución);
- sus figuras (las imágenes PNG de las salidas);
- tu celda de cierre «Qué probé y qué aprendí».

Escribe ``portafolio/README.md`` (se ve en GitHub) y ``portafolio/index.html`` (una página
autocontenida: estilos e imágenes dentro, sin CDN ni red). Nunca inventa un resultado: lo que no
está en el cuaderno ejecutado no aparece como cumplido.

Uso::

    make portafolio                    # = python -m utils.portafolio
    python -m utils.portafolio --salida /tmp/mi_portafolio
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from . import colab
from .artifacts import atomic_dir
from .config import REPO_ROOT
from .desafio import KEY, MIME, format_pair

#: Estados posibles de un cuaderno (solo ``EXECUTED`` muestra sus cifras como resultado).
NOT_RUN = "sin ejecutar"
PARTIAL = "ejecución incompleta"
ERROR = "con errores"
SMOKE = "modo rápido"
EXECUTED = "ejecutado"

#: Figuras por desafío como máximo (las primeras que produjo el cuaderno).
MAX_FIGURES = 6

#: Texto de la plantilla de la celda de cierre: si sigue ahí, la celda no está escrita.
CLOSING_PLACEHOLDER = "Reemplaza este texto"
CLOSING_TITLE = "que probe y que aprendi"  # sin tildes ni mayúsculas


@dataclass
class Check:
    """Una autocomprobación leída de la salida del cuaderno."""

    nombre: str
    valor: float | str
    objetivo: float
    sentido: str
    cumple: bool
    obligatoria: bool = True

    def values_text(self) -> tuple[str, str]:
        """Valor y objetivo formateados sin ambigüedad.

        Ejemplo:
            >>> Check("F1", 0.762, 0.79, "≥", False).values_text()
            ('0.762', '0.79')
            >>> Check("entradas", 15.0, 15.0, "≥", True).values_text()
            ('15', '15')
        """
        if isinstance(self.valor, str):  # nan / inf
            return self.valor, format_pair(self.objetivo, self.objetivo)[1]
        return format_pair(self.valor, self.objetivo)


@dataclass
class Entry:
    """Lo que el portafolio cuenta de un desafío."""

    name: str
    notebook: Path  # relativa a la raíz del repositorio
    title: str
    status: str
    detail: str
    checks: list[Check] = field(default_factory=list)
    figures: list[bytes] = field(default_factory=list)
    figures_omitted: int = 0
    closing: str | None = None  # markdown escrito por el estudiante; None = sin escribir
    record_note: str | None = None  # aviso si resultados/ no coincide con el cuaderno

    @property
    def required(self) -> list[Check]:
        return [c for c in self.checks if c.obligatoria]

    @property
    def passed(self) -> bool:
        """Superado: ejecutado entero en modo completo y todos los objetivos obligatorios ✅."""
        return (
            self.status == EXECUTED and bool(self.required) and all(c.cumple for c in self.required)
        )

    def verdict(self, icons: bool = True) -> str:
        """Resumen en una línea para la tabla: nunca ✅ si las cifras no cuentan.

        Con ``icons=False``, sin emojis (la página HTML usa sus propias marcas y colores).
        """
        if self.status != EXECUTED:
            return f"— ({self.status})"
        done, total = sum(c.cumple for c in self.required), len(self.required)
        if not total:
            text, icon = "sin autoevaluación", "❔"
        elif self.passed:
            text, icon = f"superado ({done} de {total} objetivos)", "✅"
        else:
            text, icon = f"pendiente ({done} de {total} objetivos)", "❌"
        return f"{icon} {text}" if icons else text


# ---------------------------------------------------------------------------------------------
# Lectura de un cuaderno
# ---------------------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _closing(nb: nbformat.NotebookNode) -> tuple[bool, str | None]:
    """(¿hay celda de cierre?, su texto sin el título; None si sigue la plantilla)."""
    for cell in reversed(nb.cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.strip().splitlines()
        if lines and _normalize(lines[0].lstrip("#").strip()).startswith(CLOSING_TITLE):
            body = "\n".join(lines[1:]).strip()
            if not body or CLOSING_PLACEHOLDER in body:
                return True, None
            return True, body
    return False, None


def _execution_state(nb: nbformat.NotebookNode) -> tuple[str, str]:
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    if not code:
        return NOT_RUN, "el cuaderno no tiene celdas de código"
    counts = [c.get("execution_count") for c in code]
    for cell in code:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                where = code.index(cell) + 1
                return ERROR, (
                    f"la celda de código n.º {where} terminó con un error "
                    f"({out.get('ename', '?')}: {str(out.get('evalue', ''))[:120]})"
                )
    if all(c is None for c in counts):
        return NOT_RUN, "ninguna celda de código tiene salida guardada"
    missing = sum(c is None for c in counts)
    if missing:
        return PARTIAL, f"{missing} de {len(code)} celdas de código no se ejecutaron"
    if any(b <= a for a, b in zip(counts, counts[1:], strict=False)):
        return PARTIAL, (
            "las celdas no se ejecutaron de arriba abajo en una sola pasada "
            "(usa «Reiniciar y ejecutar todo»)"
        )
    return EXECUTED, f"las {len(code)} celdas de código se ejecutaron en orden, sin errores"


def _self_checks(nb: nbformat.NotebookNode) -> tuple[list[Check], set[str], bool]:
    """Autocomprobaciones de las salidas: (filas, identificadores de ejecución, ¿modo rápido?)."""
    rows: dict[str, Check] = {}
    runs: set[str] = set()
    smoke = False
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            payload = out.get("data", {}).get(MIME)
            if not isinstance(payload, dict):
                continue
            if isinstance(payload.get("ejecucion"), str):
                runs.add(payload["ejecucion"])
            smoke = smoke or bool(payload.get("modo_rapido"))
            rows[str(payload.get("nombre"))] = Check(
                nombre=str(payload.get("nombre")),
                valor=payload.get("valor"),
                objetivo=float(payload.get("objetivo")),
                sentido=str(payload.get("sentido", "≥")),
                cumple=payload.get("cumple") is True,
                obligatoria=payload.get("obligatoria", True) is not False,
            )
    return list(rows.values()), runs, smoke


def _figures(nb: nbformat.NotebookNode) -> list[bytes]:
    images = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {}).get("image/png")
            if data:
                text = "".join(data) if isinstance(data, list) else data
                images.append(base64.b64decode(text))
    return images


def _record_note(name: str, runs: set[str], results_dir: Path) -> str | None:
    path = results_dir / f"{name}.json"
    if not runs:
        return None
    rel = f"resultados/{name}.json"
    if not path.exists():
        return f"{rel} no existe: súbelo también (lo escribe el cuaderno en modo completo)."
    try:
        block = json.loads(path.read_text(encoding="utf-8")).get(KEY) or {}
    except json.JSONDecodeError:
        return f"{rel} no es un JSON válido."
    if block.get("ejecucion") not in runs:
        return (
            f"{rel} es de otra ejecución que la guardada en el cuaderno (¿lo ejecutaste en "
            "Colab o en modo rápido?). El portafolio muestra lo que dice el cuaderno; vuelve a "
            "ejecutarlo en local o sube también su archivo de resultados."
        )
    return None


def analyze_notebook(path: Path, root: Path = REPO_ROOT) -> Entry:
    """Lee un ``desafio_N.ipynb`` guardado y devuelve su fila del portafolio.

    Ejemplo:
        >>> entry = analyze_notebook(REPO_ROOT / "clase_1" / "desafio_1.ipynb")  # doctest: +SKIP
        >>> entry.status, entry.verdict()  # doctest: +SKIP
        ('ejecutado', '❌ pendiente (0 de 2 objetivos)')
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No existe el cuaderno {path}.")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # nbformat lanza varios tipos; se informa y no se sigue
        raise ValueError(f"{path} no es un cuaderno de Jupyter legible: {err}") from err
    name = path.stem
    status, detail = _execution_state(nb)
    checks, runs, smoke = _self_checks(nb)
    if status == EXECUTED and smoke:
        status = SMOKE
        detail = (
            "se ejecutó con CURSO_SMOKE=1 (pocos datos y épocas): sus cifras no cuentan; "
            "ejecútalo en modo completo"
        )
    if len(runs) > 1 and status == EXECUTED:
        status = PARTIAL
        detail = "las autocomprobaciones vienen de ejecuciones distintas del cuaderno"
    figures = _figures(nb) if status != NOT_RUN else []
    has_closing, closing = _closing(nb)
    try:
        rel = path.resolve().relative_to(Path(root).resolve())
    except ValueError:
        rel = Path(path.name)
    return Entry(
        name=name,
        notebook=rel,
        title=_title(nb, name),
        status=status,
        detail=detail,
        checks=checks if status != NOT_RUN else [],
        figures=figures[:MAX_FIGURES],
        figures_omitted=max(0, len(figures) - MAX_FIGURES),
        closing=closing if has_closing else None,
        record_note=_record_note(name, runs, Path(root) / "resultados")
        if status == EXECUTED
        else None,
    )


def _order(path: Path) -> tuple[int, int, str]:
    match = re.fullmatch(r"desafio_(\d+)", path.stem)
    return (0, int(match.group(1)), path.stem) if match else (1, 0, path.stem)


def collect(root: Path = REPO_ROOT) -> list[Entry]:
    """Todas las filas, en orden: ``desafio_1`` … ``desafio_N`` y luego ``desafio_final``.

    Ejemplo:
        >>> [e.name for e in collect()][:2]  # doctest: +SKIP
        ['desafio_1', 'desafio_2']
    """
    root = Path(root)
    paths = sorted(root.glob("clase_*/desafio_*.ipynb"), key=_order)
    if not paths:
        raise FileNotFoundError(f"No hay ningún clase_*/desafio_*.ipynb en {root}.")
    return [analyze_notebook(p, root) for p in paths]


# ---------------------------------------------------------------------------------------------
# README.md
# ---------------------------------------------------------------------------------------------

_STATUS_ICON = {NOT_RUN: "⏸️", PARTIAL: "⚠️", ERROR: "💥", SMOKE: "🧪", EXECUTED: "▶️"}


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _extra(check: Check) -> str:
    return "" if check.obligatoria or "reto extra" in check.nombre else " (reto extra)"


def _check_line(check: Check, icons: bool = True) -> str:
    value, bar = check.values_text()
    text = f"{check.nombre}: {value} (objetivo {check.sentido} {bar}){_extra(check)}"
    return f"{'✅' if check.cumple else '❌'} {text}" if icons else text


def _figure_name(entry: Entry, k: int) -> str:
    return f"figuras/{entry.name}_{k}.png"


def render_markdown(entries: list[Entry], generated: str) -> str:
    """El texto de ``portafolio/README.md``."""
    lines = [
        "# Mi portafolio · NLP de 0 a 100",
        "",
        f"Generado con `make portafolio` el {generated} a partir de los cuadernos guardados en "
        "este repositorio. No lo edites a mano: resuelve los desafíos, vuelve a generarlo y "
        "súbelo. También está como página web autocontenida: [index.html](index.html).",
        "",
        "| Desafío | Ejecución | Autoevaluación | Resultado |",
        "|---|---|---|---|",
    ]
    for e in entries:
        link = f"[{_md_cell(e.title)}](../{e.notebook.as_posix()})"
        checks = "<br>".join(_md_cell(_check_line(c)) for c in e.checks) or "—"
        if e.status != EXECUTED and e.checks:
            checks = f"*(no cuentan: {e.status})*<br>{checks}"
        lines.append(f"| {link} | {_STATUS_ICON[e.status]} {e.status} | {checks} | {e.verdict()} |")
    lines += [
        "",
        "**Ejecución**: ▶️ ejecutado de arriba abajo en modo completo, sin errores · ⏸️ sin "
        "ejecutar · ⚠️ ejecución incompleta o desordenada · 💥 con errores · 🧪 modo rápido "
        "(`CURSO_SMOKE=1`: sus cifras no cuentan). Solo un desafío ▶️ con todos sus objetivos "
        "obligatorios en ✅ figura como superado.",
    ]
    for e in entries:
        lines += [
            "",
            f"## {e.title}",
            "",
            f"Cuaderno: [{e.notebook.as_posix()}](../{e.notebook.as_posix()})  ",
        ]
        lines.append(f"Ejecución: {_STATUS_ICON[e.status]} **{e.status}**: {e.detail}.  ")
        lines.append(f"Resultado: {e.verdict()}")
        if e.record_note:
            lines += ["", f"> ⚠️ {e.record_note}"]
        if e.checks:
            lines += ["", "| Autocomprobación | Valor | Objetivo | |", "|---|---|---|---|"]
            for c in e.checks:
                value, bar = c.values_text()
                name = c.nombre + _extra(c)
                mark = "✅" if c.cumple else "❌"
                lines.append(f"| {_md_cell(name)} | {value} | {c.sentido} {bar} | {mark} |")
        if e.figures:
            lines.append("")
            for k in range(1, len(e.figures) + 1):
                lines.append(f"![Figura {k} de {e.name}]({_figure_name(e, k)})")
            if e.figures_omitted:
                lines.append(f"\n*(y {e.figures_omitted} figuras más en el cuaderno)*")
        lines += ["", "### Qué probé y qué aprendí", ""]
        lines.append(e.closing if e.closing else "*Todavía sin escribir.*")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# index.html (autocontenida)
# ---------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;
margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{border-bottom:2px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
tr.superado td.resultado{background:#dafbe1}
tr.pendiente td.resultado{background:#ffebe9}
tr.no-cuenta td.resultado{background:#fff8c5}
.estado{white-space:nowrap}
.nota{background:#fff8c5;border-left:4px solid #d4a72c;padding:.4rem .8rem}
.cierre{background:#f6f8fa;border-left:4px solid #0969da;padding:.2rem 1rem}
figure{margin:.5rem 0}
img{max-width:100%;border:1px solid #d0d7de}
.leyenda{color:#57606a;font-size:.9rem}
.ok{color:#1a7f37;font-weight:bold}
.ko{color:#cf222e;font-weight:bold}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.85rem;
white-space:nowrap;border:1px solid}
.badge.ejecutado{color:#1a7f37;border-color:#1a7f37}
.badge.sin-ejecutar{color:#57606a;border-color:#57606a}
.badge.incompleto,.badge.rapido{color:#9a6700;border-color:#9a6700}
.badge.error{color:#cf222e;border-color:#cf222e}
"""


def _markdown_to_html(text: str) -> str:
    from markdown_it import MarkdownIt

    # sin HTML crudo: el texto del estudiante se muestra, no se ejecuta
    return MarkdownIt("commonmark", {"html": False}).render(text)


def _inline(text: str) -> str:
    """Markdown de una línea (títulos con *cursiva*), sin HTML crudo."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).renderInline(text)


# Marcas con glifos de fuentes de texto comunes (DejaVu, Liberation): no dependen de una
# fuente de emojis, que un navegador sin ella pinta como cuadraditos.
def _html_mark(ok: bool) -> str:
    return '<span class="ok">✔</span> ' if ok else '<span class="ko">✘</span> '


_BADGE_CLASS = {
    NOT_RUN: "sin-ejecutar",
    PARTIAL: "incompleto",
    ERROR: "error",
    SMOKE: "rapido",
    EXECUTED: "ejecutado",
}


def _badge(status: str) -> str:
    return f'<span class="badge {_BADGE_CLASS[status]}">{html.escape(status)}</span>'


def _verdict_html(entry: Entry) -> str:
    text = html.escape(entry.verdict(icons=False))
    if entry.status != EXECUTED or not entry.required:
        return text
    return _html_mark(entry.passed) + text


def _row_class(entry: Entry) -> str:
    if entry.status != EXECUTED:
        return "no-cuenta"
    return "superado" if entry.passed else "pendiente"


def render_html(entries: list[Entry], generated: str) -> str:
    """El texto de ``portafolio/index.html``: sin recursos externos (imágenes en base64)."""
    esc = html.escape
    github = f"https://github.com/{colab.REPO_SLUG}/blob/{colab.BRANCH}/"
    rows = []
    for e in entries:
        checks = "<br>".join(_html_mark(c.cumple) + esc(_check_line(c, False)) for c in e.checks)
        checks = checks or "—"
        if e.status != EXECUTED and e.checks:
            checks = f"<em>(no cuentan: {esc(e.status)})</em><br>{checks}"
        rows.append(
            f'<tr class="{_row_class(e)}" data-desafio="{esc(e.name)}">'
            f'<td><a href="#{esc(e.name)}">{_inline(e.title)}</a></td>'
            f'<td class="estado">{_badge(e.status)}</td>'
            f"<td>{checks}</td>"
            f'<td class="resultado">{_verdict_html(e)}</td></tr>'
        )
    sections = []
    for e in entries:
        nb = e.notebook.as_posix()
        parts = [
            f'<section id="{esc(e.name)}"><h2>{_inline(e.title)}</h2>',
            f'<p>Cuaderno: <a href="../{esc(nb)}">{esc(nb)}</a> '
            f'(<a href="{esc(github + nb)}">en GitHub</a>)<br>',
            f"Ejecución: {_badge(e.status)} {esc(e.detail)}.<br>Resultado: {_verdict_html(e)}</p>",
        ]
        if e.record_note:
            parts.append(f'<p class="nota">⚠ {esc(e.record_note)}</p>')
        if e.checks:
            parts.append(
                "<table><thead><tr><th>Autocomprobación</th><th>Valor</th><th>Objetivo</th>"
                "<th></th></tr></thead><tbody>"
            )
            for c in e.checks:
                value, bar = c.values_text()
                name = c.nombre + _extra(c)
                parts.append(
                    f"<tr><td>{esc(name)}</td><td>{esc(value)}</td>"
                    f"<td>{esc(c.sentido)} {esc(bar)}</td><td>{_html_mark(c.cumple)}</td></tr>"
                )
            parts.append("</tbody></table>")
        for k, png in enumerate(e.figures, start=1):
            data = base64.b64encode(png).decode("ascii")
            parts.append(
                f'<figure><img alt="Figura {k} de {esc(e.name)}" '
                f'src="data:image/png;base64,{data}"></figure>'
            )
        if e.figures_omitted:
            parts.append(f"<p><em>(y {e.figures_omitted} figuras más en el cuaderno)</em></p>")
        closing = (
            _markdown_to_html(e.closing) if e.closing else "<p><em>Todavía sin escribir.</em></p>"
        )
        parts.append(f'<h3>Qué probé y qué aprendí</h3><div class="cierre">{closing}</div>')
        parts.append("</section>")
        sections.append("\n".join(parts))
    return f"""<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mi portafolio · NLP de 0 a 100</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Mi portafolio · NLP de 0 a 100</h1>
<p>Generado con <code>make portafolio</code> el {esc(generated)} a partir de los cuadernos
guardados en el repositorio. Solo un desafío ejecutado de arriba abajo en modo completo, sin
errores y con todos sus objetivos obligatorios cumplidos figura como superado.</p>
<table id="desafios">
<thead><tr><th>Desafío</th><th>Ejecución</th><th>Autoevaluación</th><th>Resultado</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p class="leyenda">Ejecución: <em>ejecutado</em> = de arriba abajo, en modo completo, sin errores ·
<em>ejecución incompleta</em> = celdas sin ejecutar o fuera de orden · <em>con errores</em> = alguna
salida es un error · <em>modo rápido</em> = CURSO_SMOKE=1, sus cifras no cuentan.</p>
{chr(10).join(sections)}
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------
# Escritura
# ---------------------------------------------------------------------------------------------


def build(root: Path = REPO_ROOT, out: Path | None = None) -> list[Entry]:
    """Genera ``portafolio/`` (README.md, index.html, figuras/) y devuelve las filas.

    La carpeta se reemplaza entera y de forma atómica: no quedan figuras de una versión anterior.

    Ejemplo:
        >>> entries = build()  # doctest: +SKIP
    """
    root = Path(root)
    out = Path(out) if out is not None else root / "portafolio"
    entries = collect(root)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with atomic_dir(out) as tmp:
        tmp.chmod(0o755)  # mkdtemp la crea privada; el portafolio es para publicarlo
        (tmp / "figuras").mkdir()
        for e in entries:
            for k, png in enumerate(e.figures, start=1):
                (tmp / _figure_name(e, k)).write_bytes(png)
        (tmp / "README.md").write_text(render_markdown(entries, generated), encoding="utf-8")
        (tmp / "index.html").write_text(render_html(entries, generated), encoding="utf-8")
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Genera el portafolio de desafíos.")
    parser.add_argument("--raiz", type=Path, default=REPO_ROOT, help="raíz del repositorio")
    parser.add_argument("--salida", type=Path, default=None, help="carpeta (def.: portafolio/)")
    args = parser.parse_args(argv)
    entries = build(args.raiz, args.salida)
    out = args.salida or args.raiz / "portafolio"
    for e in entries:
        print(f"{e.name:<15} {e.status:<21} {e.verdict()}")
    superados = sum(e.passed for e in entries)
    print(
        f"\n{superados} de {len(entries)} desafíos superados. Escrito {out}/README.md e index.html."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
