# Quick start: `make run`, then `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test sample bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/landtool check --as-of 2023-06-30 --out maps/landtool.gpkg --map maps/landtool.html --report maps/landtool.xlsx

test: $(STAMP)
	$(BIN)/python -m pytest -q

sample: $(STAMP)
	$(BIN)/python scripts/make_sample.py

bench: SIZES ?= --sizes 10000
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run $(SIZES)

clean:
	rm -rf $(VENV) maps/*.gpkg maps/*.html
