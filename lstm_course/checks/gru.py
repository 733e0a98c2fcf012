"""Checks for lessons 12 and 13: the GRU step forward, and the 1997 adding problem's stopping rule.

`check_gru_step_forward` compares the learner's h with `lstm_course.gru.gru_step_forward` on
random cases whose candidate biases b_in and b_hn differ, and names the typical mistakes: z and
1 - z swapped, the reset gate applied before the matrix product (Cho et al.'s original form, not
PyTorch's), b_hn added outside the reset gate (merged into b_in), a wrong squashing function.

`check_adding_should_stop` compares the learner's stopping rule with
`lstm_course.classic_tasks.adding_should_stop` on histories built to sit on each side of it.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..classic_tasks import adding_should_stop
from ..gru import GRUParams, gru_step_forward
from .core import Case, call, checker, close, diff_text, expect_array, fail, first_match, run_cases

__all__ = ["check_gru_step_forward", "check_adding_should_stop"]

GRU_SHAPES = ((4, 3, 5), (3, 5, 2), (2, 4, 3))  # (N, D, H): N > 1, D != H
_IDENTITY = lambda a: a  # noqa: E731


def _gru_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for N, D, H in GRU_SHAPES:
        fields = {}
        for k in "rzn":
            fields[f"W_x{k}"] = rng.normal(0.0, 0.7, (D, H))
            fields[f"W_h{k}"] = rng.normal(0.0, 0.7, (H, H))
        for b in ("b_r", "b_z", "b_in", "b_hn"):  # four different biases: no mistake can hide
            fields[b] = rng.normal(0.0, 0.7, H)
        cases.append(Case(f"N={N}, D={D}, H={H}", params=GRUParams(**fields), x=rng.normal(size=(N, D)),
                          h_prev=np.tanh(rng.normal(size=(N, H)))))
    return cases


def _gru_step(x, h_prev, p, reset="inside", update="ok", act_r=sigmoid, act_z=sigmoid, act_n=np.tanh,
              swap_rz=False, biases=True, use_h=True):
    """h of one GRU step with a chosen mistake."""
    b = (lambda v: v) if biases else (lambda v: 0.0 * v)
    Wr, Ur, br, Wz, Uz, bz = p.W_xr, p.W_hr, p.b_r, p.W_xz, p.W_hz, p.b_z
    if swap_rz:
        Wr, Ur, br, Wz, Uz, bz = Wz, Uz, bz, Wr, Ur, br
    hh = h_prev if use_h else 0.0 * h_prev
    r = act_r(x @ Wr + hh @ Ur + b(br))
    z = act_z(x @ Wz + hh @ Uz + b(bz))
    a_x = x @ p.W_xn + b(p.b_in)
    a_n = {"inside": a_x + r * (hh @ p.W_hn + b(p.b_hn)),
           "before_product": a_x + (r * hh) @ p.W_hn + b(p.b_hn),
           "bias_outside": a_x + b(p.b_hn) + r * (hh @ p.W_hn),
           "none": a_x + hh @ p.W_hn + b(p.b_hn),
           "no_b_hn": a_x + r * (hh @ p.W_hn),
           "after_tanh": a_x}[reset]
    n = act_n(a_n)
    if reset == "after_tanh":
        n = n + r * (hh @ p.W_hn + b(p.b_hn))
    return {"ok": (1 - z) * n + z * h_prev, "swap": z * n + (1 - z) * h_prev, "no_mix": n,
            "sum": n + z * h_prev, "minus": (1 - z) * n - z * h_prev}[update]


GRU_VARIANTS = [
    ("z and 1 - z are swapped: h = (1 - z) * n + z * h_prev (z near 1 keeps the old state, as the forget "
     "gate does)", {"update": "swap"}),
    ("the reset gate is applied before the matrix product, (r * h_prev) @ W_hn, as in Cho et al. (2014); "
     "PyTorch's GRU applies it after: n = tanh(x @ W_xn + b_in + r * (h_prev @ W_hn + b_hn))",
     {"reset": "before_product"}),
    ("b_hn is added outside the reset gate, as if merged into b_in; in PyTorch's GRU it sits inside: "
     "r * (h_prev @ W_hn + b_hn)", {"reset": "bias_outside"}),
    ("b_hn is missing: n = tanh(x @ W_xn + b_in + r * (h_prev @ W_hn + b_hn))", {"reset": "no_b_hn"}),
    ("the reset gate r is not used: it multiplies (h_prev @ W_hn + b_hn) inside the candidate",
     {"reset": "none"}),
    ("the reset gate's term is added after the tanh: it belongs inside, n = tanh(x @ W_xn + b_in + "
     "r * (h_prev @ W_hn + b_hn))", {"reset": "after_tanh"}),
    ("h is just the candidate n: the update gate mixes it with the old state, h = (1 - z) * n + z * h_prev",
     {"update": "no_mix"}),
    ("the candidate is not scaled by 1 - z: h = (1 - z) * n + z * h_prev", {"update": "sum"}),
    ("a sign error: h = (1 - z) * n + z * h_prev", {"update": "minus"}),
    ("your reset gate r gives values below 0: is it a tanh instead of a sigmoid?", {"act_r": np.tanh}),
    ("your update gate z gives values below 0: is it a tanh instead of a sigmoid?", {"act_z": np.tanh}),
    ("your candidate n is never negative: is it a sigmoid instead of a tanh?", {"act_n": sigmoid}),
    ("your candidate n has no tanh", {"act_n": _IDENTITY}),
    ("the reset and update gates use each other's weights: r uses W_xr, W_hr, b_r and z uses W_xz, W_hz, b_z",
     {"swap_rz": True}),
    ("the biases are missing: r, z and n each add their own (b_r, b_z, b_in and b_hn)", {"biases": False}),
    ("h_prev is missing inside the layers: r, z and n all read h_prev through W_hr, W_hz, W_hn",
     {"use_h": False}),
]


@checker
def check_gru_step_forward(fn, seed=None):
    """Check fn(x, h_prev, params: GRUParams) -> (h, cache); h of shape (N, H) is compared.

    seed : int or None
        Draw the cases from this seed (None: the lesson's default cases).
    """

    def test(case):
        x, h_prev, p = case.x, case.h_prev, case.params
        ref, _ = gru_step_forward(x, h_prev, p)
        out = call(fn, (x, h_prev, p), ("x", "h_prev", "params"),
                   "x is (N, D), h_prev is (N, H), W_x? is (D, H) and W_h? is (H, H)")
        if isinstance(out, np.ndarray):
            fail("expected your function to return 2 values (h, cache), got one array: return h, cache "
                 "(the cache may be None)")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            fail(f"expected your function to return 2 values (h, cache), got "
                 f"{'None' if out is None else type(out).__name__}")
        h = expect_array(out[0], "h", ref.shape, "(N, H)", ref)
        if close(h, ref):
            return
        variants = [(hint, _gru_step(x, h_prev, p, **kw)) for hint, kw in GRU_VARIANTS]
        fail(first_match(h, variants) or f"h differs from (1 - z) * n + z * h_prev: {diff_text(h, ref)}")

    return run_cases(_gru_cases(1201 if seed is None else seed), test)


# ---------------------------------------------------------------------------------------
# The adding problem's stopping rule (lesson 13)

def _stop_cases(seed):
    """(squared_errors, correct) histories near the rule's edges, with what each would fool."""
    rng = np.random.default_rng(seed)
    good = lambda n: rng.uniform(0, 0.004, n)  # noqa: E731  all well inside |error| < 0.04
    cases = [
        Case("1,999 sequences, all right", err=good(1999), ok=np.ones(1999, bool)),
        Case("2,500 sequences, all right, small errors", err=good(2500), ok=np.ones(2500, bool)),
        Case("a wrong sequence 1,999 steps ago", err=good(3000),
             ok=np.r_[np.ones(1001, bool), [False], np.ones(1998, bool)]),
        Case("a wrong sequence 2,001 steps ago", err=good(3000),
             ok=np.r_[np.ones(999, bool), [False], np.ones(2000, bool)]),
        Case("the last 2,000 right with small errors; large errors before", err=np.r_[np.full(1000, 0.5), good(2000)],
             ok=np.r_[np.zeros(1000, bool), np.ones(2000, bool)]),
        Case("all right, average error 0.0105 over the window", err=np.full(2400, 0.0105), ok=np.ones(2400, bool)),
    ]
    return cases


@checker
def check_adding_should_stop(fn, seed=None):
    """Check fn(squared_errors, correct) -> bool, the 1997 paper's stopping rule with a window of
    2,000 sequences and an average error below 0.01 (see `classic_tasks.adding_should_stop`).

    seed : int or None
        Draw the cases' errors from this seed (None: the lesson's default cases).
    """

    def test(case):
        ref = adding_should_stop(case.err, case.ok)
        got = call(fn, (case.err, case.ok), ("squared_errors", "correct"))
        if not isinstance(got, (bool, np.bool_)):
            fail(f"expected True or False, got {type(got).__name__}")
        if bool(got) == ref:
            return
        if len(case.err) < 2000:
            fail("fewer than 2,000 sequences seen: the rule needs the 2,000 most recent all right, so it "
                 "cannot stop yet")
        if not ref and not case.ok[-2000:].all():
            fail("one of the 2,000 most recent sequences was wrong: do not stop")
        if ref and not case.ok.all():
            fail("a wrong sequence older than the last 2,000 does not count: look at correct[-2000:] only")
        if ref and case.err.mean() >= 0.01:
            fail("the average error is taken over the last 2,000 sequences, not over all of them")
        fail("the average squared error over the last 2,000 sequences must be below 0.01 to stop")

    return run_cases(_stop_cases(1301 if seed is None else seed), test)
