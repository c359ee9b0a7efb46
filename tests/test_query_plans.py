"""Every statement a broad set of queries runs on the fixture trees uses an index for its
fact tables: a definition change (a partial index such as sym_scope's `WHERE scope != ''`,
which SQLite uses only for a query that says so) or a new query must not fall back to a
scan of a table that holds millions of rows on all of Linux."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from vmxref import api

FIXTURES = Path(__file__).parent / "fixtures"
FACT_TABLES = ("sym", "ref", "call", "assign", "guard", "kase", "logcall")

KVM_QUERIES = [
    "def kvm_guest_time_update", "refs kvm_guest_time_update", "callers kvm_guest_time_update",
    "callees kvm_guest_time_update", "callers vmx_set_msr", "callers do_set_msr",
    "writes pvclock_vcpu_time_info.tsc_to_system_mul", "reads pvclock_vcpu_time_info.tsc_shift",
    "writes tsc_to_system_mul", "provenance pvclock_vcpu_time_info.tsc_to_system_mul",
    "raises KVM_REQ_CLOCK_UPDATE | paths", "consumes KVM_REQ_CLOCK_UPDATE",
    "path kvm_arch_vcpu_ioctl_run -> kvm_guest_time_update", "calls kvm_make_request",
    "refs tsc_to_system_mul kind write", "callers kvm_x86_ops.vcpu_load",
    "calls kvm_make_request arg 1 = KVM_REQ_GLOBAL_CLOCK_UPDATE", "callers vmx_vcpu_load depth 3",
    "def vmx_set_msr_bitmap_read", "logline 'kvm: requested 1234567 ns lapic timer period'",
    "writes kvm_vcpu_arch.tsc_offset | paths", "def no_such_name_here",
]
VBOX_QUERIES = [
    "def TMCpuTicksPerSecond", "callers tmCpuTickGetRawVirtual", "writes GIMKVMSYSTEMTIME.u32TscScale",
    "provenance GIMKVMSYSTEMTIME.u32TscScale", "raises VMCPU_FF_TIMER | paths",
    "consumes VMCPU_FF_TIMER", "reads TMCPU.u64TSCLastSeen", "callees gimR3KvmInit",
    "logline 'gimR3FixEnableTscPage: GIM: enabled TSC page at 0x00000000fee00000'",
    "callers PDMDEVREG.pfnConstruct", "refs u32TscScale",
]
AQ_QUERIES = ["raises VMCPUID_AQ_ANY", "consumes VMCPUID_AQ_ANY"]  # (a constant handed
# through wrappers that store or OR their parameter)
PASTE_QUERIES = [  # (a name a pasting macro's template makes, and one it could make)
    "def kvmtick_ax_read", "def kvmtick_zz_read", "callers kvmtick_bx_write",
    "writes kvmtick_regs.regs",
]


def _plans(index: Path, corpus: str, queries: list[str]) -> dict[str, list[str]]:
    """The query plan steps of every distinct statement the queries ran."""
    sc = api.open_scope(index, corpus)
    seen: list[str] = []
    sc.conn.set_trace_callback(seen.append)
    for q in queries:
        try:
            api.run_query(sc, q)
        except Exception:  # noqa: BLE001 - a fixture without that name: its look-ups still count
            pass
    sc.conn.set_trace_callback(None)
    out = {}
    for sql in dict.fromkeys(s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))):
        out[sql] = [r[3] for r in sc.conn.execute("EXPLAIN QUERY PLAN " + sql)]
    sc.store.close()
    return out


SCANNABLE = ("sym_paste", "assign_whole")  # partial indexes meant to be read whole (11k
# symbols of all Linux's 7.9M, 48k writes of 7.5M)


def _scans(plans: dict[str, list[str]]) -> list[str]:
    """Plan steps that read a whole fact table, or the whole of one of its indexes (`SCAN
    sym USING INDEX sym_name` is every symbol too), but for the SCANNABLE ones."""
    bad = re.compile(rf"^SCAN (?:\w+ AS )?(?:{'|'.join(FACT_TABLES)}|t)\b")
    ok = re.compile(rf"USING (?:COVERING )?INDEX (?:{'|'.join(SCANNABLE)})\b")
    return [f"{step}: {sql[:300]}" for sql, steps in plans.items() for step in steps
            if bad.match(step) and not ok.search(step)]


@pytest.mark.parametrize("tree, corpus, queries", [
    ("linux", "linux-kvm@fixture", KVM_QUERIES), ("vbox", "virtualbox-vmm@fixture", VBOX_QUERIES),
    ("expand_s32", "linux-kvm@fixture", PASTE_QUERIES),
    ("audit_aud33_vbox", "virtualbox-vmm@fixture", AQ_QUERIES)])
def test_no_statement_scans_a_fact_table(tmp_path: Path, tree: str, corpus: str,
                                         queries: list[str]) -> None:
    api.index(str(FIXTURES / tree), corpus, tmp_path / "idx", procs=1, fulltext=False)
    plans = _plans(tmp_path / "idx", corpus, queries)
    assert len(plans) > 3 * len(queries), len(plans)  # (the queries did run their look-ups)
    assert _scans(plans) == []


def test_a_look_up_by_scope_uses_the_partial_index(tmp_path: Path) -> None:
    """The statement shape the type resolver uses: with `t.scope != ''` SQLite takes the
    partial sym_scope; without it, it could not (the check above would catch the scan)."""
    api.index(str(FIXTURES / "linux"), "linux-kvm@fixture", tmp_path / "idx", procs=1,
              fulltext=False)
    sc = api.open_scope(tmp_path / "idx", "linux-kvm@fixture")
    plan = lambda where: " ".join(r[3] for r in sc.conn.execute(  # noqa: E731
        f"EXPLAIN QUERY PLAN SELECT t.type FROM sym t WHERE {where}", ("kvm_vcpu_arch",)))
    assert "sym_scope" in plan("t.scope = ? AND t.scope != '' AND t.kind = 'field'")
    assert "sym_scope" not in plan("t.scope = ? AND t.kind = 'field'")
    sc.store.close()


def test_the_whole_object_writes_are_read_through_their_partial_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a member's holder types are too many to narrow the whole-object writes by name
    (writes._CAP: `size` on all of Linux), every whole-object write is read: through the
    partial index assign_whole (48k of all Linux's 7.5M writes), not a scan of assign."""
    from vmxref.queries import writes
    monkeypatch.setattr(writes, "_CAP", 0)
    api.index(str(FIXTURES / "linux"), "linux-kvm@fixture", tmp_path / "idx", procs=1,
              fulltext=False)
    plans = _plans(tmp_path / "idx", "linux-kvm@fixture",
                   ["writes pvclock_vcpu_time_info.tsc_to_system_mul"])
    assert any("assign_whole" in " ".join(steps) for steps in plans.values()), plans
    assert _scans(plans) == []
