"""The C extraction passes (vmxref.indexer._tsnative) give the facts their Python twins give:
each file is extracted twice, with the passes and without, and every fact table compared,
rows in order (the capture lists are put in document order first, in C or in Python)."""
import json
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


def _facts(src: bytes, lang: str, passes, **kw) -> dict:
    """The facts of `src` with the C passes `passes` (None: the Python steps); `kw` goes to
    extract.extract (profile, fills, dialect)."""
    old = native._TS[:]
    native._TS[:] = [passes]
    try:
        f = extract.extract(src, ts.parse(src, lang), lang, **kw)
    finally:
        native._TS[:] = old
    return vars(f)


def _same(src: bytes, lang: str = "c", **kw) -> dict:
    """The facts of `src`, asserting that both ways give them, row for row."""
    py = _facts(src, lang, None, **kw)
    assert _facts(src, lang, PASSES, **kw) == py
    return py


@needs_passes
@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.rglob("*")
                                        if p.suffix in (".c", ".h", ".cpp")),
                         ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_files(path):
    _same(path.read_bytes(), "cpp" if path.suffix == ".cpp" else "c")


def _same_captures(src: bytes, lang: str) -> None:
    """_tsnative.captures finds the nodes tree-sitter's query engine finds for extract.QUERY
    (its walk steps through subtrees: the same nodes, at the same rows and columns, aliased
    types such as type_identifier included)."""
    tree = ts.parse(src, lang)
    query = extract.QUERY + ("(class_specifier body: (_)) @struct\n" if lang == "cpp" else "")
    key = lambda caps: {k: sorted((n.start_byte, n.end_byte, n.kind_id, n.is_named,  # noqa: E731
                                   tuple(n.start_point), tuple(n.end_point)) for n in v)
                        for k, v in caps.items()}
    got = PASSES.captures(tree.root_node, lang == "cpp")
    assert key(got) == key(ts.captures(tree.root_node, lang, query))
    assert all(type(n) is ts.Node for v in got.values() for n in v)


@needs_passes
@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.rglob("*")
                                        if p.suffix in (".c", ".h", ".cpp")),
                         ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_captures(path):
    _same_captures(path.read_bytes(), "cpp" if path.suffix == ".cpp" else "c")


@needs_passes
@pytest.mark.parametrize("src,lang", [(b"< > int", "cpp"), (b"#define\nint x", "c"),
                                      (b"int a = b +;\nstruct S { int x", "c"),
                                      (b"int f(void) { return g(1, ; }", "c"),
                                      (b"typedef struct { int (*pfn)(PVM pVM, ); } X;", "cpp")])
def test_a_type_name_the_parser_made_up_is_no_reference(src, lang):
    """A MISSING type_identifier (zero width, inserted to recover from an error) is captured
    by the query engine in some places and not in others (`< > int`: not; the walk: yes);
    neither twin makes a `type` reference with an empty name of it."""
    py = _facts(src, lang, None)
    assert _facts(src, lang, PASSES) == py
    assert all(r[0] for r in py["refs"])


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_extraction_is_deterministic(with_c):
    """The same text parsed twice gives the same facts in the same order: py-tree-sitter
    returns each capture's nodes in hash (address) order, extract puts them in document
    order (else the index's rows, and what reads them in row order, vary run to run)."""
    src = (FIXTURES / "linux" / "arch" / "x86" / "kvm" / "x86.c").read_bytes()
    runs = [_facts(src, "c", PASSES if with_c else None) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2] and runs[0]["calls"]
    lines = [c[0] for c in runs[0]["calls"]]
    assert lines == sorted(lines)  # (document order: calls of a line by column)


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


FMACROS = (
    b"#define TM_SET_STATE(pTimer, s) ASMAtomicWriteU32((uint32_t volatile *)&(pTimer)->enmState, s)\n"
    b"#define SETF(p, v) do { (p)->a = (v); p->b.c[1] += 2; ++(p)->n; (p)->m--; \\\n"
    b"        p->x.y = p->z; (p) = 0; } while (0)\n"
    b"#define OUT(p, q) set_bit(1, &(p)->flags); foo_iter(&(p)->list); IsSet(&p->f); \\\n"
    b"        CFGMR3QueryU32(q, \"N,a\", &(p)->u32); SSMR3GetU64(q, &p->u64, x); \\\n"
    b"        ASMAtomicOrU32(&p->o, 1); RTListGetFirst(&p->l, T); x && &p->k; &p->a[1]\n"
    b"#define CFG(x) pVM->tm.s.u = (x); pVM->a->b++; if->a = 1; CFG->z = 2\n"
    b"#define REC(x) REC(x) + rec(x) + rec (x) + sizeof(x) + if (x) + 9f(x) + \xc3\xa9g(x)\n"
    b"#define CMT(a /* first */, b) /* a->x = 1 */ a->y = \"b->z = 2\"; // b->w = 3\n"
    b"#define PASTE(n, m) static int kvm_##n##_read(void) { return m; } x##n y ## m #n\n"
    b"#define FNAME(name) paging##64_##name\n"
    b"#define I(_f, _e) { .flags = (_f), .u.execute = (_e) }\n"
    b"#define VA(fmt, ...) printk(fmt, __VA_ARGS__); __VA_ARGS__->x = 1\n"
    b"#define EMPTY(x)\n#define EMPTY2()\n#define NOPARAMS() f(); g->h = 1\n"
    b"#define CAF\xc3\xa9(p\xc3\xa9, q) p\xc3\xa9->a = q; caf\xc3\xa9(q)->b = 1; \xe9->c = 2\n"
    b"#define LAT(\xe9) \xe9->a = 1; x\xb2->b = \xe9; \xaa->c |= 1\n"
    b"#define OPS(p) (p)->a <<= 1; (p)->b >>= 2; (p)->c == 3; (p)->d != 4; (p)->e <= 5; \\\n"
    b"        (p)->f->g = h(1, (2), [3]); (p)[1] = 2; (p).s = 3; p ->  t = 4; p-- ; --p\n"
    b"#define NL(p) a /* x\n y */ = 1; (p)->z = 2 \\\n  + 3; f(\n#define NEXT 1\n"
    b"#define KW(new, if) new->a = if; class->b = 1\n"
    b"#define DUP(p, p) p->a = 1\n"
)


def _same_fmacros(src: bytes) -> None:
    """The fmacros step alone, both ways: the same facts, decl_names and per-file state of
    initializer, pasting and name-template macros (which only later steps read)."""
    from vmxref.indexer.csteps import CSteps
    got = []
    for passes in (None, PASSES):
        cx = extract._Ctx(src, "c", None)
        caps = extract._captures(ts.parse(src, "c"), "c", None)
        extract._doc_order(caps)
        step = extract.Steps(cx) if passes is None else CSteps(cx, passes)
        step.fmacros(caps.get("fmacro", []))
        got.append((vars(cx.f), cx.decl_names, list(cx.init_macros.items()),
                    list(cx.paste_macros.items()), list(cx.name_templates.items())))
    assert got[1] == got[0]


@needs_passes
def test_fmacros_edge_cases():
    _same_fmacros(FMACROS)
    f = _same(FMACROS)
    names = {s[0] for s in f["syms"] if s[1] == "macro"}
    assert {"TM_SET_STATE", "SETF", "OUT", "CFG", "REC", "EMPTY", "EMPTY2", "NOPARAMS"} <= names
    assigns = {(a[2], a[3], a[4], a[5], a[7]) for a in f["assigns"]}
    assert ("TM_SET_STATE", "enmState", '["a:0", "enmState"]', "&1", "out-param") in assigns
    assert ("SETF", "a", '["a:0", "a"]', "=", "assign") in assigns
    assert ("CFG", "u", '["u:pVM", "tm", "s", "u"]', "=", "assign") in assigns
    calls = [c[3] for c in f["calls"] if c[2] == "REC"]
    assert calls == ["rec", "g"]  # (not itself, not sizeof/if, not 9f; `\xc3\xa9g` is
    # latin-1 "\u00c3\u00a9g", and \u00a9 no word character)


@needs_passes
def test_fmacros_long_bodies():
    body = b" + ".join(b"p->X%d" % i for i in range(1500)) + b" = f(p)"
    f = _same(b"#define LONG(p) " + body + b"\n#define SHORT(p) (p)->X1 = 1\n")
    assert any(a[2] == "SHORT" for a in f["assigns"])
    body = b"".join(b"(p)->X%d = g%d(&(p)->y); \\\n" % (i, i) for i in range(600))
    src = (b"#define LONG2(p, q) " + body + b" q->z++\n" + b"#define LONG3(p) { .a = p, " +
           b" ".join(b"x##%d" % i for i in range(3000)) + b"}\n")
    _same(src)
    _same_fmacros(src)


FBODY = st.lists(st.sampled_from([
    "p", "q", "(p)", "(q)", "x", "b_1", "->", ".", " ", "\t", "\\\n", "=", "==", "+=", "<<=",
    ">>", "++", "--", "&", "&&", "(", ")", ",", ";", "[", "]", "[i]", "{", "}", "#", "##", "$",
    "/*", "*/", "//", '"', "'", "\\", "9", "\u00e9", "\u00b2", "\u00a0", "\u0085", "\x1c",
    "if", "__VA_ARGS__", "M", "f(", "ASMAtomicWriteU32(", "set_bit(", "CFGMR3QueryU32(",
    "IsSet(", "is_x(", "RTListGetFirst(", "SSMR3GetU64(", "sizeof(", "pVM", "\n"]),
    max_size=40).map("".join)
FPARAMS = st.sampled_from(["(p)", "(p, q)", "()", "(...)", "(p, ...)", "(/* c */ p)",
                           "(p /* c */, q)", "(p\u00e9, q)", "(\u00e9)", "(new, q)", "(q, p, p)",
                           "(p", "(9, p)", "(x)"])


@needs_passes
@given(st.lists(st.tuples(FPARAMS, FBODY), min_size=1, max_size=4),
       st.sampled_from(["utf-8", "latin-1"]))
@settings(max_examples=500, deadline=None)
def test_fmacros_any_body(macros_, encoding):
    src = "".join(f"#define M{i}{p} {b}\n" for i, (p, b) in enumerate(macros_))
    src += "struct s x[] = { M0(1, 2), M1(a) };\nint f(void) { M0(x); }\n"
    _same(src.encode(encoding, "replace"))
    _same_fmacros(src.encode(encoding, "replace"))


CODE = st.lists(st.sampled_from([
    "a", "b_1", "x->y", "s.f", "$z", "9ab", " ", "\t", "\n", "\\\n", "/*", "*/", "//", "/",
    '"', "'", "\\", "#", "#define D(x) x\n", "#if A\n", "#endif\n", "int ", "f(", ")", ";",
    "{", "}", "sizeof(", "=", "&", "\u00e9", "return ", "struct T ", "*"]),
    max_size=60).map("".join)


@needs_passes
@given(CODE, st.sampled_from(["utf-8", "latin-1"]), st.sampled_from(["c", "cpp"]))
@settings(max_examples=400, deadline=None)
def test_any_code(code, encoding, lang):
    """Whatever the text (comments, literals, directives, continuations left open), every
    pass gives what its Python twin gives."""
    src = ("int g;\nvoid f(int a) {\n" + code + "\n}\n" + code).encode(encoding, "replace")
    _same(src, lang)
    _same_captures(src, lang)


WRITES = (b"struct s { int a; struct { int b; } in; } g;\n"
          b"int f(struct s *p, int *q) {\n"
          b"  int x, y[4]; struct s v;\n"
          b"  x = 1; x += 2; y[x] |= 3; *q = 4; p->in.b = 5; v.in.b = x; (v).a -= 1;\n"
          b"  (*p).a = 6; ((struct s *)q)->a = 7; g.in = (struct s){ .a = 1 }.in;\n"
          b"  v = (struct s){ 0 }; x = { 1, 2 }; v = { .a = 1, .in = { .b = 2 } };\n"
          b"  x++; --x; p->a++; (*q)--; y[1]++; v.in.b--;\n"
          b"  get(&x); get2(p, (void *)&v.in.b, (&y[2])); p->ops->read(&x, /* c */ &v);\n"
          b"  memset(&v, 0, sizeof v); memcpy(&v, &g, 4); (*fn)(&x); q = &x; bar(x & 1);\n"
          b"  obj.m(1, &v.a); f2(a /* x */, /* y */ &x);\n"
          b"  asm volatile(\"\" : \"+m\" (p->a), \"=r \" (x) : \"r\" (v.a), /* c */ \"m\" (y[0]));\n"
          b"  asm(\"nop\" : \"=r\"(v.in.b)); __asm__(\"\" : \"=\\\"r\" (x) :: \"memory\");\n"
          b"  switch (x) { case 1: case 'a': case B | C: default: break; }\n"
          b"  if (x) return; if (y[0]) return /* c */ x;\n"
          b"  return caf\xc3\xa9(x) + \xff\xfe + p->a;\n"
          b"}\n"
          b"int h(void) { return (1); }\n"
          b"x = 1; return 2; y++; get(&z);\n"
          b"void k() { x = ; &x; f(&); return }\n")


@needs_passes
@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_writes_edge_cases(lang):
    f = _same(WRITES, lang)
    kinds = {r[7] for r in f["assigns"]}
    assert {"assign", "compound", "incdec", "out-param", "asm", "return"} <= kinds
    assert len(f["cases"]) == 4


@needs_passes
def test_writes_initializer_assignments():
    f = _same(b"void f(void) { struct s v; v = { .a = 1, .b = { 2, 3 } }; w = {0}; }\n", "cpp")
    assert any(r[7] == "designated" for r in f["assigns"])
    _same(b"void f(void) { struct s v; v = { .a = 1, .b = { 2, 3 } }; w = {0}; }\n", "c")


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_parentheses_around_a_written_or_address_taken_operand_change_nothing(with_c):
    """`&(svm->vcpu)` takes the address of svm->vcpu as `&svm->vcpu` does; `(x) = 1` writes
    x: a use's kind is the same with the parentheses and without."""
    def kinds(body: str) -> list:
        f = _facts(f"void f(struct s *svm) {{ {body} }}\n".encode(), "c",
                   PASSES if with_c else None)
        return sorted((r[0], r[1]) for r in f["refs"])
    assert kinds("q(&(svm->vcpu), 1); (x) = 1; ((y))++;") == \
        kinds("q(&svm->vcpu, 1); x = 1; y++;")
    assert ("vcpu", "read") not in kinds("q(&(svm->vcpu), 1);")  # (handed on: a write)
    assert ("x", "write") in kinds("(x) = 1;")


WRITE_STMT = st.sampled_from([
    "x = 1;", "x += y;", "a.b.c = 2;", "p->q = &r;", "x++;", "--y;", "f(&x);", "g(a, (T *)&b.c);",
    "return x;", "return;", "case 1:", "default:", "asm(\"\" : \"=r\" (x) : \"r\" (y));",
    "memset(&x, 0, 4);", "(&x)", "f(&(a.b));", "(x) = 1;", "{", "}", "(", ")", ",", "/* c */", "\u00e9", "x = {1, .a = 2};",
    "if (x)", "switch (x) {", "&", "=", ";"])


@needs_passes
@given(st.lists(WRITE_STMT, max_size=30), st.sampled_from(["c", "cpp"]))
@settings(max_examples=300, deadline=None)
def test_writes_any_body(stmts, lang):
    _same(("int f(int x) {\n" + " ".join(stmts) + "\n}\n").encode(), lang)


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_a_comment_before_the_returned_value(with_c):
    f = _facts(b"int f(int x) {\n  return /* the count */ x + 1;\n}\n", "c",
               PASSES if with_c else None)
    assert [(r[0], r[3], r[6]) for r in f["assigns"] if r[7] == "return"] == \
        [(2, "<return>", "x + 1")]


CALLS = (
    b'void f(struct s *p, void (*fn)(int), char *q, int y)\n{\n'
    b'\tprintk("a\\n\\t\\x41\\101\\8\\777\\18\\0\\a\\\'\\"\\\\\\q\\u00e9\\xd800 %s %d", "lit", y);\n'
    + b"".join(b'\tprintk("<' + e + b'> %s", "lit");\n' for e in (
        rb"\xFFFF", rb"\x10FFFF", rb"\U0001F600", rb"\x41g", rb"\1234", rb"\17777777",
        b"\\\xc3\xa9", b"\\\xff", b"\\\xd9\xa3", b"\\\xc2\xb2", rb"\9", rb"\xd800")) +
    b'\tpr_info("caf\xc3\xa9 \xff\\\xc3\xa9 %" PRIx64 " %" PRIu32 " %s" UNKNOWN, "x" "y", ("z"));\n'
    b'\tpr_warn(("paren %s", "comma"), "%s", (("deep %s")), "five");\n'
    b'\tpr_err(/* c */ "with comment %s" /* d */, /* e */ "x");\n'
    b'\tLog(( "   " ));\n\tLog(("\\t"));\n\tLog(1, 2, 3, 4, "fifth");\n'
    b'\tmemset(/*c*/ &p->a.b, 0, 4);\n\tmemcpy(*p, q, 1);\n\tRT_ZERO(p->s);\n\tmemset();\n'
    b'\tmemset(/* only */);\n\tfillme(p, (char *)q, (y), &y, ((struct s *)p)->m);\n'
    b'\tfillme();\n\tfillnone(p);\n\tstatic_call(foo)(1, 2);\n\tstatic_call_cond(bar)();\n'
    b'\tstatic_call()(3);\n\tstatic_call_mod(1, baz)(4);\n\t(*p->m)(1);\n\t(p->m)(2);\n'
    b'\t(*fn)(3);\n\t(**fn)(4);\n\t(fn)(5);\n\tfn()(6);\n\tp->a[1](7);\n\t((struct t *)p)->m(8);\n'
    b'\tcontainer_of(q, struct s, m)->cb(9);\n\t(&x)->m(10);\n\t(fn, fn)(11);\n'
    b'\tif (!g(1)) {\n\t\th(2);\n\t}\n\tif (g(3) && !(g(4) || k(g(5)))) {\n\t\th(6);\n\t}\n'
    b'\tif ((g(7))) h(8); else h(9);\n\tif (!!g(10)) { }\n'
    b'\tif (a(b(c(d(e(f(g(h(1)))))))))) { }\n'
    b'\tif (x) y = g(12);\n\twhile (g(13)) { }\n\tx = (y ? g(14) : g(15));\n}\n'
    b'#if IS_ENABLED(CONFIG_X) && defined(Y)\n#elif g(16)\n#endif\n'
    b'DECLARE_WORK(w, fn);\nint z = g(17);\n'
)


@needs_passes
def test_calls_edge_cases():
    fills = {"fillme": [1, 2, 3, 4, 5, 0, 99, -1], "fillnone": [], "memset": [2]}
    f = _same(CALLS, fills=fills)
    callees = [r[3] for r in f["calls"]]
    assert {"printk", "foo", "bar", "baz", "m", "fn", "cb"} <= set(callees)
    assert "static_call" not in callees
    assert any(r[7] == "whole-object" and r[5] == "fillme" for r in f["assigns"])
    assert any(r[3] == "pr_warn" for r in f["logcalls"])
    assert any(r[8] is not None for r in f["calls"])
    _same(CALLS.replace(b"\n", b"\r\n"), fills={})
    _same(CALLS[: len(CALLS) // 2], fills=fills, dialect="kernel")  # (cut: parse errors)


@needs_passes
def test_calls_cpp():
    src = (b'void C::f() {\n  ns::g(1);\n  obj.template h<int>(2);\n  k<int>(3);\n'
           b'  this->m("fmt %s", "x");\n  ::q(4);\n  std::memset(&a, 0, 1);\n'
           b'  p->~T();\n  (obj.*pm)(5);\n  [](){}();\n}\n')
    _same(src, "cpp", fills={"h": [1], "g": [1]})


CALL_TOKENS = ["f", "g", "p", "->", ".", "m", "(", ")", ",", "*", "&", "(char *)", '"s %s"',
               '"\\x41"', '"\\8"', '"%"', "PRIx64", "/* c */", "memset", "fillme",
               "static_call", "if (", "!", "&&", ") {", "}", ";", "\n", "é", "\xff", "1",
               "[", "]", '"', "\\"]


@needs_passes
@given(st.lists(st.sampled_from(CALL_TOKENS), min_size=1, max_size=60),
       st.sampled_from(["c", "cpp"]))
@settings(max_examples=300, deadline=None)
def test_calls_any_body(tokens, lang):
    src = ("void w(void)\n{\n" + " ".join(tokens) + "\n}\n").encode("utf-8", "surrogateescape")
    _same(src, lang, fills={"fillme": [1, 2]})


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
    py = _facts(src, "c", None, profile=prof)
    assert _facts(src, "c", PASSES, profile=prof) == py


@needs_passes
def test_functions_profile_index_error():
    prof = _FnArgs({"FNDEF": -9})
    src = b"int FNDEF(a) { return 0; }\n"
    with pytest.raises(IndexError):
        _facts(src, "c", None, profile=prof)
    with pytest.raises(IndexError):
        _facts(src, "c", PASSES, profile=prof)


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
            from vmxref.indexer.csteps import CSteps
            CSteps(cx, PASSES).functions(nodes)
        else:
            extract.Steps(cx).functions(nodes)
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
    py = _facts(src, lang, None, profile=prof)
    assert _facts(src, lang, PASSES, profile=prof) == py


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


@pytest.mark.parametrize("pre, open_, close, leaf", [
    ("", "{", "}", "1"), ("", "{", "}", ""), ("", "{", "}", "/* .a = */"),
    ("", "{.a = ", "}", "{}"), ("", "{[0] = ", "}", "{}"), ("", "{/* .a = */ ", "}", "{}"),
    ("/* caf\u00e9 */\n", "{.a = ", "}", "1"), ("/* caf\u00e9 */\n", "{", "}", "/* .a = */"),
])
@pytest.mark.parametrize("depth", [50, extract.MAX_INIT_DEPTH + 1, 3000])
def test_deep_initializers(pre, open_, close, leaf, depth):
    """Initializer lists nested past MAX_INIT_DEPTH: the values deeper are not recorded, the
    rest of the file is (it used to end in a RecursionError, the file's status "too-deep",
    at a depth that depended on the interpreter's stack); both twins alike."""
    src = (pre + "int x = " + open_ * depth + leaf + close * depth + ";\nint after;\n").encode()
    f = _facts(src, "c", None)
    assert any(s[0] == "after" for s in f["syms"])
    chains = [json.loads(r[4]) for r in f["assigns"] if r[3] != "x" or r[7] != "init"]
    assert all(len(c) <= extract.MAX_INIT_DEPTH + 2 for c in chains)
    if PASSES is not None:
        assert _facts(src, "c", PASSES) == f


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_a_function_returning_a_pointer_has_a_pointer_type(with_c):
    f = _facts(b"static struct foo **bar(int a) { return 0; }\nint *baz(void) { return 0; }\n"
               b"struct foo qux(void) { }\n", "c", PASSES if with_c else None)
    types = {s[0]: s[6] for s in f["syms"] if s[1] == "function"}
    assert types == {"bar": "foo**", "baz": "int*", "qux": "foo"}


GUARDS = (b"int top = sizeof(struct { int a; });\n"
          b"#define CHECK(x) if (x) return\n"
          b"if (outside) { f(); }\n"  # (an `if` outside any function: no rows)
          b"int g(struct vcpu *v, struct msr *msr_info, int x, int y) {\n"
          b"  if (msr_info->host_initiated) { a(); } else { b(); }\n"
          b"  if (!x && y) c(); else if (x || !y) d();\n"
          b"  if ((!v->arch.flag && (x))) e();\n"
          b"  if (x && f(y) && !v->p && g2(x)) h();\n"
          b"  if (x && y || f(y)) h();\n"
          b"  if (kvm_check_request(1, v) && !msr_info->host_initiated) h();\n"
          b"  if ((a && b) && c && f(x)) h();\n"
          b"  if (x == 1 && y) h(); if (x > y) h(); if (x-> y) h(); if (x . y) h();\n"
          b"  if (x->y->z. w) h(); if ((int)x && y) h(); if (-x && y) h();\n"
          b"  if (x /* comment && y */ && y) h(); if (x && // line\n y) h();\n"
          b"  if (caf\xc3\xa9 && na\xefve || \xa0x\x85) h(); if (\xc3\xa9t\xc3\xa9 && f(x)) h();\n"
          b"  if (x\xa0&&\x85 y) h(); if (\xb2x && y) h(); if (x\xb2 && f(y)) h();\n"
          b"  if (x &&& y) h(); if (x ||| y) h(); if (x && (y) && f[1] && (g)(x)) h();\n"
          b"  if (CHECK_FLAG(x) && y) h(); CHECK(x); if (!(x)) ; if (()) h(); if ( ) h();\n"
          b"  if (x) { if (y) { return; } z(); }\n"
          b"  if (!x) goto out; if (!y) { /* c */ break; /* d */ } if (y) continue; if (z) { }\n"
          b"  switch (x) { case 1: if (!y) break; h(); case 2: if (y) return 1; }\n"
          b"  if (x) h(); else { if (!y) return 2; }\n"
          b"  while (x) if (y) return 3;\n"
          b"  if (" + b" && ".join(b"a%d" % i for i in range(40)) + b") h();\n"
          b"  if (" + b" && ".join(b"a%d" % i for i in range(31)) + b" && f(x)) h();\n"
          b"  if (" + b" && ".join(b"a%03d" % i for i in range(17)) + b" && f(" + b"x" * 19 + b")) h();\n"
          b"  if (" + b" && ".join(b"a%03d" % i for i in range(17)) + b" && f(" + b"x" * 20 + b")) h();\n"
          b"  if (" + b" && ".join(b"a%03d" % i for i in range(18)) + b" && " + b"y" * 14 + b") h();\n"
          b"  if (" + b" && ".join(b"a%03d" % i for i in range(18)) + b" && " + b"y" * 15 + b") h();\n"
          b"  if (a && (b || c) && f(x)) h(); if (a && [b] && f(x)) h(); if ((a && f(x)) ) h();\n"
          b"  if ((a) && (b) && (c)(x)) h(); if (a && b) ; if (a)\n"
          b"out:\n  if (!x) return 0;\n}\n"
          b"void k(void) { if (x && y) return; if (\n")


@needs_passes
@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_guards_edge_cases(lang):
    f = _same(GUARDS, lang)
    conds = {r[5] for r in f["guards"]}
    assert {"(msr_info->host_initiated)", "(!x&&y)", "(x||!y)", "(!msr_info->host_initiated)",
            "(x&&!v->p)", "(x\u00b2)", "(x&&(y))"} <= conds
    lines = {r[0] for r in f["guards"]}
    assert 27 in lines and 28 not in lines and 29 in lines and 30 not in lines  # (MAX_COND)
    assert not any(r[4] == "" for r in f["guards"])
    _same(GUARDS.replace(b"\xc3\xa9", b"e").replace(b"\xef", b"i").replace(b"\xa0", b" ")
          .replace(b"\x85", b" ").replace(b"\xb2", b"2"), lang)  # (an all-ASCII file)


@needs_passes
@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_guards_keep_comparisons_with_a_name_or_a_number(lang):
    """`x == K`, `p->f != 0x1fU`, negated or parenthesised, alone or in a plain && / ||,
    are plain conditions (C and Python alike); a comparison with an expression, a call, an
    assignment, `<` / `>=`, a literal on the left, or `x == y == z` is not."""
    src = (b"void f(int change, struct s *p) {\n"
           b"  if (change == KVM_MR_CREATE) h();\n"
           b"  if (p->f != 0x1fU && !q) h(); else h2();\n"
           b"  if (!(change==KVM_MR_DELETE)) return;\n"
           b"  if ((a == 2ul) || b) h();\n"
           b"  if (x == y + 1) h(); if (x == f(y)) h(); if ((x = y)) h(); if (x >= 3) h();\n"
           b"  if (0 == x) h(); if (x == y == z) h(); if (x == -1) h(); if (x != 0x) h();\n"
           b"}\n")
    f = _same(src, lang)
    conds = {r[5] for r in f["guards"]}
    assert conds == {"(change==KVM_MR_CREATE)", "(p->f!=0x1fU&&!q)", "(!(change==KVM_MR_DELETE))",
                     "((a==2ul)||b)"}, conds
    assert {(r[0], r[6]) for r in f["guards"] if r[5] == "(p->f!=0x1fU&&!q)"} == {(3, 1), (3, 0)}


COND = st.lists(st.sampled_from(
    ["a", "b_1", "x->y", "s.f", "!", "(", ")", "&&", "||", "&", "|", " ", "\t", "\n", "f(",
     "[", "]", "==", ">", "-", "->", ".", "1", "(int)", "/* c */", "/* && */", "// c\n",
     "!=", "=", "KVM_X", "0x1fU", "0x", "2ul", "x == KVM_X", "p->f != 0",
     "\u00e9", "\u00a0", "\u0085", "\u00b2", "\x1c", "MACRO(x)", ",", '"s"', "'('"]),
    min_size=1, max_size=40).map("".join)
TAIL = st.sampled_from(["h();", "return;", "{ return 1; }", "h(); else h2();",
                        "{ /* c */ goto out; /* d */ }", "{ h(); }", ";", "break;"])


@needs_passes
@given(st.lists(st.tuples(COND, TAIL), min_size=1, max_size=4),
       st.sampled_from(["utf-8", "latin-1"]), st.sampled_from(["c", "cpp"]))
@settings(max_examples=400, deadline=None)
def test_guards_any_condition(ifs, encoding, lang):
    body = "".join(f"  if ({c}) {t}\n  x();\n" for c, t in ifs)
    src = ("void f(int x) {\n" + body + "out:\n  switch (x) { case 1:\n" + body + "  }\n}\n")
    _same(src.encode(encoding, "replace"), lang)


@needs_passes
@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_receiver_types(lang):
    """Each write carries the declared type of its base variable when that is a parameter or
    local of the writing function (its last declaration there by line, whatever the block:
    `p` of line 3 is the `struct b *p` of line 4), else None (a global)."""
    src = (b"struct a { int x; }; struct b { int x; } g;\n"
           b"void f(struct a *p, int n) {\n  p->x = 1; g.x = 2;\n"
           b"  { struct b *p = 0; p->x = 3; }\n  p->x = 4; n++; (*p).x = 5;\n}\n"
           b"void h(void) { struct b q; q.x = 6; struct a q2, *r = &q2; r->x = 7; }\n"
           b"int k = 1; void caf\xc3\xa9(struct a *\xc3\xa9) { \xc3\xa9->x = 8; }\n")
    facts = _same(src, lang)
    got = {(r[0], r[3], r[-1]) for r in facts["assigns"]}
    assert got >= {(3, "x", "b*"), (3, "x", None), (5, "n", "int"), (7, "x", "b"), (7, "x", "a*")}


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_data_tables_keep_their_first_numbers(with_c):
    """A positional initializer records its first MAX_INIT_NUMBERS number literals (over all
    its nested lists) and every other element: a byte table is one whole-object row and 64
    element rows, not one per byte; a table of callbacks keeps every callback."""
    n = extract.MAX_INIT_NUMBERS
    src = ("static const unsigned char g_abTable[] = { "
           + ", ".join(str(i % 251) for i in range(3 * n)) + ", -1, 'x' };\n"
           "static const int g_aPairs[][2] = { "
           + ", ".join(f"{{ {i}, -{i} }}" for i in range(n)) + " };\n"
           "static const PFNX g_apfn[] = { "
           + ", ".join(f"fn{i}" for i in range(2 * n)) + " };\n"
           "static const struct s g_s = { 1, .a = 2, 3 };\n").encode()
    facts = _same(src, "c") if with_c else _facts(src, "c", None)
    by = {}
    for a in facts["assigns"]:
        by.setdefault(a[3], []).append(a)
    table = by["g_abTable"]
    assert len(table) == n + 1 and table[-1][7] == "init"  # (+ the whole-object row)
    assert [a[6] for a in table[:3]] == ["0", "1", "2"] and '"#63"' in table[n - 1][4]
    assert len(by["g_aPairs"]) == n + 1  # 32 pairs of two numbers
    assert len(by["g_apfn"]) == 2 * n + 1 and by["g_apfn"][-2][6] == f"fn{2 * n - 1}"
    assert [(a[4], a[6]) for a in by["a"]] == [('["v:g_s", "a"]', "2")] and len(by["g_s"]) == 2


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_a_value_through_a_pasted_member_keeps_its_whole_text(with_c):
    """`pVCpu->CTX_SUFF(pVM)` is pasted to `pVCpu->pVMR3` padded with blanks: the value's
    text (taken from the source over the normalised node's span) is the whole macro use,
    not `pVCpu->CTX_S` cut where the pasted name ends."""
    from vmxref.indexer import normalize
    prof = normalize.load_profile({"paste": {"CTX_SUFF": "R3"}})
    src = (b"int f(PVMCPU pVCpu) {\n  PVM pVM = pVCpu->CTX_SUFF(pVM);\n"
           b"  pVM = pVCpu->CTX_SUFF(pVM) ;\n  pVCpu->x = y;\n  return 0;\n}\n")
    norm, _ = normalize.normalize(src, prof)
    old = native._TS[:]
    native._TS[:] = [PASSES if with_c else None]
    try:
        got = vars(extract.extract(src, ts.parse(norm, "cpp"), "cpp", text=norm))
    finally:
        native._TS[:] = old
    values = [(r[0], r[6]) for r in got["assigns"] if r[3] == "pVM"]
    assert values == [(2, "pVCpu->CTX_SUFF(pVM)"), (3, "pVCpu->CTX_SUFF(pVM)")]


@needs_passes
@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_primitive_type_names_are_type_references(lang):
    """`uint32_t`, `size_t` are tree-sitter primitive types, not values: a cast or a
    declaration of one is a `type` reference, as a typedef name's is, never a `read`."""
    src = (b"static size_t f(void *p)\n{\n\tuint32_t x = (uint64_t)p;\n"
           b"\treturn sizeof(size_t) + x + (ssize_t)g;\n}\n")
    refs = {(r[0], r[2]) : r[1] for r in _same(src, lang)["refs"]}
    assert refs[("uint32_t", 3)] == refs[("uint64_t", 3)] == refs[("ssize_t", 4)] == "type"
    assert refs[("size_t", 1)] == "type"
    assert refs[("x", 4)] == "read" and refs[("g", 4)] == "read"


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_a_text_over_a_rewritten_macro_use_holds_the_whole_use(with_c):
    """`__this_cpu_read(cpu_tsc_khz)` is normalised to its argument (the name, the
    parentheses blanked): a text taken from the source over a node that holds the whole
    rewritten use (the argument, a value built on it) holds the whole macro use, not
    `cpu_tsc_khz) * 1000LL` cut inside it; a node inside it that is not all of it keeps its
    own text (the `khz` that `__this_cpu_write(cpu_tsc_khz, khz)` assigns)."""
    from vmxref.indexer import normalize
    prof = normalize.load_profile({"unwrap_args": {"__this_cpu_read": "1",
                                                   "__this_cpu_write": "1=2"}})
    src = (b"static void f(struct kvm_vcpu *v)\n{\n"
           b"\tunsigned long khz = __this_cpu_read(cpu_tsc_khz);\n\n"
           b"\tscale(NSEC_PER_SEC, __this_cpu_read(cpu_tsc_khz) * 1000LL,\n"
           b"\t      &v->arch.hv_clock.tsc_shift);\n"
           b"\tkhz = __this_cpu_read( cpu_tsc_khz ) + __this_cpu_read(cpu_tsc_khz);\n"
           b"\t__this_cpu_write(cpu_tsc_khz, khz);\n}\n")
    spans: list = []
    norm, uses, _ = normalize.normalize_ex(src, prof, spans=spans)
    assert len(spans) == len(uses) == 5

    def facts(passes):
        old = native._TS[:]
        native._TS[:] = [passes]
        try:
            return vars(extract.extract(src, ts.parse(norm, "c"), "c", prof, uses, text=norm,
                                        use_spans=spans))
        finally:
            native._TS[:] = old
    got = facts(None)
    if with_c:
        assert facts(PASSES) == got
    args = [json.loads(c[6]) for c in got["calls"] if c[3] == "scale"]
    assert args == [["NSEC_PER_SEC", "__this_cpu_read(cpu_tsc_khz) * 1000LL",
                     "&v->arch.hv_clock.tsc_shift"]]
    values = [(r[0], r[3], r[6]) for r in got["assigns"]]
    assert (3, "khz", "__this_cpu_read(cpu_tsc_khz)") in values
    assert (7, "khz", "__this_cpu_read( cpu_tsc_khz ) + __this_cpu_read(cpu_tsc_khz)") in values
    assert (8, "cpu_tsc_khz", "khz") in values


@pytest.mark.parametrize("with_c", [False, pytest.param(True, marks=needs_passes)])
def test_a_value_through_an_unwrapped_macro_keeps_the_whole_use(with_c):
    """`__this_cpu_read(x)` is normalised to `x` padded with blanks: a value or argument
    whose span cuts the blanked wrapper (`x) * 1000LL`, `tsc + __this_cpu_read(k`, or `x`
    alone) takes the whole use; a store macro's parts (`WRITE_ONCE(a, v)` is `a = v`) keep
    their own texts."""
    from vmxref.indexer import normalize
    prof = normalize.load_profile({"unwrap_args": {"__this_cpu_read": "1", "WRITE_ONCE": "1=2"}})
    src = (b"void f(void) {\n\tWRITE_ONCE(kvm->arch.x, v);\n\tt = __this_cpu_read(cpu_tsc_khz);\n"
           b"\tg(1, __this_cpu_read(cpu_tsc_khz) * 1000LL, tsc + __this_cpu_read(k));\n"
           b"\th(__this_cpu_read(a), (__this_cpu_read(b)));\n}\n")
    spans: list = []
    norm, _uses, _dropped = normalize.normalize_ex(src, prof, spans=spans)
    old = native._TS[:]
    native._TS[:] = [PASSES if with_c else None]
    try:
        got = vars(extract.extract(src, ts.parse(norm, "c"), "c", text=norm, use_spans=spans))
    finally:
        native._TS[:] = old
    values = {r[3]: r[6] for r in got["assigns"]}
    assert values["x"] == "v" and values["t"] == "__this_cpu_read(cpu_tsc_khz)", values
    args = {c[3]: json.loads(c[6]) for c in got["calls"]}
    assert args["g"] == ["1", "__this_cpu_read(cpu_tsc_khz) * 1000LL",
                         "tsc + __this_cpu_read(k)"], args
    assert args["h"] == ["__this_cpu_read(a)", "(__this_cpu_read(b))"], args
