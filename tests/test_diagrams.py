"""Tests of lstm_course.diagrams: what is drawn, what is highlighted, what is rejected."""

import itertools

import matplotlib

matplotlib.use("Agg")  # headless, set here so the module needs no conftest

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color, to_rgba  # noqa: E402

from lstm_course import diagrams  # noqa: E402
from lstm_course.diagrams import GATE_COLORS, HIGHLIGHTS, artists_by_gid, draw_lstm_cell  # noqa: E402

DRAWERS = [
    diagrams.draw_unrolled_rnn,
    diagrams.draw_rnn_cell,
    diagrams.draw_lstm_cell,
    diagrams.draw_memory_lanes,
    diagrams.draw_gradient_paths,
]
GATE_BOXES = {"forget": "forget_gate", "input": "input_gate", "candidate": "candidate",
              "output": "output_gate"}


@pytest.fixture(autouse=True)
def no_leaked_figures():
    before = set(plt.get_fignums())
    yield
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def one(ax, gid):
    found = artists_by_gid(ax, gid)
    assert len(found) == 1, f"expected one artist with gid {gid!r}, found {len(found)}"
    return found[0]


def greyed(artist):
    return same_color(artist.get_edgecolor(), diagrams._GREY_EDGE)


@pytest.mark.parametrize("draw", DRAWERS, ids=lambda f: f.__name__)
def test_draws_on_the_given_axes_without_new_figures(draw):
    fig, ax = plt.subplots()
    count = len(plt.get_fignums())
    assert draw(ax=ax) is ax
    assert len(plt.get_fignums()) == count
    assert len(ax.patches) > 3 and len(ax.texts) > 2
    assert not ax.axison


@pytest.mark.parametrize("draw", DRAWERS, ids=lambda f: f.__name__)
def test_without_axes_makes_one_modest_figure(draw):
    count = len(plt.get_fignums())
    ax = draw()
    assert len(plt.get_fignums()) == count + 1
    width, height = ax.figure.get_size_inches()
    assert width <= 8 and height <= 5


def text_overlaps(ax):
    """Pairs of visible labels whose rendered boxes intersect."""
    renderer = ax.figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).expanded(0.98, 0.9))
             for t in ax.texts if t.get_text().strip()]
    return [(a, b) for (a, bb_a), (b, bb_b) in itertools.combinations(boxes, 2) if bb_a.overlaps(bb_b)]


EXTRA_LAYOUTS = {
    "lstm_cell_all": lambda: draw_lstm_cell(highlight=HIGHLIGHTS),
    "memory_lanes_6": lambda: diagrams.draw_memory_lanes(steps=6),
    "unrolled_rnn_8": lambda: diagrams.draw_unrolled_rnn(steps=8),
    "gradient_paths_2": lambda: diagrams.draw_gradient_paths(steps=2),
}


@pytest.mark.parametrize("draw", DRAWERS + list(EXTRA_LAYOUTS.values()),
                         ids=[f.__name__ for f in DRAWERS] + list(EXTRA_LAYOUTS))
def test_labels_do_not_overlap(draw):
    assert text_overlaps(draw()) == []


def test_overlap_check_can_fail():
    ax = diagrams.draw_rnn_cell()
    ax.text(-1.35, 0.9, "$h_{t-1}$", ha="right")  # a second label on top of the first
    assert text_overlaps(ax) != []


def test_labels_shrink_in_a_small_subplot():
    big = draw_lstm_cell()
    _, axes = plt.subplots(2, 2, figsize=(7, 3.5))
    small = draw_lstm_cell(ax=axes[0, 0])
    assert max(t.get_fontsize() for t in small.texts) < 0.7 * max(t.get_fontsize() for t in big.texts)
    assert text_overlaps(small) == []


def test_lstm_cell_has_every_named_part():
    ax = draw_lstm_cell()
    for gid in ["forget_gate", "input_gate", "candidate", "output_gate", "cell_state_line",
                "forget_mult", "cell_add", "input_mult", "output_mult", "output_tanh",
                "hidden_in", "hidden_out", "hidden_out_top"]:
        one(ax, gid)
    labels = {t.get_text() for t in ax.texts}
    assert {r"$\tilde{c}_t$", "$f_t$", "$i_t$", "$o_t$", "$c_{t-1}$", "$h_{t-1}$", "$x_t$"} <= labels


def test_without_highlight_each_gate_has_its_own_colour():
    ax = draw_lstm_cell()
    faces = [one(ax, gid).get_facecolor() for gid in GATE_BOXES.values()]
    assert len({tuple(f) for f in faces}) == 4
    for name, gid in GATE_BOXES.items():
        assert same_color(one(ax, gid).get_edgecolor(), GATE_COLORS[name])
    assert not any(greyed(p) for p in ax.patches if p.get_gid() in GATE_BOXES.values())


@pytest.mark.parametrize("name", list(GATE_BOXES))
def test_highlighting_a_gate_greys_the_others(name):
    ax = draw_lstm_cell(highlight=name)
    on = one(ax, GATE_BOXES[name])
    assert same_color(on.get_edgecolor(), GATE_COLORS[name])
    for other, gid in GATE_BOXES.items():
        if other != name:
            off = one(ax, gid)
            assert greyed(off)
            assert to_rgba(off.get_facecolor()) != to_rgba(on.get_facecolor())
    assert on.get_linewidth() > one(ax, GATE_BOXES[next(g for g in GATE_BOXES if g != name)]).get_linewidth()


def test_forget_highlight_shows_its_path_to_the_cell_state():
    ax = draw_lstm_cell(highlight="forget")
    assert not greyed(one(ax, "forget_out")) and not greyed(one(ax, "forget_mult"))
    assert greyed(one(ax, "cell_add")) and greyed(one(ax, "output_mult"))
    assert greyed(one(ax, "cell_state_line"))


def test_cell_state_highlight_colours_only_the_memory_lane():
    ax = draw_lstm_cell(highlight="cell_state")
    line = one(ax, "cell_state_line")
    assert same_color(line.get_edgecolor(), GATE_COLORS["cell_state"])
    assert not greyed(one(ax, "forget_mult")) and not greyed(one(ax, "cell_add"))
    assert all(greyed(one(ax, gid)) for gid in GATE_BOXES.values())


def test_cell_update_and_output_highlights():
    ax = draw_lstm_cell(highlight="cell_update")
    assert not greyed(one(ax, "update_out")) and not greyed(one(ax, "input_mult"))
    assert greyed(one(ax, "output_tanh"))
    ax = draw_lstm_cell(highlight="output")
    assert not greyed(one(ax, "output_tanh")) and not greyed(one(ax, "hidden_out"))
    assert greyed(one(ax, "update_out"))


def test_highlight_accepts_a_list_and_writes_the_equations():
    ax = draw_lstm_cell(highlight=["input", "candidate"])
    assert not greyed(one(ax, "input_gate")) and not greyed(one(ax, "candidate"))
    assert greyed(one(ax, "forget_gate"))
    text = " ".join(t.get_text() for t in ax.texts)
    assert r"i_t = \sigma" in text and r"\tilde{c}_t = \tanh" in text
    assert "f_t = " not in text
    plain = draw_lstm_cell(highlight=["input", "candidate"], equations=False)
    assert len(plain.texts) == len(ax.texts) - 1


@pytest.mark.parametrize("bad", ["forgets", ["forget", "memory"], [], 3, "Forget"])
def test_invalid_highlight_lists_the_valid_names(bad):
    count = len(plt.get_fignums())
    with pytest.raises(ValueError, match="forget, input, candidate, cell_update, output"):
        draw_lstm_cell(highlight=bad)
    assert len(plt.get_fignums()) == count  # rejected before any figure is made


def test_every_valid_highlight_draws():
    for name in HIGHLIGHTS:
        ax = draw_lstm_cell(highlight=name)
        assert any(not greyed(p) for p in ax.patches if p.get_gid() != "cell_body")
        plt.close(ax.figure)


def test_unrolled_rnn_has_one_cell_per_step():
    ax = diagrams.draw_unrolled_rnn(steps=5)
    assert [one(ax, f"cell_{k}") for k in range(1, 6)]
    assert artists_by_gid(ax, "cell_6") == []
    assert len([a for a in ax.patches if str(a.get_gid()).startswith("recurrent_")]) == 4 + 1  # + loop
    labels = {t.get_text() for t in ax.texts}
    assert {"$x_{1}$", "$x_{5}$", "$h_{5}$", "$h_0$", "="} <= labels
    ax = diagrams.draw_unrolled_rnn(steps=2, folded=False)
    assert artists_by_gid(ax, "recurrent_loop") == [] and "=" not in {t.get_text() for t in ax.texts}


@pytest.mark.parametrize("draw, steps", [(diagrams.draw_unrolled_rnn, 0),
                                         (diagrams.draw_memory_lanes, 1.5),
                                         (diagrams.draw_gradient_paths, 1)])
def test_bad_step_counts_are_rejected(draw, steps):
    with pytest.raises(ValueError, match="steps"):
        draw(steps=steps)


def test_memory_lanes_add_a_cell_state_line_to_the_lstm_only():
    ax = diagrams.draw_memory_lanes(steps=3)
    lane = one(ax, "memory_lane")
    assert same_color(lane.get_edgecolor(), GATE_COLORS["cell_state"])
    one(ax, "rnn_main_line"), one(ax, "lstm_main_line")
    assert len([a for a in ax.patches if str(a.get_gid()).startswith("lstm_cell_")]) == 3
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "memory lane" in texts and texts.count("main line") == 2


def test_gradient_paths_show_the_product_of_forget_gates():
    ax = diagrams.draw_gradient_paths(steps=3)
    assert len([a for a in ax.patches if str(a.get_gid()).startswith("cell_path_")]) == 3
    texts = " ".join(t.get_text() for t in ax.texts)
    assert r"f_{k+1} \odot \cdots \odot f_T" in texts and "f_{3}" in texts
