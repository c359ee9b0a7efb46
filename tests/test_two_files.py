"""The index is two files, index.db and refs.db (store.py): they commit one after the other,
never at once, and every state a reader or a killed indexer can leave is whole — the rows a
run adds to refs.db are unseen until index.db commits, the rows of a deleted blob go after,
a run killed between the two commits leaves rows the next indexer deletes, and a blob id
is never given twice."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dbfiles import connect
from vmxref import api
from vmxref.errors import IndexCorrupt, UnknownSymbol
from vmxref.store import Store

PROFILE = Path(__file__).parent / "fixtures" / "robust" / "profile.toml"


def write(src: Path, name: str, body: str) -> None:
    src.mkdir(parents=True, exist_ok=True)
    (src / name).write_text(body)


def tree(src: Path, extra: str = "") -> None:
    write(src, "a.c", "static int apple;\nint eat(void)\n{\n\treturn apple + pear(1);\n}\n")
    write(src, "b.c", "int pear(int n)\n{\n\treturn n + banana;\n}\n" + extra)


def index(src: Path, ix: Path) -> None:
    api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=1, fulltext=False)


def refs_of(ix: Path, name: str) -> list[tuple[str, int]]:
    sc = api.open_scope(ix, "robust@1")
    try:
        return sorted((s.file, s.line) for s in api.run_query(sc, f"refs {name}"))
    except UnknownSymbol:
        return []
    finally:
        sc.store.close()


def unseen_rows(ix: Path) -> int:
    """refs.db's rows of blobs index.db does not have."""
    c = connect(ix)
    try:
        return c.execute("SELECT count(*) FROM refs.ref WHERE blob_id NOT IN "
                         "(SELECT id FROM blob)").fetchone()[0]
    finally:
        c.close()


def refmeta(ix: Path) -> dict:
    c = connect(ix)
    try:
        return dict(c.execute("SELECT key, value FROM refs.refmeta"))
    finally:
        c.close()


def test_the_rows_of_a_replaced_content_leave_refs_db_after_the_commit(tmp_path) -> None:
    src, ix = tmp_path / "src", tmp_path / "ix"
    tree(src)
    index(src, ix)
    assert [p for p, _l in refs_of(ix, "banana")] == ["b.c"]
    tree(src, extra="int kiwi(void)\n{\n\treturn cherry;\n}\n")
    index(src, ix)
    assert refs_of(ix, "cherry") == [("b.c", 7)] and refs_of(ix, "banana") == [("b.c", 3)]
    assert unseen_rows(ix) == 0 and refmeta(ix).get("orphans") == "0"


KILLED = """
import os, sys
from pathlib import Path
from vmxref import api
from vmxref.store import Store

real = Store._write_sql
def write_sql(self, sql, conn=None):
    if sql == "COMMIT" and conn is None and self.rconn is not None and not self.fresh:
        os._exit(9)  # killed after refs.db's commit, before index.db's
    return real(self, sql, conn)
Store._write_sql = write_sql
api.index(sys.argv[1], "robust@1", Path(sys.argv[2]), profile=sys.argv[3], procs=1,
          fulltext=False)
"""


def test_a_run_killed_between_the_two_commits_leaves_the_previous_index(tmp_path) -> None:
    src, ix = tmp_path / "src", tmp_path / "ix"
    tree(src)
    index(src, ix)
    before = refs_of(ix, "banana")
    tree(src, extra="int kiwi(void)\n{\n\treturn cherry + banana;\n}\n")
    r = subprocess.run([sys.executable, "-c", KILLED, str(src), str(ix), str(PROFILE)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 9, r.stderr
    # the previous index answers as before: the new content's rows are in refs.db, unseen
    assert refs_of(ix, "banana") == before and refs_of(ix, "cherry") == []
    assert unseen_rows(ix) > 0 and refmeta(ix)["orphans"] == "1"
    # the next indexer deletes them first (a new blob could get their blob id), then indexes
    index(src, ix)
    assert refs_of(ix, "cherry") == [("b.c", 7)]
    assert refs_of(ix, "banana") == [("b.c", 3), ("b.c", 7)]
    assert unseen_rows(ix) == 0 and refmeta(ix)["orphans"] == "0"


def test_a_blob_id_is_never_given_twice(tmp_path) -> None:
    """refs.db may still hold a deleted blob's rows (a run killed after index.db's commit):
    a later content must not take its id."""
    src, ix = tmp_path / "src", tmp_path / "ix"
    tree(src)
    index(src, ix)
    c = connect(ix)
    old = c.execute("SELECT max(id) FROM blob").fetchone()[0]
    c.close()
    api.remove("robust@1", ix, fulltext=False)
    write(tmp_path / "other", "c.c", "int plum(void)\n{\n\treturn 2;\n}\n")
    index(tmp_path / "other", ix)
    c = connect(ix)
    assert c.execute("SELECT min(id) FROM blob").fetchone()[0] > old
    c.close()
    assert unseen_rows(ix) == 0


def test_a_reader_keeps_one_moment_of_both_files(tmp_path) -> None:
    """A query process opened before a re-index sees the old index in both files (the old
    content's references, deleted from refs.db after the run) until it refreshes."""
    src, ix = tmp_path / "src", tmp_path / "ix"
    tree(src)
    index(src, ix)
    sc = api.open_scope(ix, "robust@1")
    try:
        write(src, "b.c", "int pear(int n)\n{\n\treturn n;\n}\n")
        index(src, ix)
        assert [s.file for s in api.run_query(sc, "refs banana")] == ["b.c"]
        sc.store.refresh()
        with pytest.raises(UnknownSymbol):
            api.run_query(sc, "refs banana")
    finally:
        sc.store.close()


def test_an_index_without_its_refs_file_is_refused_in_one_line(tmp_path) -> None:
    src, ix = tmp_path / "src", tmp_path / "ix"
    tree(src)
    index(src, ix)
    (ix / "refs.db").unlink()
    with pytest.raises(IndexCorrupt, match=r"refs\.db is missing.*index again"):
        Store.open(ix)
    with pytest.raises(IndexCorrupt, match=r"refs\.db is missing"):
        index(src, ix)


def test_no_thread_of_the_run_is_alive_when_the_full_text_forks_its_workers(tmp_path,
                                                                              monkeypatch):
    """The full-text build forks worker processes after the commit: a thread of the run
    still inside SQLite then (refs.db's deletions) could leave a child waiting forever on
    a lock it held. Every thread the run started has ended by then."""
    import threading
    src, ix = tmp_path / "src", tmp_path / "ix"
    tree(src)
    index(src, ix)
    alive = []
    real = api.build_fulltext

    def spy(*args, **kw):
        alive.extend(t.name for t in threading.enumerate() if t is not threading.main_thread())
        return real(*args, **kw)
    monkeypatch.setattr(api, "build_fulltext", spy)
    tree(src, extra="int kiwi(void)\n{\n\treturn cherry;\n}\n")  # (b.c's old blob dies)
    api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=2)
    assert refs_of(ix, "cherry") == [("b.c", 7)] and unseen_rows(ix) == 0
    assert alive == [], alive


def test_a_refs_file_that_is_no_database_is_named_in_one_line(tmp_path) -> None:
    src, ix = tmp_path / "src", tmp_path / "ix"
    tree(src)
    index(src, ix)
    (ix / "refs.db").write_bytes(b"\x07not sqlite\x00" * 600)
    with pytest.raises(IndexCorrupt, match=r"refs\.db is not a vmxref index file .*index again"):
        Store.open(ix)
    with pytest.raises(IndexCorrupt, match=r"refs\.db is not a vmxref index file"):
        index(src, ix)
