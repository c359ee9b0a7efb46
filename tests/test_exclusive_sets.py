"""The profile's [entry] exclusive_sets: a call path keeps to one architecture, and to user
space (tools/) or the kernel, when more of the tree than arch/x86 is indexed (feasible.
_group_clash). Fixture tests/fixtures/arches, indexed with the shipped linux-kvm profile
whose [paths] take every C file."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import api, corpora
from vmxref.cli import cli

FIX = Path(__file__).parent / "fixtures" / "arches"


@pytest.fixture(scope="module")
def q(tmp_path_factory):
    d = tmp_path_factory.mktemp("arches")
    text = Path(corpora.profile_path("linux-kvm")).read_text()
    text = re.sub(r"(?ms)^\[paths\]\ninclude = \[.*?^\]", '[paths]\ninclude = ["**/*.c"]', text)
    assert '["**/*.c"]' in text
    prof = d / "linux-kvm.toml"
    prof.write_text(text)
    api.index(str(FIX), "linux-kvm@arches", d / "ix", profile=str(prof), procs=1,
              fulltext=False)

    def run(query: str) -> tuple[int, list[dict], str]:
        r = CliRunner().invoke(cli, ["q", query, "--json", "--index", str(d / "ix")])
        rows = [json.loads(x) for x in r.stdout.splitlines()] if r.exit_code != 2 else []
        return r.exit_code, rows, r.output
    run.index = d / "ix"  # type: ignore[attr-defined]
    return run


def _paths(rows) -> list[list[tuple[str, str]]]:
    return [[(h["function"], h["file"].split("/")[1] if h["file"].startswith("arch/")
              else h["file"].split("/")[0]) for h in p] for r in rows for p in r["paths"]]


def test_a_path_keeps_to_one_architecture(q):
    code, rows, out = q("path qa_vcpu_ioctl -> qa_arch_vcpu_load")
    assert code == 0 and _paths(rows) == [
        [("qa_vcpu_ioctl", "virt"), ("qa_arch_vcpu_setup", "x86"), ("qa_arch_vcpu_load", "x86")]
    ], out
    # the site raising the request is x86 code: the arm64 helper's call does not reach it
    code, rows, out = q("raises KVM_REQ_QA_LOAD | paths")
    assert code == 0 and _paths(rows) == [
        [("qa_vcpu_ioctl", "virt"), ("qa_arch_vcpu_setup", "x86"), ("qa_arch_vcpu_load", "x86")]
    ], out


def test_user_space_tools_do_not_call_into_the_kernel(q):
    code, rows, out = q("path qa_tool_main -> qa_arch_vcpu_load")
    assert code == 1 and rows == [], out
    assert q("callers qa_arch_vcpu_load")[0] == 0  # (the calls are there, by name)


def test_of_parallel_calls_the_path_takes_and_shows_its_architectures(q):
    """qa_arch_vcpu_run of arm64 and of x86 both call the common qa_vcpu_load (the graph
    keeps one call per pair of names): the path to x86's qa_arch_vcpu_load goes through,
    and shows, x86's call."""
    code, rows, out = q("path qa_arch_vcpu_run -> qa_arch_vcpu_load")
    assert code == 0 and [[(h["function"], h["file"]) for h in p] for r in rows
                          for p in r["paths"]] == [
        [("qa_arch_vcpu_run", "arch/x86/kvm/qa_x86.c"), ("qa_vcpu_load", "virt/kvm/qa_main.c"),
         ("qa_arch_vcpu_load", "arch/x86/kvm/qa_x86.c")]], out


def test_a_backward_search_does_not_cross_calls_of_other_groups(q):
    """From a site in x86 code, the search does not even look at arm64's or the tools'
    calls (in_edges with the site's end_groups): on all of Linux that keeps it to x86 KVM."""
    from vmxref.queries.feasible import end_groups, in_edges
    sc = api.open_scope(q.index)
    try:
        x86 = sc.blobs_of("arch/x86/kvm/qa_x86.c")
        callers = {(e.caller, e.path.split("/")[1] if e.path.startswith("arch/") else
                    e.path.split("/")[0]) for e, _w in in_edges(sc, "qa_arch_vcpu_load", 0)}
        assert callers == {("qa_vcpu_load", "virt"), ("qa_arch_vcpu_setup", "x86"),
                           ("qa_arm_reset", "arm64"), ("qa_run_vcpu", "tools")}
        kept = {e.caller for e, _w in in_edges(sc, "qa_arch_vcpu_load", 0,
                                                groups=end_groups(sc, x86))}
        assert kept == {"qa_vcpu_load", "qa_arch_vcpu_setup"}
    finally:
        sc.store.close()
