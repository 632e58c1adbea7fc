# Two commands for a new user: `make lab` and `make test`. Both create .venv when missing
# and reinstall bpteach when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.bpteach-installed
EXTRAS ?= lab,test,demo,book,practice
# The `practice` extra (notebook 13) asks for torch>=2.1,<2.14; installed first, this pin is a CPU build
# that lies on this machine's and CI's disk (about 1 GB in the venv, README "Quickstart"). Asked for
# through the range alone, pip takes PyPI's CUDA build, several GB. Elsewhere, e.g.
# make TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" lab
TORCH  ?= torch==2.13.0

.PHONY: lab test test-backends test-oldest lint demo bench clean exercises book

# JupyterLab refuses to run as root unless told; CI and some containers are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# jupyterlab-settings/overrides.json goes into the venv's JupyterLab: no news pop-up on first start,
# no request for news or updates (a learner offline, a lecturer on a projector)
LAB_SETTINGS := share/jupyter/lab/settings
$(STAMP): pyproject.toml jupyterlab-settings/overrides.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(findstring practice,$(EXTRAS)),$(PY) -m pip install --quiet $(TORCH))
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	mkdir -p $(VENV)/$(LAB_SETTINGS) && cp jupyterlab-settings/overrides.json $(VENV)/$(LAB_SETTINGS)/
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG)

lint: $(STAMP)
	$(VENV)/bin/ruff check --no-cache bpteach tests benchmarks book tools conftest.py

# Unit, property, grader tests and every notebook under strict nbval, spread over pytest-xdist's
# workers (conftest.py: one worker takes a whole test file or a whole notebook); beside
# them the browser tests (mostly waiting on Chromium, JupyterLab and Voila; first in line for the CPU,
# as they time key presses) and, niced most, the notebooks again under other numeric back-ends
# (test-backends), which fill what the cores leave idle. Each of
# the two side runs writes a log in test-artifacts/, shown when all three are done. The notebooks hold
# their exercises' solutions; the student versions (`bpteach assign`) are checked by the grader tests.
# The sources are byte-compiled first: a test watches that grading changes no file in the checkout,
# and a first import elsewhere (a notebook's kernel) would otherwise write a __pycache__ meanwhile.
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider
XDIST ?= -n 4
test: lint
	@mkdir -p test-artifacts
	@$(PY) -m compileall -q bpteach benchmarks book tests conftest.py
	$(PY) -m pytest -n 3 -p no:cacheprovider -p no:nbval tests/browser > test-artifacts/browser-tests.log 2>&1 & browser=$$!; \
	nice -n 10 $(PY) tests/numeric_backends.py $(NBVAL) notebooks $(UNIT) > test-artifacts/backends.log 2>&1 & backends=$$!; \
	nice -n 5 $(PY) -m pytest $(XDIST) $(NBVAL) --ignore=tests/grading/fixtures --ignore=tests/browser tests notebooks; rest=$$?; \
	wait $$browser; b=$$?; wait $$backends; k=$$?; \
	echo "== the browser tests, run beside the rest:"; cat test-artifacts/browser-tests.log; \
	echo "== the numeric back-ends, run beside the rest:"; cat test-artifacts/backends.log; \
	[ $$rest -eq 0 ] && [ $$b -eq 0 ] && [ $$k -eq 0 ]

# Every notebook (notebooks/**) again, from the same stored outputs, under every other numeric
# back-end this machine can switch to, all at once in one run: numpy without its SIMD dispatch,
# OpenBLAS on older kernels, another libm's exp, tanh and log. tests/numeric_backends.py chooses
# them and says which ran, with the run's time (`--apart`: one run per setting, side by side).
# The unit and property tests of the maths run there too (in the same pytest run), so
# that a reduction order that differs on another CPU fails here first.
UNIT := tests/test_core.py tests/test_costs.py tests/test_backprop.py tests/test_train.py tests/test_errors.py
test-backends: $(STAMP)
	$(PY) tests/numeric_backends.py $(NBVAL) notebooks $(UNIT)

# The oldest versions pyproject.toml allows (tests/oldest-constraints.txt), in their own venv:
# unit and explorer tests and every notebook under strict nbval. Uses python3.10
# (pyenv's is found too); without it, says so and uses $(PYTHON). The grader tests are left
# to `make test`. Notebook 13 and tests/test_practice.py are left out too: they need PyTorch, and
# no torch release that pyproject.toml allows is on this machine's disk for Python 3.10 (a download
# would be PyPI's CUDA build, several GB).
PYTHON_OLDEST ?= python3.10
VENV_OLDEST   := .venv-oldest
STAMP_OLDEST  := $(VENV_OLDEST)/.bpteach-installed
$(STAMP_OLDEST): pyproject.toml tests/oldest-constraints.txt jupyterlab-settings/overrides.json
	rm -rf $(VENV_OLDEST)
	if PYENV_VERSION=3.10 $(PYTHON_OLDEST) -c '' 2>/dev/null; then \
		PYENV_VERSION=3.10 $(PYTHON_OLDEST) -m venv $(VENV_OLDEST); \
	else \
		echo "test-oldest: $(PYTHON_OLDEST) not found; the oldest packages run on $(PYTHON) instead" >&2; \
		$(PYTHON) -m venv $(VENV_OLDEST) && touch $(VENV_OLDEST)/.python-not-oldest; \
	fi
	$(VENV_OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_OLDEST)/bin/python -m pip install --quiet -c tests/oldest-constraints.txt -e '.[lab,test,demo]'
	mkdir -p $(VENV_OLDEST)/$(LAB_SETTINGS) && cp jupyterlab-settings/overrides.json $(VENV_OLDEST)/$(LAB_SETTINGS)/
	touch $(STAMP_OLDEST)

test-oldest: $(STAMP_OLDEST)
	@$(VENV_OLDEST)/bin/python tests/numeric_backends.py --machine
	BPTEACH_OLDEST=tests/oldest-constraints.txt $(VENV_OLDEST)/bin/python -m pytest $(XDIST) $(NBVAL) \
		--ignore=tests/grading --ignore=tests/browser --ignore=tests/test_learner_install.py \
		--ignore=tests/test_practice.py --ignore=notebooks/13-practice-with-pytorch.ipynb tests notebooks
	BPTEACH_OLDEST=tests/oldest-constraints.txt $(VENV_OLDEST)/bin/python tests/numeric_backends.py \
		-p no:cacheprovider $(UNIT)

# Lecture mode: the explorer alone, full page, on this machine only. notebooks/demo/voila.json
# (read from the current directory) binds 127.0.0.1, culls the kernels of closed pages and picks
# the template in notebooks/demo/share, which loads nothing from a CDN.
demo: $(STAMP)
	cd notebooks/demo && JUPYTER_PATH=$(CURDIR)/notebooks/demo/share $(CURDIR)/$(VENV)/bin/voila lecture.ipynb --port=8866

# The series as a static web book from the stored outputs (no execution): build/book/html/index.html.
# MathJax is Debian's (apt-get install libjs-mathjax fonts-mathjax), copied into the build.
book: $(STAMP)
	$(PY) book/build.py build/book

# Every performance figure, side by side in one process (PyTorch from the `bench` extra).
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[$(EXTRAS),bench]'
	$(PY) -m benchmarks --json bench.json

clean:
	rm -rf $(VENV) $(VENV_OLDEST) .pytest_cache .hypothesis build *.egg-info

# After changing a teaching notebook's exercise: copy the notebooks (outputs cleared) into the
# package, where an installed grader finds them. tests/grading/test_series.py checks it was done.
exercises: $(STAMP)
	$(PY) -c 'from bpteach.grading.assign import ship; [print("shipped", p) for p in ship("notebooks", "bpteach/grading/notebooks")]'
