"""Faults (issue 9): kill -9 at random moments, SIGINT/SIGTERM, two indexers, queries during a
rebuild, a full disk, a read-only index directory. The previous index must always survive.
"""
from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import api
from vmxref.cli import cli
from vmxref.errors import IndexBusy, IndexWriteError
from vmxref.store import MAX_PAGES_ENV, Store

PROFILE = Path(__file__).parent / "fixtures" / "robust" / "profile.toml"
QUERIES = ["def f3_5", "callers f2_3", "refs kvm_helper_2", "writes kvm_vcpu_arch.x4",
           "search f7_5"]
KILLS = 20


def write_tree(src: Path, nfiles: int, marker: str = "base", funcs: int = 40) -> None:
    """A KVM-flavoured generated tree; `marker` changes every file's content."""
    for i in range(nfiles):
        d = src / f"d{i % 8}"
        d.mkdir(parents=True, exist_ok=True)
        body = [f"/* {marker} */\n#include \"kvm_host.h\"\nint {marker}_marker_{i};\n"]
        for j in range(funcs):
            body.append(
                f"static int f{i}_{j}(struct kvm_vcpu *vcpu, int a)\n{{\n"
                f"\tvcpu->arch.x{j % 9} = a + {j};\n\tif (a > {j})\n"
                f"\t\treturn f{i}_{max(j - 1, 0)}(vcpu, a - 1);\n"
                f"\tpr_info(\"f{i}_{j}: %d\\n\", a);\n\treturn kvm_helper_{j % 7}(vcpu);\n}}\n\n")
        (d / f"file{i}.c").write_text("".join(body))
    (src / "kvm_host.h").write_text(
        "struct kvm_vcpu_arch { int x0, x1, x2, x3, x4, x5, x6, x7, x8; };\n"
        "struct kvm_vcpu { struct kvm_vcpu_arch arch; };\n")


def answers(ix: Path, corpus: str = "robust@1") -> dict[str, list[dict]]:
    """JSON answers of QUERIES on one corpus version (one store open = one snapshot)."""
    sc = api.open_scope(ix, corpus)
    try:
        return {q: [s.to_json() for s in api.run_query(sc, q)] for q in QUERIES}
    finally:
        sc.store.close()


def index_cmd(src: Path, ix: Path, corpus: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "vmxref", "index", str(src), "--corpus", corpus,
            "--profile", str(PROFILE), "--index", str(ix), *extra]


def v2_state(ix: Path) -> set[str]:
    """Markers of robust@2 in the index: empty (never committed) or exactly one (never a mix)."""
    with Store.open(ix) as st:
        return {r[0].split("_marker_")[0] for r in st.conn.execute(
            "SELECT DISTINCT s.name FROM sym s JOIN file f ON f.blob_id = s.blob_id "
            "JOIN corpus c ON c.id = f.corpus_id WHERE c.name = 'robust' AND c.version = '2' "
            "AND s.name LIKE '%_marker_%'")}


def v2_files(ix: Path) -> int:
    with Store.open(ix) as st:
        r = st.conn.execute("SELECT count(*) FROM file f JOIN corpus c ON c.id = f.corpus_id "
                            "WHERE c.version = '2'").fetchone()
        return r[0]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path, dict]:
    """robust@1 indexed (60 files) and its baseline answers."""
    root = tmp_path_factory.mktemp("faults")
    write_tree(root / "v1", 60)
    ix = root / "ix"
    api.index(str(root / "v1"), "robust@1", ix, profile=str(PROFILE), procs=2)
    return root, ix, answers(ix)


def fresh_copy(base, name: str) -> Path:
    root, ix, _ = base
    dst = root / name
    shutil.copytree(ix, dst)
    return dst


# --- kill -9 ----------------------------------------------------------------------------------

def test_kill_9_at_20_random_moments(base) -> None:
    root, _, before = base
    ix = fresh_copy(base, "ix-kill")
    src = root / "v2-kill"
    rng = random.Random(9)
    nfiles = 100
    write_tree(src, nfiles, "m0")
    t0 = time.monotonic()
    subprocess.run(index_cmd(src, root / "ix-measure", "robust@2", "--procs", "2"), check=True,
                   capture_output=True, timeout=120)
    full = time.monotonic() - t0  # a whole run (start-up, parse, commit, full text)
    committed = 0
    for k in range(1, KILLS + 1):
        write_tree(src, nfiles, f"m{k}")  # new contents: every attempt parses everything
        delay = rng.uniform(0.05, full * 1.1)
        p = subprocess.Popen(index_cmd(src, ix, "robust@2", "--procs", "2"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.kill()
        rc = p.wait()
        committed += rc == 0
        assert answers(ix) == before, f"kill {k} after {delay:.2f}s changed robust@1"
        state = v2_state(ix)
        assert len(state) <= 1, f"kill {k} after {delay:.2f}s left a mix: {sorted(state)[:4]}"
        if state:
            assert v2_files(ix) == nfiles + 1
    r = subprocess.run(index_cmd(src, ix, "robust@2", "--procs", "2"), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert v2_state(ix) == {f"m{KILLS}"} and v2_files(ix) == nfiles + 1
    assert answers(ix) == before
    assert committed < KILLS, "no kill landed before the end of the run; the test is too slow"


# --- signals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_130_and_keeps_old_index(base, sig) -> None:
    root, _, before = base
    ix = fresh_copy(base, f"ix-{sig.name}")
    src = root / f"v2-{sig.name}"
    write_tree(src, 400, "sig")
    for name in ("index.db-wal", "index.db-shm"):
        (ix / name).unlink(missing_ok=True)
    p = subprocess.Popen(index_cmd(src, ix, "robust@2", "--procs", "2"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children = Path(f"/proc/{p.pid}/task/{p.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and p.poll() is None and not children.read_text().strip():
        time.sleep(0.005)  # until the parse workers are running (before the commit)
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert answers(ix) == before
    assert v2_state(ix) == set()
    r = subprocess.run(index_cmd(src, ix, "robust@2"), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


# --- two indexers ----------------------------------------------------------------------------------

def test_second_indexer_refuses_with_a_clear_message(base) -> None:
    root, _, _ = base
    ix = fresh_copy(base, "ix-busy")
    with Store.open_for_write(ix):
        r = subprocess.run(index_cmd(root / "v1", ix, "robust@3"), capture_output=True, text=True,
                           timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "another vmxref indexer is writing" in r.stderr and "--wait" in r.stderr


def test_second_indexer_waits_with_wait(base) -> None:
    root, _, _ = base
    ix = fresh_copy(base, "ix-wait")
    st = Store.open_for_write(ix)
    p = subprocess.Popen(index_cmd(root / "v1", ix, "robust@3", "--wait"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    assert p.poll() is None, "the second indexer should be waiting"
    st.close()
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    with Store.open(ix) as s:
        assert {c["version"] for c in s.corpora()} == {"1", "3"}


# --- queries during a rebuild --------------------------------------------------------------------------

def test_open_query_keeps_its_snapshot_across_a_rebuild(base) -> None:
    """A query that started before a rebuild committed answers entirely from the old index."""
    root, _, before = base
    ix = fresh_copy(base, "ix-snap")
    sc = api.open_scope(ix, "robust@1")  # the command has started (snapshot taken)
    src = root / "v1-changed"
    write_tree(src, 60, "changed", funcs=30)  # f3_5 moves, f*_35 disappear, ...
    api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=2)  # commits meanwhile
    during = {q: [s.to_json() for s in api.run_query(sc, q)] for q in QUERIES}
    sc.store.close()
    assert during == before
    assert answers(ix) != before  # a new command sees the new index


def test_concurrent_queries_see_old_or_new_never_a_mix(base) -> None:
    root, _, before = base
    ix = fresh_copy(base, "ix-conc")
    src = root / "v1-alt"
    write_tree(src, 60, "alt", funcs=30)
    api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=1)
    after = answers(ix)
    assert after != before
    stop, errors = threading.Event(), []

    def rebuild() -> None:
        try:
            for i in range(6):
                api.index(str(root / ("v1" if i % 2 == 0 else "v1-alt")), "robust@1", ix,
                          profile=str(PROFILE), procs=1)  # no fork() from a threaded process
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            stop.set()
    t = threading.Thread(target=rebuild)
    t.start()
    seen = 0
    while not stop.is_set():
        got = answers(ix)
        assert got in (before, after), "a query saw a mix of two indexes"
        seen += 1
    t.join()
    assert not errors, errors
    assert seen >= 3


# --- disk full -----------------------------------------------------------------------------------------

def listing(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")} - {"index.db-wal", "index.db-shm"}


def test_disk_full_is_one_clear_line_and_keeps_the_old_index(base, monkeypatch) -> None:
    root, _, before = base
    ix = fresh_copy(base, "ix-full")
    src = root / "v2-full"
    write_tree(src, 60, "full")
    pages = (ix / "index.db").stat().st_size // 4096 + 50  # room for a few files only
    monkeypatch.setenv(MAX_PAGES_ENV, str(pages))
    files_before = listing(ix)
    with pytest.raises(IndexWriteError, match="disk is full"):
        api.index(str(src), "robust@2", ix, profile=str(PROFILE), procs=2)
    r = CliRunner().invoke(cli, ["index", str(src), "--corpus", "robust@2", "--profile",
                                 str(PROFILE), "--index", str(ix)])
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and r.output.startswith("vmxref: error: cannot write the index")
    assert "the previous index is unchanged" in r.output
    monkeypatch.delenv(MAX_PAGES_ENV)
    assert answers(ix) == before
    assert v2_state(ix) == set()
    assert listing(ix) == files_before  # no temp files left behind
    assert not list(ix.parent.glob(".fulltext.new-*")) and not list(ix.glob(".*.new-*"))


def test_full_disk_while_writing_full_text_is_one_line(base, monkeypatch) -> None:
    from vmxref import fulltext
    root, _, before = base
    ix = fresh_copy(base, "ix-full-ft")

    def no_space(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(fulltext._Builder, "run", no_space)
    docs = ix / "fulltext" / "docs.json"  # (built by an older vmxref: no source, so rebuilt)
    docs.write_text(json.dumps({k: v for k, v in json.loads(docs.read_text()).items()
                                if k != "source"}))
    files_before = listing(ix)
    r = CliRunner().invoke(cli, ["index", str(root / "v1"), "--corpus", "robust@1", "--profile",
                                 str(PROFILE), "--index", str(ix)])
    assert r.exit_code == 2, r.output
    assert r.output.count("\n") == 1 and "No space left on device" in r.output
    assert answers(ix) == before
    assert listing(ix) == files_before
    assert not [p for p in ix.iterdir() if ".new-" in p.name]


# --- read-only index directory ----------------------------------------------------------------------------

def test_queries_never_write_the_index(base) -> None:
    ix = fresh_copy(base, "ix-ro")
    db = ix / "index.db"
    mtime, data = db.stat().st_mtime_ns, db.read_bytes()
    for p in ix.rglob("*"):
        if p.is_file():
            p.chmod(0o444)
    for q in QUERIES:
        r = CliRunner().invoke(cli, ["q", q, "--index", str(ix), "--json"])
        assert r.exit_code == 0, r.output
    assert db.stat().st_mtime_ns == mtime and db.read_bytes() == data
    assert not (ix / "index.db-journal").exists()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to drop to an unprivileged user with setpriv")
def test_read_only_index_directory_as_unprivileged_user(base, request) -> None:
    """chmod -w means nothing to root: query as nobody from a directory nobody cannot write."""
    _, ix0, before = base
    tmp = Path(tempfile.mkdtemp(prefix="vmxref-roix-"))
    request.addfinalizer(lambda: shutil.rmtree(tmp, ignore_errors=True))
    tmp.chmod(0o755)
    ix = tmp / "ix"
    shutil.copytree(ix0, ix)
    for name in ("index.db-wal", "index.db-shm"):  # as an indexer leaves it; readers need none
        (ix / name).unlink(missing_ok=True)
    for p in [*ix.rglob("*"), ix]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    listing_before = sorted(p.name for p in ix.iterdir())
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        sys.executable, "-m", "vmxref", "def", "f3_5", "--index", str(ix),
                        "--json"], capture_output=True, text=True, timeout=60, cwd=tmp)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() and '"f3_5"' in r.stdout
    assert sorted(p.name for p in ix.iterdir()) == listing_before


def test_an_interrupt_inside_a_deferred_block_waits_for_a_check() -> None:
    """interrupts.deferred: SIGINT/SIGTERM set the flag, `check()` raises; the handlers in
    place before come back."""
    from vmxref import interrupts
    before = signal.getsignal(signal.SIGINT)
    try:
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # (no KeyboardInterrupt here)
            assert interrupts.requested
            with pytest.raises(KeyboardInterrupt):
                interrupts.check()
        assert signal.getsignal(signal.SIGINT) is before
    finally:
        interrupts.requested = False


def test_a_run_ended_early_kills_its_workers_instead_of_finishing_the_queue() -> None:
    """Every job is queued at once: a pool left to its own exit would run them all (a Ctrl-C
    three seconds into linux-big returned after 14 s); the indexer kills its workers."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from vmxref.indexer import _stopped_on_exit
    ex = ProcessPoolExecutor(2, mp_context=mp.get_context("fork"))
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with ex, _stopped_on_exit(ex):
            for _ in range(4):
                ex.submit(time.sleep, 20)  # (40 s of queued work for two workers)
            time.sleep(0.5)
            raise KeyboardInterrupt
    assert time.monotonic() - t0 < 15


_ORPHAN_SCRIPT = """
import multiprocessing as mp, os, sys, time
from vmxref.indexer import worker

def child(w):
    if len(sys.argv) > 1:  # (without the C part: ctypes)
        from vmxref.indexer import native
        native.mod = None
    worker._die_with_parent()
    w.send(os.getpid())
    time.sleep(60)

if __name__ == "__main__":
    r, w = mp.Pipe(False)
    mp.get_context("fork").Process(target=child, args=(w,), daemon=False).start()
    print(r.recv(), flush=True)
    time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # (a zombie has died)
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("how", ["native", "ctypes"])
def test_a_worker_dies_with_its_indexer_killed_by_kill_9(tmp_path, how) -> None:
    """A pool worker asks the kernel to kill it when its parent dies (worker.init): `kill -9`
    of an indexer leaves no worker parsing on for nobody."""
    script = tmp_path / "orphan.py"
    script.write_text(_ORPHAN_SCRIPT)
    p = subprocess.Popen([sys.executable, str(script), *(["ctypes"] if how == "ctypes" else [])],
                         stdout=subprocess.PIPE, text=True)
    try:
        child = int(p.stdout.readline())
        assert _alive(child)
        p.kill()
        p.wait()
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the worker outlived its killed parent"
    finally:
        p.kill()


def test_a_file_rewritten_while_it_is_indexed_keeps_its_previous_content(tmp_path, monkeypatch):
    """QA (audit D, D1): a file whose content changed between its hash and its parse was
    stored under the old content's hash with the new content and no facts, counted as
    parsed, and shared by later runs. It is now reported (`changed-while-indexed`), keeps its
    previous content's facts, no blob of that hash is stored, and the next run parses it."""
    from vmxref.indexer import worker
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_tree(src, 3, funcs=4)
    api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=1, fulltext=False)
    target = src / "d1" / "file1.c"
    target.write_text(target.read_text().replace("f1_2(", "f1_2x("))
    real_read = worker._read

    def rewritten(p):  # (another writer, between the hash and the worker's read)
        data = real_read(p)
        return data + b"\n/* rewritten */\n" if isinstance(p, str) and p.endswith("file1.c") else data
    monkeypatch.setattr(worker, "_read", rewritten)
    st = api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=1, fulltext=False)
    assert st.skipped == {"changed-while-indexed": 1}, st.skipped
    sc = api.open_scope(ix, "robust@1")
    assert [s.function for s in api.run_query(sc, "def f1_2")] == ["f1_2"]  # (the previous facts)
    sha1 = __import__("hashlib").sha1(target.read_bytes()).hexdigest()
    assert sc.conn.execute("SELECT count(*) FROM blob WHERE sha1 = ?", (sha1,)).fetchone()[0] == 0
    sc.store.close()
    monkeypatch.setattr(worker, "_read", real_read)
    st = api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=1, fulltext=False)
    assert st.skipped == {} and st.parsed == 1
    sc = api.open_scope(ix, "robust@1")
    assert [s.function for s in api.run_query(sc, "def f1_2x")] == ["f1_2x"]
    sc.store.close()


def test_damaged_index_data_is_one_line_not_a_traceback(tmp_path) -> None:
    """QA (audit D, D3, D5): bytes changed inside index.db gave sqlite3.DatabaseError
    tracebacks, an unterminated JSON string a SystemError (the lazy json reader before the
    stdlib's decoder was imported); `corpus list` called a damaged index an empty one."""
    import sqlite3

    from vmxref.errors import one_line
    r = subprocess.run([sys.executable, "-c", "from vmxref.lazy import json\n"
                        "try:\n    json.loads('\"abc')\nexcept ValueError:\n    print('ok')"],
                       capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr
    said = one_line(sqlite3.DatabaseError("database disk image is malformed"))
    assert said == ("vmxref: error: the index is damaged (database disk image is malformed); "
                    "remove it and index again", 2)
    ix = tmp_path / "ix"
    ix.mkdir()
    (ix / "index.db").write_text("not a database at all\n" * 100)
    r = CliRunner().invoke(cli, ["corpus", "list", "--index", str(ix)])
    assert r.exit_code == 2 and "is not a vmxref index" in r.output, r.output


def test_an_interrupted_run_that_cannot_exit_is_ended() -> None:
    """QA (audit D, D4): an indexer said `interrupted` and then waited 20 minutes on a
    thread its exit joined. interrupts.exit_within ends such a process with its code."""
    code = ("from vmxref import interrupts\nimport threading\n"
            "interrupts.exit_within(130, 0.5)\n"
            "threading.Thread(target=threading.Event().wait).start()\n")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code], timeout=30)
    assert r.returncode == 130 and time.monotonic() - t0 < 10


def test_a_file_whose_extraction_never_ends_is_stopped_and_kept_for_search(tmp_path, monkeypatch):
    """A pool worker stops a file after FILE_SECONDS (a pathological input that hangs a
    regular expression or the extractor): the run goes on, the file is stored without facts
    (status too-slow) and is still found by search; the summary and `stats` say so."""
    import time as _time
    from vmxref.indexer import extract, worker
    src = tmp_path / "src"
    write_tree(src, 6, funcs=3)
    (src / "d0" / "slow.c").write_text("int SLOW_MARKER_fn(void) { return 1; }\n")
    real = extract.extract

    def hangs_on_the_marker(content, *a, **kw):
        if b"SLOW_MARKER" in content:
            _time.sleep(60)
        return real(content, *a, **kw)
    monkeypatch.setattr(extract, "extract", hangs_on_the_marker)
    monkeypatch.setattr(worker, "FILE_SECONDS", 0.5)  # (the forked workers inherit both)
    ix = tmp_path / "ix"
    t0 = _time.monotonic()
    st = api.index(str(src), "robust@1", ix, profile=str(PROFILE), procs=2)
    assert _time.monotonic() - t0 < 30
    assert st.factless == {"too-slow": 1}, st.summary()
    assert "no facts from 1 too-slow (kept for search: `vmxref stats` names them)" in st.summary()
    sc = api.open_scope(ix, "robust@1")
    assert [s.file for s in api.run_query(sc, "search SLOW_MARKER_fn")] == ["d0/slow.c"]
    assert api.run_query(sc, "def f2_1")  # (the other files have their facts)
    row = api.stats(sc)[0]
    assert row["files_without_facts"] == "d0/slow.c (too-slow: stopped after 0.5 s)", row
