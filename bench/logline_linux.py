"""`vmxref logline` on Linux 6.1 KVM: dmesg and trace lines map back to their statements.

    /work/venv/bin/python bench/logline_linux.py LINUX_ROOT_OR_INDEX

LINUX_ROOT_OR_INDEX is a Linux 6.1 tree (arch/x86/kvm, virt/kvm and the headers of the
linux-kvm profile; indexed into a temporary directory as linux-kvm@6.1) or an existing index
directory holding it. The lines below were written by hand from the format strings of that
version, with values filled in the way the kernel prints them: dmesg `[ 1234.567890] `
stamps (also `dmesg -T`, syslog and Debian 12's RFC 3339 kern.log stamps), the file's
`pr_fmt` (`SVM: `, `pit: `, `kvm-guest: `) before a pr_* call's text but not before
printk's or WARN's, the prefixes of wrapper macros (`kvm [PID]: vcpuN, guest rIP: 0x... `
of vcpu_unimpl, `kvm: pic: ` of pr_pic_unimpl), `%p` as a hashed 16-digit pointer,
`%*pb` as comma-separated 32-bit hex chunks, `%-20s` padded, `__func__` as the function's
name; trace lines as trace_pipe, trace-cmd report or perf script print them (`EVENT: ` then
the TP_printk text, `__print_symbolic` names, `__print_flags` joined by `|`).
This file holds only log lines and the expected FILE:FUNCTION (no Linux code); for a trace
line FUNCTION is the event (the TP_printk row vmxref reports).
Prints hit@1, hit@3, weak hits and every miss (bench/loglinecheck.py); exit 1 on a miss.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loglinecheck  # noqa: E402

CORPUS = "linux-kvm@6.1"

_T = " qemu-system-x86-4321    [002] d..1.  5123.456789: "   # a trace_pipe line's head

# (log line, expected "FILE:FUNCTION" of the first result; FILE = base name)
CASES = [
    # --- clock / TSC
    ("[ 1234.567890] kvm: SMP vm created on host with unstable TSC; guest TSC will not be "
     "reliable", "x86.c:kvm_arch_vcpu_precreate"),            # two literals joined
    ("[  301.112233] Invalid TSC scaling ratio - virtual-tsc-khz=9000000", "x86.c:set_tsc_khz"),
    ("[  301.112234] user requested TSC rate below hardware speed", "x86.c:set_tsc_khz"),
    ("[  301.112235] kvm: requested TSC rate 2000000 falls outside tolerance [2999750,3000250]",
     "x86.c:kvm_set_tsc_khz"),
    # pr_debug with dynamic debug's module:function:line decoration (+mfl)
    ("[  301.112236] kvm:kvm_set_tsc_khz:2482: kvm: requested TSC rate 3500000 falls outside "
     "tolerance [2999750,3000250]", "x86.c:kvm_set_tsc_khz"),
    ("[    0.000000] kvm-clock: using sched offset of 4812345678 cycles",
     "kvmclock.c:kvm_sched_clock_init"),
    ("[    0.000010] kvm-clock: cpu 1, msr 23fc2e041, secondary cpu clock",
     "kvmclock.c:kvm_register_clock"),
    (_T + "kvm_pvclock_update: vcpu_id 0, pvclock { version 2, tsc_timestamp 0x2d3a5d1e4f, "
     "system_time 0x3b9aca00, tsc_to_system_mul 0x9d1e5e4b, tsc_shift -1, flags 0x3 }",
     "trace.h:kvm_pvclock_update"),
    (_T + "kvm_track_tsc: vcpu_id 1 masterclock 1 offsetmatched 2 nr_online 2 hostclock tsc",
     "trace.h:kvm_track_tsc"),
    (_T + "kvm_update_master_clock: masterclock 1 hostclock tsc offsetmatched 1",
     "trace.h:kvm_update_master_clock"),
    (_T + "kvm_write_tsc_offset: vcpu=0 prev=0 next=18446744069414584320",
     "trace.h:kvm_write_tsc_offset"),
    ("[  500.000004] TSC Multiplier = 0x0001000000000000", "vmx.c:dump_vmcs"),
    ("[  500.000001] SVM: tsc_offset:         fffffffe3a5e0000", "svm.c:dump_vmcb"),
    # --- wrapper macros that paste a prefix
    ("[   12.000001] kvm [4321]: vcpu0, guest rIP: 0xffffffff8106d4a2 Unhandled WRMSR(0x10f) = "
     "0x0", "x86.h:kvm_pr_unimpl_wrmsr"),
    ("[  412.000000] kvm [4321]: ignored rdmsr: 0xc0011029 data 0x0",
     "x86.c:kvm_msr_ignored_check"),
    ("[  709.000000] SVM: kvm [4321]: vcpu2, guest rIP: 0xfffff80312345678 svm: unexpected exit "
     "reason 0x403", "svm.c:svm_handle_invalid_exit"),
    ("[  709.000001] kvm [4321]: vcpu2, guest rIP: 0xfffff80312345678 vmx: unexpected exit "
     "reason 0x45", "vmx.c:__vmx_handle_exit"),
    ("[  708.000000] kvm [4321]: vcpu0 hv crash (0x0 0x1 0x2 0x3 0x4)",
     "hyperv.c:kvm_hv_set_msr_pw"),
    ("[  513.000000] kvm [4321]: kvm_vm_worker_thread: cgroup_attach_task_all failed with "
     "err -12", "kvm_main.c:kvm_vm_worker_thread"),
    ("[  700.000000] kvm: pic: non byte write", "i8259.c:picdev_write"),
    ("[  701.000000] kvm: vmwrite failed: field=6c16 val=ffffffff81c0f2ef err=12",
     "vmx.c:vmwrite_error"),                                     # vmx_insn_failed(fmt...)
    ("[  516.000000] Guest always owns CR0.TS", "vmx.c:handle_cr"),   # KVM_BUG -> WARN_ONCE
    # rmap_printk's "%s: " + "%p 1->0" (a format without a word; printed by MMU_DEBUG builds)
    ("[  900.000001] pte_list_remove: 000000004a2b3c4d 1->0", "mmu.c:pte_list_remove"),
    # lib/ratelimit.c's count of what a rate-limited statement dropped names its function
    ("[   17.000000] kvm_pr_unimpl_wrmsr: 6 callbacks suppressed", "x86.h:kvm_pr_unimpl_wrmsr"),
    # --- formats #defined as string macros
    ("[  702.000000] L1TF CPU bug present and SMT on, data leak possible. See CVE-2018-3646 "
     "and https://www.kernel.org/doc/html/latest/admin-guide/hw-vuln/l1tf.html for details.",
     "vmx.c:vmx_vm_init"),
    ("[  703.000000] This processor is affected by the Cross-Thread Return Predictions "
     "vulnerability. KVM_CAP_X86_DISABLE_EXITS should only be used with SMT disabled or "
     "trusted guests.", "x86.c:kvm_vm_ioctl_enable_cap"),
    # --- similar formats, padded widths, pointers, bitmaps, pr_fmt
    ("[  600.000001] kvm: vcpu 0: requested 50000 ns lapic timer period limited to 200000 ns",
     "lapic.c:limit_periodic_timer_frequency"),
    ("[  600.000002] pit: kvm: requested 10000 ns i8254 timer period limited to 200000 ns",
     "i8254.c:create_pit_timer"),
    ("[  600.000003] kvm: vcpu 1: requested lapic timer restore with starting count register "
     "0x390=4096 (123456 ns) > initial count (100000 ns). Using initial count to start timer.",
     "lapic.c:set_target_expiration"),
    ("[  600.000004] pit: load_count val is 65535, channel is 0", "i8254.c:pit_load_count"),
    ("[  500.000012] SVM: cr3:            000000012f4a1000 cr4:          00000000003506f0",
     "svm.c:dump_vmcb"),
    ("[  500.000014] sw_exit_info_2      0000000000000000 is_valid: 0", "sev.c:dump_ghcb"),
    ("[  500.000006] valid_bitmap        00000000,00000000,0000ffff,c0000003",
     "sev.c:dump_ghcb"),
    ("[  710.000000] CS:   sel=0x0010, attr=0x0a09b, limit=0xffffffff, base=0x0000000000000000",
     "vmx.c:vmx_dump_sel"),
    ("[  710.000001]    3: msr=0xc0000102 value=0x0000000000000000", "vmx.c:vmx_dump_msrs"),
    ("[  710.000003] VMCS 00000000a1b2c3d4, last attempted VM-entry on CPU 3", "vmx.c:dump_vmcs"),
    ("[  710.000004] SVM: VMCB 000000003f2e1d0c, last attempted VMRUN on CPU 5",
     "svm.c:dump_vmcb"),
    ("[  712.000000] SVM: kvm: Nested Paging enabled", "svm.c:svm_hardware_setup"),
    ("[    2.345678] SVM: [Firmware Bug]: Cannot support x2AVIC due to AVIC is disabled",
     "avic.c:avic_hardware_setup"),                             # pr_warn(FW_BUG "...")
    ("[  712.000001] kvm: Nested Virtualization enabled", "svm.c:svm_hardware_setup"),
    # one format in two files: only SVM's pr_fmt tells them apart
    ("[  650.000000] SVM: no route for guest_irq 24/0 (broken user space?)",
     "avic.c:avic_pi_update_irte"),
    ("[  650.000001] no route for guest_irq 24/0 (broken user space?)",
     "posted_intr.c:vmx_pi_update_irte"),
    ("[  650.000004] Not enough msr switch entries. Can't add msr 3f1",
     "vmx.c:add_atomic_switch_msr"),                               # printk_once, 2 literals
    ("[  510.000001] __vmx_handle_exit: Breaking out of NMI-blocked state on VCPU 1 after 1 s "
     "timeout", "vmx.c:__vmx_handle_exit"),
    ('[    0.123457] kvm-guest: PV spinlocks disabled, forced by "nopvspin" parameter',
     "kvm.c:kvm_spinlock_init"),
    ("[    0.200000] kvm-guest: setup_efi_kvm_sev_migration : EFI runtime services are not "
     "enabled", "kvm.c:setup_efi_kvm_sev_migration"),
    # one line of a multi-line format; pr_err + pr_cont on one dmesg line
    ("[  800.000001] different PFN!", "tdp_mmu.c:__handle_changed_spte"),
    ("[  710.000002] SVI|RVI = 00|00 TPR Threshold = 0x00", "vmx.c:dump_vmcs"),
    # --- log sources and stamps
    ("[Sun Nov 29 08:00:01 2026] kvm: MWAIT instruction emulated as NOP!",
     "x86.c:kvm_emulate_monitor_mwait"),
    ("2026-11-29T08:00:01.123456+00:00 hv01 kernel: kvm: MONITOR instruction emulated as NOP!",
     "x86.c:kvm_emulate_monitor_mwait"),                         # Debian 12 kern.log
    ("[  802.000000] ------------[ cut here ]------------\n"
     "[  802.000001] Bad TDP root level = 5\n"
     "[  802.000002] WARNING: CPU: 3 PID: 4321 at arch/x86/kvm/mmu/mmu.c:3596 "
     "mmu_alloc_direct_roots+0x2ac/0x2d0 [kvm]", "mmu.c:mmu_alloc_direct_roots"),
    # virt/kvm is built into kvm.ko from arch/x86/kvm: __FILE__ is arch/x86/kvm/../../../virt/..
    # (and an always-inline function's WARN names the function it was inlined into)
    ("[ 4242.000000] ------------[ cut here ]------------\n"
     "[ 4242.000001] WARNING: CPU: 5 PID: 4321 at arch/x86/kvm/../../../virt/kvm/kvm_main.c:587 "
     "kvm_mmu_notifier_invalidate_range_start+0x2d1/0x310 [kvm]",
     "kvm_main.c:__kvm_handle_hva_range"),
    ("[ 4243.000000] kernel BUG at arch/x86/kvm/../../../virt/kvm/kvm_main.c:464!",
     "kvm_main.c:kvm_mmu_memory_cache_alloc"),
    # --- trace events
    (_T + "kvm_entry: vcpu 0, rip 0xffffffff81c0f2ef", "trace.h:kvm_entry"),
    (_T + "kvm_exit: vcpu 0 reason EXTERNAL_INTERRUPT rip 0xffffffff81c0f2ef info1 "
     "0x0000000000000000 info2 0x0000000000000000 intr_info 0x800000fd error_code 0x00000000",
     "trace.h:kvm_exit"),
    ("qemu-system-x86  4321 [001]  8123.000100: kvm:kvm_nested_vmexit: vcpu 1 reason VMCALL rip "
     "0xffffffff8107a2b1 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 "
     "error_code 0x00000000", "trace.h:kvm_nested_vmexit"),      # perf script
    ("     qemu-kvm-4321  [001]  8123.000100: kvm_msr:              msr_write 6e0 = 0x1e3a5d2f4c",
     "trace.h:kvm_msr"),                                          # trace-cmd report
    (_T + "kvm_apic: apic_write APIC_TMICT = 0x3e8", "trace.h:kvm_apic"),
    (_T + "kvm_pio: pio_write at 0x70 size 1 count 1 val 0x8f ", "trace.h:kvm_pio"),
    (_T + "kvm_inj_exception: #GP (0x0)", "trace.h:kvm_inj_exception"),
    (_T + "kvm_cpuid: func 7 idx 0 rax 0 rbx 29c6fbf rcx 40000000 rdx bc000400, cpuid entry "
     "found", "trace.h:kvm_cpuid"),
    (_T + "kvm_nested_vmenter_failed: !page_address_valid(vcpu, vmcs12->io_bitmap_a)",
     "trace.h:kvm_nested_vmenter_failed"),
    (_T + "kvm_mmu_prepare_zap_page: sp gen 0 gfn 7f0 l1 8-byte q0 direct wux nxe ad root 0 sync",
     "mmutrace.h:kvm_mmu_prepare_zap_page"),
    (_T + "kvm_mmu_pagetable_walk: addr 7f1234561000 pferr 6 W|U",
     "mmutrace.h:kvm_mmu_pagetable_walk"),
    (_T + "fast_page_fault: vcpu 0 gva 7f1234561000 error_code W|U sptep 00000000d4c3b2a1 old "
     "0x6000007f0c065 new 6000007f0c067 spurious 0 fixed 1", "mmutrace.h:fast_page_fault"),
    (_T + "kvm_ack_irq: irqchip IOAPIC pin 14", "kvm.h:kvm_ack_irq"),
    (_T + "kvm_unmap_hva_range: mmu notifier unmap range: 0x00007f1234560000 -- "
     "0x00007f1234570000", "kvm.h:kvm_unmap_hva_range"),
    # --- audit W (s32): SEV, dumps, wrappers, trace events; lines whose blank runs were
    # collapsed (pasted through a web page), several lines pasted together
    ("[   88.123456] TODO: unsupported delivery mode 3", "lapic.c:__apic_accept_irq"),
    ("[  101.000001] SEV: 524288 locked pages exceed the lock limit of 16384.",
     "sev.c:sev_pin_memory"),
    ("[  103.123456] SEV-ES guest requested termination: 0x0:0x1",
     "sev.c:sev_handle_vmgexit_msr_protocol"),
    ("[  115.000001] vmgexit: scratch length (0xffffffffffffffff) not valid for scratch address "
     "(0x1000)", "sev.c:setup_vmgexit_scratch"),
    ("[  104.000001] SVM: ss:   s: 0018 a: 0c93 l: ffffffff b: 0000000000000000", "svm.c:dump_vmcb"),
    ("[  104.000002] SVM: vmpl: 0 cpl: 0 efer: 0000000000001d01", "svm.c:dump_vmcb"),
    ("[  104.000003] SVM: rip: ffffffff81a0b2c4 rflags: 0000000000000246", "svm.c:dump_vmcb"),
    ("[  105.000002] VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x5", "vmx.c:kvm_cpu_vmxon"),
    ("[  106.000001] GDTR: limit=0x0000007f, base=0xfffffe0000001000", "vmx.c:vmx_dump_dtsel"),
    ("[  106.000002] Sysenter RSP=fffffe0000003000 CS:RIP=0010:ffffffff81c01560\n"
     "[  106.000003] CS=0010 SS=0018 DS=0000 ES=0000 FS=0000 GS=0000 TR=0040", "vmx.c:dump_vmcs"),
    ("[  107.000001] kvm_pmu: event creation failed -2 for pmc->idx = 32",
     "pmu.c:pmc_reprogram_counter"),
    ("[  109.000001] kvm: enabling virtualization on CPU3 failed", "kvm_main.c:hardware_enable_nolock"),
    ("[    0.000000] kvm-clock: Using msrs 4b564d01 and 4b564d00", "kvmclock.c:kvmclock_init"),
    ("[    0.000001] kvmclock_init_mem: failed to alloc 4 pages", "kvmclock.c:kvmclock_init_mem"),
    ("[  110.000001] Local APIC read with len = 8, should be 1,2, or 4 instead",
     "lapic.c:kvm_lapic_reg_read"),
    ("[  111.000001] nested_vmx_get_vmexit_msr_value cannot read MSR (0x1d9)",
     "nested.c:nested_vmx_get_vmexit_msr_value"),
    ("[  113.000001] kvm [2345]: vcpu1, guest rIP: 0xffffffff8104f2e3 unhandled control register: "
     "op 2 cr 8", "vmx.c:handle_cr"),
    ("[  116.000001] irq bypass consumer (token 00000000c0ffee11) unregistration fails: -22",
     "x86.c:kvm_arch_irq_bypass_del_producer"),
    ("[   12.000001] kvm_intel: Inconsistent VM-Entry/VM-Exit pair, entry = 10000, exit = 20000",
     "vmx.c:setup_vmcs_config"),
    ("[   12.000006] kvm: no hardware support for 'kvm_intel'", "x86.c:kvm_x86_vendor_init"),
    (_T + "kvm_avic_unaccelerated_access: vcpu=1, offset=0x300(APIC_ICR), write, trap, vec=0xec",
     "trace.h:kvm_avic_unaccelerated_access"),
    (_T + "kvm_smm_transition: vcpu 0: entering SMM, smbase 0x30000", "trace.h:kvm_smm_transition"),
    (_T + "kvm_pi_irte_update: VT-d PI is enabled and being updated for irq 129, vcpu 2, gsi: 0x18, "
     "gvec: 0x22, pi_desc_addr: 0x10a4e7840", "trace.h:kvm_pi_irte_update"),
    (_T + "kvm_apicv_inhibit_changed: set reason=2, inhibits=0x4", "trace.h:kvm_apicv_inhibit_changed"),
    (_T + "kvm_ple_window_update: vcpu 3 old 4096 new 8192 (growed)", "trace.h:kvm_ple_window_update"),
    (_T + "kvm_vmgexit_msr_protocol_exit: vcpu 0, ghcb_gpa 0000000000000005, result 1",
     "trace.h:kvm_vmgexit_msr_protocol_exit"),
]


if __name__ == "__main__":
    sys.exit(loglinecheck.main(sys.argv, CORPUS, CASES, __doc__.split("\n\n")[1]))
