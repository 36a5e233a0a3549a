# Guanxi — the commands the README names.
#   make run    set everything up, load demo data, serve on http://127.0.0.1:8000/
#   make test   set everything up and run every test suite this machine can run
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
N ?= 1000000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/guanxi

.PHONY: run setup test test-sqlite test-postgres test-browser lint format check bench bench-data messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed-run $@

setup: $(VENV)/.installed-dev

run: $(VENV)/.installed-run
	$(BIN)/guanxi migrate --noinput -v0
	$(BIN)/guanxi demo
	@echo ""
	@echo "  Guanxi is starting at http://$(HOST):$(PORT)/  (stop with Ctrl+C)"
	@echo ""
	$(BIN)/guanxi serve --host $(HOST) --port $(PORT)

# Every suite this machine can run: SQLite always; PostgreSQL when a server answers at
# PG_TEST_URL (or DATABASE_URL); the browser suite when Chromium is installed.
test: setup
	@bash scripts/test-all.sh

test-sqlite: setup
	env -u DATABASE_URL $(BIN)/pytest -m "not browser" -q

test-postgres: setup
	DATABASE_URL=$${DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/pytest -m "not browser" -q

test-browser: setup
	env -u DATABASE_URL $(BIN)/pytest -m browser -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: setup
	GUANXI_TESTING=1 $(BIN)/guanxi check
	GUANXI_TESTING=1 $(BIN)/guanxi makemigrations --check --dry-run

messages: setup
	cd guanxi && ../$(BIN)/guanxi makemessages -l zh_Hans --no-obsolete && ../$(BIN)/guanxi compilemessages -l zh_Hans

# Benchmarks (by hand, never in the test suite): PostgreSQL by default, or
# BENCH_DATABASE_URL=sqlite:////tmp/gx-bench/guanxi.sqlite3 for SQLite.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/guanxi_bench
BENCH_ENV = DATABASE_URL=$(BENCH_DATABASE_URL) SECRET_KEY=guanxi-bench-not-secret

bench-data: setup
	case "$(BENCH_DATABASE_URL)" in postgres*) createdb -h 127.0.0.1 -U postgres --locale=C.UTF-8 --template=template0 guanxi_bench 2>/dev/null || true;; esac
	$(BENCH_ENV) $(BIN)/guanxi migrate --noinput
	$(BENCH_ENV) $(BIN)/python bench/generate.py --accounts $(N)

bench: setup
	$(BENCH_ENV) $(BIN)/python bench/bench_web.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
