"""environment.yml (conda, Binder) must list the same dependencies as pyproject.toml."""

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_NAME = {"matplotlib": "matplotlib-base"}
# extras that conda users need as well (the reference/benchmark torch is deliberately not here)
EXTRAS = ("course", "site")


def _split(requirement):
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower(), spec.replace(" ", "")


def pyproject_requirements():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in EXTRAS:
        reqs += meta["optional-dependencies"][extra]
    return dict(_split(r) for r in reqs), meta["requires-python"]


def environment_entries():
    """Top-level conda dependencies and the pip list, read without a YAML library."""
    conda, pip, in_pip = {}, [], False
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"^(\s*)-\s*(.+?)\s*$", line)
        if item is None:
            in_pip = False
            continue
        indent, text = item.groups()
        if text == "pip:":
            in_pip = True
        elif in_pip and len(indent) > 2:
            pip.append(text)
        else:
            in_pip = False
            name, spec = _split(text.replace("=", "==", 1) if re.match(r"^[\w\-]+=[^=]", text) else text)
            conda[name] = spec
    return conda, pip


def test_same_dependencies_and_versions():
    required, _ = pyproject_requirements()
    conda, _ = environment_entries()
    expected = {CONDA_NAME.get(name, name): spec for name, spec in required.items()}
    conda_deps = {k: v for k, v in conda.items() if k not in ("python", "pip")}
    assert conda_deps == expected, (
        "environment.yml and pyproject.toml disagree:\n"
        f"  only in environment.yml: {sorted(set(conda_deps) - set(expected))}\n"
        f"  only in pyproject.toml: {sorted(set(expected) - set(conda_deps))}\n"
        f"  different versions: {sorted(k for k in expected if k in conda_deps and conda_deps[k] != expected[k])}")


def test_python_pinned_exactly_and_allowed_by_pyproject():
    _, requires_python = pyproject_requirements()
    conda, _ = environment_entries()
    pin = conda.get("python")
    assert pin is not None and re.fullmatch(r"==3\.\d+", pin), f"python must be pinned exactly (python=3.11), got {pin!r}"
    minimum = tuple(int(p) for p in re.search(r">=\s*([\d.]+)", requires_python).group(1).split("."))
    assert tuple(int(p) for p in pin[2:].split(".")) >= minimum


def test_package_itself_installed_by_pip():
    _, pip = environment_entries()
    assert "-e ." in pip, "environment.yml must install the package itself: pip: [-e .]"


def test_channels_are_conda_forge_only():
    text = (ROOT / "environment.yml").read_text()
    channels = re.search(r"channels:\n((?:\s+-.*\n)+)", text).group(1)
    assert [c.strip("- ").strip() for c in channels.splitlines()] == ["conda-forge"]
