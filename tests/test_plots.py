"""Tests of lstm_course.plots: drawn data, shared colours, and input checks."""

import warnings

import matplotlib

matplotlib.use("Agg")  # headless, set here so the module needs no conftest

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402

from lstm_course import plots  # noqa: E402
from lstm_course.diagrams import GATE_COLORS  # noqa: E402

RNG = np.random.default_rng(0)
LAGS = np.arange(1, 11)
GAPS = [2, 5, 10, 20]
GATES = {"forget": RNG.uniform(0.5, 1, (6, 4)), "input": RNG.uniform(0, 0.5, (6, 4)),
         "output": RNG.uniform(0, 1, 6)}
HISTORIES = {"RNN": {"loss": [2.0, 1.8, 1.7, 1.5], "accuracy": [0.1, 0.2, 0.2, 0.3]},
             "LSTM": {"loss": [2.0, 1.2, 0.6, 0.3], "accuracy": [0.1, 0.5, 0.8, 0.9]}}

CALLS = {
    "training_curves": lambda ax: plots.plot_training_curves(HISTORIES, ax=ax),
    "gradient_norms_vs_lag": lambda ax: plots.plot_gradient_norms_vs_lag(
        LAGS, {"RNN": 0.5 ** LAGS, "LSTM": np.ones(10)}, ax=ax),
    "accuracy_vs_gap": lambda ax: plots.plot_accuracy_vs_gap(GAPS, {"LSTM": [1, 1, 0.9, 0.8]},
                                                             chance=0.25, ax=ax),
    "gates_mean": lambda ax: plots.plot_gates_over_time(GATES, tokens="abcdef", ax=ax),
    "gates_heatmap": lambda ax: plots.plot_gates_over_time(GATES, kind="heatmap", ax=ax),
    "activation": lambda ax: plots.plot_activation("tanh", ax=ax),
}


@pytest.fixture(autouse=True)
def no_leaked_figures():
    before = set(plt.get_fignums())
    yield
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def labelled_lines(ax):
    return {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}


@pytest.mark.parametrize("name", list(CALLS))
def test_draws_on_the_given_axes(name):
    _, ax = plt.subplots()
    count = len(plt.get_fignums())
    assert CALLS[name](ax) is ax
    assert len(plt.get_fignums()) == count
    assert len(ax.lines) + len(ax.images) > 0


@pytest.mark.parametrize("name", list(CALLS))
def test_without_axes_makes_one_figure(name):
    count = len(plt.get_fignums())
    ax = CALLS[name](None)
    assert len(plt.get_fignums()) == count + 1
    assert max(ax.figure.get_size_inches()) <= 8


def test_training_curves_plot_the_chosen_key_and_smooth():
    ax = plots.plot_training_curves(HISTORIES, key="accuracy")
    lines = labelled_lines(ax)
    assert set(lines) == {"RNN", "LSTM"}
    np.testing.assert_allclose(lines["LSTM"].get_ydata(), [0.1, 0.5, 0.8, 0.9])
    assert ax.get_ylabel() == "accuracy"
    ax = plots.plot_training_curves({"run": {"loss": [0, 1, 2, 3, 4]}}, smooth=2, logy=True)
    smoothed = labelled_lines(ax)["run"]
    np.testing.assert_allclose(smoothed.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(smoothed.get_ydata(), [0.5, 1.5, 2.5, 3.5])
    assert ax.get_yscale() == "log"


@pytest.mark.parametrize("histories, match", [
    ({}, "non-empty dict"),
    ({"RNN": {"accuracy": [1.0]}}, "history 'RNN' has no 'loss'; it has \\['accuracy'\\]"),
    ({"RNN": [1.0, 2.0]}, "has no 'loss'"),
    ({"RNN": {"loss": [[1.0, 2.0]]}}, "1-D"),
    ({"RNN": {"loss": ["a", "b"]}}, "numbers"),
])
def test_training_curves_reject_bad_histories(histories, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_training_curves(histories)


def test_training_curves_reject_bad_smoothing():
    with pytest.raises(ValueError, match="smooth"):
        plots.plot_training_curves(HISTORIES, smooth=0)


def test_gradient_norms_with_seeds_draw_the_median_and_a_band():
    norms = np.stack([0.5 ** LAGS, 0.6 ** LAGS, 0.7 ** LAGS])  # (S, L)
    ax = plots.plot_gradient_norms_vs_lag(LAGS, {"RNN": norms})
    np.testing.assert_allclose(labelled_lines(ax)["RNN"].get_ydata(), 0.6 ** LAGS)
    assert len(ax.collections) == 1
    assert ax.get_yscale() == "log"
    assert plots.plot_gradient_norms_vs_lag(LAGS, {"RNN": norms}, logy=False).get_yscale() == "linear"


@pytest.mark.parametrize("norms, match", [
    ({"RNN": np.ones(9)}, r"shape \(10,\) or \(S, 10\).*got shape \(9,\)"),
    ({"RNN": np.ones((2, 11))}, r"got shape \(2, 11\)"),
    ({"RNN": -np.ones(10)}, "negative"),
    ({}, "non-empty dict"),
])
def test_gradient_norms_are_checked(norms, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_gradient_norms_vs_lag(LAGS, norms)


def test_accuracy_vs_gap_draws_the_mean_and_chance():
    ax = plots.plot_accuracy_vs_gap(GAPS, {"RNN": [[1, 0.8, 0.4, 0.2], [1, 0.6, 0.2, 0.2]]}, chance=0.2)
    lines = labelled_lines(ax)
    np.testing.assert_allclose(lines["RNN"].get_ydata(), [1, 0.7, 0.3, 0.2])
    np.testing.assert_allclose(lines["chance"].get_ydata(), [0.2, 0.2])
    assert ax.get_ylim()[0] < 0 < 1 < ax.get_ylim()[1]


@pytest.mark.parametrize("kwargs, match", [
    (dict(acc_by_label={"RNN": [1, 1, 1]}), r"shape \(4,\)"),
    (dict(acc_by_label={"RNN": [100, 90, 50, 20]}), "outside \\[0, 1\\].*percentage"),
    (dict(acc_by_label={"RNN": [1, 1, 1, 1]}, chance=2), "chance"),
])
def test_accuracy_vs_gap_is_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_accuracy_vs_gap(GAPS, **kwargs)


def test_gates_mean_use_the_diagram_colours_and_tokens():
    ax = plots.plot_gates_over_time(GATES, tokens=["a", "b", "c", "d", "e", "f"])
    lines = labelled_lines(ax)
    for name in GATES:
        assert same_color(lines[name].get_color(), GATE_COLORS[name])
    np.testing.assert_allclose(lines["forget"].get_ydata(), GATES["forget"].mean(axis=1))
    np.testing.assert_allclose(lines["output"].get_ydata(), GATES["output"])
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcdef")
    assert len(ax.collections) == 2  # bands for the (T, H) gates, none for the (T,) one
    short = plots.plot_gates_over_time({"f": GATES["forget"]})
    assert same_color(labelled_lines(short)["f"].get_color(), GATE_COLORS["forget"])


def test_gates_heatmap_stacks_every_unit():
    ax = plots.plot_gates_over_time(GATES, kind="heatmap", colorbar=False)
    image = ax.images[0].get_array()
    assert image.shape == (4 + 4 + 1, 6)
    np.testing.assert_allclose(image[:4], GATES["forget"].T)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["forget", "input", "output"]
    assert ax.images[0].get_clim() == (0, 1)
    signed = plots.plot_gates_over_time({"candidate": np.tanh(RNG.normal(size=(5, 3)) - 2)},
                                        kind="heatmap")
    assert signed.images[0].get_clim() == (-1, 1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(gates={"forget": np.ones((5, 2)), "input": np.ones((6, 2))}), "same number of steps"),
    (dict(gates=GATES, tokens="abc"), "expected 6 tokens"),
    (dict(gates=GATES, kind="lines"), "kind"),
    (dict(gates={"forget": np.ones((2, 3, 4))}), r"\(T, H\) or \(T,\)"),
    (dict(gates={}), "non-empty dict"),
])
def test_gates_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_gates_over_time(**kwargs)


def test_activation_curves_and_derivatives():
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sigmoid must not overflow
        ax = plots.plot_activation("sigmoid", x=x)
    lines = labelled_lines(ax)
    sig, dsig = lines[r"$\sigma$(x)"], lines[r"$\sigma$'(x), max 0.25"]
    np.testing.assert_allclose(sig.get_ydata(), [0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1])
    np.testing.assert_allclose(dsig.get_ydata()[2], 0.25)
    plots.plot_activation("tanh", ax=ax)
    assert "tanh'(x), max 1" in labelled_lines(ax)


def test_activation_accepts_a_callable_and_a_list():
    ax = plots.plot_activation(lambda x: x ** 2, label="square", x=np.linspace(-1, 1, 21))
    np.testing.assert_allclose(labelled_lines(ax)["square'(x), max 2"].get_ydata()[1:-1],
                               2 * np.linspace(-1, 1, 21)[1:-1], atol=1e-12)
    ax = plots.plot_activation(["sigmoid", "tanh"], derivative=False)
    assert len(labelled_lines(ax)) == 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(fn="relu6"), "unknown activation 'relu6'"),
    (dict(fn=lambda x: x[:-1]), "shape"),
    (dict(fn="tanh", x=[0.0, 2.0, 1.0]), "increasing"),
    (dict(fn="tanh", x=[0.0, 1.0]), "at least 3"),
    (dict(fn=[]), "at least one"),
])
def test_activation_is_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_activation(**kwargs)
