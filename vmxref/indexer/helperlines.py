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
tree, walking each statement list from its end: the calls that may come first after each
call (through both branches of an `if`/`else`, `#if`/`#else`, `?:` or the cases of a
`switch`, past a branch that prints nothing, a loop that may not run, to the function's
end). A loop's body is not repeated (a call in it may be left out, never printed twice
over), a `return` ends the line.
"""
from __future__ import annotations

import bisect
import json
import re

from vmxref import logfmt
from vmxref.ctext import jlist

# member calls whose successive calls print one line (IPRT's DBGFINFOHLP, DBGCCMDHLP ...)
HELPER_MEMBER = re.compile(r"^pfn\w*Printf$")
MAX_CALLS = 12        # calls joined into one line at most
MAX_WAYS = 32         # ways of one line start kept at most (a run of optional flags has 2^n)
END = -1              # (the function's end: the line may end there)
_IFS = frozenset({"if_statement", "conditional_expression"})
_PREPROC = frozenset({"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef",
                      "preproc_else"})
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
        try:
            ways = _ways(rows, tree)
        except RecursionError:  # (an else-if chain deeper than Python's stack: no ways)
            continue
        for way in ways:
            if not any(rows[k][4].strip() for k in way[1:]):
                continue  # (the first call's line and a newline: its own row has it)
            first = rows[way[0]]
            fmt = "".join(rows[k][4] for k in way)
            args = json.loads(first[6])[:first[5] + 1]
            for k in way:
                args += json.loads(rows[k][6])[rows[k][5] + 1:]
            cx.f.logcalls.append((*first[:4], fmt, first[5], jlist(args),
                                  " ".join(literal_keys(fmt, cx.dialect))))


def _ways(rows: list[tuple], tree) -> list[list[int]]:
    """The runs of calls (indexes into rows, which are one function's, in source order) that
    print one line, 2 calls or more, each from a call that starts a line (the first the
    function may print, or one after a call that ends its line); [] when the tree has no
    call where a row says."""
    flow = _Flow(rows, tree)
    if flow.body is None:
        return []
    first = flow.walk(flow.body, frozenset({END}))
    starts = {k for k in first if k != END}
    for k, after in enumerate(flow.next):
        if rows[k][4].endswith("\n"):
            starts |= {j for j in after if j != END}
    out: list[list[int]] = []
    for start in sorted(starts):
        if not rows[start][4].endswith("\n"):
            found: list[list[int]] = []
            _extend([start], rows, flow.next, found)
            out.extend(found)
    return out


def _extend(way: list[int], rows, nexts, found: list[list[int]]) -> None:
    """Every way `way` may go on to its line's end (depth first, MAX_WAYS at most)."""
    last = way[-1]
    if rows[last][4].endswith("\n") or len(way) >= MAX_CALLS:
        if len(way) > 1 and len(found) < MAX_WAYS:
            found.append(way)
        return
    for j in sorted(nexts[last]):
        if len(found) >= MAX_WAYS:
            return
        if j == END:  # (nothing more is printed: the function ends, the line with it)
            if len(way) > 1:
                found.append(way)
        else:
            _extend(way + [j], rows, nexts, found)


class _Flow:
    """The calls (rows) of one function that may come right after each other: `next[k]`,
    row indexes and END, filled by walk()."""

    def __init__(self, rows: list[tuple], tree) -> None:
        self.at: dict[tuple[int, int], list[int]] = {}  # (row, column) -> rows of the call
        for k, r in enumerate(rows):  # (two rows of one call: `f ? "A" : "B"`, either)
            self.at.setdefault((r[0] - 1, r[1] - 1), []).append(k)
        self.next: list[set[int]] = [set() for _ in rows]
        self.body, self.starts = None, []
        starts = []
        for point in self.at:
            node = _call_at(tree, point)
            if node is None:
                self.body = None
                return
            starts.append(node.start_byte)
            fn = node.parent
            while fn is not None and fn.type not in _FUNCTION:
                fn = fn.parent
            body = fn.child_by_field_name("body") if fn is not None else None
            if body is None or self.body is not None and body.id != self.body.id:
                self.body = None
                return  # (not all in one function body: no ways)
            self.body = body
        self.starts = sorted(starts)

    def _prints_in(self, node) -> bool:
        i = bisect.bisect_left(self.starts, node.start_byte)
        return i < len(self.starts) and self.starts[i] < node.end_byte

    def seq(self, nodes, after: frozenset) -> frozenset:
        """The calls that may come first in a statement list followed by `after`."""
        for n in reversed(nodes):
            after = self.walk(n, after)
        return after

    def walk(self, node, after: frozenset) -> frozenset:
        """The calls that may come first in `node` followed by `after` (the calls that may
        come first after it); fills next[] of the calls in it."""
        if not self._prints_in(node):
            return frozenset({END}) if node.type == "return_statement" else after
        t = node.type
        if t == "call_expression" and node.start_point in self.at:
            ks = self.at[node.start_point]
            for k in ks:
                self.next[k] |= after
            return frozenset(ks)
        if t == "return_statement":
            return self.seq(node.named_children, frozenset({END}))
        if t in _IFS:
            alt = node.child_by_field_name("alternative")
            first = self.walk(node.child_by_field_name("consequence"), after) | (
                self.walk(alt, after) if alt is not None else after)
            cond = node.child_by_field_name("condition")
            return self.walk(cond, first) if cond is not None else first
        if t in _PREPROC:
            alt = node.child_by_field_name("alternative")
            skip = {c.id for c in (alt, node.child_by_field_name("condition"),
                                   node.child_by_field_name("name")) if c is not None}
            body = [c for c in node.named_children if c.id not in skip]
            return self.seq(body, after) | (self.walk(alt, after) if alt is not None else
                                             after if t != "preproc_else" else frozenset())
        if t in _LOOPS:  # (the body once, or not at all)
            body = node.child_by_field_name("body")
            return (self.walk(body, after) if body is not None else frozenset()) | after
        if t == "switch_statement":  # (one case, or none; no fall-through)
            out = set(after)
            body = node.child_by_field_name("body")
            for case in body.named_children if body is not None else ():
                if case.type == "case_statement":
                    value = case.child_by_field_name("value")
                    out |= self.seq([c for c in case.named_children
                                     if value is None or c.id != value.id], after)
            return frozenset(out)
        return self.seq(node.named_children, after)


def _call_at(tree, point: tuple[int, int]):
    """The call_expression starting at (row, column), 0-based, or None."""
    node = tree.root_node.descendant_for_point_range(point, point)
    while node is not None and node.start_point == point:
        if node.type == "call_expression":
            return node
        node = node.parent
    return None
