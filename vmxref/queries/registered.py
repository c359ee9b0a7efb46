"""Callbacks registered on a container run only from calls on that container.

A notifier_block is bound to its callback by its initializer (`static struct notifier_block
pvclock_gtod_notifier = { .notifier_call = pvclock_gtod_notify }`), so every call through
`nb->notifier_call` in notifier_call_chain reaches it: on Linux's kernel/ that one call
reaches every notifier of the tree, and `path timekeeping_update -> ...` went on from
pvclock_gtod_chain into the OOM and memory-hotplug notifiers. Which chain a block is on is
said where it is registered: its address handed to a call beside the address of a global
(`raw_notifier_chain_register(&pvclock_gtod_chain, nb)`, reached from
`pvclock_gtod_register_notifier(&pvclock_gtod_notifier)` through the parameter `nb`). A path
says which chain it calls: the global whose address it hands down
(`raw_notifier_call_chain(&pvclock_gtod_chain, ..)` -> `notifier_call_chain(&nh->head, ..)`)
into the parameter the call's receiver is loaded from (`nb = rcu_dereference_raw(*nl)`).

A hop through a bound member is ruled out when both are known and the chain the path
carries is none of those the block is registered on. Nothing is ruled out when either is
unknown (a block registered through a macro that pastes its name, a chain reached through
a member of a struct...).
"""
from __future__ import annotations

from vmxref.lazy import json, re
from vmxref.queries import callsite
from vmxref.queries.base import Scope
from vmxref.queries.edges import ARG_EDGES, Edge, graph
from vmxref.queries.types import parse_chain

_BASE = re.compile(r"[&*(]*([A-Za-z_]\w*)")  # (`&nh->head`, `*nl`, `(nh)`: nh)
_WORD = re.compile(r"[A-Za-z_]\w*")
_CALL = re.compile(r"([A-Za-z_]\w*)\s*\(")
DEPTH = 3  # calls followed down from a registration to the one naming the container


def clash(sc: Scope, dg, hops: list[tuple[str, str, list[Edge]]]) -> set[tuple[str, str]]:
    """The first hop through a member bound in an object registered on other containers than
    the one the path hands down to it (see module docstring), as {(a, b)}; else empty."""
    for i, (a, b, calls) in enumerate(hops):
        e = dg.edge(a, b)
        if e.kind != "ops-table" or i == 0:
            continue
        obj = bound_object(sc, e)
        if obj is None:
            continue
        keys = registration_keys(sc, obj)
        if not keys:
            continue
        carried = _carried(sc, hops[:i], calls)
        if carried and not carried & keys:
            return {(a, b)}
    return set()


def bound_object(sc: Scope, e: Edge) -> str | None:
    """The global object whose initializer binds e's callee to the member it is called
    through (at e.bound_at, FILE:LINE), or None."""
    path, _, line = (e.bound_at or "").rpartition(":")
    if not path or not line.isdigit():
        return None
    memo = sc.memo("registered_object")
    key = (e.callee, path, int(line))
    if key not in memo:
        memo[key] = None
        for _cid, path, _bid, chain_t, fn in sc.rows(
                "assign", "t.value IN (?, ?) AND t.line = ?", (e.callee, "&" + e.callee, key[2]),
                "t.chain, t.func"):
            chain = list(parse_chain(chain_t))
            if path == key[1] and not fn and chain and chain[0].startswith("v:"):
                memo[key] = chain[0][2:]
                break
    return memo[key]


def registration_keys(sc: Scope, obj: str) -> frozenset[str]:
    """The globals whose address is handed beside `obj`'s (or beside the parameter it was
    handed in, up to DEPTH calls down) to a call: the containers it is registered on."""
    memo = sc.memo("registered_keys")
    if obj not in memo:
        keys: set[str] = set()
        for _cid, _path, bid, func, line in sc.rows("ref", "t.name = ? AND t.func != ''",
                                                    (obj,), "t.func, t.line"):
            for callee, args_t in sc.conn.execute(
                    "SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND line = ?",
                    (bid, func, line)):
                args = _squeezed(args_t)
                for k, a in enumerate(args):
                    if a in (obj, "&" + obj):
                        _keys_beside(sc, bid, func, callee, args, k, DEPTH, keys, set())
        memo[obj] = frozenset(keys)
    return memo[obj]


def _keys_beside(sc: Scope, bid: int, func: str, callee: str, args: list[str], k: int,
                 depth: int, keys: set[str], seen: set) -> None:
    """Add the containers of a call handing the registered thing as argument k."""
    found = {g for j, a in enumerate(args) if j != k
             if (g := _global_address(sc, bid, func, a)) is not None}
    if found:
        keys |= found
        return
    if depth == 0 or (callee, k) in seen:
        return
    seen.add((callee, k))
    for callee2, args2, k2 in _macro_calls(sc, callee, k):  # `register_hotmemory_notifier(nb)`
        _keys_beside(sc, bid, func, callee2, args2, k2, depth - 1, keys, seen)
    params = graph(sc).params(callee)
    if k >= len(params) or not params[k]:
        return
    p = params[k]
    for bid2 in sc.definitions(callee):
        for callee2, args_t in sc.conn.execute(
                "SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND kind = 'direct'",
                (bid2, callee)):
            args2 = _squeezed(args_t)
            for k2, a in enumerate(args2):
                if a == p:
                    _keys_beside(sc, bid2, callee, callee2, args2, k2, depth - 1, keys, seen)


def _macro_calls(sc: Scope, macro: str, k: int) -> list[tuple[str, list[str], int]]:
    """(callee, its arguments, position) of each call in the body of a function-like macro
    `macro` that hands on its k-th parameter as it is (`#define register_hotmemory_notifier(nb)
    register_memory_notifier(nb)`)."""
    from vmxref.queries.base import split_args
    from vmxref.queries.macroforms import function_like
    out = []
    for params, body in function_like(sc, macro):
        if k >= len(params) or not params[k].isidentifier():
            continue
        for m in _CALL.finditer(body):
            args = [a.replace(" ", "") for a in split_args(body[m.end():])]
            out += [(m.group(1), args, j) for j, a in enumerate(args) if a == params[k]]
    return out


def _carried(sc: Scope, before: list[tuple[str, str, list[Edge]]],
             calls: list[Edge]) -> set[str]:
    """The globals whose address the hops `before` hand down into the parameter of the
    dispatching function that the receiver of its member calls (`calls`) is loaded from;
    empty when unknown. A hop with several calls carries only what all of them carry."""
    g = graph(sc)
    flows: dict[str, str] = {}  # a name of the current function -> the global it holds
    for a, b, hop_calls in before:
        params = g.params(b)
        per_call = []
        for e in hop_calls:
            if e.kind not in ARG_EDGES or e.origin is not None:
                per_call.append({})
                continue
            new: dict[str, str] = {}
            for k, arg in enumerate(callsite.args(sc, e)):
                if k >= len(params) or not params[k]:
                    continue
                t = arg.replace(" ", "")
                glob = _global_address(sc, e.blob_id, a, t)
                if glob is not None:
                    new[params[k]] = glob
                elif (m := _BASE.match(t)) is not None and m.group(1) in flows:
                    new[params[k]] = flows[m.group(1)]
            per_call.append(new)
        flows = {p: v for p, v in per_call[0].items()
                 if all(o.get(p) == v for o in per_call[1:])} if per_call else {}
    if not flows:
        return set()
    out: set[str] = set()
    for e in calls:
        got = _receiver_keys(sc, e, flows)
        if not got:
            return set()  # (a call whose receiver comes from elsewhere: unknown)
        out |= got
    return out


def _receiver_keys(sc: Scope, e: Edge, flows: dict[str, str]) -> set[str]:
    """The carried globals the receiver of the member call `e` derives from: the parameter
    itself, or a local assigned from an expression naming it."""
    recv, sources = _receiver(sc, e)
    if recv in flows:
        return {flows[recv]}
    return {flows[w] for w in sources if w in flows}


def _receiver(sc: Scope, e: Edge) -> tuple[str, frozenset[str]]:
    """The plain variable a member call is made through ('' when it is no plain variable)
    and the names in the values assigned to it in the calling function (memoised)."""
    memo = sc.memo("registered_receiver")
    key = (e.blob_id, e.caller, e.line, e.col)
    if key not in memo:
        r = sc.conn.execute("SELECT recv FROM call WHERE blob_id = ? AND func = ? AND line = ? "
                            "AND col = ?", key).fetchone()
        chain = list(parse_chain(r[0])) if r and r[0] else []
        recv = chain[0][2:] if len(chain) == 1 and chain[0].startswith("v:") else ""
        names: set[str] = set()
        if recv:
            for (value,) in sc.conn.execute(
                    "SELECT value FROM assign WHERE blob_id = ? AND func = ? AND chain = ? AND "
                    "kind IN ('assign', 'init')", (*key[:2], json.dumps([f"v:{recv}"]))):
                names.update(_WORD.findall(value or ""))
        memo[key] = (recv, frozenset(names))
    return memo[key]


def _global_address(sc: Scope, bid: int, func: str, arg: str) -> str | None:
    """G when `arg` is `&G` for a global G (not a parameter or local of `func`)."""
    t = arg.replace(" ", "")
    if not t.startswith("&") or not t[1:].isidentifier():
        return None
    name = t[1:]
    g = graph(sc)
    if name in g.params(func) or g.types.local_type(bid, func, name) is not None:
        return None
    return name if sc.has_sym(name, ("global",)) else None


def _squeezed(args_t: str | None) -> list[str]:
    return [a.replace(" ", "") for a in json.loads(args_t)] if args_t else []
