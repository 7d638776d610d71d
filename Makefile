# Two commands for a newcomer: `make run` and `make test`. Both install what they need first
# and are fast when everything is already in place.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HTMX := static/vendor/htmx.min.js

.PHONY: install run test test-postgres test-fast serve lint format screenshot clean bench

install: $(VENV)/.installed $(HTMX)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "learnapp needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# htmx and axe-core come from the npm registry at the versions package-lock.json pins.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(HTMX): node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production: gunicorn with gunicorn.conf.py (LEARNAPP_BIND, LEARNAPP_WORKERS); no demo data.
serve: install
	$(FLASK) db upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py app:app

# The suite on SQLite, then again on PostgreSQL. An unreachable PostgreSQL skips the second
# run with one reason; under CI (CI set) it fails instead.
LEARNAPP_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

test: install
	LEARNAPP_TEST_DATABASE_URL= $(BIN)/pytest
	$(MAKE) --no-print-directory test-postgres

test-postgres: install
	LEARNAPP_TEST_DATABASE_URL='$(LEARNAPP_TEST_DATABASE_URL)' $(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r learnapp app.py gunicorn.conf.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark (bench/README.md): wrk against gunicorn on generated data, written to
# bench/RESULTS.md. Not part of `make test`; needs Debian's wrk.
bench: install
	bench/run

screenshot: install
	LEARNAPP_SCREENSHOT=docs/home.png $(BIN)/pytest tests/browser/test_screenshot.py -q

clean:
	rm -rf $(VENV) node_modules static/vendor
