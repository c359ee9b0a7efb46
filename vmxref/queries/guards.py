"""Boolean state along a call path: a branch a caller's constant rules out.

`kvm_set_msr(vcpu, index, data)` passes `false` as `host_initiated`;
`__kvm_set_msr` copies it into `msr.host_initiated` and hands `&msr` on; in
`kvm_set_msr_common`, `kvm_synchronize_tsc` is called under `if (msr_info->host_initiated)`.
A path kvm_set_msr -> ... -> kvm_set_msr_common -> kvm_synchronize_tsc cannot happen.

Values are followed hop by hop in the callee's own names: a literal argument (`true`,
`false`, `0`, `1`, `NULL`, another integer) or a named constant (an enumerator or a macro of
the corpus written in capitals: `KVM_MR_DELETE`) fixes a parameter; a parameter passed on
keeps its value (and
its members' values: `p` -> `q`, `p->x` -> `q->x`); `&local` passes the constants and known
values assigned to the local's members before the call (`msr.host_initiated = host_initiated`).
The branches of a call site (the `guard` facts: `if (x)`, `if (change == KVM_MR_CREATE)`,
`else`, the rest of a block after `if (!x) return ...;`) must agree with what is known: a
name known to be KVM_MR_DELETE is not KVM_MR_CREATE (two enumerators, or two constants whose
values are known, differ when their values do; a name compared with another name is left
alone). When a hop contradicts a value, the
clash is the edge that fixed it (as with `case` labels: the later hop may be right on
another route). Of several calls a -> b, a hop is ruled out only when every one is.
"""
from __future__ import annotations

from vmxref.conditions import TERM, c_int, implied, truth
from vmxref.lazy import re
from vmxref.queries import callsite
from vmxref.queries.base import Scope
from vmxref.queries.edges import ARG_EDGES, Edge, graph

_TRUE = frozenset({"true", "1", "TRUE"})
_FALSE = frozenset({"false", "0", "NULL", "FALSE", "nullptr"})
_CONSTANT_NAME = re.compile(r"[A-Z_][A-Z0-9_]*[A-Z][A-Z0-9_]*")  # (KVM_MR_DELETE, TMCLOCK_TSC)

# term (in one function's names) -> (value, the edge that fixed it); a value is True (not
# zero), False (zero), an int, or the name of a constant
Known = dict


def conditions_at(sc: Scope, blob_id: int, func: str, line: int, col: int) -> list[tuple[str, object]]:
    """(term, value) pairs that hold at a place of a function (memoised): the branches of
    plain conditions around it, and the `case` labels of a switch on a name
    (`switch (enmClock) { ... case TMCLOCK_TSC: ...`: ("in", labels))."""
    memo = sc.memo("guards_at")
    key = (blob_id, func, line, col)
    if key not in memo:
        out: list[tuple[str, object]] = []
        for l0, c0, l1, c1, cond, branch in sc.conn.execute(
                "SELECT line, col, end_line, end_col, cond, branch FROM guard "
                "WHERE blob_id = ? AND func = ? AND line <= ?", (blob_id, func, line)):
            if (l0, c0) <= (line, col) < (l1, c1):
                out += implied(cond, bool(branch))
        from vmxref.queries.cases import governing, switch_on
        group, top = governing(sc, blob_id, func, line)
        if group and "*" not in group and "default" not in group:
            var = "".join(switch_on(sc, blob_id, top).split())
            if var and TERM.fullmatch(var):
                out.append((var, ("in", frozenset(group))))
        memo[key] = out
    return memo[key]


def _contradicts(known: Known, conds: list[tuple[str, object]], sc: Scope):
    """The edge that fixed a value these conditions contradict, or None (`sc`: where the
    values of named constants are looked up)."""
    for term, cond in conds:
        got = known.get(term)
        if got is not None and _clashes(sc, got[0], cond):
            return got[1]
    return None


def _clashes(sc: Scope, have, cond) -> bool:
    """Does a known value (or every one of a set of them) contradict what a branch says of
    the name (True / False: it is (not) zero; ("==" / "!=", constant text); ("in", case
    labels))?"""
    if isinstance(have, frozenset):
        return bool(have) and all(_clashes(sc, h, cond) for h in have)
    if isinstance(cond, bool):
        if isinstance(have, bool):
            return have != cond
        zero = _is_zero(sc, have)
        return zero is not None and zero == cond
    op, other = cond
    if op == "in":  # (a case arm: a clash when the value is none of its labels)
        return all(_same_value(sc, have, _constant(sc, label)) is False for label in other)
    same = _same_value(sc, have, _constant(sc, other))
    return same is (op == "!=") if same is not None else False


def _constant(sc: Scope, text: str):
    """The value an argument or a compared text stands for when it is a constant: a bool for
    true / false / NULL / 0 / 1, an int for another integer literal, the name of a named
    constant; else None (a variable, an expression)."""
    t = text.strip()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    n = c_int(t)  # (an integer literal, else None)
    if n is not None:
        return n
    if _CONSTANT_NAME.fullmatch(t) and sc.has_sym(t, ("enumerator", "macro")):
        return t
    return None


def _number_of(sc: Scope, v) -> int | None:
    """The integer of a constant value (True is no number: any value but zero)."""
    if isinstance(v, bool):
        return 0 if v is False else None
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        from vmxref.queries.cases import const_value
        return const_value(sc, v)
    return None


def _is_zero(sc: Scope, v) -> bool | None:
    n = _number_of(sc, v)
    return None if n is None else n == 0


def _same_value(sc: Scope, a, b) -> bool | None:
    """Are two constant values equal (None: cannot tell)? Equal names are; two enumerators
    of other names are not (enumerators of C enums rarely alias each other; a `case` of one
    is not taken by the other either); numbers by value, names through their #define."""
    if a is None or b is None:
        return None
    if isinstance(a, bool) and a is True or isinstance(b, bool) and b is True:
        other = b if a is True else a
        n = _number_of(sc, other)
        return False if n == 0 else None  # (True: some value other than zero)
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        if _enumerator(sc, a) and _enumerator(sc, b):
            return False
    na, nb = _number_of(sc, a), _number_of(sc, b)
    return None if na is None or nb is None else na == nb


def _enumerator(sc: Scope, name: str) -> bool:
    return sc.has_sym(name, ("enumerator",)) and not sc.has_sym(name, ("macro",))


def ruled_out(sc: Scope, blob_id: int, func: str, line: int, col: int,
              values: dict[str, bool]) -> bool:
    """Do the branch conditions at a place of `func` contradict these values of its names
    (`{"puAux": False}` for a call passing NULL: a store under `if (puAux)`)?"""
    return _contradicts({k: (v, "given") for k, v in values.items()},
                        conditions_at(sc, blob_id, func, line, col), sc) is not None


def literal_value(text: str) -> bool | None:
    """True / False for a literal argument (`true`, `1`, `NULL`, `0`...), else None."""
    v = _value(text, {}, ("", ""))
    return None if v is None or not isinstance(v[0], bool) else v[0]


def _member_values(sc: Scope, e: Edge, local: str) -> list[tuple[str, str]]:
    """(member path, value text) assigned to members of `local` before the call (a member
    assigned two different values is left out)."""
    seen: dict[str, set[str]] = {}
    for member, value in callsite.member_assigns(sc, e, local):
        seen.setdefault(member, set()).add(value)
    return [(m, next(iter(v))) for m, v in seen.items() if len(v) == 1]


def _value(text: str, known: Known, fixed: tuple[str, str], sc: Scope | None = None):
    """(value, fixing edge) of an argument or assigned value, or None (`sc`: named
    constants and other integers count too)."""
    t = text.strip()
    if t in _TRUE:
        return True, fixed
    if t in _FALSE:
        return False, fixed
    got = known.get(t.replace(" ", ""))
    if got is None and sc is not None and t[:1] not in ("", "&", "*", "(", "-", "!"):
        c = _constant(sc, t)
        if c is not None:
            return c, fixed
    return got


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
        v = _value(a, known, fixed, sc)
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
                v = _value(value, known, fixed, sc)
                if v is not None:
                    out[f"{p}->{member}"] = v
        elif (m := _ELEMENT.fullmatch(a)) is not None:  # `&pVM->tm.s.paQueues[TMCLOCK_REAL]`
            for member, value in _element_members(sc, m.group(1), m.group(2)):
                v = _value(value, {}, fixed, sc)
                if v is not None and not isinstance(v[0], bool):
                    out[f"{p}->{member}"] = v
    return out


_ELEMENT = re.compile(r"&(?:[A-Za-z_]\w*(?:->|\.))*([A-Za-z_]\w*)\[([A-Za-z_]\w*|[0-9]\w*)\]")


def _element_members(sc: Scope, array: str, index: str) -> list[tuple[str, str]]:
    """(member, value) of the members of element `array[index]` (index a constant) that the
    corpus sets only to one constant (`paTimerQueuesR3[TMCLOCK_VIRTUAL].enmClock =
    TMCLOCK_VIRTUAL;`), found from the writes of `array[...].member` in the source text; a
    member also set through another index that is no constant (a loop's `[i]`) is left out
    (memoised)."""
    memo = sc.memo("guards_elements")
    key = (array, index)
    if key not in memo:
        if _constant(sc, index) is None:
            memo[key] = []
            return memo[key]
        found: dict[str, set[str]] = {}
        unknown: set[str] = set()
        at = re.compile(rf"\b{re.escape(array)}\s*\[\s*([^\]]+?)\s*\]\s*(?:\.|->)\s*(\w+)\s*=[^=]")
        lines = {(bid, func, line) for _c, _p, bid, func, line in sc.rows(
            "ref", "t.name = ? AND t.func != ''", (array,), "t.func, t.line")}
        for bid, func, line in sorted(lines):
            for mm in at.finditer(sc.store.line_text(bid, line)):
                idx, member = mm.group(1).replace(" ", ""), mm.group(2)
                if idx == index:
                    rows = sc.conn.execute(
                        "SELECT value FROM assign WHERE blob_id = ? AND func = ? AND line = ? "
                        "AND field = ? AND op = '='", (bid, func, line, member)).fetchall()
                    found.setdefault(member, set()).update(v or "" for (v,) in rows)
                elif _constant(sc, idx) is None:
                    unknown.add(member)
        memo[key] = [(m, next(iter(v))) for m, v in sorted(found.items())
                     if len(v) == 1 and m not in unknown]
    return memo[key]


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
        v, used = truth(value, lambda t: _exact(sc, out[t][0]) if t in out else _exact(
            sc, _constant(sc, t)) if _CONSTANT_NAME.fullmatch(t) else None)
        fixed = next((out[t][1] for t in used if t in out), None)
        if v is not None and fixed is not None:
            out[name] = (v, fixed)
    return out


def _merged(options: list[Known]) -> Known:
    """What parallel calls a -> b all fix: a value they agree on, or, when each fixes a
    constant and they differ (`tmR3TimerQueueRun(pVM, &..[TMCLOCK_VIRTUAL])` and `(.., &..
    [TMCLOCK_REAL])`), the set of them: a branch none of them takes is still ruled out."""
    out: Known = {}
    for k, v in options[0].items():
        vals = [o.get(k) for o in options]
        if any(x is None for x in vals):
            continue
        if all(x[0] == v[0] for x in vals):
            out[k] = v
            continue
        alts = set()
        for x in vals:
            alts.update(x[0] if isinstance(x[0], frozenset) else (x[0],))
        if not any(isinstance(a, bool) for a in alts):  # (constants only: true/false mixed
            out[k] = (frozenset(alts), v[1])  # with others tells nothing)
    return out


def _exact(sc: Scope, v):
    """A known value as conditions.truth takes it: True / False, or an int when exactly
    known (a named constant: through its #define), else None (also one of several)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, frozenset):
        return None
    return _number_of(sc, v)


def _walk(sc: Scope, hops: list[tuple[str, str, list[Edge]]]):
    """Per hop, in order: (its calls that no known value rules out, the edge that fixed a
    value ruling one out or None, what is known in the callee's names after it); stops
    after a hop whose calls are all ruled out. Of several calls a -> b, one whose own
    values every call of the next hop contradicts is left out while another remains
    (__kvm_set_memory_region calls kvm_set_memslot passing KVM_MR_DELETE and passing its
    `change`: a path on under `if (change == KVM_MR_CREATE)` takes the second)."""
    known: Known = {}
    for i, (a, b, calls) in enumerate(hops):
        ok, options, bad = [], [], None
        for e in calls:
            hit = _contradicts(known, conditions_at(sc, e.blob_id, a, e.line, e.col),
                               sc) if known else None
            if hit is not None:
                bad = bad or hit
                continue
            ok.append(e)
            options.append(_passed(sc, e, b, known) if e.origin is None else {})
        if len(ok) > 1 and i + 1 < len(hops) and any(options):
            after = hops[i + 1][2]
            keep = [k for k, o in enumerate(options) if not o or not all(
                _contradicts(_with_locals(sc, b, o), conditions_at(sc, x.blob_id, b, x.line, x.col),
                             sc) is not None for x in after)]
            if keep and len(keep) < len(ok):
                ok, options = [ok[k] for k in keep], [options[k] for k in keep]
        known = {} if not options else options[0] if len(options) == 1 else _merged(options)
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
        hit = _contradicts(known, conditions_at(sc, end[0], hops[-1][1], end[1], end[2]), sc)
        if hit is not None:
            return {hit}
    return set()


def usable(sc: Scope, hops: list[tuple[str, str, list[Edge]]]) -> list[list[Edge]]:
    """Per hop, the calls no known value rules out (all of them past a hop that has none):
    of parallel calls a -> b, the ones a path shown can go through."""
    out = [ok for ok, _bad, _k in _walked(sc, hops)]
    return out + [calls for _a, _b, calls in hops[len(out):]]
