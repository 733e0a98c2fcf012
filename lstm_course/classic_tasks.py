"""Two tasks of the 1997 LSTM paper in their original form: the embedded Reber grammar and the adding problem.

Letters used in every shape: N batch size, T time steps (L for one string's length), D input size.

Hochreiter & Schmidhuber (1997, "Long short-term memory", Neural Computation 9(8)) test the LSTM
on six experiments; lesson 13 repeats two of them with their own definitions and criteria:

- **Experiment 1, the embedded Reber grammar** (Table 1). A string is B, then T or P, then a
  whole Reber string (Reber 1967), then the same T or P again, then E. At every step the network
  predicts the possible next symbols; the second-to-last one can only be predicted by
  remembering the second symbol across the whole inner string.
- **Experiment 4, the adding problem** (Table 7). Pairs (value in [-1, 1], marker); two values
  are marked, the first among the first ten pairs, the second among the first T/2 - 1; at the
  end the network outputs 0.5 + (X1 + X2) / 4. The minimal time lag is T/2.

(`tasks.adding_problem` is the simpler form of Le et al. 2015 that lesson 05 uses.)
"""

from __future__ import annotations

import numpy as np

from .validation import check_positive_int, check_rng

__all__ = ["REBER_SYMBOLS", "REBER_GRAPH", "reber_string", "embedded_reber_string", "reber_next_symbols",
           "embedded_reber_next_symbols", "is_embedded_reber", "encode_reber_batch",
           "adding_problem_1997", "ADDING_TOLERANCE", "adding_correct", "adding_should_stop"]

#: The seven symbols, in the order of the one-hot code (7 inputs, 7 outputs, as in the paper).
REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")

#: The Reber grammar as a graph: state -> ((symbol, next state), ...); every string starts with
#: B (into state 1) and ends with E (from state 5). Each of two edges is taken with probability 1/2.
REBER_GRAPH = {
    0: (("B", 1),),
    1: (("T", 2), ("P", 3)),
    2: (("S", 2), ("X", 4)),
    3: (("T", 3), ("V", 5)),
    4: (("X", 3), ("S", 6)),
    5: (("P", 4), ("V", 6)),
    6: (("E", None),),
}


def reber_string(rng: np.random.Generator) -> str:
    """One string of the Reber grammar, for example "BTSSXXTVVE": a random walk through REBER_GRAPH."""
    check_rng(rng)
    state, out = 0, []
    while state is not None:
        edges = REBER_GRAPH[state]
        symbol, state = edges[rng.integers(len(edges))] if len(edges) > 1 else edges[0]
        out.append(symbol)
    return "".join(out)


def embedded_reber_string(rng: np.random.Generator) -> str:
    """One string of the embedded Reber grammar: B, c, a Reber string, the same c, E (c is T or P)."""
    check_rng(rng)
    c = "TP"[rng.integers(2)]
    return "B" + c + reber_string(rng) + c + "E"


def reber_next_symbols(prefix: str) -> frozenset:
    """The symbols that may follow `prefix` in a Reber string (empty after the final E).

    ValueError if `prefix` cannot begin a Reber string.
    """
    state = 0
    for k, symbol in enumerate(prefix):
        if state is None:
            raise ValueError(f"{prefix!r} is not a prefix of a Reber string: nothing follows E (at {k})")
        moves = dict(REBER_GRAPH[state])
        if symbol not in moves:
            raise ValueError(f"{prefix!r} is not a prefix of a Reber string: {symbol!r} at position {k} "
                             f"(expected one of {sorted(moves)})")
        state = moves[symbol]
    return frozenset() if state is None else frozenset(s for s, _ in REBER_GRAPH[state])


def embedded_reber_next_symbols(prefix: str) -> frozenset:
    """The symbols that may follow `prefix` in an embedded Reber string (empty after the last E).

    The one long-range rule: after the inner string's E, only the second symbol may come.
    """
    if prefix == "":
        return frozenset("B")
    if prefix[0] != "B":
        raise ValueError(f"{prefix!r} is not a prefix of an embedded Reber string: it must start with B")
    if len(prefix) == 1:
        return frozenset("TP")
    c = prefix[1]
    if c not in "TP":
        raise ValueError(f"{prefix!r} is not a prefix of an embedded Reber string: the second symbol must be T or P")
    inner = prefix[2:]
    end = inner.find("E")
    if end < 0:  # still inside the inner string
        return reber_next_symbols(inner)
    reber_next_symbols(inner[:end + 1])  # raises unless the inner string is a Reber string
    rest = inner[end + 1:]
    if rest == "":
        return frozenset(c)
    if rest == c:
        return frozenset("E")
    if rest == c + "E":
        return frozenset()
    raise ValueError(f"{prefix!r} is not a prefix of an embedded Reber string: after the inner E come "
                     f"{c!r} (the second symbol again) and E")


def is_embedded_reber(string: str) -> bool:
    """True if `string` is a whole string of the embedded Reber grammar."""
    try:
        return len(string) > 0 and embedded_reber_next_symbols(string) == frozenset() and string.endswith("E")
    except ValueError:
        return False


def encode_reber_batch(strings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-hot inputs, targets (the set of possible next symbols) and a mask, for a batch of strings.

    Parameters
    ----------
    strings : sequence of N embedded Reber strings

    Returns
    -------
    x : ndarray of shape (N, T, 7)
        x[n, t] is the one-hot code of symbol t of string n, for t < len - 1 (the last symbol, E,
        is never an input); zeros after. T = the longest length - 1.
    targets : ndarray of shape (N, T, 7)
        1 for every symbol that may follow the prefix read so far, else 0.
    mask : ndarray of shape (N, T), bool
        True at the steps that belong to the string.
    """
    strings = list(strings)
    if not strings:
        raise ValueError("expected at least one string")
    index = {s: k for k, s in enumerate(REBER_SYMBOLS)}
    T = max(len(s) for s in strings) - 1
    N, D = len(strings), len(REBER_SYMBOLS)
    x, targets, mask = np.zeros((N, T, D)), np.zeros((N, T, D)), np.zeros((N, T), dtype=bool)
    for n, s in enumerate(strings):
        if not is_embedded_reber(s):
            raise ValueError(f"strings[{n}] = {s!r} is not an embedded Reber string")
        for t in range(len(s) - 1):
            x[n, t, index[s[t]]] = 1.0
            for symbol in embedded_reber_next_symbols(s[:t + 1]):
                targets[n, t, index[symbol]] = 1.0
            mask[n, t] = True
    return x, targets, mask


# ---------------------------------------------------------------------------------------
# The adding problem, as in the 1997 paper (section 5.4)

#: A sequence counts as processed correctly when the absolute error at its end is below this.
ADDING_TOLERANCE = 0.04


def adding_problem_1997(n: int, T: int = 100, *, rng: np.random.Generator):
    """Sequences of the 1997 adding problem (Hochreiter & Schmidhuber, Experiment 4).

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int, default 100
        The minimal length; each sequence has a random length between T and T + T // 10. The
        minimal time lag is T / 2 (50 for T = 100).
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray of shape (N, T + T // 10, 2)
        Pairs (value, marker), zero-padded after each sequence's end.
    y : ndarray of shape (N, 1)
        The target 0.5 + (X1 + X2) / 4, in [0, 1].
    lengths : ndarray of shape (N,), int
        Each sequence's length; the network's answer is read at step lengths - 1.

    Notes
    -----
    Following the paper: every value is drawn from U(-1, 1); the marker is 0 except at the two
    marked pairs (1) and at the first and last pairs (-1, unless marked). X1 is one of the first
    ten pairs, X2 one of the first T/2 - 1 pairs not yet marked. When the first pair is marked
    (as X1 or X2), its value is set to 0.
    """
    n = check_positive_int("n", n)
    T = check_positive_int("T", T, minimum=22)  # room for ten pairs and a second half
    check_rng(rng)
    longest = T + T // 10
    lengths = rng.integers(T, longest + 1, size=n)
    x = np.zeros((n, longest, 2))
    y = np.empty((n, 1))
    for k in range(n):
        L = lengths[k]
        values = rng.uniform(-1.0, 1.0, size=L)
        marker = np.zeros(L)
        marker[0] = marker[L - 1] = -1.0
        first = rng.integers(10)
        second = rng.choice([p for p in range(T // 2 - 1) if p != first])
        marker[first] = marker[second] = 1.0
        if 0 in (first, second):  # the paper: when the first pair is marked, its value is set to 0
            values[0] = 0.0
        x[k, :L, 0], x[k, :L, 1] = values, marker
        y[k, 0] = 0.5 + (values[first] + values[second]) / 4.0
    return x, y, lengths


def adding_correct(prediction, target) -> np.ndarray:
    """Which sequences are processed correctly: |prediction - target| < 0.04, elementwise (bool)."""
    return np.abs(np.asarray(prediction, dtype=float) - np.asarray(target, dtype=float)) < ADDING_TOLERANCE


def adding_should_stop(squared_errors, correct, window: int = 2000, max_error: float = 0.01) -> bool:
    """The paper's stopping rule, on the training sequences seen so far (oldest first).

    Stop once the average training error is below `max_error` and the `window` most recent
    sequences were all processed correctly. We read "average training error" as the mean squared
    error over those same `window` sequences; the paper does not say over how many.

    Parameters
    ----------
    squared_errors : sequence of float
        (prediction - target)^2 of every training sequence so far.
    correct : sequence of bool
        Whether each was processed correctly (`adding_correct`).
    """
    window = check_positive_int("window", window)
    squared_errors = np.asarray(squared_errors, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if squared_errors.shape != correct.shape or squared_errors.ndim != 1:
        raise ValueError(f"expected squared_errors and correct of the same shape (S,), got "
                         f"{squared_errors.shape} and {correct.shape}")
    if len(correct) < window:
        return False
    return bool(correct[-window:].all() and squared_errors[-window:].mean() < max_error)
