"""A fresh index (no index.db yet) is built in a side file and renamed into place (issue 8):
killed or failed builds leave no index.db and no leftovers; the result is a WAL database
with the same facts a build into an existing index gives."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vmxref import api, schema
from vmxref.errors import IndexWriteError, NoIndex
from vmxref.store import BUILD_PREFIX, MAX_PAGES_ENV, REFS_BUILD_PREFIX, Store
from dbfiles import index_names

PROFILE = Path(__file__).parent / "fixtures" / "robust" / "profile.toml"


def write_tree(src: Path, nfiles: int = 60) -> None:
    """Small C files, enough for the bulk path (more than 50 new contents)."""
    for i in range(nfiles):
        d = src / f"d{i % 4}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.c").write_text(
            f"struct s{i} {{ int a, b; }};\nstatic int g{i};\n"
            f"int f{i}(struct s{i} *p)\n{{\n\tp->a = g{i};\n\treturn h{i % 5}(p->b);\n}}\n")


def facts(d: Path) -> dict[str, int]:
    with Store.open(d) as st:
        return {t: st.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in sorted(schema.TABLES)}


def leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name.startswith((BUILD_PREFIX, REFS_BUILD_PREFIX, ".spool-")))


def test_fresh_build_is_published_in_wal_mode(tmp_path) -> None:
    write_tree(tmp_path / "src")
    api.index(str(tmp_path / "src"), "robust@1", tmp_path / "ix", profile=str(PROFILE), procs=2)
    ix = tmp_path / "ix"
    assert leftovers(ix) == []
    with Store.open(ix) as st:
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.conn.execute("SELECT count(*) FROM file").fetchone()[0] == 60
    # the same facts as a build into an existing index (WAL path, job -> blob mapping)
    api.index(str(tmp_path / "src"), "robust@2", ix, profile=str(PROFILE), procs=2)
    (tmp_path / "src" / "d0" / "f0.c").write_text("int changed(void) { return 1; }\n")
    api.index(str(tmp_path / "src"), "robust@1", ix, profile=str(PROFILE), procs=2)
    assert api.run_query(api.open_scope(ix, "robust@1"), "def changed")
    assert api.run_query(api.open_scope(ix, "robust@2"), "def f0")


def test_unpublished_fresh_build_leaves_nothing(tmp_path) -> None:
    ix = tmp_path / "ix"
    st = Store.open_for_write(ix)
    st.conn.execute("INSERT INTO meta VALUES ('x', 'y')")
    assert leftovers(ix)  # the side file
    st.close()
    assert leftovers(ix) == [] and not (ix / "index.db").exists()
    with pytest.raises(NoIndex):
        Store.open(ix)


def test_killed_fresh_build_is_cleaned_up_by_the_next_run(tmp_path) -> None:
    ix = tmp_path / "ix"
    code = ("import os, sys; from pathlib import Path; from vmxref.store import Store; "
            "st = Store.open_for_write(Path(sys.argv[1])); "
            "st.conn.execute(\"INSERT INTO meta VALUES ('x', 'y')\"); os._exit(9)")
    subprocess.run([sys.executable, "-c", code, str(ix)], timeout=60)
    assert leftovers(ix) and not (ix / "index.db").exists()
    with pytest.raises(NoIndex):
        Store.open(ix)
    write_tree(tmp_path / "src")
    api.index(str(tmp_path / "src"), "robust@1", ix, profile=str(PROFILE), procs=2)
    assert leftovers(ix) == []
    assert facts(ix)["file"] == 60


def test_full_disk_during_a_fresh_build_leaves_nothing(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "src")
    ix = tmp_path / "ix"
    monkeypatch.setenv(MAX_PAGES_ENV, "40")
    with pytest.raises(IndexWriteError, match="disk is full"):
        api.index(str(tmp_path / "src"), "robust@1", ix, profile=str(PROFILE), procs=2)
    assert leftovers(ix) == [] and not (ix / "index.db").exists()


def _rows(d: Path) -> dict[str, list]:
    with Store.open(d) as st:
        return {t: sorted(st.conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in sorted(schema.FACT_TABLES) + ["blob", "file"]}


def test_a_fresh_build_adopts_its_biggest_spool(tmp_path, monkeypatch) -> None:
    """The biggest worker spool becomes the database: the same rows as a build that copies
    every spool into the side file, no spool left, and the index's secondary indexes."""
    write_tree(tmp_path / "src")
    adopted = []
    real = Store.adopt_spool

    def spy(self, path):
        adopted.append(real(self, path))
        return adopted[-1]
    monkeypatch.setattr(Store, "adopt_spool", spy)
    api.index(str(tmp_path / "src"), "robust@1", tmp_path / "a", profile=str(PROFILE), procs=2)
    monkeypatch.setattr(Store, "adopt_spool", lambda self, path: False)
    api.index(str(tmp_path / "src"), "robust@1", tmp_path / "b", profile=str(PROFILE), procs=2)
    assert adopted == [True]
    assert _rows(tmp_path / "a") == _rows(tmp_path / "b")
    assert leftovers(tmp_path / "a") == []
    with Store.open(tmp_path / "a") as st:
        have = index_names(st.conn)
    assert {name for name, _sql in schema.indexes()} <= have


def test_a_failed_adoption_leaves_no_index_and_the_next_run_cleans_up(tmp_path, monkeypatch):
    import vmxref.store as store_mod
    write_tree(tmp_path / "src")
    ix = tmp_path / "ix"
    calls = []
    real_replace = store_mod.os.replace

    def failing_replace(a, b):
        calls.append((a, b))
        if ".spool-" in str(a):  # the spool renamed to the build's name: refused
            raise OSError(28, "No space left on device")
        return real_replace(a, b)
    monkeypatch.setattr(store_mod.os, "replace", failing_replace)
    with pytest.raises(IndexWriteError, match="previous index is unchanged"):
        api.index(str(tmp_path / "src"), "robust@1", ix, profile=str(PROFILE), procs=2)
    monkeypatch.setattr(store_mod.os, "replace", real_replace)
    assert any(".spool-" in str(a) for a, _b in calls)
    assert not (ix / "index.db").exists()
    api.index(str(tmp_path / "src"), "robust@1", ix, profile=str(PROFILE), procs=2)
    assert leftovers(ix) == [] and facts(ix)["file"] == 60


@pytest.mark.parametrize("procs", [1, 2])
def test_progress_counts_against_a_fixed_total(tmp_path, procs: int) -> None:
    """The `parsing done/total` counter: every call has the final total (a one-process run
    once announced its total as it went, and its terminal counter ended a line per file)."""
    write_tree(tmp_path / "src", nfiles=12)
    calls: list[tuple[int, int]] = []
    api.index(str(tmp_path / "src"), "robust@1", tmp_path / "ix", str(PROFILE), procs=procs,
              progress=lambda done, total: calls.append((done, total)), fulltext=False)
    assert calls == [(i, 12) for i in range(1, 13)]


def test_a_fresh_build_is_flushed_while_its_indexes_are_built(tmp_path, monkeypatch) -> None:
    """The side file's data is synced in a thread started before CREATE INDEX and again
    after each index while none is running (the sync before the rename then waits for
    the last pages only), refs.db's side file by the thread that built it; the published
    index is complete."""
    import os
    import threading
    synced: list[tuple[str, str]] = []
    real = os.fdatasync

    def fdatasync(fd: int) -> None:
        synced.append((threading.current_thread().name, os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)
    monkeypatch.setattr(os, "fdatasync", fdatasync)
    write_tree(tmp_path / "src")
    api.index(str(tmp_path / "src"), "robust@1", tmp_path / "ix", profile=str(PROFILE), procs=2,
              fulltext=False)
    got = [(t != threading.main_thread().name,
            os.path.basename(p).startswith((BUILD_PREFIX, REFS_BUILD_PREFIX))) for t, p in synced]
    assert any(os.path.basename(p).startswith(REFS_BUILD_PREFIX) for _t, p in synced)
    # (one sync at least; fast syncs of a small index run once per index, up to 23)
    assert got and set(got) == {(True, True)} and len(got) <= len(schema.indexes()) + 1
    assert facts(tmp_path / "ix")["sym"] > 60 and leftovers(tmp_path / "ix") == []
