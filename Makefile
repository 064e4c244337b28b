# Fanclub: `make run` serves the platform with demo data; `make test` runs every test.
# Both set everything up first (Python deps from uv.lock; Chromium and redis-server for tests).

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup run test test-fast bench lint format typecheck check clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): uv.lock pyproject.toml | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON)
	rm -f $(VENV)/.synced-* && touch $(STAMP)

setup: $(STAMP)

run: setup  ## serve http://127.0.0.1:8000 with demo data (private PostgreSQL unless DATABASE_URL is set)
	$(VENV)/bin/fanclub up

system-deps:
	./scripts/system-deps

test: setup system-deps  ## every test: unit, API, WebSocket, jobs, Redis, browser (Chromium)
	$(VENV)/bin/pytest

test-fast: setup  ## everything except the browser tests
	$(VENV)/bin/pytest -m "not browser"

bench: setup  ## throughput benchmarks, printed as ratios against a baseline measured in the same run
	$(VENV)/bin/python -m bench

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: setup
	$(VENV)/bin/mypy fanclub/

check: lint typecheck test

clean:
	rm -rf $(VENV) $(TOOLS)
