# YesApp: `make run` starts everything, `make test` runs the whole suite.
# Both install what is missing first, so they work on a fresh machine.

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 3000
# The app reads PORT too (its printed URLs and the sandbox's internal URL follow it).
export PORT
# Python caches compiled modules (and pytest its rewritten test modules) in __pycache__; a shell
# that turned that off would have every process of a run (pytest, each Celery worker, gunicorn)
# compile them all again: measured at a tenth of a test process's time.
unexport PYTHONDONTWRITEBYTECODE
WAJS := node_modules/@wppconnect/wa-js/dist/wppconnect-wa.js
# TypeScript, pinned in package.json (devDependencies), installed with wa-js by the same `npm ci`.
TSC := node_modules/.bin/tsc

.PHONY: help install install-dev lock browser assets migrate bootstrap check-port static run serve test test-fast fuzz lint format bench clean

help:
	@echo "make run        install, migrate, start web + workers on :$(PORT)"
	@echo "make serve      start web + workers as installed (what make run ends with)"
	@echo "make test       install and run the whole test suite with coverage"
	@echo "make test-fast  only the tests that need no browser and no worker"
	@echo "make fuzz       a long randomised fuzzing run of the whole API (FUZZ_EXAMPLES=500)"
	@echo "make lint       ruff, the import layers (lint-imports), tsc on the page scripts and sandbox"
	@echo "make lock       re-pin requirements*.txt (with hashes) after editing requirements*.in"
	@echo "make bench      run the benchmarks in bench/ (JSON to bench/results/)"

# requirements*.txt are lock files: every package, pip included, pinned with its hashes
# (compiled from requirements*.in by `make lock`); pip refuses anything else.
$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
	touch $@

# After editing requirements*.in: pins every transitive dependency with hashes, keeping the
# versions already locked unless the .in files ask for others. pip-tools runs from a throwaway
# venv outside the work tree, so no third-party code ever sits beside ours.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" "$$tmp/bin/pip-compile" --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	python3 -m venv "$$tmp" && "$$tmp/bin/pip" install --quiet pip-tools==7.6.2 && \
	$(PIP_COMPILE) -o requirements.txt requirements.in && \
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

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

# Fails early with a clear message instead of gunicorn's "Connection in use" mid-start.
check-port:
	@python3 -c "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $(PORT)))" 2>/dev/null \
		|| { echo "Port $(PORT) is in use. Stop what runs there, or pick another: PORT=3001 make run"; exit 1; }

static: $(VENV)/.installed
	$(PY) manage.py collectstatic --noinput --verbosity 0

# One foreground command: web, workers and beat under honcho; Ctrl-C stops them all.
run: check-port install bootstrap static serve

# What `make run` starts once everything is installed.
HONCHO ?= $(VENV)/bin/honcho
serve:
	@echo "Starting web on :$(PORT) and the workers. Press Ctrl-C to stop them all."
	@# setpriv --pdeathsig: if make itself is killed, honcho gets SIGTERM and stops everything too.
	@# SERVE_PORT: honcho gives each Procfile process a PORT of its own (3000, 3100, ...);
	@# scripts/serve.sh puts this one back so PUBLIC_URL and INTERNAL_BASE_URL reach the web server.
	@# SERVE_RESTART: serve.sh starts a Celery role again if it exits on its own (honcho would stop all).
	@# Ctrl-C is how this stops: honcho then exits with 130, which is no error (make would print
	@# "Error 130"). The shell traps INT only to outlive it and read honcho's status.
	@trap : INT; SERVE_PORT=$(PORT) SERVE_RESTART=1 $$(command -v setpriv >/dev/null && echo setpriv --pdeathsig TERM) $(HONCHO) start --no-prefix -f Procfile; \
	  status=$$?; if [ $$status -eq 130 ]; then echo "YesApp stopped."; else exit $$status; fi

# Lint first (seconds; style drifts otherwise). Then the whole suite on SQLite with coverage,
# failing below COVERAGE_MIN per cent (the suite reached 90.9-91.3 %; the floor leaves room for
# a skipped environment-dependent test); then, on PostgreSQL, the tests marked `postgres`: the
# modules whose behaviour can differ there (queue claims and locks, transactions, lost
# connections, real workers racing, aggregates and ordering; the list is in conftest.py) and
# PostgreSQL's own faults. Django makes test_yesapp_ci_gw0, _gw1; no coverage there: it is the
# same code. Both passes run on TEST_WORKERS processes (pytest-xdist; 0, the default, runs them
# in this one process). TEST_WORKERS=2 halves the time on two cores, but two processes' browsers
# and workers starve each other's lease renewals there, and a few timing tests flake; each
# worker has its own Redis database (TEST_REDIS_URL lists one per worker, 15 and 14 by default)
# and data directory (yesapp/tests/settings.py).
COVERAGE_MIN ?= 88
TEST_WORKERS ?= 0
TEST_DATABASE_URL_PG ?= postgres://postgres@127.0.0.1:5432/yesapp_ci
# The schema fuzzing (yesapp/tests/test_fuzz.py) is most of a serial run's CPU, all of it in
# generating cases, while the browser tests mostly wait: it runs beside the SQLite pass in a
# process of its own, without coverage, with its own Redis database and data directory
# (TEST_FUZZ_REDIS_URL, data/test-fuzz), its output printed after that pass.
# Each pass lists its slowest tests (--durations), so a run that got slower says where.
TEST_FUZZ_REDIS_URL ?= redis://127.0.0.1:6379/13
FUZZ_LOG = data/test-fuzz.log
test: install-dev lint
	@mkdir -p data
	@TEST_REDIS_URL=$(TEST_FUZZ_REDIS_URL) TEST_DATA_DIR=$(CURDIR)/data/test-fuzz \
	  $(VENV)/bin/pytest yesapp/tests/test_fuzz.py --durations=5 --no-cov -p no:cacheprovider \
	  > $(FUZZ_LOG) 2>&1 & fuzz=$$!; \
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --ignore=yesapp/tests/test_fuzz.py --durations=25 \
	  --cov-fail-under=$(COVERAGE_MIN); tested=$$?; \
	wait $$fuzz; fuzzed=$$?; \
	echo "--- yesapp/tests/test_fuzz.py (run beside the pass above; whole log: $(FUZZ_LOG)) ---"; \
	if [ $$fuzzed -eq 0 ]; then tail -n 12 $(FUZZ_LOG); else cat $(FUZZ_LOG); fi; \
	[ $$tested -eq 0 ] && [ $$fuzzed -eq 0 ]
	DATABASE_URL=$(TEST_DATABASE_URL_PG) $(VENV)/bin/pytest -n $(TEST_WORKERS) -m postgres --durations=10 --no-cov -p no:cacheprovider

# No coverage here: measuring it doubles the CPU a run takes, and `make test` measures it.
test-fast: install-dev
	$(VENV)/bin/pytest -n $(TEST_WORKERS) -m "not browser and not slow" --no-cov

# The schema fuzzing of `make test`, longer and with a new random seed each run.
FUZZ_EXAMPLES ?= 500
fuzz: install-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(VENV)/bin/pytest yesapp/tests/test_fuzz.py --no-cov -p no:cacheprovider

# tsc judges the JavaScript the engine runs in the page and the sandbox's WPP by wa-js's own
# declarations (tsconfig.json, static/sandbox/tsconfig.json; docs/UPGRADING_WAJS.md).
lint: install-dev $(WAJS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(TSC) -p tsconfig.json
	$(TSC) -p static/sandbox/tsconfig.json
	$(TSC) -p static/dashboard/tsconfig.json

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# wrk, the load tool of the API benchmark (scripts/install-bench-tools.sh), then every benchmark.
bench: install-dev
	@scripts/install-bench-tools.sh
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) node_modules .pytest_cache .coverage htmlcov
