"""Linux-style fixture indexed with the shipped linux-kvm profile: targets named through an
enclosing struct or without one, writes behind WRITE_ONCE and the per-CPU accessors, reads
through atomic_read(&x), and a struct that has no such member."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import api
from vmxref.cli import cli

FIX = Path(__file__).parent / "fixtures" / "linux_qa"
C = "arch/x86/kvm/qa_clock.c"


@pytest.fixture(scope="module")
def lq(tmp_path_factory):
    d = tmp_path_factory.mktemp("linux-qa-index")
    api.index(str(FIX), "linux-kvm@qa", d, procs=1, fulltext=False)

    def run(query: str) -> tuple[int, list[dict], str]:
        r = CliRunner().invoke(cli, ["q", query, "--json", "--index", str(d)])
        rows = [json.loads(x) for x in r.stdout.splitlines()] if r.exit_code != 2 else []
        return r.exit_code, rows, r.output
    run.index = d  # type: ignore[attr-defined]
    return run


def _nodes(nodes: list[dict]):
    """Every node of provenance trees, depth first."""
    for n in nodes:
        yield n
        yield from _nodes(n.get("from", []))


def _lines(lq, query: str) -> list[int]:
    code, rows, out = lq(query)
    assert code in (0, 1), out
    return sorted(r["line"] for r in rows if r["file"] == C)


@pytest.mark.parametrize("query, lines", [
    # named through the enclosing struct: the writes through `struct kvm_arch *ka` count
    ("writes kvm.arch.kvmclock_offset", [11, 84]),
    ("writes kvm_arch.kvmclock_offset", [11, 84]),
    # without a struct: read from the struct whose members spell it, not kvm_async_pf.arch
    ("writes arch.use_master_clock", [13, 205]),
    # the local `struct pvclock_vcpu_time_info hv_clock` is not kvm_vcpu.arch.hv_clock
    ("writes kvm_vcpu.arch.hv_clock.tsc_to_system_mul", [23, 100, 345]),
    ("writes pvclock_vcpu_time_info.tsc_to_system_mul", [22, 23, 100, 345]),
    ("writes kvm_vcpu.arch.hw_tsc_khz", [24, 138]),
    # WRITE_ONCE and the per-CPU accessors (profile [macros.unwrap_args])
    ("writes cpu_tsc_khz", [30, 31]),
    ("reads cpu_tsc_khz", [20, 606]),
    ("writes kvm_arch.default_tsc_khz", [36, 339]),
    ("writes kvm_vcpu.ready", [25]),
    # atomic_read(&x) reads x (profile [writes.read_only_args] globs); atomic_inc writes it,
    # an increment that reads it too ([writes.read_modify_write])
    ("writes kvm.online_vcpus", [37]),
    ("writes kvm.online_vcpus kind incdec", [37]),
    ("reads kvm.online_vcpus", [12, 37]),
])
def test_targets(lq, query, lines):
    assert _lines(lq, query) == lines


def test_a_struct_without_the_member_is_an_error_with_suggestions(lq):
    code, _rows, out = lq("writes kvm_arch.Use_Master_Clock")
    assert code == 2
    assert "struct kvm_arch has no member 'Use_Master_Clock'" in out
    assert "Did you mean kvm_arch.use_master_clock?" in out


def test_refs_label_a_read_through_the_address_as_a_read(lq):
    """atomic_read(&kvm->online_vcpus) reads it: `refs X kind read` agrees with `reads X`."""
    code, rows, _ = lq("refs online_vcpus")
    assert {(r["line"], r["ref_kind"]) for r in rows} == {(12, "read"), (37, "write")}


def test_a_case_label_only_governs_calls_inside_its_switch(lq):
    _code, rows, out = lq("path fix_set_msr -> fix_do_set")
    vias = {tuple((h["function"], h.get("via", "")) for h in p) for r in rows for p in r["paths"]}
    assert (("fix_set_msr", ""), ("fix_do_set", "")) in vias, out  # the call after the switch
    assert (("fix_set_msr", "case MSR_IA32_TSC"), ("fix_tsc_write", ""),
            ("fix_do_set", "")) in vias, out


def _tree(node: dict, depth: int = 0) -> list[tuple]:
    out = []
    for n in node.get("from", []):
        out.append((depth, n.get("line"), n.get("op"), n.get("value"), n["hop"]))
        out += _tree(n, depth + 1)
    return out


def test_provenance_of_a_local_struct_member_is_its_copy_in_the_function(lq):
    _code, rows, out = lq("provenance kvm_arch.kvmclock_offset")
    tree = {r["line"]: _tree(r) for r in rows}
    assert tree[84] == [(0, 82, "&1", "copy_from_user(&data, argp, sizeof(data))",
                         "local data.clock")], out  # not fix_get_clock's `data->clock = 42`


def test_provenance_follows_the_one_out_parameter_and_the_call_that_led_there(lq):
    _code, rows, out = lq("provenance pvclock_vcpu_time_info.tsc_to_system_mul")
    tree = {r["line"]: _tree(r) for r in rows}[100]
    assert tree == [
        (0, 95, "=", "div_frac(scaled_hz, tps64)", "filled by fix_time_scale()"),  # not *pshift
        (1, 100, "arg", "1000", "argument 1 (scaled_hz) of fix_time_scale()"),   # not the 5 of fix_other_scale
        (1, 91, "=", "base_hz", "local tps64"),
        (2, 100, "arg", "khz", "argument 2 (base_hz) of fix_time_scale()"),
        (1, 93, ">>=", "1", "local tps64"),
    ], out
    text = CliRunner().invoke(cli, ["provenance", "pvclock_vcpu_time_info.tsc_to_system_mul",
                                    "--index", str(lq.index)]).output
    assert "<- arch/x86/kvm/qa_clock.c:93: fix_time_scale: >>= 1  [local tps64]" in text


def test_a_value_holding_a_rewritten_per_cpu_read_shows_the_whole_macro_use(lq):
    """`__this_cpu_read(x)` is normalised to `x` (profile [macros.unwrap_args]): the value
    and the argument shown hold the whole use, not `x` alone or `x) * 1000LL` cut inside it;
    the per-CPU variable is still followed to its writes."""
    _code, rows, out = lq("provenance pvclock_vcpu_time_info.tsc_to_system_mul")
    tree = {r["line"]: _tree(r) for r in rows}[23]
    assert tree[0] == (0, 20, "=", "__this_cpu_read(cpu_tsc_khz)", "local tgt_tsc_khz"), out
    assert {n[1] for n in tree[1:]} == {30, 31}, out
    _code, rows, out = lq("provenance fix_clock_scale.mul")
    tree = {r["line"]: _tree(r) for r in rows}[606]
    assert (2, 606, "arg", "__this_cpu_read(cpu_tsc_khz) * 1000LL",
            "argument 2 (base_hz) of fix_time_scale()") in tree, out
    assert (3, 30, "=", "khz", "global cpu_tsc_khz") in tree, out


def test_callees_of_a_call_through_a_parameter_handed_on_by_its_caller(lq):
    """QA (audit A, D2): `do_msr(...)` in __qa_msr_io calls what qa_msr_io's callers hand to
    qa_msr_io, which hands its own parameter on. Was: `callees __qa_msr_io` empty, while
    `callers qa_do_set_msr` named that call."""
    code, rows, out = lq("callees __qa_msr_io")
    got = {(r["line"], r["symbol"]) for r in rows}
    assert {(26, "qa_do_get_msr"), (26, "qa_do_set_msr")} <= got, out
    code, rows, out = lq("callers qa_do_set_msr")
    assert [(r["function"], r["line"]) for r in rows] == [("__qa_msr_io", 26)], out


def test_logline_knows_the_function_name_func_prints(lq):
    """QA (audit A, D4): `"%s: failed to update PI IRTE", __func__` prints the name of the
    function it is in. Was: `%s` matched any text, so a made-up name scored higher than the
    real one and the other function's statement was offered at nearly the same score."""
    code, rows, out = lq("logline 'qa_vmx_pi_update_irte: failed to update PI IRTE'")
    assert code == 0 and rows[0]["function"] == "qa_vmx_pi_update_irte", out
    assert rows[0]["mode"] == "full" and rows[0]["score"] > 0.95, rows[0]
    assert all(r["function"] != "qa_avic_pi_update_irte" or r["score"] < 0.5 for r in rows), out
    code, rows, out = lq("logline 'zzz: failed to update PI IRTE'")
    assert all(r["score"] < 0.8 for r in rows), out


def test_logline_finds_the_statement_and_nothing_for_a_line_no_format_explains(lq):
    code, rows, _ = lq("logline 'kvm: requested TSC rate 2100000 falls outside tolerance [2399500,2400500]'")
    assert code == 0 and rows[0]["line"] == 111
    # a changed word and a dropped field: no format explains it, the statement with nearly
    # all its words is a near miss (said so, scored low); not `"kvm-%d"` found inside the line
    code, rows, out = lq("logline 'kvm: requested TSC speed 2100000 falls outside kvm-3 tolerance'")
    assert [(r["line"], r["mode"]) for r in rows] == [(111, "near")], out
    assert rows[0]["score"] < 0.5
    code, rows, out = lq("logline 'kvm: something else entirely 42'")
    assert code == 1 and rows == [], out
    # all its words, but a value its conversion cannot print (%u as hex) and the line cut
    # short: the match is only a poor fragment, so the near miss stands for it
    code, rows, out = lq("logline 'kvm: requested TSC rate 0x200 falls outside tolerance'")
    assert [(r["line"], r["mode"]) for r in rows] == [(111, "near")], out


def test_flag_bits_outside_a_request_api(lq):
    """A constant no [requests] setter or tester takes: `|=` sets it, `x & C` tests it,
    `&= ~C` clears it (neither)."""
    assert [r["line"] for r in lq("raises FIX_TSC_STABLE_BIT")[1]] == [122]
    assert [r["line"] for r in lq("consumes FIX_TSC_STABLE_BIT")[1]] == [124]
    assert [r["line"] for r in lq("raises FIX_GUEST_STOPPED")[1]] == [352]  # `= base | C`
    assert lq("consumes FIX_GUEST_STOPPED")[1] == []  # (`&= ~C` clears: neither)
    assert [r["line"] for r in lq("consumes FIX_PAGE_SET")[1]] == [354]  # `status == C`


def test_a_path_through_a_function_parameter_comes_through_the_call_that_passed_it(lq):
    _code, rows, out = lq("path fix_vcpu_ioctl -> fix_sync_tsc")
    hops = [(h["function"], h["line"], h.get("via", "")) for h in rows[0]["paths"][0]]
    assert hops[0][:2] == ("fix_vcpu_ioctl", 185), out  # KVM_SET_MSRS, not KVM_GET_MSRS (183)
    assert hops[0][2].startswith("case KVM_SET_MSRS; parameter do_msr of __fix_msr_io")
    # of the two calls of the common code, the default one (158), not `case MSR_EFER` (156)
    assert ("fix_vendor_set_msr", 158, "") in hops and ("fix_set_msr_common", 145,
                                                       "case MSR_IA32_TSC") in hops


@pytest.mark.parametrize("vendor", ["vmxfix", "svmfix"])
def test_a_path_keeps_to_the_function_table_of_its_first_function(lq, vendor):
    """vmxfix_handle_exit is bound in vmxfix_ops: through fix_x86_ops.set_msr its path goes
    on to vmxfix_set_msr, not to svmfix_set_msr (another table of the same struct)."""
    _code, rows, out = lq(f"path {vendor}_handle_exit -> fix_sync_tsc")
    for p in rows[0]["paths"]:
        names = [h["function"] for h in p]
        assert f"{vendor}_set_msr" in names, out
        assert not any(n.endswith("_set_msr") and n.startswith(("vmxfix", "svmfix"))
                       and not n.startswith(vendor) for n in names), out


def test_a_call_written_in_a_macro_body_is_a_call_of_the_macro_users(lq):
    code, rows, out = lq("callers fix_vm_bugged")
    got = {(r["function"], r["edge"], r["via"]) for r in rows}
    assert got == {("fix_check", "macro", "FIX_BUG_ON() calls fix_vm_bugged"),
                   ("fix_check", "macro", "FIX_BUG_ON_DATA() -> FIX_BUG_ON() calls fix_vm_bugged")}, out
    assert len(rows) == 2
    assert lq("callers fix_not_called")[0] == 1  # named in a string of the body: no call


def test_handlers_of_tables_written_with_initializer_macros_and_copied_are_called(lq):
    """FII(4, fix_em_rdtsc, rdtsc) sets .u.execute (the macro's body says so); the handler is
    copied into ctxt->execute and called through it."""
    _code, rows, out = lq("callers fix_em_rdtsc")
    assert [(r["function"], r["edge"]) for r in rows] == [("fix_emulate_insn", "ops-table")], out
    assert "copied at arch/x86/kvm/qa_clock.c:" in rows[0]["via"]
    assert [r["function"] for r in lq("callers fix_em_nop")[1]] == ["fix_emulate_insn"]
    w = lq("writes fix_opcode.u.execute")[1]
    # (and the copy of a table element into the local `opcode` writes all of it)
    assert sorted((r["line"], r["value"]) for r in w) == [
        (262, "fix_em_nop"), (262, "fix_em_rdtsc"), (267, "fix_twobyte_table[b & 3]")]


def test_functions_defined_by_a_pasting_macro_have_a_definition(lq):
    """BUILD_FIX_GPR_ACCESSORS(rax, RAX) defines fix_rax_read (kvm_rax_read style); a call in
    the macro's body (fix_read_raw##uname(...)) defines nothing."""
    rows = lq("def fix_rax_read")[1]
    assert [(r["line"], r["text"]) for r in rows] == [(279, "BUILD_FIX_GPR_ACCESSORS(rax, RAX)")]
    assert [r["line"] for r in lq("def fix_rbx_read")[1]] == [280]
    assert lq("def fix_read_rawRAX")[0] == 1  # (called by the expanded body; defined nowhere)
    assert [r["function"] for r in lq("callers fix_rax_read")[1]] == ["fix_use_gpr"]


def test_a_path_passing_a_constant_another_case_does_not_take_is_no_path(lq):
    """fix_vcpu_reset passes MSR_IA32_XSS to the code whose `case MSR_IA32_TSC` calls
    fix_sync_tsc: no path; through the KVM_SET_MSRS ioctl there is one."""
    assert lq("path fix_vcpu_reset -> fix_sync_tsc") == (1, [], "")  # (--json: no note)
    assert lq("path fix_vcpu_ioctl -> fix_sync_tsc")[1]
    rows = lq("calls fix_sync_tsc | paths")[1]
    starts = {p[0]["function"] for r in rows for p in r["paths"]}
    assert "fix_vcpu_reset" not in starts and "vmxfix_handle_exit" in starts, starts


def test_a_chain_of_requests_is_a_path(lq):
    """fix_write_system_time raises the global update; its handler fix_gen_clock_update raises
    the clock update, whose handler is fix_guest_time_update: both deferred hops are tested in
    fix_enter_guest, which the path need not pass twice. The last request lands where it is
    tested and handled (fix_enter_guest's call), in one row: not also as a shortcut."""
    _code, rows, out = lq("path fix_write_system_time -> fix_guest_time_update")
    assert len(rows) == 1, out
    hops = [(h["function"], h.get("edge", "")) for h in rows[0]["paths"][0]]
    assert hops == [("fix_write_system_time", "deferred"), ("fix_gen_clock_update", "deferred"),
                    ("fix_enter_guest", "direct"), ("fix_guest_time_update", "")], out
    assert rows[0]["paths"][0][-1]["line"] == 308  # the target where it is defined


def test_an_inner_struct_reached_through_a_parameter_is_not_the_asked_path(lq):
    assert _lines(lq, "writes kvm_vcpu.arch.hv_clock.tsc_shift") == [100, 333, 345]  # via &v->arch
    assert 326 in _lines(lq, "writes pvclock_vcpu_time_info.tsc_shift")


def test_a_write_through_a_pointer_member_is_not_a_write_of_it(lq):
    assert _lines(lq, "writes kvm_vcpu.kvm") == [338]
    assert 340 in _lines(lq, "writes kvm_vcpu.arch")  # (an embedded member: a write of part of it)


def test_provenance_of_two_calls_of_one_function_shows_each_its_own_arguments(lq):
    _code, rows, out = lq("provenance pvclock_vcpu_time_info.tsc_to_system_mul")
    trees = {r["line"]: _tree(r) for r in rows}
    args = {line: sorted(v for _d, _l, op, v, _h in tree if op == "arg") for line, tree in trees.items()}
    assert args[100] == ["1000", "khz"] and args[345] == ["2000", "77"], out


def test_the_address_handed_to_a_corpus_function_that_only_reads_is_a_read(lq):
    w = [r["line"] for r in lq("writes kvm_vcpu_arch.hv_clock kind out-param")[1] if r["line"] > 370]
    assert w == [380], w  # fix_poke writes through it; fix_peek / fix_peek_twice only read
    kinds = {r["line"]: r["ref_kind"] for r in lq("refs hv_clock")[1] if r["line"] > 370}
    assert kinds == {378: "read", 379: "read", 380: "write"}, kinds


def test_callers_of_a_callback_called_outside_the_corpus_show_where_it_is_stored(lq):
    """No call goes through hrtimer.function or clocksource.read in the corpus: `callers`
    shows the stores (kind 'stored', the type of the outside struct named), and a path never
    crosses them."""
    code, rows, out = lq("callers fix_timer_fn")
    assert code == 0 and [(r["line"], r["function"], r["edge"], r["via"]) for r in rows] == [
        (397, "fix_timer_setup", "stored", "hrtimer.function, no call through it in the corpus")]
    code, rows, out = lq("callers fix_clock_read")
    assert [(r["line"], r["function"], r["edge"]) for r in rows] == [(407, "", "stored")], out
    assert rows[0]["via"].startswith("clocksource.read,")
    code, _rows, out = lq("path fix_timer_setup -> fix_timer_fn")
    assert code == 1, out
    code, rows, out = lq("refs fix_timer_fn kind addr")  # a function used as a value
    assert [r["line"] for r in rows] == [397], out


def test_a_name_of_another_indexed_corpus_says_which(tmp_path):
    d = tmp_path / "two"
    api.index(str(FIX), "linux-kvm@qa", d, procs=1, fulltext=False)
    api.index(str(Path(__file__).parent / "fixtures" / "vbox"), "virtualbox-vmm@fix", d,
              procs=1, fulltext=False)
    r = CliRunner().invoke(cli, ["callers", "TMR3FixInit", "--corpus", "linux-kvm@qa",
                                 "--index", str(d)])
    assert r.exit_code == 2 and "It is in virtualbox-vmm@fix: choose it with --corpus" in r.output


@pytest.mark.parametrize("query, lines", [
    ("writes ms_fix_tsc_page.tsc_sequence", [419, 454]),  # 454: kvm_read_guest fills it
    ("writes fix_hv.tsc_ref.tsc_sequence", [419, 454]),
    ("writes ms_fix_tsc_page.tsc_scale", [420, 454]),  # not other_fix_page's tsc_scale (421)
    ("writes tsc_scale", [420, 421]),
    ("reads ms_fix_tsc_page.tsc_sequence", [422, 428]),
])
def test_members_of_a_struct_defined_outside_the_corpus_are_matched_by_declared_type(lq, query, lines):
    assert _lines(lq, query) == lines
    code, rows, out = lq(query)
    if query.startswith("writes ms_fix"):
        assert {r["container"] for r in rows} == {"ms_fix_tsc_page"}, out


def test_def_of_a_name_defined_outside_the_corpus_says_it_is_used(lq):
    code, rows, out = lq("def ms_fix_tsc_page")
    assert code == 1 and rows == []
    assert "ms_fix_tsc_page is not defined in the indexed files of linux-kvm@qa (it is used 2 " \
           "times: `vmxref refs ms_fix_tsc_page`)" in out
    code, _rows, out = lq("def fix_clock_read")
    assert code == 0 and "not defined" not in out


def test_an_operand_of_sizeof_is_no_read(lq):
    assert _lines(lq, "reads ms_fix_tsc_page.tsc_sequence") == [422, 428]
    code, rows, out = lq("refs tsc_sequence kind sizeof")
    assert [r["line"] for r in rows] == [427], out
    code, rows, out = lq("refs seq")
    kinds = {(r["line"], r["col"]): r["ref_kind"] for r in rows if 427 <= r["line"] <= 428}
    assert sorted(kinds.values()) == ["sizeof", "sizeof"], out  # sizeof(seq), sizeof(hv->seq)


def test_writing_a_member_reads_no_object_it_is_part_of(lq):
    """`hv->tsc_ref.tsc_sequence = 1` writes part of tsc_ref (no read of it); `hv` is read."""
    assert _lines(lq, "reads fix_hv.tsc_ref") == [428]
    kinds = {r["line"]: r["ref_kind"] for r in lq("refs tsc_ref")[1] if r["line"] in (419, 428)}
    assert kinds == {419: "write", 428: "read"}, kinds
    assert 419 in _lines(lq, "reads hv")


def test_callees_through_a_table_name_the_function_reached(lq):
    """One call through fix_x86_ops.set_msr reaches vmxfix_set_msr and svmfix_set_msr: the
    text lines must say which is which (the source line is the same)."""
    r = CliRunner().invoke(cli, ["callees", "fix_emulate_wrmsr", "--index", str(lq.index)])
    lines = [x for x in r.output.splitlines() if "fix_x86_ops.set_msr" in x]
    assert len(lines) == 2 and lines[0].endswith("=> svmfix_set_msr]") \
        and lines[1].endswith("=> vmxfix_set_msr]"), r.output


def test_a_macro_call_in_an_if_directive_is_no_call(lq):
    code, rows, out = lq("callees fix_init_locks")
    assert sorted(r["symbol"] for r in rows) == ["fix_hv_lock_init", "fix_xen_lock_init"], out


def test_a_path_keeps_to_the_code_of_one_vendor(lq):
    """vmxfix_leave_nested (VMX's nested ops) reaches fix_x86_ops.set_msr: on a VMX CPU
    that is vmxfix_set_msr, never svmfix_set_msr (profile [entry] exclusive_paths)."""
    code, rows, out = lq("path fix_run_nested -> vmxfix_set_msr")
    assert code == 0 and [h["function"] for h in rows[0]["paths"][0]] == [
        "fix_run_nested", "vmxfix_leave_nested", "fix_emulate_wrmsr", "vmxfix_set_msr"], out
    code, rows, out = lq("path fix_run_nested -> svmfix_set_msr")
    assert code == 1, out


def test_a_call_that_fills_the_enclosing_object_writes_its_members(lq):
    """kvm_read_guest(.., &hv->tsc_ref, ..) overwrites all of tsc_ref ([writes] fills): a
    whole-object write of its members and a source for provenance; the same address handed
    to another call (fix_hv_note) writes none of them."""
    code, rows, out = lq("writes ms_fix_tsc_page.tsc_scale")
    got = [(r["line"], r["write_kind"]) for r in rows]
    assert got == [(420, "assign"), (454, "whole-object")], out
    code, rows, out = lq("provenance ms_fix_tsc_page.tsc_scale")
    assert sorted(r["line"] for r in rows) == [420, 454], out


def test_a_log_line_whose_words_come_from_a_literal_argument(lq):
    """`pr_err("%-20s%016llx\\n", "tsc_offset:", x)` prints `tsc_offset:` padded to 20: the
    literal argument is part of the format the line is matched against."""
    code, rows, out = lq("logline 'kvm_amd: tsc_offset:         fffffe8bc1d2a7e0'")
    assert code == 0 and (rows[0]["file"], rows[0]["line"]) == (
        "arch/x86/kvm/svm/fixsvm.c", 23), out
    assert all(r["line"] != 24 for r in rows), out  # tsc_ratio: another word


def test_a_work_function_is_called_where_its_work_item_is_queued(lq):
    """DECLARE_WORK(fix_gtod_work, fn) + queue_work(.., &fix_gtod_work); INIT_DELAYED_WORK on a
    member + schedule_delayed_work of that member (cancel_delayed_work_sync queues nothing)."""
    code, rows, out = lq("callers fix_gtod_update_fn")
    assert [(r["function"], r["line"], r["edge"]) for r in rows] == [
        ("fix_gtod_notify", 470, "queued")], out
    code, rows, out = lq("callers fix_clock_update_fn")
    assert [(r["function"], r["line"], r["edge"]) for r in rows] == [
        ("fix_gen_update", 484, "queued")], out
    code, rows, out = lq("path fix_gtod_notify -> fix_sync_tsc")
    assert [h["function"] for h in rows[0]["paths"][0]] == [
        "fix_gtod_notify", "fix_gtod_update_fn", "fix_sync_tsc"], out


def test_stacked_case_labels_and_ranges(lq):
    """An MSR index fixed by `case` labels (MSR_ and HV_X64_MSR_ are one family in the
    profile) must agree with a later `case`: a range (`case A ... B:`) may hold any index,
    stacked labels hold theirs only."""
    code, rows, out = lq("path fix_set_msr_ranges -> fix_hv_tsc_page")
    assert code == 0 and [h["function"] for h in rows[0]["paths"][0]] == [
        "fix_set_msr_ranges", "fix_hv_set_msr", "fix_hv_tsc_page"], out
    code, rows, out = lq("path fix_set_msr_stacked -> fix_hv_tsc_page")
    assert code == 1, out


def test_a_macro_that_assigns_its_argument_writes_the_variable_passed(lq):
    assert _lines(lq, "writes dividend") == [539]  # fix_shl32_div32(dividend, divisor)
    code, rows, out = lq("writes fix_hv.seq")
    # do_div(hv->seq, 100) divides it in place (the profile's [writes] modifies_args): a
    # compound write, and a read-modify-write for `reads`
    assert (540, "compound") in [(r["line"], r["write_kind"]) for r in rows], out
    code, rows, out = lq("reads fix_hv.seq")
    assert (540, "read-modify-write") in [(r["line"], r["ref_kind"]) for r in rows], out


def test_a_thin_answer_says_how_many_receivers_are_of_unknown_type(lq):
    """vmcb->control.tsc_offset: struct fix_vmcb is not in the corpus, so the write cannot be
    counted as fix_vmcb_control_area's; the command line says so (stderr), exit 0 kept."""
    code, rows, out = lq("writes fix_vmcb_control_area.tsc_offset")
    assert code == 0 and len(rows) == 1
    assert "1 more writes of a member tsc_offset have a receiver of unknown type" in out


def test_a_flag_bit_tested_through_a_mask_of_bits(lq):
    """`(cr0 ^ old_cr0) & FIX_MMU_CR0_ROLE_BITS` tests FIX_CR0_WP (the mask holds it); a
    BUILD_BUG_ON tests nothing at run time."""
    code, rows, out = lq("consumes FIX_CR0_WP")
    assert [(r["line"], r["via"]) for r in rows] == [(563, "& FIX_MMU_CR0_ROLE_BITS")], out


def test_a_request_raised_leads_on_only_through_the_code_its_test_guards(lq):
    """fix_gen_clock_update raises FIX_REQ_CLOCK_UPDATE: in fix_enter_guest that test guards
    fix_guest_time_update, not fix_gen_clock_update (under FIX_REQ_GLOBAL_CLOCK_UPDATE)."""
    code, rows, out = lq("path fix_pvclock_notify -> fix_master_update")
    assert code == 0 and [h["function"] for h in rows[0]["paths"][0]] == [
        "fix_pvclock_notify", "fix_enter_guest_loop", "fix_master_update"], out
    code, rows, out = lq("path fix_pvclock_notify -> fix_record_steal")
    assert code == 1, out  # FIX_REQ_STEAL_UPDATE guards that call, not FIX_REQ_MASTER_UPDATE
    code, rows, out = lq("path fix_pvclock_notify -> fix_clock_common max 6")
    paths = [[h["function"] for h in p] for r in rows for p in r["paths"]]
    assert paths and all("fix_record_steal" not in p for p in paths), out


def _trace(lq, line: str) -> list[tuple]:
    code, rows, out = lq(f"logline '{line}'")
    assert code in (0, 1), out
    return [(r["file"].rsplit("/", 1)[1], r["line"], r["function"], r.get("emitted_by"))
            for r in rows]


def test_logline_trace_event_line_names_the_event_and_where_it_fires(lq):
    """A trace_pipe line (task, CPU, flags, time stripped; `EVENT: ` kept) is the TP_printk of
    its TRACE_EVENT, its literals joined; the trace_EVENT() calls are where it fired."""
    got = _trace(lq, "  CPU 0/KVM-2345    [003] d..1.  1234.567890: qa_clock_sample: vcpu 0, "
                     "tsc 0x1f3a, mul 2147483648 (scaled)")
    assert got[0] == ("qa_trace.h", 26, "qa_clock_sample",
                      ["arch/x86/kvm/qa_tracefire.c:7: qa_sample_clock"])


def test_logline_trace_event_classes_and_macro_made_events(lq):
    """DEFINE_EVENT uses its class's TP_printk under its own name (the other event of the
    class, named differently, does not explain the line); DEFINE_EVENT_PRINT has its own
    format; a macro that defines events is read through its uses."""
    got = _trace(lq, "qa_offset_adjusted: vcpu=1 offset=-4096")
    assert got == [("qa_trace.h", 41, "qa_offset_adjusted",
                    ["arch/x86/kvm/qa_tracefire.c:17: qa_adjust_offset"])]
    got = _trace(lq, "qa_offset_dropped: vcpu=1 dropped offset 12")
    assert got[0][:3] == ("qa_trace.h", 57, "qa_offset_dropped")
    got = _trace(lq, "qa_enter_l2: vcpu 3 enters at rip 0xffffffff81000000")
    assert got[0] == ("qa_trace.h", 72, "qa_enter_l2",
                      ["arch/x86/kvm/qa_tracefire.c:23: qa_enter"])


def test_logline_trace_message_without_its_event_name(lq):
    """Only the message part, as a user may paste it: both events of the class explain it."""
    got = _trace(lq, "vcpu=0 offset=77")
    assert {g[2] for g in got[:2]} == {"qa_offset_set", "qa_offset_adjusted"}


def _paths(lq, query: str) -> tuple[int, list[list[str]]]:
    code, rows, out = lq(query)
    assert code in (0, 1), out
    return code, [[h["function"] for h in p] for r in rows for p in r.get("paths", [])]


@pytest.mark.parametrize("src, dst, possible", [
    # the guest passes host_initiated = false: the `if (msr_info->host_initiated)` branch
    # and the code after `if (!msr_info->host_initiated) return 1;` are out of its reach
    ("qa_guest_wrmsr", "qa_sync_tsc", False),
    ("qa_guest_wrmsr", "qa_adjust_tsc", True),
    ("qa_guest_wrmsr", "qa_note_adjust", False),
    ("qa_host_set_msr", "qa_sync_tsc", True),
    ("qa_host_set_msr", "qa_adjust_tsc", False),
    ("qa_host_set_msr", "qa_note_adjust", True),
    # two calls, one passing true and one false: either branch is reachable
    ("qa_either", "qa_sync_tsc", True),
    ("qa_either", "qa_adjust_tsc", True),
    # a call after `a && b->c &&` in a condition runs only when they hold (short circuit);
    # one before them runs whatever they are
    ("qa_guest_saved", "qa_msr_saved", False),
    ("qa_host_saved", "qa_msr_saved", True),
    ("qa_guest_saved", "qa_msr_first", True),
    # a constant with a case of its own in the switch never falls into a range there; one
    # without may be in the range
    ("qa_reset_xss", "qa_hv", False),
    ("qa_reset_xss", "qa_xss", True),
    ("qa_set_ref_count", "qa_hv", True),
    # a value the ranges' #defined bounds leave out, with no case of its own
    ("qa_set_crash", "qa_hv", False),
])
def test_path_follows_a_flag_passed_down_into_a_struct(lq, src, dst, possible):
    code, paths = _paths(lq, f"path {src} -> {dst}")
    assert (code == 0 and bool(paths)) == possible, paths
    if possible:
        assert paths[0][0] == src
        assert paths[0][1] in ("__qa_set_msr", "qa_set_msr_saved", "qa_set_msr_range")
        assert paths[0][-1] == dst


@pytest.mark.parametrize("src, dst, possible", [
    # `bool active = !!(level & 1); if (!active) return;`: level 0 never reaches what follows
    ("qa_lint_clear", "qa_lint_fire", True),
    ("qa_lint_clear", "qa_lint_lower", True),
    ("qa_lint_raise", "qa_lint_deliver", True),
    # (qa_lint_clear reaches qa_lint_deliver only through qa_lint_fire_twice, whose local
    # is assigned twice: its value at the test is not the one the caller fixed)
])
def test_path_follows_a_constant_into_a_local_derived_from_it(lq, src, dst, possible):
    code, paths = _paths(lq, f"path {src} -> {dst}")
    assert (code == 0 and bool(paths)) == possible, paths


@pytest.mark.parametrize("src, dst, possible", [
    # `if (change == QA_MR_CREATE)`: a call passing QA_MR_DELETE does not get there (two
    # enumerators of other names); `else if (change != QA_MR_DELETE)` neither
    ("qa_delete_memslot", "qa_memslot_build", False),
    ("qa_delete_memslot", "qa_memslot_keep", False),
    ("qa_move_memslot", "qa_memslot_build", False),
    ("qa_move_memslot", "qa_memslot_keep", True),
    # `if (!(change != QA_MR_MOVE))`
    ("qa_move_memslot", "qa_memslot_drop", True),
    ("qa_delete_memslot", "qa_memslot_drop", False),
    # a variable passed on: any value
    ("qa_create_memslot", "qa_memslot_build", True),
    ("qa_create_memslot", "qa_memslot_drop", True),
    # numbers, and macros of known value: 3 is QA_SLOT_LEVEL_1G (QA_SLOT_LEVEL_2M + 1)
    ("qa_map_huge", "qa_memslot_build", True),
    ("qa_map_small", "qa_memslot_build", False),
    ("qa_map_small", "qa_memslot_keep", False),
    ("qa_map_huge", "qa_memslot_keep", True),
    # `bool enabled = val & QA_SPIV_ENABLED` ((1 << 8)): 0xff leaves it false, 0x1ff not
    ("qa_spiv_reset", "qa_spiv_enable", False),
    ("qa_spiv_on", "qa_spiv_enable", True),
])
def test_path_follows_a_constant_into_a_comparison(lq, src, dst, possible):
    code, paths = _paths(lq, f"path {src} -> {dst}")
    assert (code == 0 and bool(paths)) == possible, paths


def test_a_path_cites_the_call_whose_constant_the_next_branch_takes(lq):
    """Of two calls a -> b, the one passing QA_MR_DELETE cannot go on under `if (change ==
    QA_MR_CREATE)`: the path shows the call passing its `change` (line 86), not the first."""
    code, rows, out = lq("path qa_update_memslot -> qa_memslot_build")
    assert code == 0, out
    (row,) = rows
    assert [(h["function"], h["line"]) for h in row["paths"][0][:2]] == [
        ("qa_update_memslot", 86), ("qa_set_memslot", 41)], out


@pytest.mark.parametrize("src, dst, possible", [
    # a notifier block runs from calls on the chain it is registered on: through a
    # function (qa_gtod_register_notifier) or a macro (qa_register_oom_notifier)
    ("qa_gtod_update", "qa_gtod_notify", True),
    ("qa_gtod_update", "qa_oom_notify", False),
    ("qa_out_of_memory", "qa_oom_notify", True),
    ("qa_out_of_memory", "qa_gtod_notify", False),
    # a chain the path does not name: any block
    ("qa_call_any_chain", "qa_oom_notify", True),
    ("qa_call_any_chain", "qa_gtod_notify", True),
])
def test_path_keeps_to_the_notifier_chain_it_calls(lq, src, dst, possible):
    code, paths = _paths(lq, f"path {src} -> {dst}")
    assert (code == 0 and bool(paths)) == possible, paths


def test_paths_from_a_chain_call_go_through_its_own_notifiers(lq):
    code, rows, out = lq("path qa_out_of_memory -> qa_clock_resync")
    assert code == 0 and rows, out
    assert all(p[3]["function"] == "qa_oom_notify" for r in rows for p in r["paths"]), out


def test_a_local_derived_from_a_constant_rules_out_the_branch_it_fails(lq):
    code, paths = _paths(lq, "path qa_lint_clear -> qa_lint_deliver")
    assert code == 0, paths
    assert paths and all(p[1] == "qa_lint_fire_twice" for p in paths), paths


def test_flag_guards_do_not_hide_callers(lq):
    """Only paths are checked: the callers of a guarded function are all still listed."""
    code, rows, _ = lq("callers qa_sync_tsc")
    assert [r["function"] for r in rows] == ["qa_set_msr_common"]


@pytest.mark.parametrize("cond, branch, implied", [
    ("(msr_info->host_initiated)", True, [("msr_info->host_initiated", True)]),
    ("(!msr_info->host_initiated)", True, [("msr_info->host_initiated", False)]),
    ("(!msr_info->host_initiated)", False, [("msr_info->host_initiated", True)]),
    ("(a && !b.c)", True, [("a", True), ("b.c", False)]),
    ("(a && !b.c)", False, []),
    ("(a || !(b))", False, [("a", False), ("b", True)]),
    ("(a || b)", True, []),
    ("(!!x)", True, [("x", True)]),
    ("(change == QA_MR_CREATE)", True, [("change", ("==", "QA_MR_CREATE"))]),
    ("(change == QA_MR_CREATE)", False, [("change", ("!=", "QA_MR_CREATE"))]),
    ("(!(p->level != 3) && x)", True, [("p->level", ("==", "3")), ("x", True)]),
    ("(a != 0x10 || b)", False, [("a", ("==", "0x10")), ("b", False)]),
])
def test_guard_conditions_implied(cond, branch, implied):
    from vmxref.queries.guards import implied as imp
    assert imp(cond, branch) == implied


@pytest.mark.parametrize("cond, held", [
    ("(host && !x && f(msr))", [("!x && f(msr))", "(host)"), ("f(msr))", "(host&&!x)")]),
    ("(f(y) && g(x))", []),  # (nothing plain before the call)
    ("(a && b || f())", []),  # (f runs when a && b fails)
    ("((a) && f(b[1]) && c)", [("f(b[1]) && c)", "((a))")]),  # (no call after c)
    ("(a && b)", []),
])
def test_short_circuit_spans(cond, held):
    from vmxref.conditions import short_circuits
    assert [(cond[o:], c) for o, c in short_circuits(cond)] == held


def test_callees_leave_out_branch_hints(lq):
    """`unlikely(x)` and a macro that only wraps __builtin_expect are no calls."""
    code, rows, out = lq("callees qa_checked_write")
    assert sorted(r["symbol"] for r in rows) == ["qa_host_set_msr", "qa_note_adjust"], out


def test_provenance_of_a_parameter_reached_through_a_function_table(lq):
    """The callback's parameter comes from the call through the table."""
    code, rows, out = lq("provenance qa_vcpu_timer.deadline")
    assert code == 0, out
    (root,) = rows
    hops = [(n["function"], n["value"], n["hop"]) for n in root["from"]]
    assert hops == [("qa_start_timer", "vcpu->arch.hv_clock.tsc_timestamp",
                     "argument 2 (deadline_tsc) of qa_vendor_set_deadline()")], out


def test_calls_leave_out_file_scope_registrations(lq):
    """EXPORT_SYMBOL_GPL(qa_guest_wrmsr) is no call site of it."""
    assert lq("calls qa_guest_wrmsr") == (1, [], "")
    assert [r["function"] for r in lq("calls qa_host_set_msr")[1]] == ["qa_checked_write"]


def test_def_finds_trace_events_and_their_trace_functions(lq):
    """A trace event's name (as a trace_pipe line shows it) and the trace_NAME() the code
    calls are defined where the event is: TRACE_EVENT, DEFINE_EVENT, a macro's use."""
    for name, line in [("qa_clock_sample", 10), ("trace_qa_clock_sample", 10),
                       ("qa_offset_set", 44), ("trace_qa_offset_adjusted", 49),
                       ("qa_offset_dropped", 54), ("qa_enter_l2", 77)]:
        code, rows, out = lq(f"def {name}")
        assert [(r["file"].rsplit("/", 1)[1], r["line"], r["sym_kind"]) for r in rows] == [
            ("qa_trace.h", line, "tracepoint")], (name, out)


def test_a_path_names_the_stacked_label_its_next_hop_agrees_with(lq):
    """Of the labels stacked over one call, the path shows the range the next hop's case
    can be in, not the nearest label (HV_X64_MSR_TSC_EMULATION_STATUS)."""
    code, rows, out = lq("path qa_set_msr_dispatch -> qa_stimer_config")
    assert code == 0, out
    first = rows[0]["paths"][0][0]
    # (and how many other labels are stacked with it)
    assert first["via"] == "case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT (+2 more)", \
        first


def test_bit_numbers_raised_in_a_mask_and_tested_through_a_helper(lq):
    """`(1 << BIT)` in a multi-line mask sets the bit (at the assignment); a helper whose
    body tests its parameter as `& (1UL << feature)` tests it."""
    M = "arch/x86/kvm/qa_msr.c"
    assert [(r["file"], r["line"]) for r in lq("raises QA_FEATURE_STABLE_BIT")[1]] == [(M, 155)]
    assert [(r["file"], r["line"]) for r in lq("consumes QA_FEATURE_STABLE_BIT")[1]] == [(M, 161)]


def test_path_text_names_the_request_of_a_deferred_hop(lq):
    """The grep-style path line says which request a deferred hop raises (and where it is
    tested when the path does not show it: fix_enter_guest comes later in the path)."""
    r = CliRunner().invoke(cli, ["path", "fix_write_system_time", "->", "fix_guest_time_update",
                                 "--index", str(lq.index)])
    line = next(x for x in r.output.splitlines() if x.lstrip().startswith("path:"))
    assert ("=deferred FIX_REQ_GLOBAL_CLOCK_UPDATE in fix_enter_guest "
            "(arch/x86/kvm/qa_clock.c:316)=>") in line and \
        "=deferred FIX_REQ_CLOCK_UPDATE=>" in line, r.output


def test_trace_event_fired_at_only_the_calls_that_can_print_the_line(lq):
    """`msr_write` needs __entry->write true (the TP_PROTO's first argument), no ` (#GP)`
    needs exception false: the wrappers passing literals that contradict it (a read, the
    `_ex` writer) are left out; a #defined constant counts as its value."""
    F = "arch/x86/kvm/qa_tracefire.c"
    assert _trace(lq, "qa_msr: msr_write 10 = 0x5")[0][3] == [
        f"{F}:38: qa_wrmsr", f"{F}:43: qa_fast_wrmsr"]
    assert _trace(lq, "qa_msr: msr_write 10 = 0x5 (#GP)")[0][3] == [f"{F}:36: qa_wrmsr"]
    assert _trace(lq, "qa_msr: msr_read 10 = 0x5")[0][3] == [f"{F}:30: qa_rdmsr"]


def test_bit_number_at_the_end_of_a_long_mask_and_a_1u_shift_helper(lq):
    M = "arch/x86/kvm/qa_msr.c"
    assert [(r["file"], r["line"]) for r in lq("raises QA_FEATURE_LAST_BIT")[1]] == [(M, 175)]
    assert [(r["file"], r["line"]) for r in lq("consumes QA_FEATURE_LAST_BIT")[1]] == [(M, 185)]


def test_a_path_shows_the_parallel_call_the_passed_flag_allows(lq):
    """qa_expired calls qa_timer_fire under `if (!from_timer_fn)` and under its `else`;
    qa_timer_fn passes true: the path and its result go through the `else` call."""
    code, rows, out = lq("path qa_timer_fn -> qa_timer_fire")
    assert [(r["line"], r["paths"][0][1]["line"]) for r in rows] == [(201, 201)], out


def test_a_flag_tested_beside_another_condition_rules_out_a_path(lq):
    """`if (vcpu->vcpu_id == 0 && !host_initiated)`: its then-branch has host_initiated false
    whatever the other test says."""
    assert lq("path qa_host_time -> qa_boot_vcpu_update")[0] == 1
    assert lq("path qa_guest_time -> qa_boot_vcpu_update")[0] == 0
    # the empty answer says the paths exist and why none is shown (not "look further")
    r = CliRunner().invoke(cli, ["q", "path qa_host_time -> qa_boot_vcpu_update", "--index",
                                 str(lq.index)])
    assert r.exit_code == 1 and "exist" in r.stderr and "contradicts" in r.stderr, r.output
    assert "`max N`" not in r.stderr


def test_paths_pipe_takes_the_longer_route_when_the_short_one_is_ruled_out(lq):
    """From qa_router_host (host = true) the short route to qa_runner needs `!host`: the
    `| paths` pipe shows the longer one through qa_mid, as `path` does."""
    code, rows, out = lq("calls qa_sink | paths from qa_router_host")
    assert [[h["function"] for h in p] for r in rows for p in r["paths"]] == [
        ["qa_router_host", "qa_router", "qa_mid", "qa_runner"]], out
    code, rows, out = lq("path qa_router_host -> qa_runner")
    assert [[h["function"] for h in p] for r in rows for p in r["paths"]] == [
        ["qa_router_host", "qa_router", "qa_mid", "qa_runner"]], out


def test_a_path_longer_than_the_default_bound_is_found_up_to_twelve_calls(lq):
    """`path A -> B` without `max`: none within 8 calls -> the shortest up to 12; past that
    the empty answer says how far it looked and how to look further."""
    code, rows, _ = lq("path qa_deep_0 -> qa_deep_10")
    assert code == 0 and [len(p) for r in rows for p in r["paths"]] == [11]
    r = CliRunner().invoke(cli, ["q", "path qa_deep_0 -> qa_deep_13", "--index", str(lq.index)])
    assert r.exit_code == 1 and "no call path of at most 12 calls" in r.stderr, r.output
    assert "`max N`" in r.stderr
    code, rows, _ = lq("path qa_deep_0 -> qa_deep_13 max 14")
    assert code == 0 and [len(p) for r in rows for p in r["paths"]] == [14]


@pytest.mark.parametrize("name, line, via", [
    ("qa_x86_tick", 5, "QA_X86_OP(func) DEFINE_STATIC_CALL_NULL(qa_x86_##func,"),
    ("qa_x86_set_timer", 6, "QA_X86_OP_OPTIONAL = QA_X86_OP(func)"),
    ("qa_x86_first_op", 4, "QA_X86_OP(func)"),  # (a first use the parser reads as a type)
])
def test_def_of_a_name_made_by_an_x_macro(lq, name, line, via):
    """No declaration spells `qa_x86_tick`: the operations list's QA_X86_OP(tick), with the
    includer's `#define QA_X86_OP(func) ...(qa_x86_##func, ...)`, makes it."""
    code, rows, out = lq(f"def {name}")
    assert code == 0, out
    assert {(r["file"], r["line"], r["sym_kind"]) for r in rows} == {
        ("arch/x86/include/asm/kvm-qa-ops.h", line, "pasted")}
    assert rows[0]["via"].startswith(via) and "arch/x86/kvm/qa_ops.c:10" in rows[0]["via"]
    # qa_ops_update's second expansion: QA_X86_OP hands its argument to __QA_X86_OP,
    # whose static_call_update installs the key (QA_X86_OP_OPTIONAL is __QA_X86_OP there)
    assert any(r["via"].startswith(("QA_X86_OP -> __QA_X86_OP(func) static_call_update",
                                    "QA_X86_OP_OPTIONAL = __QA_X86_OP(func) static_call_update"))
               and "arch/x86/kvm/qa_ops.c:27" in r["via"] for r in rows), out


def test_def_of_a_pasted_name_nothing_makes_is_unknown(lq):
    code, rows, out = lq("def qa_x86_unlisted")
    assert code == 2 and rows == [] and "no symbol 'qa_x86_unlisted'" in out


def test_a_hook_stored_in_a_struct_outside_the_corpus_is_no_static_call_target(lq):
    """`qa_preempt_ops.sched_in = qa_sched_in` (a struct preempt_ops, not indexed) shares the
    member name of kvm_x86_ops.sched_in: static_call(kvm_x86_sched_in) does not reach it, and
    nothing in the corpus calling it, it is an entry point (a callback of the kernel)."""
    _, rows, _ = lq("callees kvm_arch_sched_in")
    assert {r["symbol"] for r in rows} == {"qa_vmx_sched_in"}
    _, rows, _ = lq("callers qa_sched_in")
    assert [(r["function"], r["edge"]) for r in rows] == [("qa_init", "stored")]
    assert "preempt_ops.sched_in" in rows[0]["via"]
    _, rows, _ = lq("raises KVM_REQ_GLOBAL_CLOCK_UPDATE | paths")
    got = [[(h["function"], h.get("entry", "")) for h in p] for r in rows for p in r["paths"]
           if r["function"] == "qa_vcpu_load"]
    assert got == [[("qa_sched_in", "callback preempt_ops.sched_in"), ("qa_vcpu_load", "")]]


def test_an_empty_reads_answer_says_so(lq):
    r = CliRunner().invoke(cli, ["q", "reads kvm_x86_ops.sched_in", "--index", str(lq.index)])
    assert r.exit_code == 1 and r.stdout == ""
    assert "no results for `reads kvm_x86_ops.sched_in`" in r.stderr


def _prov_nodes(nodes, depth=0):
    for n in nodes:
        yield depth, n
        yield from _prov_nodes(n.get("from", []), depth + 1)


@pytest.mark.parametrize("target, line, value", [
    ("qa_master.cycle_now", 16, "qa_read_tsc()"),  # (two hand-ons down: qa_vgettsc)
    ("qa_master.kernel_ns", 24, "ns"),
])
def test_provenance_follows_an_out_parameter_handed_on(lq, target, line, value):
    """`qa_get_time_and_clockread(&m->kernel_ns, &m->cycle_now)` fills neither itself: it
    hands the pointers on to qa_do_monotonic_raw, which hands one on to qa_vgettsc."""
    code, rows, out = lq(f"provenance {target} depth 6")
    assert code == 0, out
    found = [(n["line"], n["value"]) for r in rows for _d, n in _prov_nodes(r["from"])
             if n["file"] == "arch/x86/kvm/qa_prov.c"]
    assert (line, value) in found, found


def test_path_keeps_to_two_calls_more_than_the_shortest(lq):
    """qa_len_a reaches qa_len_t in 1, 2, 3 and 4 calls: without `max`, the paths shown are
    at most two calls longer than the shortest."""
    code, paths = _paths(lq, "path qa_len_a -> qa_len_t")
    assert code == 0 and sorted(len(p) - 1 for p in paths) == [1, 2, 3]
    code, paths = _paths(lq, "path qa_len_a -> qa_len_t max 6")
    assert 4 in {len(p) - 1 for p in paths}


def test_a_known_value_picks_its_case_range(lq):
    """HV_X64_MSR_TIME_REF_COUNT is 0x40000020 (through HV_REGISTER_TIME_REF_COUNT): of the
    ranges stacked over the call it is in GUEST_OS_ID ... SINT15 (0x40000090 + 15), not the
    nearer STIMER0_CONFIG ... STIMER3_COUNT."""
    code, rows, out = lq("path qa_set_msr_range -> qa_ref_count")
    assert code == 0, out
    hops = rows[0]["paths"][0]
    assert [h.get("via") for h in hops[:2]] == [
        "case HV_X64_MSR_GUEST_OS_ID ... HV_X64_MSR_SINT15 (+2 more)",
        "case HV_X64_MSR_TIME_REF_COUNT"]
    code, rows, _ = lq("def HV_X64_MSR_TIME_REF_COUNT")
    assert [(r["file"], r["sym_kind"]) for r in rows] == [
        ("arch/x86/include/asm/hyperv-tlfs.h", "macro")]


def test_a_query_syntax_error_on_the_command_line_points_at_the_spot(lq):
    r = CliRunner().invoke(cli, ["q", "callers f depth 500", "--index", str(lq.index)])
    assert r.exit_code == 2
    assert "at column 17: callers f depth ^500" in r.stderr


def test_a_flag_copied_from_another_word_is_tested_and_set(lq):
    """`dst->flags |= (guest->flags & QA_GUEST_STOPPED)` tests the guest's bit and sets it."""
    for verb in ("consumes", "raises"):
        code, rows, out = lq(f"{verb} QA_GUEST_STOPPED")
        assert [(r["function"], r["line"]) for r in rows] == [("qa_copy_stopped", 46)], out


def test_an_object_copied_as_a_whole_is_a_read_of_its_members(lq):
    """memcpy's source, a `const void *` parameter of the corpus and copy_to_user read every
    member of the object whose address they get; memset does not, a member access of the
    object is no whole use, and a function taking a pointer to the struct has its own reads
    listed instead (qa_whole.c)."""
    w = "arch/x86/kvm/qa_whole.c"

    def lines(q):
        code, rows, out = lq(q)
        assert code in (0, 1), out
        return sorted((r["line"], r.get("ref_kind")) for r in rows if r["file"] == w)
    assert lines("reads qa_vcpu_clock.hv_clock.tsc_timestamp") == [
        (30, "read"), (36, "whole-object"), (37, "whole-object")]  # (30: through &vc->hv_clock)
    assert lines("reads qa_time_info.tsc_timestamp") == [
        (30, "read"), (36, "whole-object"), (37, "whole-object")]
    assert lines("reads qa_clock_snapshot.clock") == [(47, "whole-object")]


def test_provenance_follows_the_return_of_a_static_call_target(lq):
    """`st->l2_offset = static_call(kvm_x86_get_l2_tsc_offset)(vcpu)`: the value is what the
    op bound in the ops table returns (qa_retop.c); it was a dead end."""
    code, rows, out = lq("provenance qa_tsc_state.l2_offset")
    assert code == 0, out
    (row,) = rows
    assert [(f["function"], f["line"], f["hop"]) for f in row["from"]] == [
        ("qa_vmx_get_l2_tsc_offset", 14, "return of qa_vmx_get_l2_tsc_offset()")]


def test_callers_of_a_trace_event_name_point_to_its_trace_function(lq):
    """`callers qa_clock_sample` (a TRACE_EVENT, no function) is empty, and says that
    `callers trace_qa_clock_sample` lists where it fires."""
    r = CliRunner().invoke(cli, ["q", "callers qa_clock_sample", "--index", str(lq.index)])
    assert r.exit_code == 1
    assert "callers trace_qa_clock_sample" in r.output
    code, rows, _ = lq("callers trace_qa_clock_sample")
    assert code == 0 and rows


def test_a_constant_that_is_not_handed_on_does_not_constrain_a_later_switch(lq):
    """qa_local_deliver(apic, APIC_LVTT) selects a register; the delivery mode the next
    function switches on is read from it, so the path reaches `case APIC_DM_FIXED`
    (lapic.c's timer -> interrupt delivery). A constant handed on through a parameter
    (qa_accept_as(apic, APIC_DM_NMI) -> qa_accept_irq(apic, how, 0)) still does."""
    code, rows, out = lq("path qa_timer_fired -> qa_deliver_fixed")
    assert code == 0, out
    assert [h["function"] for h in rows[0]["paths"][0]][-2:] == ["qa_accept_irq",
                                                                "qa_deliver_fixed"]
    code, rows, out = lq("path qa_nmi_only -> qa_deliver_fixed")
    assert code == 1, out
    code, rows, out = lq("path qa_nmi_only -> qa_inject_nmi")
    assert code == 0, out


def test_writes_of_a_path_through_pointer_parameters_and_pointer_members(lq):
    """qa_gpc.c: `c->gpa = gpa` writes qa_vcpu_arch.pv_cache.gpa because the calls hand
    `&arch->pv_cache` down two parameters; `kt->tscdeadline` (kt = &apic->lapic_timer, apic
    passed as arch->apic) writes the path through the pointer member; `arch->apic = apic`
    sets the pointer and writes no tscdeadline; writes through a pointer nobody passes the
    path's address for, or of another owner's cache, are not writes of the path."""
    g = "arch/x86/kvm/qa_gpc.c"

    def lines(q):
        code, rows, out = lq(q)
        assert code in (0, 1), out
        return sorted(r["line"] for r in rows if r["file"] == g)
    assert lines("writes qa_vcpu_arch.pv_cache.gpa") == [34]
    assert lines("writes qa_vcpu_arch.pv_cache.active") == [39]
    assert lines("writes qa_vcpu_arch.apic.lapic_timer.tscdeadline") == [58]
    assert lines("writes qa_pfn_cache.gpa") == [34, 50, 51]


def test_a_store_into_an_element_of_an_array_member_is_no_read_of_it(lq):
    code, rows, out = lq("reads qa_runstate.times")
    assert code == 0, out
    assert sorted(r["line"] for r in rows) == [59]  # `+=` reads; `rs->times[0] = v` does not


def test_refs_kind_addr_finds_addresses_handed_to_calls(lq):
    """`&vc->hv_clock` handed to a call is an address taken whatever the call does with
    it (qa_whole.c: a const void * copy, memset, a pointer to the struct, memcpy's source);
    its ref_kind stays what it is (write, or read for a read-only parameter)."""
    code, rows, out = lq("refs hv_clock kind addr")
    assert code == 0, out
    got = {r["line"]: r["ref_kind"] for r in rows if r["file"] == "arch/x86/kvm/qa_whole.c"}
    assert set(got) == {36, 37, 38, 39}
    assert got[37] == "read" and got[38] == "write"


def test_callees_follow_the_work_items_a_function_queues(lq):
    """callees and callers agree on queued hops: fix_gtod_notify queues fix_gtod_work, so
    fix_gtod_update_fn is one of its callees (`queued`)."""
    code, rows, out = lq("callees fix_gtod_notify")
    assert code == 0, out
    assert ("fix_gtod_update_fn", 470, "queued") in {
        (r["symbol"], r["line"], r["edge"]) for r in rows}, out
    code, rows, out = lq("callees fix_gen_update")
    assert ("fix_clock_update_fn", 484, "queued") in {
        (r["symbol"], r["line"], r["edge"]) for r in rows}, out


def test_provenance_through_a_pointer_parameter_follows_what_callers_hand_over(lq):
    """st->msr_val = data; data = msr_info->data: the member comes from the caller's local
    `msr.data = value` (qa_provparam.c:37), not from every write of qa_msr_data.data
    (m.data = 42), and `data &= ~0x40` in another case arm does not reach it."""
    code, rows, out = lq("provenance qa_vcpu_st.msr_val depth 4")
    assert code == 0, out

    found = {(n.get("line"), n.get("value")) for n in _nodes(rows[0]["from"])
             if n.get("file") == "arch/x86/kvm/qa_provparam.c"}
    assert (20, "msr_info->data") in found and (37, "value") in found, found
    assert (46, "42") not in found and (24, "~(u64)0x40") not in found, found


def test_a_literal_is_carried_through_an_ops_table_call(lq):
    """qa_set_irq(e, 0) -> e->set(e, level) -> qa_evtchn_set returns at once when level is
    0: no path from qa_irq_shutdown reaches qa_deliver_evtchn; one from qa_irq_inject does."""
    code, rows, out = lq("path qa_irq_shutdown -> qa_deliver_evtchn")
    assert code == 1, out
    code, rows, out = lq("path qa_irq_inject -> qa_deliver_evtchn")
    assert code == 0, out


def test_text_output_of_deeper_callers_names_the_function_they_call(lq):
    r = CliRunner().invoke(cli, ["q", "callers qa_accept_irq depth 2", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    deeper = [l for l in r.stdout.splitlines() if "qa_timer_fired" in l]
    assert deeper and deeper[0].endswith("[depth 2: calls qa_local_deliver]"), r.stdout


def test_provenance_of_a_local_shows_the_writes_each_use_sees(lq):
    """`st->msr_val += ns` (qa_provparam.c:59) sees `ns = delta * 1000` (58), which the use
    at 56 does not: the local's expansion is not cut as "shown above" at the second use
    (and 58 overwrote whatever ns held before in that block)."""
    code, rows, out = lq("provenance qa_vcpu_st.msr_val depth 2")
    assert code == 0, out
    (plus,) = [r for r in rows if r["line"] == 59]
    assert {n.get("line") for n in plus["from"]} == {58}, plus["from"]
    (minus,) = [r for r in rows if r["line"] == 56]
    assert {n.get("line") for n in minus["from"]} == {55}, minus["from"]


def test_provenance_stops_at_a_fills_api(lq):
    """`kvm_vcpu_read_guest(vcpu, gpa, &snap, ...)` fills snap from guest memory (a [writes]
    fills API): the value's source is that call, not the API's internals."""
    code, rows, out = lq("provenance qa_vcpu_st.msr_val depth 4")
    assert code == 0, out
    (site,) = [r for r in rows if r["line"] == 78]
    (fill,) = site["from"]
    assert fill["line"] == 77 and fill["from"] == [], fill


def test_a_call_through_a_local_loaded_from_a_callback_member(lq):
    """`int (*cui)(..) = vcpu->arch.complete_io; ... cui(vcpu)` calls what is stored in
    that member: callers and callees agree, and a path reaches the completions."""
    cui = "arch/x86/kvm/qa_cui.c"
    for fn in ("qa_complete_pio", "qa_complete_hypercall"):
        code, rows, out = lq(f"callers {fn}")
        assert [(r["file"], r["line"], r["function"]) for r in rows] == [
            (cui, 49, "qa_cui_run")], out
        assert "qa_cui_arch.complete_io" in rows[0]["via"] and "cui" in rows[0]["via"]
    code, rows, out = lq("callees qa_cui_run")
    assert {r["symbol"] for r in rows if r["line"] == 49} >= {
        "qa_complete_pio", "qa_complete_hypercall"}, out
    code, rows, out = lq("path qa_cui_run -> qa_complete_pio")
    assert code == 0 and rows, out


def test_a_path_ends_at_every_call_of_the_last_function_it_can_take(lq):
    """The last hop is a hop like any other: each call of the last function into the target
    is a result (both case arms), and one under a case label the MSR index passed down
    (through an emulator ops table) does not take is left out."""
    lh = "arch/x86/kvm/qa_lasthop.c"
    code, rows, out = lq("path qa_lh_set_msr_common -> qa_lh_write_time")
    assert sorted((r["file"], r["line"]) for r in rows) == [(lh, 39), (lh, 42)], out
    code, rows, out = lq("path qa_lh_em_rdtsc -> qa_lh_get_msr_common")
    assert [(r["file"], r["line"]) for r in rows] == [(lh, 65)], out


def test_entry_kinds_of_members_name_their_struct(lq):
    """A `write` callback of an ops struct that is no file_operations is no [fops] entry;
    a callback stored in a member of an object whose struct the corpus lacks is one."""
    code, rows, out = lq("calls qa_lh_note_mmio | paths")
    assert rows and rows[0]["paths"][0][0]["entry"] == "callback qa_lh_io_ops.write", out
    code, rows, out = lq("calls qa_lh_read_wallclock | paths")
    assert rows and rows[0]["paths"][0][0]["entry"] == "callback get_wallclock", out


def test_an_address_handed_to_corpus_code_that_does_not_write_the_member_is_no_write(lq):
    """`&irq` handed down four calls that write another member; `&fd->entry` handed to a
    hook whose weak and arch definitions name the parameter differently and only read
    (memcmp); `&data` handed to a helper that reads one scalar member and takes the
    address of another: none is a write of the asked member."""
    op = "arch/x86/kvm/qa_outparam.c"
    code, rows, out = lq("writes qa_op_irq.vector")
    # (the struct copies into a local and into a member of that type are writes of it)
    assert [(r["file"], r["line"]) for r in rows] == [(op, 50), (op, 61), (op, 63)], out
    code, rows, out = lq("writes qa_op_fd.entry")
    assert [(r["file"], r["line"]) for r in rows] == [(op, 63)], out
    code, rows, out = lq("writes qa_op_data.clock")
    assert [(r["file"], r["line"]) for r in rows] == [(op, 73), (op, 92)], out


def test_compound_assignments_and_increments_are_reads_too(lq):
    op = "arch/x86/kvm/qa_outparam.c"
    for member, line in (("flags", 91), ("clock", 92), ("host_tsc", 93)):
        code, rows, out = lq(f"reads qa_op_data.{member}")
        assert [(r["file"], r["line"], r["ref_kind"]) for r in rows if r["line"] == line] == [
            (op, line, "read-modify-write")], out


def test_a_module_parameter_is_set_from_outside(lq):
    """`module_param(x, ...)` is no read of x: it is written from the command line or sysfs
    (`external`), listed by writes and a leaf of provenance beside the initialiser."""
    op = "arch/x86/kvm/qa_outparam.c"
    for var, decl, param in (("qa_op_tolerance_ppm", 96, 97), ("qa_op_periodic", 99, 100)):
        code, rows, out = lq(f"writes {var}")
        assert [(r["file"], r["line"], r["write_kind"]) for r in rows] == [
            (op, decl, "init"), (op, param, "external")], out
        assert rows[1]["op"] == "module parameter"
    r = CliRunner().invoke(cli, ["provenance", "qa_op_tolerance_ppm", "--index", str(lq.index)])
    assert "[set from outside: module parameter]" in r.output and "[= 250]" in r.output, r.output
    kinds = {r["line"]: r["ref_kind"] for r in lq("refs qa_op_tolerance_ppm")[1]}
    assert kinds[97] == "write" and kinds[104] == "read", kinds


def test_a_flag_handed_to_a_setter_that_stores_it_is_raised_there(lq):
    code, rows, out = lq("raises QA_PV_TSC_STABLE_BIT")
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [
        ("arch/x86/kernel/pvclock.c", 24, "qa_pv_init")], out


def test_handlers_stored_through_an_array_parameter_are_called_through_the_table_passed(lq):
    code, rows, out = lq("callers qa_handle_vmclear")
    assert [(r["function"], r["edge"]) for r in rows] == [("qa_handle_exit", "pointer")], out
    assert "qa_exit_handlers" in rows[0]["via"]


def test_a_site_no_entry_point_reaches_says_so(lq):
    r = CliRunner().invoke(cli, ["q", "calls qa_tbl_unreached | paths", "--index", str(lq.index)])
    assert "    path: none from an entry point within 6 calls" in r.output, r.output


def test_provenance_through_an_embedded_struct_keeps_its_path(lq):
    """gtod->raw_clock.base_cycles comes from the raw clock's writes only, not from every
    write of qa_pv_clock.base_cycles (the mono clock's too)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_gtod_arch.master_kernel_ns", "depth", "3",
                                 "--index", str(lq.index)])
    assert "raw_nsec  [field qa_gtod_data.raw_clock.base_cycles]" in r.output, r.output
    assert "mono_nsec" not in r.output, r.output


def test_provenance_through_a_pointer_to_a_member_object_follows_that_member(lq):
    """hv_clock->mul where the only call hands &vcpu->hv_clock: the writes of
    qa_vcpu_arch2.hv_clock.mul, not a local qa_time_info elsewhere."""
    r = CliRunner().invoke(cli, ["provenance", "qa_tsc_ref.scale", "depth", "3",
                                 "--index", str(lq.index)])
    assert "m  [field qa_vcpu_arch2.hv_clock.mul]" in r.output, r.output
    assert "m * 3" not in r.output, r.output


def test_the_value_of_an_assignment_expression_is_its_right_side(lq):
    """`ref->scale = v = 0` stores 0: not every value v had before."""
    r = CliRunner().invoke(cli, ["provenance", "qa_tsc_ref.scale", "depth", "3",
                                 "--index", str(lq.index)])
    assert "ref->scale = v = 0" in r.output and "qa_rd_tsc()" not in r.output, r.output


def test_the_brace_initialiser_of_a_struct_global_is_a_write_of_it(lq):
    code, rows, out = lq("writes qa_kvm_caps")
    g = "arch/x86/kvm/qa_gtod.c"
    assert [(r["file"], r["line"], r["write_kind"]) for r in rows] == [(g, 86, "init")], out
    assert rows[0]["value"] == "{ .supported_cap = 3, .tsc_ratio_bits = 48 }"


def test_element_stores_of_a_global_array_are_writes_of_it(lq):
    c = "arch/x86/kvm/qa_caps.c"
    code, rows, out = lq("writes qa_cpu_caps")
    assert [(r["file"], r["line"], r["write_kind"]) for r in rows] == [
        (c, 11, "assign"), (c, 16, "compound")], out
    kinds = {r["line"]: r["ref_kind"] for r in lq("reads qa_cpu_caps")[1]}
    assert kinds == {16: "read-modify-write", 21: "read"}, kinds
    kinds = {r["line"]: r["ref_kind"] for r in lq("refs qa_cpu_caps")[1]}
    assert kinds[11] == "write" and kinds[21] == "read", kinds


def test_callers_of_a_constant_invent_no_callbacks(lq):
    code, rows, out = lq("callers QA_REQ_CAPS")
    assert code == 1 and rows == [], out


def test_a_receiver_given_by_a_function_like_macro_has_the_type_of_its_body(lq):
    """qa_pmc_to_pmu(pmc)->x: the macro's body `&(pmc)->vcpu->arch.pmu` spells one struct
    path, so the receiver is a struct qa_pmu *: its writes count, and the irq_work queued
    through it runs the function registered with it."""
    p = "arch/x86/kvm/qa_pmu.c"
    code, rows, out = lq("writes qa_pmu.event_count")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 36), (p, 42)], out
    code, rows, out = lq("callers qa_pmi_trigger_fn")
    assert ("qa_pmc_overflow", "queued") in {(r["function"], r["edge"]) for r in rows}, out


def test_a_hop_takes_the_call_that_agrees_with_the_value_carried(lq):
    """An MSR with no case of its own goes through the vendor's `default:` call (not the
    first call of the pair, under `case MSR_EFER`) and the common code's `default:`; an MSR
    that has its own case there never reaches `default:`."""
    code, rows, out = lq("path qa_lh2_load_perf -> qa_lh2_pmu_set_msr")
    assert code == 0 and rows, out
    vendor = [h for h in rows[0]["paths"][0] if h["function"] == "qa_lh2_vendor_set_msr"]
    assert "case MSR_EFER" not in vendor[0].get("via", ""), out
    code, rows, out = lq("path qa_lh2_efer_trap -> qa_lh2_pmu_set_msr")
    assert code == 1 and rows == [], out


def test_an_integer_passed_through_an_ops_table_selects_the_switch_case(lq):
    """ops->set_cr(ctxt, 0, ..) reaches `case 0:` only: no path to the CR4 setter, and the
    CR4 value comes from the call passing 4 only."""
    assert lq("path qa_lh3_em_clts -> qa_lh3_set_cr4")[0] == 1
    assert lq("path qa_lh3_em_clts -> qa_lh3_set_cr0")[0] == 0
    r = CliRunner().invoke(cli, ["provenance", "qa_lh3_ctxt.cr4_shadow", "depth", "3",
                                 "--index", str(lq.index)])
    assert "qa_lh3_em_set_cr4: cr4" in r.output and "cr0 & ~8UL" not in r.output, r.output


def test_path_says_when_more_paths_exist_than_it_shows(lq):
    r = CliRunner().invoke(cli, ["path", "qa_many_entry", "->", "qa_many_target",
                                 "--index", str(lq.index)])
    assert r.exit_code == 0 and "more call paths exist than the 5 shown" in r.output, r.output
    assert len({ln for ln in r.output.splitlines() if ln.startswith("arch/")}) == 5


def test_a_test_and_set_call_reads_the_old_value(lq):
    """`__test_and_set_bit(n, &x)` and `atomic_dec_and_test(&x)` read x as they change it
    (profile [writes] read_modify_write)."""
    code, rows, out = lq("reads qa_pmu_status.global_status")
    assert [(r["line"], r["ref_kind"]) for r in rows] == [(57, "read-modify-write")], out
    code, rows, out = lq("reads qa_pmu_status.users")
    assert [(r["line"], r["ref_kind"]) for r in rows] == [(62, "read-modify-write")], out


def test_a_range_label_is_shown_in_full_with_the_labels_stacked_on_it(lq):
    """`case MSR_P6_EVNTSEL0 ... MSR_P6_EVNTSEL1:` stacked under three other ranges: the hop
    shows the range, not its first bound alone, and that more labels lead there."""
    code, rows, out = lq("path qa_rng_entry -> qa_rng_pmu")
    assert code == 0, out
    vias = [h.get("via", "") for h in rows[0]["paths"][0]]
    assert "case MSR_P6_EVNTSEL0 ... MSR_P6_EVNTSEL1 (+3 more)" in vias, out


def test_provenance_tells_apart_same_named_locals_of_two_blocks(lq):
    """Each case block declares its own `cpuid`: each call hands its own copy."""
    r = CliRunner().invoke(cli, ["provenance", "qa_vcpu_c.cpuid_nent", "depth", "4",
                                 "--index", str(lq.index)])
    copies = [ln for ln in r.output.splitlines() if "copy_from_user(&cpuid" in ln]
    assert len({ln.split(":")[1] for ln in copies}) == 2, r.output
    assert "shown above" not in r.output, r.output


def test_provenance_follows_a_pointer_parameter_that_is_the_value(lq):
    """`v->entries = e2` with e2 a pointer parameter: the callers' arguments, not nothing
    (a pointer to a struct handed along, `vcpu`, is still no value)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_vcpu_e.entries", "depth", "3",
                                 "--index", str(lq.index)])
    assert "qa_alloc_entries(4)" in r.output, r.output


def test_calls_with_a_constant_pasted_in_a_macro_body(lq):
    """`qa_adjust_sec_exec_feature(vcpu, &ctl, invpcid, INVPCID)` expands, through a second
    macro, to qa_cpuid_has(vcpu, X86_FEATURE_INVPCID): `calls .. arg 2 = X86_FEATURE_INVPCID`
    finds that use and not the RDRAND one."""
    code, rows, out = lq("calls qa_cpuid_has arg 2 = X86_FEATURE_INVPCID")
    assert [(r["function"], r["line"]) for r in rows] == [("qa_sec_exec_control", 102)], out


def test_provenance_roots_show_the_operator_of_an_increment_or_compound_store(lq):
    r = CliRunner().invoke(cli, ["provenance", "qa_op_data.host_tsc", "--index", str(lq.index)])
    assert "++data->host_tsc;  [++]" in r.output and "[= ]" not in r.output, r.output
    r = CliRunner().invoke(cli, ["provenance", "qa_op_data.clock", "--index", str(lq.index)])
    assert "data->clock += adj;  [+= adj]" in r.output, r.output


def test_members_declared_by_array_macros(lq):
    """DECLARE_BITMAP / DECLARE_HASHTABLE members are members: their writes through the bit
    helpers and the initialisers are listed, and a local bitmap is a local, not a member."""
    p = "arch/x86/kvm/qa_bitmap.c"
    code, rows, out = lq("writes qa_bm_pmu.reprogram_pending")
    assert code == 0, out  # (for_each_set_bit and bitmap_or's sources only read it; a cast
    # `&` is one row, not two)
    assert sorted(r["line"] for r in rows if r["file"] == p) == [19, 29, 32]
    code, rows, out = lq("writes qa_bm_pmu.in_use")
    assert code == 0, out
    assert sorted(r["line"] for r in rows if r["file"] == p) == [21, 30, 33]
    code, rows, out = lq("def qa_bm_pmu")
    assert code == 0, out
    code, rows, out = lq("writes qa_bm_pmu.owners")
    assert code in (0, 1), out  # a member (no "has no member" error)


def test_address_handed_to_code_that_writes_only_where_it_says(lq):
    """`&fault` handed to functions of the corpus is no write of its own when what they do
    with the pointer is seen: a comparison built from it (WARN_ON_ONCE(level !=
    fault->goal_level)) is an integer, a tracepoint only reads; the writes are listed
    where they are made."""
    p = "arch/x86/kvm/qa_fault.c"
    code, rows, out = lq("writes qa_fault.max_level")
    assert code == 0, out
    assert sorted(r["line"] for r in rows if r["file"] == p) == [15, 36], out


def test_provenance_of_a_member_a_call_fills(lq):
    """A member filled through its address is shown as filled by the call (and which
    argument), not as the call's return value."""
    r = CliRunner().invoke(cli, ["provenance", "qa_fault.pfn", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    assert "[filled by copy_from_user(), argument 1]" in r.output, r.output
    assert "[= copy_from_user(" not in r.output, r.output


def test_function_pointers_declared_without_an_initialiser(lq):
    """`enum r (*fn)(struct t *);` in a function is a local function pointer (not a
    prototype): `fn = timer->function; fn(timer)` calls what the member is set to; a
    file-scope `T (*p)(void);` is a variable whose assigned functions its calls reach."""
    p = "arch/x86/kvm/qa_hrtimer.c"
    code, rows, out = lq("callers qa_tick_fn")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [(p, 29, "qa_run_hrtimer")]
    code, rows, out = lq("callers qa_read_tsc_page")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [(p, 47, "qa_counter_now")]
    r = CliRunner().invoke(cli, ["callees", "qa_counter_now", "--index", str(lq.index)])
    assert r.exit_code == 0 and "qa_read_tsc_page" in r.output, r.output


def test_a_flag_in_the_condition_of_a_conditional_value_is_tested_not_raised(lq):
    """`x = (pfec & (A | B)) ? 0 : kf` tests A and B (the condition) and sets neither; `y =
    pfec ? B : 0` sets B."""
    p = "arch/x86/kvm/qa_fault.c"
    code, rows, out = lq("raises QA_PF_RSVD")
    assert code == 1, out
    code, rows, out = lq("raises QA_PF_FETCH")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 56)], out
    code, rows, out = lq("consumes QA_PF_RSVD")  # (and in a group of masks under `&`)
    assert [(r["file"], r["line"]) for r in rows] == [(p, 55), (p, 109)], out


def test_a_test_split_over_two_lines_is_a_test_at_its_column(lq):
    """`(mode ==\n\t\t\tQA_LVT_DEADLINE)`: the comparison ends the line above; the row's
    column is the constant's, indentation counted."""
    p = "arch/x86/kvm/qa_fault.c"
    code, rows, out = lq("consumes QA_LVT_DEADLINE")
    assert [(r["file"], r["line"], r["col"]) for r in rows] == [(p, 107, 4)], out


def test_functions_of_a_template_header_have_their_pasted_names(lq):
    """`static int FNAME(page_fault)(...)` in a header included once per `#define FNAME(n)
    qa_paging##64_##n`: def finds `qa_paging64_page_fault`, its callers are the calls through
    the member it is bound to, its callees those of the template, and a path goes through
    it to the template's FNAME(fetch)."""
    h = "arch/x86/kvm/mmu/qa_paging_tmpl.h"
    code, rows, out = lq("def qa_paging64_page_fault")
    assert code == 0 and [(r["file"], r["line"]) for r in rows] == [(h, 21)], out
    code, rows, out = lq("def qa_ept_fetch")
    assert code == 0 and [(r["file"], r["line"]) for r in rows] == [(h, 16)], out
    code, rows, out = lq("callers qa_paging64_page_fault")
    assert code == 0, out
    assert [(r["line"], r["function"]) for r in rows] == [(42, "qa_mmu_do_page_fault")], out
    code, rows, out = lq("callees qa_ept_page_fault")
    assert code == 0 and [r["symbol"] for r in rows] == ["fetch"], out
    code, rows, out = lq("path qa_mmu_do_page_fault -> qa_mmu_set_spte")
    assert code == 0, out
    hops = [[h["function"] for h in p] for r in rows for p in r["paths"]]
    assert ["qa_mmu_do_page_fault", "page_fault", "fetch"] in [p[:3] for p in hops], out
    code, rows, out = lq("path qa_paging64_page_fault -> qa_mmu_set_spte")
    assert code == 0, out
    # an instance's callers: the template's FNAME(fetch) call, in the same instance
    code, rows, out = lq("callers qa_ept_fetch")
    assert [(r["line"], r["function"]) for r in rows] == [(25, "qa_ept_page_fault")], out
    code, rows, out = lq("path qa_mmu_do_page_fault -> qa_ept_fetch")
    assert code == 0, out


def test_callers_say_which_heavily_used_macros_they_leave_out(lq, monkeypatch):
    """The uses of a macro used more than MAX_MACRO_USES times are not callers one by one
    (an assertion in every function); `callers` says so and names the macro to ask."""
    from vmxref.queries import edges
    monkeypatch.setattr(edges, "MAX_MACRO_USES", 1)
    r = CliRunner().invoke(cli, ["callers", "fix_vm_bugged", "--index", str(lq.index)])
    assert "the uses of FIX_BUG_ON" in r.stderr and "`vmxref callers FIX_BUG_ON`" in r.stderr, \
        r.output


def test_provenance_of_a_parameter_the_function_changes(lq):
    """A parameter assigned in the body (`off -= sub`, `off = 0`) is traced through those
    assignments as well as to the argument it came in with."""
    r = CliRunner().invoke(cli, ["provenance", "qa_sync.off", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    hops = [ln.strip() for ln in r.output.splitlines() if ln.startswith("  <-")]
    assert any(":70:" in h and "-= sub" in h and "[parameter off]" in h for h in hops), r.output
    assert any(":72:" in h and "[parameter off]" in h for h in hops), r.output
    assert any(":78:" in h and "argument 3 (off) of qa_sync_catch_up()" in h for h in hops), \
        r.output


def test_provenance_through_a_member_of_an_array_element(lq):
    """`tm->cur_pct = tm->periods[i].pct`: the value comes from the writes of the elements'
    member (the index is no step of the path)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_tm.cur_pct", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    hops = [ln.strip() for ln in r.output.splitlines() if ln.startswith("  <-")]
    assert [h.split(": ", 2)[0].rsplit(":", 1)[1] for h in hops] == ["92", "93"], r.output
    assert all("[field qa_period.pct]" in h for h in hops), r.output


def test_provenance_follows_the_variable_the_use_sees(lq):
    """`fr->old = (qa_u32)qa_ref_freq` in a file whose qa_ref_freq is static: its source is
    that file's write, not another file's static of the same name nor a member named so;
    the cast's type name is no variable."""
    r = CliRunner().invoke(cli, ["provenance", "qa_freq.old", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    hops = [ln.strip() for ln in r.output.splitlines() if ln.lstrip().startswith("<-")]
    assert len(hops) == 1 and "qa_static_a.c:16" in hops[0] and "[global qa_ref_freq]" in hops[0], \
        r.output


def test_static_call_keys_outside_ops_tables(lq):
    """`static_call(qa_pv_clock)()` calls the key's DEFINE_STATIC_CALL default and what
    static_call_update installs, also from a parameter of the installing function (the
    callers' arguments): callers, callees and paths go through it."""
    p = "arch/x86/kvm/qa_static_call.c"
    code, rows, out = lq("callers qa_kvm_clock_read")
    assert (p, 31, "qa_sched_clock") in [(r["file"], r["line"], r["function"]) for r in rows], out
    code, rows, out = lq("callees qa_sched_clock")
    assert sorted(r["symbol"] for r in rows) == ["qa_kvm_clock_read", "qa_native_clock"], out
    code, rows, out = lq("path qa_sched_clock -> qa_kvm_clock_read")
    assert code == 0, out


def test_a_bit_number_set_through_a_macro_over_set_bit(lq):
    """`qa_set_cpu_cap(c, QA_FEATURE_TSC_RELIABLE)`, a macro whose body hands its parameter to
    set_bit (the profile's [writes] bit_sets), raises the bit."""
    p = "arch/x86/kvm/qa_static_call.c"
    code, rows, out = lq("raises QA_FEATURE_TSC_RELIABLE")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 43)], out


def test_provenance_through_a_return_takes_the_arguments_of_its_own_calls(lq):
    """`t->deadline += f(a) - f(b)` over three lines: the parameter of f takes `a` and `b`
    (each call's own argument), not what f's other callers pass (99)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_timer2.deadline", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    args = [ln.strip() for ln in r.output.splitlines() if "argument 1 (nsec)" in ln]
    assert [a.split(": ")[0].rsplit(":", 1)[1] for a in args] == ["125", "126"], r.output


def test_provenance_skips_values_a_later_assignment_overwrote(lq):
    """`v = x; s->a = v; v = y; s->b = v;`: b comes from y only; a conditional `v = 5`
    does not hide `v = y` from the use after it."""
    r = CliRunner().invoke(cli, ["provenance", "qa_saved.b", "--index", str(lq.index)])
    hops = [ln.strip() for ln in r.output.splitlines() if ln.startswith("  <-")]
    assert [h.split(": ")[0].rsplit(":", 1)[1] for h in hops] == ["145"], r.output
    r = CliRunner().invoke(cli, ["provenance", "qa_saved.a", "--index", str(lq.index)])
    roots = r.output.split("\n" + "arch/")
    last = [x for x in roots if ":149:" in x.split("\n")[0]][0]
    hops = [ln.strip() for ln in last.splitlines() if ln.startswith("  <-")]
    assert [h.split(": ")[0].rsplit(":", 1)[1] for h in hops] == ["145", "148"], r.output


def test_inline_assembly_operands(lq):
    """An asm output operand is a write (`"+m" (st->preempted)`: op `asm +m`, also a read),
    with an exception-table macro in the template."""
    p = "arch/x86/kvm/qa_asm.c"
    code, rows, out = lq("writes qa_steal.preempted")  # (152: copy_to_user_nofault's dest)
    assert [(r["file"], r["line"], r["op"]) for r in rows] == [(p, 22, "asm +m"),
                                                              (p, 152, "&1")], out
    code, rows, out = lq("reads qa_steal.preempted")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 22)], out
    code, rows, out = lq("writes qa_steal.version")
    assert [(r["file"], r["line"], r["op"]) for r in rows] == [(p, 27, "asm =m")], out


def test_provenance_of_a_union_member_takes_the_writes_of_every_member(lq):
    """`x = exit_reason.full` of a local union: the initialiser's `.basic`/`.failed_vmentry`
    and `exit_reason.basic = ...` set the same storage."""
    r = CliRunner().invoke(cli, ["provenance", "qa_vmcs12.vm_exit_reason", "--index", str(lq.index)])
    hops = [ln.strip() for ln in r.output.splitlines() if ln.startswith("  <-")]
    assert [h.split(": ")[0].rsplit(":", 1)[1] for h in hops] == ["45", "46", "50"], r.output
    assert "a member of the same union" in hops[0], r.output


def test_provenance_leaves_out_calls_a_case_label_excludes(lq):
    """`case MSR_QA_TSC_DEADLINE: qa_set_deadline(t, data)` in qa_set_msr_common: the data of
    qa_efer_trap's call (msr_info.index = MSR_QA_EFER) never gets there; qa_wrmsr's does."""
    r = CliRunner().invoke(cli, ["provenance", "qa_timer3.deadline", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    assert "qa_asm.c:100:" in r.output and "qa_asm.c:91:" not in r.output, r.output


def test_a_call_through_a_dereferenced_member_is_a_member_call(lq):
    """`(*cs->read)(cs)` calls what qa_clocksrc.read holds, like `cs->read(cs)`; `(*lp->read)(3)`
    of another struct does not."""
    p = "arch/x86/kvm/qa_hrtimer.c"
    code, rows, out = lq("callers qa_cs_read")
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [(p, 74, "qa_cs_now")], out


def test_provenance_through_inline_assembly_goes_to_its_inputs(lq):
    """`asm("divl %2" : "=a" (q) : "A" (dividend), "r" (divisor)); return q;`: the value
    comes from the asm's input operands, here the call's arguments."""
    r = CliRunner().invoke(cli, ["provenance", "qa_scale.mul", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    under = [ln.strip() for ln in r.output.splitlines() if ln.startswith("    <-")]
    assert any("argument 2 (divisor) of qa_div()" in h and ": khz" in h for h in under), r.output
    assert any("argument 1 (dividend) of qa_div()" in h for h in under), r.output


def test_writes_through_a_pointer_a_helper_returns(lq):
    """`hv = to_qa_hv(kvm); hv->tsc_page_status = 3`, the helper returning `&kvm->arch.hyperv`:
    a write of qa_karch.hyperv.tsc_page_status."""
    p = "arch/x86/kvm/qa_static_call.c"
    code, rows, out = lq("writes qa_karch.hyperv.tsc_page_status")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 72)], out


def test_a_callback_stored_by_the_one_definition_that_stores_it(lq):
    """qa_sched_clock_register(read, ..) stores its parameter in qa_cd.actual_read; a stub
    of the same name (another configuration) stores nothing: the callback is called where
    the member is."""
    p = "arch/x86/kvm/qa_static_call.c"
    code, rows, out = lq("callers qa_hv_read_tsc")
    assert (p, 88, "qa_sched_clock_now") in [(r["file"], r["line"], r["function"]) for r in rows], out


def test_a_per_cpu_address_helper_writes_nothing(lq):
    """`per_cpu_ptr(&qa_cpu_data, cpu)` computes an address (read_only_args "*cpu_ptr"): no
    out-parameter write of qa_cpu_data."""
    code, rows, out = lq("writes qa_cpu_data")
    assert code == 1 and rows == [], out


def test_provenance_of_a_local_a_macro_assigns(lq):
    """`do_div(tmp, from)` divides tmp in place (the profile's [writes] modifies_args): a
    source of `c->mult = (u32)tmp` next to `tmp = ...` and `tmp += ...`."""
    r = CliRunner().invoke(cli, ["provenance", "qa_freq_conv.mult", "--index", str(lq.index)])
    hops = [ln.strip() for ln in r.output.splitlines() if ln.startswith("  <-")]
    assert any(":144:" in h and "do_div(tmp, from)" in h for h in hops), r.output
    assert any(":143:" in h for h in hops) and any(":142:" in h for h in hops), r.output


def test_a_member_named_by_its_beginning_is_suggested(lq):
    """`writes qa_vmcs12.vm_exit`: no such member; the one it begins (vm_exit_reason) is
    suggested, which difflib's ratio alone misses."""
    r = CliRunner().invoke(cli, ["writes", "qa_vmcs12.vm_exit", "--index", str(lq.index)])
    assert r.exit_code == 2 and "Did you mean qa_vmcs12.vm_exit_reason?" in r.stderr, r.output


def test_each_address_on_a_line_is_read_or_written_by_its_own_argument(lq):
    """`copy_to_user_nofault(&st->preempted, &preempted, ...)`: the destination is written,
    the source (argument 2, read_only_args) only read, though both name `preempted`."""
    code, rows, out = lq("refs preempted")
    here = sorted((r["col"], r["ref_kind"]) for r in rows if r["line"] == 152)
    assert [k for _c, k in here][:2] == ["write", "read"], out


def test_writes_through_a_pointer_a_macro_helper_makes(lq):
    """`pmu = qa_vcpu_to_pmu(vcpu)` (`#define qa_vcpu_to_pmu(vcpu) (&(vcpu)->arch.pmu)`):
    `pmu->event_count = 0` writes qa_pvcpu_arch.pmu.event_count."""
    p = "arch/x86/kvm/qa_pmu.c"
    code, rows, out = lq("writes qa_pvcpu_arch.pmu.event_count")
    assert 36 in [r["line"] for r in rows if r["file"] == p], out


def test_the_size_of_an_array_member_is_no_write(lq):
    """`ARRAY_SIZE(hv->crash_param)` hands the array bare, but only measures it."""
    code, rows, out = lq("writes qa_hv_crash.crash_param")
    assert code == 1 and rows == [], out


def test_writes_through_an_element_pointer_a_helper_returns(lq):
    """`st = to_qa_stimer(hv, i)` returning `&hv->stimer[i]`: `st->count = c` writes
    qa_vcpu_hv2.stimer.count."""
    p = "arch/x86/kvm/qa_static_call.c"
    code, rows, out = lq("writes qa_vcpu_hv2.stimer.count")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 118)], out


def test_writes_of_a_union_member_include_the_other_members(lq):
    """`vmx->exit_reason.full = reason` writes the storage of exit_reason.basic too: listed
    for `writes qa_vmx.exit_reason.basic`, via that union member."""
    p = "arch/x86/kvm/qa_asm.c"
    code, rows, out = lq("writes qa_vmx.exit_reason.basic")
    got = [(r["line"], r.get("via")) for r in rows if r["file"] == p]
    assert (161, "union member qa_exit_reason.full") in got, out


def test_a_call_through_a_named_object_calls_what_its_initialiser_binds(lq):
    """`qa_clocksource_pm.read(..)`, the object initialised `.read = qa_pm_read`: a caller of
    qa_pm_read, not of qa_cs_read (another qa_clocksrc's read)."""
    p = "arch/x86/kvm/qa_hrtimer.c"
    code, rows, out = lq("callers qa_cs_read")
    assert 88 not in [r["line"] for r in rows if r["file"] == p], out
    code, rows, out = lq("callers qa_pm_read")
    assert 88 in [r["line"] for r in rows if r["file"] == p], out


def test_a_function_kept_in_a_plain_local_is_no_member_callback(lq):
    """`handler_fn = qa_forced_fn` (a local of a function-pointer typedef) binds no member:
    the function is no `callback` entry with an empty member name."""
    from vmxref import api
    from vmxref.queries.paths import Entries
    sc = api.open_scope(lq.index, None)
    assert not Entries(sc).kind("qa_forced_fn").startswith("callback")


def test_provenance_carries_the_case_constant_up_the_calls(lq):
    """The deadline is set under `case MSR_QA_TSC_DEADLINE`, two calls below
    __qa_set_msr: qa_vcpu_reset's `__qa_set_msr(t, MSR_QA_EFER, 0)` cannot be its source,
    qa_guest_wrmsr's `v + 1` can."""
    r = CliRunner().invoke(cli, ["provenance", "qa_timer3.deadline", "depth", "6",
                                 "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    assert "qa_asm.c:175:" not in r.output and "qa_asm.c:180:" in r.output, r.output


def test_provenance_of_a_local_read_under_a_case_keeps_to_that_case(lq):
    """`u64 data = msr_info->data;` at the top of qa3_set_msr_adjust, read under `case
    MSR_QA_TSC_ADJUST`: the callers handing another MSR index (qa3_efer_adjust's MSR_QA_EFER,
    __qa3_set_msr_adj called with MSR_QA_EFER) are no source, and neither is `data &= ~1ULL`
    under `case MSR_QA_EFER` on the way (J D3)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_tscadj.adjust", "depth", "6",
                                 "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    lines = {int(ln.split("qa_asm.c:")[1].split(":")[0]) for ln in r.output.splitlines()
             if "qa_asm.c:" in ln}
    assert {209, 205, 231, 245, 251} <= lines and not lines & {222, 241, 256}, r.output


def test_a_store_at_a_computed_offset_into_a_struct(lq):
    """`char *p = (char *)vmcs12 + offset; *(u64 *)p = value;`: any member may be written
    there, a whole-object write with op `computed offset`."""
    p = "arch/x86/kvm/qa_asm.c"
    code, rows, out = lq("writes qa_vmcs12b.guest_rip")
    assert [(r["file"], r["line"], r["op"], r["write_kind"]) for r in rows] == [
        (p, 192, "computed offset", "whole-object")], out


def test_a_static_function_is_not_named_from_another_source_file(lq):
    """qa_vis_a.c's static qa_vis_done is registered there; in qa_vis_b.c the same name is
    a variable of that file, whose hand-over registers nothing (edges.Graph.visible). The
    static qa_vis_tick of qa_vis_d.c, which qa_vis_c.c includes, is registered from there
    (indexer/includes.py)."""
    code, rows, out = lq("callers qa_vis_done")
    assert code == 0, out
    assert [(r["file"], r["function"], r["edge"]) for r in rows] == [
        ("arch/x86/kvm/qa_vis_a.c", "qa_vis_setup", "registered")], out
    code, rows, out = lq("callers qa_vis_tick")
    assert code == 0, out
    assert [(r["file"], r["function"], r["edge"]) for r in rows] == [
        ("arch/x86/kvm/qa_vis_c.c", "qa_vis_again", "registered")], out


@pytest.mark.parametrize("text, found", [
    (b'#include "rt.c"\n', [("rt.c", "rt.c")]),
    (b'  #  include "../../lib/kaslr.c"\n', [("kaslr.c", "../../lib/kaslr.c")]),
    (b'#include <x/y.cpp>\n#include "a.h"\n#include "b.cc"', [("y.cpp", "x/y.cpp"),
                                                               ("b.cc", "b.cc")]),
    (b'// #include "not.c"\n#include "a.c.h"\n', []),
])
def test_source_includes(text, found):
    from vmxref.indexer.includes import source_includes
    assert source_includes(text) == found


def test_no_path_goes_on_in_another_files_static_function_of_the_same_name(lq):
    """qa_ple_svm.c and qa_ple_vmx.c each define a static qa_grow_ple_window: the request
    raised in SVM's is reached from SVM's caller only, and VMX's caller does not reach what
    SVM's calls (feasible._static_clash)."""
    _, rows, out = lq("raises KVM_REQ_QA_PLE_WINDOW | paths")
    assert [[(h["function"], h["file"]) for h in p] for r in rows for p in r["paths"]] == [
        [("qa_svm_pause_interception", "arch/x86/kvm/qa_ple_svm.c"),
         ("qa_grow_ple_window", "arch/x86/kvm/qa_ple_svm.c")]], out
    code, rows, out = lq("path qa_svm_pause_interception -> qa_vmcs_write_ple")
    assert code == 1 and rows == [], out
    code, rows, out = lq("path qa_vmx_handle_pause -> qa_vmcs_write_ple")
    assert [h["file"] for r in rows for p in r["paths"] for h in p] == [
        "arch/x86/kvm/qa_ple_vmx.c"] * 3, out


def test_a_container_shown_for_a_nested_struct_can_be_asked_back(lq):
    """`writes execute` names the container of `.u.execute = ...` fix_opcode::u (a union
    inside struct fix_opcode); that name, typed back, asks for its member alone."""
    code, rows, out = lq("writes execute")
    assert ("fix_opcode::u", 262) in {(r["container"], r["line"]) for r in rows}, out
    code, rows, out = lq("writes fix_opcode::u.execute")
    assert code == 0 and {(r["container"], r["line"]) for r in rows} == {("fix_opcode::u", 262)}, out
    code, rows, out = lq("writes fix_opcode::u")
    assert code == 2 and "a field name after a nested struct" in out, out


def test_provenance_of_a_member_set_through_the_pointer_above_the_use(lq):
    """`data->clock = qa_scale_cycles(data->host_tsc)` after `data->host_tsc = rdtsc()` (or
    0) in the same function: host_tsc comes from those writes, not from the caller's
    `struct qa_clock_data data = { 0 }`."""
    code, rows, out = lq("provenance qa_clock_data.clock depth 1")
    assert code == 0, out
    (site,) = [r for r in rows if r["file"] == "arch/x86/kvm/qa_provparam.c"]
    got = {(n.get("line"), n.get("value")) for n in site["from"] if n["hop"].startswith("data->host_tsc")}
    assert got == {(89, "rdtsc()"), (91, "0")}, site["from"]
    assert all(n.get("line") != 97 for n in site["from"]), site["from"]


def test_provenance_follows_a_struct_out_parameter_handed_on(lq):
    """qa_clock_ns: `qa_get_clock_locked(st, &data)` then `return data.clock`; the callee
    hands `data` on to __qa_get_clock, which sets data->clock (qa_provparam.c:92): the trace
    reaches that write, not a dead end at the hand-over."""
    code, rows, out = lq("provenance qa_wall.sec depth 6")
    assert code == 0, out

    got = [(n.get("line"), n["hop"]) for n in _nodes(rows[0]["from"])
           if n.get("file") == "arch/x86/kvm/qa_provparam.c"]
    assert (105, "filled by qa_get_clock_locked()") in got, got
    assert (92, "filled by __qa_get_clock()") in got, got


def test_logline_of_a_format_defined_as_a_macro(lq):
    """`pr_warn_once(QA_SMT_MSG)`, the text #defined as two literals in the file."""
    code, rows, out = lq("logline '[  900.000000] QA CPU bug present and SMT on, data leak "
                         "possible. See the qa-vuln documentation for details.'")
    assert code == 0, out
    assert [(r["file"], r["line"], r["score"]) for r in rows][:1] == [
        ("arch/x86/kvm/qa_logmsg.c", 15, 1.0)], out


def test_whole_reads_by_size_a_pointer_copied_with_its_size_and_a_member_copied_alone(lq):
    """copy_to_user(argp, p, QA_PAGE_SIZE) and (..., page, sizeof(*page)) read the whole
    struct through a pointer; kvm_write_guest(..., &hv->tsc_ref, sizeof(hv->tsc_ref.
    qa_sequence)) reads qa_sequence only; a tracepoint handed the pointer is no copy."""
    f = "arch/x86/kvm/qa_copysize.c"
    code, rows, out = lq("reads qa_tsc_page.tsc_offset")
    got = {(r["line"], r.get("via")) for r in rows if r["file"] == f}
    assert got == {(26, "kvm_write_guest"), (33, "copy_to_user"), (35, "copy_to_user")}, out
    code, rows, out = lq("reads qa_hv.tsc_ref.qa_sequence")
    assert {r["line"] for r in rows if r["file"] == f} == {24, 26}, out


def test_an_object_handed_to_a_callee_that_copies_another_member_out_of_the_corpus(lq):
    """__qa_copy_ctl(&c, ctl) writes c.tsc_offset itself (listed there) and hands only
    &to->enl, with sizeof(to->enl), to memcpy: the call is no write of tsc_offset, but is
    one of enl."""
    f = "arch/x86/kvm/qa_copysize.c"
    code, rows, out = lq("writes qa_ctl_cached.tsc_offset")
    assert {r["line"] for r in rows if r["file"] == f} == {59}, out
    code, rows, out = lq("writes qa_ctl_cached.enl")
    assert {r["line"] for r in rows if r["file"] == f} == {60, 67}, out


def test_logline_with_another_module_s_prefix_scores_lower(lq):
    """A line of svm/ (module kvm_amd) pasted with `kvm_intel: ` in front: the statement is
    still found, well below the score the file's own module name gives it."""
    f = "arch/x86/kvm/svm/fixsvm.c"
    _code, own, out = lq("logline 'kvm_amd: QA TSC scaling supported'")
    _code, other, out2 = lq("logline 'kvm_intel: QA TSC scaling supported'")
    assert [(r["file"], r["line"]) for r in own][:1] == [(f, 30)], out
    assert [(r["file"], r["line"]) for r in other][:1] == [(f, 30)], out2
    assert own[0]["score"] >= 0.9 and other[0]["score"] <= 0.6, (own[0], other[0])


def test_a_struct_in_a_trace_event_prototype_is_a_type_reference(lq):
    code, rows, out = lq("refs qa_pvclock_info kind type")
    assert [(r["file"], r["line"]) for r in rows] == [("arch/x86/kvm/qa_trace.h", 111)], out


def test_provenance_through_a_pointer_handed_down_reaches_the_user_copy(lq):
    """__qa_set_sregs stores sregs->efer: one caller sets a member through its pointer
    first (a different one, cr0), the other hands its parameter on from an ioctl whose
    local was filled by memdup_user: that copy is where the value comes from (not every
    write of qa_sregs.efer, and never the vcpu handle taken from filp->private_data)."""
    code, rows, out = lq("provenance qa_vcpu_arch.efer depth 4")
    assert code == 0, out
    nodes = list(_nodes([n for r in rows for n in r.get("from", [])]))
    got = {(n.get("function"), n.get("line")) for n in nodes}
    assert ("qa_vcpu_ioctl", 48) in got, got  # qa_sregs = memdup_user(argp, ...)
    assert not any(n.get("line") == 43 for n in nodes), got  # (vcpu = filp->private_data)


def test_provenance_leaves_out_what_a_call_writes_through_and_stops_at_get_user(lq):
    """`x = f(&a->b, &a->c)` where f fills a->b and a->c: their writes are no sources of x;
    a pointer handed to a call neither (qa_vgettsc(tsc_timestamp, &mode) for ns); an
    address a call only reads is (test_bit(3, &ka->pending)); get_user(offset, uaddr)
    loads offset from user memory: a leaf, not uaddr's sources."""
    def tree(query):
        code, rows, out = lq(query)
        assert code == 0, out
        return [n for r in rows if r["file"].endswith("qa_provaddr.c")
                for n in _nodes(r.get("from", []))]
    hops = {n.get("hop") for n in tree("provenance qa_clockarch.use_master_clock depth 6")}
    assert "return of qa_pa_time_and_clockread()" in hops, hops
    assert not {h for h in hops if "master_kernel_ns" in h or "master_cycle_now" in h
                or "tsc_timestamp" in h or "kernel_ns" in h}, hops
    assert {n.get("line") for n in tree("provenance qa_clockarch.latched depth 2")} >= {48}
    nodes = tree("provenance qa_clockarch.cur_offset depth 4")
    assert [(n["line"], n["write_kind"], n["from"]) for n in nodes] == [(55, "assign", [])], nodes
    # a condition picks the value, it is none of it: data (0x1234), not ka->intel's return
    hops = {(n.get("hop"), n.get("value")) for n in tree("provenance qa_clockarch.esp_hi")}
    assert ("argument 2 (data) of qa_pa_set_esp()", "0x1234") in hops, hops
    assert not {h for h in hops if "qa_pa_is_intel" in h[0]}, hops
APF = "arch/x86/kvm/qa_apf.c"


def test_a_local_mask_only_tested_is_no_raise_and_its_tests_consume_the_flags(lq):
    """`u64 mask = A | C; return (x & mask) == mask;` (x86.c's kvm_pv_async_pf_enabled): the
    local is a mask, set once and only ANDed and compared, so its line raises nothing and
    the test through it consumes A and C (via the local); `|=` still raises, and a local
    that is only compared with a value (`last != val`) keeps its `x = C` raise."""
    code, rows, out = lq("raises QA_APF_ENABLED")
    assert [(r["file"], r["line"]) for r in rows] == [(APF, 25)], out
    code, rows, out = lq("consumes QA_APF_ENABLED")
    assert [(r["file"], r["line"], r["via"]) for r in rows] == [(APF, 20, "& mask")], out
    code, rows, out = lq("consumes QA_APF_AS_INT")  # (49: `likely(any & x)` masks with it)
    assert [(r["file"], r["line"]) for r in rows] == [(APF, 20), (APF, 42), (APF, 49)], out
    code, rows, out = lq("raises QA_APF_AS_INT")
    assert code == 1, out
    code, rows, out = lq("raises QA_APF_SEND_ALWAYS")
    assert [(r["file"], r["line"]) for r in rows] == [(APF, 30)], out


def test_what_a_request_test_runs_is_its_guarded_body_with_static_and_member_calls(lq):
    """vcpu_enter_guest style: the calls of a condition's continuation line
    (`qa_xen_has_interrupt(vcpu)) {`) run either way and are not listed; the guarded body's
    static call and call through a nested-ops member are, named by the member they go
    through (as `callers STRUCT.MEMBER` takes them)."""
    p = "arch/x86/kvm/qa_runs.c"
    code, rows, out = lq("consumes KVM_REQ_QA_EVENT")
    assert [(r["file"], r["line"], r["runs"]) for r in rows] == [
        (p, 50, ["qa_inject_events", "kvm_x86_ops.qa_irq_window"])], out
    code, rows, out = lq("consumes KVM_REQ_QA_TRIPLE")
    assert [(r["line"], r["runs"]) for r in rows] == [(56, ["qa_nested_ops.qa_triple_fault"])], out
    code, rows, out = lq("callers qa_nested_ops.qa_triple_fault")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 57)], out


def test_a_mask_shifted_elsewhere_is_no_raise(lq):
    """`spte |= (spte & MASK) << SHIFT` moves the mask's bits to other places: no raise of
    MASK (it tests it); `q |= MASK | p << 3` does set MASK's bits (the shift is p's)."""
    p = "arch/x86/kvm/qa_shifted.c"
    code, rows, out = lq("raises QA_ACC_SAVED_MASK")
    assert code == 1, out
    code, rows, out = lq("raises QA_EXIT_RWX_MASK")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 19)], out
    code, rows, out = lq("consumes QA_ACC_SAVED_MASK")  # (`spte & MASK` reads its bits)
    assert (p, 11) in [(r["file"], r["line"]) for r in rows], out
    code, rows, out = lq("raises QA_MEM_TYPE_WB")  # (a field value shifted into its place)
    assert [(r["file"], r["line"]) for r in rows] == [(p, 27)], out


def test_a_call_filling_a_scratch_local_is_no_source_of_the_member(lq):
    """`to->tsc_off = from->tsc_off` in a copy helper writes svm->nested.ctl for the call
    handing `&svm->nested.ctl`; the call handing `&ctl_cached` (a local) fills another object,
    so what it hands as `from` is no source of qa_svm.nested.ctl.tsc_off."""
    p = "arch/x86/kvm/qa_ctlcache.c"
    code, rows, out = lq("provenance qa_svm.nested.ctl.tsc_off")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 12)], out
    got = {(n["file"], n["line"]) for n in _nodes(rows[0]["from"])}
    assert got == {(p, 33)}, out  # (the vmcb12 control's writes), not qa_set_nested_state's 26
    code, rows, out = lq("provenance qa_ctl_cached.tsc_off")  # (any cache: both calls count)
    got = {(n["file"], n["line"]) for r in rows for n in _nodes(r["from"])}
    assert (p, 26) in got, out


@pytest.mark.parametrize("query, lines", [
    ("calls qa_flags_set arg 2 = QA_FLAG_B", [14, 15, 16]),  # itself, ORed, behind a cast
    ("calls qa_flags_clear arg 2 = QA_FLAG_B", []),  # `& ~B`, `~B`: every flag but B
    ("calls qa_write_msr arg 2 = 16", [19, 20]),  # integers by value: 0x10 and 16
    ("calls qa_write_msr arg 3 = 0", [19, 20, 21]),  # 0, 0x0, 0UL; not `x * 0`
    ("calls qa_setup_pv arg 2 = pv_time", []),  # `&vcpu->arch.pv_time` is no pv_time
    ("calls qa_setup_pv arg 3 = pv_time", []),  # nor an offsetof naming it
])
def test_calls_with_an_argument_that_is_the_constant(lq, query, lines):
    p = "arch/x86/kvm/qa_callargs.c"
    code, rows, out = lq(query)
    assert code == (0 if lines else 1), out
    assert [r["line"] for r in rows if r["file"] == p] == lines, out


def test_an_argument_past_the_functions_parameters_is_an_error(lq):
    """qa_flags_set takes 2 parameters (its prototype): `arg 3` is an error that says so,
    not an empty answer."""
    code, rows, out = lq("calls qa_flags_set arg 3 = QA_FLAG_B")
    assert code == 2 and "there is no argument 3 of qa_flags_set, which takes 2" in out, out
    code, rows, out = lq("calls qa_flags_set arg 2 = QA_FLAG_A")
    assert code == 0, out
    code, rows, out = lq("calls qa_long_signature arg 7 = QA_FLAG_A")
    assert code == 0, out
    code, rows, out = lq("calls qa_long_signature arg 7 = QA_FLAG_B")  # (a signature longer
    assert code == 1, out  # than the stored text: its arity is unknown, no error)


def test_a_misspelt_constant_of_calls_is_an_error_with_look_alikes(lq):
    """`calls f arg N = NAME` where the corpus never names NAME says so and offers the
    close names; a known name no call passes stays an empty answer."""
    code, rows, out = lq("calls qa_flags_set arg 2 = QA_FLAG_BB")
    assert code == 2 and "no symbol 'QA_FLAG_BB'" in out and "QA_FLAG_B" in out, out
    code, rows, out = lq("calls qa_flags_clear arg 2 = QA_FLAG_B")
    assert code == 1 and "no symbol" not in out, out


@pytest.mark.parametrize("expr, known, value", [
    ("!!(level & 1)", {"level": False}, False),
    ("RT_BOOL(u8Level & 1)", {"u8Level": False}, False),
    ("RT_BOOL(u8Level & 1)", {"u8Level": True}, None),  # (non-zero & 1: either)
    ("level != 0", {"level": True}, True),
    ("level == NULL", {"level": True}, False),
    ("(bool)p->x || y", {"p->x": True}, True),
    ("y && !p->x", {"p->x": True}, False),
    ("a | b", {"a": False, "b": False}, False),
    ("level > 1", {"level": False}, None),
    ("f(level)", {"level": False}, None),
    ("0x0 | level", {"level": True}, True),
    ("val & ENABLED", {"val": 0xff, "ENABLED": 0x100}, False),
    ("val & ENABLED", {"val": 0x1ff, "ENABLED": 256}, True),
    ("(val & 0x100) == 0", {"val": 0xff}, True),
    ("val == 3 || x", {"val": 3}, True),
    ("val != 3", {"val": 2}, True),
    ("val & 1", {"val": True}, None),  # (some value other than zero)
    ("val | 4", {"val": 0}, True),
    ("!(val & 8)", {"val": 8}, False),
    ("val & 010", {"val": 8}, True),  # (C's octal: 8)
    ("val == 09", {"val": 9}, None),  # (no C literal)
])
def test_truth_of_an_initializer_from_known_values(expr, known, value):
    from vmxref.conditions import truth
    assert truth(expr, known.get)[0] is value


def test_path_says_which_callers_of_the_target_no_path_shown_reaches(lq):
    """`path A -> B` looks only at paths up to 2 calls longer than the shortest: the
    five-call route through qa_clock_r4 is not shown, and the note says so and how to see
    it; with an explicit `max` it is there."""
    code, paths = _paths(lq, "path qa_clock_ioctl -> qa_gtod_copy")
    assert [p[-2] for p in paths] == ["qa_clock_set"], paths
    _c, _r, out = lq("path qa_clock_ioctl -> qa_gtod_copy")
    assert "also called from qa_clock_r4, on no path shown" in out and " max 12" in out, out
    code, paths = _paths(lq, "path qa_clock_ioctl -> qa_gtod_copy max 8")
    assert sorted(p[-2] for p in paths) == ["qa_clock_r4", "qa_clock_set"], paths
    _c, _r, out = lq("path qa_clock_ioctl -> qa_gtod_copy max 8")
    assert "is also called from" not in out, out


def test_consumes_of_a_request_only_cleared_says_where_it_is_cleared(lq):
    code, rows, out = lq("consumes KVM_REQ_QA_INPROGRESS")
    assert code == 1 and rows == [], out
    assert "nothing tests KVM_REQ_QA_INPROGRESS" in out, out
    assert "cleared without a test at arch/x86/kvm/qa_lint.c:102 (qa_end_update)" in out, out
    # (a request left pending still meets the tests of any pending request: audit R D8)
    assert "while it is pending, the tests of any pending request see it: " \
        "arch/x86/kvm/qa_lint.c:107 (qa_exit_request)" in out, out


def test_provenance_of_a_register_read_by_key_leads_to_its_stores(lq):
    """`kvm_lapic_get_reg(apic, APIC_QA_TMICT)` reads what `kvm_lapic_set_reg(apic,
    APIC_QA_TMICT, v)` stored (the profile's [provenance] keyed, read by return value):
    the guest's write (val) and the reset (0), not the TDCR store nor the regs page."""
    p = "arch/x86/kvm/qa_apicreg.c"
    code, rows, out = lq("provenance qa_lapic.period")
    got = {(n.get("line"), n.get("value")) for n in _nodes(rows[0]["from"]) if n.get("file") == p}
    assert {(34, "val"), (44, "0")} <= got, out
    assert not any(line in (17, 37) for line, _v in got), out


@pytest.mark.parametrize("arg, peeled, named", [
    ("(PFNRT)vmR3Load", "vmR3Load", "vmR3Load"),
    ("(void *)&x", "&x", "x"),
    ("( struct kvm * ) kvm", "kvm", "kvm"),
    ("(A) | B", "(A) | B", "(A) | B"),  # (a parenthesised operand, no cast)
    ("(A)", "(A)", "A"),
    ("(u32)(x)", "(x)", "x"),
])
def test_casts_peeled_off_an_argument(arg, peeled, named):
    from vmxref.queries.edges import bare, uncast
    assert uncast(arg) == peeled and bare(arg) == named


PM = "arch/x86/kvm/qa_provmarks.c"


def _repeats_below(nodes: list[dict], above: tuple = ()) -> list[tuple]:
    """Nodes shown again under themselves: the same place, value and hop as an ancestor."""
    out = []
    for n in nodes:
        if "file" not in n:
            continue
        me = (n["file"], n["line"], n["col"], n.get("value"), n["hop"])
        if me in above:
            out.append(me)
        out += _repeats_below(n.get("from", []), (*above, me))
    return out


def test_provenance_of_a_variable_assigned_from_itself_goes_to_its_earlier_value(lq):
    """`data = qa_pm_canon(data, 48)` reads data's value from before the statement: under it
    come the callers' arguments (the parameter's sources), never the same write again, and no
    node repeats under itself."""
    code, rows, out = lq("provenance qa_pm_arch.time")
    assert code == 0, out
    tree = [n for r in rows for n in r["from"]]
    assert not _repeats_below(tree), out
    for line in (25, 28):
        node = next(n for n in tree if n.get("line") == line)
        kids = node["from"]
        assert not any(k.get("line") == line for k in _nodes(kids)
                       if k["hop"] == "parameter data"), out
        assert any(k["hop"] == "argument 3 (data) of qa_pm_set()" for k in _nodes(kids)), out
    # the argument `data` of the call on line 25 is the parameter's value before that line
    # (under qa_pm_canon's return, through its parameter v: not a second time beside it)
    arg = next(n for n in _nodes(tree) if n["hop"] == "argument 1 (v) of qa_pm_canon()")
    assert [(k.get("line"), k["hop"]) for k in arg["from"]] == [
        (37, "argument 3 (data) of qa_pm_set()")], out


def test_provenance_says_a_source_shown_in_an_earlier_tree(lq):
    """The second root reaches the global qa_pm_khz through the local tgt after the first
    root expanded its writes: the local's hop says `[global qa_pm_khz: shown above]`."""
    r = CliRunner().invoke(cli, ["provenance", "qa_pm_arch.mul", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    at = next(i for i, ln in enumerate(lines) if f"{PM}:54:" in ln and "[local tgt]" in ln)
    assert lines[at + 1].strip() == "<- [global qa_pm_khz: shown above]", r.output
    code, rows, out = lq("provenance qa_pm_arch.mul")
    local = next(n for r in rows for n in _nodes(r["from"]) if n["hop"] == "local tgt")
    assert local["from"] == [{"hop": "global qa_pm_khz", "seen": True, "from": []}], out


def test_provenance_marks_where_the_depth_limit_cut_a_value_that_goes_on(lq):
    """At the depth limit a node whose value goes on (the local d1) gets a marker saying so
    and how to see more; a final value (the literal 5, the constant 48) gets none."""
    r = CliRunner().invoke(cli, ["provenance", "qa_pm_arch.deep", "depth", "2",
                                 "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    lines = [ln.strip() for ln in r.output.splitlines()]
    at = next(i for i, ln in enumerate(lines) if f"{PM}:62:" in ln and "[local d2]" in ln)
    assert lines[at + 1] == ("<- [not followed: depth limit 2; provenance qa_pm_arch.deep "
                             "depth 6 goes on]"), r.output
    assert sum("not followed" in ln for ln in lines) == 1, r.output
    code, rows, out = lq("provenance qa_pm_arch.deep depth 2")
    d2 = next(n for r in rows for n in _nodes(r["from"]) if n["hop"] == "local d2")
    assert d2["from"] == [{"hop": "not followed: depth limit 2", "depth_limit": 2,
                           "deeper": "provenance qa_pm_arch.deep depth 6", "from": []}], out
    # deep enough: no marker (seed's callers: none in the corpus)
    r = CliRunner().invoke(cli, ["provenance", "qa_pm_arch.deep", "depth", "4",
                                 "--index", str(lq.index)])
    assert "not followed" not in r.output and f"{PM}:61:" in r.output, r.output
    # a literal or a constant at the limit is a final source
    r = CliRunner().invoke(cli, ["provenance", "qa_pm_arch.time", "depth", "3",
                                 "--index", str(lq.index)])
    lines = r.output.splitlines()
    at = next(i for i, ln in enumerate(lines) if ": 48  [argument 2 (bits)" in ln)
    assert at + 1 == len(lines) or "not followed" not in lines[at + 1], r.output


def test_callers_of_a_misspelt_member_suggests_the_member(lq):
    code, rows, out = lq("callers qa_nested_ops.qa_triple_faul")
    assert code == 2 and "Did you mean qa_nested_ops.qa_triple_fault?" in out, out


def test_unknown_symbol_message_names_where_the_name_is(tmp_path):
    """A name another indexed corpus has: `; it is in ...`, not glued to the label."""
    from vmxref.queries.base import Scope
    from vmxref.queries.runner import unknown_symbol_message
    from vmxref.store import Store
    idx = tmp_path / "idx"
    api.index(str(FIX), "linux-kvm@qa", idx, procs=1, fulltext=False)
    api.index(str(Path(__file__).parent / "fixtures" / "vbox"), "virtualbox-vmm@fix", idx,
              procs=1, fulltext=False)
    st = Store.open(idx)
    try:
        sc = Scope(st, st.corpus_ids("linux-kvm@qa"))
        msg = unknown_symbol_message(sc, "vmR3FixLoad")
    finally:
        st.close()
    assert msg == ("no symbol 'vmR3FixLoad' in linux-kvm@qa; it is in virtualbox-vmm@fix: "
                   "choose it with --corpus"), msg


def test_an_ops_member_handed_on_as_a_callback_is_called_where_its_parameter_is(lq):
    """`qa_dev_ioctl_attr(dev, dev->ops->set_attr, a)` hands the member's function over;
    `accessor(dev, a)` calls it: a caller of qa_vfio_set_attr (bound to set_attr), not of
    qa_vfio_get_attr through the set_attr call's argument."""
    p = "arch/x86/kvm/qa_devattr.c"
    code, rows, out = lq("callers qa_vfio_set_attr")
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [
        (p, 39, "qa_dev_ioctl_attr")], out
    code, rows, out = lq("callers qa_dev_ops.get_attr")
    assert (p, 39, "qa_dev_ioctl_attr") in [(r["file"], r["line"], r["function"]) for r in rows], out
    code, paths = _paths(lq, "path qa_dev_ioctl -> qa_vfio_set_attr")
    assert paths and paths[0] == ["qa_dev_ioctl", "qa_dev_ioctl_attr", "qa_vfio_set_attr"], paths


def test_provenance_roots_include_fills_and_stores_at_a_computed_offset(lq):
    """QA (audit A, D1): provenance of vmcs12.guest_cr0 left out what `writes` lists as
    whole-object writes that give it a value: user space's copy_from_user(vmcs12, ...) and
    L1's VMWRITE through vmcs12_write_any's `*(u64 *)p = field_value` (its value followed to
    the VMWRITE's operand). A zeroing stays out."""
    code, rows, out = lq("provenance qa_nvmcs12.guest_cr0")
    got = {(r["function"], r["line"]) for r in rows}
    assert {("qa_sync_vmcs12", 37), ("qa_set_nested_state", 30), ("qa_vmcs12_write_any", 19)} \
        <= got, out
    [store] = [r for r in rows if r["function"] == "qa_vmcs12_write_any"]
    # (QA audit A, D3: a fill through the pointer a call returns, the shadow vmcs12's load)
    code, wrows, out2 = lq("writes qa_nvmcs12.guest_cr0")
    assert ("qa_cache_shadow_vmcs12", 49) in {(r["function"], r["line"]) for r in wrows}, out2
    assert [(n["function"], n["line"]) for n in store["from"]] == [("qa_handle_vmwrite", 24)], out


def test_provenance_shows_a_repeated_subtree_once(lq):
    """QA (audit B, D10): the same helper's subtree under two calls of it was printed in
    full under each (APICCPU.u64TimerInitial: 87 lines, the now-worker's ten times)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_lapic_tmr.timer_initial", "--index",
                                 str(lq.index)])
    lines = r.output.splitlines()
    assert sum("qa_nowworker.c:27:" in x for x in lines) == 1, r.output
    assert any(x.strip().endswith(": shown above]") for x in lines), r.output


def test_provenance_says_how_many_handed_on_fillers_it_left_out(lq):
    """QA (audit E, D5): a pointer handed on to more fillers than are shown lost the rest
    without the `N more, not shown` the docs promise (TMTimerSetRelative's error paths)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_ho.now", "--index", str(lq.index)])
    assert "handed on: 2 more, not shown]" in r.output, r.output


def test_a_path_from_a_function_only_declared_says_so(lq):
    """`path start_kernel -> X` on a corpus without init/main.c: the start has a prototype
    and no body, so no `max N` can help; the empty answer says where it is declared."""
    r = CliRunner().invoke(cli, ["q", "path qa_flags_set -> qa_write_msr", "--index",
                                 str(lq.index)])
    assert r.exit_code == 1, r.output
    assert "qa_flags_set has no body in the indexed files (only declared, at " \
           "arch/x86/kvm/qa_callargs.c:7)" in r.stderr, r.stderr
    assert "`max N`" not in r.stderr


def test_memset_of_a_pointer_variable_writes_what_it_points_at(lq):
    """`memset(qa_pvti_mem, 0, size)` clears the pointed-to page: a whole-object write of
    struct qa_pvti_page, not of the pointer variable; `memset(&qa_pvti_mem, ..)` and a
    memset of an array variable write the variable itself."""
    code, rows, out = lq("writes qa_pvti_mem")
    assert [(r["line"], r["write_kind"]) for r in rows] == [(16, "assign"), (19, "whole-object")], out
    code, rows, out = lq("writes qa_pvti_page.system_time")
    assert [(r["line"], r["write_kind"]) for r in rows] == [(17, "whole-object")], out
    code, rows, out = lq("writes qa_pvti_buf")
    assert [(r["line"], r["write_kind"]) for r in rows] == [(18, "whole-object")], out


@pytest.mark.parametrize("target, want", [
    # an unnamed union's members that cover the same bytes: rdx (bytes 16-23), edx (16-19),
    # dh (17); not rcx (8-15)
    ("qa_regs.edx", {(42, ""), (41, "qa_regs.rdx"), (43, "qa_regs.dh")}),
    ("qa_regs.dh", {(43, ""), (41, "qa_regs.rdx"), (42, "qa_regs.edx")}),
    ("qa_regs.rcx", {(44, "")}),
    ("qa_regs.eip", {(45, ""), (49, "qa_regs.rip")}),
    ("qa_regs.al", {(50, "")}),  # (gprs[0], rax, eax, ah: none written here)
    ("qa_regs.cr0", {(46, "")}),
    # a bit-field shares the storage of the union's `full`, not of the bit-fields beside it
    ("qa_vcpu_exit.code.basic", {(48, "qa_exit_code.full")}),
    ("qa_vcpu_exit.code.failed", {(47, ""), (48, "qa_exit_code.full")}),
    ("qa_vcpu_exit.code.full", {(48, ""), (47, "qa_exit_code.failed")}),
])
def test_union_members_share_storage_by_the_bytes_they_cover(lq, target, want):
    code, rows, out = lq(f"writes {target}")
    got = {(r["line"], r.get("via", "").removeprefix("union member ")) for r in rows
           if r["file"].endswith("qa_unions.c")}
    assert got == want, out


def test_a_member_written_through_a_local_pointer_to_it(lq):
    """`unsigned long *p = &c->seg[seg].base; ... *p = v + 1;` writes qa_seg_cache.base
    (say so: via the pointer); a store through a pointer parameter is no write of it."""
    code, rows, out = lq("writes qa_vmx_cache.seg.base")
    assert [(r["line"], r["value"], r.get("via")) for r in rows] == [
        (19, "v + 1", "pointer p = &c->seg[seg].base (line 16)")], out
    code, rows, out = lq("writes qa_seg_cache.selector")
    assert code == 1 and not rows, out


def test_a_store_through_a_pointer_member_is_no_write_of_it(lq):
    """`*c->ret = 7` stores where `ret` points; `c->ret = r` is the member's write."""
    code, rows, out = lq("writes qa_compat_check.ret")
    assert [(r["line"], r["value"]) for r in rows] == [(42, "r")], out


def test_callers_of_a_name_two_static_functions_have_say_which_one_each_reaches(lq):
    """Two `static qa_read_clock`: a direct call in qa_twin_a.c reaches that file's, the
    ops-table call reaches qa_twin_b.c's (where the table binds it); the answer says there
    are two."""
    code, rows, out = lq("callers qa_read_clock")
    got = {(r["file"].rsplit("/", 1)[1], r["line"], r.get("definition")) for r in rows}
    assert got == {("qa_twin_a.c", 12, "arch/x86/kvm/qa_twin_a.c:5"),
                   ("qa_twin_b.c", 20, "arch/x86/kvm/qa_twin_b.c:9")}, out
    r = CliRunner().invoke(cli, ["q", "callers qa_read_clock", "--index", str(lq.index)])
    assert "qa_read_clock has 2 definitions (arch/x86/kvm/qa_twin_a.c:5, " \
           "arch/x86/kvm/qa_twin_b.c:9)" in r.stderr, r.output
    assert "[reaches arch/x86/kvm/qa_twin_a.c:5]" in r.stdout, r.output


def test_flags_handed_to_a_function_that_tests_its_word_are_raised_there(lq):
    """`qa_tk_update(tk, QA_TK_MIRROR | QA_TK_CLOCK_WAS_SET)`, whose body tests `action &
    QA_TK_MIRROR`: the call asks for the action (a raise, as timekeeping_update's callers
    do); the test in the body is the consume."""
    code, rows, out = lq("raises QA_TK_MIRROR")
    assert sorted((r["function"], r["line"]) for r in rows) == [
        ("qa_tk_settime", 21), ("qa_tk_suspend", 26)], out
    code, rows, out = lq("consumes QA_TK_MIRROR")
    assert [(r["function"], r["line"]) for r in rows] == [("qa_tk_update", 13)], out
    code, rows, out = lq("raises QA_TK_CLOCK_WAS_SET")
    assert [(r["function"], r["line"]) for r in rows] == [("qa_tk_settime", 21)], out


def test_provenance_follows_a_local_named_like_a_member_of_the_value(lq):
    """`qa_apply_adj(tk, mult - tk->tkr_mono.mult)`: the local `mult` is a source of its own
    (its assignments in the caller), not taken for the member `.mult` the value also reads."""
    r = CliRunner().invoke(cli, ["provenance", "qa_tk.tkr_mono.mult", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    hops = [ln.strip() for ln in r.output.splitlines() if "qa_ntpmult.c" in ln]
    local = [h for h in hops if "[local mult]" in h]
    assert {h.split(": ", 2)[0].rsplit(":", 1)[1] for h in local} == {"17", "19", "20"}, r.output


def test_refs_list_designated_initializers_as_writes(lq):
    """`.qa_rating = 400,` in a table and in a local's initializer are writes of the member
    (the identifier scan skips names after `.`); the column is the designator's; one on the
    line above its value is found there."""
    code, rows, out = lq("refs qa_rating")
    assert code == 0, out
    got = sorted((r["line"], r["col"], r["ref_kind"]) for r in rows
                 if r["file"].endswith("qa_desig.c"))
    assert got == [(14, 3, "write"), (21, 26, "write"), (23, 11, "write")], out
    code, rows, out = lq("refs qa_rating_max kind write")
    assert [(r["line"], r["col"]) for r in rows] == [(15, 7)], out
    code, rows, out = lq("refs qa_rating kind read")
    assert code == 1 and not rows, out


def test_writes_of_a_whole_object_at_a_pointer_plus_an_offset(lq):
    """`memcpy(base + 1, base, sizeof(*base))` overwrites the object after *base, of the same
    type: a whole-object write of it, as `memcpy(base, ...)` is."""
    code, rows, out = lq("writes qa_rdbase.qa_lmult")
    assert code == 0, out
    got = sorted((r["line"], r.get("write_kind")) for r in rows if r["file"].endswith("qa_latch.c"))
    assert got == [(11, "whole-object"), (12, "whole-object")], out


def test_logline_ignores_the_letter_case_of_a_retyped_line_and_says_so(lq):
    """`Requested TSC Rate` for `requested TSC rate`: the statement is a whole match when
    case is ignored (scored a little lower than the exact line, spans from the line as
    given), not a near miss; the text output names the difference."""
    code, rows, out = lq("logline 'kvm: Requested TSC Rate 2100000 falls outside tolerance "
                         "[2399500,2400500]'")
    assert code == 0 and [(r["line"], r["mode"]) for r in rows][:1] == [(111, "full")], out
    exact = lq("logline 'kvm: requested TSC rate 2100000 falls outside tolerance "
               "[2399500,2400500]'")[1][0]
    assert rows[0]["case_differs"] and "case_differs" not in exact
    assert 0.6 < rows[0]["score"] < exact["score"], (rows[0], exact)
    assert [s["text"] for s in rows[0]["spans"] if s["arg"] >= 0] == \
        ["2100000", "2399500", "2400500"]
    r = CliRunner().invoke(cli, ["logline", "kvm: Requested TSC Rate 2100000 falls outside "
                                 "tolerance [2399500,2400500]", "--index", str(lq.index)])
    assert "[letter case differs; " in r.output, r.output
    # all in lower case (the format's `TSC` too): found the same way
    code, rows, out = lq("logline 'kvm: requested tsc rate 2100000 falls outside tolerance "
                         "[2399500,2400500]'")
    assert code == 0 and (rows[0]["line"], rows[0]["mode"]) == (111, "full"), out
    assert rows[0]["case_differs"], rows[0]


def test_raises_a_request_held_in_a_local_at_the_call_that_makes_it(lq):
    """`unsigned int req = C; ... qa_make_request_mask(kvm, req, mask)`: C is raised at the
    call (its via names the local), not at the local's initializer;
    a local set to another request before the call raises that one there."""
    code, rows, out = lq("raises KVM_REQ_QA_OUTSIDE")
    assert code == 0, out
    got = [(r["line"], r["via"]) for r in rows if r["file"].endswith("qa_reqlocal.c")]
    assert got == [(23, "qa_make_request_mask (req)")], out
    code, rows, out = lq("raises KVM_REQ_QA_OTHER")
    assert [r["line"] for r in rows] == [32], out


def test_provenance_leaves_out_a_store_the_calls_null_argument_rules_out(lq):
    """`qa_query_tick(&v, NULL)`: the store under `if (paux)` cannot run for this call, so
    its value (qa_aux_src) is no source of `v`; the other store's is."""
    r = CliRunner().invoke(cli, ["provenance", "qa_tickst.tsc", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    assert "qa_hw_ticks" in r.output and "qa_aux_src" not in r.output, r.output


def test_refs_of_a_member_named_like_a_function_read_the_member(lq):
    """`mmu->qa_pfault == qa_tdp_pfault` reads the member qa_pfault (no address of the function
    qa_pfault is taken there); `= qa_pfault` as a value is the function's address."""
    code, rows, out = lq("refs qa_pfault")
    assert code == 0, out
    got = sorted((r["line"], r["col"], r["ref_kind"]) for r in rows if r["file"].endswith("qa_memfn.c"))
    assert (18, 14, "read") in got and (23, 19, "addr") in got and (23, 7, "write") in got, got
    assert not any(k == "addr" and ln == 18 for ln, _c, k in got), got


@pytest.mark.parametrize("name", ["qa_pp_fastpath", "qa_pp_data", "qa_pp_inner"])
def test_parameter_names_of_prototypes_and_function_pointers_are_no_reads(lq, name):
    """A parameter name in a declaration without a body (a prototype, a function pointer
    member, a typedef, a local function pointer) names nothing read there."""
    code, rows, out = lq(f"refs {name}")
    assert [r for r in rows if r["ref_kind"] == "read"] == [], out


def test_a_definitions_parameter_read_stays_and_its_prototypes_does_not(lq):
    code, rows, out = lq("refs qa_pp_gpa kind read")
    assert [(r["line"]) for r in rows] == [17], out


def test_callees_through_a_table_include_what_a_function_it_is_handed_to_stores(lq):
    """`qa_xf_nested_setup(qa_xf_handlers)` stores `exit_handlers[..] = qa_xf_handle_vmread`:
    callees of the dispatch list it, as callers of the handler already did."""
    code, rows, out = lq("callees qa_xf_handle_exit")
    assert code == 0, out
    assert {r["symbol"] for r in rows} >= {"qa_xf_handle_io", "qa_xf_handle_vmread"}, out
    code, rows, out = lq("callers qa_xf_handle_vmread")
    assert [r["function"] for r in rows] == ["qa_xf_handle_exit"], out


def test_a_path_ruled_out_by_the_exclusive_groups_says_so(lq):
    """SVM code reaching VMX code through common code: paths exist, the profile's
    exclusive_paths rule them out, and the message names that (not a `case` label)."""
    r = CliRunner().invoke(cli, ["q", "path qa_xg_shutdown_interception -> qa_xg_vmx_vmexit",
                                 "--index", str(lq.index)])
    assert r.exit_code == 1, r.output
    assert "mixes code the profile keeps apart" in r.output and "case" not in r.output, r.output
    r = CliRunner().invoke(cli, ["q", "path qa_xg_vcpu_reset -> qa_xg_vmx_vmexit",
                                 "--index", str(lq.index)])
    assert r.exit_code == 0 and "qa_xg_vmx_leave_nested" in r.output, r.output


def test_provenance_follows_a_helpers_argument_once_through_its_parameter(lq):
    """`qa_div_ret(.., lo)`: `lo` is shown as the helper's argument 2, under its return, its
    writes once (beside, a `[local lo: shown above]` marker at most: audit T D5 showed that
    such a marker can stand for writes no node beside shows, so it stays)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_sys_time.qa_scale", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    top = [ln for ln in r.output.splitlines() if ln.startswith("  <-")]
    assert "return of qa_div_ret()" in top[0] and all(
        "shown above" in t for t in top[1:]), r.output
    assert "argument 2 (b) of qa_div_ret()" in r.output, r.output
    assert r.output.count("(u32)freq  [local lo]") == 1, r.output


def test_consumes_of_a_flag_bit_names_the_calls_its_branch_runs(lq):
    """`if (action & QA_TKF_CLEAR_NTP) { qa_tkf_ntp_clear(); }`: the test's runs and
    guard_end, as for a request's tester; a negated test guards nothing."""
    code, rows, out = lq("consumes QA_TKF_CLEAR_NTP")
    assert [(r["line"], r["runs"], r["guard_end"]) for r in rows] == [
        (17, ["qa_tkf_ntp_clear"], 19)], out
    code, rows, out = lq("consumes QA_TKF_MIRROR")
    got = {r["line"]: (r["runs"], r["guard_end"]) for r in rows}
    assert got[20] == (["qa_tkf_mirror"], 21), out
    assert got.get(22, ([], None)) == ([], None), out


def test_provenance_of_a_helpers_return_leaves_out_the_writes_of_what_it_is_handed(lq):
    """`qa_vg_get(&qa_vg_gtod.raw_clock, v)`: the value is the helper's return (`v *
    clock->mult`, traced to the mult write), not every write of raw_clock (`mode`)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_vg_out.ns", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    assert "return of qa_vg_get()" in r.output and "qa_vg_update: m" in r.output, r.output
    assert ":13:" not in r.output, r.output  # (the `mode = 3` write)


def test_provenance_through_a_static_functions_parameter_takes_its_own_files_calls(lq):
    """qa_twst_update is static in two files: the parameter of qa_twst_a.c's comes from the
    call in that file (11), not from qa_twst_b.c's call of its own function (22)."""
    code, rows, out = lq("provenance qa_twst_out.v")
    assert code == 0, out
    args = [n for n in _nodes(rows) if n.get("hop", "").startswith("argument 1 (x) of qa_twst_update")]
    assert [(n["file"].rsplit("/", 1)[-1], n.get("value")) for n in args] == [
        ("qa_twst_a.c", "11")], out


def test_writes_include_a_struct_copied_whole_into_a_variable(lq):
    """`qa_scs_refined = qa_scs_jiffies;` (a global) and `snap = qa_scs_refined;` (a local)
    copy every member: whole-object writes of qa_scs.qa_scs_mult."""
    code, rows, out = lq("writes qa_scs.qa_scs_mult")
    assert code == 0, out
    got = sorted((r["line"], r["write_kind"]) for r in rows if r["file"].endswith("qa_structcopy.c"))
    assert got == [(7, "designated"), (17, "whole-object"), (18, "whole-object"), (20, "assign")], got


def test_a_system_call_is_an_entry_point_of_paths(lq):
    """SYSCALL_DEFINE1(qa_adjtime, ...) is a system call (the profile's [entry.decl_macros]):
    `raises ... | paths` starts there."""
    code, rows, out = lq("raises QA_SC_CLOCK_WAS_SET | paths")
    assert code == 0, out
    starts = [p[0] for r in rows for p in r.get("paths") or []]
    assert [(h["function"], h.get("entry")) for h in starts] == [("qa_adjtime", "syscall")], out


def test_provenance_gives_each_root_a_share_of_the_hops(lq, monkeypatch):
    """With few hops to spend, the first root's long chain does not take them all: the last
    root's source (the global's write) is still shown, not `not followed`."""
    from vmxref.queries import provenance
    monkeypatch.setattr(provenance, "MAX_NODES", 5)
    monkeypatch.setattr(provenance, "MIN_ROOT_NODES", 2, raising=False)
    sc = api.open_scope(lq.index, "linux-kvm@qa")
    roots = api.run_query(sc, "provenance qa_fair_t.qa_fair_v")
    last = [r for r in roots if r.function == "qa_fair_second"]
    assert last and [(n.get("line"), n.get("hop")) for n in last[0].extra["from"]] == [
        (10, "global qa_fair_src")], [r.extra["from"] for r in roots]


def test_logline_says_when_it_matched_without_a_module_prefix_the_file_does_not_print(lq):
    """qa_clock.c defines no pr_fmt: `kvm: requested TSC rate ...` is its statement's output
    only without `kvm: ` (a newer kernel's prefix); the answer says so."""
    code, rows, out = lq("logline 'kvm: requested TSC rate 2100000 falls outside tolerance "
                         "[2399500,2400500]'")
    assert code == 0 and rows[0]["line"] == 111 and rows[0]["module_prefix"] == "kvm", rows[0]
    r = CliRunner().invoke(cli, ["logline", "kvm: requested TSC rate 2100000 falls outside "
                                 "tolerance [2399500,2400500]", "--index", str(lq.index)])
    assert "matched without the line's `kvm: `" in r.output, r.output


def test_a_callback_the_corpus_also_calls_is_an_entry_of_paths(lq):
    """qa_rs_timekeeping_resume is stored in a member nothing in the corpus calls through
    (the syscore core calls it) and is called directly too: paths start there."""
    code, rows, out = lq("raises QA_RS_WAS_SET | paths")
    assert code == 0, out
    starts = [(p[0]["function"], p[0].get("entry")) for r in rows for p in r.get("paths") or []]
    assert ("qa_rs_timekeeping_resume", "also callback qa_rs_syscore_ops.qa_rs_resume") in starts, out


def test_refs_of_a_name_a_macro_only_pastes_are_no_address_of_the_function(lq):
    """`QA_X86_OP(qa_op_load)` pastes its argument into names (`qa_x86_##func`, `->func`):
    a read of the word, not the address of the global function qa_op_load; a macro that
    stores its argument (`.fn = (f)`) would take the address."""
    code, rows, out = lq("refs qa_op_load")
    got = {(r["line"], r["ref_kind"]) for r in rows if r["file"].endswith("qa_xops.c")}
    assert (14, "read") in got and (14, "addr") not in got, got


def test_a_macro_that_assigns_its_argument_writes_an_element_handed_to_it(lq):
    """`get_debugreg(a->qa_dbr_db[0], 0)` ([writes] assigns_args: get_debugreg = [1]) sets
    element 0 of qa_dbr_db: a write of the member (audit U, D4)."""
    code, rows, out = lq("writes qa_dbr_arch.qa_dbr_db")
    assert sorted(r["line"] for r in rows if r["file"].endswith("qa_dbreg.c")) == [8, 9], out
    code, rows, out = lq("reads qa_dbr_arch.qa_dbr_db")
    assert [r for r in rows if r["file"].endswith("qa_dbreg.c")] == [], out


def test_refs_of_a_member_whose_element_is_stored_say_write(lq):
    """`a->qa_dbr_db[i] = v` stores an element of the member: `refs ... kind write` lists it,
    as `writes` does (audit U, D7)."""
    code, rows, out = lq("refs qa_dbr_db kind write")
    assert [r["line"] for r in rows if r["file"].endswith("qa_dbr2.c")] == [8], out


def test_a_parenthesised_address_of_a_member_is_no_whole_read_of_it(lq):
    """`qa_pa_queue(&(svm->vcpu), 1)` hands the member's address to a function of the corpus
    (its own reads are listed there): no whole-object copy; `return (svm->vcpu)` copies it
    (audit U, D3)."""
    code, rows, out = lq("reads qa_pa_vcpu.qa_pa_ready")
    got = [(r["line"], r["ref_kind"]) for r in rows if r["file"].endswith("qa_parenaddr.c")]
    assert got == [(18, "whole-object")], out


def test_a_receiver_cast_by_a_macro_is_of_the_cast_struct(lq):
    """`qa_ec_emul_to_vcpu(ctxt)->arch.x = 1`, the macro being `((struct qa_ec_vcpu *)...)`:
    a write of qa_ec_arch.x (the `struct` keyword was kept in the type, audit U D6)."""
    code, rows, out = lq("writes qa_ec_arch.qa_ec_halt_request")
    assert [r["line"] for r in rows] == [12], out


def test_a_provenance_hop_filled_through_an_argument_names_its_function():
    """QA (audit T, D6): a whole-object hop whose op is the argument (`&2`) read `filled by
    &2()`; it names the function and the argument, as a root does."""
    from vmxref.queries.provenance import _shown_value
    assert _shown_value({"write_kind": "whole-object", "op": "&2",
                         "value": "CPUMR3CpuIdGetLeaf(pVM, &CpuLeaf, 1, 0)"}) == \
        "filled by CPUMR3CpuIdGetLeaf(), argument 2"
    assert _shown_value({"write_kind": "whole-object", "op": "memcpy",
                         "value": "memcpy(d, s, n)"}) == "filled by memcpy()"


def test_provenance_leaves_out_a_branch_a_false_passed_through_a_wrapper_rules_out(lq):
    """`qa_kt_internal(false)` -> `qa_kt_raw(check)`: `if (check) v = qa_kt_sync_get()` cannot
    run on this way; `else v = qa_kt_sync_nocheck()` is the value (audit T, D4)."""
    r = CliRunner().invoke(cli, ["provenance", "qa_kt_state.qa_kt_tsc", "--index", str(lq.index)])
    assert r.exit_code == 0, r.output
    assert "qa_kt_sync_nocheck()" in r.output and "qa_kt_sync_get()" not in r.output, r.output


def test_an_array_size_macro_reads_no_value_of_its_operand(lq):
    """`ARRAY_SIZE(a->qa_as_db)` is sizeof(a)/sizeof(a[0]): a sizeof operand, no read (audit
    U, D5); the element read below it is one."""
    code, rows, out = lq("reads qa_as_arch.qa_as_db")
    assert [r["line"] for r in rows] == [10], out
    code, rows, out = lq("refs qa_as_db kind sizeof")
    assert [r["line"] for r in rows] == [8], out


def test_bits_set_through_a_local_pointer_to_a_member_are_writes_of_it(lq):
    """`bitmap = &arch->qa_ba_sources; ... set_bit(id, bitmap)` changes the member in place
    (the profile's bit_sets); `find_first_zero_bit(bitmap, ..)` only reads (audit U, D2)."""
    code, rows, out = lq("writes qa_ba_arch.qa_ba_sources")
    assert [(r["line"], r["write_kind"]) for r in rows] == [(11, "compound")], out
    assert rows[0]["via"].startswith("pointer bitmap = &arch->qa_ba_sources"), out


def test_refs_of_an_array_member_handed_to_a_function_that_writes_it_say_write(lq):
    """`qa_ap_update(d->qa_ap_pir)` changes the array (as `writes` lists it); the read-only
    `find_last_bit(d->qa_ap_pir, 256)` is a read (audit U, D8)."""
    code, rows, out = lq("refs qa_ap_pir")
    got = [(r["line"], r["ref_kind"]) for r in rows if r["file"].endswith("qa_arrpass.c")]
    assert got == [(13, "write"), (14, "read")], out


def test_a_pasted_call_after_else_is_no_definition(lq):
    """`else qa_clear_bitmap_##rw(msr);` in a macro body calls the function: its use
    (line 27) defines qa_nested_intercept_write only; qa_clear_bitmap_write is defined by
    BUILD_QA_BITMAP_HELPER's use (line 16)."""
    p = "arch/x86/kvm/qa_pastecall.c"
    _code, rows, out = lq("def qa_clear_bitmap_write")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 16)], out
    _code, rows, out = lq("def qa_nested_intercept_write")
    assert [(r["file"], r["line"]) for r in rows] == [(p, 27)], out


def test_def_of_a_variable_a_file_scope_macro_defines(lq):
    """`static DECLARE_WORK(qa_gtod_work, fn);` and `DEFINE_MUTEX(qa_notifier_lock);` read as
    calls at file scope: the profile's [symbols.defining_macros] makes them the variables'
    definitions, with the type the table gives; the work function is no variable."""
    p = "arch/x86/kvm/qa_notifier.c"
    for name, line, typ in (("qa_gtod_work", 110, "struct work_struct"),
                            ("qa_notifier_lock", 108, "struct mutex")):
        _code, rows, out = lq(f"def {name}")
        assert [(r["file"], r["line"], r["sym_kind"], r.get("type")) for r in rows] == [
            (p, line, "global", typ)], out
    _code, rows, out = lq("def qa_gtod_work_fn")
    assert [r["sym_kind"] for r in rows] == ["function"], out


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("010", 8), ("0x1f", 31), ("0X1FUL", 31), ("4U", 4), ("1ULL", 1), ("09", None),
    ("0x", None), ("", None), ("12a", None)])
def test_c_integer_literals(text, value):
    """feasible._number read `010` with int(x, 0), which raised ValueError (a path query
    through a call passing it crashed); C's 010 is octal 8."""
    from vmxref.conditions import c_int
    from vmxref.queries.feasible import c_int as feasible_reader  # (what the switch check uses)
    assert c_int(text) == value
    if text and value is not None:
        assert feasible_reader(text) == value


def test_callee_rows_say_what_they_name(lq):
    """`callee_kind`: a function of the corpus, a macro (a use, no call of a function), or
    unknown (declared outside the corpus)."""
    _code, rows, out = lq("callees qa_notifiers_init")
    kinds = {(r["symbol"], r["edge"], r["callee_kind"]) for r in rows}
    assert kinds == {("qa_gtod_register_notifier", "direct", "function"),
                     ("qa_register_oom_notifier", "direct", "macro"),
                     ("qa_raw_notifier_chain_register", "macro", "function")}, out
    _code, rows, out = lq("callees qa_gtod_update")
    assert {r["symbol"]: r["callee_kind"] for r in rows}["qa_raw_notifier_call_chain"] == \
        "function", out
