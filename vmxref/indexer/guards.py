"""Branches on plain state: `if (msr_info->host_initiated) {...} else {...}`.

A row per branch whose condition is made of names and member chains only (`!a->b && c`,
`x || !y`): its span, the condition (spaces removed) and which way it went (1: then, 0:
else, or the rest of the block after `if (cond) return ...;`). Path searches use them to
tell that a call under `msr_info->host_initiated` is not reached through a caller that
passes `false` for it (queries/guards.py). Conditions with calls, comparisons or
arithmetic are left out: what they test is not a value a caller passes.
"""
from __future__ import annotations

import bisect

from vmxref.conditions import plain, plain_conjuncts, short_circuits

_EXITS = frozenset({"return_statement", "goto_statement", "break_statement",
                    "continue_statement"})
_BLOCKS = frozenset({"compound_statement", "case_statement"})
MAX_COND = 160


def branches(cx, conds) -> None:
    """Rows (line, col, end_line, end_col, func, cond, branch) of the `if` statements whose
    condition nodes are `conds`, in functions."""
    out = cx.f.guards
    for c in conds:
        a, b = c.start_byte, c.end_byte
        if b - a > MAX_COND:
            continue
        func = cx.func_at(a)
        if not func:
            continue
        text = cx._norms[a:b]
        if "&&" in text:  # a call after `a &&` runs only when a holds
            for off, held in short_circuits(text):
                out.append((*_at(cx, a + off), *_end(cx, c), func, held, 1))
        whole = plain(text)
        cond = ("".join(text.split()) if whole
                else plain_conjuncts(text) if "&&" in text else "")  # (scan only an &&)
        if not cond:
            continue
        stmt = c.parent
        then = stmt.child_by_field_name("consequence")
        alt = stmt.child_by_field_name("alternative")
        if then is not None:
            out.append((*cx.pos(then), *_end(cx, then), func, cond, 1))
        if not whole:  # (`if (f(x) && !y)` not taken says nothing of y)
            continue
        if alt is not None:
            out.append((*cx.pos(alt), *_end(cx, alt), func, cond, 0))
        elif then is not None and _exits(then):
            block = stmt.parent  # `if (!x) return 1;`: the rest of the block has x
            if block is not None and block.type in _BLOCKS and block.end_byte > stmt.end_byte:
                out.append((*_end(cx, stmt), *_end(cx, block), func, cond, 0))


def _end(cx, node) -> tuple[int, int]:
    """1-based (line, column) of a node's end."""
    return _at(cx, node.end_byte)


def _at(cx, b: int) -> tuple[int, int]:
    """1-based (line, column) of a byte offset."""
    nl = cx.newlines()
    line = bisect.bisect_left(nl, b)
    return line, b - nl[line - 1]


def _exits(node) -> bool:
    """A statement that leaves the block: `return ...;`, or `{ ...; return ...; }`."""
    if node.type in _EXITS:
        return True
    if node.type == "compound_statement":
        kids = [k for k in node.named_children if k.type != "comment"]
        return bool(kids) and kids[-1].type in _EXITS
    return False
