"""Parameter trees: walk, map and measure nested containers of arrays.

A *parameter tree* is how the course stores a model's weights and their gradients:

- a **leaf** is a ``numpy.ndarray``;
- a **container** is a dataclass instance (usually frozen), a ``NamedTuple`` or a ``dict`` whose
  values are leaves or further containers.

For a dataclass, the children are its fields that take part in ``__init__``, in declaration
order; new containers are built with :func:`dataclasses.replace`, so any ``__post_init__``
validation runs again on the new arrays. For a dict the children are its values in insertion
order. The functions here never modify a tree or its arrays; they return new ones.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Dense:
...     W: np.ndarray
...     b: np.ndarray
>>> p = Dense(W=np.ones((2, 3)), b=np.zeros(2))
>>> tree_size(p)
8
>>> [path for path, _ in tree_leaves_with_path(p)]
['W', 'b']
>>> tree_map(lambda a: 2 * a, p).W[0, 0]
np.float64(2.0)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_unflatten_like",
    "tree_zeros_like",
    "tree_global_norm",
    "tree_size",
]


def _is_namedtuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(type(obj), "_fields")


def _children(tree: Any, path: str) -> list[tuple[str, Any]]:
    """Return the (name, child) pairs of a container, or raise TypeError for anything else."""
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        # Only init fields: a field with init=False is derived and cannot be passed to replace().
        return [(f.name, getattr(tree, f.name)) for f in dataclasses.fields(tree) if f.init]
    if _is_namedtuple(tree):
        return list(zip(type(tree)._fields, tree))
    if isinstance(tree, dict):
        return list(tree.items())
    if isinstance(tree, (list, tuple)):  # e.g. a plain list of gradient arrays
        return list(enumerate(tree))
    where = f" at {path!r}" if path else ""
    raise TypeError(
        f"expected a parameter tree (ndarray, dataclass, NamedTuple, dict, list or tuple){where}, "
        f"got {type(tree).__name__}"
    )


def _rebuild(tree: Any, new_children: dict[Any, Any]) -> Any:
    """A container of the same type as ``tree`` with the given children."""
    if dataclasses.is_dataclass(tree):
        return dataclasses.replace(tree, **new_children)  # reruns __post_init__
    if _is_namedtuple(tree):
        return type(tree)(**new_children)
    if isinstance(tree, (list, tuple)):
        return type(tree)(new_children[k] for k in range(len(tree)))
    return dict(new_children)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def tree_leaves_with_path(tree: Any) -> list[tuple[str, np.ndarray]]:
    """List every leaf of a tree with its dotted path, in declaration order.

    Parameters
    ----------
    tree : ndarray, dataclass, NamedTuple or dict
        The parameter tree.

    Returns
    -------
    list of (str, ndarray)
        ``("W_x", array)`` for a top-level field, ``("cell.W_x", array)`` for a nested one. A bare
        array has the path ``""``. The arrays are the tree's own (not copies).

    Raises
    ------
    TypeError
        If a leaf is not an ndarray (the message names its path).
    """
    out: list[tuple[str, np.ndarray]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, np.ndarray):
            out.append((path, node))
            return
        for key, child in _children(node, path):
            walk(child, _join(path, key))

    walk(tree, "")
    return out


def tree_leaves(tree: Any) -> list[np.ndarray]:
    """List every leaf array of a tree, fields in declaration order.

    Parameters
    ----------
    tree : ndarray, dataclass, NamedTuple or dict
        The parameter tree.

    Returns
    -------
    list of ndarray
        The tree's own arrays (not copies).
    """
    return [leaf for _, leaf in tree_leaves_with_path(tree)]


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` leaf by leaf and return a new tree of the same type.

    Parameters
    ----------
    fn : callable
        Called as ``fn(leaf, *other_leaves)``, one leaf from ``tree`` and the matching leaf of
        each tree in ``rest``; it should return an ndarray.
    tree : ndarray, dataclass, NamedTuple or dict
        The tree whose structure (and container types) the result takes.
    *rest : trees
        Further trees with the same structure as ``tree``.

    Returns
    -------
    tree
        A new container of the same type as ``tree``. Dataclasses are rebuilt with
        :func:`dataclasses.replace`, so their validation runs on the new leaves. A NumPy scalar
        returned by ``fn`` (as arithmetic on a 0-d array gives) becomes a 0-d array.

    Raises
    ------
    ValueError
        If a tree in ``rest`` has a different structure (the message names the path).
    """

    def walk(node: Any, others: tuple[Any, ...], path: str) -> Any:
        if isinstance(node, np.ndarray):
            for other in others:
                if not isinstance(other, np.ndarray):
                    raise ValueError(
                        f"trees differ at {path or 'the root'!r}: expected an ndarray, "
                        f"got {type(other).__name__}"
                    )
            out = fn(node, *others)
            # arithmetic on a 0-d array gives a NumPy scalar; keep leaves as ndarrays
            return np.asarray(out) if isinstance(out, np.generic) else out
        children = _children(node, path)
        keys = [key for key, _ in children]
        other_children = []
        for other in others:
            if type(other) is not type(node):
                raise ValueError(
                    f"trees differ at {path or 'the root'!r}: expected {type(node).__name__}, "
                    f"got {type(other).__name__}"
                )
            pairs = dict(_children(other, path))
            if set(pairs) != set(keys):
                raise ValueError(
                    f"trees differ at {path or 'the root'!r}: expected keys {keys}, "
                    f"got {list(pairs)}"
                )
            other_children.append(pairs)
        new = {
            key: walk(child, tuple(o[key] for o in other_children), _join(path, key))
            for key, child in children
        }
        return _rebuild(node, new)

    return walk(tree, rest, "")


def tree_unflatten_like(tree: Any, leaves: list[np.ndarray]) -> Any:
    """Build a tree shaped like ``tree`` whose leaves are ``leaves`` (in :func:`tree_leaves` order).

    Parameters
    ----------
    tree : ndarray, dataclass, NamedTuple or dict
        The template: its structure and container types are kept, its arrays are not used.
    leaves : list of ndarray
        One new array per leaf of ``tree``.

    Returns
    -------
    tree
        A new tree; the arrays in ``leaves`` are placed in it without copying.
    """
    leaves = list(leaves)
    n_expected = len(tree_leaves(tree))
    if len(leaves) != n_expected:
        raise ValueError(f"expected {n_expected} leaves to match the tree, got {len(leaves)}")
    it = iter(leaves)
    return tree_map(lambda _: next(it), tree)


def tree_zeros_like(tree: Any) -> Any:
    """A new tree with the same structure, shapes and dtypes, filled with zeros."""
    return tree_map(np.zeros_like, tree)


def tree_size(tree: Any) -> int:
    """Total number of scalars in all leaves (e.g. the number of trainable parameters)."""
    return sum(int(leaf.size) for leaf in tree_leaves(tree))


def tree_global_norm(tree: Any) -> float:
    """The Euclidean norm of all leaves taken together, as one long vector.

    Parameters
    ----------
    tree : ndarray, dataclass, NamedTuple or dict
        Usually a gradient tree.

    Returns
    -------
    float
        ``sqrt(sum over leaves of sum(leaf ** 2))``; ``inf`` or ``nan`` if a leaf has them.

    Notes
    -----
    The squares are summed in float64 after dividing by the largest absolute value, so that
    float32 gradients and very large (exploding) gradients neither lose precision nor overflow.
    """
    leaves = [np.asarray(leaf, dtype=np.float64) for leaf in tree_leaves(tree)]
    leaves = [leaf for leaf in leaves if leaf.size]
    if not leaves:
        return 0.0
    if not all(np.all(np.isfinite(leaf)) for leaf in leaves):
        # inf or nan somewhere: the plain formula gives the right non-finite answer.
        return float(np.sqrt(sum(float(np.sum(leaf * leaf)) for leaf in leaves)))
    scale = max(float(np.max(np.abs(leaf))) for leaf in leaves)
    if scale == 0.0:
        return 0.0
    total = sum(float(np.sum(np.square(leaf / scale))) for leaf in leaves)
    return scale * math.sqrt(total)
