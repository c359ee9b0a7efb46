"""The runner of bench/logline_linux.py and bench/logline_vbox.py: asks `vmxref logline`
each hand-written line of a case list and compares the first result with the expected
FILE:FUNCTION (FILE = base name).

Prints hit@1 (the expected statement is the first result), hit@3, the hits matched only
weakly (first result right, but as a contained / tail / fragment / near match), and every
miss; the exit code is 1 on a miss."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from vmxref import api
from vmxref.queries.logline import logline

STRONG = ("full", "line", "location", "ratelimit")  # (modes that explain the whole line)


def open_index(arg: str, corpus: str) -> Path:
    """The index directory: `arg` itself when it holds an index, else a fresh one of it."""
    p = Path(arg)
    if (p / "index.db").exists():
        return p
    d = Path(tempfile.mkdtemp(prefix="vmxref-logline-"))
    t = time.perf_counter()
    api.index(str(p), corpus, d)
    print(f"indexed {p} in {time.perf_counter() - t:.1f}s -> {d}", file=sys.stderr)
    return d


def main(argv: list[str], corpus: str, cases: list[tuple[str, str]], usage: str) -> int:
    """Run the cases on the tree or index argv[1] (see module docstring)."""
    if len(argv) != 2:
        print(usage, file=sys.stderr)
        return 2
    sc = api.open_scope(open_index(argv[1], corpus), corpus)
    hits, top3, weak, misses = 0, 0, [], []
    for line, expected in cases:
        res = logline(sc, line)
        got = [f"{Path(s.file).name}:{s.function}" for s in res]
        shown = [f"{s.file}:{s.line}:{s.function} {s.extra['score']} {s.extra['mode']}"
                 for s in res[:3]]
        top3 += expected in got[:3]
        if got and got[0] == expected:
            hits += 1
            if res[0].extra["mode"] not in STRONG:
                weak.append((line, shown[0]))
        else:
            misses.append((line, expected, shown))
    n = len(cases)
    print(f"hit@1 {hits}/{n}  hit@3 {top3}/{n}  weak {len(weak)}")
    for line, got in weak:
        print(f"WEAK {line!r}\n  got {got}")
    for line, expected, got in misses:
        print(f"MISS {line!r}\n  expected {expected}\n  got " + ("\n      ".join(got) or "nothing"))
    return 0 if not misses else 1
