"""The text form of a call path: each hop, and for a deferred request the function that
tests it when that function is no node of the path (it comes later in it: a path does not
repeat a node)."""
from __future__ import annotations

from vmxref.model import Hop, Site
from vmxref.render import path_lines


def _site(hops: list[Hop]) -> Site:
    s = Site("path", "linux-kvm", "6.1", "arch/x86/kvm/x86.c", 3213, 2, "f", "g", "g();")
    s.paths = [hops]
    return s


def test_a_deferred_hop_names_its_tester_when_the_path_skips_it():
    text = path_lines(_site([
        Hop("set_msr", "arch/x86/kvm/hyperv.c", 1357, "deferred",
            "case HV_X64_MSR_REFERENCE_TSC; KVM_REQ_MASTERCLOCK_UPDATE via kvm_make_request, "
            "tested in vcpu_enter_guest at arch/x86/kvm/x86.c:10668"),
        Hop("update_masterclock", "arch/x86/kvm/x86.c", 3012, "deferred",
            "KVM_REQ_CLOCK_UPDATE via kvm_make_request"),
        Hop("vcpu_enter_guest", "arch/x86/kvm/x86.c", 10672),
    ]))
    assert text == [
        "    path: set_msr (arch/x86/kvm/hyperv.c:1357) [case HV_X64_MSR_REFERENCE_TSC] "
        "=deferred KVM_REQ_MASTERCLOCK_UPDATE in vcpu_enter_guest (arch/x86/kvm/x86.c:10668)=> "
        "-> update_masterclock (arch/x86/kvm/x86.c:3012) =deferred KVM_REQ_CLOCK_UPDATE=> "
        "-> vcpu_enter_guest (arch/x86/kvm/x86.c:10672)"]
