"""Audit X (s32, guest clock drift on Linux KVM) on a small Linux-style fixture of its own:
flag tests through masks of a family that an MSR number or a version field only seems to
belong to, a handle a call returns in a provenance value, and the callbacks a function
stores for code outside the corpus among its callees."""
from __future__ import annotations

from pathlib import Path

import pytest

from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "audit_x32"
C = "arch/x86/kvm/tkx_msr.c"


@pytest.fixture(scope="module")
def xq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIX, "linux-kvm@t", fulltext=False)


def test_consumes_of_an_msr_number_is_its_case_not_masks_holding_its_bit(xq):
    """MSR_TKX_TSC is 0x10, one bit written in hex, but the code only compares it whole
    (`case MSR_TKX_TSC:`): it is an MSR number, not a flag. MSR_TKX_STATUS_RSVD (0xff0) and
    MSR_TKX_CR_PAT (0x277) hold bit 4 too; neither tests it."""
    code, rows, out = xq("consumes", "MSR_TKX_TSC")
    assert code == 0, out
    assert [(r["file"], r["line"]) for r in rows] == [(C, 34)], out


def test_consumes_of_a_flag_is_no_equality_with_an_msr_number_or_a_version_field(xq):
    """HV_TKX_MSR_REF_ENABLE (bit 0) is tested by `hv->ref_page & ...`. `msr ==
    HV_TKX_MSR_SYNC_CONTROL` compares an MSR number whose bit 0 is set, and `(features &
    HV_TKX_FEATURE_VERSION) >= 1` reads a version field: no test of the flag."""
    code, rows, out = xq("consumes", "HV_TKX_MSR_REF_ENABLE")
    assert code == 0, out
    assert [(r["file"], r["line"], r["via"]) for r in rows] == [
        (C, 62, "& HV_TKX_MSR_REF_ENABLE")], out


def _tree(node: dict, depth: int = 0) -> list[tuple[int, str]]:
    out = []
    for s in node.get("from", []):
        out.append((depth, s.get("hop", "")))
        out += _tree(s, depth + 1)
    return out


def test_provenance_takes_no_handle_a_call_returns_as_a_source(xq):
    """`now = tkx_vm_clock(tkx_stimer_to_vcpu(st)->vm)`: the inner call gives a pointer to a
    struct whose member `vm` is handed on, a handle as `apic->vcpu` is one; the value is
    what tkx_vm_clock returns, not what tkx_stimer_to_vcpu does."""
    code, rows, out = xq("provenance", "tkx_stimer.exp_time")
    assert code == 0, out
    hops = [h for _d, h in _tree(rows[0])]
    assert "return of tkx_vm_clock()" in hops, out
    assert not any("tkx_stimer_to_vcpu" in h for h in hops), out


K = "arch/x86/kernel/kvmclock.c"


def test_callees_list_the_callbacks_a_function_hooks_in_as_callers_does(xq):
    """tkx_guest_clock_init stores tkx_guest_khz and tkx_guest_resume in members of a
    platform table the corpus never calls through (the core kernel does): `callers
    tkx_guest_khz` lists that store (edge 'stored'), and `callees tkx_guest_clock_init`
    lists both stores too, beside its one call, and goes no further from them."""
    code, rows, out = xq("callers", "tkx_guest_khz")
    assert code == 0 and [(r["line"], r["edge"]) for r in rows] == [(21, "stored")], out
    code, rows, out = xq("callees", "tkx_guest_clock_init", "depth", "2")
    assert code == 0, out
    assert [(r["file"], r["line"], r["symbol"], r["edge"], r["depth"]) for r in rows] == [
        (K, 20, "tkx_register_clock", "direct", 1),
        (K, 21, "tkx_guest_khz", "stored", 1),
        (K, 22, "tkx_guest_resume", "stored", 1)], out
    assert {r["callee_kind"] for r in rows if r["edge"] == "stored"} == {"function"}


def test_refs_kind_addr_finds_the_address_of_an_element_of_an_array(xq):
    """`p = &tkx_boot_info[cpu]` takes the address of an element of the array (and stores
    it in a per-CPU pointer): a reference of kind `addr`. `&tkx_boot_info[0].ti` handed to a
    call keeps its kind, as `&x` handed to a call does, and `kind addr` lists it too."""
    code, rows, out = xq("refs", "tkx_boot_info")
    assert code == 0, out
    kinds = {r["line"]: r["ref_kind"] for r in rows if r["file"] == K}
    assert kinds[46] == "addr" and kinds[48] == "read", out
    code, rows, out = xq("refs", "tkx_boot_info", "kind", "addr")
    assert code == 0, out
    assert [(r["file"], r["line"]) for r in rows] == [(K, 46), (K, 48)], out


E = "arch/x86/kvm/tkx_events.c"


@pytest.mark.parametrize("bit, lines", [
    ("TKX_EV_INIT", [29, 33]),     # test_and_clear_bit, test_bit
    ("TKX_EV_EXPIRED", [31]),      # a macro whose body hands its parameter to test_bit
    ("X86_FEATURE_TKX_CONSTANT", [38]),  # boot_cpu_has, a bit named nowhere in the corpus
])
def test_consumes_a_bit_number_tested_through_the_kernels_bit_operations(xq, bit, lines):
    """`raises` finds `set_bit(TKX_EV_INIT, ..)` (the profile's [writes] bit_sets); the
    tests of the bit are the calls of its [reads] bit_tests: test_bit, test_and_clear_bit,
    boot_cpu_has, and the uses of a macro over them."""
    code, rows, out = xq("consumes", bit)
    assert code == 0, out
    assert [(r["file"], r["line"]) for r in rows] == [(E, n) for n in lines], out


def test_reads_of_an_array_member_changed_in_place_by_a_bit_api_read_the_old_bits(xq):
    """`__set_bit(vector, s->vec_bitmap)` hands the array member bare: its address, changed in
    place (the profile's [writes] bit_sets), so `reads` gives it ref_kind read-modify-write,
    as for `&x` handed to a read_modify_write API; `test_bit` only reads it."""
    code, rows, out = xq("reads", "tkx_synic.vec_bitmap")
    assert code == 0, out
    assert [(r["line"], r["ref_kind"]) for r in rows] == [
        (48, "read-modify-write"), (55, "read")], out


def test_provenance_of_two_members_of_one_local_filled_by_one_call(xq):
    """`tkx_read_walltime(&ts); data->realtime = ts.nsec + NSEC_PER_SEC * ts.sec;`: the call
    fills both members, and each is a source of its own (ts.sec from tkx_wall_sec, ts.nsec
    from tkx_wall_nsec): the second is no second route to the first's write."""
    code, rows, out = xq("provenance", "tkx_clock_data.realtime")
    assert code == 0, out
    top = rows[0]["from"]
    assert [(n["hop"], n["line"]) for n in top] == [("local ts.nsec", 132), ("local ts.sec", 132)], out
    assert [[c["value"] for c in n["from"]] for n in top] == [["tkx_wall_nsec"], ["tkx_wall_sec"]], out
