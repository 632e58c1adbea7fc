# Two commands for a new user: `make lab` and `make test`. Both create .venv when missing
# and reinstall bpteach when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.bpteach-installed
EXTRAS ?= lab,test,demo

.PHONY: lab test lint demo bench clean

# JupyterLab refuses to run as root unless told; CI and some containers are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG)

lint: $(STAMP)
	$(VENV)/bin/ruff check bpteach tests benchmarks

# Unit, property, grader and browser tests, then every notebook under strict nbval, in one
# pytest run. The exercise notebooks are checked by the grader tests instead: the student
# versions raise NotImplementedError on purpose.
test: lint
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		-p no:cacheprovider --ignore=notebooks/exercises --ignore=tests/grading/fixtures tests notebooks

# Lecture mode: the explorer alone, full page, on this machine only. notebooks/demo/voila.json
# (read from the current directory) binds 127.0.0.1, culls the kernels of closed pages and picks
# the template in notebooks/demo/share, which loads nothing from a CDN.
demo: $(STAMP)
	cd notebooks/demo && JUPYTER_PATH=$(CURDIR)/notebooks/demo/share $(CURDIR)/$(VENV)/bin/voila lecture.ipynb --port=8866

# Every performance figure, side by side in one process (PyTorch from the `bench` extra).
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[$(EXTRAS),bench]'
	$(PY) -m benchmarks --json bench.json

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
