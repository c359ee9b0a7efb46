"""The C-preprocessor-style expander the queries use where a macro body's text cannot be
followed (vmxref/queries/cexpand.py), on definitions written here: the standard's own
examples of expansion (C11 6.10.3.5, examples 3 and 4), pasting, stringifying, variable
arguments, an argument-counting dispatch, self-reference, several definitions and the
limits."""
from __future__ import annotations

import re

import pytest

from vmxref.queries import cexpand
from vmxref.queries.cexpand import Expander, Incomplete, Macro, lex, render


def defines(src: str) -> dict[str, list[Macro]]:
    """{name: definitions} of the #define lines of `src` (a name defined twice: both)."""
    out: dict[str, list[Macro]] = {}
    for m in re.finditer(r"(?m)^\s*#\s*define\s+(\w+)(\(([^)]*)\))?((?:\\\n|.)*)$", src):
        name, params, body = m.group(1), m.group(3), m.group(4).replace("\\\n", " ").strip()
        plist = None if m.group(2) is None else [p.strip() for p in params.split(",")
                                                 if p.strip()]
        out.setdefault(name, []).append(Macro(plist, body))
    return out


def expander(src: str, **limits) -> Expander:
    table = defines(src)
    return Expander(lambda name: table.get(name, []), **limits)


def same(got: str, want: str) -> None:
    assert got == render(lex(want))


STD3 = """
#define x 2
#define f(a) f(x * (a))
#define g f
#define z z[0]
#define h g(~
#define m(a) a(w)
#define w 0,1
#define t(a) a
#define p() int
#define q(x) x
#define r(x,y) x ## y
#define str(x) # x
"""


def test_the_standards_example_of_rescanning_and_hide_sets():
    """C11 6.10.3.5 EXAMPLE 3 (with x defined once, as 2)."""
    ex = expander(STD3)
    same(ex.expand("f(y+1) + f(f(z)) % t(t(g)(0) + t)(1);"),
         "f(2 * (y+1)) + f(2 * (f(2 * (z[0])))) % f(2 * (0)) + t(1);")
    same(ex.expand("g(x+(3,4)-w) | h 5) & m\n(f)^m(m);"),
         "f(2 * (2+(3,4)-0,1)) | f(2 * (~ 5)) & f(2 * (0,1))^m(0,1);")
    same(ex.expand("p() i[q()] = { q(1), r(2,3), r(4,), r(,5), r(,) };"),
         "int i[] = { 1, 23, 4, 5, };")
    same(ex.expand("char c[2][6] = { str(hello), str() };"),
         'char c[2][6] = { "hello", "" };')


STD4 = r"""
#define str(s) # s
#define xstr(s) str(s)
#define debug(s, t) printf("x" # s "= %d, x" # t "= %s", \
 x ## s, x ## t)
#define INCFILE(n) vers ## n
#define glue(a, b) a ## b
#define xglue(a, b) glue(a, b)
#define HIGHLOW "hello"
#define LOW LOW ", world"
"""


def test_the_standards_example_of_stringifying_and_pasting():
    """C11 6.10.3.5 EXAMPLE 4: `#` spells the argument as written (a string's quotes and
    backslashes escaped), `##` pastes the arguments as written, `xstr`/`xglue` expand
    them first."""
    ex = expander(STD4)
    same(ex.expand("debug(1, 2);"), 'printf("x" "1" "= %d, x" "2" "= %s", x1, x2);')
    same(ex.expand("fputs(str(strncmp(\"abc\\0d\", \"abc\", '\\4') // this goes away\n"
                   "== 0) str(: @\\n), s);"),
         r'''fputs("strncmp(\"abc\\0d\", \"abc\", '\\4') == 0" ": @\n", s);''')
    same(ex.expand("xstr(INCFILE(2).h)"), '"vers2.h"')
    same(ex.expand("glue(HIGH, LOW);"), '"hello";')
    same(ex.expand("xglue(HIGH, LOW)"), '"hello" ", world"')


def test_pasting_makes_the_name_of_the_macro_called():
    ex = expander("""
#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define two 2
#define OP_2(v) op2(v)
#define DISPATCH(n, v) XCAT(OP_, n)(v)
""")
    assert ex.expand("CAT(OP_, two)") == "OP_two"  # (pasted as written)
    assert ex.expand("XCAT(OP_, two)") == "OP_2"
    assert ex.expand("DISPATCH(two, q)") == "op2 ( q )"


VARIADIC = """
#define CALL(f, ...) f(__VA_ARGS__)
#define LOG(fmt, ...) printk(fmt, ## __VA_ARGS__)
#define GLOG(fmt, args...) printk(fmt, ## args)
#define OPT(a, ...) fn(a __VA_OPT__(,) __VA_ARGS__)
#define FIRST(a, ...) a
"""
SELF = """
#define foo foo + 1
#define a b
#define b a
#define f(x) x + f(x)
#define ID(x) x
#define LOOP(x) ID(LOOP(x))
"""


@pytest.mark.parametrize("src, text, want", [
    (VARIADIC, "CALL(g, 1, (2, 3))", "g ( 1 , ( 2 , 3 ) )"),
    (VARIADIC, 'LOG("x")', 'printk ( "x" )'),
    (VARIADIC, 'LOG("x", 1, 2)', 'printk ( "x" , 1 , 2 )'),
    (VARIADIC, 'GLOG("y")', 'printk ( "y" )'),
    (VARIADIC, "OPT(a)", "fn ( a )"),
    (VARIADIC, "OPT(a, b)", "fn ( a , b )"),
    (VARIADIC, "FIRST(p)", "p"),  # (no variable arguments at all: GNU C's reading)
    (SELF, "foo", "foo + 1"),  # (a macro is not expanded inside its own expansion)
    (SELF, "a", "a"),
    (SELF, "f(1)", "1 + f ( 1 )"),
    (SELF, "f(f(1))", "1 + f ( 1 ) + f ( 1 + f ( 1 ) )"),
    (SELF, "LOOP(2)", "LOOP ( 2 )"),  # (painted: never expanded again)
])
def test_variable_arguments_and_self_reference(src, text, want):
    assert expander(src).expand(text) == want


COUNTING = """
#define NOTHING
#define GLUE_HLP(a, b) a##b
#define GLUE(a, b) GLUE_HLP(a, b)
#define PASS(e) e
#define APPLY(m, args) m args
#define NTH(a1, a2, a3, n, ...) n
#define DOWN 3, 2, 1, 0
#define NARGS_NOTHING DOWN
#define NARGS(...) APPLY(NTH, (NARGS_ ## __VA_ARGS__ ## NOTHING, DOWN))
#define VOID_1(v) (void)(v)
#define VOID_2(v, w) VOID_1(v); VOID_1(w)
#define VOID_3(v, w, u) VOID_1(v); VOID_2(w, u)
#define UNUSED(...) APPLY(GLUE(VOID_, PASS(NARGS(__VA_ARGS__))), (__VA_ARGS__))
"""


def test_an_argument_counting_dispatch():
    """NARGS counts by shifting a descending list along (the first argument pasted onto a
    prefix, so that no argument at all picks the list of its own), UNUSED pastes the count
    onto VOID_ and calls that macro through APPLY."""
    ex = expander(COUNTING)
    assert ex.expand("NARGS()") == "0"
    assert ex.expand("NARGS(a)") == "1"
    assert ex.expand("NARGS(a, b, c)") == "3"
    assert ex.expand("UNUSED(x)") == "( void ) ( x )"
    assert ex.expand("UNUSED(x, y, z)") == \
        "( void ) ( x ) ; ( void ) ( y ) ; ( void ) ( z )"
    table = defines(COUNTING)
    got = cexpand.call_expansions(lambda n: table.get(n, []), "UNUSED", 1, nargs=2)
    assert got == ["( void ) ( __vmxref_0__ ) ; ( void ) ( __vmxref_arg__ )"]


def test_several_definitions_give_one_expansion_each():
    """A macro defined twice (two configurations) gives two expansions; a choice under
    which a macro is called with the wrong number of arguments gives none."""
    ex = expander("""
#define NOREF(v) (void)(v)
#define NOREF(v) _Pragma("unused")
#define TWO(a, b) a b
#define USE(v) TWO(v)
#define USE(v) NOREF(v)
""")
    assert ex.expand_all("NOREF(x)") == ["( void ) ( x )", '_Pragma ( "unused" )']
    assert ex.expand_all("USE(y)") == ["( void ) ( y )", '_Pragma ( "unused" )']


def test_limits_end_an_expansion():
    chain = "\n".join(f"#define M{i}(x) M{i + 1}(x)" for i in range(30)) + "\n#define M30(x) x"
    assert expander(chain).expand("M0(1)") == "1"
    with pytest.raises(Incomplete):
        expander(chain, max_steps=10).expand("M0(1)")
    double = "\n".join(f"#define D{i}(x) D{i + 1}(x x)" for i in range(20)) + "\n#define D20(x) x"
    with pytest.raises(Incomplete):
        expander(double, max_tokens=1000).expand("D0(1)")
    with pytest.raises(Incomplete):
        expander("#define F(x) (x)", max_depth=3).expand("F(F(F(F(F(1)))))")
    assert expander("#define F(x) (x)").expand("F(F(1))") == "( ( 1 ) )"
    many = "\n".join(f"#define C{i} {i}\n#define C{i} -{i}" for i in range(5))
    assert len(expander(many).expand_all("C0 C1 C2")) == 8
    with pytest.raises(Incomplete):
        expander(many, max_variants=16).expand_all("C0 C1 C2 C3 C4")
    with pytest.raises(Incomplete):
        expander("#define OPEN F(\n#define F(x) x").expand("OPEN 1")  # (no `)`)


def test_a_call_expansion_that_cannot_be_completed_is_none():
    """call_expansions: None (the caller keeps its answer) when a limit is reached, a
    definition is cut, or no definition takes the call."""
    table = {"R": [Macro(["x"], "R2(x x)")], "R2": [Macro(["x"], "R(x)")],
             "CUT": [Macro(["x"], "f(x, \u2026", whole=False)],
             "TWO": [Macro(["a", "b"], "a b")]}
    lookup = table.get
    assert cexpand.call_expansions(lambda n: lookup(n, []), "R", 0) == \
        ["R ( __vmxref_arg__ __vmxref_arg__ )"]
    assert cexpand.call_expansions(lambda n: lookup(n, []), "CUT", 0) is None
    assert cexpand.call_expansions(lambda n: lookup(n, []), "TWO", 2) is None
    assert cexpand.call_expansions(lambda n: lookup(n, []), "NOPE", 0) is None
    deep = {f"N{i}": [Macro(["x"], f"N{i + 1}(x)")] for i in range(100)}
    assert cexpand.call_expansions(lambda n: deep.get(n, []), "N0", 0, max_steps=50) is None
