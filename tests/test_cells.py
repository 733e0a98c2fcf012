"""The search for interpretable units, and the figures that show them."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstm_course.cells import best_units, plot_text_activation, plot_unit_gates, unit_correlations  # noqa: E402
from lstm_course.charlm import init_charlm  # noqa: E402
from lstm_course.text import Vocabulary  # noqa: E402
from lstm_course.text_properties import position_properties  # noqa: E402


def test_unit_correlations_known_values():
    prop = np.array([0.0, 1.0, 2.0, 3.0])
    acts = np.stack([prop, -2 * prop + 1, np.ones(4), np.array([1.0, -1.0, 1.0, -1.0])], axis=1)
    r = unit_correlations(acts, prop)
    assert np.allclose(r, [1.0, -1.0, 0.0, -0.4472135954999579])
    with pytest.raises(ValueError, match=r"\(L, H\)"):
        unit_correlations(prop, prop)


def test_best_units_picks_on_search_and_reports_on_the_other_text():
    text = "ab (cd) ef\n   (gh) ij\n" * 8
    vocab = Vocabulary.from_text(text)
    params = init_charlm("lstm", vocab.size, 3, 6, np.random.default_rng(0))
    ids = vocab.encode(text)
    half = len(ids) // 2
    props_a = position_properties(text[:half])
    props_b = position_properties(text[half:])
    found = best_units(params, ids[:half], ids[half:], props_a, props_b)
    assert set(found) == set(props_a)
    from lstm_course.charlm import lstm_internals
    c = lstm_internals(params, ids[:half])["c"]
    for name, entry in found.items():
        r = unit_correlations(c, props_a[name])
        assert entry["unit"] == int(np.argmax(np.abs(r))) and entry["search_r"] == pytest.approx(r[entry["unit"]])
        c_b = lstm_internals(params, ids[half:])["c"]
        assert entry["report_r"] == pytest.approx(unit_correlations(c_b, props_b[name])[entry["unit"]])


def test_figures_draw_and_return_their_axes():
    text = "print('hi')\n   x = 1\n"
    vocab = Vocabulary.from_text(text)
    params = init_charlm("lstm", vocab.size, 3, 4, np.random.default_rng(0))
    ids = vocab.encode(text)
    ax = plot_text_activation(text, np.linspace(-1, 1, len(text)), width=10)
    assert len(ax.patches) == len(text)
    ax2 = plot_unit_gates(params, ids, text, unit=1)
    assert len(ax2.lines) >= 5
    with pytest.raises(ValueError, match="one value per character"):
        plot_text_activation(text, np.zeros(3))
    plt.close("all")
