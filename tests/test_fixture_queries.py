"""Queries on the KVM-style fixture tree: names, writes, call graph, raises, paths."""
from __future__ import annotations



def sites(results):
    return {(r["file"], r["function"]) for r in results}

X86 = "arch/x86/kvm/x86.c"


def test_def_finds_function_with_exact_line(kvm):
    r = kvm("def kvm_guest_time_update")
    assert [(x["file"], x["line"], x["sym_kind"]) for x in r] == [(X86, 27, "function")]


def test_def_kinds(kvm):
    assert kvm("def KVM_REQ_CLOCK_UPDATE")[0]["sym_kind"] == "macro"
    assert kvm("def pvclock_vcpu_time_info")[0]["sym_kind"] == "struct"
    f = kvm("def tsc_to_system_mul")
    assert {x.get("container") for x in f if x["sym_kind"] == "field"} == {
        "pvclock_vcpu_time_info", "fake_clock"}
    # the text output names the struct too (a name many structs have: `def mult`)
    from vmxref import api
    from vmxref.render import site_line
    lines = [site_line(s) for s in api.run_query(kvm.scope, "def tsc_to_system_mul")]
    assert any(x.endswith("[field] (in pvclock_vcpu_time_info)") for x in lines), lines
    assert any(x.endswith("[field] (in fake_clock)") for x in lines), lines


def test_always_inline_function_keeps_its_name(kvm):
    r = kvm("def kvm_make_request")
    assert r and r[0]["sym_kind"] == "function"


def test_direct_callers(kvm):
    r = kvm("callers kvm_guest_time_update")
    assert {(x["function"], x["edge"]) for x in r} == {("vcpu_enter_guest", "direct")}


def test_callers_through_static_call_and_ops_table(kvm):
    r = kvm("callers vmx_set_msr")
    assert {(x["function"], x["edge"]) for x in r} == {("__kvm_set_msr", "static-call")}
    r = kvm("callers vmx_vcpu_load")
    assert {(x["function"], x["edge"]) for x in r} == {
        ("kvm_arch_vcpu_load", "static-call"), ("kvm_arch_vcpu_load", "ops-table")}


def test_callers_through_function_pointer_parameter(kvm):
    r = kvm("callers do_set_msr")
    assert ("__msr_io", "pointer") in {(x["function"], x["edge"]) for x in r}


def test_registered_callback(kvm):
    r = kvm("callers kvmclock_update_fn")
    assert {(x["function"], x["edge"]) for x in r} == {("kvm_arch_init_vm", "registered")}


def test_writes_by_receiver_type(kvm):
    r = kvm("writes pvclock_vcpu_time_info.tsc_to_system_mul")
    got = {(x["function"], x["write_kind"]) for x in r}
    assert ("kvm_guest_time_update", "out-param") in got
    assert ("kvm_reset_clock", "whole-object") in got
    # never: the comparison, the comment, the same-named local, the other struct's field
    assert all(x["function"] not in ("kvm_set_msr_common",) for x in r)
    assert not any(x["container"] == "fake_clock" for x in r)
    assert all(x["line"] not in (5, 44, 45) for x in r)


def test_writes_chain_and_operators(kvm):
    r = kvm("writes kvm_vcpu_arch.hv_clock")
    ops = {(x["line"], x["op"], x["write_kind"]) for x in r}
    assert (39, "=", "assign") in ops
    assert (40, "+=", "compound") in ops
    assert (41, "|=", "compound") in ops
    assert (42, "++", "incdec") in ops
    assert any(w == "whole-object" and o == "memset" for _l, o, w in ops)


def test_field_without_struct_groups_by_struct(kvm):
    r = kvm("writes tsc_to_system_mul")
    containers = {x["container"] for x in r}
    assert {"pvclock_vcpu_time_info", "fake_clock"} <= containers


def test_designated_initializer_writes(kvm):
    r = kvm("writes kvm_x86_ops.set_msr")
    assert [(x["write_kind"], x["value"]) for x in r] == [("designated", "vmx_set_msr")]


def test_raises_includes_wrappers_not_tests_or_comments(kvm):
    r = kvm("raises KVM_REQ_CLOCK_UPDATE")
    funcs = sorted(x["function"] for x in r)
    assert funcs == ["kvm_arch_vcpu_load", "kvm_guest_time_update", "kvm_set_msr_common",
                     "kvmclock_update_fn"]
    r = kvm("raises KVM_REQ_MASTERCLOCK_UPDATE")
    assert [(x["function"], x["via"]) for x in r] == [
        ("kvm_gen_update_masterclock", "kvm_make_all_cpus_request")]


def test_consumes_shows_what_runs(kvm):
    r = kvm("consumes KVM_REQ_CLOCK_UPDATE")
    assert [(x["function"], x["runs"][0]) for x in r] == [("vcpu_enter_guest", "kvm_guest_time_update")]


def test_paths_from_entry(kvm):
    r = kvm("raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 8")
    by_func = {x["function"]: x for x in r}
    msr = by_func["kvm_set_msr_common"]["paths"]
    assert msr, "a path from the vCPU ioctl to the MSR handler"
    hops = [h["function"] for h in msr[0]]
    assert hops[0] == "kvm_vcpu_ioctl" and hops[-1] == "kvm_set_msr_common"
    assert "vmx_set_msr" in hops
    assert any(h.get("edge") == "pointer" for h in msr[0])
    assert msr[0][0]["entry"] == "ioctl"
    work = by_func["kvmclock_update_fn"]["paths"]
    assert work[0][0]["entry"] == "work"


def test_path_query_and_deferred_hop(kvm):
    r = kvm("path kvm_vm_ioctl -> kvm_gen_update_masterclock")
    assert r and [h["function"] for h in r[0]["paths"][0]] == [
        "kvm_vm_ioctl", "kvm_arch_vm_ioctl", "kvm_gen_update_masterclock"]
    assert "case KVM_SET_CLOCK" in r[0]["paths"][0][1].get("via", "")
    r = kvm("path kvm_arch_vcpu_load -> kvm_guest_time_update")
    assert r and r[0]["paths"][0][0]["edge"] == "deferred"


def test_calls_with_constant_argument(kvm):
    r = kvm("calls kvm_make_request arg 1 = KVM_REQ_GLOBAL_CLOCK_UPDATE")
    assert sites(r) == {("arch/x86/kvm/x86.c", "kvm_set_msr_common")}


def test_refs_kinds(kvm):
    r = kvm("refs max_tsc_khz")
    assert r == [] or all(x["ref_kind"] for x in r)
    r = kvm("refs kvm_guest_time_update")
    assert {x["ref_kind"] for x in r} == {"call"}


def test_unknown_symbol_suggests(kvm):
    import pytest
    from vmxref.errors import UnknownSymbol
    with pytest.raises(UnknownSymbol, match="did you mean|Did you mean"):
        kvm("callers kvm_guest_time_updat")


def test_template_functions_are_named_after_their_instantiations(kvm):
    for name in ("fixture_read_u8", "fixture_read_u16"):
        r = kvm(f"def {name}")
        assert [(x["file"], x["line"], x["sym_kind"]) for x in r] == [
            ("arch/x86/kvm/fixture_rw_tmpl.h", 3, "function")]
    kinds = {x["sym_kind"] for x in kvm("def FIXTURE_RW_NAME")}
    assert "function" not in kinds and "template" in kinds


def test_callers_of_a_function_pointer_member(kvm):
    """`callers STRUCT.MEMBER`: the calls through the member, whichever function is stored
    in it (a static call of its key and a member call), then their callers' callers."""
    got = [(r["line"], r["function"], r["edge"]) for r in kvm("callers kvm_x86_ops.vcpu_load")]
    assert got == [(132, "kvm_arch_vcpu_load", "static-call"),
                   (133, "kvm_arch_vcpu_load", "ops-table")]
    assert [r["symbol"] for r in kvm("callers kvm_x86_ops.vcpu_load")] == ["kvm_x86_ops.vcpu_load"] * 2
    # the same call site as `callers` of a function stored there, without naming one
    assert {(r["line"], r["edge"]) for r in kvm("callers kvm_x86_ops.set_msr")} == {(90, "static-call")}
