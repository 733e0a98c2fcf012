"""The lock file, pyproject.toml and environment.yml (conda, Binder) describe one environment.

requirements-lock.txt is made from pyproject.toml by `make lock` (uv pip compile, with hashes);
environment.yml takes its pins from the lock (scripts/lockfile.py, run by `make lock`).
"""

import re
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import lockfile  # noqa: E402

# extras that conda users need as well (the reference/benchmark torch is deliberately not here)
EXTRAS = ("course", "site")


def _split(requirement):
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return lockfile.normalise(name), spec.replace(" ", "")


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


def test_lock_made_from_this_pyproject():
    """Every direct requirement, and nothing else, is locked 'via lstm-course (pyproject.toml)',
    at a version that pyproject.toml allows: a changed pyproject.toml needs `make lock`."""
    required, _ = pyproject_requirements()
    entries = lockfile.read_lock()
    direct = {e["name"] for e in entries if "lstm-course (pyproject.toml)" in e["via"]}
    assert direct == set(required), f"run make lock: the lock's direct requirements are {sorted(direct)}"
    for e in entries:
        if e["name"] in required:
            assert e["version"] in SpecifierSet(required[e["name"]]), (e["name"], e["version"], required[e["name"]])


def test_lock_pins_every_package_exactly_with_hashes():
    entries = lockfile.read_lock()
    assert len(entries) > len(pyproject_requirements()[0])  # the transitive dependencies too
    for e in entries:
        hashes = [line for line in e["text"][1:] if "--hash=sha256:" in line]
        assert hashes, f"{e['name']} has no hash"
    assert not any(e["name"] == "torch" for e in entries), "torch belongs to .venv-bench, not the course"


def test_environment_pinned_to_the_lock():
    required, _ = pyproject_requirements()
    locked = lockfile.pins()  # Python 3.11 on Linux, the environment environment.yml describes
    conda, pip = environment_entries()
    expected = {lockfile.CONDA_NAME.get(name, name): f"=={locked[name]}"
                for name in required if name not in lockfile.PIP_IN_CONDA}
    conda_deps = {k: v for k, v in conda.items() if k not in ("python", "pip")}
    assert conda_deps == expected, (
        "environment.yml and the lock disagree (make lock rewrites environment.yml):\n"
        f"  only in environment.yml: {sorted(set(conda_deps) - set(expected))}\n"
        f"  only in the lock: {sorted(set(expected) - set(conda_deps))}\n"
        f"  different versions: {sorted(k for k in expected if k in conda_deps and conda_deps[k] != expected[k])}")
    assert [p for p in pip if p != "-e ."] == [f"{n}=={locked[n]}" for n in required if n in lockfile.PIP_IN_CONDA]


def test_environment_file_is_what_the_script_writes():
    text = (ROOT / "environment.yml").read_text()
    new = lockfile.environment_text(text, lockfile.pins(), lockfile.direct_requirements())
    assert new == text, "run `python scripts/lockfile.py environment` (make lock does)"


def test_python_pinned_exactly_and_allowed_by_pyproject():
    _, requires_python = pyproject_requirements()
    conda, _ = environment_entries()
    pin = conda.get("python")
    assert pin is not None and re.fullmatch(r"==3\.\d+", pin), f"python must be pinned exactly (python=3.11), got {pin!r}"
    assert pin == f"=={lockfile.CONDA_PYTHON}"
    minimum = tuple(int(p) for p in re.search(r">=\s*([\d.]+)", requires_python).group(1).split("."))
    assert tuple(int(p) for p in pin[2:].split(".")) >= minimum


def test_package_itself_installed_by_pip():
    _, pip = environment_entries()
    assert "-e ." in pip, "environment.yml must install the package itself: pip: [-e .]"


def test_channels_are_conda_forge_only():
    text = (ROOT / "environment.yml").read_text()
    channels = re.search(r"channels:\n((?:\s+-.*\n)+)", text).group(1)
    assert [c.strip("- ").strip() for c in channels.splitlines()] == ["conda-forge"]


def test_extract_gives_an_installable_pinned_requirement():
    block = lockfile.extract(["numpy"])
    assert re.match(r"^numpy==[\d.]+", block) and "--hash=sha256:" in block
    with pytest.raises(SystemExit, match="no entry for"):
        lockfile.extract(["no-such-package"])


def test_conda_sets_the_blas_threads_of_lstm_course_blas():
    from lstm_course.blas import BLAS_THREADS

    text = (ROOT / "environment.yml").read_text()
    block = re.search(r"\nvariables:\n((?:\s+.*\n)+?)(?=\S)", text).group(1)
    variables = dict(re.findall(r"^\s+([A-Z_]+):\s*\"?([^\"\n]*)\"?\s*$", block, flags=re.M))
    assert variables == BLAS_THREADS
