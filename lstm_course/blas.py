"""One BLAS thread per process: the one place that says so.

The course's matrices are small (H <= 128): extra BLAS threads cost more than they save, and with
two pytest workers on two cores they fight each other. The variables must be set before NumPy is
first imported, so a script calls `use_one_blas_thread()` at its top, and the Makefile exports
what `python -m lstm_course.blas` prints. environment.yml (conda, Binder) holds a copy that
tests/test_environment_sync.py keeps equal. This module imports nothing heavy (no NumPy).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = ["BLAS_THREADS", "use_one_blas_thread"]

#: The environment variables of the BLAS libraries NumPy may use (OpenBLAS, OpenMP, MKL).
BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def use_one_blas_thread(environ: MutableMapping[str, str] | None = None, force: bool = False) -> dict[str, str]:
    """Set `BLAS_THREADS` in `environ` (default: os.environ) and return what it holds then.

    A value already set is kept unless `force` (a benchmark forces them, so that its figures
    always mean one thread).
    """
    environ = os.environ if environ is None else environ
    for name, value in BLAS_THREADS.items():
        if force:
            environ[name] = value
        else:
            environ.setdefault(name, value)
    return {name: environ[name] for name in BLAS_THREADS}


if __name__ == "__main__":  # for the Makefile: NAME=value per line
    print("\n".join(f"{name}={value}" for name, value in BLAS_THREADS.items()))
