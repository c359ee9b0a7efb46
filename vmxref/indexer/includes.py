"""Source files included by other files (`#include "cpa-test.c"`), found per file at index
time.

A function that is `static` in a .c file is named by no other file (queries/edges.py,
`Graph.visible`), except by a file that includes that .c file: 299 files of Linux 6.1 do
(kernel/sched/build_policy.c includes idle.c, rt.c, deadline.c ...), 38 of VirtualBox.
The worker keeps each such directive (table `incl`): the included file's base name, for
the look-up, and the text as written (`../string.c`).
"""
from __future__ import annotations

import re

from vmxref.schema import SOURCE_SUFFIXES

_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*[<"]([^">\n]+\.(?:'
                      + b"|".join(s[1:].encode() for s in SOURCE_SUFFIXES) + rb'))[">]', re.M)


def source_includes(content: bytes) -> list[tuple[str, str]]:
    """(base name, text) of each `#include` of a source file in `content`."""
    if b".c" not in content or b"include" not in content:
        return []
    out = []
    for m in _INCLUDE.finditer(content):
        text = m.group(1).decode("utf-8", "replace")
        out.append((text.rsplit("/", 1)[-1], text))
    return out
