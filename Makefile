# Every target sets up its own virtualenv (.venv) on first use, so a fresh
# clone needs only Python 3.11+ and make.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The generator's post-hooks call `ruff` from PATH: make it the pinned one.
export PATH := $(abspath $(BIN)):$(PATH)

GEN_PKG  := generated/stability_v1alpha_api
GENERATE  = $(BIN)/openapi-python-client generate --path openapi.yaml \
	--config generator-config.yml --meta none --overwrite --fail-on-warning

.PHONY: venv generate check-generated lint typecheck pytest test demo dist dist-check bench spec-diff clean

venv: $(STAMP)

# _version.py too: the installed metadata carries the version.
$(STAMP): pyproject.toml facade/stability_v1alpha/_version.py
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is required (set PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

## Regenerate the low-level client from openapi.yaml (deterministic).
generate: $(STAMP)
	$(GENERATE) --output-path $(GEN_PKG)

## Regenerate into a temporary directory and fail on any difference.
check-generated: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GENERATE) --output-path "$$tmp/stability_v1alpha_api" >/dev/null && \
	diff -r -x __pycache__ "$$tmp/stability_v1alpha_api" $(GEN_PKG) && \
	echo "generated/ is in sync with openapi.yaml"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The full suite CI runs: generated code in sync, lint, types, tests.
test: check-generated lint typecheck pytest

## Generate one image through the facade against the embedded fake server.
demo: $(STAMP)
	$(BIN)/python -m stability_v1alpha.demo --out out

## Build the wheel and the sdist into dist/ (the wheel is built from the sdist).
dist: $(STAMP)
	rm -rf dist build
	$(BIN)/python -m build --quiet --outdir dist .

## Install both into fresh virtualenvs outside the checkout and use them as a user would.
dist-check: dist
	$(BIN)/python -m tools.dist_check dist

bench: $(STAMP)
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

## Review a spec change: classify it for clients of the old spec and show the code impact.
## Compares BASE=<git rev> with the working tree; without BASE: HEAD when openapi.yaml has
## uncommitted changes, else the merge-base with main, else (on main) the commit before the
## latest change to openapi.yaml. Or OLD=<file> NEW=<file>. FORMAT=text|markdown|json,
## FAIL_ON=breaking|warning. Only the report goes to stdout: setting up the virtualenv
## reports on stderr and no recipe line is echoed, so `> r.json` holds JSON alone.
spec-diff:
	@$(MAKE) --no-print-directory --silent venv >&2
	@$(BIN)/python -m tools.spec_diff $(if $(OLD)$(NEW),$(OLD) $(NEW)) $(if $(BASE),--base $(BASE)) \
		$(if $(FORMAT),--format $(FORMAT)) $(if $(FAIL_ON),--fail-on $(FAIL_ON)) $(SPEC_DIFF_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache out
