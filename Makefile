# ristra — the two commands in README.md are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test bench lint docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## Generate the synthetic New Mexico school, import it and print a summary.
demo: setup
	$(BIN)/ristra demo

## Lint, type-check core, and run the whole test suite.
test: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/ristra/core
	$(BIN)/python -m pytest -n 2 -q

## Speed and memory targets (figures go into docs/benchmarks.md).
bench: setup
	$(BIN)/python -m bench

docs: setup
	$(BIN)/python -m ristra.docs_build

clean:
	rm -rf $(VENV) ristra-data .pytest_cache
