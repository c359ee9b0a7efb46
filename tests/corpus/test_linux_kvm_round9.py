"""Real-corpus checks of answers verified against the Linux 6.1 sources in QA round 9 (the
eighth session): timer interrupt delivery, whole-object reads, member paths through
pointers, provenance through pointer parameters, queued callees, literals through ops
tables."""
from __future__ import annotations

X86, LAPIC, XEN, PFN = ("arch/x86/kvm/x86.c", "arch/x86/kvm/lapic.c", "arch/x86/kvm/xen.c",
                        "virt/kvm/pfncache.c")


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.get("from", []))


def test_lapic_timer_reaches_interrupt_delivery(linux):
    """APIC_LVTT selects the LVT register; the delivery mode switched on is read from it."""
    r = linux("path apic_timer_fn -> vmx_deliver_interrupt")
    assert r, "no path from the LAPIC timer to interrupt delivery"
    hops = [h["function"] for h in r[0]["paths"][0]]
    assert hops[:4] == ["apic_timer_fn", "apic_timer_expired",
                        "kvm_apic_inject_pending_timer_irqs", "kvm_apic_local_deliver"], hops


def test_whole_object_reads_of_hv_clock(linux):
    got = {(x["file"], x["line"], x.get("ref_kind")) for x in
           linux("reads kvm_vcpu_arch.hv_clock.tsc_timestamp")}
    L = linux.L
    # the memcpy into the guest's copy, and the trace event's
    assert {(X86, L(X86, 3109), "whole-object"), (X86, L(X86, 3117), "whole-object")} <= got
    assert (X86, L(X86, 6661), "whole-object") in {(x["file"], x["line"], x.get("ref_kind")) for x in
                                           linux("reads kvm_clock_data.clock")}  # copy_to_user


def test_member_paths_through_pointers(linux):
    assert {(x["file"], x["line"]) for x in linux("writes kvm_vcpu_arch.pv_time.active")} == {
        (PFN, linux.L(PFN, 396)), (PFN, linux.L(PFN, 412))}
    got = {x["line"] for x in linux("writes kvm_vcpu_arch.apic.lapic_timer.tscdeadline")
           if x["file"] == LAPIC}
    L = linux.L  # (no `arch.apic = apic`)
    assert got == {L(LAPIC, 1610), L(LAPIC, 1730), L(LAPIC, 1732), L(LAPIC, 1831),
                   L(LAPIC, 1848), L(LAPIC, 1880), L(LAPIC, 1922), L(LAPIC, 2435)}, got


def test_provenance_of_a_member_read_through_a_pointer_parameter(linux):
    (site, *_rest) = [x for x in linux("provenance kvm_vcpu_arch.st.msr_val depth 4")
                      if x["line"] == linux.L(X86, 3790)]
    got = {(n.get("file"), n.get("line")) for n in _walk(site["from"])}
    assert (X86, linux.L(X86, 1899)) in got  # __kvm_set_msr: msr.data = data
    assert (X86, linux.L(X86, 3631)) not in got  # data &= ~(u64)0x40 under another case


def test_callees_follow_queued_work(linux):
    got = {(x["symbol"], x["edge"]) for x in linux("callees pvclock_irq_work_fn")}
    assert ("pvclock_gtod_update_fn", "queued") in got


def test_a_zero_level_through_the_irq_routing_table_delivers_no_event_channel(linux):
    for x in linux("raises KVM_REQ_UNBLOCK | paths depth 5"):
        for p in x["paths"]:
            assert p[0]["function"] != "irqfd_shutdown", p


def test_msr_paths_show_both_vendors(linux):
    """Every path the search found for the MSR write into kvm_set_msr_common went through
    svm_set_msr; a path through vmx_set_msr is added (an Intel user sees one too)."""
    (site,) = [x for x in linux("raises KVM_REQ_CLOCK_UPDATE | paths")
               if (x["file"], x["line"]) == (X86, linux.L(X86, 3667))]
    vendors = {h["function"] for p in site["paths"] for h in p} & {"vmx_set_msr", "svm_set_msr"}
    assert vendors == {"vmx_set_msr", "svm_set_msr"}, site["paths"]
