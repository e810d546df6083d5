# ristra — the two commands in README.md are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test bench lint docs clean chromium

# The PostgreSQL server the app-state tests run against (this machine's, trust auth).
export RISTRA_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## Generate the synthetic New Mexico school, import it and print a summary.
demo: setup
	$(BIN)/ristra demo

## Debian's Chromium for the browser tests (Playwright's own browser download is not used).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && apt-get install -y -qq chromium; \
	fi

## Lint, type-check the whole package (strict), and run the whole test suite.
test: setup chromium
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/ristra
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=15

## Speed and memory targets (figures go into docs/benchmarks.md).
bench: setup
	$(BIN)/python -m bench $(ONLY)

docs: setup
	$(BIN)/python tools/docs_build.py

clean:
	rm -rf $(VENV) ristra-data .pytest_cache
