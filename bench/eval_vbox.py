"""Evaluate vmxref's `writes` and `callers` answers on VirtualBox 6.1.36 (a local tree).

    /work/venv/bin/python bench/eval_vbox.py /path/to/vbox-6.1.36 [--index DIR]

Indexes the tree (virtualbox-vmm@6.1.36) into a temporary directory unless --index names an
existing index, runs the questions below and prints recall/precision and every wrong answer.
The expected answers were verified with grep and reading the code; this file holds only
queries, file names, line numbers and function names (no VirtualBox code).
Rows: writes "FILE:LINE:FUNCTION:WRITE_KIND" (FILE = base name); callers "FILE:FUNCTION".
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from vmxref import api

CORPUS = "virtualbox-vmm@6.1.36"
DIRECT = ("assign", "compound", "incdec", "init", "designated")
ZERO = "GIMKvm.cpp:120:gimR3KvmUpdateSystemTime:whole-object"  # RT_ZERO(SystemTime)
UST = "gimR3KvmUpdateSystemTime"

# (query, direct rows, indirect rows or None = not evaluated)
WRITES = [
    ("writes GIMKVMSYSTEMTIME.u32TscScale", {f"GIMKvm.cpp:149:{UST}:assign"}, {ZERO}),
    ("writes GIMKVMSYSTEMTIME.u64NanoTS", {f"GIMKvm.cpp:122:{UST}:assign"}, {ZERO}),
    ("writes GIMKVMSYSTEMTIME.i8TscShift",
     {f"GIMKvm.cpp:137:{UST}:assign", f"GIMKvm.cpp:141:{UST}:incdec", f"GIMKvm.cpp:147:{UST}:incdec"},
     {ZERO}),
    # line 196 passes &SystemTime.u32Version as the SOURCE of a guest-memory write: not a write
    ("writes GIMKVMSYSTEMTIME.u32Version",
     {f"GIMKvm.cpp:121:{UST}:assign", f"GIMKvm.cpp:193:{UST}:incdec"}, {ZERO}),
    ("writes GIMKVMSYSTEMTIME.fFlags", {f"GIMKvm.cpp:124:{UST}:assign"}, {ZERO}),
    ("writes TM.cTSCTicksPerSecond",
     {"TM.cpp:438:TMR3Init:assign", "TM.cpp:443:TMR3Init:assign", "TM.cpp:460:TMR3Init:assign",
      "TM.cpp:1443:tmR3Load:assign"}, {"TM.cpp:435:TMR3Init:out-param"}),
    ("writes GIMKVMCPU.u64SystemTimeMsr",
     {"GIMAllKvm.cpp:248:gimKvmWriteMsr:assign", "GIMKvm.cpp:370:gimR3KvmReset:assign",
      "GIMKvm.cpp:608:gimR3KvmEnableSystemTime:assign", "GIMKvm.cpp:614:gimR3KvmEnableSystemTime:assign"},
     {"GIMKvm.cpp:452:gimR3KvmLoad:out-param"}),
    ("writes GIMKVM.u64WallClockMsr",
     {"GIMAllKvm.cpp:269:gimKvmWriteMsr:assign", "GIMKvm.cpp:366:gimR3KvmReset:assign"},
     {"GIMKvm.cpp:474:gimR3KvmLoad:out-param"}),
    ("writes TM.enmTSCMode",
     {f"TM.cpp:{n}:TMR3Init:assign" for n in (389, 397, 399, 401, 407, 444, 456, 477, 606)}
     | {"TM.cpp:3522:tmR3CpuTickParavirtEnable:assign", "TM.cpp:3582:tmR3CpuTickParavirtDisable:assign"},
     None),
    # ASMAtomicWriteBool: an inline IPRT writer (a cast hand-over, then inline assembly)
    # (ASMAtomicWrite* stores its 2nd argument: [writes] stores makes it an assignment)
    ("writes TM.fVirtualSyncCatchUp", {"TM.cpp:1409:tmR3Load:assign",
                                       "TMAllVirtual.cpp:382:tmVirtualSyncGetHandleCatchUpLocked:assign",
                                       "TM.cpp:1209:TMR3Reset:assign"}
     | {f"TM.cpp:{n}:tmR3TimerQueueRunVirtualSync:assign" for n in (2435, 2575, 2599, 2616)},
     set()),
    # TM_SET_STATE (an atomic write: assignments) / TM_TRY_SET_STATE (compare-exchange:
    # out-parameters) write pTimer->enmState in their macro bodies
    ("writes TMTIMER.enmState", {"TM.cpp:1545:tmr3TimerCreate:assign"}
     | {f"TM.cpp:{n}:{f}:assign" for n, f in (
         (1934, "TMR3TimerDestroy"), (2303, "tmR3TimerQueueRun"),
         (2488, "tmR3TimerQueueRunVirtualSync"))}
     | {f"TMAll.cpp:{n}:{f}:assign" for n, f in (
         (1206, "tmTimerVirtualSyncSet"), (1329, "TMTimerSet"),
         (1341, "TMTimerSet"), (1353, "TMTimerSet"), (1365, "TMTimerSet"),
         (1511, "tmTimerVirtualSyncSetRelative"), (1654, "TMTimerSetRelative"),
         (1669, "TMTimerSetRelative"), (1684, "TMTimerSetRelative"), (1699, "TMTimerSetRelative"),
         (1836, "tmTimerVirtualSyncStop"), (1841, "tmTimerVirtualSyncStop"))},
     {f"TM.cpp:{n}:{f}:out-param" for n, f in (
         (1866, "TMR3TimerDestroy"), (2283, "tmR3TimerQueueRun"), (2319, "tmR3TimerQueueRun"),
         (2506, "tmR3TimerQueueRunVirtualSync"))}
     | {"TMAll.cpp:344:tmTimerTry:out-param"}),
    # static MSR ranges initialised with `/*.enmRdFn =*/ kCpumMsrRdFn_...` comment designators
    ("writes CPUMMSRRANGE.enmRdFn", {"CPUMR3CpuId.cpp:2149:cpumR3LoadMsrOverrides:assign"}
     | {f"CPUMR3CpuId.cpp:{n}:CPUMR3SetGuestCpuIdFeature:designated" for n in (4729, 4995, 5011, 5030)}
     | {f"CPUMR3Db.cpp:{n}:cpumR3MsrReconcileWithCpuId:designated" for n in (625, 647)}, None),
]

CALLERS = [
    ("callers gimR3KvmUpdateSystemTime", {"GIMKvm.cpp:gimR3KvmLoad", "GIMKvm.cpp:gimR3KvmEnableSystemTime"}),
    ("callers tmR3CalibrateTSC", {"TM.cpp:TMR3Init"}),
    ("callers gimR3KvmEnableSystemTime", {"GIMAllKvm.cpp:gimKvmWriteMsr"}),
    ("callers gimKvmWriteMsr", {"GIMAll.cpp:GIMWriteMsr"}),
    ("callers gimKvmReadMsr", {"GIMAll.cpp:GIMReadMsr"}),
    # g_aCpumRdMsrFns / g_aCpumWrMsrFns tables, called through pfnRdMsr / pfnWrMsr
    ("callers cpumMsrRd_Ia32TimestampCounter", {"CPUMAllMsrs.cpp:CPUMQueryGuestMsr"}),
    ("callers cpumMsrWr_Ia32TimestampCounter", {"CPUMAllMsrs.cpp:CPUMSetGuestMsr"}),
    ("callers tmCpuTickGetInternal", {"TMAllCpu.cpp:TMCpuTickGet", "TMAllCpu.cpp:TMCpuTickGetNoCheck"}),
    ("callers TMCpuTickGet",
     {"CPUMAllMsrs.cpp:cpumMsrRd_Ia32TimestampCounter", "CPUMAllMsrs.cpp:cpumMsrRd_Ia32MPerf",
      "CPUMAllMsrs.cpp:cpumMsrRd_Ia32APerf", "GIMAllHv.cpp:gimHvGetTimeRefCount",
      "IEMAllCImpl.cpp.h:iemCImpl_rdtsc", "IEMAllCImpl.cpp.h:iemCImpl_rdtscp",
      "IEMAllCImplSvmInstr.cpp.h:iemCImpl_svm_pause", "IEMAllCImplVmxInstr.cpp.h:iemVmxVmexitInstrPause",
      "TM.cpp:tmR3Save", "TM.cpp:tmClock", "TM.cpp:tmR3InfoClocks"}),
    ("callers cpumMsrRd_Gim", {"CPUMAllMsrs.cpp:CPUMQueryGuestMsr"}),
    ("callers cpumMsrWr_Gim", {"CPUMAllMsrs.cpp:CPUMSetGuestMsr"}),
    # a device timer: PDMDevHlpTimerCreate -> pHlpR3->pfnTimerCreate -> pdmR3DevHlp_TimerCreate
    # -> TMR3TimerCreateDevice stores it in TMTIMER.u.Dev.pfnTimer, called by the TM queues
    # a TMCLOCK_VIRTUAL_SYNC timer (APIC.cpp:1488): tmR3TimerQueueRun only runs the VIRTUAL
    # and REAL queues (TM.cpp:2210, 2220), the VirtualSync one runs it
    ("callers apicR3TimerCallback", {"TM.cpp:tmR3TimerQueueRunVirtualSync"}),
    # entered through the ring-0 set-jump helper (no work item: the jump buffer is shared)
    ("callers HMR0RunGuestCode", {"VMMR0.cpp:VMMR0EntryFast"}),
]
PATHS = [  # (query, function every path must contain or None)
    ("path GIMWriteMsr -> gimR3KvmUpdateSystemTime", "gimR3KvmEnableSystemTime"),
    ("path CPUMSetGuestMsr -> gimR3KvmUpdateSystemTime", "cpumMsrWr_Gim"),
    ("path tmR3TimerQueueRunVirtualSync -> apicStartTimer", "apicR3TimerCallback"),
]


def _w(row: str) -> tuple:
    f, line, fn, kind = row.split(":")
    return (f, int(line), fn, kind)


def _score(exp: set, got: set) -> tuple[int, list, list]:
    return len(exp & got), sorted(exp - got), sorted(got - exp)


def run(sc, out=print) -> dict:
    """Run every question on scope `sc`; print the wrong answers; return the figures."""
    tot = {k: [0, 0, 0, 0] for k in ("direct", "indirect", "callers")}  # hits, exp, ok, reported
    wrong = []
    for q, direct, indirect in WRITES:
        res = [s.to_json() for s in api.run_query(sc, q)]
        got = {(Path(r["file"]).name, r["line"], r.get("function") or "", r.get("write_kind")) for r in res}
        parts = [("direct", {_w(x) for x in direct}, {g for g in got if g[3] in DIRECT})]
        if indirect is not None:
            parts.append(("indirect", {_w(x) for x in indirect}, {g for g in got if g[3] not in DIRECT}))
        for label, exp, g in parts:
            hits, missed, extra = _score(exp, g)
            t = tot[label]
            t[0] += hits; t[1] += len(exp); t[2] += len(g) - len(extra); t[3] += len(g)
            wrong += [(q, "MISSED", m) for m in missed] + [(q, "WRONG", e) for e in extra]
    for q, exp_rows in CALLERS:
        res = [s.to_json() for s in api.run_query(sc, q)]
        got = {(Path(r["file"]).name, r.get("function") or "") for r in res}
        exp = {tuple(x.split(":")) for x in exp_rows}
        hits, missed, extra = _score(exp, got)
        t = tot["callers"]
        t[0] += hits; t[1] += len(exp); t[2] += len(got) - len(extra); t[3] += len(got)
        wrong += [(q, "MISSED", m) for m in missed] + [(q, "WRONG", e) for e in extra]
    for q, through in PATHS:
        res = [s.to_json() for s in api.run_query(sc, q)]
        paths = [p for r in res for p in r.get("paths") or []]
        if not paths:
            wrong.append((q, "MISSED", "no path"))
        elif through and not all(through in [h["function"] for h in p] for p in paths):
            wrong.append((q, "WRONG", f"a path avoids {through}"))
    figures = {}
    for k, (h, e, ok, rep) in tot.items():
        figures[k] = (h / e if e else 1.0, ok / rep if rep else 1.0)
        out(f"{k:8s} recall {figures[k][0]:.3f} ({h}/{e})  precision {figures[k][1]:.3f} ({ok}/{rep})")
    for w in wrong:
        out(f"  {w[0]}: {w[1]} {w[2]}")
    return figures


def main(argv: list[str] | None = None) -> int:
    """Index (or reuse) and evaluate; exit 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", help="VirtualBox 6.1.36 tree (src/VBox/VMM + include)")
    ap.add_argument("--index", help="existing index directory holding virtualbox-vmm@6.1.36")
    a = ap.parse_args(argv)
    if a.index:
        idx = Path(a.index)
    else:
        idx = Path(tempfile.mkdtemp(prefix="vmxref-eval-vbox-"))
        api.index(a.root, CORPUS, idx)
    print(f"{len(WRITES)} writes, {len(CALLERS)} callers and {len(PATHS)} path questions on {CORPUS}")
    run(api.open_scope(idx, CORPUS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
