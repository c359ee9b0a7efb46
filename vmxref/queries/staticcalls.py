"""Static-call keys outside an ops table: `DEFINE_STATIC_CALL(pv_sched_clock,
native_sched_clock)` and `static_call_update(pv_sched_clock, func)` make the function a
target of `static_call(pv_sched_clock)(...)`. (The keys of KVM's ops tables, kvm_x86_ +
member, come from the profile's [callgraph] static_call prefixes: edges._static_names.)
"""
from __future__ import annotations

from vmxref.lazy import json

from vmxref.queries.macro_uses import arg_chain

# calls that make a function the target of a static-call key (the key, then the function)
STATIC_CALL_SETTERS = frozenset({"DEFINE_STATIC_CALL", "DEFINE_STATIC_CALL_RET0",
                                 "static_call_update", "__static_call_update"})


def keys_of(g, func: str) -> list[tuple[str, str]]:
    """(key, where) of the static-call keys `func` is bound to: named by a setter, or stored
    in a member a setter installs (member_keys). A function that is only ever called (no
    reference of another kind: never named in a setter's or a caller's arguments) has none,
    and the corpus-wide map is not built for it (a `callers` query)."""
    if "maps" not in g.sc.memo("_static_keys") and not g.sc.rows(
            "ref", "t.name = ? AND t.kind <> 'call'", (func,), "1", limit=1):
        return []
    out = list(static_keys(g)[0].get(func, []))
    members = g.sc.memo("_static_keys")["members"]
    if members:  # (the member's slot among the places func is stored)
        for slot, cont, _where in g.bindings_of(func):
            for key, where in members.get((cont, slot), ()):
                if (key, where) not in out:
                    out.append((key, f"{where} via {cont}.{slot}"))
    return out


def targets_of(g, key: str) -> list[tuple[str, str]]:
    """(function, where) of the functions static_call(key) may call: those bound to it by
    name, and those stored in a member a setter installs under it (looked up for this key
    only: all of Linux installs 27 x86_pmu members)."""
    maps = static_keys(g)
    out = list(maps[1].get(key, ()))
    for (cont, slot), keys in g.sc.memo("_static_keys")["members"].items():
        for k, where in keys:
            if k == key:
                out += [(fn, f"{where} via {cont}.{slot}")
                        for fn, _c in g.functions_in_slot(slot, cont)]
    return out


def static_keys(g) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]]]:
    """(function -> [(key, where)], key -> [(function, where)]) of the graph's scope, with
    the function of `static_call_update(key, func)` taken, when `func` is a parameter of
    the updating function, from what its callers pass (`paravirt_set_sched_clock(
    kvm_sched_clock_read)`), and when it is a member (`x86_pmu.handle_irq`), from what is
    stored there. Memoised per scope."""
    from vmxref.queries import callsite
    sc = g.sc
    memo = sc.memo("_static_keys")
    if "maps" in memo:
        return memo["maps"]
    by_func: dict[str, list[tuple[str, str]]] = {}
    by_key: dict[str, list[tuple[str, str]]] = {}
    memo["maps"] = (by_func, by_key)  # (filled below; into() asks it meanwhile)
    members = memo["members"] = {}  # (struct, member) -> [(key, where)] of member values

    def bind(fn: str, key: str, where: str) -> None:
        if (key, where) not in by_func.setdefault(fn, []):
            by_func[fn].append((key, where))
            by_key.setdefault(key, []).append((fn, where))
    for _c, path, bid, line, caller, args_t in sc.rows_in(
            "call", "t.callee", sorted(STATIC_CALL_SETTERS), "t.kind = 'direct'", (),
            "t.line, t.func, t.args"):
        args = json.loads(args_t or "[]")
        if len(args) < 2 or not args[0].strip().isidentifier():
            continue
        key, value = args[0].strip(), args[1].strip().lstrip("&").strip()
        where = f"{path}:{line}"
        chain = arg_chain(value) if not value.isidentifier() else None
        if chain and len(chain) > 1 and chain[-1] != "[]" and caller:
            # a member's value: `static_call_update(x86_pmu_handle_irq, x86_pmu.handle_irq)`
            # installs each function stored in x86_pmu.handle_irq
            cont = g.types.container(bid, caller, chain)
            if cont:  # (the functions stored there: keys_of and targets_of look them up)
                members.setdefault((cont, chain[-1]), []).append((key, where))
            continue
        if not value.isidentifier() or value in ("NULL", "0"):
            continue
        params = g.params(caller) if caller else []
        if value in params:  # (a parameter, whatever functions share its name)
            i = params.index(value)
            for e in g.into(caller):  # (one level: the callers' arguments)
                a = callsite.args(sc, e) if e.kind == "direct" else []
                v = a[i].strip().lstrip("&").strip() if i < len(a) else ""
                if v.isidentifier() and g.names_function(e.blob_id, e.caller, v):
                    bind(v, key, f"{e.path}:{e.line} via {caller}() at {where}")
        elif g.is_function(value):
            bind(value, key, where)
    return memo["maps"]
