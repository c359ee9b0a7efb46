"""Real-corpus checks of answers verified against the Linux 6.1 sources in the audits of the
twenty-eighth session: atomic increments as read-modify-writes, a function pointer handed on
through two parameters, `__func__` in a message, whole-object sources of a vmcs12 field, and
a callback member handed to a function that calls its parameter."""
from __future__ import annotations

X86, LAPIC, PI, AVIC, VMXN, VMCS12H, MAIN = (
    "arch/x86/kvm/x86.c", "arch/x86/kvm/lapic.c", "arch/x86/kvm/vmx/posted_intr.c",
    "arch/x86/kvm/svm/avic.c", "arch/x86/kvm/vmx/nested.c", "arch/x86/kvm/vmx/vmcs12.h",
    "virt/kvm/kvm_main.c")
X86H = "arch/x86/kvm/x86.h"


def _at(rows) -> dict[tuple[str, int], dict]:
    return {(r["file"], r["line"]): r for r in rows}


def test_atomic_inc_is_an_increment_that_reads(linux):
    """apic_timer_expired: atomic_inc(&apic->lapic_timer.pending); kvm_inject_nmi:
    atomic_inc(&vcpu->arch.nmi_queued) (was: out-param writes, no read)."""
    L = linux.L
    w = _at(linux("writes kvm_timer.pending"))
    assert w[(LAPIC, L(LAPIC, 1769))]["write_kind"] == "incdec", w
    r = _at(linux("reads kvm_vcpu_arch.nmi_queued"))
    assert r[(X86, L(X86, 816))]["ref_kind"] == "read-modify-write", r


def test_callees_through_a_parameter_handed_on(linux):
    """__msr_io's `do_msr(vcpu, ...)` (4292) calls what msr_io's callers pass:
    do_get_msr (5684), do_set_msr (5690), do_get_msr_feature (4690)."""
    L = linux.L
    got = {r["symbol"] for r in linux("callees __msr_io") if r["line"] == L(X86, 4292)}
    assert {"do_get_msr", "do_set_msr", "do_get_msr_feature"} <= got, got


def test_a_message_naming_its_function_through_func(linux):
    """posted_intr.c:330 `printk(KERN_INFO "%s: failed to update PI IRTE\\n", __func__)` in
    vmx_pi_update_irte prints that name; avic.c's pr_err of the same format prints
    avic_pi_update_irte's."""
    from vmxref.queries.logline import logline
    L = linux.L
    rows = [s.to_json() for s in logline(linux.scope, "vmx_pi_update_irte: failed to update PI IRTE")]
    assert (rows[0]["file"], rows[0]["line"]) == (PI, L(PI, 330)) and rows[0]["score"] > 0.95, rows[:2]
    assert all(r["score"] < 0.5 for r in rows if r["file"] == AVIC), rows


def test_whole_object_sources_of_a_vmcs12_field(linux):
    """vmcs12.guest_cr0 comes from user space (vmx_set_nested_state's copy_from_user, 6652)
    and from L1's VMWRITE through vmcs12_write_any's stores at a computed offset (413-422)."""
    L = linux.L
    got = _at(linux("provenance vmcs12.guest_cr0 depth 1"))
    assert (VMXN, L(VMXN, 6652)) in got and (VMCS12H, L(VMCS12H, 419)) in got, sorted(got)
    # nested_cache_shadow_vmcs12: kvm_read_guest_cached(.., get_shadow_vmcs12(vcpu), ..)
    got = _at(linux("writes vmcs12.guest_cr0"))
    assert got[(VMXN, L(VMXN, 671))]["write_kind"] == "whole-object", sorted(got)


def test_a_device_attribute_accessor_handed_to_the_function_that_calls_it(linux):
    """kvm_device_ioctl_attr(dev, dev->ops->set_attr, arg) (4366) calls `accessor(dev,
    &attr)` (4353): kvm_vfio_set_attr's caller, also on all of Linux's scale of `func`."""
    L = linux.L
    got = [(r["file"], r["line"]) for r in linux("callers kvm_vfio_set_attr")]
    assert (MAIN, L(MAIN, 4353)) in got, got


def test_a_write_found_by_two_routes_is_one_source(linux):
    """vmx_cache_reg's guest_owned_bits: prepare_vmcs02's write (nested.c:2551) was listed
    as `set in prepare_vmcs02()` and again among the member's writes anywhere."""
    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n.get("from", []))
    for root in linux("provenance kvm_vcpu_arch.cr0 depth 2"):
        for n in walk([root]):
            kids = [(k.get("file"), k.get("line"), k.get("value")) for k in n.get("from", [])
                    if k.get("file") and not k.get("seen")]
            hops = {}
            for k in n.get("from", []):
                if k.get("file") and not k.get("seen"):
                    hops.setdefault((k["file"], k["line"], k.get("value")), set()).add(k["hop"])
            assert all(len(h) == 1 for h in hops.values()), (n.get("file"), n.get("line"), kids)


def test_a_header_helper_prints_with_the_pr_fmt_of_the_file_calling_it(linux):
    """x86.h's kvm_pr_unimpl_wrmsr (an inline helper, no pr_fmt of its own) prints with
    svm.c's `SVM: ` when svm.c calls it (was: matched only as `contained`, lower)."""
    from vmxref.queries.logline import logline
    L = linux.L
    rows = [s.to_json() for s in logline(linux.scope, "SVM: kvm [2345]: vcpu1, guest rIP: "
                                         "0xffffffff81071234 Unhandled WRMSR(0xc0010015) = 0x0")]
    top = rows[0]
    assert (top["file"], top["line"]) == (X86H, L(X86H, 337)) and top["mode"] == "full", rows[:2]
    assert top["prefix"].startswith("SVM: "), top


def test_a_generic_kvm_trace_event_line_is_explained(linux):
    """include/trace/events/kvm.h's kvm_userspace_exit (fired in kvm_vcpu_ioctl): the header
    was outside the corpus, so its lines found nothing (audit F, D1)."""
    from vmxref.queries.logline import logline
    rows = [s.to_json() for s in logline(linux.scope, "kvm_userspace_exit: reason KVM_EXIT_IO (2)")]
    assert rows and rows[0]["file"] == "include/trace/events/kvm.h", rows[:1]
    assert any("kvm_vcpu_ioctl" in str(e) for e in rows[0].get("emitted_by", [])), rows[0]
