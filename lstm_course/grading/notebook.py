"""Reading submitted notebooks without trusting them, and choosing what to execute.

The grader never executes a notebook top to bottom. From the instructor's lesson it knows which
functions to grade (`lesson_exercises`: the lesson's `check_X(fn)` calls); from the submission it
takes the definitions of those functions and the top-level statements they depend on (imports,
other functions and classes, assignments), found by name (`plan`). Expressions at the top level
(check calls, prints, plots) and statements nothing needs (training runs) are not executed.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import re
import symtable
from pathlib import Path

from .rpc import AST_LOCK  # the grader's threads parse one at a time (see rpc.AST_LOCK)

__all__ = ["NotebookError", "Cell", "Statement", "Exercise", "read_code_cells", "parse_cells",
           "lesson_exercises", "plan", "fingerprint"]

MAX_NOTEBOOK_BYTES = 128 * 2 ** 20
MAX_CELL_CHARS = 200_000
MAX_CELLS = 20_000
_MAGIC = re.compile(r"^(\s*)[%!]")


class NotebookError(ValueError):
    """The file is not a notebook we can read; the message says why."""


@dataclasses.dataclass
class Cell:
    number: int  # 1-based, counting every cell (as Jupyter shows them)
    source: str
    tree: ast.Module | None = None
    error: str | None = None  # why it could not be parsed

    @property
    def filename(self):
        return f"<cell {self.number}>"

    def label(self):
        first = next((line.strip() for line in self.source.splitlines() if line.strip()), "")
        first = first if len(first) <= 60 else first[:59] + "…"
        return f"cell {self.number}" + (f" (`{first}`)" if first else "")


@dataclasses.dataclass
class Statement:
    cell: Cell
    index: int
    node: ast.stmt
    binds: frozenset
    uses_now: frozenset  # names read when the statement runs
    uses_later: frozenset  # names read when a function it defines is called

    @property
    def position(self):
        return (self.cell.number, self.index)


@dataclasses.dataclass(frozen=True)
class Exercise:
    check: str  # e.g. "check_forget_gate"
    functions: tuple  # the learner's function names, e.g. ("forget_gate",)
    keywords: tuple = ()  # literal keyword arguments of the lesson's call, as (name, value)
    allowed: tuple = ()  # (module, name) of the package functions the lesson's own solution uses


# ---------------------------------------------------------------------------------------
# Reading

def _text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return ""


def read_code_cells(path, max_bytes=MAX_NOTEBOOK_BYTES):
    """The code cells of a notebook file as a list of (cell number, source).

    Reads nbformat 4 and 3 (and anything close to them), never the outputs' content; raises
    NotebookError with a sentence for anything else.
    """
    path = Path(path)
    try:
        info = path.lstat()
    except OSError as exc:
        raise NotebookError(f"cannot read the file ({exc.strerror or exc})") from None
    import stat

    if not stat.S_ISREG(info.st_mode):
        raise NotebookError("not a regular file")
    if info.st_size == 0:
        raise NotebookError("the file is empty")
    if info.st_size > max_bytes:
        raise NotebookError(f"the file is {info.st_size / 2 ** 20:.0f} MB, more than the "
                            f"{max_bytes / 2 ** 20:.0f} MB allowed")
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise NotebookError(f"cannot read the file ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except RecursionError:
        raise NotebookError("not a valid notebook file: JSON nested too deeply") from None
    except ValueError as exc:
        raise NotebookError(f"not a valid notebook file: bad JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict):
        raise NotebookError("not a valid notebook file: the JSON is not an object")
    cells = data.get("cells")
    if cells is None and isinstance(data.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in data["worksheets"] if isinstance(ws, dict)
                 for c in (ws.get("cells") if isinstance(ws.get("cells"), list) else [])]
    if not isinstance(cells, list):
        raise NotebookError("not a valid notebook file: it has no list of cells")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"{len(cells)} cells, more than the {MAX_CELLS} allowed")
    out = []
    for number, cell in enumerate(cells, 1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = _text(cell.get("source")) or _text(cell.get("input"))
            out.append((number, source))
    return out


def _without_magics(source):
    """IPython syntax replaced by `pass` (same line numbers); a %%cell magic empties the cell."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join(_MAGIC.sub(r"\1pass  # ", line) if _MAGIC.match(line) else line
                     for line in source.split("\n"))


def parse_cells(code_cells):
    """[Cell] with their parsed trees (or the parse error)."""
    cells = []
    for number, source in code_cells:
        cell = Cell(number, _without_magics(source))
        if len(cell.source) > MAX_CELL_CHARS:
            cell.error = f"the cell is longer than {MAX_CELL_CHARS} characters"
        else:
            try:
                with AST_LOCK:
                    cell.tree = ast.parse(cell.source, cell.filename)
            except SyntaxError as exc:
                cell.error = f"SyntaxError: {exc.msg} (line {exc.lineno})"
            except (ValueError, RecursionError, MemoryError) as exc:
                cell.error = f"{type(exc).__name__}: the cell cannot be parsed"
        cells.append(cell)
    return cells


# ---------------------------------------------------------------------------------------
# Names

def _loads(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stores(node):
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.split(".")[0] for a in n.names if a.name != "*"}
    return names


def _function_globals(source, filename):
    """Global names read inside the function or class defined by `source` (one statement)."""
    try:
        with AST_LOCK:
            top = symtable.symtable(source, filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names = set()

    def walk(table):
        for sym in table.get_symbols():
            if sym.is_referenced() and (sym.is_global() or sym.is_declared_global()):
                names.add(sym.get_name())
        for child in table.get_children():
            walk(child)

    for child in top.get_children():
        walk(child)
    return names


def _statement(cell, index, node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = node.args
        now = set()
        for part in [*node.decorator_list, *args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            now |= _loads(part)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                now |= _loads(arg.annotation)
        if node.returns is not None:
            now |= _loads(node.returns)
        segment = ast.get_source_segment(cell.source, node) or ""
        later = _function_globals(segment, cell.filename) if segment else None
        if later is None:
            later = _loads(node)
        return Statement(cell, index, node, frozenset({node.name}), frozenset(now), frozenset(later))
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return Statement(cell, index, node, frozenset(_stores(node)), frozenset(), frozenset())
    binds = _stores(node)
    uses = _loads(node)
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:  # x[0] = ... or x.a = ... changes x
            root = target
            while isinstance(root, (ast.Subscript, ast.Attribute, ast.Starred)):
                root = root.value
            if isinstance(root, ast.Name) and root is not target:
                binds.add(root.id)
    if isinstance(node, ast.Expr):
        binds = set()  # an expression binds nothing (its walrus targets are ignored)
    return Statement(cell, index, node, frozenset(binds), frozenset(uses), frozenset())


def statements(cells):
    out = []
    for cell in cells:
        if cell.tree is not None:
            out += [_statement(cell, k, node) for k, node in enumerate(cell.tree.body)]
    return out


def _calls_to(stmts, name):
    """Positions of statements that call `name(...)` (e.g. the check) at any depth."""
    found = []
    for st in stmts:
        for n in ast.walk(st.node):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name:
                found.append(st.position)
                break
    return found


def plan(cells, exercises, max_statements=400):
    """Which statements to execute, and where each exercise's functions are defined.

    Returns (to_run, found) where to_run is [Statement] in notebook order and found maps each
    exercise's check to {function name: Statement or None}. A function is taken as defined at
    the submission's first call of the check (as in Jupyter), else at the end of the notebook.
    """
    stmts = statements(cells)
    end = (float("inf"), 0)

    def last_binding(name, before):
        best = None
        for st in stmts:
            if name in st.binds and st.position < before:
                best = st
        return best

    needed, found = {}, {}
    for ex in exercises:
        calls = _calls_to(stmts, ex.check)
        anchor = calls[0] if calls else end
        found[ex.check] = {}
        for fn in ex.functions:
            st = last_binding(fn, anchor) or last_binding(fn, end)
            found[ex.check][fn] = st
            if st is None:
                continue
            work = [(st, anchor)]
            while work and len(needed) < max_statements:
                current, call_time = work.pop()
                if current.position in needed:
                    continue
                needed[current.position] = current
                for name in current.uses_now:
                    dep = last_binding(name, current.position)
                    if dep is not None:
                        work.append((dep, dep.position))
                for name in current.uses_later:
                    dep = last_binding(name, call_time) or last_binding(name, end)
                    if dep is not None:
                        work.append((dep, call_time))
    return [needed[p] for p in sorted(needed)], found


# ---------------------------------------------------------------------------------------
# The lesson's exercises

def lesson_exercises(path, known_checks):
    """[Exercise] of an instructor's lesson notebook: its `check_X(fn, ...)` calls, in order."""
    cells = parse_cells(read_code_cells(path))
    exercises, seen = [], set()
    for cell in cells:
        if cell.tree is None:
            continue
        for node in ast.walk(cell.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            name = node.func.id
            if name not in known_checks or name in seen:
                continue
            if not node.args or not all(isinstance(a, ast.Name) for a in node.args):
                continue
            keywords = []
            for kw in node.keywords:
                try:
                    with AST_LOCK:
                        keywords.append((kw.arg, ast.literal_eval(kw.value)))
                except ValueError:
                    pass
            seen.add(name)
            exercises.append(Exercise(name, tuple(a.id for a in node.args), tuple(keywords)))
    return [dataclasses.replace(ex, allowed=_package_uses(cells, ex)) for ex in exercises]


def _package_uses(cells, exercise, package="lstm_course"):
    """(module, name) of the package's functions that the lesson's solution of `exercise` uses."""
    to_run, _ = plan(cells, [exercise])
    used = set().union(*(st.uses_now | st.uses_later for st in to_run)) if to_run else set()
    allowed = set()
    for st in to_run:
        node = st.node
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(package):
            if node.module.startswith(f"{package}.checks"):
                continue
            for alias in node.names:
                local = alias.asname or alias.name
                if local not in used:
                    continue
                allowed.add((node.module, alias.name))
                # `from lstm_course import losses`: the functions used as losses.NAME
                allowed |= {(f"{node.module}.{alias.name}", n.attr) for s in to_run for n in ast.walk(s.node)
                            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == local}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package + ".") and not alias.name.startswith(f"{package}.checks"):
                    allowed.add((alias.name, "*"))
    return tuple(sorted(allowed))


# ---------------------------------------------------------------------------------------
# Similarity

class _Normalise(ast.NodeTransformer):
    """Local names become v0, v1, ... in order of appearance; docstrings go."""

    def __init__(self, keep):
        self.keep, self.names = keep, {}

    def _rename(self, name):
        if name in self.keep:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node):
        node.id = self._rename(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._rename(node.arg)
        node.annotation = None
        return node

    def _body(self, node):
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
        node.returns = None
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _body


def _is_stub(node):
    body = [s for s in getattr(node, "body", []) if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.dump(body[0])


def fingerprint(nodes, global_names):
    """(exact, sketch) of the functions' normalised code, or ("", "") for an untouched stub.

    exact: a hash equal for solutions that differ only in local names, comments, docstrings and
    layout. sketch: a MinHash of its 5-grams of AST tokens, for near-identical solutions.
    """
    try:
        with AST_LOCK:  # copying and rewriting AST nodes constructs nodes
            return _fingerprint(nodes, global_names)
    except (RecursionError, MemoryError, ValueError):
        return "", ""


def _fingerprint(nodes, global_names):
    nodes = [n for n in nodes if n is not None]
    if not nodes or all(_is_stub(n) for n in nodes):
        return "", ""
    import copy

    parts = []
    for node in nodes:
        node = _Normalise(set(global_names)).visit(copy.deepcopy(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.name = "f"
        parts.append(node)
    tokens = []
    for node in parts:
        for n in ast.walk(node):
            tokens.append(type(n).__name__)
            for field in ("id", "attr", "arg", "value"):
                value = getattr(n, field, None)
                if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                    tokens.append(str(value))
    exact = hashlib.sha256("\n".join(ast.dump(p, annotate_fields=False) for p in parts).encode()).hexdigest()[:16]
    shingles = {" ".join(tokens[i:i + 5]) for i in range(max(1, len(tokens) - 4))}
    sketch = []
    for salt in range(16):
        sketch.append(min(int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4, salt=bytes([salt]) * 8)
                                         .digest(), "big") for s in shingles))
    return exact, "".join(f"{v:08x}" for v in sketch)


def sketch_similarity(a, b):
    """Estimated Jaccard similarity of two sketches (fraction of equal MinHash values)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    pairs = [(a[i:i + 8], b[i:i + 8]) for i in range(0, len(a), 8)]
    return sum(x == y for x, y in pairs) / len(pairs)
