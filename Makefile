# Two commands for a new user: `make lab` and `make test`. Both create .venv when missing
# and reinstall bpteach when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.bpteach-installed
EXTRAS ?= lab,test

.PHONY: lab test lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks

lint: $(STAMP)
	$(VENV)/bin/ruff check bpteach tests

# Unit tests, then every notebook under strict nbval, in one pytest run.
test: lint
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		-p no:cacheprovider tests notebooks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
