"""The C parts of the source normaliser (normalize._C: vmxref.indexer._native's code,
candidates, cond_pass, define_comments) against their Python twins (normalize._C = None):
odd inputs and generated ones run through both ways and must give the same (text, uses,
dropped), and the same results function by function."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmxref.indexer import native, normalize

pytestmark = pytest.mark.skipif(native.mod is None, reason="vmxref.indexer._native not built")

ROOT = Path(__file__).parents[1]


def macros(corpus: str) -> dict:
    text = (ROOT / "vmxref" / "corpora" / f"{corpus}.toml").read_text()
    return tomllib.loads(text[re.search(r"^\[macros\]", text, re.M).start():])["macros"]


PROFILES = {
    "linux-kvm": normalize.load_profile(macros("linux-kvm")),
    "virtualbox-vmm": normalize.load_profile(macros("virtualbox-vmm")),
    # every pass on, names assumed undefined, needles of one and two bytes
    "odd": normalize.load_profile({
        "erase": ["__init", "Q", "x*"], "unwrap": ["WRAP"], "keyword": {"*for_each*": "while"},
        "prune_if0": True, "split_conditionals": True,
        "assume_undefined": ["DEBUG_*", "NO[AB]", "U?"], "assume_defined": ["__KERNEL__", "Y?"]}),
    "split-only": normalize.load_profile({"split_conditionals": True}),
    "prune-only": normalize.load_profile({"prune_if0": True, "assume_undefined": ["DEBUG_*"]}),
}


def python_way(fn, *args):
    """fn(*args) with the C parts switched off."""
    saved, normalize._C = normalize._C, None
    try:
        return fn(*args)
    finally:
        normalize._C = saved


def assert_twins(src: bytes, names=tuple(PROFILES)) -> None:
    """normalize_ex of src, both ways, under the named profiles (all) and both alternates;
    and the function twins on it."""
    assert normalize._C is native.mod
    profiles = [PROFILES[n] for n in names]
    for name, prof in zip(names, profiles):
        for alternate in (False, True, 2):
            c = normalize.normalize_ex(src, prof, alternate)
            py = python_way(normalize.normalize_ex, src, prof, alternate)
            assert c == py, (name, alternate)
            assert len(c[0]) == len(src)
        dropped = normalize.normalize_ex(src, prof)[2]
        for want in (dropped, dropped[-1:], [(a + 1, b) for a, b in dropped[::2]]):
            if want:  # (the branches a later text keeps: worker._other_branches)
                c = normalize.normalize_ex(src, prof, 0, None, want)
                assert c == python_way(normalize.normalize_ex, src, prof, 0, None, want), name
    dc, dp = [], []
    code = normalize._code(src, dc)
    assert code == python_way(normalize._code, src, dp)
    assert dc == dp
    for prof in profiles:
        if prof.needles:
            assert normalize._candidates(code, prof.needles) == \
                python_way(normalize._candidates, code, prof.needles)
        for alternate in (False, True, 2):
            got = []
            for way in (True, False):
                buf, dropped = bytearray(src), []
                args = (src, code, buf, list(dc), prof, dropped, alternate)
                if way:
                    normalize._conditional_pass(*args)
                else:
                    python_way(normalize._conditional_pass, *args)
                got.append((buf, dropped))
            assert got[0] == got[1]
    bc, bp = bytearray(src), bytearray(src)
    normalize._define_comments(src, bc)
    python_way(normalize._define_comments, src, bp)
    assert bc == bp


ODD = [
    b"",
    b"\n",
    b"#",
    b"#if",
    b"#if 0",
    b"#if 0\n",
    b"/*",
    b"/* unterminated\n comment",
    b"/*/ x */ y",
    b"// line",
    b'"unterminated string',
    b'"str\\\ncontinued" x',
    b"'c",
    b"'\\'' '\\\\' x",
    b'"\\',
    b"x \\",
    b"#define A \\",
    b"#define A 1 \\\n  + 2 /* c \n c */ \\\n + 3\nint x;\n",
    b"#define A(x) \\\n  do { /* one */ \\\n  // two\n } while (0)\n",
    b"#define B /*\n\n*/ 1\n",  # a blank line in a comment of a #define
    b"int a;\n#define B /*\n\n*/ 1 \\\n + 2\nint c;\n",  # (Python drops a newline: mirrored)
    b"/**/\n#define S 1 \\\n \"http://x\" \\\n + 2\n",  # (a `//` in a string: a comment)
    b"#define C \"/*\" \\\n x */ y\n",
    b"  #  if 0\nint a;\n # else\nint b;\n#endif\n",
    b"#if 0 // c\nx\n#endif\n",
    b"#if (0)\nx\n#endif\n",
    b"#if 0\r\nx\r\n#endif\r\n",
    b"#ifdef X\r\n{\r\n#else\r\n{\r\n#endif\r\n}\r\n",
    b"#if 0\n#if 1\nint a;\n#else\nint b;\n#endif\n#endif\n",
    b"#ifdef A\nint f() {\n#elif defined(B)\nint g() {\n#elif B\nint h() {\n#else\n"
    b"int k() {\n#endif\n return 0; }\n",
    b"#define X\n#ifdef X\nif (a) {\n#else\nif (b) {\n#endif\n}\n",
    b"#define X\n#ifndef X\nint a;\n#endif\n#undef X\n#ifndef X\nint b(\n#endif\n);\n",
    b"#if 1\n#define Y\n#endif\n#ifdef Y\nx\n#endif\n",
    b"#define Z 1\n#if defined Z\nif (a)\n#endif\nb;\n#if !defined(Z)\nc;\n#endif\n",
    b"#if defined ( Z ) /* c */\nx;\n#elif !defined Z // d\ny;\n#endif\n",
    b"#if definedZ\nx\n#endif\n#define Z\n#if definedZ\n(\n#endif\n",
    b"#ifdef DEBUG_bird\nint a = (\n#else\nint a = 1;\n#endif\n",
    b"#ifndef DEBUG_x /* */\n{\n#endif\n#ifdef NOA\n}\n#endif\n#if defined(U1) || 1\n(\n#endif\n",
    b"#ifdef DEBUG_x /* c */\nint a;\n#endif\n#ifdef DEBUG_y // c\nint b;\n#endif\n",
    b"#define X\n#ifndef X\t// c\nint a;\n#else\nint b;\n#endif\n#ifndef X /c\nint c;\n#endif\n",
    b"#ifdef DEBUG_a\rX\nint a;\n#endif\n#if defined(DEBUG_b)\r\nint b;\n#endif\n",
    b"#ifdef DEBUG_a \\/* x */\nint a;\n#endif\n",
    b"#ifndef __KERNEL__\n# define j r()\n#endif\n#ifdef YZ\nint a = (\n#else\nint a;\n#endif\n",
    b"#if !defined(__KERNEL__)\nint u;\n#elif defined Y1\nint k;\n#else\n}\n#endif\n",
    b"#else\n#endif\n#elif 1\n",
    b"#if A\nx\n#elif 0\ny\n#else\nz\n#endif\n",
    b"#if 0 && defined(DEBUG_bird)\nint a = (\n#else\nint a;\n#endif\n",
    b"#if defined(X) && (0) && Y\n{\n#endif\n#if Y && 0 || Z\n(\n#endif\n#if (A && 0\nx\n#endif\n",
    b"#define X\n#if defined(X) && !defined(DEBUG_q) /* c */\nint a;\n#else\nint b(\n#endif\n",
    b"#if A ? 0 && B : 1\nx\n#endif\n#if 0&&\ny\n#endif\n#if &&\nz\n#endif\n",
    b"#if 0\n#elif 0\nb\n#elif 1\nc\n#else\nd\n#endif\n",
    # comments inside directive lines: the directive goes on past one with more after it
    b"#if defined(A) || /* c */ defined(B)\n{\n#elif B /* d */ && C\n(\n#endif\n",
    b"#ifdef DEBUG_x /* c */ junk\nint a = (\n#else\nint a;\n#endif\n",
    b"#if 0 /* x */\nint a;\n#endif /* y */\n#if 0 /*def L*/ /** t */\n{\n#endif\n",
    b"#if 0 /* a\n b */ && B\n(\n#endif\n#if A /* a\n b */\n{\n#endif /* c\n */ x\n",
    b"#if 0 /* a */ // b\n(\n#endif\n#if 0 /* a \t\r\n(\n#endif\n#if 0 /* a */\x0b\x0c\r\n",
    b"#if 0 /* never closed\nint a;\n#endif\n",
    b"#if 0 /* a */ /* b */ x\n{\n#endif\n#if A /*/ b */ /**/ /*\n*/\n(\n#endif\n",
    b"#ifdef DEBUG_z /* a */",
    b"#if 0 /* a */ x",
    b"#if A\nelse x;\n#endif\n",
    b"if (a) {\n}\n#ifdef X\n/* c */\n#endif\nelse {\n}\n",
    b"if (a) {\n}\n#ifdef X\n#define Y\n#else\n// d\n#endif\n  else\tx;\n#if Z\n#endif\nelsewhere;\n",
    b"#ifdef X\n#endif\nelse",
    b"#if A\nelsewhere;\n#endif\n",
    b"#if A\nx\n#endif\n#if B\n  \x0b\x0c\r\n#endif\n",
    b"#ifdef A \\\n B\nint x(\n#endif\n",
    b"#if \\\n 0\nx\n#endif\n",
    b"#\tifdef\tX\nfoo(\n#\telse\nbar(\n#endif\n);\n",
    b"#ifdefX\n(\n#endif\n#ifdef\n(\n#endif\n",
    b"#define\tW\n#ifdef W\n{\n#endif\n",
    b"#definex W\n#undefW\n#undef W\n",
    b"\x00#if 0\x00\nx\x00\n#endif\x00\n__init\x00WRAP(a)\x00",
    "#if 0\n/* é */ ü\n#endif\nint ß = 1;\n".encode(),
    b"\xff\xfe#ifdef X\n\x80(\x81\n#endif\n\xc3",
    b"__init int x; __init",
    b"__init",
    b"Q",
    b"xQ Qx x0 0x Q_ _Q",
    b"list_for_each(a) { } list_for_each",
    b"WRAP(int) f(void) { _asm { mov eax, 1 } __asm mov ebx, 2\n }",
    b"x __asm__ volatile(\"nop\");",
]


@pytest.mark.parametrize("src", ODD, ids=range(len(ODD)))
def test_odd_inputs(src):
    assert_twins(src)


def test_deep_nesting():
    """Thousands of nested groups (the Python twin is quadratic in the depth: few profiles)."""
    depth, names = 2500, ("odd", "split-only", "prune-only")
    src = b"#if A\n{\n" * depth + b"x;\n" + b"#else\n(\n#endif\n" * depth
    assert_twins(src, names)
    src = b"#if 0\n" * depth + b"#endif\n" * depth
    assert_twins(src, names)
    src = b"#ifdef DEBUG_a\n#elif B\n" * depth + b"#endif\n" * (depth + 3)
    assert_twins(src, names)


def test_needles_at_the_ends():
    for src in (b"__init", b"__init x", b"x __init", b"WRAP(a)", b"a WRAP(b)", b"list_for_each"):
        assert_twins(src)
        assert normalize._candidates(src, PROFILES["odd"].needles) == \
            python_way(normalize._candidates, src, PROFILES["odd"].needles)


def test_fixtures():
    for path in sorted((ROOT / "tests" / "fixtures" / "normalize").iterdir()):
        assert_twins(path.read_bytes())


def test_c_parts_in_use():
    """normalize uses the C parts when they are built (the twins above compare something)."""
    assert normalize._C is native.mod is not None
    assert native.mod.VERSION == native.VERSION == 4


TOKENS = [b"#if 0\n", b"#if 1\n", b"#if 0 && defined(X)\n", b"#if defined(X) && Y\n",
          b"#if X && (0)\n", b"#ifdef X\n", b"#ifndef X\n", b"#if defined(X)\n",
          b"#if !defined X\n", b"#ifdef DEBUG_a\n", b"#ifndef __KERNEL__\n", b"#ifdef YQ\n", b"#elif 0\n", b"#elif defined(Y)\n",
          b"#else\n", b"#endif\n", b"#define X\n", b"#undef X\n", b"#define Y 1 \\\n",
          b"# define Z /* c\n */ \\\n", b"#if X /* c */ || 0\n", b"#if 0 /* c\n */ && X\n",
          b"#endif /* c */ x\n", b"{", b"}", b"(", b")", b";", b":", b",", b"/*", b"*/",
          b"//", b'"', b"'", b"\\", b"\n", b"\r\n", b" ", b"\t", b"\x0b", b"\x0c", b"else",
          b"x", b"__init", b"WRAP", b"list_for_each", b"Q", b"_asm", b"\x00", b"\xff", b"#",
          b"define", b"if"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_generated(tokens):
    assert_twins(b"".join(tokens))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(src):
    assert_twins(src)
