"""An unchanged re-index does only what it must: no parser loaded, the stored request API
kept; a changed [requests] table or a changed file recomputes it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from vmxref import api, corpora
from dbfiles import index_names
from vmxref.queries import requests

FIXTURES = Path(__file__).parent / "fixtures"

RUN = """
import sys
from pathlib import Path
from vmxref import api
st = api.index(sys.argv[1], "linux-kvm@fixture", Path(sys.argv[2]), procs=1, fulltext=False)
print(st.parsed, st.unchanged, "tree_sitter" in sys.modules)
"""


def _index(src: Path, ix: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-c", RUN, str(src), str(ix)], capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    return out


def _stored(ix: Path) -> dict:
    sc = api.open_scope(ix)
    r = sc.conn.execute("SELECT value FROM meta WHERE key LIKE 'derived:request_api:%'").fetchone()
    return json.loads(r[0])


def test_unchanged_reindex_loads_no_parser_and_keeps_the_request_api(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "linux", src)
    ix = tmp_path / "ix"
    parsed, _unchanged, ts_loaded = _index(src, ix)
    assert int(parsed) > 0 and ts_loaded == "True"
    first = _stored(ix)
    assert "kvm_make_all_cpus_request" in first["setters"]  # a wrapper found in the code
    parsed, unchanged, ts_loaded = _index(src, ix)
    assert parsed == "0" and int(unchanged) > 0 and ts_loaded == "False"
    assert _stored(ix) == first
    assert requests.is_stored(api.open_scope(ix).store, api.open_scope(ix).corpus_ids[0])


def test_a_removed_wrapper_is_forgotten_on_reindex(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "linux", src)
    ix = tmp_path / "ix"
    _index(src, ix)
    assert "kvm_make_all_cpus_request" in _stored(ix)["setters"]
    for f in src.rglob("*.c"):  # drop the wrapper's body: it no longer forwards its parameter
        text = f.read_text()
        if "kvm_make_all_cpus_request(struct" in text:
            f.write_text(text.replace("kvm_make_all_cpus_request(struct",
                                      "kvm_make_all_cpus_request_gone(struct"))
    parsed, _u, _ts = _index(src, ix)
    assert int(parsed) >= 1
    assert "kvm_make_all_cpus_request" not in _stored(ix)["setters"]


def test_an_interrupt_whose_exception_was_lost_still_stops_the_commit(tmp_path, monkeypatch):
    """interrupts.requested set (the handler ran, its KeyboardInterrupt swallowed somewhere):
    the run raises before it commits and the index keeps its previous state."""
    import pytest
    from vmxref import interrupts
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "linux", src)
    ix = tmp_path / "ix"
    _index(src, ix)
    before = api.open_scope(ix).conn.execute("SELECT count(*), max(id) FROM corpus").fetchone()
    monkeypatch.setattr(interrupts, "requested", True)
    with pytest.raises(KeyboardInterrupt):
        api.index(str(src), "linux-kvm@other", ix, procs=1, fulltext=False)
    assert api.open_scope(ix).conn.execute("SELECT count(*), max(id) FROM corpus").fetchone() == before


def _own_profile_index(tmp_path) -> tuple[Path, Path]:
    """(profile file, index) of the linux fixture indexed as my-kvm@1 with a copy of the
    shipped linux-kvm profile."""
    prof = tmp_path / "my-kvm.toml"
    prof.write_text((Path(__file__).parent.parent / "vmxref" / "corpora" / "linux-kvm.toml")
                    .read_text())
    ix = tmp_path / "ix"
    api.index(str(FIXTURES / "linux"), "my-kvm@1", ix, profile=str(prof), procs=1,
              fulltext=False)
    return prof, ix


def _setters_in_a_new_process(ix: Path) -> str:
    """The [requests] setters a query process reads, and whether it imported tomllib."""
    code = ("import sys; from pathlib import Path; from vmxref import api; "
            "from vmxref.queries.profiles import profile_section; "
            "sc = api.open_scope(Path(sys.argv[1])); "
            "print(sorted(profile_section(sc, 'requests')['setters']), 'tomllib' in sys.modules)")
    return subprocess.run([sys.executable, "-c", code, str(ix)], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


def test_queries_read_the_profile_snapshot_until_the_file_changes(tmp_path):
    """The indexer keeps the parsed profile in the index; a query uses it while the TOML file
    is unchanged (no TOML parsing) and reads the file again once it is edited."""
    from vmxref.queries.profiles import profile_section
    prof, ix = _own_profile_index(tmp_path)
    out = _setters_in_a_new_process(ix)
    assert "kvm_make_request" in out and out.endswith("False")
    prof.write_text(prof.read_text().replace("setters = { kvm_make_request = 0,",
                                             "setters = { my_setter = 0, kvm_make_request = 0,"))
    sc = api.open_scope(ix)
    assert "my_setter" in profile_section(sc, "requests")["setters"]


def test_a_profile_touched_or_written_again_unchanged_keeps_its_snapshot(tmp_path):
    """A profile file whose mtime changed but whose text did not (a checkout, a tool that
    writes it again) is still read from the index's snapshot: no TOML parsing in queries;
    the next indexing run records the new mtime."""
    prof, ix = _own_profile_index(tmp_path)
    st = prof.stat()
    os.utime(prof, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    out = _setters_in_a_new_process(ix)
    assert "kvm_make_request" in out and out.endswith("False")
    key = f"profile:{prof}"
    assert not corpora.snapshot_stat_is_current(str(prof), api.open_scope(ix).store.get_meta(key))
    code = ("import sys; from vmxref import api; api.index(sys.argv[1], 'my-kvm@1', sys.argv[2], "
            "profile=sys.argv[3], procs=1, fulltext=False); print('pathspec' in sys.modules)")
    again = subprocess.run([sys.executable, "-c", code, str(FIXTURES / "linux"), str(ix), str(prof)],
                           capture_output=True, text=True, check=True, timeout=60).stdout
    assert again.strip() == "False"  # (the snapshot's glob regexes kept: no pathspec)
    assert corpora.snapshot_stat_is_current(str(prof), api.open_scope(ix).store.get_meta(key))
    prof.write_text(prof.read_text().replace("setters = { kvm_make_request = 0,",  # same size
                                             "setters = { kvm_make_reqxest = 0,"))
    os.utime(prof, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))  # another mtime
    out = _setters_in_a_new_process(ix)
    assert "kvm_make_reqxest" in out and out.endswith("True")


def test_a_changed_index_definition_is_rebuilt_by_the_next_writer(tmp_path):
    """An index written with an older definition of a secondary index (ref_name on the name
    only) answers as before, and the next indexing run rebuilds it with the current one."""
    import sqlite3

    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "linux", src)
    ix = tmp_path / "ix"
    _index(src, ix)
    db = ix / "refs.db"  # (ref and its indexes: the second file)
    with sqlite3.connect(db) as c:
        c.execute("DROP INDEX ref_name")
        c.execute("CREATE INDEX ref_name ON ref(name)")
    sc = api.open_scope(ix)
    assert api.run_query(sc, "refs kvm_guest_time_update")
    sc.store.close()
    _index(src, ix)
    with sqlite3.connect(db) as c:
        sql = c.execute("SELECT sql FROM sqlite_master WHERE name = 'ref_name'").fetchone()[0]
    assert " ".join(sql.split()) == "CREATE INDEX ref_name ON ref(name, kind)"


def test_the_full_text_is_built_again_only_when_what_it_holds_changed(tmp_path: Path) -> None:
    """An unchanged `vmxref index` keeps the full-text index (it says `full text
    unchanged`); a changed file, a second corpus version, a damaged or missing full-text
    directory, or another full-text format build it again."""
    from vmxref import fulltext
    from vmxref.queries.textsearch import FULLTEXT_DIR
    src, ix = tmp_path / "src", tmp_path / "ix"
    shutil.copytree(FIXTURES / "linux", src)
    ft = ix / FULLTEXT_DIR

    def index(version: str = "fixture"):
        fulltext._open_cache.clear()
        return api.index(str(src), f"linux-kvm@{version}", ix, procs=1)

    first = index()
    assert not first.fulltext_current and "full text unchanged" not in first.summary()
    stamp = (ft / "docs.json").stat().st_ino
    again = index()
    assert again.fulltext_current and again.summary().endswith("full text unchanged")
    assert (ft / "docs.json").stat().st_ino == stamp  # (not rebuilt: the same files)
    assert fulltext.search(ft, "kvm_guest_time_update")

    victim = next(p for p in sorted(src.rglob("*.c")) if "kvm_guest_time_update" in p.read_text())
    victim.write_text(victim.read_text() + "\n/* clock drift note: vmxref_marker_word */\n")
    changed = index()
    assert changed.parsed == 1 and not changed.fulltext_current
    assert [h.path for h in fulltext.search(ft, "vmxref_marker_word")] == \
        [str(victim.relative_to(src))]

    assert index().fulltext_current
    assert not index("second").fulltext_current  # (another version: its files are new docs)
    assert {h.version for h in fulltext.search(ft, "vmxref_marker_word")} == {"fixture", "second"}

    (ft / "texts.bin").write_bytes((ft / "texts.bin").read_bytes()[:100])  # truncated
    assert not index().fulltext_current
    shutil.rmtree(ft)
    assert not index().fulltext_current and index().fulltext_current
    meta = json.loads((ft / "docs.json").read_text())
    (ft / "docs.json").write_text(json.dumps({**meta, "format": 5}))  # (an older build)
    assert not index().fulltext_current


def test_a_changed_file_grows_the_full_text_which_answers_as_one_built_afresh(
        tmp_path: Path) -> None:
    """A re-index after an edit adds a segment for the edited content only (the others are
    not analysed again); `vmxref fulltext`-style forced builds write it afresh; the answers
    of both are the same."""
    from vmxref import fulltext
    from vmxref.queries.textsearch import FULLTEXT_DIR
    from vmxref.store import Store
    src, ix = tmp_path / "src", tmp_path / "ix"
    shutil.copytree(FIXTURES / "linux", src)
    ft = ix / FULLTEXT_DIR
    api.index(str(src), "linux-kvm@fixture", ix, procs=1)
    victim = src / "virt" / "kvm" / "kvm_main.c"  # (a small file: most texts stay live)
    victim.write_text(victim.read_text() + "\n/* clock drift note: vmxref_marker_word */\n")
    api.index(str(src), "linux-kvm@fixture", ix, procs=1)
    api.index(str(src), "linux-kvm@second", ix, procs=1)

    def answers() -> tuple[int, list]:
        fulltext._open_cache.clear()
        segments = len(fulltext._open(ft).segments.segments)
        return segments, [[(h.version, h.path, h.line, h.text, h.score, h.function)
                           for h in fulltext.search(ft, q, limit=None)]
                          for q in ("vmxref_marker_word", "kvm_guest_time_update", "clock", "tsc")]
    grown = answers()
    st = Store.open_for_write(ix)
    try:
        api.build_fulltext(st, force=True)
    finally:
        st.close()
    fresh = answers()
    assert grown[0] == 2 and fresh[0] == 1  # (the second version added no content)
    assert grown[1] == fresh[1] and all(grown[1])


# --------------------------------------------------------------------------- bulk rule

def _tree(root: Path, n: int, edited: int = 0) -> None:
    """`n` small KVM-style files; the first `edited` carry one more function."""
    d = root / "arch" / "x86" / "kvm"
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        extra = f"static int fx_more_{i}(struct fx_s{i} *p) {{ return p->a; }}\n" if i < edited else ""
        (d / f"fx{i}.c").write_text(
            f"struct fx_s{i} {{ int a; int b; }};\n"
            f"static void fx_set_{i}(struct fx_s{i} *p, int v)\n{{\n\tp->a = v;\n\tfx_set_{(i + 1) % n}(0, v);\n}}\n"
            + extra)


def _facts(ix: Path, corpus: str) -> list:
    sc = api.open_scope(ix, corpus)
    out = []
    for table, cols in (("sym", "t.name, t.kind, t.line, t.scope, t.type"),
                        ("ref", "t.name, t.kind, t.line, t.col, t.func"),
                        ("call", "t.callee, t.line, t.func, t.args"),
                        ("assign", "t.field, t.line, t.func, t.chain, t.value")):
        out += sorted((table, r[1], *r[3:]) for r in sc.rows(table, "1", (), cols))
    return out


def test_new_contents_join_a_large_index_without_rebuilding_its_indexes(tmp_path, monkeypatch):
    """More new contents than BULK but a small share of what the index holds (a pull, a
    second version): rows go in with the indexes kept (on all of Linux, building them again
    is ~75 s); the facts are those a fresh index of the tree has. A large share rebuilds."""
    import vmxref.indexer as indexer
    from vmxref.store import Store
    monkeypatch.setattr(indexer, "BULK", 2)
    drops: list[int] = []
    orig = Store.drop_indexes
    monkeypatch.setattr(Store, "drop_indexes", lambda self: (drops.append(1), orig(self))[1])
    one, two, three = tmp_path / "one", tmp_path / "two", tmp_path / "three"
    _tree(one, 15)
    _tree(two, 15, edited=3)     # 3 new contents: > BULK, < 15 / 3
    _tree(three, 15, edited=9)   # 9 new ones (the edited files): > 15 / 3
    ix = tmp_path / "ix"
    api.index(str(one), "linux-kvm@one", ix, procs=1, fulltext=False)
    assert drops == [1]  # (a fresh index: loaded without its indexes)
    st = api.index(str(two), "linux-kvm@two", ix, procs=1, fulltext=False)
    assert st.parsed == 3 and drops == [1]
    alone = tmp_path / "alone"
    api.index(str(two), "linux-kvm@two", alone, procs=1, fulltext=False)
    assert _facts(ix, "linux-kvm@two") == _facts(alone, "linux-kvm@two")
    api.index(str(three), "linux-kvm@three", ix, procs=1, fulltext=False)
    assert drops == [1, 1]
    store = api.open_scope(ix).store
    assert {"ref_name", "assign_field", "call_callee"} <= index_names(store.conn)
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_unchanged_reindex_writes_nothing_and_a_moved_root_is_recorded(tmp_path):
    """Nothing changed: the run ends its transaction without writing (index.db and its WAL
    keep their bytes, `indexed_at` stays). The same files under another root are no change
    of content, but the corpus row then names the new root."""
    import hashlib
    import sqlite3
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "linux", src)
    ix = tmp_path / "ix"
    _index(src, ix)
    _index(src, ix)  # (the first re-index leaves index.db in WAL mode, checkpointed)

    def state():  # (the database's bytes, and what its WAL holds)
        wal = ix / "index.db-wal"
        return (hashlib.sha1((ix / "index.db").read_bytes()).hexdigest(),
                wal.stat().st_size if wal.exists() else 0)

    def corpus_row():
        c = sqlite3.connect(f"file:{ix / 'index.db'}?mode=ro", uri=True)
        try:
            return c.execute("SELECT root, indexed_at, stats FROM corpus").fetchone()
        finally:
            c.close()

    before, row = state(), corpus_row()
    parsed, unchanged, _ts = _index(src, ix)
    assert parsed == "0" and int(unchanged) > 0
    assert state() == before and corpus_row() == row
    moved = tmp_path / "moved"
    src.rename(moved)
    parsed, unchanged, _ts = _index(moved, ix)
    assert parsed == "0" and int(unchanged) > 0
    assert corpus_row()[0] == str(moved.resolve()) and corpus_row()[2] == row[2]


def test_a_search_from_a_full_text_index_older_than_the_rest_says_so(tmp_path):
    """QA (audit D, D2): after `index --no-fulltext` (or a run stopped in the full-text
    step) `search` answered from the old text, lines and all, without a word."""
    import shutil

    from click.testing import CliRunner

    from vmxref.cli import cli
    src, ix = tmp_path / "src", tmp_path / "ix"
    shutil.copytree(Path(__file__).parent / "fixtures" / "linux", src)
    api.index(str(src), "linux-kvm@1", ix, procs=1)
    x86 = src / "arch" / "x86" / "kvm" / "x86.c"
    x86.write_text("/* inserted */\n" + x86.read_text())
    st = api.index(str(src), "linux-kvm@1", ix, procs=1, fulltext=False)
    assert st.summary().endswith("full text not built (--no-fulltext)")
    r = CliRunner().invoke(cli, ["search", "kvm_guest_time_update", "--index", str(ix)])
    assert "the full-text index is older than the rest of the index" in r.stderr, r.output
    api.index(str(src), "linux-kvm@1", ix, procs=1)
    r = CliRunner().invoke(cli, ["search", "kvm_guest_time_update", "--index", str(ix)])
    assert "older" not in r.stderr, r.output


def test_an_empty_version_is_refused_and_an_unchanged_run_removes_old_spools(tmp_path):
    """QA (audit D, D10, D11): `--corpus linux-kvm@` indexed as the profile's default
    version; the spools a killed run left stayed while later runs found nothing to parse."""
    import pytest

    from vmxref.errors import UnknownCorpus
    from vmxref.indexer import spool
    src, ix = Path(__file__).parent / "fixtures" / "linux", tmp_path / "ix"
    with pytest.raises(UnknownCorpus, match="NAME@VERSION"):
        api.index(str(src), "linux-kvm@", ix, procs=1, fulltext=False)
    api.index(str(src), "linux-kvm@1", ix, procs=1, fulltext=False)
    left = ix / f"{spool.PREFIX}4242-killed.db"
    left.write_bytes(b"x" * 100)
    st = api.index(str(src), "linux-kvm@1", ix, procs=1, fulltext=False)
    assert st.parsed == 0 and not left.exists()


def test_the_summary_says_where_the_skipped_files_are_named(tmp_path):
    """QA (audit D, D12): the summary gave skip counts only; the names are in `stats`."""
    src, ix = tmp_path / "src" / "arch" / "x86" / "kvm", tmp_path / "ix"
    src.mkdir(parents=True)
    (src / "ok.c").write_text("int ok(void) { return 0; }\n")
    (src / "bin.c").write_bytes(b"int x;\n\0\0binary")
    src = tmp_path / "src"
    st = api.index(str(src), "linux-kvm@1", ix, procs=1, fulltext=False)
    assert "skipped: 1 binary: `vmxref stats` names them)" in st.summary(), st.summary()


def test_an_unchanged_reindex_of_a_tree_with_a_binary_file_writes_nothing(tmp_path):
    """QA (audit S, D6): a file skipped when read (binary) had no file row, so every run read
    it again and wrote the corpus row: an unchanged run now skips it unread and writes
    nothing; once it changes it is read again."""
    import hashlib
    src, ix = tmp_path / "src" / "arch" / "x86" / "kvm", tmp_path / "ix"
    src.mkdir(parents=True)
    (src / "ok.c").write_text("int ok(void) { return 0; }\n")
    (src / "bin.c").write_bytes(b"int x;\n\0\0binary")
    root = tmp_path / "src"
    api.index(str(root), "linux-kvm@1", ix, procs=1, fulltext=False)
    api.index(str(root), "linux-kvm@1", ix, procs=1, fulltext=False)
    before = hashlib.sha1((ix / "index.db").read_bytes()).hexdigest()
    st = api.index(str(root), "linux-kvm@1", ix, procs=1, fulltext=False)
    assert "skipped: 1 binary" in st.summary() and st.files == 1, st.summary()
    assert hashlib.sha1((ix / "index.db").read_bytes()).hexdigest() == before
    (src / "bin.c").write_text("int now_text(void) { return 2; }\n")
    st = api.index(str(root), "linux-kvm@1", ix, procs=1, fulltext=False)
    assert st.files == 2 and st.parsed == 1 and "binary" not in st.summary(), st.summary()


def test_a_run_that_replaces_most_contents_deletes_the_old_before_building_indexes(
        tmp_path, monkeypatch):
    """A re-index that parses everything again (a new extractor) drops the indexes, deletes
    the contents no version uses any more, and only then builds the indexes, over the live
    rows: the same facts as a fresh index, every index there, no fact of a dead content."""
    import vmxref.indexer as indexer
    from vmxref import schema
    from vmxref.store import Store
    monkeypatch.setattr(indexer, "BULK", 2)  # (15 files: a large run)
    order: list[str] = []
    for name in ("gc", "create_indexes"):
        orig = getattr(Store, name)
        monkeypatch.setattr(Store, name, lambda self, _o=orig, _n=name: (order.append(_n),
                                                                         _o(self))[1])
    src = tmp_path / "src"
    _tree(src, 15)
    ix = tmp_path / "ix"
    api.index(str(src), "linux-kvm@one", ix, procs=1, fulltext=False)
    monkeypatch.setattr(corpora, "EXTRACTOR_VERSION", corpora.EXTRACTOR_VERSION + "-next")
    order.clear()
    st = api.index(str(src), "linux-kvm@one", ix, procs=1, fulltext=False)
    assert st.parsed == 15 and order == ["gc", "create_indexes"], order
    fresh = tmp_path / "fresh"
    api.index(str(src), "linux-kvm@one", fresh, procs=1, fulltext=False)
    assert _facts(ix, "linux-kvm@one") == _facts(fresh, "linux-kvm@one")
    store = api.open_scope(ix).store
    assert {n for n, _ in schema.indexes(schema.INDEX_SQL)} <= index_names(store.conn)
    live = {r[0] for r in store.conn.execute("SELECT id FROM blob")}
    for t in schema.FACT_TABLES:
        assert {r[0] for r in store.conn.execute(f"SELECT DISTINCT blob_id FROM {t}")} <= live, t
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
