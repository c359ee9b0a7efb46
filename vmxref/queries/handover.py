"""Edges seen from the other end of a hand-over, so that callees agree with callers: a
callback member set from a parameter calls what the creator's callers pass
(stored_from_params), a function handed to a call that registers it or runs it later, and
a work item that is queued (handed_out). Functions of the Graph (edges.py), memoised on it."""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries import macroforms
from vmxref.queries.edges import HANDED_DEPTH, Edge, uncast
from vmxref.queries.types import parse_chain


MAX_STORED_TARGETS = 400  # functions listed for one callback member set from parameters
_LAST_MEMBER = re.compile(r"(?:->|\.)\s*([A-Za-z_]\w*)\s*\)*\s*\Z")  # `&kvm->arch.work`


def handed_out(g, func: str, rows: list[tuple]) -> list[Edge]:
    """Edges out of `func` that callers see from the other end (_passed_as_value and
    queued_into, for this function's calls only): a function it hands to a call that
    registers it or runs it later (`VMR3ReqCallWaitU(.., (PFNRT)vmR3Load, ..)`), a
    macro that calls its argument, and a work item it queues (`queue_work(wq,
    &pvclock_gtod_work)`: the function registered with that object)."""
    from vmxref.queries.workqueue import queued_into
    out: list[Edge] = []
    for cid, path, bid, line, col, callee, kind, _recv, args in rows:
        for idx, a in enumerate(json.loads(args) if args else []):
            a = uncast(a)
            name = a.lstrip("&").strip()
            if name.isidentifier() and name != callee and g.names_function(bid, func, name):
                if kind == "direct" and g._through_param(callee, idx, HANDED_DEPTH):
                    continue  # (called inside the callee, or stored and called later)
                if kind == "direct" and macroforms.calls_arg(g.sc, callee, idx):
                    out.append(Edge(cid, path, bid, line, col, func, name, "macro",
                                    f"{callee}() calls its argument {name}"))
                    continue
                reg = Edge(cid, path, bid, line, col, func, name, "registered",
                           f"{callee}(..., {name}, ...)")
                if not queued_into(g, name, [reg]):  # (INIT_WORK(&w, fn): no call)
                    out.append(reg)
            elif a.startswith("&"):
                m = _LAST_MEMBER.search(a)
                item = name if name.isidentifier() else (m.group(1) if m else "")
                for fn in registered_with(g, item) if item else ():
                    regs = [e for e in g._passed_as_value(fn) if e.kind == "registered"]
                    out += [q for q in queued_into(g, fn, regs)
                            if q.caller == func and (q.blob_id, q.line) == (bid, line)]
    return out


def registered_with(g, name: str) -> list[str]:
    """Functions a work item named `name` (a variable or a member) may be registered
    with: the function values of the calls around the places its address is taken."""
    from vmxref.queries.workqueue import MAX_ADDRESS_USES
    memo = g.sc.memo("_registered_with")
    if name in memo:
        return memo[name]
    uses = g.sc.rows("ref", "t.name = ? AND t.kind IN ('addr', 'write', 'read')", (name,),
                        "t.line, t.func", limit=MAX_ADDRESS_USES + 1)
    calls = [] if len(uses) > MAX_ADDRESS_USES else [
        (bid, func, *r) for _c, _p, bid, line, func in uses for r in g.sc.conn.execute(
            "SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND line <= ? AND "
            "end_line >= ?", (bid, func or "", line, line))]
    out = []
    for bid, func, callee, args in calls:
        for a in json.loads(args) if args else []:
            a = uncast(a)
            if a != callee and a.isidentifier() and g.names_function(bid, func, a):
                out.append(a)
    memo[name] = sorted(set(out))
    return memo[name]


def stored_from_params(g, slot: str, cont: str, dispatcher: str = "") -> list[tuple[str, str]]:
    """Functions that reach member `cont.slot` through a parameter stored there: the
    inverse of _through_param's stored callbacks, so that callees and callers agree
    (`tmR3TimerQueueRun` calls each `pfnTimer` that PDMDevHlpTimerCreate callers pass,
    through pdmR3DevHlp_TimerCreate and TMR3TimerCreateDevice), but not those registered
    with an enumerator the `dispatcher`'s callers never give it (Graph._runs_other)."""
    found = _stored(g, slot, cont)
    return [(t, via) for t, via, consts in found
            if not (dispatcher and consts and g._runs_other(dispatcher, consts))]


def stored_elsewhere(g, slot: str, cont: str, dispatcher: str) -> list[str]:
    """The functions stored in `cont.slot` through a parameter that stored_from_params
    leaves out for `dispatcher` (registered with constants its callers never give it:
    apicR3TimerCallback's TMCLOCK_VIRTUAL_SYNC for tmR3TimerQueueRun)."""
    return sorted({t for t, _via, consts in _stored(g, slot, cont)
                   if consts and g._runs_other(dispatcher, consts)})


def _stored(g, slot: str, cont: str) -> list[tuple[str, str, dict]]:
    key = ("stored", slot, cont)
    if key not in g._slots:
        g._slots[key] = []  # (recursion)
        out: list[tuple[str, str]] = []
        for _c, path, bid, chain_t, fn, value, line in g.sc.rows(
                "assign", "t.field = ? AND t.kind IN ('assign', 'designated')", (slot,),
                "t.chain, t.func, t.value, t.line"):
            params = g.params(fn) if fn and value.isidentifier() else []
            if value not in params or g.types.container(
                    bid, fn, list(parse_chain(chain_t))) != cont:
                continue
            for target, args in passed_up(g, fn, params.index(value), 4, set()):
                out.append((target, f"{cont}.{slot}, set from parameter {value} of {fn} "
                                    f"at {path}:{line}", g._enumerators(args)))
                if len(out) >= MAX_STORED_TARGETS:
                    break
        seen: set[tuple[str, str]] = set()
        g._slots[key] = [r for r in out if (r[0], r[1]) not in seen
                         and not seen.add((r[0], r[1]))]
    return g._slots[key]


def passed_up(g, func: str, idx: int, depth: int, seen: set) -> list[tuple[str, list[str]]]:
    """Functions the callers of `func` pass for its parameter `idx`, following a
    caller's own parameter handed on (`depth` callers up; calls through tables too), each
    with the arguments of the call that passes it."""
    if depth <= 0 or (func, idx) in seen:
        return []
    seen.add((func, idx))
    from vmxref.queries import callsite
    out: list[tuple[str, list[str]]] = []
    for e in g.into(func):
        if e.kind not in ("direct", "ops-table", "static-call", "pointer", "macro"):
            continue
        args = callsite.args(g.sc, e)
        if idx >= len(args):
            continue
        a = uncast(args[idx]).lstrip("&").strip()
        if not a.isidentifier():
            continue
        if g.names_function(e.blob_id, e.caller, a):
            out.append((a, args))
        elif e.caller and a in (params := g.params(e.caller)):
            out += passed_up(g, e.caller, params.index(a), depth - 1, seen)
    return out
