# Every target sets up its own virtual environment, so a fresh machine with Python 3.11+ is enough.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: serve test bench compile clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# setuptools announces every editable install with a multi-line notice; it is not a problem.
	PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(BENCH_STAMP): $(STAMP)
	PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

serve: $(STAMP)
	$(VENV)/bin/hrouter serve --demo

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(BENCH_STAMP)
	$(PY) -m benchmarks.run_all

compile: $(STAMP)
	$(VENV)/bin/hrouter compile

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
