"""LSTM variants: the standard cell with one switch turned, forward and backward.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size, K outputs.

Every variant is the step of :mod:`lstm_course.lstm` written out gate by gate, with switches
(`VariantFlags`)::

    i_t = sigmoid(x_t W_xi + h_{t-1} W_hi + b_i [+ p_i * c_{t-1}])     or 1        (NIG)
    f_t = sigmoid(x_t W_xf + h_{t-1} W_hf + b_f [+ p_f * c_{t-1}])     or 1        (NFG)
                                                                        or 1 - i_t  (CIFG)
    g_t =    tanh(x_t W_xg + h_{t-1} W_hg + b_g)                or the sum itself   (NIAF)
                                                                   or its sigmoid   (lesson 05)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(x_t W_xo + h_{t-1} W_ho + b_o [+ p_o * c_t])         or 1        (NOG)
    h_t = o_t * tanh(c_t)                                       or o_t * c_t        (NOAF)

The bracketed terms are the peephole connections of Gers & Schmidhuber (2000): the gates look
at the cell through a diagonal weight (a vector p, multiplied elementwise), the input and forget
gates at c_{t-1}, the output gate at the new c_t.

Which LSTM is "the" LSTM? Greff et al. (2017, "LSTM: A Search Space Odyssey") call the cell
*with* peepholes the vanilla LSTM (here ``"peepholes"``) and name each variant by what it takes
away from it: NIG, NFG, NOG (no input, forget, output gate), NIAF and NOAF (no input or output
activation function), CIFG (coupled input and forget gate), NP (no peepholes). PyTorch's
``nn.LSTM``, cuDNN's and ours (:mod:`lstm_course.lstm`, here ``"full"``) have *no* peepholes: our
standard cell is Greff's NP. Our other variants take their part away from that standard cell,
so they have no peepholes either (Greff's had).

A variant ignores the weights of the part it removes (``"no_input_gate"`` never reads W_xi,
W_hi, b_i; ``"cifg"`` never reads the forget gate's); their gradients are zero, so one
`LSTMParams` and one optimizer serve every variant. The peephole variant needs three more
vectors: `PeepholeParams` (build one with `add_peepholes`).

    h, c, cache = variant_forward(x, h0, c0, params, "cifg")
    dx, dh0, dc0, dparams = variant_backward(dh, cache)
    loss_fn = make_variant_loss_fn("no_output_tanh")   # for train.train, like model.make_loss_fn
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np

from . import losses
from .activations import sigmoid
from .lstm import LSTMParams
from .validation import as_real_array, check_instance, check_ndim, check_sequence, check_shape

__all__ = ["VARIANTS", "GREFF_NAMES", "VariantFlags", "PeepholeParams", "VariantStepCache", "VariantCache",
           "add_peepholes", "variant_flags", "variant_step_forward", "variant_step_backward",
           "variant_forward", "variant_backward", "make_variant_loss_fn", "count_variant_params"]


class VariantFlags(NamedTuple):
    """The switches; the standard LSTM ("full") has the defaults."""
    input_gate: bool = True  # False: i = 1, every step writes its whole candidate (NIG)
    forget_gate: bool = True  # False: f = 1, the cell never forgets (NFG)
    output_gate: bool = True  # False: o = 1, the cell always shows itself (NOG)
    coupled: bool = False  # True: f = 1 - i, write only as much as you forget (CIFG)
    candidate: str = "tanh"  # "sigmoid": a write can only add (lesson 05); "identity": no squashing (NIAF)
    output_tanh: bool = True  # False: h = o * c, as large as c is (NOAF)
    peepholes: bool = False  # True: the gates also read the cell (Gers & Schmidhuber 2000)


VARIANTS = {
    "full": VariantFlags(),
    "peepholes": VariantFlags(peepholes=True),
    "cifg": VariantFlags(coupled=True),
    "no_input_gate": VariantFlags(input_gate=False),
    "no_forget_gate": VariantFlags(forget_gate=False),
    "no_output_gate": VariantFlags(output_gate=False),
    "no_input_activation": VariantFlags(candidate="identity"),
    "no_output_tanh": VariantFlags(output_tanh=False),
    "sigmoid_candidate": VariantFlags(candidate="sigmoid"),
}

#: Greff et al.'s (2017) names for our variants. Their "V" (vanilla) has peepholes and their
#: ablations are taken from it; ours are taken from the standard cell without peepholes (their NP).
GREFF_NAMES = {"V": "peepholes", "NP": "full", "CIFG": "cifg", "NIG": "no_input_gate", "NFG": "no_forget_gate",
               "NOG": "no_output_gate", "NIAF": "no_input_activation", "NOAF": "no_output_tanh"}


def variant_flags(variant: str) -> VariantFlags:
    """The `VariantFlags` of a variant name; ValueError naming the valid ones otherwise."""
    if not isinstance(variant, str) or variant not in VARIANTS:
        hint = f" (Greff et al.'s {variant!r} is our {GREFF_NAMES[variant]!r})" if variant in GREFF_NAMES else ""
        raise ValueError(f"unknown LSTM variant {variant!r}{hint}; expected one of "
                         f"{', '.join(map(repr, VARIANTS))}")
    return VARIANTS[variant]


@dataclasses.dataclass(frozen=True, eq=False)
class PeepholeParams:
    """An LSTM cell with peephole connections.

    cell : LSTMParams
        The twelve weights of the standard cell.
    p_i, p_f, p_o : ndarray of shape (H,)
        The peephole weights: c_{t-1} into the input and forget gates, c_t into the output gate.
        Diagonal, as in Gers & Schmidhuber (2000): unit j of a gate sees unit j of the cell only.
    """

    cell: LSTMParams
    p_i: np.ndarray
    p_f: np.ndarray
    p_o: np.ndarray

    def __post_init__(self):
        check_instance("cell", self.cell, LSTMParams, " (the standard cell's weights)")
        H = self.cell.H
        arrays = {name: as_real_array(name, getattr(self, name), self.cell.dtype) for name in ("p_i", "p_f", "p_o")}
        for name, arr in arrays.items():
            object.__setattr__(self, name, check_shape(name, arr, (H,), "(H,)"))

    @property
    def H(self) -> int:
        return self.cell.H

    @property
    def D(self) -> int:
        return self.cell.D

    @property
    def dtype(self) -> np.dtype:
        return self.cell.dtype


def add_peepholes(cell: LSTMParams, p_i=None, p_f=None, p_o=None) -> PeepholeParams:
    """`PeepholeParams` from a standard cell; the peephole weights default to zeros.

    With zero peepholes the cell computes exactly what the standard cell computes; training
    moves them like any other weight (their gradients are not zero).
    """
    check_instance("cell", cell, LSTMParams, " (build one with lstm.init_lstm_params)")
    zeros = lambda: np.zeros(cell.H, dtype=cell.dtype)  # noqa: E731
    return PeepholeParams(cell, zeros() if p_i is None else p_i, zeros() if p_f is None else p_f,
                          zeros() if p_o is None else p_o)


def count_variant_params(variant: str, D: int, H: int) -> int:
    """How many weights a variant uses (those it ignores not counted), for a cell of input D, hidden H."""
    flags = variant_flags(variant)
    layers = 1 + flags.input_gate + (flags.forget_gate and not flags.coupled) + flags.output_gate
    return layers * (D * H + H * H + H) + (3 * H if flags.peepholes else 0)


# ---------------------------------------------------------------------------------------
# Parameters and checks

def _split(params, flags):
    """(LSTMParams, peephole weights or None); TypeError unless params suit the variant."""
    if flags.peepholes:
        check_instance("params", params, PeepholeParams,
                       " for the 'peepholes' variant (build one with add_peepholes(cell))")
        return params.cell, params
    if isinstance(params, PeepholeParams):
        raise TypeError("params are a PeepholeParams, but this variant has no peepholes: pass params.cell")
    return check_instance("params", params, LSTMParams, " (build one with init_lstm_params)"), None


def _check_state(name, value, N, H, dtype):
    if value is None:
        return np.zeros((N, H), dtype=dtype)
    arr = check_ndim(name, as_real_array(name, value, dtype), 2, "(N, H)")
    return check_shape(name, arr, (N, H), "(N, H)")


# ---------------------------------------------------------------------------------------
# One step, given the pre-activations a = x W_x + h_prev W_h + b of the four layers (N, H) each

_CANDIDATE = {"tanh": np.tanh, "sigmoid": sigmoid, "identity": lambda a: a}


def _forward(a_i, a_f, a_g, a_o, c_prev, peep, flags):
    """The gates, c_t, out_t (what o multiplies) and h_t of one step."""
    ones = np.ones_like(c_prev)
    i = sigmoid(a_i + peep.p_i * c_prev if peep else a_i) if flags.input_gate else ones
    if flags.coupled:
        f = 1.0 - i
    elif flags.forget_gate:
        f = sigmoid(a_f + peep.p_f * c_prev if peep else a_f)
    else:
        f = ones
    g = _CANDIDATE[flags.candidate](a_g)
    c = f * c_prev + i * g
    o = sigmoid(a_o + peep.p_o * c if peep else a_o) if flags.output_gate else ones
    out = np.tanh(c) if flags.output_tanh else c
    return i, f, g, o, c, out, o * out


def _backward(dh, dc, c_prev, i, f, g, o, c, out, peep, flags):
    """One step back: from dL/dh_t (all of it) and the dL/dc_t that comes from step t+1.

    Returns the gradients on the four pre-activations (zeros for a removed layer), on c_{t-1},
    and on the peephole vectors (summed over the batch; None without peepholes).
    """
    zero = np.zeros_like(dh)
    da_o = dh * out * o * (1.0 - o) if flags.output_gate else zero  # sigmoid' = s (1 - s)
    dc = dc + dh * o * (1.0 - out * out if flags.output_tanh else 1.0)  # c_t also feeds h_t
    if peep:
        dc = dc + da_o * peep.p_o  # and, with a peephole, the output gate
    di = dc * g
    df = dc * c_prev
    if flags.coupled:
        di = di - df  # f = 1 - i: what reaches f reaches i with the opposite sign
    da_i = di * i * (1.0 - i) if flags.input_gate else zero
    da_f = df * f * (1.0 - f) if flags.forget_gate and not flags.coupled else zero
    dg = dc * i
    da_g = {"tanh": dg * (1.0 - g * g), "sigmoid": dg * g * (1.0 - g), "identity": dg}[flags.candidate]
    dc_prev = dc * f  # the cell path: only a product with the forget gate ...
    dpeep = None
    if peep:
        dc_prev = dc_prev + da_i * peep.p_i + da_f * peep.p_f  # ... and, with peepholes, the gates
        dpeep = ((da_i * c_prev).sum(axis=0), (da_f * c_prev).sum(axis=0), (da_o * c).sum(axis=0))
    return da_i, da_f, da_g, da_o, dc_prev, dpeep


def _grads(x, h_prev, da, dpeep, params, peep):
    """dparams of the same type as `params`; x (M, D), h_prev (M, H), da: "ifgo" -> (M, H)."""
    fields = {}
    for k in "ifgo":
        fields[f"W_x{k}"] = x.T @ da[k]
        fields[f"W_h{k}"] = h_prev.T @ da[k]
        fields[f"b_{k}"] = da[k].sum(axis=0)
    cell = LSTMParams(**fields)
    return PeepholeParams(cell, *dpeep) if peep else cell


def _inputs_times_weights(x, cell, k):
    return x @ getattr(cell, f"W_x{k}") + getattr(cell, f"b_{k}")


class VariantStepCache(NamedTuple):
    """What `variant_step_backward` needs: x (N, D); h_prev, c_prev and the step's i, f, g, o,
    c, out (N, H); params; the variant's name."""
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    out: np.ndarray
    params: Any
    variant: str


class VariantCache(NamedTuple):
    """What `variant_backward` needs, time-major: x (T, N, D); h_prev, c_prev (T, N, H), the
    states before each step; i, f, g, o, c, out (T, N, H); params; the variant's name."""
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    out: np.ndarray
    params: Any
    variant: str


def variant_step_forward(x, h_prev, c_prev, params, variant: str = "full"):
    """One step of an LSTM variant.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev, c_prev : ndarray of shape (N, H), or None for zeros
    params : LSTMParams, or PeepholeParams for "peepholes"
    variant : str, one of VARIANTS

    Returns
    -------
    h, c : ndarray of shape (N, H)
    cache : VariantStepCache

    Notes
    -----
    The equations, with each variant's switch, are in the module docstring.
    """
    flags = variant_flags(variant)
    cell, peep = _split(params, flags)
    D, H, dtype = cell.D, cell.H, cell.dtype
    x = check_ndim("x", as_real_array("x", x, dtype), 2, "(N, D)")
    N = x.shape[0]
    check_shape("x", x, (N, D), "(N, D)")
    h_prev = _check_state("h_prev", h_prev, N, H, dtype).copy()
    c_prev = _check_state("c_prev", c_prev, N, H, dtype).copy()
    a = [_inputs_times_weights(x, cell, k) + h_prev @ getattr(cell, f"W_h{k}") for k in "ifgo"]
    i, f, g, o, c, out, h = _forward(*a, c_prev, peep, flags)
    return h, c.copy(), VariantStepCache(x.copy(), h_prev, c_prev, i, f, g, o, c, out, params, variant)


def variant_step_backward(dh, dc, cache: VariantStepCache):
    """Backward through one step of an LSTM variant.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        The whole gradient on h_t.
    dc : ndarray of shape (N, H), or None
        The gradient on c_t from step t+1 (None: zeros).
    cache : VariantStepCache

    Returns
    -------
    dx : ndarray of shape (N, D)
    dh_prev, dc_prev : ndarray of shape (N, H)
    dparams : LSTMParams or PeepholeParams, like the params
    """
    check_instance("cache", cache, VariantStepCache, " (the third value variant_step_forward returns)")
    flags = variant_flags(cache.variant)
    cell, peep = _split(cache.params, flags)
    N, H = cache.h_prev.shape
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, cell.dtype), 2, "(N, H)"), (N, H), "(N, H)")
    dc = _check_state("dc", dc, N, H, cell.dtype)
    *da, dc_prev, dpeep = _backward(dh, dc, cache.c_prev, cache.i, cache.f, cache.g, cache.o, cache.c,
                                    cache.out, peep, flags)
    da = dict(zip("ifgo", da))
    dx = sum(da[k] @ getattr(cell, f"W_x{k}").T for k in "ifgo")
    dh_prev = sum(da[k] @ getattr(cell, f"W_h{k}").T for k in "ifgo")
    return dx, dh_prev, dc_prev, _grads(cache.x, cache.h_prev, da, dpeep, cache.params, peep)


# ---------------------------------------------------------------------------------------
# A whole sequence: the step above in a loop over t

def variant_forward(x, h0, c0, params, variant: str = "full"):
    """Run an LSTM variant over a sequence.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0, c0 : ndarray of shape (N, H), or None for zeros
    params : LSTMParams, or PeepholeParams for "peepholes"
    variant : str, one of VARIANTS

    Returns
    -------
    h, c : ndarray of shape (N, T, H)
        Every hidden and cell state. For "full", `lstm.lstm_forward`'s numbers up to round-off
        (the sigmoid is computed another way: they agree to about 1e-15).
    cache : VariantCache
        For `variant_backward`.
    """
    flags = variant_flags(variant)
    cell, peep = _split(params, flags)
    D, H, dtype = cell.D, cell.H, cell.dtype
    x, N, T = check_sequence(x, D, dtype)
    h0 = _check_state("h0", h0, N, H, dtype)
    c0 = _check_state("c0", c0, N, H, dtype)

    x_tm = x.transpose(1, 0, 2).copy()  # (T, N, D)
    flat = x_tm.reshape(T * N, D)
    a_x = [_inputs_times_weights(flat, cell, k).reshape(T, N, H) for k in "ifgo"]  # the input parts, all steps
    W_h = np.concatenate([getattr(cell, f"W_h{k}") for k in "ifgo"], axis=1)  # (H, 4H): one product per step
    h_prev = np.empty((T + 1, N, H), dtype=dtype)  # h_prev[t] = h_{t-1}
    c_prev = np.empty((T + 1, N, H), dtype=dtype)
    parts = {name: np.empty((T, N, H), dtype=dtype) for name in ("i", "f", "g", "o", "out")}
    h_prev[0], c_prev[0] = h0, c0
    for t in range(T):
        a_h = h_prev[t] @ W_h  # (N, 4H)
        a = [a_x[k][t] + a_h[:, k * H:(k + 1) * H] for k in range(4)]
        i, f, g, o, c, out, h = _forward(*a, c_prev[t], peep, flags)
        parts["i"][t], parts["f"][t], parts["g"][t], parts["o"][t], parts["out"][t] = i, f, g, o, out
        h_prev[t + 1], c_prev[t + 1] = h, c

    h = h_prev[1:].transpose(1, 0, 2).copy()
    c = c_prev[1:].transpose(1, 0, 2).copy()
    cache = VariantCache(x_tm, h_prev[:T], c_prev[:T], parts["i"], parts["f"], parts["g"], parts["o"],
                         c_prev[1:], parts["out"], params, variant)
    return h, c, cache


def variant_backward(dh, cache: VariantCache, dc_last=None):
    """Backpropagation through time for `variant_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient of the loss on every hidden state.
    cache : VariantCache
    dc_last : ndarray of shape (N, H), optional
        Gradient on the last cell state; zeros if None.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0, dc0 : ndarray of shape (N, H)
    dparams : LSTMParams or PeepholeParams, like the params
        Summed over batch and time; zero for the weights a variant does not use.
    """
    check_instance("cache", cache, VariantCache, " (the third value variant_forward returns)")
    flags = variant_flags(cache.variant)
    cell, peep = _split(cache.params, flags)
    T, N, D = cache.x.shape
    H, dtype = cell.H, cell.dtype
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, dtype), 3, "(N, T, H)"),
                     (N, T, H), "(N, T, H)")
    dc_t = _check_state("dc_last", dc_last, N, H, dtype)

    W_hT = np.concatenate([getattr(cell, f"W_h{k}") for k in "ifgo"], axis=1).T.copy()  # (4H, H)
    dh_tm = dh.transpose(1, 0, 2)
    da = np.empty((T, N, 4 * H), dtype=dtype)  # the four layers side by side, as in W_hT
    dpeep_sum = [np.zeros(H, dtype=dtype) for _ in range(3)]
    dh_next = np.zeros((N, H), dtype=dtype)
    for t in reversed(range(T)):
        *da_t, dc_t, dpeep = _backward(dh_tm[t] + dh_next, dc_t, cache.c_prev[t], cache.i[t], cache.f[t],
                                       cache.g[t], cache.o[t], cache.c[t], cache.out[t], peep, flags)
        for k in range(4):
            da[t, :, k * H:(k + 1) * H] = da_t[k]
        if peep:
            for total, d in zip(dpeep_sum, dpeep):
                total += d
        dh_next = da[t] @ W_hT

    flat = da.reshape(T * N, 4 * H)
    da_by_layer = {k: flat[:, n * H:(n + 1) * H] for n, k in enumerate("ifgo")}
    dx = sum(da_by_layer[k] @ getattr(cell, f"W_x{k}").T for k in "ifgo")
    dx = dx.reshape(T, N, D).transpose(1, 0, 2).copy()
    dparams = _grads(cache.x.reshape(T * N, D), cache.h_prev.reshape(T * N, H), da_by_layer, dpeep_sum,
                     cache.params, peep)
    return dx, dh_next, dc_t, dparams


# ---------------------------------------------------------------------------------------
# Training a variant with train.train

def make_variant_loss_fn(variant: str, loss: str = "cross_entropy"):
    """`loss_fn(params, x, y) -> (loss, grads, accuracy)` for `train.train`, for one variant.

    The model is the variant's cell followed by a linear read-out of the last hidden state,
    y = h_T W_out + b_out. `params` has the fields cell, W_out (H, K) and b_out (K,): a
    `model.SequenceModelParams` with an LSTM cell (from `model.init_sequence_model("lstm", ...)`),
    so that every variant can start from the same weights, or, for "peepholes", any such
    dataclass whose cell is a `PeepholeParams` (see `relatives.init_cell_model`). The gradients
    come back in the same type.

    loss : {"cross_entropy", "mse"}
        "cross_entropy": integer classes y of shape (N,), accuracy reported;
        "mse": real targets of shape (N, K), accuracy None.
    """
    variant_flags(variant)
    losses.check_loss_name(loss)

    def loss_fn(params, x, y):
        if not (dataclasses.is_dataclass(params) and hasattr(params, "cell") and hasattr(params, "W_out")):
            raise TypeError(f"params must be a model with a cell and a read-out (W_out, b_out), such as "
                            f"init_sequence_model('lstm', ...), got {type(params).__name__}")
        if not isinstance(params.cell, (LSTMParams, PeepholeParams)):
            raise ValueError("an LSTM variant needs an LSTM cell: init_sequence_model('lstm', ...)")
        h, _, cache = variant_forward(x, None, None, params.cell, variant)
        h_last = h[:, -1]  # (N, H)
        out = h_last @ params.W_out + params.b_out  # (N, K)
        value, dout, acc = losses.evaluate(out, y, loss)
        dh = np.zeros_like(h)
        dh[:, -1] = dout @ params.W_out.T
        dcell = variant_backward(dh, cache)[3]
        grads = dataclasses.replace(params, cell=dcell, W_out=h_last.T @ dout, b_out=dout.sum(axis=0))
        return value, grads, acc

    return loss_fn
