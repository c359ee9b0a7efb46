"""The indexing pipeline, readable in one screen.

    discover (profile globs) -> hash (content-addressed: reuse blobs already parsed under
    the same macro profile) -> parse + extract in worker processes -> store (one
    transaction: the previous index stays intact until commit) -> gc unreferenced blobs.
"""
from __future__ import annotations

import json
import zlib
import os
import signal
import time
from contextlib import contextmanager
from itertools import chain, islice

from vmxref import interrupts
from vmxref.indexer import spool
from vmxref.indexer.discover import Skipped, discover, read_source
from vmxref.errors import IndexWriteError, SourceError
from vmxref.model import Record
from vmxref.store import Store, sqlite3, stats_text  # (sqlite3: the C module, as the
# store uses it: the package's date adapters import datetime)


class IndexStats(Record):
    """What an indexing run did (`removed`: files of the previous run of this corpus
    version that are gone)."""

    __slots__ = ("corpus", "version", "files", "parsed", "reused", "unchanged", "removed",
                 "skipped", "seconds", "fulltext_seconds", "fulltext_current", "fulltext_skipped",
                 "factless")

    def __init__(self, corpus: str, version: str, files: int = 0) -> None:
        self.corpus, self.version, self.files = corpus, version, files
        self.parsed = self.reused = self.unchanged = self.removed = 0
        self.skipped: dict[str, int] = {}
        self.factless: dict[str, int] = {}  # (why a parsed file gave no facts: too-slow ...)
        self.seconds = self.fulltext_seconds = 0.0
        self.fulltext_current = False  # the full-text index held these files already
        self.fulltext_skipped = False  # --no-fulltext: not built (nor brought up to date)

    def summary(self) -> str:
        """The line `vmxref index` ends with."""
        skipped = (", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items()))
                   + ": `vmxref stats` names them") if self.skipped else "none"
        factless = ("; no facts from " + ", ".join(f"{n} {k}" for k, n in sorted(
            self.factless.items())) + " (kept for search: `vmxref stats` names them)"
                    if self.factless else "")
        return (f"indexed {self.corpus}@{self.version}: {self.files} files ({self.parsed} parsed, "
                f"{self.reused} shared, {self.unchanged} unchanged; skipped: {skipped}{factless}) in "
                f"{self.seconds:.1f}s; full text " +
                ("not built (--no-fulltext)" if self.fulltext_skipped else "unchanged"
                 if self.fulltext_current else f"{self.fulltext_seconds:.1f}s"))


Progress = "Callable[[int, int], None]"  # (an annotation only: typing is not imported)


def index_corpus(root: str, profile, version: str, store: Store,
                 procs: int | None = None, progress: Progress | None = None) -> IndexStats:
    """Index `root` as corpus `profile.name`@`version` into `store` (caller commits)."""
    t0 = time.perf_counter()
    files, skipped = discover(root, profile)
    if not files and not skipped:  # (a root one level off, or the wrong profile: an empty
        # version would only answer `no symbol` later; an existing one keeps its files)
        shown = ", ".join(profile.includes[:4]) + (" ..." if len(profile.includes) > 4 else "")
        raise SourceError(f"no file under {root!r} matches the {profile.name} profile's "
                          f"[paths] include globs ({shown}); is it the tree's top directory?")
    real_root, prof_name = os.path.realpath(root), str(profile.path or profile.name)
    row = store.corpus_row(profile.name, version)
    st = IndexStats(profile.name, version, files=len(files))
    key = profile.parse_key()
    prev = store.previous_files(row[0], key) if row is not None else {}
    st.removed = len(prev.keys() - {f.path for f in files})
    kept: dict[str, tuple[str, int, int, int]] = {}  # path -> row: unchanged or shared content
    cands = []  # the files to read
    # (files an earlier run read and skipped, a binary one: unchanged, skipped again unread,
    # so that a run that finds nothing changed still writes nothing)
    was_skipped = _read_skips(store, row[0]) if row is not None else {}
    unread = 0
    for f in files:
        old = prev.get(f.path)
        gone = was_skipped.get(f.path)
        if old is not None and old[1] == f.mtime_ns and old[2] == f.size:
            kept[f.path] = (f.path, old[0], f.mtime_ns, f.size)
            st.unchanged += 1
        elif gone is not None and gone[:2] == [f.mtime_ns, f.size]:
            skipped.append(Skipped(f.path, gone[2]))
            unread += 1
        else:
            cands.append(f)
    if row is not None and not cands and not st.removed and row[1:3] == (real_root, prof_name) \
            and row[3] == stats_text(_stats(len(files) - unread, skipped, st)):
        spool.remove_leftovers(store.dir)  # (a killed run's spools: nothing else removes them)
        st.seconds = round(time.perf_counter() - t0, 3)  # (nothing to write: see Store.commit)
        return st
    cid = store.upsert_corpus(profile.name, version, real_root, prof_name)
    late: list[tuple[int, Skipped]] = []  # (position, why) of files skipped when read

    def new_contents():
        """Read and hash the candidates, largest first (their stat sizes: no big file left
        for last); yield (job, path, abspath, sha1, lang, mtime, size) of each content the
        index lacks. The pool parses the first ones while the rest are hashed; the content
        is not kept: a worker reads it again (page cache) and checks the hash."""
        if not cands:
            return
        import hashlib  # (here: an unchanged run hashes nothing)
        for i in sorted(range(len(cands)), key=lambda i: -cands[i].size):
            f = cands[i]
            content = read_source(f, profile.max_file_bytes)
            if isinstance(content, Skipped):
                late.append((i, content))
                continue
            sha1 = hashlib.sha1(content).hexdigest()
            bid = store.blob_id(sha1, key)
            if bid is not None:
                kept[f.path] = (f.path, bid, f.mtime_ns, f.size)
                st.reused += 1
            else:  # (job numbers follow the file order: a fresh index's blob ids do too)
                yield i + 1, f.path, f.abspath, sha1, f.lang, f.mtime_ns, len(content)

    parsed = _parse_all(new_contents(), profile, key, store, procs, progress, st)
    for i, f in enumerate(files):  # (changed while being indexed: its previous row, if any)
        if f.path in parsed and parsed[f.path] is None:
            del parsed[f.path]
            old = prev.get(f.path)
            if old is not None:
                kept[f.path] = (f.path, old[0], old[1], old[2])
            late.append((i, Skipped(f.path, "changed-while-indexed")))
    rows = [kept[f.path] for f in files if f.path in kept] + \
        [parsed[f.path] for f in files if f.path in parsed]
    skipped += [s for _i, s in sorted(late, key=lambda x: x[0])]
    by_path = {f.path: f for f in files}
    _write_skips(store, cid, {s.path: [by_path[s.path].mtime_ns, by_path[s.path].size, s.reason]
                              for s in skipped if s.reason in READ_SKIPS and s.path in by_path})
    store.set_files(cid, rows)
    store.gc()  # (before the indexes are built again, when a large run dropped them: the
    # deletions of a re-index that replaced most contents cost no index upkeep, and the
    # indexes are built over the live rows only; vbox-vmm re-parsed whole: 7.3 -> 5.x s)
    if store.indexes_dropped:
        store.create_indexes()
    store.refs_ready()  # (refs.db's thread: the steps below read `ref`)
    store.instantiate_templates(cid)
    store.set_corpus_stats(cid, _stats(len(rows), skipped, st))
    st.seconds = round(time.perf_counter() - t0, 3)
    return st


READ_SKIPS = frozenset({"binary", "size"})  # reasons found by reading a file's content


def _read_skips(store: Store, cid: int) -> dict[str, list]:
    """path -> [mtime_ns, size, reason] of the files the last run of a corpus version read
    and skipped (READ_SKIPS)."""
    got = store.get_meta(f"read_skips:{cid}")
    try:
        return json.loads(got) if got else {}
    except ValueError:
        return {}


def _write_skips(store: Store, cid: int, skips: dict[str, list]) -> None:
    if skips or store.get_meta(f"read_skips:{cid}") is not None:
        store.set_meta(f"read_skips:{cid}", json.dumps(skips, sort_keys=True))


def _stats(nfiles: int, skipped: list[Skipped], st: IndexStats) -> dict:
    """The corpus version's stored stats (`st` gets its file count and skip counts)."""
    st.files = nfiles
    st.skipped = {}
    for s in skipped:
        st.skipped[s.reason] = st.skipped.get(s.reason, 0) + 1
    return {"files": st.files, "skipped": st.skipped,
            "skipped_files": [(s.path, s.reason) for s in skipped[:200]]}


# More new contents than BULK, and than BULK_SHARE of the contents already indexed: the
# secondary indexes are dropped for the load and built again after it. Into an index that
# holds much already, rows added with the indexes kept cost less than building them again
# over everything: linux-big (7.7k contents), 60 / 300 / 1,000 new ones: 0.5 / 0.9 / 1.8 s
# kept against 5.7-8.6 s rebuilt; all of Linux (55k), 300 / 2,000 new: 19 / 23 s kept
# against ~75 s of CREATE INDEX (a pull, a second version sharing most files).
BULK = 50
BULK_SHARE = 1 / 3


def _parse_all(new, profile, key, store, procs, progress, st) -> dict[str, tuple[str, int, int, int]]:
    """Parse and extract new contents (`new` yields (job, path, abspath, sha1, lang, mtime,
    size)) in worker processes; store each as it arrives; path -> file row.

    Into a fresh build (no index.db yet) each blob gets its job number as id, so a
    spool's rows are copied as they are (no job -> blob join), unless a worker died and
    batches were retried (a spool may then hold rows of jobs whose result came from another
    spool: those are filtered through the job map). The facts reach the index's tables only
    when the spools are merged: the secondary indexes are dropped just before that (and
    built again after) when there are many.
    """
    seen: dict[str, int] = {}
    files: list[tuple[str, str, int, int]] = []  # path, sha1, mtime, size of every new file
    todo: dict[int, tuple[str, int, str, str]] = {}  # job -> (sha1, size, abspath, lang)

    def jobs():
        for job, path, abspath, sha1, lang, mtime, size in new:
            files.append((path, sha1, mtime, size))
            if sha1 in seen:  # same content twice in this run
                continue
            seen[sha1] = -1
            todo[job] = (sha1, size, abspath, lang)
            yield (job, abspath, sha1, lang), size

    spool_dir = store.dir
    spool.remove_leftovers(spool_dir)
    macros = (profile.section("macros"), profile.dialect, spool_dir, profile.fills())
    n = procs or os.cpu_count() or 1
    indexed = store.blob_count()
    own_ids = store.fresh  # (not an emptied index: its old ids are never given again)
    done = 0
    parts: dict[str, list[int]] = {}
    jobmap: dict[int, int] = {}
    retried: list = []
    for job, meta, status in run_jobs(jobs(), macros, n, retried):
        sha1, size, abspath, lang = todo[job]
        if status == "changed":  # (rewritten or deleted since it was hashed: no content of
            # that hash is at hand, and none may be stored under it; the file is said to have
            # changed, and keeps its previous content, if any, till the next run)
            continue
        if status != "ok":  # (stored without facts: said in the summary, named by stats)
            why = status.split(":", 1)[0]
            st.factless[why] = st.factless.get(why, 0) + 1
        zcontent = getattr(meta, "zcontent", None) or _compressed(abspath)
        seen[sha1] = jobmap[job] = store.add_blob(sha1, key, lang, size, zcontent, meta, status,
                                                  blob_id=job if own_ids else None)
        if getattr(meta, "spool", ""):
            parts.setdefault(meta.spool, []).append(job)
        done += 1
        if progress:
            progress(done, len(todo))
    spool.close_all()
    if parts:
        bulk = len(todo) > max(BULK, indexed * BULK_SHARE)
        if bulk:
            store.drop_indexes()
        _merge_spools(store, spool_dir, parts, jobmap, as_is=own_ids and not retried,
                      bulk=bulk)
        # (bulk, or an adopted spool, which has no secondary indexes: they are built once
        # the run's rows are final, after the contents no version uses any more are deleted:
        # index_corpus)
    st.parsed = len(todo)
    return {path: (path, seen[sha1], mtime, size) if seen[sha1] >= 0 else None
            for path, sha1, mtime, size in files}


def _merge_spools(store, spool_dir: str, parts: dict[str, list[int]], jobmap: dict[int, int],
                  as_is: bool, bulk: bool) -> None:
    """Copy the spools' facts into the index (`as_is`: job numbers are the blob ids): the
    refs.db halves in a thread (store.start_refs, which builds refs.db's indexes too), the
    others here. A fresh build adopts the biggest spool of each half as that file."""
    for refs in (True, False):  # (refs.db's first: its thread works while this one does)
        half = {spool.refs_path(p) if refs else p: jobs for p, jobs in parts.items()}
        direct = list(half.items())
        adopt = None
        if as_is and store.fresh and len(direct) <= spool.MAX_DIRECT:
            adopt = max(direct, key=lambda d: os.path.getsize(d[0]))
            direct.remove(adopt)
        if len(direct) > spool.MAX_DIRECT:  # many pools (crash retries): combine first
            try:
                direct = [(spool.combine(spool_dir, half, refs), list(jobmap))]
            except sqlite3.OperationalError as e:  # e.g. no space left for the spool copy
                spool.remove_leftovers(spool_dir)
                raise IndexWriteError(f"cannot write the index in {spool_dir}/ ({e}); "
                                      f"the previous index is unchanged") from None
        todo = [(path, None if as_is else {j: jobmap[j] for j in jobs}) for path, jobs in direct]
        if refs:
            store.start_refs(todo, adopt and adopt[0], bulk)
            continue
        if adopt is not None and not store.adopt_spool(adopt[0]):
            todo.insert(0, (adopt[0], None))
        for i, (path, jm) in enumerate(todo):
            store.merge_spool(path, jm, f"spool{i}")


def _compressed(abspath: str) -> bytes:
    """The stored form of a file whose worker sent no content (it crashed on it)."""
    try:
        with open(abspath, "rb") as fh:
            return zlib.compress(fh.read(), 1)
    except OSError:
        return zlib.compress(b"", 1)


BATCH = 8
BATCH_BYTES = 256 * 1024  # a batch ends at BATCH files or this many bytes (big files alone)


def _batches(jobs) -> "Iterator[list]":
    """(item, size) pairs in batches of up to BATCH items and about BATCH_BYTES (jobs come
    largest first, so the big files go out one by one, early, and the small ones fill in
    at the end)."""
    cur: list = []
    size = 0
    for item, n in jobs:
        cur.append(item)
        size += n
        if len(cur) >= BATCH or size >= BATCH_BYTES:
            yield cur
            cur, size = [], 0
    if cur:
        yield cur


def run_jobs(jobs, macros: dict, procs: int, retried: list | None = None):
    """Yield (job, facts, status) for every (item, size) of `jobs` (an iterable: the pool
    starts on the first batches while the rest are still coming), in worker processes
    when it pays.

    A worker that dies (a parser crash, a signal) loses one file, not the run: the pool is
    rebuilt, unfinished batches are retried one file at a time (their jobs are appended to
    `retried`), and a file that kills a worker on its own is recorded with status "crashed".
    """
    jobs = iter(jobs)
    first = list(islice(jobs, 5))
    if not first:
        return
    from vmxref.indexer import worker  # (tree-sitter: not loaded when nothing is parsed)
    if procs <= 1 or len(first) <= 4:
        worker.init(*macros)
        # (every job is known before the first result: the caller's progress total is final)
        for item, _n in [*first, *jobs]:
            yield worker.work(item)
        return
    import queue
    from concurrent.futures.process import BrokenProcessPool
    failed: list = []
    futs: dict = {}
    # (each future puts itself here when done: a result costs O(1); as_completed or wait()
    # walk every pending future when entered, ~7,000 batches on all of Linux, and were
    # entered again every 0.2 s to see interrupts: 25 ms of CPU each time, ~12 % of a CPU)
    done: queue.SimpleQueue = queue.SimpleQueue()
    with _pool(procs, macros) as ex:  # (an interrupt is raised by the check()s: see _pool)
        for batch in _batches(chain(first, jobs)):
            interrupts.check()
            if failed:  # the pool broke while jobs were still coming: they wait for _isolate
                failed += batch
                continue
            try:
                if futs:
                    fut = ex.submit(worker.work_batch, batch)
                else:  # (the first submit forks the workers, which inherit the mask)
                    with _signals_held():
                        fut = ex.submit(worker.work_batch, batch)
            except BrokenProcessPool:
                failed += batch
                continue
            futs[fut] = batch
            fut.add_done_callback(done.put)
        while futs:
            try:
                fut = done.get(timeout=0.2)
            except queue.Empty:
                interrupts.check()
                continue
            interrupts.check()
            batch = futs.pop(fut)  # a done future holds its results (compressed contents)
            try:
                results = fut.result()
            except BrokenProcessPool:
                failed += batch
                continue
            yield from results
    if retried is not None:
        retried += failed
    yield from _isolate(failed, macros)


@contextmanager
def _stopped_on_exit(ex):
    """Kill the pool's workers when the run ends early (an interrupt, an error, the caller
    dropping the results): every job was queued at once, and the pool's own exit waits for
    all of them (a Ctrl-C three seconds into linux-big returned after 14 s). The run keeps
    nothing of theirs: their spools are removed by the next run. (Inside
    interrupts.deferred: an interrupt arrives here as the KeyboardInterrupt of a `check()`
    between pool calls, never in the middle of one, so the pool's locks are free.)"""
    try:
        yield
    except BaseException:
        workers = list((getattr(ex, "_processes", None) or {}).values())
        for p in workers:
            try:
                p.kill()
            except (OSError, ValueError, AttributeError):
                pass
        ex.shutdown(wait=False, cancel_futures=True)
        for p in workers:
            try:
                p.join(5)
            except (OSError, ValueError, AssertionError):
                pass
        raise


@contextmanager
def _signals_held():
    """Hold SIGINT/SIGTERM while worker processes are forked (delivered right after)."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def _pool(procs: int, macros):
    """A pool of forked workers initialised with the macro profile (the pool modules are
    imported here: an index run that parses nothing never loads them). While it runs,
    SIGINT/SIGTERM only set the flag (interrupts.deferred): its user raises them between
    pool calls with interrupts.check(); leaving it early kills the workers
    (_stopped_on_exit)."""
    import gc
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from vmxref.indexer import worker
    # (the objects the workers inherit are set aside from the collector first: a collection
    # in a worker would write to each of them, copying every page they share with the
    # parent: linux-kvm's workers and main took 11 % of their page faults in gc_collect)
    gc.freeze()
    try:
        with interrupts.deferred(), ProcessPoolExecutor(
                procs, mp_context=mp.get_context("fork"), initializer=worker.init,
                initargs=macros) as ex, _stopped_on_exit(ex):
            yield ex
    finally:
        gc.unfreeze()


def _isolate(items: list, macros: dict):
    """Retry items one at a time in a one-worker pool; the item that breaks it has crashed."""
    from concurrent.futures import wait
    from concurrent.futures.process import BrokenProcessPool

    from vmxref.indexer import worker
    while items:
        with _pool(1, macros) as ex:
            futs = [ex.submit(worker.work, item) for item in items]
            rest = []
            for i, fut in enumerate(futs):
                while not wait([fut], timeout=0.2)[0]:
                    interrupts.check()
                interrupts.check()
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    yield items[i][0], None, "crashed"
                    rest = items[i + 1:]
                    break
        items = rest
