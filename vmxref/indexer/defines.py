"""Generated register headers: files of `#define NAME <number>` lines only.

A third of the bytes of all of Linux are such headers (drivers/gpu/drm/amd/include/asic_reg:
373 MB, 3.5 M defines like `#define mmDCCG_GATE_DISABLE_CNTL__DISPCLK_R_GATE_DIS__SHIFT
0x1`). Their facts are one macro symbol per line — the same rows the tree walk makes (name,
line, column, the value as its text; no references: a number names nothing) — so a file
made of nothing else is read by one regular-expression pass instead of a parse and a walk
of every node (the include guard and comments are allowed; anything else sends the file
down the normal path).
"""
from __future__ import annotations

import re

from vmxref.indexer.extract import Facts

MIN_SIZE = 64 * 1024  # smaller files: the normal path (the scan pays off on big ones)

_COMMENT = re.compile(rb"/\*.*?\*/|//[^\n]*", re.S)
_NUMBER = rb"\(?[-+]?(?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*\)?"
_DEFINE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?:[ \t]+(" + _NUMBER +
                     rb"))?[ \t]*\r?$", re.M)
# the whole file (comments blanked): blank lines, numeric #defines, an include guard
_ONLY = re.compile(rb"(?:[ \t]*(?:#[ \t]*(?:define[ \t]+[A-Za-z_]\w*(?:[ \t]+" + _NUMBER +
                   rb")?|ifndef[ \t]+[A-Za-z_]\w*|endif\b[^\n]*))?[ \t]*\r?(?:\n|\Z))*+")  # (possessive: a
# failing line must not send the engine back through every line before it)


def scan(content: bytes) -> Facts | None:
    """The facts of a file made of numeric #defines only; None for any other file."""
    if (len(content) < MIN_SIZE or content.count(b"#define") * 200 < len(content)
            or b"\\\n" in content):  # (a cheap test first: dense with #defines, no continuation)
        return None
    if b"/" in content:  # comments blanked, lines and columns kept
        content = _COMMENT.sub(lambda m: re.sub(rb"[^\n]", b" ", m.group()), content)
    if _ONLY.fullmatch(content) is None:
        return None
    f = Facts()
    line = 1
    at = 0  # offset of the start of `line`
    for m in _DEFINE.finditer(content):
        start = m.start()
        line += content.count(b"\n", at, start)
        at = start
        name = m.group(1).decode("ascii")
        value = m.group(2).decode("ascii") if m.group(2) else ""
        col = m.start(1) - start + 1  # (the match starts its line)
        eol = content.find(b"\n", m.end())
        f.syms.append((name, "macro", line, col, line + 1 if eol >= 0 else line, "", None, 0, 0,
                       value))
    f.nlines = content.count(b"\n") + 1
    return f
