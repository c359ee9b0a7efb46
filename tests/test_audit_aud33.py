"""Audit aud33 (clock drift, Linux KVM and VirtualBox) on small fixtures of its own."""
from __future__ import annotations

from pathlib import Path

import pytest

from cliquery import indexed_cli

VBOX = Path(__file__).parent / "fixtures" / "audit_aud33_vbox"
REQ = "src/VBox/VMM/VMMR3/VMAqReq.cpp"


@pytest.fixture(scope="module")
def vq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, VBOX, "virtualbox-vmm@t", fulltext=False)


def _path_names(row) -> list[list[str]]:
    return [[h["function"] for h in p] for p in row.get("paths", [])]


def test_a_request_queue_runs_the_worker_its_own_call_queued(vq):
    """VMMR3AqEmtRendezvous queues itself through VMR3AqReqCallWait, which stores the
    worker in the request packet that vmR3AqReqProcessOne calls: a path from VMR3AqResume
    through that queue runs VMMR3AqEmtRendezvous, never tmR3AqSetWarpDrive, which only
    TMR3AqSetWarpDrive queues (before: VMR3AqResume -> ... -> vmR3AqReqProcessOne
    =pointer=> tmR3AqSetWarpDrive -> TMR3AqNotifyResume)."""
    code, rows, out = vq("q", "path VMR3AqResume -> tmAqCpuTickResumeLocked")
    assert code == 1, out
    # the warp drive's own call still goes through the queue to its worker
    code, rows, out = vq("q", "path TMR3AqSetWarpDrive -> tmAqCpuTickResumeLocked")
    assert code == 0, out
    assert _path_names(rows[0])[0] == [
        "TMR3AqSetWarpDrive", "VMR3AqReqCallWait", "VMR3AqReqCallVU", "vmR3AqReqProcessOne",
        "tmR3AqSetWarpDrive", "TMR3AqNotifyResume", "tmAqCpuTickResumeLocked"], out
    # and the rendezvous still calls the callback it was handed
    code, rows, out = vq("q", "path VMR3AqResume -> vmR3AqResume")
    assert code == 0, out
    # callers of the worker are unchanged: the queue's call, passed at TMR3AqSetWarpDrive
    code, rows, out = vq("callers", "tmR3AqSetWarpDrive")
    assert code == 0 and [r["function"] for r in rows] == ["vmR3AqReqProcessOne"], out


LINUX = Path(__file__).parent / "fixtures" / "audit_aud33_linux"
CLK = "arch/x86/kvm/clockaud.c"


@pytest.fixture(scope="module")
def lq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, LINUX, "linux-kvm@t", fulltext=False)


def _tree(rows) -> dict[str, list[str]]:
    """{function of a root: the values of its first hops}, from the JSON answer."""
    return {r["function"]: sorted(c["value"] for c in r.get("from", []) if "value" in c)
            for r in rows}


def test_a_default_every_way_replaces_is_no_source(lq):
    """`kernel_ns = 0` is replaced under `if (use_master_clock)` in the seqcount loop (a
    do-while: run at least once) and under `if (!use_master_clock)` after it, so the use
    never sees the 0 (before: `0 [local kernel_ns]` listed beside the two real values); a
    `khz = 0` that reaches `if (!khz) khz = tsc_khz;` is replaced there. Where a way keeps
    the default it stays: the first test in a for loop (no turn), the tested local changed
    between the tests, a write nested deeper in its branch, a default that is not 0."""
    code, rows, out = lq("provenance", "aud_clock.system_time", "depth", "1")
    assert code == 0, out
    tree = _tree(rows)
    assert tree["aud_guest_time_update"] == ["get_aud_base_ns()", "ka->master_kernel_ns"], out
    for func in ("aud_loop_first", "aud_changed_between", "aud_nested_write"):
        assert "0" in tree[func], (func, out)
    assert "1000" in tree["aud_nonzero_default"], out
    code, rows, out = lq("provenance", "aud_cpu_tsc_khz", "depth", "1")
    assert code == 0, out
    assert sorted(_tree(rows)["aud_tsc_khz_changed"]) == sorted(
        ["freq->tsc_khz", "aud_quick_get(raw_smp_processor_id())", "tsc_khz"]), out
