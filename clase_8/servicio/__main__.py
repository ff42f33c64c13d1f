"""``python -m clase_8.servicio [--host H] [--port P]``: arranca el servicio con uvicorn.

Es lo que hace ``make serve``. Un solo proceso (los modelos ocupan memoria en cada proceso de
uvicorn; ver el cuaderno 8c). ``CURSO_SMOKE=1`` usa los modelos diminutos del modo rápido.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Servicio de NLP del curso (FastAPI + uvicorn).")
    parser.add_argument("--host", default="127.0.0.1", help="dirección (por defecto 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="puerto (por defecto 8000)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from .app import create_app

    print(f"[servicio] Arrancando en http://{args.host}:{args.port} (documentación en /docs).")
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        access_log=False,  # ya registramos una línea por petición (sin el texto)
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
