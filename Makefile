# The course's commands. Only Python 3 and make are needed: the first target that runs
# creates .venv and installs everything; later runs reuse it until pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-course
FIRST_LESSON := notebooks/01_sequences_and_rnns.ipynb
# Two workers, one notebook file per worker (nbval needs a notebook's cells on one kernel).
XDIST  := -n 2 --dist loadfile

# The course's matrices are small (H <= 128): BLAS threads cost more than they save, and with
# two pytest workers on two cores they fight each other. One thread per process is fastest.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install lab test test-fast nbval exercises notebooks time bench reference site slides results grade clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[course,site]'
	touch $(STAMP)

install: $(STAMP)

## make lab: open the course in JupyterLab, on the first lesson.
lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(FIRST_LESSON)

## make test: unit tests, then every lesson under strict nbval.
test: $(STAMP)
	$(PY) -m pytest $(XDIST) tests
	$(MAKE) nbval

test-fast: $(STAMP)
	$(PY) -m pytest $(XDIST) tests

nbval: $(STAMP)
	@ls notebooks/[0-9][0-9]_*.ipynb >/dev/null 2>&1 || { echo "nbval: no lesson notebooks yet"; exit 0; }; \
	LSTM_COURSE_EXPECT=pass $(PY) -m pytest $(XDIST) -p no:cacheprovider --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=120 \
	    --ignore=notebooks/exercises notebooks/[0-9][0-9]_*.ipynb

## make exercises: regenerate the learner notebooks from the lessons.
exercises: $(STAMP)
	$(PY) -m lstm_course.cli exercises

## make grade DIR=submissions/ OUT=grades.csv [ARGS="--jobs 4 --resume"]: grade a class, each
## submission in a bubblewrap sandbox (README, "Grading a class").
grade: $(STAMP)
	@test -n "$(DIR)" || { echo 'usage: make grade DIR=submissions/ OUT=grades.csv [ARGS="--jobs 4"]'; exit 2; }
	$(PY) -m lstm_course.cli grade "$(DIR)" --output "$(or $(OUT),grades.csv)" $(ARGS)

## make notebooks: rebuild the lesson notebooks from lessons/*.py and execute them.
notebooks: $(STAMP)
	$(PY) scripts/build_notebooks.py

## make time: execution time of every lesson.
time: $(STAMP)
	$(PY) scripts/time_lessons.py

## make bench: the package's LSTM against PyTorch's CPU nn.LSTM (installs torch==2.13.0).
bench: $(STAMP)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) benchmarks/bench_lstm.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_charlm.py

## make reference: regenerate the PyTorch reference arrays in tests/reference/.
reference: $(STAMP)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) scripts/make_torch_reference.py

## make results: re-run the experiments that take minutes into results/ (resumable; ONLY=name for one).
results: $(STAMP)
	$(PY) -m lstm_course.results $(ONLY)

site: $(STAMP)
	bash scripts/build_site.sh

slides: $(STAMP)
	bash scripts/build_slides.sh

clean:
	rm -rf build _build .pytest_cache
