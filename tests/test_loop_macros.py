"""Loop macros (`for_each_shadow_entry(vcpu, addr, it) { ... }`), which the Linux profile
reads as `while`, call what their clauses call: the functions using them are callers of
those functions, and the functions called are their callees, as for a macro written as a
call (`KVM_BUG_ON(..)`)."""
from __future__ import annotations

from pathlib import Path

import pytest

from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "loopmacro_s33"
WALK = "arch/x86/kvm/mmu/tkl_walk.c"


@pytest.fixture(scope="module")
def lq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIX, "linux-kvm@t", fulltext=False)


def test_a_loop_macros_users_are_callers_of_what_its_clauses_call(lq):
    code, rows, out = lq("callers", "tkl_walk_okay")
    assert code == 0, out
    assert [(r["line"], r["function"], r["edge"], r["via"]) for r in rows] == [
        (58, "tkl_direct_map", "macro", "for_each_tkl_entry() calls tkl_walk_okay"),
        (69, "tkl_fast_fault", "macro", "for_each_tkl_entry_lockless() calls tkl_walk_okay"),
        (80, "tkl_count_leaves", "macro",
         "for_each_tkl_leaf() -> for_each_tkl_entry() calls tkl_walk_okay"),
    ], out


def test_a_getter_in_a_statement_expression_of_the_loop_is_called_too(lq):
    code, rows, out = lq("callers", "tkl_spte_get_lockless")
    assert code == 0, out
    assert [(r["line"], r["function"]) for r in rows] == [(69, "tkl_fast_fault")], out


def test_the_functions_a_loop_macro_calls_are_callees_of_its_user(lq):
    code, rows, out = lq("callees", "tkl_direct_map")
    assert code == 0, out
    assert sorted((r["line"], r["symbol"], r["edge"]) for r in rows) == [
        (58, "tkl_walk_init", "macro"), (58, "tkl_walk_next", "macro"),
        (58, "tkl_walk_okay", "macro")], out


def test_a_path_goes_through_the_loop_macro(lq):
    code, rows, out = lq("path", "tkl_page_fault", "->", "tkl_walk_next")
    assert code == 0, out
    assert {r["function"] for r in rows} == {"tkl_direct_map", "tkl_fast_fault",
                                             "tkl_count_leaves"}, out


def test_whether_a_macro_is_used_too_often_is_counted_in_the_asked_version(
        tmp_path, monkeypatch):
    """A macro used more than edges.MAX_MACRO_USES times (an assertion) calls nothing a
    row is kept for; its uses are counted in the asked version, so indexing a second
    version (other contents: other rows) does not change the first one's answers."""
    import shutil

    from vmxref import api
    from vmxref.queries import edges
    v2 = tmp_path / "v2"
    shutil.copytree(FIX, v2)
    f = v2 / WALK
    f.write_text(f.read_text() + "/* version 2 */\n")
    idx = tmp_path / "idx"
    api.index(str(FIX), "linux-kvm@1", idx, procs=1, fulltext=False)
    monkeypatch.setattr(edges, "MAX_MACRO_USES", 4)  # (4 uses of the three loop macros)

    def callers(version: str) -> list[str]:
        sc = api.open_scope(idx, f"linux-kvm@{version}")
        return [s.function for s in api.run_query(sc, "callers tkl_walk_okay")]
    alone = callers("1")
    assert alone == ["tkl_direct_map", "tkl_fast_fault", "tkl_count_leaves"], alone
    api.index(str(v2), "linux-kvm@2", idx, procs=1, fulltext=False)
    assert callers("1") == alone and callers("2") == alone


TRACE = "arch/x86/kvm/tkl_trace.h"


def test_the_calls_of_a_trace_events_fast_assign_are_its_tracepoints(lq):
    """`TP_fast_assign(__entry->rip = tkl_rip_read(vcpu);)` runs in trace_tkl_entry (and,
    in a class, in each event defined from it): callers, callees and paths see them."""
    code, rows, out = lq("callers", "tkl_rip_read")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [
        (TRACE, 22, "trace_tkl_entry"), (TRACE, 38, "trace_tkl_exit")], out
    code, rows, out = lq("callees", "trace_tkl_entry")
    assert code == 0, out
    assert [r["symbol"] for r in rows] == ["tkl_vcpu_id", "tkl_rip_read"], out
    code, rows, out = lq("path", "tkl_vcpu_run", "->", "tkl_rip_read")
    assert code == 0, out
    assert {r["function"] for r in rows} == {"trace_tkl_entry", "trace_tkl_exit"}, out


def test_a_define_inside_an_initializer_is_a_macro_symbol(lq):
    """`#define TKL_FIELD_RO(x, y) { x, offsetof(..) },` written inside the table it fills:
    tree-sitter has no place for a directive there (an ERROR node), yet it is a macro of
    the file, found by `def` with its parameters and body."""
    code, rows, out = lq("def", "TKL_FIELD_RO")
    assert code == 0, out
    assert [(r["file"], r["line"]) for r in rows] == [("arch/x86/kvm/tkl_fields.c", 19)], out
    assert "offsetof(struct tkl_vmcs12, y)" in rows[0]["text"], out


def test_defines_inside_an_initializer_are_parsed_one_by_one_without_their_comments(lq):
    """`#define TKL_OP_NOP(a_Code) do { /* ... */ } while (0)` in an initializer: its value
    parses only without the comment, and it does not swallow the #define after it."""
    code, rows, out = lq("def", "TKL_OP_NOP")
    assert code == 0, out
    assert [(r["file"], r["line"]) for r in rows] == [("arch/x86/kvm/tkl_ops.c", 14)], out
    code, rows, out = lq("def", "TKL_OP")
    assert code == 0, out
    assert [(r["file"], r["line"]) for r in rows] == [("arch/x86/kvm/tkl_ops.c", 15)], out
    assert "{ a_Code, a_Fn }" in rows[0]["text"], out


def test_a_define_in_a_block_comment_is_no_macro(lq):
    """A #define line inside a commented-out block (nt.h style) is no directive: the scan
    for #defines the tree missed leaves it out."""
    code, rows, out = lq("def", "TKL_OP_OLD")
    assert code != 0 and not rows, out
