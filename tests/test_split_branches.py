"""Every branch of an `#if` group that splits a construct is parsed once: the third branch
of `#ifdef RT_OS_WINDOWS / #elif defined(RT_OS_LINUX) / #else`, a branch that holds only
`#define`s, an inner group's first branch inside an outer group's second; the facts of the
lines they share are taken once (worker._other_branches, normalize_ex's `want`)."""
from __future__ import annotations

import collections

import pytest

from vmxref import corpora
from vmxref.indexer import native, normalize, worker

VBOX = normalize.load_profile(corpora.load("virtualbox-vmm").section("macros"))

# a function header opened differently on three hosts, one body after the group
THREE = (b"#ifdef RT_OS_WINDOWS\n"                          # 1
         b"static int fixOpen(PVM pVM, HANDLE hDev)\n{\n"    # 2-3
         b"    int rc = fixWinOpen(hDev);\n"                  # 4
         b"#elif defined(RT_OS_LINUX)\n"                      # 5
         b"static int fixOpen(PVM pVM, int fd)\n{\n"          # 6-7
         b"    int rc = fixLnxOpen(fd);\n"                    # 8
         b"#else\n"                                           # 9
         b"static int fixOpen(PVM pVM, void *pvDev)\n{\n"     # 10-11
         b"    int rc = fixDrwOpen(pvDev);\n"                 # 12
         b"    fixDrwRetain(pvDev);\n"                        # 13
         b"#endif\n"                                          # 14
         b"    if (RT_SUCCESS(rc))\n"                         # 15
         b"        rc = fixCommon(pVM);\n"                    # 16
         b"    return rc;\n}\n")                              # 17-18

# a split group whose later branches hold only macro definitions (asn1-generator-pass.h's
# passes): each branch defines the same macro its own way
DEFINES = (b"#if FIX_PASS == FIX_PASS_DECODE\n"                                   # 1
           b"static int fixDecode(PFIXCURSOR pCursor)\n{\n"                      # 2-3
           b"    int rc = fixCursorGet(pCursor);\n"                               # 4
           b"#elif FIX_PASS == FIX_PASS_INIT\n"                                   # 5
           b"# define FIX_MEMBER(a_Name) fixInitMember(&pThis->a_Name)\n"         # 6
           b"#elif FIX_PASS == FIX_PASS_DELETE\n"                                 # 7
           b"# define FIX_MEMBER(a_Name) fixDeleteMember(&pThis->a_Name)\n"       # 8
           b"#else\n"                                                             # 9
           b"# define FIX_MEMBER(a_Name)\n"                                        # 10
           b"#endif\n"                                                            # 11
           b"#if FIX_PASS == FIX_PASS_DECODE\n"                                   # 12
           b"    return rc;\n}\n"                                                 # 13-14
           b"#endif\n")                                                           # 15

# a split group inside the second branch of another: its first branch (ring 0) was in no
# text parsed, nor the line after it (the second branch went on past the inner group)
NESTED = (b"static int fixOuter(PVM pVM)\n{\n"      # 1-2
          b"#ifdef RT_OS_WINDOWS\n"                 # 3
          b"    if (fixWinA(pVM)) {\n"              # 4
          b"#else\n"                                # 5
          b"    int rc = 0;\n"                      # 6
          b"# ifdef IN_RING0\n"                     # 7
          b"    if (fixR0B(pVM)) {\n"               # 8
          b"# else\n"                               # 9
          b"    if (fixR3B(pVM)) {\n"               # 10
          b"# endif\n"                              # 11
          b"        rc = 1;\n    }\n"               # 12-13
          b"    fixAfterInner(pVM);\n"              # 14
          b"    if (rc) {\n"                        # 15
          b"#endif\n"                               # 16
          b"        fixShared(pVM);\n    }\n"       # 17-18
          b"    return 0;\n}\n")                    # 19-20


def _facts(src: bytes):
    worker.init(corpora.load("virtualbox-vmm").section("macros"), "iprt", None)
    facts, status = worker._work(src, "cpp")
    assert status == "ok"
    return facts


def _calls(facts) -> list[tuple[int, str, str]]:
    return sorted((c[0], c[2], c[3]) for c in facts.calls)


def test_the_third_branch_of_a_split_group_is_parsed_and_the_shared_lines_once():
    f = _facts(THREE)
    assert _calls(f) == [(4, "fixOpen", "fixWinOpen"), (8, "fixOpen", "fixLnxOpen"),
                         (12, "fixOpen", "fixDrwOpen"), (13, "fixOpen", "fixDrwRetain"),
                         (15, "fixOpen", "RT_SUCCESS"), (16, "fixOpen", "fixCommon")]
    assert sorted(s[2] for s in f.syms if s[:2] == ("fixOpen", "function")) == [2, 6, 10]
    assert [(s[1], s[2]) for s in f.syms if s[0] == "pvDev"] == [("param", 10)]
    assert sorted(r[2] for r in f.refs if r[0] == "pvDev") == [12, 13]
    for table in ("syms", "refs", "calls", "assigns"):
        rows = collections.Counter(getattr(f, table))
        assert not [r for r, n in rows.items() if n > 1], table


def test_a_branch_of_macro_definitions_is_parsed():
    f = _facts(DEFINES)
    assert sorted(s[2] for s in f.syms if s[:2] == ("FIX_MEMBER", "macro")) == [6, 8, 10]
    assert _calls(f)[:1] == [(4, "fixDecode", "fixCursorGet")]


def test_an_inner_groups_first_branch_inside_an_outer_groups_second_is_parsed():
    assert _calls(_facts(NESTED)) == [
        (4, "fixOuter", "fixWinA"), (8, "fixOuter", "fixR0B"), (10, "fixOuter", "fixR3B"),
        (14, "fixOuter", "fixAfterInner"), (17, "fixOuter", "fixShared")]


def test_a_macro_use_in_a_dropped_branch_is_one_reference():
    """The normaliser reports every use it rewrote, blanked branch or not: the facts merged
    from the other texts do not repeat them."""
    src = (b"static int fixOpen(void)\n{\n#ifdef RT_OS_WINDOWS\n    if (fixA()) {\n"
           b"#elif defined(RT_OS_LINUX)\n    if (RT_UNTRUSTED_VOLATILE_HSTGST fixB()) {\n"
           b"#else\n    if (RT_UNTRUSTED_VOLATILE_HSTGST fixC()) {\n#endif\n"
           b"        return 1;\n    }\n    return 0;\n}\n")
    f = _facts(src)
    assert {c[3] for c in f.calls} == {"fixA", "fixB", "fixC"}
    macro = [r[2] for r in f.refs if r[1] == "macro"]
    assert sorted(macro) == [6, 8]


def test_want_keeps_the_branch_that_holds_an_offset():
    text, _uses, dropped = normalize.normalize_ex(THREE, VBOX)
    assert b"fixWinOpen" in text and len(dropped) == 2
    for alternate in (1, 2):
        t, _u, _d = normalize.normalize_ex(THREE, VBOX, alternate)
        assert b"fixDrwOpen" not in t
    third = [r for r in dropped if b"fixDrwOpen" in THREE[r[0]:r[1]]]
    t, _u, _d = normalize.normalize_ex(THREE, VBOX, want=third)
    assert b"fixDrwOpen" in t and b"fixWinOpen" not in t and b"fixLnxOpen" not in t
    assert len(t) == len(THREE)
    assert [i for i, c in enumerate(THREE) if c == 10] == [i for i, c in enumerate(t) if c == 10]


def test_the_branches_dropped_hold_macro_definitions_and_inner_kept_branches():
    _t, _u, dropped = normalize.normalize_ex(DEFINES, VBOX)
    lines = sorted((DEFINES.count(b"\n", 0, a) + 1, DEFINES.count(b"\n", 0, b) + 1)
                   for a, b in dropped)
    assert lines == [(5, 7), (7, 9), (9, 11)]
    _t, _u, dropped = normalize.normalize_ex(NESTED, VBOX)
    lines = sorted((NESTED.count(b"\n", 0, a) + 1, NESTED.count(b"\n", 0, b) + 1)
                   for a, b in dropped)
    assert lines == [(5, 16), (7, 9), (9, 11)]  # (the inner first branch: kept, then blank)


def test_no_more_parses_without_a_branch_left(monkeypatch):
    """A group of two branches: the alternate texts hold both; no `want` text is made."""
    src = (b"static int fixTwo(void)\n{\n#ifdef IN_RING3\n    if (fixR3()) {\n#else\n"
           b"    if (fixR0()) {\n#endif\n        return 1;\n    }\n    return 0;\n}\n")
    asked = []
    real = normalize.normalize_ex

    def spy(*args, **kw):
        asked.append(kw.get("want"))
        return real(*args, **kw)
    monkeypatch.setattr(normalize, "normalize_ex", spy)
    assert {c[3] for c in _facts(src).calls} == {"fixR3", "fixR0"}
    assert asked and not any(asked)


@pytest.mark.skipif(native.mod is None, reason="vmxref.indexer._native not built")
@pytest.mark.parametrize("src", [THREE, DEFINES, NESTED])
def test_want_texts_of_both_ways_are_one(src):
    saved = normalize._C
    _t, _u, dropped = normalize.normalize_ex(src, VBOX)
    for want in ([dropped[-1]], dropped, [(d[0] + 3, d[1]) for d in dropped]):
        c = normalize.normalize_ex(src, VBOX, want=want)
        normalize._C = None
        try:
            py = normalize.normalize_ex(src, VBOX, want=want)
        finally:
            normalize._C = saved
        assert c == py


BROKEN = b"static int fixBroken(void)\n{\n    return ) ;\n}\n\n"  # (5 lines: a tree with errors)


@pytest.mark.parametrize("src", [THREE, NESTED])
def test_a_tree_with_errors_has_its_branches_parsed_within_their_constructs(src, monkeypatch):
    """When the first tree has errors, a text of other branches is parsed only within the
    top-level constructs around them (tree-sitter's included ranges), each alone, instead
    of afresh whole: the same facts, in the same functions."""
    from vmxref.indexer import ts
    ranged = []
    real = ts.parse_ranges

    def spy(text, lang, ranges):
        ranged.append(ranges)
        return real(text, lang, ranges)
    monkeypatch.setattr(ts, "parse_ranges", spy)
    shifted = [(line + 5, fn, callee) for line, fn, callee in _calls(_facts(src))]
    assert not ranged
    f = _facts(BROKEN + src)
    assert ranged and all(len(r) == 1 for r in ranged)
    assert [c for c in _calls(f) if c[1] != "fixBroken"] == shifted
    if src is THREE:  # (each branch's `int rc = ...;`: its type read in its function)
        assert {(a[0], a[2], a[-1]) for a in f.assigns if a[3] == "rc" and a[0] <= 17} == \
            {(9, "fixOpen", "int"), (13, "fixOpen", "int"), (17, "fixOpen", "int")}
