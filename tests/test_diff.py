"""`vmxref diff`: the fixture tree indexed as @1 and, edited, as @2 in the same index.

Edits in @2 (x86.c only): the tsc_timestamp write moves from kvm_guest_time_update to
kvm_reset_clock; the flags write changes its value (|= 1 -> |= 3); kvmclock_update_fn no longer
raises KVM_REQ_CLOCK_UPDATE and vcpu_enter_guest newly does (through another call, so the
statement is not "the same one, moved"); lines shift everywhere.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import api
from vmxref.cli import cli
from vmxref.model import Hop, Site
from vmxref.queries import diff

FIXTURE = Path(__file__).parent / "fixtures" / "linux"
X86 = "arch/x86/kvm/x86.c"


def _edit(root: Path) -> None:
    p = root / X86
    s = p.read_text()
    s = s.replace("\tvcpu->hv_clock.tsc_timestamp = 42;\n", "", 1)
    s = s.replace("\tvcpu->hv_clock.flags |= 1;\n", "\tvcpu->hv_clock.flags |= 3;\n", 1)
    s = s.replace("\tfake.tsc_to_system_mul = 7;", "\tv->arch.hv_clock.tsc_timestamp = 42;\n"
                  "\tfake.tsc_to_system_mul = 7;", 1)
    s = s.replace("arch.hw_tsc_khz);\n\n\tkvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);\n",
                  "arch.hw_tsc_khz);\n\n\t(void)vcpu;\n", 1)
    s = s.replace("\tint r = 0;\n\n", "\tint r = 0;\n\n"
                  "\tkvm_make_all_cpus_request(vcpu->kvm, KVM_REQ_CLOCK_UPDATE);\n", 1)
    s = "/* version 2 */\n\n" + s
    p.write_text(s)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """An index holding linux-kvm@1 (the fixture tree) and linux-kvm@2 (an edited copy)."""
    base = tmp_path_factory.mktemp("diff")
    v2 = base / "v2"
    shutil.copytree(FIXTURE, v2)
    _edit(v2)
    index = base / "index"
    s1 = api.index(str(FIXTURE), "linux-kvm@1", index, procs=1)
    s2 = api.index(str(v2), "linux-kvm@2", index, procs=1)
    return index, s1, s2


def run_diff(index: Path, query: str) -> list[diff.Entry]:
    return diff.diff_query(query, "linux-kvm@1", "linux-kvm@2", index)


def by_status(entries) -> dict[str, list[diff.Entry]]:
    out: dict[str, list[diff.Entry]] = {}
    for e in entries:
        out.setdefault(e.status, []).append(e)
    return out


def test_second_version_shares_unchanged_contents(two_versions):
    _index, s1, s2 = two_versions
    assert s1.parsed == s1.files >= 3
    assert (s2.parsed, s2.reused) == (1, s1.files - 1)   # only the edited x86.c is parsed again


def test_moved_statement_other_function(two_versions):
    index, _, _ = two_versions
    got = by_status(run_diff(index, "writes pvclock_vcpu_time_info.tsc_timestamp"))
    [moved] = got["moved"]
    assert (moved.old.function, moved.new.function) == ("kvm_guest_time_update", "kvm_reset_clock")
    assert "from kvm_guest_time_update" in moved.note
    assert "added" not in got and "removed" not in got


def test_changed_value_same_function(two_versions):
    index, _, _ = two_versions
    got = by_status(run_diff(index, "writes pvclock_vcpu_time_info.flags"))
    [changed] = got["changed"]
    assert changed.old.function == changed.new.function == "kvm_guest_time_update"
    assert "|= 1" in changed.old.text and "|= 3" in changed.new.text


def test_added_removed_and_line_shifts_are_same(two_versions):
    index, _, _ = two_versions
    got = by_status(run_diff(index, "raises KVM_REQ_CLOCK_UPDATE"))
    assert [e.old.function for e in got["removed"]] == ["kvmclock_update_fn"]
    assert [e.new.function for e in got["added"]] == ["vcpu_enter_guest"]
    same = got["same"]
    assert {e.new.function for e in same} >= {"kvm_arch_vcpu_load", "kvm_set_msr_common"}
    assert all(e.new.line == e.old.line + 2 for e in same)   # shifted, still "same"
    assert "moved" not in got and "changed" not in got


def test_same_text_in_another_function_is_moved():
    old = [_site("kvmclock_update_fn", "kvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);", 140)]
    new = [_site("vcpu_enter_guest", "kvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);", 155)]
    [e] = diff.diff_sites(old, new)
    assert e.status == "moved" and e.note == "from kvmclock_update_fn at a.c:140"


def test_cli_diff_grep_and_json(two_versions):
    index, _, _ = two_versions
    args = ["diff", "writes pvclock_vcpu_time_info.tsc_timestamp", "--from", "linux-kvm@1",
            "--to", "linux-kvm@2", "--index", str(index)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    [line] = r.stdout.splitlines()
    assert line.startswith(f"{X86}:") and ": kvm_reset_clock: moved (from kvm_guest_time_update" in line
    assert "1 moved" in r.stderr
    r = CliRunner().invoke(cli, args + ["--json"])
    [obj] = [json.loads(x) for x in r.stdout.splitlines()]
    assert obj["status"] == "moved" and obj["old"]["version"] == "1" and obj["new"]["version"] == "2"


def test_cli_diff_of_a_saved_query_file(two_versions, tmp_path):
    """`vmxref diff FILE.toml` compares the query the saved file holds."""
    index, _, _ = two_versions
    f = tmp_path / "tsc.toml"
    f.write_text('title = "tsc_timestamp"\ncorpus = "linux-kvm"\n'
                 'query = "writes pvclock_vcpu_time_info.tsc_timestamp"\n')
    r = CliRunner().invoke(cli, ["diff", str(f), "--from", "linux-kvm@1", "--to", "linux-kvm@2",
                                 "--index", str(index)])
    assert r.exit_code == 0, r.output
    [line] = r.stdout.splitlines()
    assert ": kvm_reset_clock: moved (from kvm_guest_time_update" in line
    r = CliRunner().invoke(cli, ["diff", str(tmp_path / "none.toml"), "--from", "linux-kvm@1",
                                 "--to", "linux-kvm@2", "--index", str(index)])
    assert r.exit_code == 2 and "none.toml" in r.stderr and len(r.stderr.splitlines()) == 1


def test_cli_diff_errors(two_versions):
    index, _, _ = two_versions
    r = CliRunner().invoke(cli, ["diff", "callers kvm_guest_time_updat", "--from", "linux-kvm@1",
                                 "--to", "linux-kvm@2", "--index", str(index)])
    assert r.exit_code == 2
    assert "did you mean kvm_guest_time_update?" in r.stderr
    # a member neither version's struct has: the query's own error, not "no results"
    r = CliRunner().invoke(cli, ["diff", "writes pvclock_vcpu_time_info.hw_tsc_khz", "--from",
                                 "linux-kvm@1", "--to", "linux-kvm@2", "--index", str(index)])
    assert r.exit_code == 2 and "has no member 'hw_tsc_khz'" in r.stderr, r.output
    r = CliRunner().invoke(cli, ["diff", "def x", "--from", "linux-kvm", "--to", "linux-kvm@2",
                                 "--index", str(index)])
    assert r.exit_code == 2 and "NAME@VERSION" in r.stderr


def _site(function: str, text: str, line: int = 1, file: str = "a.c", **extra) -> Site:
    return Site("write", "c", "v", file, line, 1, function, "S.f", text, extra)


def test_diff_sites_near_text_is_moved_and_same_file_first():
    old = [_site("f", "x.f = a(b);", 10), _site("g", "RT_ZERO(s);", 5, "b.c"),
           _site("h", "RT_ZERO(s);", 7)]
    new = [_site("k", "x.f  =  a(b,c);", 20), _site("k", "RT_ZERO(s);", 3)]
    got = by_status(diff.diff_sites(old, new))
    moved = {(e.old.function, e.new.function) for e in got["moved"]}
    assert moved == {("f", "k"), ("h", "k")}    # near text; same-file candidate preferred
    assert [e.old.function for e in got["removed"]] == ["g"]


def test_normalise_ignores_spacing_and_comments():
    assert diff.normalise("a = b ;  /* c */") == diff.normalise("a=b;")
    assert diff.normalise("if (x) {") == "if(x)"


def test_cli_diff_without_changes_says_why_it_exits_1(two_versions):
    index, _, _ = two_versions
    r = CliRunner().invoke(cli, ["diff", "callers kvm_guest_time_update", "--from", "linux-kvm@1",
                                 "--to", "linux-kvm@1", "--index", str(index)])
    assert r.exit_code == 1 and r.stdout == ""
    assert "same (no changes: exit status 1" in r.stderr


# --------------------------------------------------------------------------- call paths

def _hop(function: str, line: int) -> Hop:
    return Hop(function, "HMVMXR0.cpp", line, "direct")


def _path_row(line: int, text: str, via: str, first: int) -> Site:
    """A row of `path VMXR0RunGuestCode -> TMCpuTickCanUseRealTSC` (one path per row)."""
    path = [_hop("VMXR0RunGuestCode", first), _hop(via, first - 1500),
            _hop("hmR0VmxPreRunGuestCommitted", first - 1800),
            _hop("hmR0VmxUpdateTscOffsettingAndPreemptTimer", line),
            Hop("TMCpuTickCanUseRealTSC", "TMAllCpu.cpp", 241 if line < 6000 else 267)]
    return Site("path", "vbox", "v", "HMVMXR0.cpp", line, 25,
                "hmR0VmxUpdateTscOffsettingAndPreemptTimer", "TMCpuTickCanUseRealTSC", text,
                {"length": 4}, [path])


def test_diff_pairs_call_paths_by_their_hops():
    """QA: 5.1 reaches the site through ...Normal and ...Debug, 6.1.36 also through ...Nested;
    the site's text and every line moved. Was: 1 added + 2 changed, the new path unseen."""
    old_text = "f = TMCpuTickCanUseRealTSC(pVM, pVCpu, &pVCpu->hm.s.vmx.u64TSCOffset, &fPv);"
    new_text = "f = TMCpuTickCanUseRealTSC(pVM, pVCpu, &uTscOffset, &fPv);"
    old = [_path_row(5703, old_text, "hmR0VmxRunGuestCodeNormal", 10694),
           _path_row(5703, old_text, "hmR0VmxRunGuestCodeDebug", 10696)]
    new = [_path_row(6999, new_text, "hmR0VmxRunGuestCodeNormal", 12745),
           _path_row(6999, new_text, "hmR0VmxRunGuestCodeNested", 12751),
           _path_row(6999, new_text, "hmR0VmxRunGuestCodeDebug", 12747)]
    got = by_status(diff.diff_sites(old, new))
    assert sorted(got) == ["added", "changed"]
    [changed], [added] = got["changed"], got["added"]
    assert [p[1].function for p in changed.new.paths] == ["hmR0VmxRunGuestCodeNormal",
                                                             "hmR0VmxRunGuestCodeDebug"]
    assert [p[1].function for p in changed.old.paths] == ["hmR0VmxRunGuestCodeNormal",
                                                             "hmR0VmxRunGuestCodeDebug"]
    assert added.old is None and added.note == "new call path"
    assert [p[1].function for p in added.new.paths] == ["hmR0VmxRunGuestCodeNested"]
    assert "length" in added.new.extra            # (one path: its own extras)
    reverse = by_status(diff.diff_sites(new, old))
    assert sorted(reverse) == ["changed", "removed"]
    assert reverse["removed"][0].note == "call path gone"


def test_diff_unchanged_paths_pair_when_their_lines_move():
    text = "f = TMCpuTickCanUseRealTSC(pVM, pVCpu, &uTscOffset, &fPv);"
    old = [_path_row(5703, text, "hmR0VmxRunGuestCodeNormal", 10694),
           _path_row(5703, text, "hmR0VmxRunGuestCodeDebug", 10696)]
    new = [_path_row(5710, text, "hmR0VmxRunGuestCodeDebug", 10800),
           _path_row(5710, text, "hmR0VmxRunGuestCodeNormal", 10790)]
    [e] = diff.diff_sites(old, new)
    assert e.status == "same" and e.note == "line 5703 -> 5710"
    assert len(e.old.paths) == len(e.new.paths) == 2


def _new_entry(root: Path) -> None:
    """@3: a second work function raises KVM_REQ_CLOCK_UPDATE, so the call of
    kvm_guest_time_update in vcpu_enter_guest has a new call path; every line of x86.c moves."""
    p = root / X86
    s = p.read_text().replace(
        "void kvm_arch_init_vm(struct kvm *kvm)\n{\n",
        "static void kvmclock_sync_fn(struct work_struct *work)\n{\n"
        "\tstruct kvm_vcpu *vcpu = container_of(work, struct kvm_vcpu, arch.hw_tsc_khz);\n\n"
        "\tkvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);\n}\n\n"
        "void kvm_arch_init_vm(struct kvm *kvm)\n{\n"
        "\tINIT_DELAYED_WORK(&kvm->sync_work, kvmclock_sync_fn);\n", 1)
    p.write_text("/* version 3 */\n\n" + s)


@pytest.fixture(scope="module")
def path_versions(tmp_path_factory) -> Path:
    """An index holding linux-kvm@1 (the fixture tree) and linux-kvm@3 (a new work function)."""
    base = tmp_path_factory.mktemp("diff-paths")
    v3 = base / "v3"
    shutil.copytree(FIXTURE, v3)
    _new_entry(v3)
    index = base / "index"
    api.index(str(FIXTURE), "linux-kvm@1", index, procs=1)
    api.index(str(v3), "linux-kvm@3", index, procs=1)
    return index


def test_cli_diff_shows_the_new_call_path(path_versions):
    """The site is the same (its lines moved); of its paths, the one from kvm_vcpu_ioctl is
    the same one (its lines moved too), the one from kvmclock_sync_fn is new. Was: `1 same`."""
    args = ["diff", "calls kvm_guest_time_update | paths from entry depth 4", "--from",
            "linux-kvm@1", "--to", "linux-kvm@3", "--index", str(path_versions)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    i = lines.index(f"{X86}:164:7: vcpu_enter_guest: added (new call path): "
                    "r = kvm_guest_time_update(vcpu);")
    assert lines[i + 1] == (f"    path: kvmclock_sync_fn [work] ({X86}:150) =deferred "
                            f"KVM_REQ_CLOCK_UPDATE=> -> vcpu_enter_guest ({X86}:164)")
    assert "kvm_vcpu_ioctl" not in r.stdout            # paired by its hops, lines moved
    assert "1 added" in r.stderr and "1 same" in r.stderr
    r = CliRunner().invoke(cli, args + ["--all"])
    assert f"{X86}:164:7: vcpu_enter_guest: same (line 154 -> 164): " in r.stdout
    r = CliRunner().invoke(cli, args + ["--json"])
    [added] = [e for e in map(json.loads, r.stdout.splitlines()) if e["status"] == "added"]
    assert added["old"] is None and added["note"] == "new call path"
    assert [[h["function"] for h in p] for p in added["new"]["paths"]] == [
        ["kvmclock_sync_fn", "vcpu_enter_guest"]]


def test_a_changed_row_in_another_file_names_the_old_file():
    """The same function and symbol with other text, moved to another file (PDMR0Device.cpp
    to PDMR0DevHlp.cpp): `was FILE:LINE`, not a line of the new file."""
    old = [_site("pdmR0DevHlp_PhysRead", "rc = PGMPhysRead(pVM, GCPhys, pvBuf, cbRead);", 217,
                 file="old.cpp")]
    new = [_site("pdmR0DevHlp_PhysRead", "VBOXSTRICTRC rcStrict = PGMPhysRead(pVM, GCPhys, pvBuf);",
                 301, file="new.cpp")]
    [e] = diff.diff_sites(old, new)
    assert e.status == "changed" and e.note.startswith("was old.cpp:217"), e.note


def test_diff_of_two_different_corpora_warns(tmp_path):
    fix = Path(__file__).parent / "fixtures"
    ix = tmp_path / "ix"
    api.index(str(fix / "linux_qa"), "linux-kvm@a", ix, procs=1, fulltext=False)
    api.index(str(fix / "vbox"), "virtualbox-vmm@b", ix, procs=1, fulltext=False)
    r = CliRunner().invoke(cli, ["diff", "refs memcpy", "--from", "linux-kvm@a",
                                 "--to", "virtualbox-vmm@b", "--index", str(ix)])
    assert "are two different corpora" in r.stderr, r.output


def test_diff_another_value_written_elsewhere_is_no_move():
    """A write of another value in another function is a removed and an added row, not a
    move with "text changed slightly" (enmState = EMSTATE_SUSPENDED vs = EMSTATE_NEM)."""
    old = [_site("notify_suspend", "pVCpu->em.s.enmState = EMSTATE_SUSPENDED;", 10,
                 op="=", value="EMSTATE_SUSPENDED")]
    new = [_site("execute_vm", "pVCpu->em.s.enmState = EMSTATE_NEM;", 20,
                 op="=", value="EMSTATE_NEM")]
    got = by_status(diff.diff_sites(old, new))
    assert set(got) == {"removed", "added"}, got
    same_value = [_site("execute_vm", "pVCpu->em.s.enmState = EMSTATE_SUSPENDED ;", 20,
                        op="=", value="EMSTATE_SUSPENDED")]
    assert [e.status for e in diff.diff_sites(old, same_value)] == ["moved"]


def test_a_member_only_one_version_has_is_said_in_the_summary(tmp_path):
    """Diffing `writes S.m` where version 2 has no member m: its rows are `removed`, and the
    summary says why (the member is gone), not only the count."""
    from twoversions import drop_asid, index_two
    idx = index_two(tmp_path, drop_asid)
    r = CliRunner().invoke(cli, ["diff", "writes qa_ctl_cached.asid", "--from", "linux-kvm@1",
                                 "--to", "linux-kvm@2", "--index", str(idx)])
    assert r.exit_code == 0, r.output
    assert "removed: to->asid = from->asid;" in r.stdout, r.output
    assert r.stderr.strip().endswith("linux-kvm@1 -> linux-kvm@2: 1 removed (struct "
                                     "qa_ctl_cached has no member 'asid' in linux-kvm@2)"), r.output


def test_diff_says_to_choose_versions_with_from_and_to():
    """A name only another indexed corpus has: diff's advice names its own options."""
    msg = diff._for_diff("no symbol 'x' in a@1. It is in b@2: choose it with --corpus.")
    assert msg.endswith("choose it with --from / --to.") and "--corpus" not in msg


def _test_row(function: str, text: str, line: int, col: int, via: str) -> Site:
    return Site("consume", "c", "v", "EM.cpp", line, col, function, "VMCPU_FF_TIMER", text,
                {"via": via})


def test_changed_rows_of_one_function_pair_by_likeness_not_order():
    """QA (audit C, D2): 5.1's emR3RemExecute tests VMCPU_FF_TIMER twice; 6.1.36 dropped the
    TIMER | REQUEST re-check and rewrote the ALL_REM_MASK test. Was: the re-check `changed`
    into the rewritten test, the ALL_REM_MASK test `removed` (pairing by order)."""
    old = [_test_row("emR3RemExecute", "||  VMCPU_FF_IS_PENDING(pVCpu, VMCPU_FF_TIMER | "
                     "VMCPU_FF_REQUEST))", 1135, 21,
                     "VMCPU_FF_IS_PENDING (VMCPU_FF_TIMER | VMCPU_FF_REQUEST)"),
           _test_row("emR3RemExecute", "||  VMCPU_FF_IS_PENDING(pVCpu,", 1222, 17,
                     "VMCPU_FF_IS_PENDING (VMCPU_FF_ALL_REM_MASK)")]
    new = [_test_row("emR3RemExecute", "||  VMCPU_FF_IS_ANY_SET(pVCpu, VMCPU_FF_ALL_REM_MASK) )",
                     1162, 17, "VMCPU_FF_IS_ANY_SET (VMCPU_FF_ALL_REM_MASK)")]
    got = by_status(diff.diff_sites(old, new))
    assert [e.old.line for e in got["removed"]] == [1135]
    assert [(e.old.line, e.new.line) for e in got["changed"]] == [(1222, 1162)]


def test_equally_alike_rows_pair_at_the_same_indentation():
    """An inner loop's check and the outer loop's check of one function, both rewritten the
    same way, and 6.1.36 adds a second inner one: the outer checks pair (same column)."""
    o, n = "M(pVM, pVCpu, pCtx->eflags.u);", "M(pVM, pVCpu, pVCpu->cpum.GstCtx.eflags.u);"
    old = [_test_row("stos", o, 1023, 21, ""), _test_row("stos", o, 1051, 9, "")]
    new = [_test_row("stos", n, 988, 21, ""), _test_row("stos", n, 1004, 21, ""),
           _test_row("stos", n, 1031, 9, "")]
    got = by_status(diff.diff_sites(old, new))
    assert sorted((e.old.line, e.new.line) for e in got["changed"]) == [(1023, 988), (1051, 1031)]
    assert [e.new.line for e in got["added"]] == [1004]


def test_a_moved_site_with_paths_says_which_paths_came_and_went():
    """QA (audit C, D3): the u32TscScale write moved from gimR3KvmEnableSystemTime to
    gimR3KvmUpdateSystemTime, so its call paths end elsewhere. Was: `moved` with no paths;
    then a removed and an added entry beside the moved one."""
    def row(func: str, line: int, first: str) -> Site:
        path = [Hop(first, "GIM.cpp", 314), Hop("gimR3KvmLoad", "GIMKvm.cpp", 351),
                Hop(func, "GIMKvm.cpp", line)]
        return Site("write", "c", "v", "GIMKvm.cpp", line, 5, func, "GIMKVMSYSTEMTIME.u32TscScale",
                    "SystemTime.u32TscScale = x;", {}, [path])
    got = by_status(diff.diff_sites([row("gimR3KvmEnableSystemTime", 424, "gimR3Load")],
                                    [row("gimR3KvmUpdateSystemTime", 149, "gimR3Load")]))
    # (one moved entry with both versions' paths, said in its note: not also a removed and
    # an added entry of the same statement, audit S D1)
    assert not got.get("removed") and not got.get("added"), got
    assert [e.new.line for e in got["moved"]] == [149]
    moved = got["moved"][0]
    assert moved.note.endswith("call paths: 1 gone, 1 new"), moved.note
    assert moved.old.paths and moved.new.paths


def test_a_path_only_not_shown_in_the_other_version_is_no_removal(path_versions, monkeypatch):
    """QA (audit C, D1): a version shows a few paths per site; a path the old version shows
    whose calls the new one still makes is a note on the site, not `call path gone`."""
    path = [Hop("kvm_vcpu_ioctl", X86, 1), Hop("kvm_arch_vcpu_ioctl_run", X86, 2),
            Hop("vcpu_enter_guest", X86, 3)]
    new = api.open_scope(path_versions, "linux-kvm@3")
    assert diff._calls_still_made(new, path, "vcpu_enter_guest")
    assert not diff._calls_still_made(new, path, "kvm_guest_time_update")  # (another end)
    assert not diff._calls_still_made(new, [Hop("kvm_vcpu_ioctl", X86, 1)] + path[1:][::-1],
                                      "kvm_arch_vcpu_ioctl_run")  # (no such call)
    old_site = Site("call", "c", "1", X86, 154, 7, "vcpu_enter_guest", "f", "r = f(vcpu);", {},
                    [path, path[:1] + path[2:]])
    new_site = Site("call", "c", "3", X86, 164, 7, "vcpu_enter_guest", "f", "r = f(vcpu);", {}, [])
    entries = diff.diff_sites([old_site], [new_site])
    assert sorted(e.status for e in entries) == ["removed", "same"]
    got = by_status(diff.recheck_paths(entries, api.open_scope(path_versions, "linux-kvm@1"), new))
    [gone], [same] = got["removed"], got["same"]
    assert [diff.hops(p) for p in gone.old.paths] == [("kvm_vcpu_ioctl", "vcpu_enter_guest")]
    assert gone.note == "call path gone"
    assert "call path of linux-kvm@1 still made in linux-kvm@3" in same.note, same.note


def test_a_diff_compares_all_results_whatever_the_limit(two_versions):
    """QA (audit C, D4): `| limit N` cut each version's list apart, so a row past the limit
    in one version read as added or removed."""
    index, _s1, _s2 = two_versions
    full, _ = diff.diff_query_why("refs kvm_make_request", "linux-kvm@1", "linux-kvm@2", index)
    cut, why = diff.diff_query_why("refs kvm_make_request | limit 1", "linux-kvm@1", "linux-kvm@2",
                                   index)
    assert len(full) > 1 and [e.to_json() for e in cut] == [e.to_json() for e in full]
    assert "`| limit` is not applied" in why


def _call(function: str, text: str, file: str, line: int = 1) -> Site:
    return Site("call", "c", "v", file, line, 1, function, "TMNotifyStartOfExecution", text, {})


def test_a_bare_call_in_another_function_and_file_is_no_move():
    """A caller gone from 5.1's raw-mode loop and one new in 6.1's NEM loop: the rows say
    nothing but the call, which every caller has, so they are removed + added, not a move
    (nearly the same text, pass 5, or the same text, pass 3b)."""
    old = [_call("vmmR0EntryFast", "TMNotifyStartOfExecution(pVCpu);", "VMMR0.cpp", 1015)]
    for text in ("TMNotifyStartOfExecution(pVM, pVCpu);", "TMNotifyStartOfExecution(pVCpu);",
                 "rc = TMNotifyStartOfExecution(pVCpu);"):
        new = [_call("nemHCWinRunGC", text, "NEMAll.cpp.h", 4404)]
        got = by_status(diff.diff_sites(old, new))
        assert set(got) == {"removed", "added"}, (text, got)
    # the bare call in the same function of a renamed file, or in a renamed function of the
    # same file, is still that call: changed (its function kept), moved (its file kept)
    for fn, file, status in (("vmmR0EntryFast", "VMMR0Entry.cpp", "changed"),
                             ("vmmR0EntryFaster", "VMMR0.cpp", "moved")):
        new = [_call(fn, "TMNotifyStartOfExecution(pVM, pVCpu);", file, 99)]
        assert [e.status for e in diff.diff_sites(old, new)] == [status], (fn, file)


def test_a_statement_that_says_more_than_its_call_may_move_anywhere():
    """`pKvmCpu->uTsc = TMCpuTickGetNoCheck(pVCpu) | UINT64_C(1)` in 5.1's gimKvmWriteMsr
    and `pKvmCpu->uTsc = TMCpuTickGetNoCheck(pVCpu)` in 6.1's gimR3KvmEnableSystemTime: the
    member it stores says which statement it is: moved."""
    old = [Site("call", "c", "v", "GIMAllKvm.cpp", 250, 1, "gimKvmWriteMsr", "TMCpuTickGetNoCheck",
                "pKvmCpu->uTsc = TMCpuTickGetNoCheck(pVCpu) | UINT64_C(1);", {})]
    new = [Site("call", "c", "v", "GIMKvm.cpp", 606, 1, "gimR3KvmEnableSystemTime",
                "TMCpuTickGetNoCheck", "pKvmCpu->uTsc  = TMCpuTickGetNoCheck(pVCpu) | UINT64_C(1);",
                {})]
    assert [e.status for e in diff.diff_sites(old, new)] == ["moved"]
    assert diff._without_call("a = f(g(x), y) + f(z);", "f") == "a =  + ;"


def test_a_bare_call_moves_to_a_function_named_alike():
    """The same bare call in a renamed function of a renamed file (IOMAllMMIO.cpp's
    iomMMIODoComplicatedWrite -> IOMAllMmioNew.cpp's iomMmioDoComplicatedWrite) is moved."""
    text = "TMNotifyStartOfExecution(pVCpu);"
    old = [_call("iomMMIODoComplicatedWrite", text, "IOMAllMMIO.cpp")]
    new = [_call("iomMmioDoComplicatedWrite", text, "IOMAllMmioNew.cpp")]
    assert [e.status for e in diff.diff_sites(old, new)] == ["moved"]
    new = [_call("selmRCSyncGDTEntry", text, "SELMRC.cpp")]
    assert sorted(e.status for e in diff.diff_sites(old, new)) == ["added", "removed"]


def test_words_every_raise_has_tell_no_move():
    """Among the raises of a flag, `VMCPU_FF_SET(pVCpu, FLAG)` in another function of another
    file is another raise: the macro and pVCpu are in every row."""
    def raise_(fn, file, line):
        return Site("write", "c", "v", file, line, 1, fn, "VMCPU_FF_BLOCK_NMIS",
                    "VMCPU_FF_SET(pVCpu, VMCPU_FF_BLOCK_NMIS);", {})
    old = [raise_("hmR0VmxCheckExitDueToEventDelivery", "HMVMXR0.cpp", 6207),
           raise_("hmR0SvmPreRunGuest", "HMSVMR0.cpp", 3044), raise_("IEMInjectTrap", "IEMAll.cpp", 9)]
    new = [raise_("CPUMSetGuestNmiBlocking", "CPUMAllRegs.cpp", 2052),
           raise_("hmR0SvmPreRunGuest", "HMSVMR0.cpp", 3050), raise_("iemRaiseXcpt", "IEMAll.cpp", 5)]
    got = {e.status: e for e in diff.diff_sites(old, new)}
    assert sorted(e.status for e in diff.diff_sites(old, new)) == ["added", "moved", "removed",
                                                                   "same"], got
    assert got["added"].new.function == "CPUMSetGuestNmiBlocking"
