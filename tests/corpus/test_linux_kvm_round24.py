"""Real-corpus checks of answers verified against the Linux 6.1 sources in the audit of the
twenty-fourth session: provenance through struct out-parameters handed on and through
writes made via a pointer parameter, member copies by size, calls that hand an object on,
static-call keys installed through a second macro, the tester a deferred hop names."""
from __future__ import annotations

X86, SVMN, VMXN, HV = ("arch/x86/kvm/x86.c", "arch/x86/kvm/svm/nested.c",
                       "arch/x86/kvm/vmx/nested.c", "arch/x86/kvm/hyperv.c")


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.get("from", []))


def test_a_member_set_through_the_pointer_above_its_use(linux):
    """__get_kvmclock: data->clock = __pvclock_read_cycles(&hv_clock, data->host_tsc) after
    data->host_tsc = rdtsc() (or kvm_get_walltime_and_clockread(&ts, &data->host_tsc))."""
    L = linux.L
    (site,) = [x for x in linux("provenance kvm_clock_data.clock depth 1")
               if (x["file"], x["line"]) == (X86, L(X86, 3042))]
    got = {(n.get("file"), n.get("line")) for n in site["from"]}
    assert {(X86, L(X86, 3034)), (X86, L(X86, 3029))} <= got, got
    assert (X86, L(X86, 6658)) not in got  # kvm_vm_ioctl_get_clock's `= { 0 }`


def test_the_wall_clock_traced_into_the_function_the_object_is_handed_to(linux):
    """get_kvmclock_ns: get_kvmclock(kvm, &data) hands data on to __get_kvmclock, whose
    data->clock writes are the wall clock's sources."""
    L = linux.L
    got = {(n.get("file"), n.get("line"), n["hop"]) for x in
           linux("provenance pvclock_wall_clock.sec depth 6") for n in _walk(x["from"])}
    assert (X86, L(X86, 3042), "filled by __get_kvmclock()") in got
    assert (X86, L(X86, 3044), "filled by __get_kvmclock()") in got


def test_an_object_handed_to_a_callee_that_writes_the_member_itself(linux):
    got = {(x["file"], x["line"]) for x in linux("writes vmcb_ctrl_area_cached.tsc_offset")}
    assert (SVMN, linux.L(SVMN, 343)) in got
    assert (SVMN, linux.L(SVMN, 1627)) not in got, got  # __nested_copy_vmcb_control_to_cache(


def test_copies_by_pointer_and_by_one_member(linux):
    L = linux.L
    got = {(x["file"], x["line"]) for x in linux("reads vmcs12.tsc_offset")}
    assert (VMXN, L(VMXN, 6511)) in got  # copy_to_user(..., vmcs12, VMCS12_SIZE)
    got = {(x["file"], x["line"]) for x in linux("reads kvm_hv.tsc_ref.tsc_offset")}
    assert (HV, L(HV, 1179)) in got  # the whole page
    assert not {(HV, L(HV, 1171)), (HV, L(HV, 1194))} & got  # sizeof(...tsc_sequence) only


def test_a_static_call_key_installed_through_a_second_macro(linux):
    vias = [x["via"] for x in linux("def kvm_x86_write_tsc_offset")]
    assert any(v.startswith("KVM_X86_OP -> __KVM_X86_OP(func) static_call_update") and
               f"{X86}:{linux.L(X86, 12421)}" in v for v in vias), vias


def test_a_lock_named_by_a_seqcount_is_not_written(linux):
    got = {(x["file"], x["line"]) for x in linux("writes tsc_write_lock")}
    assert (X86, linux.L(X86, 12560)) in got  # raw_spin_lock_init
    assert (X86, linux.L(X86, 12562)) not in got  # seqcount_raw_spinlock_init(&pvclock_sc, &..)


def test_a_deferred_hop_names_its_tester_when_the_path_skips_it(linux):
    from vmxref import api
    from vmxref.render import path_lines
    sites = api.run_query(linux.scope, "path kvm_hv_set_msr_common -> kvm_hv_setup_tsc_page")
    text = "\n".join(line for s in sites for line in path_lines(s))
    assert (f"=deferred KVM_REQ_MASTERCLOCK_UPDATE in vcpu_enter_guest "
            f"({X86}:{linux.L(X86, 10668)})=>") in text, text
