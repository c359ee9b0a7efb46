"""Tests of the macro profile normaliser (vmxref/indexer/normalize.py)."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import tree_sitter_c
import tree_sitter_cpp
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Language, Parser

from vmxref.indexer import normalize

ROOT = Path(__file__).parents[1]
FIX = ROOT / "tests" / "fixtures" / "normalize"
LANGS = {"c": Language(tree_sitter_c.language()), "cpp": Language(tree_sitter_cpp.language())}
CASES = [("kvm_style.c", "linux-kvm", "c"), ("vbox_callbacks.cpp", "virtualbox-vmm", "cpp"),
         ("iem_opcodes.cpp", "virtualbox-vmm", "cpp")]


def macros(corpus: str) -> dict:
    """The [macros] tables of a shipped profile (read on their own: other tables may change)."""
    text = (ROOT / "vmxref" / "corpora" / f"{corpus}.toml").read_text()
    return tomllib.loads(text[re.search(r"^\[macros\]", text, re.M).start():])["macros"]


def profile(corpus: str) -> normalize.MacroProfile:
    return normalize.load_profile(macros(corpus))


def error_count(text: bytes, lang: str) -> int:
    root = Parser(LANGS[lang]).parse(text).root_node
    stack, n = [root], 0
    while stack:
        node = stack.pop()
        n += node.type == "ERROR" or node.is_missing
        if node.has_error:
            stack.extend(node.children)
    return n


def assert_same_shape(src: bytes, out: bytes) -> None:
    assert len(out) == len(src)
    assert [i for i, b in enumerate(out) if b == 10] == [i for i, b in enumerate(src) if b == 10]


@pytest.mark.parametrize("name,corpus,lang", CASES)
def test_fixture_parses_clean_after_normalising(name, corpus, lang):
    src = (FIX / name).read_bytes()
    out, uses = normalize.normalize(src, profile(corpus))
    assert_same_shape(src, out)
    assert error_count(src, lang) > 0, "fixture should need the normaliser"
    assert error_count(out, lang) == 0
    for macro, off in uses:
        assert src[off:off + len(macro)].decode() == macro


@pytest.mark.parametrize("name,corpus,lang", CASES)
def test_surviving_identifiers_keep_offsets(name, corpus, lang):
    src = (FIX / name).read_bytes()
    out, _ = normalize.normalize(src, profile(corpus))
    for m in re.finditer(rb"\w+", out):
        assert src[m.start():m.end()] == m.group() or m.group() in (b"if", b"else", b"while")


def test_vbox_rewrites():
    src = (FIX / "vbox_callbacks.cpp").read_bytes()
    out, uses = normalize.normalize(src, profile("virtualbox-vmm"))
    assert b"static              int  fooR3Construct(" in out
    assert b"int  pfnConstruct  (PPDMDEVINS" in out
    assert b"fooR0Helper" not in out and b"fooR3Helper" in out  # #else branch dropped
    assert b"this is dead code" not in out
    assert b"while        (&pVM->foo.s.ListHead" in out
    assert {"DECLCALLBACK", "VMMR3_INT_DECL", "RT_IPRT_FORMAT_ATTR"} <= {u for u, _ in uses}


def test_iem_rewrites_and_function_name_arg():
    prof = profile("virtualbox-vmm")
    out, _ = normalize.normalize((FIX / "iem_opcodes.cpp").read_bytes(), prof)
    assert re.search(rb" uint8_t \* +pu8Dst +;", out)
    assert re.search(rb" uint8_t +iEffSeg= /\*=\*/ pVCpu->iem.s.iEffSeg +;", out)
    assert b"if                   (X86_EFL_CF) {" in out
    assert b"} else          {" in out
    assert prof.function_name_arg("FNIEMOP_DEF") == 0
    assert prof.function_name_arg("IEM_CIMPL_DEF_2") == 0
    assert prof.function_name_arg("DECLCALLBACK") is None


def test_kvm_rewrites():
    src = (FIX / "kvm_style.c").read_bytes()
    out, _ = normalize.normalize(src, profile("linux-kvm"))
    assert b"while            (i, vcpu, kvm)" in out
    assert b"__always_inline" not in out and b"__aligned" not in out
    assert re.search(rb"static +struct foo_vmcs \* +current_foo_vmcs +;", out)
    assert b"TP_fast_assign" not in out


def test_loop_macro_definition_and_call_are_kept():
    prof = normalize.load_profile({"keyword": {"*for_each*": "while"}})
    src = b"void my_for_each(int a)\n{\n}\nint f(void) { my_for_each(1); return 0; }\n"
    assert normalize.normalize(src, prof)[0] == src


def test_comments_strings_and_defines_untouched():
    prof = normalize.load_profile({"erase": ["__init"], "unwrap": ["DECLCALLBACK"]})
    src = (b'#define DECLCALLBACK(t) t\n/* __init DECLCALLBACK(int) */\n'
           b'const char *s = "__init";\nint __init f(void);\n')
    out, uses = normalize.normalize(src, prof)
    assert out.split(b"\n")[:3] == src.split(b"\n")[:3]
    assert uses == [("__init", src.rindex(b"__init"))]


def test_bad_profile_is_a_named_error():
    from vmxref.errors import VmxrefError
    with pytest.raises(VmxrefError):
        normalize.load_profile({"keyword": {"FOO": "goto"}})
    with pytest.raises(VmxrefError):
        normalize.load_profile({"erase": ["*"]})


def test_empty_profile_is_identity():
    src = b"int main(void) { return 0; }\n"
    assert normalize.normalize(src, normalize.load_profile({})) == (src, [])


TOKENS = ["DECLCALLBACK", "(", ")", "int", "{", "}", ";", ",", "\n", " ", "/*", "*/", "//",
          '"', "'", "\\", "#if 0", "#ifdef X", "#else", "#endif", "#define", "__init",
          "list_for_each_entry", "IEM_MC_IF_X", "IEM_MC_ELSE", "IEM_MC_ARG_CONST",
          "__attribute__", "R3PTRTYPE", "x", "0", "\t", "é", "\r\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=80), st.sampled_from(["linux-kvm",
                                                                         "virtualbox-vmm"]))
def test_token_soup_keeps_length_and_newlines(tokens, corpus):
    src = "".join(tokens).encode()
    out, uses = normalize.normalize(src, profile(corpus))
    assert_same_shape(src, out)
    assert all(0 <= off < len(src) for _, off in uses)


def test_syscall_style_definitions_become_functions():
    """`SYSCALL_DEFINEn(name, type, arg, ...)` bodies are functions named `name` with their
    parameters (without the rule tree-sitter sees a call and a loose block: the locals were
    file-scope variables); SYSCALL_DEFINE0 has no comma to open the list with: its name moves
    one byte left to make room for `()`."""
    from vmxref.indexer import worker
    from vmxref import corpora
    src = (b"SYSCALL_DEFINE3(read, unsigned int, fd, char __user *, buf, size_t, count)\n"
           b"{\n\tstruct fd_like *f = fdget(fd);\n\treturn ksys_read(f, buf, count);\n}\n"
           b"SYSCALL_DEFINE0(getpid)\n{\n\treturn 0;\n}\n")
    out, uses = normalize.normalize(src, profile("linux-kvm"))
    assert_same_shape(src, out)
    assert out.startswith(b"long            read( unsigned int  fd, char        *  buf, size_t  count)")
    assert b"\nlong           getpid()\n{" in out
    assert ("SYSCALL_DEFINE3", 0) in uses and ("SYSCALL_DEFINE0", src.index(b"SYSCALL_DEFINE0")) in uses
    worker.init(corpora.load("linux-kvm").section("macros"), "kernel", None)
    facts, status = worker._work(src, "c")
    syms = {(s[0], s[1], s[5]) for s in facts.syms}
    assert ("read", "function", "") in syms and ("getpid", "function", "") in syms
    assert {("fd", "param", "read"), ("buf", "param", "read"), ("count", "param", "read"),
            ("f", "local", "read")} <= syms
    assert {c[2] for c in facts.calls if c[3] == "ksys_read"} == {"read"}


@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_comments_inside_a_multi_line_define_no_longer_break_it(lang):
    """tree-sitter ends a #define at a comment on a continuation line and parses the rest of
    the macro as code: such comments are blanked, a comment over several lines keeping a `\\`
    before each newline (the directive goes on; lengths and newlines stay)."""
    src = (b"#define TM_BUG_ON(cond, pVM) \\\n"
           b"    do { /* first */ \\\n"
           b"        if (cond) /* spans\n"
           b"                     two lines */ \\\n"
           b"            tmBugged(pVM); \\\n"
           b"    } while (0)\n"
           b"int after(void) { return 0; } /* a comment of the code stays */\n")
    out, _uses = normalize.normalize(src, profile("virtualbox-vmm" if lang == "cpp" else "linux-kvm"))
    assert len(out) == len(src) and [i for i, c in enumerate(out) if c == 10] == [
        i for i, c in enumerate(src) if c == 10]
    assert b"first" not in out and b"spans" not in out and b"a comment of the code stays" in out
    root = Parser(LANGS[lang]).parse(out).root_node
    assert not root.has_error
    assert [c.type for c in root.children][:2] == ["preproc_function_def", "function_definition"]
    assert Parser(LANGS[lang]).parse(src).root_node.has_error  # (what it was before)


def test_branches_of_a_macro_the_file_defines_unconditionally_are_decided():
    """`#define HMVMX_USE_FUNCTION_TABLE` at file level, then `#ifdef`/`#ifndef`/`#if
    defined()` of it: the branch that cannot be compiled is blanked (its symbols and calls
    are gone); a macro defined inside a conditional (a header guard) or #undef'd stays
    undecided, and so does a branch before the decided one."""
    from vmxref.indexer import worker
    from vmxref import corpora
    src = (b"#define FIX_USE_TABLE\n"
           b"#ifndef FIX_GUARD_H\n#define FIX_GUARD_H\n#endif\n"
           b"static int fixRun(int i)\n{\n"
           b"#ifdef FIX_USE_TABLE\n    return g_apfnFix[i]();\n#else\n    return fixSlow(i);\n#endif\n}\n"
           b"#ifndef FIX_USE_TABLE\nstatic int fixSlow(int i) { return fixOne(i); }\n#endif\n"
           b"#if defined(FIX_GUARD_H)\nint fixGuarded;\n#endif\n"
           b"#if FIX_OTHER\nint fixA;\n#elif defined(FIX_USE_TABLE)\nint fixB;\n#else\nint fixC;\n#endif\n"
           b"#undef FIX_USE_TABLE\n#ifdef FIX_USE_TABLE\nint fixD;\n#else\nint fixE;\n#endif\n")
    out, _uses = normalize.normalize(src, profile("virtualbox-vmm"))
    assert_same_shape(src, out)
    worker.init(corpora.load("virtualbox-vmm").section("macros"), "vbox", None)
    facts, _status = worker._work(src, "cpp")
    names = {s[0] for s in facts.syms if s[1] in ("function", "global")}
    assert {"fixRun", "fixGuarded", "fixA", "fixB", "fixD", "fixE"} <= names
    assert not names & {"fixSlow", "fixC"}
    assert not {c[3] for c in facts.calls} & {"fixSlow", "fixOne"}


def test_msc_asm_blocks_do_not_cut_a_function_short():
    """MSC `__asm { ... }` blocks and `__asm instr` lines are not C: error recovery made
    `push dword ptr [x]` a declaration and the function's locals file-scope globals."""
    from vmxref.indexer import worker
    from vmxref import corpora
    src = (b"DECLINLINE(int) FixVmxOn(RTHCPHYS HCPhys)\n{\n"
           b"# if defined(RT_ARCH_X86)\n    int rc = VINF_SUCCESS;\n    __asm\n    {\n"
           b"        push    dword ptr [HCPhys + 4]\n        jnc     fix_good\n"
           b"        mov     dword ptr [rc], VERR_VMX_INVALID_VMXON_PTR\nfix_good:\n"
           b"        add     esp, 8\n    }\n    __asm cli\n    return rc;\n"
           b"# else\n    int rc;\n    __asm__ __volatile__(\"vmxon %1\" : \"=rm\"(rc) : \"m\"(HCPhys));\n"
           b"    return rc;\n# endif\n}\n")
    out, _uses = normalize.normalize(src, profile("virtualbox-vmm"))
    assert_same_shape(src, out)
    assert b"push" not in out and b"cli" not in out and b"__asm__ __volatile__" in out
    worker.init(corpora.load("virtualbox-vmm").section("macros"), "vbox", None)
    facts, _status = worker._work(src, "cpp")
    syms = {(s[0], s[1], s[5]) for s in facts.syms}
    assert ("FixVmxOn", "function", "") in syms and ("rc", "local", "FixVmxOn") in syms
    assert not [s for s in facts.syms if s[1] == "global"]


def test_array_declaring_macros_become_arrays():
    """`DECLARE_BITMAP(name, size)` in a struct is a member (profile `[macros.declare_array]`):
    the element type over the macro name, `[size]` in place of the arguments; a use of
    another shape stays as it is."""
    src = (b"struct s {\n\tDECLARE_BITMAP(pending, 256);\n\tDECLARE_HASHTABLE(h, 7);\n};\n"
           b"DECLARE_BITMAP(odd);\n")
    out, uses = normalize.normalize(src, profile("linux-kvm"))
    assert_same_shape(src, out)
    assert b"\tunsigned long  pending[ 256];\n" in out
    assert b"\tstruct hlist_head h[ 7];\n" in out
    assert out.endswith(b"DECLARE_BITMAP(odd);\n")
    assert ("DECLARE_BITMAP", src.index(b"DECLARE_BITMAP")) in uses
    with pytest.raises(Exception, match="declare_array"):
        normalize.load_profile({"declare_array": {"X": "int; evil"}})


def test_branches_of_a_macro_no_default_build_defines_are_dead():
    """`assume_undefined` (VirtualBox: developers' DEBUG_<name> switches): `#ifdef
    DEBUG_bird` is dead and its `#else` is the code, so a macro defined twice there keeps
    the release definition; `#ifndef` and `#if defined(...)` follow; other names stay
    undecided (both branches kept)."""
    src = (b"#ifdef DEBUG_ramshankar\n# define CALL_RET(a, e) do { import(a); return e; } while (0)\n"
           b"#else\n# define CALL_RET(a, e) return e\n#endif\n"
           b"#if !defined(DEBUG_bird)\nint live1;\n#else\nint dead1;\n#endif\n"
           b"#ifdef DEBUG\nint kept2;\n#else\nint kept3;\n#endif\n")
    out, _ = normalize.normalize(src, profile("virtualbox-vmm"))
    assert_same_shape(src, out)
    assert b"import(a)" not in out and b"return e\n" in out
    assert b"live1" in out and b"dead1" not in out
    assert b"kept2" in out and b"kept3" in out
    with pytest.raises(Exception, match="assume_undefined"):
        normalize.load_profile({"prune_if0": True, "assume_undefined": "DEBUG_*"})


def test_branches_a_kernel_build_never_compiles_are_dead():
    """`assume_defined` (Linux: `__KERNEL__`): raid/pq.h's user-space shim `#ifndef
    __KERNEL__ / # define jiffies raid6_jiffies()` is dead, so no kernel use of jiffies is a
    use of that macro; a uapi header's `#else` half is dead, and `#if !defined(..)` too."""
    src = (b"#ifndef __KERNEL__\n# define jiffies raid6_jiffies()\n#endif\n"
           b"extern unsigned long volatile jiffies;\n"
           b"#ifdef __KERNEL__\nint kernel1;\n#else\nint user1;\n#endif\n"
           b"#if !defined(__KERNEL__)\nint user2;\n#endif\n"
           b"#if defined(__KERNEL__)\nint kernel2;\n#endif\n")
    out, _ = normalize.normalize(src, profile("linux-kvm"))
    assert_same_shape(src, out)
    assert b"raid6_jiffies" not in out and b"volatile jiffies" in out
    assert b"kernel1" in out and b"user1" not in out
    assert b"user2" not in out and b"kernel2" in out
    with pytest.raises(Exception, match="assume_defined"):
        normalize.load_profile({"prune_if0": True, "assume_defined": "__KERNEL__"})


def test_a_group_of_comments_before_an_else_does_not_part_the_if():
    """`} #ifdef X /* a note */ #endif else {`: tree-sitter ends the `if` at the directive and
    takes the rest for a call of `if`; a group with no code before an `else` loses its
    directive lines (only), so the chain parses. Other empty groups stay as they are."""
    src = (b"static int fixR3Forced(int f, int g)\n{\n    int rc = 0;\n"
           b"    if (f)\n    {\n        rc = 1;\n    }\n"
           b"#ifdef VBOX_WITH_FIX_SVM\n    /** @todo handle this later. */\n#endif\n"
           b"    else\n    {\n        if (   g\n            && f)\n            rc = fixDo(g);\n    }\n"
           b"#ifdef VBOX_WITH_FIX_VMX\n    /* nothing */\n#endif\n    return rc;\n}\n")
    assert error_count(src, "cpp") > 0
    out, _ = normalize.normalize(src, profile("virtualbox-vmm"))
    assert_same_shape(src, out)
    assert error_count(out, "cpp") == 0
    assert b"#ifdef VBOX_WITH_FIX_SVM" not in out and b"@todo handle" in out
    assert b"#ifdef VBOX_WITH_FIX_VMX" in out  # (no else after it)


def test_a_group_that_ends_an_if_before_its_else_does_not_part_them():
    """`#if defined(IN_RING3) || defined(IN_RING0)  if (..) {..}  #endif  #ifndef IN_RING3
    # ifdef IN_RING0 else # endif {..} #endif`: the `if` ends in one group and its `else`
    follows the #endif; tree-sitter took the `else` for an error and closed the function
    there (the calls after it had no function). A one-branch group right before an `else`
    loses its directive lines; a group of several branches of code is flattened, one
    branch kept, as for a group that splits a construct."""
    src = (b"static int fixLeave(int fNoVal, int c)\n{\n    int rc = 0;\n"
           b"    if (c > 1)\n    {\n        rc = fixDec(c);\n    }\n    else\n    {\n"
           b"#if defined(IN_RING3) || defined(IN_RING0)\n"
           b"        if (fixPreemptEnabled())\n        {\n            rc = fixSignal(c);\n        }\n"
           b"#endif /* IN_RING3 || IN_RING0 */\n"
           b"#ifndef IN_RING3\n# ifdef IN_RING0\n        else\n# endif\n"
           b"        {\n            rc = fixQueue(c);\n        }\n#endif\n    }\n"
           b"    fixAtomicDec(&c);\n    return rc;\n}\n"
           b"static int fixPick(int a)\n{\n#ifdef FIX_ONE\n    if (a) fixOne();\n#else\n"
           b"    if (!a) fixTwo();\n#endif\n    else\n        fixThree();\n    return 0;\n}\n")
    assert error_count(src, "cpp") > 0
    for alternate, kept, gone in ((0, b"fixOne", b"fixTwo"), (1, b"fixTwo", b"fixOne")):
        out, _, _ = normalize.normalize_ex(src, profile("virtualbox-vmm"), alternate)
        assert_same_shape(src, out)
        assert error_count(out, "cpp") == 0, alternate
        assert b"#endif /* IN_RING3" not in out and b"fixSignal" in out and b"fixQueue" in out
        assert kept in out and gone not in out, alternate


def test_a_bpf_helper_is_a_function_of_its_name():
    """`BPF_CALL_2(bpf_tkl_read, void *, dst, u32, size) { return tkl_read(dst, size); }`
    defines the helper `bpf_tkl_read` (u64), whose body calls tkl_read, like a system call
    (profile [macros.define_function])."""
    src = (b"BPF_CALL_2(bpf_tkl_read, void *, dst, u32, size)\n{\n"
           b"\treturn tkl_read(dst, size);\n}\n\n"
           b"BPF_CALL_0(bpf_tkl_node_id)\n{\n\treturn tkl_node_id();\n}\n")
    out, _ = normalize.normalize(src, profile("linux-kvm"))
    assert_same_shape(src, out)
    assert error_count(out, "c") == 0
    tree = Parser(Language(tree_sitter_c.language())).parse(out)
    names = [out[d.child_by_field_name("declarator").child_by_field_name("declarator")
                 .start_byte:d.child_by_field_name("declarator").child_by_field_name(
                     "declarator").end_byte]
             for d in tree.root_node.children if d.type == "function_definition"]
    assert names == [b"bpf_tkl_read", b"bpf_tkl_node_id"], out


def test_a_define_continued_after_a_comment_stays_one_directive():
    """`# define FIX_ASSERT(a) do { if (a) { /* likely */ } else { fixPanic(); } } while (0)`
    written over continued lines: the lines after the comment are the directive's, not code
    (before, their braces made the #ifdef group look split, and its `#else` definition was
    dropped); a comment on a directive line that does not continue still ends it (`#if 0
    /* unused */` is a dead branch)."""
    src = (b"#ifdef FIX_STRICT\n"
           b"# define FIX_ASSERT(a_Expr)  \\\n"
           b"    do { \\\n"
           b"        if (RT_LIKELY(!!(a_Expr))) \\\n"
           b"        { /* likely */ } \\\n"
           b"        else \\\n"
           b"        { \\\n"
           b"            fixPanic(); \\\n"
           b"        } \\\n"
           b"    } while (0)\n"
           b"#else\n"
           b"# define FIX_ASSERT(a_Expr) do { } while (0)\n"
           b"#endif\n"
           b"#if 0 /* unused */\n"
           b"static int fixUnused(void) { return fixPanic(); }\n"
           b"#endif\n"
           b"static int fixUsed(int a) { FIX_ASSERT(a); return a; }\n")
    for variant in (normalize.normalize_ex(src, profile("virtualbox-vmm"), 0),
                    normalize.normalize_ex(src, profile("virtualbox-vmm"), 1)):
        out = variant[0]
        assert_same_shape(src, out)
        assert out.count(b"define FIX_ASSERT") == 2, out
        assert b"fixUnused" not in out and b"fixUsed" in out
        assert error_count(out, "cpp") == 0


# A comment on a directive line is whitespace to the preprocessor (self-written fixtures in
# the trees' style: a group of #defines picked by a mode, as a shadow-paging header has).
MID_LINE = (b"#ifndef FOO_MODE\n# error \"FOO_MODE\"\n#endif\n"
            b"# if FOO_MODE == FOO_WIDE || /* any: */ FOO_MODE == FOO_NONE\n"
            b"#  define FOO_SHIFT 39\n#  define FOO_MASK (FOO_ENTRIES * 2)\n"
            b"# elif FOO_MODE == FOO_HALF /* legacy */ || defined(FOO_FORCE_HALF)\n"
            b"#  define FOO_SHIFT 30\n#  define FOO_MASK (FOO_ENTRIES - 1)\n"
            b"# else\n#  error \"bad FOO_MODE\"\n# endif\n"
            b"#ifdef FOO_STATS /* counters */ /* and timers */\nint fooStats(void);\n#endif\n"
            b"static int fooShift(void) { return FOO_SHIFT; }\n")
MULTI_LINE = (b"#if defined(BAR_RING0) /* ring-0 builds,\n"
              b"                          and the raw mode ones: */ || defined(BAR_RC)\n"
              b"# define BAR_CTX 1\n"
              b"#else /* ring-3:\n       nothing */\n"
              b"# define BAR_CTX 3\n"
              b"#endif /* BAR_RING0\n        || BAR_RC */\n"
              b"int barCtx(void) { return BAR_CTX; }\n")
STILL_DEAD = (b"#if 0 /* unused */\nint deadOne(void);\n#endif /* 0 */\n"
              b"#if 0 /*def BAZ_LOG*/ /** @todo why? */\nint deadTwo(void);\n#endif\n"
              b"#if 0 /* later,\n         perhaps */\nint deadThree(void);\n#endif\n"
              b"#if 0 /* off */ && defined(BAZ_ON)\nint deadFour(void);\n#endif\n"
              b"int bazLive(void);\n")


def _directive_lines(src: bytes) -> list[bytes]:
    spans = []
    normalize._code(src, spans)
    return [src[a:b] for a, b in spans]


def test_a_comment_inside_a_directive_line_does_not_end_it():
    """`# if A || /* c */ B`: the `B` after the comment is the condition's, not code (before,
    it was code: the group of #defines looked split, was flattened, and two branches were
    dropped as other text to parse); a comment that ends the line is left out of it."""
    dirs = _directive_lines(MID_LINE)
    assert dirs[3] == b"# if FOO_MODE == FOO_WIDE || /* any: */ FOO_MODE == FOO_NONE"
    assert dirs[6] == b"# elif FOO_MODE == FOO_HALF /* legacy */ || defined(FOO_FORCE_HALF)"
    assert dirs[12] == b"#ifdef FOO_STATS /* counters */ "  # (the last comment ends the line)
    code = normalize._code(MID_LINE, [])
    assert b"FOO_NONE" not in code and b"FOO_FORCE_HALF" not in code and b"timers" not in code
    for corpus in ("virtualbox-vmm", "linux-kvm"):
        for alternate in (0, 1):
            out, _uses, dropped = normalize.normalize_ex(MID_LINE, profile(corpus), alternate)
            assert dropped == [] and out == MID_LINE


def test_a_block_comment_over_several_lines_continues_its_directive():
    """A comment that opens on a directive line and closes on a later one: the directive
    goes on to the end of the line where it closes when more follows it there (`|| B`), and
    ends before it when nothing does (`#else /* ... */`, `#endif /* ... */`)."""
    dirs = _directive_lines(MULTI_LINE)
    assert dirs[0] == MULTI_LINE[:MULTI_LINE.index(b"\n# define")]
    assert dirs[2:] == [b"#else ", b"# define BAR_CTX 3", b"#endif "]
    code = normalize._code(MULTI_LINE, [])
    assert b"BAR_RC" not in code and b"nothing" not in code
    assert code.endswith(b"int barCtx(void) { return BAR_CTX; }\n")
    out, _uses, dropped = normalize.normalize_ex(MULTI_LINE, profile("virtualbox-vmm"))
    assert dropped == [] and out == MULTI_LINE


def test_a_comment_on_an_if_0_line_keeps_it_dead():
    """`#if 0 /* x */` (and a comment before another, over two lines, or before `&& ...`:
    the condition's comments are blanks) is a dead branch; `#endif /* 0 */` ends it."""
    for corpus in ("virtualbox-vmm", "linux-kvm"):
        out, _ = normalize.normalize(STILL_DEAD, profile(corpus))
        assert_same_shape(STILL_DEAD, out)
        assert b"dead" not in out, (corpus, out)
        assert b"int bazLive(void);" in out and error_count(out, "c") == 0


def test_the_code_scans_of_extract_and_normalize_agree_on_directive_comments():
    """extract.code_only (the regex _noncode.h's C shares) blanks what normalize._code does."""
    from vmxref.indexer import extract
    assert extract._NONCODE.pattern == normalize._NONCODE.pattern
    for src in (MID_LINE, MULTI_LINE, STILL_DEAD):
        assert extract.code_only(src) == normalize._code(src, [])
