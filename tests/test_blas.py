"""lstm_course.blas: the one place that sets one BLAS thread per process."""

import subprocess
import sys
from pathlib import Path

from lstm_course.blas import BLAS_THREADS, use_one_blas_thread

ROOT = Path(__file__).resolve().parents[1]


def test_sets_what_is_missing_and_keeps_what_is_set():
    env = {"OMP_NUM_THREADS": "4"}
    assert use_one_blas_thread(env) == {**BLAS_THREADS, "OMP_NUM_THREADS": "4"}
    assert env == {**BLAS_THREADS, "OMP_NUM_THREADS": "4"}


def test_force_overrides():
    env = {"OMP_NUM_THREADS": "4", "OTHER": "x"}
    assert use_one_blas_thread(env, force=True) == BLAS_THREADS
    assert env["OTHER"] == "x"


def test_prints_the_assignments_the_makefile_exports():
    out = subprocess.run([sys.executable, str(ROOT / "lstm_course" / "blas.py")], capture_output=True,
                         text=True, check=True).stdout
    assert dict(line.split("=") for line in out.split()) == BLAS_THREADS


def test_importing_it_does_not_import_numpy():
    code = "import sys, lstm_course.blas; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
