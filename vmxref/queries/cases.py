"""`case` labels along call paths: which `case X:` governs a call (with the labels stacked
above it and `case A ... B` ranges), the family of a label (the profile's [entry]
case_prefixes and case_families: `MSR_` and `HV_X64_MSR_` both name MSR indices), and the
case constants a call passes (also through a member of a local struct whose address it
passes). Read by the path checks (feasible.py) and shown on the hops of a path."""
from __future__ import annotations

import os

from vmxref.lazy import re
from vmxref.queries import callsite
from vmxref.queries.base import Scope
from vmxref.queries.edges import Edge
from vmxref.queries.profiles import profile_section
from vmxref.queries.macroforms import parts

def case_label(sc: Scope, blob_id: int, func: str, line: int, prefixes: list[str]) -> str:
    """The `case X:` governing a line of a function, when X has one of the profile's
    prefixes: the nearest case above it whose switch is still open there (a switch that
    closed before it, or an inner one, governs nothing there)."""
    values = case_values(sc, blob_id, func, line, prefixes)
    return f"case {values[0]}" if values else ""


ONLY_LABELS = re.compile(r"\s*(?:(?:case\b[^:]*|default\s*):\s*|/\*.*?\*/\s*|//.*)*")


def case_values(sc: Scope, blob_id: int, func: str, line: int,
                prefixes: list[str]) -> tuple[str, ...]:
    """The constants of the `case` labels governing a line (see case_label), the nearest
    first, with the labels stacked above it (`case HV_X64_MSR_REFERENCE_TSC: ... case
    HV_X64_MSR_TSC_EMULATION_STATUS:` lead to the same code) and `*` for a range among
    them; () when none has a prefix."""
    if not prefixes:
        return ()
    group, _top = governing(sc, blob_id, func, line)
    return group if any(v.startswith(p) for v in group for p in prefixes) else ()


def governing(sc: Scope, blob_id: int, func: str, line: int) -> tuple[tuple[str, ...], int]:
    """(the labels of the nearest `case` whose switch is still open at a line, with the
    labels stacked above it and `*` for a range; the line of the top label), or ((), 0)
    (memoised)."""
    memo = sc.memo("_case_labels")
    key = (blob_id, func, line)
    if key not in memo:
        memo[key] = ((), 0)
        rows = sc.conn.execute(
            "SELECT value, line FROM kase WHERE blob_id = ? AND func = ? AND line <= ? "
            "ORDER BY line DESC LIMIT 64", key).fetchall()
        lines = sc.store.lines(blob_id) if rows else []  # (no case above it: no text read)
        for i, (value, kline) in enumerate(rows):
            if _still_open(lines, kline, line):
                group, top = [value], kline
                for value2, kline2 in rows[i + 1:]:  # stacked: only labels in between
                    if not all(ONLY_LABELS.fullmatch(t) for t in lines[kline2 - 1:top - 1]):
                        break
                    group.append(value2)
                    top = kline2
                if any("..." in t for t in lines[top - 1:kline]):
                    group.append("*")  # a range (`case A ... B:`): any value may be in it
                memo[key] = (tuple(group), top)
                break
    return memo[key]


_SWITCH = re.compile(r"\bswitch\s*\(\s*([A-Za-z_]\w*)\s*\)")


def switch_on(sc: Scope, blob_id: int, case_line: int) -> str:
    """The variable a `switch (x)` tests, for the switch whose body holds the `case` on
    `case_line` ('' when it tests an expression, or none is found; memoised)."""
    return _switch_of(sc, blob_id, case_line)[1]


def switch_line(sc: Scope, blob_id: int, case_line: int) -> int:
    """The line of the `{` that opens the body of the switch holding the `case` on
    `case_line` (0 when none is found): two labels are of one switch when it is the same."""
    return _switch_of(sc, blob_id, case_line)[0]


def _switch_of(sc: Scope, blob_id: int, case_line: int) -> tuple[int, str]:
    memo = sc.memo("_switch_on")
    key = (blob_id, case_line)
    if key not in memo:
        memo[key] = (0, "")
        lines = sc.store.lines(blob_id)
        depth = 0
        for k in range(case_line - 2, max(-1, case_line - 400), -1):
            text = _NOT_BRACES.sub("", lines[k])
            depth += text.count("}") - text.count("{")
            if depth < 0:  # the `{` that opens the switch body: `switch (x) {`, maybe a line up
                m = _SWITCH.search(text) or (_SWITCH.search(lines[k - 1]) if k else None)
                memo[key] = (k + 1, m.group(1) if m else "")
                break
    return memo[key]


def own_labels(sc: Scope, blob_id: int, func: str) -> frozenset[str]:
    """The constants of every `case` label of a function (memoised)."""
    memo = sc.memo("_own_labels")
    if (blob_id, func) not in memo:
        memo[(blob_id, func)] = frozenset(v for (v,) in sc.conn.execute(
            "SELECT value FROM kase WHERE blob_id = ? AND func = ?", (blob_id, func)))
    return memo[(blob_id, func)]


def edge_case(sc: Scope, e: Edge, prefixes: list[str]) -> str:
    """The case label governing the call of an edge."""
    return case_label(sc, e.blob_id, e.caller, e.line, prefixes)


_NOT_BRACES = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//.*|/\*.*?\*/')


_DEFAULT = re.compile(r"\bdefault\s*:")


def _still_open(lines: list[str], case_line: int, line: int) -> bool:
    """Does the block holding the `case` on `case_line` stay open down to `line`, with no
    `default:` of that switch in between (the line is under the case)?"""
    depth = 0
    for k, text in enumerate(lines[case_line - 1:line - 1]):
        text = _NOT_BRACES.sub("", text)
        if k and depth == 0 and _DEFAULT.search(text):
            return False
        for ch in text:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth < 0:
                    return False
    return True


_RANGE = re.compile(r"\bcase\s+([A-Za-z_]\w*)\s*\.\.\.\s*([A-Za-z_]\w*)\s*:")


def stack_ranges(sc: Scope, e: Edge) -> list[tuple[str, str]]:
    """(A, B) of the `case A ... B:` labels stacked above a call (the lines of labels only,
    as in case_values), nearest first."""
    lines = sc.store.lines(e.blob_id)
    out = []
    i = e.line - 1  # (1-based: the line above the call)
    while 0 < i <= len(lines) and e.line - i < 40 and ONLY_LABELS.fullmatch(lines[i - 1]):
        out += [(m.group(1), m.group(2)) for m in _RANGE.finditer(lines[i - 1])]
        i -= 1
    return out


def range_label(sc: Scope, e: Edge, value: str) -> str:
    """Of the `case A ... B:` labels stacked above a call, the one that holds `value` when
    the constants' values are known (#defines of the corpus), else the one whose ends share
    the longest prefix with it, as `case A ... B`."""
    ranges = stack_ranges(sc, e)
    v = const_value(sc, value)
    for a, b in ranges if v is not None else ():
        lo, hi = const_value(sc, a), const_value(sc, b)
        if lo is not None and hi is not None and lo <= v <= hi:
            return f"case {a} ... {b}"
    best, score = "", 0
    for a, b in ranges:
        n = max(len(os.path.commonprefix([value, a])), len(os.path.commonprefix([value, b])))
        if n > score:
            best, score = f"case {a} ... {b}", n
    return best


def in_ranges(sc: Scope, e: Edge, values) -> bool | None:
    """Can one of the constants `values` be in a `case A ... B` range stacked above the
    call? None when a value or a bound is not known."""
    known = [const_value(sc, v) for v in values]
    if not known or None in known:
        return None
    for a, b in stack_ranges(sc, e):
        lo, hi = const_value(sc, a), const_value(sc, b)
        if lo is None or hi is None:
            return None
        if any(lo <= v <= hi for v in known):
            return True
    return False


_INT_SUFFIX = re.compile(r"\b(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]+\b")


def const_value(sc: Scope, name: str, depth: int = 0) -> int | None:
    """The integer a constant's #define (in the asked corpus versions) stands for: a
    literal, another constant, or a sum, shift, or, BIT() of those (memoised; None when
    unknown or ambiguous)."""
    memo = sc.memo("_const_value")
    if name in memo:
        return memo[name]
    memo[name] = None  # (a cycle)
    if depth > 6 or not name.isidentifier():
        return None
    texts = {(t or "").strip() for (t,) in sc.conn.execute(
        f"SELECT DISTINCT t.text FROM sym t CROSS JOIN file f ON f.blob_id = t.blob_id AND "
        f"f.corpus_id IN ({','.join(str(int(c)) for c in sc.corpus_ids)}) "
        "WHERE t.name = ? AND t.kind = 'macro'", (name,))}
    values = set()
    for t in texts:
        params, body = parts(t)
        if t and (params is None or not body):  # (`(HV_REGISTER_X)` alone reads as either)
            values.add(_eval(sc, t, depth))
    memo[name] = values.pop() if len(values) == 1 else None
    return memo[name]


def _eval(sc: Scope, text: str, depth: int) -> int | None:
    import ast
    text = _INT_SUFFIX.sub(lambda m: m.group(1), text.split("//")[0].split("/*")[0]).strip()
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return None
    ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.BitOr: lambda a, b: a | b, ast.LShift: lambda a, b: a << b if b < 64 else None}

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Name):
            return const_value(sc, n.id, depth + 1)
        if isinstance(n, ast.BinOp) and type(n.op) in ops:
            a, b = ev(n.left), ev(n.right)
            return None if a is None or b is None else ops[type(n.op)](a, b)
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and len(n.args) == 1
                and n.func.id in ("BIT", "BIT_ULL", "RT_BIT", "RT_BIT_32", "RT_BIT_64")):
            b = ev(n.args[0])
            return 1 << b if b is not None and 0 <= b < 64 else None
        return None
    return ev(tree.body)


def family(label: str, prefixes: list[str]) -> str:
    """The profile prefix a case label's constant has (`MSR_` for `case MSR_EFER`)."""
    value = label[5:] if label.startswith("case ") else label
    return max((p for p in prefixes if value.startswith(p)), key=len, default="")


def families(sc: Scope, prefixes: list[str]):
    """(label -> its family: the longest case prefix it has, with the profile's [entry]
    case_families merged (["MSR_", "HV_X64_MSR_"]: both name MSR indices); the families
    so declared)."""
    memo = sc.memo("families")
    if "f" not in memo:
        groups = profile_section(sc, "entry").get("case_families", [])
        merged = {p: group[0] for group in groups for p in group}
        memo["f"] = (lambda label: merged.get(family(label, prefixes), family(label, prefixes)),
                     frozenset(group[0] for group in groups))
    return memo["f"]


_WORD = re.compile(r"[A-Za-z_]\w*")


_ADDRESS_OF = re.compile(r"&\s*([A-Za-z_]\w*)")


def passed_constants(sc: Scope, e: Edge, prefixes: list[str]) -> frozenset[str]:
    """The case-family constants among the arguments of the call at an edge, also set in a
    member of a local struct whose address it passes (`msr_info.index = MSR_EFER; ...
    kvm_set_msr_common(vcpu, &msr_info)`) (memoised)."""
    memo = sc.memo("passed_constants")
    key = (e.blob_id, e.caller, e.line, e.col)
    if key not in memo:
        args = callsite.args(sc, e)
        found = {t for t in _WORD.findall(" ".join(args)) if family(t, prefixes)}
        for a in args:
            m = _ADDRESS_OF.fullmatch(a.strip())
            for _member, v in callsite.member_assigns(sc, e, m.group(1)) if m else ():
                if family(v, prefixes) and _WORD.fullmatch(v):
                    found.add(v)
        memo[key] = frozenset(found)
    return memo[key]


def case_prefixes(sc: Scope) -> list[str]:
    """The profile's [entry] case_prefixes (the `case` labels worth naming on a path)."""
    return profile_section(sc, "entry").get("case_prefixes", [])
