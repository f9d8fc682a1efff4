# The two commands a newcomer needs: `make lab` and `make test`.
# Each creates the virtual environment it needs from nothing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NCA_VENV := .venv-nca
ARGS ?=

.PHONY: lab test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(NCA_VENV)/.installed:
	$(PYTHON) -m venv $(NCA_VENV)
	$(NCA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NCA_VENV)/bin/python -m pip install --quiet network-config-analyzer
	touch $@

lab: $(VENV)/.installed
	$(BIN)/ztlab lab $(ARGS)

test: $(VENV)/.installed $(NCA_VENV)/.installed
	$(BIN)/ruff check ztlab tests benchmarks
	$(BIN)/ruff format --check ztlab tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest $(ARGS)

bench: $(VENV)/.installed $(NCA_VENV)/.installed
	$(BIN)/python benchmarks/run.py $(ARGS)

clean:
	rm -rf $(VENV) $(NCA_VENV) .pytest_cache .mypy_cache .ruff_cache
