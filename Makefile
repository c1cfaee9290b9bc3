# Every target sets itself up: `make test` on a fresh clone creates .venv and installs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install generate check-generated lint typecheck test vendor demo bench bench-quick

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(PY) scripts/generate.py

check-generated: $(STAMP)
	$(PY) scripts/generate.py --check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --no-progress .github/workflows

typecheck: $(STAMP)
	$(BIN)/mypy

demo: $(STAMP)
	$(PY) -m examples.demo

test: $(STAMP)
	$(PY) scripts/generate.py --check
	$(BIN)/pytest $(PYTEST_ARGS)

vendor: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make vendor DEST=path/to/app/pkg/_vendor"; exit 2; }
	$(PY) scripts/vendor.py "$(DEST)"

# Benchmarks against raw httpx (benchmarks/): the full set rewrites BENCHMARKS.md's results
# (about 10 minutes); the quick one runs each at tiny sizes and checks no speed, for CI.
bench: $(STAMP)
	$(PY) -m benchmarks --output BENCHMARKS.md

bench-quick: $(STAMP)
	$(PY) -m benchmarks --quick --output build/bench-quick.md
