# Peyvand: `make run` to try it, `make test` for the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
DEMO_CUSTOMERS ?= 2000

.PHONY: install run test lint format messages migrate clean

$(BIN)/peyvand: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(BIN)/peyvand node_modules/.package-lock.json messages

# Compiled translations are build output: made from the committed .po files at set-up.
messages: $(BIN)/peyvand
	cd src/peyvand && ../../$(BIN)/peyvand compilemessages --verbosity 0

migrate: install
	$(BIN)/peyvand migrate --no-input --verbosity 0

run: migrate
	$(BIN)/peyvand seed_demo --customers $(DEMO_CUSTOMERS) --if-empty
	@echo ""
	@echo "  Peyvand is at http://$(HOST):$(PORT)/"
	@echo "  Demo log-ins:  admin / peyvand-admin   manager / peyvand-manager   agent / peyvand-agent"
	@echo "  Background tasks (imports, scans) run in a worker started beside the server."
	@echo ""
	@# One shell: the worker runs in the background and stops with the server (Ctrl-C or exit).
	$(BIN)/peyvand worker --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/peyvand runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test: lint
	$(BIN)/peyvand makemigrations --check --dry-run --verbosity 1
	$(BIN)/pytest

clean:
	rm -rf $(VENV) node_modules var/staticfiles
