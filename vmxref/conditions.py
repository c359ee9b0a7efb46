"""Plain `if` conditions: names and member chains, or a name compared with `==` / `!=` to
a name or an integer literal, joined by one kind of `&&` / `||`, each maybe negated and
parenthesised (`!msr_info->host_initiated && fCheckTimers`, `change == KVM_MR_CREATE`). The
indexer keeps the branches of such conditions (indexer/guards.py); the path checks read what
a branch taken says of the names (queries/guards.py). One grammar for both sides."""
from __future__ import annotations

from vmxref.lazy import re

TERM = re.compile(r"[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*")
NUMBER = r"(?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*"
# `x == K`, `p->f != 0` (white space removed): the name, the operator, what it is compared to
COMPARISON = re.compile(r"(%s)(==|!=)(%s|%s)" % (TERM.pattern, TERM.pattern, NUMBER))
_ALLOWED = re.compile(r"[\w\s()!&|.>=-]*")  # (a cheap first test: no nested quantifiers)
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
    return all(TERM.fullmatch(p) or COMPARISON.fullmatch(p)
               for p in (part.lstrip("(!").rstrip(")") for part in _JOIN.split(t)))


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


def implied(cond: str, branch: bool) -> list[tuple[str, bool | tuple[str, str]]]:
    """What a branch taken says of the names in a plain condition: (term, value) pairs.
    `(!a->b && c)` taken: a->b false, c true; its else: nothing (either may be false). The
    value of a comparison is (operator, what the name is compared to): `(x == K)` taken:
    ("==", "K"); its else, and `!(x == K)` taken: ("!=", "K")."""
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
        holds = branch != bool(neg % 2)
        if TERM.fullmatch(p):
            out.append((p, holds))
        elif (m := COMPARISON.fullmatch(p)) is not None:
            name, op, other = m.groups()
            out.append((name, ("==" if (op == "==") == holds else "!=", other)))
    return out


_EXPR_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)|(" + TERM.pattern +
                         r")|(&&|\|\||==|!=|[!&|()]))")
_BOOL_MACROS = frozenset({"RT_BOOL", "likely", "unlikely", "bool", "_Bool"})
_ZEROS = frozenset({"false", "FALSE", "NULL", "nullptr"})
_ONES = frozenset({"true", "TRUE"})


def c_int(text: str) -> int | None:
    """The value of a C integer literal (`0x1f`, `010` is octal 8, `4U`, `1ULL`), else None."""
    t = text.strip().rstrip("uUlL")
    try:
        if t[:2] in ("0x", "0X"):
            return int(t[2:], 16)
        if len(t) > 1 and t[0] == "0":
            return int(t[1:], 8)
        return int(t, 10) if t.isdigit() else None
    except ValueError:
        return None


def _truth(v) -> bool | None:
    """The truth of a value of truth(): an exact int is true when not zero."""
    return v if v is None or type(v) is bool else v != 0


def truth(expr: str, value_of) -> tuple[bool | None, list[str]]:
    """Whether a C expression is non-zero, from what is known of the names in it
    (`value_of(term)`: True / False (zero) / an int (its exact value) / None) — `!!(level &
    1)` with level 0 is false, `RT_BOOL(a) || b` with a true is true, `val & ENABLED` with val
    0xff and ENABLED 0x100 is false; anything else it cannot tell is None. Also the terms the
    answer rests on. `!`, `&&`, `||`, `&`, `|`, `==`, `!=`, parentheses, RT_BOOL / likely /
    unlikely / `(bool)` around a value; numbers and true/false/NULL. Values known exactly
    (numbers, ints from value_of) are computed with `&`, `|`, `==`, `!=`; any other value
    only as true or false."""
    toks: list[tuple[str, str]] = []
    pos = 0
    s = expr.rstrip()
    while pos < len(s):
        m = _EXPR_TOKEN.match(s, pos)
        if m is None:
            return None, []
        pos = m.end()
        toks.append(("num", m.group(1)) if m.group(1) else ("term", m.group(2)) if m.group(2)
                    else ("op", m.group(3)))
    used: list[str] = []
    at = [0]

    def peek() -> tuple[str, str] | None:
        return toks[at[0]] if at[0] < len(toks) else None

    def take(op: str) -> bool:
        t = peek()
        if t is not None and t == ("op", op):
            at[0] += 1
            return True
        return False

    def binary(sub, op: str, absorbing: bool, all_same: bool | None, exact=None):
        """`sub (op sub)*`: `absorbing` decides it alone (&&, &: a false; ||, |: a true);
        all operands `all_same` decide it too (&&: all true; ||, |: all false); `exact`:
        the operation on ints, when every operand is known exactly (&, |)."""
        vals = [sub()]
        while take(op):
            vals.append(sub())
        if len(vals) == 1:
            return vals[0]
        if exact is not None and all(v is not None and type(v) is not bool for v in vals):
            out = vals[0]
            for v in vals[1:]:
                out = exact(out, v)
            return out
        vals = [_truth(v) for v in vals]
        if absorbing in vals:
            return absorbing
        if all_same is not None and all(v == all_same for v in vals):
            return all_same
        return None

    def expr_():
        return binary(and_, "||", True, False)

    def and_():
        return binary(bor, "&&", False, True)

    def bor():
        return binary(band, "|", True, False, lambda x, y: x | y)

    def band():
        return binary(eq, "&", False, None, lambda x, y: x & y)

    def eq():
        left, left_zero = unary_z()
        for op in ("==", "!="):
            if take(op):
                right, right_zero = unary_z()
                if left is not None and right is not None and type(left) is not bool \
                        and type(right) is not bool:
                    return (left == right) == (op == "==")
                v = _truth(right) if left_zero else _truth(left) if right_zero else None
                if v is None:
                    return None
                return (not v) if op == "==" else v
        return left

    def unary_z():
        t = peek()
        zero = t is not None and (t[0] == "num" and c_int(t[1]) == 0 or t[1] in _ZEROS)
        return unary(), zero

    def unary():
        t = peek()
        if t is None:
            raise ValueError
        at[0] += 1
        kind, text = t
        if kind == "op" and text == "!":
            v = _truth(unary())
            return None if v is None else not v
        if kind == "op" and text == "(":
            if peek() in (("term", "bool"), ("term", "_Bool")) and toks[at[0] + 1:at[0] + 2] == [("op", ")")]:
                at[0] += 2  # a cast to bool
                return _truth(unary())
            v = expr_()
            if not take(")"):
                raise ValueError
            return v
        if kind == "num":
            v = c_int(text)
            if v is None:
                raise ValueError
            return v
        if kind == "term":
            if text in _ZEROS:
                return False
            if text in _ONES:
                return True
            if text in _BOOL_MACROS and take("("):
                v = expr_()
                if not take(")"):
                    raise ValueError
                return _truth(v)
            used.append(text)
            return value_of(text)
        raise ValueError

    try:
        v = expr_()
    except (ValueError, IndexError):
        return None, []
    if at[0] != len(toks):
        return None, []
    return _truth(v), used
