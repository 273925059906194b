# Two commands matter: `make run` starts the bot, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install bench console clean

$(BIN)/supportbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/supportbot

install: $(BIN)/supportbot

run: install
	$(BIN)/supportbot run

console: install
	$(BIN)/supportbot console

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy bot storage adapters supportbot
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
