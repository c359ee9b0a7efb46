"""`writes` and `reads` of a variable or a struct member, resolved by receiver type.

A target is `VAR`, `FIELD`, `STRUCT.FIELD[.FIELD...]` or `FIELD.FIELD...`. Each candidate
write (from the extractor's `assign` facts) is resolved to the qualified members it goes
through (`["VM.tm", "TM.s", "TMCPU.cTSCTicksPerSecond"]`); it matches when the asked chain
appears there. Writes below the asked member (sub-fields) match too; writes of an
enclosing object (struct assignment, memset, RT_ZERO) are reported as `whole-object`.
Receivers that do not resolve are listed with container "?" — never mixed into a struct.
"""
from __future__ import annotations

from vmxref.model import Site
from vmxref.queries.base import Scope
from vmxref.queries.types import TypeResolver, parse_chain


def _asked(sc: Scope, tr: TypeResolver, target) -> tuple[str | None, list[str]]:
    """(struct or None, member names) with the struct recognised when the first part is one."""
    parts = ([target.struct] if target.struct else []) + list(target.fields)
    if len(parts) > 1 and (tr.is_struct(parts[0]) or tr.struct_of(parts[0])):
        return (tr.struct_of(parts[0]) or parts[0]), parts[1:]
    return None, parts


def _match(qual: list[str], struct: str | None, fields: list[str]) -> str | None:
    """How a resolved path relates to the asked one: 'exact', 'sub', 'parent' or None."""
    names = [q.rpartition(".")[2] for q in qual]
    owners = [q.rpartition(".")[0] for q in qual]
    n = len(fields)
    for i in range(len(names)):
        if names[i] != fields[0] or (struct is not None and owners[i] != struct):
            continue
        tail = names[i:i + n]
        if tail == fields[:len(tail)]:
            if len(tail) == n:
                return "exact" if i + n == len(names) else "sub"
            return "parent"
    return None


def _whole_var_rows(sc: Scope, tr: TypeResolver, struct: str, cols: str) -> list[tuple]:
    """Writes of whole variables declared with the struct's type (`= { 0 }`, `&var` passed)."""
    types = [struct] + [r[3] for r in sc.rows("sym", "t.kind = 'typedef' AND t.type = ?",
                                               (struct,), "t.name")]
    marks = ",".join("?" * len(types))
    out = []
    for _c, _p, bid, name, scope in sc.rows(
            "sym", f"t.type IN ({marks}) AND t.kind IN ('local', 'global')", tuple(types),
            "t.name, t.scope"):
        out += sc.rows("assign", "t.blob_id = ? AND t.field = ? AND t.chain = ? AND t.func = ?",
                       (bid, name, f'["v:{name}"]', scope), cols)
    return out


def _candidates(sc: Scope, fields: list[str], kinds, tr: TypeResolver | None = None,
                struct: str | None = None) -> list[tuple]:
    cols = "t.line, t.col, t.func, t.field, t.chain, t.op, t.value, t.kind"
    rows = sc.rows("assign", "t.field = ?", (fields[-1],), cols)
    if struct is not None and tr is not None and (kinds is None or "whole-object" in kinds):
        rows += _whole_var_rows(sc, tr, struct, cols)
    seen = {(r[0], r[1], r[3], r[4]) for r in rows}
    like = f'%"{fields[0]}"%'
    for r in sc.rows("assign", "t.chain LIKE ? AND t.field != ?", (like, fields[-1]), cols):
        if (r[0], r[1], r[3], r[4]) not in seen:
            rows.append(r)
    if kinds is None or "whole-object" in kinds:
        rows += [r for r in sc.rows("assign", "t.kind = 'whole-object' AND t.field != ?",
                                    (fields[-1],), cols) if (r[0], r[1], r[3], r[4]) not in seen]
    return rows


def writes(sc: Scope, target, kinds: tuple[str, ...] | None = None) -> list[Site]:
    """Every write of `target` (see module docstring), grouped by container struct."""
    tr = TypeResolver(sc)
    struct, fields = _asked(sc, tr, target)
    sc.require(fields[-1])
    out = []
    for row in _candidates(sc, fields, kinds, tr, struct):
        site = _classify(sc, tr, row, struct, fields)
        if site is not None and (kinds is None or site.extra["write_kind"] in kinds):
            out.append(site)
    return sorted(out, key=lambda s: (s.extra.get("container") == "?", s.extra.get("container", ""),
                                      s.key()))


def _const_param(sc: Scope, op: str, value: str) -> bool:
    """An out-parameter row whose callee declares that parameter `const T *` (a read), or
    that the profile's [writes] read_only_args lists (APIs defined outside the corpus)."""
    callee = value.split("(", 1)[0].strip()
    if not op[1:].isdigit() or not callee.isidentifier():
        return False
    ro = _read_only_args(sc)
    if int(op[1:]) in ro.get(callee, ()):
        return True
    r = sc.rows("sym", "t.scope = ? AND t.kind = 'param' AND t.pos = ?",
                (callee, int(op[1:]) - 1), "t.flags", limit=1)
    return bool(r and (r[0][3] or 0) & 2)


def _read_only_args(sc: Scope) -> dict[str, list[int]]:
    cached = getattr(sc, "_read_only_args", None)
    if cached is None:
        from vmxref.queries.edges import _profile_section
        cached = sc._read_only_args = {  # type: ignore[attr-defined]
            k: list(v) for k, v in _profile_section(sc, "writes").get("read_only_args", {}).items()}
    return cached


def _classify(sc: Scope, tr: TypeResolver, row, struct, fields) -> Site | None:
    cid, path, bid, line, col, func, field, chain_t, op, value, kind = row
    if kind == "out-param" and _const_param(sc, op, value):
        return None
    chain = list(parse_chain(chain_t))
    symbol = ".".join(([struct] if struct else []) + fields)
    if len(chain) == 1:  # a plain variable (or a function-scope local with the same name)
        if struct is not None or len(fields) > 1 or field != fields[0]:
            return _whole_var(sc, tr, row, chain, struct, fields, symbol)
        if _shadowed(sc, tr, bid, func, fields[0]):
            return None
        return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                       container="", write_kind=kind, target=chain[0][2:])
    qual = tr.struct_path(bid, func, chain)
    if qual is None:
        if struct is not None or kind == "whole-object" or field != fields[-1]:
            return None
        names = [s for s in chain[1:] if s not in ("[]", "*") and not s.startswith("#")]
        if names[-len(fields):] != fields:
            return None
        return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                       container="?", write_kind=kind, target=_chain_text(chain))
    how = _match(qual, struct, fields)
    if how is None:
        return _whole_struct(sc, tr, row, chain, qual, struct, fields, symbol)
    if how == "parent" and kind == "out-param":
        return None  # the address of an enclosing object handed to a function: not a write of it
    wk = "whole-object" if how == "parent" else kind
    container = qual[-1].rpartition(".")[0] if how == "exact" else _owner_of(qual, fields)
    return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                   container=container, write_kind=wk, target=_chain_text(chain),
                   **({"member": qual[-1]} if how == "sub" else {}))


def _owner_of(qual: list[str], fields: list[str]) -> str:
    for q in qual:
        if q.rpartition(".")[2] == fields[0]:
            return q.rpartition(".")[0]
    return "?"


def _whole_struct(sc, tr, row, chain, qual, struct, fields, symbol) -> Site | None:
    """memset/RT_ZERO/struct assignment of an object whose type contains the asked member."""
    cid, path, bid, line, col, func, field, chain_t, op, value, kind = row
    if not qual or (kind != "whole-object" and kind != "assign"):
        return None
    last = qual[-1]
    obj_type = tr.struct_of(tr.field_type(*last.rsplit(".", 1))) if last else None
    if obj_type is None or not _contains(tr, obj_type, struct, fields):
        return None
    return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                   container=obj_type, write_kind="whole-object", target=_chain_text(chain))


def _whole_var(sc, tr, row, chain, struct, fields, symbol) -> Site | None:
    cid, path, bid, line, col, func, field, chain_t, op, value, kind = row
    if kind not in ("whole-object", "assign", "init", "out-param"):
        return None
    obj_type = tr.struct_of(tr.var_type(bid, func, chain[0][2:])) if chain[0].startswith("v:") else None
    if obj_type is None or not _contains(tr, obj_type, struct, fields):
        return None
    if kind == "init" and not value.startswith("{"):
        return None
    return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                   container=obj_type, write_kind="whole-object", target=chain[0][2:])


def _contains(tr: TypeResolver, obj_type: str, struct, fields) -> bool:
    """Does an object of `obj_type` contain the asked member (the struct itself, or nested
    in members: zeroing a whole VM zeroes its TM part)?"""
    if struct is not None:
        return tr.contains_struct(obj_type, struct)
    return tr.field_type(obj_type, fields[0]) is not None


def _shadowed(sc: Scope, tr: TypeResolver, bid: int, func: str, name: str) -> bool:
    """True when `name` is a global but this write is to a same-named local/parameter."""
    if not func:
        return False
    has_global = tr.var_type(0, "", name) is not None
    if not has_global:
        return False
    r = sc.conn.execute("SELECT 1 FROM sym WHERE blob_id = ? AND name = ? AND scope = ? "
                        "AND kind IN ('param', 'local') LIMIT 1", (bid, name, func)).fetchone()
    return r is not None


def _chain_text(chain: list[str]) -> str:
    out = ""
    for i, s in enumerate(chain):
        if i == 0:
            out = s.split(":", 1)[-1] if ":" in s else s
            if s.startswith("t:"):
                out = f"({out})"
            elif s.startswith("r:"):
                out += "()"
        elif s == "[]":
            out += "[]"
        elif s == "*":
            out = f"*{out}"
        else:
            out += f".{s}"
    return out


def reads(sc: Scope, target) -> list[Site]:
    """Reads of `target` (member accesses resolved by receiver type, or a variable)."""
    tr = TypeResolver(sc)
    struct, fields = _asked(sc, tr, target)
    sc.require(fields[-1])
    out = []
    for cid, path, bid, line, col, func, chain_t, kind in sc.rows(
            "ref", "t.name = ? AND t.kind IN ('read', 'addr')", (fields[-1],),
            "t.line, t.col, t.func, t.chain, t.kind"):
        symbol = ".".join(([struct] if struct else []) + fields)
        if chain_t is None:
            if struct is None and len(fields) == 1 and not _shadowed(sc, tr, bid, func, fields[0]):
                out.append(sc.site("read", cid, path, bid, line, col, func, symbol, container="",
                                   ref_kind=kind))
            continue
        chain = list(parse_chain(chain_t)) + [fields[-1]]
        qual = tr.struct_path(bid, func, chain)
        if qual is None:
            if struct is None:
                out.append(sc.site("read", cid, path, bid, line, col, func, symbol, container="?",
                                   ref_kind=kind))
            continue
        if _match(qual, struct, fields) == "exact":
            out.append(sc.site("read", cid, path, bid, line, col, func, symbol,
                               container=qual[-1].rpartition(".")[0], ref_kind=kind))
    return sorted(out, key=lambda s: (s.extra.get("container") == "?", s.key()))
