"""Calls through a member of a parameter that a static object's function cannot come from
(vmxref/queries/reaches.py), on a small Linux-style notifier fixture of its own."""
from __future__ import annotations

from pathlib import Path

import pytest
from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "reaches_s32"
CHAIN = "virt/kvm/tick_chain.c"


@pytest.fixture(scope="module")
def fq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIX, "linux-kvm@t")


@pytest.fixture(scope="module")
def callers(fq):
    def run(func: str) -> set[tuple[str, str]]:
        code, rows, out = fq("callers", func)
        assert code == 0, out
        return {(x["function"], x["file"]) for x in rows if x["function"] != "-"}
    return run


@pytest.mark.parametrize("func, expected", [
    # handed to tick_watch_add through tick_watch_add_wrapped: its call of the block it is
    # handed may be this one; the exported tick_module_notifier_register is called by no
    # code of the tree, and code outside cannot name a static object
    ("kvmtick_clock_notify", {"tick_chain_fire", "tick_watch_add"}),
    # registered on the chain only: tick_watch_add's callers hand it other blocks, the
    # address of a holder's own member through a local, and a holder's `held` member, which
    # is set to that own member or to the block tick_holder_set is handed (another one)
    ("kvmtick_quiet_notify", {"tick_chain_fire"}),
    # handed to tick_holder_set, which stores it in `held`: tick_holder_replay hands that
    # member to tick_watch_add
    ("kvmtick_late_notify", {"tick_chain_fire", "tick_watch_add"}),
    # handed to tick_watch_add directly, in the file that defines it
    ("tick_self_notify", {"tick_chain_fire", "tick_watch_add"}),
])
def test_member_calls_on_a_parameter_keep_to_the_objects_handed_to_it(callers, func, expected):
    got = callers(func)
    assert {f for f, _ in got} == expected
    assert all(path == CHAIN for _, path in got)


def test_a_function_handed_over_reaches_the_definition_where_it_is_named(fq):
    """Two kvmtick_native_clock: a static one in tick_native_a.c, handed to
    tick_sched_register there, and tick_native_b.c's, which other files see. The call
    through the registered pointer reaches the static one (named where it is passed)."""
    code, rows, out = fq("callers", "kvmtick_native_clock")
    assert code == 0, out
    got = {(x["function"], x.get("definition")) for x in rows}
    assert got == {("tick_sched_now", "arch/x86/kvm/tick_native_a.c:5"),
                   ("kvmtick_b_read", "arch/x86/kvm/tick_native_b.c:3")}, got


def test_a_call_through_a_function_pointer_member_reads_it(fq):
    """`tn->tick_call(..)` loads the member it calls: `reads` lists each such call (ref kind
    call), whichever function is stored there (audit Z: reads of a hook listed none)."""
    code, rows, out = fq("reads", "tick_notifier.tick_call")
    assert code == 0, out
    calls = {(r["function"], r["line"]) for r in rows if r.get("ref_kind") == "call"}
    assert calls == {("tick_chain_fire", 20), ("tick_watch_add", 29),
                     ("tick_module_notifier_register", 71)}, rows
