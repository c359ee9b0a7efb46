"""The calls that printed the rest of a line one logging call began.

The indexer keeps a line printed by several calls as a row of the first call with the
formats joined (the kernel's pr_cont after a pr_err: extract._continued_lines; an IPRT
info handler's successive `pHlp->pfnPrintf` calls: indexer/helperlines.py). Which calls
the rest came from is not stored: it is found again here, among the calls after the first
one in its function, as the pieces of the joined format in their order (the first way
found, the nearest calls first).
"""
from __future__ import annotations

from vmxref import logfmt
from vmxref.lazy import json, re
from vmxref.queries.base import Scope

_CONT_MARK = re.compile(r"\A(?:\x01c|KERN_CONT\b ?)")  # (as extract._CONT_MARK)
MAX_PIECES = 16
MAX_STEPS = 2000  # tries of pieces at most (a row whose pieces are not found names none)


def continued_by(sc: Scope, rowid: int) -> list[dict]:
    """[{line, col}] of the calls that printed the rest of the line of the logging call
    row `rowid` after its own format, in order; [] when the row is one call's."""
    row = sc.conn.execute("SELECT blob_id, line, col, func, fmt FROM logcall WHERE rowid = ?",
                          (rowid,)).fetchone()
    if row is None or not row[3]:
        return []
    bid, line, col, func, fmt = row
    own = [f for (f,) in sc.conn.execute(
        "SELECT fmt FROM logcall WHERE blob_id = ? AND line = ? AND col = ? AND rowid != ?",
        (bid, line, col, rowid)) if len(f) < len(fmt) and fmt.startswith(f)]
    if not own:
        return []
    pieces: dict[tuple[int, int], set[str]] = {}
    for ln, cl, text in sc.conn.execute(
            "SELECT line, col, fmt FROM logcall WHERE blob_id = ? AND func = ? AND "
            "(line > ? OR line = ? AND col > ?)", (bid, func, line, line, col)):
        pieces.setdefault((ln, cl), set()).add(_CONT_MARK.sub("", text))
    for ln, cl, args in sc.conn.execute(
            "SELECT line, col, args FROM call WHERE blob_id = ? AND func = ? AND "
            "(line > ? OR line = ? AND col > ?) AND args LIKE '%\"\\\"%'",
            (bid, func, line, line, col)):
        blank = logfmt.blank_literal(json.loads(args)) if (ln, cl) not in pieces else None
        if blank is not None:
            pieces[(ln, cl)] = {blank[1]}
    order = sorted(pieces)
    budget = [MAX_STEPS]
    for f in sorted(own, key=len):  # (the first call's own format: the shortest)
        way = _split(fmt[len(f):], order, pieces, 0, [], budget)
        if way:
            return [{"line": ln, "col": cl} for ln, cl in way]
    return []


def _split(rest: str, order: list, pieces: dict, start: int, way: list,
           budget: list[int]) -> list | None:
    """The calls (from order[start:]) whose texts make `rest` in turn, or None (also when
    the budget of tries is spent)."""
    if not rest:
        return way
    budget[0] -= 1
    if len(way) >= MAX_PIECES or budget[0] < 0:
        return None
    for k in range(start, len(order)):
        for text in pieces[order[k]]:
            if text and rest.startswith(text):
                got = _split(rest[len(text):], order, pieces, k + 1, way + [order[k]], budget)
                if got:
                    return got
    return None
