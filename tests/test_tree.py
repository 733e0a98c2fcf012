"""Tests for lstm_course.tree: walking, mapping and measuring parameter trees."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pytest

from lstm_course.tree import (
    tree_global_norm,
    tree_leaves,
    tree_leaves_with_path,
    tree_map,
    tree_size,
    tree_unflatten_like,
    tree_zeros_like,
)


@dataclass(frozen=True)
class Dense:
    W: np.ndarray
    b: np.ndarray

    def __post_init__(self) -> None:
        if self.b.shape != (self.W.shape[0],):
            raise ValueError(f"expected b of shape ({self.W.shape[0]},), got {self.b.shape}")


@dataclass(frozen=True)
class Model:
    encoder: Dense
    scale: np.ndarray
    n_calls: int = field(default=0, init=False)  # derived, not a child


class Pair(NamedTuple):
    a: np.ndarray
    b: np.ndarray


def make_model() -> Model:
    enc = Dense(W=np.arange(6.0).reshape(2, 3), b=np.array([1.0, -1.0]))
    return Model(encoder=enc, scale=np.array(2.0))


def test_leaves_in_declaration_order_with_paths():
    model = make_model()
    named = tree_leaves_with_path(model)
    assert [path for path, _ in named] == ["encoder.W", "encoder.b", "scale"]
    # the leaves are the tree's own arrays, not copies
    assert named[0][1] is model.encoder.W
    assert [leaf.shape for leaf in tree_leaves(model)] == [(2, 3), (2,), ()]


def test_dict_and_namedtuple_and_bare_array():
    tree = {"first": np.ones(2), "rest": Pair(a=np.zeros(3), b=np.ones((1, 1)))}
    assert [p for p, _ in tree_leaves_with_path(tree)] == ["first", "rest.a", "rest.b"]
    assert tree_size(tree) == 6
    assert tree_leaves_with_path(np.ones(3))[0][0] == ""
    doubled = tree_map(lambda x: 2 * x, tree)
    assert isinstance(doubled, dict) and isinstance(doubled["rest"], Pair)
    np.testing.assert_array_equal(doubled["rest"].b, [[2.0]])


def test_tree_map_returns_new_container_of_same_type_and_keeps_input():
    model = make_model()
    before = [leaf.copy() for leaf in tree_leaves(model)]
    out = tree_map(lambda a: a + 1, model)
    assert type(out) is Model and type(out.encoder) is Dense
    np.testing.assert_array_equal(out.encoder.W, model.encoder.W + 1)
    for leaf, old in zip(tree_leaves(model), before):
        np.testing.assert_array_equal(leaf, old)


def test_tree_map_over_several_trees():
    a, b = make_model(), tree_map(lambda x: 10 * x, make_model())
    total = tree_map(lambda x, y: x + y, a, b)
    np.testing.assert_array_equal(total.encoder.b, [11.0, -11.0])
    assert float(total.scale) == 22.0
    # 10 * (0-d array) is a NumPy scalar; tree_map keeps the leaf an ndarray
    assert isinstance(total.scale, np.ndarray) and total.scale.shape == ()


def test_tree_map_reruns_post_init_validation():
    model = make_model()
    # a shape-changing map must be caught by Dense.__post_init__, proving replace() was used
    with pytest.raises(ValueError, match="expected b of shape"):
        tree_map(lambda a: a[:1] if a.ndim == 1 else a, model)


def test_tree_map_structure_mismatch_names_the_path():
    with pytest.raises(ValueError, match=r"trees differ at 'b'"):
        tree_map(lambda x, y: x + y, {"a": np.ones(1), "b": np.ones(1)},
                 {"a": np.ones(1), "b": {"c": np.ones(1)}})
    with pytest.raises(ValueError, match="expected keys"):
        tree_map(lambda x, y: x + y, {"a": np.ones(1)}, {"z": np.ones(1)})


def test_non_array_leaf_is_a_type_error_naming_the_path():
    with pytest.raises(TypeError, match=r"at 'outer.inner.0'.*got float"):
        tree_leaves({"outer": {"inner": [1.0, 2.0]}})


def test_lists_and_tuples_are_containers():
    grads = [np.ones(2), (np.full(3, 2.0),)]
    doubled = tree_map(lambda a: 2 * a, grads)
    assert isinstance(doubled, list) and isinstance(doubled[1], tuple)
    np.testing.assert_array_equal(doubled[1][0], np.full(3, 4.0))
    assert len(tree_leaves(grads)) == 2


def test_zeros_like_keeps_shapes_and_dtypes():
    tree = {"a": np.ones((2, 2), dtype=np.float32), "b": np.ones(3)}
    zeros = tree_zeros_like(tree)
    assert zeros["a"].dtype == np.float32 and zeros["b"].dtype == np.float64
    assert all(not leaf.any() for leaf in tree_leaves(zeros))
    assert zeros["a"] is not tree["a"]


def test_unflatten_like_places_new_leaves():
    model = make_model()
    leaves = [np.full_like(leaf, i) for i, leaf in enumerate(tree_leaves(model))]
    out = tree_unflatten_like(model, leaves)
    assert out.encoder.b is leaves[1]
    with pytest.raises(ValueError, match="expected 3 leaves"):
        tree_unflatten_like(model, leaves[:2])


def test_global_norm_golden_value():
    # sqrt(3**2 + 4**2 + 12**2) = 13, split across leaves of different dtypes
    tree = {"a": np.array([3.0, 4.0]), "b": np.array([[12.0]], dtype=np.float32)}
    assert tree_global_norm(tree) == 13.0
    assert tree_global_norm({"a": np.zeros(3)}) == 0.0


def test_global_norm_does_not_overflow_and_reports_non_finite():
    big = {"a": np.array([3e200, 4e200])}
    assert tree_global_norm(big) == pytest.approx(5e200, rel=1e-15)
    assert tree_global_norm({"a": np.array([1.0, np.inf])}) == math.inf
    assert math.isnan(tree_global_norm({"a": np.array([np.nan]), "b": np.array([1.0])}))


def test_size_counts_every_scalar():
    assert tree_size(make_model()) == 6 + 2 + 1
