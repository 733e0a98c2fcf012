"""The training loop: it learns, records its history, stops on target, never changes its inputs."""

import numpy as np
import pytest

from lstm_course import model, optim, tasks
from lstm_course.train import TrainingHistory, train
from lstm_course.tree import tree_leaves


def _setup(seed=0, gap=2):
    rng = np.random.default_rng(seed)
    params = model.init_sequence_model("lstm", 13, 16, 8, rng, forget_bias=1.0)
    make_batch = lambda r: tasks.delayed_recall(32, gap, n_classes=8, rng=r)  # noqa: E731
    return params, make_batch


def test_learns_a_short_gap_and_records_every_step():
    params, make_batch = _setup()
    trained, history = train(params, model.make_loss_fn(), make_batch, 300, optim.Adam(1e-2),
                             np.random.default_rng(1), clip_norm=1.0, progress=False)
    assert len(history) == 300 == len(history.accuracy) == len(history.grad_norm)
    assert np.mean(history.loss[-20:]) < 0.5 * history.loss[0]  # chance is log 8 = 2.08
    x, y = tasks.delayed_recall(500, 2, n_classes=8, rng=np.random.default_rng(99))
    assert (model.model_forward(trained, x)[0].argmax(axis=1) == y).mean() > 0.9


def test_stops_at_the_target_and_reports_the_step():
    params, make_batch = _setup()
    _, history = train(params, model.make_loss_fn(), make_batch, 500, optim.Adam(1e-2),
                       np.random.default_rng(1), clip_norm=1.0, progress=False, target_accuracy=1.0)
    assert len(history) < 500 and history.accuracy[-1] == 1.0
    assert history.first_step(accuracy=1.0) == len(history)
    assert history.first_step(loss=-1.0) is None


def test_clipping_bounds_the_step_but_history_keeps_the_norm_before():
    params, make_batch = _setup()
    _, history = train(params, model.make_loss_fn(), make_batch, 5, optim.SGD(0.1),
                       np.random.default_rng(1), clip_norm=1e-3, progress=False)
    assert min(history.grad_norm) > 1e-3  # recorded before clipping


def test_same_seed_same_history_and_params_unchanged():
    params, make_batch = _setup()
    before = [a.copy() for a in tree_leaves(params)]
    runs = [train(params, model.make_loss_fn(), make_batch, 10, optim.Adam(1e-2),
                  np.random.default_rng(5), progress=False)[1].loss for _ in range(2)]
    assert runs[0] == runs[1]
    for a, b in zip(tree_leaves(params), before):
        np.testing.assert_array_equal(a, b)


def test_plain_lines_outside_jupyter(capsys):
    params, make_batch = _setup()
    train(params, model.make_loss_fn(), make_batch, 10, optim.Adam(1e-2), np.random.default_rng(1),
          progress="auto")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and lines[-1].startswith("step 10/10  loss ")


def test_a_diverging_run_says_what_to_do():
    params, make_batch = _setup()
    with pytest.raises(FloatingPointError, match="clip"):
        train(params, lambda p, x, y: (float("nan"), p, None), make_batch, 3, optim.SGD(0.1),
              np.random.default_rng(1), progress=False)


@pytest.mark.parametrize("kwargs,match", [
    (dict(steps=0), "steps must be an integer >= 1"),
    (dict(rng=0), "rng must be a Generator"),
    (dict(clip_norm=-1.0), "clip_norm must be a positive number"),
    (dict(progress="bar-chart"), "progress must be"),
])
def test_bad_arguments(kwargs, match):
    params, make_batch = _setup()
    args = dict(steps=3, rng=np.random.default_rng(0), progress=False)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        train(params, model.make_loss_fn(), make_batch, optimizer=optim.SGD(0.1), **args)


def test_history_as_dict_and_first_step_arguments():
    history = TrainingHistory(loss=[2.0, 1.0], accuracy=[0.1, 0.9], grad_norm=[1.0, 2.0])
    assert history.as_dict()["accuracy"] == [0.1, 0.9]
    assert history.first_step(accuracy=0.5) == 2 and history.first_step(loss=1.5) == 2
    with pytest.raises(ValueError, match="exactly one"):
        history.first_step()
