# YesApp: `make run` starts everything, `make test` runs the whole suite.
# Both install what is missing first, so they work on a fresh machine.

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 3000
WAJS := node_modules/@wppconnect/wa-js/dist/wppconnect-wa.js

.PHONY: help install install-dev browser assets migrate bootstrap run test test-fast lint format bench clean

help:
	@echo "make run        install, migrate, start web + workers on :$(PORT)"
	@echo "make test       install and run the whole test suite with coverage"
	@echo "make test-fast  only the tests that need no browser and no worker"
	@echo "make lint       ruff check + format check"
	@echo "make bench      run the benchmarks in bench/ (JSON to bench/results/)"

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed assets browser

install-dev: install $(VENV)/.installed-dev

# wa-js, pinned in package.json/package-lock.json, from the npm registry; never committed.
$(WAJS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(WAJS)

# Debian's Chromium and ChromeDriver, which the engine drives (scripts/install-browser.sh).
browser:
	@scripts/install-browser.sh

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

bootstrap: migrate
	$(PY) manage.py bootstrap

run: install bootstrap
	$(PY) manage.py collectstatic --noinput --verbosity 0
	PORT=$(PORT) $(VENV)/bin/honcho start --no-prefix -f Procfile

test: install-dev
	$(VENV)/bin/pytest

test-fast: install-dev
	$(VENV)/bin/pytest -m "not browser and not slow"

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) node_modules .pytest_cache .coverage htmlcov
