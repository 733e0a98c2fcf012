"""Tests for lstm_course.relatives (lesson 12's models and race) and the GRU diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstm_course import diagrams  # noqa: E402
from lstm_course.gradcheck import check_param_gradients  # noqa: E402
from lstm_course.relatives import (KINDS, RACE, CellModel, best_learning_rates, count_params,  # noqa: E402
                                   init_cell_model, make_cell_loss_fn, race_unit)
from lstm_course.tree import tree_size  # noqa: E402


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_trains_through_one_loss_fn_with_exact_gradients(kind):
    rng = np.random.default_rng(0)
    params = init_cell_model(kind, 3, 4, 5, rng)
    if kind == "peepholes":  # non-zero peepholes, so that their gradients are tested too
        params = CellModel(type(params.cell)(params.cell.cell, *(rng.normal(0, .5, 4) for _ in range(3))),
                           params.W_out, params.b_out)
    x = rng.normal(size=(2, 4, 3))
    y = rng.integers(0, 5, size=2)
    loss_fn = make_cell_loss_fn(kind)
    value, grads, acc = loss_fn(params, x, y)
    assert isinstance(grads, CellModel) and np.isfinite(value) and 0 <= acc <= 1
    check_param_gradients(lambda p: loss_fn(p, x, y)[0], params, grads, tol=1e-7)


def test_lstm_variants_start_from_the_same_weights():
    a = init_cell_model("lstm", 3, 4, 2, np.random.default_rng(1))
    b = init_cell_model("cifg", 3, 4, 2, np.random.default_rng(1))
    c = init_cell_model("peepholes", 3, 4, 2, np.random.default_rng(1))
    np.testing.assert_array_equal(a.cell.W_hf, b.cell.W_hf)
    np.testing.assert_array_equal(a.cell.W_hf, c.cell.cell.W_hf)
    np.testing.assert_array_equal(a.W_out, c.W_out)
    assert not np.any(c.cell.p_o)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn", "peepholes"])
def test_parameter_counts_are_the_arrays_sizes(kind):
    params = init_cell_model(kind, 13, 32, 8, np.random.default_rng(0))
    assert count_params(kind, 13, 32, 8) == tree_size(params)


def test_parameter_counts_of_removed_parts():
    full = count_params("lstm", 13, 32)
    assert count_params("cifg", 13, 32) == count_params("no_forget_gate", 13, 32) == full * 3 // 4
    assert count_params("gru", 13, 32) == full * 3 // 4 + 32
    assert count_params("no_output_tanh", 13, 32) == full


def test_bad_kinds_and_cells_are_named():
    with pytest.raises(ValueError, match="unknown kind 'lstmm'"):
        init_cell_model("lstmm", 3, 4, 2, np.random.default_rng(0))
    gru_model = init_cell_model("gru", 3, 4, 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="for kind 'lstm'"):
        make_cell_loss_fn("lstm")(gru_model, np.zeros((1, 2, 3)), np.zeros(1, int))
    with pytest.raises(TypeError, match="cell must be"):
        CellModel({"W": 1}, np.zeros((4, 2)), np.zeros(2))


def test_race_unit_is_deterministic_and_reports_the_budget_when_unsolved():
    settings = dict(RACE, gap=2, steps=6, eval_size=64, H=8)
    a = race_unit("gru", 1.0, 0.01, 0, settings)
    b = race_unit("gru", 1.0, 0.01, 0, settings)
    assert a == b
    assert set(a) == {"steps", "accuracy", "solved", "loss"}
    assert a["solved"] or a["steps"] == 6


def test_best_learning_rate_prefers_solved_then_fast():
    row = lambda solved, steps: {"solved": solved, "steps": steps, "accuracy": 1.0 if solved else 0.5}  # noqa: E731
    runs = {"A": {"0.01": [row(True, 100), row(False, 800)], "0.03": [row(True, 300), row(True, 400)]},
            "B": {"0.01": [row(True, 100), row(True, 200)], "0.03": [row(True, 300), row(True, 400)]}}
    assert best_learning_rates(runs, (0.01, 0.03)) == {"A": 0.03, "B": 0.01}


def test_gru_diagram_beside_the_lstm_cell():
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    diagrams.draw_lstm_cell(ax=axes[0])
    ax = diagrams.draw_gru_cell(ax=axes[1], equations=True)
    assert ax is axes[1]
    for gid in ("reset_gate", "update_gate", "candidate", "hidden_state_line", "one_minus", "reset_mult"):
        assert diagrams.artists_by_gid(ax, gid), gid
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "b_{hn}" in texts and "(1 - z_t)" in texts
    plt.close(fig)
