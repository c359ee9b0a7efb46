"""Plain `if` conditions: names and member chains joined by one kind of `&&` / `||`, each
maybe negated and parenthesised (`!msr_info->host_initiated && fCheckTimers`). The indexer
keeps the branches of such conditions (indexer/guards.py); the path checks read what a
branch taken says of the names (queries/guards.py). One grammar for both sides."""
from __future__ import annotations

from vmxref.lazy import re

TERM = re.compile(r"[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*")
_ALLOWED = re.compile(r"[\w\s()!&|.>-]*")  # (a cheap first test: no nested quantifiers)
_JOIN = re.compile(r"&&|\|\|")


def balanced(s: str) -> bool:
    """Do the parentheses of `s` pair up (never closing more than are open)?"""
    depth = 0
    for ch in s:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


def unwrap(t: str) -> str:
    """`t` without spaces and without parentheses around all of it."""
    t = "".join(t.split())
    while t.startswith("(") and t.endswith(")") and balanced(t[1:-1]):
        t = t[1:-1]
    return t


def plain(text: str) -> bool:
    """Is `text` a plain condition (see module docstring)?"""
    if not _ALLOWED.fullmatch(text):
        return False
    t = "".join(text.split())
    if "&&" in t and "||" in t:
        return False
    return all(TERM.fullmatch(part.lstrip("(!").rstrip(")")) for part in _JOIN.split(t))


def plain_conjuncts(text: str) -> str:
    """Of a condition `A && B && ...` at its top level, the plain conjuncts, as `(A&&B)`
    ('' when none or no top-level &&): what holds in its then branch (`if
    (kvm_check_request(..) && !host_initiated)`: host_initiated is false)."""
    t = unwrap(text)
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
    kept = [p for p in parts if len(parts) > 1 and plain(p) and "&&" not in p and "||" not in p]
    return f"({'&&'.join(kept)})" if kept else ""


def short_circuits(text: str) -> list[tuple[int, str]]:
    """(offset, conjuncts) for each top-level `&&` of a condition followed by a call: from
    `offset` (just past the `&&`) to the end, the plain conjuncts before it, as `(A&&B)`,
    are true (C evaluates `f(x)` in `a && !b && f(x)` only when a and !b hold). Empty when
    the condition has a top-level `||` (`a && b || f()`)."""
    lo, hi = 0, len(text)
    while True:  # the parentheses around all of it
        a = lo + len(text[lo:hi]) - len(text[lo:hi].lstrip())
        b = hi - (len(text[lo:hi]) - len(text[lo:hi].rstrip()))
        if b - a >= 2 and text[a] == "(" and text[b - 1] == ")" and balanced(text[a + 1:b - 1]):
            lo, hi = a + 1, b - 1
            continue
        lo, hi = a, b
        break
    if "(" not in text[text.find("&&", lo):hi]:
        return []  # (no call after the first `&&`: nothing is short-circuited)
    out, depth, start, parts = [], 0, lo, []
    for m in _TOKENS.finditer(text, lo, hi):
        tok = m.group()
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth -= 1
        elif depth == 0 and tok == "||":
            return []
        elif depth == 0 and tok == "&&":
            parts.append(text[start:m.start()])
            start = m.end()
            kept = ["".join(p.split()) for p in parts if plain(p) and "&&" not in p
                    and "||" not in p]
            if kept and "(" in text[start:hi]:
                out.append((start + len(text[start:hi]) - len(text[start:hi].lstrip()),
                            f"({'&&'.join(kept)})"))
    return out


_TOKENS = re.compile(r"[()\[\]]|&&|\|\|")


def implied(cond: str, branch: bool) -> list[tuple[str, bool]]:
    """What a branch taken says of the names in a plain condition: (term, value) pairs.
    `(!a->b && c)` taken: a->b false, c true; its else: nothing (either may be false)."""
    body = unwrap(cond)
    op = "&&" if "&&" in body else "||" if "||" in body else ""
    parts = body.split(op) if op else [body]
    if len(parts) > 1 and (op == "&&") != branch:
        return []  # an && not taken / an || taken: one of them, unknown which
    out = []
    for p in parts:
        neg = 0
        while p and (p[0] in "!(" or p.endswith(")")):
            if p[0] == "!":
                neg += 1
                p = p[1:]
            elif p[0] == "(" and p.endswith(")"):
                p = p[1:-1]
            else:
                p = p.strip("()")
        if TERM.fullmatch(p):
            out.append((p, branch != bool(neg % 2)))
    return out
