# Front door of the project. Two commands do all set-up on a fresh machine
# that has Python 3.11 and make:
#   make dashboard   the main job: the demo clinic, served
#   make test        the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/orchestrator.duckdb

.PHONY: dashboard test demo bench clean

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

test: $(BIN)/.installed $(CHROMIUM)
	$(BIN)/python -m pytest

bench: $(BIN)/.installed $(CHROMIUM)
	$(BIN)/python bench/load.py
	$(BIN)/python bench/wizard.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
