"""Template functions: a header included once per definition of a name-pasting macro
(mmu/paging_tmpl.h's `#define FNAME(name) paging##64_##name`, 32_, ept_) defines each of its
functions under several names. The extractor keeps the function under its stem
(`FNAME(page_fault)` -> `page_fault`, flag SYM_HAS_INSTANCES) and adds one function sym per
pasted name at the same place (`paging64_page_fault`, flag SYM_INSTANCE; indexer/macros.py).
"""
from __future__ import annotations

from vmxref.queries.base import Scope
from vmxref.schema import SYM_HAS_INSTANCES, SYM_INSTANCE


def _flagged(sc: Scope, func: str) -> list[tuple]:
    """(flags, blob, line, col, scope) of the template and instance definitions named
    `func`: one statement answers both instances() and template_of() (a path search asks
    both of every function it steps through). Memoised per scope."""
    memo = sc.memo("_template_flags")
    if func not in memo:
        memo[func] = [(flags, bid, line, col, scope) for _c, _p, bid, flags, line, col, scope
                      in sc.rows("sym", "t.name = ? AND t.kind = 'function' AND t.flags & "
                                 f"{SYM_HAS_INSTANCES | SYM_INSTANCE}", (func,),
                                 "t.flags, t.line, t.col, t.scope")]
    return memo[func]


def _at_place(sc: Scope, bid: int, scope: str | None, line: int, col: int,
              flag: int) -> list[str]:
    """Names of the function syms with `flag` defined at one place of a blob. (By blob and
    scope, sym_blob: without the hint SQLite, which has no statistics after a bulk load,
    took sym_scope (scope, kind) and read every file-scope function of the corpus, 1.26 s
    a look-up on all of Linux.)"""
    return [n for (n,) in sc.conn.execute(
        "SELECT name FROM sym INDEXED BY sym_blob WHERE blob_id = ? AND scope = ? AND line = ? "
        f"AND col = ? AND kind = 'function' AND flags & {flag}", (bid, scope or "", line, col))]


def instances(sc: Scope, func: str) -> list[str]:
    """The other names a template function has (`paging64_page_fault`, `ept_page_fault` for
    FNAME(page_fault)); [] for any other function. Memoised per scope."""
    memo = sc.memo("_instances")
    if func not in memo:
        out = []
        for flags, bid, line, col, scope in _flagged(sc, func):
            if not flags & SYM_HAS_INSTANCES:
                continue
            out += _at_place(sc, bid, scope, line, col, SYM_INSTANCE)
        memo[func] = list(dict.fromkeys(out))
    return memo[func]


def template_of(sc: Scope, func: str) -> str | None:
    """For an instance name of a template function, the function's own (stem) name; None
    for any other name. Memoised per scope."""
    memo = sc.memo("_template_of")
    if func not in memo:
        memo[func] = None
        for flags, bid, line, col, scope in _flagged(sc, func):
            if not flags & SYM_INSTANCE:
                continue
            stems = _at_place(sc, bid, scope, line, col, SYM_HAS_INSTANCES)
            if stems:
                memo[func] = stems[0]
                break
    return memo[func]
