"""The C extraction passes (vmxref.indexer._tsnative) give the facts their Python twins give:
each file is extracted twice, with the passes and without, and every fact table compared
(as sorted lists: py-tree-sitter's capture order follows the tree's memory, not the text)."""
import os
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from vmxref.indexer import extract, native, ts

FIXTURES = Path(__file__).parent / "fixtures"
PASSES = native.ts_passes()
needs_passes = pytest.mark.skipif(PASSES is None, reason="vmxref.indexer._tsnative not built "
                                  "(.ci/run requires it: VMXREF_REQUIRE_NATIVE=1)")


@pytest.mark.skipif(not os.environ.get("VMXREF_REQUIRE_NATIVE"), reason="the C passes are optional")
def test_the_c_passes_are_built():
    assert PASSES is not None, "pip did not build vmxref.indexer._tsnative (see setup.py)"


def _facts(src: bytes, lang: str, passes) -> dict:
    old = native._TS[:]
    native._TS[:] = [passes]
    try:
        tree = ts.parse(src, lang)
        f = extract.extract(src, tree, lang)
    finally:
        native._TS[:] = old
    return {k: sorted(v, key=repr) if isinstance(v, list) else v for k, v in vars(f).items()}


def _same(src: bytes, lang: str = "c") -> dict:
    py = _facts(src, lang, None)
    assert _facts(src, lang, PASSES) == py
    return py


@needs_passes
@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.rglob("*")
                                        if p.suffix in (".c", ".h", ".cpp")),
                         ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_files(path):
    _same(path.read_bytes(), "cpp" if path.suffix == ".cpp" else "c")


@needs_passes
def test_defines_edge_cases():
    src = (b'#define A 1\n#define B /* c */ A + "s \\" A" + \'x\' // A\n'
           b"#define C\n#define D(x) x\n#define E $A A$ #A A##B A ## B A\t##B B\n"
           b"#define F \\\n  A \\\n  + B\n#define G caf\xc3\xa9 na\xefve \xa0A\x85B\n"
           b"#define H   lots\t\tof   space  \x1c x \n#define I __VA_ARGS__ I if int\n"
           b"#define J /* open comment A\n#define K \"open A\n")
    f = _same(src)
    names = {s[0] for s in f["syms"] if s[1] == "macro"}
    assert {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"} <= names
    refs = [r[0] for r in f["refs"] if r[1] == "define" and r[4] == "E"]
    assert refs == ["B", "B"]  # ($A, A$, #A, A##, `A ##`, ##B are no references)


@needs_passes
def test_defines_long_bodies():
    body = b" + ".join(b"X%d" % i for i in range(3000))  # > 8000 bytes: the body is cut
    f = _same(b"#define LONG " + body + b"\n#define SHORT X1\n")
    sym = next(s for s in f["syms"] if s[0] == "LONG")
    assert sym[9].endswith("\u2026") and len(sym[9]) == 400


BODY = st.lists(st.sampled_from(["A", "b_1", "$", "#", "##", " ", "\t", "\\\n", "/*", "*/",
                                 "//", '"', "'", "\\", "x", "9", "\u00e9", "\u00a0", "\u0085",
                                 "if", "__VA_ARGS__", "(", ")", ",", "\u2026", "\x1c"]),
                max_size=40).map("".join)


@needs_passes
@given(st.lists(BODY, min_size=1, max_size=4), st.sampled_from(["utf-8", "latin-1"]))
@settings(max_examples=300, deadline=None)
def test_defines_any_body(bodies, encoding):
    src = "".join(f"#define M{i} {b}\n" for i, b in enumerate(bodies))
    _same(src.encode(encoding, "replace"))


DECLS = (b"int x; static int a = 1, *b, c[3] = {1, 2}, **d = 0;\n"
         b"extern int e; extern const struct s f = { 1 }; extern int g(void), h;\n"
         b"int proto(int a, char *b); static int sproto(void); int (*fp)(void);\n"
         b"int (*fp2)(void) = proto; int ((*fp3))(int); char *(*fpa[2])(void);\n"
         b"int *" + b"*" * 300 + b"deep_ptr; int arr[1][2][3];\n"
         b"struct { int a; } anon = { 1 }; union u { int a; } uu = { .a = 2 };\n"
         b"struct s v = { .a = 1, .b = { 2, 3 }, .c.d = 4, [2] = 5, [1 ... 3] = 6, .e[1] = 7 };\n"
         b"struct s w = { /* .pfn = */ fn, /* .other */ 2, /*.x=*/ 3, /* . y = */ 4,\n"
         b"  /* .caf\xc3\xa9 = */ 5, /* .z = */ /* not */ 6, /* .p = */ .q = 7, /* .r = */\n"
         b"  /* .s =*/ {1, 2}, /*\x1c.t\x1c=\x1c*/ 8, /* .1u = */ 9, /* .v = */ };\n"
         b"int z = { 0 }; int zz[] = {}; int zzz = { { 0 }, { 1, { 2 } } };\n"
         b"void f(void) { int l = 1, m[] = { 1, 2 }; static int n = { 0 }; int o(int); "
         b"struct s p = { .a = l, };\n  extern int q; }\n"
         b"DECLARE_WORK(w1, fn1); static DECLARE_WORK(w2, fn2); module_init(foo_init);\n"
         b"foo(bar); FOO(int a); FOO(struct s *p, T); Foo(x); BAR(/* c */ a, b, T *t);\n"
         b"\xc3\x89T\xc3\x89_X(a); \xc3\xa9t\xc3\xa9(b); LIST_HEAD(l1); DEFINE_PER_CPU(int, cpu_x);\n"
         b"int caf\xe9 = 1; int bad\xff\xfe = { .x\xff = 1 };\n"
         b"int trunc = { 1, 2\n")


@needs_passes
def test_declarations_edge_cases():
    f = _same(DECLS)
    kinds = {(s[0], s[1]) for s in f["syms"]}
    assert {("proto", "prototype"), ("fp", "global"), ("e", "extern"), ("f", "global"),
            ("l", "local"), ("o", "prototype")} <= kinds
    assert any(c[3] == "DECLARE_WORK" for c in f["calls"])
    assert any(a[3] == "pfn" for a in f["assigns"])
    _same(DECLS, "cpp")
    _same(DECLS.replace(b"\xc3\xa9", b"e").replace(b"\xc3\x89", b"E").replace(b"\xe9", b"e")
          .replace(b"\xff\xfe", b"").replace(b"\xff", b""))  # (an all-ASCII file)


@needs_passes
def test_declarations_initializer_macros():
    src = (b"#define FI(_f, _e) { .flags = (_f), .u.execute = (_e) }\n"
           b"#define FD(_y) { .flags = (_y) }\n#define FZ(_y) { .a = 1 }\n"
           b"static const struct op t[] = { FD(0), FI(2, em_nop), FI(/* c */ 4, em_rdtsc),\n"
           b"  FI(5), FZ(1), FI, other(1, 2), FD(), /* .x = */ FD(9), {FD(1), FI(1, {2})} };\n"
           b"void g(void) { struct op u = { FI(1, 2) }; }\n")
    f = _same(src)
    assert any(a[4] == '["v:t", "#1", "u", "execute"]' for a in f["assigns"])


INIT = st.lists(st.sampled_from(["{", "}", ",", " .a = ", " [1] = ", ".b.c = ", "/* .d = */",
                                 "/* e */", "1", "x", "FI(1, 2)", "FI(y)", "f(z)", "\u00e9",
                                 "\n", "/* .\u00e9 = */", "(", ")", ";"]),
                max_size=30).map("".join)


@needs_passes
@given(st.lists(INIT, min_size=1, max_size=3), st.sampled_from(["utf-8", "latin-1"]),
       st.booleans())
@settings(max_examples=300, deadline=None)
def test_declarations_any_initializer(values, encoding, local):
    decls = "".join(f"struct s v{i} = {{{v}}};\n" for i, v in enumerate(values))
    src = ("#define FI(_f, _e) { .flags = (_f), .u.execute = (_e) }\n"
           + ("void f(void) {\n" + decls + "}\n" if local else decls))
    _same(src.encode(encoding, "replace"))


def _status(src: bytes, passes) -> str:
    old = native._TS[:]
    native._TS[:] = [passes]
    try:
        extract.extract(src, ts.parse(src, "c"), "c")
        return "ok"
    except RecursionError:
        return "too-deep"
    finally:
        native._TS[:] = old


@needs_passes
@pytest.mark.parametrize("pre, open_, close, leaf", [
    ("", "{", "}", "1"), ("", "{", "}", ""), ("", "{", "}", "/* .a = */"),
    ("", "{.a = ", "}", "{}"), ("", "{[0] = ", "}", "{}"), ("", "{/* .a = */ ", "}", "{}"),
    ("/* caf\u00e9 */\n", "{.a = ", "}", "{}"), ("/* caf\u00e9 */\n", "{", "}", "/* .a = */"),
])
def test_declarations_too_deep(pre, open_, close, leaf):
    """Initializer lists nested past the recursion limit: the Python twin's RecursionError
    (the worker's status "too-deep") at the same depth with the C pass."""
    def src(n):
        return (pre + "int x = " + open_ * n + leaf + close * n + ";\n").encode()
    for _ in range(2):  # (warm the twin up: specialised calls count fewer frames)
        _status(src(50), None)
    lo, hi = 1, 4000
    while hi - lo > 1:  # the deepest nesting the Python twin takes
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _status(src(mid), None) == "ok" else (lo, mid)
    assert lo < 3999
    assert _status(src(lo), PASSES) == "ok"
    assert _status(src(hi), PASSES) == "too-deep"
