"""An answer does not depend on the questions asked before it in the same process (the
shell, a report, bench/answers.py): memoised facts about a callee are kept per member
when they depend on the member asked."""
from __future__ import annotations

from pathlib import Path

import pytest

from vmxref import api
from vmxref.render import site_line

FIX = Path(__file__).parent / "fixtures" / "memo_s33"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    d = tmp_path_factory.mktemp("memo-index")
    api.index(str(FIX), "linux-kvm@t", d, procs=1, fulltext=False)
    return d


def _ask(index, questions: list[str]) -> list[str]:
    sc = api.open_scope(index, "linux-kvm@t")
    for q in questions:
        got = api.run_query(sc, q)
    return [site_line(s) for s in got]


def test_a_call_that_may_write_one_member_unseen_is_no_write_of_another(index):
    """tmo_handle hands the fault on to tmo_faultin, which writes fault->write itself (a
    row of its own) and hands &fault->map_writable to a function outside the corpus: the
    call `tmo_handle(&fault)` may write map_writable unseen (a row of its writes), and is
    no row of write's, whichever member was asked first."""
    alone_write = _ask(index, ["writes tmo_fault.write"])
    alone_map = _ask(index, ["writes tmo_fault.map_writable"])
    assert not any("tmo_handle(&fault)" in r for r in alone_write), alone_write
    assert any("tmo_handle(&fault)" in r for r in alone_map), alone_map
    assert _ask(index, ["writes tmo_fault.map_writable", "writes tmo_fault.write"]) == alone_write
    assert _ask(index, ["writes tmo_fault.write", "writes tmo_fault.map_writable"]) == alone_map
