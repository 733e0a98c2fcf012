"""Toy sequence tasks whose answer depends on something seen long ago.

Each generator returns ``(x, y)``: inputs ``x`` of shape (N, T, D), float64, and targets ``y``,
and takes an explicit ``rng`` (``numpy.random.default_rng(seed)``), so the same seed always
gives the same data. The length of the gap between what must be remembered and where it is
needed is a parameter: the knob that makes a plain RNN fail and an LSTM succeed.

- :func:`delayed_recall`: see a cue, wait through distractors, name the cue (classification).
- :func:`adding_problem`: add the two marked numbers of a long sequence (regression).
- :func:`copy_task`: read a few symbols, wait, then write them back (one class per step).
- :func:`as_words`, :func:`one_hot`: tokens as text, and words as one-hot inputs.

Shapes use N (batch), T (time), D (input size) and K (classes).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .validation import check_positive_int, check_rng

__all__ = [
    "DEFAULT_N_DISTRACTORS",
    "COPY_BLANK",
    "delayed_recall",
    "delayed_recall_query_index",
    "adding_problem",
    "copy_task",
    "copy_task_delimiter_index",
    "as_words",
    "one_hot",
]

#: Number of distinct distractor tokens in :func:`delayed_recall` unless told otherwise.
DEFAULT_N_DISTRACTORS = 4

#: In :func:`copy_task`, the input token and the target class that mean "nothing here".
COPY_BLANK = 0


def delayed_recall_query_index(n_classes: int = 8,
                               n_distractors: int = DEFAULT_N_DISTRACTORS) -> int:
    """The input index of the query token in :func:`delayed_recall`; also D - 1."""
    return check_positive_int("n_classes", n_classes, 2) + check_positive_int("n_distractors", n_distractors, 1)


def delayed_recall(n: int, gap: int, n_classes: int = 8,
                   n_distractors: int = DEFAULT_N_DISTRACTORS, *,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The long-gap recall task: "I grew up in France ... I speak fluent *French*".

    Every sequence starts with a cue (one of ``n_classes`` tokens, like "France"), goes on with
    ``gap`` distractor tokens that carry no information, and ends with a query token (the
    prompt "I speak fluent ..."). At the query, the model must name the cue.

    Parameters
    ----------
    n : int
        Number of sequences N, >= 1.
    gap : int
        Number of distractor steps between cue and query, >= 0.
    n_classes : int, default 8
        Number of possible cues, >= 2. Chance accuracy is ``1 / n_classes``.
    n_distractors : int, default 4
        Number of distinct distractor tokens, >= 1, drawn uniformly at each distractor step.
    rng : numpy.random.Generator
        Source of all randomness (keyword only).

    Returns
    -------
    x : ndarray of shape (N, T, D), float64
        One-hot tokens, with ``T = gap + 2`` and ``D = n_classes + n_distractors + 1``.
    y : ndarray of shape (N,), int64
        The cue's class, in ``[0, n_classes)``: ``y == argmax(x[:, 0, :n_classes], axis=1)``.

    Notes
    -----
    Token layout along D:

    ======================================  ==================
    index                                   token
    ======================================  ==================
    ``0 ... n_classes - 1``                 cue ``c`` (class c)
    ``n_classes ... n_classes + n_d - 1``   distractors
    ``n_classes + n_d`` (= D - 1)           query, see :func:`delayed_recall_query_index`
    ======================================  ==================

    Time layout: step 0 is the cue, steps ``1 ... gap`` the distractors, step ``T - 1`` the
    query. Only the model's output at the last step is scored.

    Examples
    --------
    >>> x, y = delayed_recall(4, gap=3, rng=np.random.default_rng(0))
    >>> x.shape, y.shape
    ((4, 5, 13), (4,))
    """
    n = check_positive_int("n", n, 1)
    gap = check_positive_int("gap", gap, 0)
    query = delayed_recall_query_index(n_classes, n_distractors)
    rng = check_rng(rng)
    T, D = gap + 2, query + 1
    y = rng.integers(0, n_classes, size=n, dtype=np.int64)
    distractors = n_classes + rng.integers(0, n_distractors, size=(n, gap))  # (N, gap)
    tokens = np.concatenate([y[:, None], distractors, np.full((n, 1), query)], axis=1)  # (N, T)
    x = np.zeros((n, T, D))
    np.put_along_axis(x, tokens[:, :, None], 1.0, axis=2)
    return x, y


def as_words(sequence: np.ndarray, n_classes: int = 8) -> str:
    """One :func:`delayed_recall` sequence as text: cues c0, c1, ..., distractors d0, d1, ..., query '?'.

    Parameters
    ----------
    sequence : ndarray of shape (T, D)
        One-hot tokens, one sequence of ``x`` (``x[n]``).
    n_classes : int, default 8
        The ``n_classes`` the sequence was made with.

    Examples
    --------
    >>> x, y = delayed_recall(1, gap=3, rng=np.random.default_rng(0))
    >>> as_words(x[0]), int(y[0])
    ('c6 d2 d2 d1 ?', 6)
    """
    sequence = np.asarray(sequence)
    if sequence.ndim != 2:
        raise ValueError(f"expected one sequence of shape (T, D), got shape {sequence.shape}")
    query = sequence.shape[1] - 1  # the last index of D, see delayed_recall_query_index
    n_classes = check_positive_int("n_classes", n_classes, 2)
    if query <= n_classes:
        raise ValueError(f"a sequence with D = {query + 1} cannot hold {n_classes} cues, a distractor "
                         f"and the query; expected D >= {n_classes + 2}")
    words = []
    for token in sequence.argmax(axis=1):
        if token < n_classes:
            words.append(f"c{token}")
        elif token < query:
            words.append(f"d{token - n_classes}")
        else:
            words.append("?")
    return " ".join(words)


def one_hot(words: Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    """A sentence as one-hot inputs of shape (1, T, D): row t has a 1 at the index of word t in `vocab`.

    Parameters
    ----------
    words : sequence of str, length T
    vocab : sequence of str, length D
        Every word that may occur, each once.

    Examples
    --------
    >>> one_hot(["the", "cat"], ["the", "cat", "cats"])
    array([[[1., 0., 0.],
            [0., 1., 0.]]])
    """
    vocab = list(vocab)
    if len(set(vocab)) != len(vocab):
        raise ValueError(f"expected a vocab of distinct words, got {vocab}")
    index = {word: k for k, word in enumerate(vocab)}
    unknown = [word for word in words if word not in index]
    if unknown:
        raise ValueError(f"word {unknown[0]!r} is not in the vocab {vocab}")
    x = np.zeros((1, len(words), len(vocab)))
    for t, word in enumerate(words):
        x[0, t, index[word]] = 1.0
    return x


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997; in the form of Le et al., 2015).

    Each sequence carries a random number and a marker at every step. Exactly two steps are
    marked, one in the first half and one in the second half; the target is the sum of the two
    marked numbers. The first marked number must be held for about T / 2 steps.

    Parameters
    ----------
    n : int
        Number of sequences N, >= 1.
    T : int
        Sequence length, >= 2.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    x : ndarray of shape (N, T, 2), float64
        ``x[..., 0]`` uniform in [0, 1); ``x[..., 1]`` is 1 at the two marked steps, else 0.
        The first mark is in steps ``[0, T // 2)``, the second in ``[T // 2, T)``.
    y : ndarray of shape (N, 1), float64
        The sum of the two marked values, in [0, 2).

    Notes
    -----
    The baseline: always predicting 1 (the mean of y) gives an MSE equal to the variance of a
    sum of two independent U(0, 1) values, 2 / 12 ~ 0.167. A model has learnt something only
    when its MSE is well below that.
    """
    n = check_positive_int("n", n, 1)
    T = check_positive_int("T", T, 2)
    rng = check_rng(rng)
    half = T // 2
    values = rng.random((n, T))
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    rows = np.arange(n)
    marker = np.zeros((n, T))
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    x = np.stack([values, marker], axis=2)  # (N, T, 2)
    y = (values[rows, first] + values[rows, second])[:, None]  # (N, 1)
    return x, y


def copy_task_delimiter_index(n_symbols: int) -> int:
    """The input index of the delimiter ("now write") token in :func:`copy_task`; also D - 1."""
    return check_positive_int("n_symbols", n_symbols, 1) + 1


def copy_task(n: int, seq_len: int, gap: int, n_symbols: int,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The copy task (after Hochreiter & Schmidhuber, 1997; Arjovsky et al., 2016).

    The model reads ``seq_len`` random symbols, then ``gap`` blanks, then a delimiter; during the
    ``seq_len`` steps after the delimiter it must output the symbols in order. At every other
    step the target is the blank class.

    Parameters
    ----------
    n : int
        Number of sequences N, >= 1.
    seq_len : int
        Number of symbols to copy, >= 1.
    gap : int
        Number of blank steps between the symbols and the delimiter, >= 0.
    n_symbols : int
        Size of the alphabet, >= 1.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    x : ndarray of shape (N, T, D), float64
        One-hot input tokens, with ``T = 2 * seq_len + gap + 1`` and ``D = n_symbols + 2``.
    y : ndarray of shape (N, T), int64
        Target class at every step, in ``[0, K)`` with ``K = n_symbols + 1``: ``COPY_BLANK``
        (0) everywhere except the last ``seq_len`` steps, where ``y[:, -seq_len:]`` equals the
        symbols of ``x[:, :seq_len]``.

    Notes
    -----
    Token layout along D: index 0 is the blank (:data:`COPY_BLANK`), indices ``1 ... n_symbols``
    the symbols, index ``n_symbols + 1`` the delimiter (:func:`copy_task_delimiter_index`). Target
    classes use the same numbering without the delimiter, so the symbol at input index s has
    class s.

    Time layout: symbols at steps ``[0, seq_len)``, blanks at ``[seq_len, seq_len + gap)``,
    the delimiter at step ``seq_len + gap``, blanks at the remaining ``seq_len`` steps.

    A memoryless baseline outputs blank until the delimiter, then random symbols; its mean
    cross-entropy is ``seq_len * log(n_symbols) / T``.
    """
    n = check_positive_int("n", n, 1)
    seq_len = check_positive_int("seq_len", seq_len, 1)
    gap = check_positive_int("gap", gap, 0)
    delimiter = copy_task_delimiter_index(n_symbols)
    rng = check_rng(rng)
    T, D = 2 * seq_len + gap + 1, n_symbols + 2
    symbols = rng.integers(1, n_symbols + 1, size=(n, seq_len), dtype=np.int64)  # (N, seq_len)
    tokens = np.full((n, T), COPY_BLANK, dtype=np.int64)
    tokens[:, :seq_len] = symbols
    tokens[:, seq_len + gap] = delimiter
    x = np.zeros((n, T, D))
    np.put_along_axis(x, tokens[:, :, None], 1.0, axis=2)
    y = np.full((n, T), COPY_BLANK, dtype=np.int64)
    y[:, T - seq_len:] = symbols
    return x, y
