"""Calls and reads inside the macro arguments an `unwrap_args` rule drops
(`per_cpu(hrtimer_bases, get_nohz_timer_target())` is `hrtimer_bases` to the parser): a text
that holds them in place gives their facts, in their function, at their line and column
(vmxref/indexer/erased.py); nothing else is added or taken twice."""
from __future__ import annotations

import collections
import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmxref import api, corpora
from vmxref.cli import cli
from vmxref.indexer import erased as erased_args
from vmxref.indexer import extract, normalize, ts, worker

LINUX = normalize.load_profile(corpora.load("linux-kvm").section("macros"))

PERCPU = (b"struct fix_cpu_base { int cpu; int nohz_active; };\n"                          # 1
          b"static DEFINE_PER_CPU(struct fix_cpu_base, fix_bases);\n"                       # 2
          b"static DEFINE_PER_CPU_SECTION(int, fix_pinned, FIX_SECTION);\n"                  # 3
          b"\n"                                                                              # 4
          b"static struct fix_cpu_base *fix_target_base(struct fix_cpu_base *base, int pin)\n"  # 5
          b"{\n"                                                                             # 6
          b"\tif (!pin && base->nohz_active)\n"                                              # 7
          b"\t\treturn &per_cpu(fix_bases, fix_nohz_target());\n"                           # 8
          b"\treturn base;\n"                                                                # 9
          b"}\n"                                                                             # 10
          b"\n"                                                                              # 11
          b"static void fix_mark_online(int cpu)\n"                                          # 12
          b"{\n"                                                                             # 13
          b"\tstruct fix_cpu_base *b = &per_cpu(fix_bases, fix_first(cpu));\n"             # 14
          b"\n"                                                                              # 15
          b"\tper_cpu(fix_bases, fix_cpu_of(cpu)).cpu = cpu;\n"                              # 16
          b"\tif (per_cpu(fix_bases, cpu).nohz_active && per_cpu(fix_bases, fix_other(cpu)).cpu)\n"  # 17
          b"\t\tfix_kick(per_cpu(fix_bases,\n"                                               # 18
          b"\t\t\t\t fix_next(cpu)).cpu, b);\n"                                              # 19
          b"\tfix_kick(per_cpu(fix_pinned, per_cpu(fix_bases, fix_inner(cpu)).cpu), b);\n"   # 20
          b"}\n")                                                                            # 21


def _facts(src: bytes, corpus: str = "linux-kvm", lang: str = "c"):
    prof = corpora.load(corpus)
    worker.init(prof.section("macros"), prof.dialect, None, prof.fills())
    facts, status = worker._work(src, lang)
    assert status == "ok"
    return facts


def test_the_text_is_the_same_and_the_dropped_arguments_are_told():
    erased: list = []
    text, uses, dropped = normalize.normalize_ex(PERCPU, LINUX, erased=erased)
    assert (text, uses, dropped) == normalize.normalize_ex(PERCPU, LINUX)
    got = [(PERCPU.count(b"\n", 0, a) + 1, arg.strip()) for _s, _e, a, _b, arg in erased]
    assert got == [(3, b"FIX_SECTION"), (8, b"fix_nohz_target()"), (14, b"fix_first(cpu)"),
                   (16, b"fix_cpu_of(cpu)"), (17, b"cpu"), (17, b"fix_other(cpu)"),
                   (18, b"fix_next(cpu)"),  # (from the comma)
                   # (the inner use rewritten, its own dropped argument blank)
                   (20, b"fix_bases                 .cpu"), (20, b"fix_inner(cpu)")]
    for _s, _e, a, b, arg in erased:  # (in place: the text holds none of it)
        assert len(arg) == b - a and not text[a:b].strip()


def test_calls_in_dropped_arguments_are_calls_of_their_function():
    f = _facts(PERCPU)
    calls = sorted((c[0], c[1], c[2], c[3]) for c in f.calls)
    assert calls == [
        (8, 30, "fix_target_base", "fix_nohz_target"),
        (14, 47, "fix_mark_online", "fix_first"),
        (16, 21, "fix_mark_online", "fix_cpu_of"),
        (17, 64, "fix_mark_online", "fix_other"),
        (18, 3, "fix_mark_online", "fix_kick"),
        (19, 6, "fix_mark_online", "fix_next"),
        (20, 2, "fix_mark_online", "fix_kick"),
        (20, 50, "fix_mark_online", "fix_inner")]  # (in a use inside a dropped argument)
    lines = PERCPU.split(b"\n")
    assert all(lines[ln - 1][col - 1:].startswith(name.encode()) for ln, col, _f, name in calls)
    nohz = next(c for c in f.calls if c[3] == "fix_nohz_target")
    assert nohz[4:7] == ("direct", None, "[]")


def test_reads_in_dropped_arguments_and_nothing_else_twice():
    f = _facts(PERCPU)
    cpu = sorted((r[2], r[3], r[1]) for r in f.refs if r[0] == "cpu" and r[5] is None)
    assert cpu == [(14, 57, "read"), (16, 32, "read"), (16, 44, "read"), (17, 25, "read"),
                   (17, 74, "read"), (19, 15, "read"), (20, 60, "read")]
    for table in ("syms", "refs", "calls", "assigns"):
        rows = collections.Counter(getattr(f, table))
        assert not [r for r, n in rows.items() if n > 1], table
    # the per-CPU variable's own references are those of the text parsed first
    bases = sorted((r[2], r[1]) for r in f.refs if r[0] == "fix_bases")
    assert bases == [(8, "addr"), (14, "addr"), (16, "write"), (17, "read"), (17, "read"),
                     (18, "read"), (20, "read")]  # (line 20: the use inside the argument)
    assert not [r for r in f.refs if r[0] == "FIX_SECTION" and r[1] != "macro"]


def test_a_use_in_a_kept_argument_of_another_and_one_at_file_scope():
    src = (b"static DEFINE_PER_CPU(int, fix_val);\n"
           b"static int fix_first = per_cpu(fix_val, fix_boot_cpu());\n"
           b"static int fix_sum(int cpu)\n{\n"
           b"\treturn per_cpu(*per_cpu(fix_ptrs, fix_a(cpu)), fix_b(cpu)) + fix_c(cpu);\n}\n")
    f = _facts(src)
    assert sorted((c[0], c[1], c[2], c[3]) for c in f.calls) == [
        (5, 36, "fix_sum", "fix_a"), (5, 49, "fix_sum", "fix_b"),
        (5, 63, "fix_sum", "fix_c")]  # (not fix_boot_cpu: no function's)
    assert sorted(r[3] for r in f.refs if r[0] == "cpu") == [42, 55, 69]


def test_a_dropped_argument_of_a_declaring_macro_is_read():
    """`IEM_MC_ARG_LOCAL_REF(PRTUINT128U, puDst, uDst, 0);` declares puDst (profile "1 2")
    and refers to the local uDst."""
    src = (b"FNIEMOP_DEF(iemOp_fix_movdqa)\n{\n    IEM_MC_BEGIN(2, 1);\n"
           b"    IEM_MC_LOCAL(RTUINT128U, uDst);\n"
           b"    IEM_MC_ARG_LOCAL_REF(PRTUINT128U, puDst, uDst, 0);\n"
           b"    IEM_MC_ARG(uint8_t, bImm, 1);\n"
           b"    IEM_MC_CALL_VOID_AIMPL_2(iemAImpl_fix, puDst, bImm);\n"
           b"    IEM_MC_END();\n    return VINF_SUCCESS;\n}\n")
    f = _facts(src, "virtualbox-vmm", "cpp")
    assert [(r[1], r[2], r[3], r[4]) for r in f.refs if r[0] == "uDst"] == [
        ("read", 5, 46, "iemOp_fix_movdqa")]
    assert [(s[1], s[2]) for s in f.syms if s[0] == "puDst"] == [("local", 5)]


@pytest.fixture(scope="module")
def idx(tmp_path_factory):
    root = tmp_path_factory.mktemp("erased-src")
    (root / "arch" / "x86" / "kvm").mkdir(parents=True)
    (root / "arch" / "x86" / "kvm" / "fix_percpu.c").write_bytes(
        PERCPU + b"\nint fix_nohz_target(void)\n{\n\treturn 0;\n}\n")
    d = tmp_path_factory.mktemp("erased-index")
    api.index(str(root), "linux-kvm@fix", d, procs=1, fulltext=False)
    return d


def test_callers_of_a_function_called_in_a_dropped_argument(idx):
    r = CliRunner().invoke(cli, ["q", "callers fix_nohz_target", "--json", "--index", str(idx)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["file"], x["line"], x["col"], x["function"]) for x in rows] == [
        ("arch/x86/kvm/fix_percpu.c", 8, 30, "fix_target_base")]


TOKENS = ["per_cpu(x, f(cpu))", "per_cpu(x,", "per_cpu(", "f(cpu)", "g()", "cpu)", ").a",
          "this_cpu_read(y)", "(", ")", ",", "{", "}", ";", ";", "int", "static", "void", "k",
          "cpu", "x", "return", "if (", "&", "*", "=", "0", "#if X\n", "\n#endif\n",
          "\n#else\n", "/*", "*/", '"s"', "({", "})"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60), st.sampled_from([" ", "\n"]))
def test_token_soup_adds_facts_inside_dropped_arguments_only(tokens, sep):
    src = sep.join(["void h(int cpu) {", *tokens, "}"]).encode()
    spans: list = []
    erased: list = []
    text, uses, _d = normalize.normalize_ex(src, LINUX, spans=spans, erased=erased)
    tree = ts.parse(text, "c")
    f = extract.extract(src, tree, "c", LINUX, uses, "kernel", text=text, use_spans=spans)
    before = {t: len(getattr(f, t)) for t in ("calls", "refs", "assigns", "logcalls")}
    erased_args.recover(src, text, tree, "c", LINUX, "kernel", {}, spans, erased, f)
    where = [(a, b) for _s, _e, a, b, _t in erased]
    nl = [-1] + [i for i, c in enumerate(src) if c == 10]
    for table, n in before.items():
        for row in getattr(f, table)[n:]:
            line, col = (row[2], row[3]) if table == "refs" else (row[0], row[1])
            off = nl[line - 1] + col
            assert any(a <= off < b for a, b in where), (table, row)
