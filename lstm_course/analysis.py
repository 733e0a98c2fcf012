"""Measurements of gradient flow through time, for plain RNNs and LSTMs.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size.

A loss that reads only the last hidden state h_T sends a gradient back through the
sequence. How large is it when it reaches step T - k, k steps ("the lag") earlier? For a
tanh RNN every step multiplies it by W_hh diag(1 - h_t^2), so it shrinks or grows
geometrically (lesson 02). An LSTM adds a second route, along the cell state, where each
step multiplies it only by the forget gate, elementwise (lessons 03 and 09).

Nothing here re-derives backpropagation: the gradients come from the package's own
`rnn_step_backward` and `lstm_step_backward`, called once per step from T down to 1 with
an upstream gradient on h_T only. Results indexed by *lag* have T + 1 entries,
k = 0, 1, ..., T, where lag k refers to step T - k (lag T is the initial state).

- :func:`backprop_from_last_step`: dL/dh_t (and dL/dc_t) at every step, by time.
- :func:`hidden_gradient_norms`: ||dh_T/dh_{T-k}|| (or ||dL/dh_{T-k}||) for every lag.
- :func:`cell_path_gradient`: dc_T/dc_{T-k} along the cell path alone, the product of the
  forget gates, for every lag.
- :func:`forget_gate_product`: that product, computed from the forget gates themselves.
- :func:`gradient_bound`: the bound (gamma * lambda_1)^k of Pascanu, Mikolov & Bengio (2013).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .lstm import LSTMParams, lstm_step_backward, lstm_step_forward
from .rnn import RNNParams, rnn_step_backward, rnn_step_forward
from .validation import as_real_array, check_instance, check_ndim, check_rng, check_shape, check_state

__all__ = [
    "StateGradients", "backprop_from_last_step", "hidden_gradient_norms", "cell_path_gradient",
    "forget_gate_product", "gradient_bound", "largest_singular_value", "gradient_routes",
]

WRT = ("h", "c", "state")
PATHS = ("all", "hidden", "cell")


class StateGradients(NamedTuple):
    """Gradients on the states of every step, indexed by time t = 0 (initial state) .. T.

    dh : ndarray of shape (N, T + 1, H)
        dh[:, t] = dL/dh_t.
    dc : ndarray of shape (N, T + 1, H), or None for an RNN
        dc[:, t] = dL/dc_t.
    dx : ndarray of shape (N, T, D)
        dx[:, t - 1] = dL/dx_t, the gradient on the input of step t.

    The states of step t are treated as the independent inputs of step t + 1, so for an
    LSTM dL/dh_t holds c_t fixed and dL/dc_t holds h_t fixed (exactly what
    `lstm_step_backward` returns as dh_prev and dc_prev). The loss reads h_T only, so
    dc[:, T] is zero unless a gradient on c_T is given.
    """

    dh: np.ndarray
    dc: np.ndarray | None
    dx: np.ndarray


# ---------------------------------------------------------------------------------------
# Input checks

def _check_cell(params):
    if not isinstance(params, (RNNParams, LSTMParams)):
        raise TypeError(f"params must be an RNNParams or an LSTMParams (from init_rnn_params or "
                        f"init_lstm_params), got {type(params).__name__}")
    return params


def _check_x(x, params):
    x = check_ndim("x", as_real_array("x", x, params.dtype), 3, "(N, T, D)")
    N, T, D = x.shape
    if N == 0 or T == 0:
        raise ValueError(f"expected x of shape (N, T, D) with N >= 1 and T >= 1, got {x.shape}")
    return check_shape("x", x, (N, T, params.D), "(N, T, D)")


# ---------------------------------------------------------------------------------------
# The forward pass, one step at a time, keeping every step's cache

def _forward_caches(params, x, h0, c0):
    """Caches of every step (a list of T step caches) from the package's step functions."""
    N, T, _ = x.shape
    h = check_state("h0", h0, N, params.H, params.dtype)
    caches = []
    if isinstance(params, RNNParams):
        if c0 is not None:
            raise ValueError("c0 is only for an LSTM; a plain RNN has no cell state")
        for t in range(T):
            h, cache = rnn_step_forward(x[:, t], h, params)
            caches.append(cache)
    else:
        c = check_state("c0", c0, N, params.H, params.dtype)
        for t in range(T):
            h, c, cache = lstm_step_forward(x[:, t], h, c, params)
            caches.append(cache)
    return caches


def _backward(params, caches, dh_last, dc_last, path="all"):
    """Step backward from T to 1; returns dh, dc (or None), dx indexed by time."""
    T = len(caches)
    N, H = dh_last.shape
    D = params.D
    dh_all = np.empty((N, T + 1, H), dtype=params.dtype)
    dx_all = np.empty((N, T, D), dtype=params.dtype)
    dh_all[:, T] = dh_last
    if isinstance(params, RNNParams):
        dh = dh_last
        for t in reversed(range(T)):
            dx_all[:, t], dh, _ = rnn_step_backward(dh, caches[t])
            dh_all[:, t] = dh
        return dh_all, None, dx_all
    dc_all = np.empty((N, T + 1, H), dtype=params.dtype)
    dc_all[:, T] = dc_last
    dh, dc = dh_last, dc_last
    for t in reversed(range(T)):
        dx_all[:, t], dh, dc, _ = lstm_step_backward(dh, dc, caches[t])
        dh_all[:, t], dc_all[:, t] = dh, dc
        if path == "hidden":  # cut the link c_{t-1} -> c_t: only the hidden route is left
            dc = np.zeros_like(dc)
        elif path == "cell":  # cut the link h_{t-1} -> step t: only the lane is left
            dh = np.zeros_like(dh)
    return dh_all, dc_all, dx_all


# ---------------------------------------------------------------------------------------
# Public functions

def backprop_from_last_step(params, x, dh_last, h0=None, c0=None, dc_last=None):
    """Backpropagate a gradient given on the last hidden state to every earlier state.

    Parameters
    ----------
    params : RNNParams or LSTMParams
    x : ndarray of shape (N, T, D)
        The input sequences.
    dh_last : ndarray of shape (N, H)
        dL/dh_T, the gradient of a loss that reads the last hidden state.
    h0 : ndarray of shape (N, H), optional
        Initial hidden state (zeros if None).
    c0 : ndarray of shape (N, H), optional
        Initial cell state of an LSTM (zeros if None); an error for an RNN.
    dc_last : ndarray of shape (N, H), optional
        dL/dc_T for an LSTM (zeros if None); an error for an RNN.

    Returns
    -------
    StateGradients
        dh (N, T + 1, H), dc (N, T + 1, H) or None, dx (N, T, D), indexed by time.

    Notes
    -----
    The forward pass runs `rnn_step_forward` / `lstm_step_forward` step by step, and the
    backward pass `rnn_step_backward` / `lstm_step_backward`; dh[:, 0] and dx equal what
    `rnn_backward` / `lstm_backward` return for an upstream gradient at the last step only.
    """
    params = _check_cell(params)
    x = _check_x(x, params)
    N, H = x.shape[0], params.H
    if dh_last is None:
        raise TypeError("dh_last must be an array of shape (N, H), got None")
    dh_last = check_state("dh_last", dh_last, N, H, params.dtype)
    if isinstance(params, RNNParams) and dc_last is not None:
        raise ValueError("dc_last is only for an LSTM; a plain RNN has no cell state")
    dc_last = check_state("dc_last", dc_last, N, H, params.dtype) if isinstance(params, LSTMParams) else None
    caches = _forward_caches(params, x, h0, c0)
    return StateGradients(*_backward(params, caches, dh_last, dc_last))


def hidden_gradient_norms(params, x, upstream=None, *, rng=None, h0=None, c0=None, wrt="h",
                          path="all"):
    """How large the gradient from the last hidden state is k steps back, for every lag k.

    Parameters
    ----------
    params : RNNParams or LSTMParams
    x : ndarray of shape (N, T, D)
        The input sequences; one row of the result per sequence.
    upstream : ndarray of shape (N, H), optional
        dL/dh_T for some loss L. The result is then ||dL/dh_{T-k}||.
    rng : numpy.random.Generator, optional
        If given (and `upstream` is None), `upstream` is a random unit vector per sequence,
        drawn from `rng`: a cheap estimate of a typical gradient.
    h0, c0 : ndarray of shape (N, H), optional
        Initial states (zeros if None; c0 for an LSTM only).
    wrt : {"h", "c", "state"}
        Which state the gradient is taken on at step T - k: the hidden state h, the cell
        state c (LSTM only), or both together ("state": the norm of the concatenation
        [dL/dh, dL/dc]; the same as "h" for an RNN).
    path : {"all", "hidden", "cell"}
        "all" follows every route back in time. "hidden" (LSTM only) cuts the direct link
        c_{t-1} -> c_t at every step (except the one out of the state at T - k itself), leaving
        only the route through the hidden states and the gates. "cell" (LSTM only) cuts the
        link h_{t-1} -> step t at every step, leaving only the lane c_{T-k} -> ... -> c_T -> h_T
        (use it with wrt="c"; compare :func:`cell_path_gradient`, which starts on c_T).
        :func:`gradient_routes` compares the three.

    Returns
    -------
    norms : ndarray of shape (N, T + 1), indexed by lag
        norms[n, k] for the state at step T - k. With neither `upstream` nor `rng`, this is
        the spectral norm (largest singular value) of the Jacobian dh_T/d(state)_{T-k}:
        the most that any loss on h_T can see. At lag 0 the Jacobian of h_T is the
        identity (norm 1) and its derivative with respect to c_T is 0.

    Notes
    -----
    The Jacobian is computed by backpropagating the H unit vectors e_1..e_H from h_T, as a
    batch of N * H sequences: exact, but H times the work of one gradient. For a tanh RNN,
    ||dh_T/dh_{T-k}|| <= (gamma * lambda_1)^k with gamma = 1 and lambda_1 the largest
    singular value of W_hh (:func:`gradient_bound`; Pascanu, Mikolov & Bengio 2013).

    Examples
    --------
    >>> from lstm_course.rnn import init_rnn_params
    >>> rng = np.random.default_rng(0)
    >>> p = init_rnn_params(3, 4, rng, recurrent_scale=0.5)
    >>> norms = hidden_gradient_norms(p, rng.standard_normal((2, 6, 3)))
    >>> norms.shape
    (2, 7)
    """
    params = _check_cell(params)
    x = _check_x(x, params)
    if wrt not in WRT:
        raise ValueError(f"wrt must be one of {WRT}, got {wrt!r}")
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    is_rnn = isinstance(params, RNNParams)
    if is_rnn and wrt == "c":
        raise ValueError("wrt='c' needs an LSTM: a plain RNN has no cell state")
    if is_rnn and path != "all":
        raise ValueError(f"path={path!r} needs an LSTM: a plain RNN has only the hidden path")
    if upstream is not None and rng is not None:
        raise ValueError("give upstream or rng, not both")
    N, T, _ = x.shape
    H = params.H
    h0 = check_state("h0", h0, N, H, params.dtype) if h0 is not None else None
    if is_rnn and c0 is not None:
        raise ValueError("c0 is only for an LSTM; a plain RNN has no cell state")
    c0 = check_state("c0", c0, N, H, params.dtype) if c0 is not None else None

    jacobian = upstream is None and rng is None
    if jacobian:  # batch of N * H: sequence n repeated H times, upstream e_1..e_H
        x = np.repeat(x, H, axis=0)
        h0 = None if h0 is None else np.repeat(h0, H, axis=0)
        c0 = None if c0 is None else np.repeat(c0, H, axis=0)
        upstream = np.tile(np.eye(H, dtype=params.dtype), (N, 1))
    elif upstream is None:
        upstream = check_rng(rng).standard_normal((N, H))
        upstream /= np.linalg.norm(upstream, axis=1, keepdims=True)
    else:
        upstream = check_state("upstream", upstream, N, H, params.dtype)

    caches = _forward_caches(params, x, h0, c0)
    dc_last = None if is_rnn else np.zeros_like(upstream)
    dh, dc, _ = _backward(params, caches, upstream, dc_last, path)
    if wrt == "h" or is_rnn:
        grads = dh
    elif wrt == "c":
        grads = dc
    else:
        grads = np.concatenate([dh, dc], axis=2)  # (., T + 1, 2H)
    grads = grads[:, ::-1]  # by lag: index k is step T - k
    if not jacobian:
        return np.linalg.norm(grads, axis=2)
    # grads[n * H + j, k] is row j of the Jacobian dh_T / d(state)_{T-k} of sequence n
    J = grads.reshape(N, H, T + 1, grads.shape[2]).transpose(0, 2, 1, 3)  # (N, T + 1, H, .)
    return np.linalg.norm(J, ord=2, axis=(2, 3))


def gradient_routes(params, x, h0=None, c0=None):
    """The size of dh_T/dc_{T-k} in an LSTM, in full and along its two pure routes, for every lag k.

    A cell state c_{T-k} reaches the last hidden state h_T along many routes. Each step back
    from c_t, a gradient can stay on the lane (times f_t, elementwise) or leave it through h_{t-1}
    and the four layers that read it (a matrix product), and at the next step choose again.
    The Jacobian sums every such route; this function measures the sum and its two pure routes.

    Parameters
    ----------
    params : LSTMParams
    x : ndarray of shape (N, T, D)
    h0, c0 : ndarray of shape (N, H), optional
        Initial states (zeros if None).

    Returns
    -------
    dict of str to ndarray of shape (N, T + 1), indexed by lag
        "full": the spectral norm of dh_T/dc_{T-k}, every route;
        "cell": the lane alone, c_{T-k} -> ... -> c_T -> h_T, a diagonal Jacobian
        diag(o_T * (1 - tanh(c_T)^2) * f_T * ... * f_{T-k+1});
        "hidden": leave the lane at once, c_{T-k} -> c_{T-k+1} -> h_{T-k+1} -> ... -> h_T, and
        never come back.
        As everywhere in this module, the gradient on c_t holds h_t fixed, so lag 0 is zero;
        at lag 1 the three are the same Jacobian, diag(o_T * (1 - tanh(c_T)^2) * f_T). The full
        Jacobian is the sum of the two pure routes and of the *mixed* routes that go back and
        forth between the lane and the hidden states, so it can exceed both.

    Notes
    -----
    Each is computed exactly, from the package's `lstm_step_backward`, by backpropagating the
    H unit vectors from h_T (see :func:`hidden_gradient_norms`, whose `path` argument does the
    cutting).
    """
    check_instance("params", params, LSTMParams,
                   " (the cell state exists only in an LSTM; build one with init_lstm_params)")
    return {path: hidden_gradient_norms(params, x, h0=h0, c0=c0, wrt="c", path=route)
            for path, route in (("full", "all"), ("cell", "cell"), ("hidden", "hidden"))}


def cell_path_gradient(params, x, h0=None, c0=None):
    """dc_T/dc_{T-k} along the cell state alone, for every lag k: a product of forget gates.

    Along the cell path c_{t-1} -> c_t = f_t * c_{t-1} + i_t * g_t, each step multiplies a
    gradient by f_t elementwise, so the Jacobian of this route is diagonal and
    dc_T/dc_{T-k} = f_T * f_{T-1} * ... * f_{T-k+1}.

    Parameters
    ----------
    params : LSTMParams
    x : ndarray of shape (N, T, D)
    h0, c0 : ndarray of shape (N, H), optional
        Initial states (zeros if None).

    Returns
    -------
    products : ndarray of shape (N, T + 1, H), indexed by lag
        products[n, k] is the diagonal of dc_T/dc_{T-k} along the cell path for sequence n;
        products[:, 0] is all ones.

    Notes
    -----
    Computed with `lstm_step_backward(0, dc, cache)`, whose dc_prev is the gradient that
    reaches c_{t-1} from c_t; the gradient it sends to h_{t-1} (the detour through the
    gates) is dropped, which is what "the cell path alone" means. The result equals
    :func:`forget_gate_product` of the forget gates of the last k steps.
    """
    check_instance("params", params, LSTMParams,
                   " (the cell path exists only in an LSTM; build one with init_lstm_params)")
    x = _check_x(x, params)
    N, T, _ = x.shape
    H = params.H
    caches = _forward_caches(params, x, h0, c0)
    products = np.empty((N, T + 1, H), dtype=params.dtype)
    dc = np.ones((N, H), dtype=params.dtype)
    zeros = np.zeros((N, H), dtype=params.dtype)
    products[:, 0] = dc
    for k, t in enumerate(reversed(range(T)), start=1):
        _, _, dc, _ = lstm_step_backward(zeros, dc, caches[t])
        products[:, k] = dc
    return products


def forget_gate_product(f):
    """The product of the forget gates over time: dc_T/dc_0 along the cell path.

    Parameters
    ----------
    f : array of shape (T, N, H)
        Forget-gate values f_1..f_T (time first, as in the lessons' exercise), each in [0, 1].

    Returns
    -------
    ndarray of shape (N, H)
        f_1 * f_2 * ... * f_T elementwise: how much of c_0 (and of a gradient on c_T) survives
        the T steps. Ones for T = 0.

    Examples
    --------
    >>> bool(forget_gate_product(np.full((100, 1, 1), 0.5))[0, 0] == 0.5 ** 100)
    True
    """
    f = check_ndim("f", as_real_array("f", f), 3, "(T, N, H)")
    if f.size and (f.min() < 0 or f.max() > 1):
        raise ValueError(f"forget gates are sigmoid outputs in [0, 1]; got values from "
                         f"{float(f.min()):.3g} to {float(f.max()):.3g}")
    return np.prod(f, axis=0)


def largest_singular_value(W):
    """The largest singular value lambda_1 of a matrix (its spectral norm).

    Parameters
    ----------
    W : array of shape (H, H), for example W_hh

    Returns
    -------
    float
    """
    W = check_ndim("W", as_real_array("W", W), 2, "(H, H)")
    return float(np.linalg.norm(W, ord=2))


def gradient_bound(W_hh, lags, gamma=1.0):
    """The upper bound (gamma * lambda_1)^k on ||dh_T/dh_{T-k}|| for a plain RNN.

    Each step back multiplies the gradient by W_hh diag(phi'(a_t)); with |phi'| <= gamma
    (gamma = 1 for tanh, 1/4 for the sigmoid), its norm is at most gamma * lambda_1, where
    lambda_1 is the largest singular value of W_hh. So lambda_1 < 1 / gamma is sufficient
    for the gradient to vanish geometrically (Pascanu, Mikolov & Bengio 2013); lambda_1 >
    1 / gamma is necessary, not sufficient, for it to explode.

    Parameters
    ----------
    W_hh : array of shape (H, H)
    lags : array of int, shape (L,)
    gamma : float, default 1.0
        A bound on the derivative of the activation.

    Returns
    -------
    ndarray of shape (L,)
    """
    lam = largest_singular_value(W_hh)
    lags = as_real_array("lags", lags)
    if lags.ndim != 1 or (lags < 0).any():
        raise ValueError(f"expected lags of shape (L,) with values >= 0, got shape {lags.shape}")
    gamma = float(gamma)
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    return (gamma * lam) ** lags
