"""Answers on Linux 6.1 KVM, verified by reading the code."""
from __future__ import annotations

import pytest

X86 = "arch/x86/kvm/x86.c"
XEN = "arch/x86/kvm/xen.c"
CPUID = "arch/x86/kvm/cpuid.c"
KVMCLOCK = "arch/x86/kernel/kvmclock.c"


def fs(results):
    return {(r["file"], r["function"]) for r in results}


def test_def_kvm_guest_time_update(linux):
    r = linux("def kvm_guest_time_update")
    assert [(x["file"], x["line"]) for x in r] == [(X86, linux.L(X86, 3120))]


def test_callers_kvm_guest_time_update(linux):
    assert fs(linux("callers kvm_guest_time_update")) == {(X86, "vcpu_enter_guest")}


RAISES_CLOCK_UPDATE = {
    (X86, "kvm_end_pvclock_update"), (X86, "kvm_guest_time_update"), (X86, "kvmclock_update_fn"),
    (X86, "kvm_gen_kvmclock_update"), (X86, "kvm_set_msr_common"), (X86, "kvm_arch_vcpu_load"),
    (X86, "kvm_set_guest_paused"), (X86, "__kvmclock_cpufreq_notifier"), (X86, "vcpu_enter_guest"),
    (X86, "kvm_arch_hardware_enable"), (XEN, "kvm_xen_vcpu_set_attr"),
}


def test_raises_clock_update_exact(linux):
    r = linux("raises KVM_REQ_CLOCK_UPDATE")
    assert fs(r) == RAISES_CLOCK_UPDATE
    assert len(r) == 12  # two raises in kvm_xen_vcpu_set_attr
    assert not any("kvm_check_request" in x["text"] for x in r)


def test_consumes_clock_update_leads_to_time_update(linux):
    r = linux("consumes KVM_REQ_CLOCK_UPDATE")
    assert [(x["function"], "kvm_guest_time_update" in x["runs"]) for x in r] == [
        ("vcpu_enter_guest", True)]


def test_raises_masterclock_through_wrappers(linux):
    r = linux("raises KVM_REQ_MASTERCLOCK_UPDATE")
    vias = {x["via"] for x in r}
    assert "kvm_make_all_cpus_request" in vias and "kvm_make_request" in vias


def test_callers_vmx_and_svm_set_msr_are_indirect(linux):
    for f in ("vmx_set_msr", "svm_set_msr"):
        r = linux(f"callers {f}")
        assert (X86, "__kvm_set_msr", "static-call") in {(x["file"], x["function"], x["edge"]) for x in r}


def test_paths_from_vcpu_ioctl_through_static_call_to_msr_handler(linux):
    # (the TSC_ADJUST raise runs under !host_initiated: from the ioctl only through the
    # nested-state reset, 10 calls; a path is at most `depth` calls long)
    r = linux("raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 10")
    assert all(x["paths"] for x in r), "every raise has a path from an entry point"
    msr = [x for x in r if x["function"] == "kvm_set_msr_common"][0]
    hops = [[h["function"] for h in p] for p in msr["paths"]]
    assert any(p[0] == "kvm_vcpu_ioctl" and "__kvm_set_msr" in p for p in hops)
    end = [x for x in r if x["function"] == "kvm_end_pvclock_update"][0]
    assert any(p[0]["function"] == "kvm_vm_ioctl" and "case KVM_SET_CLOCK" in p[1].get("via", "")
               for p in end["paths"])


def test_paths_respect_host_initiated(linux):
    """kvm_set_msr_common calls kvm_synchronize_tsc under `if (msr_info->host_initiated)` and
    raises KVM_REQ_CLOCK_UPDATE for MSR_IA32_TSC_ADJUST under `!msr_info->host_initiated`:
    guest WRMSRs (kvm_emulate_wrmsr, kvm_set_msr: false) reach only the second, KVM_SET_MSRS
    (do_set_msr: true) only the first."""
    assert linux("path vmx_handle_exit -> kvm_synchronize_tsc") == []
    r = linux("path kvm_arch_vcpu_ioctl -> kvm_synchronize_tsc")
    assert r and all("do_set_msr" in [h["function"] for h in p] for x in r for p in x["paths"])
    # (the TSC_ADJUST raise runs under !host_initiated: from the ioctl only through the
    # nested-state reset, 10 calls; a path is at most `depth` calls long)
    r = linux("raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 10")
    adjust = [x for x in r if x["function"] == "kvm_set_msr_common"][0]
    hops = [[h["function"] for h in p] for p in adjust["paths"]]
    assert hops and not any("do_set_msr" in p for p in hops), hops
    # the masterclock request of kvm_write_system_time needs `vcpu_id == 0 && !host_initiated`
    r = linux("path do_set_msr -> kvm_guest_time_update")
    lines = [(h["function"], h["line"]) for x in r for p in x["paths"] for h in p]
    assert ("kvm_write_system_time", linux.L(X86, 2355)) in lines
    assert ("kvm_write_system_time", linux.L(X86, 2349)) not in lines


@pytest.mark.parametrize("query,expected", [
    ("writes pvclock_vcpu_time_info.tsc_to_system_mul",
     {(X86, "__get_kvmclock", "out-param"), (X86, "kvm_guest_time_update", "out-param"),
      (X86, "kvm_setup_guest_pvclock", "whole-object"),
      ("arch/x86/kernel/kvmclock.c", "kvmclock_init_mem", "whole-object")}),
    ("writes kvm_x86_ops.set_msr",
     {("arch/x86/kvm/vmx/vmx.c", "", "designated"), ("arch/x86/kvm/svm/svm.c", "", "designated"),
      (X86, "kvm_ops_update", "whole-object")}),
])
def test_writes_exact(linux, query, expected):
    assert {(x["file"], x["function"], x["write_kind"]) for x in linux(query)} == expected


def test_stats_resolution_rates(linux):
    from vmxref import api
    row = api.stats(linux.scope)[0]
    assert float(row["parse_error_share"].split()[0]) <= 0.5
    assert row["functions"] > 3000


def test_feature_bit_numbers_advertised_and_tested(linux):
    """KVM_FEATURE_CLOCKSOURCE_STABLE_BIT is a bit number: cpuid.c advertises it in a
    multi-line `(1 << ...)` mask, kvmclock.c tests it through kvm_para_has_feature()."""
    assert [(r["file"], r["line"]) for r in linux("raises KVM_FEATURE_CLOCKSOURCE_STABLE_BIT")] == [
        (CPUID, linux.L(CPUID, 1144))]
    assert [(r["file"], r["line"]) for r in linux("consumes KVM_FEATURE_CLOCKSOURCE_STABLE_BIT")] == [
        (KVMCLOCK, linux.L(KVMCLOCK, 317))]
