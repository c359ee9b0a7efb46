"""Lines an IPRT info handler prints with several calls of its printf helper.

A DBGF info handler (and the guru-meditation dump, which prints to the release log through
the same kind of helper) builds one output line from consecutive calls of the helper's
`pfnPrintf` member, the first without a newline, some under a condition:

    pHlp->pfnPrintf(pHlp, "Cpu Tick: %18RU64 ... - virtualized", ...);
    if (enmTSCMode == TMTSCMODE_REAL_TSC_OFFSET)
        pHlp->pfnPrintf(pHlp, " - real tsc offset");
    else
        pHlp->pfnPrintf(pHlp, " - virtual clock");
    pHlp->pfnPrintf(pHlp, "\\n");

Each way through the function that prints such a run is a log call candidate of its own: a
row at the first call with the formats joined (and the arguments of each after its format),
as extract._continued_lines does for the kernel's pr_cont. The ways are found on the syntax
tree: two calls can follow each other unless they sit in two branches of one `if`, `#if`,
`switch` or `?:`; a call between them goes in between when every branch holding it also
holds one of the two (it runs whenever both do). Loops are not repeated (a call in a loop
body may be left out, never printed twice), and `return` is not followed.
"""
from __future__ import annotations

import json
import re

from vmxref import logfmt
from vmxref.ctext import jlist

# member calls whose successive calls print one line (IPRT's DBGFINFOHLP, DBGCCMDHLP ...)
HELPER_MEMBER = re.compile(r"^pfn\w*Printf$")
MAX_SCAN = 64         # calls after one looked at for the next one it may be followed by
MAX_CALLS = 12        # calls joined into one line at most
MAX_WAYS = 32         # ways of one line start kept at most (a run of optional flags has 2^n)
_EXCLUSIVE = {"if_statement": ("consequence", "alternative"),
              "conditional_expression": ("consequence", "alternative"),
              "preproc_if": (None, "alternative"), "preproc_ifdef": (None, "alternative"),
              "preproc_elif": (None, "alternative"), "preproc_elifdef": (None, "alternative")}
_LOOPS = frozenset({"for_statement", "while_statement", "for_range_loop"})
_FUNCTION = frozenset({"function_definition", "lambda_expression"})


def helper_lines(cx, tree, literal_keys) -> None:
    """Add a log call row for each way a run of helper calls prints one line (see the module
    docstring); `literal_keys(fmt, dialect)` gives a format's words."""
    if cx.dialect != "iprt" or tree is None:
        return
    members = {(c[0], c[1]): c for c in cx.f.calls
               if c[4] == "member" and c[2] and HELPER_MEMBER.match(c[3])}
    if len(members) < 2:
        return
    by_func: dict[str, list[tuple]] = {}
    for row in cx.f.logcalls:
        if row[2] and (row[0], row[1]) in members:
            by_func.setdefault(row[2], []).append(row)
    logged = {(r[0], r[1]) for rows in by_func.values() for r in rows}
    for c in members.values():  # (`pfnPrintf(pHlp, "\n")`: no log call row, a line's end)
        end = logfmt.blank_literal(json.loads(c[6])) if (c[0], c[1]) not in logged else None
        if end is not None and c[2] in by_func:
            by_func[c[2]].append((c[0], c[1], c[2], c[3], end[1], end[0], c[6], ""))
    for rows in by_func.values():
        rows.sort(key=lambda r: r[:2])
        if len(rows) < 2 or all(r[4].endswith("\n") for r in rows[:-1]):
            continue
        regions = [_regions(tree, r[0], r[1]) for r in rows]
        if any(r is None for r in regions):
            continue  # (a call the tree does not have where the row says: left alone)
        for k in range(1, len(rows)):  # (two rows of one call: `f ? "A" : "B"`, one or
            if rows[k][:2] == rows[k - 1][:2]:  # the other)
                alt = ("?:", rows[k][:2])
                if not any(c == alt for c, _b in regions[k - 1]):
                    regions[k - 1] = regions[k - 1] | {(alt, k - 1)}
                regions[k] = regions[k] | {(alt, k)}
        for way in _ways(rows, regions):
            if not any(rows[k][4].strip() for k in way[1:]):
                continue  # (the first call's line and a newline: its own row has it)
            first = rows[way[0]]
            fmt = "".join(rows[k][4] for k in way)
            args = json.loads(first[6])[:first[5] + 1]
            for k in way:
                args += json.loads(rows[k][6])[rows[k][5] + 1:]
            cx.f.logcalls.append((*first[:4], fmt, first[5], jlist(args),
                                  " ".join(literal_keys(fmt, cx.dialect))))


def _ways(rows: list[tuple], regions: list[frozenset]) -> list[list[int]]:
    """The runs of calls (indexes into rows) that print one line, 2 calls or more, each from
    a call that starts a line (no call may come before it, or one ending its line may)."""
    nexts = [_followers(k, regions) for k in range(len(rows))]
    before: dict[int, list[int]] = {}
    for k, (after, _always) in enumerate(nexts):
        for j in after:
            before.setdefault(j, []).append(k)
    out: list[list[int]] = []
    for start in range(len(rows)):
        if rows[start][4].endswith("\n") or (
                start in before and not any(rows[k][4].endswith("\n") for k in before[start])):
            continue
        found: list[list[int]] = []
        _extend([start], rows, nexts, found)
        out.extend(found)
    return out


def _extend(way: list[int], rows, nexts, found: list[list[int]]) -> None:
    """Every way `way` may go on to its line's end (depth first, MAX_WAYS at most)."""
    last = way[-1]
    after, always = nexts[last]
    if rows[last][4].endswith("\n") or len(way) >= MAX_CALLS or not after:
        if len(way) > 1 and len(found) < MAX_WAYS:
            found.append(way)
        return
    if not always and len(way) > 1 and len(found) < MAX_WAYS:
        found.append(way)  # (nothing more need be printed: the function may end here)
    for j in after:
        if len(found) >= MAX_WAYS:
            return
        _extend(way + [j], rows, nexts, found)


def _followers(k: int, regions: list[frozenset]) -> tuple[list[int], bool]:
    """The calls that may come right after call k, and whether one of them always does."""
    out: list[int] = []
    mine = regions[k]
    for j in range(k + 1, min(len(regions), k + 1 + MAX_SCAN)):
        if not _compatible(mine, regions[j]):
            continue
        if any(regions[m] <= mine | regions[j] for m in out):
            continue  # (a call in between runs whenever both do)
        out.append(j)
        if regions[j] <= mine:
            return out, True  # (runs whenever call k does: nothing after it comes first)
    return out, False


def _compatible(a: frozenset, b: frozenset) -> bool:
    """Can two calls run in one pass (no construct holds them in two of its branches)?"""
    branches = {c: label for c, label in a}
    return not any(c in branches and branches[c] != label for c, label in b)


def _regions(tree, line: int, col: int) -> frozenset | None:
    """The branches around the call at (line, col), 1-based: (construct id, branch) pairs of
    the `if`s, `#if`s, `?:`s and `switch` cases (branch: which one) and loop bodies up to
    the function; None when no call starts there."""
    at = (line - 1, col - 1)
    node = tree.root_node.descendant_for_point_range(at, at)
    while node is not None and not (node.type == "call_expression" and node.start_point == at):
        node = node.parent
        if node is not None and node.start_point != at:
            return None
    if node is None:
        return None
    out = set()
    child, up = node, node.parent
    while up is not None and up.type not in _FUNCTION:
        t = up.type
        if t in _EXCLUSIVE:
            cons, alt = _EXCLUSIVE[t]
            a = up.child_by_field_name(alt)
            c = up.child_by_field_name(cons) if cons else None
            if a is not None and a.id == child.id:
                out.add((up.id, 1))
            elif cons is None or (c is not None and c.id == child.id):
                cond = up.child_by_field_name("condition")
                if cond is None or cond.id != child.id:
                    out.add((up.id, 0))
        elif t == "case_statement":
            out.add((up.parent.id if up.parent is not None else up.id, up.start_byte))
        elif t in _LOOPS and up.child_by_field_name("body") is not None and \
                up.child_by_field_name("body").id == child.id:
            out.add((up.id, 0))
        child, up = up, up.parent
    return frozenset(out)
