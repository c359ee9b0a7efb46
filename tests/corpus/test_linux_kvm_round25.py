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
