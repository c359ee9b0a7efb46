"""The shipped saved queries (queries/*.toml) pass `vmxref check` on Linux 6.1 KVM.

VirtualBox queries are reported as SKIP here (their corpus is not in this index); they are
checked locally against VirtualBox 6.1.36 and 5.1 trees.
"""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from vmxref.cli import cli
from vmxref.queries import runner

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "queries"


def _queries(linux, tmp_path: Path) -> Path:
    """The saved queries with their pinned lines carried to the tree under test."""
    d = tmp_path / "queries"
    d.mkdir()
    for q in QUERIES.glob("*.toml"):
        (d / q.name).write_text(linux.text(q.read_text()))
    return d


def test_linux_queries_all_pass(linux, tmp_path):
    outcomes = runner.check_paths([_queries(linux, tmp_path)], linux.index, REPO)
    linux_ones = [o for o in outcomes if o.plan.saved.corpus == "linux-kvm"]
    assert len(linux_ones) >= 12
    bad = {o.plan.shown: [str(f) for f in o.failures] for o in linux_ones if o.status != "PASS"}
    assert bad == {}
    others = {o.status for o in outcomes if o.plan.saved.corpus != "linux-kvm"}
    assert others <= {"SKIP"}


def test_check_cli_exit_0(linux, monkeypatch, tmp_path):
    d = _queries(linux, tmp_path)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["check", f"{d.name}/", "--index", str(linux.index)])
    assert r.exit_code == 0, r.output
    assert "FAIL" not in r.stdout and "ERROR" not in r.stdout
