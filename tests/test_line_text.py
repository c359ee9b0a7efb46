"""Store.line_text and Store.lines: the text of an answer's line.

Read from the indexed file while it is as the index saw it (same modification time and
size: what the indexer itself takes for "unchanged"), else from the index's stored copy, so
an answer never shows text the index did not parse. One line is found by the C helper
`_ftscan.line_span` (twin: splitting the text)."""
from __future__ import annotations

import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmxref import api, store

SRC = "int fx_a;\n\tint fx_b = 1;  \n\xc3\xa9t\xc3\xa9 /* \xff */\n\nlast"


def _index(tmp_path):
    kvm = tmp_path / "src" / "arch" / "x86" / "kvm"  # (a path the linux-kvm profile indexes)
    kvm.mkdir(parents=True)
    f = kvm / "fx.c"
    f.write_bytes(SRC.encode("latin-1"))
    api.index(str(tmp_path / "src"), "linux-kvm@fx", tmp_path / "ix", procs=1, fulltext=False)
    sc = api.open_scope(tmp_path / "ix", "linux-kvm@fx")
    bid = sc.conn.execute("SELECT blob_id FROM file").fetchone()[0]
    return sc, bid, f


def _texts(st_: store.Store, bid: int) -> list[str]:
    return [st_.line_text(bid, n) for n in range(0, 7)]


WANT = ["", "int fx_a;", "int fx_b = 1;", "été /* \ufffd */", "", "last", ""]


def test_lines_of_the_indexed_file(tmp_path, monkeypatch):
    sc, bid, _f = _index(tmp_path)
    assert _texts(sc.store, bid) == WANT
    assert [sc.store.line_text(bid, n) for n in (5, 2, 3, 9, 1)] == [
        "last", "int fx_b = 1;", "été /* \ufffd */", "", "int fx_a;"]  # (any order)
    with monkeypatch.context() as m:  # (the twin of the C line finder)
        m.setattr(store, "_line_span", None)
        assert _texts(store.Store.open(tmp_path / "ix"), bid) == WANT
    fresh = store.Store.open(tmp_path / "ix")  # (lines first: then line_text reads them)
    assert fresh.lines(bid)[1:3] == ["\tint fx_b = 1;  ", "été /* \ufffd */"]
    assert _texts(fresh, bid) == WANT


@pytest.mark.parametrize("change", ["content", "mtime", "gone", "fifo", "directory"])
def test_a_changed_file_is_not_read(tmp_path, change):
    sc, bid, f = _index(tmp_path)
    st_ = os.stat(f)
    if change == "content":  # the same size, written a nanosecond later
        f.write_bytes(SRC.replace("fx_a", "fx_z").encode("latin-1"))
        os.utime(f, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1))
    elif change == "mtime":
        os.utime(f, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))
        f.write_bytes(b"changed\n")
        os.utime(f, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))
    elif change == "fifo":  # (a reader must not block on it)
        f.unlink()
        os.mkfifo(f)
        os.utime(f, ns=(st_.st_atime_ns, st_.st_mtime_ns))
    elif change == "directory":
        f.unlink()
        f.mkdir()
    else:
        f.unlink()
    got = []

    def read() -> None:  # (in a thread: a read that blocks fails the test, not the run)
        fresh = store.Store.open(tmp_path / "ix")
        got.extend([_texts(fresh, bid), fresh.lines(bid)[0]])
    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "reading the line blocked"
    assert got == [WANT, "int fx_a;"]


def test_the_file_is_read_while_unchanged(tmp_path, monkeypatch):
    sc, bid, _f = _index(tmp_path)
    fresh = store.Store.open(tmp_path / "ix")
    monkeypatch.setattr(store.zlib, "decompress", lambda *_a: pytest.fail("stored copy read"))
    assert fresh.line_text(bid, 2) == "int fx_b = 1;"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"\n")), st.integers(-1, 12),
       st.integers(1, 12))
def test_line_span_twin(data, n, m):
    if store._line_span is None:
        pytest.skip("vmxref._ftscan not built")
    parts = data.split(b"\n")
    span = store._line_span(data, n)
    if 1 <= n <= len(parts):
        assert data[span[0]:span[1]] == parts[n - 1]
    else:
        assert span is None
    before = store._line_span(data, m)  # (from a line found before, as line_text asks)
    if before is not None and m <= n:
        assert store._line_span(data, n, m, before[0]) == span


def test_contents_kept_within_their_budget():
    cache = store._Contents(10)
    for k in range(5):
        cache.put(k, b"x" * 4, 4)
    assert list(cache) == [3, 4] and cache.held == 8  # (the oldest went first)
    cache.put("big", b"y" * 30, 30)  # one bigger than the budget stays alone until the next
    assert list(cache) == ["big"]
    cache.put(9, b"z", 1)
    assert list(cache) == [9] and cache.held == 1
    cache.clear()
    assert not cache and cache.held == 0
