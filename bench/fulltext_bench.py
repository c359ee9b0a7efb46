"""Benchmark vmxref.fulltext: build over a source tree, then time a few warm queries.

Usage: python bench/fulltext_bench.py ROOT [--index DIR] [--procs N] [--query TEXT ...]
Prints one markdown table row:
| tree | files | lines | build s | index MB | open ms | query: ms (hits) ... |
Function spans are not extracted here (the indexer provides them), so hits carry none.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from vmxref import fulltext

EXTS = (".c", ".h", ".cpp")
DEFAULT_QUERIES = ("TscTicks", "tsc scale", "kvm_arch_vcpu_load", "\"tsc offset\"", "cpu")


def iter_files(root: Path, corpus: str, version: str) -> Iterator[fulltext.FileText]:
    """Every .c/.h/.cpp file under `root` as a FileText (no function spans)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(EXTS):
                path = Path(dirpath, name)
                text = path.read_bytes().decode("utf-8", "replace")
                rel = path.relative_to(root).as_posix()
                yield fulltext.FileText(corpus, version, rel, text, [])


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.iterdir()) / 1e6


def _time_query(index_dir: Path, query: str, repeat: int = 5) -> tuple[float, int]:
    """Best-of-`repeat` milliseconds of a warm in-process query, and its hit count."""
    hits = fulltext.search(index_dir, query)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fulltext.search(index_dir, query)
        best = min(best, time.perf_counter() - t0)
    return best * 1000, len(hits)


def main() -> None:
    """Parse arguments, build, query, print the markdown row."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--query", action="append", default=None)
    args = ap.parse_args()
    index_dir = args.index or Path(tempfile.mkdtemp(prefix="ftbench-")) / "fulltext"
    files = iter_files(args.root, "bench", args.root.name)
    stats = fulltext.build(index_dir, files, procs=args.procs)
    t0 = time.perf_counter()
    fulltext.search(index_dir, "zzzznotthere")
    open_ms = (time.perf_counter() - t0) * 1000
    cells = [f"`{q}`: {ms:.0f} ms ({n})" for q in (args.query or DEFAULT_QUERIES)
             for ms, n in [_time_query(index_dir, q)]]
    print(f"| {args.root.name} | {stats['files']} | {stats['lines']} | {stats['seconds']:.1f} "
          f"| {_dir_mb(index_dir):.1f} | {open_ms:.0f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
