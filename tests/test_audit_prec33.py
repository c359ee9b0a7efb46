"""Audit prec33 (precision of the indirect call edges) on small fixtures of its own."""
from __future__ import annotations

from pathlib import Path

import pytest

from cliquery import indexed_cli

VBOX = Path(__file__).parent / "fixtures" / "audit_prec33_vbox"
LINUX = Path(__file__).parent / "fixtures" / "audit_prec33_linux"
REQ = "src/VBox/VMM/VMMR3/PrqReq.cpp"


@pytest.fixture(scope="module")
def vq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, VBOX, "virtualbox-vmm@t", fulltext=False)


@pytest.fixture(scope="module")
def lq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, LINUX, "linux-kvm@t", fulltext=False)


def _rows(q, *args):
    code, rows, out = q(*args)
    return (rows if code == 0 else []), out


def test_a_member_value_handed_on_is_called_only_through_the_union_member_of_its_arity(vq):
    """The wrapper hands the value of PRQOSIDMESG.pfnQueryLog, with three arguments, to the
    request API, which calls it through u.pfn00, u.pfn01 or u.pfn03 of a local union: only
    u.pfn03 can call the three-argument function bound to that member (before: all three,
    as `the value of PRQOSIDMESG.pfnQueryLog passed at ..`; a function handed over by its
    own name was already held to the count)."""
    rows, out = _rows(vq, "callers", "prqR3OSEmtIDmesg_QueryLog")
    assert [r["text"].split(":")[0].strip() for r in rows] == ["case 3"], out
    assert rows[0]["edge"] == "pointer" and "u.pfn03 aliases u.pfn" in rows[0]["via"], out


def test_a_name_a_macro_only_names_is_no_function_handed_over(vq):
    """A function's name given to a macro that stringifies it (`#name`), names a member with
    it (RT_UOFFSETOF(type, member)) or casts it to void is handed to nothing: no
    `registered` row (before: one each). A macro that hands its argument to a function
    still registers it."""
    for func in ("prqGstPAEWalkName", "prqR0ThreadCtxCallback"):
        rows, out = _rows(vq, "callers", func)
        assert rows == [], (func, out)
    rows, out = _rows(vq, "callers", "Event")
    assert [(r["line"], r["edge"]) for r in rows] == [(144, "direct")], out
    rows, out = _rows(vq, "callers", "prqR3Worker")
    assert [(r["edge"], r["via"]) for r in rows] == [
        ("registered", "PRQ_REGISTER_WORKER(..., prqR3Worker, ...)")], out


def test_a_pasted_instance_name_called_at_once_is_a_call_of_the_template_function(vq):
    """`PRQ_GST_NAME_PAE(Walk)(pVM, GCPtr)` calls the PAE instance of the template function
    Walk (defined as PGM_GST_DECL(int, Walk)): a direct call, its via naming the macro
    (before: `registered` through the pasting macro)."""
    rows, out = _rows(vq, "callers", "Walk")
    assert [(r["line"], r["edge"]) for r in rows] == [(135, "direct"), (136, "direct")], out
    assert rows[1]["via"] == "PRQ_GST_NAME_PAE(Walk) names an instance of Walk", out


def test_a_function_returned_as_a_value_is_not_stored(vq):
    """`return prqR3Picked;` hands the function back to the caller: no `stored` row with an
    empty member (before: `[stored: [], no call through it in the corpus]`)."""
    rows, out = _rows(vq, "callers", "prqR3Picked")
    assert rows == [], out


def test_a_call_through_a_member_in_a_macro_body_is_made_at_each_use(lq):
    """PRQ_EMULATOR_BUG_ON's body calls ctxt->ops->vm_bugged(ctxt): its use in
    prq_reg_read, with a `struct prq_emulate_ctxt *ctxt`, calls the function bound to
    prq_emulate_ops.vm_bugged (before: `stored`, no call through it in the corpus); the
    other struct's member of that name stays stored."""
    rows, out = _rows(lq, "callers", "prq_emulator_vm_bugged")
    assert [(r["function"], r["edge"]) for r in rows] == [("prq_reg_read", "ops-table")], out
    assert rows[0]["via"].endswith("; in PRQ_EMULATOR_BUG_ON())"), out
    rows, out = _rows(lq, "callers", "prq_other_vm_bugged")
    assert [r["edge"] for r in rows] == ["stored"], out
    rows, out = _rows(lq, "callers", "prq_emulate_ops.vm_bugged")
    assert [r["function"] for r in rows] == ["prq_reg_read"], out


def test_a_member_of_a_type_out_of_view_is_labelled_with_the_path_written(lq):
    """`prq_cpuinit.early_clock_init = f` stores f in a member of a global whose struct no
    file of the corpus declares: the stored row names the path written (before: the bare
    member, `[stored: early_clock_init, ...]`)."""
    rows, out = _rows(lq, "callers", "prq_setup_secondary_clock")
    assert [(r["function"], r["edge"]) for r in rows] == [("prq_clock_init", "stored")], out
    assert rows[0]["via"] == "prq_cpuinit.early_clock_init, no call through it in the corpus", out


def test_a_name_a_counting_variadic_macro_casts_to_void_is_no_function_handed_over(vq):
    """PRQ_UNUSED (prqdefs.h, IPRT's RT_NOREF technique) counts its arguments, pastes the
    count onto PRQ_VOID_ and calls the marker of that many names through PRQ_APPLY(a_Macro,
    a_ArgList), which casts each to void: the body's text cannot be followed there, the
    call's expansion can. A name only marked has no caller; a hook also handed to a
    registrar keeps that one `registered` row alone (before: a `registered` row for each
    PRQ_UNUSED too); a hook handed over by PRQ_REG_ALL, which counts the same way but
    hands each name to the registrar, is still registered. (PRQ_VOID_1 has two
    definitions, a void cast and a pragma naming its argument: neither reads it.)"""
    rows, out = _rows(vq, "callers", "prqR3UnusedHook")
    assert rows == [], out
    rows, out = _rows(vq, "callers", "prqR3CtxHook")
    assert [(r["line"], r["edge"], r["via"]) for r in rows] == [
        (201, "registered", "PRQR3RegisterHook(..., prqR3CtxHook, ...)")], out
    for func in ("prqR3EarlyHook", "prqR3LateHook"):
        rows, out = _rows(vq, "callers", func)
        assert [(r["line"], r["edge"], r["via"]) for r in rows] == [
            (204, "registered", f"PRQ_REG_ALL(..., {func}, ...)")], (func, out)


def test_a_counting_macro_one_of_whose_definitions_hands_the_name_over_registers_it(vq):
    """PRQ_KEEP dispatches like PRQ_UNUSED to PRQ_KEEP_1, which casts to void in one
    configuration and hands the name to the registrar in the other (PRQ_VOID_1's two
    definitions, void cast and pragma, both only name it): one definition reading the
    value is enough, the row stays."""
    rows, out = _rows(vq, "callers", "prqR3DebugHook")
    assert [(r["line"], r["edge"], r["via"]) for r in rows] == [
        (214, "registered", "PRQ_KEEP(..., prqR3DebugHook, ...)")], out


def test_a_counting_macro_in_a_path_is_no_step(vq):
    """The path from PRQR3InitHooks to prqR3CtxHook is the registrar's hand-over only."""
    code, rows, out = vq("path", "PRQR3InitHooks", "->", "prqR3CtxHook")
    assert code == 0, out
    assert {r["line"] for r in rows} == {201}, out
