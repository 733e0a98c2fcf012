# The course's commands (`make help` lists them). Only Python 3 and make are needed: the first
# target that runs creates .venv and installs the exact versions of requirements-lock.txt;
# later runs reuse it until the lock or pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-course
LOCK   := requirements-lock.txt
# The learner's own copies (make lab): ignored by git, never read by the tests, never overwritten.
WORKSPACE := workspace
FIRST_LESSON := 01_sequences_and_rnns.ipynb
# Two workers, one notebook file per worker (nbval needs a notebook's cells on one kernel).
XDIST  := -n 2 --dist loadfile
LESSON_NOTEBOOKS = $(wildcard notebooks/[0-9][0-9]_*.ipynb)

# torch, for the benchmarks and the reference arrays only, lives in its own environment: the
# course's .venv never has it, so the tests there keep proving that the package needs none.
BENCH_VENV  := .venv-bench
BENCH_PY    := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-bench
TORCH_VERSION := 2.13.0
# make test-latest: the newest release of every dependency, in its own environment.
LATEST_VENV := .venv-latest
# make lock: the tool that writes the lock, pinned too.
LOCK_VENV := .venv-lock
UV_VERSION := 0.13.9

# One BLAS thread per process; lstm_course/blas.py is the one place that says so, and why.
$(foreach assignment,$(shell $(PYTHON) lstm_course/blas.py),$(eval export $(subst =, ?= ,$(assignment))))

.PHONY: help install lab workspace test test-fast test-slow test-latest nbval exercises notebooks time \
        bench reference results lock site slides grade clean

## make help: this list.
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## make install: create .venv with the exact versions of requirements-lock.txt (other targets do it first).
install: $(STAMP)

## make lab: open your own copies of the exercises (workspace/) in JupyterLab, solved lessons beside them.
lab: workspace
	cd $(WORKSPACE) && $(abspath $(VENV))/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(FIRST_LESSON)

## make workspace: create workspace/ (or add new lessons to it) without opening JupyterLab.
workspace: $(STAMP)
	$(PY) -m lstm_course.cli exercises --workspace $(WORKSPACE)

## make test: unit tests, then every lesson under strict nbval.
test: $(STAMP)
	$(PY) -m pytest $(XDIST) tests
	$(MAKE) nbval

## make test-fast: the unit tests only.
test-fast: $(STAMP)
	$(PY) -m pytest $(XDIST) tests

## make test-slow: the multi-seed checks of the lessons' claims against results/ (a few minutes).
test-slow: $(STAMP)
	$(PY) -m pytest $(XDIST) -m slow tests

## make nbval: every lesson notebook under strict nbval (stored outputs must equal fresh ones).
nbval: $(STAMP)
	@test -n "$(LESSON_NOTEBOOKS)" || { echo "nbval: no lesson notebooks in notebooks/ (make notebooks builds them)" >&2; exit 1; }
	LSTM_COURSE_EXPECT=pass $(PY) -m pytest $(XDIST) -p no:cacheprovider --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=120 \
	    --ignore=notebooks/exercises $(LESSON_NOTEBOOKS)

## make test-latest: unit tests and nbval against the newest release of every dependency (.venv-latest).
test-latest:
	test -x $(LATEST_VENV)/bin/python || $(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[course,site]'
	$(LATEST_VENV)/bin/python -m pip list --format=freeze > $(LATEST_VENV)/versions.txt
	@echo "test-latest: versions in $(LATEST_VENV)/versions.txt; compare with $(LOCK)"
	touch $(LATEST_VENV)/.installed-course
	$(MAKE) test VENV=$(LATEST_VENV)

## make lock: re-resolve requirements-lock.txt (newest versions pyproject.toml allows) and re-pin environment.yml.
lock:
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml --extra course --extra site --universal \
	    --python-version 3.11 --fork-strategy fewest --generate-hashes --quiet --output-file $(LOCK)
	$(LOCK_VENV)/bin/python scripts/lockfile.py environment

## make exercises: regenerate the learner notebooks from the lessons.
exercises: $(STAMP)
	$(PY) -m lstm_course.cli exercises

## make grade DIR=submissions/ OUT=grades.csv [ARGS="--jobs 4 --resume"]: grade a class, each
## submission in a bubblewrap sandbox (README, "Grading a class").
grade: $(STAMP)
	@test -n "$(DIR)" || { echo 'usage: make grade DIR=submissions/ OUT=grades.csv [ARGS="--jobs 4"]'; exit 2; }
	$(PY) -m lstm_course.cli grade "$(DIR)" --output "$(or $(OUT),grades.csv)" $(ARGS)

## make notebooks: rebuild the lesson notebooks from lessons/*.py and execute them (ONLY="04 05": some).
notebooks: $(STAMP)
	$(PY) scripts/build_notebooks.py $(ONLY)

## make time: execution time of every lesson.
time: $(STAMP)
	$(PY) scripts/time_lessons.py

$(BENCH_STAMP): pyproject.toml $(LOCK)
	test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) scripts/lockfile.py extract numpy > $(BENCH_VENV)/numpy-lock.txt
	$(BENCH_PY) -m pip install --quiet --require-hashes -r $(BENCH_VENV)/numpy-lock.txt
	$(BENCH_PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(BENCH_PY) -m pip install --quiet --no-deps -e .
	touch $(BENCH_STAMP)

## make bench: the package's LSTM against PyTorch's CPU nn.LSTM, and two training runs (torch in .venv-bench).
bench: $(BENCH_STAMP)
	$(BENCH_PY) benchmarks/bench_lstm.py
	$(BENCH_PY) benchmarks/bench_training.py
	$(BENCH_PY) benchmarks/bench_charlm.py

## make reference: regenerate the PyTorch reference arrays in tests/reference/ (torch in .venv-bench).
reference: $(BENCH_STAMP)
	$(BENCH_PY) scripts/make_torch_reference.py

## make results: re-run the experiments that take minutes into results/ (resumable; ONLY=name for one).
results: $(STAMP)
	$(PY) -m lstm_course.results $(ONLY)

## make site: the course as an offline website in build/.
site: $(STAMP)
	bash scripts/build_site.sh

## make slides: the lessons as reveal.js decks in build/.
slides: $(STAMP)
	bash scripts/build_slides.sh

## make clean: remove build outputs (the environments stay).
clean:
	rm -rf build _build .pytest_cache
