"""`vmxref logline` on VirtualBox 6.1.36: VBox.log lines map back to their statements.

    /work/venv/bin/python bench/logline_vbox.py VBOX_ROOT_OR_INDEX

VBOX_ROOT_OR_INDEX is a VirtualBox 6.1.36 tree (src/VBox/VMM + include; indexed into a
temporary directory as virtualbox-vmm@6.1.36) or an existing index directory holding it.
The lines below were written by hand from the release-log format strings of that version,
with values filled in the way IPRT prints them (`%'RU64` groups digits with spaces, `%#RGp`
is 0x + 16 hex digits, `%RTbool` is true/false, `%Rrc` the status define, `%3d` pads).
This file holds only log lines and the expected FILE:FUNCTION (no VirtualBox code).
Prints hit@1, hit@3, weak hits and every miss (bench/loglinecheck.py); exit 1 on a miss.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loglinecheck  # noqa: E402

CORPUS = "virtualbox-vmm@6.1.36"

# (VBox.log line, expected "FILE:FUNCTION" of the first result; FILE = base name)
CASES = [
    ("00:00:00.664186 TM: cTSCTicksPerSecond=3 478 274 491 (0xcf5241bb) enmTSCMode=1 (VirtTscEmulated)",
     "TM.cpp:TMR3Init"),
    ("00:00:00.664187 TM: TSCTiedToExecution=false TSCNotTiedToHalt=false", "TM.cpp:TMR3Init"),
    ("00:00:00.912000 TM: TMR3InitFinalize: fTSCModeSwitchAllowed=true", "TM.cpp:TMR3InitFinalize"),
    ("00:03:12.000001 TM: Aborting catch-up attempt on reset with a 12 345 678 ns lag on reset; "
     "new total: 98 765 432 ns", "TM.cpp:TMR3Reset"),
    ("00:00:05.123456 GIM: KVM: VCPU  0: Enabled system-time struct. at 0x000000007ffe1000 - "
     "u32TscScale=0x9d1e5e4b i8TscShift=-1 uVersion=2 fFlags=0x1 uTsc=0x2d3a5d1e4f "
     "uVirtNanoTS=0x3b9aca00 TscKHz=3478274", "GIMKvm.cpp:gimR3KvmUpdateSystemTime"),
    ("00:00:05.123457 GIM: KVM: VCPU  1: Failed to write system-time struct. at 0x000000007ffe1040. "
     "rc=VERR_PGM_PHYS_PAGE_RESERVED", "GIMKvm.cpp:gimR3KvmUpdateSystemTime"),
    ("00:00:05.200000 GIM: KVM: Enabled wall-clock struct. at 0x000000007ffe2000 - u32Sec=1700000000 "
     "u32Nano=123456789 uVersion=2", "GIMKvm.cpp:gimR3KvmEnableWallClockCallback"),
    ("00:00:00.700001 HM: MSR_IA32_VMX_MISC                 = 0x7004c1e7", "HM.cpp:hmR3VmxReportMiscMsr"),
    ("00:00:00.700002 HM:   VMWRITE_ALL                       = true", "HM.cpp:hmR3VmxReportMiscMsr"),
    ("00:00:00.700003 HM: AMD-V max ASID                    = 32768", "HM.cpp:hmR3InitFinalizeR0Amd"),
    ("00:00:00.700004 HM: VCPU  0: VMCS physaddr            = 0x0000000123456000",
     "HM.cpp:hmR3InitFinalizeR0Intel"),
    ("00:00:00.810000 EM: Exit history optimizations: enabled=true enabled-r0=true "
     "enabled-r0-no-preemption=false", "EM.cpp:EMR3InitCompleted"),
    ("00:00:00.300000 CPUM: Logical host processors: 8 present, 8 max, 8 online, online mask: "
     "00000000000000ff", "CPUM.cpp:CPUMR3LogCpuIdAndMsrFeatures"),
    ("00:00:00.300001 CPUM: Querying hardware-virtualization MSRs failed. rc=VERR_ACCESS_DENIED",
     "CPUM.cpp:cpumR3GetHostHwvirtMsrs"),
    ("00:00:07.000000 APIC0: Attempt to relocate base to 0x00000000fee01000, unsupported -> #GP(0)",
     "APICAll.cpp:APICSetBaseMsr"),
    ("00:00:00.400000 PGM: /proc/sys/vm/max_map_count = 65530 (rc2=VINF_SUCCESS); cGuessNeeded=1234",
     "PGM.cpp:PGMR3Init"),
    # a thread column (RTLOGFLAGS_PREFIX_THREAD) between the time stamp and the text
    ("00:00:01.000000 EMT-0    APIC0: u64InitialCountLoadTime  = 0x1a2b3c4d", "APIC.cpp:apicR3DumpState"),
    # --- audit W (s32): GIM, HM, APIC, PDM, CPUM; a macro handing its format to another
    # macro; an IPRT assertion report pasted whole
    ("00:00:00.612345 TM: GIP - CPU: iCpuSet=0x3 idCpu=0x3 idApic=0x6 iGipCpu=0x3 i64TSCDelta=-12 "
     "enmState=3 u64CpuHz=2893432000(*) cErrors=0", "TM.cpp:TMR3Init"),
    ("00:00:01.000000 GIM: HyperV: Queried extended hypercall capabilities 0x1 at 0x000000007ffe1000",
     "GIMHv.cpp:gimR3HvHypercallExtQueryCap"),
    ("00:00:00.400000 CPUM1: Failed to alloc 1 pages for the nested-guest's virtual-APIC page",
     "CPUM.cpp:cpumR3AllocVmxHwVirtState"),
    ("00:00:00.800001 HM: CPU[1] ExitCtls             0x3fefff", "HM.cpp:hmR3CheckErrorLogVmcsCtls"),
    ("00:00:00.500000 APIC: fPostedIntrsEnabled=false fVirtApicRegsEnabled=false "
     "fSupportsTscDeadline=true", "APIC.cpp:apicR3InitComplete"),
    ("00:10:00.000000 PDMR3Suspend: Driver 'VD'/0 on LUN#0 of device 'ahci'/0 took 1 234 567 ns "
     "to suspend", "PDM.cpp:pdmR3SuspendDrv"),
    ("00:00:10.000000 GIM: KVM: Unknown/invalid WrMsr (0x4b564d05,0x0`00000000) -> #GP(0)",
     "GIMAllKvm.cpp:gimKvmWriteMsr"),
    ("00:05:00.000000 I/O cache: Error while writing entry at offset 1048576 (65536 bytes) to "
     "medium \"ahci-0-0\" (rc=VERR_DISK_FULL)", "PDMBlkCache.cpp:pdmBlkCacheIoXferCompleteEntry"),
    ("00:00:00.300001 GIM: Minimal: Failed to insert hypervisor leaf 0x40000010. rc=VERR_NO_MEMORY",
     "GIMMinimal.cpp:gimR3MinimalInit"),
    ("00:01:00.200000 GIM0: HyperV: Synthetic interrupt control disabled", "GIMAllHv.cpp:gimHvWriteMsr"),
    ("00:00:00.900000 VMSetError: Configuration error: Unrecognized TM TSC mode value \"Bogus\"",
     "TM.cpp:TMR3Init"),
    ("00:00:00.805000 NEM:                       fExtendedMsrExit: 1",
     "NEMR3Native-win.cpp:nemR3WinInitCheckCapabilities"),
    ("00:00:05.000000 !!Assertion Failed!!\n00:00:05.000000 Expression: <NULL>\n"
     "00:00:05.000000 Location  : /home/vbox/tinderbox/6.1-lnx64-rel/src/VBox/VMM/VMMAll/TMAll.cpp"
     "(1533) int tmTimerVirtualSyncSetRelative(PVMCC, PTMTIMER, uint64_t, uint64_t *)\n"
     "00:00:05.000000 Invalid timer state PENDING_STOP: VMMDev Heartbeat",
     "TMAll.cpp:tmTimerVirtualSyncSetRelative"),
]


if __name__ == "__main__":
    sys.exit(loglinecheck.main(sys.argv, CORPUS, CASES, __doc__.split("\n\n")[1]))
