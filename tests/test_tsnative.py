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


def _facts_prof(src: bytes, lang: str, passes, profile) -> dict:
    old = native._TS[:]
    native._TS[:] = [passes]
    try:
        f = extract.extract(src, ts.parse(src, lang), lang, profile)
    finally:
        native._TS[:] = old
    return {k: sorted(v, key=repr) if isinstance(v, list) else v for k, v in vars(f).items()}


class _FnArgs:
    """A profile with only function_name_arg (as normalize.MacroProfile answers it)."""

    def __init__(self, table):
        self.table = table

    def function_name_arg(self, name):
        return self.table.get(name)


DECLS = (b"static const struct foo *const *bar(int a, const char *s, char **const pp, "
         b"unsigned long (*cb)(void *), int arr[4][2], ...) { return 0; }\n"
         b"int *(*getter(void))(int);\n"
         b"int (*fp_fn(int x))(int y) { return 0; }\n"
         b"static inline __attribute__((unused)) void g(const int *p, int) {}\n"
         b"void kr(a, b) int a; char *b; { }\n"
         b"void (noname)(void) {}\n"
         b"typedef struct { int x, *y, z[3]; struct { int q; } inner, *pinner; "
         b"union { long l; char c; }; } anon_t, *panon_t, arr_t[2];\n"
         b"typedef struct named { int a; } named_t;\n"
         b"typedef int (*fnptr_t)(int), int2_t;\n"
         b"typedef enum { E0, E1 = 5, E2 = E1 + 1, /* c */ E3 } enum_t;\n"
         b"enum named_e { N0 = 1 << 2, N1 };\nenum fwd_e;\nenum { A0 };\n"
         b"struct outer {\n#ifdef X\n  int under_if;\n#else\n  long under_else;\n#endif\n"
         b"  struct { int deep; } s1;\n  union { int u; } ;\n  int bits : 3, : 0;\n"
         b"  void (*op)(struct outer *o);\n  const char *const names[];\n};\n"
         b"union u1 { int a; struct s2 { int b; } s2; };\n"
         b"struct caf\xc3\xa9 { int na\xefve; int \xff\xfe; };\n"
         b"int caf\xc3\xa9_fn(int \xc3\xa9t\xc3\xa9) { return 0; }\n"
         b"struct broken { int a; int ; b c d; };\nvoid unterminated(int a {\n")

CPP_DECLS = (b"namespace ns { struct Base { int b; }; template <class T> struct Tmpl {}; }\n"
             b"class D : public ns::Base, private Other, public ns::Tmpl<int> {\n"
             b"  int m; static const int k = 1; D *next;\n"
             b"  void method(int x = 1, const char *s = \"\") const;\n};\n"
             b"struct ns::Q { int q; };\n"
             b"int D::method2(int a, int &ref, const int *const p = nullptr) { return a; }\n"
             b"D::~D() {}\nbool operator==(const D &a, const D &b) { return true; }\n"
             b"enum class Color : unsigned { Red, Green = 2 };\n"
             b"template <typename T> T tfn(T v, T *pv) { return v; }\n")


@needs_passes
def test_decls_edge_cases():
    _same(DECLS, "c")
    _same(DECLS, "cpp")
    f = _same(CPP_DECLS, "cpp")
    assert any(s[1] == "base" for s in f["syms"])


@needs_passes
def test_decls_deep_declarators():
    deep = b"*" * 300
    src = (b"struct s { int " + deep + b"f; int " + b"(" * 40 + b"g" + b")" * 40 + b"; };\n"
           b"typedef char " + deep + b"T;\nvoid fn(int " + deep + b"p) {}\n"
           b"int " + deep + b"rfn(void) { return 0; }\n")
    f = _same(src)
    assert any(s[0] == "f" and s[6] == "int" + "*" * 300 for s in f["syms"])


@needs_passes
@pytest.mark.parametrize("table", [{"FNDEF": 0}, {"FNDEF": 1}, {"FNDEF": 5}, {"FNDEF": -1},
                                   {"FNDEF": 0, "other": 0}])
def test_functions_profile(table):
    src = (b"FNDEF(real_name) { return 0; }\nstatic int FNDEF(real2, int x) { return x; }\n"
           b"int FNDEF(/* c */ int *pv, const char *s) { return 0; }\n"
           b"int other(int a, int b) { return a; }\n"
           b"int FNDEF(struct st *, (paren)) { }\n")
    if table["FNDEF"] >= 0:
        src += b"int FNDEF() { return 0; }\n"
    prof = _FnArgs(table)
    py = _facts_prof(src, "c", None, prof)
    assert _facts_prof(src, "c", PASSES, prof) == py


@needs_passes
def test_functions_profile_index_error():
    prof = _FnArgs({"FNDEF": -9})
    src = b"int FNDEF(a) { return 0; }\n"
    with pytest.raises(IndexError):
        _facts_prof(src, "c", None, prof)
    with pytest.raises(IndexError):
        _facts_prof(src, "c", PASSES, prof)


@needs_passes
@pytest.mark.parametrize("table", [None, {"FNDEF": 0}, {"FNDEF": 1}])
def test_functions_state(table):
    """_functions' C twin leaves the same state on the context: spans, fn_sym_at, decl_names."""
    src = (b"int b(int x, int y) { return 0; }\nstatic void a(void) {}\n"
           b"FNDEF(m1, int q) {}\nint c(int z) {}\nvoid b(void) {}\n")
    tree = ts.parse(src, "c")
    nodes = ts.captures(tree.root_node, "c", "(function_definition) @func")["func"]
    states = []
    for use_c in (False, True):
        cx = extract._Ctx(src, "c", _FnArgs(table) if table is not None else None)
        cx.f.syms.append(("pre", "x"))
        if use_c:
            extract._functions_c(cx, PASSES.Ctx(src, src), nodes)
        else:
            extract._functions(cx, nodes)
        states.append((cx.f.syms, cx.f.refs, cx.fstarts, cx.fends, cx.fnames, cx.fn_sym_at,
                       cx.decl_names, getattr(cx, "macro_fn", None)))
    assert states[0] == states[1]
    assert all(states[0][0][i][1] == "function" for i in states[0][5].values())


DECL_TOKENS = ["int", "char", "struct", "union", "enum", "class", "typedef", "static", "const",
               "S", "T", "x", "y", "{", "}", "(", ")", "[", "]", "[4]", ";", ",", "*", "&", "=",
               "1", ":", "::", "public", "...", "#ifdef X\n", "#endif\n", "\n", "/* c */",
               "__attribute__((packed))", "é", "\xff", "void", "return", "FNDEF", "<", ">"]


@needs_passes
@given(st.lists(st.sampled_from(DECL_TOKENS), max_size=60), st.sampled_from(["c", "cpp"]))
@settings(max_examples=300, deadline=None)
def test_decls_token_soup(tokens, lang):
    src = " ".join(tokens).encode("utf-8", "surrogateescape")
    prof = _FnArgs({"FNDEF": 0})
    py = _facts_prof(src, lang, None, prof)
    assert _facts_prof(src, lang, PASSES, prof) == py
