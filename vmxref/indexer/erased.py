"""Calls and reads inside macro arguments a profile rule drops.

`unwrap_args` keeps some arguments of a macro use and blanks the others: `per_cpu(hrtimer_bases,
get_nohz_timer_target())` is `hrtimer_bases` to the parser, which is what writes and reads of
the per-CPU variable need, but the call in the cpu argument was in no text parsed. Here a
small second text holds those arguments, each use's as one statement in place,
`(get_nohz_timer_target());` where `per_cpu(...)` was, inside the header and braces of the
function the use is in and nothing else: their facts (calls, reads, writes) come at their own
line and column, in their function, and are added to the file's. A use inside another's
dropped argument has its own arguments in a next text.
"""
from __future__ import annotations

import bisect
import re

from vmxref.indexer import extract, ts

ROUNDS = 4  # texts made for one file, at most (uses inside uses inside uses ...)
_DIRECTIVE = re.compile(rb"(?:^|\n)[ \t]*#")
_NEWLINE = re.compile(rb"\n")


def recover(content: bytes, text: bytes, tree, lang: str, prof, dialect: str, fills,
            spans, erased: list, facts) -> None:
    """Add to `facts` (those of `text`, parsed as `tree`) the facts inside the dropped
    arguments `erased` (normalize.normalize_ex's) of uses inside function bodies."""
    root = tree.root_node
    todo: list[tuple[tuple, object]] = []  # (entry, its function's node)
    nested = []  # (the entries of uses the text does not hold)
    for entry in erased:
        s, e, _a, _b, arg = entry
        if _DIRECTIVE.search(arg):
            continue  # (an `#if` inside the argument: no expression)
        seg = text[s:e]
        kept = len(seg) - len(seg.lstrip())
        if kept == len(seg):
            nested.append(entry)  # (or in an `#if` branch dropped: left out below)
            continue
        fn = _function(root.descendant_for_byte_range(s + kept, s + kept + 1), s, e)
        if fn is not None:
            todo.append((entry, fn))
    empty = text.translate(extract._BLANK)
    for _round in range(ROUNDS):
        if not todo:
            return
        uses: dict[tuple[int, int], list] = {}
        for (s, e, a, b, arg), fn in todo:
            uses.setdefault((s, e), []).append((a, b, arg, fn))
        later, end = [], -1  # (a use in another's kept argument: in a next text)
        for s, e in sorted(uses, key=lambda u: (u[0], -u[1])):
            if s < end:
                later += [((s, e, a, b, arg), fn) for a, b, arg, fn in uses.pop((s, e))]
            else:
                end = e
        synth = bytearray(empty)
        pieces: list[tuple[int, int]] = []  # (what the synthetic text holds: all it parses)
        for fn in {fn.start_byte: fn for args in uses.values() for *_x, fn in args}.values():
            body = fn.child_by_field_name("body")
            synth[fn.start_byte:body.start_byte + 1] = text[fn.start_byte:body.start_byte + 1]
            synth[body.end_byte - 1] = 0x7D  # '}'
            pieces += [(fn.start_byte, body.start_byte + 1), (body.end_byte - 1, body.end_byte)]
        regions: list[tuple[int, int, object]] = []
        for (s, _e), args in uses.items():
            args.sort(key=lambda x: x[0])
            synth[s] = 0x28  # '('
            for i, (a, b, arg, fn) in enumerate(args):
                synth[a:b] = arg
                synth[b] = 0x2C if i + 1 < len(args) else 0x29  # ',' / ')'
                regions.append((a, b, fn))
            synth[args[-1][1] + 1] = 0x3B  # ';'
            pieces.append((s, args[-1][1] + 2))
        if not regions:
            return
        regions.sort(key=lambda r: r[0])
        found = extract.extract(content, ts.parse_ranges(bytes(synth), lang, pieces),
                                lang, prof, (), dialect,
                                text=bytes(synth), fills=fills,
                                byte_range=(regions[0][0], regions[-1][1]),
                                use_spans=[u for u in spans if _inside(regions, *u)])
        _take(facts, found, content, regions)
        inner = [(x, _inside(regions, x[0], x[1])) for x in nested]
        todo = later + [(x, fn) for x, fn in inner if fn is not None]
        nested = [x for x, fn in inner if fn is None]


def _function(node, s: int, e: int):
    """The function definition whose body a node and the use [s, e) it is in are in, the
    use before the body's last byte (None: at file scope, in the function's header, under
    an ERROR, or a body without its `}`)."""
    while node is not None and node.type != "function_definition":
        if node.type == "ERROR":
            return None
        node = node.parent
    body = node.child_by_field_name("body") if node is not None else None
    if body is None or not body.children or body.children[-1].type != "}" or \
            body.children[-1].is_missing or not body.start_byte < s < e < body.end_byte - 1:
        return None
    return node


def _inside(regions: list[tuple[int, int, object]], s: int, e: int):
    """The function of the region [s, e) lies in, or None."""
    i = bisect.bisect_right(regions, s, key=lambda r: r[0]) - 1
    return regions[i][2] if i >= 0 and e <= regions[i][1] else None


def _take(facts, found, content: bytes, regions: list[tuple[int, int, object]]) -> None:
    """The facts of `found` that start inside one of the regions, added to `facts`."""
    nl = [-1, *(m.start() for m in _NEWLINE.finditer(content))]

    def inside(line: int, col: int) -> bool:
        off = nl[line - 1] + col if 0 < line <= len(nl) else -1
        return _inside(regions, off, off + 1) is not None

    facts.calls += [r for r in found.calls if inside(r[0], r[1])]
    facts.refs += [r for r in found.refs if inside(r[2], r[3])]
    facts.assigns += [r for r in found.assigns if inside(r[0], r[1])]
    facts.logcalls += [r for r in found.logcalls if inside(r[0], r[1])]
