"""`vmxref run` / `vmxref check` on the fixture corpus: exit codes, SKIP, SARIF, broken files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref.cli import cli
from vmxref.errors import QueryFileError
from vmxref.queries import runner

X86 = "arch/x86/kvm/x86.c"

PASSING = f'''\
title = "Who calls kvm_guest_time_update?"
corpus = "linux-kvm@fixture"
query = "callers kvm_guest_time_update"
notes = "x86.c: vcpu_enter_guest calls it under kvm_check_request."

[expect]
min = 1
max = 1
includes = ["{X86}:vcpu_enter_guest"]
'''

FAILING = f'''\
title = "Raises of KVM_REQ_CLOCK_UPDATE"
corpus = "linux-kvm@fixture"
query = "raises KVM_REQ_CLOCK_UPDATE"

[expect]
max = 1
includes = ["{X86}:kvm_reset_clock"]
excludes = ["{X86}:kvm_arch_vcpu_load"]
'''

SKIPPED = '''\
title = "A corpus that is not indexed"
corpus = "virtualbox-vmm@6.1.36"
query = "callers tmR3CalibrateTSC"

[expect]
min = 1
'''


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def invoke(kvm_index: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--index", str(kvm_index)])


# --------------------------------------------------------------------------- run / check

def test_run_prints_title_and_results(kvm_index, tmp_path):
    write(tmp_path, "a.toml", PASSING)
    r = invoke(kvm_index, "run", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert "Who calls kvm_guest_time_update?" in r.stdout
    assert f"{X86}:" in r.stdout and "vcpu_enter_guest" in r.stdout


def test_run_check_and_report_say_what_qualifies_the_results(kvm_index, tmp_path):
    """QA (audit C, D5): the notes the one-shot command prints beside its results (here:
    the name is only used, defined outside the indexed files) were left out of `run`,
    `check -v` and the report's query page."""
    write(tmp_path / "q", "a.toml", 'title = "memset"\ncorpus = "linux-kvm@fixture"\n'
                                    'query = "def memset"\n')
    said = "memset is not defined in the indexed files of linux-kvm@fixture"
    r = invoke(kvm_index, "run", str(tmp_path / "q"))
    assert said in r.stderr, r.output
    r = invoke(kvm_index, "check", "-v", str(tmp_path / "q"))
    assert said in r.stdout, r.output
    r = invoke(kvm_index, "report", "--out", str(tmp_path / "site"), str(tmp_path / "q"))
    assert r.exit_code == 0, r.output
    pages = [p.read_text() for p in (tmp_path / "site").rglob("*.html") if "memset" in p.name]
    assert any(said in p for p in pages), [p.name for p in (tmp_path / "site").rglob("*.html")]


def test_run_json_lines_name_the_query(kvm_index, tmp_path):
    f = write(tmp_path, "a.toml", PASSING)
    r = invoke(kvm_index, "run", str(f), "--json")
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert rows and all(x["query"].endswith("a.toml") and x["function"] == "vcpu_enter_guest"
                        for x in rows)


def test_check_pass_exit_0(kvm_index, tmp_path):
    write(tmp_path, "a.toml", PASSING)
    r = invoke(kvm_index, "check", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("PASS ") and "1 PASS" in r.stdout


def test_check_fail_exit_1_with_reasons(kvm_index, tmp_path):
    write(tmp_path, "a.toml", PASSING)
    write(tmp_path, "b.toml", FAILING)
    r = invoke(kvm_index, "check", str(tmp_path))
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert any(x.startswith("FAIL ") and "b.toml" in x for x in lines)
    assert "expected at most 1 result, got" in r.stdout
    assert f"missing expected result {X86}:kvm_reset_clock" in r.stdout
    assert f"unexpected result {X86}:kvm_arch_vcpu_load" in r.stdout


def test_skipped_corpus_is_skip_not_pass(kvm_index, tmp_path):
    write(tmp_path, "a.toml", PASSING)
    write(tmp_path, "c.toml", SKIPPED)
    r = invoke(kvm_index, "check", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert any(x.startswith("SKIP ") and "c.toml" in x for x in r.stdout.splitlines())
    assert "virtualbox-vmm@6.1.36 is not indexed" in r.stdout
    assert "1 PASS, 1 SKIP" in r.stdout


def test_check_json_statuses(kvm_index, tmp_path):
    for name, text in (("a.toml", PASSING), ("b.toml", FAILING), ("c.toml", SKIPPED)):
        write(tmp_path, name, text)
    r = invoke(kvm_index, "check", str(tmp_path), "--json")
    got = {Path(x["file"]).name: x["status"] for x in map(json.loads, r.stdout.splitlines())}
    assert got == {"a.toml": "PASS", "b.toml": "FAIL", "c.toml": "SKIP"}


def test_unversioned_corpus_runs_per_version(kvm_index, tmp_path):
    write(tmp_path, "a.toml", PASSING.replace("linux-kvm@fixture", "linux-kvm"))
    plans = runner.prepare([tmp_path], kvm_index)
    assert [p.corpus for p in plans] == ["linux-kvm@fixture"]


# --------------------------------------------------------------------------- SARIF

def test_sarif_shape(kvm_index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in (("a.toml", PASSING), ("b.toml", FAILING), ("c.toml", SKIPPED)):
        write(tmp_path / "q", name, text)
    out = tmp_path / "out.sarif"
    r = invoke(kvm_index, "check", str(tmp_path / "q"), "--sarif", str(out))
    assert r.exit_code == 1
    log = json.loads(out.read_text())
    assert log["version"] == "2.1.0" and "sarif" in log["$schema"]
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "vmxref"
    rule_ids = [x["id"] for x in run["tool"]["driver"]["rules"]]
    bases = run["originalUriBaseIds"]
    assert bases["linux-kvm@fixture"]["uri"].startswith("file://")
    for res in run["results"]:
        assert res["ruleId"] in rule_ids and res["message"]["text"]
        assert res["level"] in ("error", "note")
        for loc in res["locations"]:
            art = loc["physicalLocation"]["artifactLocation"]
            assert not art["uri"].startswith("/") and art["uriBaseId"] in bases
    errors = [x for x in run["results"] if x["level"] == "error"]
    count = next(e for e in errors if "expected at most" in e["message"]["text"])
    assert count["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "q/b.toml", "uriBaseId": "QUERYROOT"}
    assert len(errors) == 3  # one per failed expectation of b.toml
    by_text = {e["message"]["text"].split(": ")[-1]: e for e in errors}
    excl = next(e for t, e in by_text.items() if t.startswith("unexpected"))
    region = excl["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == X86 and region["region"]["startLine"] > 0
    notes = [x for x in run["results"] if x["ruleId"] == "vmxref/match"]
    assert notes and all(n["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
                         == "linux-kvm@fixture" for n in notes)
    skipped = run["invocations"][0]["toolExecutionNotifications"]
    assert any("c.toml" in n["message"]["text"] for n in skipped)


# --------------------------------------------------------------------------- broken files

BROKEN = {
    "unknown key": ('title = "t"\ncorpus = "linux-kvm@fixture"\nqurey = "def kvm_guest_time_update"\n',
                    3, "unknown key 'qurey'"),
    "bad syntax": ('title = "t"\ncorpus = "linux-kvm@fixture"\nquery = "callers f depth x"\n',
                   3, "query syntax error"),
    "unknown symbol": ('title = "t"\ncorpus = "linux-kvm@fixture"\n\n'
                       'query = "callers kvm_guest_time_updat"\n',
                       4, "no symbol 'kvm_guest_time_updat' in linux-kvm@fixture; "
                          "did you mean kvm_guest_time_update?"),
    "misspelt corpus": ('title = "t"\ncorpus = "linux-kmv"\nquery = "def kvm_guest_time_update"\n',
                        2, "no corpus 'linux-kmv' is indexed and no profile has that name; "
                           "did you mean linux-kvm?"),
    "include outside the repo": ('title = "t"\ncorpus = "linux-kvm@fixture"\n'
                                 'query = "def kvm_guest_time_update"\n[expect]\n'
                                 'includes = ["../secret.c:main"]\n', 5, "leaves the corpus root"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("verb", ["run", "check"])
def test_broken_file_one_line_error_and_nothing_runs(kvm_index, tmp_path, monkeypatch, case, verb):
    text, line, message = BROKEN[case]
    write(tmp_path, "a-good.toml", PASSING)   # sorts first: must not run either
    write(tmp_path, "b-broken.toml", text)
    monkeypatch.chdir(tmp_path)
    ran = []
    monkeypatch.setattr(runner, "run_plan", lambda *a, **k: ran.append(a))
    r = invoke(kvm_index, verb, ".")
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert "\n" not in err
    assert err.startswith(f"vmxref: error: b-broken.toml:{line}: ")
    assert message in err
    assert r.stdout == "" and ran == []


def test_prepare_raises_before_running(kvm_index, tmp_path):
    write(tmp_path, "x.toml", BROKEN["unknown symbol"][0])
    with pytest.raises(QueryFileError, match=r"x.toml:4: no symbol"):
        runner.prepare([tmp_path / "x.toml"], kvm_index)


def test_verb_error_is_reported_as_error(kvm_index, tmp_path, monkeypatch):
    from vmxref.errors import VmxrefError
    from vmxref.queries import engine

    def boom(*_a, **_k):
        raise VmxrefError("the verb is not available")
    write(tmp_path, "a.toml", PASSING)
    monkeypatch.setattr(engine, "run_parsed", boom)
    r = invoke(kvm_index, "check", str(tmp_path))
    assert r.exit_code == 1
    assert "ERROR" in r.stdout and "not available" in r.stdout


def test_a_misspelt_corpus_on_the_command_line_suggests_the_indexed_one(kvm_index):
    r = CliRunner().invoke(cli, ["q", "def kvm_guest_time_update", "--corpus", "linux-kmv",
                                 "--index", str(kvm_index)])
    assert r.exit_code == 2
    assert "corpus 'linux-kmv' is not indexed; did you mean linux-kvm?; indexed: " \
        "linux-kvm@fixture" in r.stderr, r.output
