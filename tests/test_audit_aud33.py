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

