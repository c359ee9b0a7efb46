"""Audit Y (s32, VirtualBox clock drift) on small VirtualBox-style fixtures of its own."""
from __future__ import annotations

from pathlib import Path

import pytest

from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "audit_y32_vbox"
CPUM = "src/VBox/VMM/VMMAll/CPUMAllFixY.cpp"


@pytest.fixture(scope="module")
def yq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIX, "virtualbox-vmm@t", fulltext=False)


def _got(rows) -> set[tuple[int, str | None]]:
    return {(r["line"], r.get("via")) for r in rows if r["file"] == CPUM}


@pytest.mark.parametrize("bare, qualified", [("edx", "CPUMYCTX.edx"),
                                             ("TscAux", "CPUMYMSRS.msr.TscAux")])
def test_a_bare_member_has_the_union_writes_of_its_struct_path(yq, bare, qualified):
    """`writes edx` (a member of any struct) is also written through the members of the
    union it is in (`rdx = RT_HI_U32(uTicks)` for an RDTSC), and `writes TscAux` by a fill of
    the array the MSR struct shares its union with (`SSMR3GetMem(.., &..au64[0], cb)`), as
    `writes CPUMYCTX.edx` / `writes CPUMYMSRS.msr.TscAux` have them."""
    code, rows, out = yq("writes", qualified)
    assert code == 0, out
    want = _got(rows)
    assert want == ({(41, "union member CPUMYCTX.rdx"), (48, None)} if bare == "edx" else
                    {(54, "union member CPUMYMSRS.au64"), (59, None)}), out
    code, rows, out = yq("writes", bare)
    assert code == 0, out
    assert _got(rows) == want, out


TM = "src/VBox/VMM/VMMR3/TMFixY.cpp"


def test_logline_names_a_mode_by_the_function_that_returns_its_name(yq):
    """Two statements print one format, `'%s' to '%s'`, the second argument a call of a
    switch returning each mode's name: tmR3YModeName(TMYTSCMODE_REAL_OFFSET) prints
    `RealOffset`, so the line switching to RealOffset is the first statement's (before: a
    tie), and the line switching from it to another mode cannot be (not a full match)."""
    code, rows, out = yq("logline", "00:00:09.1 TM: Changing the TSC mode from 'VirtEmulated' "
                         "to 'RealOffset'")
    assert code == 0, out
    assert [(r["function"], r["mode"]) for r in rows][:2] == [
        ("tmR3YParavirtOn", "full"), ("tmR3YParavirtOff", "full")], out
    assert rows[0]["score"] > rows[1]["score"], out
    code, rows, out = yq("logline", "00:00:09.2 TM: Changing the TSC mode from 'RealOffset' "
                         "to 'VirtEmulated'")
    assert code == 0, out
    full = [r["function"] for r in rows if r["mode"] == "full"]
    assert full == ["tmR3YParavirtOff"], out


CFG = "src/VBox/VMM/VMMR3/TMFixYCfg.cpp"


def test_provenance_follows_the_key_a_macro_body_reads_under(yq):
    """TMY_CFG_PERIOD(0, 5) reads `"CatchUpPct" #iPeriod` with CFGMR3QueryU32 into the
    period's member: the write at the use says `"CatchUpPct0"` (the literal and the
    argument's text, which the #define's body as indexed lacks), and provenance takes it
    to the value stored under that key (tmR3YConfigDefaults' 50 for period 1) or, with no
    store of that key, to the configuration, not into CFGMR3QueryU32's own code."""
    code, rows, out = yq("writes", "TMYPERIOD.u32Pct")
    assert code == 0, out
    values = {(r["line"], r["value"]) for r in rows if r["write_kind"] == "out-param"}
    assert values == {
        (34, 'CFGMR3QueryU32(pCfgHandle, "CatchUpPct0", &pTm->aPeriods[0].u32Pct)'),
        (35, 'CFGMR3QueryU32(pCfgHandle, "CatchUpPct1", &pTm->aPeriods[1].u32Pct)')}, out
    code, rows, out = yq("provenance", "TMYCFG.u32CurPct", "depth", "3")
    assert code == 0, out
    (row,) = rows
    hops = {(n.get("line"), n.get("value"), n["hop"]) for p in row["from"]
            for n in p.get("from", [])}
    assert (42, "50", 'stored under "CatchUpPct1" by CFGMR3InsertInteger()') in hops, out
    leaf = [h for h in hops if h[0] is None and "CatchUpPct0" in h[2]]
    assert leaf and "no store of that key" in leaf[0][2], out
    assert not [h for h in hops if "filled by CFGMR3QueryU32" in h[2]], out


ASMY = "include/iprt/asmfixy.h"


def test_provenance_keeps_a_parameter_write_to_its_preprocessor_branch(yq):
    """ASMYDivU64ByU32 divides with `divl` under `# ifdef RT_ARCH_X86` (the asm writes the
    parameter u32) and in C under `# else`: the generic return reads the argument u32 came
    with, never the asm's output, which no build compiles beside it (before: `[parameter
    u32]` with the asm's sources under the `# else` return)."""
    code, rows, out = yq("provenance", "GIMYCPU.u32Scale")
    assert code == 0, out
    (row,) = rows
    rets = {n["line"]: n for n in row["from"] if n.get("file") == ASMY}
    assert set(rets) == {14, 16}, out
    assert [n["hop"] for n in rets[16]["from"]] == [
        "argument 1 (u64) of ASMYDivU64ByU32()", "argument 2 (u32) of ASMYDivU64ByU32()"], out


WARP = "src/VBox/VMM/VMMR3/TMFixYWarp.cpp"


def test_provenance_takes_a_request_functions_argument_from_the_request(yq):
    """tmR3YSetWarp runs on an EMT through `VMR3ReqPriorityCallWaitU(pUVM, VMCPUID_ANY,
    (PFNRT)tmR3YSetWarp, 2, pUVM, u32Percent)` (the profile's [provenance.forwards]): its
    u32Percent is that call's u32Percent, and so TMR3YSetWarp's callers' (the debugger
    command's 200); before, the trace stopped at the parameter (no call passes it)."""
    code, rows, out = yq("provenance", "TMYWARP.u32Pct")
    assert code == 0, out
    (row,) = rows
    (arg,) = row["from"]
    assert (arg["file"], arg["line"], arg["function"], arg["value"], arg["hop"]) == (
        WARP, 29, "TMR3YSetWarp", "u32Percent", "argument 2 (u32Percent) of tmR3YSetWarp()"), out
    (outer,) = arg["from"]
    assert (outer["line"], outer["function"], outer["value"]) == (35, "tmR3YCmdWarp", "200"), out


SYS = "src/VBox/VMM/VMMR3/GIMFixYSysTime.cpp"


def test_provenance_of_a_member_set_just_above_is_that_write(yq):
    """`pKvmCpu->uTsc = TMCpuTickGetNoCheck(pVCpu); pKvmCpu->uVirtNanoTS = pKvmCpu->uTsc * 10;`
    (pKvmCpu a local pointer): the uTsc the second line reads is the first line's, not also
    the reset's 0 (before: every write of GIMYKVMCPU.uTsc); where a call comes between
    (gimR3YSampleLater's gimR3YResetCpu), every write still is."""
    code, rows, out = yq("provenance", "GIMYKVMCPU.uVirtNanoTS")
    assert code == 0, out
    got = {r["line"]: [(n.get("line"), n["hop"]) for n in r["from"]] for r in rows}
    assert got[25] == [(24, "field GIMYKVMCPU.uTsc, set just above")], out
    assert {ln for ln, _hop in got[38]} == {24, 30, 36}, out


APIC = "src/VBox/VMM/VMMR3/APICFixY.cpp"


def test_a_field_table_load_into_an_untyped_page_writes_the_members_it_lists(yq):
    """The saved-state loads `pHlp->pfnSSMGetStruct(pSSM, pApicCpu->pvApicPageR3,
    &g_aYApicPageFields[0])` and `SSMR3GetStruct(..)` store YAPICPAGE.timer_ccr into a
    `void *` page: the table's SSMFIELD_ENTRY(YAPICPAGE, timer_ccr.u32CurrentCount) says so
    (before: only the timer start's assignment); the X2 table's load writes Y2APICPAGE's."""
    code, rows, out = yq("writes", "YAPICPAGE.timer_ccr.u32CurrentCount")
    assert code == 0, out
    got = {(r["line"], r["function"], r["write_kind"], r["op"]) for r in rows if r["file"] == APIC}
    assert got == {(57, "apicR3YLoadExec", "whole-object", "pfnSSMGetStruct"),
                   (62, "apicR3YLoadLegacy", "whole-object", "SSMR3GetStruct"),
                   (68, "apicR3YStartTimer", "assign", "=")}, out
    code, rows, out = yq("writes", "Y2APICPAGE.timer_ccr.u32CurrentCount")
    assert code == 0, out
    assert {r["line"] for r in rows if r["file"] == APIC} == {56}, out
