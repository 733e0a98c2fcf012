"""Make `data/python_docs.txt`, the English text of lesson 11, from Debian's python3.11-doc package.

The text is the reStructuredText source of the Python 3.11 tutorial and of the Python FAQ,
as the package ships them (``/usr/share/doc/python3.11/html/_sources/``), concatenated in the
order of their tables of contents. The only change is to the few characters outside ASCII
(under 0.01% of the text): each is replaced by its ASCII base letter when it has one (é -> e)
and by ``?`` otherwise, so that the vocabulary is printable ASCII plus the newline.

Usage::

    python scripts/make_text_corpus.py                 # downloads the package with apt-get
    python scripts/make_text_corpus.py --deb FILE.deb  # or reads a .deb you already have

The output is deterministic: the same package version gives the same bytes; the script prints
the SHA-256 of the file, which `data/README.md` records (and tests/test_text.py checks).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import tempfile
import unicodedata
from pathlib import Path

PACKAGE = "python3.11-doc"
VERSION = "3.11.2-6+deb12u8"  # the version the committed file was made from
SOURCES = "usr/share/doc/python3.11/html/_sources"
# The order of each part's toctree (tutorial/index.rst, faq/index.rst), index pages first.
TUTORIAL = ["index", "appetite", "interpreter", "introduction", "controlflow", "datastructures",
            "modules", "inputoutput", "errors", "classes", "stdlib", "stdlib2", "venv", "whatnow",
            "interactive", "floatingpoint", "appendix"]
FAQ = ["index", "general", "programming", "design", "library", "extending", "windows", "gui",
       "installed"]
OUTPUT = Path(__file__).resolve().parents[1] / "data" / "python_docs.txt"


def to_ascii(text: str) -> str:
    """Replace each non-ASCII character by its ASCII base letter (NFKD), or by '?' if it has none."""
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(base if base else "?")
    return "".join(out)


def corpus_from_tree(root: Path) -> str:
    """The concatenated text from an unpacked package tree `root`."""
    parts = []
    for folder, names in (("tutorial", TUTORIAL), ("faq", FAQ)):
        for name in names:
            path = root / SOURCES / folder / f"{name}.rst.txt"
            if not path.is_file():
                raise FileNotFoundError(f"expected {path} in {PACKAGE} {VERSION}")
            parts.append(path.read_text(encoding="utf-8").rstrip("\n") + "\n")
    text = to_ascii("\n".join(parts))
    bad = sorted({ch for ch in text if ch != "\n" and not (32 <= ord(ch) < 127)})
    if bad:
        raise ValueError(f"expected printable ASCII and newlines only, found {bad!r}")
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help=f"a downloaded {PACKAGE}_{VERSION}_all.deb")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        deb = args.deb
        if deb is None:
            subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=tmp, check=True)
            deb = next(tmp.glob(f"{PACKAGE}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "tree")], check=True)
        text = corpus_from_tree(tmp / "tree")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(text.encode("ascii"))
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    print(f"wrote {args.output}: {len(text)} characters, sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
