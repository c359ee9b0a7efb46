"""Audit Z (s32, guest clock drift where KVM meets the rest of Linux) on a small Linux-style
fixture of its own: paravirt hooks called through a table from macros, a function kept in
a local object's member by a designated initializer and called through it, the running
task named by an object-like macro, system calls without parameters, and an in-place
division macro the corpus defines."""
from __future__ import annotations

from pathlib import Path

import pytest

from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "audit_z32"
PV = "arch/x86/include/asm/kvm_tkz_pv.h"
STOP = "arch/x86/kvm/tkz_stop.c"
SYS = "virt/kvm/tkz_sys.c"
KVM = "arch/x86/kernel/kvm.c"


@pytest.fixture(scope="module")
def zq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIX, "linux-kvm@t", fulltext=False)


def test_a_function_in_a_local_objects_member_is_called_through_it(zq):
    """tkz_stop_machine keeps its parameter fn in a local object (`struct tkz_stop_data sd
    = { .fn = fn, ... }`) whose address it hands on; tkz_multi_stop calls `sd->fn(..)`. So
    what tkz_stop_machine's callers pass is called there, as for a member assigned from a
    parameter (`p->fn = fn`)."""
    code, rows, out = zq("callers", "tkz_change_clock")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"], r["edge"]) for r in rows] == [
        (STOP, 20, "tkz_multi_stop", "pointer")], out
    assert "set from parameter fn of tkz_stop_machine" in rows[0]["via"], out


def test_a_variable_named_like_a_member_binds_no_function_to_it(zq):
    """`tkz_stop_fn_t fn; fn = tkz_flush_work;` stores into a local named fn, not into any
    struct's member fn: `sd->fn(..)` does not call tkz_flush_work."""
    code, rows, out = zq("callees", "tkz_multi_stop")
    assert code == 0, out
    assert [r["symbol"] for r in rows] == ["tkz_change_clock"], out


def test_the_running_task_macro_has_the_type_of_the_call_it_names(zq):
    """`#define tkz_current get_tkz_task()`: `tkz_current->restart.fn = f` writes a
    tkz_task's member, and the restart syscall's `r->fn(r)` calls what was stored there."""
    code, rows, out = zq("writes", "tkz_task.restart.fn")
    assert code == 0, out
    assert [(r["file"], r["line"], r["value"]) for r in rows] == [
        (STOP, 58, "tkz_no_restart")], out
    code, rows, out = zq("callers", "tkz_no_restart")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"], r["via"]) for r in rows] == [
        (SYS, 22, "tkz_restart", f"tkz_restart.fn (bound at {STOP}:58)")], out


def test_a_paravirt_macro_calls_the_member_its_argument_names(zq):
    """`PVOP_VCALL3(cpu.write_msr, ...)` calls pv_ops.cpu.write_msr (in inline assembly):
    the functions bound to that member, in pv_ops' initializer or assigned later, are called
    there, with or without other arguments; and the callees of the wrapper are they."""
    code, rows, out = zq("callers", "tkz_native_write_msr")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"], r["edge"], r["via"]) for r in rows] == [
        (PV, 35, "tkz_write_msr", "ops-table",
         f"tkz_cpu_ops.write_msr (bound at {KVM}:26)")], out
    for fn, line in (("tkz_native_flush", 27), ("tkz_kvm_flush", 37)):
        code, rows, out = zq("callers", fn)
        assert code == 0, out
        assert [(r["file"], r["line"], r["function"], r["via"]) for r in rows] == [
            (PV, 41, "tkz_flush", f"tkz_cpu_ops.flush (bound at {KVM}:{line})")], out
    code, rows, out = zq("callees", "tkz_read_msr")
    assert code == 0, out
    assert [(r["line"], r["symbol"]) for r in rows] == [(30, "tkz_native_read_msr")], out


def test_a_system_call_without_parameters_is_a_function_and_an_entry(zq):
    """SYSCALL_DEFINE0(tkz_clock_gettime) defines tkz_clock_gettime, a system call: an
    entry point of the paths to what it calls."""
    code, rows, out = zq("def", "tkz_clock_gettime")
    assert code == 0, out
    assert [(r["file"], r["line"], r["sym_kind"]) for r in rows] == [(SYS, 13, "function")], out
    code, rows, out = zq("q", "calls tkz_read_guest_clock | paths from entry")
    assert code == 0, out
    assert [(r["line"], r["function"]) for r in rows] == [(15, "tkz_clock_gettime")], out
    assert [(h["function"], h.get("entry")) for h in rows[0]["paths"][0]] == [
        ("tkz_clock_gettime", "syscall")], out
    code, rows, out = zq("def", "tkz_clock_settime")
    assert code == 0 and [(r["line"], r["col"]) for r in rows] == [(25, 17)], out


def test_a_modifies_args_macro_the_corpus_defines_is_one_write(zq):
    """do_div is in the profile's [writes] modifies_args and, here, defined in the corpus
    too: `do_div(loops, 250)` is one compound write of loops, not also the `>>=` and `=` of
    the macro's body (whose values name the macro's own locals)."""
    code, rows, out = zq("writes", "loops")
    assert code == 0, out
    assert [(r["line"], r["op"]) for r in rows] == [(43, "="), (45, "do_div")], out


def test_a_startup_callback_handed_down_four_calls_is_called_by_the_invoker(zq):
    """tkz_hp_setup hands tkz_clock_setup_percpu on through __tkz_hp_setup and
    tkz_hp_setup_locked to tkz_hp_store, which keeps it in a step's member; tkz_hp_invoke
    calls that member through a local for any state it is given. The sentinel it stores
    (`st->fail = TKZ_HP_INVALID`) is no state it picks, so the registration's
    TKZ_HP_PREPARE_DYN does not rule the invoker out."""
    code, rows, out = zq("callers", "tkz_clock_setup_percpu")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"], r["edge"]) for r in rows] == [
        ("arch/x86/kvm/tkz_hotplug.c", 39, "tkz_hp_invoke", "pointer")], out
    assert "set from parameter startup of tkz_hp_store" in rows[0]["via"], out


def test_an_idt_entry_is_a_function_and_an_interrupt_entry_point(zq):
    """DEFINE_IDTENTRY_SYSVEC(sysvec_tkz_async_pf) { ... } defines sysvec_tkz_async_pf
    (before, its body's calls had no function and no caller); the CPU calls it: an entry
    point of kind interrupt."""
    code, rows, out = zq("callers", "tkz_async_pf_ack")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [
        (KVM, 57, "sysvec_tkz_async_pf")], out
    code, rows, out = zq("q", "calls tkz_async_pf_ack | paths from entry")
    assert code == 0, out
    assert [(h["function"], h.get("entry")) for h in rows[0]["paths"][0]] == [
        ("sysvec_tkz_async_pf", "interrupt")], out


def test_a_static_call_key_is_defined_where_define_static_call_names_it(zq):
    """`DEFINE_STATIC_CALL(tkz_sched_clock, tkz_native_sched_clock);` defines the key."""
    code, rows, out = zq("def", "tkz_sched_clock")
    assert code == 0, out
    assert [(r["file"], r["line"], r["sym_kind"]) for r in rows] == [(KVM, 66, "global")], out


def test_a_static_call_key_installed_from_a_member_calls_what_the_member_holds(zq):
    """`static_call_update(tkz_pmu_handle_irq, tkz_pmu.handle_irq)` installs whatever is
    stored in tkz_pmu_ops.handle_irq: `static_call(tkz_pmu_handle_irq)(regs)` calls
    tkz_intel_handle_irq, and callees of the handler say so."""
    code, rows, out = zq("callers", "tkz_intel_handle_irq")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"], r["edge"]) for r in rows] == [
        ("arch/x86/kvm/tkz_pmu.c", 38, "tkz_pmu_nmi_handler", "static-call")], out
    assert "via tkz_pmu_ops.handle_irq" in rows[0]["via"], out
    code, rows, out = zq("callees", "tkz_pmu_nmi_handler")
    assert code == 0 and [r["symbol"] for r in rows] == ["tkz_intel_handle_irq"], out


def test_a_notifier_embedded_in_each_vm_is_not_called_by_a_helper_never_handed_it(zq):
    """`vm->pm_notifier.notifier_call = f` binds f in a block embedded in struct tkz_vm;
    tkz_register_module_notifier (exported, called by no code of the corpus) calls the
    block handed to it, which can be no VM's: only code naming `pm_notifier` could hand
    one over. The chain walker's `nb->notifier_call(..)` (nb a local) stays."""
    code, rows, out = zq("callers", "tkz_vm_pm_notifier_call")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [
        ("virt/kvm/tkz_pm.c", 25, "tkz_call_chain")], out


T = "virt/kvm/tkz_tick.c"


def test_a_bit_number_handed_to_a_wrapper_that_ors_its_mask_in_is_raised(zq):
    """tkz_dep_set(bit) hands bit on to tkz_dep_set_all, whose body does
    `atomic_fetch_or(BIT(bit), dep)` (an or_stores API ORing the bit's mask): passing
    TKZ_DEP_BIT_CLOCK_UNSTABLE raises it; the clearing wrapper (atomic_andnot) does not."""
    code, rows, out = zq("raises", "TKZ_DEP_BIT_CLOCK_UNSTABLE")
    assert code == 0, out
    assert [(r["file"], r["line"], r["function"]) for r in rows] == [
        (T, 43, "tkz_clear_sched_clock_stable")], out


def test_a_function_named_with_the_rcu_prefix_is_not_erased(zq):
    """`__rcu` is an annotation the profile erases; `__rcu_tkz_enter_check_tick` is a
    function's name (the profile erased every `__rcu_*` name, Linux's __rcu_read_lock
    among them)."""
    code, rows, out = zq("def", "__rcu_tkz_enter_check_tick")
    assert code == 0 and [(r["file"], r["line"]) for r in rows] == [(T, 51)], out
    code, rows, out = zq("raises", "TKZ_DEP_BIT_RCU")
    assert code == 0, out
    assert [(r["line"], r["function"]) for r in rows] == [(54, "__rcu_tkz_enter_check_tick")], out


KC = "arch/x86/kernel/kvmclock.c"


def test_a_target_may_start_with_the_global_object_it_names(zq):
    """`writes tkz_platform.calibrate_tsc` names the object (a global of struct
    tkz_platform_ops), not its type: its writes are the member's (before, no results)."""
    code, rows, out = zq("writes", "tkz_platform.calibrate_tsc")
    assert code == 0, out
    assert [(r["line"], r["value"], r["container"]) for r in rows] == [
        (17, "tkz_native_calibrate_tsc", "tkz_platform_ops"),
        (29, "tkz_kvm_get_tsc_khz", "tkz_platform_ops")], out


def test_exporting_an_object_by_name_is_no_read_of_its_members(zq):
    """`EXPORT_SYMBOL_GPL(tkz_platform);` at file scope runs no code: it is no whole-object
    read of tkz_platform.flags; the copy into a local in tkz_recalibrate is one."""
    code, rows, out = zq("reads", "tkz_platform_ops.flags")
    assert code == 0, out
    assert (KC, 20) not in [(r["file"], r["line"]) for r in rows], out
    assert (KC, 35, "whole-object") in [(r["file"], r["line"], r.get("ref_kind")) for r in rows], out


def test_reads_of_a_named_object_keep_to_that_object(zq):
    """`reads tkz_platform.flags` names the object, as writes does: `saved.flags` of the local
    copy is another object's read (the type's reads list it); the call through its member
    reads the member (ref kind call)."""
    code, rows, out = zq("reads", "tkz_platform.flags")
    assert code == 0, out
    assert [r["line"] for r in rows] == [30, 35], out
    assert 37 in [r["line"] for r in zq("reads", "tkz_platform_ops.flags")[1]]
    rows = zq("reads", "tkz_platform.calibrate_tsc")[1]
    assert (38, "call") in [(r["line"], r.get("ref_kind")) for r in rows], rows
