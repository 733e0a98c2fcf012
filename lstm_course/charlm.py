"""A character-level language model: embedding -> LSTM (or tanh RNN) layers -> linear -> softmax.

Letters used in shapes: N batch (parallel streams), T time steps of a chunk, V characters in the
vocabulary, E embedding size, H hidden size.

    e_t = embed[x_t]                               (N, E)   a learned vector per character
    h_t = cell(e_t, state_{t-1})                    (N, H)   one or more LSTM (or RNN) layers
    z_t = h_t W_out + b_out                         (N, V)   a score per possible next character
    p(x_{t+1} = k | x_1..x_t) = softmax(z_t)_k

The loss is the cross-entropy of the next character, averaged over positions; divided by ln 2 it
is the number of *bits per character* (bpc) a coder using the model would spend.

**Truncated backpropagation through time.** A text is far longer than any sequence we can
backpropagate through, so it is read in chunks of T characters (`lstm_course.text.iter_chunks`):

- the *state* (h, c of every layer) at the end of one chunk is the initial state of the next, so
  the model reads the text as one continuous sequence and can use context older than T;
- the *gradient* stops at the chunk's start: `charlm_backward` returns the gradient on the initial
  state, and training drops it instead of sending it into the previous chunk. The cost of a
  step stays that of T characters, however far into the text we are.

A state is a tuple with one entry per layer: ``(h, c)`` for an LSTM layer, ``(h,)`` for an RNN
layer, each of shape (N, H).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from typing import Any, NamedTuple

import numpy as np

from .losses import softmax, softmax_cross_entropy
from .lstm import LSTMParams, init_lstm_params, lstm_backward, lstm_forward
from .optim import clip_grad_norm
from .text import iter_chunks, make_streams
from .rnn import RNNParams, init_rnn_params, rnn_backward, rnn_forward
from .validation import as_real_array, check_instance, check_positive_int, check_shape

__all__ = ["CharLMParams", "CharLMCache", "init_charlm", "count_params", "zero_state",
           "charlm_forward", "charlm_backward", "chunk_loss_and_grads", "train_step",
           "sample_next", "generate", "evaluate_text", "lstm_internals", "train_charlm"]

LN2 = math.log(2.0)
KINDS = ("lstm", "rnn")


@dataclasses.dataclass(frozen=True, eq=False)
class CharLMParams:
    """The weights of a character language model.

    embed : ndarray of shape (V, E), one row per character
    cells : tuple of LSTMParams or RNNParams, one per layer (layer 1 reads the embedding, layer
        k > 1 reads layer k-1's hidden states)
    W_out : ndarray of shape (H, V); b_out : ndarray of shape (V,), the read-out of the last layer
    """

    embed: np.ndarray
    cells: tuple
    W_out: np.ndarray
    b_out: np.ndarray

    def __post_init__(self):
        cells = tuple(self.cells)
        if not cells:
            raise ValueError("expected at least one layer in cells")
        kinds = {type(c) for c in cells}
        if len(kinds) != 1 or not kinds <= {LSTMParams, RNNParams}:
            raise TypeError(f"expected cells all LSTMParams or all RNNParams, got {[type(c).__name__ for c in cells]}")
        dtype = cells[0].dtype
        embed = as_real_array("embed", self.embed, dtype)
        if embed.ndim != 2:
            raise ValueError(f"expected embed of shape (V, E), got {embed.shape}")
        V, E = embed.shape
        inputs = E
        for k, cell in enumerate(cells):
            if cell.D != inputs:
                raise ValueError(f"expected layer {k + 1} to read {inputs} inputs, its weights read {cell.D}")
            inputs = cell.H
        W_out = check_shape("W_out", as_real_array("W_out", self.W_out, dtype), (inputs, V), "(H, V)")
        b_out = check_shape("b_out", as_real_array("b_out", self.b_out, dtype), (V,), "(V,)")
        for name, value in (("embed", embed), ("cells", cells), ("W_out", W_out), ("b_out", b_out)):
            object.__setattr__(self, name, value)

    @property
    def kind(self) -> str:
        """"lstm" or "rnn"."""
        return "lstm" if isinstance(self.cells[0], LSTMParams) else "rnn"

    @property
    def V(self) -> int:
        return self.embed.shape[0]

    @property
    def H(self) -> int:
        """The hidden size of the last layer."""
        return self.cells[-1].H

    @property
    def dtype(self):
        return self.embed.dtype


class CharLMCache(NamedTuple):
    x: np.ndarray  # (N, T) the input ids
    layer_caches: tuple  # one LSTMCache / RNNCache per layer
    h_top: np.ndarray  # (N, T, H) the last layer's hidden states
    params: CharLMParams


def init_charlm(kind: str, V: int, E: int, H: int, rng: np.random.Generator, layers: int = 1,
                forget_bias: float = 1.0, dtype=np.float64) -> CharLMParams:
    """A randomly initialised model, as PyTorch initialises nn.Embedding, nn.LSTM/nn.RNN, nn.Linear.

    Parameters
    ----------
    kind : {"lstm", "rnn"}
    V, E, H : int
        Vocabulary, embedding and hidden sizes.
    rng : numpy.random.Generator
    layers : int, default 1
        Number of stacked recurrent layers.
    forget_bias : float, default 1.0
        Initial forget-gate bias of every LSTM layer.
    dtype : float32 or float64
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    V, E, H = (check_positive_int(n, v) for n, v in (("V", V), ("E", E), ("H", H)))
    layers = check_positive_int("layers", layers)
    check_instance("rng", rng, np.random.Generator, " (use numpy.random.default_rng(seed))")
    embed = rng.standard_normal((V, E)).astype(dtype)  # nn.Embedding: N(0, 1)
    cells = []
    for k in range(layers):
        D = E if k == 0 else H
        if kind == "lstm":
            cells.append(init_lstm_params(D, H, rng, forget_bias=forget_bias, dtype=dtype))
        else:
            cells.append(init_rnn_params(D, H, rng, dtype=dtype))
    bound = 1.0 / math.sqrt(H)  # nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    W_out = rng.uniform(-bound, bound, size=(H, V)).astype(dtype)
    b_out = rng.uniform(-bound, bound, size=V).astype(dtype)
    return CharLMParams(embed, tuple(cells), W_out, b_out)


def count_params(params: CharLMParams) -> int:
    """The number of trained numbers in the model."""
    from .tree import tree_size

    return tree_size(params)


def zero_state(params: CharLMParams, N: int) -> tuple:
    """The all-zero state for N streams: ((h, c), ...) for an LSTM, ((h,), ...) for an RNN."""
    N = check_positive_int("N", N)
    parts = 2 if params.kind == "lstm" else 1
    return tuple(tuple(np.zeros((N, cell.H), dtype=params.dtype) for _ in range(parts))
                 for cell in params.cells)


def _check_ids(x, V, name="x"):
    x = np.asarray(x)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"expected {name} of shape (N, T) of integer character ids, got dtype "
                         f"{x.dtype} shape {x.shape}")
    if x.size and (x.min() < 0 or x.max() >= V):
        raise ValueError(f"expected {name} ids in [0, V) = [0, {V}), got values from {x.min()} to {x.max()}")
    return x


def charlm_forward(params: CharLMParams, x, state=None):
    """Run the model over one chunk.

    Parameters
    ----------
    params : CharLMParams
    x : int ndarray of shape (N, T), character ids
    state : tuple, optional
        The state to start from (the final state of the previous chunk); zeros if None.

    Returns
    -------
    logits : ndarray of shape (N, T, V)
        Scores of the next character at every position.
    state : tuple
        The state after the last character, to start the next chunk with.
    cache : CharLMCache
        For `charlm_backward`.
    """
    check_instance("params", params, CharLMParams)
    x = _check_ids(x, params.V)
    N, T = x.shape
    if state is None:
        state = zero_state(params, N)
    if len(state) != len(params.cells):
        raise ValueError(f"expected a state with one entry per layer ({len(params.cells)}), got {len(state)}")
    inputs = params.embed[x]  # (N, T, E)
    caches, new_state = [], []
    for cell, layer_state in zip(params.cells, state):
        if params.kind == "lstm":
            h, c, cache = lstm_forward(inputs, layer_state[0], layer_state[1], cell)
            new_state.append((h[:, -1].copy(), c[:, -1].copy()))
        else:
            h, cache = rnn_forward(inputs, layer_state[0], cell)
            new_state.append((h[:, -1].copy(),))
        caches.append(cache)
        inputs = h  # (N, T, H): the next layer reads this layer's hidden states
    H = params.H
    logits = (inputs.reshape(N * T, H) @ params.W_out).reshape(N, T, params.V)  # 2-D products are faster
    logits += params.b_out  # (N, T, V)
    return logits, tuple(new_state), CharLMCache(x, tuple(caches), inputs, params)


def charlm_backward(dlogits, cache: CharLMCache, dstate_last=None):
    """Backpropagation through one chunk.

    Parameters
    ----------
    dlogits : ndarray of shape (N, T, V)
        Gradient of the loss on the logits.
    cache : CharLMCache
    dstate_last : tuple, optional
        Gradient on the chunk's final state, with the structure of a state. Truncated BPTT
        leaves it None (zero): nothing flows back from the next chunk. Full BPTT would pass the
        next chunk's `dstate0` here.

    Returns
    -------
    dparams : CharLMParams
        Gradients of every weight (new arrays).
    dstate0 : tuple
        Gradient on the chunk's initial state. Truncated BPTT drops it: this is the cut.
    """
    check_instance("cache", cache, CharLMCache, " (the third value charlm_forward returns)")
    params, x = cache.params, cache.x
    N, T = x.shape
    dlogits = check_shape("dlogits", as_real_array("dlogits", dlogits, params.dtype), (N, T, params.V),
                          "(N, T, V)")
    H = params.H
    dW_out = cache.h_top.reshape(N * T, H).T @ dlogits.reshape(N * T, -1)
    db_out = dlogits.sum(axis=(0, 1))
    dh = (dlogits.reshape(N * T, -1) @ params.W_out.T).reshape(N, T, H)
    dcells, dstate0 = [None] * len(params.cells), [None] * len(params.cells)
    for k in reversed(range(len(params.cells))):
        last = None if dstate_last is None else dstate_last[k]
        if last is not None:  # the final hidden state also feeds the next chunk
            dh = dh.copy()
            dh[:, -1] += last[0]
        if params.kind == "lstm":
            dx, dh0, dc0, dcells[k] = lstm_backward(dh, cache.layer_caches[k],
                                                     None if last is None else last[1])
            dstate0[k] = (dh0, dc0)
        else:
            dx, dh0, dcells[k] = rnn_backward(dh, cache.layer_caches[k])
            dstate0[k] = (dh0,)
        dh = dx  # gradient on the inputs of layer k = on the hidden states of layer k-1
    # embed[x] picked rows; its gradient adds each position's dx into its character's row. As a
    # product with the one-hot matrix (N*T, V), rows of repeated characters add up.
    onehot = np.zeros((N * T, params.V), dtype=dh.dtype)
    onehot[np.arange(N * T), x.reshape(-1)] = 1.0
    dembed = onehot.T @ dh.reshape(N * T, -1)  # (V, E)
    dparams = CharLMParams(dembed, tuple(dcells), dW_out, db_out)
    return dparams, tuple(dstate0)


def chunk_loss_and_grads(params: CharLMParams, x, y, state=None):
    """Forward and backward over one chunk: (loss in nats, dparams, final state).

    `y` (N, T) holds the next character of each position of `x`. The final state is returned
    for the next chunk; the gradient on the initial state is dropped (the truncation).
    """
    logits, new_state, cache = charlm_forward(params, x, state)
    loss, dlogits = softmax_cross_entropy(logits, _check_ids(y, params.V, "y"))
    dparams, _ = charlm_backward(dlogits, cache)  # the gradient on the initial state stops here
    return loss, dparams, new_state


def train_step(params: CharLMParams, x, y, state, optimizer, clip_norm: float | None = 5.0):
    """One truncated-BPTT step: forward, backward, clip, update.

    Returns
    -------
    params : CharLMParams (new), loss : float (nats per character), state : tuple, grad_norm : float
    """
    loss, dparams, new_state = chunk_loss_and_grads(params, x, y, state)
    if clip_norm is not None:
        dparams, norm = clip_grad_norm(dparams, clip_norm)
    else:
        from .tree import tree_global_norm

        norm = tree_global_norm(dparams)
    return optimizer.step(params, dparams), loss, new_state, norm


# ---------------------------------------------------------------------------------------
# Measuring held-out text

def evaluate_text(params: CharLMParams, ids, chunk: int = 256, per_char: bool = False):
    """Bits per character of the model on a text read as one stream, the state carried throughout.

    Parameters
    ----------
    ids : int ndarray of shape (L,)
        The text; the model predicts characters 2..L, each from all the characters before it.
    chunk : int
        Characters per forward call (only memory depends on it: the state is carried).
    per_char : bool
        Also return the loss in bits of each predicted character, shape (L - 1,).

    Returns
    -------
    bpc : float, or (bpc, bits) when per_char
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"expected a 1-D array of at least 2 character ids, got shape {ids.shape}")
    state, bits = None, []
    for start in range(0, len(ids) - 1, chunk):
        stop = min(start + chunk, len(ids) - 1)
        logits, state, _ = charlm_forward(params, ids[None, start:stop], state)
        z = logits[0].astype(np.float64)
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        target = ids[start + 1:stop + 1]
        bits.append((log_norm - z[np.arange(len(target)), target]) / LN2)
    bits = np.concatenate(bits)
    bpc = float(bits.mean())
    return (bpc, bits) if per_char else bpc


# ---------------------------------------------------------------------------------------
# Sampling

def sample_next(logits, temperature: float, rng: np.random.Generator) -> int:
    """Draw one character id from softmax(logits / temperature).

    Parameters
    ----------
    logits : ndarray of shape (V,)
    temperature : float > 0
        Below 1 sharpens the distribution (towards the most likely character), above 1 flattens
        it (towards uniform). The division comes *before* the softmax.
    rng : numpy.random.Generator
    """
    temperature = float(temperature)
    if not temperature > 0 or not math.isfinite(temperature):
        raise ValueError(f"expected a temperature > 0, got {temperature}")
    p = softmax(np.asarray(logits, dtype=np.float64) / temperature)
    # Inverse CDF with one uniform number: the same draw as rng.choice(V, p=p), simpler to follow.
    k = int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))
    return min(k, len(p) - 1)


def generate(params: CharLMParams, vocab, length: int, rng: np.random.Generator, temperature: float = 1.0,
             prime: str = "\n") -> str:
    """Sample `length` characters after reading the text `prime`.

    The model first reads `prime` (its state then summarises it), then repeatedly draws a
    character with `sample_next` and reads it back as its next input.
    """
    length = check_positive_int("length", length, minimum=0)
    if not prime:
        raise ValueError("expected a non-empty prime text (the model needs a first character)")
    ids = vocab.encode(prime)
    logits, state, _ = charlm_forward(params, ids[None, :], None)
    out = []
    for _ in range(length):
        k = sample_next(logits[0, -1], temperature, rng)
        out.append(k)
        logits, state, _ = charlm_forward(params, np.array([[k]]), state)
    return vocab.decode(np.array(out, dtype=np.int64))


# ---------------------------------------------------------------------------------------
# Looking inside

def lstm_internals(params: CharLMParams, ids, layer: int = 0) -> dict:
    """Every gate, cell and hidden value of one LSTM layer over a text read as one stream.

    Parameters
    ----------
    ids : int ndarray of shape (L,)
    layer : int, default 0

    Returns
    -------
    dict of arrays of shape (L, H): "i", "f", "g", "o" (the gates at each character, computed
    from the layer's inputs and h_{t-1}), "c" and "h".
    """
    if params.kind != "lstm":
        raise ValueError("lstm_internals needs an LSTM model")
    ids = np.asarray(ids)
    inputs = params.embed[ids][None]  # (1, L, E)
    for k in range(layer + 1):
        h, c, _ = lstm_forward(inputs, None, None, params.cells[k])
        if k < layer:
            inputs = h
    cell = params.cells[layer]
    x = inputs[0]  # (L, D)
    h_prev = np.vstack([np.zeros((1, cell.H), dtype=h.dtype), h[0, :-1]])  # (L, H)
    sigmoid = lambda a: 0.5 * (1.0 + np.tanh(0.5 * a))  # noqa: E731 (exact and overflow-free)
    out = {}
    for gate in ("i", "f", "g", "o"):
        a = x @ getattr(cell, f"W_x{gate}") + h_prev @ getattr(cell, f"W_h{gate}") + getattr(cell, f"b_{gate}")
        out[gate] = np.tanh(a) if gate == "g" else sigmoid(a)
    out["c"], out["h"] = c[0], h[0]
    return out


def train_charlm(params: CharLMParams, ids, *, steps: int, N: int, T: int, optimizer, rng: np.random.Generator,
                 clip_norm: float | None = 5.0, reset_state: bool = False, callback=None, progress=None):
    """Train with truncated BPTT for `steps` chunks, walking along N streams of the text `ids`.

    Each pass over the text starts the streams at a random offset in [0, T) (so chunk boundaries
    move from pass to pass) and from the zero state; within a pass the state is carried from
    chunk to chunk, unless `reset_state` (the mistake the lesson measures).

    Parameters
    ----------
    params : CharLMParams
    ids : int ndarray of shape (L,), the training text
    steps, N, T : int
        Number of updates, streams (batch size) and characters per chunk.
    optimizer : an optimizer with ``step(params, grads) -> params`` (e.g. `optim.Adam`)
    rng : numpy.random.Generator
    clip_norm : float or None, default 5.0
        Gradient-norm clipping.
    callback : callable ``callback(step, params)`` or None
        Called after every step (for evaluations along the way).
    progress : str or None
        A label: print step, loss and characters per second to stderr every few seconds.

    Returns
    -------
    params : CharLMParams
    losses : ndarray of shape (steps,), the training loss of each chunk in bits per character
    """
    steps, N, T = (check_positive_int(n, v) for n, v in (("steps", steps), ("N", N), ("T", T)))
    ids = np.asarray(ids)
    report = _Progress(progress) if progress else None
    losses, step, chars = [], 0, 0
    while step < steps:
        streams = make_streams(ids[int(rng.integers(T)):], N)
        state = None  # a new pass starts from the zero state
        for x, y in iter_chunks(streams, T):
            if reset_state:
                state = None
            params, loss, state, _ = train_step(params, x, y, state, optimizer, clip_norm)
            losses.append(loss / LN2)
            step += 1
            chars += x.size
            if callback is not None:
                callback(step, params)
            if report is not None:
                report(step, steps, float(np.mean(losses[-50:])), chars, force=step == steps)
            if step >= steps:
                break
    return params, np.array(losses)


class _Progress:
    """A one-line progress report on stderr: step, loss, characters per second."""

    def __init__(self, label: str, every: float = 5.0, stream=None):
        self.label, self.every, self.stream = label, every, stream or sys.stderr
        self.started = self.last = time.perf_counter()

    def __call__(self, step, total, loss_bits, chars, force=False):
        now = time.perf_counter()
        if not force and now - self.last < self.every:
            return
        self.last = now
        rate = chars / max(now - self.started, 1e-9)
        print(f"{self.label} step {step}/{total} loss {loss_bits:.3f} bpc {rate:,.0f} chars/s",
              file=self.stream, flush=True)

