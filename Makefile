# The two commands: `make run` (the assistant) and `make test` (lint + tests). Both set up .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install run chat test lint typecheck bench rasa clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/prakerja db upgrade
	$(BIN)/prakerja run

chat: install
	$(BIN)/prakerja chat

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

typecheck: install
	$(BIN)/mypy

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

rasa: install
	bash scripts/rasa_service.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache prakerja.db*
