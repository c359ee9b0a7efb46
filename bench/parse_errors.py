"""Share of source lines inside tree-sitter ERROR nodes, raw vs normalised.

    python bench/parse_errors.py ROOT PROFILE [--top N] [--raw] [--file PATH]

PROFILE is a shipped corpus name (linux-kvm, virtualbox-vmm) or a TOML path; its [macros]
table drives vmxref.indexer.normalize. Languages come from the profile's [lang] table
(falling back to C for .c/.h and C++ for .cpp). Prints totals, normalize() time and the
files with the most error lines; `--file` prints the error line ranges of one file.
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import re
import sys
import time
import tomllib
from pathlib import Path

from vmxref.indexer import normalize, ts

EXTS = (".c", ".h", ".cpp", ".cpp.h")


def load_table(profile: str) -> dict:
    """The whole profile TOML; when it does not parse, just its [macros] tables."""
    path = Path(profile)
    if not path.exists():
        path = Path(normalize.__file__).parents[1] / "corpora" / f"{profile}.toml"
    text = path.read_text()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        print(f"warning: {path}: {e}; reading only its [macros] tables", file=sys.stderr)
        start = re.search(r"^\[macros\]", text, re.M).start()
        return tomllib.loads(text[start:])


def lang_of(data: dict, name: str) -> str:
    """Grammar of a file name from the profile's [lang] globs."""
    for pat, lang in data.get("lang", {}).items():
        if fnmatch.fnmatchcase(name, pat):
            return lang
    return "cpp" if name.endswith(".cpp") else "c"


def error_lines(text: bytes, lang: str) -> set[int]:
    """0-based line numbers covered by ERROR nodes (and MISSING tokens)."""
    lines: set[int] = set()
    stack = [ts.parse(text, lang).root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR":
            lines.update(range(node.start_point[0], node.end_point[0] + 1))
        elif node.has_error:
            stack.extend(node.children)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Entry point (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("profile")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--raw", action="store_true", help="also count errors without normalising")
    ap.add_argument("--file", help="print error line ranges of this file")
    a = ap.parse_args(argv)
    data = load_table(a.profile)
    prof = normalize.load_profile(data.get("macros", {}))
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.root) for f in fs
                   if f.endswith(EXTS))
    if a.file:
        files = [a.file]
    total = raw_err = err = 0
    tnorm = tparse = 0.0
    worst = []
    for p in files:
        src = open(p, "rb").read()
        lang = lang_of(data, os.path.basename(p))
        t0 = time.perf_counter()
        text, _ = normalize.normalize(src, prof)
        t1 = time.perf_counter()
        lines = error_lines(text, lang)
        tparse += time.perf_counter() - t1
        tnorm += t1 - t0
        assert len(text) == len(src), p
        total += src.count(b"\n") + 1
        err += len(lines)
        if a.raw:
            raw_err += len(error_lines(src, lang))
        worst.append((len(lines), p))
        if a.file:
            print(_ranges(sorted(lines)))
    print(f"files {len(files)} lines {total} error-lines {err} ({100 * err / total:.2f} %)"
          + (f" raw {raw_err} ({100 * raw_err / total:.2f} %)" if a.raw else ""))
    print(f"normalize {tnorm:.3f} s, parse+walk {tparse:.3f} s")
    for n, p in sorted(worst)[::-1][: a.top]:
        print(f"{n:6d} {os.path.relpath(p, a.root)}")
    return 0


def _ranges(lines: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(lines):
        if start is None:
            start = n
        if i + 1 == len(lines) or lines[i + 1] != n + 1:
            out.append(f"{start + 1}-{n + 1}" if n > start else f"{n + 1}")
            start = None
    return " ".join(out)


if __name__ == "__main__":
    sys.exit(main())
