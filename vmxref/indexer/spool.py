"""Worker spools: each worker process writes its facts into a private SQLite file.

Facts never travel back through a pipe and the indexer's main process never loops over them
in Python: when the pool is done, each spool is attached to the index and copied with
`INSERT ... SELECT` (job numbers mapped to blob ids). A worker's spool is two files, one per
file of the index: `.spool-PID-X.db` (index.db's fact tables) and `.spool-PID-X-refs.db`
(refs.db's, `refs_path`). Spools live in the index directory and are removed after the
merge; a killed run's leftovers are removed by the next run.

The rows are written by the C writer of `native` when it was built (pip builds it where a C
compiler and SQLite's header are found): the sqlite3 module's per-value binding cost a
worker about a fifth of its time, the C writer a few per cent. Without it, the sqlite3
module writes the same rows (tests/test_native.py).
"""
from __future__ import annotations

import glob
import os
import zlib
from contextlib import contextmanager

from vmxref.store import sqlite3  # (the C module, as the store uses it: no datetime)
from vmxref import schema
from vmxref.errors import IndexWriteError
from vmxref.indexer.native import mod as _native  # (None: the sqlite3 module writes)

PREFIX = ".spool-"
_ROWS = (("sym", "syms"), ("ref", "refs"), ("call", "calls"), ("assign", "assigns"),
         ("logcall", "logcalls"), ("kase", "cases"), ("guard", "guards"),
         ("slotload", "slotloads"), ("byteview", "byteviews"),
         ("incl", "includes"))  # table, Facts list


class Meta:
    """What a worker sends back for one content: line counts, parse errors, the compressed
    content (the facts stay in its spool; `spool` is "" when there are none)."""

    __slots__ = ("nlines", "err_lines", "errors", "spool", "zcontent")

    def __init__(self, facts, spool_path: str, content: bytes):
        self.nlines = facts.nlines if facts is not None else content.count(b"\n") + 1
        self.err_lines = facts.err_lines if facts is not None else 0
        self.errors = facts.errors if facts is not None else []
        self.spool, self.zcontent = spool_path, zlib.compress(content, 1)
_OPEN: dict[str, "Spool"] = {}


class _Sqlite3Writer:
    """The spool written through the sqlite3 module (the C writer's interface)."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)

    def execute(self, sql: str) -> None:
        if ";" in sql:  # (the DDL, run before the first BEGIN: executescript commits first)
            self.conn.executescript(sql)
        else:
            self.conn.execute(sql)

    def insert(self, table: str, job: int, rows: list[tuple]) -> None:
        n = len(rows[0]) + 1
        self.conn.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * n)})",
                              [(job, *r) for r in rows])

    def close(self) -> None:
        self.conn.close()


def refs_path(path: str) -> str:
    """The refs.db half of the spool whose index.db half is `path`."""
    return path[:-len(".db")] + "-refs.db"


class Spool:
    """One worker's spool: its two files (`path` and refs_path(path))."""

    def __init__(self, path: str, native: bool | None = None):
        self.path = path
        if native and _native is None:
            raise ValueError("Spool(native=True): the C extension vmxref.indexer._native is "
                             "not built (see vmxref/indexer/native.py)")
        use_c = _native is not None if native is None else native
        self.ws = []  # (writer, its tables) of index.db's half, then refs.db's
        with self._failing():
            for refs, p in ((False, path), (True, refs_path(path))):
                w = _native.Writer(p) if use_c else _Sqlite3Writer(p)
                w.execute("PRAGMA journal_mode=OFF")
                w.execute("PRAGMA synchronous=OFF")
                w.execute(schema.spool_sql(refs))
                w.execute("BEGIN")
                self.ws.append((w, [(t, a) for t, a in _ROWS if t in schema.fact_tables(refs)]))

    def add(self, job: int, facts) -> None:
        """Append the facts of one job. A row the database cannot take (a value of another
        type, an int past 64 bits, a str that is no UTF-8: an extractor bug on an odd file)
        raises after the job's rows already written are deleted: none of them remain."""
        with self._failing():
            try:
                for w, tables in self.ws:
                    for table, attr in tables:
                        rows = getattr(facts, attr)
                        if rows:
                            w.insert(table, job, rows)
            except (ValueError, TypeError, OverflowError):  # (UnicodeEncodeError included)
                for w, tables in self.ws:
                    for table, _attr in tables:
                        w.execute(f"DELETE FROM {table} WHERE blob_id = {int(job)}")
                raise

    def flush(self) -> None:
        """Make what was added durable for the merge (end of a batch)."""
        with self._failing():
            for w, _tables in self.ws:
                w.execute("COMMIT")
                w.execute("BEGIN")

    def close(self) -> None:
        with self._failing():
            for w, _tables in self.ws:
                w.execute("COMMIT")
                w.close()

    @contextmanager
    def _failing(self):
        """A spool that cannot be written (a full disk) ends the run with one line."""
        try:
            yield
        except (sqlite3.Error, *((_native.SpoolError,) if _native else ())) as e:
            raise IndexWriteError(f"cannot write the worker spool {self.path} ({e}); the "
                                  f"previous index is unchanged") from None


def for_process(spool_dir: str) -> Spool:
    """The spool of the current process (created on first use)."""
    key = f"{spool_dir}:{os.getpid()}"
    sp = _OPEN.get(key)
    if sp is None:
        path = os.path.join(spool_dir, f"{PREFIX}{os.getpid()}-{os.urandom(4).hex()}.db")
        sp = _OPEN[key] = Spool(path)
    return sp


def close_all() -> None:
    """Close this process's spools (single-process indexing, before the merge)."""
    for sp in list(_OPEN.values()):
        sp.close()
    _OPEN.clear()


def combine(spool_dir: str, parts: dict[str, list[int]], refs: bool = False) -> str:
    """Copy the rows of the jobs each spool is responsible for into one spool file (of
    refs.db's tables when `refs`: `parts` names the refs.db halves then).

    `parts`: spool path -> jobs whose result came from that spool (a batch retried after a
    worker died may have left rows for the same job in another spool: those are dropped).
    """
    out = os.path.join(spool_dir, f"{PREFIX}all-{os.getpid()}.db")
    if refs:
        out = refs_path(out)
    if os.path.exists(out):
        os.unlink(out)
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(schema.spool_sql(refs))
    conn.execute("CREATE TEMP TABLE keep (job INTEGER PRIMARY KEY)")
    for path, jobs in parts.items():
        conn.execute("ATTACH DATABASE ? AS sp", (path,))
        conn.execute("DELETE FROM keep")
        conn.executemany("INSERT OR IGNORE INTO keep VALUES (?)", [(j,) for j in jobs])
        conn.execute("BEGIN")
        for t in schema.fact_tables(refs):
            conn.execute(f"INSERT INTO main.{t} SELECT * FROM sp.{t} "
                         f"WHERE blob_id IN (SELECT job FROM keep)")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE sp")
        os.unlink(path)
    conn.close()
    return out


MAX_DIRECT = 7  # spools attached directly (SQLite allows 10 attached databases)


def merge(conn: sqlite3.Connection, path: str, jobmap: dict[int, int] | None,
          alias: str = "spool", refs: bool = False) -> None:
    """Copy a spool's facts into the index (into refs.db's tables, through a connection
    whose main database is refs.db, when `refs`), jobs mapped to blob ids (same
    transaction; the spool stays attached until the connection closes: DETACH is refused
    inside it).

    `jobmap` None: the job numbers are the blob ids and every row of the spool is kept, so
    the tables are copied as they are (`INSERT ... SELECT *`: SQLite copies the records
    without decoding them)."""
    conn.execute(f"ATTACH DATABASE ? AS {alias}", (path,))
    if jobmap is None:
        for t in schema.fact_tables(refs):
            conn.execute(f"INSERT INTO main.{t} SELECT * FROM {alias}.{t}")
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jobmap (job INTEGER PRIMARY KEY, blob_id INTEGER)")
    conn.execute("DELETE FROM jobmap")
    conn.executemany("INSERT INTO jobmap VALUES (?, ?)", jobmap.items())
    for t in schema.fact_tables(refs):
        cols = [r[1] for r in conn.execute(f"PRAGMA main.table_info({t})")][1:]
        sel = ", ".join(f"s.{c}" for c in cols)
        conn.execute(f"INSERT INTO main.{t} SELECT m.blob_id, {sel} FROM {alias}.{t} s "
                     f"JOIN jobmap m ON m.job = s.blob_id")


def remove_leftovers(spool_dir: str) -> None:
    """Delete spool files of earlier (killed) runs."""
    for p in glob.glob(os.path.join(spool_dir, PREFIX + "*.db")):
        try:
            os.unlink(p)
        except OSError:
            pass
