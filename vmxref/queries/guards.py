"""Boolean state along a call path: a branch a caller's constant rules out.

`kvm_set_msr(vcpu, index, data)` passes `false` as `host_initiated`;
`__kvm_set_msr` copies it into `msr.host_initiated` and hands `&msr` on; in
`kvm_set_msr_common`, `kvm_synchronize_tsc` is called under `if (msr_info->host_initiated)`.
A path kvm_set_msr -> ... -> kvm_set_msr_common -> kvm_synchronize_tsc cannot happen.

Values are followed hop by hop in the callee's own names: a literal argument (`true`,
`false`, `0`, `1`, `NULL`) fixes a parameter; a parameter passed on keeps its value (and
its members' values: `p` -> `q`, `p->x` -> `q->x`); `&local` passes the constants and known
values assigned to the local's members before the call (`msr.host_initiated = host_initiated`).
The branches of a call site (the `guard` facts: `if (x)`, `else`, the rest of a block after
`if (!x) return ...;`) must agree with what is known. When a hop contradicts a value, the
clash is the edge that fixed it (as with `case` labels: the later hop may be right on
another route). Of several calls a -> b, a hop is ruled out only when every one is.
"""
from __future__ import annotations

from vmxref.conditions import TERM, implied, truth
from vmxref.queries import callsite
from vmxref.queries.base import Scope
from vmxref.queries.edges import ARG_EDGES, Edge, graph

_TRUE = frozenset({"true", "1", "TRUE"})
_FALSE = frozenset({"false", "0", "NULL", "FALSE", "nullptr"})

Known = dict  # term (in one function's names) -> (value, the edge that fixed it)


def conditions_at(sc: Scope, blob_id: int, func: str, line: int, col: int) -> list[tuple[str, bool]]:
    """(term, value) pairs that hold at a place of a function (memoised)."""
    memo = sc.memo("guards_at")
    key = (blob_id, func, line, col)
    if key not in memo:
        out: list[tuple[str, bool]] = []
        for l0, c0, l1, c1, cond, branch in sc.conn.execute(
                "SELECT line, col, end_line, end_col, cond, branch FROM guard "
                "WHERE blob_id = ? AND func = ? AND line <= ?", (blob_id, func, line)):
            if (l0, c0) <= (line, col) < (l1, c1):
                out += implied(cond, bool(branch))
        memo[key] = out
    return memo[key]


def _contradicts(known: Known, conds: list[tuple[str, bool]]):
    """The edge that fixed a value these conditions contradict, or None."""
    for term, value in conds:
        got = known.get(term)
        if got is not None and got[0] != value:
            return got[1]
    return None


def ruled_out(sc: Scope, blob_id: int, func: str, line: int, col: int,
              values: dict[str, bool]) -> bool:
    """Do the branch conditions at a place of `func` contradict these values of its names
    (`{"puAux": False}` for a call passing NULL: a store under `if (puAux)`)?"""
    return _contradicts({k: (v, "given") for k, v in values.items()},
                        conditions_at(sc, blob_id, func, line, col)) is not None


def literal_value(text: str) -> bool | None:
    """True / False for a literal argument (`true`, `1`, `NULL`, `0`...), else None."""
    v = _value(text, {}, ("", ""))
    return None if v is None else v[0]


def _member_values(sc: Scope, e: Edge, local: str) -> list[tuple[str, str]]:
    """(member path, value text) assigned to members of `local` before the call (a member
    assigned two different values is left out)."""
    seen: dict[str, set[str]] = {}
    for member, value in callsite.member_assigns(sc, e, local):
        seen.setdefault(member, set()).add(value)
    return [(m, next(iter(v))) for m, v in seen.items() if len(v) == 1]


def _value(text: str, known: Known, fixed: tuple[str, str]):
    """(value, fixing edge) of an argument or assigned value, or None."""
    t = text.strip()
    if t in _TRUE:
        return True, fixed
    if t in _FALSE:
        return False, fixed
    return known.get(t.replace(" ", ""))


def _passed(sc: Scope, e: Edge, callee: str, known: Known) -> Known:
    """What is known in `callee`'s names after the call at `e`."""
    if e.kind not in ARG_EDGES:
        return {}
    params = graph(sc).params(callee)
    fixed = (e.caller, callee)
    out: Known = {}
    for j, arg in enumerate(callsite.args(sc, e)):
        p = params[j] if j < len(params) else ""
        if not p:
            continue
        a = arg.replace(" ", "")
        v = _value(a, known, fixed)
        if v is not None:
            out[p] = v
        if TERM.fullmatch(a):
            for k, kv in known.items():  # its members' values: p->x
                rest = (k[len(a) + 2:] if k.startswith(a + "->")
                        else k[len(a) + 1:] if k.startswith(a + ".") else "")
                if rest:
                    out[f"{p}->{rest}"] = kv
        elif a.startswith("&") and a[1:].isidentifier():
            for member, value in _member_values(sc, e, a[1:]):
                v = _value(value, known, fixed)
                if v is not None:
                    out[f"{p}->{member}"] = v
    return out


def _local_inits(sc: Scope, func: str) -> list[tuple[str, str, frozenset[str]]]:
    """(name, initializer text, the names in it) of the locals of `func` that are written once, by their
    declaration (`bool fActive = RT_BOOL(u8Level & 1);` and no other write, `&` or `++`), in
    line order; a function defined in several files: the ones all definitions agree on."""
    memo = sc.memo("guards_local_inits")
    if func not in memo:
        params = set(graph(sc).params(func))
        per_blob = []
        for bid in sc.definitions(func):
            writes: dict[str, list[tuple[int, str, str]]] = {}
            for line, chain, kind, value in sc.conn.execute(
                    "SELECT line, chain, kind, value FROM assign WHERE blob_id = ? AND func = ? "
                    "AND chain LIKE '[\"v:%'", (bid, func)):
                end = chain.find('"', 4)  # (`["v:NAME", ...]`: an identifier, no escapes)
                if end > 4:
                    writes.setdefault(chain[4:end], []).append((line, kind, value or ""))
            per_blob.append({n: w[0] for n, w in writes.items()
                             if len(w) == 1 and w[0][1] == "init" and n not in params})
        common = per_blob[0] if per_blob else {}
        for other in per_blob[1:]:
            common = {n: w for n, w in common.items() if other.get(n, (0, "", None))[2] == w[2]}
        memo[func] = [(n, w[2], frozenset(TERM.findall(w[2])))
                      for n, w in sorted(common.items(), key=lambda nw: nw[1][0])]
    return memo[func]


def _with_locals(sc: Scope, func: str, known: Known) -> Known:
    """`known` (in `func`'s names) and the locals of `func` whose only write is an
    initializer that what is known decides (`fActive = RT_BOOL(u8Level & 1)` with
    u8Level 0: false), each fixed by the edge that fixed the value it rests on."""
    if not known:
        return known
    out = dict(known)
    for name, value, terms in _local_inits(sc, func):
        if name in out or out.keys().isdisjoint(terms):
            continue
        v, used = truth(value, lambda t: out[t][0] if t in out else None)
        fixed = next((out[t][1] for t in used if t in out), None)
        if v is not None and fixed is not None:
            out[name] = (v, fixed)
    return out


def _walk(sc: Scope, hops: list[tuple[str, str, list[Edge]]]):
    """Per hop, in order: (its calls that no known value rules out, the edge that fixed a
    value ruling one out or None, what is known in the callee's names after it); stops
    after a hop whose calls are all ruled out."""
    known: Known = {}
    for a, b, calls in hops:
        ok, options, bad = [], [], None
        for e in calls:
            hit = _contradicts(known, conditions_at(sc, e.blob_id, a, e.line, e.col)) if known else None
            if hit is not None:
                bad = bad or hit
                continue
            ok.append(e)
            options.append(_passed(sc, e, b, known) if e.origin is None else {})
        known = {} if not options else options[0] if len(options) == 1 else {
            k: v for k, v in options[0].items() if all(o.get(k, (None,))[0] == v[0] for o in options[1:])}
        known = _with_locals(sc, b, known)
        yield ok, bad, known
        if not ok:
            return


def _walked(sc: Scope, hops: list[tuple[str, str, list[Edge]]]) -> list[tuple]:
    """_walk's steps, memoised per path (the feasibility check and the hops shown both ask)."""
    memo = sc.memo("guards_walk")
    key = tuple((a, b, tuple((e.blob_id, e.line, e.col, e.kind) for e in calls))
                for a, b, calls in hops)
    if key not in memo:
        memo[key] = list(_walk(sc, hops))
    return memo[key]


def clash(sc: Scope, hops: list[tuple[str, str, list[Edge]]],
          end: tuple[int, int, int] | None = None) -> set[tuple[str, str]]:
    """The edge whose passed value a later branch contradicts (see module docstring), or an
    empty set. `hops`: (a, b, the calls a -> b) along the path; `end`: (blob, line, col) of
    the site the path ends at, in its last function."""
    known: Known = {}
    for ok, bad, known in _walked(sc, hops):
        if not ok:
            return {bad} if bad else set()
    if end is not None and known and hops:
        hit = _contradicts(known, conditions_at(sc, end[0], hops[-1][1], end[1], end[2]))
        if hit is not None:
            return {hit}
    return set()


def usable(sc: Scope, hops: list[tuple[str, str, list[Edge]]]) -> list[list[Edge]]:
    """Per hop, the calls no known value rules out (all of them past a hop that has none):
    of parallel calls a -> b, the ones a path shown can go through."""
    out = [ok for ok, _bad, _k in _walked(sc, hops)]
    return out + [calls for _a, _b, calls in hops[len(out):]]
