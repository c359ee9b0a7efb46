"""Audit Z (s32, guest clock drift where KVM meets the rest of Linux) on a small Linux-style
fixture of its own: a function kept in a local object's member by a designated initializer
and called through it, a callback handed down four calls, the running task named by an
object-like macro, and an in-place division macro the corpus defines."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import api
from vmxref.cli import cli

FIX = Path(__file__).parent / "fixtures" / "audit_z32"
PV = "arch/x86/include/asm/kvm_tkz_pv.h"
STOP = "arch/x86/kvm/tkz_stop.c"
SYS = "virt/kvm/tkz_sys.c"
KVM = "arch/x86/kernel/kvm.c"


@pytest.fixture(scope="module")
def zq(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit-z32-index")
    api.index(str(FIX), "linux-kvm@t", d, procs=1, fulltext=False)

    def run(*args: str) -> tuple[int, list[dict], str]:
        r = CliRunner().invoke(cli, [*args, "--json", "--index", str(d)])
        rows = [json.loads(x) for x in r.stdout.splitlines()] if r.exit_code == 0 else []
        return r.exit_code, rows, r.output
    return run


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
    tkz_task's member."""
    code, rows, out = zq("writes", "tkz_task.restart.fn")
    assert code == 0, out
    assert [(r["file"], r["line"], r["value"]) for r in rows] == [
        (STOP, 58, "tkz_no_restart")], out


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
