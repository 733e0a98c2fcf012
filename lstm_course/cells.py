"""What an LSTM's units track: search them for interpretable properties, and draw them over the text.

Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks", found
cells of character models that follow the position in a line, or switch on inside quotes. Here
we look for such units in a measured way:

1. compute a property of every position of held-out text (`lstm_course.text_properties`);
2. for every unit u, correlate its activation (cell state c or hidden state h) with the
   property over one stretch of text (the *search* text), and keep the unit with the largest
   absolute Pearson correlation;
3. report that unit's correlation on *another* stretch (the *report* text): with H units to
   choose from, the best correlation on the search text is biased upwards; on fresh text it
   is not.

The same search on an untrained network says how large a correlation chance alone gives.
"""

from __future__ import annotations

import numpy as np

from .charlm import CharLMParams, lstm_internals

__all__ = ["unit_correlations", "best_units", "plot_text_activation", "plot_unit_gates"]


def unit_correlations(activations, prop) -> np.ndarray:
    """Pearson correlation of every unit with a property.

    Parameters
    ----------
    activations : ndarray of shape (L, H)
    prop : ndarray of shape (L,)

    Returns
    -------
    ndarray of shape (H,); 0 for a unit (or a property) that never changes.
    """
    a = np.asarray(activations, dtype=np.float64)
    p = np.asarray(prop, dtype=np.float64)
    if a.ndim != 2 or p.shape != (a.shape[0],):
        raise ValueError(f"expected activations (L, H) and a property (L,), got {a.shape} and {p.shape}")
    a = a - a.mean(axis=0)
    p = p - p.mean()
    denom = np.sqrt((a * a).sum(axis=0) * (p @ p))
    cov = p @ a
    return np.divide(cov, denom, out=np.zeros_like(cov), where=denom > 0)


def best_units(params: CharLMParams, search_ids, report_ids, search_props: dict, report_props: dict,
               state: str = "c", layer: int = 0) -> dict:
    """For each property, the unit most correlated with it on the search text, and its correlation
    on the report text.

    Parameters
    ----------
    params : CharLMParams (an LSTM)
    search_ids, report_ids : int ndarrays of shape (L1,), (L2,)
    search_props, report_props : dict name -> ndarray of shape (L1,) / (L2,)
        From `text_properties.position_properties` of the two texts.
    state : {"c", "h"}
        Which activation to search.

    Returns
    -------
    dict name -> {"unit": int, "search_r": float, "report_r": float}
    (correlations signed: a unit that is *low* inside parentheses has a negative r).
    """
    if state not in ("c", "h"):
        raise ValueError(f"state must be 'c' or 'h', got {state!r}")
    search = lstm_internals(params, search_ids, layer)[state]
    report = lstm_internals(params, report_ids, layer)[state]
    out = {}
    for name in search_props:
        r_search = unit_correlations(search, search_props[name])
        unit = int(np.argmax(np.abs(r_search)))
        r_report = unit_correlations(report, report_props[name])
        out[name] = {"unit": unit, "search_r": float(r_search[unit]), "report_r": float(r_report[unit])}
    return out


def plot_text_activation(text: str, values, ax=None, width: int = 80, cmap: str = "RdBu_r",
                         vmax: float | None = None, fontsize: float = 8.0):
    """Draw `text` with each character on a background coloured by its value (Karpathy-style).

    Parameters
    ----------
    text : str
    values : ndarray of shape (len(text),)
        One value per character, e.g. a unit's cell state after reading it.
    ax : matplotlib Axes, optional
    width : int
        Characters per row; lines of the text longer than this wrap.
    cmap : str
        A diverging colour map: blue for negative, red for positive, white near 0.
    vmax : float, optional
        The value drawn with the full colour (default: the largest |value|).

    Returns
    -------
    ax
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    values = np.asarray(values, dtype=float)
    if values.shape != (len(text),):
        raise ValueError(f"expected one value per character, shape ({len(text)},), got {values.shape}")
    if vmax is None:
        vmax = float(np.max(np.abs(values))) or 1.0
    colours = plt.get_cmap(cmap)(Normalize(-vmax, vmax)(values))
    rows, row, col = [], 0, 0
    for k, ch in enumerate(text):  # where each character goes: (row, column)
        rows.append((row, col))
        if ch == "\n" or col + 1 >= width:
            row, col = row + 1, 0
        else:
            col += 1
    n_rows = row + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(width * 0.11, n_rows * 0.24 + 0.2))
    for k, ((r, c), ch) in enumerate(zip(rows, text)):
        ax.add_patch(plt.Rectangle((c, -r - 1), 1, 1, color=colours[k], linewidth=0))
        if ch not in " \n":
            ax.text(c + 0.5, -r - 0.5, ch, ha="center", va="center", fontsize=fontsize, family="monospace")
    ax.set_xlim(0, width)
    ax.set_ylim(-n_rows, 0)
    ax.set_axis_off()
    return ax


def plot_unit_gates(params: CharLMParams, ids, text: str, unit: int, ax=None, layer: int = 0):
    """The input, forget and output gates, the cell state and the hidden state of one unit across a text.

    Parameters
    ----------
    params : CharLMParams (an LSTM)
    ids : int ndarray of shape (L,), the ids of `text`
    text : str, used to label the x axis with the characters
    unit : int

    Returns
    -------
    ax
    """
    import matplotlib.pyplot as plt

    inside = lstm_internals(params, ids, layer)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, len(text) * 0.12), 3))
    steps = np.arange(len(text))
    for name, style in (("i", ":"), ("f", "--"), ("o", "-."), ("c", "-"), ("h", "-")):
        ax.plot(steps, inside[name][:, unit], style, label={"c": "cell c", "h": "hidden h"}.get(
            name, f"gate {name}"), linewidth=2 if name == "c" else 1)
    ax.set_xticks(steps)
    ax.set_xticklabels([{"\n": "⏎", " ": "␣"}.get(ch, ch) for ch in text], family="monospace", fontsize=7)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_title(f"unit {unit} of layer {layer + 1}")
    ax.legend(fontsize=7, ncol=5, loc="lower left")
    return ax
