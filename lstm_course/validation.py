"""Input checks shared by the package, with messages a learner can act on.

Every public function checks its arguments here first, so that a wrong shape or dtype
raises a ValueError/TypeError that names the argument and the expected shape, instead of
a NumPy broadcasting error from deep inside a formula.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import numpy as np
from numpy.typing import DTypeLike

T_ = TypeVar("T_")

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def to_numpy(value: Any) -> np.ndarray:
    """Return `value` as an ndarray; accepts PyTorch tensors without importing torch."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def as_real_array(name: str, value: Any, dtype: DTypeLike | None = None,
                  allow_nonfinite: bool = False) -> np.ndarray:
    """Return `value` as a real floating ndarray (no copy when it already is one).

    Integers are accepted and converted to `dtype` (float64 by default); booleans,
    complex numbers, strings and objects raise TypeError; NaN or inf raise ValueError.
    """
    if value is None:
        raise TypeError(f"{name} must be an array of real numbers, got None")
    try:
        arr = to_numpy(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__} ({exc})") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must hold real numbers, got complex dtype {arr.dtype}")
    if kind not in "fiu":
        raise TypeError(f"{name} must hold real numbers (float32 or float64), got dtype {arr.dtype}")
    if dtype is None:
        dtype = arr.dtype if arr.dtype in FLOAT_DTYPES else np.dtype(np.float64)
    arr = arr.astype(dtype, copy=False)
    if not allow_nonfinite:
        check_finite(name, arr)
    return arr


def check_finite(name: str, arr: np.ndarray) -> np.ndarray:
    """Raise ValueError, naming the first bad index, if `arr` holds NaN or inf."""
    if not np.isfinite(arr).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} contains NaN or inf (first at index {bad}); expected finite values")
    return arr


def check_float_array(name: str, value: Any, finite: bool = False) -> np.ndarray:
    """`value` as an ndarray that must already be floating point (no conversion); optionally finite.

    For functions whose answer depends on the dtype given (a loss keeps its input's precision,
    a finite difference is meaningless on integers), where `as_real_array` would convert.
    """
    arr = to_numpy(value)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array (float32 or float64), got dtype {arr.dtype}")
    return check_finite(name, arr) if finite else arr


def check_shape(name: str, arr: np.ndarray, expected: tuple[int, ...], spec: str) -> np.ndarray:
    """Raise ValueError unless `arr.shape == expected`.

    `spec` spells the shape in letters, e.g. "(N, H)", so the message reads
    "expected h0 of shape (N, H) = (4, 16), got (16,)".
    """
    if arr.shape != tuple(expected):
        raise ValueError(f"expected {name} of shape {spec} = {tuple(expected)}, got {arr.shape}")
    return arr


def check_ndim(name: str, arr: np.ndarray, ndim: int, spec: str) -> np.ndarray:
    """Raise ValueError unless `arr` has `ndim` dimensions (before sizes can be read off it)."""
    if arr.ndim != ndim:
        raise ValueError(f"expected {name} of shape {spec} ({ndim} dimensions), got shape {arr.shape}")
    return arr


def check_instance(name: str, value: Any, cls: type[T_], hint: str = "") -> T_:
    """Raise TypeError unless `value` is a `cls`."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__}{hint}, got {type(value).__name__}")
    return value


def check_sequence(x: Any, D: int, dtype: DTypeLike) -> tuple[np.ndarray, int, int]:
    """`x` as a real array of shape (N, T, D) with N, T >= 1, in `dtype`; returns (x, N, T)."""
    x = check_ndim("x", as_real_array("x", x, dtype), 3, "(N, T, D)")
    N, T, _ = x.shape
    if N == 0 or T == 0:
        raise ValueError(f"expected x of shape (N, T, D) with N >= 1 and T >= 1, got {x.shape}")
    check_shape("x", x, (N, T, D), "(N, T, D)")
    return x, N, T


def finish_param_fields(params: Any, shapes: dict[str, tuple[tuple[int, ...], str]]) -> None:
    """Convert and check the array fields of a frozen parameter dataclass in place.

    `shapes` maps each field name to (expected shape, letters), e.g. {"W_hh": ((4, 4), "(H, H)")}.
    All fields end up with one common float dtype (float64 unless all are float32).
    """
    arrays = {f.name: as_real_array(f.name, getattr(params, f.name)) for f in dataclasses.fields(params)}
    dtype = np.result_type(*arrays.values())
    for name, arr in arrays.items():
        expected, spec = shapes[name]
        check_shape(name, arr, expected, spec)
        object.__setattr__(params, name, arr.astype(dtype, copy=False))


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return `value` as an int, raising unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_state(name: str, value: Any, N: int, H: int, dtype: DTypeLike, spec: str = "(N, H)",
                T: int | None = None) -> np.ndarray:
    """A state such as h0 or c_prev as a real (N, H) array in `dtype`; None means zeros.

    Give `T` (the second size of the x the state goes with) to recognise a time-major x: a
    state of shape (T, H) then means that x was (T, N, D), and the message says so instead of
    blaming the state.
    """
    if value is None:
        return np.zeros((N, H), dtype=dtype)
    arr = as_real_array(name, value, dtype)
    if T is not None and T != N and arr.shape == (T, H):
        raise ValueError(f"x looks time-major (T, N, D); expected batch-major (N, T, D): read batch-major, "
                         f"x has N = {N} sequences of {T} steps, and {name} has {T} rows, x's second size "
                         f"(expected {name} of shape {spec} = {(N, H)}, got {arr.shape}). "
                         f"If x is time-major, pass x.transpose(1, 0, 2)")
    return check_shape(name, arr, (N, H), spec)


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Raise TypeError unless `rng` is a numpy.random.Generator (every random choice takes one)."""
    return check_instance(name, rng, np.random.Generator, " (use numpy.random.default_rng(seed))")


def check_finite_positive(name: str, value: Any) -> float:
    """`value` as a float, raising unless it is a finite number > 0 (a learning rate, a tolerance)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a finite number > 0, got {value!r}") from None
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {number}")
    return number


def check_unit_interval(name: str, value: Any) -> float:
    """`value` as a float, raising unless 0 <= value < 1 (a momentum, a decay rate)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}") from None
    if not 0.0 <= number < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {number}")
    return number
