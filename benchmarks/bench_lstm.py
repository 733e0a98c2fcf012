"""The package's LSTM forward+backward against PyTorch's CPU nn.LSTM, on one thread.

Run from the repository root with torch==2.13.0, which is not a dependency of the package and
never goes into the course's .venv (so that the tests keep proving the package needs no torch):

    make bench                                   # makes .venv-bench (torch, the locked numpy,
                                                 # the package) and runs both benchmarks
    .venv-bench/bin/python benchmarks/bench_lstm.py --repeats 30

What is timed, for each size and dtype: `lstm_forward` then `lstm_backward` (gradients on x,
h0, c0 and every weight) against `nn.LSTM(batch_first=True)` forward then `torch.autograd.grad`
on the same inputs and weights. Both run in this process on one thread, alternating (ours,
torch, ours, torch, ...) so that a slow spell of the machine hits both; each figure is the
median over --repeats samples after a warm-up. Targets: ours/torch <= 1.0 in float64 and
<= 1.5 in float32. A MISS is reported, not an error: the exit status is 0 unless something
actually fails.

Clock. By default a sample is the process's CPU time (user + system, so page faults count),
which for one-threaded work equals the wall time on an idle machine but, unlike it, does not
grow while other programs hold the cores. `--clock wall` times with perf_counter instead. The
load average is printed before and after: above the number of cores, prefer the CPU clock.

BLAS settings. NumPy's BLAS is held to one thread (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
MKL_NUM_THREADS: lstm_course.blas, before numpy is imported), as torch is with set_num_threads(1).
Some machines set OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in the environment (older OpenBLAS
builds need them on some processors); they make a current numpy run a slower kernel. For this
command alone the script restarts itself without both (pass --keep-openblas-env to measure
with them), and prints the kernel that OpenBLAS actually runs. The same can be done by hand with
`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv-bench/bin/python benchmarks/bench_lstm.py`.
Never change these variables in tests or CI.
"""

import os
import sys

# --- before numpy is imported: the BLAS environment --------------------------------------
_CORETYPE_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
if "--keep-openblas-env" not in sys.argv and any(v in os.environ for v in _CORETYPE_VARS):
    _env = {k: v for k, v in os.environ.items() if k not in _CORETYPE_VARS}
    _env["_BENCH_LSTM_UNSET"] = " ".join(f"{v}={os.environ[v]}" for v in _CORETYPE_VARS if v in os.environ)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], _env)  # same command, new env
from lstm_course.blas import use_one_blas_thread  # noqa: E402 (imports no numpy)

use_one_blas_thread(force=True)

import argparse  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import lstm_course  # noqa: E402
from lstm_course.lstm import init_lstm_params, lstm_backward, lstm_forward, params_to_torch  # noqa: E402

TORCH_VERSION = "2.13.0"
SIZES = [(50, 32, 8, 64), (100, 64, 1, 128), (25, 1, 10, 32)]  # (T, N, D, H)
TARGETS = {"float64": 1.0, "float32": 1.5}  # the largest acceptable ours/torch


def import_torch():
    try:
        import torch
    except ImportError:
        sys.exit(f"error: the benchmark compares with PyTorch: run `make bench` (it installs torch=={TORCH_VERSION} "
                 "into .venv-bench), or use an environment that has it")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(f"error: the benchmark's figures are against torch=={TORCH_VERSION}, "
                 f"but torch {torch.__version__} is installed")
    return torch


def blas_info():
    """Lines describing NumPy's BLAS: threadpoolctl's view if installed, else OpenBLAS asked directly."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        return [f"{d.get('internal_api')} {d.get('version')}: kernel {d.get('architecture')}, "
                f"{d.get('num_threads')} thread(s), {os.path.basename(d.get('filepath', ''))}"
                for d in threadpool_info() if d.get("user_api") == "blas"]
    lines = []
    with open("/proc/self/maps") as maps:  # Linux: every shared library loaded so far
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line})
    for path in paths:
        lib = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "64_"),
                               ("openblas_", "")):
            try:
                corename = getattr(lib, f"{prefix}get_corename{suffix}")
                config = getattr(lib, f"{prefix}get_config{suffix}")
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
            except AttributeError:
                continue
            corename.restype = config.restype = ctypes.c_char_p
            lines.append(f"{config().decode().strip()}: kernel {corename().decode()}, {threads()} thread(s), "
                         f"{os.path.basename(path)} (threadpoolctl not installed; asked OpenBLAS directly)")
            break
    return lines or [f"no OpenBLAS found; numpy's BLAS: {np.show_config(mode='dicts')['Build Dependencies']['blas']}"]


def load():
    """The 1-minute load average, or '?' where the system does not tell."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def make_case(torch, T, N, D, H, dtype, seed=0):
    """Random inputs and weights, as NumPy arrays for us and tensors (sharing the numbers) for torch."""
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, rng, dtype=dtype)
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0, c0 = (0.5 * rng.standard_normal((2, N, H))).astype(dtype)
    dh = rng.standard_normal((N, T, H)).astype(dtype)
    dc = rng.standard_normal((N, H)).astype(dtype)

    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    module = torch.nn.LSTM(D, H, batch_first=True, dtype=tdtype)
    with torch.no_grad():
        for name, value in params_to_torch(params).items():
            getattr(module, f"{name}_l0").copy_(torch.from_numpy(value))
    tx = torch.from_numpy(x).requires_grad_()
    th0 = torch.from_numpy(h0[None].copy()).requires_grad_()
    tc0 = torch.from_numpy(c0[None].copy()).requires_grad_()
    tdh, tdc = torch.from_numpy(dh), torch.from_numpy(dc[None].copy())
    weights = list(module.parameters())

    def ours():
        h, c, cache = lstm_forward(x, h0, c0, params)
        return h, c, lstm_backward(dh, cache, dc_last=dc)

    def theirs():
        out, (h_n, c_n) = module(tx, (th0, tc0))
        grads = torch.autograd.grad([out, c_n], [tx, th0, tc0, *weights], [tdh, tdc])
        return out, c_n, grads

    return ours, theirs


def check_same_work(ours, theirs):
    """Largest difference between our results and torch's: a guard that both compute the same thing."""
    h, c, (dx, dh0, dc0, dparams) = ours()
    out, c_n, (tdx, tdh0, tdc0, *_) = theirs()
    pairs = [(h, out), (c[:, -1], c_n[0]), (dx, tdx), (dh0, tdh0[0]), (dc0, tdc0[0])]
    return max(float(np.abs(a - b.detach().numpy()).max()) for a, b in pairs)


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def time_alternating(ours, theirs, repeats, warmup, min_sample_s, clock=time.process_time):
    """Median seconds per call of each, sampled alternately; each sample runs k calls back to back."""
    for _ in range(warmup):
        ours(), theirs()
    start = time.perf_counter()
    ours()
    k = max(1, int(min_sample_s / max(time.perf_counter() - start, 1e-9)))  # calls per sample
    samples = {ours: [], theirs: []}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection inside one sample would be noise
    try:
        for _ in range(repeats):
            for fn in (ours, theirs):
                start = clock()
                for _ in range(k):
                    fn()
                samples[fn].append((clock() - start) / k)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples[ours]), statistics.median(samples[theirs])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="samples per figure (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default: %(default)s)")
    parser.add_argument("--min-sample-ms", type=float, default=20.0,
                        help="short calls are repeated to fill at least this long a sample (default: %(default)s)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: the process's CPU time; wall: elapsed time (default: %(default)s)")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="do not unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for this run")
    args = parser.parse_args(argv)

    torch = import_torch()
    torch.set_num_threads(1)

    print(f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
          f"{platform.machine()} {platform.processor() or ''}".rstrip())
    print(f"lstm_course {lstm_course.__version__} from {os.path.dirname(lstm_course.__file__)}")
    unset = os.environ.pop("_BENCH_LSTM_UNSET", "")
    kept = [f"{v}={os.environ[v]}" for v in _CORETYPE_VARS if v in os.environ]
    if unset:
        print(f"unset for this run: {unset}")
    elif kept:
        print(f"kept as asked (--keep-openblas-env): {' '.join(kept)}")
    else:
        print("OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE: not set")
    for line in blas_info():
        print(f"numpy BLAS: {line}")
    print(f"torch: {torch.get_num_threads()} thread(s), CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}, MKL {torch.backends.mkl.is_available()}")
    print(f"clock: {args.clock}; median of {args.repeats} alternating samples after {args.warmup} warm-up runs")
    print(f"load average {load()} on {os.cpu_count()} cores at the start\n")

    header = (f"{'(T, N, D, H)':<18} {'dtype':<8} {'ours ms':>9} {'torch ms':>9} {'ours/torch':>10} "
              f"{'target':>7}  result")
    print(header)
    print("-" * len(header))
    misses = 0
    for T, N, D, H in SIZES:
        for dtype in (np.float64, np.float32):
            name = np.dtype(dtype).name
            ours, theirs = make_case(torch, T, N, D, H, dtype)
            diff = check_same_work(ours, theirs)
            limit = 1e-9 if dtype == np.float64 else 1e-3
            if not diff <= limit:
                raise RuntimeError(f"ours and torch disagree by {diff:.2e} at {(T, N, D, H)} {name}")
            t_ours, t_torch = time_alternating(ours, theirs, args.repeats, args.warmup, args.min_sample_ms / 1e3,
                                               CLOCKS[args.clock])
            ratio, target = t_ours / t_torch, TARGETS[name]
            misses += ratio > target
            print(f"{str((T, N, D, H)):<18} {name:<8} {t_ours * 1e3:9.3f} {t_torch * 1e3:9.3f} {ratio:10.2f} "
                  f"{'<= ' + format(target, '.1f'):>7}  {'PASS' if ratio <= target else 'MISS'}", flush=True)
    print(f"\nload average {load()} at the end")
    print(f"{6 - misses} of 6 within target" + (f"; {misses} MISS (a report, not an error)" if misses else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
