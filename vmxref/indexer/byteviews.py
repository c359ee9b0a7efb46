"""Byte views of a struct, found per file at index time.

`char *p = (char *)vmcs12 + offset; ... *(u64 *)p = field_value;` (vmcs12_write_any) may
write any member of the struct `vmcs12` points to. `writes S.f` looks for such views of
every pointer to S (writes.py, `_computed_offset_writes`); at query time that was a scan of
every write whose value starts like a byte-pointer cast (on all of Linux 1,400 rows, a
seventh of a `writes` query). The worker keeps the views it finds in the facts it has
just extracted (table `byteview`), looked up by the pointer's name.

A view is a write (`init` or `assign`, in a function) of a plain variable whose value is
a cast to a byte pointer of a name plus something: (function, variable, name, line).
"""
from __future__ import annotations

import re

# the casts a value starts with (as the query's index range looked them up)
PREFIXES = ("(char", "(u8", "(uint8_t", "(unsigned char", "(const char", "(const u8")
BYTE_VIEW = re.compile(r"\(\s*(?:const\s+)?(?:char|u8|uint8_t|unsigned\s+char)\s*\*\s*\)\s*"
                       r"\(?\s*([A-Za-z_]\w*)\s*\)?\s*\+")


def byte_views(f) -> list[tuple]:
    """(function, variable, base name, line) of each byte view in the facts `f`
    (extract.Facts), in the order of the writes."""
    out = []
    for line, _col, func, _field, chain, _op, value, kind, *_ in f.assigns:
        if not value or value[0] != "(" or "+" not in value or not func or \
                kind not in ("init", "assign"):
            continue
        if not any(p <= value < p + "\x7f" for p in PREFIXES):
            continue
        m = BYTE_VIEW.match(value)
        if m and chain and chain.startswith('["v:') and chain.endswith('"]') and \
                "," not in chain:
            out.append((func, chain[4:-2], m.group(1), line))
    return out
