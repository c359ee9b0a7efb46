"""Which members of a struct share storage with a member through a union, read from the
text of the declaration (the index flattens unnamed unions and structs into the struct
around them: CPUMCTX's `union { uint16_t ip; uint32_t eip; uint64_t rip; }` leaves three
plain members of CPUMCTX).

A member directly in a union overlaps every other direct member (all start at offset 0)
and the members of the union's unnamed structs that start within its size. A member of an
unnamed struct in a union overlaps the union's direct members that reach its offset, and
the members of the union's other unnamed structs whose bytes meet its own (CPUMCTX's `edx`,
bytes 16-19 of the `dw` view, with `rdx`, `r2`, `dx`, `dl`, `dh`), never its own struct's
other members (`vmx_exit_reason.basic` with `full`, not with the bit-field
`failed_vmentry` beside it). Offsets come from the sizes of fixed-width and basic types
(typedefs followed); a member of unknown size is taken to overlap only what starts at its
own offset 0, and a union with a preprocessor directive inside is read by its direct
members only.
"""
from __future__ import annotations

from vmxref.lazy import re
from vmxref.queries.base import IN_SCOPE, Scope, closing

_BITS = {
    **dict.fromkeys("uint8_t int8_t u8 s8 __u8 __s8 char bool _Bool RTUINT8 UINT8 BOOLEAN".split(), 8),
    **dict.fromkeys("uint16_t int16_t u16 s16 __u16 __s16 short RTSEL RTIOPORT UINT16".split(), 16),
    **dict.fromkeys("uint32_t int32_t u32 s32 __u32 __s32 int unsigned float RTUINT32 UINT32 "
                    "RTGCUINT32 RTGCPHYS32 RTGCPTR32 RTRCPTR RTHCUINT32".split(), 32),
    **dict.fromkeys("uint64_t int64_t u64 s64 __u64 __s64 double RTGCPHYS RTGCPTR RTGCPTR64 "
                    "RTGCUINTPTR RTGCUINTREG RTHCPHYS RTGCUINT64 RTUINT64 UINT64 RTGCPHYS64 "
                    "RTHCUINTPTR size_t ssize_t uintptr_t intptr_t gpa_t gva_t hpa_t gfn_t "
                    "unsigned_long long".split(), 64),
}
_PTR_BITS = 64
_WORD = re.compile(r"[A-Za-z_]\w*")
_TAG = re.compile(r"\b(union|struct)\b\s*(?:[A-Za-z_]\w*\s*)?$")


def overlapping(sc: Scope, tr, owner: str, field: str) -> list[str] | None:
    """The members of `owner` sharing storage with `owner.field` through a union (sorted),
    [] when it is in a union no other member overlaps; None when it is in no union, or
    the declaration could not be read."""
    memo = sc.memo("_union_overlaps")
    if (owner, field) not in memo:
        try:
            memo[(owner, field)] = _overlapping(sc, tr, owner, field)
        except (ValueError, IndexError):
            memo[(owner, field)] = None
    return memo[(owner, field)]


def _overlapping(sc: Scope, tr, owner: str, field: str) -> list[str] | None:
    rows = sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'field' AND t.name = ?", (owner, field),
                   "t.line, t.col", limit=1)
    if not rows:
        return None
    _c, _p, bid, line, col = rows[0]
    span = sc.rows("sym", "t.name = ? AND t.kind IN ('struct', 'union') AND t.blob_id = ? AND "
                   "t.line <= ? AND t.end_line >= ?", (owner, bid, line, line),
                   "t.line, t.end_line", limit=1)
    lines = sc.store.lines(bid)
    first, last = (span[0][3], span[0][4]) if span else (max(1, line - 200), line + 200)
    text = "\n".join(lines[first - 1:last])
    at = sum(len(x) + 1 for x in lines[first - 1:line - 1]) + max(col - 1, 0)
    code = _blanked(text)
    blocks = _open_blocks(code, at)
    if len(blocks) < 1:
        return None
    kinds = [_tag(code, b) for b in blocks]
    inner = len(blocks) - 1
    if kinds[inner] == "union":
        union, member = blocks[inner], None
    elif kinds[inner] == "struct" and inner >= 1 and kinds[inner - 1] == "union":
        union, member = blocks[inner - 1], blocks[inner]
    else:
        return None
    close = _close(code, union)
    members = _members(code, union + 1, close, tr)
    if members is None:
        return None
    mine = next(((m, f) for m in members for f in m["fields"] if f["name"] == field and (
        (member is None and m["block"] is None) or m["block"] == member)), None)
    if mine is None:
        return None
    m0, f0 = mine
    known = {r[3] for r in sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'field'", (owner,), "t.name")}
    out = set()
    for m in members:
        for f in m["fields"]:
            if f is f0 or (m is m0 and m["block"] is not None):
                continue  # (itself; its own struct's other members follow it, no overlap)
            if _meet(f0, f) and f["name"] in known:
                out.add(f["name"])
    return sorted(out)


def _meet(a: dict, b: dict) -> bool:
    """Do two members' bits meet? Unknown sizes: only when both start at offset 0."""
    if a["off"] is None or b["off"] is None:
        return False
    if a["bits"] is None or b["bits"] is None:
        return a["off"] == b["off"] == 0
    return a["off"] < b["off"] + b["bits"] and b["off"] < a["off"] + a["bits"]


def _blanked(text: str) -> str:
    """`text` with comments, string literals and preprocessor lines blanked (same length);
    a directive line is kept as `#` so that _members can see one."""
    out = list(text)
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line_start = True
            i += 1
            continue
        if line_start and c in " \t":
            i += 1
            continue
        if line_start and c == "#":
            j = i
            while j < n and text[j] != "\n":
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                out[j] = " "
                j += 1
            out[i] = "#"
            i = j
            continue
        line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [ch if ch == "\n" else " " for ch in text[i:j]]
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out[i + 1:j] = " " * (j - i - 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def _open_blocks(code: str, at: int) -> list[int]:
    """Positions of the `{` of the blocks open at offset `at`, outermost first."""
    stack: list[int] = []
    for i in range(min(at, len(code))):
        if code[i] == "{":
            stack.append(i)
        elif code[i] == "}" and stack:
            stack.pop()
    return stack


def _close(code: str, opening: int) -> int:
    """The `}` closing the `{` at `opening` (ValueError when none: no overlap is told)."""
    end = closing(code, opening)
    if end == len(code):
        raise ValueError("unbalanced")
    return end


def _tag(code: str, opening: int) -> str | None:
    m = _TAG.search(code[max(0, opening - 200):opening])
    return m.group(1) if m else None


def _members(code: str, start: int, end: int, tr) -> list[dict] | None:
    """The union's members: [{"block": position of an unnamed struct's `{` or None,
    "fields": [{"name", "off", "bits"}]}]; None when a struct in it cannot be laid out."""
    body = code[start:end]
    if "#" in body:
        return _direct_only(body, start, tr)
    out = []
    for decl, pos in _declarations(body, start):
        if "{" in decl:
            opening = start + body.index("{", pos - start)
            inner_close = _close(code, opening)
            after = code[inner_close + 1:start + (pos - start) + len(decl)].strip()
            if _tag(code, opening) != "struct" or _WORD.fullmatch(after or "-"):
                continue  # (a named member struct, or a union in the union: not followed)
            fields = _layout(code[opening + 1:inner_close], tr)
            out.append({"block": opening, "fields": fields})
        else:
            out.append({"block": None, "fields": [dict(f, off=0) for f in _declared(decl, tr)]})
    return out


def _direct_only(body: str, start: int, tr) -> list[dict]:
    """A union with a directive inside: its direct members (of any branch) at offset 0."""
    out = []
    for decl, _pos in _declarations(body, start):
        if "{" not in decl and "#" not in decl:
            out.append({"block": None, "fields": [dict(f, off=0) for f in _declared(decl, tr)]})
    return out


def _declarations(body: str, start: int):
    """(text, absolute position) of each `;`-ended declaration at the body's top level."""
    begin = 0
    for i in _top_level(body, ";", "{(", "})"):
        text = body[begin:i]
        lead = len(text) - len(text.lstrip())
        if text.strip():
            yield text.strip(), start + begin + lead
        begin = i + 1


def _top_level(text: str, sep: str, opens: str, closes: str) -> list[int]:
    """Offsets of the `sep`s in `text` outside any bracket of `opens`/`closes`."""
    out, depth = [], 0
    for i, c in enumerate(text):
        if c in opens:
            depth += 1
        elif c in closes:
            depth -= 1
        elif c == sep and depth == 0:
            out.append(i)
    return out


def _layout(body: str, tr) -> list[dict]:
    """The members of an unnamed struct with their bit offsets (natural alignment, bit-fields
    packed in their unit); offsets are None after a member of unknown size."""
    out, off = [], 0
    unit_left = 0  # (bits left in the current bit-field unit)
    for decl, _pos in _declarations(body, 0):
        if "{" in decl or "#" in decl:
            off = None
        for f in _declared(decl, tr):
            bits, width = f["bits"], f.pop("width", None)
            if off is None or bits is None:
                out.append(dict(f, off=None))
                off = None
                continue
            if width is not None:  # a bit-field: in the unit of its type
                if width > unit_left:
                    off = _aligned(off, bits)
                    unit_left = bits
                out.append(dict(f, off=off, bits=width))
                off += width
                unit_left -= width
                continue
            unit_left = 0
            off = _aligned(off, min(bits, 64) if f.get("elem") is None else f["elem"])
            out.append(dict(f, off=off))
            off += bits
    for f in out:
        f.pop("elem", None)
    return out


def _aligned(off: int, bits: int) -> int:
    a = max(8, min(bits, 64))
    return -(-off // a) * a


def _declared(decl: str, tr) -> list[dict]:
    """The names a member declaration declares, each with its size in bits (None unknown),
    its element size for arrays, and a bit-field's width."""
    decl = re.sub(r"\b(const|volatile|RT_GCC_EXTENSION|__packed|__aligned\s*\([^)]*\))\b", " ",
                  decl)
    fn = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)?\)\s*\(", decl)
    if fn:  # (a function pointer, `int (*execute)(struct x86_emulate_ctxt *ctxt)`)
        return [{"name": fn.group(1), "bits": None if fn.group(2) else _PTR_BITS,
                 "elem": _PTR_BITS}]
    if "(" in decl:
        return []
    parts = _split_top(decl)
    head = parts[0].split("[")[0].split(":")[0]
    words = list(_WORD.finditer(head))
    if len(words) < 2:
        return []
    base = " ".join(w.group() for w in words[:-1])  # (`unsigned long orig_val`: the type
    k = words[-1].start()  # is all but the last word, the declarator's name with its `*`s)
    while k > 0 and head[k - 1] in " \t\n*":
        k -= 1
    parts[0] = parts[0][k:]
    base_bits = _type_bits(base, tr)
    out = []
    for p in parts:
        width = None
        if ":" in p:
            p, _, w = p.partition(":")
            try:
                width = int(w.strip().rstrip("uUlL"), 0)
            except ValueError:
                return []
        names = _WORD.findall(p.split("[")[0])
        if not names:
            continue
        name = names[-1]
        bits = _PTR_BITS if "*" in p else base_bits
        elem = bits
        for dim in re.findall(r"\[([^\]]*)\]", p):
            try:
                bits = bits * int(dim.strip().rstrip("uUlL"), 0) if bits is not None else None
            except ValueError:
                bits = None
        f = {"name": name, "bits": bits, "elem": elem}
        if width is not None:
            f["width"] = width
        out.append(f)
    return out


def _split_top(decl: str) -> list[str]:
    """The declarators of a declaration: split at its top-level commas."""
    cuts = _top_level(decl, ",", "([", ")]")
    return [decl[a + 1:b] for a, b in zip([-1] + cuts, cuts + [len(decl)])]


def _type_bits(name: str, tr, depth: int = 0) -> int | None:
    words = name.split()
    if words[0] in ("struct", "union", "enum"):
        return 32 if words[0] == "enum" else None
    if all(w in ("unsigned", "signed", "long", "short", "int", "char") for w in words):
        key = "_".join(w for w in words if w not in ("unsigned", "signed")) or "int"
        return {"char": 8, "short": 16, "short_int": 16, "int": 32, "long": 64, "long_int": 64,
                "long_long": 64, "long_long_int": 64}.get(key, 32)
    if name in _BITS:
        return _BITS[name]
    if depth < 4 and tr is not None:
        t = tr.typedef(name)
        if t and t != name:
            t = t.strip()
            if t.endswith("*"):
                return _PTR_BITS
            return _type_bits(t, tr, depth + 1)
    return None
