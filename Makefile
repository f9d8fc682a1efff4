# The two commands a newcomer needs: `make lab` and `make test`.
# Each creates the virtual environment it needs from nothing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NCA_VENV := .venv-nca
ARGS ?=

.PHONY: lab test lint bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The peer tool pins an old networkx, so it lives in a virtual environment of its own.
$(NCA_VENV)/.installed:
	$(PYTHON) -m venv $(NCA_VENV)
	$(NCA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NCA_VENV)/bin/python -m pip install --quiet network-config-analyzer
	touch $@

# The browser tests drive Debian's chromium (no browser download); without it
# (not root, no apt-get) they are skipped and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed: the browser tests will be skipped"; fi; }

lab: $(VENV)/.installed
	$(BIN)/ztlab lab $(ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check ztlab tests benchmarks
	$(BIN)/ruff format --check ztlab tests benchmarks
	$(BIN)/mypy

test: $(VENV)/.installed $(NCA_VENV)/.installed browser lint
	$(BIN)/python -m pytest $(ARGS)

bench: $(VENV)/.installed $(NCA_VENV)/.installed
	$(BIN)/python benchmarks/run.py $(ARGS)

clean:
	rm -rf $(VENV) $(NCA_VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
