"""What a check returns: a `CheckResult` that shows itself as one ✅/❌ line in Jupyter.

A result also carries a small JSON bundle under the MIME type `MIME_TYPE`, stored in the
notebook's outputs, so that `lstm-course grade` can read every check's verdict from an
executed notebook without any global state.

The environment variable LSTM_COURSE_EXPECT turns results into assertions for CI:

- unset or empty: checks never raise (the learner's everyday mode);
- "pass": a check that does not pass raises AssertionError (run on the lesson notebooks,
  whose solutions must pass);
- "not_implemented": a check whose status is anything but "not_implemented" raises
  AssertionError (run on the generated learner notebooks, whose stubs must be reported
  cleanly as not implemented yet).
"""

from __future__ import annotations

import dataclasses
import html
import os

__all__ = ["CheckResult", "MIME_TYPE", "ENV_VAR", "STATUSES", "apply_expectation"]

MIME_TYPE = "application/vnd.lstm-course.check+json"
ENV_VAR = "LSTM_COURSE_EXPECT"
STATUSES = ("pass", "fail", "not_implemented")

_STYLE = {  # status -> (border colour, background colour) of the HTML one-liner
    "pass": ("#2e7d32", "#edf7ed"),
    "fail": ("#c62828", "#fdecea"),
    "not_implemented": ("#b26a00", "#fff4e5"),
}


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on a learner's function.

    Attributes
    ----------
    name : str
        The check's name, e.g. "check_forget_gate".
    passed : bool
        True only when every case matches the reference.
    message : str
        One sentence for the learner: what is right, or what is wrong and a hint.
    status : {"pass", "fail", "not_implemented"}
    """

    name: str
    passed: bool
    message: str
    status: str

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.passed != (self.status == "pass"):
            raise ValueError(f"passed={self.passed} contradicts status={self.status!r}")

    @property
    def symbol(self):
        return "✅" if self.passed else "❌"

    def __repr__(self):
        return f"{self.symbol} {self.name}: {self.message}"

    __str__ = __repr__

    def __bool__(self):
        return self.passed

    def to_dict(self):
        """The JSON bundle: {"check", "status", "passed", "message"}."""
        return {"check": self.name, "status": self.status, "passed": self.passed,
                "message": self.message}

    @classmethod
    def from_dict(cls, data):
        """Inverse of `to_dict` (used by the grader on stored outputs)."""
        return cls(name=str(data["check"]), passed=bool(data["passed"]),
                   message=str(data["message"]), status=str(data["status"]))

    def _repr_html_(self):
        border, background = _STYLE[self.status]
        return (f'<div class="lstm-course-check lstm-course-check-{self.status}" '
                f'style="border-left: 4px solid {border}; background: {background}; '
                f'padding: 4px 8px; font-family: sans-serif;">'
                f"{self.symbol} <code>{html.escape(self.name)}</code>: "
                f"{html.escape(self.message)}</div>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": repr(self), "text/html": self._repr_html_(),
                MIME_TYPE: self.to_dict()}


def apply_expectation(result):
    """Return `result`, or raise AssertionError if it contradicts LSTM_COURSE_EXPECT.

    Raises ValueError for a value other than "", "pass" or "not_implemented", so that a
    typo in CI does not silently turn the assertions off.
    """
    expect = os.environ.get(ENV_VAR, "").strip()
    if not expect:
        return result
    if expect not in ("pass", "not_implemented"):
        raise ValueError(f"{ENV_VAR} must be 'pass', 'not_implemented' or unset, got {expect!r}")
    if result.status != expect:
        raise AssertionError(f"{ENV_VAR}={expect} but the check says: {result!r}")
    return result
