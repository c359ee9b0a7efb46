"""Field tables: fills that store only the members a table lists.

VirtualBox loads saved state with `SSMR3GetStruct(pSSM, &pVCpu->pgm.s, &s_aPGMCpuFields[0])`,
whose table is a static array of `SSMFIELD_ENTRY(PGMCPU, fA20Enabled), ...` entries: the
call writes those members, not the whole struct. The profile's `[writes.field_tables]`
names such calls and the position of the table argument; the table's entries are the
calls in its initializer whose first argument is the struct (`ENTRY(TYPE, member)`).
"""
from __future__ import annotations

from vmxref.lazy import json, re
from vmxref.queries.base import Scope, split_args

_NAME = re.compile(r"[A-Za-z_]\w*")
_TYPE_KINDS = ("typedef", "struct", "union", "class")


def _tables(sc: Scope) -> dict[str, tuple[int, ...]]:
    memo = sc.memo("_field_tables")
    if "t" not in memo:
        from vmxref.queries.profiles import profile_section
        memo["t"] = {k: tuple(v) for k, v in
                     profile_section(sc, "writes").get("field_tables", {}).items()}
    return memo["t"]


def leaves_out(sc: Scope, bid: int, func: str, value: str, struct: str, member: str) -> bool:
    """Does the fill call `value` (a whole-object row's text) store only the members of
    field tables, none of them `member` of `struct`? False when the call is no field-table
    call, its table argument is cut off or names nothing known as a table of `struct`."""
    table = _tables(sc)
    head, _, rest = value.partition("(")
    pos = table.get(head.strip())
    if not pos or not rest:
        return False
    args = split_args(rest)
    if len(args) < pos[0] or (len(args) == pos[0] and not rest.rstrip().endswith(")")):
        return False  # (the text was cut inside the table argument)
    members: set[str] = set()
    found = False
    for name in _NAME.findall(args[pos[0] - 1]):
        for tname in _held(sc, bid, func, name):
            got = _entries(sc, bid, tname, struct)
            if got is None:
                return False  # (a table of another struct: unknown)
            found = found or bool(got)  # (a name that is no table of this file: none)
            members |= got
    if not found or member in members:
        return False
    from vmxref.queries.types import resolver
    from vmxref.queries.unions import overlapping
    shared = overlapping(sc, resolver(sc), struct, member)  # (CPUMCTX.aSRegs is stored as
    # es.Sel, cs.Sel, ...: members of a union beside it; one whose overlap is not known
    # is kept)
    return shared is None or bool(shared) and not set(shared) & members


def _held(sc: Scope, bid: int, func: str, name: str) -> list[str]:
    """`name` itself, or the names a local of `func` is set to (`paFields =
    g_aCpumCtxFieldsV16`)."""
    out = [name]
    for (value,) in sc.conn.execute(
            "SELECT value FROM assign WHERE blob_id = ? AND func = ? AND chain = ? AND "
            "kind IN ('init', 'assign')", (bid, func or "", json.dumps([f"v:{name}"]))):
        out += _NAME.findall(value or "")
    return out


def _entries(sc: Scope, bid: int, name: str, struct: str) -> set[str] | None:
    """The members of `struct` the table `name` of blob `bid` lists; None when `name` is a
    table with entries of another struct; an empty set when it is no table of this blob
    (not defined there: a table of another file is not looked for)."""
    memo = sc.memo("_field_table_entries")
    key = (bid, name, struct)
    if key in memo:
        return memo[key]
    rows = sc.conn.execute("SELECT line FROM sym WHERE blob_id = ? AND name = ? AND kind = "
                           "'global' ORDER BY line", (bid, name)).fetchall()
    got: set[str] | None = set()
    if rows:
        start = rows[0][0]
        nxt = sc.conn.execute(
            "SELECT MIN(line) FROM sym WHERE blob_id = ? AND line > ? AND name != ? AND kind "
            "IN ('global', 'function', 'macro', 'typedef')", (bid, start, name)).fetchone()[0]
        for (args,) in sc.conn.execute(
                "SELECT args FROM call WHERE blob_id = ? AND func = '' AND line >= ? AND "
                "line < ?", (bid, start, nxt if nxt is not None else 1 << 30)):
            a = json.loads(args)
            if len(a) < 2:
                continue  # (the terminator, `SSMFIELD_ENTRY_TERM()`)
            if a[0].strip() != struct:
                if sc.has_sym(a[0].strip(), kinds=_TYPE_KINDS):
                    got = None  # (an entry of another struct: not this struct's table)
                    break
                continue  # (`SSMFIELD_ENTRY_OLD(lss_esp, sizeof(uint32_t))`: no member)
            m = _NAME.match(a[1].strip())
            if m:
                got.add(m.group(0))
    memo[key] = got
    return got



def table_fills(sc: Scope, struct: str, fields: list[str]) -> list[tuple]:
    """The calls of the profile's field-table fills (also through a helper table's member of
    that name: `pHlp->pfnSSMGetStruct(pSSM, pApicCpu->pvApicPageR3, &g_aXApicPageFields[0])`)
    whose table, defined in the calling file, has an entry for `struct`.fields[0] (`SSMFIELD_
    ENTRY(XAPICPAGE, timer_ccr.u32CurrentCount)`): they store that member whatever the
    target's declared type (a `void *` page). (cid, path, blob, line, col, function, callee,
    args). Found from the struct's file-scope uses (its name in the entries)."""
    table = _tables(sc)
    if not table:
        return []
    import bisect
    uses: dict[int, set[int]] = {}
    for _cid, _path, bid, line in sc.rows("ref", "t.name = ? AND t.func = ''", (struct,),
                                          "t.line"):
        uses.setdefault(bid, set()).add(line)
    names: dict[int, set[str]] = {}  # blob -> its tables listing the member
    for bid, lines in uses.items():
        globs = sc.conn.execute("SELECT line, name FROM sym WHERE blob_id = ? AND kind = "
                                "'global' ORDER BY line", (bid,)).fetchall()
        starts = [g[0] for g in globs]
        # (the table an entry is in: the global declared last above it)
        for name in {globs[k - 1][1] for ln in lines if (k := bisect.bisect_right(starts, ln))}:
            if fields[0] in (_entries(sc, bid, name, struct) or ()):
                names.setdefault(bid, set()).add(name)
    out = []
    for bid, tables in names.items():
        for cid, path, _b, line, col, func, callee, args_t in sc.rows_in(
                "call", "t.callee", sorted(table), "t.blob_id = ?", (bid,),
                "t.line, t.col, t.func, t.callee, t.args"):
            pos = table[callee]
            a = json.loads(args_t or "[]")
            if len(a) < pos[0] or not func:
                continue
            held = {n for name in _NAME.findall(a[pos[0] - 1])
                    for n in _held(sc, bid, func, name)}
            if held & tables:
                out.append((cid, path, bid, line, col, func, callee, a))
    return out
