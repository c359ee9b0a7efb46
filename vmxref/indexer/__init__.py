"""The indexing pipeline, readable in one screen.

    discover (profile globs) -> hash (content-addressed: reuse blobs already parsed under
    the same macro profile) -> parse + extract in worker processes -> store (one
    transaction: the previous index stays intact until commit) -> gc unreferenced blobs.
"""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vmxref.indexer import worker
from vmxref.indexer.discover import Skipped, discover, looks_binary
from vmxref.store import Store


@dataclass
class IndexStats:
    """What an indexing run did."""

    corpus: str
    version: str
    files: int = 0
    parsed: int = 0
    reused: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


Progress = Callable[[int, int], None]


def index_corpus(root: str | Path, profile, version: str, store: Store,
                 procs: int | None = None, progress: Progress | None = None) -> IndexStats:
    """Index `root` as corpus `profile.name`@`version` into `store` (caller commits)."""
    t0 = time.perf_counter()
    files, skipped = discover(root, profile)
    cid = store.upsert_corpus(profile.name, version, str(Path(root).resolve()),
                              str(profile.path or profile.name))
    st = IndexStats(profile.name, version, files=len(files))
    key = profile.parse_key()
    prev = store.previous_files(cid)
    rows: list[tuple[str, int, int, int]] = []
    todo: list[tuple[str, bytes, str, str, int, int]] = []  # path, content, sha1, lang, mtime, size
    for f in files:
        old = prev.get(f.path)
        if old is not None and old[1] == f.mtime_ns and old[2] == f.size:
            rows.append((f.path, old[0], f.mtime_ns, f.size))
            st.unchanged += 1
            continue
        try:
            content = Path(f.abspath).read_bytes()
        except OSError:
            skipped.append(Skipped(f.path, "unreadable"))
            continue
        if looks_binary(content):
            skipped.append(Skipped(f.path, "binary"))
            continue
        sha1 = hashlib.sha1(content).hexdigest()
        bid = store.blob_id(sha1, key)
        if bid is not None:
            rows.append((f.path, bid, f.mtime_ns, f.size))
            st.reused += 1
        else:
            todo.append((f.path, content, sha1, f.lang, f.mtime_ns, len(content)))
    rows += _parse_all(todo, profile, key, store, procs, progress, st)
    store.set_files(cid, rows)
    for s in skipped:
        st.skipped[s.reason] = st.skipped.get(s.reason, 0) + 1
    store.gc()
    st.files = len(rows)
    st.seconds = round(time.perf_counter() - t0, 3)
    store.set_corpus_stats(cid, {"files": st.files, "skipped": st.skipped,
                                 "skipped_files": [(s.path, s.reason) for s in skipped[:200]]})
    return st


def _parse_all(todo, profile, key, store, procs, progress, st) -> list[tuple[str, int, int, int]]:
    """Parse and extract new contents in worker processes; store each as it arrives."""
    rows = []
    seen: dict[str, int] = {}
    jobs = []
    for i, (path, content, sha1, lang, mtime, size) in enumerate(todo):
        if sha1 in seen:  # same content twice in this run
            continue
        seen[sha1] = -1
        jobs.append((i, content, lang))
    macros = profile.section("macros")
    n = procs or os.cpu_count() or 1
    done = 0
    if n > 1 and len(jobs) > 4:
        ctx = mp.get_context("fork")
        with ctx.Pool(n, initializer=worker.init, initargs=(macros,)) as pool:
            results = pool.imap_unordered(worker.work, jobs, chunksize=4)
            for job, facts, status in results:
                path, content, sha1, lang, _, _ = todo[job]
                seen[sha1] = store.add_blob(sha1, key, lang, content, facts, status)
                done += 1
                if progress:
                    progress(done, len(jobs))
    else:
        worker.init(macros)
        for item in jobs:
            job, facts, status = worker.work(item)
            path, content, sha1, lang, _, _ = todo[job]
            seen[sha1] = store.add_blob(sha1, key, lang, content, facts, status)
            done += 1
            if progress:
                progress(done, len(jobs))
    st.parsed = len(jobs)
    for path, content, sha1, lang, mtime, size in todo:
        rows.append((path, seen[sha1], mtime, size))
    return rows
