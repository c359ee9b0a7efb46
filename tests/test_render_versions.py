"""Text results of several corpus versions say which version each line is from."""
from __future__ import annotations

from vmxref.model import Site
from vmxref.render import render_sites


def _site(version: str, line: int) -> Site:
    return Site("write", "virtualbox-vmm", version, "src/VBox/VMM/VMMR3/GIMHv.cpp", line, 5,
                "gimR3HvEnableTscPage", "GIMHVREFTSC.u64TscScale", "pRefTsc->u64TscScale = x;",
                {"write_kind": "assign", "op": "="})


def test_mixed_versions_are_labelled_and_one_version_is_not():
    out: list[str] = []
    render_sites([_site("5.1", 1264), _site("6.1.36", 1272)], False, out.append)
    assert [x.split(": ", 1)[0] for x in out] == ["virtualbox-vmm@5.1", "virtualbox-vmm@6.1.36"]
    one: list[str] = []
    render_sites([_site("6.1.36", 1272)], False, one.append)
    assert one[0].startswith("src/VBox/VMM/VMMR3/GIMHv.cpp:1272:5: ")
    js: list[str] = []
    render_sites([_site("5.1", 1264), _site("6.1.36", 1272)], True, js.append)
    assert all(x.startswith("{") for x in js)  # JSON has its own corpus/version keys


def test_a_query_over_several_versions_labels_a_one_version_answer():
    """Asked over 5.1 and 6.1.36 (`several`), an answer only 5.1 has is labelled too."""
    out: list[str] = []
    render_sites([_site("5.1", 1264)], False, out.append, several=True)
    assert out[0].startswith("virtualbox-vmm@5.1: src/VBox/VMM/VMMR3/GIMHv.cpp:1264:5: ")


def test_the_versions_without_results_are_named(tmp_path):
    """`def X` over two versions where only one defines X: the note names the other."""
    from click.testing import CliRunner
    from twoversions import index_two
    from vmxref.cli import cli
    idx = index_two(tmp_path, lambda v2: (v2 / "arch/x86/kvm/qa_bitmap.c").unlink())
    r = CliRunner().invoke(cli, ["def", "qa_bm_scan", "--index", str(idx)])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("linux-kvm@1: arch/x86/kvm/qa_bitmap.c:"), r.output
    assert "vmxref: no results in linux-kvm@2" in r.stderr, r.output


def test_a_version_lacking_the_asked_member_says_why(tmp_path):
    """`writes S.m` over two versions where only one has member m: the other version's
    absence is said with its reason (alone, that version is an error naming it)."""
    from click.testing import CliRunner
    from twoversions import drop_asid, index_two
    from vmxref.cli import cli
    idx = index_two(tmp_path, drop_asid)
    r = CliRunner().invoke(cli, ["writes", "qa_ctl_cached.asid", "--index", str(idx)])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("linux-kvm@1: arch/x86/kvm/qa_ctlcache.c:13:"), r.output
    assert "vmxref: no results in linux-kvm@2 (struct qa_ctl_cached has no member 'asid')" \
        in r.stderr, r.output


def test_corpus_given_twice_asks_both_versions(tmp_path):
    """`--corpus A --corpus B` (or `-c A,B`) asks both versions, on the fast path and the
    full CLI alike; before, the last one given was the only one asked."""
    import subprocess
    import sys
    from pathlib import Path
    from click.testing import CliRunner
    from vmxref import api
    from vmxref.cli import cli
    fix = Path(__file__).parent / "fixtures" / "linux_qa"
    idx = tmp_path / "idx"
    for v in ("1", "2", "3"):
        api.index(str(fix), f"linux-kvm@{v}", idx, procs=1, fulltext=False)

    def versions(out: str) -> list[str]:
        return sorted({line.split(": ", 1)[0] for line in out.splitlines()})
    r = CliRunner().invoke(cli, ["def", "qa_bm_scan", "--index", str(idx), "-c", "linux-kvm@1",
                                 "--corpus", "linux-kvm@3"])
    assert r.exit_code == 0 and versions(r.stdout) == ["linux-kvm@1", "linux-kvm@3"], r.output
    fast = subprocess.run([sys.executable, "-m", "vmxref", "q", "def qa_bm_scan",
                           "--index", str(idx), "--corpus", "linux-kvm@2", "--corpus=linux-kvm@3"],
                          capture_output=True, text=True, timeout=60)
    assert versions(fast.stdout) == ["linux-kvm@2", "linux-kvm@3"], fast.stderr
    r = CliRunner().invoke(cli, ["def", "qa_bm_scan", "--index", str(idx), "-c",
                                 "linux-kvm@1,linux-kvm@2"])
    assert versions(r.stdout) == ["linux-kvm@1", "linux-kvm@2"], r.output
