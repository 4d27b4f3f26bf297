# Itinera's front door: `make run` (set up and serve the app) and `make test` (set up and run every test).
# Everything lands in this checkout: the virtualenv in .venv, npm packages in node_modules, data in var/.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest arguments, e.g. `make test PYTEST_ARGS="-k journeys -x"`
PYTEST_ARGS ?=

.PHONY: run test setup lint typecheck pytest migrate demo clean bench

run: setup migrate demo
	@echo "Itinera is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) workflow_site.asgi:application

test: setup browser lint typecheck pytest

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml setup.py accelerators/_graph.pyx accelerators/_graph.pxd
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Itinera needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: setup
	$(BIN)/python manage.py demo_data

# Browser tests drive Debian's Chromium. Where it is missing and we may install packages, install it;
# otherwise the browser tests are skipped with a notice (CI sets ITINERA_REQUIRE_BROWSER=1 to fail instead).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	  else \
	    echo "chromium is not installed: browser tests will be skipped (apt-get install chromium)"; \
	  fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy .

pytest: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf build var accelerators/_graph.c accelerators/*.so

# Benchmarks: results in bench/results/latest.json.
bench: setup
	$(BIN)/python -m bench.run
