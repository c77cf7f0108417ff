# Front door of the project. Two commands do all set-up on a fresh machine
# that has Python 3.11 and make:
#   make dashboard   the main job: the demo clinic, served
#   make test        the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/orchestrator.duckdb

.PHONY: dashboard test test-fast demo bench clean

# The virtual environment is rebuilt whenever the dependency lists change.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

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

# The tests' local FHIR R4 server (tests/fhir_server, Node): its packages come from the
# committed lockfile, installed again whenever the lockfile changes.
FHIR_SERVER  := tests/fhir_server
FHIR_MODULES := $(FHIR_SERVER)/node_modules/.package-lock.json
$(FHIR_MODULES): $(FHIR_SERVER)/package-lock.json
	cd $(FHIR_SERVER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Tests run in parallel processes (pytest-xdist), a test file per process at a time:
# session fixtures (the dashboard, the FHIR server) are started once per process.
WORKERS ?= 2
PYTEST  := $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

test: $(BIN)/.installed $(CHROMIUM) $(FHIR_MODULES)
	$(PYTEST)

# The tests that need neither the browser nor Node and take no seconds each: run them often.
test-fast: $(BIN)/.installed
	$(PYTEST) -m "not browser and not fhir_server and not slow"

bench: $(BIN)/.installed $(CHROMIUM) $(FHIR_MODULES)
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/wizard.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/fhir.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
