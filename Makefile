# Every target sets itself up on a fresh machine: only Python 3.11 and access to PyPI are needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev
# Test modules are spread over the machine's cores (four workers at most: each plans the stacks
# its modules need and holds them, about half a GiB), each module whole on one worker so that
# its fixtures are built once; TEST_WORKERS=0 runs the suite in one process (for a debugger).
TEST_WORKERS ?= auto

.PHONY: setup setup-runtime tools plan test lint bench clean

# The build backend (setuptools) comes from the hashed lock too: --no-build-isolation keeps pip
# from fetching an unhashed one.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# What a deploy runs with: the runtime dependencies alone (requirements-runtime.lock, the dev
# lock's versions and hashes), no test or lint tools, the project installed as a package.
setup-runtime:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-runtime.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation .

# What the tests run besides Python: Prometheus' promtool (Debian's package, installed once).
tools:
	bash scripts/install-test-tools.sh

plan: setup
	$(BIN)/fsctl plan --stack $(STACK)

test: setup tools
	$(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/plan_speed.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis
