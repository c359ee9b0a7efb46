"""A VirtualBox-style fixture indexed with the shipped virtualbox-vmm profile: atomic
reads and writes through `&x` (also behind a cast), callbacks stored from a parameter into a
member and called through it, functions handed to a request API behind a `(PFNRT)` cast, and
a negated flag test that must not count as a consumer."""
from __future__ import annotations

import bisect
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import api
from vmxref.cli import cli

FIX = Path(__file__).parent / "fixtures" / "vbox"
R3 = "src/VBox/VMM/VMMR3/TMFix.cpp"
ALL = "src/VBox/VMM/VMMAll/TMAllFix.cpp"
LOAD_CHECK = next(i for i, x in enumerate((FIX / ALL).read_text().splitlines(), 1)
                  if "AssertLogRelMsg(!VMCPU_FF_IS_SET" in x)


@pytest.fixture(scope="module")
def vbox(tmp_path_factory):
    d = tmp_path_factory.mktemp("vbox-index")
    api.index(str(FIX), "virtualbox-vmm@fix", d, procs=1, fulltext=False)

    def run(query: str) -> list[dict]:
        r = CliRunner().invoke(cli, ["q", query, "--json", "--index", str(d)])
        assert r.exit_code in (0, 1), r.output
        return [json.loads(x) for x in r.stdout.splitlines()]  # (notes go to stderr)
    run.index = d  # type: ignore[attr-defined]
    return run


def _places(rows) -> set[tuple[str, int]]:
    return {(r["file"], r["line"]) for r in rows}


def test_atomic_reads_are_reads_and_a_cast_write_is_a_write(vbox):
    assert _places(vbox("writes TM.offVirtualSync")) == {(R3, 36)}  # ASMAtomicWriteU64((...)&x)
    assert _places(vbox("reads TM.offVirtualSync")) == {(R3, 6), (R3, 35)}  # ASMAtomic[Uo]ReadU64
    kinds = {r["line"]: r["ref_kind"] for r in vbox("refs offVirtualSync")}
    assert kinds == {6: "read", 35: "read", 36: "write"}


def test_callback_stored_from_a_parameter_is_called_through_the_member(vbox):
    rows = vbox("callers tmR3FixCpuLoadTimer")
    assert [(r["function"], r["line"], r["edge"]) for r in rows] == [
        ("tmR3FixTimerQueueRun", 30, "pointer")]
    assert "pfnTimer" in rows[0]["via"] and "TMR3TimerCreateInternal" in rows[0]["via"]


def test_function_passed_behind_a_cast_is_registered(vbox):
    rows = vbox("callers tmR3FixSetWarp")
    assert [(r["function"], r["line"], r["edge"]) for r in rows] == [
        ("TMR3FixInit", 45, "registered")]
    assert vbox("path TMR3FixInit -> tmR3FixSetWarp")


def test_negated_flag_test_is_no_consumer(vbox):
    got = {r["function"]: (r["runs"], r["guard_end"]) for r in vbox("consumes VMCPU_FF_TIMER")
           if r["function"] not in ("TMFixHaltLoop", "TMFixDoHalt", "iemFixRepMovs",
                                    "emR3FixRemPending", "emR3FixAnyPending",
                                    "emR3FixRawExecute")}  # (masks: see below,
    # test_tests_of_complement_masks_full_masks_and_masks_passed_in, and a mask's complement:
    # test_a_test_of_a_masks_complement_consumes_the_flags_it_leaves_in)
    assert got == {"tmFixScheduleNotify": ([], None), "TMFixPoll": (["TMR3FixReset"], 30),
                   "TMFixLoadCheck": ([], None)}  # (an assertion guards no calls)
    for site in vbox("raises VMCPU_FF_TIMER | paths"):
        for path in site["paths"]:
            assert all(h.get("edge") != "deferred" for h in path), path


def test_path_from_a_function_to_itself_is_an_error(tmp_path):
    d = tmp_path / "i"
    api.index(str(FIX), "virtualbox-vmm@fix", d, procs=1, fulltext=False)
    r = CliRunner().invoke(cli, ["path", "TMR3FixInit", "->", "TMR3FixInit", "--index", str(d)])
    assert r.exit_code == 2 and r.output.startswith("vmxref: error: path TMR3FixInit -> TMR3FixInit")


def test_comment_designators_bind_callbacks_to_the_member_they_name(vbox):
    """`/* .pfnDestruct = */ fixR3Destruct,` binds pfnDestruct, whatever layout the typedef
    of the context-dependent registration structure resolves to."""
    rows = vbox("callers fixR3Destruct")
    assert [(r["function"], r["edge"]) for r in rows] == [("PDMR3FixTerm", "ops-table")]
    assert "pfnDestruct" in rows[0]["via"]
    # nothing calls pfnConstruct in the fixture: only where it is stored, as such
    rows = vbox("callers fixR3Construct")
    assert [(r["edge"], r["line"]) for r in rows] == [("stored", rows[0]["line"])]
    assert ".pfnConstruct, no call through it" in rows[0]["via"]
    assert "fixR3Construct" in rows[0]["text"]


def test_a_stored_callback_runs_where_the_member_is_called_not_where_it_was_registered(vbox):
    rows = vbox("path TMR3FixReset -> tmR3FixCpuLoadTimer")
    assert [[h["function"] for h in p] for p in rows[0]["paths"]] == [
        ["TMR3FixReset", "tmR3FixTimerQueueRun", "tmR3FixCpuLoadTimer"]]
    assert vbox("path TMR3FixInit -> tmR3FixCpuLoadTimer") == []  # it only registers it


def test_conventional_types_are_counted_in_the_asked_version_only(tmp_path):
    """pVCpu is PVMCPU in one version and PVMCPUCC in the other: in an index holding both,
    each version's conventional type is its own (it was ambiguous, so unresolved)."""
    from vmxref.queries.types import resolver
    for version, typ in (("old", "PVMCPU"), ("new", "PVMCPUCC")):
        src = tmp_path / version / "src/VBox/VMM/VMMAll/Fns.cpp"
        src.parent.mkdir(parents=True)
        src.write_text("".join(f"int fn{i}({typ} pVCpu) {{ return {i}; }}\n" for i in range(30)))
        api.index(str(tmp_path / version), f"virtualbox-vmm@{version}", tmp_path / "idx",
                  procs=1, fulltext=False)
    for version, typ in (("old", "PVMCPU"), ("new", "PVMCPUCC")):
        sc = api.open_scope(tmp_path / "idx", f"virtualbox-vmm@{version}")
        assert resolver(sc).conventional_type("pVCpu") == typ


def test_callbacks_in_a_positionally_initialised_table_of_structs(vbox):
    for fn in ("vmR3FixHaltA", "vmR3FixHaltB"):
        rows = vbox(f"callers {fn}")
        assert [(r["function"], r["edge"]) for r in rows] == [("VMR3FixWaitHalted", "ops-table")]
        assert "VMFIXHALTDESC.pfnHalt" in rows[0]["via"]


def test_logline_of_a_logfunc_statement_includes_the_function_name(vbox):
    rows = vbox("logline 'gimR3FixEnableTscPage: GIM: enabled TSC page at 0x00000000fee00000'")
    assert rows[0]["function"] == "gimR3FixEnableTscPage", rows  # (was a tie, file order first)
    assert all(r["score"] < rows[0]["score"] for r in rows[1:]), rows
    plain = vbox("logline 'GIM: enabled TSC page at 0x00000000fee00000'")
    assert {r["function"] for r in plain} >= {"gimR3FixMapPage"}


def test_a_parameter_named_like_a_function_is_not_the_function(vbox):
    rows = vbox("callers fixWorker")
    assert [(r["function"], r["edge"]) for r in rows] == [("fixStartWorker", "registered")], rows


def test_writes_made_in_a_macro_body_are_writes_where_the_macro_is_used(vbox):
    """TMFIX_SET_STATE(pTimer, 3) writes pTimer->enmState (either definition of the macro),
    TMFIX_COUNT_FIRE(pVM->tm.s.pTimers) increments a member reached through the argument;
    the value names the arguments; a test of the state (TMFIX_IS_STATE) is no write."""
    rows = vbox("writes TMTIMER.enmState")
    assert [(r["line"], r["write_kind"], r["function"]) for r in rows] == [
        (97, "assign", "TMR3FixTimerStop")]  # (an atomic store: [writes] stores)
    assert rows[0]["value"] == "3"
    assert [(r["line"], r["op"]) for r in vbox("writes TMTIMER.cFires")] == [(98, "++")]
    rows = vbox("writes TMTIMER.u64Expire")
    assert [(r["line"], r["value"]) for r in rows] == [(99, "(pVM->tm.s.u64VirtualSync) + 1")]
    # an address handed to an iterator in a macro body (TMFIX_FOR_EACH) writes nothing
    assert 113 not in [r["line"] for r in vbox("writes TM.pTimers")]


def test_an_inline_function_that_writes_in_assembly_is_no_reader(vbox):
    """ASMFixXchgU32 writes through its parameter in inline assembly, ASMFixWriteBool hands
    its pointer on behind a cast: both write; ASMFixReadU32 only reads."""
    assert [r["line"] for r in vbox("writes TM.fFixCatchUp")] == [104]
    assert [r["line"] for r in vbox("writes TM.cFixTicks")] == [105]


def test_a_test_of_a_flag_mask_is_a_test_of_the_flags_its_define_holds(vbox):
    """VMCPU_FF_FIX_WAKE_MASK holds VMCPU_FF_TIMER, VMCPU_FF_FIX_ALL_MASK holds that mask:
    testing either consumes the timer flag; `~VMCPU_FF_TIMER` (in a mask or an argument)
    is every flag but it; refs lists the uses inside #define bodies."""
    rows = vbox("consumes VMCPU_FF_TIMER")
    got = sorted((r["line"], r["via"]) for r in rows if r["file"] == ALL)
    assert got == [(12, "VMCPU_FF_IS_SET"), (27, "VMCPU_FF_IS_SET"),
                   (36, "VMCPU_FF_IS_ANY_SET (VMCPU_FF_FIX_WAKE_MASK)"),
                   (38, "VMCPU_FF_IS_ANY_SET (VMCPU_FF_FIX_ALL_MASK)"),
                   (63, "VMCPU_FF_IS_ANY_SET (fWake)"),  # a local set to flags or a mask
                   (65, "VMCPU_FF_IS_ANY_SET (fMask)"), (LOAD_CHECK, "VMCPU_FF_IS_SET")], got
    assert all(r["function"] != "TMFixLogState" for r in rows)  # printed, tested for nothing
    # an assertion's condition is evaluated in every build, its printed arguments are not
    # tests: AssertLogRelMsg(!VMCPU_FF_IS_SET(..), ("..%d", VMCPU_FF_IS_SET(..)))
    assert [(r["line"], r["col"]) for r in rows if r["function"] == "TMFixLoadCheck"] == [
        (LOAD_CHECK, 22)], rows
    defines = [r["function"] for r in vbox("refs VMCPU_FF_TIMER kind define")]
    assert defines == ["VMCPU_FF_FIX_WAKE_MASK", "VMCPU_FF_FIX_NOT_TIMER"]


def test_the_else_side_of_an_if_group_that_splits_a_block_is_indexed_too(vbox):
    """`#ifdef IN_RING3 if (a) { #else if (b) { #endif`: the parse keeps one side, a second
    parse the other; facts of the #else lines are merged once, nothing doubled."""
    assert [(r["function"], r["line"]) for r in vbox("callers tmFixR0Ready")] == [
        ("TMFixRunLoop", 81)]
    assert [(r["function"], r["line"]) for r in vbox("callers tmFixR3Ready")] == [
        ("TMFixRunLoop", 78)]
    assert [r["line"] for r in vbox("callers tmFixNotifyStart")] == [85]
    assert [r["line"] for r in vbox("logline 'TM: ring-0 run loop for vCPU 1'")] == [83]


def test_a_path_stays_in_one_compilation_context(vbox):
    """A ring-0 exit handler reaches gimFixWriteMsr (VMMAll) but not what its
    `#ifndef IN_RING3 ... #else` leaves to ring 3; ring-3 code does reach it. A macro that
    calls its argument (GIMFIX_CALL_0(fn) -> fn(pVM)) is a call edge, not a registration."""
    assert vbox("path hmR0FixExitWrmsr -> gimR3FixEnableTscPage") == []
    rows = vbox("path GIMR3FixMsr -> gimR3FixEnableTscPage")
    assert [h["function"] for h in rows[0]["paths"][0]] == [
        "GIMR3FixMsr", "gimFixWriteMsr", "gimR3FixEnableTscPage"]
    rows = vbox("path hmR0FixExitWrmsr -> gimFixWriteMsr")
    assert [(h["function"], h.get("edge")) for h in rows[0]["paths"][0]] == [
        ("hmR0FixExitWrmsr", "macro"), ("gimFixDoWrmsr", "direct"), ("gimFixWriteMsr", None)]
    # (gimFixDoWrmsr passes MSR_GIM_FIX_REF_TSC, which has a case of its own in the switch
    # on idMsr: it never gets to the `default:` that calls gimFixCommon)
    assert vbox("path hmR0FixExitWrmsr -> gimFixCommon") == []
    assert [r["edge"] for r in vbox("callers gimFixDoWrmsr")] == ["macro"]


def test_a_flag_bit_set_or_tested_in_a_macro_body_is_set_or_tested_where_it_is_used(vbox):
    assert [(r["line"], r["via"]) for r in vbox("raises TMFIX_PAGE_ENABLE")] == [
        (16, "TMFIX_PAGE_SET_ENABLED()")]
    assert [(r["line"], r["via"]) for r in vbox("consumes TMFIX_PAGE_ENABLE")] == [
        (17, "TMFIX_PAGE_IS_ENABLED()")]


def test_members_read_in_a_macro_body_are_read_where_the_macro_is_used(vbox):
    """TMFIX_IS_STATE(pTimer, 2) reads pTimer->enmState; so does the strict TMFIX_SET_STATE
    (uOld = (pTimer)->enmState); refs shows each member once in a #define body."""
    assert sorted(r["line"] for r in vbox("reads TMTIMER.enmState")) == [96, 97]
    defines = [(r["function"], r["line"]) for r in vbox("refs enmState kind define")]
    assert len(defines) == len(set(defines)) == 4, defines


def test_a_member_of_a_base_class_written_through_the_derived_one(vbox):
    """GVMCPUFIX derives from VMCPU: its write of fLocalForcedActions is VMCPU's member."""
    R0 = "src/VBox/VMM/VMMR0/HMFixR0.cpp"
    for q in ("writes VMCPU.fLocalForcedActions", "writes GVMCPUFIX.fLocalForcedActions"):
        rows = [r for r in vbox(q) if r["file"] == R0]
        assert [(r["line"], r["container"]) for r in rows] == [(17, "VMCPU")], q


def test_a_nested_target_whose_inner_member_does_not_exist_is_an_error(tmp_path):
    d = tmp_path / "i"
    api.index(str(FIX), "virtualbox-vmm@fix", d, procs=1, fulltext=False)
    r = CliRunner().invoke(cli, ["writes", "VM.tm.s.offVirtualSyncX", "--index", str(d)])
    assert r.exit_code == 2 and "struct TM has no member 'offVirtualSyncX'" in r.output
    r = CliRunner().invoke(cli, ["writes", "VM.tm.s.offVirtualSync", "--index", str(d)])
    assert r.exit_code == 0, r.output


def test_a_bit_raised_through_a_helper_that_ors_its_parameter_in(vbox):
    """hmR0FixSetCtrlIntercept ORs its parameter into the intercepts: passing the bit to it
    raises the bit; `f = hmR0FixClearCtrlIntercept(p, A | B)` sets f, not the bit."""
    rows = vbox("raises FIX_INTERCEPT_RDTSC")
    assert [(r["line"], r["via"]) for r in rows] == [(44, "hmR0FixSetCtrlIntercept()")]


def test_a_macro_writing_through_a_variable_of_the_using_function(vbox):
    rows = [r for r in vbox("writes TM.u64VirtualSync") if r["function"] == "TMR3FixConfigure"]
    assert [(r["line"], r["value"]) for r in rows] == [(126, "(750000)")]


def test_an_object_handed_to_a_function_that_writes_other_members(vbox):
    rows = vbox("writes FIXTRANSIENT.fUpdatedTsc")
    # the write in hmR0FixExitRdtsc (57); neither call: hmR0FixExitOther writes other
    # members (63), hmR0FixExitRdtsc's write is the one listed (64)
    assert sorted(r["line"] for r in rows) == [57], rows


SAVED = "src/VBox/VMM/VMMR3/TMSavedFix.cpp"


def _tree(rows) -> list[dict]:
    out = []

    def walk(nodes):
        for n in nodes:
            out.append(n)
            walk(n.get("from", []))
    for r in rows:
        walk(r.get("from", []))
    return out


def test_provenance_of_a_variable_named_like_a_type(vbox):
    """VirtualBox names locals `u64`: a variable of the function, not a cast's type. The
    value saved at 17 is the second load's (16), which overwrote the first (14)."""
    rows = vbox("provenance TMFIXSAVED.u64Offset")
    assert [(r["file"], r["line"]) for r in rows] == [(SAVED, 17)]
    assert [(n["line"], n["value"]) for n in _tree(rows)] == [(16, "SSMR3GetU64(pSSM, &u64)")]


def test_provenance_says_how_many_sources_it_left_out(vbox):
    """A local assigned 10 times: the last 6 are shown, and that 4 more are not; one
    assigned 8 times has all shown (a marker would hide two for a line of its own)."""
    nodes = _tree(vbox("provenance TMFIXSAVED.cLoads"))
    assert [n["more"] for n in nodes if "more" in n] == [4]
    assert len([n for n in nodes if n.get("hop") == "local c" and "line" in n]) == 6
    nodes = _tree(vbox("provenance TMFIXSMODE.uTick"))
    assert not [n for n in nodes if "more" in n], nodes
    assert len([n for n in nodes if n.get("hop") == "local u64" and "line" in n]) == 8


R0 = "src/VBox/VMM/VMMR0/VMMR0Fix.cpp"


def test_a_jump_buffer_shared_by_several_functions_is_no_work_item(vbox):
    """Both run loops are entered through set-jump helpers with one jump buffer: each is
    called where it is handed over, not where the buffer is used with the other (or by the
    long jump back)."""
    got = [(r["line"], r["edge"]) for r in vbox("callers hmFixRunGuest")]
    assert got == [(37, "registered")]
    got = [(r["line"], r["edge"]) for r in vbox("callers nemFixRunGuest")]
    assert got == [(39, "registered")]


DEVHLP = "src/VBox/VMM/VMMR3/PDMDevHlpFix.cpp"


def test_a_device_timer_callback_runs_where_the_timer_queue_calls_it(vbox):
    """apicR3FixConstruct hands the callback to FixDevHlpTimerCreate, which passes it through
    the helper table (pDevIns->pHlpR3->pfnTimerCreate: the instance type has an R3 and an R0
    variant, only R3's has pHlpR3) to TMR3FixTimerCreateDevice, which stores it in
    FIXTMTIMER.pfnTimer: it is called by the queue, where that member is called."""
    got = [(r["file"], r["line"], r["function"], r["edge"])
           for r in vbox("callers apicR3FixTimerCallback")]
    assert got == [(DEVHLP, 25, "tmR3FixTimerQueueRun", "pointer")]
    paths = vbox("path tmR3FixTimerQueueRun -> apicFixStartTimer")
    assert [[h["function"] for h in p] for r in paths for p in r["paths"]] == [
        ["tmR3FixTimerQueueRun", "apicR3FixTimerCallback", "apicFixStartTimer"]]


def test_a_macro_that_tests_a_mask_holding_the_flag_consumes_it_where_used(vbox):
    """IEMFIX_CHECK_YIELD_MAYBE_RETURN's body tests VMCPU_FF_FIX_WAKE_MASK (which holds
    VMCPU_FF_TIMER) with VMCPU_FF_IS_ANY_SET: each use of the macro tests the timer flag."""
    got = [(r["file"], r["line"], r["via"]) for r in vbox("consumes VMCPU_FF_TIMER")
           if r["function"] == "iemFixRepMovs"]
    assert got == [("src/VBox/VMM/VMMAll/IEMFixStr.cpp", 19, "IEMFIX_CHECK_YIELD_MAYBE_RETURN() "
                    "(VMCPU_FF_IS_ANY_SET of VMCPU_FF_FIX_WAKE_MASK)")]


def test_provenance_keeps_to_the_context_of_the_call(vbox):
    """Ring-3 code calls TMFixCpuTicksPerSecond: of its `#ifdef IN_RING3 / #elif
    defined(IN_RING0) / #else` assignments only the ring-3 one gives the value there."""
    rows = vbox("provenance GIMFIXHV.cTscTicksPerSecond")
    got = [(n["line"], n["value"]) for n in _tree(rows) if n.get("function") == "TMFixCpuTicksPerSecond"]
    assert got == [(14, "cTicks"), (8, "SUPFixGetCpuHzFromGip(g_pFixGip)")], got


def test_contexts_of_elif_and_else_branches():
    from vmxref.queries.contexts import Contexts
    cx = Contexts(None, {"contexts": {"IN_RING3": "R3", "IN_RING0": "R0", "IN_RC": "RC"}})
    lines = ["#ifdef IN_RING3", "a", "#elif defined(IN_RING0)", "b", "#else", "c", "#endif",
             "#if FOO", "d", "#elif defined(IN_RING0)", "e", "#else", "f", "#endif",
             "  #  ifndef IN_RING3 /* indented */", "g", "x = y # ifdef IN_RING3", "h", "# endif"]
    starts, ctxs = cx._scan("\n".join(lines).encode())
    got = {t: ctxs[bisect.bisect_right(starts, i) - 1] for i, t in enumerate(lines, 1)}
    assert (got["a"], got["b"], got["c"]) == ({"R3"}, {"R0"}, {"RC"})
    assert (got["d"], got["e"], got["f"]) == ({"R3", "R0", "RC"}, {"R0"}, {"R3", "R0", "RC"})
    assert got["g"] == got["h"] == {"R0", "RC"}  # (a `#` inside a line is no directive)


def test_paths_to_a_call_keep_to_its_compilation_context(vbox):
    """From ring-3 code, the ring-3 call under `#ifdef IN_RING3` has a path; the ring-0
    and raw-mode ones under `#elif` / `#else` have none."""
    rows = vbox("calls SUPFixGetCpuHzFromGip | paths from gimR3FixHvInitCompleted")
    assert [(r["line"], bool(r["paths"])) for r in rows] == [(8, True)]
    rows = vbox("calls SUPFixGetCpuHzFromGipBySetIndex | paths from gimR3FixHvInitCompleted")
    assert [(r["line"], bool(r["paths"])) for r in rows] == [(10, False), (12, False)]


CTXH = "include/VBox/vmm/pdmdevctxfix.h"


def test_a_context_pasted_helper_table_is_followed_in_each_context(vbox):
    """`pDevIns->CTX_SUFF(pHlp)->pfnTimerSetRelative(..)` is pHlpR3 in ring 3 and pHlpR0 in
    ring 0 (the profile pastes R3 for all): the inline helper calls the ring-0 table's
    function too (an `extern` table definition), and a path keeps to one context."""
    got = [(r["file"], r["line"], r["function"], r["edge"])
           for r in vbox("callers pdmR0CtxDevHlp_TimerSetRelative")]
    assert got == [(CTXH, 46, "CtxDevHlpTimerSetRelative", "ops-table")]
    assert {r["symbol"] for r in vbox("callees CtxDevHlpTimerSetRelative")} == {
        "pdmR0CtxDevHlp_TimerSetRelative", "pdmR3CtxDevHlp_TimerSetRelative"}
    assert [r["sym_kind"] for r in vbox("def g_pdmR0CtxDevHlp") if r["line"] == 13] == ["global"]
    r0 = vbox("path apicR0CtxWriteMsr -> TMR0CtxTimerSet")
    assert [[h["function"] for h in p] for r in r0 for p in r["paths"]] == [
        ["apicR0CtxWriteMsr", "apicCtxStartTimer", "CtxDevHlpTimerSetRelative",
         "pdmR0CtxDevHlp_TimerSetRelative", "TMR0CtxTimerSet"]]
    assert vbox("path apicR0CtxWriteMsr -> TMR3CtxTimerSet") == []  # (ring 0 -> ring-3 table)
    assert vbox("path apicR3CtxTimerCallback -> TMR0CtxTimerSet") == []
    assert vbox("path apicR3CtxTimerCallback -> TMR3CtxTimerSet")


def test_an_out_parameter_is_filled_in_the_context_of_the_call(vbox):
    """Ring-0 code gets the TSC offset through TMFixCpuTickCanUseRealTSC(pVCpu, &u): of its
    `#ifdef IN_RING3 ... #else` writes of *poffRealTsc only the ring-0 one fills it there."""
    rows = vbox("provenance HMFIXVMCS.u64TscOffset")
    got = [n["line"] for n in _tree(rows) if n.get("function") == "TMFixCpuTickCanUseRealTSC"]
    assert got == [22], got


@pytest.mark.parametrize("flag, start, reached", [
    ("VMCPU_FF_FIX_INTERRUPT_APIC", "apicFixTimerCallback", False),  # (passes UPDATE_PENDING)
    ("VMCPU_FF_FIX_UPDATE_APIC", "apicFixTimerCallback", True),
    ("VMCPU_FF_FIX_INTERRUPT_APIC", "apicFixInjectExtInt", True),
])
def test_a_constant_passed_for_a_switched_parameter_picks_the_case(vbox, flag, start, reached):
    """apicFixSetInterruptFF switches on its enmType parameter: a call passing
    PDMFIXAPICIRQ_UPDATE_PENDING does not reach `case PDMFIXAPICIRQ_HARDWARE:` (an enum
    constant: no profile prefix needed)."""
    rows = [r for r in vbox(f"raises {flag} | paths from {start}")
            if r["function"] == "apicFixSetInterruptFF"]
    assert len(rows) == 1
    assert bool(rows[0]["paths"]) == reached, rows[0]["paths"]


def test_opcode_tables_called_through_a_macro_and_filled_through_a_list_macro(vbox):
    """FNIEMOPFIX_CALL(g_apfnFixOneByteMap[b]) calls a table element (the macro calls its
    argument); IEMOPFIX_X4(iemFixOp_rdtsc) stores four entries; an alias macro before a
    template header names the function the template calls."""
    got = [(r["function"], r["edge"]) for r in vbox("callers iemFixOp_rdtsc")]
    assert got == [("iemFixOp_2byteEscape", "pointer")]
    paths = vbox("path IEMFixExecOne -> iemFixCImpl_rdtsc")
    assert [[h["function"] for h in p] for r in paths for p in r["paths"]] == [
        ["IEMFixExecOne", "iemFixOp_2byteEscape", "iemFixOp_rdtsc", "iemFixCImpl_rdtsc"]]
    got = [(r["file"], r["function"], r["edge"]) for r in vbox("callers emR3FixHmExecuteInstruction")]
    assert got == [("src/VBox/VMM/include/EMFixHandleRCTmpl.h", "emR3FixHmHandleRC", "macro")]
    assert vbox("path emR3FixHmHandleRC -> iemFixCImpl_rdtsc")


def test_a_path_may_start_where_a_passed_callback_is_called(vbox):
    """VMMR3FixEmtRendezvous calls its pfnRendezvous parameter: a path from it reaches the
    callbacks passed to it (from their passers too)."""
    for src in ("VMMR3FixEmtRendezvous", "TMR3FixParavirtEnable"):
        paths = vbox(f"path {src} -> tmR3FixParavirtEnable")
        assert [[h["function"] for h in p] for r in paths for p in r["paths"]] == [
            [src, "tmR3FixParavirtEnable"]]


def test_a_bit_number_is_raised_and_tested_where_its_mask_is(vbox):
    """VMCPU_FF_FIX_REQUEST is RT_BIT_64(VMCPU_FF_FIX_REQUEST_BIT): asking for the bit
    number answers as for the mask (masks of masks count, `& ~FLAG` does not)."""
    def places(q):
        return {(r["function"], r["line"]) for r in vbox(q)}
    assert places("consumes VMCPU_FF_FIX_REQUEST_BIT") == places("consumes VMCPU_FF_FIX_REQUEST")
    assert "vmFixPending" in {f for f, _ in places("consumes VMCPU_FF_FIX_REQUEST_BIT")}
    assert "vmFixOthers" not in {f for f, _ in places("consumes VMCPU_FF_FIX_REQUEST_BIT")}
    assert places("raises VMCPU_FF_FIX_REQUEST_BIT") == {("vmFixPoke", 7)}


def test_a_mask_local_set_by_a_ternary_tests_the_flag_of_either_side(vbox):
    """`fMask = !fIgnoreInterrupts ? MASK : MASK & ~(FLAG)` then VMCPU_FF_IS_ANY_SET(fMask):
    the first side holds the flag, so the test consumes it (VMEmt.cpp's halt check)."""
    got = {r["function"] for r in vbox("consumes VMCPU_FF_FIX_REQUEST")}
    assert "vmFixHaltPending" in got and "vmFixOthers" not in got


def test_a_local_handed_to_corpus_functions_is_written_where_they_write(vbox):
    """`hmR0FixPreRun(pVCpu, &Transient)` writes fUpdatedTsc only in hmR0FixPreRunCommitted
    (listed there); the call is no write of its own. A function outside the corpus
    (SUPR0FixOpaque) may write it unseen: that call stays."""
    got = {(r["function"], r["write_kind"], r["text"].split("(")[0].strip())
           for r in vbox("writes HMFIXTRANSIENT.fUpdatedTsc")}
    assert got == {("hmR0FixPreRunCommitted", "assign", "pTransient->fUpdatedTsc = true;"),
                   ("hmR0FixRun", "whole-object", "RT_ZERO"),
                   ("hmR0FixRun", "whole-object", "SUPR0FixOpaque")}, got


def test_a_pointer_handed_to_a_fills_api_is_a_write_of_the_object_it_points_to(vbox):
    """`SSMR3GetStructEx(pSSM, pGstCtx, ...)` loads all of *pGstCtx (the profile's [writes]
    fills), as `&Ctx` would; a pointer member behind a cast counts too, and a pointer
    handed to any other function is no write."""
    f = "src/VBox/VMM/VMMR3/CPUMFixSsm.cpp"
    rows = vbox("writes CPUMFIXCTX.cr4")
    assert (f, 36) in _places(rows)
    assert {r["write_kind"] for r in rows if r["file"] == f} == {"whole-object"}
    assert (f, 38) in _places(vbox("writes FIXVMCB.u64TSCOffset"))
    assert (f, 39) not in _places(rows)


def test_a_request_run_on_the_emt_is_called_from_where_it_is_made(vbox):
    """VMR3ReqCallWaitU(pUVM, 0, (PFNRT)vmR3FixLoad, ...) runs vmR3FixLoad: its caller is
    VMR3FixLoadFromFile, not a function that takes the address of another `pUVM`
    (vmR3FixCreateUVM(cCpus, &pUVM) queues nothing)."""
    rows = vbox("callers vmR3FixLoad")
    assert [(r["function"], r["line"]) for r in rows] == [("VMR3FixLoadFromFile", 27)]


def test_callees_and_callers_agree_on_member_calls(vbox):
    """The forward direction resolves what the backward one does: a callback member set
    from a parameter (`pTimer->u.Internal.pfnTimer = pfnCallback`) calls what callers of the
    creator pass, and an array of positionally initialised structs binds its members."""
    rows = vbox("callees tmR3FixTimerQueueRun")
    assert ("tmR3FixCpuLoadTimer", 30, "pointer") in {
        (r["symbol"], r["line"], r["edge"]) for r in rows}
    halts = {r["symbol"] for r in vbox("callees VMR3FixWaitHalted") if r["edge"] == "ops-table"}
    assert {"vmR3FixHaltA", "vmR3FixHaltB"} <= halts


def test_tests_of_complement_masks_full_masks_and_masks_passed_in(vbox):
    """VMCPU_FF_FIX_REQUEST is tested by a complement mask that leaves it in, by a full
    mask (UINT32_MAX), and by a halt method's `fMask` parameter that its caller fills with
    a mask holding it (VMFixHalt.cpp); not by the poll method, whose only caller passes
    another flag, nor is VMCPU_FF_FIX_SPARE tested by the complement that takes it out."""
    f = "src/VBox/VMM/VMMR3/VMFixHalt.cpp"
    lines = {r["line"] for r in vbox("consumes VMCPU_FF_FIX_REQUEST") if r["file"] == f}
    assert lines == {11, 43, 48}
    lines = {r["line"] for r in vbox("consumes VMCPU_FF_FIX_SPARE") if r["file"] == f}
    assert lines == {48}



def test_a_member_path_into_a_scalar_is_an_error(vbox):
    """CPUMFIXCTX.cr4 is a uint64_t: a path going on into it is an error that names the
    type (exit 2), not whole-object writes of a member that cannot exist."""
    r = CliRunner().invoke(cli, ["q", "writes CPUMFIXCTX.cr4.foo", "--index", str(vbox.index)])
    assert r.exit_code == 2
    assert "CPUMFIXCTX.cr4 is a uint64_t, not a struct" in r.output


def test_a_getter_in_a_macro_body_writes_its_last_argument_at_each_use(vbox):
    """TM_FIX_CFG_PERIOD's `CFGMR3QueryU32(pCfgHandle, "..." #i, &pTm->aPeriods[i].u32Percentage)`
    stores the configured value: a write at each use of the macro, beside the default."""
    f = "src/VBox/VMM/VMMR3/TMFixCfg.cpp"
    rows = [r for r in vbox("writes TMFIXPERIOD.u32Percentage") if r["file"] == f]
    got = sorted((r["line"], r["write_kind"]) for r in rows)
    assert got == [(32, "assign"), (32, "out-param"), (33, "assign"), (33, "out-param")], got


def test_a_timer_runs_from_the_queue_runners_its_clock_can_reach(vbox):
    """A timer created on TMFIXCLOCK_VIRTUAL_SYNC is never run by tmR3FixQRun, whose only
    caller hands it the VIRTUAL and REAL queues; the runner given no clock runs the queue its
    own body names (TMFIXCLOCK_VIRTUAL_SYNC), so not the REAL timer (TMFixClock.cpp). Both
    directions agree."""
    def callers(fn):
        return {r["function"] for r in vbox(f"callers {fn}")}

    def callees(fn):
        return {r["symbol"] for r in vbox(f"callees {fn}") if r["edge"] != "direct"}
    assert callers("apicR3FixClockTimer") == {"tmR3FixQRunVirtualSync"}
    assert callers("vmmR3FixClockYield") == {"tmR3FixQRun"}
    assert callees("tmR3FixQRun") == {"vmmR3FixClockYield"}
    assert callees("tmR3FixQRunVirtualSync") == {"apicR3FixClockTimer"}
    # a runner only ever given the VIRTUAL queue, where no timer is created: its call is
    # unresolved, and says the stored timers run from other calls (not that none is stored)
    rows = vbox("callees tmR3FixQRunVirtual")
    via = [r["via"] for r in rows if r["edge"] != "direct"]
    assert via == ["TMFIXQTIMER.pfnTimer: unresolved (apicR3FixClockTimer, vmmR3FixClockYield "
                   "stored there run from other calls: registered with constants the calls of "
                   "tmR3FixQRunVirtual never pass)"], rows


def test_a_local_named_like_a_method_is_no_function(vbox):
    """`int rc` handed to AssertRCReturn(rc, rc) is the local, not the C++ method rc() of
    a class elsewhere: no `registered` callee, no caller of rc(); the function handed to
    the request API still is one."""
    rows = vbox("callees TMR3FixRcInit")
    callees = {(r["symbol"], r["edge"]) for r in rows}
    assert not [c for c in callees if c[0] == "rc"], callees
    assert ("tmR3FixRcWorker", "registered") in callees or any(
        c[0] == "tmR3FixRcWorker" for c in callees), callees
    assert not [r for r in vbox("callers rc") if r["file"].endswith("TMFixRc.cpp")]


def test_deeper_callers_of_a_worker_follow_the_function_that_handed_it(vbox):
    """Level 2 of `callers` of a rendezvous worker: the callers of the function that passed
    it (TMR3FixParavirtEnable), not every caller of the rendezvous API."""
    rows = vbox("callers tmR3FixParavirtEnable depth 2")
    assert {(r["depth"], r["function"]) for r in rows} == {
        (1, "VMMR3FixEmtRendezvous"), (2, "GIMR3FixEnable")}, rows


def test_provenance_of_an_out_parameter_skips_readers_and_keeps_outside_fillers(vbox):
    """The time spec TMR3FixUtcNow fills: FixRTTimeNow (outside the corpus) and the in-place
    add are fillers; the getter that reads it through a const-pointer typedef is not."""
    r = CliRunner().invoke(cli, ["provenance", "GIMFIXWALLCLOCK.u32Nano", "depth", "6",
                                 "--index", str(vbox.index)])
    filled = [ln for ln in r.output.splitlines() if "[filled by TMR3FixUtcNow()]" in ln]
    assert any("FixRTTimeNow(pTime)" in ln for ln in filled), r.output
    assert any("FixTimeSpecAddNano(pTime" in ln for ln in filled), r.output
    assert not any("FixTimeSpecGetNano(pTime)" in ln for ln in filled), r.output


def test_a_saved_state_getter_is_where_a_value_comes_from(vbox):
    """SSMR3GetU32(pSSM, &x): x is loaded from the saved state (a [writes] fills API), a leaf
    of provenance, not the getter's stream internals."""
    r = CliRunner().invoke(cli, ["provenance", "GIMFIXWALLCLOCK.u32Version", "depth", "4",
                                 "--index", str(vbox.index)])
    assert "SSMR3GetU32(pSSM, &pWall->u32Version)" in r.output, r.output
    assert "ssmR3Fix" not in r.output and not any(  # (no hop into the getter)
        ln.lstrip().startswith("<-") for ln in r.output.splitlines()), r.output
    assert "[filled by SSMR3GetU32(), argument 2]" in r.output, r.output


def test_a_handler_called_through_a_local_copied_from_a_macro_typed_member(vbox):
    """pfnHandler = PGMFIXHANDLER_GET_TYPE(pVM, pPhys)->CTX_SUFF(pfnHandler); pfnHandler(..):
    the macro's cast gives the handler type, the local calls what its member is set to."""
    rows = vbox("callers iomFixMmioHandler")
    assert ("pgmFixPhysReadHandler", "pointer") in {(r["function"], r["edge"]) for r in rows}, rows
    assert vbox("path PGMFixPhysRead -> iomFixMmioHandler")


def test_a_constant_forwarded_by_a_wrapper_to_the_function_storing_it_is_raised(vbox):
    rows = vbox("raises VMFIXSTATE_SUSPENDED")
    assert [(r["function"], r["line"]) for r in rows] == [("VMR3FixSuspend", 28)], rows
    assert not vbox("raises VMFIXSTATE_RUNNING")  # (the state expected before: not stored)


def test_a_case_label_consumes_a_constant_and_a_call_comparing_its_parameter_does_not(vbox):
    rows = vbox("consumes VMMFIXOP_FLUSH")
    assert [(r["function"], r["line"], r["runs"]) for r in rows] == [
        ("vmR3FixService", 59, ["vmR3FixDoFlush"])], rows
    assert [r["function"] for r in vbox("raises VMMFIXOP_FLUSH")] == ["VMR3FixFlush"]


def test_a_misspelt_struct_in_a_target_is_an_error_with_look_alikes(vbox):
    r = CliRunner().invoke(cli, ["writes", "TMTIMERR.pfnTimer", "--index", str(vbox.index)])
    assert r.exit_code == 2, r.output
    assert "no symbol 'TMTIMERR'" in r.output and "TMTIMER" in r.output, r.output


def test_an_address_handed_to_a_macro_that_only_reads_through_it_is_no_write(vbox):
    rows = vbox("writes FIXVMCBSTATESAVE.u64CR0")
    assert [r["write_kind"] for r in rows] == ["assign"], rows


def test_callees_show_an_indirect_call_nothing_is_known_to_be_stored_for(vbox):
    rows = vbox("callees vmR3FixReqProcessOne")
    [r] = [r for r in rows if r["symbol"] == "pfn01"]
    assert "unresolved" in r["via"], rows


def test_a_registration_struct_typedef_per_context_binds_and_calls_per_context(vbox):
    """FIXDEVREG is FIXDEVREGR3 in ring 3 and FIXDEVREGR0 in ring 0: the ring-3 branch of
    the table fills the ring-3 struct, and a ring-3 call through pReg reaches it only."""
    def callers(fn):
        return sorted(r["function"] for r in vbox(f"callers {fn}") if r["edge"] != "stored")
    assert callers("apicR3FixConstruct") == ["pdmR3FixDevInit"]
    assert callers("apicRZFixConstruct") == ["pdmR0FixDevInit"]
    assert callers("apicR3FixReset") == ["pdmR3FixResetDev"]


def test_a_query_on_several_versions_answers_each_with_its_own_types(tmp_path):
    """No --corpus on an index of two versions: each version answers with its own types
    and tables. Version 2 swaps the members of the struct its table fills by position, so
    there fixOne is stored in pfnSecond, which nothing calls."""
    src = ("typedef struct FIXORD\n{{\n    DECLR3CALLBACKMEMBER(int, {a},(void));\n"
           "    DECLR3CALLBACKMEMBER(int, {b},(void));\n}} FIXORD;\n"
           "static DECLCALLBACK(int) fixOne(void) {{ return 1; }}\n"
           "static DECLCALLBACK(int) fixTwo(void) {{ return 2; }}\n"
           "static const FIXORD g_FixOrd = {{ fixOne, fixTwo }};\n"
           "int fixCallFirst(void) {{ return g_FixOrd.pfnFirst(); }}\n")
    ix = tmp_path / "ix"
    for v, (a, b) in (("1", ("pfnFirst", "pfnSecond")), ("2", ("pfnSecond", "pfnFirst"))):
        d = tmp_path / f"v{v}" / "src/VBox/VMM/VMMR3"
        d.mkdir(parents=True)
        (d / "FixOrd.cpp").write_text(src.format(a=a, b=b))
        api.index(str(tmp_path / f"v{v}"), f"virtualbox-vmm@{v}", ix, procs=1, fulltext=False)
    r = CliRunner().invoke(cli, ["callers", "fixOne", "--json", "--index", str(ix)])
    rows = [json.loads(x) for x in r.output.splitlines()]
    assert sorted((x["version"], x["function"]) for x in rows if x["edge"] != "stored") == [
        ("1", "fixCallFirst")], r.output


def test_a_macro_defined_under_a_developers_debug_switch_has_its_release_body(vbox):
    """FIX_VMEXIT_CALL_RET is defined under `#ifdef DEBUG_ramshankar` (it would import the
    state) and under `#else` (`return a_CallExpr`): the profile's assume_undefined makes the
    debug branch dead, so its uses call only what they are handed."""
    p = "src/VBox/VMM/VMMR0/HMFixSvmExit.cpp"
    rows = vbox("callers hmR0FixSvmImportState")
    assert sorted(r["line"] for r in rows if r["file"] == p) == [47, 57, 63, 71, 93], rows
    rows = vbox("callers hmR0FixSvmExitRdtsc")
    assert sorted(r["line"] for r in rows if r["file"] == p) == [45], rows


def test_flags_set_and_tested_through_atomic_apis_and_their_macros(vbox):
    """ASMAtomicUoOrU64(&x, C) raises C as `x |= C` does ([writes] or_stores), an AND with
    ~C clears it; a macro that hands its parameter to such a call (HMCPU_CF_SET) raises what
    its uses pass; one that masks its parameter (HMCPU_CF_IS_PENDING) tests it."""
    p = "src/VBox/VMM/VMMR0/HMFixSvmExit.cpp"
    rows = vbox("raises HMFIX_CHANGED_GUEST_CR0")
    assert sorted(r["line"] for r in rows if r["file"] == p) == [53, 55], rows
    rows = vbox("raises HMFIX_CHANGED_GUEST_RIP")  # (not the local mask of a clear, 76)
    assert sorted(r["line"] for r in rows if r["file"] == p) == [53], rows
    rows = vbox("consumes HMFIX_CHANGED_GUEST_CR0")  # (60: a mask written as a number that
    # holds it, HM_CHANGED_GUEST_CR_MASK UINT64_C(0x...) in the same family)
    assert sorted(r["line"] for r in rows if r["file"] == p) == [56, 62, 82], rows
    # a mask named in a statement that clears bits (`And(&x, ~(... (DR_MASK & ~DR7)))`) is no
    # test; the test of the mask after it is
    rows = vbox("consumes HMFIX_CHANGED_GUEST_DR7")
    assert sorted(r["line"] for r in rows if r["file"] == p) == [70], rows


def test_a_flag_value_is_read_in_the_asked_version_only(tmp_path):
    """Two versions define HMFIX_CHANGED_GUEST_CR0 with other bits: a number mask of the
    family holds it in the version whose value it holds, not in the other one."""
    import shutil
    v2 = tmp_path / "v2"
    shutil.copytree(FIX, v2)
    f = v2 / "src/VBox/VMM/VMMR0/HMFixSvmExit.cpp"
    f.write_text(f.read_text().replace("#define HMFIX_CHANGED_GUEST_CR0     RT_BIT_64(1)",
                                       "#define HMFIX_CHANGED_GUEST_CR0     RT_BIT_64(9)"))
    idx = tmp_path / "idx"
    api.index(str(FIX), "virtualbox-vmm@a", idx, procs=1, fulltext=False)
    api.index(str(v2), "virtualbox-vmm@b", idx, procs=1, fulltext=False)
    p = "src/VBox/VMM/VMMR0/HMFixSvmExit.cpp"

    def lines(corpus: str) -> list[int]:
        r = CliRunner().invoke(cli, ["q", "consumes HMFIX_CHANGED_GUEST_CR0", "--json",
                                     "--index", str(idx), "--corpus", corpus])
        return sorted(json.loads(x)["line"] for x in r.output.splitlines()
                      if json.loads(x)["file"] == p)
    assert 62 in lines("virtualbox-vmm@a")
    assert 62 not in lines("virtualbox-vmm@b")


def test_a_test_over_two_lines_is_one_row(vbox):
    """`AssertRelease((f & (A | B))\\n == (A | B))`: one test of A, at the statement's first
    line (a release assertion: evaluated in every build)."""
    p = "src/VBox/VMM/VMMR0/HMFixSvmExit.cpp"
    rows = vbox("consumes HMFIX_CHANGED_GUEST_RIP")
    assert sorted(r["line"] for r in rows if r["file"] == p and r["line"] > 75) == [82, 92], rows


def test_a_complement_mask_over_continued_lines_holds_the_flag(vbox):
    """HMFIX_CHANGED_ALL_REM_MASK is `(~( CR0 \\ | DR7 ))` over two lines: it holds RIP (a test
    of it through VMCPU_FF_IS_ANY_SET consumes RIP), not CR0; and a bit number of the family
    (HMFIX_CHANGED_CPUM_BIT 22) is no mask. Direct tests of RIP stay listed beside it."""
    p = "src/VBox/VMM/VMMR0/HMFixSvmExit.cpp"
    rip = sorted(r["line"] for r in vbox("consumes HMFIX_CHANGED_GUEST_RIP") if r["file"] == p)
    assert 92 in rip and 82 in rip, rip
    cr0 = sorted(r["line"] for r in vbox("consumes HMFIX_CHANGED_GUEST_CR0") if r["file"] == p)
    assert 92 not in cr0, cr0


EMT = "src/VBox/VMM/VMMR3/VMFixEmt.cpp"


def test_a_thread_handle_is_no_work_item(vbox):
    """RTThreadFixCreate(&pUVCpu->ThreadEMT, vmR3FixEmulationThread, ..) starts the thread
    there and returns its handle in ThreadEMT: the destroy path that takes the handle back
    (ASMAtomicXchgHandle(&pUVCpu->ThreadEMT, ..)) runs no emulation thread."""
    got = [(r["file"], r["line"], r["function"], r["edge"])
           for r in vbox("callers vmR3FixEmulationThread")]
    assert got == [(EMT, 31, "vmR3FixCreateUVM", "registered")]


def test_a_member_set_by_a_positional_initializer_is_written_there(vbox):
    """`const FIXDEVHLPR3 g_pdmR3FixDevHlpUntrusted = { 2, pdmR3FixDevHlpUntrusted_TimerCreate }`:
    the second element sets pfnTimerCreate (the extractor keeps it under the variable's
    name, chain #1); `writes FIXDEVHLPR3.pfnTimerCreate` lists it as an init, not only the
    whole table, and not the first element (u32Version's)."""
    untrusted = "src/VBox/VMM/VMMR3/PDMFixHlpUntrusted.cpp"
    rows = vbox("writes FIXDEVHLPR3.pfnTimerCreate")
    got = {(r["line"], r["write_kind"], r["value"]) for r in rows if r["file"] == untrusted}
    assert got == {(17, "init", "pdmR3FixDevHlpUntrusted_TimerCreate")}, got  # (not also
    # the table's `{` as a whole-object row: its element is the member's row)
    assert (37, "designated", "pdmR3FixDevHlp_TimerCreate") in {
        (r["line"], r["write_kind"], r["value"]) for r in rows if r["file"] == DEVHLP}


def test_a_context_suffix_around_a_member_path_pastes_onto_its_last_name(vbox):
    """`CTXALLSUFF(pVM->tmfix.pfnGetRaw)(...)` calls member pfnGetRawR3 (the ring-3 name, as
    for `pVM->tmfix.CTX_SUFF(pfnGetRaw)`); `&CTX_SUFF(pVM->tmfix.pfnGetRaw)` handed to an
    atomic write writes it."""
    v = "src/VBox/VMM/VMMAll/TMAllVirtualFix.cpp"
    rows = vbox("callers tmFixVirtualNanoTSRediscover")
    assert [(r["function"], r["line"]) for r in rows] == [
        ("tmFixVirtualGetRawNanoTS", 37), ("tmFixVirtualGetRawNanoTS", 39)]
    assert all("TMFIXVIRT.pfnGetRawR3" in r["via"] for r in rows)
    assert _places(vbox("writes TMFIXVIRT.pfnGetRawR3")) == {(v, 30), (v, 46)}
    assert vbox("path TMFixVirtualGetRaw -> tmFixVirtualNanoTSWorker")


def test_a_test_of_either_of_two_masks_holding_the_flag_is_one_test(vbox):
    """`VMCPU_FF_IS_ANY_SET(p, !f ? REQ_MASK : HALT_MASK)`, both masks holding the flag: one
    row, whose via names both masks."""
    rows = [r for r in vbox("consumes VMCPU_FF_FIX_REQUEST") if r["function"] == "vmFixStepPending"]
    assert [r["line"] for r in rows] == [30]
    head, _, masks = rows[0]["via"].partition(" (")
    assert head == "VMCPU_FF_IS_ANY_SET"
    assert sorted(masks.rstrip(")").split(", ")) == ["VMCPU_FF_FIX_HALT_MASK", "VMCPU_FF_FIX_REQ_MASK"]


def test_provenance_follows_an_out_parameter_into_helpers_and_apis(vbox):
    """TMR3FixUtcNow(pTm, &TimeSpec) hands pTime to RTFixTimeNow (outside the corpus: a
    prototype and IPRT's mangling #define; a leaf) and to the inline RTFixTimeSpecAddNano,
    whose `+= i64Nano` leads to TMFIXUTC.offUTC."""
    rows = vbox("provenance GIMFIXWALL.u32Sec depth 8")
    assert rows
    got = {(n.get("line"), n.get("value")) for n in _tree(rows[:1])}
    assert (33, "RTFixTimeNow(pTime)") in got, got
    assert (34, "RTFixTimeSpecAddNano(pTime, pTm->offUTC)") in got, got
    assert (17, "i64Nano") in got, got


def test_logline_of_a_format_chosen_by_a_condition(vbox):
    """`LogRel((f ? "A\\n" : "B\\n"))`: either line is that statement's."""
    for text in ("GIM: Fix: wall clock follows the host", "GIM: Fix: wall clock offset by UTCOffset"):
        rows = vbox(f"logline '00:00:00.700000 {text}'")
        assert [(r["file"], r["line"], r["score"]) for r in rows][:1] == [
            ("src/VBox/VMM/VMMR3/GIMFixUtc.cpp", 47, 1.0)], rows


def test_provenance_of_a_use_under_an_if_sees_the_last_load_above_it(vbox):
    """`rc = SSMR3GetU64(pSSM, &u64Hz)` (line 19) overwrites u64Hz: `if (!fOffset)
    pTm->cTicksPerSecond = u64Hz` comes from it, not from the first load (14)."""
    rows = vbox("provenance TMFIXHZ.cTicksPerSecond depth 1")
    (site,) = [r for r in rows if r["file"] == "src/VBox/VMM/VMMR3/TMFixLoadHz.cpp"]
    assert [n["line"] for n in site["from"]] == [19], site["from"]


def test_an_atomic_decrement_or_add_is_written_so(vbox):
    """ASMAtomicDecU32(&x) is a decrement (incdec), ASMAtomicAddU64(&x, n) a compound write
    (the profile's [writes] read_modify_write APIs), not an out-parameter."""
    rows = vbox("writes TMFIXTICK.cTicking")
    assert [(r["line"], r["write_kind"]) for r in rows] == [(35, "incdec")], rows
    assert [r["line"] for r in vbox("writes TMFIXTICK.cTicking kind incdec")] == [35]
    assert [(r["line"], r["write_kind"]) for r in vbox("writes TMFIXTICK.cNsTotal")] == [
        (36, "compound")]


def test_logline_keeps_a_full_match_that_scores_low(vbox):
    """`rc=%Rra` prints the status, its number and its message: most of the line is the
    argument, so the full match scores under the near-miss level; it stays a full match
    with its spans, not a near miss."""
    rows = vbox("logline 'TMFIX: R0 init failed, rc=VERR_VMM_R0_VERSION_MISMATCH (-2610) - "
                "The ring-0 module version does not match'")
    assert [(r["line"], r["mode"]) for r in rows][:1] == [(43, "full")], rows
    assert rows[0]["spans"] and rows[0]["spans"][0]["conversion"] == "%Rra"


def test_logline_of_a_log_call_in_a_macro_body_at_the_macro_s_use(vbox):
    """TMFIX_REPORT_FEAT(..., "PREEMPT") logs `"TMFIX:   " a_StrDesc " (must be set)\\n"`:
    the line is that use's (one result, the format that matches); TMFIX_LOG_MEMBER puts
    `#aMember` in the `%24s`."""
    f = "src/VBox/VMM/VMMR3/TMFixLoadHz.cpp"
    rows = vbox("logline '00:00:01.111111 TMFIX:   PREEMPT (must be set)'")
    assert [(r["file"], r["line"], r["score"]) for r in rows] == [(f, 58, 1.0)], rows
    rows = vbox("logline '00:00:01.111111 TMFIX:   TSC_OFFSET'")
    assert [(r["file"], r["line"]) for r in rows][:1] == [(f, 57)], rows
    rows = vbox("logline '00:00:01.111111          cTicksPerSecond: 1000000000'")
    assert [(r["file"], r["line"]) for r in rows][:1] == [(f, 65)], rows


def test_callers_of_a_member_of_a_nested_struct(vbox):
    """`callers TMTIMER.u.Internal.pfnTimer` (or TMTIMER::u::Internal.pfnTimer, as results
    name it): the calls through that member."""
    for q in ("callers TMTIMER.u.Internal.pfnTimer", "callers TMTIMER::u::Internal.pfnTimer"):
        assert [(r["file"], r["line"]) for r in vbox(q)] == [(R3, 30)], q


def test_a_test_inside_a_debug_assertion_consumes_nothing(vbox):
    """`Assert(!VMCPU_FF_IS_SET(...))` is compiled out of a release build (the profile's
    [requests] debug_asserts); `AssertReturnVoid(...)` evaluates in every build."""
    rows = [r for r in vbox("consumes VMCPU_FF_FIX_REQUEST") if r["function"] == "vmFixCheckNoRequest"]
    assert [r["line"] for r in rows] == [36], rows


def test_provenance_of_a_member_behind_a_pointer_handed_on_is_not_the_pointer(vbox):
    """tmFixRCpuTickResume reads pVCpu->tmr.u64TSC: TMFixRCpuTickSet set it just before the
    call; TMFixRNotifyStartOfExecution only hands its pVCpu on, so from there the value is
    any write of VMCPURFIX.tmr.u64TSC (pause and set), not the pointer's own sources (the
    &pGVM->aCpus[idCpu] of its caller, the GVM's hEMT and idCpu writes)."""
    rows = vbox("provenance TMFIXRCPU.offTSCRawSrc depth 4")
    tree = _tree(rows)
    hops = {(n.get("function"), n.get("line"), n.get("hop")) for n in tree}
    handed = [n for n in tree if n.get("function") == "TMFixRNotifyStartOfExecution"]
    assert handed, hops
    under = {(n.get("function"), n.get("line")) for n in _tree([{"from": handed}])}
    assert {("tmFixRCpuTickPause", 36), ("TMFixRCpuTickSet", 41)} <= under, under
    assert not {f for f, _l, _h in hops} & {"vmmFixRRunGuestCode", "gvmmFixRCreateVM"}, hops


def test_provenance_of_a_bumped_member_and_of_a_partly_cleared_array(vbox):
    """`else { p->n += 64; u64 = p->n; }`: the then-branch's `p->n = u64` is not seen there,
    and the value before the bump is any write of the member (TMFixSCpuTickSetLastSeen).
    `a[i] = ...` in a loop, then `a[0] = 0; a[4] = 0;`: the element stores hide nothing."""
    f = "src/VBox/VMM/VMMAll/TMAllCpuSeenFix.cpp"
    got = {(n.get("line"), n.get("hop")) for n in _tree(vbox("provenance TMFIXSCPU.uTsc depth 4"))
           if n.get("file") == f}
    assert (26, "pCpu->u64TSCLastSeen, set in tmFixSCpuTickGet()") in got, got
    assert (23, "pCpu->u64TSCLastSeen, set in tmFixSCpuTickGet()") not in got, got
    assert (34, "field TMFIXSCPU.u64TSCLastSeen") in got, got
    lines = {n.get("line") for n in _tree(vbox("provenance TMFIXSVM.cTicksPerSecond depth 4"))
             if n.get("file") == f}
    assert {50, 52, 53} <= lines, lines
REQ = "src/VBox/VMM/VMMR3/VMFixReqQueue.cpp"


def _line_of(text: str) -> int:
    lines = (FIX / REQ).read_text().splitlines()
    [n] = [i for i, x in enumerate(lines, 1) if text in x]
    return n


def test_a_worker_queued_in_a_request_packet_runs_where_the_emt_calls_it(vbox):
    """VMR3FixReqCallWaitU hands the worker to VMR3FixReqCallVU, which stores it in the
    packet (pReq->u.Internal.pfn = pfnFunction); the EMT loop loads it into a local union
    (u.pfn = pReq->u.Internal.pfn) and calls it through the member of its argument count
    (u.pfn02(a, b)): the worker is called there, and only there, by a pointer edge that
    says so; the registration is no caller."""
    rows = vbox("callers tmR3FixReqSetWarpDrive")
    assert [(r["file"], r["line"], r["function"], r["edge"]) for r in rows] == [
        (REQ, _line_of("u.pfn02("), "vmR3FixReqQueueOne", "pointer")]
    via = rows[0]["via"]
    assert via.startswith("VMFIXREQ_U::Internal.pfn (through local union u: u.pfn02 aliases "
                          "u.pfn), set from parameter pfnFunction of VMR3FixReqCallVU"), via
    assert f"(passed at {REQ}:{_line_of('(PFNRT)tmR3FixReqSetWarpDrive')})" in via
    assert [(r["line"], r["edge"]) for r in vbox("callers vmR3FixReqPowerOff")] == [
        (_line_of("u.pfn01("), "pointer")]
    rows = vbox("path VMR3FixReqQueueRun -> tmR3FixReqSetWarpDrive")
    assert [[(h["function"], h.get("edge")) for h in p] for p in rows[0]["paths"]] == [
        [("VMR3FixReqQueueRun", "direct"), ("vmR3FixReqQueueOne", "pointer"),
         ("tmR3FixReqSetWarpDrive", None)]]
    # callees agree: each worker at the member of its argument count only
    got = {(r["line"], r["symbol"]) for r in vbox("callees vmR3FixReqQueueOne")
           if r["edge"] == "pointer"}
    assert got == {(_line_of("u.pfn01("), "vmR3FixReqPowerOff"),
                   (_line_of("u.pfn01("), "vmR3FixReqCreateU"),
                   (_line_of("u.pfn02("), "tmR3FixReqSetWarpDrive"),
                   (_line_of("u.pfn03("), "vmR3FixReqSetError")}, got
    assert "tmR3FixReqSetWarpDrive" not in {r["symbol"] for r in vbox("callees TMR3FixReqSetWarpDrive")}


def test_the_path_text_names_the_member_an_indirect_hop_goes_through(vbox):
    r = CliRunner().invoke(cli, ["q", "path VMR3FixReqQueueRun -> tmR3FixReqSetWarpDrive",
                                 "--index", str(vbox.index)])
    assert r.exit_code == 0, r.output
    assert (f"vmR3FixReqQueueOne ({REQ}:{_line_of('u.pfn02(')}) =pointer "
            f"VMFIXREQ_U::Internal.pfn=> -> tmR3FixReqSetWarpDrive") in r.output, r.output


def test_a_parameter_written_as_a_macro_counts_as_the_parameters_it_stands_for(vbox):
    """vmR3FixReqSetError(PUVM pUVM, RT_FIX_SRC_POS_DECL) takes three arguments: it runs at
    u.pfn03, not at u.pfn02 (the parameters it names)."""
    assert [r["line"] for r in vbox("callers vmR3FixReqSetError")] == [_line_of("u.pfn03(")]


def test_a_flag_the_dispatcher_only_tests_does_not_keep_a_worker_from_it(vbox):
    """VMR3FixReqCreate passes VMFIXREQFLAGS_VBOX_STATUS; the EMT loop only tests
    VMFIXREQFLAGS_VOID (`(fFlags & MASK) == VOID`): that picks no requests it runs."""
    assert [(r["function"], r["line"]) for r in vbox("callers vmR3FixReqCreateU")] == [
        ("vmR3FixReqQueueOne", _line_of("u.pfn01("))]


def test_another_member_of_a_local_struct_is_no_alias(vbox):
    """`Local.pfnDone = pHooks->pfnDone; Local.pfnCancel(pUVM)`: a struct, not a union."""
    assert "fixReqRunHooks" not in {r["function"] for r in vbox("callers fixReqDoneWorker")}


def test_callers_of_a_member_of_a_named_union_nested_in_a_struct(vbox):
    """VMFIXREQ.u is a `union VMFIXREQ_U`: `callers VMFIXREQ.u.Internal.pfn` is the member
    of VMFIXREQ_U::Internal, called through the EMT loop's local union."""
    lines = [r["line"] for r in vbox("callers VMFIXREQ.u.Internal.pfn")]
    assert lines == [_line_of(f"u.pfn0{i}(") for i in range(4)], lines


def test_provenance_of_a_configuration_value_follows_its_key(vbox):
    """CFGMR3QueryU64(pRoot, "RamSizeFix", &x) reads what CFGMR3InsertInteger stored under
    "RamSizeFix" (not every inserted value); a key nothing in the corpus stores comes from
    the configuration (a leaf); a *Def read's default is a source too."""
    def froms(query):
        (row,) = vbox(query)
        return [(n.get("line"), n.get("value"), n["hop"]) for n in row["from"]]
    assert froms("provenance TMFIXCFG.cbRamFix") == [
        (16, "128U * _1M", 'stored under "RamSizeFix" by CFGMR3InsertInteger()')]
    (leaf,) = froms("provenance TMFIXCFG.cTicksFix")
    assert leaf[0] is None and "no store of that key" in leaf[2], leaf
    assert froms("provenance TMFIXCFG.cMillisFix") == [
        (17, "10", 'stored under "TimerMillisFix" by CFGMR3InsertInteger()'),
        (26, "5", 'default of CFGMR3QueryU32Def() when "TimerMillisFix" is not set')]


def test_provenance_keeps_to_the_roots_context_through_several_returns(vbox):
    """A ring-3 write takes TMFixDeepTickGet (VMMAll) -> tmFixDeepTickInternal ->
    tmFixDeepQueryTick, whose `#else /* IN_RING0 */` return is no source there."""
    got = {(n.get("function"), n.get("line")) for n in _tree(vbox("provenance GIMFIXDEEP.uTscDeep"))}
    assert ("tmFixDeepQueryTick", 10) in got, got
    assert ("tmFixDeepQueryTick", 12) not in got, got
MSK = "src/VBox/VMM/VMMR0/HMFixMaskR0.cpp"


def test_a_mask_that_holds_a_flag_raises_it_where_it_is_ored_in(vbox):
    """ASMAtomicUoOrU64(&f, XCPT_MASK) and `f |= ALL_GUEST` raise CR3: XCPT_MASK names it,
    ALL_GUEST is made of GUEST_MASK, a number of the family that holds it; the row says
    which mask. Masks that clear (`~MASK` in an And, `&= ~MASK`), a mask with CR3 taken out
    and a mask handed to a function that clears with it raise nothing."""
    rows = [r for r in vbox("raises HMMSK_CHANGED_GUEST_CR3") if r["file"] == MSK]
    assert [r["line"] for r in rows] == [26, 31, 68], rows  # (68: VMEXIT_MASK, a #define
    # longer than the index keeps, names GUEST_MASK last: evaluated from the source)
    assert "HMMSK_CHANGED_XCPT_MASK" in rows[0]["via"] and "HMMSK_CHANGED_ALL_GUEST" in rows[1]["via"]
    rows = [r for r in vbox("raises HMMSK_CHANGED_GUEST_RIP") if r["file"] == MSK]
    assert [r["line"] for r in rows] == [26, 31, 68], rows  # (34: a value with a `~`, as for C)


def test_a_local_mask_evaluated_with_the_masks_it_is_made_of(vbox):
    """`fCtxMask = ALL_GUEST & ~DR7` then `f & fCtxMask`: a test of CR3 (ALL_GUEST holds it
    through GUEST_MASK's value), none of DR7; the line making the mask tests nothing."""
    rows = [r for r in vbox("consumes HMMSK_CHANGED_GUEST_CR3") if r["file"] == MSK]
    assert [(r["line"], r["via"]) for r in rows] == [(42, "& fCtxMask (HMMSK_CHANGED_ALL_GUEST)")], rows
    assert [r for r in vbox("consumes HMMSK_CHANGED_GUEST_DR7") if r["file"] == MSK] == []


LOTS = "src/VBox/VMM/VMMAll/IEMFixExecLots.cpp"


def test_a_flag_word_read_and_masked_by_hand_is_a_test_of_the_flags_its_mask_keeps(vbox):
    """`fCpu = pVCpu->fLocalForcedActions & (ALL_MASK & ~(TLBF | TIMER)); if (!fCpu)`
    (IEMExecLots): the word VMCPU_FF_IS_ANY_SET's body ANDs, masked with a value that holds
    VMCPU_FF_FIX_POLL, tests it (at the `&`); the flags taken out are not tested there."""
    rows = [r for r in vbox("consumes VMCPU_FF_FIX_POLL") if r["file"] == LOTS]
    # (at the `&`, on the line below the word: audit T D1 found the column of the `&` put
    # on the word's line, past its end)
    assert [(r["line"], r["col"], r["via"]) for r in rows] == [
        (18, 23, "fLocalForcedActions & VMCPU_FF_FIX_ALLF_MASK"),
        (36, 23, "fLocalForcedActions & VMCPU_FF_FIX_ALLF_MASK")], rows  # (14 lines, #ifdef)
    assert not [r for r in vbox("consumes VMCPU_FF_FIX_TLBF") if r["file"] == LOTS]
    assert not [r for r in vbox("consumes VMCPU_FF_TIMER") if r["file"] == LOTS]


def test_a_full_32_bit_mask_holds_no_flag_above_bit_31_nor_an_undefined_one(vbox):
    """QA (audit B, D3, D7): VMCPU_FF_ALL_MASK is UINT32_MAX, zero-extended against the
    64-bit flag word: no test of VMCPU_FF_VMX_NMI_WINDOW (bit 35); a name defined nowhere
    has no value any mask holds. Was: the hand-masked loops listed for both."""
    assert [r["line"] for r in vbox("consumes VMCPU_FF_FIX_WIDE") if r["file"] == LOTS] == [65]
    assert [r["line"] for r in vbox("consumes VMCPU_FF_FIX_NOWHERE") if r["file"] == LOTS] == [71]
    assert [r["line"] for r in vbox("consumes VMCPU_FF_FIX_POLL") if r["file"] == LOTS] == [18, 36]


def test_an_address_handed_down_a_chain_with_a_self_call_is_no_write(vbox):
    """`hmFixPreRunGuest(pVCpu, &Transient)` hands the state to hmFixInjectEvent, which calls
    itself with the same pointer and writes another member, and hands a value read through a
    pointer member (in another object) to code outside: no write of fTscDone. The writes are
    the commit step's own, and the zeroing."""
    f = "src/VBox/VMM/VMMR0/HMFixTransient.cpp"
    assert _places(vbox("writes FIXRUNSTATE.fTscDone")) == {(f, 32), (f, 38)}


def test_a_fill_of_another_member_of_an_enclosing_union_writes_the_member(vbox):
    """`SSMR3GetMem(pSSM, &pCpu->GuestMsrs.au64[0], cbMsrs)` loads the storage that
    `msr.TscAux` shares with `au64` (a union one level up from TscAux's struct): a write of
    CPUMFIXMSRS.msr.TscAux via that union member; an element stored by assignment
    (`au64[3] = 0`) may lie elsewhere in the union and is left out."""
    f = "src/VBox/VMM/VMMR3/CPUMFixSsm.cpp"
    rows = vbox("writes CPUMFIXMSRS.msr.TscAux")
    got = {(r["line"], r.get("via")) for r in rows if r["file"] == f}
    assert got == {(62, "union member CPUMFIXMSRS.au64"), (69, None)}, rows
    deeper = vbox("writes CPUMFIXCPU2.GuestMsrs.msr.TscAux")
    assert {(r["line"], r.get("via")) for r in deeper if r["file"] == f} == got
    # (QA audit E, D3: a path without its struct, as the docs allow, found none of them)
    bare = vbox("writes msr.TscAux")
    assert {(r["line"], r.get("via")) for r in bare if r["file"] == f} == got


def test_provenance_leaves_out_a_write_whose_block_returns_before_the_use(vbox):
    """`u64 = ASMAtomicUoReadU64(&pSync->u64Stopped); ...; return u64;` inside `if
    (!pSync->fTicking) { }`: that value never reaches the catch-up call after the block
    (line 37), which sees the parameter only: its caller's argument (line 43)."""
    f = "src/VBox/VMM/VMMAll/TMAllVirtualSyncFix.cpp"
    nodes = [n for n in _tree(vbox("provenance TMFIXSYNC.u64Seen")) if n.get("file") == f]
    got = {n["line"] for n in nodes}
    assert 30 not in got and {37, 43} <= got, [(n["line"], n.get("hop")) for n in nodes]


LINT = "src/VBox/VMM/VMMAll/APICLintFix.cpp"


def test_a_call_each_check_alone_leaves_is_ruled_out_by_both(vbox):
    """QA (audit B, D1): lowering the pin (level 0) passes the EXTINT call's `if (fActive)`
    by no value, and its NMI call passes LINTFIXIRQ_NMI, which `case LINTFIXIRQ_EXTINT:`
    does not take: no path raises the PIC flag from lintFixLower. Was: the guard check kept
    the NMI call, the switch check the EXTINT call, and the path was shown."""
    rows = [r for r in vbox("raises VMCPU_FF_LINT_PIC | paths from lintFixLower")
            if r["file"] == LINT]
    assert rows and all(not r["paths"] for r in rows), rows
    rows = [r for r in vbox("raises VMCPU_FF_LINT_NMI | paths from lintFixLower")
            if r["file"] == LINT]
    assert [[h["line"] for h in p] for r in rows for p in r["paths"]] == [[40, 35, 18]], rows


def test_a_switched_variable_handed_on_keeps_its_case_values(vbox):
    """QA (audit B, D2): LINTFixDeliver hands its own `enmMode` on under `case NMI: case
    EXTINT:`; lintFixSend switches on it again, so its FIXED case (lintFixPost, the EXTINT
    call) cannot be reached from there, its NMI case can."""
    assert vbox("path LINTFixDeliver -> lintFixPost") == []
    rows = vbox("path LINTFixDeliver -> lintFixSetFF")
    assert [(r["line"], [h["line"] for h in r["paths"][0]]) for r in rows] == [(52, [65, 52, 14])], rows


HALT = "src/VBox/VMM/VMMR0/VMMFixHalt.cpp"


def test_flag_word_updates_through_macros_are_compound_writes_and_a_test_and_clear_reads(vbox):
    """QA (audit B, D8, D9): VMCPU_FF_TEST_AND_CLEAR's ASMAtomicBitTestAndClear reads the old
    bit (`reads` lists it, read-modify-write); VMCPU_FF_SET's ASMAtomicOrU64 and a clear's
    ASMAtomicAndU64 change the word in place: compound writes, not out-param ones."""
    rows = [r for r in vbox("writes VMCPU.fLocalForcedActions") if r["file"] == HALT]
    assert [(r["line"], r["write_kind"]) for r in rows] == [
        (13, "compound"), (15, "compound"), (16, "compound"), (25, "compound")], rows  # (25:
    # QA audit B D6, the macro's argument a call, `VMCPU_FF_SET(VMMFixGetCpu(pVM), ...)`)
    rows = [r for r in vbox("reads VMCPU.fLocalForcedActions") if r["file"] == HALT]
    assert [(r["line"], r["ref_kind"]) for r in rows] == [(13, "read-modify-write")], rows


def test_the_device_api_wrappers_of_the_public_headers_are_entry_points(vbox):
    """QA (audit B, D4): devices (outside the corpus) call the DECLINLINE wrappers of
    include/VBox/vmm/pdmdev.h; a helper reached through them only had no path from an entry
    point. The profile's [entry.inline_in] makes them entries of kind device-api."""
    rows = vbox("def PDMDevHlpFixTimerCreateEx | paths from entry depth 2")
    assert [[(h["function"], h.get("entry")) for h in p] for r in rows for p in r["paths"]] == [
        [("PDMDevHlpFixTimerCreateEx", "device-api")]], rows


def test_a_member_declared_in_two_if_branches_is_one_place_of_a_positional_table(vbox):
    """QA (audit B D4, seen through 5.1's device helpers): PDMDEVHLPR3 declares
    pfnPCIBusRegister under `#if` and again under `#else`; counted twice, every later member
    of the positional g_pdmR3DevHlpTrusted was bound one place off (pfnGetCpuId to
    pdmR3DevHlp_TMTimeVirtGet)."""
    f = "src/VBox/VMM/VMMR3/PDMFixPosHlp.cpp"
    assert [(r["file"], r["line"]) for r in vbox("callers fixPosHlp_GetCpuId")] == [(f, 34)]
    rows = vbox("callers fixPosHlp_TimeGet")  # (stored in pfnTimeGet, called nowhere)
    assert rows and all("pfnTimeGet" in str(r) and "pfnGetCpuId" not in str(r) for r in rows), rows


def test_the_other_branch_of_a_split_group_nested_in_another_is_indexed(vbox):
    """QA (audit B, D5): nemHCWinRunGC's `#ifdef IN_RING0 ... if (rcNt == ..) #else ...
    if (fRet) #endif` inside an outer split group: the inner `#else` (ring 3's
    VidMessageSlotHandleAndGetNext) was in neither text parsed (the alternate one kept the
    outer group's other branch). A third text keeps it."""
    f = "src/VBox/VMM/VMMAll/NEMFixRunGC.cpp"
    for callee, line in (("nemFixR0Io", 14), ("nemFixR3HandleAndGetNext", 17), ("nemFixWhvRun", 21)):
        assert [(r["file"], r["line"]) for r in vbox(f"callers {callee}")] == [(f, line)], callee


def test_a_log_line_names_the_statement_whose_line_it_prints(vbox):
    """QA (audit E, D4): `TMAll(800): FF: 0 -> 1` ranked the statement at TMAll.cpp:257
    (`"TMAll(%u): FF: 0 -> 1", __LINE__`) first, which prints 257, not 800."""
    f = "src/VBox/VMM/VMMAll/TMFixLine.cpp"
    rows = [r for r in vbox("logline 'TMFix(12): FF: 0 -> 1'") if r["file"] == f]
    assert [r["line"] for r in rows][:1] == [12], rows
    rows = [r for r in vbox("logline 'TMFix(7): FF: 0 -> 1'") if r["file"] == f]
    assert [r["line"] for r in rows][:1] == [7], rows


def test_a_test_of_a_masks_complement_consumes_the_flags_it_leaves_in(vbox):
    """QA (audit E, D2): `VMCPU_FF_IS_PENDING(pVCpu, ~VMCPU_FF_HIGH_PRIORITY_PRE_RAW_MASK)`
    (5.1's raw-mode loop) tests every flag the mask does not hold: VMCPU_FF_TIMER was not
    consumed there."""
    f = "src/VBox/VMM/VMMR3/EMFixRaw.cpp"
    assert [r["line"] for r in vbox("consumes VMCPU_FF_FIX_SPARE2") if r["file"] == f] == [7]
    assert [r for r in vbox("consumes VMCPU_FF_FIX_REQUEST") if r["file"] == f] == []


def test_logline_of_a_format_that_starts_with_a_string_macro(vbox):
    """`LogRel((DBGFLOG_NAME ": Elf64WriteElfHdr failed. rc=%Rrc\n", rc))` with `#define
    DBGFLOG_NAME "DBGFCoreWrite"` in the file prints `DBGFCoreWrite: ...`: that line is the
    statement's whole format, and a made-up name before it is not; IPRT's LOG_FN_FMT is
    `%Rfn`, the function's name."""
    core = "src/VBox/VMM/VMMR3/DBGFFixCore.cpp"
    rows = vbox("logline '00:00:05.123456 DBGFFixCore: Elf64WriteElfHdr failed. rc=VERR_DISK_FULL'")
    assert [(r["file"], r["line"], r["mode"]) for r in rows][:1] == [(core, 15, "full")], rows
    assert rows[0]["format"].startswith("DBGFFixCore: "), rows[0]
    made_up = vbox("logline 'Foobar: Elf64WriteElfHdr failed. rc=VERR_DISK_FULL'")
    assert not made_up or made_up[0]["score"] < rows[0]["score"], made_up
    rows = vbox("logline 'dbgfR3FixCoreWrite: pVM=0000000012345000 fChoked=true'")
    assert [(r["file"], r["line"], r["mode"]) for r in rows][:1] == [(core, 18, "full")], rows


def test_leading_string_macro_scan_of_a_long_name_run_ends():
    """The format argument scan for leading string macros does not backtrack: an argument
    of a long run of names not followed by a literal (generated code) is dismissed at once
    (the first version of the pattern hung a worker on VirtualBox's IEM tables)."""
    from vmxref.indexer import extract
    arg = "(" + " ".join(["uSomeLongIdentifierName"] * 64) + "x" * 2000 + ")"
    assert extract._LEADING_NAMES.match(arg) is None
    assert extract._LEADING_NAMES.match('(DBGFLOG_NAME ": x\\n", rc)').group(1).split() == [
        "DBGFLOG_NAME"]


def test_logline_ties_put_release_statements_first_and_say_what_was_cut(vbox):
    """One format printed by four statements: the release-log one comes first (a VBox.log
    line is likelier its), a LogFlowFunc one last (it prints `func: ` before the format,
    which the line lacks); past `| limit N` the answer says how many were left out."""
    hm = "src/VBox/VMM/VMMR3/HMFixRc.cpp"
    rows = [r for r in vbox("logline 'fixrc=VERR_NO_MEMORY'") if r["file"] == hm]
    assert [r["function"] for r in rows] == ["hmR3FixRelease", "hmR3FixDebug", "hmR3FixDebug2",
                                             "hmR3FixFlow"], rows
    r = CliRunner().invoke(cli, ["q", "logline 'fixrc=VERR_NO_MEMORY' | limit 2", "--index",
                                 str(vbox.index)])
    assert len(r.stdout.splitlines()) == 2, r.output
    assert "vmxref: 2 more statements could have printed it, scored as the last shown or " \
           "below; add `| limit N` to the query for more" in r.stderr, r.output


def test_a_flag_only_masks_hold_is_tested_once_and_not_where_it_is_cleared(vbox):
    """VMCPU_FF_FIX2_UNUSED is named by no statement, only by a mask: the tester of that
    mask tests it once (not again by the `&` inside the tester's argument), and the
    clearer `VMCPU_FF_CLEAR_MASK(pVCpu, ALL & ~REQ)` tests nothing."""
    rows = [(r["function"], r["line"]) for r in vbox("consumes VMCPU_FF_FIX2_UNUSED")
            if r["file"].endswith("VMFixReset2.cpp")]  # (others test complement masks)
    assert rows == [("emR3FixPending", 15), ("emR3FixPendingButResume", 20)], rows


def test_a_mask_taken_out_under_a_complement_takes_out_the_flags_it_holds(vbox):
    """`(ALL_MASK) & ~RESUME_MASK`, RESUME_MASK being `(REQ)`: a test of every flag of
    ALL_MASK but REQ (as `~REQ` named directly would be)."""
    def lines(const):
        return [r["line"] for r in vbox(f"consumes {const}")
                if r["function"] == "emR3FixPendingButResume"]
    assert lines("VMCPU_FF_FIX2_REQ") == []
    assert lines("VMCPU_FF_FIX2_A") == [20]


def test_a_memset_up_to_a_member_writes_the_members_before_it_only(vbox):
    """`memset(pCtx, 0, RT_UOFFSETOF(CPUMBNDCTX, pXStateR0))` clears rip and rflags, not
    hwvirt, declared after pXStateR0 (nor pXStateR0 itself)."""
    def lines(target):
        return [r["line"] for r in vbox(f"writes {target}")
                if r["file"].endswith("CPUMFixBound.cpp")]
    assert lines("CPUMBNDCTX.rip") == [19, 28]  # (not the `#if 0 && ...` nor the
    # `... && defined(DEBUG_bird)` groups: false whatever the other operands are)
    assert lines("CPUMBNDCTX.rflags") == [19, 20]
    assert lines("CPUMBNDCTX.hwvirt.uAbortAux") == []
    assert lines("CPUMBNDCTX.pXStateR0") == []


def test_a_field_table_load_writes_the_members_its_table_lists(vbox):
    """`SSMR3GetStruct(pSSM, pPgmCpu, &s_aPGMFixCpuFields[0])` (and SSMR3GetStructEx with a
    local set to that table) stores the members of its SSMFIELD_ENTRY* entries: the
    profile's [writes.field_tables]; a member the table leaves out is not written there."""
    def lines(target):
        return [r["line"] for r in vbox(f"writes {target}")
                if r["file"].endswith("PGMFixSsm.cpp")]
    assert lines("PGMFIXCPU.fA20Enabled") == [25, 27]
    assert lines("PGMFIXCPU.GCPhysA20Mask") == [25, 27]
    assert lines("PGMFIXCPU.fGstPaeMbzPdeMask") == [28]


def test_logline_finds_the_log_call_in_a_macro_the_file_defines_but_does_not_use(vbox):
    """FNIEMOPFIX_UD_STUB's body logs `Unsupported fix instruction %Rfn` for every opcode
    stub the instruction files make with it: the body's statement, its macro as the
    function, explains the line."""
    rows = vbox("logline 'Unsupported fix instruction iemOpFix_Grp7_vmrun'")
    assert [(r["file"].rsplit("/", 1)[-1], r["line"], r["function"]) for r in rows][:1] == [
        ("IEMFixStub.cpp", 8, "FNIEMOPFIX_UD_STUB")], rows
    assert rows[0]["mode"] == "full", rows[0]


def test_logline_of_a_macro_that_pastes_its_format_and_a_literal_field(vbox):
    """`NEM_FIX_LOG_CAP_EX("FixCapabilityVendor", "%d - Intel", v)` prints `NEM: %-30s= %d -
    Intel` with the field name padded: the Intel statement is the whole line's, the AMD one
    (which cannot print `Intel`) is not offered beside it."""
    rows = vbox("logline 'NEM: FixCapabilityVendor           = 0 - Intel'")
    assert [(r["line"], r["mode"]) for r in rows][:1] == [(10, "full")], rows
    assert rows[0]["score"] > 0.9, rows[0]
    assert all(r["line"] != 12 or r["score"] < 0.6 for r in rows), rows


def test_provenance_of_a_union_local_takes_writes_of_its_members_members(vbox):
    """`return u.u` after `__asm__(... : "=a" (u.s.Lo), "=d" (u.s.Hi))`: the halves written
    by the assembly are the value's source (members of the union's struct member)."""
    from click.testing import CliRunner
    from vmxref.cli import cli
    r = CliRunner().invoke(cli, ["provenance", "FIXTSCSAMPLE.uTscSample",
                                 "--index", str(vbox.index)])
    assert r.exit_code == 0, r.output
    assert "[local u.s.Lo, a member of the same union]" in r.output, r.output
    assert "[local u.s.Hi, a member of the same union]" in r.output, r.output


def test_logline_of_a_vmseterror_message_as_vbox_log_shows_it(vbox):
    """VMSetError's messages reach VBox.log as `VMSetError: MESSAGE`, after a `VMSetError:
    FILE(LINE) FUNCTION; rc=STATUS` line (the profile's [log.prefixes]): each form is a
    whole match of the call, as is the bare message."""
    for line in ("00:00:05.123456 VMSetError: /EM/FixMaxInstructions value is too small, min 16",
                 "/EM/FixMaxInstructions value is too small, min 16",
                 "00:00:05.123456 VMSetError: /src/VBox/VMM/VMMR3/EMFixErr.cpp(9) emR3FixInitCfg;"
                 " rc=VERR_OUT_OF_RANGE\n00:00:05.123456 VMSetError: /EM/FixMaxInstructions "
                 "value is too small, min 16"):
        r = CliRunner().invoke(cli, ["logline", line, "--json", "--index", str(vbox.index)])
        rows = [json.loads(x) for x in r.stdout.splitlines()]
        assert rows and (rows[0]["line"], rows[0]["mode"]) == (9, "full"), (line, rows)


def test_provenance_takes_the_value_an_assertion_macro_returns_early(vbox):
    """`AssertPtrReturn(pPoolPage, NIL_RTHCPHYS)` returns NIL_RTHCPHYS from the getter in
    release builds too (the profile's [provenance.returning]): a return beside `return
    pPoolPage->HCPhysKey`."""
    from click.testing import CliRunner
    from vmxref.cli import cli
    r = CliRunner().invoke(cli, ["provenance", "HMFIXVMCSINFO.HCPhysEPTP",
                                 "--index", str(vbox.index)])
    assert r.exit_code == 0, r.output
    rets = [ln.strip() for ln in r.output.splitlines() if "[return of pgmFixGetHyperCR3()]" in ln]
    assert any(":18: " in x and "NIL_RTHCPHYS" in x for x in rets), r.output
    assert any(":19: " in x and "HCPhysKey" in x for x in rets), r.output


def test_iprt_nothing_macros_on_a_class_and_an_argument_list(vbox):
    """`class RT_DECL_CLASS FixMapCache` is a class (not a variable of a class type), and
    `f(pSet, HCPhys, ppv RTLOG_COMMA_SRC_POS_ARGS);` a call (not a declaration): the profile
    erases the two release-build nothing-macros."""
    p = "src/VBox/VMM/VMMAll/PGMFixDynMap.cpp"
    rows = vbox("def FixMapCache")
    assert [(r["file"], r["line"], r["sym_kind"]) for r in rows] == [(p, 8, "class")]
    rows = vbox("callers pgmFixDynMapCommon")
    assert [(r["function"], r["line"]) for r in rows] == [("pgmFixDynMapInlined", 22)]


@pytest.mark.parametrize("src, possible", [
    # the queues run are those of FIXCLOCK_VIRTUAL and FIXCLOCK_REAL, whose enmClock is set
    # only to that clock: fixClock's `case FIXCLOCK_TSC` is out of their reach (T D2)
    ("fixQueuesDo", False),
    ("fixHasExpired", True),
])
def test_path_knows_the_member_of_an_element_set_by_its_index(vbox, src, possible):
    rows = vbox(f"path {src} -> fixTscRead")
    assert bool(rows) == possible, rows


@pytest.mark.parametrize("name", [
    "iemFixCImpl_movs_op8_addr16", "iemFixCImpl_movs_op32_addr64",
    "iemFixCImpl_movs_op8_addr64"])  # (sizes the includer defines, in any pairing)
def test_def_of_a_function_of_a_header_included_per_size(vbox, name):
    """IEMFixSizeTmpl.cpp.h defines RT_CONCAT4(iemFixCImpl_movs_op,OP_SIZE,_addr,ADDR_SIZE) and
    is included after #defines of OP_SIZE and ADDR_SIZE: a name with values those macros take
    is that definition (audit V D10); a size never defined is no such name."""
    rows = vbox(f"def {name}")
    assert [(r["file"], r["line"], r.get("template")) for r in rows] == [
        ("src/VBox/VMM/VMMAll/IEMFixSizeTmpl.cpp.h", 8,
         "iemFixCImpl_movs_opOP_SIZE_addrADDR_SIZE")], rows
    r = CliRunner().invoke(cli, ["q", "def iemFixCImpl_movs_op12_addr16", "--json",
                                 "--index", str(vbox.index)])
    assert r.exit_code == 2 and "no symbol" in r.output, r.output


def test_callers_of_a_function_of_a_header_included_per_size(vbox):
    """The instances of a template header's function are called directly and through a
    macro that calls its argument (IEM_MC_DEFER_TO_CIMPL_1(iemCImpl_rep_movs_op8_addr32, ..)):
    both are callers, though no declaration spells the instance's name."""
    rows = vbox("callers iemFixCImpl_movs_op32_addr64")
    assert sorted((r["function"], r["edge"]) for r in rows) == [
        ("iemFixOpMovs", "direct"), ("iemFixOp_movsd", "macro")], rows
