"""The C part of a worker (vmxref.indexer._native) does what its Python twins do: the spool
writer stores the rows the sqlite3 module stores, the identifier scan finds the tokens
extract.ident_tokens finds."""
import os
import sqlite3

import pytest
from hypothesis import given, settings, strategies as st

from vmxref import schema
from vmxref.errors import IndexWriteError
from vmxref.indexer import extract, spool
from vmxref.ctext import KEYWORDS
from vmxref.indexer.extract import Facts

native = pytest.mark.skipif(spool._native is None, reason="vmxref.indexer._native not built "
                            "(.ci/run requires it: VMXREF_REQUIRE_NATIVE=1)")


@pytest.mark.skipif(not os.environ.get("VMXREF_REQUIRE_NATIVE"), reason="the C writer is optional")
def test_the_native_writer_is_built():
    assert spool._native is not None, "pip did not build vmxref.indexer._native (see setup.py)"
VALUES = st.one_of(st.none(), st.integers(-2**63, 2**63 - 1), st.text(max_size=30),
                   st.text(alphabet="\x00\x7fé€𝄞 ab", max_size=5))


def _dump(path: str) -> dict:
    """Every fact table of a spool's two files (refs.db's tables in the second)."""
    c = sqlite3.connect(path)
    try:
        c.execute("ATTACH DATABASE ? AS refs", (spool.refs_path(path),))
        return {t: c.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                for t in schema.FACT_TABLES}
    finally:
        c.close()


def _facts(n_refs: int, values: list) -> Facts:
    f = Facts()
    f.refs = [(f"n{i}", "read", i, i % 7, values[i % len(values)], None) for i in range(n_refs)]
    f.syms = [("s", "function", 1, 2, 3, "", values[0], 0, 0, None)]
    f.calls = [(4, 5, "fn", "callee", "direct", None, '["a"]', 4, None)] * 3
    return f


def _write(path: str, native_writer: bool, jobs) -> dict:
    sp = spool.Spool(path, native=native_writer)
    for job, facts in jobs:
        sp.add(job, facts)
        sp.flush()
    sp.close()
    return _dump(path)


@native
@given(st.lists(st.tuples(VALUES, VALUES, VALUES), min_size=1, max_size=150))
@settings(max_examples=60, deadline=None)
def test_native_writer_stores_what_the_sqlite3_module_stores(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("sp")
    f = Facts()
    f.cases = [(r[0] if isinstance(r[0], int) else 1, 2, r[1], r[2]) for r in rows]
    f.guards = [(1, 2, 3, 4, r[2], r[1], r[0] if isinstance(r[0], int) else None) for r in rows]
    a = _write(str(d / "a.db"), False, [(3, f), (9, f)])
    b = _write(str(d / "b.db"), True, [(3, f), (9, f)])
    assert a == b and len(a["kase"]) == 2 * len(rows)


@native
@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 128, 1000])
def test_native_writer_batches_every_row(tmp_path, n):
    f = _facts(n, ["f", None, "ünï\x00code"])
    a = _write(str(tmp_path / "a.db"), False, [(1, f)])
    b = _write(str(tmp_path / "b.db"), True, [(1, f)])
    assert a == b and len(b["ref"]) == n and len(b["call"]) == 3


@native
def test_native_writer_refuses_what_sqlite3_refuses(tmp_path):
    sp = spool.Spool(str(tmp_path / "x.db"), native=True)
    f = Facts()
    f.refs = [("a", "read", 1, 2, "f", None), ("b", "read", 1)]  # a short row
    with pytest.raises(ValueError):
        sp.add(1, f)
    f.refs = [("a", "read", 1, 2, "f", object())]
    with pytest.raises(TypeError):
        sp.add(1, f)
    f.refs = [("a", "read", 2**64, 2, "f", None)]
    with pytest.raises(OverflowError):
        sp.add(1, f)


@pytest.mark.parametrize("native_writer", [False, pytest.param(True, marks=native)])
def test_an_unwritable_spool_is_one_clear_error(tmp_path, native_writer):
    gone = tmp_path / "no-such-dir" / "s.db"  # (root writes into read-only directories)
    with pytest.raises(IndexWriteError, match="cannot write the worker spool"):
        spool.Spool(str(gone), native=native_writer)


# Characters that make or break tokens: word characters, the `.`/`>`/`$` prefixes, `-`,
# whitespace, newlines, and bytes above 0x7f (no word characters to the scan).
CODE = st.lists(st.sampled_from([b"a", b"Z", b"_", b"0", b"9", b"x", b".", b">", b"$", b"-",
                                 b" ", b"\n", b"(", b"\xe9", b"\xff", b"if", b"int ",
                                 b"return", b"_x1", b"9ab"]), max_size=60).map(b"".join)


def _nl(code: bytes) -> list[int]:
    return extract._Ctx(code, "c", None).newlines()


@native
@given(CODE, st.sets(st.integers(0, 80), max_size=10))
@settings(max_examples=1500, deadline=None)
def test_native_identifier_scan_finds_what_python_finds(code, skip):
    nl = _nl(code)
    py = extract.ident_tokens(code, nl, skip, KEYWORDS)
    assert spool._native.ident_tokens(code, nl, skip, KEYWORDS) == py


@native
def test_native_identifier_scan_on_real_code():
    from pathlib import Path
    found = 0
    for f in sorted((Path(__file__).parent / "fixtures").rglob("*.[ch]*")):
        code = extract.code_only(f.read_bytes())
        nl = _nl(code)
        skip = set(range(0, len(code), 7))
        py = extract.ident_tokens(code, nl, skip, KEYWORDS)
        assert spool._native.ident_tokens(code, nl, skip, KEYWORDS) == py, f
        found += len(py[0])
    assert found > 1000  # (the comparison compared something)


def test_asking_for_the_c_writer_without_it_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(spool, "_native", None)
    with pytest.raises(ValueError, match="not built"):
        spool.Spool(str(tmp_path / "x.db"), native=True)
    spool.Spool(str(tmp_path / "y.db")).close()  # (the sqlite3 module writes instead)


@pytest.mark.parametrize("native_writer", [False, pytest.param(True, marks=native)])
def test_a_job_the_spool_refuses_leaves_no_rows(tmp_path, native_writer):
    """A row the spool cannot take raises, and the rows of that job written before it are
    gone (the worker then records the file as an extraction error, the run goes on)."""
    sp = spool.Spool(str(tmp_path / "s.db"), native=native_writer)
    good = _facts(70, ["f"])
    sp.add(1, good)
    bad = _facts(70, ["f"])
    bad.calls = [(4, 5, "fn", "callee", "direct", None, '["a"]', 4, None),
                 (4, 5, "fn", "lone \ud800", "direct", None, "[]", 4, None)]
    with pytest.raises(UnicodeEncodeError):
        sp.add(2, bad)
    sp.close()
    rows = _dump(str(tmp_path / "s.db"))
    assert {r[0] for t in rows.values() for r in t} == {1}
    assert len(rows["ref"]) == 70 and len(rows["call"]) == 3
