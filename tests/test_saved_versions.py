"""Saved query files on an index of two versions (fixture@1, fixture@2 of the report fixture):
`run`, `check` and `report` plan them alike (vmxref.queries.runner). A file that pins no
version is run and judged once per version, in every command; `--corpus` selects versions,
and a file it leaves out still gets a line saying so; a check that checked nothing fails.

fixture@2 moves a call of kvm_guest_time_update from vmx_vcpu_load to a new vmx_post_run:
each version has 3 callers, the two together 6.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitecheck import check_site
from test_report import index_two_versions
from vmxref.cli import cli
from vmxref.queries import runner
from vmxref.queries.saved import load_all
from vmxref.report import build_site

UNPINNED = '''\
title = "Who calls kvm_guest_time_update?"
query = "callers kvm_guest_time_update"
[expect]
max = 3
'''

PINNED_2 = '''\
title = "vmx_post_run updates the clock"
corpus = "fixture@2"
query = "callers kvm_guest_time_update"
[expect]
includes = ["vmx.c:vmx_post_run"]
'''


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    return index_two_versions(tmp_path_factory.mktemp("saved-versions"))


@pytest.fixture
def qdir(tmp_path, monkeypatch) -> Path:
    """a.toml (no corpus) and b.toml (pinned to fixture@2) in ./q, the working directory."""
    d = tmp_path / "q"
    d.mkdir()
    (d / "a.toml").write_text(UNPINNED)
    (d / "b.toml").write_text(PINNED_2)
    monkeypatch.chdir(tmp_path)
    return d


def invoke(ix: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--index", str(ix)])


def index_rows(out: Path) -> list[tuple[str, str, str, str]]:
    """(status, source file, corpus, results) per row of the report's index page."""
    rows = []
    for status, body in re.findall(r'<tr class="row-(\w+)">(.*?)</tr>',
                                   (out / "index.html").read_text(), re.S):
        cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
        source = re.search(r'<div class="small">(.*?)</div>', body).group(1)
        rows.append((status, source, cells[1], cells[2]))
    return rows


# --------------------------------------------------------------------------- check --corpus

def test_check_corpus_filter_gives_excluded_file_a_skip_line(two_versions, qdir):
    r = invoke(two_versions, "check", "q", "--corpus", "fixture@1")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        "PASS q/a.toml [fixture@1] (3 results)",
        "SKIP q/b.toml [fixture@2]",
        "    pinned to fixture@2, not selected by --corpus fixture@1",
        "1 PASS, 1 SKIP"]


def test_check_json_excluded_file_is_skip_with_reason(two_versions, qdir):
    r = invoke(two_versions, "check", "q/b.toml", "--corpus", "fixture@1", "--json")
    [obj] = [json.loads(x) for x in r.stdout.splitlines()]
    assert (obj["status"], obj["corpus"]) == ("SKIP", "fixture@2")
    assert obj["failures"] == ["pinned to fixture@2, not selected by --corpus fixture@1"]


def test_check_that_checked_nothing_exits_1(two_versions, qdir):
    r = invoke(two_versions, "check", "q/b.toml", "--corpus", "fixture@1")
    assert r.exit_code == 1, r.output
    assert r.stdout.splitlines()[0] == "SKIP q/b.toml [fixture@2]"
    assert "nothing was checked: every file was skipped" in r.stderr


def test_check_corpus_not_indexed_is_an_error(two_versions, qdir):
    r = invoke(two_versions, "check", "q", "--corpus", "fixture@3")
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == ("vmxref: error: corpus 'fixture@3' is not indexed; indexed: "
                                "fixture@1, fixture@2")


def test_run_corpus_filter_says_why_a_file_did_not_run(two_versions, qdir):
    r = invoke(two_versions, "run", "q/b.toml", "--corpus", "fixture@1")
    assert r.exit_code == 1, r.output
    assert r.stdout == "== q/b.toml [fixture@2]: vmx_post_run updates the clock\n"
    assert r.stderr == "q/b.toml: SKIP: pinned to fixture@2, not selected by --corpus fixture@1\n"


# --------------------------------------------------------------------------- report = check

def test_report_judges_an_unpinned_query_per_version_as_check_does(two_versions, qdir, tmp_path):
    checked = {(o.plan.shown, o.plan.corpus): o.status
               for o in runner.check_paths([qdir], two_versions, tmp_path)}
    assert checked == {("q/a.toml", "fixture@1"): "PASS", ("q/a.toml", "fixture@2"): "PASS",
                       ("q/b.toml", "fixture@2"): "PASS"}
    out = tmp_path / "site"
    summary = build_site(out, load_all([qdir], tmp_path), two_versions)
    check_site(out)
    assert index_rows(out) == [("pass", "a.toml", "fixture@1", "3"),
                               ("pass", "a.toml", "fixture@2", "3"),
                               ("pass", "b.toml", "fixture@2", "3")]
    assert (summary["files"], summary["queries"], summary["failed"]) == (2, 3, [])


def test_report_corpus_option(two_versions, qdir, tmp_path):
    r = invoke(two_versions, "report", "--out", "site", "q", "--corpus", "fixture@1")
    assert r.exit_code == 0, r.output
    assert index_rows(tmp_path / "site") == [("pass", "a.toml", "fixture@1", "3"),
                                             ("skipped", "b.toml", "fixture@2", "–")]
    index = (tmp_path / "site" / "index.html").read_text()
    assert "pinned to fixture@2, not selected by --corpus fixture@1" in index
    assert ("skipped q/b.toml [fixture@2]: pinned to fixture@2, not selected by --corpus "
            "fixture@1") in r.stderr.splitlines()
    r = invoke(two_versions, "report", "--out", "site2", "q", "--corpus", "fixture@3")
    assert r.exit_code == 2 and "corpus 'fixture@3' is not indexed" in r.stderr


def test_unknown_symbol_error_names_the_versions_corpus_selects(two_versions, qdir):
    (qdir / "c.toml").write_text('title = "typo"\nquery = "callers kvm_guest_time_updat"\n')
    r = invoke(two_versions, "check", "q/c.toml", "--corpus", "fixture@2")
    assert r.exit_code == 2, r.output
    assert "no symbol 'kvm_guest_time_updat' in fixture@2" in r.stderr, r.stderr
    assert "fixture@1" not in r.stderr, r.stderr


def test_an_unpinned_query_is_skipped_on_a_version_without_its_names(two_versions, qdir):
    """vmx_post_run exists in fixture@2 only: the unpinned file passes there and is skipped
    (with the reason) on fixture@1, not an error that fails the check."""
    (qdir / "d.toml").write_text('title = "post run"\nquery = "callees vmx_post_run"\n')
    r = invoke(two_versions, "check", "q/d.toml")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("SKIP q/d.toml [fixture@1]") and "no symbol 'vmx_post_run'" in \
        r.stdout, r.output
    assert lines[-1] == "1 RAN, 1 SKIP", r.output  # (no [expect]: run, not judged)


def test_a_pinned_file_without_its_names_in_its_version(two_versions, qdir):
    """QA (audit C, D6): a file pinned to fixture@1 naming vmx_post_run (fixture@2 only):
    the error says the `corpus` key pins that version (--corpus cannot help), and a
    --corpus that leaves the file out makes it a SKIP instead of that error."""
    (qdir / "e.toml").write_text('title = "post run"\ncorpus = "fixture@1"\n'
                                 'query = "callees vmx_post_run"\n')
    r = invoke(two_versions, "check", "q/e.toml")
    assert r.exit_code == 2 and "it is in fixture@2 (the file's `corpus` key pins fixture@1)" \
        in r.stderr, r.output
    r = invoke(two_versions, "check", "q/e.toml", "q/b.toml", "--corpus", "fixture@2")
    assert r.exit_code == 0, r.output
    assert "SKIP q/e.toml [fixture@1]" in r.stdout and "1 PASS, 1 SKIP" in r.stdout, r.output


def test_a_corpus_no_profile_names_is_said_so(two_versions, qdir):
    """QA (audit C, D7): `corpus = "qemu"` is not indexed and no shipped profile has that
    name: the SKIP line says both."""
    (qdir / "f.toml").write_text('title = "q"\ncorpus = "qemu"\nquery = "callers f"\n')
    r = invoke(two_versions, "check", "q/f.toml")
    assert "corpus qemu is not indexed (nor is it the name of a shipped profile" in r.stdout, r.output


def test_a_file_naming_its_corpus_but_no_version_has_no_results_where_its_names_are_missing(
        two_versions, qdir):
    """QA (audit S, D3): `corpus = "fixture"` and a name only fixture@2 has: on fixture@1 the
    query has no results and is judged so (a FAIL for `min = 1`), as the docs say, not an
    ERROR; `run` and `check` agree."""
    (qdir / "g.toml").write_text('title = "post run"\ncorpus = "fixture"\n'
                                 'query = "callees vmx_post_run"\n[expect]\nmin = 1\n')
    r = invoke(two_versions, "check", "q/g.toml")
    assert r.exit_code == 1, r.output
    assert "FAIL q/g.toml [fixture@1] (0 results)" in r.stdout, r.output
    assert "PASS q/g.toml [fixture@2]" in r.stdout and "ERROR" not in r.stdout, r.output
    r = invoke(two_versions, "run", "q/g.toml")
    assert r.exit_code == 0 and "no symbol 'vmx_post_run' in fixture@1" in r.stderr, r.output


def test_a_pinned_version_not_indexed_names_the_indexed_versions(two_versions, qdir):
    """QA (audit S, D4): a version typo (`fixture@21`) is a SKIP whose reason lists the
    versions of that corpus that are indexed."""
    (qdir / "h.toml").write_text('title = "t"\ncorpus = "fixture@21"\nquery = "callers f"\n')
    r = invoke(two_versions, "check", "q/h.toml")
    assert "indexed versions of fixture: 1, 2" in r.stdout, r.output
