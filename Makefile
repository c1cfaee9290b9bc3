# Every target sets itself up: `make test` on a fresh clone creates .venv and installs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# The published extras the development install includes; the tools come from pyproject's
# dependency groups, which are never published.
EXTRAS := testing,cli,redis

.PHONY: install generate check-generated lint typecheck test test-fast test-cli-newest test-repeat vendor demo serve bench bench-quick

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]" --group dev
	touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(PY) scripts/generate.py

check-generated: $(STAMP)
	$(PY) scripts/generate.py --check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/zizmor --offline --no-progress .github/workflows
	$(PY) scripts/check_types.py close_seq_ext close_sequences

typecheck: $(STAMP)
	$(BIN)/mypy

demo: $(STAMP)
	$(PY) -m examples.demo

# The local Close server for a manual session (README, "Quick start"): the key is the one you
# choose, so the exports you wrote keep working across restarts.
API_KEY ?= api_local_demo
PORT ?= 8000
serve: $(STAMP)
	$(PY) -m close_seq_ext.testing --port $(PORT) --api-key $(API_KEY)

# Every test, on every core: each server a test starts takes a free port, and the tests that
# share a file or a machine-wide budget are grouped (xdist_group) onto one worker.
XDIST ?= -n auto --dist loadgroup
test: $(STAMP)
	$(PY) scripts/generate.py --check
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

# The inner loop: the same, less the tests of many seconds (soak, fleets, builds).
test-fast: $(STAMP)
	$(BIN)/pytest $(XDIST) -m "not soak and not slow" $(PYTEST_ARGS)

# The CLI tests again, in a venv of their own holding what `pip install 'close-sequences[cli]'`
# resolves today: the dev tools hold typer back (openapi-python-client wants typer<0.28), and
# typer's help rendering changes between releases. --upgrade: a new typer is picked up at once.
# On every core like `make test` (the `test` group brings pytest-xdist into this venv too).
CLI_VENV := .venv-cli-newest
test-cli-newest:
	test -x $(CLI_VENV)/bin/python || $(PYTHON) -m venv $(CLI_VENV)
	$(CLI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(CLI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade \
		--upgrade-strategy eager -e ".[cli,testing,redis]" --group test
	@$(CLI_VENV)/bin/python -c "import typer; print('CLI tests with typer', typer.__version__)"
	$(CLI_VENV)/bin/pytest $(XDIST) tests/cli $(PYTEST_ARGS)

# Flakiness hunt: the async-heavy tests RUNS times in a row beside LOAD busy processes;
# prints every failure with its test id and the runs it failed in (README, "Development").
RUNS ?= 20
LOAD ?= 1
REPEAT_PATHS ?= tests/reliability tests/ext tests/testing
test-repeat: $(STAMP)
	$(PY) scripts/repeat_tests.py --runs $(RUNS) --load $(LOAD) $(REPEAT_PATHS)

vendor: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make vendor DEST=path/to/app/pkg/_vendor [REWRITE='pkg/app.py ...'] [FORCE=1] [ADOPT=1]"; exit 2; }
	@$(PY) scripts/vendor.py "$(DEST)" $(if $(REWRITE),--rewrite $(REWRITE)) \
		$(if $(filter 1,$(FORCE)),--force) $(if $(filter 1,$(ADOPT)),--adopt)

# Benchmarks against raw httpx (benchmarks/): the full set rewrites BENCHMARKS.md's results
# (about 15 minutes, run alone); the quick one runs each at tiny sizes and checks no speed, for CI.
bench: $(STAMP)
	$(PY) -m benchmarks --output BENCHMARKS.md

bench-quick: $(STAMP)
	$(PY) -m benchmarks --quick --output build/bench-quick.md

# Spec change to release (README, "Regenerating the client"): the public API changes since
# BASE (default: the last release, the last commit that changed _version.py); exit 1 on a
# breaking one. `make release` bumps the version by them and writes CHANGELOG.md.
.PHONY: api-diff release release-check ci-lock
api-diff: $(STAMP)
	$(PY) scripts/api_diff.py $(if $(BASE),--base "$(BASE)")
release: $(STAMP)
	$(PY) scripts/release.py

release-check: $(STAMP)
	$(PY) scripts/release.py --check

# .ci/requirements-generate.txt: what the workflows' generate jobs install, hash-pinned, from
# pyproject's `generate` and `release` groups; rerun after changing either.
ci-lock: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check --group lock
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--group pyproject.toml:generate --group pyproject.toml:release \
		-o .ci/requirements-generate.txt
