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

import json
import re

from vmxref.queries.base import Scope
from vmxref.queries.edges import Edge, graph

_TRUE = frozenset({"true", "1", "TRUE"})
_FALSE = frozenset({"false", "0", "NULL", "FALSE", "nullptr"})
_TERM = re.compile(r"[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*")
_ARG_EDGES = frozenset({"direct", "static-call", "pointer"})

Known = dict  # term (in one function's names) -> (value, the edge that fixed it)


def implied(cond: str, branch: bool) -> list[tuple[str, bool]]:
    """What a branch taken says of the names in its condition: (term, value) pairs.
    `(!a->b && c)` taken: a->b false, c true; its else: nothing (either may be false)."""
    body = cond.replace(" ", "")
    while body.startswith("(") and body.endswith(")") and _balanced(body[1:-1]):
        body = body[1:-1]
    if "&&" in body:
        parts, op = body.split("&&"), "&&"
    elif "||" in body:
        parts, op = body.split("||"), "||"
    else:
        parts, op = [body], ""
    if len(parts) > 1 and (op == "&&") != branch:
        return []  # an && not taken / an || taken: one of them, unknown which
    out = []
    for p in parts:
        neg = 0
        p = p.strip()
        while p and (p[0] in "!(" or p.endswith(")")):
            if p[0] == "!":
                neg += 1
                p = p[1:]
            elif p[0] == "(" and p.endswith(")"):
                p = p[1:-1]
            else:
                p = p.strip("()")
        if _TERM.fullmatch(p):
            out.append((p, branch != bool(neg % 2)))
    return out


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


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


def _args(sc: Scope, e: Edge) -> list[str]:
    memo = sc.memo("guards_args")
    key = (e.blob_id, e.caller, e.line, e.col)
    if key not in memo:
        r = sc.conn.execute("SELECT args FROM call WHERE blob_id = ? AND func = ? AND line = ? "
                            "AND col = ?", key).fetchone()
        memo[key] = json.loads(r[0]) if r and r[0] else []
    return memo[key]


def _member_values(sc: Scope, e: Edge, local: str) -> list[tuple[str, str]]:
    """(member chain, value text) assigned to members of `local` in the caller before the
    call (a member assigned two different values is left out)."""
    memo = sc.memo("guards_members")
    key = (e.blob_id, e.caller, e.line, local)
    if key not in memo:
        seen: dict[str, set[str]] = {}
        for chain, value in sc.conn.execute(
                "SELECT chain, value FROM assign WHERE blob_id = ? AND func = ? AND line <= ? "
                "AND chain LIKE ? AND kind IN ('assign', 'init', 'designated')",
                (e.blob_id, e.caller, e.line, f'["v:{local}",%')):
            try:
                parts = json.loads(chain)[1:]
            except ValueError:
                continue
            if parts and all(isinstance(p, str) and p.isidentifier() for p in parts):
                seen.setdefault(".".join(parts), set()).add((value or "").strip())
        memo[key] = [(m, next(iter(v))) for m, v in seen.items() if len(v) == 1]
    return memo[key]


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
    if e.kind not in _ARG_EDGES:
        return {}
    params = graph(sc).params(callee)
    fixed = (e.caller, callee)
    out: Known = {}
    for j, arg in enumerate(_args(sc, e)):
        p = params[j] if j < len(params) else ""
        if not p:
            continue
        a = arg.replace(" ", "")
        v = _value(a, known, fixed)
        if v is not None:
            out[p] = v
        if _TERM.fullmatch(a):
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
        yield ok, bad, known
        if not ok:
            return


def clash(sc: Scope, hops: list[tuple[str, str, list[Edge]]],
          end: tuple[int, int, int] | None = None) -> set[tuple[str, str]]:
    """The edge whose passed value a later branch contradicts (see module docstring), or an
    empty set. `hops`: (a, b, the calls a -> b) along the path; `end`: (blob, line, col) of
    the site the path ends at, in its last function."""
    known: Known = {}
    for ok, bad, known in _walk(sc, hops):
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
    out = [ok for ok, _bad, _k in _walk(sc, hops)]
    return out + [calls for _a, _b, calls in hops[len(out):]]
