"""Arguments of a call written in plain source text (a #define body, a trace event's
TP_PROTO): the index keeps none for calls in macro bodies."""
from __future__ import annotations

from vmxref.lazy import re


def call_args(text: str, callee: str, last: bool = False, limit: int = 2000) -> list[str]:
    """The top-level arguments of the first (or `last`) `callee(...)` in `text`, stripped,
    line continuations removed ([] when there is none or it does not close within `limit`
    characters)."""
    found = list(re.finditer(rf"\b{re.escape(callee)}\s*\(", text))
    if not found:
        return []
    start = found[-1 if last else 0].end()
    args, depth, cur = [], 1, []
    for ch in text[start:start + limit]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return [a.replace("\\\n", " ").strip() for a in [*args, "".join(cur)]]
        elif ch == "," and depth == 1:
            args.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    return []
