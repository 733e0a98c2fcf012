"""The copy of `lstm_course` a sandbox sees: without the solution of the exercise being graded.

For each exercise the sandbox gets a *sanitised copy* of the package:

- `activations`, `validation`, `tree` and `tasks` (no exercise's solution) are copied as they are;
- `checks` is a stub whose checks do nothing (the grader runs the real ones);
- every other module keeps its imports, constants and classes (LSTMParams, LSTMStepCache, an
  optimizer, with their methods) and loses its functions, except those the lesson's own
  solution of this exercise uses from the package (e.g. lesson 08's sequence forward may call the
  package's `lstm_step_forward`) and what those need, across modules. Using anything else raises
  "not allowed in an exercise: import of lstm_course.lstm".
"""

from __future__ import annotations

import ast
import shutil
import symtable
import threading
from pathlib import Path

from .notebook import AST_LOCK

__all__ = ["ALLOWED_MODULES", "NOT_ALLOWED", "PackageGraph", "build_sanitised_package", "PackageCopies"]

ALLOWED_MODULES = ("__init__", "activations", "validation", "tree", "tasks")
NOT_ALLOWED = "not allowed in an exercise"


def _dotted(package_dir, src):
    rel = src.relative_to(package_dir)
    parts = (package_dir.name, *rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module, level, current, is_package):
    """The absolute name of `from <level dots><module> import ...` inside `current`."""
    if level == 0:
        return module or ""
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([module] if module else []))


class PackageGraph:
    """Which top-level function of which module needs which others (by name, statically)."""

    def __init__(self, package_dir):
        self.package_dir = Path(package_dir)
        self.functions = {}  # module -> {name: set of (module, name) it needs}
        self.classes = {}  # module -> set of (module, name) its classes' kept methods need
        for src in sorted(self.package_dir.rglob("*.py")):
            if "__pycache__" in src.parts:
                continue
            try:
                self._read(_dotted(self.package_dir, src), src.read_text(encoding="utf-8"), src.name == "__init__.py")
            except (SyntaxError, ValueError, RecursionError, OSError):
                continue

    def _read(self, module, source, is_package):
        with AST_LOCK:
            tree = ast.parse(source)
        imported = {}  # local name -> (module, attr) or (module, None) for a module
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom):
                target = _resolve(stmt.module, stmt.level, module, is_package)
                for alias in stmt.names:
                    local = alias.asname or alias.name
                    if target.startswith(self.package_dir.name):
                        sub = f"{target}.{alias.name}"
                        is_module = (self.package_dir / Path(*sub.split(".")[1:])).with_suffix(".py").exists()
                        imported[local] = (sub, None) if is_module else (target, alias.name)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.name.startswith(self.package_dir.name + ".") and alias.asname:
                        imported[alias.asname] = (alias.name, None)
        funcs = {stmt.name: stmt for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}

        def needs(node):
            segment = ast.get_source_segment(source, node) or ""
            names = set()
            try:
                with AST_LOCK:
                    top = symtable.symtable(segment, module, "exec")

                def walk(table):
                    for sym in table.get_symbols():
                        if sym.is_referenced() and sym.is_global():
                            names.add(sym.get_name())
                    for child in table.get_children():
                        walk(child)
                for child in top.get_children():
                    walk(child)
            except (SyntaxError, ValueError, RecursionError):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            out = set()
            for name in names:
                if name in funcs:
                    out.add((module, name))
                elif name in imported:
                    target, attr = imported[name]
                    if attr is not None:
                        out.add((target, attr))
                    else:  # a module: the attributes used on it
                        out |= {(target, n.attr) for n in ast.walk(node) if isinstance(n, ast.Attribute)
                                and isinstance(n.value, ast.Name) and n.value.id == name}
            return out

        self.functions[module] = {name: needs(node) for name, node in funcs.items()}
        kept = set()
        for stmt in tree.body:  # what the data types' methods need (LSTMParams.__post_init__, ...)
            if isinstance(stmt, ast.ClassDef) and _is_data_type(stmt):
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        kept |= needs(item)
        self.classes[module] = kept

    def closure(self, seeds):
        """Every (module, function) needed by `seeds` and by the classes of the modules involved."""
        todo = list(seeds) + [dep for deps in self.classes.values() for dep in deps]
        keep = set()
        while todo:
            module, name = todo.pop()
            if (module, name) in keep:
                continue
            keep.add((module, name))
            if name == "*":
                todo += [(module, n) for n in self.functions.get(module, {})]
                continue
            todo += list(self.functions.get(module, {}).get(name, ()))
        return keep


def _is_data_type(node):
    """A dataclass or a NamedTuple (their methods are part of the data, e.g. validation)."""
    names = {n.id if isinstance(n, ast.Name) else n.attr for part in (*node.decorator_list, *node.bases)
             for n in ast.walk(part) if isinstance(n, (ast.Name, ast.Attribute))}
    return bool(names & {"dataclass", "NamedTuple"})


def _sanitise(source, module_name, keep=frozenset()):
    """Keep imports, constants, classes (with their methods) and the functions in `keep`."""
    try:
        with AST_LOCK:
            tree = ast.parse(source)
    except SyntaxError:
        return f"raise ImportError({NOT_ALLOWED + ': import of ' + module_name!r})\n"
    out = [f'"""{module_name} inside a grading sandbox: no solutions."""', "from __future__ import annotations"]
    kept = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if stmt.name not in keep:
                continue
            kept.append(stmt.name)
        elif isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            continue
        elif isinstance(stmt, ast.Expr) and isinstance(getattr(stmt, "value", None), ast.Constant):
            continue  # docstrings
        elif isinstance(stmt, ast.ClassDef):
            kept.append(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            kept += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        parts = [stmt]
        if isinstance(stmt, ast.ImportFrom) and len(stmt.names) > 1:  # one name may be missing
            parts = [ast.ImportFrom(module=stmt.module, names=[alias], level=stmt.level) for alias in stmt.names]
        for part in parts:
            code = ast.unparse(part)
            out.append("try:\n" + "\n".join("    " + line for line in code.splitlines()) +
                       "\nexcept Exception:\n    pass")
    message = f"{NOT_ALLOWED}: import of {module_name}"
    out.append(f"__all__ = [n for n in {sorted(set(kept))!r} if n in globals() and n != '__all__']")
    out.append("def __getattr__(name):\n    if name.startswith('__'):\n        raise AttributeError(name)\n"
               f"    raise ImportError({message!r} + '.' + name, name={module_name!r})")
    return "\n\n".join(out) + "\n"


def _check_stub(module_name, check_names):
    lines = [f'"""{module_name} inside a grading sandbox: the checks do nothing here; the grader runs them."""',
             "def _no_check(*args, **kwargs):\n    return None"]
    lines += [f"{name} = _no_check" for name in sorted(check_names)]
    lines.append("def __getattr__(name):\n    if name.startswith('__'):\n        raise AttributeError(name)\n"
                 "    if name.startswith('check_'):\n        return _no_check\n"
                 f"    raise ImportError({NOT_ALLOWED + ': import of ' + module_name!r}, name={module_name!r})")
    return "\n\n".join(lines) + "\n"


def build_sanitised_package(package_dir, target, check_names=(), keep=frozenset(), allowed=ALLOWED_MODULES):
    """Write the sandbox's copy of the package `package_dir` into `target`.

    keep : set of (module, function name) to leave in (with what they need: `PackageGraph.closure`).
    """
    package_dir, target = Path(package_dir), Path(target)
    keep_by_module = {}
    for module, name in keep:
        keep_by_module.setdefault(module, set()).add(name)
    for src in sorted(package_dir.rglob("*.py")):
        rel = src.relative_to(package_dir)
        if "__pycache__" in rel.parts:
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dotted = _dotted(package_dir, src)
        if rel.parts[0] == "checks":
            dest.write_text(_check_stub(dotted, check_names), encoding="utf-8")
        elif rel.parts[0] == "grading":
            if rel.name == "__init__.py":
                dest.write_text('"""The grader is not available in the sandbox."""\n', encoding="utf-8")
            elif rel.name == "rpc.py":
                shutil.copyfile(src, dest)
        elif len(rel.parts) == 1 and rel.stem in allowed:
            shutil.copyfile(src, dest)
        else:
            names = keep_by_module.get(dotted, set())
            dest.write_text(_sanitise(src.read_text(encoding="utf-8"), dotted, names), encoding="utf-8")
    return target


class PackageCopies:
    """Sanitised copies of the package, one per set of allowed functions, made when first needed."""

    def __init__(self, package_dir, folder, check_names):
        self.package_dir, self.folder, self.check_names = Path(package_dir), Path(folder), tuple(check_names)
        self._graph = None
        self._copies = {}
        self._lock = threading.Lock()

    def get(self, allowed=frozenset()):
        """The copy (a directory named like the package) allowing these (module, name) functions."""
        allowed = frozenset(allowed)
        with self._lock, AST_LOCK:
            if allowed not in self._copies:
                if self._graph is None:
                    self._graph = PackageGraph(self.package_dir)
                keep = frozenset(self._graph.closure(allowed))
                target = self.folder / f"copy{len(self._copies)}" / self.package_dir.name
                self._copies[allowed] = build_sanitised_package(self.package_dir, target, self.check_names, keep)
            return self._copies[allowed]
