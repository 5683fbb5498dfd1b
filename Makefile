# One-command set-up: every target creates .venv (Python >= 3.12, chosen by .python-version)
# and installs what it needs, so `make dashboard` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# pyenv reads .python-version; fall back to any python3.12+ on PATH.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
STAMP := $(VENV)/.installed

ASSETS := $(VENV)/.assets

.PHONY: setup assets browser run dashboard test lint typecheck bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python >= 3.12 is required (found " + sys.version.split()[0] + "); install it, e.g. pyenv install 3.12")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet -e tests/plugin_example
	touch $(STAMP)

setup: $(STAMP)

# Front-end assets Solara would fetch from a CDN, so the dashboard works offline.
$(ASSETS): $(STAMP) dashboards/offline_assets.py
	$(PY) -m dashboards.offline_assets
	touch $(ASSETS)

assets: $(ASSETS)

# Debian's chromium, driven by Playwright in the browser tests (quiet when installed).
browser:
	@bash .ci/install-browser.sh

dashboard: $(STAMP) $(ASSETS)
	$(VENV)/bin/negotiation dashboard

run: $(STAMP)
	$(VENV)/bin/negotiation run --scenario kuala-lumpur-2025 --seed 7

test: $(STAMP) $(ASSETS) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy negotiation experiments dashboards benchmarks
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy negotiation experiments dashboards benchmarks

bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
