# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test setup system lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## setup: the Python environment and the system packages (Chromium for browser tests, a Japanese font)
setup: $(STAMP) system

system:
	@sh scripts/system-packages.sh

## demo: set everything up, then run the bot, linesim and the chat simulator with the demo town
demo: setup
	$(PY) -m bot demo

## test: set everything up, then lint, type-check and run every test (SQLite and PostgreSQL, headless Chromium)
test: setup
	sh scripts/ensure-postgres.sh
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

clean:
	rm -rf $(VENV) var
