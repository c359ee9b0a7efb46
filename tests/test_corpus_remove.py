"""`vmxref corpus remove NAME@VERSION`: a version leaves the index with the contents only it
held and their facts; the versions that share contents keep them; the full text forgets its
files; a name that is not indexed, or names several versions, is an error that loses
nothing."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from vmxref import api
from vmxref.errors import UnknownCorpus

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """linux-kvm@a (the fixture tree) and linux-kvm@b (the same, one file edited)."""
    base = tmp_path_factory.mktemp("remove")
    a, b = base / "a", base / "b"
    shutil.copytree(FIXTURES / "linux", a)
    shutil.copytree(FIXTURES / "linux", b)
    x86 = next(p for p in sorted(b.rglob("*.c")) if "kvm_guest_time_update(" in p.read_text())
    x86.write_text(x86.read_text() + "\nstatic void only_in_b_helper(void)\n{\n}\n")
    ix = base / "ix"
    api.index(str(a), "linux-kvm@a", ix, procs=1)
    api.index(str(b), "linux-kvm@b", ix, procs=1)
    return ix, x86.relative_to(b).as_posix()


def _counts(ix: Path) -> tuple[int, int, int]:
    c = sqlite3.connect(ix / "index.db")
    return tuple(c.execute(q).fetchone()[0] for q in (
        "SELECT count(*) FROM blob", "SELECT count(*) FROM sym",
        "SELECT count(*) FROM meta WHERE key LIKE 'derived:%'"))


def test_remove_keeps_shared_contents_and_drops_the_rest(two_versions, tmp_path):
    ix0, edited = two_versions
    ix = tmp_path / "ix"
    shutil.copytree(ix0, ix)
    blobs, syms, derived = _counts(ix)
    assert derived == 2  # (a request table per version)
    assert [s.file for s in api.run_query(api.open_scope(ix, "linux-kvm@b"),
                                          "def only_in_b_helper")] == [edited]
    label, files, gone = api.remove("linux-kvm@b", ix)
    assert label == "linux-kvm@b" and files > 1
    assert gone == 1  # only the edited file's content was b's alone
    blobs2, syms2, derived2 = _counts(ix)
    assert (blobs2, derived2) == (blobs - 1, 1) and syms2 < syms
    sc = api.open_scope(ix)
    assert [(c["name"], c["version"]) for c in sc.store.corpora()] == [("linux-kvm", "a")]
    with pytest.raises(Exception, match="only_in_b_helper"):
        api.run_query(sc, "def only_in_b_helper")
    # version a is whole: its copy of the edited file, its callers, its full text
    assert api.run_query(sc, "callers kvm_guest_time_update")
    hits = api.run_query(sc, "search kvm_guest_time_update")
    assert hits and {(s.corpus, s.version) for s in hits} == {("linux-kvm", "a")}
    from vmxref import fulltext
    from vmxref.queries.textsearch import FULLTEXT_DIR
    # the full text was rebuilt for what the index now holds (its files: version a's)
    assert fulltext.current_source(ix / FULLTEXT_DIR) == api._fulltext_source(sc.store)


def test_remove_refuses_what_it_cannot_name(two_versions, tmp_path):
    ix0, _edited = two_versions
    ix = tmp_path / "ix"
    shutil.copytree(ix0, ix)
    before = _counts(ix)
    with pytest.raises(UnknownCorpus, match="has 2 versions indexed; name one: linux-kvm@a, linux-kvm@b"):
        api.remove("linux-kvm", ix)
    with pytest.raises(UnknownCorpus, match="'linux-kvm@c' is not indexed; indexed: linux-kvm@a"):
        api.remove("linux-kvm@c", ix)
    assert _counts(ix) == before
    api.remove("linux-kvm@a", ix)
    label, _files, _gone = api.remove("linux-kvm", ix)  # (one version left: the name is enough)
    assert label == "linux-kvm@b"
    assert _counts(ix) == (0, 0, 0)


def test_cli_says_what_it_removed(two_versions, tmp_path):
    ix0, _edited = two_versions
    ix = tmp_path / "ix"
    shutil.copytree(ix0, ix)
    run = [sys.executable, "-m", "vmxref", "corpus", "remove", "--index", str(ix)]
    bad = subprocess.run(run + ["nosuch"], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1 and "not indexed" in bad.stderr
    ok = subprocess.run(run + ["linux-kvm@a"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr.startswith("removed linux-kvm@a: ")
    listed = subprocess.run([sys.executable, "-m", "vmxref", "corpus", "list", "--index", str(ix)],
                            capture_output=True, text=True, timeout=60).stdout
    assert "[indexed: b (" in listed
