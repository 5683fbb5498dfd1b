# One-command set-up: every target creates .venv (Python >= 3.12, chosen by .python-version)
# and installs what it needs, so `make dashboard` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# pyenv reads .python-version; fall back to any python3.12+ on PATH.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
STAMP := $(VENV)/.installed
# Every package of the development install, pinned with hashes (Python 3.12, Linux x86-64):
# what a published result ran with. `make lock` regenerates it from pyproject.toml.
LOCK := requirements/dev.lock
# The extras the lock covers: all of them (the `dev` extra names the same set).
LOCK_EXTRAS := dashboard dask analysis calibration notebook docs test
SITE ?= site
# mkdocs-material prints a banner about MkDocs 2 on every build unless told not to.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs

ASSETS := $(VENV)/.assets
COMPILED := $(VENV)/.compiled
# The sources of numba's cached kernels: an edit of any of them recompiles (see below).
KERNEL_SOURCES := $(wildcard negotiation/*.py negotiation/lockstep/*.py)

.PHONY: setup assets compile browser run dashboard test lint typecheck docs lock bench clean

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python >= 3.12 is required (found " + sys.version.split()[0] + "); install it, e.g. pyenv install 3.12")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e tests/plugin_example
	touch $(STAMP)

setup: $(STAMP)

# Regenerate the lock after changing dependencies in pyproject.toml (keeps the pins it
# can; `make lock LOCK_ARGS=--upgrade` moves everything to the newest allowed versions).
lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	  $(addprefix --extra ,$(LOCK_EXTRAS)) $(LOCK_ARGS) --output-file $(LOCK) pyproject.toml

# Front-end assets Solara would fetch from a CDN, so the dashboard works offline.
$(ASSETS): $(STAMP) dashboards/offline_assets.py
	$(PY) -m dashboards.offline_assets
	touch $(ASSETS)

assets: $(ASSETS)

# The model's numba kernels, compiled into their cache once after each change of the
# sources (about 45 s), so that no page, worker or test waits for the compiler.
$(COMPILED): $(STAMP) $(KERNEL_SOURCES)
	$(VENV)/bin/negotiation compile
	touch $(COMPILED)

compile: $(COMPILED)

# Debian's chromium, driven by Playwright in the browser tests (quiet when installed).
browser:
	@bash .ci/install-browser.sh

dashboard: $(STAMP) $(ASSETS) $(COMPILED)
	$(VENV)/bin/negotiation dashboard

run: $(STAMP)
	$(VENV)/bin/negotiation run --scenario kuala-lumpur-2025 --seed 7

test: $(STAMP) $(ASSETS) $(COMPILED) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy negotiation experiments dashboards benchmarks
	$(MKDOCS) build --strict --quiet --site-dir $(SITE)
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy negotiation experiments dashboards benchmarks

# The documentation site (mkdocs.yml, docs/), built strictly into site/.
docs: $(STAMP)
	$(MKDOCS) build --strict --site-dir $(SITE)

bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache $(SITE)
