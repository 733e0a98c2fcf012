"""Tests of lstm_course.experiments: small, fast runs (the multi-seed claim is in test_claims_slow.py)."""

import numpy as np
import pytest

from lstm_course import experiments as ex
from lstm_course.lstm import init_lstm_params, lstm_step_forward
from lstm_course.model import init_sequence_model
from lstm_course.tasks import delayed_recall
from lstm_course.train import TrainingHistory

TINY = dict(H=8, batch_size=16, eval_size=32)


# ---------------------------------------------------------------------------------------
# lstm_gates_over_sequence

def test_gates_match_a_step_by_step_forward_pass():
    """Each gate, read from the sequence cache by name, equals the step's own."""
    rng = np.random.default_rng(0)
    params = init_lstm_params(5, 6, rng, forget_bias=2.0)
    params = type(params)(**{k: v + 0.3 * rng.standard_normal(v.shape) for k, v in vars(params).items()})
    x = rng.standard_normal((7, 5))
    out = ex.lstm_gates_over_sequence(params, x)
    assert set(out) == {"i", "f", "g", "o", "c", "h"}
    h = c = np.zeros((1, 6))
    for t in range(7):
        h, c, cache = lstm_step_forward(x[None, t], h, c, params)
        for name in "ifgo":
            np.testing.assert_allclose(out[name][t], getattr(cache, name)[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(out["c"][t], c[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(out["h"][t], h[0], rtol=0, atol=1e-14)
    for value in out.values():
        assert value.shape == (7, 6)


def test_gates_accept_a_model_and_a_batch_of_one():
    rng = np.random.default_rng(1)
    model = init_sequence_model("lstm", 4, 3, 2, rng)
    x = rng.standard_normal((5, 4))
    a = ex.lstm_gates_over_sequence(model, x)
    b = ex.lstm_gates_over_sequence(model.cell, x[None])
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert np.all((a["f"] > 0) & (a["f"] < 1)) and np.all(np.abs(a["g"]) < 1)


def test_gates_reject_an_rnn_and_bad_shapes():
    rng = np.random.default_rng(2)
    rnn = init_sequence_model("rnn", 4, 3, 2, rng)
    with pytest.raises(ValueError, match="only an LSTM has gates"):
        ex.lstm_gates_over_sequence(rnn, np.zeros((5, 4)))
    lstm = init_lstm_params(4, 3, rng)
    with pytest.raises(ValueError, match=r"\(T, D\) or \(1, T, D\) with D = 4"):
        ex.lstm_gates_over_sequence(lstm, np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="D = 4"):
        ex.lstm_gates_over_sequence(lstm, np.zeros((5, 3)))
    with pytest.raises(TypeError):
        ex.lstm_gates_over_sequence("not params", np.zeros((5, 4)))


# ---------------------------------------------------------------------------------------
# train_on_gap

def test_train_on_gap_reports_its_budget_and_result():
    r = ex.train_on_gap("lstm", gap=3, seed=0, steps=4, forget_bias=2.0, **TINY)
    assert (r.kind, r.gap, r.seed, r.forget_bias, r.budget) == ("lstm", 3, 0, 2.0, 4)
    assert r.steps == len(r.history) <= 4
    assert isinstance(r.history, TrainingHistory)
    assert 0.0 <= r.accuracy <= 1.0 and r.solved == (r.accuracy >= 0.95)
    assert r.params.kind == "lstm" and r.params.cell.H == 8
    np.testing.assert_allclose(r.params.cell.b_f, 2.0, atol=0.05)  # four Adam steps of 1e-3 at most
    assert r.seconds >= 0
    rnn = ex.train_on_gap("rnn", gap=3, seed=0, steps=2, **TINY)
    assert rnn.forget_bias is None and rnn.params.kind == "rnn"


def test_train_on_gap_is_deterministic():
    a = ex.train_on_gap("lstm", gap=2, seed=5, steps=3, **TINY)
    b = ex.train_on_gap("lstm", gap=2, seed=5, steps=3, **TINY)
    assert a.history.loss == b.history.loss and a.accuracy == b.accuracy
    c = ex.train_on_gap("lstm", gap=2, seed=6, steps=3, **TINY)
    assert c.history.loss != a.history.loss


def test_every_model_sees_the_same_data_for_a_seed():
    """Batches and held-out sequences come from (seed, gap) alone: _streams never sees the model."""
    a, b = ex._streams(3, 10), ex._streams(3, 10)
    for rng_a, rng_b in zip(a[1:], b[1:]):  # batches, validation, test
        np.testing.assert_array_equal(delayed_recall(8, 10, rng=rng_a)[0], delayed_recall(8, 10, rng=rng_b)[0])
    _, batches, val, test = ex._streams(3, 10)
    ys = [delayed_recall(64, 10, rng=r)[1] for r in (batches, val, test)]
    assert not np.array_equal(ys[0], ys[1]) and not np.array_equal(ys[1], ys[2]), (
        "training, validation and test sequences differ")
    # an RNN and an LSTM trained with one seed are scored on the same sequences and see the same batches
    rnn = ex.train_on_gap("rnn", 2, seed=4, steps=1, **TINY)
    lstm = ex.train_on_gap("lstm", 2, seed=4, steps=1, **TINY)
    assert rnn.history.accuracy[0] is not None and lstm.history.accuracy[0] is not None


def test_early_stopping_on_an_easy_gap():
    r = ex.train_on_gap("lstm", gap=0, seed=0, steps=400, H=16, lr=1e-2, batch_size=32, eval_size=256)
    assert r.steps < 400, "stops as soon as a whole batch is right"
    assert r.history.accuracy[-1] == 1.0
    assert r.solved
    full = ex.train_on_gap("lstm", gap=0, seed=0, steps=5, H=16, lr=1e-2, batch_size=32,
                           eval_size=32, target_accuracy=None)
    assert full.steps == 5


def test_one_lucky_batch_does_not_stop_training():
    """A batch that reaches the target only triggers a validation check; failing it, training goes on."""
    r = ex.train_on_gap("lstm", gap=3, seed=0, steps=6, target_accuracy=0.01, solved_at=1.0, val_size=64, **TINY)
    assert r.steps == 6 == len(r.history.loss) == len(r.history.grad_norm)
    assert not r.solved


@pytest.mark.parametrize("kwargs, error", [
    (dict(kind="gru", gap=3), "kind must be 'lstm' or 'rnn'"),
    (dict(kind="lstm", gap=-1), "gap must be an integer >= 0"),
    (dict(kind="lstm", gap=2.5), "gap must be an integer >= 0"),
    (dict(kind="lstm", gap=3, seed=-1), "seed must be an integer >= 0"),
    (dict(kind="lstm", gap=3, solved_at=1.5), r"solved_at must be in \(0, 1\]"),
    (dict(kind="lstm", gap=3, target_accuracy=0), r"target_accuracy must be in \(0, 1\]"),
])
def test_train_on_gap_rejects_bad_arguments(kwargs, error):
    with pytest.raises(ValueError, match=error):
        ex.train_on_gap(steps=1, **TINY, **kwargs)


def test_evaluate_on_gap_counts_every_sequence():
    rng = np.random.default_rng(0)
    model = init_sequence_model("lstm", 13, 4, 8, rng)
    acc = ex.evaluate_on_gap(model, 3, 300, np.random.default_rng(1))  # two chunks: 256 + 44
    assert 0.0 <= acc <= 1.0 and acc * 300 == pytest.approx(round(acc * 300))
    assert acc == ex.evaluate_on_gap(model, 3, 300, np.random.default_rng(1))


# ---------------------------------------------------------------------------------------
# gap_sweep

def test_gap_sweep_tables():
    models = {"LSTM": {"kind": "lstm", "forget_bias": 3.0}, "RNN": {"kind": "rnn"}}
    sweep = ex.gap_sweep(models, gaps=[1, 2], seeds=[0, 1], steps=2, **TINY)
    assert sweep.labels == ["LSTM", "RNN"] and sweep.gaps == (1, 2) and sweep.seeds == (0, 1)
    for table in (sweep.accuracy(), sweep.steps(), sweep.solved(), sweep.seconds()):
        assert set(table) == {"LSTM", "RNN"}
        assert all(v.shape == (2, 2) for v in table.values())
    assert sweep.solved()["RNN"].dtype == bool
    r = sweep.get("RNN", 2, seed=1)
    assert (r.kind, r.gap, r.seed, r.budget) == ("rnn", 2, 1, 2)
    assert sweep.get("LSTM", 1).seed == 0
    # the same seed and gap give the same result as a direct call
    direct = ex.train_on_gap("lstm", 2, seed=1, steps=2, forget_bias=3.0, **TINY)
    assert sweep.get("LSTM", 2, seed=1).history.loss == direct.history.loss


def test_gap_sweep_rejects_bad_models():
    with pytest.raises(ValueError, match="non-empty dict"):
        ex.gap_sweep({}, gaps=[1])
    with pytest.raises(ValueError, match="'kind'"):
        ex.gap_sweep({"x": {"forget_bias": 1.0}}, gaps=[1])
    with pytest.raises(ValueError, match="sets \\['steps'\\]"):
        ex.gap_sweep({"x": {"kind": "lstm", "steps": 5}}, gaps=[1])
    with pytest.raises(ValueError, match="at least one gap"):
        ex.gap_sweep({"x": {"kind": "lstm"}}, gaps=[])


# ---------------------------------------------------------------------------------------
# The race and the other experiments registered for `make results`

def test_param_count_matches_the_initialised_models():
    from lstm_course.tree import tree_size
    for kind, H in (("lstm", 5), ("rnn", 7)):
        model = init_sequence_model(kind, 4, H, 3, np.random.default_rng(0))
        assert ex.param_count(kind, 4, H, 3) == tree_size(model)
    H = ex.rnn_units_matching_lstm(64, 13, 8)
    target = ex.param_count("lstm", 13, 64, 8)
    assert H == 133 and abs(ex.param_count("rnn", 13, H, 8) - target) <= abs(ex.param_count("rnn", 13, H - 1, 8) - target)
    with pytest.raises(ValueError, match="kind"):
        ex.param_count("gru", 4, 5, 3)


def test_best_learning_rate_prefers_solved_then_fast_then_accurate():
    unit = lambda acc, steps, loss: {"val_accuracy": acc, "steps": steps, "val_loss": loss}  # noqa: E731
    assert ex.best_learning_rate({1e-3: unit(0.97, 80, 0.2), 1e-2: unit(0.99, 40, 0.3), 3e-4: unit(0.5, 250, 1.0)}) == 1e-2
    assert ex.best_learning_rate({1e-3: unit(0.4, 250, 1.5), 1e-2: unit(0.6, 250, 1.2)}) == 1e-2
    assert ex.best_learning_rate({1e-3: unit(0.4, 250, 1.5), 1e-2: unit(0.4, 250, 1.2)}) == 1e-2
    assert ex.best_learning_rate({1e-3: unit(0.96, 200, 0.5), 1e-2: unit(0.9, 10, 0.1)}) == 1e-3


def test_validation_score_uses_the_sequences_of_train_on_gap():
    r = ex.train_on_gap("lstm", 3, seed=4, steps=3, target_accuracy=None, **TINY)
    acc, loss = ex.validation_score(r.params, 3, 4, val_size=256)
    assert 0 <= acc <= 1 and loss > 0
    assert ex.validation_score(r.params, 3, 4) == (acc, loss)
    assert ex.validation_score(r.params, 3, 5) != (acc, loss)


def _tiny(settings, **changes):
    import copy
    s = copy.deepcopy(settings)
    s.update(changes)
    return s


def test_race_runs_end_to_end_and_resumes(tmp_path):
    from lstm_course import results as R
    s = _tiny(ex.RACE, gaps=(2, 3), steps=4, select_steps=2, checkpoint_gap=3,
              models={k: dict(v, H=3) for k, v in ex.RACE["models"].items()})
    spec = R.Experiment("tiny_race", ex.run_race, (0, 1), s)
    data = ex.run_race(R.Runner(spec, tmp_path, quiet=True))
    assert set(data["chosen_lr"]) == set(s["models"])
    for label in s["models"]:
        for gap in ("2", "3"):
            assert data["chosen_lr"][label][gap] in s["lr_grid"]
            assert [run["seed"] for run in data["runs"][label][gap]] == [0, 1]
            assert all(len(run["curve_accuracy"]) == 1 for run in data["runs"][label][gap])
    weights = R.load_checkpoint("tiny_race", tmp_path)
    model = ex.model_from_arrays("lstm", weights, "LSTM, forget bias 3|seed1|")
    again = ex.train_on_gap("lstm", 3, seed=1, steps=4, lr=data["chosen_lr"]["LSTM, forget bias 3"]["3"], H=3,
                            forget_bias=3.0, **s["train"])
    np.testing.assert_array_equal(model.cell.W_hf, again.params.cell.W_hf)
    # a second run reads every unit back instead of training again
    assert ex.run_race(R.Runner(spec, tmp_path, quiet=True)) == data


def test_gate_summary_finds_the_units_that_differ_between_cues():
    model = init_sequence_model("lstm", 13, 6, 8, np.random.default_rng(0), forget_bias=3.0)
    out = ex.gate_summary(model, 4, np.random.default_rng(1), n=64, holding_units=2)
    x, y = delayed_recall(64, 4, rng=np.random.default_rng(1))
    c = np.array([ex.lstm_gates_over_sequence(model, q)["c"] for q in x])
    spread = np.array([c[y == k, -2].mean(axis=0) for k in range(8) if (y == k).any()]).std(axis=0)
    assert out["units"] == list(np.argsort(spread)[::-1][:2])
    assert out["hold"]["f_gap"] == pytest.approx(
        np.mean([ex.lstm_gates_over_sequence(model, q)["f"][1:5, out["units"]] for q in x]))
    assert abs(out["hold"]["b_f"] - 3.0) < 0.1


def test_variant_units_return_what_the_lessons_read():
    s5 = _tiny(ex.LESSON_05, steps=3, final_window=2)
    out = ex.adding_variants_unit(0, s5)
    assert set(out) == set(s5["variants"]) and all(set(v) == {"final", "first"} for v in out.values())
    s7 = _tiny(ex.LESSON_07, steps=2, test_size=8, test_multiples=(1, 2))
    out = ex.output_tanh_unit(0, s7)
    assert all(len(v["acc"]) == 2 and len(v["h_max"]) == 2 for v in out.values())
    assert max(out["full"]["h_max"]) < 1
