"""Typedefs declared once per compilation context (VirtualBox's `#if defined(IN_RING3)
typedef PDMDEVREGR3 PDMDEVREG; #elif defined(IN_RING0) typedef PDMDEVREGR0 PDMDEVREG;`),
read per context: a table's initialiser compiled for ring 3 fills the ring-3 struct, and a
member call in ring-3 code goes through the ring-3 one. Functions of the Graph (edges.py);
without the profile's context tables (contexts.py) every typedef has one meaning."""
from __future__ import annotations

from vmxref.queries import contexts

Meanings = dict  # struct -> the contexts (frozenset) in which the typedef means it


def meanings(g, name: str, cids: frozenset) -> Meanings:
    """{struct: contexts} of a typedef declared differently per context in the corpus
    versions `cids` (5.1's plain PDMDEVREG is not 6.1's); {} when it has one meaning (or the
    profile names no contexts). Memoised."""
    memo = g.sc.memo("_typedef_meanings")
    if (name, cids) not in memo:
        cx = contexts.contexts(g.sc)
        out: dict[str, set[str]] = {}
        defs = [d for d in g.sc.rows("sym", "t.kind = 'typedef' AND t.name = ?", (name,),
                                     "t.type, t.line") if d[0] in cids] if cx is not None else []
        if len({d[3] for d in defs}) > 1:
            for _c, path, bid, typ, line in defs:
                if g.types.is_struct(typ):
                    out.setdefault(typ, set()).update(cx.at(bid, line, path))
        memo[(name, cids)] = {k: frozenset(v) for k, v in out.items() if v} if len(out) > 1 else {}
    return memo[(name, cids)]


def _cids(g, bid: int) -> frozenset:
    """The asked corpus versions a blob is in (memoised)."""
    memo = g.sc.memo("_blob_cids")
    if bid not in memo:
        memo[bid] = frozenset(c for c, _p in g.sc.files_of(bid))
    return memo[bid]


def var_meanings(g, var: str, cids: frozenset) -> Meanings:
    """The meanings of the type a variable (`g_DeviceAPIC`) is declared with (memoised: the
    positional look-up asks once per initialiser row)."""
    memo = g.sc.memo("_var_meanings")
    if (var, cids) not in memo:
        out: dict = {}
        for t in {r[3] for r in g.sc.rows("sym", "t.name = ? AND t.kind IN ('global', 'local')",
                                          (var,), "t.type") if r[0] in cids}:
            out.update(meanings(g, (t or "").rstrip("[]").strip(), cids))
        memo[(var, cids)] = out
    return memo[(var, cids)]


def _fitting(g, alts: Meanings, here: frozenset, member: str) -> str | None:
    """The most specific meaning whose contexts hold all of `here` and that has `member`."""
    fits = sorted((len(where), s) for s, where in alts.items()
                  if here <= where and g.types.field_type(s, member))
    return fits[0][1] if fits else None


def initialised_member(g, bid: int, fn: str, chain: list[str], path: str,
                       line: int) -> list[str] | None:
    """The qualified member a file-scope initialiser entry (`[v:g_DeviceAPIC, pfnReset]` or
    a position `#k`) fills, read against the meaning its line's contexts give the variable's
    type; None when that type has one meaning."""
    if len(chain) != 2 or not chain[0].startswith("v:") or fn or contexts.contexts(g.sc) is None:
        return None
    alts = var_meanings(g, chain[0][2:], _cids(g, bid))
    if not alts:
        return None
    here = contexts.contexts(g.sc).at(bid, line, path)
    for struct in sorted(alts, key=lambda s: len(alts[s])):
        if here <= alts[struct]:
            name = (g.types.positional_name(struct, int(chain[1][1:]))
                    if chain[1].startswith("#") else chain[1])
            return [f"{struct}.{name}"] if name and g.types.field_type(struct, name) else None
    return None


def in_context(g, struct: str | None, member: str, bid: int, line: int,
               path: str) -> str | None:
    """`struct`, or the other meaning of a per-context typedef of it that the call's
    contexts have (`pDevIns->pReg->pfnReset(..)` in ring-3 code: PCPDMDEVREG is PDMDEVREGR3
    there, though PDMDEVREGR0 elsewhere), when that one has `member`."""
    if struct is None or contexts.contexts(g.sc) is None:
        return struct  # (no context tables in the profile: one meaning everywhere)
    cids = _cids(g, bid)
    memo = g.sc.memo("_struct_meanings")
    if (struct, cids) not in memo:  # (every per-context typedef one of whose meanings is it)
        alts: dict = {}
        for name in {r[3] for r in g.sc.rows("sym", "t.kind = 'typedef' AND t.type = ?",
                                             (struct,), "t.name") if r[0] in cids}:
            for s, where in meanings(g, name, cids).items():
                alts[s] = alts.get(s, frozenset()) | where
        memo[(struct, cids)] = alts
    if not memo[(struct, cids)]:
        return struct
    here = contexts.contexts(g.sc).at(bid, line, path)
    return _fitting(g, memo[(struct, cids)], here, member) or struct
