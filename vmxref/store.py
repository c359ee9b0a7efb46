"""The SQLite store: two files in the index directory, `index.db` and `refs.db`.

An indexing run is ONE transaction per file (WAL mode): readers keep seeing the previous
index until it commits, and a killed indexer leaves the previous index intact (SQLite rolls
the unfinished transaction back on the next open). Queries open index.db read-only (mode=ro:
they never write it; in a read-only directory, where no indexer can be at work, it is
opened immutable) with refs.db attached, and hold one snapshot for the store's life: a
command never sees half of an old and half of a new index, and never blocks an indexer
(`refresh()` moves on).

refs.db holds the `ref` table (the largest: its two indexes are half of CREATE INDEX), so a
second connection builds it in a thread while the first builds index.db's indexes (SQLite
lets one writer at a time into a file, and releases the GIL while it works). The two files
commit one after the other, never at once, in the order that keeps every committed state
readable: refs.db's new rows first (rows of blobs index.db does not know yet: no query sees
them, each joins a fact to the files of a corpus version), then index.db, then refs.db's
deletions (the rows of blobs index.db no longer has). A run killed between them leaves such
unseen rows ("orphans"); refs.db's `refmeta` says so from the first commit to the last, and
the next indexer deletes them before it adds any (a new blob may get a dead one's id).

An exclusive POSIX record lock (`lockf`, owned by the process: forked parse workers do not
inherit it, so a `kill -9` of the indexer frees it even if workers linger) keeps two
indexers apart. A full disk or an I/O error while writing becomes IndexWriteError; the
transaction is rolled back. Nothing of ours is ever unpickled from the index directory.

A FRESH index (no index.db yet) is built in side files `.index.db.new-PID` and
`.refs.db.new-PID` without a journal (nothing to roll back to, and the data is written once
instead of WAL + checkpoint); `commit` switches them to WAL mode, syncs them and renames
them to refs.db, then index.db. A killed fresh build leaves only side files (and maybe a
refs.db without an index.db), which the next indexer removes; until the rename of index.db
there is no index.db, so no reader can see half of it.
"""
from __future__ import annotations

import errno
import fcntl
import functools
import os
import stat
import zlib
try:  # the C module itself: the sqlite3 package around it adds only the DB-API's date and
    # time adapters, which the index never binds, and their import (datetime) costs a query
    # process ~4 ms; its connect, Connection and errors are the very objects sqlite3 exports
    import _sqlite3 as sqlite3
except ImportError:  # pragma: no cover (a Python whose sqlite3 is built otherwise)
    import sqlite3
from functools import lru_cache

try:  # (the line finder of line_text; optional: without it the text is split)
    from vmxref._ftscan import line_span as _line_span
except ImportError:  # pragma: no cover (built by setup.py)
    _line_span = None

TYPE_CHECKING = False  # (pathlib costs a query process ~5 ms to import; annotations only)
if TYPE_CHECKING:
    from pathlib import Path

from vmxref import schema
from vmxref.errors import (IndexBusy, IndexCorrupt, IndexWriteError, NoIndex, UnknownCorpus,
                           VmxrefError)
from vmxref.lazy import json

DB_NAME = "index.db"
REFS_NAME = "refs.db"
LOCK_NAME = "index.lock"
APP_ID = 0x766D7872  # 'vmxr' in PRAGMA application_id
BUILD_PREFIX = f".{DB_NAME}.new-"  # a fresh build's side file (renamed to index.db at commit)
REFS_BUILD_PREFIX = f".{REFS_NAME}.new-"  # and its refs.db
CACHE_KIB = 65536  # page cache of a writer; the sorts of CREATE INDEX spill to temp files
SORT_CACHE_KIB = 2000  # page cache while CREATE INDEX sorts (sets the sorter's run size)
SORT_THREADS_ROWS = 1_000_000  # a table's CREATE INDEX sorts with helper threads above that
MAX_PAGES_ENV = "VMXREF_TEST_MAX_PAGES"  # test hook: cap the database size (simulates a full disk)
_WRITE_FAILURES = {"SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY"}


def default_index_dir() -> str:
    """The index directory: $VMXREF_INDEX, else ./.vmxref."""
    return os.environ.get("VMXREF_INDEX") or ".vmxref"


def _dir_of(index_dir) -> str:
    """`index_dir` (a str or path, else the default) as a clean path string."""
    return os.path.normpath(os.fspath(index_dir or default_index_dir()))


def _is_write_failure(e: sqlite3.Error) -> bool:
    """A full disk, an I/O error or an unwritable file (not a bug, not a corrupt index)."""
    name = getattr(e, "sqlite_errorname", "") or ""
    return "_".join(name.split("_")[:2]) in _WRITE_FAILURES


def _write_error(e: sqlite3.Error, d: str) -> IndexWriteError:
    name = getattr(e, "sqlite_errorname", "") or ""
    if "FULL" in name:
        what, fix = f"the disk is full ({e})", "free space and re-run"
    elif "READONLY" in name:
        what, fix = str(e), "make the directory and its files writable (or use another --index)"
    else:
        what, fix = str(e), "free space (or fix the directory) and re-run"
    return IndexWriteError(f"cannot write the index in {d}/: {what}; the previous index is "
                           f"unchanged — {fix}")


def _writes(fn):
    """Decorator for Store write methods: a full disk / I/O error becomes IndexWriteError."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.OperationalError as e:
            if _is_write_failure(e):
                raise _write_error(e, self.dir) from None
            raise
    return wrapper


def _lock(d: str, wait: bool) -> int:
    """Take the indexer lock of `d` (a POSIX record lock: not inherited by forked workers)."""
    try:
        fd = os.open(os.path.join(d, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise IndexWriteError(f"cannot write the index in {d}/: {e.strerror}") from None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EACCES, errno.EAGAIN):
            raise IndexBusy(f"another vmxref indexer is writing {d}/; wait for it to finish "
                            f"(or use --wait)") from None
        raise
    return fd


def _connect_ro(db: str) -> tuple[sqlite3.Connection, str]:
    """A read-only connection that never writes (falls back to immutable on a read-only dir
    whose database was left in WAL mode: no writer can be at work there), and how refs.db
    is to be attached to it (_attach_refs)."""
    uri = f"file:{os.path.realpath(db)}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn, ""
    except sqlite3.OperationalError as e:
        conn.close()
        if os.access(os.path.dirname(db) or ".", os.W_OK) or not _is_write_failure(e):
            raise
    return sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False,
                           isolation_level=None), "&immutable=1"


def _attach_refs(conn: sqlite3.Connection, d: str, how: str | None,
                 path: str | None = None) -> None:
    """Attach refs.db (or the side file `path`) to a connection as schema `refs`: read-only
    (`how` "" or "&immutable=1", through a URI: the connection must take them), or as a
    plain file (`how` None: a writer's connection, which never writes it)."""
    path = path or os.path.join(d, REFS_NAME)
    if not os.path.isfile(path):
        raise _refs_missing(path, d)
    target = path if how is None else f"file:{os.path.realpath(path)}?mode=ro{how}"
    conn.execute(f"ATTACH DATABASE ? AS {schema.REFS_DB}", (target,))


def _refs_missing(path: str, d: str) -> IndexCorrupt:
    """The error of an index directory whose refs.db (`path`) is missing."""
    return IndexCorrupt(f"{path} is missing: the index at {d or '.'}/ is incomplete; remove "
                        f"it and index again")


def _refs_corrupt(d: str, e: Exception) -> IndexCorrupt:
    """The error of a refs.db that SQLite or _check_ours refuses (garbage, another
    application's, a truncated copy)."""
    return IndexCorrupt(f"{os.path.join(d, REFS_NAME)} is not a vmxref index file ({e}); "
                        f"remove {d}/ and index again")


def _begin_snapshot(conn: sqlite3.Connection) -> None:
    """Begin a reader's transaction and take its snapshots at once, refs.db's first: a
    writer commits refs.db's new rows, then index.db, then refs.db's deletions, so a
    snapshot of refs.db taken before index.db's always holds the rows of every blob that
    index.db's has (the reverse order could miss the rows of an old blob deleted in
    between)."""
    conn.execute("BEGIN")
    conn.execute(f"SELECT count(*) FROM {schema.REFS_DB}.sqlite_master").fetchone()
    conn.execute("SELECT count(*) FROM main.sqlite_master").fetchone()


def _tune_writer(conn: sqlite3.Connection, db: str, build: bool) -> None:
    """Journal and cache settings of a writer: WAL for an existing index; no journal for a
    fresh build's side file. Temp data (CREATE INDEX sorts) goes to temp files, not RAM."""
    mode = "off" if build else "wal"
    if conn.execute(f"PRAGMA journal_mode={mode}").fetchone()[0].lower() != mode:
        raise IndexWriteError(f"cannot switch {db} to {mode.upper()} journal mode; is the index "
                              f"directory writable?")
    conn.execute(f"PRAGMA synchronous={'OFF' if build else 'NORMAL'}")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    conn.execute("PRAGMA temp_store=FILE")
    if os.environ.get(MAX_PAGES_ENV):
        conn.execute(f"PRAGMA max_page_count={int(os.environ[MAX_PAGES_ENV])}")


def stats_text(stats: dict) -> str:
    """A corpus version's stats as stored (compared as text by an unchanged re-index)."""
    return json.dumps(stats)


def _written(conn: sqlite3.Connection) -> tuple[int, int]:
    """What tells whether a transaction wrote: rows changed by this connection, and the
    schema cookie (DDL)."""
    return conn.total_changes, conn.execute("PRAGMA schema_version").fetchone()[0]


def _changed_indexes(conn: sqlite3.Connection) -> list[str]:
    """The indexes of the connection's main file whose definition changed since the index
    was written."""
    have = {name: " ".join(sql.split()) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    return [name for name, sql in schema.indexes() if name in have and have[name] != sql]


def _drop_changed_indexes(conn: sqlite3.Connection) -> None:
    """Drop the indexes whose definition changed since the index was written; the schema's
    CREATE ... IF NOT EXISTS then builds them anew (an index keeps answering with the old
    definitions until a writer opens it)."""
    for name in _changed_indexes(conn):
        conn.execute(f"DROP INDEX {name}")


def _missing_indexes(conn: sqlite3.Connection, sql: str) -> bool:
    """Does an index `sql` declares miss in the connection's main file (dropped by a large
    run, or an adopted spool's: it has none)?"""
    have = {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'index'")}
    return any(name not in have for name, _sql in schema.indexes(sql))


_MAIN_INDEX_SQL = schema.ddl(False, schema.INDEX_SQL)  # (index.db's)
_REFS_INDEX_SQL = schema.ddl(True, schema.INDEX_SQL)  # (refs.db's: start_refs)


def _build_indexes(conn: sqlite3.Connection, sql: str, after=None) -> None:
    """Create the indexes `sql` declares (IF NOT EXISTS), calling `after()` after each.

    The sorts run with a small page cache and, for tables of more than SORT_THREADS_ROWS
    rows, sorter threads on the other cores: SQLite's sorter sizes its in-memory runs
    from cache_size, and small runs merged by helper threads build the indexes of all of
    Linux in 67 s instead of 116-137 s (64 MB runs, one thread; bench/out/phases.md), of
    linux-big in 3.04 s instead of 3.25 s; below a million rows the threads gain nothing
    (vbox-vmm 0.90 s either way) or cost (linux-kvm 0.21 s instead of 0.18 s).
    """
    conn.execute(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
    threads = min(8, os.cpu_count() or 1)
    try:
        for stmt in filter(str.strip, sql.split(";")):
            table = schema.index_table(stmt)
            rows = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
            conn.execute(f"PRAGMA threads={threads if rows > SORT_THREADS_ROWS else 0}")
            conn.execute(stmt)
            if after is not None:
                after()
    finally:
        conn.execute("PRAGMA threads=0")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")


def _checkpoint(conn: sqlite3.Connection) -> None:
    """Checkpoint the WAL of a writer's database into it (best effort: a reader on the old
    snapshot keeps its frames; it never blocks the run)."""
    conn.execute("PRAGMA busy_timeout=200")
    try:
        conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.OperationalError:
        pass


def _refs_changed_indexes(d: str) -> bool:
    """Does refs.db have an index whose definition changed? (Read on a connection of its
    own: a writer's refs.db is opened only when needed.)"""
    conn = sqlite3.connect(f"file:{os.path.realpath(os.path.join(d, REFS_NAME))}?mode=ro",
                           uri=True)
    try:
        return bool(_changed_indexes(conn))
    finally:
        conn.close()


def _create_schema(conn: sqlite3.Connection, sql: str) -> None:
    """Create what `sql` declares that the database lacks (IF NOT EXISTS), and mark the file
    as a vmxref index."""
    for stmt in sql.split(";"):
        if stmt.strip():
            conn.execute(stmt)
    conn.execute(f"PRAGMA application_id={APP_ID}")


def _remove_stale(d: str) -> None:
    """Before a fresh build (under the lock): side files of killed fresh builds, a refs.db
    without its index.db (renamed by a build killed before the rename of index.db), and the
    WAL files of an index.db that was deleted by hand (SQLite would replay them into the new
    one)."""
    import glob
    stale = [*glob.glob(os.path.join(glob.escape(d), BUILD_PREFIX + "*")),
             *glob.glob(os.path.join(glob.escape(d), REFS_BUILD_PREFIX + "*"))]
    for name in (DB_NAME, REFS_NAME):
        stale += [os.path.join(d, f"{name}-wal"), os.path.join(d, f"{name}-shm")]
    stale.append(os.path.join(d, REFS_NAME))
    for p in stale:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def _fsync(path: str, data_only: bool = False) -> None:
    """Flush a file (or a directory entry) to disk (`data_only`: fdatasync)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        (os.fdatasync if data_only else os.fsync)(fd)
    finally:
        os.close(fd)


class _Flusher:
    """Syncs a fresh build's side file in a thread, started again by `kick` after each index
    while none runs, so the sync before the rename has only what came after the last one
    to wait for (linux-big: 0.7 s of the run's serial tail)."""

    def __init__(self, path: str) -> None:
        self.path, self.thread = path, None

    def kick(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        import threading
        self.thread = threading.Thread(target=self._sync, daemon=True)
        self.thread.start()

    def _sync(self) -> None:
        try:
            _fsync(self.path, data_only=True)
        except OSError:
            pass  # (best effort: _publish syncs the file anyway)

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()


class Store:
    """An open index database (read-only unless opened by `open_for_write`)."""

    def __init__(self, conn: sqlite3.Connection, path: str | Path, writable: bool):
        self.conn, self.dir, self.writable = conn, os.fspath(path), writable
        self._lock_fd: int | None = None
        self._build: str | None = None  # a fresh build's side file, renamed at commit
        self._flusher = None  # a _Flusher of the side file (_flush_early)
        self._before: tuple[int, int] | None = None  # _written when the run began
        self.rconn: sqlite3.Connection | None = None  # a writer's connection to refs.db
        self._rbuild: str | None = None  # a fresh build's refs.db side file
        self._rflusher = None  # and its _Flusher
        self._rbefore: tuple[int, int] | None = None
        self._rthread = None  # start_refs's thread
        self._rerror: BaseException | None = None  # what it raised
        self._refs_added = False  # its rows are committed, index.db's not yet
        self._dead: list[int] = []  # blobs gc deleted: their refs.db rows go after the commit
        self.attached: list[str] = []
        self._content_cache = _Contents(16 << 20)  # blob -> decoded lines (lines)
        self._raw_cache = _Contents(32 << 20)  # blob -> [content, a line, its offset] (line_text)

    @property
    def path(self) -> Path:
        """The index directory (pathlib is imported here, not by a query that never asks)."""
        from pathlib import Path
        return Path(self.dir)

    # --- opening ---------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: str | Path | None = None) -> "Store":
        """Open an existing index for queries (read-only; works on a read-only directory)."""
        d = _dir_of(index_dir)
        db = os.path.join(d, DB_NAME)
        if not os.path.isfile(db):
            raise NoIndex(f"no index at {d}/ — run `vmxref index ROOT --corpus NAME` "
                          f"(or `vmxref corpus get linux-kvm`) first, or pass --index DIR")
        conn = None
        try:
            conn, how = _connect_ro(db)
            _check_ours(conn, db, reading=True, want=schema.TABLES - schema.REFS_TABLES)
            try:
                _attach_refs(conn, d, how)
                _check_ours(conn, os.path.join(d, REFS_NAME), reading=True)
            except sqlite3.DatabaseError as e:
                raise _refs_corrupt(d, e) from None
            _begin_snapshot(conn)  # one read snapshot for this store's life (see refresh)
        except (sqlite3.DatabaseError, VmxrefError) as e:
            if conn is not None:
                conn.close()
            if isinstance(e, VmxrefError):
                raise
            raise IndexCorrupt(f"{db} is not a vmxref index ({e}); remove it and re-index") from None
        return cls(conn, d, writable=False)

    def refresh(self) -> None:
        """A reader: drop the current snapshot; the next query sees the latest committed index."""
        if not self.writable:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
            _begin_snapshot(self.conn)
            self._content_cache.clear()
            self._raw_cache.clear()

    @classmethod
    def open_for_write(cls, index_dir: str | Path | None = None, wait: bool = False) -> "Store":
        """Open (creating) the index for an indexing run: takes the lock, begins the transaction.
        (Paths as strings: an unchanged re-index does not import pathlib, ~15 ms.)"""
        d = _dir_of(index_dir)
        try:
            os.makedirs(d, exist_ok=True)
        except OSError as e:
            raise IndexWriteError(f"cannot create the index directory {d}/: {e.strerror}") from None
        fd = _lock(d, wait)
        db = os.path.join(d, DB_NAME)
        fresh = not os.path.exists(db)
        target = db
        if fresh:
            _remove_stale(d)
            target = os.path.join(d, f"{BUILD_PREFIX}{os.getpid()}")
        try:
            conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False,
                                   timeout=3600.0 if wait else 20.0)
        except sqlite3.DatabaseError as e:
            os.close(fd)
            raise _write_error(e, d) from None
        st = None
        try:
            if not fresh:
                _check_ours(conn, db, want=schema.TABLES - schema.REFS_TABLES)
            _tune_writer(conn, db, build=fresh)
            conn.execute("BEGIN IMMEDIATE")
            before = _written(conn)
            _drop_changed_indexes(conn)
            _create_schema(conn, schema.ddl(False) + ";" + schema.ddl(False, schema.INDEX_SQL))
            version = str(schema.SCHEMA_VERSION)
            if conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() \
                    != (version,):
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                             (version,))
            st = cls(conn, d, writable=True)
            st._lock_fd, st._build = fd, (target if fresh else None)
            st._before = before
            if not fresh and not os.path.isfile(os.path.join(d, REFS_NAME)):
                raise _refs_missing(os.path.join(d, REFS_NAME), d)
            try:
                if not fresh and _refs_changed_indexes(d):
                    st._refs_conn()  # (its indexes of an older definition are built anew now)
            except sqlite3.DatabaseError as e:
                if _is_write_failure(e) or "BUSY" in (getattr(e, "sqlite_errorname", "") or ""):
                    raise
                raise _refs_corrupt(d, e) from None
        except (sqlite3.DatabaseError, VmxrefError) as e:
            if st is not None and st.rconn is not None:
                st.rconn.close()
            conn.close()
            if fresh:
                _remove_stale(d)
            os.close(fd)
            if isinstance(e, VmxrefError):
                raise
            if "BUSY" in (getattr(e, "sqlite_errorname", "") or ""):
                raise IndexBusy(f"{db} is in use by a long-running query; retry when it is "
                                f"done (or use --wait)") from None
            if _is_write_failure(e):
                raise _write_error(e, d) from None
            raise IndexCorrupt(f"{db} is not a vmxref index ({e}); remove it and re-index") from None
        return st

    # --- refs.db: the second file, written by a second connection ------------------------
    def _open_refs(self, path: str, build: bool = False, adopt: str | None = None) -> None:
        """Connect to refs.db (or create the fresh build's side file `path`, from the spool
        `adopt` when given) and begin its transaction. An existing refs.db that a killed
        run left with orphans (see the module's doc) is cleaned first, in a transaction of
        its own: a blob of this run may get an id whose rows the killed one added."""
        if not build and not os.path.isfile(path):
            raise _refs_missing(path, self.dir)
        if adopt is not None:  # (renamed before it is opened, as adopt_spool does)
            try:
                os.replace(adopt, path)
            except OSError as e:
                raise IndexWriteError(f"cannot write the index in {self.dir}/: {e}; the "
                                      f"previous index is unchanged") from None
        rc = self.rconn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                          timeout=20.0)
        if not build:
            _check_ours(rc, path, want=schema.REFS_TABLES)
        _tune_writer(rc, path, build=build)
        if not build and rc.execute("SELECT value FROM refmeta WHERE key = 'orphans'"
                                    ).fetchone() == ("1",):
            rc.execute("BEGIN IMMEDIATE")
            rc.execute("ATTACH DATABASE ? AS m", (os.path.join(self.dir, DB_NAME),))
            rc.execute("DELETE FROM ref WHERE blob_id NOT IN (SELECT id FROM m.blob)")
            rc.execute("INSERT OR REPLACE INTO refmeta VALUES ('orphans', '0')")
            rc.execute("COMMIT")
            rc.execute("DETACH DATABASE m")
        rc.execute("BEGIN IMMEDIATE")
        self._rbefore = _written(rc)
        _drop_changed_indexes(rc)
        # (a fresh build's indexes: built by _load_refs once its rows are in)
        _create_schema(rc, schema.ddl(True) + ("" if build else ";" + _REFS_INDEX_SQL))
        if build:
            self._rbuild = path

    def start_refs(self, spools: list[tuple[str, dict | None]], adopt: str | None,
                   bulk: bool) -> None:
        """Begin refs.db's share of the run in a thread (refs_ready waits for it): adopt the
        spool `adopt` as a fresh build's refs.db, copy `spools` ((path, job map or None,
        as spool.merge takes them)) into it, build its indexes (dropped first when `bulk`)
        and commit (the new rows are orphans until index.db commits)."""
        import threading
        if self._build is None:
            self._refs_conn()  # (here: what fails opening it fails in this thread)

        def run() -> None:
            try:
                self._load_refs(spools, adopt, bulk)
            except BaseException as e:  # (raised again by refs_ready, in the main thread)
                self._rerror = e
        self._rthread = threading.Thread(target=run, name="vmxref-refs", daemon=True)
        self._rthread.start()

    def _load_refs(self, spools, adopt: str | None, bulk: bool) -> None:
        if self._build is not None and self.rconn is None:
            self._open_refs(os.path.join(self.dir, f"{REFS_BUILD_PREFIX}{os.getpid()}"),
                            build=True, adopt=adopt)
        rc = self.rconn
        if bulk:
            for name, _sql in schema.indexes(_REFS_INDEX_SQL):
                rc.execute(f"DROP INDEX IF EXISTS {name}")
        from vmxref.indexer import spool
        for i, (path, jobmap) in enumerate(spools):
            self.attached.append(path)
            spool.merge(rc, path, jobmap, f"spool{i}", refs=True)
        if _missing_indexes(rc, _REFS_INDEX_SQL):
            flush = None
            if self._rbuild is not None:
                self._rflusher = _Flusher(self._rbuild)
                flush = self._rflusher.kick
                flush()
            _build_indexes(rc, _REFS_INDEX_SQL, flush)
        if self._build is None:
            rc.execute("INSERT OR REPLACE INTO refmeta VALUES ('orphans', '1')")
            self._refs_added = True
        rc.execute("COMMIT")

    def _refs_conn(self) -> sqlite3.Connection:
        """The connection to an existing index's refs.db, opened when the run first needs
        it (an unchanged re-index never does: 2-4 ms of its ~40)."""
        if self.rconn is None:
            self._open_refs(os.path.join(self.dir, REFS_NAME))
        return self.rconn

    def refs_ready(self) -> None:
        """Wait for refs.db's share of the run (raising what failed there) and make its
        committed rows readable through this store's connection (schema `refs`): what runs
        after (templates, precomputed requests) reads `ref`. A fresh build that had no
        spool for it gets an empty refs.db."""
        t, self._rthread = self._rthread, None
        if t is not None:
            t.join()
        e, self._rerror = self._rerror, None
        if e is not None:
            if isinstance(e, sqlite3.OperationalError) and _is_write_failure(e):
                raise _write_error(e, self.dir) from None
            raise e
        if self.rconn is None and self._build is not None:
            self._load_refs([], None, False)
        if schema.REFS_DB not in {r[1] for r in self.conn.execute("PRAGMA database_list")}:
            _attach_refs(self.conn, self.dir, None, path=self._rbuild)

    @property
    def fresh(self) -> bool:
        """Is this run building a fresh index (side files, renamed at commit)?"""
        return self._build is not None

    def changed(self) -> bool:
        """Has this indexing run written anything yet (a row, or the schema)?"""
        return (self._build is not None or _written(self.conn) != self._before
                or self._refs_added or self.rconn is not None and self.rconn.in_transaction
                and _written(self.rconn) != self._rbefore)

    def commit(self) -> None:
        """Publish the run: commit the transactions (readers switch to the new index), then
        checkpoint the WALs (best effort: a reader on the old snapshot keeps its frames; it
        never blocks the run). A fresh build is renamed into place instead. A run that
        wrote nothing ends its transactions without writing (an unchanged re-index: no WAL
        frames, no checkpoint, no sync). The order of the two files: the module's doc."""
        if self._rthread is None and not self.changed():  # (refs.db not even attached)
            self._write_sql("ROLLBACK")
            if self.rconn is not None and self.rconn.in_transaction:
                self.rconn.execute("ROLLBACK")
            return
        self.refs_ready()
        if self._build is not None:
            self._write_sql("COMMIT")
            self._publish()
            return
        # (opened before index.db commits, if not yet: a killed run's orphans go first,
        # whatever this one adds; their ids may be this run's new blobs')
        rc = self._refs_conn()
        orphans = self._refs_added or bool(self._dead)
        if rc.in_transaction:  # (refs.db unchanged but for the mark: index.db deletes blobs)
            if orphans:
                rc.execute("INSERT OR REPLACE INTO refmeta VALUES ('orphans', '1')")
            self._write_sql("COMMIT" if _written(rc) != self._rbefore else "ROLLBACK", rc)
        self._write_sql("COMMIT")
        _checkpoint(self.conn)
        if not orphans:
            _checkpoint(rc)
            return
        # (the rows of the blobs index.db no longer has, and the mark: a run that replaced
        # most contents deletes half of refs.db with its indexes kept, 1.1 s on vbox-vmm.
        # Not in a thread beside the full-text build: that forks its workers, and a child
        # forked while another thread is inside SQLite may wait forever on a lock it holds)
        dead, self._dead, self._refs_added = self._dead, [], False
        self._drop_dead(dead)

    def _drop_dead(self, dead: list[int]) -> None:
        """Delete the refs.db rows of the blobs `dead` and the orphans mark, after index.db's
        commit. Best effort: if it fails (a full disk), the mark stays and the next indexer
        deletes every orphan (_open_refs)."""
        rc = self.rconn
        try:
            rc.execute("BEGIN IMMEDIATE")
            rc.execute("CREATE TEMP TABLE IF NOT EXISTS dead (id INTEGER PRIMARY KEY)")
            rc.execute("DELETE FROM dead")
            rc.executemany("INSERT INTO dead VALUES (?)", ((i,) for i in dead))
            rc.execute("DELETE FROM ref WHERE blob_id IN (SELECT id FROM dead)")
            rc.execute("INSERT OR REPLACE INTO refmeta VALUES ('orphans', '0')")
            rc.execute("COMMIT")
        except sqlite3.Error:
            if rc.in_transaction:
                rc.execute("ROLLBACK")
            return
        _checkpoint(rc)

    def _flush_early(self) -> None:
        """A fresh build: start writing what the side file holds so far to disk while the
        indexes are built (_Flusher)."""
        if self._build is not None:
            if self._flusher is None:
                self._flusher = _Flusher(self._build)
            self._flusher.kick()

    def _publish(self) -> None:
        """A fresh build: switch the side files to WAL mode (as readers and later indexers
        expect), sync them, rename them to refs.db, then index.db, and go on with
        connections to them."""
        db, rdb = os.path.join(self.dir, DB_NAME), os.path.join(self.dir, REFS_NAME)
        try:
            if self.rconn.in_transaction:  # (start_refs's thread committed what it built)
                self._write_sql("COMMIT", self.rconn)
            for conn in (self.rconn, self.conn):
                conn.execute("PRAGMA journal_mode=WAL")
                conn.close()
            for f in (self._flusher, self._rflusher):
                if f is not None:
                    f.join()
            self._flusher = self._rflusher = None
            for side, final in ((self._rbuild, rdb), (self._build, db)):
                _fsync(side)
                os.replace(side, final)
        except (OSError, sqlite3.Error) as e:
            raise IndexWriteError(f"cannot write the index in {self.dir}/: {e}; the previous "
                                  f"index is unchanged") from None
        self._build = self._rbuild = None
        try:
            _fsync(self.dir)  # the renames themselves (best effort: some file systems refuse)
        except OSError:
            pass
        self.conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        _tune_writer(self.conn, db, build=False)
        _attach_refs(self.conn, self.dir, None)
        self.rconn = sqlite3.connect(rdb, isolation_level=None, check_same_thread=False)
        _tune_writer(self.rconn, rdb, build=False)

    def close(self) -> None:
        """Close; an uncommitted indexing run is rolled back."""
        try:
            if self._rthread is not None:  # (an error or an interrupt in the main thread)
                if self.rconn is not None:
                    self.rconn.interrupt()
                self._rthread.join()
                self._rthread = None
            for conn in (self.rconn, self.conn):
                if conn is not None and conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolls back an unfinished transaction itself
        finally:
            for conn in (self.rconn, self.conn):
                if conn is not None:
                    conn.close()
            if self._build is not None:  # a fresh build that was not published
                _remove_stale(self.dir)
                self._build = self._rbuild = None
            for p in self.attached:  # spool files attached for the run
                try:
                    os.unlink(p)
                except OSError:
                    pass
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _write_sql(self, sql: str, conn: sqlite3.Connection | None = None) -> None:
        try:
            (conn or self.conn).execute(sql)
        except sqlite3.OperationalError as e:
            if _is_write_failure(e):
                raise _write_error(e, self.dir) from None
            raise

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- corpus versions ---------------------------------------------------------------
    def near_corpus(self, name: str) -> str | None:
        """The indexed corpus or shipped profile whose name `name` likely misspells (None
        when `name` is one, or near none: another project's corpus not indexed here)."""
        import difflib
        from vmxref import corpora
        known = set(corpora.names()) | {c["name"] for c in self.corpora(stats=False)}
        if name in known:
            return None
        near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        return near[0] if near else None

    def corpora(self, stats: bool = True) -> list[dict]:
        """Indexed corpus versions, with their stats unless `stats` is false (a query that
        only needs ids, names or profiles decodes no JSON)."""
        rows = self.conn.execute(
            "SELECT id, name, version, root, indexed_at, stats, profile FROM corpus "
            "ORDER BY name, version")
        out = [{"id": r[0], "name": r[1], "version": r[2], "root": r[3], "indexed_at": r[4],
                "stats": r[5], "profile": r[6]} for r in rows]
        if stats:
            for c in out:
                c["stats"] = json.loads(c["stats"])
        else:
            for c in out:
                del c["stats"]
        return out

    def corpus_ids(self, spec: str | None) -> list[int]:
        """Corpus version ids for 'NAME', 'NAME@VERSION', several of them separated by commas
        (`--corpus` given more than once), or None (all)."""
        all_ = self.corpora(stats=False)
        if not all_:
            raise NoIndex(f"the index at {self.dir}/ holds no corpus yet; run `vmxref index`")
        if not spec:
            return [c["id"] for c in all_]
        out: list[int] = []
        for one in (p.strip() for p in spec.split(",")):
            if not one:
                continue
            name, _, version = one.partition("@")
            hit = [c["id"] for c in all_
                   if c["name"] == name and (not version or c["version"] == version)]
            if not hit:
                known = ", ".join(f"{c['name']}@{c['version']}" for c in all_)
                near = self.near_corpus(name)
                hint = f"; did you mean {near}{'@' + version if version else ''}?" if near else ""
                raise UnknownCorpus(f"corpus {one!r} is not indexed{hint}; indexed: {known}")
            out += [i for i in hit if i not in out]
        return out

    def corpus_label(self, corpus_id: int) -> tuple[str, str]:
        """(name, version) of a corpus id."""
        return _label(self.conn, corpus_id)

    def corpus_row(self, name: str, version: str) -> tuple[int, str, str, str] | None:
        """(id, root, profile, stats as stored) of a corpus version, None when not indexed."""
        return self.conn.execute("SELECT id, root, profile, stats FROM corpus WHERE name=? AND "
                                 "version=?", (name, version)).fetchone()

    @_writes
    def upsert_corpus(self, name: str, version: str, root: str, profile: str) -> int:
        from datetime import datetime, timezone
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.conn.execute(
            "INSERT INTO corpus(name, version, root, profile, indexed_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(name, version) DO UPDATE SET root=excluded.root, "
            "profile=excluded.profile, indexed_at=excluded.indexed_at", (name, version, root, profile, now))
        return self.conn.execute("SELECT id FROM corpus WHERE name=? AND version=?",
                                 (name, version)).fetchone()[0]

    # --- writing facts -----------------------------------------------------------------
    def previous_files(self, corpus_id: int, parse_key: str) -> dict[str, tuple[int, int, int]]:
        """path -> (blob_id, mtime_ns, size) of the corpus version's current file rows whose
        blob was parsed under `parse_key` (others must be parsed again)."""
        return {r[0]: (r[1], r[2], r[3]) for r in self.conn.execute(
            "SELECT f.path, f.blob_id, f.mtime_ns, f.size FROM file f JOIN blob b ON b.id = f.blob_id "
            "WHERE f.corpus_id=? AND b.profile=?", (corpus_id, parse_key))}

    def blob_id(self, sha1: str, parse_key: str) -> int | None:
        r = self.conn.execute("SELECT id FROM blob WHERE sha1=? AND profile=?", (sha1, parse_key)).fetchone()
        return r[0] if r else None

    def blob_count(self) -> int:
        """How many parsed contents the index holds (the unique index on (sha1, profile)
        counts them: 16 ms on all of Linux)."""
        return self.conn.execute("SELECT count(*) FROM blob").fetchone()[0]

    @_writes
    def add_blob(self, sha1: str, parse_key: str, lang: str, size: int, zcontent: bytes, meta,
                 status: str, blob_id: int | None = None) -> int:
        """Insert one parsed content (compressed) and its parse summary; returns the blob id
        (`blob_id` when given, else a new one). The facts arrive separately, from the
        workers' spools (see merge_spool)."""
        c = self.conn
        cur = c.execute(
            "INSERT INTO blob(id, sha1, profile, lang, size, nlines, err_lines, status, errors, "
            "content) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (blob_id, sha1, parse_key, lang, size, meta.nlines if meta is not None else 0,
             meta.err_lines if meta is not None else 0, status,
             json.dumps(meta.errors[:500]) if meta is not None else None, zcontent))
        return cur.lastrowid

    @_writes
    def merge_spool(self, path: str, jobmap: dict[int, int] | None, alias: str = "spool") -> None:
        """Copy a worker spool's facts into the index (see indexer/spool.py; `jobmap` None:
        the spool's job numbers are the blob ids)."""
        from vmxref.indexer import spool
        self.attached.append(path)
        spool.merge(self.conn, path, jobmap, alias)

    def adopt_spool(self, path: str) -> bool:
        """Make a worker spool the fresh build (False when this run is no fresh build): its
        fact tables are the index's, with the job numbers as blob ids, so the biggest spool
        becomes the database and this build's other tables (blob, corpus, meta, file) are
        copied into it, instead of its facts into this build. The side file keeps its name
        (a killed run leaves only side files and spools, which the next run removes)."""
        if self._build is None:
            return False
        build = os.fspath(self._build)
        aside = build + "-tables"  # (a BUILD_PREFIX name too)
        try:
            self.conn.execute("COMMIT")
            self.conn.close()
            os.replace(build, aside)
            os.replace(path, build)  # (renamed before it is opened: SQLite refuses a moved file)
        except (OSError, sqlite3.Error) as e:
            raise IndexWriteError(f"cannot write the index in {self.dir}/: {e}; the previous "
                                  f"index is unchanged") from None
        self.conn = sqlite3.connect(build, isolation_level=None, check_same_thread=False)
        try:
            _tune_writer(self.conn, self._build, build=True)
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            _create_schema(c, schema.ddl(False))  # (the tables a spool lacks)
            c.execute("ATTACH DATABASE ? AS side", (aside,))
            for t in sorted(schema.TABLES - set(schema.FACT_TABLES) - schema.REFS_TABLES):
                c.execute(f"INSERT INTO main.{t} SELECT * FROM side.{t}")
            c.execute("COMMIT")
            c.execute("DETACH DATABASE side")
            c.execute("BEGIN IMMEDIATE")
            os.unlink(aside)
        except sqlite3.Error as e:
            raise _write_error(e, self.dir) from None
        except OSError:
            pass  # (the aside file: removed with the other side files by the next run)
        return True

    @_writes
    def instantiate_templates(self, corpus_id: int) -> int:
        """Name template functions after what their name macro is #defined to.

        `PGMPHYSFN_READNAME(PVM pVM, ...) { ... }` in a header included once per
        `#define PGMPHYSFN_READNAME PGMR3PhysReadU8` (U16, ...): the definition becomes a
        `template` symbol and one `function` symbol per instantiation name, at its place.
        Only all-caps function names that are object-like macros of the corpus are touched.
        """
        c = self.conn
        # (the all-caps names through the name index, two ranges: a join from the corpus's
        # files read every symbol of every file, 4-8 s on all of Linux against 0.7 s)
        rows = c.execute(
            "SELECT s.rowid, s.blob_id, s.name FROM sym s INDEXED BY sym_name "
            "WHERE ((s.name >= 'A' AND s.name < '[') OR (s.name >= '_' AND s.name < '`')) "
            "AND s.kind = 'function' AND upper(s.name) = s.name AND s.name GLOB '[A-Z_]*' "
            "AND EXISTS (SELECT 1 FROM file f WHERE f.blob_id = s.blob_id AND f.corpus_id = ?)",
            (corpus_id,)).fetchall()
        n = 0
        for rowid, _bid, name in rows:
            values = sorted({t for (t,) in c.execute(
                "SELECT m.text FROM sym m JOIN file f ON f.blob_id = m.blob_id "
                "WHERE f.corpus_id = ? AND m.name = ? AND m.kind = 'macro'", (corpus_id, name))
                if t and t.isidentifier() and t != name})
            if not values:
                continue
            cols = [r[1] for r in c.execute("PRAGMA table_info(sym)")]
            sel = ", ".join("? AS name" if col == "name" else col for col in cols)
            for v in values:
                c.execute(f"INSERT INTO sym SELECT {sel} FROM sym WHERE rowid = ?", (v, rowid))
            c.execute("UPDATE sym SET kind = 'template' WHERE rowid = ?", (rowid,))
            n += len(values)
        return n

    @_writes
    def set_files(self, corpus_id: int, rows: list[tuple[str, int, int, int]]) -> None:
        """Replace the file list of a corpus version: (path, blob_id, mtime_ns, size)."""
        self.conn.execute("DELETE FROM file WHERE corpus_id=?", (corpus_id,))
        self.conn.executemany("INSERT INTO file VALUES (?,?,?,?,?)",
                              [(corpus_id, *r) for r in rows])

    @_writes
    def remove_corpus(self, corpus_id: int) -> int:
        """Forget a corpus version: its file rows, its row and what was derived from it
        (the contents no other version shares go at the next `gc`); returns its file count."""
        c = self.conn
        n = c.execute("SELECT count(*) FROM file WHERE corpus_id=?", (corpus_id,)).fetchone()[0]
        c.execute("DELETE FROM file WHERE corpus_id=?", (corpus_id,))
        c.execute("DELETE FROM corpus WHERE id=?", (corpus_id,))
        c.execute("DELETE FROM meta WHERE key LIKE 'derived:%:' || ?", (str(corpus_id),))
        c.execute("DELETE FROM meta WHERE key = ?", (f"read_skips:{corpus_id}",))
        return n

    @_writes
    def drop_indexes(self) -> None:
        """Drop index.db's secondary indexes before a large batch of inserts (same
        transaction; refs.db's: start_refs)."""
        for name, _sql in schema.indexes(_MAIN_INDEX_SQL):
            self.conn.execute(f"DROP INDEX IF EXISTS {name}")

    @property
    def indexes_dropped(self) -> bool:
        """Does a secondary index of index.db miss (dropped by a large run, or an adopted
        spool's: it has none)? create_indexes builds them."""
        return _missing_indexes(self.conn, _MAIN_INDEX_SQL)

    @_writes
    def create_indexes(self) -> None:
        """(Re)create index.db's secondary indexes (_build_indexes; refs.db's are built at
        the same time by start_refs's thread)."""
        self._flush_early()
        _build_indexes(self.conn, _MAIN_INDEX_SQL, self._flush_early)

    @_writes
    def set_corpus_stats(self, corpus_id: int, stats: dict) -> None:
        self.conn.execute("UPDATE corpus SET stats=? WHERE id=?", (stats_text(stats), corpus_id))

    def get_meta(self, key: str) -> str | None:
        """A value of the meta table (None when absent)."""
        r = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return r[0] if r is not None else None

    @_writes
    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @_writes
    def gc(self) -> int:
        """Delete blobs (and their facts) no corpus version points at; returns how many.
        (Their rows in refs.db go after index.db has committed: commit.)"""
        c = self.conn
        c.execute("CREATE TEMP TABLE IF NOT EXISTS dead(id INTEGER PRIMARY KEY)")
        c.execute("DELETE FROM dead")
        c.execute("INSERT INTO dead SELECT id FROM blob WHERE id NOT IN (SELECT blob_id FROM file)")
        n = c.execute("SELECT count(*) FROM dead").fetchone()[0]
        if n:
            for t in schema.fact_tables(refs=False):
                c.execute(f"DELETE FROM {t} WHERE blob_id IN (SELECT id FROM dead)")
            c.execute("DELETE FROM blob WHERE id IN (SELECT id FROM dead)")
            self._dead += [r[0] for r in c.execute("SELECT id FROM dead")]  # (commit)
        return n

    # --- reading -----------------------------------------------------------------------
    def lines(self, blob_id: int) -> list[str]:
        """The source lines of a blob (decoded, replacement characters for bad bytes)."""
        got = self._content_cache.get(blob_id)
        if got is None:
            raw = self._raw_cache.get(blob_id)  # (line_text read it already: not again)
            data = raw[0] if raw is not None else self.content(blob_id)
            got = self._content_cache.put(
                blob_id, data.decode("utf-8", "replace").split("\n"), len(data))
        return got

    def raw(self, blob_id: int) -> bytes:
        """A blob's bytes, kept with what line_text keeps (one read per blob)."""
        return self._raw_entry(blob_id)[0]

    def _raw_entry(self, blob_id: int) -> list:
        """[content, a line line_text found last, its offset] of a blob (read once)."""
        raw = self._raw_cache.get(blob_id)
        if raw is None:
            data = self.content(blob_id)
            raw = self._raw_cache.put(blob_id, [data, 1, 0], len(data))
        return raw

    def _line_at(self, blob_id: int, line: int) -> tuple[bytes, tuple[int, int] | None]:
        """A blob's content and (start, end) of one of its lines (None when out of range),
        found from the line found last when this one is below it: answers come in line
        order. Without the C helper the lines before it are split."""
        raw = self._raw_entry(blob_id)
        data = raw[0]
        if _line_span is None:
            if line <= 0:
                return data, None
            lo = 0
            for _ in range(line - 1):
                lo = data.find(b"\n", lo) + 1
                if lo == 0:
                    return data, None
            hi = data.find(b"\n", lo)
            return data, (lo, len(data) if hi < 0 else hi)
        span = _line_span(data, line, *raw[1:]) if raw[1] <= line else _line_span(data, line)
        if span is not None:
            raw[1:] = line, span[0]
        return data, span

    def line_bytes(self, blob_id: int, line: int) -> bytes:
        """One source line's bytes as they are (b'' when out of range): for a column."""
        data, span = self._line_at(blob_id, line)
        return b"" if span is None else data[span[0]:span[1]]

    def line_text(self, blob_id: int, line: int, col: int = 0) -> str:
        """One source line, stripped ('' when out of range), a very long one cut around
        column `col` (clip_line). Only that line is decoded: a `refs` of a name used in
        thousands of files shows one line of each."""
        got = self._content_cache.get(blob_id)
        if got is not None:
            return clip_line(got[line - 1], col) if 0 < line <= len(got) else ""
        data, span = self._line_at(blob_id, line)
        if span is None:
            return ""
        if span[1] - span[0] > 4 * LINE_SHOWN:  # (a generated one-line table: its piece)
            lo = max(span[0], span[0] + col - 1 - LINE_SHOWN)
            hi = min(span[1], lo + 2 * LINE_SHOWN)
            cut = clip_line(data[lo:hi].decode("utf-8", "replace"), col - (lo - span[0]))
            return ("\u2026" if lo > span[0] and not cut.startswith("\u2026") else "") + cut + \
                ("\u2026" if hi < span[1] and not cut.endswith("\u2026") else "")
        return clip_line(data[span[0]:span[1]].decode("utf-8", "replace"), col)

    def content(self, blob_id: int) -> bytes:
        """A blob's bytes: read from a file of the blob when that is still as the index saw it
        (the same modification time and size, which is what tells the indexer a file is
        unchanged: reading it costs a tenth of decompressing the stored copy), else the
        stored copy."""
        for root, path, mtime_ns, size in self.conn.execute(
                "SELECT c.root, f.path, f.mtime_ns, f.size FROM blob b JOIN file f ON "
                "f.blob_id = b.id AND f.size = b.size JOIN corpus c ON c.id = f.corpus_id "
                "WHERE b.id = ? LIMIT 4", (blob_id,)).fetchall():
            if mtime_ns is None:
                continue
            data = _unchanged_file(os.path.join(root, path), mtime_ns, size)
            if data is not None:
                return data
        r = self.conn.execute("SELECT content FROM blob WHERE id = ?", (blob_id,)).fetchone()
        return zlib.decompress(r[0]) if r and r[0] else b""


LINE_SHOWN = 400  # characters of a source line a result shows at most (around its column)


def clip_line(text: str, col: int = 0) -> str:
    """`text` stripped; a line longer than LINE_SHOWN cut to that many characters around
    1-based column `col` (from its start without one), `…` marking what is left out: a
    result on a generated table written on one line is not megabytes long."""
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    if len(text) <= LINE_SHOWN:
        return text
    start = max(0, min(len(text) - LINE_SHOWN, col - 1 - lead - LINE_SHOWN // 3))
    end = start + LINE_SHOWN
    return ("\u2026" if start else "") + text[start:end] + ("\u2026" if end < len(text) else "")


def _unchanged_file(path: str, mtime_ns: int, size: int) -> bytes | None:
    """The bytes of the regular file at `path` if it has that modification time and size,
    else None. (Opened without blocking: a FIFO put in a file's place must not hang a
    query.)"""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_mtime_ns != mtime_ns or st.st_size != size:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(size + 1)
        return data if len(data) == size else None
    except OSError:
        return None
    finally:
        os.close(fd)


class _Contents(dict):
    """blob -> what was read of its content, up to about `budget` bytes of content (the
    oldest entries go first)."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget, self.held, self.sizes = budget, 0, {}

    def put(self, key, value, size: int):
        while self and self.held + size > self.budget:
            old = next(iter(self))
            del self[old]
            self.held -= self.sizes.pop(old)
        self[key], self.sizes[key] = value, size
        self.held += size
        return value

    def clear(self) -> None:
        super().clear()
        self.sizes.clear()
        self.held = 0


def _label(conn: sqlite3.Connection, corpus_id: int) -> tuple[str, str]:
    return _label_cached(id(conn), conn, corpus_id)


@lru_cache(maxsize=256)
def _label_cached(_key, conn, corpus_id):
    r = conn.execute("SELECT name, version FROM corpus WHERE id=?", (corpus_id,)).fetchone()
    return (r[0], r[1]) if r else ("?", "?")


def _check_ours(conn: sqlite3.Connection, db: str | Path, reading: bool = False,
                want: frozenset = schema.TABLES) -> None:
    """Refuse a database that is not a vmxref index (another app's, garbage, tampered).

    A reader also needs every table (an empty or truncated file is refused, not queried):
    `want`, in the files attached to `conn` (a reader's: both). The schema version is in
    index.db's meta (refs.db, checked on its own, `want` REFS_TABLES, has none)."""
    app = conn.execute("PRAGMA main.application_id").fetchone()[0]
    if app == APP_ID and "meta" in want:
        r = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if r is None or r[0] != str(schema.SCHEMA_VERSION):
            raise IndexCorrupt(f"{db} was built by another version of vmxref (schema "
                               f"{r[0] if r else '?'}, this one reads {schema.SCHEMA_VERSION}); "
                               f"remove {os.path.dirname(os.fspath(db)) or '.'}/ and index again")
    if app not in (0, APP_ID):
        raise IndexCorrupt(f"{db} belongs to another application (application_id {app:#x}); "
                           f"refusing to use it")
    tables = set()
    names = [r[1] for r in conn.execute("PRAGMA database_list") if r[1] != "temp"] \
        if reading else ["main"]
    for name in names:
        tables |= {r[0] for r in conn.execute(
            f"SELECT name FROM {name}.sqlite_master WHERE type='table'")}
    if (tables or reading or app == APP_ID) and not tables >= want:
        missing = ", ".join(sorted(want - tables))
        raise IndexCorrupt(f"{db} is not a complete vmxref index (missing tables: {missing}); "
                           f"remove it and re-index")
