"""Time growing a full-text index by a pull, against writing it afresh.

    python bench/fulltext_pull.py INDEX_DIR OUT_DIR [--files 300] [--no-fresh]
                                  [--query TEXT ...]

INDEX_DIR is a vmxref index (e.g. bench/out/idx/linux-big/vmxref); its files are fed to
vmxref.fulltext as vmxref.api feeds them (a key per content, texts loaded on demand).
Steps, each timed: a fresh build of every file into OUT_DIR/grown; the "pull": N files
spread over the list get a comment appended (a new content each), grown into OUT_DIR/grown;
unless --no-fresh, the pulled state built afresh into OUT_DIR/fresh, and the answers of
each query compared between the two (with their warm in-process times, median of 5).
Prints the stats of every build and one line per query.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from vmxref import fulltext as ft
from vmxref.api import _FILES_SQL, fulltext_key, fulltext_text

QUERIES = ("clock update", "kvmclock", "tsc offset", "failed to set", "TscScale", "update",
           "vmxref_pull_marker")
MARK = "\n/* pulled by bench/fulltext_pull.py: vmxref_pull_marker clock update */\n"


class Pull:
    """The index's files, before or after the pull, with a loader of their texts."""

    def __init__(self, index_dir: Path, n: int) -> None:
        self.conn = sqlite3.connect(f"file:{index_dir / 'index.db'}?mode=ro", uri=True)
        self.rows = self.conn.execute(_FILES_SQL.format("b.id, b.sha1, b.profile")).fetchall()
        step = max(1, len(self.rows) // n) if n else 0
        self.edited = set(range(0, len(self.rows), step)[:n]) if n else set()
        self.blob: dict[bytes, tuple[int, bool]] = {}

    def files(self, pulled: bool):
        for i, (corpus, version, path, bid, sha1, profile) in enumerate(self.rows):
            edited = pulled and i in self.edited
            key = fulltext_key(sha1, profile)
            if edited:  # (another content: a key of its own)
                key = hashlib.sha1(key + b" pulled").digest()
            self.blob[key] = (bid, edited)
            yield ft.FileText(corpus, version, path, None, None, key)

    def load(self, f: ft.FileText) -> tuple[str, list]:
        bid, edited = self.blob[f.key]
        text, funcs = fulltext_text(self.conn, bid)  # (as vmxref.api feeds the full text)
        return text + MARK if edited else text, funcs


def _build(label: str, pull: Pull, d: Path, pulled: bool, grow: bool) -> None:
    t0 = time.perf_counter()
    stats = ft.build(d, pull.files(pulled), load=pull.load, grow=grow)
    print(f"{label:28} {time.perf_counter() - t0:8.2f} s  {stats}", flush=True)


def _answers(d: Path, q: str) -> tuple[list, float]:
    ft._open_cache.clear()
    ft.search(d, q)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        hits = ft.search(d, q)
        times.append(time.perf_counter() - t0)
    return ([(h.corpus, h.version, h.path, h.line, h.col, h.score, h.text) for h in hits],
            statistics.median(times) * 1000)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=300, help="files the pull edits")
    ap.add_argument("--no-fresh", action="store_true", help="skip the fresh build of the pull")
    ap.add_argument("--query", action="append", default=None)
    a = ap.parse_args(argv)
    pull = Pull(a.index, a.files)
    grown, fresh = a.out / "grown", a.out / "fresh"
    for d in (grown, fresh):
        shutil.rmtree(d, ignore_errors=True)
    print(f"{a.index}: {len(pull.rows)} files, {len(pull.edited)} edited by the pull")
    _build("first build (fresh)", pull, grown, False, True)
    _build("pull, grown", pull, grown, True, True)
    if a.no_fresh:
        return 0
    _build("pull, written afresh", pull, fresh, True, False)
    differ = 0
    for q in a.query or QUERIES:
        (g, tg), (f, tf) = _answers(grown, q), _answers(fresh, q)
        differ += g != f
        print(f"{q!r:24} same answers: {g == f}  hits {len(g):3}  grown {tg:6.1f} ms  "
              f"afresh {tf:6.1f} ms")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
