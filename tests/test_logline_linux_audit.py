"""`logline` defects found by bench/logline_linux.py, on a tiny kernel-style tree written for
these tests: a TP_printk whose format is a #defined string; a format without any word; the
stamps of syslog files and `dmesg -x`; a trace line whose last conversion printed nothing
after a space (trace_pipe keeps the space, a pasted line loses it); dynamic debug's
`module:function:line: ` decoration; a WARNING whose path is not the indexed one; a dmesg
line printed by a pr_err and the pr_cont after it; printk.h's FW_BUG before a format; the
`FUNC: N callbacks suppressed` line of a rate limit."""
from __future__ import annotations

import pytest

from vmxref import api, logfmt
from vmxref.queries.logline import logline

# Written for these tests (CC0) in the style of include/trace/events/kvm.h and arch/x86/kvm.
EVENTS_H = """\
/* SPDX-License-Identifier: CC0-1.0 */
#ifdef fixture_chips
#define fixture_ack_string "chip %s line %u"
#define fixture_ack_parm __print_symbolic(__entry->chip, fixture_chips), __entry->line
#else
#define fixture_ack_string "chip %d line %u"
#define fixture_ack_parm __entry->chip, __entry->line
#endif

TRACE_EVENT(fixture_ack,
	TP_PROTO(unsigned int chip, unsigned int line),
	TP_ARGS(chip, line),
	TP_STRUCT__entry(
		__field(unsigned int, chip)
		__field(unsigned int, line)
	),
	TP_fast_assign(
		__entry->chip = chip;
		__entry->line = line;
	),
	TP_printk(fixture_ack_string, fixture_ack_parm)
);

TRACE_EVENT(fixture_port,
	TP_PROTO(unsigned int port, unsigned int count),
	TP_ARGS(port, count),
	TP_STRUCT__entry(
		__field(unsigned int, port)
		__field(unsigned int, count)
	),
	TP_fast_assign(
		__entry->port = port;
		__entry->count = count;
	),
	TP_printk("fixport at 0x%x count %d %s", __entry->port, __entry->count,
		  __entry->count > 1 ? "(...)" : "")
);
"""
MMU_C = """\
// SPDX-License-Identifier: CC0-1.0
#include "events.h"
#define fixture_rmap_printk(fmt, args...) printk("%s: " fmt, __func__, ## args)

static void fixture_list_drop(unsigned long *p)
{
	fixture_rmap_printk("%p 1->0\\n", p);
	pr_debug("fixture clock rate %u outside [%u,%u]\\n", 1, 2, 3);
	trace_fixture_ack(1, 2);
	trace_fixture_port(0x70, 1);
}

static void fixture_dump(unsigned int status, unsigned int tpr)
{
	pr_err("fixture SVI|RVI = %02x|%02x ", status >> 8, status & 0xff);
	pr_cont("fixture TPR = 0x%02x\\n", tpr);
	pr_err("fixture base = 0x%016llx ", 0x1000ULL);
	pr_cont("fixture limit = 0x%08x ", 0xfffU);
	printk(KERN_CONT "fixture ar = 0x%x\\n", 0x9b);
}

static void fixture_fw(void)
{
	pr_warn(FW_BUG "fixture x2 unsupported");
}

#define fixture_pr_unimpl(fmt, ...) pr_err_ratelimited("kvm [%i]: " fmt, 1, ## __VA_ARGS__)
#define fixture_vcpu_unimpl(vcpu, fmt, ...) fixture_pr_unimpl("vcpu%i " fmt, 0, ## __VA_ARGS__)

static void fixture_noisy(struct kvm_vcpu *vcpu, int n)
{
	pr_info("fixture quiet %d\\n", n);
	pr_err_ratelimited("fixture noisy %d\\n", n);
	fixture_vcpu_unimpl(vcpu, "fixture unhandled %d\\n", n);
}

static void fixture_tok(const char *p)
{
	pr_info("%sAVICX\\n", p);
	pr_info("AVICX\\n");
}
"""

MAIN_C = """\
// SPDX-License-Identifier: CC0-1.0
static int fixture_range(unsigned long start, unsigned long end)
{
	if (WARN_ON_ONCE(end <= start))
		return 0;
	return 1;
}
"""


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernel-tree")
    for rel, text in (("arch/x86/kvm/events.h", EVENTS_H), ("arch/x86/kvm/mmu.c", MMU_C),
                      ("virt/kvm/kvm_main.c", MAIN_C)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    ix = tmp_path_factory.mktemp("ix")
    api.index(str(root), "linux-kvm@audit", ix, procs=1, fulltext=False)
    return api.open_scope(ix, "linux-kvm@audit")


def _first(scope, line: str) -> tuple[str, str, str]:
    res = logline(scope, line)
    assert res, line
    return f"{res[0].file}:{res[0].line}", res[0].function, res[0].extra["mode"]


def test_trace_format_named_by_a_string_macro(scope):
    """TP_printk(fixture_ack_string, ...): the format is the #define's text (either branch)."""
    where, func, mode = _first(scope, "fixture_ack: chip IOAPIC line 14")
    assert (where, func, mode) == ("arch/x86/kvm/events.h:21", "fixture_ack", "full")
    assert _first(scope, "fixture_ack: chip 3 line 14")[2] == "full"


def test_format_without_words_is_a_candidate(scope):
    """`%p 1->0` has no word of two letters: the line is still matched against it."""
    where, func, mode = _first(scope, "[  900.000001] fixture_list_drop: 000000004a2b3c4d 1->0")
    assert (where, func, mode) == ("arch/x86/kvm/mmu.c:7", "fixture_list_drop", "full")


def test_wordless_formats_do_not_match_unrelated_lines(scope):
    assert logline(scope, "nothing like it 42") == []


@pytest.mark.parametrize("raw", [
    "2026-11-29T08:00:01.123456+00:00 hv01 kernel: fixture clock rate 1 outside [2,3]",
    "2026-11-29T08:00:01+0000 hv01 kernel: fixture clock rate 1 outside [2,3]",
    "Nov 29 08:00:01.123456 hv01 kernel: fixture clock rate 1 outside [2,3]",
    "kern  :info  : [ 1234.567890] fixture clock rate 1 outside [2,3]",
    "<6>2026-11-29T08:00:01.123456+01:00 hv01 kernel: [ 1234.567890] fixture clock rate 1 "
    "outside [2,3]",
])
def test_syslog_stamps_are_cleaned(scope, raw):
    """Debian 12's RFC 3339 kern.log, journalctl -o short-precise / short-iso, dmesg -x."""
    assert logfmt.clean_line(raw) == "fixture clock rate 1 outside [2,3]"
    assert _first(scope, raw) == ("arch/x86/kvm/mmu.c:8", "fixture_list_drop", "full")


def test_trailing_space_before_an_empty_conversion(scope):
    """`... count %d %s` with "" printed ends in a space, which a cleaned line has not."""
    line = " qemu-4321 [002] d..1.  5123.456789: fixture_port: fixport at 0x70 count 1 "
    where, func, mode = _first(scope, line)
    assert (where, func, mode) == ("arch/x86/kvm/events.h:35", "fixture_port", "full")
    spans = logline(scope, line)[0].extra["spans"]
    assert [(s["conversion"], s["text"]) for s in spans] == [("%x", "70"), ("%d", "1"), ("%s", "")]


def test_trailing_space_rule_keeps_printed_text(scope):
    line = "fixture_port: fixport at 0x70 count 2 (...)"
    assert _first(scope, line)[2] == "full"
    spec = logfmt.compile_format("fixport at 0x%x count %d %s", "kernel")
    m = logfmt.match(spec, "fixport at 0x70 count 2x")
    assert m is None or m.mode != "full"


@pytest.mark.parametrize("raw", [
    "[  301.112236] kvm:fixture_list_drop:8: fixture clock rate 1 outside [2,3]",
    "[  301.112236] [4321] fixture_list_drop:8: fixture clock rate 1 outside [2,3]",
    "[  301.112236] fixture_list_drop:8: fixture clock rate 1 outside [2,3]",
    "[  301.112236] kvm:fixture_list_drop: fixture clock rate 1 outside [2,3]",
])
def test_dynamic_debug_decoration(scope, raw):
    """pr_debug lines decorated by dynamic debug's +t +m +f +l flags."""
    assert _first(scope, raw) == ("arch/x86/kvm/mmu.c:8", "fixture_list_drop", "full")


@pytest.mark.parametrize("path", [
    "arch/x86/kvm/../../../virt/kvm/kvm_main.c",   # virt/kvm as kvm.ko builds it
    "/build/linux-6.1/virt/kvm/kvm_main.c",        # a build tree's absolute path
])
def test_warning_path_as_the_build_prints_it(scope, path):
    line = f"[ 42.000000] WARNING: CPU: 5 PID: 4321 at {path}:4 fixture_caller+0x2d/0x31 [kvm]"
    assert _first(scope, line) == ("virt/kvm/kvm_main.c:4", "fixture_range", "location")
    assert _first(scope, f"kernel BUG at {path}:5!")[0] == "virt/kvm/kvm_main.c:5"


@pytest.mark.parametrize("line,where", [
    ("[ 7.0] fixture SVI|RVI = 00|1f fixture TPR = 0x10", "arch/x86/kvm/mmu.c:15"),
    ("[ 7.0] fixture base = 0x0000000000001000 fixture limit = 0x00000fff",
     "arch/x86/kvm/mmu.c:17"),
    ("[ 7.0] fixture base = 0x0000000000001000 fixture limit = 0x00000fff fixture ar = 0x9b",
     "arch/x86/kvm/mmu.c:17"),
    ("[ 7.0] fixture TPR = 0x10", "arch/x86/kvm/mmu.c:16"),   # a pr_cont after a full line
])
def test_pr_cont_goes_on_the_line_of_the_call_before_it(scope, line, where):
    assert _first(scope, line) == (where, "fixture_dump", "full")
    spans = logline(scope, line)[0].extra["spans"]
    args = logline(scope, line)[0].extra["args"]
    assert all(s["arg"] >= 0 for s in spans) and '"fixture' in args


@pytest.mark.parametrize("line,then", [
    ("[ 7.0] fixture SVI|RVI = 00|1f fixture TPR = 0x10", [16]),
    ("[ 7.0] fixture base = 0x0000000000001000 fixture limit = 0x00000fff fixture ar = 0x9b",
     [18, 19]),
    ("[ 7.0] fixture TPR = 0x10", None),
])
def test_pr_cont_lines_name_the_calls_after_the_first(scope, line, then):
    """The result of a line printed by a pr_err and its pr_cont calls names those calls."""
    got = logline(scope, line)[0]
    assert [c["line"] for c in got.extra["continued_by"]] if then else \
        "continued_by" not in got.extra
    if then:
        assert [c["line"] for c in got.extra["continued_by"]] == then


def test_printk_h_string_macro_before_the_format(scope):
    """pr_warn(FW_BUG "...") prints `[Firmware Bug]: ` first (include/linux/printk.h)."""
    line = "[    2.3] [Firmware Bug]: fixture x2 unsupported"
    assert _first(scope, line) == ("arch/x86/kvm/mmu.c:24", "fixture_fw", "full")


def test_callbacks_suppressed_names_the_rate_limited_calls(scope):
    """lib/ratelimit.c prints `FUNC: N callbacks suppressed`: the rate-limited calls of FUNC
    (directly or through wrapper macros), not its other logging calls."""
    res = logline(scope, "[  301.2] fixture_noisy: 12 callbacks suppressed")
    assert [(r.file, r.line, r.function, r.extra["mode"]) for r in res] == [
        ("arch/x86/kvm/mmu.c", 33, "fixture_noisy", "ratelimit"),
        ("arch/x86/kvm/mmu.c", 34, "fixture_noisy", "ratelimit")]
    assert logline(scope, "fixture_fw: 3 callbacks suppressed") == []


def test_decoration_needs_a_name_with_its_line_number():
    """A bare `12: ` may be the format's own `%d: `: no variant without it."""
    assert logfmt.clean_variants("12: fixture clock rate 1 outside [2,3]") == [
        "12: fixture clock rate 1 outside [2,3]"]


def test_readings_that_assume_less_rank_first(scope):
    """An empty last %s after a lost blank, a format found without any word: a format
    that explains the line as it stands ranks above them."""
    line = "Invalid state st=2"
    exact = logfmt.match(logfmt.compile_format("Invalid state st=%d\n", "kernel"), line)
    tail = logfmt.match(logfmt.compile_format("Invalid state st=%d %s\n", "kernel"), line)
    assert exact.mode == tail.mode == "full" and tail.score < exact.score
    res = logline(scope, "[    3.0] AVICX")
    assert [(r.line, r.extra["mode"]) for r in res] == [(40, "full"), (39, "full")]


def test_text_output_names_the_location_and_ratelimit_modes(scope):
    """The grep-style line says how a `location` or `ratelimit` result was found (it said
    only `[score 1.00]`, the mode was in --json alone)."""
    from vmxref.render import site_line
    res = logline(scope, "[  301.2] fixture_noisy: 12 callbacks suppressed")
    assert "rate-limited logging call" in site_line(res[0]), site_line(res[0])
    res = logline(scope, "WARNING: CPU: 0 PID: 1 at virt/kvm/kvm_main.c:4 fixture_range+0x1/0x2")
    assert res and res[0].extra["mode"] == "location"
    assert "the file and line the line names" in site_line(res[0]), site_line(res[0])
