"""Template functions: a header included once per definition of a name-pasting macro
(mmu/paging_tmpl.h's `#define FNAME(name) paging##64_##name`, 32_, ept_) defines each of its
functions under several names. The extractor keeps the function under its stem
(`FNAME(page_fault)` -> `page_fault`, flag HAS_INSTANCES = 8) and adds one function sym per
pasted name at the same place (`paging64_page_fault`, flag INSTANCE = 4; indexer/macros.py).
"""
from __future__ import annotations

from vmxref.queries.base import Scope

_INSTANCE, _HAS_INSTANCES = 4, 8  # (sym flags; see indexer.macros.instances)


def instances(sc: Scope, func: str) -> list[str]:
    """The other names a template function has (`paging64_page_fault`, `ept_page_fault` for
    FNAME(page_fault)); [] for any other function. Memoised per scope."""
    memo = sc.memo("_instances")
    if func not in memo:
        out = []
        for _c, _p, bid, line, col, scope in sc.rows(
                "sym", f"t.name = ? AND t.kind = 'function' AND t.flags & {_HAS_INSTANCES}",
                (func,), "t.line, t.col, t.scope"):
            out += [n for (n,) in sc.conn.execute(
                "SELECT name FROM sym WHERE blob_id = ? AND scope = ? AND line = ? AND col = ? "
                f"AND kind = 'function' AND flags & {_INSTANCE}", (bid, scope or "", line, col))]
        memo[func] = list(dict.fromkeys(out))
    return memo[func]


def template_of(sc: Scope, func: str) -> str | None:
    """For an instance name of a template function, the function's own (stem) name; None
    for any other name. Memoised per scope."""
    memo = sc.memo("_template_of")
    if func not in memo:
        memo[func] = None
        for _c, _p, bid, line, col, scope in sc.rows(
                "sym", f"t.name = ? AND t.kind = 'function' AND t.flags & {_INSTANCE}",
                (func,), "t.line, t.col, t.scope"):
            r = sc.conn.execute(
                "SELECT name FROM sym WHERE blob_id = ? AND scope = ? AND line = ? AND col = ? "
                f"AND kind = 'function' AND flags & {_HAS_INSTANCES}",
                (bid, scope or "", line, col)).fetchone()
            if r:
                memo[func] = r[0]
                break
    return memo[func]
