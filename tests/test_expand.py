"""The bodies of the functions a pasting macro defines, read as the code they expand to
(vmxref/indexer/expand.py), on a small kvm_cache_regs.h-style fixture of its own."""
from __future__ import annotations

from pathlib import Path

import pytest
from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "expand_s32"
H = "include/linux/kvm_tickregs.h"


@pytest.fixture(scope="module")
def eq(tmp_path_factory):
    run = indexed_cli(tmp_path_factory, FIX, "linux-kvm@t")

    def query(text: str) -> list[dict]:
        code, rows, out = run("q", text)
        assert code == 0, out
        return rows
    return query


def test_writes_in_the_body_of_each_function_a_macro_defines(eq):
    """`r->regs[idx] = v;` is the body of kvmtick_ax_write and kvmtick_bx_write: a write of
    the member in each, at the macro's line, with the text shown without its backslash."""
    rows = eq("writes kvmtick_regs.regs")
    assert sorted((r["file"], r["line"], r["function"]) for r in rows) == [
        (H, 20, "kvmtick_ax_write"), (H, 20, "kvmtick_bx_write")]
    assert {r["text"] for r in rows} == {"r->regs[idx] = v;"}


def test_calls_in_the_body_of_each_function_a_macro_defines(eq):
    assert sorted(r["function"] for r in eq("callers kvmtick_mark_dirty")) == [
        "kvmtick_ax_write", "kvmtick_bx_write"]
    assert [r["symbol"] for r in eq("callees kvmtick_bx_write")] == ["kvmtick_mark_dirty"]


def test_provenance_goes_on_through_each_function_to_its_own_callers(eq):
    """kvmtick_bx_write's value comes from kvmtick_load's `kvmtick_ax_read(r) + 1`, whose
    expanded body reads `r->regs[0]`."""
    rows = eq("provenance kvmtick_regs.regs")
    hops = [(h.get("function"), h.get("value")) for h in _walk(rows)]
    assert ("kvmtick_load", "5") in hops and ("kvmtick_load", "kvmtick_ax_read(r) + 1") in hops
    assert ("kvmtick_ax_read", "r->regs[0]") in hops


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.get("from", []))


def test_the_functions_stay_defined_at_the_use(eq):
    assert [(r["file"], r["line"]) for r in eq("def kvmtick_bx_write")] == [(H, 24)]


def test_an_expansion_that_fails_keeps_the_files_own_facts(tmp_path_factory, monkeypatch):
    from vmxref.indexer import expand

    def broken(*_a):
        raise ValueError("an expansion bug")
    monkeypatch.setattr(expand, "_take", broken)  # (the pool's workers are forked: they see it)
    run = indexed_cli(tmp_path_factory, FIX, "linux-kvm@t")
    code, rows, out = run("def", "kvmtick_load")
    assert code == 0 and [r["file"] for r in rows] == ["arch/x86/kvm/tick_regs.c"], out
    assert [r["function"] for r in run("callers", "kvmtick_ax_write")[1]] == ["kvmtick_load"]
    assert run("writes", "kvmtick_regs.regs")[0] == 1  # (the bodies alone are missing)
