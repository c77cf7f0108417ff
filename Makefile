# Front door of the project. Two commands do all set-up on a fresh machine
# that has Python 3.11 and make:
#   make dashboard   the main job: the demo clinic, served
#   make test        the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/orchestrator.duckdb

.PHONY: dashboard test test-fast lint format lock translations demo bench clean

# The virtual environment is rebuilt whenever the dependency lists change. Exact
# versions come from requirements.lock (refreshed by make lock); the project itself
# is installed editable on top, without touching them.
$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# After a change of a .po catalogue (orchestrator_lib/locale): the compiled .mo files the
# package reads (committed; tests/test_i18n.py checks they match their .po).
translations: $(BIN)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d orchestrator_lib/locale -D orchestrator
	$(BIN)/pybabel compile -d orchestrator_lib/locale -D click -l fr_CA

# After a change of the dependencies in pyproject.toml: new exact versions.
lock: $(BIN)/.installed
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dev --python-version 3.11 --quiet -o requirements.lock

$(DB): $(BIN)/.installed
	$(BIN)/orchestrator --db $(DB) demo

demo: $(BIN)/.installed
	$(BIN)/orchestrator --db $(DB) demo

dashboard: $(DB)
	$(BIN)/orchestrator --db $(DB) dashboard

# The browser tests drive Debian's Chromium (a downloaded browser cannot be fetched here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The shared store's tests start Debian's PostgreSQL themselves (tests/postgres_server.py).
POSTGRES := /usr/lib/postgresql/15/bin/initdb
$(POSTGRES):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql

# The tests' local FHIR R4 server (tests/fhir_server, Node): its packages come from the
# committed lockfile, installed again whenever the lockfile changes.
FHIR_SERVER  := tests/fhir_server
FHIR_MODULES := $(FHIR_SERVER)/node_modules/.package-lock.json
$(FHIR_MODULES): $(FHIR_SERVER)/package-lock.json
	cd $(FHIR_SERVER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Tests run in parallel processes (pytest-xdist), a test file per process at a time:
# session fixtures (the dashboard, the FHIR server) are started once per process.
# Three on the 2-core machine: the browser tests mostly wait for Voilà's kernels
# (make test: 8 min 57 s with 3, 9 min 51 s with 2, fresh clones of 2 December 2026; with the
# shared store's tests, 8 min 30 s with 3 and 9 min 10 s with 4, same machine, same day).
WORKERS ?= 3
PYTEST  := $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

# ruff (lint and format) and mypy: a new warning fails make test, and so CI.
lint: $(BIN)/.installed
	$(BIN)/ruff check orchestrator_lib tests bench
	$(BIN)/ruff format --check orchestrator_lib tests bench
	$(BIN)/mypy orchestrator_lib

format: $(BIN)/.installed
	$(BIN)/ruff check --fix orchestrator_lib tests bench
	$(BIN)/ruff format orchestrator_lib tests bench

test: lint $(BIN)/.installed $(CHROMIUM) $(FHIR_MODULES) $(POSTGRES)
	$(PYTEST)

# The tests that need neither the browser nor Node and take no seconds each: run them often.
test-fast: $(BIN)/.installed
	$(PYTEST) -m "not browser and not fhir_server and not postgres and not slow"

bench: $(BIN)/.installed $(CHROMIUM) $(FHIR_MODULES) $(POSTGRES)
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/wizard.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/fhir.py
	$(BIN)/python bench/region.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
