"""`vmxref search` end to end on the fixture corpus: identifier splitting, scopes, path
globs, ranking, the enclosing function, JSON output and exit codes."""
from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from vmxref.cli import cli

X86 = "arch/x86/kvm/x86.c"


@pytest.fixture(scope="module")
def search(kvm_index):
    """search(*args) -> (exit code, output lines) of `vmxref search ARGS --index FIXTURE`."""
    def run(*args: str) -> tuple[int, list[str]]:
        r = CliRunner().invoke(cli, ["search", *args, "--index", str(kvm_index)])
        return r.exit_code, r.output.splitlines()
    return run


def _json(search, *args: str) -> list[dict]:
    code, lines = search(*args, "--json")
    assert code == 0, lines
    return [json.loads(x) for x in lines]


def test_camel_case_query_finds_snake_case_identifiers(search):
    """`TscKhz` is split into tsc, khz: it finds tsc_khz, tgt_tsc_khz, hw_tsc_khz, max_tsc_khz."""
    hits = _json(search, "TscKhz")
    texts = " ".join(h["text"] for h in hits)
    for ident in ("tgt_tsc_khz", "hw_tsc_khz", "max_tsc_khz", "tsc_khz="):
        assert ident in texts
    assert {(h["file"], h["line"]) for h in hits} >= {(X86, 17), (X86, 30), (X86, 43),
                                                       ("include/linux/kvm_host.h", 21)}


def test_camel_case_query_matches_parts_in_order_only(search):
    """`TscToSystem` finds tsc_to_system_mul; `SystemTsc` (wrong order) does not."""
    hits = _json(search, "TscToSystem")
    assert any("tsc_to_system_mul" in h["text"] for h in hits)
    code, _ = search("SystemTsc")
    assert code == 1


def test_exact_identifier_ranks_first(search):
    """Whole-identifier matches sort before lines where the parts sit inside a longer word."""
    hits = _json(search, "tsc_khz")
    assert "tsc_khz" in hits[0]["text"]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_results_name_the_enclosing_function(search):
    """Each hit carries the function around it; file scope prints `-`."""
    hits = {h["line"]: h for h in _json(search, "tgt_tsc_khz")}
    assert hits[30]["function"] == "kvm_guest_time_update"
    code, lines = search("max_tsc_khz")
    assert code == 0 and lines[0] == f"{X86}:17:22: -: static unsigned long max_tsc_khz;"
    code, lines = search("kvm_make_request", "--path", "virt/*")
    assert lines[0].startswith("virt/kvm/kvm_main.c:10:") and ": kvm_make_all_cpus_request: " in lines[0]


@pytest.mark.parametrize("scope,expected_lines", [
    ("comment", {5}),            # the header comment mentions it; the code lines do not count
    ("code", {38, 44, 52, 57, 67}),
])
def test_in_scope_filters_code_and_comments(search, scope, expected_lines):
    """`--in comment` keeps matches inside comments, `--in code` those outside them."""
    hits = _json(search, "tsc_to_system_mul", "--in", scope)
    assert {h["line"] for h in hits if h["file"] == X86} == expected_lines
    assert {h["scope"] for h in hits} == {scope}


def test_in_string_finds_text_inside_literals(search):
    """KVM_REQ_CLOCK_UPDATE inside a string literal, not in code or in a comment."""
    hits = _json(search, "KVM_REQ_CLOCK_UPDATE", "--in", "string")
    assert [(h["file"], h["line"], h["scope"]) for h in hits] == [(X86, 159, "string")]
    code_lines = {h["line"] for h in _json(search, "KVM_REQ_CLOCK_UPDATE", "--in", "code")
                  if h["file"] == X86}
    assert 159 not in code_lines and 158 not in code_lines and 33 in code_lines


def test_path_glob_restricts_files(search):
    """`--path` is a glob on the corpus-relative path."""
    assert {h["file"] for h in _json(search, "kvm_make_request", "--path", "virt/*")} == \
        {"virt/kvm/kvm_main.c"}
    assert {h["file"] for h in _json(search, "tsc", "--path", "*.h")} == {"include/linux/kvm_host.h"}
    code, lines = search("kvm_make_request", "--path", "nowhere/*")
    assert code == 1 and lines == [
        "vmxref: no results for `search 'kvm_make_request' path 'nowhere/*'` in linux-kvm@fixture"]


def test_several_words_must_all_be_on_the_line(search):
    """Words are ANDed per line; a quoted phrase must be contiguous."""
    hits = _json(search, "tsc", "shift")
    assert hits and all("tsc" in h["text"].lower() and "shift" in h["text"] for h in hits)
    assert _json(search, '"hv clock"')  # hv_clock
    code, _ = search('"clock hv"')
    assert code == 1


def test_trailing_star_is_a_prefix(search):
    """`tsc_to*` matches tsc_to_system_mul (the last part as a prefix)."""
    assert any("tsc_to_system_mul" in h["text"] for h in _json(search, "tsc_to*"))


def test_no_result_exits_1_and_bad_input_exits_2(search):
    """Exit 1 and only a note on stderr when nothing matches (nothing with --json); 2 with
    one error line for bad input."""
    code, lines = search("zzq_nothing_matches_this")
    assert code == 1 and lines == [
        "vmxref: no results for `search 'zzq_nothing_matches_this'` in linux-kvm@fixture"]
    assert search("zzq_nothing_matches_this", "--json") == (1, [])
    code, lines = search('"tsc')
    assert code == 2 and any("unclosed quote" in x for x in lines)
    code, _ = search("tsc", "--in", "bogus")
    assert code == 2
    code, lines = search("tsc", "--corpus", "nosuch")
    assert code == 2 and any("not indexed" in x for x in lines)


def test_json_lines_have_the_common_keys(search):
    """--json: one object per line with the common keys plus scope and score."""
    for h in _json(search, "hv_clock"):
        assert {"kind", "corpus", "version", "file", "line", "col", "function", "symbol", "text",
                "scope", "score"} <= set(h)
        assert h["kind"] == "search" and h["corpus"] == "linux-kvm" and h["version"] == "fixture"


def test_missing_fulltext_index_exits_2(tmp_path):
    """An index built with --no-fulltext answers `search` with exit 2 and what to do."""
    from pathlib import Path
    src = Path(__file__).parent / "fixtures" / "linux"
    r = CliRunner().invoke(cli, ["index", str(src), "--corpus", "linux-kvm@fixture",
                                 "--index", str(tmp_path), "--no-fulltext"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["search", "tsc", "--index", str(tmp_path)])
    assert r.exit_code == 2 and "vmxref index" in r.output


@pytest.mark.parametrize("args", [("kvm", "clock"), ("tsc_offset", "--json"), ("no_such_text_here",)])
def test_fast_path_answers_like_the_full_cli(kvm_index, args):
    """`vmxref search ...` without --in/--path runs in vmxref.fastcli (no click import);
    its output and exit code are those of the click command."""
    import subprocess
    import sys
    full = CliRunner().invoke(cli, ["search", *args, "--index", str(kvm_index)])
    fast = subprocess.run([sys.executable, "-m", "vmxref", "search", *args, "--index",
                           str(kvm_index)], capture_output=True, text=True, timeout=60)
    assert fast.returncode == full.exit_code
    assert fast.stdout + fast.stderr == full.output  # (the runner mixes stderr in)


@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_index_directory_given_before_or_after_the_command(kvm_index, where, monkeypatch):
    """`vmxref --index DIR q ...`, `vmxref q ... --index DIR` and VMXREF_INDEX=DIR answer
    alike, on the fast path (a process) and through click."""
    import subprocess
    import sys
    q = ["q", "callers kvm_guest_time_update"]
    args = {"before": ["--index", str(kvm_index), *q], "after": [*q, "--index", str(kvm_index)],
            "env": q}[where]
    env = {k: v for k, v in os.environ.items() if k != "VMXREF_INDEX"}
    if where == "env":
        env["VMXREF_INDEX"] = str(kvm_index)
    monkeypatch.delenv("VMXREF_INDEX", raising=False)
    fast = subprocess.run([sys.executable, "-m", "vmxref", *args], capture_output=True, text=True,
                          timeout=60, env=env, cwd=kvm_index.parent)
    full = CliRunner().invoke(cli, args, env={"VMXREF_INDEX": env.get("VMXREF_INDEX")})
    assert fast.returncode == 0 and "vcpu_enter_guest" in fast.stdout, fast.stderr
    assert full.exit_code == 0 and full.output == fast.stdout


@pytest.mark.parametrize("words, options", [
    (["tsc", "in", "comment"], ["tsc", "--in", "comment"]),
    (["kvm", "clock", "in", "code"], ["kvm", "clock", "--in", "code"]),
    (["tsc", "path", "arch/*"], ["tsc", "--path", "arch/*"]),
])
def test_trailing_language_clauses_are_clauses(kvm_index, words, options):
    """`vmxref search X in code` reads `in code` as the language's clause (as `vmxref q
    "search X in code"` does), on the click command and on the fast path alike."""
    import subprocess
    import sys
    want = CliRunner().invoke(cli, ["search", *options, "--index", str(kvm_index)])
    got = CliRunner().invoke(cli, ["search", *words, "--index", str(kvm_index)])
    fast = subprocess.run([sys.executable, "-m", "vmxref", "search", *words, "--index",
                           str(kvm_index)], capture_output=True, text=True, timeout=60)
    assert want.exit_code == 0 and want.output
    assert got.output == want.output == fast.stdout


def test_limit_raises_the_number_of_matches_and_a_cut_is_said(kvm_index, monkeypatch):
    from vmxref.queries import engine
    monkeypatch.setattr(engine, "SEARCH_LIMIT", 2)
    cut = CliRunner().invoke(cli, ["q", "search kvm", "--index", str(kvm_index)])
    more = CliRunner().invoke(cli, ["q", "search kvm | limit 5", "--index", str(kvm_index)])
    assert len(cut.stdout.splitlines()) == 2 and "add `| limit N`" in cut.stderr
    assert len(more.stdout.splitlines()) == 5 and "limit" not in more.stderr


def test_a_search_cut_by_its_budget_says_so(kvm_index, monkeypatch):
    """A search that stops after its budget of scanned text (very common words) says it
    shows the best of what it scanned, not the best of all."""
    from vmxref import fulltext
    from vmxref.queries import engine
    monkeypatch.setattr(engine, "SEARCH_LIMIT", 2)
    # (in comments: no hit has the best score, which would end the search before its budget)
    query = "search kvm in comment"
    whole = CliRunner().invoke(cli, ["q", query, "--index", str(kvm_index)])
    assert len(whole.stdout.splitlines()) == 2 and "stopped early" not in whole.stderr
    monkeypatch.setattr(fulltext, "EXACT_CHAR_BUDGET", 1)
    monkeypatch.setattr(fulltext, "CHAR_BUDGET", 1)
    fulltext._open_cache.clear()
    cut = CliRunner().invoke(cli, ["q", query, "--index", str(kvm_index)])
    assert len(cut.stdout.splitlines()) == 2 and "stopped early" in cut.stderr
    assert "add `| limit N`" not in cut.stderr
