"""Call-graph verbs: callers, callees (direct calls; indirect edges come from resolve_calls)."""
from __future__ import annotations

from vmxref.lazy import re

from vmxref.errors import UnknownSymbol
from vmxref.model import Site
from vmxref.queries import edges
from vmxref.schema import SYM_STATIC
from vmxref.queries.base import Scope, sort_sites
from vmxref.queries.types import parse_chain


def callers(sc: Scope, func: str, depth: int = 1) -> list[Site]:
    """Call sites that reach `func`: direct calls and resolved indirect ones, up to `depth`
    levels; and where a function is stored as a callback that no call of the corpus goes
    through (edge 'stored': the caller is outside the corpus; not followed further)."""
    if "." in func:  # STRUCT.MEMBER: the calls through that function-pointer member
        return _slot_callers(sc, func, depth)
    sc.require(func)
    return _callers_from(sc, [func], 1, depth, [], {func})


def _slot_callers(sc: Scope, slot: str, depth: int) -> list[Site]:
    """`callers STRUCT.MEMBER`: every call site through the member (whichever function is
    stored in it), then the callers of the functions that make them."""
    from vmxref.queries.types import resolver
    struct, member = slot.split(".", 1)
    tr = resolver(sc)
    cont = tr.struct_of(struct) or _nested(tr, struct) or struct
    if not tr.is_struct(cont):
        sc.require(struct)  # (an unknown name: said with look-alikes)
        raise UnknownSymbol(f"{struct} is no struct in {sc.label()}; `callers STRUCT.MEMBER` "
                            f"takes the struct that has the function-pointer member")
    cont = tr.owner(cont, member)
    if tr.field_type(cont, member) is None:
        from vmxref.queries.writes import require_member
        require_member(sc, tr, cont, member)  # (its "Did you mean", as reads/writes say it)
        raise UnknownSymbol(f"struct {cont} has no member {member!r} in {sc.label()}")
    out: list[Site] = []
    nxt: list[str] = []
    for e in edges.graph(sc).calls_through(member, cont):
        out.append(sc.site("caller", e.cid, e.path, e.blob_id, e.line, e.col, e.caller,
                           e.callee, edge=e.kind, via=e.via, depth=1))
        if e.caller and e.caller not in nxt:
            nxt.append(e.caller)
    return _callers_from(sc, nxt, 2, depth, out, set(nxt))


def _nested(tr, path: str) -> str | None:
    """The struct `VMREQ::u::Internal` designates when a member on the way has a type of
    its own (`union VMREQ_U {..} u`: VMREQ_U::Internal), else None."""
    parts = path.split("::")
    cur = tr.struct_of(parts[0])
    for part in parts[1:]:
        if cur is None:
            return None
        cur = tr.struct_of(tr.field_type(cur, part)) or (
            f"{cur}::{part}" if tr.is_struct(f"{cur}::{part}") else None)
    return cur


def _callers_from(sc: Scope, frontier: list[str], first: int, depth: int, out: list[Site],
                  seen: set[str]) -> list[Site]:
    """callers' levels `first`..`depth` from the functions of `frontier`."""
    for level in range(first, depth + 1):
        nxt = []
        for target in frontier:
            defs = definitions(sc, target)
            for e in edges.edges_into(sc, target):
                if not e.caller and e.kind == "direct" and _unparsed(sc, e.blob_id, e.line) \
                        and edges.graph(sc).is_function(target):
                    # a call of a function in code that did not parse, its function unknown:
                    # said, not dropped (an answer tells where parse errors hide callers);
                    # a macro used at file scope (DECLARE_WORK(..)) is no such call
                    why = "the calling function is unknown: the file does not parse here"
                    out.append(sc.site("caller", e.cid, e.path, e.blob_id, e.line, e.col, "",
                                       target, edge=e.kind, via=f"{e.via}; {why}" if e.via
                                       else why, depth=level, unparsed=True))
                    continue
                if not e.caller:
                    continue  # file-scope registrations (EXPORT_SYMBOL, DECLARE_WORK) are not callers
                site = sc.site("caller", e.cid, e.path, e.blob_id, e.line, e.col, e.caller,
                               target, edge=e.kind, via=e.via, depth=level)
                if sum(d[0] == e.cid for d in defs) > 1:  # (two static read_tsc in this
                    # version: which one this call reaches)
                    which = _reached(sc, defs, e)
                    if which:
                        site.extra["definition"] = which
                out.append(site)
                # a function handed down and called during that call (a rendezvous worker):
                # the stack goes on in the function that handed it, not in every caller of
                # the dispatcher that calls it
                up = e.origin.caller if e.origin is not None else e.caller
                if up and up not in seen:
                    seen.add(up)
                    nxt.append(up)
            for e in edges.graph(sc).stored_only(target):  # hooked, called from outside
                out.append(sc.site("caller", e.cid, e.path, e.blob_id, e.line, e.col, e.caller,
                                   target, edge=e.kind, via=e.via, depth=level))
        frontier = nxt
    return sorted(out, key=lambda s: (s.extra["depth"], s.key()))


def _unparsed(sc: Scope, blob_id: int, line: int) -> bool:
    """Is `line` of the blob in a range the parser reported errors in (memoised per blob)?"""
    memo = sc.memo("callers_unparsed")
    if blob_id not in memo:
        row = sc.conn.execute("SELECT err_lines, errors FROM blob WHERE id = ?",
                              (blob_id,)).fetchone()
        ranges = []
        if row and row[0] and row[1]:
            from vmxref.lazy import json
            try:
                ranges = [(int(a), int(b)) for a, b in json.loads(row[1])]
            except (ValueError, TypeError):
                ranges = []
        memo[blob_id] = ranges
    return any(a <= line <= b for a, b in memo[blob_id])


def definitions(sc: Scope, func: str) -> list[tuple]:
    """(corpus, path, blob, line, flags) of each function definition named `func` in the asked
    corpus versions (memoised)."""
    memo = sc.memo("_function_definitions")
    if func not in memo:
        memo[func] = sorted(sc.rows("sym", "t.name = ? AND t.kind = 'function' AND "
                                    "t.scope = ''", (func,), "t.line, t.flags"),
                            key=lambda d: (d[1], d[3]))
    return memo[func]


_PASSED_AT = re.compile(r"passed at (\S+?):(\d+)")
_BOUND_AT = re.compile(r"(?:bound|set) at (\S+?):(\d+)")


def _reached(sc: Scope, defs: list[tuple], e) -> str | None:
    """`path:line` of the definition a call reaches when the name has several: the one in
    the file the call is written in (or, through a function pointer, the file that names
    the function where it is handed over, bound or set: `sched_clock_register(
    native_sched_clock, ..)` in loongarch's time.c hands over that file's static one); else
    the only one visible from there (not `static` in another source file)."""
    g = edges.graph(sc)
    where = e.path
    if e.kind not in ("direct", "macro"):
        m = _PASSED_AT.search(e.via or "") or _BOUND_AT.search(e.via or "")
        where = m.group(1) if m else e.path
    same = [d for d in defs if d[1] == where and d[0] == e.cid]
    if len(same) == 1:
        return f"{same[0][1]}:{same[0][3]}"
    seen = [d for d in defs if d[0] == e.cid and not (d[4] & SYM_STATIC and g.private_file(d[1]))]
    return f"{seen[0][1]}:{seen[0][3]}" if len(seen) == 1 else None


def callees(sc: Scope, func: str, depth: int = 1) -> list[Site]:
    """Calls made by `func` (and by its callees, up to `depth` levels)."""
    sc.require(func)
    out: list[Site] = []
    seen = {func}
    frontier = [func]
    for level in range(1, depth + 1):
        nxt = []
        for caller in frontier:
            for e in edges.edges_out_of(sc, caller):
                if not e.is_function and _is_hint(sc, e.callee):
                    continue  # `if (unlikely(r))`: a branch hint, no call
                out.append(sc.site("callee", e.cid, e.path, e.blob_id, e.line, e.col, caller,
                                   e.callee, edge=e.kind, via=e.via, depth=level,
                                   callee_kind=_callee_kind(sc, e)))
                if e.callee not in seen and e.is_function:
                    seen.add(e.callee)
                    nxt.append(e.callee)
                if e.kind != "direct" or e.is_function:
                    continue
                # a macro whose body calls functions (`IEM_MC_MEM_MAP(..)` -> iemMemMap):
                # they are called here, as `callers` of them says
                for target, via in _macro_calls(sc, e.callee):
                    out.append(sc.site("callee", e.cid, e.path, e.blob_id, e.line, e.col,
                                       caller, target, edge="macro", via=via, depth=level,
                                       callee_kind="function"))
                    if target not in seen:
                        seen.add(target)
                        nxt.append(target)
            for cid, path, bid, line, col, macro in edges.loop_macros_in(sc, caller):
                # (`for_each_shadow_entry(..) {`: a loop macro, no call expression)
                for target, via in _macro_calls(sc, macro):
                    out.append(sc.site("callee", cid, path, bid, line, col, caller, target,
                                       edge="macro", via=via, depth=level,
                                       callee_kind="function"))
                    if target not in seen:
                        seen.add(target)
                        nxt.append(target)
            for e in _stored_by(sc, caller):  # hooked here, called from outside: as
                # `callers` lists it (edge 'stored'), and not followed (no call)
                out.append(sc.site("callee", e.cid, e.path, e.blob_id, e.line, e.col, caller,
                                   e.callee, edge=e.kind, via=e.via, depth=level,
                                   callee_kind="function"))
        frontier = nxt
    return sorted(out, key=lambda s: (s.extra["depth"], s.key()))


def _stored_by(sc: Scope, func: str) -> list:
    """The 'stored' edges (edges.Graph.stored_only) whose storing function is `func`: the
    functions it stores in a member or table no call of the corpus goes through
    (`x86_platform.calibrate_tsc = kvm_get_tsc_khz` in kvmclock_init)."""
    g = edges.graph(sc)
    values = set()
    for bid in {d[2] for d in definitions(sc, func)}:  # (by blob: the index's key)
        for v, chain_t in sc.conn.execute(
                "SELECT value, chain FROM assign WHERE blob_id = ? AND func = ? AND kind IN "
                "('assign', 'init', 'designated')", (bid, func)):
            v = (v or "").lstrip("&").strip()
            steps = [x for x in parse_chain(chain_t)[1:] if x != "*"]
            if steps and v.isidentifier() and g.is_function(v) and g.visible(v, bid):
                values.add(v)  # (stored in a member or an element: `*p = true` is no hook,
                # and all of Linux has a function named `true` in a file of its own)
    out = []
    for value in sorted(values):
        out += [e for e in g.stored_only(value) if e.caller == func]
    return out


def _callee_kind(sc: Scope, e) -> str:
    """What a callee row names: a `function` of the corpus, a `macro` (LogRel, RT_SUCCESS,
    AssertRC...: a use, no call of a function), or `unknown` (declared outside the corpus:
    a library function, a builtin)."""
    if e.is_function:
        return "function"
    return "macro" if sc.has_sym(e.callee, ("macro",)) else "unknown"


def _macro_calls(sc: Scope, macro: str, depth: int = 3) -> list[tuple[str, str]]:
    """(function, via) of the functions the body of the function-like `macro` calls, also
    through the macros it uses (`depth` levels), as `callers` finds them (edges.Graph's
    _macro_users): not those of a macro used more than edges.MAX_MACRO_USES times (an
    assertion's panic function is no callee of each function asserting), memoised."""
    memo = sc.memo("callees_macro_calls")
    key = (macro, depth)
    if key not in memo:
        memo[key] = []  # (cycles)
        g, out = edges.graph(sc), []
        for callee in dict.fromkeys(r[3] for r in sc.rows(  # (the asked versions' body)
                "call", "t.func = ? AND t.kind = 'macro'", (macro,), "t.callee")):
            if callee == macro:
                continue
            if g.is_function(callee):
                if g.macro_use_count(macro) <= edges.MAX_MACRO_USES:
                    out.append((callee, f"{macro}() calls {callee}"))
            elif depth > 1:
                out += [(t, f"{macro}() -> {via}") for t, via in _macro_calls(sc, callee, depth - 1)]
        memo[key] = list(dict.fromkeys(out))
    return memo[key]


HINTS = frozenset({"likely", "unlikely", "RT_LIKELY", "RT_UNLIKELY", "__builtin_expect",
                   "__builtin_constant_p"})
_BODY_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def _is_hint(sc: Scope, name: str) -> bool:
    """A compiler hint written as a call: likely / unlikely / RT_UNLIKELY, or a macro of the
    corpus whose body calls nothing but `__builtin_*` (memoised)."""
    if name in HINTS:
        return True
    memo = sc.memo("callees_hints")
    if name not in memo:
        texts = [r[3] for r in sc.rows("sym", "t.name = ? AND t.kind = 'macro'", (name,), "t.text")]
        calls = [c for t in texts if t.startswith("(") for c in _BODY_CALL.findall(t.split(")", 1)[1])]
        memo[name] = bool(calls) and all(c.startswith("__builtin_") for c in calls)
    return memo[name]


__all__ = ["callers", "callees", "sort_sites"]
