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
import re

_ALLOWED = re.compile(r"[\w\s()!&|.>-]*")  # (a cheap first test: no nested quantifiers)
_TERM = re.compile(r"[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*")
_JOIN = re.compile(r"&&|\|\|")
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
        text = cx._norms[a:b]
        whole = _plain(text)
        cond = "".join(text.split()) if whole else _plain_conjuncts(text)
        if not cond:
            continue
        func = cx.func_at(a)
        if not func:
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


def _plain_conjuncts(text: str) -> str:
    """Of a condition `A && B && ...` at its top level, the conjuncts made of names and
    member chains, as `(A&&B)` ('' when none or no top-level &&): what holds in its then
    branch (`if (kvm_check_request(..) && !host_initiated)`: host_initiated is false)."""
    t = "".join(text.split())
    while t.startswith("(") and t.endswith(")") and _balanced(t[1:-1]):
        t = t[1:-1]
    parts, depth, cur, i = [], 0, [], 0
    while i < len(t):
        ch = t[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and t.startswith("||", i):
            return ""
        elif depth == 0 and t.startswith("&&", i):
            parts.append("".join(cur))
            cur, i = [], i + 2
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    plain = [p for p in parts if len(parts) > 1 and _plain(p) and "&&" not in p and "||" not in p]
    return f"({'&&'.join(plain)})" if plain else ""


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


def _plain(text: str) -> bool:
    """A condition made of names and member chains joined by one kind of && / ||, each
    maybe negated and parenthesised."""
    if not _ALLOWED.fullmatch(text):
        return False
    t = "".join(text.split())
    if "&&" in t and "||" in t:
        return False
    return all(_TERM.fullmatch(part.lstrip("(!").rstrip(")")) for part in _JOIN.split(t))


def _end(cx, node) -> tuple[int, int]:
    """1-based (line, column) of a node's end."""
    b = node.end_byte
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
