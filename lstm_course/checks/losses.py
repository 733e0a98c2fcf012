"""Check for the softmax cross-entropy loss and its gradient (lesson 10)."""

from __future__ import annotations

import numpy as np

from ..losses import softmax_cross_entropy
from .core import (Case, call, case_rng, checker, diagnose_components, expect_array, expect_scalar,
                   fail, run_cases, safe_ndim, safe_shape, unpack)

__all__ = ["check_softmax_cross_entropy"]


def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _reference(z, y, axis=-1):
    """(loss, dlogits) with the softmax taken along `axis`: for the mistake "softmax over the wrong
    axis" (the reference itself is `losses.softmax_cross_entropy`)."""
    N = z.shape[0]
    log_p = _log_softmax(z, axis)
    rows = np.arange(N)
    onehot = np.zeros_like(z)
    onehot[rows, y] = 1.0
    return -log_p[rows, y].mean(), (np.exp(log_p) - onehot) / N


def _cases(default, seed):
    """Two ordinary cases and one with logits near 1000, where exp overflows unless each row's
    maximum is subtracted first. No target's probability underflows to 0 (it would in a case like
    logit -1000 for the target), so that the lesson's method, shift by the maximum, softmax, then
    -log p[target], is exact on every case as well as log-softmax is."""
    rng = case_rng(default, seed)
    shapes = ((4, 3), (5, 6)) if seed is None else tuple(
        (int(rng.integers(2, 7)), int(rng.integers(3, 8))) for _ in range(2))
    cases = []
    for N, K in shapes:
        cases.append(Case(f"N={N}, K={K}", logits=rng.normal(0.0, 2.0, (N, K)),
                          targets=rng.integers(0, K, N)))
    big = rng.normal(0.0, 2.0, (3, 4))
    big[0] += 1000.0  # a naive exp overflows here; the loss does not
    targets = np.array([1, 0, 0]) if seed is None else rng.integers(0, 4, 3)
    not_target = (targets[1] + 2) % 4
    big[1, not_target] = -1000.0  # its probability underflows to 0, harmlessly: not a target
    cases.append(Case("N=3, K=4, logits up to 1000", logits=big, targets=targets, big=True))
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


UNDERFLOW = ("your loss is inf: a probability underflowed to 0 and log(0) = -inf. Take the log "
             "without going through p: log p = z - logsumexp(z), with logsumexp(z) = max(z) + "
             "log(sum(exp(z - max(z)))) along each row (log-softmax)")
OVERFLOW = ("your loss overflows for large logits (this case has logits near 1000: exp(1000) is inf, "
            "and inf / inf is NaN): subtract each row's maximum before exp, which leaves the softmax "
            "unchanged")


@checker
def check_softmax_cross_entropy(fn, seed=None):
    """Check fn(logits, targets) -> (loss, dlogits): logits (N, K), integer targets (N,); loss the
    mean over N of -log softmax(logits)[n, targets[n]], dlogits its gradient, shape (N, K).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        z, y = case.logits, case.targets
        loss, d = softmax_cross_entropy(z, y)  # the package's own
        out = call(fn, (z, y), ("logits", "targets"))
        got_loss, got_d = unpack(out, ("loss", "dlogits"))
        if safe_ndim(got_loss) == 2 and safe_ndim(got_d) == 0:
            fail("outputs swapped: you returned (dlogits, loss); the order is (loss, dlogits)")
        overflow = OVERFLOW if case.get("big") else None
        if safe_shape(got_loss) == y.shape:
            fail("you returned one loss per example: return their mean, a single number")
        got_loss = expect_scalar(got_loss, "loss")
        if np.isinf(got_loss):
            fail(UNDERFLOW)
        if not np.isfinite(got_loss):
            fail(overflow or "your loss is NaN: does something overflow (exp of a large logit), or "
                 "divide 0 by 0?")
        got = {"loss": got_loss,
               "dlogits": expect_array(got_d, "dlogits", d.shape, "(N, K)", d,
                                       nonfinite=overflow and overflow.replace("loss", "dlogits", 1))}
        message = diagnose_components(got, {"loss": np.float64(loss), "dlogits": d}, _variants(z, y))
        if message is not None:
            fail(message)

    return run_cases(_cases(1001, seed), test)
