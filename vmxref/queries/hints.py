"""A hint for an empty answer whose query names a symbol of another kind than its verb takes:
`callers use_master_clock` (a member of kvm_arch), `provenance kvm_guest_time_update` (a
function). The command line adds it under its `no results` note (engine.note):

    vmxref: use_master_clock is a member of kvm_arch: try `writes kvm_arch.use_master_clock`
"""
from __future__ import annotations

from vmxref.queries.base import Scope
from vmxref.queries.lang import Query, parse

FUNCTIONS = ("function", "prototype")
VALUES = ("field", "global", "extern", "local", "param")
CONSTANTS = ("macro", "enumerator", "global", "extern")

TYPES = ("struct", "union", "class", "enum", "typedef")
SHOWN = 3  # structs (functions) named in a hint


def _taken(q: Query) -> list[tuple[str, tuple[str, ...]]]:
    """(name, the symbol kinds the verb takes for it) for each name the query asks about."""
    a = q.args
    if q.verb in ("callers", "callees", "calls"):
        out = [(a["func"], FUNCTIONS)]
    elif q.verb == "path":
        out = [(a["from"], FUNCTIONS), (a["to"], FUNCTIONS)]
    elif q.verb in ("writes", "reads", "provenance"):
        out = [(a["target"].fields[-1], VALUES)]
    elif q.verb in ("raises", "consumes"):
        out = [(a["const"], CONSTANTS)]
    else:
        out = []
    return out + [(p.args["from"], FUNCTIONS) for p in q.pipes
                  if p.name == "paths" and p.args.get("from")]


def _kinds(sc: Scope, name: str) -> dict[str, list[str]]:
    """Symbol kind -> the scopes (struct of a member, function of a local) `name` has."""
    out: dict[str, list[str]] = {}
    for *_where, kind, scope in sc.rows("sym", "t.name = ?", (name,), "t.kind, t.scope",
                                        limit=500):
        scopes = out.setdefault(kind, [])
        if scope and scope not in scopes:
            scopes.append(scope)
    return out


def _describe(name: str, kinds: dict[str, list[str]]) -> tuple[str, str] | None:
    """(what `name` is, a query that answers for it), by the first kind it has of these."""
    def scopes(*ks: str) -> list[str]:
        return [s for k in ks for s in kinds.get(k, [])][:SHOWN]
    if any(k in kinds for k in FUNCTIONS):
        return "a function", f"callers {name}"
    if "field" in kinds:
        structs = scopes("field")
        return (f"a member of {', '.join(structs)}" if structs else "a struct member",
                f"writes {structs[0]}.{name}" if structs else f"writes {name}")
    if "global" in kinds or "extern" in kinds:
        return "a variable", f"writes {name}"
    if "macro" in kinds:
        return "a macro", f"refs {name}"
    if "enumerator" in kinds:
        return "an enum constant", f"refs {name}"
    if any(k in kinds for k in TYPES):
        return "a type", f"refs {name} kind type"
    if "local" in kinds or "param" in kinds:
        return f"a local variable of {', '.join(scopes('local', 'param'))}", f"writes {name}"
    return None


def _hint(sc: Scope, name: str, takes: tuple[str, ...]) -> str | None:
    kinds = _kinds(sc, name)
    if not kinds or any(k in kinds for k in takes):
        return None
    said = _describe(name, kinds)
    return f"vmxref: {name} is {said[0]}: try `{said[1]}`" if said else None


def wrong_kind(sc: Scope, query: str) -> str | None:
    """The hint for a query without results that names a symbol of the wrong kind (None:
    every name is of a kind its verb takes, or unknown)."""
    q = parse(query)
    for name, takes in _taken(q):
        hint = _hint(sc, name, takes)
        if hint:
            return hint
    return None
