"""Diagrams of RNN and LSTM cells, drawn with matplotlib.

Every ``draw_*`` function draws on the Axes it is given (or on a new figure of
modest size when ``ax`` is None) and returns that Axes. Nothing is styled at
import and ``plt.show()`` is never called.

Key artists carry a ``gid`` so that lessons and tests can find them with
``artists_by_gid(ax, "forget_gate")``. The gate boxes are ``"forget_gate"``,
``"input_gate"``, ``"candidate"`` and ``"output_gate"``; the cell state is
``"cell_state_line"``. Text is sized to the Axes when drawn, so create the
subplots (and their layout) first, then draw.

Colours come from the Okabe-Ito palette, which stays distinct under the common
forms of colour blindness. ``GATE_COLORS`` is shared with :mod:`lstm_course.plots`
so that a gate has the same colour in a diagram and in a plot of its values.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.colors import to_rgb
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

GATE_COLORS = {
    "forget": "#D55E00",  # vermillion
    "input": "#0072B2",  # blue
    "candidate": "#009E73",  # bluish green
    "output": "#CC79A7",  # reddish purple
    "cell_state": "#E69F00",  # orange
    "hidden_state": "#222222",  # near-black
}
HIGHLIGHTS = ("forget", "input", "candidate", "cell_update", "output", "cell_state", "hidden_state")
_GATES = ("forget", "input", "candidate", "output")
_INK = "#222222"
_GREY_EDGE, _GREY_FILL, _GREY_TEXT = "#c8c8c8", "#f0f0f0", "#b4b4b4"
_CELL_FILL, _CELL_EDGE = "#f5f5f0", "#9a9a9a"
_OP_FILL = "#fbeff6"
_DARK_ORANGE = "#a66f00"  # the cell-state orange, dark enough for text

_EQUATIONS = {
    "forget": r"$f_t = \sigma(W_f\,[h_{t-1}, x_t] + b_f)$",
    "input": r"$i_t = \sigma(W_i\,[h_{t-1}, x_t] + b_i)$",
    "candidate": r"$\tilde{c}_t = \tanh(W_c\,[h_{t-1}, x_t] + b_c)$",
    "cell_update": r"$c_t = f_t \odot c_{t-1} + i_t \odot \tilde{c}_t$",
    "output": r"$o_t = \sigma(W_o\,[h_{t-1}, x_t] + b_o)$",
    "hidden_state": r"$h_t = o_t \odot \tanh(c_t)$",
}
_EQUATIONS_FOR = {"cell_state": ("cell_update",), "output": ("output", "hidden_state")}


def _light(color, amount=0.7):
    """``color`` mixed with white: ``amount`` = 1 gives white."""
    return tuple(c + (1.0 - c) * amount for c in to_rgb(color))


def _new_ax(ax, figsize=(7, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _finish(ax, xlim, ylim, figsize=(7, 3.5), ref_xspan=None):
    """Set the view, then scale text and arrowheads with the drawing.

    Font sizes are chosen for the default drawing (x extent ``ref_xspan``) on a
    lone Axes in a ``figsize`` figure. When the drawing is shown smaller (in a
    subplot, or with more steps), text shrinks by the same factor, so labels
    never grow into each other or out of their boxes.
    """
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    span_x, span_y = xlim[1] - xlim[0], ylim[1] - ylim[0]
    pos, (fig_w, fig_h) = ax.get_position(), ax.figure.get_size_inches()
    rc = plt.rcParams  # read only: the default subplot margins give the reference Axes
    ref_w = figsize[0] * (rc["figure.subplot.right"] - rc["figure.subplot.left"])
    ref_h = figsize[1] * (rc["figure.subplot.top"] - rc["figure.subplot.bottom"])
    ref_xspan = span_x if ref_xspan is None else ref_xspan
    scale = min(pos.width * fig_w / span_x, pos.height * fig_h / span_y) / min(ref_w / ref_xspan,
                                                                                 ref_h / span_y)
    scale = min(max(scale, 0.35), 2.0)
    if abs(scale - 1) > 0.02:
        for text in ax.texts:
            text.set_fontsize(text.get_fontsize() * scale)
        for patch in ax.patches:
            patch.set_linewidth(patch.get_linewidth() * max(scale, 0.6))
            if isinstance(patch, FancyArrowPatch):
                patch.set_mutation_scale(patch.get_mutation_scale() * scale)
    return ax


class _Pen:
    """Draws boxes, pointwise operations, arrows and labels.

    Each part belongs to one or more highlight groups. With ``highlight=None``
    every part gets its own colour; otherwise the parts of the highlighted groups
    keep their colour (lines drawn thicker) and all the others are greyed.
    """

    def __init__(self, ax, highlight=None):
        self.ax = ax
        self.highlight = highlight

    def _on(self, groups):
        return self.highlight is None or bool(self.highlight & set(groups))

    def _bold(self, groups):
        return self.highlight is not None and self._on(groups)

    def box(self, x, y, text, color, groups=(), gid=None, w=1.0, h=0.7, fontsize=11):
        on = self._on(groups)
        patch = FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12",
            facecolor=_light(color) if on else _GREY_FILL, edgecolor=color if on else _GREY_EDGE,
            linewidth=2.2 if self._bold(groups) else 1.4, zorder=3, gid=gid)
        self.ax.add_patch(patch)
        self.text(x, y, text, groups, fontsize=fontsize, zorder=4)
        return patch

    def op(self, x, y, symbol, groups=(), gid=None, r=0.28):
        """A pointwise operation: a circle with x or +, or an ellipse for tanh."""
        on = self._on(groups)
        style = dict(facecolor=_OP_FILL if on else _GREY_FILL, edgecolor=_INK if on else _GREY_EDGE,
                     linewidth=1.8 if self._bold(groups) else 1.2, zorder=3, gid=gid)
        if symbol == "tanh":
            patch = Ellipse((x, y), 4.4 * r, 2.0 * r, **style)
            self.text(x, y, "tanh", groups, fontsize=7.5, zorder=4)
        else:
            patch = Circle((x, y), r, **style)
            self.text(x, y, {"x": "\u00d7", "+": "+"}[symbol], groups, fontsize=46 * r, zorder=4)
        self.ax.add_patch(patch)
        return patch

    def line(self, points, groups=(), gid=None, color=_INK, arrow=True, lw=1.5, curve=False, **kw):
        """A polyline through ``points`` (a cubic Bezier if ``curve``), arrowhead at the end."""
        on = self._on(groups)
        codes = [Path.MOVETO] + [Path.CURVE4 if curve else Path.LINETO] * (len(points) - 1)
        patch = FancyArrowPatch(
            path=Path(points, codes), arrowstyle="-|>,head_length=0.45,head_width=0.22" if arrow else "-",
            mutation_scale=12, color=color if on else _GREY_EDGE,
            linewidth=lw * (1.6 if self._bold(groups) else 1.0), zorder=kw.pop("zorder", 2),
            gid=gid, capstyle="round", joinstyle="round", **kw)
        self.ax.add_patch(patch)
        return patch

    def text(self, x, y, s, groups=(), color=_INK, fontsize=11, ha="center", va="center", **kw):
        on = self._on(groups)
        return self.ax.text(x, y, s, color=color if on else _GREY_TEXT, fontsize=fontsize,
                            ha=ha, va=va, zorder=kw.pop("zorder", 5), **kw)

    def cell(self, x0, y0, w, h, gid="cell_body"):
        patch = FancyBboxPatch((x0, y0), w, h, boxstyle="round,pad=0,rounding_size=0.35",
                               facecolor=_CELL_FILL, edgecolor=_CELL_EDGE, linewidth=1.2,
                               zorder=1, gid=gid)
        self.ax.add_patch(patch)
        return patch


def _parse_highlight(highlight):
    if highlight is None:
        return None
    try:
        names = (highlight,) if isinstance(highlight, str) else tuple(highlight)
    except TypeError:
        names = (highlight,)
    bad = [n for n in names if n not in HIGHLIGHTS]
    if bad or not names:
        raise ValueError(f"unknown highlight {', '.join(map(repr, bad)) or '(empty)'}; expected None, "
                         f"one of {', '.join(HIGHLIGHTS)}, or a list of them")
    return frozenset(names)


def _check_steps(steps, minimum):
    if isinstance(steps, bool) or not isinstance(steps, (int, float)) or steps != int(steps) \
            or steps < minimum:
        raise ValueError(f"expected steps to be an integer >= {minimum}, got {steps!r}")


def artists_by_gid(ax, gid):
    """Return the artists of ``ax`` (patches, lines, texts) whose gid is ``gid``."""
    return [a for a in ax.get_children() if a.get_gid() == gid]


def draw_unrolled_rnn(ax=None, steps=4, folded=True):
    """Draw an RNN as one looped cell and as the same cell unrolled over ``steps``.

    Inputs x_t enter from below, outputs h_t leave from above, and the hidden
    state flows from each copy of the cell to the next. With ``folded=True`` the
    looped cell is drawn at the left, followed by an "=" sign.
    """
    _check_steps(steps, 1)
    figsize = (7, 2.8)
    ax = _new_ax(ax, figsize)
    pen, w, h, gap = _Pen(ax), 1.3, 1.0, 2.1
    color = GATE_COLORS["input"]

    def module(x, sub, gid):
        pen.box(x, 0, "RNN", color, gid=gid, w=w, h=h, fontsize=10)
        pen.line([(x, -1.15), (x, -h / 2)], gid=f"{gid}_in")
        pen.line([(x, h / 2), (x, 1.15)], gid=f"{gid}_out")
        pen.text(x, -1.45, f"$x_{{{sub}}}$")
        pen.text(x, 1.5, f"$h_{{{sub}}}$")

    x0 = 0.0
    if folded:
        module(0.0, "t", "folded_cell")
        pen.line([(w / 2, 0.2), (w / 2 + 1.0, 0.9), (w / 2 + 1.0, -0.9), (w / 2, -0.2)],
                 gid="recurrent_loop", color=color, curve=True)
        pen.text(2.0, 0, "=", fontsize=20)
        x0 = 5.0
    xs = [x0 + k * gap for k in range(steps)]
    pen.line([(xs[0] - w / 2 - 0.9, 0), (xs[0] - w / 2, 0)], gid="h0_in", color=color)
    pen.text(xs[0] - w / 2 - 1.05, 0, "$h_0$", ha="right")
    for k, x in enumerate(xs):
        module(x, k + 1, f"cell_{k + 1}")
        if k:
            pen.line([(xs[k - 1] + w / 2, 0), (x - w / 2, 0)], gid=f"recurrent_{k}", color=color)
    left = -w / 2 - 0.8 if folded else xs[0] - w / 2 - 1.6
    right = xs[-1] + w / 2 + 0.4
    return _finish(ax, (left, right), (-1.9, 1.9), figsize, right - left - (steps - 4) * gap)


def draw_rnn_cell(ax=None, equation=True):
    """Draw the repeating module of a plain RNN: a single tanh layer on [h_{t-1}, x_t].

    The module's output h_t leaves to the right (the next step) and upwards (this
    step's output). With ``equation=True`` the update is written underneath.
    """
    ax = _new_ax(ax)
    pen, color = _Pen(ax), GATE_COLORS["input"]
    pen.cell(0, 0, 6, 4.6)
    pen.line([(-1.2, 0.9), (3.0, 0.9), (3.0, 2.15)], gid="hidden_in")
    pen.line([(1.2, -0.8), (1.2, 0.9)], arrow=False, gid="x_in")
    pen.box(3.0, 2.5, "tanh", color, gid="tanh_layer", w=1.3, fontsize=10)
    pen.line([(3.0, 2.85), (3.0, 3.6), (4.6, 3.6), (4.6, 0.9), (7.2, 0.9)], gid="hidden_out")
    pen.line([(4.6, 3.6), (4.6, 5.4)], gid="h_out_top")
    pen.text(-1.35, 0.9, "$h_{t-1}$", ha="right")
    pen.text(1.2, -1.1, "$x_t$")
    pen.text(7.35, 0.9, "$h_t$", ha="left")
    pen.text(4.6, 5.7, "$h_t$")
    bottom = -1.5
    if equation:
        pen.text(3.0, -1.9, r"$h_t = \tanh(W\,[h_{t-1}, x_t] + b)$", fontsize=12)
        bottom = -2.4
    return _finish(ax, (-2.6, 8.4), (bottom, 6.1))


# Geometry of the LSTM cell (data units): layer positions along x, rows along y.
_XF, _XI, _XG, _XO, _XOUT, _XUP = 1.3, 3.0, 4.75, 6.6, 8.3, 9.45
_XEND = 11.6
_YC, _YMID, _YLAY, _YBUS = 5.4, 4.05, 2.55, 0.9
_R, _BH = 0.28, 0.7


def draw_lstm_cell(ax=None, highlight=None, equations=True):
    """Draw an LSTM cell, optionally with some of its parts highlighted.

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Where to draw; a new figure (7 x 3.5 inches, taller with equations) when None.
    highlight : str or sequence of str, optional
        None draws every part in its colour. Otherwise one or more of
        ``HIGHLIGHTS``: "forget", "input", "candidate", "cell_update",
        "output", "cell_state", "hidden_state". Those parts keep their colour
        and everything else is greyed.
    equations : bool
        When something is highlighted, write its equations under the cell.

    Returns
    -------
    ax : matplotlib Axes
    """
    hl = _parse_highlight(highlight)
    figsize = (7, 4.2) if hl is not None and equations else (7, 3.5)
    ax = _new_ax(ax, figsize)
    pen = _Pen(ax, hl)
    c = GATE_COLORS
    pen.cell(0, 0, 10.4, 6.1)
    gates, hid = _GATES, ("hidden_state",)
    cell_groups = ("cell_state", "cell_update")

    # The cell state: one straight line, with x (forget) and + (add) on it.
    pen.line([(-1.2, _YC), (_XEND, _YC)], cell_groups, "cell_state_line", color=c["cell_state"], lw=2.4)
    pen.op(_XF, _YC, "x", ("forget", *cell_groups), "forget_mult")
    pen.op(_XG, _YC, "+", cell_groups, "cell_add")
    pen.text(-1.35, _YC, "$c_{t-1}$", cell_groups, ha="right")
    pen.text(_XEND + 0.15, _YC, "$c_t$", cell_groups, ha="left")

    # [h_{t-1}, x_t] runs along the bottom and feeds all four layers.
    xs = (-1.2, _XF, _XI, _XG, _XO)  # each stretch of the bus feeds the layers to its right
    for k in range(4):
        gid = "hidden_in" if k == 0 else f"hidden_in_{k}"
        pen.line([(xs[k], _YBUS), (xs[k + 1], _YBUS)], gates[k:] + hid, gid, arrow=False)
    pen.line([(0.6, -0.8), (0.6, _YBUS)], gates, "x_in", arrow=False)
    pen.text(-1.35, _YBUS, "$h_{t-1}$", gates + hid, ha="right")
    pen.text(0.6, -1.1, "$x_t$", gates)
    layers = [(_XF, "forget", "forget_gate", r"$\sigma$"), (_XI, "input", "input_gate", r"$\sigma$"),
              (_XG, "candidate", "candidate", "tanh"), (_XO, "output", "output_gate", r"$\sigma$")]
    for x, name, gid, sym in layers:
        pen.line([(x, _YBUS), (x, _YLAY - _BH / 2)], (name,), f"{gid}_in")
        pen.box(x, _YLAY, sym, c[name], (name,), gid, w=1.15, fontsize=12 if sym != "tanh" else 9.5)
        pen.text(x, _YLAY - 0.85, name, (name,), color=c[name], fontsize=7.5,
                 bbox=dict(boxstyle="round,pad=0.12", fc=_CELL_FILL, ec="none"))

    # Gate outputs and their pointwise operations.
    top = _YLAY + _BH / 2
    pen.line([(_XF, top), (_XF, _YC - _R)], ("forget", "cell_update"), "forget_out")
    pen.text(_XF + 0.15, 4.3, "$f_t$", ("forget", "cell_update"), ha="left")
    pen.line([(_XI, top), (_XI, _YMID), (_XG - _R, _YMID)], ("input",), "input_out")
    pen.text(_XI - 0.15, 3.5, "$i_t$", ("input",), ha="right")
    pen.line([(_XG, top), (_XG, _YMID - _R)], ("candidate",), "candidate_out")
    pen.text(_XG + 0.18, 3.3, r"$\tilde{c}_t$", ("candidate",), ha="left")
    pen.op(_XG, _YMID, "x", ("input", "candidate", "cell_update"), "input_mult")
    pen.line([(_XG, _YMID + _R), (_XG, _YC - _R)], ("cell_update",), "update_out")

    # Output: h_t = o_t * tanh(c_t), leaving to the right and to the top.
    out = ("output",)
    pen.line([(_XO + 0.58, _YLAY), (_XOUT - _R, _YLAY)], out, "output_out")
    pen.text((_XO + 0.58 + _XOUT - _R) / 2, _YLAY + 0.4, "$o_t$", out)
    pen.line([(_XOUT, _YC), (_XOUT, _YMID + _R)], out, "cell_to_tanh")
    pen.op(_XOUT, _YMID, "tanh", out, "output_tanh")
    pen.line([(_XOUT, _YMID - _R), (_XOUT, _YLAY + _R)], out, "tanh_out")
    pen.op(_XOUT, _YLAY, "x", out, "output_mult")
    pen.line([(_XOUT, _YLAY - _R), (_XOUT, _YBUS), (_XEND, _YBUS)], out + hid, "hidden_out")
    pen.line([(_XUP, _YBUS), (_XUP, 6.8)], out + hid, "hidden_out_top")
    pen.text(_XEND + 0.15, _YBUS, "$h_t$", out + hid, ha="left")
    pen.text(_XUP, 7.1, "$h_t$", out + hid)

    bottom = -1.5
    if hl is not None and equations:
        names = [e for n in HIGHLIGHTS if n in hl for e in _EQUATIONS_FOR.get(n, (n,))]
        lines = [_EQUATIONS[n] for n in dict.fromkeys(names)]
        pen.text(5.2, -1.5, "\n".join(lines), tuple(hl), fontsize=11, va="top", linespacing=1.6)
        bottom = -1.9 - 0.55 * len(lines)
    return _finish(ax, (-2.6, _XEND + 1.0), (bottom, 7.5), figsize)


def _chain(pen, y, n, lstm, x0=0.0, w=2.6, gap=0.7):
    """One row of ``n`` simplified cells; the main line (and memory lane) run through."""
    c, h_y, c_y, tag = GATE_COLORS, y + 0.45, y + 1.55, "lstm" if lstm else "rnn"
    xs = [x0 + k * (w + gap) for k in range(n)]
    height = 2.0 if lstm else 1.1
    for k, x in enumerate(xs):
        pen.cell(x, y, w, height, gid=f"{tag}_cell_{k + 1}")
        pen.line([(x + 0.6, y - 0.45), (x + 0.6, h_y)], arrow=False, lw=1.0)
        pen.text(x + 0.6, y - 0.7, f"$x_{{{k + 1}}}$", fontsize=10)
        name = "gates" if lstm else "tanh"
        pen.box(x + 1.3, h_y, name, c["candidate"] if lstm else c["input"], w=1.0, h=0.5, fontsize=7.5)
        if lstm:
            pen.op(x + 0.75, c_y, "x", r=0.17)
            pen.op(x + 1.45, c_y, "+", r=0.17)
            pen.line([(x + 1.15, h_y + 0.25), (x + 0.75, c_y - 0.17)], lw=0.9)
            pen.line([(x + 1.45, h_y + 0.25), (x + 1.45, c_y - 0.17)], lw=0.9)
            pen.line([(x + 2.05, c_y), (x + 2.05, h_y)], lw=0.9)
    left, right = xs[0] - 0.9, xs[-1] + w + 0.9
    pen.line([(left, h_y), (right, h_y)], gid=f"{tag}_main_line", color=c["input"], lw=2.6)
    pen.text(right + 0.15, h_y, "main line $h_t$", color=c["input"], ha="left", fontsize=10)
    if lstm:
        pen.line([(left, c_y), (right, c_y)], gid="memory_lane", color=c["cell_state"], lw=3.6)
        pen.text(right + 0.15, c_y, "memory lane $c_t$", color=_DARK_ORANGE, ha="left", fontsize=10)
    pen.text(left - 0.2, y + height / 2, "LSTM" if lstm else "RNN", ha="right", fontsize=12,
             fontweight="bold")
    return right


def draw_memory_lanes(ax=None, steps=3):
    """Draw an RNN chain, with its single main line, above an LSTM chain.

    The LSTM keeps the main line (the hidden state h_t) and adds a memory lane
    (the cell state c_t) that runs straight through every cell, touched only by a
    multiplication (forget) and an addition (new content).
    """
    _check_steps(steps, 1)
    ax = _new_ax(ax)
    pen = _Pen(ax)
    right = _chain(pen, 3.4, steps, lstm=False)
    _chain(pen, 0.0, steps, lstm=True)
    return _finish(ax, (-2.4, right + 3.6), (-1.1, 4.9), ref_xspan=16.1)


def draw_gradient_paths(ax=None, steps=4):
    """Draw the two ways a gradient travels back in time through an LSTM.

    Top: along the cell state, each step multiplies by the forget gate f_t
    (elementwise), so the direct path gives the product of the f's. Bottom:
    along the hidden state, each step multiplies by a full Jacobian matrix that
    involves the recurrent weights and activation slopes.
    """
    _check_steps(steps, 2)
    ax = _new_ax(ax)
    pen, c = _Pen(ax), GATE_COLORS
    gap, r = 2.2, 0.42
    xs = [k * gap for k in range(steps + 1)]
    rows = [(2.6, "c", c["cell_state"], _DARK_ORANGE, "cell_path", "f"),
            (0.0, "h", c["input"], c["input"], "hidden_path", "J")]
    for y, s, color, ink, gid, factor in rows:
        for k, x in enumerate(xs):
            pen.ax.add_patch(Circle((x, y), r, facecolor=_light(color, 0.75), edgecolor=color,
                                    linewidth=1.4, zorder=3, gid=f"{s}_node_{k}"))
            pen.text(x, y, f"${s}_{{{k}}}$", fontsize=10)
            if k:
                pen.line([(x - r, y), (xs[k - 1] + r, y)], gid=f"{gid}_{k}", color=color, lw=2.2)
                pen.text((x + xs[k - 1]) / 2, y + 0.35, f"$\\times\\,{factor}_{{{k}}}$",
                         color=ink, fontsize=10)
    xm = xs[-1] / 2
    pen.text(xm, 3.55, r"cell path (direct): $\partial c_T/\partial c_k = f_{k+1} \odot \cdots \odot f_T$"
             "  (elementwise; near 1 while the forget gates stay open)",
             color=_DARK_ORANGE, fontsize=9.5)
    pen.text(xm, -0.85, r"hidden path: $\partial h_T/\partial h_k = J_T \cdots J_{k+1}$,"
             r"  $J_t = \partial h_t/\partial h_{t-1}$  (matrices; the product shrinks or blows up)",
             color=c["input"], fontsize=9.5)
    pen.line([(xm + 1.6, 1.3), (xm - 1.6, 1.3)], gid="time_arrow", color=_GREY_TEXT, lw=1.2)
    pen.text(xm, 1.55, "the gradient flows backward in time", color="#666666", fontsize=9)
    half = max(xm + 0.8, 5.4)  # wide enough for the two summaries
    return _finish(ax, (xm - half, xm + half), (-1.3, 3.9), ref_xspan=10.8)


# Geometry of the GRU cell, on the LSTM cell's rows (_YC, _YMID, _YLAY, _YBUS).
_GX_DROP, _GX_Z, _GX_R, _GX_RMUL, _GX_N, _GX_UP, _GX_END = 0.35, 1.5, 3.2, 4.85, 6.6, 8.6, 9.9
_GRU_EQUATIONS = (
    r"$r_t = \sigma(W_r\,[h_{t-1}, x_t] + b_r)$   $z_t = \sigma(W_z\,[h_{t-1}, x_t] + b_z)$",
    r"$n_t = \tanh(W_{xn} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$",
    r"$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
)


def draw_gru_cell(ax=None, equations=False):
    """Draw a GRU cell in the style of `draw_lstm_cell`, to set beside it.

    The hidden state h runs along the top like the LSTM's cell state: the update gate z_t scales
    what is kept (x) and 1 - z_t what the candidate n_t adds (+). The reset gate r_t multiplies
    the recurrent part of the candidate, W_hn h_{t-1} + b_hn, before its tanh (PyTorch's form).
    Gate boxes carry the gids "reset_gate", "update_gate" and "candidate"; the top line is
    "hidden_state_line".

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Where to draw; a new 7 x 3.5 inch figure (taller with equations) when None.
    equations : bool, default False
        Write the GRU's equations under the cell.

    Returns
    -------
    ax : matplotlib Axes
    """
    figsize = (7, 4.4) if equations else (7, 3.5)
    ax = _new_ax(ax, figsize)
    pen, c = _Pen(ax), GATE_COLORS
    reset, update, cand = c["input"], c["forget"], c["candidate"]
    pen.cell(0, 0, _GX_END - 0.9, 6.1)

    # h: one line along the top, like the LSTM's cell state, with x (keep z) and + (add (1 - z) n).
    pen.line([(-1.2, _YC), (_GX_END + 0.5, _YC)], gid="hidden_state_line", color=c["cell_state"], lw=2.4)
    pen.op(_GX_Z, _YC, "x", gid="update_mult")
    pen.op(_GX_N, _YC, "+", gid="hidden_add")
    pen.text(-1.35, _YC, "$h_{t-1}$", ha="right")
    pen.text(_GX_END + 0.65, _YC, "$h_t$", ha="left")
    pen.line([(_GX_UP, _YC), (_GX_UP, 6.8)], gid="hidden_out_top")
    pen.text(_GX_UP, 7.1, "$h_t$")

    # [h_{t-1}, x_t] along the bottom: h_{t-1} drops from the top line, x_t comes from below.
    pen.line([(_GX_DROP, _YC), (_GX_DROP, _YBUS), (_GX_RMUL, _YBUS)], gid="hidden_in", arrow=False)
    pen.line([(_GX_RMUL, _YBUS), (_GX_N, _YBUS)], gid="x_to_candidate", arrow=False)
    pen.line([(0.9, -0.8), (0.9, _YBUS)], gid="x_in", arrow=False)
    pen.text(0.9, -1.1, "$x_t$")
    for x, name, gid, color in ((_GX_Z, "update", "update_gate", update), (_GX_R, "reset", "reset_gate", reset)):
        pen.line([(x, _YBUS), (x, _YLAY - _BH / 2)], gid=f"{gid}_in")
        pen.box(x, _YLAY, r"$\sigma$", color, gid=gid, w=1.15, fontsize=12)
        pen.text(x, _YLAY - 0.85, name, color=color, fontsize=7.5,
                 bbox=dict(boxstyle="round,pad=0.12", fc=_CELL_FILL, ec="none"))

    # The reset gate scales the recurrent part of the candidate, before the tanh.
    pen.line([(_GX_R + 0.58, _YLAY), (_GX_RMUL - _R, _YLAY)], gid="reset_out")
    pen.text((_GX_R + _GX_RMUL) / 2, _YLAY + 0.35, "$r_t$")
    pen.line([(_GX_RMUL, _YBUS), (_GX_RMUL, _YLAY - _R)], gid="recurrent_part")
    pen.text(_GX_RMUL + 0.12, 1.35, r"$W_{hn}h_{t-1}{+}b_{hn}$", ha="left", fontsize=7)
    pen.op(_GX_RMUL, _YLAY, "x", gid="reset_mult")
    pen.line([(_GX_RMUL + _R, _YLAY), (_GX_N - 0.58, _YLAY)], gid="reset_product")
    pen.line([(_GX_N, _YBUS), (_GX_N, _YLAY - _BH / 2)], gid="candidate_in")
    pen.box(_GX_N, _YLAY, "tanh", cand, gid="candidate", w=1.15, fontsize=9.5)
    pen.text(_GX_N, _YLAY - 0.85, "candidate", color=cand, fontsize=7.5,
             bbox=dict(boxstyle="round,pad=0.12", fc=_CELL_FILL, ec="none"))

    # The update gate: z_t up to the x on the top line; 1 - z_t across to scale n_t.
    pen.line([(_GX_Z, _YLAY + _BH / 2), (_GX_Z, _YC - _R)], gid="update_out")
    pen.text(_GX_Z + 0.15, 3.3, "$z_t$", ha="left")
    pen.line([(_GX_Z, _YMID), (_GX_RMUL - _R, _YMID)], gid="update_branch")
    ax.add_patch(Circle((_GX_RMUL, _YMID), _R, facecolor=_OP_FILL, edgecolor=_INK, linewidth=1.2, zorder=3,
                        gid="one_minus"))
    pen.text(_GX_RMUL, _YMID, "1\u2212", fontsize=8, zorder=4)
    pen.line([(_GX_RMUL + _R, _YMID), (_GX_N - _R, _YMID)], gid="one_minus_out")
    pen.line([(_GX_N, _YLAY + _BH / 2), (_GX_N, _YMID - _R)], gid="candidate_out")
    pen.text(_GX_N + 0.15, 3.3, "$n_t$", ha="left")
    pen.op(_GX_N, _YMID, "x", gid="candidate_mult")
    pen.line([(_GX_N, _YMID + _R), (_GX_N, _YC - _R)], gid="candidate_add")

    bottom = -1.5
    if equations:
        pen.text((_GX_END - 0.9) / 2, -1.5, "\n".join(_GRU_EQUATIONS), fontsize=10.5, va="top", linespacing=1.6)
        bottom = -1.9 - 0.55 * len(_GRU_EQUATIONS)
    return _finish(ax, (-2.6, _XEND + 1.0), (bottom, 7.5), figsize)
