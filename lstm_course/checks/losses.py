"""Check for the softmax cross-entropy loss and its gradient (lesson 10)."""

from __future__ import annotations

import numpy as np

from .core import (Case, call, checker, diagnose_components, expect_array, expect_scalar, fail,
                   run_cases, safe_ndim, safe_shape, unpack)

__all__ = ["check_softmax_cross_entropy"]


def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _reference(z, y, axis=-1):
    """(loss, dlogits) with the softmax taken along `axis` (the right one is the class axis)."""
    N = z.shape[0]
    log_p = _log_softmax(z, axis)
    rows = np.arange(N)
    onehot = np.zeros_like(z)
    onehot[rows, y] = 1.0
    return -log_p[rows, y].mean(), (np.exp(log_p) - onehot) / N


def _cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for N, K in ((4, 3), (5, 6)):
        cases.append(Case(f"N={N}, K={K}", logits=rng.normal(0.0, 2.0, (N, K)),
                          targets=rng.integers(0, K, N)))
    big = rng.normal(0.0, 2.0, (3, 4))
    big[0] += 1000.0  # a naive exp overflows here; the loss does not
    big[1, 2] = -1000.0
    cases.append(Case("N=3, K=4, logits up to 1000", logits=big, targets=np.array([1, 2, 0]), big=True))
    return cases


def _variants(z, y):
    N = z.shape[0]
    loss, d = _reference(z, y)
    p = np.exp(_log_softmax(z))
    loss0, d0 = _reference(z, y, axis=0)
    greedy = -_log_softmax(z).max(axis=1).mean()
    return [
        ("you summed over the batch: the loss is the mean over the N examples, so divide both the "
         "loss and dlogits by N", {"loss": loss * N, "dlogits": d * N}),
        ("the loss is a mean over N, so dlogits must be divided by N too", {"loss": loss, "dlogits": d * N}),
        ("dlogits has the wrong sign: it is (softmax(logits) - onehot(targets)) / N",
         {"loss": loss, "dlogits": -d}),
        ("dlogits: subtract 1 at each target class, (softmax(logits) - onehot(targets)) / N",
         {"loss": loss, "dlogits": p / N}),
        ("your loss has the wrong sign: cross-entropy is the mean of -log p[n, targets[n]]",
         {"loss": -loss, "dlogits": d}),
        ("softmax over the wrong axis: normalise each row, over the K classes (axis=1)",
         {"loss": loss0, "dlogits": d0}),
        ("use the target class: the loss is -log p[n, targets[n]], not the log of the largest p",
         {"loss": greedy, "dlogits": d}),
    ]


@checker
def check_softmax_cross_entropy(fn):
    """Check fn(logits, targets) -> (loss, dlogits): logits (N, K), integer targets (N,); loss the
    mean over N of -log softmax(logits)[n, targets[n]], dlogits its gradient, shape (N, K)."""

    def test(case):
        z, y = case.logits, case.targets
        loss, d = _reference(z, y)
        out = call(fn, (z, y), ("logits", "targets"))
        got_loss, got_d = unpack(out, ("loss", "dlogits"))
        if safe_ndim(got_loss) == 2 and safe_ndim(got_d) == 0:
            fail("outputs swapped: you returned (dlogits, loss); the order is (loss, dlogits)")
        overflow = None
        if case.get("big"):
            overflow = ("your loss overflows for large logits (this case has logits near 1000): "
                        "subtract each row's maximum before exp, which leaves the softmax unchanged")
        if safe_shape(got_loss) == y.shape:
            fail("you returned one loss per example: return their mean, a single number")
        got_loss = expect_scalar(got_loss, "loss")
        if not np.isfinite(got_loss):
            fail(overflow or "your loss is NaN or inf: does something overflow, or take log(0)?")
        got = {"loss": np.float64(got_loss),
               "dlogits": expect_array(got_d, "dlogits", d.shape, "(N, K)", d, nonfinite=overflow)}
        message = diagnose_components(got, {"loss": np.float64(loss), "dlogits": d}, _variants(z, y))
        if message is not None:
            fail(message)

    return run_cases(_cases(1001), test)
