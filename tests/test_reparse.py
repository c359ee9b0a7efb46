"""ts.reparse: the incremental re-parse of the alternate `#if` text gives the tree a fresh
parse gives, and the worker's facts do not depend on which of the two it used."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vmxref import corpora
from vmxref.indexer import ts, worker

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"


def _shape(tree) -> list[tuple[str, int, int, tuple[int, int]]]:
    """Every node's type, byte span and start point, in document order."""
    out, cur = [], tree.walk()
    while True:
        n = cur.node
        out.append((n.type, n.start_byte, n.end_byte, tuple(n.start_point)))
        if cur.goto_first_child() or cur.goto_next_sibling():
            continue
        while cur.goto_parent():
            if cur.goto_next_sibling():
                break
        else:
            return out


def _blanked(src: bytes, spans: list[tuple[int, int]]) -> bytes:
    """`src` with each span's bytes but newlines turned into spaces (as normalize blanks)."""
    buf = bytearray(src)
    for a, b in spans:
        buf[a:b] = bytes(32 if c != 10 else 10 for c in buf[a:b])
    return bytes(buf)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), name=st.sampled_from(["vbox_callbacks.cpp", "kvm_style.c"]))
def test_reparse_equals_a_fresh_parse(data, name):
    src = (FIXTURES / name).read_bytes()
    lang = "cpp" if name.endswith(".cpp") else "c"
    n = len(src)
    starts = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6))
    spans = [(a, min(n, a + data.draw(st.integers(1, 400)))) for a in starts]
    new = _blanked(src, spans)
    tree = ts.parse(src, lang)
    assert _shape(ts.reparse(tree, src, new, lang)) == _shape(ts.parse(new, lang))


def test_reparse_of_a_text_of_another_length_is_a_fresh_parse():
    old, new = b"int a;\nint b;\n", b"int a;\nint bb;\n"
    tree = ts.parse(old, "c")
    assert _shape(ts.reparse(tree, old, new, "c")) == _shape(ts.parse(new, "c"))


SPLIT = (b"static int fixSplit(PVM pVM)\n{\n"
         b"    if (   pVM->fA\n"
         b"#ifdef IN_RING3\n        && fixRing3Check(pVM))\n"
         b"#else\n        && fixRing0Check(pVM))\n"
         b"#endif\n"
         b"        pVM->u32Alt = 1;\n"
         b"    return 0;\n}\n"
         b"static int fixAfter(PVM pVM)\n{\n    return fixSplit(pVM);\n}\n")


def _facts(src: bytes):
    worker.init(corpora.load("virtualbox-vmm").section("macros"), "vbox", None)
    facts, status = worker._work(src, "cpp")
    assert status == "ok"
    return facts


def test_split_if_group_facts_come_from_both_branches_with_the_incremental_parse(monkeypatch):
    """The `#else` side of a group that splits an `if` condition is parsed from the
    alternate text; re-using the first tree for it changes no fact."""
    got = _facts(SPLIT)
    callees = {c[3] for c in got.calls}
    assert {"fixRing3Check", "fixRing0Check", "fixSplit"} <= callees
    monkeypatch.setattr(ts, "reparse", lambda _tree, _old, new, lang: ts.parse(new, lang))
    fresh = _facts(SPLIT)
    for table in ("syms", "refs", "calls", "assigns", "logcalls", "cases", "guards"):
        assert getattr(got, table) == getattr(fresh, table), table


def test_reparse_with_errors_equals_a_fresh_parse():
    """A blanked text tree-sitter recovers from differently when it re-parses (found by the
    random test above): the re-parse is a fresh parse when its tree has errors."""
    src = (FIXTURES / "kvm_style.c").read_bytes()
    new = _blanked(src, [(0, 1), (187, 259)])
    tree = ts.parse(src, "c")
    assert _shape(ts.reparse(tree, src, new, "c")) == _shape(ts.parse(new, "c"))
