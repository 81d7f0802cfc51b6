# planlib tasks. `make plan` and `make test` are the two commands of the README:
# each creates the virtual environment .venv on first use (system Python + venv + pip only), with the
# tested versions of .ci/constraints.txt.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SOURCE ?= data/sample
WEEK   ?= 2026-W48
OUT    ?= reports
# pytest-xdist workers for the test suite (2 cores on the project's machines)
JOBS   ?= 2

.PHONY: plan test validate install sample bench clean-venv

$(STAMP): pyproject.toml .ci/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools warns about flat layouts on every editable install: nothing a user can act on
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install --quiet -c .ci/constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## The main job: this week's plan on the sample data (the sample factory's plan starts in 2026-W48).
plan: $(STAMP)
	$(BIN)/planlib run $(SOURCE) --week $(WEEK) --out $(OUT)

validate: $(STAMP)
	$(BIN)/planlib validate $(SOURCE)

## The whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q tests notebooks --nbval-lax --nbval-current-env

## Regenerate the sample factory (same seed, same files).
sample: $(STAMP)
	$(BIN)/planlib make-factory --sample --out data/sample

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean-venv:
	rm -rf $(VENV)
