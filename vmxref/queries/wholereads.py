"""Whole-object reads for `reads`: an object that holds the asked member, used as a whole.

`memcpy(guest_hv_clock, &vcpu->hv_clock, sizeof(...))` reads every member of hv_clock,
`tsc_timestamp` among them; so do a struct copy (`*dst = vcpu->hv_clock`, an argument passed
by value) and an address handed to code that treats the object as bytes: an API outside the
corpus (`copy_to_user(argp, &data, ...)`) or a function of the corpus whose parameter is not
a pointer to a struct (`kvm_write_guest(kvm, gpa, const void *data, ...)`). An address
handed to a function of the corpus that takes a pointer to the struct is left out: its reads
of the member are listed where they are made. So is an address handed to an API that
overwrites the object (memset, a [writes] fills entry), to an API outside the corpus the
profile does not list as copying it ([reads] copies; a tracepoint records what it gets), and
an address kept in a pointer.

A use is whole when no member or element of it is accessed there: no reference on that
line within a few columns after it has it at the end of its receiver chain.
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.model import Site
from vmxref.queries.base import IN_SCOPE, Scope
from vmxref.queries.readonly import fills
from vmxref.queries.types import TypeResolver, parse_chain

_MAX_HOLDERS = 500  # declarations of the owner's type looked at (a struct-form target)
_ADDRESS = re.compile(r"(?:\([^()]*\)\s*)*&\s*(.*?)\)*\Z")  # `(void *)&x`, `&(x)`


def whole_reads(sc: Scope, tr: TypeResolver, struct: str | None, fields: list[str],
                symbol: str) -> list[Site]:
    """Reads of the whole of an object holding `struct`.`fields` (see module docstring)."""
    if struct is None:
        return []
    if len(fields) > 1:  # the member before the asked one
        members, variables = {fields[-2]}, []
    else:
        found = _holders(sc, struct)
        if found is None:
            return []
        members, variables = found
    cols = "t.line, t.col, t.func, t.chain, t.kind, t.name"
    rows = sc.rows_in("ref", "t.name", sorted(members), f"t.chain IS NOT NULL AND {_WHOLE}",
                      (), cols) if members else []
    if len(rows) > _MAX_USES:
        return []
    for bid, func, name in variables:
        rows += _bare_uses(sc, bid, func, name, _WHOLE, cols)
    out = []
    for cid, path, bid, line, col, func, chain_t, kind, name in rows:
        if not _holds(tr, bid, func, chain_t, name, struct, fields):
            continue
        if kind == "read" and not func:
            continue  # (file scope runs no code: `EXPORT_SYMBOL_GPL(x86_platform);` names
            # the object, nothing copies it there)
        how = "copy" if kind == "read" else _handed_as_bytes(sc, tr, bid, func, line, name,
                                                             fields[-1])
        if how is None:
            continue
        out.append(sc.site("read", cid, path, bid, line, col, func, symbol, container=struct,
                           ref_kind="whole-object", via=how))
    pointers = _pointer_holders(sc, struct) if len(fields) == 1 else None
    for bid, func, name, names in pointers or ():
        for cid, path, bid2, line, col, f, *_r in _bare_uses(
                sc, bid, func, name, f"t.kind = 'read' AND {_WHOLE}", cols):
            how = _pointer_copied(sc, bid2, f, line, name, names)
            if how is not None:
                out.append(sc.site("read", cid, path, bid2, line, col, f, symbol,
                                   container=struct, ref_kind="whole-object", via=how))
    return out


# a use of the object itself: a read, an address; no member or element of it accessed
# a few columns after it on that line (`vcpu->hv_clock.version`, `data.clock`, `a[i]`)
_WHOLE = ("t.kind IN ('read', 'addr', 'write') AND NOT EXISTS (SELECT 1 FROM ref m WHERE "
          "m.blob_id = t.blob_id AND m.line = t.line AND m.col > t.col AND "
          "m.col <= t.col + length(t.name) + 4 AND (m.chain LIKE '%\"' || t.name || '\"%' OR "
          "m.chain LIKE '%\"v:' || t.name || '\"%'))")
_MAX_USES = 20000  # member uses of one name looked at (beyond: no whole-object reads)


def _bare_uses(sc: Scope, bid: int, func: str, name: str, cond: str, cols: str) -> list[tuple]:
    """The uses of variable `name` itself (no member of it) meeting `cond`: inside its
    declaring function `func`, or anywhere for a global (`func` '')."""
    span = sc.function_lines(bid, func) if func else None
    if func and span is None:
        return []
    where = "t.blob_id = ? AND t.line BETWEEN ? AND ? AND t.func = ? AND " if func else ""
    return sc.rows("ref", f"{where}t.name = ? AND t.chain IS NULL AND {cond}",
                   ((bid, *span, func) if func else ()) + (name,), cols)


def _holders(sc: Scope, struct: str) -> tuple[set[str], list[tuple]] | None:
    """Members and variables declared with the struct's type itself (not a pointer to it):
    (member names, [(blob, function or '', name)]); None when there are too many."""
    from vmxref.queries.writes import type_names  # (writes imports this module)
    types = type_names(sc, {struct}, through_pointers=False)
    if types is None:
        return None
    rows = sc.rows_in("sym", "t.type", sorted(types),
                      "t.kind IN ('field', 'local', 'param', 'global')", (),
                      "t.name, t.kind, t.scope")
    if len(rows) > _MAX_HOLDERS:
        return None
    members = {r[3] for r in rows if r[4] == "field"}
    variables = sorted({(r[2], r[5] if r[4] in ("local", "param") else "", r[3])
                        for r in rows if r[4] != "field"})
    return members, variables


def _pointer_holders(sc: Scope, struct: str) -> list[tuple] | None:
    """Variables declared as pointers to the struct: [(blob, function or '', name, the
    struct's type names)]; None when there are too many."""
    from vmxref.queries.writes import type_names
    plain = type_names(sc, {struct}, through_pointers=False)
    every = type_names(sc, {struct}, through_pointers=True)
    if plain is None or every is None:
        return None
    ptypes = sorted((every - plain) | {t + "*" for t in plain})
    rows = sc.rows_in("sym", "t.type", ptypes, "t.kind IN ('local', 'param', 'global')", (),
                      "t.name, t.kind, t.scope")
    if len(rows) > _MAX_HOLDERS:
        return None
    return sorted({(r[2], r[5] if r[4] in ("local", "param") else "", r[3], frozenset(plain))
                   for r in rows}, key=lambda r: r[:3])


def _pointer_copied(sc: Scope, bid: int, func: str, line: int, name: str,
                    types: frozenset[str]) -> str | None:
    """The [reads] copies API a pointer `name` is handed to on this line, when the call
    copies the object it points at: it also gets the object's size (`sizeof(*p)`,
    `sizeof(T)` of the struct's type, or a size constant: `VMCS12_SIZE`)."""
    copies = _copies(sc)
    for callee, args_t in sc.conn.execute(
            "SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND line <= ? "
            "AND end_line >= ?", (bid, func or "", line, line)):
        args = json.loads(args_t) if args_t else []
        at = [i + 1 for i, a in enumerate(args) if _uncast(a) == name]
        if not at or not set(at) & set(copies.get(callee, ())):
            continue
        for a in args:
            m = _SIZEOF.fullmatch(a.strip())
            if m is None:
                continue
            if m.group(2):  # a size constant
                return callee
            what = re.sub(r"^(?:const\s+)?(?:struct|union)\s+", "", m.group(1))
            if what in types or what.startswith("*") and what[1:].strip() == name:
                return callee
    return None


_SIZEOF = re.compile(r"sizeof\s*\(\s*([^()]*?)\s*\)|([A-Z][A-Z0-9_]*_SIZE)")


def _uncast(arg: str) -> str:
    from vmxref.queries.edges import uncast
    return uncast(arg)


def _holds(tr: TypeResolver, bid: int, func: str, chain_t: str | None, name: str,
           struct: str, fields: list[str]) -> bool:
    """Does this use of `name` designate an object (not a pointer) that holds the asked
    member: the parent along the asked path, or an object of the owner's type?"""
    if chain_t is None:
        if len(fields) > 1:
            return False
        typ = tr.var_type(bid, func, name)
    else:
        qual = tr.struct_path(bid, func, list(parse_chain(chain_t)) + [name])
        if not qual:
            return False
        owner, _, member = qual[-1].rpartition(".")
        if len(fields) > 1:  # the member before the asked one, in the asked struct
            return member == fields[-2] and (owner == struct if len(fields) == 2
                                             else _along(qual, struct, fields))
        typ = tr.field_type(owner, member)
    return typ is not None and not tr.is_pointer(typ) and tr.struct_of(typ) == struct


def _along(qual: list[str], struct: str, fields: list[str]) -> bool:
    """Do the resolved members end with the asked path but its last member?"""
    want = fields[:-1]
    names = [q.rpartition(".")[2] for q in qual]
    if names[-len(want):] != want:
        return False
    return qual[-len(want)].rpartition(".")[0] == struct


def _handed_as_bytes(sc: Scope, tr: TypeResolver, bid: int, func: str, line: int,
                     name: str, member: str = "") -> str | None:
    """The callee an `&obj` on this line is handed to when that call reads the object as
    a whole (see module docstring), else None; also None when the call is given the size of
    another `member` of the object only (it copies that member's bytes)."""
    for callee, args_t in sc.conn.execute(
            "SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND line <= ? "
            "AND end_line >= ?", (bid, func or "", line, line)):
        args = json.loads(args_t) if args_t else []
        for i, a in enumerate(args):
            m = _ADDRESS.match(a)
            if m is None or not re.search(rf"\b{re.escape(name)}\Z", m.group(1)):
                continue
            if _one_member(m.group(1), args, member):
                return None  # `&hv->tsc_ref, sizeof(hv->tsc_ref.tsc_sequence)`: that member
            if i + 1 in _copies(sc).get(callee, ()):
                return callee
            if fills(sc, f"&{i + 1}", f"{callee}("):
                return None
            ptype = _param_type(sc, callee, i)
            if ptype is False:  # outside the corpus and not a [reads] copies API: only a
                return callee if sc.has_sym(callee, ("tracepoint",)) else None  # tracepoint
            if ptype is not None and tr.struct_of(ptype) is None:
                return callee  # `const void *data`: the bytes of the whole object
            return None  # a pointer to the struct (its member reads are listed), or unknown
    return None


def _one_member(obj: str, args: list[str], member: str) -> bool:
    """Is one of the call's arguments the size of a member of `obj` other than `member`
    (`sizeof(hv->tsc_ref.tsc_sequence)` beside `&hv->tsc_ref`)?"""
    flat = re.sub(r"\s+", "", obj)
    for a in args:
        m = _SIZEOF.fullmatch(a.strip())
        if m is None or m.group(1) is None:
            continue
        inner = re.sub(r"\s+", "", m.group(1))
        for sep in (".", "->"):
            if inner.startswith(flat + sep):
                rest = inner[len(flat) + len(sep):]
                return re.fullmatch(r"\w+", rest) is not None and rest != member
    return False


def _copies(sc: Scope) -> dict:
    """The profile's [reads] copies: callee -> 1-based positions of objects it reads whole."""
    from vmxref.queries.profiles import profile_section
    return profile_section(sc, "reads").get("copies", {})


def _param_type(sc: Scope, callee: str, pos: int):
    """Declared type of a corpus function's `const` pointer parameter `pos` (0-based):
    None when it is not const or has no single type, False when the corpus does not
    define the function."""
    memo = sc.memo("_wr_params")
    key = (callee, pos)
    if key not in memo:
        if not sc.has_sym(callee, ("function",)):
            memo[key] = False
        else:
            found = {(r[3], (r[4] or 0) & 2) for r in sc.rows(
                "sym", f"{IN_SCOPE} AND t.kind = 'param' AND t.pos = ?", (callee, pos),
                "t.type, t.flags")}
            memo[key] = found.pop()[0] if len(found) == 1 and min(found)[1] else None
    return memo[key]
