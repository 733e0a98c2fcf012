"""Execute every lesson notebook in a fresh kernel and print how long each took.

    python scripts/time_lessons.py

Targets (the course design's): at most 20 s per lesson, 120 s for the whole course, on 2 cores.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from lstm_course.blas import use_one_blas_thread

ROOT = Path(__file__).resolve().parents[1]
use_one_blas_thread()  # the kernels inherit it (lstm_course.blas says why)
PER_LESSON, TOTAL = 20.0, 120.0


def main():
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        sys.exit("no lesson notebooks in notebooks/")
    total, slow = 0.0, []
    print(f"{'lesson':<40} {'seconds':>8}")
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
        total += seconds
        if seconds > PER_LESSON:
            slow.append(path.name)
        print(f"{path.stem:<40} {seconds:8.1f}")
    print(f"{'total':<40} {total:8.1f}")
    print(f"targets: <= {PER_LESSON:.0f} s per lesson ({'met' if not slow else 'MISSED by ' + ', '.join(slow)}), "
          f"<= {TOTAL:.0f} s in all ({'met' if total <= TOTAL else 'MISSED'})")


if __name__ == "__main__":
    main()
