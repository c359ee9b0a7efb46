"""The optional C parts of vmxref (everything else is in pyproject.toml).

vmxref.indexer._native writes the workers' spools and scans a file's identifiers; it needs
a C compiler, Python's headers and SQLite's (Debian: libsqlite3-dev).

vmxref._ftscan is the full-text search's line filter (vmxref/fulltext.py); it needs only
Python's headers.

vmxref.indexer._tsnative runs extraction passes over the syntax trees py-tree-sitter built
(see vmxref/indexer/native.py). It is compiled with the tree-sitter runtime of the pinned
`tree-sitter` distribution, from that distribution's source archive: VMXREF_TS_SRC names an
unpacked copy; otherwise the archive is fetched from the package index pip uses (checked
against the sha256 the index gives) into build/. Nothing of tree-sitter is kept in this repository.

When a part cannot be built, pip carries on and the Python twins of its functions do the
work (the same facts, slower).
"""
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent


def _pinned_tree_sitter() -> str:
    """The tree-sitter version pyproject.toml pins (the runtime must match its trees)."""
    text = (HERE / "pyproject.toml").read_text()
    m = re.search(r'"tree-sitter==([0-9][0-9.]*)"', text)
    return m.group(1) if m else ""


def _index_urls() -> list[str]:
    """Package indexes to look in, as pip would (its environment settings, then PyPI)."""
    urls = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").split()
    return urls + os.environ.get("PIP_EXTRA_INDEX_URL", "").split()


def _fetch_sdist(version: str, dest: Path) -> bool:
    """Unpack tree_sitter/core/lib of the tree-sitter sdist `version` into dest: the archive
    is found on a package index's simple page and checked against the sha256 it gives."""
    pattern = re.compile(r'href="([^"]*/tree[-_]sitter-' + re.escape(version) +
                         r'\.tar\.gz)#sha256=([0-9a-f]{64})"')
    errors = []
    for index in _index_urls():
        try:
            page = index.rstrip("/") + "/tree-sitter/"
            with urllib.request.urlopen(page, timeout=60) as r:
                m = pattern.search(r.read().decode("utf-8", "replace"))
            if m is None:
                errors.append(f"{page}: no sdist")
                continue
            with urllib.request.urlopen(urllib.parse.urljoin(page, m.group(1)), timeout=120) as r:
                data = r.read()
            if hashlib.sha256(data).hexdigest() != m.group(2):
                errors.append(f"{page}: checksum mismatch")
                continue
            _unpack_lib(data, dest)
            return True
        except Exception as e:  # noqa: BLE001 - offline, moved archive: try the next index
            errors.append(f"{index}: {e}")
    print(f"vmxref setup: no tree-sitter {version} sources ({'; '.join(errors)}); "
          "building without vmxref.indexer._tsnative", file=sys.stderr)
    return False


def _unpack_lib(data: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = [m for m in tar.getmembers() if "/tree_sitter/core/lib/" in m.name
                   and (m.isfile() or m.isdir()) and ".." not in m.name.split("/")]
        for m in members:
            m.name = m.name.split("/", 1)[1]  # drop the tree-sitter-X.Y.Z/ prefix
        try:
            tar.extractall(dest, members=members, filter="data")
        except TypeError:  # (Python < 3.11.4: no filter; the members are checked above)
            tar.extractall(dest, members=members)


def _tree_sitter_lib(version: str) -> Path | None:
    """The `lib` folder of the tree-sitter runtime sources (lib/src/lib.c, lib/include)."""
    if os.environ.get("VMXREF_TS_SRC"):
        root = Path(os.environ["VMXREF_TS_SRC"])
    else:
        root = HERE / "build" / f"tree-sitter-src-{version}"
        if not (root / "tree_sitter/core/lib/src/lib.c").is_file() and version:
            _fetch_sdist(version, root)
    lib = root / "tree_sitter" / "core" / "lib"
    return lib if (lib / "src" / "lib.c").is_file() else None


def _extensions() -> list[Extension]:
    exts = [Extension("vmxref.indexer._native", ["vmxref/indexer/_native.c"],
                      depends=["vmxref/indexer/_idscan.h", "vmxref/indexer/_noncode.h"],
                      libraries=["sqlite3"], optional=True),
            Extension("vmxref._ftscan", ["vmxref/_ftscan.c"], optional=True),
            Extension("vmxref.queries._shortest", ["vmxref/queries/_shortest.c"],
                      optional=True)]
    version = _pinned_tree_sitter()
    lib = _tree_sitter_lib(version)
    if lib is not None:
        exts.append(Extension(
            "vmxref.indexer._tsnative",
            [*sorted(str(p.relative_to(HERE)) for p in (HERE / "vmxref/indexer").glob("_ts*.c")),
             os.path.relpath(lib / "src" / "lib.c", HERE)],
            depends=["vmxref/indexer/_tsnative.h", "vmxref/indexer/_idscan.h",
                     "vmxref/indexer/_noncode.h"],
            include_dirs=["vmxref/indexer", str(lib / "include"), str(lib / "src")],
            define_macros=[("_POSIX_C_SOURCE", "200809L"), ("_DEFAULT_SOURCE", None),
                           ("TREE_SITTER_HIDE_SYMBOLS", None),
                           ("TREE_SITTER_HIDDEN_SYMBOLS", None),
                           ("VMXREF_TS_VERSION", f'"{version}"')],
            extra_compile_args=["-std=c11", "-fvisibility=hidden"],
            optional=True))
    return exts


setup(ext_modules=_extensions())
