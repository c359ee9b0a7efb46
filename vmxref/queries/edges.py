"""Call edges, direct and indirect, computed lazily around one function at a time.

Edge kinds (each indirect edge says how it was resolved in `via`):
- direct      `f(x)`
- ops-table   `ops->set_msr(...)` / `kvm_x86_ops.set_msr(...)` to every function bound to that
              member (designated initializer `.set_msr = vmx_set_msr`, runtime `ops->fn = f`),
              the member's struct checked by receiver type when it resolves
- static-call `static_call(kvm_x86_set_msr)(...)`, mapped to the member by the profile's
              [callgraph] static_call prefixes (KVM_X86_OP declarations)
- pointer     a call through a table element (`handlers[reason](vcpu)`) or through a
              function-pointer parameter (`do_msr(...)` in `__msr_io`, bound by its callers)
- registered  a function handed to another function as a value (`INIT_DELAYED_WORK(&w, fn)`)
- queued      the call that queues the object a function was registered with
              (`schedule_delayed_work(&w, ..)`; vmxref.queries.workqueue)
- stored      (not a call: `Graph.stored_only`) a function stored in a member or table that
              no call of the corpus goes through, for `callers` to show where it is hooked
"""
from __future__ import annotations

from collections.abc import Iterator

from vmxref.lazy import re, json

from vmxref.model import EDGE_KINDS, Record
from vmxref.schema import SOURCE_SUFFIXES, SYM_STATIC
from vmxref.queries.base import IN_SCOPE, Scope, marks, split_args
from vmxref.queries import ctxtypes, macroforms, reaches, staticcalls, templates
from vmxref.queries.macro_uses import arg_chain
from vmxref.queries.profiles import profile_section
from vmxref.queries.twins import twin_chains
from vmxref.queries.types import parse_chain, resolver


HANDED_DEPTH = 4  # calls a function handed to a call is followed through to its call or store
# (cpuhp_setup_state -> __cpuhp_setup_state -> .._cpuslocked -> cpuhp_store_callbacks)
# A function-like macro used in a function as no call expression: a loop macro that the
# profile's [macros] reads as `while` (`for_each_shadow_entry(vcpu, addr, it) { ... }`), kept
# as a `macro` reference in the function; its body's calls are made there all the same.
_LOOP_USE = "t.name = ? AND t.kind = 'macro' AND t.func != ''"


def loop_uses(sc, macro: str, limit: int) -> int:
    """How many such uses of `macro` there are, up to `limit` (0 when limit <= 0)."""
    return len(sc.rows("ref", _LOOP_USE, (macro,), "1", limit=limit)) if limit > 0 else 0


def macro_calls_of(sc, macro: str) -> list[tuple[str, str]]:
    """(kind, func) of the calls of `macro` from functions ('direct') and from the bodies of
    macros ('macro', func the macro) in the asked corpus versions, up to MAX_MACRO_USES + 1:
    the uses that decide whether a macro is used too often for its body's calls to be
    listed (the same answer whatever other versions the index holds)."""
    return [r[3:] for r in sc.rows("call", "t.callee = ? AND t.kind IN ('direct', 'macro')",
                                   (macro,), "t.kind, t.func", limit=MAX_MACRO_USES + 1)]


def loop_macros_in(sc, func: str) -> list[tuple]:
    """(corpus, path, blob, line, col, macro) of the macros `func` uses as no call expression
    (see _LOOP_USE), in its definitions' lines (memoised)."""
    memo = sc.memo("_loop_macros_in")
    if func not in memo:
        out = []
        for bid in sc.definitions(func):
            span = sc.function_lines(bid, func)
            if span:
                out += sc.rows("ref", "t.blob_id = ? AND t.line BETWEEN ? AND ? AND "
                               "t.kind = 'macro' AND t.func = ?", (bid, *span, func),
                               "t.line, t.col, t.name")
        memo[func] = out
    return memo[func]


MAX_MACRO_USES = 300  # a function called in the body of a macro used more often (the
#                       assertions) is not called by each use of it, as far as vmxref says


class Edge(Record):
    """One call edge caller -> callee at a call site."""

    __slots__ = ("cid", "path", "blob_id", "line", "col", "caller", "callee", "kind", "via",
                 "is_function", "origin", "bound", "bound_at")

    def __init__(self, cid: int, path: str, blob_id: int, line: int, col: int, caller: str,
                 callee: str, kind: str, via: str = "", is_function: bool = True,
                 origin: "Edge | None" = None, bound: tuple[str, str] | None = None,
                 bound_at: str = "") -> None:
        self.cid, self.path, self.blob_id, self.line, self.col = cid, path, blob_id, line, col
        self.caller, self.callee, self.kind, self.via = caller, callee, kind, via
        self.is_function = is_function
        # a call through a parameter: the call that passed the function (the one a call
        # path must come through: msr_io(.., do_set_msr) at KVM_SET_MSRS, not KVM_GET_MSRS)
        self.origin = origin
        # through a function table: (table struct, file of the table that binds the callee);
        # a call path keeps to one table of each struct (vmx_x86_ops or svm_x86_ops)
        self.bound = bound
        self.bound_at = bound_at  # (FILE:LINE of that binding: registered.py's object)


def _bound_at(where: str, note: str = "") -> str:
    """The end of an edge's `via`: where the callee was bound, and a note (`; ...`)."""
    if where:
        return f" (bound at {where}{'; ' + note if note else ''})"
    return f" ({note})" if note else ""


class Lazy:
    """A sequence made on demand and kept: each iteration replays what was made and takes
    more from the generator `make()` returns only as far as it is read. (A read that fails
    half-way leaves nothing half made: the next one begins again.)"""

    __slots__ = ("_make", "_gen", "_seen")

    def __init__(self, make) -> None:
        self._make, self._gen, self._seen = make, make(), []

    def __iter__(self) -> Iterator:
        i = 0
        while True:
            if i == len(self._seen):
                if self._gen is None:
                    return
                try:
                    nxt = next(self._gen, _END)
                except BaseException:
                    self._gen, self._seen = self._make(), []
                    raise
                if nxt is _END:
                    self._gen = None
                    return
                self._seen.append(nxt)
            yield self._seen[i]
            i += 1


_END = object()


class Graph:
    """Lazy call graph over a Scope: edges are looked up per function and memoised."""

    def __init__(self, sc: Scope):
        self.sc = sc
        self.types = resolver(sc)
        self._into: dict[str, list[Edge]] = {}
        self._out: dict[str, list[Edge]] = {}
        self._isfn: dict[str, bool] = {}
        self._seen_in: dict[str, frozenset[int] | None] = {}  # see visible
        self._fn_rows: dict[str, list[tuple]] = {}  # see _functions_named
        self._static_in: dict[tuple[str, int], bool] = {}  # see static_in
        self._private: dict[str, bool] = {}  # see private_file
        self._params: dict[str, list[str]] = {}
        self._slots: dict[tuple, list[tuple[str, str]]] = {}
        self._typed_vars: dict[str, list[str]] = {}
        self._slot_sites: dict[str, Lazy] = {}
        self._slot_recv: dict[tuple[int, int, int], list[str]] = {}  # member call -> receiver
        self._tables: set[str] = set()  # array variables functions are stored in
        self._macro_calls: dict[tuple[str, int], list[tuple]] = {}
        self._copied: dict[tuple[str, str, str], list[tuple]] = {}
        self._in_tables: set[tuple] = set()  # bindings in the elements of an array (tables)
        self._param_calls: dict[tuple[str, int, int], list[tuple]] = {}
        self._bindings: dict[str, list[tuple[str, str | None, str]]] = {}
        self._dangling: dict[str, list[tuple[str, str | None, str]]] = {}  # see stored_only
        # rows of into()'s three look-ups fetched ahead for many functions (see prefetch)
        self._pre_direct: dict[str, list[tuple]] = {}
        self._pre_bound: dict[str, list[tuple]] = {}
        self._value_refs: dict[str, list[tuple]] = {}
        self._calls_in: dict[tuple[int, str], list[tuple]] = {}
        self._passed: dict[str, list[Edge]] = {}
        # (blob, line, col) of a call through another member of a local union than the one
        # a function pointer was loaded into -> its number of arguments (_local_slot_calls):
        # only a function taking that many is called there (`u.pfn02(a, b)`)
        self.alias_calls: dict[tuple[int, int, int], int] = {}
        prof = profile_section(sc, "callgraph")
        self.static_prefixes: dict[str, str] = dict(prof.get("static_call", {}))

    def is_function(self, name: str) -> bool:
        if name not in self._isfn:
            r = self.sc.rows("sym", "t.name = ? AND t.kind = 'function'", (name,), "1", limit=1)
            self._isfn[name] = bool(r)
        return self._isfn[name]

    def names_function(self, bid: int, func: str | None, name: str) -> bool:
        """Does the identifier `name`, written in `func` of that blob, name a function? Not
        when `func` declares a parameter or local of that name (`int rc` is no call of
        some `rc()` method elsewhere), nor where the function is not visible (`visible`)."""
        return self.is_function(name) and self.visible(name, bid) and not (
            func and self.types.local_type(bid, func, name) is not None)

    def visible(self, name: str, bid: int) -> bool:
        """Can an identifier written in blob `bid` name the function `name`? Not when every
        definition and prototype of it is `static` in source files (.c, .cpp) other than
        that one, which no file includes: on all of Linux `out` is such a function of one
        file and, elsewhere, a label or a variable 62,000 times (handing it over cost a
        callees search 1.7 s, for edges that were not there). A static function of a
        header is seen by its includers, and one of an included source file (rt.c, which
        kernel/sched/build_policy.c includes with its siblings) by every file of that
        unit: both are visible everywhere, as is a name with no declaration."""
        if name not in self._seen_in:
            rows = self._functions_named(name)
            local = rows and all(r[3] & SYM_STATIC and r[1].endswith(SOURCE_SUFFIXES)
                                 for r in rows) and not self._included({r[1] for r in rows})
            self._seen_in[name] = frozenset(r[2] for r in rows) if local else None
        seen = self._seen_in[name]
        return seen is None or bid in seen

    def _functions_named(self, name: str) -> list[tuple]:
        """(corpus, path, blob, flags) of every definition and prototype of `name`."""
        rows = self._fn_rows.get(name)
        if rows is None:
            rows = self._fn_rows[name] = self.sc.rows(
                "sym", "t.name = ? AND t.kind IN ('function', 'prototype')", (name,), "t.flags")
        return rows

    def static_in(self, name: str, bid: int) -> bool:
        """Is `name` a `static` function of blob `bid`, a source file (.c, .cpp) that no file
        includes? Then only calls written in that file reach that definition: the graph's
        nodes are names, but SVM's and VMX's static grow_ple_window are two functions."""
        key = (name, bid)
        if key not in self._static_in:
            rows = [r for r in self._functions_named(name) if r[2] == bid]
            self._static_in[key] = bool(rows) and all(
                r[3] & SYM_STATIC and self.private_file(r[1]) for r in rows)
        return self._static_in[key]

    def private_file(self, path: str) -> bool:
        """Is `path` a source file (.c, .cpp) that no file includes (a translation unit of
        its own: its static functions are its own)?"""
        if path not in self._private:
            self._private[path] = path.endswith(SOURCE_SUFFIXES) and not self._included({path})
        return self._private[path]

    def _included(self, paths: set[str]) -> bool:
        """Does some file include a file of one of these base names (indexer/includes.py;
        by base name: it may answer yes too often, never no wrongly)?"""
        names = {p.rsplit("/", 1)[-1] for p in paths}
        return bool(self.sc.rows_in("incl", "t.name", names, "1", (), "1"))

    def params(self, func: str) -> list[str]:
        if func not in self._params:
            r = self.sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'param'", (func,), "t.name, t.pos")
            ps: dict[int, str] = {}
            for row in r:
                ps.setdefault(row[4], row[3])
            self._params[func] = [ps.get(i, "") for i in range(max(ps) + 1)] if ps else []
        return self._params[func]

    # --- bindings: function -> slots it is stored in -----------------------------------
    def bindings_of(self, func: str) -> list[tuple[str, str | None, str]]:
        """(slot, container struct or None, where) for each place `func` is stored as a value."""
        if func not in self._bindings:
            self._bindings[func] = self._compute_bindings(func)
        return self._bindings[func]

    def _compute_bindings(self, func: str) -> list[tuple[str, str | None, str]]:
        rows = self._pre_bound.pop(func, None)
        if rows is None:
            rows = self.sc.rows("assign", "t.value IN (?, ?) AND t.kind != 'out-param'",
                                (func, "&" + func), "t.chain, t.func, t.line")
        rows = list(rows) or macroforms.list_stores(self, func) or (  # (stored plainly
            # nowhere: through a list macro, a pasted template name, a table entry macro)
            macroforms.pasted_stores(self, func) + macroforms.entry_stores(self, func))
        rows = sorted(rows, key=lambda r: (r[1], r[5], r[0], r[3]))  # by place, not row order
        self.types.prime_locals((r[2], r[4], func) for r in rows if r[4])
        out = []
        for cid, path, bid, chain_t, fn, line in rows:
            if fn and self.types.local_type(bid, fn, func) is not None:
                continue  # (`x = rc` of a local `rc`, not of a function `rc`)
            chain = list(parse_chain(chain_t))
            steps = [s for s in chain[1:] if s not in ("*",)]
            is_table = steps and all(x == "[]" or x.startswith("#") for x in steps) and (
                steps[-1] == "[]" or self.types.is_array(self.types.base_type(bid, fn, chain[0])))
            if is_table and len(steps) > 1 and self.types.struct_path(bid, fn, chain):
                is_table = False  # { {.., vmR3HaltGlobal1Halt, ..}, ...}: a member of an element
            if is_table:
                slot, cont = chain[0].split(":", 1)[-1], None  # array of handlers
                self._tables.add(slot)
                passed = self._tables_passed(fn, slot)  # `exit_handlers[X] = f` into a
                # parameter array: the tables the callers pass (kvm_vmx_exit_handlers)
                for table in passed:
                    self._tables.add(table)
                    out.append((table, None, f"{path}:{line}"))
                if passed:
                    continue
            else:
                qual = self._qual(bid, fn, chain, path, line)
                slot = [s for s in steps if s != "[]"][-1] if steps else ""
                if qual:
                    cont, _, slot = qual[-1].rpartition(".")
                    if any(x == "[]" or x.startswith("#") for x in steps[:-1]):
                        self._in_tables.add((func, slot, cont, f"{path}:{line}"))
                else:
                    cont = None
                    if not steps and chain[:1] and chain[0].startswith("v:") and \
                            self._global_pointer(chain[0][2:]):
                        slot = chain[0][2:]  # `hv_read_reference_counter = read_hv_clock_tsc`
                    if slot.startswith("#"):
                        continue
                    if len(steps) == 1 and self._outside(bid, fn, chain[0]):  # a struct the
                        # corpus does not define: `kvm_preempt_ops.sched_in = kvm_sched_in`
                        outq = self.types.struct_path(bid, fn, chain, outside=True)
                        cont = outq[-1].rpartition(".")[0] if outq else None
            out.append((slot, cont, f"{path}:{line}"))
        return out

    def functions_in_slot(self, slot: str, container: str | None) -> list[tuple[str, str]]:
        """Functions stored in `slot` (a member of `container`, or an array variable)."""
        key = (slot, container)
        if key not in self._slots:
            self._slots[key] = self._functions_in_slot(slot, container)
        return self._slots[key]

    def _functions_in_slot(self, slot: str, container: str | None) -> list[tuple[str, str]]:
        rows = self.sc.rows("assign", "t.field = ? AND t.kind != 'out-param'", (slot,),
                            "t.chain, t.func, t.value, t.line")
        out = []
        for cid, path, bid, chain_t, fn, value, line in rows:
            v = value[1:] if value.startswith("&") else value
            v = macroforms.listed(self.sc, v)  # `IEMOP_X4(iemOp_rdtsc)`: iemOp_rdtsc
            if not v.isidentifier() or not self.names_function(bid, fn, v):
                continue
            if container is not None:
                chain = list(parse_chain(chain_t))
                if len(chain) < 2:
                    continue  # (a variable named like the member: `fn = stress_one_work`)
                qual = self._qual(bid, fn, chain, path, line)
                if qual and qual[-1].rpartition(".")[0] != container:
                    continue
                if not qual and len(chain) == 2 and self._outside(bid, fn, chain[0]):
                    continue  # (`kvm_preempt_ops.sched_in = f`: a struct preempt_ops)
            out.append((v, container or slot))
        if container is not None:
            out += self._positional_in_slot(slot, container)
        else:  # (an array handed to a function that fills it: `nested_vmx_hardware_setup(
            # kvm_vmx_exit_handlers)` storing `exit_handlers[EXIT_REASON_VMREAD] = ...`)
            out += [(f, slot) for f in self._filled_through_params(slot)]
        return list(dict.fromkeys(out))

    def _filled_through_params(self, table: str) -> list[str]:
        """Functions stored into the elements of a parameter by the functions `table` is
        handed to (the reverse of _tables_passed, which `callers` uses)."""
        out = []
        for _c, _p, bid, line, func in self.sc.rows(
                "ref", "t.name = ? AND t.kind IN ('read', 'addr') AND t.func != ''", (table,),
                "t.line, t.func"):
            for cline, _col, callee, kind, args, end in self.calls_in(bid, func):
                if kind != "direct" or not cline <= line <= end:
                    continue
                params = None
                for k, a in enumerate(json.loads(args)):
                    if bare(a) != table:
                        continue
                    params = self.params(callee) if params is None else params
                    if k >= len(params) or not params[k]:
                        continue
                    for cid, path, b2, fn, value, chain in self.sc.rows(
                            "assign", "t.field = ? AND t.func = ? AND t.kind IN ('assign', "
                            "'init')", (params[k], callee), "t.func, t.value, t.chain"):
                        v = (value or "").lstrip("&").strip()
                        if chain.startswith(f'["v:{params[k]}", "[]"') and \
                                v.isidentifier() and self.names_function(b2, fn, v):
                            out.append(v)
        return list(dict.fromkeys(out))

    def _tables_passed(self, func: str | None, param: str) -> list[str]:
        """The arrays the callers of `func` pass for its parameter `param` (none when
        `param` is no parameter of it)."""
        params = self.params(func) if func else []
        if param not in params:
            return []
        k = params.index(param)
        out = []
        for *_where, args in self.sc.rows("call", "t.callee = ? AND t.kind = 'direct'", (func,),
                                          "t.args"):
            a = json.loads(args)
            name = bare(a[k]) if k < len(a) else ""
            if name.isidentifier() and name != param:
                out.append(name)
        return list(dict.fromkeys(out))

    def _outside(self, bid: int, func: str, base: str) -> bool:
        """Is a chain's base declared with a struct type the corpus does not define?"""
        t = self.types.base_type(bid, func, base)
        named = self.types.named_type(t) if t else None
        return named is not None and not self.types.is_struct(named)

    def _positional_in_slot(self, slot: str, container: str) -> list[tuple[str, str]]:
        """Functions stored in `container.slot` by positional initializers of tables
        (`static const PDMDEVHLPR3 g_Hlp = { VERSION, pdmR3DevHlp_Foo, ... }`), also of
        arrays of them (`g_aHaltMethods[] = { { VMHALTMETHOD_OLD, .., vmR3HaltOldDoHalt,
        ..}, ...}`)."""
        out = []
        for *_site, value in self.positional_rows(slot, container, "t.value"):
            v = value.lstrip("&").strip()
            if v.isidentifier() and self.is_function(v):
                out.append((v, container))
        return out

    def positional_rows(self, slot: str, container: str, cols: str) -> list[tuple]:
        """The elements of positional initializers that set `container.slot`, in tables of
        that struct or arrays of them: assign rows (corpus, path, blob, then `cols`), each in
        the compilation context whose struct it fills."""
        names = self.types.field_order(container)
        if slot not in names:
            return []
        pos = names.index(slot)
        out = []
        from vmxref.queries import contexts
        cx = contexts.contexts(self.sc)
        for var in self._vars_of(container):
            for vcid, vpath, vbid, *row, vline in self.sc.rows(
                    "assign", "t.field = ? AND (t.chain = ? OR t.chain LIKE ?)",
                    (var, json.dumps([f"v:{var}", f"#{pos}"]), f'["v:{var}", "#%", "#{pos}"]'),
                    f"{cols}, t.line"):
                where = ctxtypes.var_meanings(self, var, frozenset([vcid])).get(container) \
                    if cx is not None else None
                if where and not cx.at(vbid, vline, vpath) & where:
                    continue  # (the initialiser of another context's struct: `#if IN_RING3`
                    # fills PDMDEVREGR3, `#elif IN_RING0` PDMDEVREGR0, both named PDMDEVREG)
                out.append((vcid, vpath, vbid, *row))
        return out

    def _qual(self, bid: int, fn: str, chain: list[str], path: str, line: int) -> list[str] | None:
        """struct_path of a stored value's chain, read per compilation context when the
        variable's type is a typedef declared per context (ctxtypes.initialised_member)."""
        return ctxtypes.initialised_member(self, bid, fn, chain, path, line) or \
            self.types.struct_path(bid, fn, chain)

    def _in_context(self, struct: str | None, member: str, bid: int, line: int,
                    path: str) -> str | None:
        """`struct`, or its meaning in the contexts of the call (ctxtypes.in_context)."""
        return ctxtypes.in_context(self, struct, member, bid, line, path)

    def _vars_of(self, struct: str) -> list[str]:
        """Variables (globals, locals) declared with type `struct` or one of its typedefs."""
        if struct not in self._typed_vars:
            types = [struct] + [r[3] for r in self.sc.rows(
                "sym", "t.kind = 'typedef' AND t.type = ?", (struct,), "t.name")]
            found: list[str] = []
            for t in types:
                found += [r[3] for r in self.sc.rows(
                    "assign", "t.kind = 'init' AND t.chain LIKE '[\"v:%\", \"#%' AND t.field IN "
                    "(SELECT s.name FROM sym s WHERE s.type IN (?, ?) AND s.kind IN ('global', 'local'))",
                    (t, t + "[]"), "t.field")]
            self._typed_vars[struct] = list(dict.fromkeys(found))
        return self._typed_vars[struct]

    # --- edges ---------------------------------------------------------------------------
    def into(self, func: str) -> list[Edge]:
        """Edges whose callee is `func`."""
        if func not in self._into:
            self._into[func] = self._compute_into(func)
        return self._into[func]

    def dangling(self, func: str) -> list[tuple[str, str | None, str]]:
        """(member, struct, where) of the places `func` is stored that no call of the asked
        versions goes through (stored_only's bindings)."""
        self.into(func)
        return self._dangling.get(func, [])

    def stored_only(self, func: str) -> list[Edge]:
        """Edges of kind 'stored': the places `func` is stored as a value (a member, a table)
        that no call of the asked versions goes through — a callback the code outside the
        corpus calls (`timer.function = apic_timer_fn` for the hrtimer core, `.read =
        kvm_clock_get_cycles` for the clocksource core). Not calls: paths never cross them."""
        self.into(func)
        out = []
        for slot, cont, where in self._dangling.get(func, []):
            path, _, line = where.rpartition(":")
            for cid, rpath, bid, col, storer, chain_t in self.sc.rows(
                    "assign", "t.value IN (?, ?) AND t.line = ? AND t.kind != 'out-param'",
                    (func, "&" + func, int(line)), "t.col, t.func, t.chain"):
                if rpath != path:
                    continue
                chain = list(parse_chain(chain_t))
                if not slot and not (chain and chain[0].startswith("v:")):
                    continue  # (`return rc;`: a value handed back to the caller, stored in
                    # no member or table)
                if cont:
                    label = f"{cont}.{slot}"
                elif not slot:  # `*g_ppfnVidNtDeviceIoControlFile = f`: where a global points
                    label = f"*{chain[0][2:]}" if "*" in chain[1:] else chain[0][2:]
                elif all(x in ("[]", "*") or x.startswith("#") for x in chain[1:]):
                    label = f"{slot}[]"  # an array of handlers
                else:  # a member of a struct defined outside the corpus (hrtimer.function)
                    owner = self.types.receiver_type(bid, storer, chain) if len(chain) > 1 else None
                    written = [chain[0][2:], *chain[1:]] if chain[0].startswith("v:") else []
                    label = f"{owner}.{slot}" if owner else ".".join(written) if written and all(
                        x.isidentifier() for x in written) else slot  # (of a type declared
                    # out of view: the path written, `x86_cpuinit.early_percpu_clock_init`)
                out.append(Edge(cid, path, bid, int(line), col, storer, func, "stored",
                                f"{label}, no call through it in the corpus"))
        return _dedup(out)

    def has_callers(self, func: str) -> bool:
        """Is `func` called at all? (A direct call answers without computing every edge; else
        the edges are looked for until the first one: an entry search asks of many a
        function it goes no further from, `spi_imx_probe` one of 14 callers through
        platform_driver.probe, whose 184 member calls are then not all resolved.)"""
        if func in self._into:
            return bool(self._into[func])
        rows = self._pre_direct.get(func)  # (fetched ahead: the direct calls are among them)
        if (any(r[6] == "direct" for r in rows) if rows is not None else self.sc.rows(
                "call", "t.callee = ? AND t.kind = 'direct'", (func,), "1", limit=1)):
            return True
        if next(self._edges_into(func), None) is not None:
            return True
        self._into[func] = []
        return False

    def fetched(self, func: str) -> bool:
        """Are into()'s look-ups for `func` done or fetched ahead (prefetch)?"""
        return func in self._into or func in self._pre_direct

    def prefetch(self, funcs) -> None:
        """Fetch what into() looks up (direct calls, bindings as a value, uses as a value)
        for many functions at once: a search asks three statements for a level of callers
        (or for the next functions it takes) instead of three per function. The call and binding rows are dropped once
        into() used them; the uses stay memoised (entry detection reads them too)."""
        todo = [f for f in dict.fromkeys(funcs) if f and f not in self._into
                and f not in self._pre_direct]
        if len(todo) < 2:
            return
        sc = self.sc
        direct: dict[str, list[tuple]] = {f: [] for f in todo}
        for *row, callee in sc.rows_in("call", "t.callee", todo, "t.kind IN ('direct', 'macro')",
                                       (), "t.line, t.col, t.func, t.kind, t.callee"):
            direct[callee].append(tuple(row))
        bound: dict[str, list[tuple]] = {f: [] for f in todo if f not in self._bindings}
        if bound:
            values = [*bound, *("&" + f for f in bound)]
            for *row, value in sc.rows_in("assign", "t.value", values, "t.kind != 'out-param'",
                                          (), "t.chain, t.func, t.line, t.value"):
                bound[value[1:] if value.startswith("&") else value].append(tuple(row))
        refs: dict[str, list[tuple]] = {f: [] for f in todo if f not in self._value_refs}
        if refs:
            for *row, name in sc.rows_in("ref", "t.name", refs, "t.kind IN ('read', 'addr')", (),
                                         "t.line, t.func, t.chain IS NULL, t.name"):
                refs[name].append(tuple(row))
        macroforms.prefetch_aliases(sc, todo)
        self._pre_direct.update(direct)
        self._pre_bound.update(bound)
        self._value_refs.update(refs)

    def calls_in(self, bid: int, func: str) -> list[tuple]:
        """(line, col, callee, kind, args, end_line) of every call in one function of a blob,
        in the index's order, memoised: the calls around each reference to a function as a
        value are picked from these (edges passed as a value, entry registrars) instead of
        one statement per reference."""
        key = (bid, func)
        if key not in self._calls_in:
            self._calls_in[key] = self.sc.conn.execute(
                "SELECT line, col, callee, kind, args, end_line FROM call WHERE blob_id = ? "
                "AND func = ? ORDER BY rowid", key).fetchall()
        return self._calls_in[key]

    def calls_of(self, keys, callees) -> dict[tuple[int, str], list[tuple]]:
        """The calls of `callees` only (calls_in rows, in its order) in each of many (blob,
        function) keys, in one statement per 300 keys: entry detection looks for a
        registrar's call around every use of a function as a value (`rx`, a function of one
        file, is a variable's name 5,900 times on all of Linux), and most of those
        functions call none."""
        keys = list(dict.fromkeys(keys))
        out = {k: [r for r in self._calls_in[k] if r[2] in callees]
               for k in keys if k in self._calls_in}
        todo = [k for k in keys if k not in out]
        names = sorted(callees)
        for i in range(0, len(todo), 300):
            chunk = todo[i:i + 300]
            for k in chunk:
                out[k] = []
            for b, f, *row in self.sc.conn.execute(
                    "WITH k(b, f) AS (VALUES " + ",".join(["(?,?)"] * len(chunk)) + ") "
                    "SELECT k.b, k.f, c.line, c.col, c.callee, c.kind, c.args, c.end_line FROM k "
                    "CROSS JOIN call c INDEXED BY call_blob ON c.blob_id = k.b AND c.func = k.f "
                    f"WHERE c.callee IN ({marks(len(names))}) ORDER BY c.rowid",
                    [*(x for k in chunk for x in k), *names]):
                out[(b, f)].append(tuple(row))
        return out

    def value_refs(self, func: str) -> list[tuple]:
        """(cid, path, blob, line, function, bare) of each use of `func` as a value (read or
        address taken); `bare` when it is the name itself, not a member access."""
        if func not in self._value_refs:
            self._value_refs[func] = self.sc.rows(
                "ref", "t.name = ? AND t.kind IN ('read', 'addr')", (func,),
                "t.line, t.func, t.chain IS NULL")
        return self._value_refs[func]

    def _compute_into(self, func: str) -> list[Edge]:
        out = _dedup(self._edges_into(func))
        self._pre_direct.pop(func, None)
        return out

    def _edges_into(self, func: str) -> Iterator[Edge]:
        """The edges into `func` as they are found (into() takes them all, has_callers the
        first; the look-ups they make are memoised, or kept until into() is done)."""
        sc = self.sc
        rows = self._pre_direct.get(func)
        if rows is None:
            rows = self._pre_direct[func] = sc.rows(
                "call", "t.callee = ? AND t.kind IN ('direct', 'macro')", (func,),
                "t.line, t.col, t.func, t.kind")
        for cid, path, bid, line, col, caller, kind in rows:
            if kind == "direct":
                yield Edge(cid, path, bid, line, col, caller, func, "direct")
        for alias, where in macroforms.aliases_of(sc, func):  # `#define emR3ExecuteInstruction
            # emR3HmExecuteInstruction` before a template header that calls the alias
            for cid, path, bid, line, col, caller in sc.rows(
                    "call", "t.callee = ? AND t.kind = 'direct'", (alias,),
                    "t.line, t.col, t.func"):
                yield Edge(cid, path, bid, line, col, caller, func, "macro",
                           f"{alias} is #defined as {func} at {where}")
        for macro in sorted({r[5] for r in rows if r[6] == "macro"}):
            if self.macro_use_count(macro) > MAX_MACRO_USES:
                # (RTAssertShouldPanic in every Assert: no caller worth a row each; said
                # beside `callers` answers, see engine.note)
                cut = self.sc.memo("macro_cut").setdefault(func, [])
                if macro not in cut:
                    cut.append(macro)
                continue
            for cid, path, bid, line, col, caller, via in self._macro_users(macro, 3):
                yield Edge(cid, path, bid, line, col, caller, func, "macro", f"{via} calls {func}")
        dangling = []
        if not sc.has_sym(func, ("function", "prototype")) and \
                not _template_instance(sc, func):  # a constant, a macro, a member:
            self._dangling[func] = []  # no value of it is a function handed over or stored
            return
        for slot, cont, where in self.bindings_of(func):
            through = 0
            for e in self._calls_through(slot, cont, func, where):
                through += 1
                yield e
            if cont is None and slot and self._global_pointer(slot):
                for e in self._global_pointer_calls(slot, func, where):
                    through += 1
                    yield e
            if not through and (func, slot, cont, where) in self._in_tables:
                # a member of a table's elements that nothing calls through: copied out?
                for slot2, cont2, where2 in self._copies(slot, cont, where.rpartition(":")[0]):
                    for e in self._calls_through(slot2, cont2, func,
                                                 f"{where}, copied at {where2}"):
                        through += 1
                        yield e
            if not through:
                dangling.append((slot, cont, where))
        keys = staticcalls.keys_of(self, func)
        # (a member a static-call key is installed from is called through that key:
        # `static_call_update(x86_pmu_handle_irq, x86_pmu.handle_irq)`)
        installed = {where.rpartition(" via ")[2] for _k, where in keys if " via " in where}
        self._dangling[func] = [d for d in dangling if f"{d[1]}.{d[0]}" not in installed]
        for key, where in keys:  # DEFINE_STATIC_CALL(key, func),
            # static_call_update(key, func): the static calls of that key call it
            for cid, path, bid, line, col, caller in sc.rows(
                    "call", "t.callee = ? AND t.kind = 'static-call'", (key,),
                    "t.line, t.col, t.func"):
                yield Edge(cid, path, bid, line, col, caller, func, "static-call",
                           f"static_call({key}) -> {func} (set at {where})")
        stem = self.template_of(func)
        if stem is not None:  # `ept_walk_addr`: the template's own calls of FNAME(walk_addr),
            # from the instance of the calling template function of the same name pattern
            at = func.find(stem)
            pre, suf = func[:at], func[at + len(stem):]
            for cid, path, bid, line, col, caller in sc.rows(
                    "call", "t.callee = ? AND t.kind = 'direct'", (stem,), "t.line, t.col, t.func"):
                twin = f"{pre}{caller}{suf}"
                yield Edge(cid, path, bid, line, col,
                           twin if twin in self.instances(caller) else caller, func,
                           "direct", f"{stem}() as {func}")
        for inst in self.instances(func):  # `paging64_page_fault` bound to kvm_mmu.page_fault
            # calls the template function FNAME(page_fault)
            for e in self.into(inst):
                yield Edge(e.cid, e.path, e.blob_id, e.line, e.col, e.caller, func, e.kind,
                           f"{e.via}; as {inst}" if e.via else f"as {inst}", e.is_function,
                           e.origin, e.bound, e.bound_at)
        passed = self._passed_as_value(func)
        from vmxref.queries.workqueue import queued_into
        registrations = [e for e in passed if e.kind == "registered"]
        queued = queued_into(self, func, registrations)
        if queued:  # it runs where its object is queued, not where it was registered
            passed = [e for e in passed if e.kind != "registered"]
        yield from passed + queued

    def _copies(self, slot: str, cont: str, path: str) -> list[tuple[str, str | None, str]]:
        """Members a function pointer is copied into from `cont.slot` in the file of the
        table (`path`): `ctxt->execute = opcode.u.execute;` makes the handlers of emulate.c's
        opcode tables callable as ctxt->execute(ctxt). (slot, container, where) of each copy.
        (Within the table's file: over a whole corpus the member's name alone costs too much.)"""
        key = (slot, cont, path)
        if key not in self._copied:
            out = []
            for bid in self.sc.blobs_of(path):
                for fn, chain_t, field, achain_t, aline in self.sc.conn.execute(
                        "SELECT t.func, t.chain, a.field, a.chain, a.line FROM ref t INDEXED BY "
                        "ref_blob CROSS JOIN assign a INDEXED BY assign_blob ON a.blob_id = "
                        "t.blob_id AND a.func = t.func AND a.line = t.line WHERE t.blob_id = ? "
                        "AND t.name = ? AND t.kind = 'read' AND t.chain IS NOT NULL AND "
                        "t.func != '' AND a.kind = 'assign' AND (a.value LIKE ? OR a.value LIKE ?)",
                        (bid, slot, f"%.{slot}", f"%>{slot}")):
                    if self.types.container(bid, fn, [*parse_chain(chain_t), slot]) != cont:
                        continue
                    achain = list(parse_chain(achain_t))
                    if len(achain) > 1:
                        out.append((field, self.types.container(bid, fn, achain),
                                    f"{path}:{aline}"))
            self._copied[key] = sorted(set(out), key=lambda t: (t[2], t[0], t[1] or ""))
        return self._copied[key]

    def macro_use_count(self, macro: str) -> int:
        """How many calls of `macro`, and of the macros whose body calls it (up to
        MAX_MACRO_USES + 1: enough to tell an assertion-like utility)."""
        memo = self.sc.memo("_macro_use_count")
        if macro not in memo:
            memo[macro] = MAX_MACRO_USES + 1  # (cycles)
            n = 0
            for kind, caller in macro_calls_of(self.sc, macro):
                n += 1 if kind == "direct" else self.macro_use_count(caller)
                if n > MAX_MACRO_USES:
                    break
            memo[macro] = n + loop_uses(self.sc, macro, MAX_MACRO_USES + 1 - n)
        return memo[macro]

    def _macro_users(self, macro: str, depth: int) -> list[tuple]:
        """Calls of a function-like macro from functions, through macros that use it
        (KVM_BUG_ON(...) in kvm_arch_vcpu_ioctl, for the kvm_vm_bugged() in its body)."""
        key = (macro, depth)
        if key not in self._macro_calls:
            self._macro_calls[key] = []  # (cycles)
            out = []
            for cid, path, bid, line, col, caller, kind in self.sc.rows(
                    "call", "t.callee = ? AND t.kind IN ('direct', 'macro')", (macro,),
                    "t.line, t.col, t.func, t.kind"):
                if kind == "direct":
                    out.append((cid, path, bid, line, col, caller, f"{macro}()"))
                elif depth > 1 and caller != macro:
                    out += [(*r[:6], f"{r[6]} -> {macro}()")
                            for r in self._macro_users(caller, depth - 1)]
            for cid, path, bid, line, col, caller in self.sc.rows(  # (uses that are no call
                    # expression: a loop macro the profile reads as `while`)
                    "ref", _LOOP_USE, (macro,), "t.line, t.col, t.func"):
                out.append((cid, path, bid, line, col, caller, f"{macro}()"))
            self._macro_calls[key] = out
        return self._macro_calls[key]

    def _slot_calls(self, slot: str) -> Lazy:
        """Member/pointer call sites of `slot`, each with its receiver's container (or None),
        a note, and the named object it is called through (`clocksource_acpi_pm.read(..)`:
        a file-scope variable, else None); memoised: every function bound to a slot shares
        them (`vmx_set_msr`, `svm_set_msr`). Resolved as far as they are read (has_callers
        stops at the first call that may be of the asked struct's member)."""
        if slot not in self._slot_sites:
            self._slot_sites[slot] = Lazy(lambda: self._resolve_slot_calls(slot))
        return self._slot_sites[slot]

    def _resolve_slot_calls(self, slot: str) -> Iterator[tuple]:
        rows = self.sc.rows("call", "t.callee = ? AND t.kind IN ('member', 'pointer')",
                            (slot,), "t.line, t.col, t.func, t.kind, t.recv")
        chains = {r[7]: parse_chain(r[7]) for r in rows if r[6] == "member"}
        self.types.prime_locals(  # the receivers' declarations, in one look-up
            (r[2], r[5], chains[r[7]][0][2:]) for r in rows
            if r[6] == "member" and chains[r[7]][:1] and chains[r[7]][0].startswith("v:"))
        for cid, path, bid, line, col, caller, kind, recv in rows:
            c2 = (self._in_context(self.types.container(bid, caller, [*chains[recv], slot]),
                                   slot, bid, line, path) if kind == "member" else None)
            ch = chains.get(recv) or []
            self._slot_recv[(bid, line, col)] = ch
            obj = (ch[0][2:] if kind == "member" and len(ch) == 1 and ch[0].startswith("v:")
                   and self.types.local_type(bid, caller, ch[0][2:]) is None else None)
            yield cid, path, bid, line, col, caller, kind, c2, "", obj
            if kind == "member":  # (the same call in another context: CTX_SUFF(pHlp))
                for c3, note in self._twins(bid, caller, line, [*chains[recv], slot]):
                    if c3 != c2:
                        yield cid, path, bid, line, col, caller, kind, c3, note, obj
        yield from self._macro_slot_calls(slot)
        yield from self._local_slot_calls(slot)

    def _macro_slot_calls(self, slot: str) -> Iterator[tuple]:
        """Calls through member `slot` written in the body of a function-like macro
        (`#define KVM_EMULATOR_BUG_ON(cond, ctxt) .. ctxt->ops->vm_bugged(ctxt)`), one at
        each use of the macro whose receiver, the macro's arguments put in, has the type of
        a struct (a receiver that does not resolve is left out: the member's name alone
        would reach every struct's)."""
        from vmxref.queries.macroforms import _substituted, member_call_receivers
        macros = sorted({r[3] for r in self.sc.rows("call", "t.callee = ? AND t.kind = 'macro'",
                                                      (slot,), "t.func")})
        for macro in macros:
            recvs = member_call_receivers(self.sc, macro, slot)
            if not recvs or self.macro_use_count(macro) > MAX_MACRO_USES:
                continue
            for cid, path, bid, line, col, caller, via in self._macro_users(macro, 3):
                if via != f"{macro}()" or not caller:
                    continue  # (through another macro: its arguments are not followed)
                row = self.sc.conn.execute(
                    "SELECT args FROM call WHERE blob_id = ? AND func = ? AND line = ? AND "
                    "col = ? AND callee = ? AND kind = 'direct'",
                    (bid, caller, line, col, macro)).fetchone()
                args = json.loads(row[0]) if row and row[0] else []
                for params, recv in recvs:
                    if len(params) != len(args) and not (params and params[-1].endswith("...")):
                        continue
                    chain = arg_chain(_substituted(recv, params, args))
                    c2 = self.types.container(bid, caller, [*chain, slot]) if chain else None
                    if c2 is not None:
                        yield cid, path, bid, line, col, caller, "member", c2, f"in {via}", None
                        break

    def _local_slot_calls(self, slot: str) -> list[tuple]:
        """Calls through a local function pointer loaded from the member `slot`
        (`int (*cui)(struct kvm_vcpu *) = vcpu->arch.complete_userspace_io; ... cui(vcpu)`),
        or through a member of a local union it is copied into, any member, which aliases
        it (vmR3ReqProcessOne's `u.pfn = pReq->u.Internal.pfn; ... u.pfn03(a, b, c)`; the
        argument count of a call through another member than the one written is kept in
        `alias_calls`): a member call of `slot` at the call's place, its receiver the
        load's."""
        out = []  # (the indexer joined the read, the load and the call: slotloads.py)
        for cid, path, bid, caller, rchain, var, value, line, col in self.sc.rows(
                "slotload", "t.slot = ?", (slot,),
                "t.func, t.rchain, t.var, t.value, t.line, t.col"):
            lvar = parse_chain(var)
            chain = arg_chain(value)  # (the member loaded itself, not a table element's;
            # a value the normaliser rewrote, `p->CTX_SUFF(pfnHandler)`, is the member read)
            if rchain is None or (chain and (len(chain) < 2 or chain[-1] != slot)) or \
                    len(lvar) not in (1, 2) or not lvar[0].startswith("v:") or \
                    self.types.local_type(bid, caller, lvar[0][2:]) is None:
                continue
            local = lvar[0][2:]
            note = f"through local {local}"
            if len(lvar) == 2:  # `u.pfn = pReq->u.Internal.pfn; ... u.pfn03(a, b, c)`
                called = self._member_call(bid, caller, line, col)
                if called is None or not self._local_union(bid, caller, local):
                    continue  # (a struct's other member holds something else; its own
                    # member is a member call, resolved by the struct's type)
                member, nargs = called
                if member != lvar[1]:
                    self.alias_calls[(bid, line, col)] = nargs
                    note = f"through local union {local}: {local}.{member} aliases " \
                           f"{local}.{lvar[1]}"
                else:
                    note = f"through local union {local}: {local}.{member}"
            recv = [*parse_chain(rchain), slot]
            c2 = self.types.container(bid, caller, recv)
            out.append((cid, path, bid, line, col, caller, "member", c2, note, None))
            for c3, twin in self._twins(bid, caller, line, recv):  # (the other contexts'
                if c3 != c2:  # member of a pasted name: pfnHandlerR0 in ring-0 code)
                    out.append((cid, path, bid, line, col, caller, "member", c3,
                                f"{note}; {twin}", None))
        return list(dict.fromkeys(out))

    def _loaded_targets(self, bid: int, func: str, line: int, col: int) -> list[tuple[str, str]]:
        """(function, via) for a call at that place through a local loaded from a member
        (_local_slot_calls): the functions stored in the member, and those handed to a
        parameter stored there (handover.stored_from_params), as callers sees them; only
        those taking as many arguments as a call through a union's other member passes."""
        from vmxref.queries import handover
        out: list[tuple[str, str]] = []
        slots = [r[0] for r in self.sc.conn.execute(
            "SELECT DISTINCT slot FROM slotload WHERE blob_id = ? AND func = ? AND line = ? "
            "AND col = ?", (bid, func, line, col))]
        for slot in slots:
            for _c, _p, b2, l2, c2_, caller, _k, cont, note, _o in self._slot_calls(slot):
                if (b2, l2, c2_, caller) != (bid, line, col, func) or cont is None or \
                        not note.startswith("through local"):
                    continue
                found = [(t, f"{c}.{slot} ({note})") for t, c in self.functions_in_slot(slot, cont)]
                for t, via in handover.stored_from_params(self, slot, cont, func):
                    head, sep, rest = via.partition(", set from")
                    found.append((t, f"{head} ({note}){sep}{rest}"))
                nargs = self.alias_calls.get((bid, line, col))
                out += [(t, via) for t, via in found
                        if nargs is None or self.arity_fits(t, nargs)]
        return list(dict.fromkeys(out))

    def _member_call(self, bid: int, func: str, line: int, col: int) -> tuple[str, int] | None:
        """(member, number of arguments) of the member call at that place, else None."""
        row = self.sc.conn.execute(
            "SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND line = ? AND "
            "col = ? AND kind = 'member'", (bid, func, line, col)).fetchone()
        return (row[0], len(json.loads(row[1])) if row[1] else 0) if row else None

    def _local_union(self, bid: int, func: str, var: str) -> bool:
        """Is the local `var` of `func` a union (named, typedef'd, or an unnamed one of that
        blob: `union { PFNRT pfn; ... } u;`)?"""
        name = self.types.struct_of(self.types.local_type(bid, func, var))
        if not name:
            return False
        if name.startswith("(anonymous@"):  # (a name every file may have: this blob's)
            return self.sc.conn.execute(
                "SELECT 1 FROM sym WHERE blob_id = ? AND name = ? AND kind = 'union'",
                (bid, name)).fetchone() is not None
        return self.sc.has_sym(name, ("union",))

    def arity_fits(self, func: str, nargs: int) -> bool:
        """Can a call passing `nargs` arguments be a call of `func`: as many parameters as
        some definition of it declares (a parameter written as a macro counted as the
        parameters it stands for: `RT_SRC_POS_DECL` is three), at least as many as a
        variadic one names, or as one whose signature text is cut short? True when no
        definition is known."""
        memo = self.sc.memo("_arity_fits")
        if func not in memo:
            memo[func] = [self._arity(func, t or "") for t in [r[3] for r in self.sc.rows(
                "sym", "t.name = ? AND t.kind = 'function'", (func,), "t.text")]]
        arities = memo[func]
        return not arities or any(nargs >= n if more else nargs == n for n, more in arities)

    def _arity(self, func: str, text: str) -> tuple[int, bool]:
        """(parameters, whether more may be passed) of a function's signature text."""
        at = text.find("(")
        inner = text[at + 1:].rstrip()
        if at < 0 or not inner.endswith(")"):  # (no text, or one cut at 240 characters:
            params = self.params(func)  # its parameters, when each has a name of its own)
            if params and all(params):
                return len(params), False
            named = [p for p in split_args(inner) if _WORD.search(p)]
            return max(len(named) - 1, 0), True
        parts = [p.strip() for p in split_args(inner[:-1]) if p.strip()]
        if parts == ["void"]:
            return 0, False
        n = 0
        for p in parts:
            if p == "...":
                return n, True
            body = self._object_macro(p) if p.isidentifier() else None
            n += len([b for b in split_args(body) if b.strip()]) if body else 1
        return n, False

    def _object_macro(self, name: str) -> str | None:
        """The body of an object-like macro `name` when its definitions agree (memoised)."""
        memo = self.sc.memo("_object_macro")
        if name not in memo:
            bodies = {r[3] or "" for r in self.sc.rows(
                "sym", "t.name = ? AND t.kind = 'macro'", (name,), "t.text", limit=10)}
            one = bodies.pop() if len(bodies) == 1 else None
            memo[name] = one if one and not one.startswith("(") else None
        return memo[name]

    def _twins(self, bid: int, func: str, line: int, chain: list[str]) -> list[tuple[str, str]]:
        """(container of the chain's last member, note) in each other compilation context
        where the chain's members are pasted per context (twins.py)."""
        out = []
        for _code, twin, note in twin_chains(self.sc, bid, line, chain):
            c = self.types.container(bid, func, twin)
            if c is not None:
                out.append((c, note))
        return out

    def _calls_through(self, slot: str, cont: str | None, func: str | None,
                       where: str) -> Iterator[Edge]:
        """Call sites through member (or table) `slot` of `cont` that may call `func`
        (bound there at `where`); with `func` None, every call through it."""
        sc = self.sc
        bound = (cont, where.rpartition(":")[0]) if cont else None
        if cont is None and slot in self._tables:
            for cid, path, bid, line, col, caller, macro in macroforms.table_calls(sc, slot):
                yield Edge(cid, path, bid, line, col, caller, func, "pointer",
                           f"{slot}[] via {macro}(){_bound_at(where)}")
        for cid, path, bid, line, col, caller, kind, c2, note, obj in self._slot_calls(slot):
            if kind == "member" and cont is not None and c2 is not None and c2 != cont:
                continue
            if func is not None and obj is not None and \
                    self._object_binding(obj, slot) not in (None, func):
                continue  # (a call through a named object whose initialiser binds the member
                # to another function: `clocksource_acpi_pm.read(..)` calls acpi_pm_read)
            if note and cont is None and not note.startswith(("through local", "in ")):
                continue  # (the twin of a member call: only where it resolves to `cont`)
            if func is not None and kind == "member" and obj is None and not note and \
                    reaches.misses(self, func, where, slot, bid, caller,
                                   self._slot_recv.get((bid, line, col))):
                continue  # (`nb->notifier_call(..)` on a parameter no caller hands the
                # static object that binds `func`: reaches.py)
            label = f"{cont}.{slot}" if cont else slot
            ek = "ops-table" if kind == "member" and not note.startswith("through local") \
                else "pointer"
            yield Edge(cid, path, bid, line, col, caller, func, ek,
                       f"{label}{_bound_at(where, note)}", bound=bound,
                       bound_at=where if bound else "")
        for cid, path, bid, fn, chain_t in sc.rows(
                "assign", "t.value >= ? AND t.value < ? AND t.kind IN ('init', 'assign')",
                (f"{slot}[", f"{slot}\\"),  # values starting `slot[` (an index range, not LIKE)
                "t.func, t.chain"):
            chain = parse_chain(chain_t)
            if len(chain) != 1 or not chain[0].startswith("v:") or not fn:
                continue
            var = chain[0][2:]  # a local function pointer loaded from the table
            for line, col in sc.conn.execute(
                    "SELECT line, col FROM call WHERE blob_id = ? AND func = ? AND callee = ?",
                    (bid, fn, var)):
                yield Edge(cid, path, bid, line, col, fn, func, "pointer",
                           f"{slot}[] via {var}{_bound_at(where)}")
        for name in self._static_names(slot, cont):
            for cid, path, bid, line, col, caller in sc.rows(
                    "call", "t.callee = ? AND t.kind = 'static-call'", (name,), "t.line, t.col, t.func"):
                yield Edge(cid, path, bid, line, col, caller, func, "static-call",
                           f"static_call({name}) -> {cont or '?'}.{slot}{_bound_at(where)}",
                           bound=bound, bound_at=where if bound else "")
        for icid, ipath, ibid, iline, icol, ifunc, how in self._slot_handed_on(slot, cont):
            nargs = self.alias_calls.get((ibid, iline, icol))
            if func is not None and nargs is not None and not self.arity_fits(func, nargs):
                continue  # (`u.pfn01(a)` through another member of the union than the one
                # written calls only what takes one argument, as for a function handed over
                # by its name)
            yield Edge(icid, ipath, ibid, iline, icol, ifunc, func, "pointer",
                       f"{how}{_bound_at(where)}", bound=bound,
                       bound_at=where if bound else "")

    def _slot_handed_on(self, slot: str, cont: str | None, depth: int = 3) -> list[tuple]:
        """The calls through a parameter of a function that is handed the value of member
        `slot` (`kvm_device_ioctl_attr(dev, dev->ops->set_attr, arg)`, which calls
        `accessor(dev, &attr)`): (cid, path, blob, line, col, caller, how) of each, `how`
        naming the hand-over, from the member's reads; the parameter followed `depth` calls
        deep (_through_param); memoised per member and depth."""
        memo = self.sc.memo("_slot_handed_on")
        key = (slot, cont, depth)
        if depth <= 0:
            return []
        if key in memo:
            return memo[key]
        memo[key] = []  # (recursion: a member handed on to code that hands it on)
        out: list[tuple] = []
        label = f"{cont}.{slot}" if cont else slot
        for path, bid, caller, cline, callee, idx, chain in self._slot_passes(slot):
            if cont is not None and chain:  # (first: a common member name, `size`, is
                # passed thousands of times on all of Linux, and following each callee's
                # parameter first took `reads bus_dma_region.size` 4.5 s)
                qual = self.types.struct_path(bid, caller, chain)
                if qual and qual[-1].rpartition(".")[0] != cont:
                    continue  # (another struct's member of that name)
            inner = self._through_param(callee, idx, depth)  # (also stored, run later)
            if not inner:
                continue  # (a callee that neither calls nor stores that parameter)
            for r in inner:
                out.append((*r[:6], f"{r[6]} (the value of {label} passed at "
                                     f"{path}:{cline})"))
        memo[key] = out = list(dict.fromkeys(out))
        return out

    def _slot_passes(self, slot: str) -> list[tuple]:
        """(path, blob, caller, line, callee, argument index, the argument's member chain) of
        the direct calls an argument of which is a read of member `slot`
        (`dev->ops->set_attr`), memoised per member (_slot_handed_on asks per struct and
        depth)."""
        memo = self.sc.memo("_slot_passes")
        if slot in memo:
            return memo[slot]
        out = []
        tail = re.compile(rf"(?:->|\.)\s*{re.escape(slot)}\s*$")
        # (the direct calls around each read of the member whose arguments name it, in one
        # statement: `func` is read 2,800 times on all of Linux, a look-up of the calls of
        # each reading function took 0.12 s)
        for _cid, path, bid, caller, cline, callee, args_t in dict.fromkeys(self.sc.rows(
                "ref", "t.name = ? AND t.kind = 'read' AND t.chain IS NOT NULL AND "
                "t.func != ''", (slot,), "t.func, c.line, c.callee, c.args",
                join="CROSS JOIN call c ON c.blob_id = t.blob_id AND c.func = t.func AND "
                     "c.line <= t.line AND c.end_line >= t.line AND c.kind = 'direct' AND "
                     "instr(c.args, t.name) > 0")):
            for idx, a in enumerate(json.loads(args_t or "[]")):
                a = uncast(a)
                if not tail.search(a) or "(" in a:
                    continue
                out.append((path, bid, caller, cline, callee, idx, arg_chain(a)))
        memo[slot] = out
        return out

    def calls_through(self, slot: str, cont: str) -> list[Edge]:
        """Every call site through member `slot` of struct `cont` (member calls whose receiver
        is one, the static calls of its key, its table's calls), whichever function is
        stored there; each edge's callee is `cont.slot`."""
        out, seen = [], set()
        for e in self._calls_through(slot, cont, None, ""):
            key = (e.cid, e.path, e.line, e.col, e.caller)
            if key in seen:
                continue
            seen.add(key)
            out.append(Edge(e.cid, e.path, e.blob_id, e.line, e.col, e.caller, f"{cont}.{slot}",
                            e.kind, e.via))
        return out

    def _static_names(self, slot: str, cont: str | None) -> list[str]:
        """The static-call keys of `cont.slot` (KVM_X86_OP's kvm_x86_ + member). None for a
        member of a struct outside the corpus: `kvm_preempt_ops.sched_in = kvm_sched_in` (a
        struct preempt_ops) is no kvm_x86_ops.sched_in."""
        return [p + slot for p, s in self.static_prefixes.items() if cont is not None and s == cont]

    def _passed_as_value(self, func: str) -> list[Edge]:
        """`func` handed to a call as an argument: through a parameter, or registered.
        Memoised (into() and the hand-over edges out of a caller both ask; a name used as a
        value 63,000 times on all of Linux, `out`, cost 0.26-2 s each time)."""
        if func not in self._passed:
            self._passed[func] = self._compute_passed_as_value(func)
        return list(self._passed[func])

    def _compute_passed_as_value(self, func: str) -> list[Edge]:
        sc, out = self.sc, []
        refs = [r[:5] for r in self.value_refs(func) if r[5] and self.visible(func, r[2])]
        self.types.prime_locals((r[2], r[4], func) for r in refs if r[4])
        for cid, path, bid, line, caller in refs:
            if caller and self.types.local_type(bid, caller, func) is not None:
                continue  # a parameter or local of that name (`start`, `event`), not the function
            for cline, ccol, callee, ckind, args_t, cend in self.calls_in(bid, caller or ""):
                if not cline <= line <= cend:
                    continue
                args = json.loads(args_t)
                idx = _arg_index(args, func)
                if idx < 0:
                    continue
                inner = self._through_param(callee, idx, HANDED_DEPTH) if ckind == "direct" \
                    else []
                if inner and self.alias_calls:  # (`u.pfn02(a, b)` calls what takes two)
                    inner = [r for r in inner if (r[2], r[3], r[4]) not in self.alias_calls
                             or self.arity_fits(func, self.alias_calls[(r[2], r[3], r[4])])]
                if inner and (consts := self._enumerators(args)):
                    inner = [r for r in inner if r[7] or not self._runs_other(r[5], consts)]
                via = f"{callee}(..., {func}, ...)"
                for icid, ipath, ibid, iline, icol, ifunc, how, during in inner:
                    origin = (Edge(cid, path, bid, cline, ccol, caller, func, "pointer",
                                   f"{how}, passed as {via}") if during else None)
                    out.append(Edge(icid, ipath, ibid, iline, icol, ifunc, func, "pointer",
                                    f"{how} (passed at {path}:{cline})", origin=origin))
                if not inner and ckind == "direct" and macroforms.calls_arg(sc, callee, idx):
                    out.append(Edge(cid, path, bid, cline, ccol, caller, func, "macro",
                                    f"{callee}() calls its argument {func}"))
                elif not inner:
                    use = macroforms.arg_use(sc, callee, idx, nargs=len(args)) \
                        if ckind == "direct" else "value"
                    if use == "pasted" and self._called_result(bid, caller, cline, ccol,
                                                               callee) and \
                            macroforms.pastes_instance(sc, func):
                        # `PGM_GST_NAME_PAE(Walk)(pVCpu, ..)`: a call of Walk's PAE instance
                        out.append(Edge(cid, path, bid, cline, ccol, caller, func, "direct",
                                        f"{callee}({func}) names an instance of {func}"))
                    elif use == "value":  # (a name only pasted, stringified, a member's in
                        # RT_UOFFSETOF(type, member), cast to void: no function handed over)
                        out.append(Edge(cid, path, bid, cline, ccol, caller, func,
                                        "registered", f"{callee}(..., {func}, ...)"))
        return out

    def _called_result(self, bid: int, func: str, line: int, col: int, callee: str) -> bool:
        """Is what the call of `callee` at that place gives called at once (`M(x)(a, b)`)?"""
        return any(c == callee and k == "pointer" and r == json.dumps([f"r:{callee}"])
                   for c, k, r in self.sc.conn.execute(
                       "SELECT callee, kind, recv FROM call WHERE blob_id = ? AND func = ? AND "
                       "line = ? AND col = ?", (bid, func, line, col)))

    def _enumerators(self, args: list[str]) -> dict[str, set[str]]:
        """{enum: its enumerators} named in these argument texts (memoised per name)."""
        memo = self.sc.memo("_enumerator_of")
        out: dict[str, set[str]] = {}
        for name in {w for a in args for w in _WORD.findall(a)}:
            if name not in memo:
                rows = {r[3] for r in self.sc.rows("sym", "t.name = ? AND t.kind = 'enumerator'",
                                                   (name,), "t.scope") if r[3]}
                memo[name] = rows.pop() if len(rows) == 1 else None
            if memo[name]:
                out.setdefault(memo[name], set()).add(name)
        return out

    def _runs_other(self, dispatcher: str, consts: dict[str, set[str]]) -> bool:
        """Does every call of the function that calls a stored callback pass other
        enumerators of an enum the registration passed one of? A timer created with
        TMCLOCK_VIRTUAL_SYNC is never run by tmR3TimerQueueRun, which is only given the
        queues of TMCLOCK_VIRTUAL and TMCLOCK_REAL (`&..paTimerQueuesR3[TMCLOCK_VIRTUAL]`)."""
        calls = [json.loads(r[3]) for r in self.sc.rows(
            "call", "t.callee = ? AND t.kind = 'direct'", (dispatcher,), "t.args") if r[3]]
        if not calls:
            return False
        passed = [self._enumerators(a) for a in calls]
        for enum, values in consts.items():
            if all(p.get(enum) and not p[enum] & values for p in passed):
                return True
            if not any(p.get(enum) for p in passed):  # given none: the ones its own body
                named = self._named_in(dispatcher).get(enum)  # picks (the VirtualSync
                if named and not named & values:  # runner's paTimerQueuesR3[TMCLOCK_VIRTUAL_SYNC])
                    return True
        return False

    def _named_in(self, func: str) -> dict[str, set[str]]:
        """{enum: its enumerators} the body of `func` picks: names in a value it assigns
        or an argument it passes (`pQueue = &..paTimerQueuesR3[TMCLOCK_VIRTUAL_SYNC]`),
        not a flag it only tests (vmR3ReqProcessOne's `(pReq->fFlags &
        VMREQFLAGS_RETURN_MASK) == VMREQFLAGS_VOID` picks no VMREQFLAGS value it runs the
        requests of). Memoised."""
        memo = self.sc.memo("_enumerators_named_in")
        if func not in memo:
            names: set[str] = set()
            for bid in self.definitions(func):  # (its lines of its blob: the ref_blob index)
                span = self.sc.function_lines(bid, func)
                if span:
                    read = {n for (n,) in self.sc.conn.execute(
                        "SELECT name FROM ref WHERE blob_id = ? AND line BETWEEN ? AND ? AND "
                        "func = ? AND kind = 'read' AND chain IS NULL", (bid, *span, func))}
                    used = {w for (t,) in self.sc.conn.execute(
                        "SELECT value FROM assign WHERE blob_id = ? AND func = ? AND line "
                        "BETWEEN ? AND ? UNION ALL SELECT args FROM call WHERE blob_id = ? AND "
                        "func = ? AND line BETWEEN ? AND ? AND callee NOT IN ('likely', "
                        "'unlikely', 'RT_LIKELY', 'RT_UNLIKELY')",
                        (bid, func, *span, bid, func, *span))
                        if t and not _LONE_NAME.fullmatch(t) for w in _WORD.findall(t)}
                    # (a constant stored whole picks nothing: cpuhp_invoke_callback's
                    # `st->fail = CPUHP_INVALID` resets a member, it runs every state)
                    names.update(read & used)
            memo[func] = self._enumerators(sorted(names))
        return memo[func]

    def _through_param(self, callee: str, idx: int, depth: int) -> list[tuple]:
        key = (callee, idx, depth)
        if key not in self._param_calls:
            self._param_calls[key] = []  # (recursion)
            self._param_calls[key] = self._compute_through_param(callee, idx, depth)
        return self._param_calls[key]

    def definitions(self, func: str) -> list[int]:
        """Blobs that define `func` (in the asked corpus versions)."""
        return self.sc.definitions(func)

    def _compute_through_param(self, callee: str, idx: int, depth: int) -> list[tuple]:
        """Calls through parameter `idx` of `callee`, following it when it is forwarded
        to another function's parameter (msr_io(.., do_msr) -> __msr_io(.., do_msr); also
        through a table: PDMDevHlpTimerCreate -> pHlpR3->pfnTimerCreate -> the helper) or
        stored in a callback member (`pTimer->u.Internal.pfnTimer = pfnCallback`: the calls
        through that member). Rows end with how the call reaches the function and whether it
        happens during the call that passed it (a stored callback runs later, elsewhere)."""
        params = self.params(callee)
        if idx >= len(params) or not params[idx] or depth <= 0:
            return []
        pname = params[idx]
        out = [(*r, f"parameter {pname} of {r[5]}", True) for r in self.sc.rows(
            "call", "t.func = ? AND t.callee = ? AND t.kind IN ('direct', 'pointer')",
            (callee, pname), "t.line, t.col, t.func")]
        for _c, _p, fbid, nxt, fkind, recv, args in self.sc.rows(
                "call", "t.func = ? AND t.kind IN ('direct', 'member', 'static-call') AND "
                "t.args LIKE ?", (callee, f"%{pname}%"), "t.callee, t.kind, t.recv, t.args"):
            j = _arg_index(json.loads(args), pname)
            if j < 0:
                continue
            if fkind == "direct":
                targets = [nxt]
            elif fkind == "static-call":  # forwarded through a table of functions:
                targets = [t for t, _c2 in self.functions_in_slot(*self._static_slot(nxt))]
            else:  # pDevIns->pHlpR3->pfnTimerCreate(.., pfnCallback, ..) -> its bound helpers
                cont = self.types.container(fbid, callee, list(parse_chain(recv)) + [nxt])
                targets = [t for t, _c2 in self.functions_in_slot(nxt, cont)] if cont else []
            for t in targets:
                if t != callee:
                    out += self._through_param(t, j, depth - 1)
        by_def = [self.sc.rows(  # (by blob and function: `value = 'data'` is everywhere on
            # all of Linux)
            "assign", "t.blob_id = ? AND t.func = ? AND t.value = ? AND t.kind IN ('assign', "
            "'designated')",
            (bid, callee, pname), "t.chain, t.field, t.line") for bid in self.definitions(callee)]
        by_def = [rows for rows in by_def if rows]
        # (one definition that stores it: RTTimerCreateEx of every host OS would lead a path
        # search through each one's timer internals; a stub beside the real one stores
        # nothing, `static inline void sched_clock_register(...) { }`)
        stores = by_def[0] if len(by_def) == 1 else []
        for _c, apath, abid, chain_t, slot, aline in stores:
            chain = list(parse_chain(chain_t))
            if len(chain) < 2 or not slot:
                continue
            cont = self.types.container(abid, callee, chain)
            if cont is None:
                continue  # (an unresolved member: every `->slot(` of the corpus would match)
            for cid, path, bid, line, col, caller, kind, c2, note, _obj in self._slot_calls(slot):
                if kind != "member" or c2 != cont:
                    continue  # a stored callback runs where that very member is called
                how = f" ({note})" if note.startswith("through local") else ""
                out.append((cid, path, bid, line, col, caller,
                            f"{cont}.{slot}{how}, set from parameter {pname} of {callee} "
                            f"at {apath}:{aline}", False))
            for *r, how in self._slot_handed_on(slot, cont, depth - 2):  # (its value handed on;
                # two levels of the budget: the store and the hand-over)
                out.append((*r, f"{how}, set from parameter {pname} of {callee} at "
                                f"{apath}:{aline}", False))
        return out

    def out_of(self, func: str) -> list[Edge]:
        """Edges whose caller is `func` (callees resolved through tables and parameters)."""
        if func not in self._out:
            self._out[func] = self._compute_out(func)
        return self._out[func]

    def _compute_out(self, func: str) -> list[Edge]:
        stem = self.template_of(func)
        if stem is not None:  # `paging64_page_fault`: what FNAME(page_fault) calls
            return self.out_of(stem)
        sc, out = self.sc, []
        rows = sc.rows("call", "t.func = ?", (func,),
                       "t.line, t.col, t.callee, t.kind, t.recv, t.args")
        from vmxref.queries import handover  # (it builds Edges: imported here)
        out += handover.handed_out(self, func, rows)
        params = None
        for cid, path, bid, line, col, callee, kind, recv, _args in rows:
            if kind == "direct":
                params = self.params(func) if params is None else params
                if callee in params and not self.is_function(callee):
                    for target, via in self._param_targets(func, params.index(callee)):
                        out.append(Edge(cid, path, bid, line, col, func, target, "pointer", via))
                    continue
                if not self.is_function(callee):
                    local = (self._local_targets(bid, func, callee) +
                             self._loaded_targets(bid, func, line, col)) or \
                        self._global_targets(bid, func, callee)
                    for target, via in local:
                        out.append(Edge(cid, path, bid, line, col, func, target, "pointer", via))
                    if local:
                        continue
                out.append(Edge(cid, path, bid, line, col, func, callee, "direct",
                                is_function=self.is_function(callee)))
            elif kind == "static-call":
                slot, cont = self._static_slot(callee)
                for target, c in self.functions_in_slot(slot, cont):
                    out.append(Edge(cid, path, bid, line, col, func, target, "static-call",
                                    f"static_call({callee}) -> {c}.{slot}"))
                for target, where in staticcalls.targets_of(self, callee):
                    out.append(Edge(cid, path, bid, line, col, func, target, "static-call",
                                    f"static_call({callee}) -> {target} (set at {where})"))
            else:
                cont, twins = None, []
                if kind == "member":
                    chain = [*parse_chain(recv), callee]
                    cont = self._in_context(self.types.container(bid, func, chain), callee,
                                            bid, line, path)
                    twins = [t for t in self._twins(bid, func, line, chain) if t[0] != cont]
                n = len(out)
                for target, c in self.functions_in_slot(callee, cont):
                    out.append(Edge(cid, path, bid, line, col, func, target,
                                    "ops-table" if kind == "member" else "pointer", f"{c}.{callee}"
                                    if kind == "member" else callee))
                if kind == "member" and cont is not None:  # a callback member set from a
                    # parameter (`pTimer->u.Dev.pfnTimer = pfnCallback`): what callers pass
                    from vmxref.queries import handover
                    for target, via in handover.stored_from_params(self, callee, cont, func):
                        out.append(Edge(cid, path, bid, line, col, func, target, "pointer", via))
                for c3, note in twins:  # (the same call compiled for another context)
                    for target, c in self.functions_in_slot(callee, c3):
                        out.append(Edge(cid, path, bid, line, col, func, target, "ops-table",
                                        f"{c}.{callee} ({note})"))
                if kind == "member":  # through a member of a local a function pointer was
                    # copied into (`u.pfn = pReq->u.Internal.pfn; u.pfn03(a, b, c)`)
                    for target, via in self._loaded_targets(bid, func, line, col):
                        out.append(Edge(cid, path, bid, line, col, func, target, "pointer", via))
                if len(out) == n:  # a dispatch that is there, though nothing is known to be
                    # stored in it (`u.pfn07(...)` in vmR3ReqProcessOne): said, not dropped
                    why = "no function of the corpus is known to be stored there"
                    if kind == "member" and cont is not None:
                        from vmxref.queries import handover
                        other = handover.stored_elsewhere(self, callee, cont, func)
                        if other:  # (registered with constants this caller is never given)
                            why = (f"{', '.join(other[:3])}{' ...' if len(other) > 3 else ''} "
                                   f"stored there run{'s' if len(other) == 1 else ''} from "
                                   f"other calls: registered with constants the calls of "
                                   f"{func} never pass")
                    out.append(Edge(cid, path, bid, line, col, func, callee,
                                    "ops-table" if kind == "member" else "pointer",
                                    f"{cont or '?'}.{callee}: unresolved ({why})"
                                    if kind == "member" else f"{callee}: unresolved",
                                    is_function=False))
        return _dedup(out)

    def _local_targets(self, bid: int, func: str, var: str) -> list[tuple[str, str]]:
        """Functions a local function pointer is loaded with (a function, a table element)."""
        out: list[tuple[str, str]] = []
        if not self.sc.conn.execute(
                "SELECT 1 FROM sym WHERE name = ? AND blob_id = ? AND scope = ? AND kind = 'local'",
                (var, bid, func)).fetchone():
            return out
        for (value,) in self.sc.conn.execute(
                "SELECT value FROM assign WHERE blob_id = ? AND func = ? AND chain = ? "
                "AND kind IN ('init', 'assign')", (bid, func, json.dumps([f"v:{var}"]))):
            v = value.lstrip("&").strip()
            chain = arg_chain(value) if "->" in value or "." in value else None
            if v.isidentifier() and self.names_function(bid, func, v):
                out.append((v, f"local {var} = {v}"))
            elif chain and len(chain) > 1 and chain[-1] != "[]":  # `cui = vcpu->arch.cb`
                cont = self.types.container(bid, func, chain)
                out += [(t, f"{c}.{chain[-1]} via local {var}")
                        for t, c in self.functions_in_slot(chain[-1], cont)]
            elif "[" in v and v.split("[", 1)[0].strip().isidentifier():
                table = v.split("[", 1)[0].strip()
                out += [(t, f"{table}[] via {var}") for t, _c in self.functions_in_slot(table, None)]
        return out

    def _object_binding(self, obj: str, slot: str) -> str | None:
        """The one function a named object's initialiser binds to its member `slot`
        (`static struct clocksource clocksource_acpi_pm = { .read = acpi_pm_read }`), else
        None (no initialiser, several, or an assignment elsewhere as well)."""
        memo = self.sc.memo("_object_binding")
        key = (obj, slot)
        if key not in memo:
            rows = self.sc.rows("assign", "t.field = ? AND t.chain = ?",
                                (slot, json.dumps([f"v:{obj}", slot])), "t.value, t.kind")
            funcs = {(r[3] or "").lstrip("&").strip() for r in rows}
            one = funcs.pop() if len(funcs) == 1 else None
            memo[key] = one if one and all(r[4] == "designated" for r in rows) and \
                self.is_function(one) else None
        return memo[key]

    def instances(self, func: str) -> list[str]:
        """The other names of a template function (templates.instances)."""
        return templates.instances(self.sc, func)

    def template_of(self, func: str) -> str | None:
        """The template function an instance name is of (templates.template_of)."""
        return templates.template_of(self.sc, func)

    def _global_pointer(self, name: str) -> bool:
        """Is `name` a file-scope function pointer variable (`u64 (*hv_read_reference_counter)
        (void);`), and no function?"""
        memo = self.sc.memo("_global_pointer")
        if name not in memo:
            types = {r[3] for r in self.sc.rows(
                "sym", "t.name = ? AND t.kind IN ('global', 'extern')", (name,), "t.type", limit=20)}
            memo[name] = bool(types) and all(t and t.endswith(")") for t in types) and \
                not self.is_function(name)
        return memo[name]

    def _global_pointer_calls(self, var: str, func: str, where: str) -> list[Edge]:
        """Calls through the global function pointer `var`, set to `func` at `where` (not in
        a function with a local or parameter of that name)."""
        out = []
        for cid, path, bid, line, col, caller in self.sc.rows(
                "call", "t.callee = ? AND t.kind = 'direct'", (var,), "t.line, t.col, t.func"):
            if caller and self.types.local_type(bid, caller, var) is not None:
                continue
            out.append(Edge(cid, path, bid, line, col, caller, func, "pointer",
                            f"{var} (set at {where})"))
        return out

    def _global_targets(self, bid: int, func: str, var: str) -> list[tuple[str, str]]:
        """Functions a global function pointer is set to anywhere (`hv_read_reference_counter
        = read_hv_clock_tsc`), for a call of it in `func` (which declares no such local)."""
        if not self._global_pointer(var) or self.types.local_type(bid, func, var) is not None:
            return []
        out = []
        for _c, path, _b, value, line in self.sc.rows(
                "assign", "t.field = ? AND t.kind IN ('init', 'assign') AND t.chain = ?",
                (var, json.dumps([f"v:{var}"])), "t.value, t.line"):
            v = value.lstrip("&").strip()
            if v.isidentifier() and self.is_function(v):
                out.append((v, f"{var} (set at {path}:{line})"))
        return list(dict.fromkeys(out))

    def _static_slot(self, name: str) -> tuple[str, str | None]:
        best = ""
        for p in self.static_prefixes:
            if name.startswith(p) and len(p) > len(best):
                best = p
        return (name[len(best):], self.static_prefixes[best]) if best else (name, None)

    def _param_targets(self, func: str, idx: int, depth: int = 3) -> list[tuple[str, str]]:
        """(function, how) of each function the direct callers of `func` hand to its
        parameter `idx`, also through a parameter of their own they hand on (`msr_io(vcpu,
        argp, do_set_msr, 0)` -> `__msr_io(vcpu, &msrs, entries, do_msr)`: do_set_msr is a
        target of __msr_io's `do_msr(...)`), `depth` callers up."""
        out = []
        for cid, path, bid, line, args, caller in self.sc.rows(
                "call", "t.callee = ? AND t.kind = 'direct'", (func,), "t.line, t.args, t.func"):
            a = json.loads(args)
            if idx < len(a):
                v = bare(a[idx])
                how = f"parameter of {func} (passed at {path}:{line})"
                if not v.isidentifier():
                    continue
                if self.names_function(bid, caller, v):
                    out.append((v, how))
                elif depth > 1 and caller and caller != func and v in (ps := self.params(caller)):
                    out += [(t, f"{how}, {via}")
                            for t, via in self._param_targets(caller, ps.index(v), depth - 1)]
        return list(dict.fromkeys(out))


_CAST = re.compile(r"\(\s*[A-Za-z_][\w\s*]*\)\s*(?=[\w(&*~!-])")  # a leading `(PFNRT)`,
# `(void *)`, before an operand (`(A) | B` is a parenthesised operand: no cast)
# edge kinds whose call site hands its arguments to the callee's parameters in order
ARG_EDGES = frozenset({"direct", "static-call", "pointer", "ops-table"})
_WORD = re.compile(r"[A-Za-z_]\w*")
_LONE_NAME = re.compile(r"[\s(]*[A-Za-z_]\w*[\s)]*")  # a value that is one name


def _template_instance(sc: Scope, name: str) -> bool:
    """Is `name` an instance of a template header's function (pasted.instance_template:
    `iemCImpl_rep_movs_op8_addr32`), which no declaration spells? (pasted.py and what it
    imports are loaded for such names only)"""
    from vmxref.queries import pasted
    return pasted.instance_template(sc, name) is not None


def uncast(arg: str) -> str:
    """An argument's text without its leading casts (`(PFNRT)vmR3Load`, `(void *)p`)."""
    a = arg.strip()
    while (m := _CAST.match(a)) and m.end() < len(a):
        a = a[m.end():]
    return a


def bare(arg: str) -> str:
    """What an argument names with casts, `&` and parentheses peeled: `vmR3Load` of
    `(PFNRT)vmR3Load`, `x` of `&x` or `(x)`."""
    a = arg.strip()
    while True:
        m = _CAST.match(a)
        if m and m.end() < len(a):
            a = a[m.end():]
        elif a.startswith("&"):
            a = a[1:].lstrip()
        elif a.startswith("(") and a.endswith(")"):
            a = a[1:-1].strip()
        else:
            return a


def _arg_index(args: list[str], func: str) -> int:
    """Position of the argument that is `func` (also as `&func`, `(PFNRT)func`, `(func)`)."""
    for i, a in enumerate(args):
        if func in a and bare(a) == func:
            return i
    return -1


_KIND_RANK = {k: i for i, k in enumerate(EDGE_KINDS)}


def edge_order(e: Edge) -> tuple:
    """Edges in a fixed order (kind as in EDGE_KINDS, then position), so that path
    searches break ties the same way whatever order the index returned the rows in."""
    return (_KIND_RANK.get(e.kind, len(_KIND_RANK)), e.path, e.line, e.col, e.caller, e.callee,
            e.via, e.cid)


def _dedup(edges: list[Edge]) -> list[Edge]:
    """Distinct edges, in edge_order."""
    seen, out = set(), []
    for e in sorted(edges, key=edge_order):
        k = (e.cid, e.path, e.line, e.col, e.caller, e.callee, e.kind)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def graph(sc: Scope) -> Graph:
    """The lazy graph of a scope, kept on the scope (it lives and dies with it)."""
    g = getattr(sc, "_graph", None)
    if g is None:
        g = sc._graph = Graph(sc)  # type: ignore[attr-defined]
    return g


def edges_into(sc: Scope, func: str) -> list[Edge]:
    """Edges into `func`."""
    return graph(sc).into(func)


def edges_out_of(sc: Scope, func: str) -> list[Edge]:
    """Edges out of `func`."""
    return graph(sc).out_of(func)
