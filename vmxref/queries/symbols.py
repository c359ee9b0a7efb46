"""Verbs over symbols and references: def, refs."""
from __future__ import annotations

from vmxref.lazy import json, re
from vmxref.model import Site
from vmxref.queries.base import Scope, sort_sites

DEF_KINDS = ("function", "macro", "struct", "union", "class", "enum", "enumerator", "typedef",
             "global", "field", "prototype", "extern")
_RANK = {k: i for i, k in enumerate(DEF_KINDS)}
USES = ("base",)  # symbol rows that name a class they use (a base class of `scope`), no definition


def definitions(sc: Scope, name: str, kinds: tuple[str, ...] | None = None) -> list[Site]:
    """Where `name` is defined or declared (functions and macros first; prototypes after).

    Parameters and locals are returned only when nothing else has that name; a name no
    declaration spells may be made by a macro that pastes it (queries/pasted.py).
    """
    from vmxref.errors import UnknownSymbol
    try:
        sc.require(name)
    except UnknownSymbol:
        pasted = _pasted(sc, name, kinds)
        if pasted:
            return pasted
        raise
    rows = sc.rows("sym", "t.name = ?", (name,), "t.kind, t.line, t.col, t.scope, t.type, t.text, t.flags")
    out = []
    for cid, path, bid, kind, line, col, scope, typ, text, flags in rows:
        if kinds and kind not in kinds:
            continue
        if kind in USES and not kinds:
            continue  # (`class Utf8Str : public RTCString` uses RTCString: `refs` lists it)
        func = scope if kind in ("param", "local") else (name if kind == "function" else "")
        extra = {"sym_kind": kind}
        if scope and kind not in ("param", "local"):
            extra["container"] = scope
        if typ:
            extra["type"] = typ
        if (flags or 0) & 1:
            extra["static"] = True
        out.append(sc.site("def", cid, path, bid, line, col, func, name, **extra))
    if not kinds or "global" in kinds:
        out += _macro_defined(sc, name)
    if not kinds:
        globals_ = [s for s in out if s.extra["sym_kind"] not in ("param", "local")]
        out = globals_ or out
    if not out:
        return _pasted(sc, name, kinds)
    return sorted(out, key=lambda s: (_RANK.get(s.extra["sym_kind"], 99), s.key()))


def _macro_defined(sc: Scope, name: str) -> list[Site]:
    """The file-scope uses of the profile's [symbols.defining_macros] that define the
    variable `name` (`static DECLARE_WORK(pvclock_gtod_work, pvclock_gtod_update_fn);`,
    `DEFINE_MUTEX(kvm_lock);`: the parser reads them as calls at file scope), each a
    `global` of the type the table gives."""
    from vmxref.queries.profiles import profile_section
    table = profile_section(sc, "symbols").get("defining_macros", {})
    if not table:
        return []
    out = []
    for cid, path, bid, line in sc.rows("ref", "t.name = ? AND t.func = '' AND t.kind = 'read'",
                                        (name,), "t.line"):
        for col, callee, args in sc.conn.execute(
                "SELECT col, callee, args FROM call WHERE blob_id = ? AND func = '' AND line = ?",
                (bid, line)):
            spec = table.get(callee)
            args = json.loads(args) if args else []
            if spec and spec[0] < len(args) and args[spec[0]].strip() == name:
                out.append(sc.site("def", cid, path, bid, line, col, "", name,
                                   sym_kind="global", type=spec[1], macro=callee))
    return out


def _pasted(sc: Scope, name: str, kinds: tuple[str, ...] | None) -> list[Site]:
    if kinds and "pasted" not in kinds:
        return []
    from vmxref.queries.pasted import pasted_definitions
    return pasted_definitions(sc, name) if name.isidentifier() else []


def _externally_set(sc: Scope, name: str, rows: list[tuple]) -> set[tuple[int, int]]:
    """(blob, line) of the file-scope uses of `name` that declare it set from outside the
    code (the profile's [writes] external: module_param(name, ...))."""
    uses = [(bid, line) for _c, _p, bid, kind, line, _col, func, *_chain in rows
            if kind == "read" and not func]
    if not uses:  # (the profile is read only for a name used at file scope)
        return set()
    from vmxref.queries.profiles import profile_section
    external = profile_section(sc, "writes").get("external", {})
    if not external:
        return set()
    out: set[tuple[int, int]] = set()
    for bid, line in uses:
        for callee, args in sc.conn.execute(
                "SELECT callee, args FROM call WHERE blob_id = ? AND func = '' AND line = ?",
                (bid, line)):
            pos = external.get(callee, [0])[0]
            args = json.loads(args) if args else []
            if 0 < pos <= len(args) and args[pos - 1].strip().lstrip("&").strip() == name:
                out.add((bid, line))
    return out


def references(sc: Scope, name: str, kinds: tuple[str, ...] | None = None) -> list[Site]:
    """Every reference to `name` with its kind (call, read, write, addr, type, macro, define,
    sizeof); a function used as a value (stored, passed) is `addr`."""
    sc.require(name)
    rows = sc.rows("ref", "t.name = ?", (name,), "t.kind, t.line, t.col, t.func, t.chain")
    is_macro = bool(sc.rows("sym", "t.name = ? AND t.kind = 'macro'", (name,), "1", limit=1))
    is_function = not is_macro and bool(sc.rows("sym", "t.name = ? AND t.kind = 'function'",
                                                (name,), "1", limit=1))
    arrays = _array_stores(sc, name) if any(r[3] == "read" and r[7] is not None
                                            for r in rows) else set()
    written = [(r[2], r[6], r[4], r[5]) for r in rows if r[3] == "write"]
    if written:  # (readonly and its regexes are imported only for a name with writes)
        from vmxref.queries.readonly import read_only_addresses
        passed = read_only_addresses(sc, name, written)
    else:
        passed = set()
    handed = _addresses_handed(sc, name, rows) if kinds and "addr" in kinds else set()
    external = _externally_set(sc, name, rows)
    # (an element of x stored, `kvm_cpu_caps[leaf] = mask`, or of a member x,
    # `vcpu->arch.eff_db[dr] = val`: as `writes` says)
    elements, member_stores = set(), set()
    for bid, line, chain_t in sc.conn.execute(
            "SELECT blob_id, line, chain FROM assign WHERE field = ? AND kind IN "
            "('assign', 'compound', 'incdec')", (name,)):
        if not chain_t:
            continue
        if chain_t.startswith(f'["v:{name}", "[]"'):
            elements.add((bid, line))
        elif "," in chain_t and f'"{name}", "[]"' in chain_t:
            member_stores.add((bid, line))
    # (a function's name read elsewhere is its address, unless a parameter or local of the
    # reading function has that name: looked up at once, `refs flags` on all of Linux read
    # 89k uses of the name one statement each, 1.5 s)
    locals_named = _locals_named(sc, name) if is_function and any(
        r[3] == "read" for r in rows) else set()
    pasted = _pasted_args(sc, name, rows) if is_function else set()
    taken, passed_on = _element_addresses(sc, name, rows) if not (is_macro or is_function) \
        else (set(), set())
    handed |= {(bid, func or "", line) for bid, func, line in passed_on}
    out = []
    for cid, path, bid, kind, line, col, func, chain in rows:
        if is_macro and kind in ("call", "read"):
            kind = "macro"
        elif kind == "read" and (bid, line) in external:
            kind = "write"  # `module_param(x, uint, 0644)`: set from outside (`writes x`)
        elif kind == "read" and (bid, line) in elements:
            kind = "write"  # `kvm_cpu_caps[leaf] = mask`: an element of x is stored
        elif kind == "read" and chain is not None and (bid, line) in member_stores:
            kind = "write"  # `vcpu->arch.eff_db[dr] = val`
        elif kind == "read" and chain is not None and (bid, line, col) in arrays:
            kind = "write"  # `kvm_apic_update_irr(vcpu, vmx->pi_desc.pir, ..)` writes pir
        elif kind == "write" and (bid, func, line, col) in passed:
            kind = "read"  # `&x` handed to a call that only reads through it (atomic_read)
        elif kind == "read" and (bid, line, col) in taken:
            kind = "addr"  # `p = &hv_clock_boot[cpu]`: the address of an element of x
        elif kind == "read" and is_function and chain is None and not (
                func and (bid, func) in locals_named) and (bid, line) not in pasted:
            kind = "addr"  # a function used as a value: its address (`.read = f`, `cb(f)`);
            # not a member of that name (`mmu->page_fault == f` reads the member)
        if kinds and kind not in kinds and not (kind in ("write", "read") and
                                                (bid, func or "", line) in handed):
            continue  # (`kind addr` also finds `&x` handed to a call, a write or a read)
        out.append(sc.site("ref", cid, path, bid, line, col, func, name, ref_kind=kind))
    if not kinds or "write" in kinds:
        out += _designated(sc, name, {(r[2], r[4], r[5]) for r in rows})
    return sort_sites(out)


def _element_addresses(sc: Scope, name: str, rows: list[tuple]) -> tuple[set, set]:
    """The reads of `name` that take the address of one of its elements, or of a member of
    one (`&x[i]`, `&x[0].pvti`: a unary `&` right before the name, a subscript right after
    it): (blob, line, col) of those kept or stored (`p = &hv_clock_boot[cpu]`: kind `addr`),
    and (blob, function, line) of those handed to a call, which keep their kind as `&x` does
    and are listed by `kind addr` too."""
    before = re.compile(r"(?:^|[(,=?:{;!]|\breturn)\s*\(?\s*&\s*\(?\s*$")
    argument = re.compile(r"(?:\w\s*\(|,)\s*&\s*$")
    out, handed = set(), set()
    word = name.encode()
    for _cid, _path, bid, kind, line, col, func, _chain in rows:
        if kind != "read":
            continue
        raw = sc.store.line_bytes(bid, line)  # (one line: not the file's lines decoded, for
        # each of the 9,000 reads of `jiffies` on all of Linux)
        at = col - 1
        if raw[at:at + len(word)] != word or not raw[at + len(word):].lstrip().startswith(b"["):
            continue
        head = raw[:at].decode("utf-8", "replace")
        if not head.strip(" \t&(") and line > 1:  # (an argument on a line of its own)
            head = sc.store.line_bytes(bid, line - 1).decode("utf-8", "replace").rstrip() + \
                " " + head.lstrip()
        if argument.search(head):
            handed.add((bid, func, line))
        elif before.search(head):
            out.add((bid, line, col))
    return out, handed


def _pasted_args(sc: Scope, name: str, rows: list[tuple]) -> set[tuple[int, int]]:
    """(blob, line) of the file-scope macro uses that take `name` as an argument the macro
    only pastes or names a member with (`KVM_X86_OP(vcpu_load)`: `kvm_x86_##func`,
    `kvm_x86_ops.func`): no use of the function of that name."""
    out = set()
    for bid, line in {(r[2], r[4]) for r in rows if r[3] == "read" and not r[6]}:
        for callee, args in sc.conn.execute(
                "SELECT callee, args FROM call WHERE blob_id = ? AND line = ? AND func = '' "
                "AND args LIKE ?", (bid, line, f'%"{name}"%')):
            if not sc.conn.execute(  # (a macro that pastes: EXPORT_SYMBOL's uses are not)
                    "SELECT 1 FROM sym WHERE name = ? AND kind = 'macro' AND text LIKE "
                    "'%##%' LIMIT 1", (callee,)).fetchone():
                continue
            a = [x.strip() for x in json.loads(args)]
            if name in a and _names_no_value(sc, callee, a.index(name), 2):
                out.add((bid, line))
    return out


def _names_no_value(sc: Scope, macro: str, idx: int, depth: int) -> bool:
    """Does every definition of the function-like `macro` use its parameter `idx` only
    pasted (`##`), stringified (`#`), as a member name (`.p`, `->p`) or handed to such a
    macro (`depth` levels)? False when it has no definition."""
    texts = [t for (t,) in sc.conn.execute(
        "SELECT text FROM sym WHERE name = ? AND kind = 'macro' AND text LIKE '(%'", (macro,))]
    if not texts or depth < 0:
        return False
    from vmxref.ctext import enclosing_call  # (the indexer's too: macro bodies alike)
    for text in texts:
        params_s, _, body = text[1:].partition(")")
        params = [p.strip() for p in params_s.split(",")]
        if idx >= len(params) or not params[idx].isidentifier():
            return False
        p, i = params[idx], 0
        while (i := body.find(p, i)) >= 0:
            end = i + len(p)
            before, after = body[:i].rstrip(), body[end:].lstrip()
            if (i and (body[i - 1].isalnum() or body[i - 1] == "_")) or \
                    (end < len(body) and (body[end].isalnum() or body[end] == "_")):
                i = end
                continue  # (part of a longer name)
            if not (before.endswith(("##", "#", ".", "->")) or after.startswith("##")):
                call = enclosing_call(body, i)  # (1-based argument index)
                if call is None or not _names_no_value(sc, call[0], call[1] - 1, depth - 1):
                    return False
            i = end
    return True


def _designated(sc: Scope, name: str, have: set[tuple[int, int, int]]) -> list[Site]:
    """Initializers naming the member `name` (`.read = kvm_clock_get_cycles,`, VirtualBox's
    `/* .pfnConstruct = */ apicR3Construct,`): writes of it, which the identifier scan never
    sees (a name after `.` is a member access's). The column is the designator's."""
    nb = name.encode()
    out = []
    for cid, path, bid, line, col, func in sc.rows(
            "assign", "t.field = ? AND t.kind = 'designated'", (name,),
            "t.line, t.col, t.func"):
        at_line, at_col = line, col
        for ln, head in ((line, sc.store.line_bytes(bid, line)[:max(col - 1, 0)]),
                         (line - 1, sc.store.line_bytes(bid, line - 1) if line > 1 else b"")):
            at = _designator_at(head, nb)
            if at is not None:  # (the last one before the value; or on the line above)
                at_line, at_col = ln, at + 1
                break
        if (bid, at_line, at_col) in have:
            continue
        have.add((bid, at_line, at_col))
        out.append(sc.site("ref", cid, path, bid, at_line, at_col, func, name,
                           ref_kind="write"))
    return out


def _designator_at(head: bytes, nb: bytes) -> int | None:
    """The offset of the last `.NAME` (blanks allowed after the dot) in `head`, or None (no
    regular expression: `refs` loads no `re`)."""
    i = len(head)
    while (i := head.rfind(nb, 0, i)) >= 0:
        end = i + len(nb)
        after, j = head[end:end + 1], i - 1
        while j >= 0 and head[j] in b" \t":
            j -= 1
        if not (after.isalnum() or after == b"_") and j >= 0 and head[j] == 46:  # "."
            return i
    return None


def _array_stores(sc: Scope, name: str) -> set[tuple[int, int, int]]:
    """(blob, line, column of the member) where the array member `name` is handed bare to a
    call that changes it (`writes` keeps the same ones: not a `const T *` parameter nor a
    [writes] read_only_args API, `find_last_bit(pir, 256)`)."""
    from vmxref.queries.macro_uses import array_passes
    from vmxref.queries.readonly import const_param
    out = set()
    for r in array_passes(sc, name):
        if const_param(sc, r[8], r[9]):
            continue
        line_text = sc.store.line_bytes(r[2], r[3]).decode("utf-8", "replace")
        k = line_text.find(name, max(r[4] - 1, 0))
        while k >= 0:  # (the member's column on the call's line, as its ref has it)
            out.add((r[2], r[3], k + 1))
            k = line_text.find(name, k + 1)
    return out


def _addresses_handed(sc: Scope, name: str, rows: list[tuple]) -> set[tuple[int, str, int]]:
    """(blob, function, line) of the places where `&...name` is handed to a call (its
    out-parameter rows: `PDMCritSectEnter(&pVM->tm.s.VirtualSyncLock, ...)`)."""
    places = {(r[2], r[6] or "", r[4]) for r in rows if r[3] in ("write", "read")}
    out = set()
    for bid, func, line in places:
        if sc.conn.execute("SELECT 1 FROM assign WHERE blob_id = ? AND func = ? AND line = ? AND "
                           "field = ? AND (kind = 'out-param' OR kind = 'whole-object' AND "
                           "value LIKE '%&%') LIMIT 1", (bid, func, line, name)).fetchone():
            out.add((bid, func, line))
    return out


def _locals_named(sc: Scope, name: str) -> set[tuple[int, str]]:
    """(blob, function) of every function declaring a parameter or local `name` (which
    its uses of the name then mean, not the function of that name)."""
    return {(bid, func) for bid, func in sc.conn.execute(
        "SELECT blob_id, scope FROM sym WHERE name = ? AND kind IN ('param', 'local')",
        (name,))}
