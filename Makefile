# Every target works on a fresh clone: the venv is made and filled on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo-data test test-e2e bench lint fmt clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## NATS, the five services and the gateway on SQLite under var/; Ctrl-C stops all
	$(BIN)/python -m devstack.supervisor

demo-data: $(STAMP)  ## migrate and load the demo city into var/ once (idempotent), with a progress bar
	$(BIN)/python -m devstack.demo

test: $(STAMP)  ## the whole suite on SQLite; with TEST_DATABASE_URL set, the database tests again on PostgreSQL
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "--- the database tests again, on $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest tests/integration tests/badinput tests/fault $(PYTEST_ARGS); \
	fi

test-e2e: $(STAMP)  ## only the browser tests (Debian's /usr/bin/chromium)
	$(BIN)/python -m pytest tests/e2e -m e2e

bench: $(STAMP)
	$(BIN)/python -m tests.bench

lint: $(STAMP)
	$(BIN)/ruff check shared services gateway devstack tests deploy

fmt: $(STAMP)
	$(BIN)/ruff format shared services gateway devstack tests deploy
	$(BIN)/ruff check --fix shared services gateway devstack tests deploy

clean:
	rm -rf var .pytest_cache
