"""The extraction steps in C: extract.Steps' twins over vmxref.indexer._tsnative.

Each method hands the captured nodes and the per-file state of extract._Ctx to one C pass
and puts what it returns where the Python step puts it (cx.f's lists, cx's sets and maps),
so that the facts are the same, in the same order (tests/test_tsnative.py,
bench/twins.py). The C passes call back into Python for the rare cases kept there (the
profile's function_name_arg, logfmt's format functions, an assignment of an initializer
list, the state of initializer / pasting / name-template macros: _macro_state)."""
from __future__ import annotations

from vmxref import logfmt
from vmxref.indexer import extract as ex, guards, macros
from vmxref.ctext import KEYWORDS, NOT_CALLS, PRIMITIVE_TYPES
from vmxref.schema import SYM_STATIC


class CSteps(ex.Steps):
    """extract.Steps with each step done by a pass of the C module `mod`."""

    def __init__(self, cx, mod):
        super().__init__(cx)
        self.m = mod
        self.cc = mod.Ctx(cx.src, cx.norm)  # the file's texts, newlines and function spans
        if cx._ucs:  # (the rewritten macro uses texts are widened over: _Ctx._widen)
            self.cc.set_uses(_flat(cx._ucs), _flat(cx._uce))

    def functions(self, nodes) -> None:
        cx = self.cx
        if nodes:
            prof = cx.profile
            syms, refs, cx.fstarts, cx.fends, cx.fnames, macro_fn = self.m.functions(
                nodes, self.cc, cx.struct_names,
                prof.function_name_arg if prof is not None else None, cx.decl_names,
                cx.fn_sym_at, len(cx.f.syms), SYM_STATIC)
            cx.f.syms += syms
            cx.f.refs += refs
            if macro_fn:
                cx.macro_fn = True
        self.cc.set_functions(cx.fstarts, cx.fends, cx.fnames)

    def guards(self, conds) -> None:
        if conds:
            cx = self.cx
            cx.f.guards += self.m.guards(conds, self.cc, guards.MAX_COND)

    def structs(self, nodes) -> None:
        if nodes:
            cx = self.cx
            cx.f.syms += self.m.structs(nodes, self.cc, cx.struct_names, cx.decl_names)

    def defines(self, nodes) -> None:
        if nodes:
            cx = self.cx
            syms, refs, offsets = self.m.defines(nodes, self.cc, KEYWORDS)
            cx.f.syms += syms
            cx.f.refs += refs
            cx.decl_names.update(offsets)

    def fmacros(self, nodes) -> None:
        if nodes:
            cx = self.cx
            self.m.fmacros(nodes, self.cc, KEYWORDS, NOT_CALLS, cx.decl_names, cx.f.syms,
                           cx.f.calls, cx.f.refs, cx.f.assigns, cx, _macro_state)

    def typedefs(self, nodes) -> None:
        if nodes:
            cx = self.cx
            cx.f.syms += self.m.typedefs(nodes, self.cc, cx.struct_names, cx.decl_names)

    def field_decls(self, nodes) -> None:
        if nodes:
            cx = self.cx
            cx.f.syms += self.m.field_decls(nodes, self.cc, cx.struct_names, cx.field_counts,
                                            cx.decl_names)

    def declarations(self, nodes) -> None:
        if nodes:
            cx = self.cx
            syms, calls, refs, assigns = self.m.declarations(
                nodes, self.cc, cx.struct_names, cx.init_macros, cx.decl_names, cx.macro_args,
                cx.call_fn_nodes, ex._COMMENT_DESIGNATOR, SYM_STATIC)
            cx.f.syms += syms
            cx.f.calls += calls
            cx.f.refs += refs
            cx.f.assigns += assigns

    def enums(self, nodes) -> None:
        if nodes:
            cx = self.cx
            cx.f.syms += self.m.enums(nodes, self.cc, cx.decl_names)

    def calls(self, nodes) -> None:
        cx = self.cx
        if not nodes or type(cx.fills) is not dict:
            super().calls(nodes)
            return
        self.m.calls(
            nodes, self.cc, *cx.ppcond_spans, cx.cond_starts, cx.cond_ends, cx.call_fn_nodes,
            cx.write_nodes, cx.fills, cx.struct_names, cx.dialect, logfmt.inline_literals,
            ex._literal_keys, ex._unescape, ex.STATIC_CALL, ex.WHOLE_OBJECT_WRITERS, cx.f.calls,
            cx.f.logcalls, cx.f.assigns)

    def writes(self, assign, update, ptr, asmout, case, ret) -> None:
        cx = self.cx
        self.m.writes(assign, update, ptr, asmout, case, ret, self.cc, cx.f.assigns, cx.f.cases,
                      cx.write_nodes, cx.addr_nodes, cx.struct_names, ex.WHOLE_OBJECT_WRITERS,
                      cx, ex._initializer)

    def field_refs(self, nodes, special) -> None:
        if nodes:
            cx = self.cx
            cx.f.refs += self.m.field_refs(nodes, self.cc, special, *cx.sizeof_spans,
                                           cx.struct_names)

    def ident_refs(self, text: bytes, tids, special) -> None:
        """(`text` is the normalised text, which the Ctx holds)"""
        cx = self.cx
        refs, offsets = self.m.type_refs(list(tids), self.cc, cx.decl_names, cx.macro_args)
        cx.f.refs += refs
        cx.f.refs += self.m.ident_refs(self.cc, cx.decl_names, set(offsets), KEYWORDS,
                                       *cx.sizeof_spans, special, PRIMITIVE_TYPES)

    def receiver_types(self, f) -> None:
        f.assigns = self.m.receiver_types(f.syms, f.assigns)


def _flat(by: dict) -> list[int]:
    """{key: [(a, b, c), ...]} as [key, a, b, c, ...] sorted by key (Ctx.set_uses)."""
    return [x for k in sorted(by) for row in by[k] for x in (k, *row)]


def _macro_state(cx, nm, name: str, own: list[str], body: str, which: int) -> None:
    """The per-file state of a function-like macro (the end of macros.definition), called by
    the C pass `fmacros` when the body has a `{` first or a `##`: the helpers that can find
    something in it (`which`: 1 initializer, 2 pasting, 4 name-template macros; the others
    would return without a trace), in macros.definition's order."""
    val = nm.parent.child_by_field_name("value")
    if which & 1:
        macros._initializer_macro(cx, name, own, val)
    if which & 2:
        macros._pasting_macro(cx, name, own, val)
    if which & 4:
        macros._name_template(cx, name, own, body)
