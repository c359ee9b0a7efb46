"""Saved query files: loading, validation messages (file:line), and `check`."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmxref.errors import QueryFileError, VmxrefError
from vmxref.queries.lang import parse
from vmxref.queries.saved import Expect, SavedQuery, check, load, load_all, parse_anchor

GOOD = '''\
title = "Who requests a kvmclock update?"
corpus = "linux-kvm@6.1"
query = "raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 6"
notes = "Raised on vCPU migration and on masterclock changes."

[expect]
min = 2
max = 40
includes = ["arch/x86/kvm/x86.c:kvm_arch_vcpu_load", "./arch/x86/kvm/x86.c:2345"]
excludes = ["arch/x86/kvm/x86.c:kvm_check_request"]
'''


def write(tmp_path: Path, text: str, name: str = "q.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(QueryFileError) as info:
        load(write(tmp_path, text), repo_root=tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    assert isinstance(info.value, VmxrefError)
    return msg


def test_load_good_file(tmp_path: Path) -> None:
    sq = load(write(tmp_path, GOOD))
    assert isinstance(sq, SavedQuery)
    assert sq.title == "Who requests a kvmclock update?"
    assert (sq.corpus, sq.version) == ("linux-kvm", "6.1")
    assert sq.query == parse("raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 6")
    assert sq.notes.startswith("Raised")
    assert sq.name == "q"
    assert sq.expect == Expect(
        min=2, max=40,
        includes=(("arch/x86/kvm/x86.c", "kvm_arch_vcpu_load"), ("arch/x86/kvm/x86.c", 2345)),
        excludes=(("arch/x86/kvm/x86.c", "kvm_check_request"),))


def test_minimal_file(tmp_path: Path) -> None:
    sq = load(write(tmp_path, 'title = "t"\nquery = "callers kvm_guest_time_update"\n'))
    assert (sq.corpus, sq.version, sq.notes, sq.expect) == (None, None, "", None)


def test_vbox_function_anchor_with_scope(tmp_path: Path) -> None:
    assert parse_anchor("src/VBox/VMM/VMMR3/GIMKvm.cpp:gimR3KvmInit") == \
        ("src/VBox/VMM/VMMR3/GIMKvm.cpp", "gimR3KvmInit")
    assert parse_anchor("src/VBox/Main/x.cpp:Console::powerUp") == \
        ("src/VBox/Main/x.cpp", "Console::powerUp")


BROKEN = {
    "unknown key": (
        'title = "t"\nqurey = "def x"\n',
        "q.toml:2: unknown key 'qurey' (did you mean 'query'?); expected one of: "
        "title, corpus, query, notes, expect"),
    "unknown expect key": (
        'title = "t"\nquery = "def x"\n[expect]\nmin = 1\nmaxx = 3\n',
        "q.toml:5: unknown key 'maxx' in [expect] (did you mean 'max'?); expected one of: "
        "min, max, includes, excludes"),
    "unknown table": (
        'title = "t"\nquery = "def x"\n\n[expct]\nmin = 1\n',
        "q.toml:4: unknown key 'expct' (did you mean 'expect'?); expected one of: "
        "title, corpus, query, notes, expect"),
    "dotted expect key": (
        'title = "t"\nquery = "def x"\nexpect.mni = 1\n',
        "q.toml:3: unknown key 'mni' in [expect] (did you mean 'min'?); expected one of: "
        "min, max, includes, excludes"),
    "bad toml": (
        'title = "t"\nquery = "def x"\nnotes = \n',
        "q.toml:3: invalid TOML: Invalid value"),
    "unterminated toml string": (
        'title = "t\nquery = "def x"\n',
        "q.toml:1: invalid TOML: Illegal character '\\n'"),
    "missing query": ('title = "t"\n', "q.toml: missing required key 'query'"),
    "missing title": ('query = "def x"\n', "q.toml: missing required key 'title'"),
    "empty title": ('title = "  "\nquery = "def x"\n', "q.toml:1: 'title' is empty"),
    "wrong type": ('title = "t"\nquery = 42\n', "q.toml:2: 'query' must be a string, got integer"),
    "wrong notes type": ('title = "t"\nquery = "def x"\nnotes = ["a"]\n',
                         "q.toml:3: 'notes' must be a string, got array"),
    "min is a bool": ('title = "t"\nquery = "def x"\n[expect]\nmin = true\n',
                      "q.toml:4: 'min' must be an integer, got boolean"),
    "negative max": ('title = "t"\nquery = "def x"\n[expect]\nmax = -1\n',
                     "q.toml:4: 'max' must be between 0 and 1000000, got -1"),
    "min > max": ('title = "t"\nquery = "def x"\n[expect]\nmax = 3\nmin = 10\n',
                  "q.toml:5: 'min' (10) is greater than 'max' (3)"),
    "included and excluded": ('title = "t"\nquery = "def x"\n[expect]\n'
                              'includes = ["a.c:f", "a.c:g"]\nexcludes = ["a.c:g"]\n',
                              "q.toml:5: 'a.c:g' is in both 'includes' and 'excludes'"),
    "includes with max 0": ('title = "t"\nquery = "def x"\n[expect]\nmax = 0\n'
                            'includes = ["a.c:f"]\n',
                            "q.toml:5: 'includes' names results but 'max' is 0"),
    "expect not a table": ('title = "t"\nquery = "def x"\nexpect = 3\n',
                           "q.toml:3: 'expect' must be a table, got integer"),
    "includes not strings": ('title = "t"\nquery = "def x"\n[expect]\nincludes = [1]\n',
                             "q.toml:4: 'includes' must be an array of strings"),
    "bad corpus": ('title = "t"\ncorpus = "linux kvm"\nquery = "def x"\n',
                   "q.toml:2: 'corpus' must be NAME or NAME@VERSION, got 'linux kvm'"),
    "query syntax error": (
        'title = "t"\n\nquery = "callers kvm_clock depth x"\n',
        "q.toml:3: query syntax error: expected a number after 'depth', got 'x' at column 25: "
        "callers kvm_clock depth ^x"),
    "huge limit": (
        'title = "t"\nquery = "raises KVM_REQ_CLOCK_UPDATE | limit 1000000"\n',
        "q.toml:2: query syntax error: limit must be between 1 and 10000, got 1000000 at "
        "column 37: raises KVM_REQ_CLOCK_UPDATE | limit ^1000000"),
    "sql in a name": (
        'title = "t"\nquery = "def x\'; DROP TABLE symbol; --"\n',
        "q.toml:2: query syntax error: unexpected quoted string after 'x' at column 6: "
        "def x^'; DROP TABLE symbol; --"),
    "absolute include": (
        'title = "t"\nquery = "def x"\n[expect]\nincludes = ["/etc/passwd:1"]\n',
        "q.toml:4: bad entry in 'includes': '/etc/passwd:1': the path must be relative to "
        "the corpus root"),
    "include outside the repo": (
        'title = "t"\nquery = "def x"\n[expect]\nexcludes = ["arch/../../x.c:f"]\n',
        "q.toml:4: bad entry in 'excludes': 'arch/../../x.c:f': the path leaves the corpus "
        "root ('..')"),
    "windows include": (
        'title = "t"\nquery = "def x"\n[expect]\nincludes = ["C:\\\\x.c:f"]\n',
        "q.toml:4: bad entry in 'includes': 'C:\\\\x.c:f': the path must be relative to "
        "the corpus root"),
    "include without anchor": (
        'title = "t"\nquery = "def x"\n[expect]\nincludes = ["arch/x86/kvm/x86.c"]\n',
        "q.toml:4: bad entry in 'includes': 'arch/x86/kvm/x86.c' is not PATH:FUNCTION or "
        "PATH:LINE"),
    "include with a bad function": (
        'title = "t"\nquery = "def x"\n[expect]\nincludes = ["a.c:f(x)"]\n',
        "q.toml:4: bad entry in 'includes': 'a.c:f(x)': 'f(x)' is neither a function name nor "
        "a line number"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_files(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN[case]
    assert error_of(tmp_path, text).startswith(expected)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    path.write_bytes(b'title = "\xff"\n')
    with pytest.raises(QueryFileError, match="q.toml: not UTF-8 text"):
        load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match="no such file or directory"):
        load_all([tmp_path / "nope.toml"])


def test_message_names_file_relative_to_repo_root(tmp_path: Path) -> None:
    path = write(tmp_path, 'title = "t"\nqurey = "x"\n', "queries/x.toml")
    with pytest.raises(QueryFileError) as info:
        load_all([path], repo_root=tmp_path)
    assert str(info.value).startswith("queries/x.toml:2: unknown key 'qurey' "
                                      "(did you mean 'query'?)")


def test_load_all_expands_directories_sorted(tmp_path: Path) -> None:
    write(tmp_path, 'title = "b"\nquery = "def b"\n', "queries/b.toml")
    write(tmp_path, 'title = "a"\nquery = "def a"\n', "queries/a.toml")
    write(tmp_path, "not a query", "queries/readme.txt")
    extra = write(tmp_path, 'title = "c"\nquery = "def c"\n', "c.toml")
    got = load_all([tmp_path / "queries", extra, tmp_path / "queries" / "a.toml"])
    assert [q.title for q in got] == ["a", "b", "c"]


def test_load_all_validates_every_file_before_returning(tmp_path: Path) -> None:
    write(tmp_path, 'title = "a"\nquery = "def a"\n', "queries/a.toml")
    write(tmp_path, 'title = "b"\nquery = "refs b kind cal"\n', "queries/b.toml")
    with pytest.raises(QueryFileError, match=r"b.toml:2: query syntax error: unknown reference "
                                             r"kind 'cal' \(did you mean 'call'\?\)"):
        load_all([tmp_path / "queries"])


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "queries").mkdir()
    with pytest.raises(QueryFileError, match="no \\*.toml query files"):
        load_all([tmp_path / "queries"])


# --------------------------------------------------------------------------- check

def site(file: str, line: int, function: str) -> dict:
    return {"kind": "raise", "file": file, "line": line, "col": 5, "function": function,
            "symbol": "KVM_REQ_CLOCK_UPDATE", "text": "kvm_make_request(...)"}


RESULTS = [site("arch/x86/kvm/x86.c", 2345, "kvm_guest_time_update"),
           site("arch/x86/kvm/x86.c", 4700, "kvm_arch_vcpu_load"),
           site("arch/x86/kvm/hyperv.c", 1200, "kvm_hv_set_msr")]


def test_check_satisfied() -> None:
    expect = Expect(min=1, max=3,
                    includes=(("arch/x86/kvm/x86.c", "kvm_arch_vcpu_load"),
                              ("arch/x86/kvm/x86.c", 2345)),
                    excludes=(("arch/x86/kvm/x86.c", "kvm_check_request"),))
    assert check(expect, RESULTS) == []
    assert check(Expect(), []) == []


def test_check_failures() -> None:
    expect = Expect(min=5, max=2,
                    includes=(("arch/x86/kvm/x86.c", "kvm_set_tsc_khz"),
                              ("arch/x86/kvm/x86.c", 4701)),
                    excludes=(("arch/x86/kvm/hyperv.c", "kvm_hv_set_msr"),))
    assert check(expect, RESULTS) == [
        "expected at least 5 results, got 3",
        "expected at most 2 results, got 3",
        "missing expected result arch/x86/kvm/x86.c:kvm_set_tsc_khz",
        "missing expected result arch/x86/kvm/x86.c:4701",
        "unexpected result arch/x86/kvm/hyperv.c:kvm_hv_set_msr (line 1200)",
    ]


def test_check_uses_loaded_expectations(tmp_path: Path) -> None:
    sq = load(write(tmp_path, GOOD))
    assert sq.expect is not None
    assert check(sq.expect, RESULTS) == []
    assert check(sq.expect, RESULTS[:1]) == [
        "expected at least 2 results, got 1",
        "missing expected result arch/x86/kvm/x86.c:kvm_arch_vcpu_load"]


# --------------------------------------------------------------------------- fuzz

_PIECES = ['title = "t"\n', 'query = "def x"\n', 'query = "callers f depth 99"\n', "[expect]\n",
           "min = 3\n", "max = 1\n", 'includes = ["a.c:f"]\n', 'includes = ["../a.c:1"]\n',
           "qurey = 1\n", "= \n", '"\n', "[[expect]]\n", "expect.min = 2\n", 'corpus = "k@"\n',
           "notes = '''\nx\n'''\n", "\x00", "[expect.more]\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
def test_fuzz_load_only_raises_query_file_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "q.toml"
        path.write_text(text)
        try:
            sq = load(path)
        except QueryFileError as e:
            assert "\n" not in str(e) and str(e).startswith(str(path))
            return
        assert isinstance(sq, SavedQuery)
