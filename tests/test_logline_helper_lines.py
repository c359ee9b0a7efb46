"""`logline` on lines an IPRT info handler prints with several calls of its printf helper
(`pHlp->pfnPrintf(pHlp, "...")`, the first without a newline, some under `if`, `#ifdef` or
`switch`): the line is one statement's, the first call's, the others named. Fixtures
written for these tests (CC0) in the style of VirtualBox's DBGF info handlers."""
from __future__ import annotations

import pytest

from vmxref import api, render
from vmxref.queries.logline import logline

INFO_CPP = """\
/* SPDX-License-Identifier: CC0-1.0 */
static DECLCALLBACK(void) fixInfoClocks(PVM pVM, PCDBGFINFOHLP pHlp, const char *pszArgs)
{
    for (VMCPUID i = 0; i < pVM->cCpus; i++)
    {
        uint64_t u64 = fixTicks(pVM, i);
        pHlp->pfnPrintf(pHlp, "FixTick: %18RU64 (%#016RX64) %s - fixvirtualized",
                        u64, u64, fixTicking(pVM) ? "ticking" : "paused");
        if (pVM->fix.enmMode == FIXMODE_REAL)
        {
            pHlp->pfnPrintf(pHlp, " - fix real offset");
            if (pVM->fix.offRaw)
                pHlp->pfnPrintf(pHlp, "\\n          fixoffset %RU64", pVM->fix.offRaw);
        }
        else if (pVM->fix.enmMode == FIXMODE_NATIVE)
            pHlp->pfnPrintf(pHlp, " - fix native api");
        else
            pHlp->pfnPrintf(pHlp, " - fix virtual clock");
        pHlp->pfnPrintf(pHlp, "\\n");
    }

    pHlp->pfnPrintf(pHlp, "FixVirtual: %RU64Hz %s", fixFreq(pVM), "ticking");
    if (pVM->fix.fWarp)
        pHlp->pfnPrintf(pHlp, " FixWarp %RU32 %%", pVM->fix.uWarpPct);
    pHlp->pfnPrintf(pHlp, "\\n");
}

static DECLCALLBACK(void) fixInfoMode(PVM pVM, PCDBGFINFOHLP pHlp, const char *pszArgs)
{
    pHlp->pfnPrintf(pHlp, "FixMode %u:", pVM->fix.enmMode);
    switch (pVM->fix.enmMode)
    {
        case FIXMODE_REAL:
            pHlp->pfnPrintf(pHlp, " fixreal");
            break;
        case FIXMODE_NATIVE:
            pHlp->pfnPrintf(pHlp, " fixnative");
            break;
    }
#ifdef VBOX_WITH_FIXSTATS
    pHlp->pfnPrintf(pHlp, " fixstats=%u\\n", pVM->fix.cStats);
#else
    pHlp->pfnPrintf(pHlp, " fixnostats\\n");
#endif
}

static void fixDumpStack(PCDBGFINFOHLP pHlp, PFIXFRAME pFrame)
{
    pHlp->pfnPrintf(pHlp, "FixFrames:\\n");
    for (; pFrame; pFrame = pFrame->pNext)
    {
#if HC_ARCH_BITS == 32
        pHlp->pfnPrintf(pHlp, "%RHv %RHv fix32", pFrame->uBp, pFrame->uRet);
#else
        pHlp->pfnPrintf(pHlp, "%RHv %RHv fix64", pFrame->uBp, pFrame->uRet);
#endif
        if (pFrame->pszSym)
            pHlp->pfnPrintf(pHlp, " %s+%llx", pFrame->pszSym, pFrame->offSym);
        if (!pFrame->fMore)
        {
            pHlp->pfnPrintf(pHlp, " fixlast\\n");
            return;
        }
        pHlp->pfnPrintf(pHlp, "\\n");
    }
}
"""
FILE = "src/VBox/VMM/VMMR3/FixInfo.cpp"


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    root = tmp_path_factory.mktemp("vbox-tree")
    (root / FILE).parent.mkdir(parents=True)
    (root / FILE).write_text(INFO_CPP)
    ix = tmp_path_factory.mktemp("ix")
    api.index(str(root), "virtualbox-vmm@fix", ix, procs=1, fulltext=False)
    return api.open_scope(ix, "virtualbox-vmm@fix")


def _first(scope, line):
    got = logline(scope, line)
    assert got, line
    return got[0]


TICK = "FixTick:      1234567890123 (0x0000011f71fb04cb) ticking - fixvirtualized"


@pytest.mark.parametrize("line,first,then", [
    (TICK + " - fix virtual clock", 7, [18, 19]),
    (TICK + " - fix native api", 7, [16, 19]),
    (TICK + " - fix real offset", 7, [11, 19]),
    ("FixVirtual: 1000000000Hz ticking FixWarp 100 %", 22, [24, 25]),
    ("FixMode 2: fixnative fixstats=3", 30, [37, 41]),
    ("FixMode 1: fixreal fixnostats", 30, [34, 43]),
    ("FixMode 7: fixnostats", 30, [43]),
])
def test_a_line_of_several_helper_calls_is_the_first_calls(scope, line, first, then):
    """Each branch's call goes on the line of the call before the `if` (the `switch`, the
    `#ifdef`); the result points at that first call and names the calls that printed the
    rest of the line (a bare `"\\n"` among them)."""
    got = _first(scope, line)
    assert (got.line, got.extra["mode"]) == (first, "full"), render.site_line(got)
    assert [c["line"] for c in got.extra["continued_by"]] == then, render.site_line(got)
    assert f"continued by the calls at line {', '.join(map(str, then))};" in \
        render.site_line(got) or len(then) == 1


@pytest.mark.parametrize("line,then", [
    ("00007ffe12345000 00007ffe12345100 fix64 fixSym+1a fixlast", [58, 61]),
    ("00007ffe12345000 00007ffe12345100 fix64 fixSym+1a", [58, 64]),
    ("00007ffe12345000 00007ffe12345100 fix64 fixlast", [61]),
])
def test_a_frame_line_of_a_stack_dump(scope, line, then):
    """A loop's body prints a line from the `#else` branch's call (HC_ARCH_BITS != 32), an
    optional symbol, then ` fixlast\\n` (and `return`) or `\\n`."""
    got = _first(scope, line)
    assert (got.line, got.extra["mode"]) == (55, "full"), render.site_line(got)
    assert [c["line"] for c in got.extra["continued_by"]] == then, render.site_line(got)


def test_only_whole_lines_are_joined(scope):
    """Every way through fixInfoMode ends its line (one of an #ifdef's two branches always
    runs), and a call never first on a line (` %s+%llx`) starts none."""
    rows = scope.conn.execute("SELECT line, fmt FROM logcall WHERE func IN ('fixInfoMode', "
                              "'fixDumpStack')").fetchall()
    joined = [(line, fmt) for line, fmt in rows if any(
        ln == line and fmt.startswith(f) and fmt != f for ln, f in rows)]
    assert joined and all(fmt.endswith("\n") for _line, fmt in joined), joined
    assert {line for line, _fmt in joined} == {30, 53, 55}, joined


def test_a_line_one_call_printed_names_no_other(scope):
    got = _first(scope, "FixVirtual: 1000000000Hz ticking")
    assert (got.line, got.extra["mode"]) == (22, "full"), render.site_line(got)
    assert "continued_by" not in got.extra and "continued" not in render.site_line(got)


def test_the_line_after_a_newline_inside_a_continuation(scope):
    """`"\\n          fixoffset %RU64"` ends the tick line and starts the next one."""
    got = _first(scope, "          fixoffset 4096")
    assert (got.line, got.extra["mode"]) in ((7, "line"), (13, "full")), render.site_line(got)


def test_two_branches_never_go_on_one_line(scope):
    """` - fix native api` and ` - fix virtual clock` are an if's two branches: no statement
    prints both (only pieces of the line match)."""
    for got in logline(scope, TICK + " - fix native api - fix virtual clock"):
        assert got.extra["mode"] != "full", render.site_line(got)
    for got in logline(scope, "FixMode 1: fixreal fixnative fixnostats"):
        assert got.extra["mode"] != "full", render.site_line(got)
