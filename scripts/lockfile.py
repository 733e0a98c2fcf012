"""Read the lock file (requirements-lock.txt) and keep environment.yml pinned to it.

The lock is written by `make lock` (uv pip compile, universal, with hashes) from pyproject.toml's
dependencies and its extras [course, site]. It may pin a package to different versions for
different Pythons or platforms (an environment marker after `;`); environment.yml, for conda and
Binder, is one environment: Python 3.11 on Linux, whose pins it takes from the lock.

    python scripts/lockfile.py environment          # rewrite environment.yml's pins from the lock
    python scripts/lockfile.py environment --check  # exit 1 (and say what differs) if out of date
    python scripts/lockfile.py extract numpy        # numpy's locked requirement (with hashes) for
                                                    # this interpreter: for `pip install -r`

Standard library only (it runs before anything is installed), but `packaging` for the markers,
or else the copy that pip carries.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-lock.txt"
ENVIRONMENT = ROOT / "environment.yml"

#: The one environment environment.yml describes (Binder's, and the conda users').
CONDA_PYTHON = "3.11"
CONDA_MARKERS = {"python_version": CONDA_PYTHON, "python_full_version": f"{CONDA_PYTHON}.0",
                 "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                 "platform_machine": "x86_64", "implementation_name": "cpython",
                 "platform_python_implementation": "CPython"}

#: conda-forge names that differ from PyPI's.
CONDA_NAME = {"matplotlib": "matplotlib-base"}

#: Installed by pip inside environment.yml, not by conda: conda-forge names the package
#: `playwright-python` and publishes new releases weeks after PyPI, so a pin taken from the
#: lock may not exist there yet.
PIP_IN_CONDA = ("playwright",)


def _markers():
    """packaging.markers, or pip's copy of it in an environment that has only pip."""
    try:
        from packaging import markers
    except ImportError:
        from pip._vendor.packaging import markers
    return markers


def normalise(name: str) -> str:
    """PEP 503: lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path = LOCK) -> list[dict]:
    """The lock's requirements: dicts with name, version, marker (or None), text (the entry's
    lines, hashes included) and via (the set of what requires it, from the lock's comments)."""
    entries, current = [], None
    for line in path.read_text().splitlines():
        comment = re.match(r"^\s+#\s+(?:via\s+)?(\S.*)$", line)
        if comment and current is not None:  # "# via X" or "#   X": what needs this package
            if comment.group(1).strip() != "via":
                current["via"].add(comment.group(1).strip())
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "\t")):
            match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?\s*$", line)
            if match is None:
                raise ValueError(f"{path.name}: cannot read the line {line!r}")
            name, version, marker = match.groups()
            current = {"name": normalise(name), "version": version, "marker": marker, "text": [line], "via": set()}
            entries.append(current)
        elif current is not None:
            current["text"].append(line)
    return entries


def pins(environment: dict[str, str] | None = None, path: Path = LOCK) -> dict[str, str]:
    """name -> version for one environment (default: environment.yml's, `CONDA_MARKERS`)."""
    Marker = _markers().Marker
    environment = CONDA_MARKERS if environment is None else environment
    chosen = {}
    for entry in read_lock(path):
        if entry["marker"] is None or Marker(entry["marker"]).evaluate(environment):
            if entry["name"] in chosen and chosen[entry["name"]] != entry["version"]:
                raise ValueError(f"{path.name} pins {entry['name']} twice for one environment")
            chosen[entry["name"]] = entry["version"]
    return chosen


def direct_requirements(pyproject: Path = ROOT / "pyproject.toml", extras=("course", "site")) -> list[str]:
    """The names of the dependencies pyproject.toml lists (base and the given extras), normalised."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return [normalise(re.match(r"^\s*([A-Za-z0-9_.\-]+)", r).group(1)) for r in requirements]


def environment_text(text: str, locked: dict[str, str], names: list[str]) -> str:
    """environment.yml's text with its dependency list rewritten: python, then every direct
    requirement pinned to the lock (conda names), pip, and under pip: the pip-only ones and -e ."""
    head, sep, _ = text.partition("\ndependencies:")
    if not sep:
        raise ValueError("environment.yml has no 'dependencies:' section")
    missing = [n for n in names if n not in locked]
    if missing:
        raise ValueError(f"the lock has no pin for {missing}: run make lock")
    lines = ["", "dependencies:", f"  - python={CONDA_PYTHON}"]
    lines += [f"  - {CONDA_NAME.get(n, n)}={locked[n]}" for n in names if n not in PIP_IN_CONDA]
    lines += ["  - pip", "  - pip:"]
    lines += [f"      - {n}=={locked[n]}" for n in names if n in PIP_IN_CONDA]
    lines += ["      - -e .", ""]
    return head + "\n".join(lines)


def extract(names: list[str], path: Path = LOCK) -> str:
    """The lock's entries (hashes included) of `names` for the running interpreter."""
    markers = _markers()
    Marker, environment = markers.Marker, markers.default_environment()
    wanted = {normalise(n) for n in names}
    chosen = [e for e in read_lock(path)
              if e["name"] in wanted and (e["marker"] is None or Marker(e["marker"]).evaluate(environment))]
    missing = wanted - {e["name"] for e in chosen}
    if missing:
        raise SystemExit(f"error: {path.name} has no entry for {sorted(missing)} on Python {platform.python_version()}")
    return "\n".join("\n".join(e["text"]) for e in chosen) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    env = sub.add_parser("environment", help="pin environment.yml to the lock")
    env.add_argument("--check", action="store_true", help="only report whether it is up to date")
    ext = sub.add_parser("extract", help="print locked requirements for this interpreter")
    ext.add_argument("names", nargs="+")
    args = parser.parse_args(argv)

    if args.command == "extract":
        sys.stdout.write(extract(args.names))
        return 0
    old = ENVIRONMENT.read_text()
    new = environment_text(old, pins(), direct_requirements())
    if args.check:
        if new != old:
            print("environment.yml is not pinned to requirements-lock.txt: run "
                  "`python scripts/lockfile.py environment` (make lock does)", file=sys.stderr)
            return 1
        return 0
    if new != old:
        ENVIRONMENT.write_text(new)
        print("environment.yml: pins updated from requirements-lock.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
