# Two commands: `make run` (whole embedded-default DAG; after a kill, the same command resumes:
# profiles/default + weightmem.locks) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: run test check install lint dryrun bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# the fast lane (unit tests, no DAG runs, no SLURM): minutes on 2 cores
check: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not slurm"

lint: $(STAMP)
	$(BIN)/snakemake --lint

dryrun: $(STAMP)
	$(BIN)/snakemake -n

bench: $(STAMP)
	$(BIN)/python bench/zoo_training.py
	$(BIN)/python bench/similarity.py
	$(BIN)/python bench/aligned_distance.py
	$(BIN)/python bench/weight_matching.py
	$(BIN)/python bench/pdiff_eval.py

clean:
	rm -rf results .snakemake logs benchmarks
