"""Real-corpus tier: dmesg lines written from Linux 6.1 KVM's own format strings map back to
the statement that prints them, as the first `logline` result.

Each line is what the kernel would print: values filled in, the file's pr_fmt (`SVM: `,
`pit: `, `kvm-guest: `) for pr_* calls, the `kvm [PID]: vcpuN, guest rIP: 0x... ` that
kvm_pr_unimpl / vcpu_unimpl add, KERN_ levels and dmesg timestamps, WARN()-style messages.
A few lines carry the module-name prefix newer kernels add (`kvm_intel: `, `kvm_amd: `,
`kvm: ` from `KBUILD_MODNAME ": "`), which 6.1's sources do not yet define.
"""
from __future__ import annotations

import pytest

from vmxref.queries.logline import logline

# (dmesg line, expected file:line of the printing statement)
CASES = [
    # pr_err_ratelimited with the format's own "kvm: " (6.1 has no pr_fmt in x86.c)
    ("[   12.345678] kvm: no hardware support for 'kvm_intel'", "arch/x86/kvm/x86.c:9461"),
    # pr_warn_once
    ("[  301.000017] kvm: MONITOR instruction emulated as NOP!", "arch/x86/kvm/x86.c:2133"),
    # vcpu_unimpl -> kvm_pr_unimpl -> pr_err_ratelimited: "kvm [%i]: vcpu%i, guest rIP: 0x%lx "
    ("[  100.000001] kvm [4321]: vcpu0, guest rIP: 0xffffffff8107a1b4 Unhandled WRMSR(0x1a0) = 0x850089",
     "arch/x86/kvm/x86.h:337"),
    ("[  100.000002] kvm [4321]: vcpu3, guest rIP: 0xffffffff81079d02 Unhandled RDMSR(0x4b564d05)",
     "arch/x86/kvm/x86.h:343"),
    # kvm_pr_unimpl directly
    ("[   45.678901] kvm [2210]: ignored wrmsr: 0x1d9 data 0x0", "arch/x86/kvm/x86.c:324"),
    # vcpu_unimpl in a file with pr_fmt "SVM: " (pr_err_ratelimited expands there)
    ("[  512.120000] SVM: kvm [977]: vcpu2, guest rIP: 0xffffffff8105e3c1 Unknown avic incomplete IPI interception",
     "arch/x86/kvm/svm/avic.c:553"),
    # pr_info under pr_fmt "SVM: " whose format also says "kvm: "
    ("[    4.010203] SVM: kvm: Nested Paging enabled", "arch/x86/kvm/svm/svm.c:5123"),
    # printk(KERN_INFO ...) in the same file: printk does not add pr_fmt
    ("[    4.010190] kvm: Nested Virtualization enabled", "arch/x86/kvm/svm/svm.c:5105"),
    # pr_warn_ratelimited under pr_fmt "SVM: "
    ("[  777.000001] SVM: set kvm_amd.dump_invalid_vmcb=1 to dump internal KVM state.",
     "arch/x86/kvm/svm/svm.c:3271"),
    # pr_info_ratelimited, adjacent literals, pr_fmt "pit: "
    ("[   60.500000] pit: kvm: requested 48000 ns i8254 timer period limited to 200000 ns",
     "arch/x86/kvm/i8254.c:353"),
    # pr_pic_unimpl: pr_err_ratelimited("kvm: pic: " fmt)
    ("[   61.000000] kvm: pic: level sensitive irq not supported", "arch/x86/kvm/i8259.c:317"),
    # printk_once
    ("[  900.123456] kvm: Fast #PF retrying more than 4 times.", "arch/x86/kvm/mmu/mmu.c:3415"),
    # vmx_insn_failed(fmt...) -> WARN_ONCE + pr_warn_ratelimited
    ("[ 1234.567890] kvm: vmwrite failed: field=6c16 val=ffffffff81e00b40 err=12",
     "arch/x86/kvm/vmx/vmx.c:457"),
    # WARN(1, ...) message line (the WARNING: line follows it)
    ("[  333.333333] unhandled write to CR9", "arch/x86/kvm/svm/svm.c:2591"),
    # WARN_ONCE
    ("[  333.333334] Invalid local APIC state", "arch/x86/kvm/vmx/vmx.c:6680"),
    # dump_vmcs host state (zero-padded %016lx)
    ("[ 2000.000100] CR0=0000000080050033 CR3=000000010a4de003 CR4=00000000003726e0",
     "arch/x86/kvm/vmx/vmx.c:6303"),
    # pr_debug_ratelimited with a format-own prefix
    ("[   70.000070] kvm_pmu: event creation failed -2 for pmc->idx = 3", "arch/x86/kvm/pmu.c:205"),
    # kvm_err: pr_err("kvm [%i]: " fmt) with __func__
    ("[   80.080808] kvm [3141]: kvm_vm_worker_thread: cgroup_attach_task_all failed with err -12",
     "virt/kvm/kvm_main.c:6090"),
    # one line of a multi-line pr_err format
    ("[  404.000404] as_id: 0 gfn: 7f3a2 old_spte: 6000000128a0b77 new_spte: 6000000128a1b77 level: 1",
     "arch/x86/kvm/mmu/tdp_mmu.c:475"),
    # guest side: kvmclock (no pr_fmt) and pr_err_once under pr_fmt "kvm-guest: "
    ("[    0.000000] kvm-clock: using sched offset of 3164470371 cycles", "arch/x86/kernel/kvmclock.c:101"),
    ("[    1.100000] kvm-guest: host does not support poll control", "arch/x86/kernel/kvm.c:1139"),
    # SEV-ES under sev.c (no pr_fmt in 6.1)
    ("[    3.900000] SEV-ES enabled (ASIDs 1 - 99)", "arch/x86/kvm/svm/sev.c:2269"),
    # syslog form with KERN level number, dmesg -T stamp
    ("<4>[  12.000001] kvm: SMP vm created on host with unstable TSC; guest TSC will not be reliable",
     "arch/x86/kvm/x86.c:11982"),
    ("[Mon Mar  4 10:11:12 2024] kvm: emulating exchange as write", "arch/x86/kvm/x86.c:7800"),
    # newer kernels' KBUILD_MODNAME prefixes on 6.1 formats
    ("[    5.000000] kvm_intel: kvm: VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL does not work properly. Using workaround",
     "arch/x86/kvm/vmx/vmx.c:8408"),
    ("[    5.000001] kvm_intel: VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL does not work properly. Using workaround",
     "arch/x86/kvm/vmx/vmx.c:8408"),
    ("[    5.000002] kvm_amd: Virtual GIF supported", "arch/x86/kvm/svm/svm.c:5174"),
    ("[    5.000003] kvm: host PAT[0] is not WB", "arch/x86/kvm/x86.c:9495"),
    # WARN_ON_ONCE / BUG_ON: the WARNING / BUG line names the statement
    ("[  210.000000] WARNING: CPU: 3 PID: 4242 at arch/x86/kvm/x86.c:7812 "
     "emulator_pio_in_out+0x1c4/0x1e0 [kvm]", "arch/x86/kvm/x86.c:7812"),
    ("[  211.000000] kernel BUG at arch/x86/kvm/mmu/mmu.c:1112!", "arch/x86/kvm/mmu/mmu.c:1112"),
    # trace events: trace_pipe / trace-cmd report / perf script lines -> the event's TP_printk
    ("       CPU 0/KVM-2345    [003] d..1.  8123.456789: kvm_pvclock_update: vcpu_id 0, pvclock "
     "{ version 4, tsc_timestamp 0x5f0c2a1b3c, system_time 0x1bc16d674ec80000, tsc_to_system_mul "
     "0xa6d6e3a1, tsc_shift -1, flags 0x3 }", "arch/x86/kvm/trace.h:1019"),
    ("CPU 1/KVM-2346  [001]  8123.500000: kvm_write_tsc_offset: vcpu=1 prev=0 next=18446744002003771392",
     "arch/x86/kvm/trace.h:892"),
    # the event made by a macro's use (TRACE_EVENT_KVM_EXIT(kvm_exit)), the exit reason printed
    ("qemu-system-x86-2345 [000] d..1. 42.0: kvm_exit: vcpu 0 reason EPT_VIOLATION rip 0xffffffff8103a1c2 "
     "info1 0x0000000000000181 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
     "arch/x86/kvm/trace.h:322"),
    # "msr_%s %x = 0x%llx%s" has no word of its own: the event name finds it
    ("  CPU 0/KVM  2345 [003]  8123.600000: kvm:kvm_msr: msr_write 4b564d01 = 0x7ffc001",
     "arch/x86/kvm/trace.h:443"),
    # a format #defined in the file and printed by its name (pr_warn_once(L1TF_MSG_SMT)), one
    # made of two literals over a continued #define line (pr_warn_once(SMT_RSB_MSG))
    ("[  900.000000] L1TF CPU bug present and SMT on, data leak possible. See CVE-2018-3646 "
     "and https://www.kernel.org/doc/html/latest/admin-guide/hw-vuln/l1tf.html for details.",
     "arch/x86/kvm/vmx/vmx.c:7523"),
    ("[  901.000000] This processor is affected by the Cross-Thread Return Predictions "
     "vulnerability. KVM_CAP_X86_DISABLE_EXITS should only be used with SMT disabled or "
     "trusted guests.", "arch/x86/kvm/x86.c:6286"),
    # a multi-line message pasted with each line's own dmesg stamp
    ("[  701.000000] Invalid SPTE change: cannot replace a present leaf\n"
     "[  701.000000] SPTE with another present leaf SPTE mapping a\n"
     "[  701.000000] different PFN!", "arch/x86/kvm/mmu/tdp_mmu.c:475"),
]


@pytest.mark.parametrize("line,expected", CASES, ids=[f"{i:02d}" for i in range(len(CASES))])
def test_logline_first_result(linux, line, expected):
    """The statement that prints the line is the first result."""
    results = logline(linux.scope, linux.text(line))  # (a WARNING names its own line)
    got = [f"{s.file}:{s.line}" for s in results]
    assert got and got[0] == linux.text(expected), f"{line!r}: got {got[:3]}"


def test_logline_trace_event_names_where_it_fires(linux):
    """A trace event's result lists the trace_EVENT() calls, also those written through a
    wrapper macro (trace_kvm_msr_write(ecx, data) -> trace_kvm_msr(1, ...))."""
    top = logline(linux.scope, "kvm_write_tsc_offset: vcpu=1 prev=0 next=5")[0]
    assert top.extra["emitted_by"] == [linux.text("arch/x86/kvm/x86.c:2601: kvm_vcpu_write_tsc_offset")]
    top = logline(linux.scope, "kvm_msr: msr_read 4b564d01 = 0x7ffc001")[0]
    assert linux.text("arch/x86/kvm/x86.c:2065: kvm_emulate_rdmsr") in top.extra["emitted_by"]
    assert all("trace.h" not in e for e in top.extra["emitted_by"])


def test_logline_spans_name_the_arguments(linux):
    """The first result says which part of the line each argument produced."""
    line = "[  100.000001] kvm [4321]: vcpu0, guest rIP: 0xffffffff8107a1b4 Unhandled WRMSR(0x1a0) = 0x850089"
    top = logline(linux.scope, line)[0]
    spans = [(s["arg"], s["text"]) for s in top.extra["spans"]]
    assert (0, "1a0") in spans and (1, "850089") in spans
    assert top.function == "kvm_pr_unimpl_wrmsr"


def test_logline_cli(linux):
    """`vmxref logline` prints the statement first and exits 0; nothing found exits 1."""
    from click.testing import CliRunner
    from vmxref.cli import cli as main
    runner = CliRunner()
    r = runner.invoke(main, ["logline", "kvm: emulating exchange as write",
                             "--index", str(linux.index)])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith(linux.text("arch/x86/kvm/x86.c:7800:"))
    r = runner.invoke(main, ["logline", "zzqx nothing prints this qqzz", "--index", str(linux.index)])
    assert r.exit_code == 1


def test_logline_trace_event_fired_at_keeps_to_the_printed_flags(linux):
    """`msr_write` without ` (#GP)`: trace_kvm_msr_write only (trace_kvm_msr(1, .., false));
    the reads and the `_ex` writers cannot print it."""
    top = logline(linux.scope, "kvm_msr: msr_write 4b564d01 = 0x7ffc001")[0]
    assert top.extra["emitted_by"] == [linux.text(e) for e in (
        "arch/x86/kvm/x86.c:2090: kvm_emulate_wrmsr",
        "arch/x86/kvm/x86.c:2211: handle_fastpath_set_msr_irqoff",
        "arch/x86/kvm/x86.c:8167: emulator_set_msr_with_filter")]
    top = logline(linux.scope, "kvm_pio: pio_read at 0x70 size 1 count 1 val 0x5")[0]
    assert all("pio_in" in e for e in top.extra["emitted_by"])  # KVM_PIO_OUT is #defined 1
