"""Text as numbers: the course's English text, its characters, and the streams a language model reads.

Letters used in shapes: N the number of parallel streams (the batch), T the length of a chunk,
V the number of distinct characters (the vocabulary).

The text is `data/python_docs.txt`: the Python tutorial and FAQ (see `data/README.md`). It is
split *by position*, never shuffled, so that held-out text is text the model has never read:

    train = the first 90 %,  validation = the next 5 %,  test = the last 5 %.

A language model reads the training text as N long streams side by side (row n is the n-th
stretch of L = len // N characters) and walks along them in chunks of T characters; the target
of each character is the next one.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .validation import check_positive_int

__all__ = ["CORPUS_SHA256", "SPLIT_FRACTIONS", "corpus_path", "load_corpus", "Vocabulary",
           "split_by_position", "make_streams", "iter_chunks"]

#: The SHA-256 of the committed text (scripts/make_text_corpus.py prints it).
CORPUS_SHA256 = "0ead980f12a2b785f33091b0a784404af909b44f39ca4c33414bcca834d89ca1"
#: Fractions of the text for training, validation and test, in this order along the text.
SPLIT_FRACTIONS = (0.90, 0.05, 0.05)


def corpus_path() -> Path:
    """Where the text is: ``data/python_docs.txt`` beside the package."""
    return Path(__file__).resolve().parents[1] / "data" / "python_docs.txt"


def load_corpus(path: Path | None = None) -> str:
    """The committed English text as one string (printable ASCII and newlines).

    Raises FileNotFoundError or ValueError (with what to do) if the file is missing or changed.
    """
    path = corpus_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no text at {path}: it comes with a clone of the course "
                                "(scripts/make_text_corpus.py remakes it)")
    data = path.read_bytes()
    if path == corpus_path() and hashlib.sha256(data).hexdigest() != CORPUS_SHA256:
        raise ValueError(f"{path} is not the committed text (its SHA-256 differs): "
                         "restore it with git or scripts/make_text_corpus.py")
    return data.decode("ascii")


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """The characters a model knows, each with an integer id (its position in `chars`).

    Attributes
    ----------
    chars : str
        The distinct characters, sorted, so that ids do not depend on where a character first
        appears.
    """

    chars: str

    def __post_init__(self):
        if not isinstance(self.chars, str) or not self.chars:
            raise ValueError(f"expected a non-empty string of characters, got {self.chars!r}")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("expected distinct characters in the vocabulary")
        object.__setattr__(self, "_ids", {ch: k for k, ch in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        """The vocabulary of every character that occurs in `text`."""
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        """V, the number of characters."""
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of `text`: int64 array of shape (len(text),).

        Raises ValueError naming the characters that are not in the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"expected a str, got {type(text).__name__}")
        ids = self._ids
        unknown = sorted({ch for ch in text if ch not in ids})
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r} "
                             f"(the vocabulary has {self.size} characters)")
        return np.fromiter((ids[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """The text of a sequence of ids (any integer array of shape (L,))."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"expected a 1-D array of integer ids, got dtype {ids.dtype} shape {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"expected ids in [0, {self.size}), got values from {ids.min()} to {ids.max()}")
        return "".join(self.chars[k] for k in ids)


def split_by_position(ids: np.ndarray, fractions=SPLIT_FRACTIONS) -> tuple[np.ndarray, ...]:
    """Cut a sequence into consecutive parts (train, validation, test) of the given fractions.

    Parameters
    ----------
    ids : ndarray of shape (L,)
    fractions : sequence of floats summing to 1, default (0.90, 0.05, 0.05)

    Returns
    -------
    tuple of ndarray views, one per fraction, in order along the sequence.
    """
    fractions = np.asarray(fractions, dtype=float)
    if fractions.ndim != 1 or np.any(fractions <= 0) or abs(fractions.sum() - 1) > 1e-9:
        raise ValueError(f"expected positive fractions summing to 1, got {fractions.tolist()}")
    ids = np.asarray(ids)
    cuts = np.round(np.cumsum(fractions)[:-1] * len(ids)).astype(int)
    return tuple(np.split(ids, cuts))


def make_streams(ids: np.ndarray, N: int) -> np.ndarray:
    """Lay a sequence out as N parallel streams: row n holds characters [n L, (n + 1) L).

    Parameters
    ----------
    ids : ndarray of shape (L_total,)
    N : int
        The number of streams (the batch size).

    Returns
    -------
    ndarray of shape (N, L) with L = L_total // N (the last L_total % N characters are dropped).
    """
    N = check_positive_int("N", N)
    ids = np.asarray(ids)
    L = len(ids) // N
    if L < 2:
        raise ValueError(f"expected at least 2 N = {2 * N} characters for {N} streams, got {len(ids)}")
    return ids[:N * L].reshape(N, L)


def iter_chunks(streams: np.ndarray, T: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Walk along the streams in chunks: yield (x, y), each of shape (N, T) (the last may be shorter).

    ``y`` is ``x`` one character later: ``x = streams[:, s:s+T]``, ``y = streams[:, s+1:s+T+1]``.
    Consecutive chunks follow each other, so the state a model ends one chunk with is the
    right state to start the next one with.
    """
    T = check_positive_int("T", T)
    L = streams.shape[1]
    for start in range(0, L - 1, T):
        stop = min(start + T, L - 1)
        yield streams[:, start:stop], streams[:, start + 1:stop + 1]
