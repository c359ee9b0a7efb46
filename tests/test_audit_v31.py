"""Audit s31 (def / callers / callees / search) on a small Linux-style fixture of its own:
functions whose names a macro pastes when another macro hands it literal arguments, and
identifiers a search spells in another case than the source."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref.cli import cli

from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "audit_v31"
H = "arch/x86/kvm/tkr_slots.h"
C = "arch/x86/kvm/tkr_clock.c"


@pytest.fixture(scope="module")
def aq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIX, "linux-kvm@t")


@pytest.mark.parametrize("name, line", [
    ("tkr_probe_slot_lo", 17), ("tkr_probe_slot_hi", 17),
    ("tkr_mark_slot_lo", 18), ("tkr_mark_slot_hi", 18),
])
def test_def_of_a_function_pasted_through_a_second_macro(aq, name, line):
    """BUILD_TKR_SLOT_HELPERS(bool, probe, test) hands `probe` and the literal `lo` / `hi`
    to __BUILD_TKR_SLOT_HELPER, whose `tkr_##verb##_slot_##side(` defines the function:
    that use is its definition, and not BUILD_TKR_SYNC_HELPER(lo), whose body only calls it."""
    code, rows, out = aq("def", name)
    assert code == 0, out
    assert [(r["file"], r["line"], r["sym_kind"]) for r in rows] == [(H, line, "pasted")], out
    assert "__BUILD_TKR_SLOT_HELPER" in rows[0]["via"] and f"{H}:7" in rows[0]["via"]


def test_def_of_a_name_no_macro_defines_stays_unknown(aq):
    code, _rows, out = aq("def", "tkr_clear_slot_lo")
    assert code == 2 and "no symbol 'tkr_clear_slot_lo'" in out


@pytest.mark.parametrize("query", ["CTKRTICKSPERSECOND", "ctkrtickspersecond",
                                   "cTkrTicksPerSecond"])
def test_search_finds_an_identifier_typed_in_one_case(aq, query):
    """A word typed all upper or all lower case is the identifier whose parts spell it:
    cTkrTicksPerSecond is c, tkr, ticks, per, second, which `ctkrtickspersecond` (one
    part, in no text) is too."""
    code, rows, out = aq("search", query)
    assert code == 0, out
    assert {(r["file"], r["line"]) for r in rows} == {(C, 8), (C, 17)}
    assert {r["col"] for r in rows if r["line"] == 17} == {42}


def test_search_in_camel_case_finds_the_identifier_written_as_one_part(aq):
    """`TscDeadline` (tsc, deadline) also finds `tscdeadline` (one part, the same letters)
    besides the comment's `TSC deadline`; exact spellings rank first."""
    code, rows, out = aq("search", "TscDeadline")
    assert code == 0, out
    assert {(r["file"], r["line"]) for r in rows} == {(C, 7), (C, 16), (C, 17), (C, 26)}
    code, rows, out = aq("search", "tscdeadline")
    assert code == 0 and {r["line"] for r in rows} == {7, 17, 26}, out


FIXV = Path(__file__).parent / "fixtures" / "audit_v31_vbox"
HV = "include/iprt/cpp/tkrclock.h"


@pytest.fixture(scope="module")
def vq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIXV, "virtualbox-vmm@t", fulltext=False)


def test_def_of_a_class_lists_no_class_deriving_from_it(vq):
    """`class TkrGuestClock : public TkrClockBase` uses TkrClockBase (`refs` lists it as a
    type use); `def TkrClockBase` is the class and its constructor, not the derived ones."""
    code, rows, out = vq("def", "TkrClockBase")
    assert code == 0, out
    assert sorted((r["line"], r["sym_kind"]) for r in rows) == [(7, "class"), (10, "function")]
    code, rows, out = vq("refs", "TkrClockBase")
    assert code == 0 and {17, 23} <= {r["line"] for r in rows}, out


def test_callees_go_through_a_macro_whose_body_calls_a_function(vq):
    """TKR_MC_MEM_MAP(&pvMem, 8) expands to a call of tkrMemMapWorker (inside another
    macro): `callers tkrMemMapWorker` names tkrOpXchg there, and `callees tkrOpXchg` names
    tkrMemMapWorker at the same line (besides the macro itself)."""
    f = "src/VBox/VMM/VMMAll/TKRAllDecode.cpp"
    code, rows, out = vq("callers", "tkrMemMapWorker")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"], r["edge"]) for r in rows] == [
        (f, 20, "tkrOpXchg", "macro")], out
    code, rows, out = vq("callees", "tkrOpXchg")
    assert code == 0, out
    got = {(r["line"], r["symbol"], r["edge"]) for r in rows}
    assert got == {(20, "TKR_MC_MEM_MAP", "direct"), (20, "tkrMemMapWorker", "macro")}, out
    assert [r["via"] for r in rows if r["symbol"] == "tkrMemMapWorker"] == [
        "TKR_MC_MEM_MAP() calls tkrMemMapWorker"]


def test_callers_in_code_that_does_not_parse_are_said_not_dropped(vq):
    """tstTkrClock.cpp's tkrRunAll does not parse (a macro use with a stray brace): its call
    of tkrCheckClock has no function. `callers` lists it, saying the caller is unknown
    there, instead of answering nothing."""
    f = "src/VBox/VMM/testcase/tstTkrClock.cpp"
    code, rows, out = vq("callers", "tkrCheckClock")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"], r.get("unparsed")) for r in rows] == [
        (f, 15, "", True)], out
    assert "does not parse" in rows[0]["via"]
    r = CliRunner().invoke(cli, ["callers", "tkrCheckClock", "--index", str(vq.index)])
    assert "[caller unknown: the file does not parse here]" in r.output


def test_a_macro_used_at_file_scope_in_code_that_does_not_parse_has_no_callers(vq):
    """TKR_END_GROUP(} ]) at file scope of the unparsed tkrRunAll is a macro use, not a
    call whose function was lost: `callers TKR_END_GROUP` lists nothing."""
    code, rows, out = vq("callers", "TKR_END_GROUP")
    assert code in (1, 2) and rows == [], out
