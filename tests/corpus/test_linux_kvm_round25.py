"""Real-corpus checks of answers verified against the Linux 6.1 sources in the audit of the
twenty-fifth session: a flag bit tested through a local mask (set once, then only ANDed and
compared) is consumed there and not raised where the mask is made."""
from __future__ import annotations

X86, SGX, VMCS, KVMC = ("arch/x86/kvm/x86.c", "arch/x86/kvm/vmx/sgx.c", "arch/x86/kvm/vmx/vmcs.h",
                        "arch/x86/kernel/kvm.c")


def _places(rows) -> set[tuple[str, int]]:
    return {(x["file"], x["line"]) for x in rows}


def test_an_enable_check_through_a_local_mask(linux):
    """kvm_pv_async_pf_enabled: `u64 mask = KVM_ASYNC_PF_ENABLED | ..._DELIVERY_AS_INT;
    return (vcpu->arch.apf.msr_en_val & mask) == mask;` tests both bits (860) and sets none
    (858); kvm_guest_cpu_init's `pa |= ...` (arch/x86/kernel/kvm.c) still raises them."""
    L = linux.L
    for flag in ("KVM_ASYNC_PF_ENABLED", "KVM_ASYNC_PF_DELIVERY_AS_INT"):
        assert (X86, L(X86, 860)) in _places(linux(f"consumes {flag}")), flag
        raised = _places(linux(f"raises {flag}"))
        assert (X86, L(X86, 858)) not in raised, flag
        assert (KVMC, L(KVMC, 357)) in raised, flag


def test_local_masks_of_feature_control_and_interruption_info(linux):
    """sgx_enabled_in_guest_bios: `const u64 bits = FEAT_CTL_SGX_ENABLED | FEAT_CTL_LOCKED;
    return (... & bits) == bits;`; is_exception_with_error_code: `u32 mask =
    INTR_INFO_VALID_MASK | INTR_INFO_DELIVER_CODE_MASK; return (intr_info & mask) == mask;`."""
    L = linux.L
    got = _places(linux("consumes FEAT_CTL_SGX_ENABLED"))
    assert (SGX, L(SGX, 368)) in got, got
    assert (SGX, L(SGX, 366)) not in _places(linux("raises FEAT_CTL_SGX_ENABLED"))
    got = _places(linux("consumes INTR_INFO_DELIVER_CODE_MASK"))
    assert (VMCS, L(VMCS, 163)) in got, got
    assert (VMCS, L(VMCS, 161)) not in _places(linux("raises INTR_INFO_DELIVER_CODE_MASK"))


def _runs(linux, query: str) -> dict[tuple[str, int], list[str]]:
    return {(x["file"], x["line"]): x["runs"] for x in linux(query)}


def test_what_a_request_test_runs_is_its_guarded_body(linux):
    """vcpu_enter_guest: `if (kvm_check_request(KVM_REQ_EVENT, vcpu) || req_int_win ||\\n
    kvm_xen_has_interrupt(vcpu)) {` guards static_call(kvm_x86_enable_irq_window)(vcpu);
    kvm_xen_has_interrupt is part of the condition. kvm_check_nested_events and
    vcpu_enter_guest call kvm_x86_ops.nested_ops->triple_fault(vcpu) under
    KVM_REQ_TRIPLE_FAULT."""
    L = linux.L
    runs = _runs(linux, "consumes KVM_REQ_EVENT")[(X86, L(X86, 10778))]
    assert "kvm_x86_ops.enable_irq_window" in runs and "kvm_apic_accept_events" in runs, runs
    assert "kvm_xen_has_interrupt" not in runs, runs
    runs = _runs(linux, "consumes KVM_REQ_TRIPLE_FAULT")
    assert runs[(X86, L(X86, 9937))] == ["kvm_x86_nested_ops.triple_fault"], runs
    assert "kvm_x86_nested_ops.triple_fault" in runs[(X86, L(X86, 10693))], runs
    got = _runs(linux, "consumes KVM_REQ_MSR_FILTER_CHANGED")[(X86, L(X86, 10771))]
    assert got == ["kvm_x86_ops.msr_filter_changed"], got
