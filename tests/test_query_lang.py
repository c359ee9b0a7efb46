"""The query language: every verb and option, round-trips, error positions, fuzz."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmxref.errors import QuerySyntaxError, VmxrefError
from vmxref.queries.lang import (MAX_DEPTH, MAX_LIMIT, REF_KINDS, SEARCH_SCOPES, SITE_VERBS,
                                 VERBS, WRITE_KINDS, Pipe, Query, Target, format_error, parse,
                                 quote, symbols_of, unparse)

T = Target

# (query text, verb, args, pipes, canonical text)
CASES = [
    ("def kvm_guest_time_update", "def", {"name": "kvm_guest_time_update"}, (), None),
    ("refs pvclock_gtod_data", "refs", {"name": "pvclock_gtod_data", "kinds": None}, (), None),
    ("refs kvm_clock kind call, read ,call", "refs",
     {"name": "kvm_clock", "kinds": ("call", "read")}, (), "refs kvm_clock kind call,read"),
    ("writes GIMKVMSYSTEMTIME.u32TscScale", "writes",
     {"target": T("GIMKVMSYSTEMTIME", ("u32TscScale",)), "kinds": None}, (), None),
    ("writes kvm_vcpu_arch.hv_clock.tsc_shift kind assign,out-param,whole-object", "writes",
     {"target": T("kvm_vcpu_arch", ("hv_clock", "tsc_shift")),
      "kinds": ("assign", "out-param", "whole-object")}, (), None),
    ("writes u32TscScale kind compound,incdec,init,designated", "writes",
     {"target": T(None, ("u32TscScale",)),
      "kinds": ("compound", "incdec", "init", "designated")}, (), None),
    ("reads kvmclock_vsyscall", "reads", {"target": T(None, ("kvmclock_vsyscall",))}, (), None),
    ("writes kvm_vcpu_arch :: apf.halted", "writes",  # a nested struct, as results name it
     {"target": T("kvm_vcpu_arch::apf", ("halted",)), "kinds": None}, (),
     "writes kvm_vcpu_arch::apf.halted"),
    ("reads pvclock_vcpu_time_info . tsc_to_system_mul", "reads",
     {"target": T("pvclock_vcpu_time_info", ("tsc_to_system_mul",))}, (),
     "reads pvclock_vcpu_time_info.tsc_to_system_mul"),
    ("calls kvm_make_request", "calls",
     {"func": "kvm_make_request", "arg": None, "const": None}, (), None),
    ("calls kvm_make_request arg 1=KVM_REQ_CLOCK_UPDATE", "calls",
     {"func": "kvm_make_request", "arg": 1, "const": "KVM_REQ_CLOCK_UPDATE"}, (),
     "calls kvm_make_request arg 1 = KVM_REQ_CLOCK_UPDATE"),
    ("calls TMCpuTickSet arg 3 = 0x10UL", "calls",
     {"func": "TMCpuTickSet", "arg": 3, "const": "0x10UL"}, (), None),
    ("calls kvm_set_msr arg 2 = -1", "calls", {"func": "kvm_set_msr", "arg": 2, "const": "-1"},
     (), None),
    ("raises KVM_REQ_CLOCK_UPDATE", "raises", {"const": "KVM_REQ_CLOCK_UPDATE"}, (), None),
    ("consumes KVM_REQ_MASTERCLOCK_UPDATE", "consumes",
     {"const": "KVM_REQ_MASTERCLOCK_UPDATE"}, (), None),
    ("callers kvm_guest_time_update", "callers",
     {"func": "kvm_guest_time_update", "depth": None}, (), None),
    ("callers kvm_guest_time_update depth 3", "callers",
     {"func": "kvm_guest_time_update", "depth": 3}, (), None),
    ("callers kvm_x86_ops . vcpu_load depth 2", "callers",  # the calls through a member
     {"func": "kvm_x86_ops.vcpu_load", "depth": 2}, (), "callers kvm_x86_ops.vcpu_load depth 2"),
    # a member of a struct nested in another, named as results name it or by its path
    ("callers TMTIMER::u::Internal.pfnTimer", "callers",
     {"func": "TMTIMER::u::Internal.pfnTimer", "depth": None}, (), None),
    ("callers TMTIMER.u.Internal.pfnTimer", "callers",
     {"func": "TMTIMER::u::Internal.pfnTimer", "depth": None}, (),
     "callers TMTIMER::u::Internal.pfnTimer"),
    ("callees gimR3KvmUpdateSystemTime depth 50", "callees",
     {"func": "gimR3KvmUpdateSystemTime", "depth": 50}, (), None),
    ("path kvm_arch_vcpu_ioctl->kvm_guest_time_update", "path",
     {"from": "kvm_arch_vcpu_ioctl", "to": "kvm_guest_time_update", "max": None}, (),
     "path kvm_arch_vcpu_ioctl -> kvm_guest_time_update"),
    ("path gimR3KvmEnableSystemTime -> TMCpuTicksPerSecond max 8", "path",
     {"from": "gimR3KvmEnableSystemTime", "to": "TMCpuTicksPerSecond", "max": 8}, (), None),
    ("provenance GIMKVMSYSTEMTIME.u32TscScale depth 5", "provenance",
     {"target": T("GIMKVMSYSTEMTIME", ("u32TscScale",)), "depth": 5}, (), None),
    ("provenance tsc_khz", "provenance", {"target": T(None, ("tsc_khz",)), "depth": None}, (),
     None),
    ("search tsc   scaling", "search", {"text": "tsc scaling", "in": None, "path": None}, (),
     "search tsc scaling"),
    ("search 'kvmclock: using' in string path 'arch/x86/*'", "search",
     {"text": "kvmclock: using", "in": "string", "path": "arch/x86/*"}, (),
     "search kvmclock: using in string path arch/x86/*"),
    ("search 'time spent in guest' in comment", "search",
     {"text": "time spent in guest", "in": "comment", "path": None}, (), None),
    ("search \"it's\" in code", "search", {"text": "it's", "in": "code", "path": None}, (),
     "search it's in code"),
    ("logline 'TM: cTSCTicksPerSecond=3 478 274 491 (0xcf5241bb) enmTSCMode=1 (VirtTscEmulated)'",
     "logline",
     {"line": "TM: cTSCTicksPerSecond=3 478 274 491 (0xcf5241bb) enmTSCMode=1 (VirtTscEmulated)"},
     (), None),
    (r'logline "GIM: KVM: \"enabled\" C:\VBox\\"', "logline",
     {"line": 'GIM: KVM: "enabled" C:\\VBox\\'}, (), r"""logline 'GIM: KVM: "enabled" C:\VBox\\'"""),
    ("raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 6", "raises",
     {"const": "KVM_REQ_CLOCK_UPDATE"}, (Pipe("paths", {"from": None, "depth": 6}),), None),
    ("raises KVM_REQ_CLOCK_UPDATE | paths", "raises", {"const": "KVM_REQ_CLOCK_UPDATE"},
     (Pipe("paths", {"from": None, "depth": None}),),
     "raises KVM_REQ_CLOCK_UPDATE | paths from entry"),
    ("writes GIMKVMSYSTEMTIME.u32TscScale|paths from gimR3KvmLoad|limit 20", "writes",
     {"target": T("GIMKVMSYSTEMTIME", ("u32TscScale",)), "kinds": None},
     (Pipe("paths", {"from": "gimR3KvmLoad", "depth": None}), Pipe("limit", {"n": 20})),
     "writes GIMKVMSYSTEMTIME.u32TscScale | paths from gimR3KvmLoad | limit 20"),
    ("callers kvm_guest_time_update | limit 10000", "callers",
     {"func": "kvm_guest_time_update", "depth": None}, (Pipe("limit", {"n": 10000}),), None),
]


@pytest.mark.parametrize("text,verb,args,pipes,canonical", CASES, ids=[c[0][:40] for c in CASES])
def test_parse_and_unparse(text, verb, args, pipes, canonical) -> None:
    q = parse(text)
    assert q.verb == verb
    if args is not None:
        assert q.args == args
    assert q.pipes == pipes
    assert q.text == text
    assert unparse(q) == (canonical or text)
    assert parse(unparse(q)) == q


def test_every_verb_is_covered() -> None:
    assert {c[1] for c in CASES} == set(VERBS)


def test_search_keywords_can_be_searched_for_when_quoted() -> None:
    q = parse("search 'path' in comment")
    assert q.args == {"text": "path", "in": "comment", "path": None}
    assert unparse(q) == "search 'path' in comment"


def test_search_options_after_quoted_text() -> None:
    q = parse("search 'TSC drift' path src/VBox/VMM/* in comment")
    assert q.args == {"text": "TSC drift", "in": "comment", "path": "src/VBox/VMM/*"}
    assert unparse(q) == "search TSC drift in comment path src/VBox/VMM/*"


def test_paths_from_entry_is_the_default() -> None:
    assert parse("def x | paths") == parse("def x | paths from entry")


def test_text_does_not_take_part_in_equality() -> None:
    assert parse("callers  f   depth 2") == parse("callers f depth 2")


@pytest.mark.parametrize("kind", REF_KINDS)
def test_every_ref_kind(kind: str) -> None:
    assert parse(f"refs x kind {kind}").args["kinds"] == (kind,)


@pytest.mark.parametrize("kind", WRITE_KINDS)
def test_every_write_kind(kind: str) -> None:
    assert parse(f"writes s.f kind {kind}").args["kinds"] == (kind,)


@pytest.mark.parametrize("scope", SEARCH_SCOPES)
def test_every_search_scope(scope: str) -> None:
    assert parse(f"search x in {scope}").args["in"] == scope


@pytest.mark.parametrize("verb", sorted(SITE_VERBS))
def test_paths_pipe_after_site_verbs(verb: str) -> None:
    head = {"path": None, "logline": "logline 'x'", "search": "search x"}.get(verb, f"{verb} x")
    if verb in ("writes", "reads"):
        head = f"{verb} s.f"
    assert parse(head + " | paths depth 2").pipes[0].name == "paths"


@pytest.mark.parametrize("text", ["callers f | paths", "callees f | paths",
                                  "path a -> b | paths", "provenance x | paths"])
def test_paths_pipe_rejected_after_non_site_verbs(text: str) -> None:
    with pytest.raises(QuerySyntaxError, match="needs a query that returns sites"):
        parse(text)


def test_limits_accept_the_bounds() -> None:
    assert parse(f"callers f depth {MAX_DEPTH}").args["depth"] == MAX_DEPTH
    assert parse(f"def f | limit {MAX_LIMIT}").pipes[0].args["n"] == MAX_LIMIT
    assert parse("def f | limit 1").pipes[0].args["n"] == 1


# --------------------------------------------------------------------------- symbols

@pytest.mark.parametrize("text,expected", [
    ("def kvm_clock", [("kvm_clock", "any")]),
    ("refs kvm_clock kind call", [("kvm_clock", "any")]),
    ("writes GIMKVMSYSTEMTIME.u32TscScale",
     [("GIMKVMSYSTEMTIME", "any"), ("u32TscScale", "field")]),
    ("reads a.b.c", [("a", "any"), ("b", "field"), ("c", "field")]),
    ("provenance tsc_khz", [("tsc_khz", "any")]),
    ("calls kvm_make_request arg 1 = KVM_REQ_CLOCK_UPDATE",
     [("kvm_make_request", "function"), ("KVM_REQ_CLOCK_UPDATE", "constant")]),
    ("calls f arg 2 = 0x10", [("f", "function")]),
    ("raises KVM_REQ_CLOCK_UPDATE | paths from kvm_arch_vcpu_ioctl",
     [("KVM_REQ_CLOCK_UPDATE", "constant"), ("kvm_arch_vcpu_ioctl", "function")]),
    ("consumes KVM_REQ_X | paths from entry", [("KVM_REQ_X", "constant")]),
    ("callers f depth 2", [("f", "function")]),
    ("callers kvm_x86_ops.vcpu_load", [("kvm_x86_ops", "any"), ("vcpu_load", "field")]),
    ("callers TMTIMER.u.Internal.pfnTimer", [("TMTIMER", "any"), ("pfnTimer", "field")]),
    ("writes kvm_vcpu_arch::apf.halted", [("kvm_vcpu_arch", "any"), ("halted", "field")]),
    ("callees f", [("f", "function")]),
    ("path a -> b", [("a", "function"), ("b", "function")]),
    ("path a -> a", [("a", "function")]),
    ("search kvm_clock in code", []),
    ("logline 'TM: x'", []),
])
def test_symbols_of(text: str, expected: list[tuple[str, str]]) -> None:
    assert symbols_of(parse(text)) == expected


# --------------------------------------------------------------------------- errors

GOLDEN_ERRORS = {
    "": "empty query; expected a verb (def, refs, writes, reads, calls, raises, consumes, "
        "callers, callees, path, provenance, search, logline) at column 1",
    "rasies KVM_REQ_CLOCK_UPDATE":
        "unknown verb 'rasies' (did you mean 'raises'?) at column 1: ^rasies KVM_REQ_CLOCK_UPDATE",
    "Callers f": "unknown verb 'Callers' (did you mean 'callers'?) at column 1: ^Callers f",
    "limit 3": "'limit' is a pipe, not a verb: QUERY | limit ... at column 1: ^limit 3",
    "callers kvm_clock depth x":
        "expected a number after 'depth', got 'x' at column 25: callers kvm_clock depth ^x",
    "callers kvm_clock depth":
        "expected a number after 'depth' at column 24: callers kvm_clock depth^",
    "callers kvm_clock dept 3":
        "unknown option 'dept' for callers (did you mean 'depth'?); expected one of: depth "
        "at column 19: callers kvm_clock ^dept 3",
    "callers f depth 51": "depth must be between 1 and 50, got 51 at column 17: callers f depth ^51",
    "callers f depth 0": "depth must be between 1 and 50, got 0 at column 17: callers f depth ^0",
    "callers f depth -2": "depth must be between 1 and 50, got -2 at column 17: callers f depth ^-2",
    "def f | limit 10001":
        "limit must be between 1 and 10000, got 10001 at column 15: def f | limit ^10001",
    "def f | limit 99999999999999999999999999":
        "limit must be between 1 and 10000, got a 26-digit number at column 15: "
        "def f | limit ^99999999999999999999999999",
    "path a -> b max 500": "max must be between 1 and 50, got 500 at column 17: path a -> b max ^500",
    "path a b": "expected '->' after 'a', got 'b' at column 8: path a ^b",
    "refs x kind cal":
        "unknown reference kind 'cal' (did you mean 'call'?); expected one of: call, read, "
        "write, addr, type, macro, define, sizeof at column 13: refs x kind ^cal",
    "cállers kvm": "unexpected character 'á' in the verb (queries are ASCII) at column 2: "
        "c^állers kvm",
    "writes s.f kind asign":
        "unknown write kind 'asign' (did you mean 'assign'?); expected one of: assign, "
        "compound, incdec, init, designated, out-param, whole-object, asm at column 17: "
        "writes s.f kind ^asign",
    "writes vcpu->arch": "use '.' between struct and field names, not '->' at column 12: "
                         "writes vcpu^->arch",
    "writes s.": "expected a field name after '.' at column 10: writes s.^",
    "calls f arg 1 KVM_REQ": "expected '=' after '1', got 'KVM_REQ' at column 15: "
                             "calls f arg 1 ^KVM_REQ",
    "calls f arg 33 = X": "arg must be between 1 and 32, got 33 at column 13: calls f arg ^33 = X",
    "search": "expected search text after 'search' at column 7: search^",
    "search in code": "expected search text after 'search', got keyword 'in' (quote the text "
                      "to search for it) at column 8: search ^in code",
    "search x in cod": "expected code, comment or string after 'in', got 'cod' (did you mean "
                       "'code'?) at column 13: search x in ^cod",
    "search '  '": "empty search text at column 8: search ^'  '",
    "logline TM: x": "logline needs the line in quotes, e.g. logline 'TM: cTSCTicksPerSecond=...' "
                     "at column 9: logline ^TM: x",
    "logline 'TM: x": "unterminated string at column 9: logline ^'TM: x",
    "def f |": "expected 'paths' or 'limit' after '|' at column 8: def f |^",
    "def f | lmit 3": "unknown pipe 'lmit' (did you mean 'limit'?); expected 'paths' or "
                      "'limit' at column 9: def f | ^lmit 3",
    "def f | limit 3 | limit 4": "'| limit' given twice at column 19: def f | limit 3 | ^limit 4",
    "callers f depth 2 depth 3": "'depth' given twice at column 19: callers f depth 2 ^depth 3",
    "def f g": "unexpected 'g': def takes no options; expected '|' or end of query at column 7: "
               "def f ^g",
    "def 3f": "expected a name after 'def', got '3f' at column 5: def ^3f",
    "def f | paths dpth 2": "unknown option 'dpth' for '| paths' (did you mean 'depth'?); "
                            "expected one of: from, depth at column 15: def f | paths ^dpth 2",
    "callers f | paths": "'| paths' needs a query that returns sites (def, refs, writes, reads, "
                         "calls, raises, consumes, search, logline), not callers at column 13: "
                         "callers f | ^paths",
    # SQL fragments are syntax errors, never passed on
    "def '; DROP TABLE symbol; --":
        "expected a name after 'def', got quoted string at column 5: "
        "def ^'; DROP TABLE symbol; --",
    "def x'; DROP TABLE symbol; --":
        "unexpected quoted string after 'x' at column 6: def x^'; DROP TABLE symbol; --",
    "refs x; DROP TABLE ref":
        "unexpected ';' after 'x' at column 7: refs x^; DROP TABLE ref",
}


@pytest.mark.parametrize("text", list(GOLDEN_ERRORS))
def test_golden_errors(text: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    assert format_error(info.value) == GOLDEN_ERRORS[text]
    assert isinstance(info.value, VmxrefError)
    assert info.value.query == text


def test_error_position_is_the_failing_token() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("raises KVM_REQ_CLOCK_UPDATE | paths from entry depth many")
    assert info.value.pos == len("raises KVM_REQ_CLOCK_UPDATE | paths from entry depth ")


def test_format_error_stays_on_one_line_and_is_windowed() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("search 'a\nb\tc' in\ncod" + " " * 200)
    line = format_error(info.value)
    assert "\n" not in line and "\t" not in line
    assert line.endswith("...")
    assert "column 19" in line and line.index("^") < 120


def test_too_long_query() -> None:
    with pytest.raises(QuerySyntaxError, match="query is too long"):
        parse("search " + "x" * 5000)


def test_quote_round_trips_awkward_strings() -> None:
    for s in ["a'b", 'a"b', "a'\"b", "\\", "a\\", "\\'", "C:\\Program Files", "x\ny"]:
        assert parse(f"logline {quote(s)}").args["line"] == s


# --------------------------------------------------------------------------- fuzz

@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_parse_never_crashes(text: str) -> None:
    try:
        q = parse(text)
    except QuerySyntaxError as e:
        assert 0 <= e.pos <= len(text)
        assert "\n" not in format_error(e)
        return
    assert isinstance(q, Query)
    assert parse(unparse(q)) == q


_ALPHABET = list("calsreptdh |-=>,.'\"\\_0123456789") + list(VERBS) + \
    ["depth", "kind", "arg", "max", "limit", "paths", "from", "entry", "in", "path", " "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=12).map(" ".join))
def test_fuzz_keyword_soup(text: str) -> None:
    try:
        q = parse(text)
    except QuerySyntaxError:
        return
    assert parse(unparse(q)) == q


IDENTS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
TEXTS = st.text(min_size=1, max_size=30).filter(lambda s: s.strip())
NUM = st.integers(1, MAX_DEPTH)
TARGETS = st.one_of(IDENTS.map(lambda v: T(None, (v,))),
                    st.builds(lambda s, f: T(s, tuple(f)), IDENTS,
                              st.lists(IDENTS, min_size=1, max_size=3)))


def _opt(s):
    return st.one_of(st.none(), s)


def _kinds(allowed):
    return _opt(st.lists(st.sampled_from(allowed), min_size=1, unique=True).map(tuple))


CONSTS = st.one_of(IDENTS, st.from_regex(r"-?(0x[0-9a-f]{1,4}|[0-9]{1,4})[uUlL]{0,2}",
                                         fullmatch=True))
ARGS = {
    "def": st.fixed_dictionaries({"name": IDENTS}),
    "refs": st.fixed_dictionaries({"name": IDENTS, "kinds": _kinds(REF_KINDS)}),
    "writes": st.fixed_dictionaries({"target": TARGETS, "kinds": _kinds(WRITE_KINDS)}),
    "reads": st.fixed_dictionaries({"target": TARGETS}),
    "calls": st.one_of(st.fixed_dictionaries({"func": IDENTS, "arg": st.none(),
                                              "const": st.none()}),
                       st.fixed_dictionaries({"func": IDENTS, "arg": st.integers(1, 32),
                                              "const": CONSTS})),
    "raises": st.fixed_dictionaries({"const": IDENTS}),
    "consumes": st.fixed_dictionaries({"const": IDENTS}),
    "callers": st.fixed_dictionaries({"func": IDENTS, "depth": _opt(NUM)}),
    "callees": st.fixed_dictionaries({"func": IDENTS, "depth": _opt(NUM)}),
    "path": st.fixed_dictionaries({"from": IDENTS, "to": IDENTS, "max": _opt(NUM)}),
    "provenance": st.fixed_dictionaries({"target": TARGETS, "depth": _opt(NUM)}),
    "search": st.fixed_dictionaries({"text": TEXTS, "in": _opt(st.sampled_from(SEARCH_SCOPES)),
                                     "path": _opt(st.text(min_size=1, max_size=20))}),
    "logline": st.fixed_dictionaries({"line": TEXTS}),
}
PATHS_PIPE = st.builds(lambda f, d: Pipe("paths", {"from": f, "depth": d}),
                       _opt(IDENTS.filter(lambda s: s != "entry")), _opt(NUM))
LIMIT_PIPE = st.builds(lambda n: Pipe("limit", {"n": n}), st.integers(1, MAX_LIMIT))


@st.composite
def queries(draw):
    verb = draw(st.sampled_from(VERBS))
    pipes = [draw(LIMIT_PIPE)] if draw(st.booleans()) else []
    if verb in SITE_VERBS and draw(st.booleans()):
        pipes.insert(draw(st.integers(0, len(pipes))), draw(PATHS_PIPE))
    return Query(verb, draw(ARGS[verb]), tuple(pipes))


@settings(max_examples=600, deadline=None)
@given(queries())
def test_fuzz_round_trip_generated_queries(q: Query) -> None:
    assert parse(unparse(q)) == q


# --------------------------------------------------------------------------- docs

DOC = Path(__file__).resolve().parents[1] / "docs" / "query-language.md"


def _doc_examples() -> list[str]:
    lines = [ln.strip() for ln in DOC.read_text().splitlines() if ln.startswith("    ")]
    return [ln for ln in lines if ln.split(" ", 1)[0] in VERBS]


def test_docs_examples_parse_and_cover_every_verb() -> None:
    examples = _doc_examples()
    assert {e.split(" ", 1)[0] for e in examples} == set(VERBS)
    for text in examples:
        assert parse(text).text == text


def test_the_grammar_in_the_docs_lists_every_kind_the_parser_takes():
    """docs/query-language.md's REFKIND and WRITEKIND lines name lang's kinds, no more, no
    fewer (a kind added to the parser and not to the grammar went unseen)."""
    from pathlib import Path
    from vmxref.queries.lang import REF_KINDS, WRITE_KINDS
    doc = (Path(__file__).parent.parent / "docs" / "query-language.md").read_text()
    got = {}
    for line in doc.splitlines():
        for key in ("REFKIND", "WRITEKIND"):
            if line.startswith(key + " ") and ":=" in line:
                got[key] = {k.strip() for k in line.split(":=", 1)[1].split("|")}
    assert got == {"REFKIND": set(REF_KINDS), "WRITEKIND": set(WRITE_KINDS)}
