"""`writes` and `reads` of a variable or a struct member, resolved by receiver type.

A target is `VAR`, `FIELD`, `STRUCT.FIELD[.FIELD...]` or `FIELD.FIELD...`. Each candidate
write (from the extractor's `assign` facts) is resolved to the qualified members it goes
through (`["VM.tm", "TM.s", "TMCPU.cTSCTicksPerSecond"]`); it matches when the asked chain
appears there. Writes below the asked member (sub-fields) match too; writes of an
enclosing object (struct assignment, memset, RT_ZERO) are reported as `whole-object`.
Receivers that do not resolve are listed with container "?" — never mixed into a struct.
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.model import Site
from vmxref.queries.base import IN_SCOPE, Scope, in_chunks, marks, split_args
from vmxref.queries.fieldtables import leaves_out
from vmxref.queries.macro_uses import argument_writes, array_passes, at_macro_uses, macro_uses
from vmxref.queries.readonly import (const_param, fill_sql, fills, leaves_member, modify_kind,
                                     modified_addresses, read_only_addresses, reads_old,
                                     stored_value, writes_inside)
from vmxref.queries.types import TypeResolver, parse_chain, resolver
from vmxref.queries.pointsinto import points_into
from vmxref.queries.wholereads import whole_reads


def _asked(sc: Scope, tr: TypeResolver, target) -> tuple[str | None, list[str]]:
    """(struct or None, member names) with the struct recognised when the first part is one."""
    parts = ([target.struct] if target.struct else []) + list(target.fields)
    if len(parts) > 1 and (tr.is_struct(parts[0]) or tr.struct_of(parts[0])):
        struct = tr.struct_of(parts[0]) or parts[0]
        return tr.owner(struct, parts[1]), parts[1:]  # (a base class's member: the base)
    if len(parts) > 1 and (held := _global_struct(sc, tr, parts[0])):
        return tr.owner(held, parts[1]), parts[1:]  # (`x86_platform.calibrate_tsc`)
    if len(parts) > 1 and _outside_struct(sc, parts[0]):
        return parts[0], parts[1:]
    if len(parts) > 1:
        sc.require(parts[0])  # (`CPUMCTXX.cr0`: an error with look-alikes, not "no results")
    return None, parts


def _global_struct(sc: Scope, tr: TypeResolver, name: str) -> str | None:
    """The struct a global variable `name` is declared as, when `name` is no member of any
    struct: `x86_platform.calibrate_tsc` asks for x86_platform_ops.calibrate_tsc, the
    struct of `struct x86_platform_ops x86_platform` (a user names the object, not its
    type; pv_ops.mmu.flush_tlb_multi likewise)."""
    if not name.isidentifier() or sc.rows("sym", "t.name = ? AND t.kind = 'field'", (name,),
                                          "1", limit=1) or not tr.has_global(name):
        return None
    t = tr.var_type(0, "", name)
    return tr.struct_of(t) if t and not tr.is_pointer(t) and not tr.is_array(t) else None


def _named_object(sc: Scope, tr: TypeResolver, target) -> str | None:
    """The global object a target starts with (`x86_platform.calibrate_tsc`), else None."""
    parts = ([target.struct] if target.struct else []) + list(target.fields)
    if len(parts) < 2 or tr.is_struct(parts[0]) or tr.struct_of(parts[0]):
        return None
    return parts[0] if _global_struct(sc, tr, parts[0]) else None


def _another_object(tr: TypeResolver, row, obj: str) -> bool:
    """Does a write row's chain start at a variable other than `obj` that holds such a
    struct itself (not a pointer, which may point at `obj`)?"""
    chain = list(parse_chain(row[7])) if row[7] else []
    return _other_object(tr, row[2], row[5] or "", chain, obj)


def _other_object(tr: TypeResolver, bid: int, func: str, chain: list[str], obj: str) -> bool:
    """Does a member chain start at a variable other than `obj` that holds such a struct
    itself (not a pointer, which may point at `obj`)?"""
    if not chain or not chain[0].startswith("v:") or chain[0][2:] == obj:
        return False
    t = tr.var_type(bid, func or "", chain[0][2:])
    return t is not None and not tr.is_pointer(t)


def _outside_struct(sc: Scope, name: str) -> bool:
    """Is `name` a struct defined outside the corpus but declared as the type of something
    in it (`struct ms_hyperv_tsc_page tsc_ref;`), and no member name?"""
    if not name.isidentifier() or sc.rows("sym", "t.name = ? AND t.kind = 'field'", (name,),
                                          "1", limit=1):
        return False
    for t in (name, name + "*", name + "[]", name + "**"):
        if sc.rows("sym", "t.type = ? AND t.kind IN ('field', 'param', 'local', 'global')",
                   (t,), "1", limit=1):
            return True
    return False


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
    out = []
    for _c, _p, bid, name, scope in sc.rows(
            "sym", f"t.type IN ({marks(len(types))}) AND t.kind IN ('local', 'global')", tuple(types),
            "t.name, t.scope"):
        out += sc.rows("assign", "t.blob_id = ? AND t.field = ? AND t.chain = ? AND t.func = ?",
                       (bid, name, f'["v:{name}"]', scope), cols)
    return out


def _positional_rows(sc: Scope, struct: str, member: str, cols: str) -> list[tuple]:
    """The elements of positional initializers that set `struct.member` (`const PDMDEVHLPR3
    g_pdmR3DevHlpTrusted = { PDM_DEVHLPR3_VERSION, pdmR3DevHlp_IoPortCreateEx, ... }`: the
    extractor keeps each under the variable's name, chain ["v:g_...", "#N"]), as the call
    graph binds them (edges.Graph.positional_rows); `= { 0 }` zeroes the whole object and
    gives its first member no value of its own."""
    from vmxref.queries.edges import graph
    out = []
    for r in graph(sc).positional_rows(member, struct, cols):
        chain = parse_chain(r[7])
        if chain[-1] == "#0" and len(chain) == 2 and r[9].strip() == "0" and not sc.conn.execute(
                "SELECT 1 FROM assign WHERE blob_id = ? AND field = ? AND chain = ? LIMIT 1",
                (r[2], r[6], json.dumps([chain[0], "#1"]))).fetchone():
            continue
        out.append(r)
    return out


def _candidates(sc: Scope, fields: list[str], kinds, tr: TypeResolver,
                struct: str | None, members: bool = True) -> list[tuple]:
    """Assign rows that may write the asked member: the member itself, members below it and
    its parents (`x.a = ...` for `a.b`), and whole-object writes of objects containing it.

    Everything but the first query is narrowed by type before classification: the fields
    below the asked one, and the names of variables/fields whose type contains it, drive
    index look-ups instead of scans of every write of the corpus.
    """
    cols = _COLS
    rows = _typed(tr, sc.rows("assign", "t.field = ?", (fields[-1],), f"{cols}, t.vtype"))
    rows = at_macro_uses(sc, rows)
    rows += argument_writes(sc, fields[-1], cols, member=struct is not None or len(fields) > 1)
    if struct is not None or len(fields) > 1:
        rows += _pointer_alias_rows(sc, fields[-1])
    if _is_array(sc, tr, struct, fields):
        rows += array_passes(sc, fields[-1])
    if struct is not None and (kinds is None or "whole-object" in kinds):
        rows += _whole_var_rows(sc, tr, struct, cols)
    if struct is not None and len(fields) == 1 and (kinds is None or "init" in kinds):
        rows += _positional_rows(sc, struct, fields[0], cols)
    if not members:  # (the rest are writes into members, or of objects holding them)
        return rows
    seen = {(r[0], r[1], r[3], r[4]) for r in rows}
    like = f'%"{fields[0]}"%'
    # the members below the asked one (a write into it), found from its own type: from
    # fields[0]'s, a path's siblings and what they point at join in (`timekeeper.tkr_mono.mult`
    # went through tkr_mono.clock into the whole clocksource graph, then a scan of every write)
    owner = _last_owner(tr, struct, fields)
    below = (_members_below(sc, tr, owner, fields[-1]) if struct is None or owner is not None
             else None)
    if below is None:
        more = sc.rows("assign", "t.chain LIKE ? AND t.field != ?", (like, fields[-1]),
                       f"{cols}, t.vtype")
    else:
        names = (below | set(fields[:-1])) - {fields[-1]}
        more = sc.rows_in("assign", "t.field", names, "t.chain LIKE ?", (like,), f"{cols}, t.vtype")
    more = _typed(tr, more)
    rows += [r for r in more if (r[0], r[1], r[3], r[4]) not in seen]
    if kinds is None or "whole-object" in kinds:
        whole = _whole_object_rows(sc, tr, struct, fields, cols)
        if whole is None:
            whole = _typed(tr, sc.rows("assign", "t.kind = 'whole-object' AND t.field != ?",
                                       (fields[-1],), f"{cols}, t.vtype"))
        rows += [r for r in whole if (r[0], r[1], r[3], r[4]) not in seen
                 and r[3] != fields[-1]]
    return rows


def _typed(tr: TypeResolver, rows: list[tuple]) -> list[tuple]:
    """Assign rows fetched with `t.vtype` last, returned without it. That column is the
    declared type of the chain's base variable in the writing function, which is what
    local_type would look up (one statement per row, or per 300 with prime_locals): it is
    taken as known."""
    tr.know_locals((r[2], r[5], base, r[11]) for r in rows if (base := _base_var(r[7])))
    return [r[:11] for r in rows]


def _base_var(chain_t: str | None) -> str | None:
    """The variable a chain text starts from (`["v:vcpu", "arch", ...]` -> "vcpu"), None
    when it starts from a cast or a call's return."""
    if not chain_t or not chain_t.startswith('["v:'):
        return None
    return chain_t[4:chain_t.index('"', 4)]


def _is_array(sc: Scope, tr: TypeResolver, struct: str | None, fields: list[str]) -> bool:
    """Is the asked member (or variable) declared as an array (`unsigned long x[N]`,
    DECLARE_BITMAP)? Handed bare to a call, it is its address handed on."""
    if struct is not None:
        owner = _last_owner(tr, struct, fields)
        types = {tr.field_type(owner, fields[-1])} if owner else set()
    else:
        types = {r[3] for r in sc.rows("sym", "t.name = ? AND t.kind IN ('field', 'global')",
                                       (fields[-1],), "t.type", limit=50)}
    return bool(types) and all(t and t.endswith("]") for t in types)


_CAP = 5000  # beyond this many names a narrowed look-up costs more than the scan


def _members_below(sc: Scope, tr: TypeResolver, struct: str | None, field: str) -> set[str] | None:
    """Names of every member stored inside `field` (of `struct`, or of any struct with a
    member of that name): its members, theirs when embedded, and so on; None when too many.
    Not through pointers: a write through one (`vcpu->arch.apic->x`, `devlink->lock.owner->
    y`) writes another object, which _classify does not count either (_through_pointer);
    following them reached most of a kernel's structs, then a scan of every write (5 s)."""
    if struct is not None:
        types = [tr.field_type(struct, field)]
    else:
        types = [r[3] for r in sc.rows("sym", "t.name = ? AND t.kind = 'field'", (field,), "t.type")]
    todo = list(dict.fromkeys(s for s in (tr.struct_of(t) for t in types if not tr.is_pointer(t))
                              if s))
    done: set[str] = set()
    names: set[str] = set()
    while todo:
        s = todo.pop()
        if s in done:
            continue
        done.add(s)
        for r in sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'field'", (s,), "t.name, t.type"):
            names.add(r[3])
            sub = tr.struct_of(r[4]) if not tr.is_pointer(r[4]) else None
            if sub and sub not in done:
                todo.append(sub)
        todo += [b for b in tr.bases(s) if b not in done]
        if len(names) > _CAP or len(done) > _CAP:
            return None
    return names


def type_names(sc: Scope, names: set[str], through_pointers: bool) -> set[str] | None:
    """`names` and the typedef names that designate them (`typedef struct VM VM, *PVM`),
    following typedefs of typedefs; pointer typedefs only when `through_pointers`."""
    out, frontier = set(names), set(names)
    suffixes = ("", "[]", "*", "**", "*[]") if through_pointers else ("", "[]")
    for _ in range(8):
        variants = [n + s for n in frontier for s in suffixes]
        new = {r[3] for r in sc.rows_in("sym", "t.type", variants, "t.kind = 'typedef'", (),
                                      "t.name")}
        frontier = new - out
        out |= new
        if not frontier:
            return out
        if len(out) > _CAP:
            return None
    return out


def _holder_types(sc: Scope, tr: TypeResolver, struct: str | None,
                  fields: list[str]) -> list[str] | None:
    """Type texts (`VM`, `PVM`, `VM*`, `VM[]`...) of objects that are, or point to, a struct
    containing the asked member; None when there are too many to be worth narrowing."""
    if struct is not None:
        level = {struct}
    else:
        level = {r[3] for r in sc.rows("sym", "t.name = ? AND t.kind = 'field'", (fields[0],),
                                       "t.scope")}
    found = set(level)
    for _ in range(8):  # containment depth (TypeResolver.contains_struct stops at 6)
        emb = type_names(sc, level, through_pointers=False)
        if emb is None:
            return None
        variants = [n + s for n in emb for s in ("", "[]")]
        up = {r[3] for r in sc.rows_in("sym", "t.type", variants, "t.kind = 'field'", (),
                                     "t.scope")}
        up |= {r[3] for r in sc.rows_in("sym", "t.name", variants, "t.kind = 'base'", (),
                                      "t.scope")}
        level = up - found
        found |= up
        if len(found) > _CAP:
            return None
        if not level:
            break
    if struct is not None:  # (contains_struct answers from it: no walk down each type)
        tr.holders[struct] = frozenset(found)
    aliases = type_names(sc, found, through_pointers=True)
    if aliases is None:
        return None
    return sorted(n + s for n in aliases for s in ("", "[]", "*", "**", "*[]"))


def _whole_object_rows(sc: Scope, tr: TypeResolver, struct: str | None, fields: list[str],
                       cols: str) -> list[tuple] | None:
    """Whole-object writes (memset, RT_ZERO, struct copies) whose target's declared type
    contains the asked member: a local or parameter declared in that function, a global,
    a parameter declared out of view (conventional type), or a member reached by a chain.
    The same candidates `_whole_var`/`_whole_struct` accept, found by index look-ups."""
    types = _holder_types(sc, tr, struct, fields)
    if types is None:
        return None
    by_kind: dict[str, set[str]] = {}
    by_value: set[str] = set()  # members holding the asked struct itself (no pointer to it)
    copied: set[str] = set()  # variables of the asked struct itself: `x = y` copies all of it
    itself = (type_names(sc, {struct}, through_pointers=False) or set()) if struct else set()
    for chunk, ms in in_chunks(types):  # (DISTINCT without the file join: `vcpu` has 20k)
        for name, kind, typ in sc.conn.execute(
                f"SELECT DISTINCT name, kind, type FROM sym WHERE type IN ({ms})", chunk):
            by_kind.setdefault(kind, set()).add(name)
            if kind in ("global", "local", "extern", "param") and typ in itself:
                copied.add(name)
            if kind == "field" and ((typ or "").rstrip("[]") in itself if struct else
                                    "*" not in (typ or "")):
                by_value.add(name)  # (with a struct asked, a copy of an enclosing struct
                # into a member is left out: on all of Linux every `x->arch = ...` would do)
    if sum(len(v) for v in by_kind.values()) > _CAP:
        return None
    # each write carries the declared type of its base variable in the writing function
    # (assign.vtype, from the extractor), so rows of unrelated locals (`p`, `a`) go before
    # classification; a name not declared there is a global or a parameter out of view
    tset = set(types)
    outside = by_kind.get("global", set()) | by_kind.get("extern", set()) | \
        by_kind.get("param", set()) | by_kind.get("function", set())  # (a function: what it
    # returns, a whole-object row of chain ["r:F"], `fill(get_shadow_vmcs12(vcpu), ...)`)
    names = outside | by_kind.get("local", set())
    out: list[tuple] = []
    for kind_sql, kind_args in fill_sql(sc):
        pre = (f"{kind_sql} AND (t.vtype IN ({marks(len(types))}) "
               f"OR t.field IN ({marks(len(outside))}) AND (t.vtype IS NULL OR "
               "substr(t.chain, 1, length(t.field) + 5) != '[\"v:' || t.field || '\"'))")
        # (in SQL, as the loop below decides: most rows go before the join; two statements,
        # holder-typed locals and names declared outside, were 2 ms faster on a `writes` of
        # a pvclock member and 145 ms slower on `writes busy`)
        for row in sc.rows_in("assign", "t.field", names, pre,
                              (*kind_args, *types, *sorted(outside)), f"{cols}, t.vtype"):
            if row[10] == "out-param" and not fills(sc, row[8], row[9]):
                continue  # (an address handed to a call that does not overwrite the object)
            field, chain, dtype = row[6], row[7], row[-1]
            if dtype is not None and not chain.startswith(f'["v:{field}"'):
                dtype = None  # a member write: `field` names no variable of its own there
            if (dtype in tset) if dtype is not None else (field in outside):
                out.append(row)
        out += [r for r in sc.rows_in("assign", "t.field", by_kind.get("field", set()),
                                      f"{kind_sql} AND t.chain LIKE '%,%'", kind_args,
                                      f"{cols}, t.vtype")
                if r[10] == "whole-object" or fills(sc, r[8], r[9])]
    # a struct copied into a member of that type (`irqfd->irq_entry = *e`; _whole_struct
    # drops the members that are pointers to it)
    out += sc.rows_in("assign", "t.field", by_value,
                      "t.kind = 'assign' AND t.op = '=' AND t.chain LIKE '%,%'", (),
                      f"{cols}, t.vtype")
    # ... and into a variable of that type (`refined_jiffies = clocksource_jiffies;`): a
    # local's row carries its declared type, a global's none
    out += [r for r in sc.rows_in(
        "assign", "t.field", copied, "t.kind = 'assign' AND t.op = '=' AND t.chain = "
        "'[\"v:' || t.field || '\"]'", (), f"{cols}, t.vtype")
        if ((r[-1] in itself) if r[-1] is not None else (r[6] in outside))]
    return _typed(tr, list(dict.fromkeys(out)))


# the size argument of the whole-object writers (0-based) that bound the bytes written
_SIZE_ARG = {"memset": 2, "memcpy": 2, "memmove": 2, "RT_BCOPY": 2, "memzero_explicit": 1,
             "RT_BZERO": 1, "bzero": 1, "ASMMemZero32": 1, "ASMMemFill32": 1}
_OFFSETOF = r"\(?\s*(?:RT_UOFFSETOF|RT_OFFSETOF|offsetof|__builtin_offsetof)\s*\(\s*" \
    r"(?:struct\s+|union\s+)?(\w+)\s*,\s*(\w+)\s*\)\s*\)?"


def _past_bound(tr: TypeResolver, value: str, struct: str, fields: list[str]) -> bool:
    """Does a whole-object call of `struct` stop before the asked member: its size is
    `offsetof(struct, m)` (`memset(pCtx, 0, RT_UOFFSETOF(CPUMCTX, pXStateR0))`), its
    target the object itself, and the member (its first step) is declared at or after m?"""
    head, _, rest = value.partition("(")
    k = _SIZE_ARG.get(head.strip())
    if k is None:
        return False
    args = split_args(rest)
    if len(args) <= k or not re.fullmatch(r"\s*(?:\([^()]*\)\s*)?&?\s*\w+\s*", args[0]):
        return False  # (a member or an offset as the target: its own bytes, not checked)
    m = re.fullmatch(_OFFSETOF, args[k].strip())
    if m is None or m.group(1) != struct:
        return False
    order = tr.field_order(struct)
    return fields[0] in order and m.group(2) in order and \
        order.index(fields[0]) >= order.index(m.group(2))


def writes(sc: Scope, target, kinds: tuple[str, ...] | None = None,
           siblings: bool = True, members: bool = True) -> list[Site]:
    """Every write of `target` (see module docstring), grouped by container struct; with
    `siblings`, also those of the other members of the union it is in. Without `members`
    (a variable's own writes, which provenance keeps: no container), the writes into its
    members and of objects holding it are not looked for: on all of Linux a common name
    (`x`) made that a scan of every write, 4.7 s."""
    tr = resolver(sc)
    struct, fields = _asked(sc, tr, target)
    obj = _named_object(sc, tr, target)
    readings = _readings(sc, tr, struct, fields)
    sc.require(fields[-1])
    out: dict[tuple, Site] = {}
    for st, fl, inner in readings:
        rows = _candidates(sc, fl, kinds, tr, st, members)
        # the declared types of the chains' base variables, in one statement per 300 rows
        # instead of one per row when each is classified (struct_path -> var_type)
        tr.prime_locals((r[2], r[5], base) for r in rows if r[5] and (base := _base_var(r[7])))
        elsewhere: dict[tuple, bool] = {}
        for row in rows:
            if inner is not None and (row[10] == "whole-object" or not _within(
                    sc, tr, row[2], row[5], list(parse_chain(row[7])), inner)):
                continue  # (not inside the asked path: see _readings)
            if _known_elsewhere(tr, row, st, fl, elsewhere):
                continue
            if obj is not None and _another_object(tr, row, obj):
                continue  # (`saved = x86_platform` writes saved's member, not the object's)
            if row[10] == "whole-object" and _pointer_var_memset(tr, row) == (
                    "pointee" if st is None and row[7] == f'["v:{fl[-1]}"]' else "pointer"):
                continue  # (memset(p, ..) clears *p, not p; memset(&p, ..) clears p)
            site = _classify(sc, tr, row, st, fl)
            whole = site is not None and site.extra.get("write_kind") == "whole-object"
            if whole and st is not None and \
                    _past_bound(tr, str(site.extra.get("value", "")), st, fl):
                continue  # (`memset(pCtx, 0, RT_UOFFSETOF(CPUMCTX, pXStateR0))`: not hwvirt)
            if whole and st is not None and \
                    leaves_out(sc, row[2], row[5], str(site.extra.get("value", "")), st, fl[0]):
                continue  # (`SSMR3GetStruct(pSSM, &pgm, s_aPGMCpuFields)`: its members only)
            if site is not None and (row[2], row[3], row[4]) in sc.memo("_alias_via"):
                site.extra["via"] = sc.memo("_alias_via")[(row[2], row[3], row[4])]
            if site is not None and (kinds is None or site.extra["write_kind"] in kinds):
                out.setdefault(_place(site), site)
    if struct is None and len(fields) == 1 and (kinds is None or "init" in kinds):
        for site in _struct_initializers(sc, fields[0]):
            out.setdefault(_place(site), site)
    # (a path without its struct, `msr.TscAux`: the unions of the structs that spell it)
    unions = [(struct, fields)] if struct is not None else \
        [(st, fl) for st, fl, inner in readings if st is not None and inner is None and len(fl) > 1]
    if struct is None and len(fields) == 1 and members:
        unions += _named_paths(sc, fields[0])  # (a bare member: each struct declaring it)
    for st, fl in unions if siblings else ():
        for site in _union_siblings(sc, tr, st, fl, kinds):
            out.setdefault(_place(site), site)
    if struct is not None and (kinds is None or "whole-object" in kinds):
        for site in _computed_offset_writes(sc, tr, struct, fields):
            out.setdefault(_place(site), site)
        for site in _table_fill_writes(sc, struct, fields, out):
            out.setdefault(_place(site), site)
    out = _without_doubles(out)
    # containers with a write of the member itself first, then those with whole-object
    # writes only (RT_BZERO(pGVM) zeroing the VM that holds TM.offVirtualSync)
    direct = {s.extra.get("container", "") for s in out.values()
              if s.extra.get("write_kind") != "whole-object"}
    return sorted(out.values(), key=lambda s: (s.extra.get("container") == "?",
                                               s.extra.get("container", "") not in direct,
                                               s.extra.get("container", ""), s.key()))


def _pointer_alias_rows(sc: Scope, field: str) -> list[tuple]:
    """Stores through a local pointer set to the member's address: `ulong *p =
    &vmx->segment_cache.seg[seg].base; ... *p = vmcs_readl(..)` writes the member. Each
    `*p = v` (or `p[0] = v`) after the pointer was set, in that function, as an assign row
    whose chain is the member's (`["v:vmx", "segment_cache", "seg", "[]", "base"]`); the
    pointer is noted as the row's `via` (sc.memo "_alias_via")."""
    from vmxref.queries.edges import uncast
    from vmxref.queries.macro_uses import arg_chain
    via = sc.memo("_alias_via")
    aliases: dict[tuple, tuple] = {}  # (blob, func, pointer) -> (line, member chain, value)
    for _c, _p, bid, func, line, chain_t, value in sc.rows(
            "ref", "t.name = ? AND t.kind = 'addr' AND t.chain IS NOT NULL AND a.kind IN "
            "('init', 'assign') AND a.chain LIKE '[\"v:%' AND a.value LIKE '&%'", (field,),
            "a.func, a.line, a.chain, a.value", join="CROSS JOIN assign a INDEXED BY assign_blob "
            "ON a.blob_id = t.blob_id AND a.func = t.func AND a.line = t.line"):
        chain = list(parse_chain(chain_t))
        target = arg_chain(value or "")
        if len(chain) == 1 and target and len(target) > 1 and target[-1] == field:
            aliases.setdefault((bid, func, chain[0][2:]), (line, target, value))
    out = []
    for (bid, func, ptr), (aline, target, value) in aliases.items():
        how = f"pointer {ptr} = {value.strip()} (line {aline})"
        for r in sc.rows("assign", "t.blob_id = ? AND t.func = ? AND t.line > ? AND t.chain IN "
                         "(?, ?) AND t.kind IN ('assign', 'compound', 'incdec')",
                         (bid, func, aline, json.dumps([f"v:{ptr}", "*"]),
                          json.dumps([f"v:{ptr}", "[]"])), _COLS):
            out.append((*r[:6], field, json.dumps(target), *r[8:11]))
            via[(bid, r[3], r[4])] = how
        # ... and the pointer handed to a call that changes the object in place (`unsigned
        # long *bitmap = &kvm->arch.irq_sources_bitmap; ... set_bit(id, bitmap)`)
        for cid, path, _b, line, col, callee, args_t in sc.rows(
                "call", "t.blob_id = ? AND t.func = ? AND t.line > ? AND t.args LIKE ?",
                (bid, func, aline, f"%{ptr}%"), "t.line, t.col, t.callee, t.args"):
            args = json.loads(args_t)
            text = f"{callee}({', '.join(args)})"
            for pos, a in enumerate(args, 1):
                kind = modify_kind(sc, f"&{pos}", text) if uncast(a) == ptr else None
                if kind:
                    out.append((cid, path, bid, line, col, func, field, json.dumps(target),
                                f"&{pos}", text, kind))
                    via[(bid, line, col)] = how
    return out


def _pointer_var_memset(tr: TypeResolver, row: tuple) -> str | None:
    """For a whole-object write of a pointer variable (`struct pvclock_vsyscall_time_info
    *hvclock_mem`): "pointee" when it is handed bare (`memset(hvclock_mem, 0, ..)` clears
    what it points at), "pointer" when its address is (`memset(&p, 0, sizeof(p))` clears the
    pointer); None for anything else."""
    chain = parse_chain(row[7])
    if len(chain) != 1 or not chain[0].startswith("v:") or row[8] == "=":
        return None
    name = chain[0][2:]
    t = tr.var_type(row[2], row[5] or "", name)
    if t is None or not tr.is_pointer(t) or tr.is_array(t):
        return None
    return "pointer" if _address_of(name, row[9] or "") else "pointee"


_ADDRESS = re.compile(r"&\s*\(?\s*(\w+)")  # `&name`, `& ( name`: whose address is taken


def _address_of(name: str, text: str) -> bool:
    """Does `text` take the address of `name`? (one pattern for every name: a provenance on
    all of Linux compiled 12,750 patterns of the name, 1.7 s)"""
    return any(m.group(1) == name for m in _ADDRESS.finditer(text))


def _without_doubles(out: dict[tuple, Site]) -> dict[tuple, Site]:
    """The answers without a second row of one write: an array handed bare to memcpy is
    its whole-object row, not also an out-parameter one; an initializer that gives the
    member its own element (`= { VERSION, pfnA, pfnB, ...}`) is that element's row, not also
    a whole-object one at the `{` (`= { 0 }` stays whole-object)."""
    def at(s: Site) -> tuple:
        return (s.corpus, s.version, s.file, s.function)
    whole = {(*at(s), s.line, s.col, s.extra.get("target")) for s in out.values()
             if s.extra.get("write_kind") == "whole-object"}
    inits = {(*at(s), s.extra.get("target", "").split(".", 1)[0]) for s in out.values()
             if s.extra.get("write_kind") in ("init", "designated")
             and "." in s.extra.get("target", "")}

    def double(s: Site) -> bool:
        kind, target = s.extra.get("write_kind"), s.extra.get("target")
        if kind == "out-param" and s.extra.get("op") == "&1":
            return (*at(s), s.line, s.col, target) in whole
        return kind == "whole-object" and str(s.extra.get("value", "")).startswith("{") \
            and (*at(s), target) in inits
    return {k: s for k, s in out.items() if not double(s)}


_STORE_THROUGH = r"\*\s*\(\s*[\w\s]+\*\s*\)\s*\(?\s*{p}\s*\)?\s*=(?!=)"


def _computed_offset_writes(sc: Scope, tr: TypeResolver, struct: str,
                            fields: list[str]) -> list[Site]:
    """Stores through a byte pointer into a struct at a computed offset (`char *p = (char
    *)vmcs12 + offset; ... *(u64 *)p = field_value;` in vmcs12_write_any): any member of
    the struct may be written there, a `whole-object` write with op `computed offset`."""
    owner = _last_owner(tr, struct, fields)
    out = []
    # (the names declared as pointers to the struct: only their byte views are looked at;
    # the indexer found the views, indexer/byteviews.py)
    types = type_names(sc, {struct, owner} - {None}, True) or {struct}
    ptrs = [t + s for t in types for s in ("*", " *")]
    names = {r[3] for r in sc.rows_in("sym", "t.type", ptrs,
                                      "t.kind IN ('param', 'local', 'global')", (), "t.name")}
    for _c, path, bid, func, var, base, line in sc.rows_in(
            "byteview", "t.base", names, "t.func != ''", (), "t.func, t.var, t.base, t.line"):
        held = tr.struct_of(tr.var_type(bid, func, base) or "")
        if held not in (struct, owner):
            continue
        lines = sc.store.lines(bid)
        end = sc.conn.execute("SELECT end_line FROM sym WHERE blob_id = ? AND name = ? AND "
                              "kind = 'function' AND line <= ? ORDER BY line DESC LIMIT 1",
                              (bid, func, line)).fetchone()
        store = re.compile(_STORE_THROUGH.format(p=re.escape(var)))
        for n in range(line + 1, (end[0] if end else line) + 1):
            text = lines[n - 1] if n <= len(lines) else ""
            if (m := store.search(text)) is None:
                continue
            value = text[m.end():].split(";", 1)[0].strip()
            for cid, fpath in sc.files_of(bid):
                out.append(sc.site("write", cid, fpath, bid, n, m.start() + 1, func,
                                   ".".join([struct, *fields]), op="computed offset",
                                   value=value, container=held, write_kind="whole-object",
                                   target=f"{base} + offset"))
    return out


def _union_siblings(sc: Scope, tr: TypeResolver, struct: str | None, fields: list[str],
                    kinds) -> list[Site]:
    """The writes of the other members of the union the asked member is in (the same
    storage: `exit_reason.full = ...` writes `exit_reason.basic`), each marked `via` the
    member written; and of a union around the struct holding it, the memory filled from
    the start of another member (see below). Only with a struct path of two or more
    members; not recursive."""
    if struct is None:
        return []
    from vmxref.queries.lang import Target
    from vmxref.queries.unions import overlapping
    out = []
    owners = [struct, *_structs_along(tr, struct, fields)]  # (owners[j] holds fields[j])
    fill_kinds = tuple(k for k in ("out-param",) if kinds is None or k in kinds)
    for j in range(len(fields) - 1, -1, -1):
        owner = owners[j] if j < len(owners) else None
        # (the asked member's own union, named or not, by the bytes its members cover:
        # CPUMCTX.edx with rdx, dx, dl; vmx_exit_reason.basic with full, not with the
        # bit-fields beside it)
        shared = overlapping(sc, tr, owner, fields[j]) if owner and j == len(fields) - 1 \
            else None
        if shared is None and (not owner or not sc.has_sym(owner, ("union",)) or (
                j < len(fields) - 1 and (not fill_kinds or owner.startswith("(anonymous")))
                or len(fields) < 2):
            continue  # (an unnamed union around structs, `union { struct kvm_pit_state ps;
            # struct kvm_pit_state2 ps2; } u;` in one function, is scratch space each
            # branch fills for itself: not storage another member's fill leaves behind)
        siblings = shared if shared is not None else sorted({r[3] for r in sc.rows(
            "sym", f"{IN_SCOPE} AND t.kind = 'field'", (owner,), "t.name")} - {fields[j]})
        for sib in siblings[:16]:
            sub = Target(struct, tuple([*fields[:j], sib]))
            if j == len(fields) - 1:  # the asked member's own union: any write of another
                got = writes(sc, sub, kinds, False)
            else:  # a union around the member's struct (`union { struct { u64 TscAux; }
                # msr; u64 au64[64]; }`): memory a [writes] fills call fills from the start
                # of another member covers it (`SSMR3GetMem(pSSM, &Msrs.au64[0], cb)`), not
                # a pointer handed to any function; an element stored by
                # assignment or filled past the start (`au64[3]`) may lie anywhere else
                got = [w for w in writes(sc, sub, fill_kinds, False)
                       if fills(sc, w.extra.get("op") or "", w.extra.get("value") or "")
                       and _from_start(w.extra.get("target") or "", w.extra.get("value") or "",
                                       sib)]
            for site in got:
                if site.extra.get("write_kind") != "whole-object":  # (it writes all members)
                    site.extra["via"] = f"union member {owner}.{sib}"
                out.append(site)
    return out


def _table_fill_writes(sc: Scope, struct: str, fields: list[str],
                       found: dict[tuple, Site]) -> list[Site]:
    """The field-table fills whose table lists the member (fieldtables.table_fills), at the
    places no row above has: a saved-state load into an untyped page (`pHlp->pfnSSMGetStruct(
    pSSM, pApicCpu->pvApicPageR3, &g_aXApicPageFields[0])` stores XAPICPAGE.timer_ccr), as a
    `whole-object` write of the struct, op the fill."""
    from vmxref.queries.fieldtables import table_fills
    rows = table_fills(sc, struct, fields)
    if not rows:
        return []
    seen = {(s.file, s.line, s.function) for s in found.values()}
    out = []
    for cid, path, bid, line, col, func, callee, args in rows:
        if (path, line, func) in seen:
            continue
        text = sc.conn.execute("SELECT recv FROM call WHERE blob_id = ? AND line = ? AND col = ? "
                               "AND callee = ?", (bid, line, col, callee)).fetchone()
        recv = _chain_text(list(parse_chain(text[0]))) if text and text[0] else ""
        head = f"{recv}->{callee}" if recv else callee  # (a helper table's member call)
        out.append(sc.site("write", cid, path, bid, line, col, func, ".".join([struct, *fields]),
                           op=callee, value=f"{head}({', '.join(args)})", container=struct,
                           write_kind="whole-object", target=args[1] if len(args) > 1 else ""))
    return out


def _from_start(target: str, value: str, member: str) -> bool:
    """Does the call fill `member` itself or from its element 0 (`&x.au64[0]`, `x.au64`),
    not a later element (`&x.au64[3]`) nor a member inside it (`&x.GstCtx.cs`)?"""
    if target.rpartition(".")[2].removesuffix("[]") != member:
        return False
    for m in re.finditer(rf"\b{re.escape(member)}\b\s*(\[\s*([^\]]*?)\s*\])?", value):
        if m.group(1) is None or m.group(2) in ("0", "0U", "0u"):
            return True
    return False


def _struct_initializers(sc: Scope, name: str) -> list[Site]:
    """The brace initialiser of a file-scope struct variable `name` (`struct kvm_caps
    kvm_caps = { .supported_mce_cap = ... }`): one `init` write where it starts (its
    members' designated writes are answered by `writes kvm_caps.member`)."""
    first: dict[tuple, tuple] = {}
    members: dict[tuple, list[str]] = {}
    # (in the files that define the variable: a brace initialiser is its definition; the
    # (blob, function) key drives, a scan of every designated write costs ~1 s on all Linux)
    blobs = sorted({r[2] for r in sc.rows("sym", "t.name = ? AND t.kind = 'global'", (name,),
                                          "1")})
    rows = [r for bid in blobs for r in sc.rows(
        "assign", "t.blob_id = ? AND t.func = '' AND t.kind = 'designated' AND t.chain LIKE ?",
        (bid, f'["v:{name}", %'), "t.line, t.col, t.field, t.value")]
    for cid, path, bid, line, col, field, value in rows:
        key = (cid, path, bid)
        if key not in first or (line, col) < first[key][:2]:
            first[key] = (line, col)
        members.setdefault(key, []).append(f".{field} = {value}")
    out = []
    for (cid, path, bid), (line, col) in first.items():
        decl = sc.conn.execute("SELECT line, col FROM sym WHERE blob_id = ? AND name = ? AND "
                               "kind = 'global' AND line <= ? ORDER BY line DESC LIMIT 1",
                               (bid, name, line)).fetchone()
        line, col = decl or (line, col)  # (where the variable is declared)
        shown = members[(cid, path, bid)]
        value = "{ " + ", ".join(shown[:3]) + (", ... }" if len(shown) > 3 else " }")
        out.append(sc.site("write", cid, path, bid, line, col, "", name, op="=", value=value,
                           container="", write_kind="init", target=name))
    return out


def _place(s: Site) -> tuple:
    """One answer per place, operation and function: a macro use may both query a member
    into place and assign its default (`CFGMR3QueryU32(.., &x)` and `x = (DefPct)` in
    TM_CFG_PERIOD); a pasting macro's body is the body of each function it defines
    (kvm_rax_write, kvm_rbx_write: expand.py)."""
    return (s.corpus, s.version, s.file, s.line, s.col, s.kind, s.extra.get("op"), s.function)


class _Inner:
    """How a row found through an owner's form must relate to the asked path to count: the
    asked members and the structs they lead through."""

    __slots__ = ("fields", "structs")

    def __init__(self, fields: list[str], structs: list[str | None]) -> None:
        self.fields, self.structs = fields, structs


def _readings(sc: Scope, tr: TypeResolver, struct: str | None,
              fields: list[str]) -> list[tuple[str | None, list[str], _Inner | None]]:
    """The (struct, members, inner) forms a target is answered in, together.

    `kvm.arch.kvmclock_offset` is also `kvm_arch.kvmclock_offset` (the struct that owns the
    last member): writes through a `struct kvm_arch *ka` name no `arch`. A path without its
    struct (`arch.use_master_clock`) is read from the structs whose members spell it, so
    that another struct's `arch` is no parent of it. A struct that has no such member is
    an error (with the members it has that look alike), not an empty answer. A row found
    only through the owner's form must lie inside the asked path (_within): its members end
    with the whole asked path (from a struct of another name with the same members), or it
    writes through a local pointer set to `&...arch` (a pointer parameter to kvm_arch may
    point at any kvm_arch: VMXVVMCS.u64TscOffset.u is not every RTUINT64U's `.u`).
    """
    if struct is None:
        owners = _path_owners(sc, tr, fields) if len(fields) > 1 else []
        if not owners:
            return [(None, fields, None)]
        return [r for s in owners for r in _readings(sc, tr, s, fields)]
    require_member(sc, tr, struct, fields[0])
    inner = _structs_along(tr, struct, fields)
    prev = struct
    for k, (owner, member) in enumerate(zip(inner, fields[1:])):  # each member, in its struct
        if owner is None:
            _require_aggregate(sc, tr, prev, fields[k], member)
            break  # (a struct outside the corpus, or an anonymous part: not checked)
        require_member(sc, tr, owner, member)
        prev = owner
    out: list[tuple[str | None, list[str], _Inner | None]] = [(struct, fields, None)]
    if len(fields) > 1 and inner[-1] is not None:
        out.append((inner[-1], fields[-1:], _Inner(fields, inner)))
    return out


def _structs_along(tr: TypeResolver, struct: str, fields: list[str]) -> list[str | None]:
    """The structs the members of the path lead through: for kvm.[arch, kvmclock_offset],
    [kvm_arch] (the type of each member but the last; None once one does not resolve)."""
    out: list[str | None] = []
    cur: str | None = struct
    for f in fields[:-1]:
        cur = tr.struct_of(tr.field_type(cur, f)) if cur else None
        out.append(cur)
    return out


def _last_owner(tr: TypeResolver, struct: str | None, fields: list[str]) -> str | None:
    """The struct that holds the path's last member (`struct` itself for one member; None
    without a struct or once a member does not resolve)."""
    return [struct, *_structs_along(tr, struct, fields)][-1] if struct is not None else None


def _within(sc: Scope, tr: TypeResolver, bid: int, func: str, chain: list[str],
            inner: _Inner) -> bool:
    """May this member chain designate the asked path (see _readings)?"""
    qual = tr.struct_path(bid, func, chain, outside=True)
    if not qual:
        return False
    names = [q.rpartition(".")[2] for q in qual]
    f = inner.fields
    if len(names) >= len(f) and names[-len(f):] == f:
        return True
    owner = qual[0].rpartition(".")[0]
    for k, t in enumerate(inner.structs, start=1):
        if t == owner and names == f[k:] and chain[0].startswith("v:"):
            return points_into(sc, bid, func, chain[0][2:], f[:k])
    return False


def _named_paths(sc: Scope, name: str, most: int = 8) -> list[tuple[str, list[str]]]:
    """The struct paths of a member asked without its struct, one per struct declaring it:
    `TscAux` (declared in the member `msr` of union CPUMCTXMSRS) is CPUMCTXMSRS.[msr,
    TscAux], `edx` (6 structs) also CPUMCTX.[edx]; so `writes TscAux` has the union writes
    `writes CPUMCTXMSRS.msr.TscAux` has. A name declared in more than `most` structs has
    none: a generic member (`au16` of RTUINT64U, RTUINT128U and 30 more unions) would take
    in every write of their other members (78 rows -> 855, 0.2 -> 1.2 s); a common word on
    all of Linux would read each struct's declaration."""
    scopes = sorted({r[3] for r in sc.rows("sym", "t.name = ? AND t.kind = 'field'", (name,),
                                           "t.scope")})
    if len(scopes) > most:
        return []
    out = []
    for scope in scopes:
        parts = scope.split("::") if scope else []
        if parts and not parts[0].startswith("("):  # (a struct of no name: no path to it)
            out.append((parts[0], [*parts[1:], name]))
    return out


def _path_owners(sc: Scope, tr: TypeResolver, fields: list[str]) -> list[str]:
    """Structs with a member fields[0] through which the rest of the path resolves."""
    owners = []
    for scope in sorted({r[3] for r in sc.rows("sym", "t.name = ? AND t.kind = 'field'",
                                                (fields[0],), "t.scope")}):
        cur = _structs_along(tr, scope, fields)[-1]
        if cur is not None and tr.field_type(cur, fields[-1]) is not None:
            owners.append(scope)
    return owners


def _require_aggregate(sc: Scope, tr: TypeResolver, owner: str | None, name: str,
                       member: str) -> None:
    """UnknownSymbol when `owner.name` is a scalar (`uint64_t offVirtualSyncGivenUp`), so a
    path cannot go on to `member` through it."""
    ftype = tr.field_type(owner, name) if owner else None
    if ftype is None or not _scalar(sc, ftype):
        return  # (unknown, a pointer, an array, a struct, a typedef defined elsewhere)
    from vmxref.errors import UnknownSymbol
    raise UnknownSymbol(f"{owner}.{name} is a {ftype}, not a struct: it has no member "
                        f"{member!r} in {sc.label()}.")


def _scalar(sc: Scope, ftype: str, depth: int = 0) -> bool:
    """Is the type a primitive, or a typedef of the corpus that comes down to one?"""
    from vmxref.queries.types import _PRIMITIVE
    words = [w for w in ftype.split() if w not in ("const", "volatile")]
    if not words or "*" in ftype or "[" in ftype or depth > 6:
        return False
    if all(w in _PRIMITIVE for w in words):
        return True
    if len(words) != 1:
        return False
    targets = {r[3] for r in sc.rows("sym", "t.name = ? AND t.kind = 'typedef'", (words[0],),
                                     "t.type")}
    return bool(targets) and all(_scalar(sc, t or "", depth + 1) for t in targets)


def require_member(sc: Scope, tr: TypeResolver, struct: str, member: str) -> None:
    """UnknownSymbol unless `struct` (or a base, or a nested unnamed part) has `member`."""
    if tr.field_type(struct, member) is not None or not tr.is_struct(struct):
        return
    if sc.rows("sym", "t.name = ? AND t.kind = 'field' AND (t.scope = ? OR t.scope LIKE ?)",
               (member, struct, f"{struct}::%"), "1", limit=1):
        return
    from vmxref.errors import UnknownSymbol
    names = sorted({r[3] for r in sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'field'", (struct,),
                                           "t.name")})
    near = [n for n in names if n.lower() == member.lower()]
    if not near:  # (a prefix the member starts with: exit_qual -> exit_qualification)
        near = [n for n in names if n.startswith(member) and len(member) >= 3][:3]
    if not near:
        import difflib
        near = difflib.get_close_matches(member, names, n=3, cutoff=0.7)
    hint = f" Did you mean {', '.join(f'{struct}.{n}' for n in near)}?" if near else ""
    raise UnknownSymbol(f"struct {struct} has no member {member!r} in {sc.label()}.{hint}")


def _classify(sc: Scope, tr: TypeResolver, row, struct, fields) -> Site | None:
    cid, path, bid, line, col, func, field, chain_t, op, value, kind = row
    chain = list(parse_chain(chain_t))
    if kind == "out-param" and const_param(sc, op, value):
        return None
    if kind == "out-param" and (stored := stored_value(sc, op, value)) is not None:
        op, value, kind = "=", stored, "assign"  # ASMAtomicWriteU64(&x, off): x = off
        row = (*row[:8], op, value, kind)
    elif kind == "out-param" and (rmw := modify_kind(sc, op, value)) is not None:
        kind = rmw  # ASMAtomicDecU32(&x): a decrement, as `x--` is
        row = (*row[:10], kind)
    symbol = ".".join(([struct] if struct else []) + fields)
    if len(chain) > 2 and chain[-1] == "*" and chain[-2] == fields[-1] and kind != "whole-object":
        return None  # (`*c->ret = v` stores where the member points, the member keeps its
        # value: as a pointer member handed to a call bare is no write of it)
    if len(chain) == 1:  # a plain variable (or a function-scope local with the same name)
        if struct is not None or len(fields) > 1 or field != fields[0]:
            return _whole_var(sc, tr, row, chain, struct, fields, symbol)
        if _shadowed(sc, tr, bid, func, fields[0]):
            return None
        return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                       container="", write_kind=kind, target=chain[0][2:])
    if struct is None and len(fields) == 1 and chain[0] == f"v:{fields[0]}" and all(
            c in ("[]", "*") for c in chain[1:]):  # `kvm_cpu_caps[leaf] = mask`: an element
        if _shadowed(sc, tr, bid, func, fields[0]):
            return None
        return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                       container="", write_kind=kind, target=_chain_text(chain))
    qual = tr.struct_path(bid, func, chain, outside=True)
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
    if how == "parent" and kind == "out-param" and not fills(sc, op, value):
        return None  # the address of an enclosing object handed to a function: not a write of it
    if how == "parent" and kind in ("assign", "init") and tr.is_pointer(
            tr.field_type(*qual[-1].rsplit(".", 1))):
        return None  # `vcpu->arch.apic = apic` sets the pointer, it writes nothing it points at
    if how == "sub" and _through_pointer(tr, qual, fields):
        return None  # `vcpu->kvm->arch.x = ...` writes what kvm_vcpu.kvm points at, not kvm
    if how == "exact" and kind == "whole-object" and _fills_pointee(tr, qual[-1], value):
        return None  # memcpy(frag->data, ...) with `void *data`: the member keeps its value
    wk = "whole-object" if how == "parent" else kind
    container = qual[-1].rpartition(".")[0] if how == "exact" else _owner_of(qual, fields)
    return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                   container=container, write_kind=wk, target=_chain_text(chain),
                   **({"member": qual[-1]} if how == "sub" else {}))


def _elsewhere(tr: TypeResolver, bid: int, func: str, field: str, chain: list[str],
               struct: str | None, fields: list[str]) -> bool:
    """Does the member chain of a write resolve to members that neither are the asked one
    (nor lead to it) nor hold an object containing it? Then `_classify` has no answer for
    it whatever its kind, op or value (tested before it: an out-parameter row's callee
    would else be looked into, is the parameter read only, what is stored)."""
    if len(chain) < 2 or struct is None and len(fields) == 1 and chain[0] == f"v:{fields[0]}":
        return False  # (a plain variable, an element of the asked array: decided otherwise)
    qual = tr.struct_path(bid, func, chain, outside=True)
    if qual is None:
        return struct is not None or field != fields[-1]
    if _match(qual, struct, fields) is not None:
        return False
    ftype = tr.field_type(*qual[-1].rsplit(".", 1)) if qual[-1] else None
    obj_type = tr.struct_of(ftype) or tr.named_type(ftype)
    return obj_type is None or not _contains(tr, obj_type, struct, fields)


def _known_elsewhere(tr: TypeResolver, row, struct: str | None, fields: list[str],
                     memo: dict[tuple, bool]) -> bool:
    """_elsewhere of a row, decided once per (type of the chain's base, rest of the chain,
    member written): the rows of a common member name (`lock`: 48k on all of Linux) share a
    few thousand such keys. A variable's type is its declaration's in the writing function;
    any other base (a cast `t:`, a call's return `r:`) has the same type wherever it is."""
    chain_t = row[7]
    if not chain_t:
        return False
    name = _base_var(chain_t)
    if name is not None:
        rest = chain_t[len(name) + 5:]
        key: tuple = (tr.var_type(row[2], row[5], name), rest, row[6],
                      name if struct is None else None)  # (the asked variable: see _elsewhere)
    else:
        key = (chain_t, row[6])
    if key not in memo:
        memo[key] = _elsewhere(tr, row[2], row[5], row[6], list(parse_chain(chain_t)), struct,
                               fields)
    return memo[key]


def _through_pointer(tr: TypeResolver, qual: list[str], fields: list[str]) -> bool:
    """Does this deeper write pass a pointer on its way down from the asked member (the
    asked member itself, or a member below it: `vcpu->arch.apic->x` writes a kvm_lapic, no
    part of kvm_vcpu.arch)?"""
    names = [q.rpartition(".")[2] for q in qual]
    n = len(fields)
    for k in range(len(names) - n):
        if names[k:k + n] == fields:
            return any(tr.is_pointer(tr.field_type(*q.rsplit(".", 1)))
                       for q in qual[k + n - 1:-1])
    return False


def _fills_pointee(tr: TypeResolver, member: str, call: str | None) -> bool:
    """Does a whole-object call (`memcpy(frag->data, src, len)`) write what a pointer member
    points at rather than the member? So when the member is a pointer (no array of them)
    and the call is not handed its address (`memcpy(&frag->data, &p, sizeof(p))`)."""
    typ = tr.field_type(*member.rsplit(".", 1))
    if not typ or typ.rstrip().endswith("]") or not tr.is_pointer(typ):
        return False
    from vmxref.queries.edges import uncast
    name = re.escape(member.rpartition(".")[2])
    args = split_args(call.partition("(")[2]) if call else []
    return not any(re.fullmatch(rf"&\s*\(?.*(?:->|\.)\s*{name}\s*\)?", uncast(a).strip(), re.S)
                   for a in args)


def _owner_of(qual: list[str], fields: list[str]) -> str:
    for q in qual:
        if q.rpartition(".")[2] == fields[0]:
            return q.rpartition(".")[0]
    return "?"


def _whole_struct(sc, tr, row, chain, qual, struct, fields, symbol) -> Site | None:
    """memset/RT_ZERO/struct assignment of an object whose type contains the asked member."""
    cid, path, bid, line, col, func, field, chain_t, op, value, kind = row
    if not qual or kind not in ("whole-object", "assign", "out-param") or (
            kind == "out-param" and not fills(sc, op, value)):
        return None
    last = qual[-1]
    ftype = tr.field_type(*last.rsplit(".", 1)) if last else None
    if kind == "assign" and _pointer_store(tr, ftype, chain[-1] == "[]"):
        return None  # (`vcpu->arch.apic = apic` sets a pointer: it writes nothing it points at)
    obj_type = tr.struct_of(ftype) or tr.named_type(ftype)  # (also a struct outside the corpus)
    if obj_type is None or not _contains(tr, obj_type, struct, fields):
        return None
    return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                   container=obj_type, write_kind="whole-object", target=_chain_text(chain))


def _pointer_store(tr: TypeResolver, ftype: str | None, element: bool) -> bool:
    """Does an assignment to a member of type `ftype` (to an element of it: `element`) store
    a pointer (or an array's address), no copy of a struct?"""
    if ftype is None:
        return True
    if element:
        base = ftype[:-2].strip() if ftype.endswith("[]") else None
        return base is None or base.endswith("*") or tr.is_pointer(base)
    return tr.is_pointer(ftype) or tr.is_array(ftype)


def _whole_var(sc, tr, row, chain, struct, fields, symbol) -> Site | None:
    cid, path, bid, line, col, func, field, chain_t, op, value, kind = row
    if kind not in ("whole-object", "assign", "init", "out-param"):
        return None
    if kind == "out-param" and not fills(sc, op, value) and (
            leaves_member(sc, op, value, fields[-1]) or writes_inside(sc, op, value, fields[-1])):
        return None  # `&VmxTransient` to a function that writes other members of it, or
        # writes it only in the corpus (those writes are listed where they are made)
    returned = chain[0].startswith("r:") and kind == "whole-object"  # (what a call returns,
    # handed to a fill: `copy_from_user(get_shadow_vmcs12(vcpu), ...)`)
    obj_type = tr.struct_of(tr.var_type(bid, func, chain[0][2:])) if chain[0].startswith("v:") \
        else tr.struct_of(tr.base_type(bid, func, chain[0])) if returned else None
    if obj_type is None or not _contains(tr, obj_type, struct, fields):
        return None
    if kind == "init" and not value.startswith("{") and (
            tr.is_pointer(vt := tr.var_type(bid, func, chain[0][2:])) or tr.is_array(vt)):
        return None  # (a pointer set; an initialised struct is a copy: `struct S old = x->s`)
    return sc.site("write", cid, path, bid, line, col, func, symbol, op=op, value=value,
                   container=obj_type, write_kind="whole-object",
                   target=chain[0][2:] + ("()" if returned else ""))


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
    return tr.has_global(name) and tr.local_type(bid, func, name) is not None


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
    tr = resolver(sc)
    struct, fields = _asked(sc, tr, target)
    obj = _named_object(sc, tr, target)  # (`reads x86_platform.calibrate_tsc`: that object)
    readings = _readings(sc, tr, struct, fields)
    sc.require(fields[-1])
    out: dict[tuple, Site] = {}
    for st, fl, inner in readings:
        for site in _reads(sc, tr, st, fl, inner, obj):
            out.setdefault(_place(site), site)
        if inner is None:  # (the owner's form of a path: its objects hold any such member)
            symbol = ".".join(([st] if st else []) + fl)
            for site in whole_reads(sc, tr, st, fl, symbol):
                out.setdefault(_place(site), site)
    for site in _member_calls(sc, struct, fields):
        out.setdefault(_place(site), site)
    return sorted(out.values(), key=lambda s: (s.extra.get("container") == "?", s.key()))


def _member_calls(sc: Scope, struct: str | None, fields: list[str]) -> list[Site]:
    """The calls through a function-pointer member, which read it (`x86_platform.
    calibrate_tsc()`, `ops->set_msr(..)`): ref kind `call`. Only calls through the member
    itself (edges 'ops-table': not static calls, whose key was set from it earlier, nor
    through a local loaded from it, which is the load's read)."""
    if struct is None or len(fields) != 1:
        return []
    from vmxref.queries import edges
    return [sc.site("read", e.cid, e.path, e.blob_id, e.line, e.col, e.caller,
                    f"{struct}.{fields[0]}", container=struct, ref_kind="call")
            for e in edges.graph(sc).calls_through(fields[0], struct) if e.kind == "ops-table"]


def _argument_stores(sc: Scope, name: str) -> set[tuple[int, int, str]]:
    """(blob, line, receiver chain) where a [writes] assigns_args macro sets `name` or one of
    its elements (`get_debugreg(vcpu->arch.db[0], 0)`): a store, no read of it."""
    out = set()
    for r in argument_writes(sc, name, _COLS, member=True):
        if r[10] != "assign":
            continue
        chain = json.loads(r[7])
        while chain and chain[-1] == "[]":
            chain = chain[:-1]
        if len(chain) > 1 and chain[-1] == name:
            out.add((r[2], r[3], json.dumps(chain[:-1])))
    return out


def _element_stores(sc: Scope, name: str) -> set[tuple[int, int, str]]:
    """(blob, line, receiver chain) of each plain store into an element of member `name`
    (`a->b.name[i] = v`), as the receiver chain of the member's reference there."""
    out = set()
    for bid, line, chain_t in sc.conn.execute(
            "SELECT blob_id, line, chain FROM assign WHERE field = ? AND kind = 'assign' "
            "AND op = '=' AND chain LIKE '%\"[]\"]'", (name,)):
        chain = json.loads(chain_t)
        if len(chain) >= 3 and chain[-2] == name:
            out.add((bid, line, json.dumps(chain[:-2])))
        elif chain[0] == f"v:{name}" and all(c == "[]" for c in chain[1:]):
            out.add((bid, line, None))  # `kvm_cpu_caps[leaf] = mask`
    return out


_COLS = "t.line, t.col, t.func, t.field, t.chain, t.op, t.value, t.kind"  # (assign rows)


def _array_handed(sc: Scope, name: str) -> dict[tuple, list[tuple[int, int, str]]]:
    """The calls an array member `name` is handed to bare (macro_uses.array_passes), by
    (blob, function, receiver chain): (first line, last line, how) where how is "modify" (a
    call that changes it in place, reading the old bits: `set_bit`, `test_and_clear_bit`),
    "store" (one of the profile's [writes] fills, which overwrite it without reading it:
    a memcpy into it) or "read" (any other: `bitmap_empty`, `debugfs_create_file(name, ..)`;
    a call outside the corpus may read what it gets)."""
    out: dict[tuple, list[tuple[int, int, str]]] = {}
    for r in array_passes(sc, name):
        bid, line, col, func, chain_t, op, value = r[2], r[3], r[4], r[5], r[7], r[8], r[9]
        end = sc.conn.execute("SELECT max(end_line) FROM call WHERE blob_id = ? AND line = ? "
                              "AND col = ?", (bid, line, col)).fetchone()[0] or line
        how = "modify" if modify_kind(sc, op, value) else (
            "store" if fills(sc, op, value) else "read")
        chain = json.loads(chain_t)
        out.setdefault((bid, func, json.dumps(chain[:-1])), []).append((line, end, how))
    return out


def _handed_how(handed: dict, bid: int, func: str, line: int, chain_t: str | None) -> str | None:
    """How the call whose lines hold this read of the array member uses it (_array_handed),
    None when it is handed to none."""
    if not handed or chain_t is None:
        return None
    found = [how for a, b, how in handed.get((bid, func, chain_t), ()) if a <= line <= b]
    return found[0] if len(set(found)) == 1 else None


def _read_modify_writes(sc: Scope, name: str) -> set[tuple[int, int, str | None]]:
    """(blob, line, receiver chain as the member's reference has it, None for a variable)
    of each compound assignment or increment of `name` (`a->name += v`, `++x.name`), also
    by a [writes] modifies_args macro (`do_div(p->name, 100)`)."""
    out = set()
    from vmxref.queries.profiles import profile_section
    modifies = profile_section(sc, "writes").get("modifies_args", {})
    in_place = [(r[2], r[3], r[7]) for r in argument_writes(sc, name, _COLS, member=True)
                if r[10] == "compound"] if modifies else []  # (`do_div(p->name, 100)`)
    for bid, line, chain_t in [*sc.conn.execute(
            "SELECT blob_id, line, chain FROM assign WHERE field = ? AND kind IN "
            "('compound', 'incdec')", (name,)), *in_place]:
        chain = json.loads(chain_t)
        if chain and chain[-1] == name:
            out.add((bid, line, json.dumps(chain[:-1])))
        elif chain and chain[0] == f"v:{name}" and all(c == "[]" for c in chain[1:]):
            out.add((bid, line, None))  # `x += v`, `caps[leaf] |= bit`
    return out


def _macro_read_modify_writes(sc: Scope, name: str) -> list[tuple]:
    """Reads of `name` by a read-modify-write call in a function-like macro's body, through
    its parameter, at each use of the macro (`VMCPU_FF_TEST_AND_CLEAR(pVCpu, fFlag)` is
    `ASMAtomicBitTestAndClear(&(pVCpu)->fLocalForcedActions, ...)`): ref-like rows (cid,
    path, blob, line, col, function, receiver chain, "read-modify-write")."""
    body = [r for r in sc.rows(
        "assign", "t.field = ? AND t.kind = 'out-param' AND (t.chain LIKE '[\"a:%' OR "
        "t.chain LIKE '[\"u:%')", (name,), _COLS) if reads_old(sc, r[8], r[9])]
    out = []
    for cid, path, bid, line, col, func, _f, chain_t, _op, _v, _k in at_macro_uses(
            sc, body, field=name) if body else []:
        chain = json.loads(chain_t)
        if chain and chain[-1] == name:
            out.append((cid, path, bid, line, col, func, json.dumps(chain[:-1]),
                        "read-modify-write"))
    return out


def _reads(sc: Scope, tr: TypeResolver, struct: str | None, fields: list[str],
           inner: _Inner | None = None, obj: str | None = None) -> list[Site]:
    out = []
    rows = sc.rows("ref", "t.name = ? AND t.kind IN ('read', 'addr', 'write')", (fields[-1],),
                   "t.line, t.col, t.func, t.chain, t.kind")
    for _c, _p, _b, _l, _col, macro, chain_t, _k in sc.rows(
            "ref", "t.name = ? AND t.kind = 'define' AND (t.chain LIKE '[\"a:%' OR "
            "t.chain LIKE '[\"u:%')", (fields[-1],),
            "t.line, t.col, t.func, t.chain, t.kind"):
        rows += [(cid, path, bid, line, col, func, json.dumps(full), "read")  # at its uses
                 for cid, path, bid, line, col, func, full, _a in macro_uses(
                     sc, macro, parse_chain(chain_t))]
    passed = read_only_addresses(sc, fields[-1], [(r[2], r[5], r[3], r[4]) for r in rows
                                                  if r[7] == "write"])
    modified = modified_addresses(sc, fields[-1], [(r[2], r[5], r[3]) for r in rows
                                                   if r[7] == "write"])
    stores = _element_stores(sc, fields[-1]) | _argument_stores(sc, fields[-1])
    rmw = _read_modify_writes(sc, fields[-1])
    rows += _macro_read_modify_writes(sc, fields[-1])
    handed = _array_handed(sc, fields[-1]) if _is_array(sc, tr, struct, fields) else {}
    for cid, path, bid, line, col, func, chain_t, kind in rows:
        if (bid, line, chain_t) in stores:
            continue  # `vcpu->arch.xen.runstate_times[i] = v` stores an element, reads none
        how = _handed_how(handed, bid, func, line, chain_t) if kind == "read" else None
        if how == "store":
            continue  # `bitmap_zero(hv_vcpu->stimer_pending_bitmap, n)` reads none of it
        if how == "modify":
            kind = "read-modify-write"  # `set_bit(n, hv->bitmap)`, as `x |= BIT(n)`
        if kind in ("write", "read") and (bid, line, chain_t) in rmw:
            kind = "read-modify-write"  # `x += adj`, `++x`: the old value is read too
        elif kind == "write" and (bid, func, line) in modified:
            kind = "read-modify-write"  # `__test_and_set_bit(n, &x)` returns the old bit
        elif kind == "write":
            if (bid, func, line, col) not in passed:
                continue
            kind = "addr"  # passed to a call that only reads through it
        symbol = ".".join(([struct] if struct else []) + fields)
        if chain_t is None:
            if struct is None and len(fields) == 1 and not _shadowed(sc, tr, bid, func, fields[0]):
                out.append(sc.site("read", cid, path, bid, line, col, func, symbol, container="",
                                   ref_kind=kind))
            continue
        chain = list(parse_chain(chain_t)) + [fields[-1]]
        if inner is not None and not _within(sc, tr, bid, func, chain, inner):
            continue
        if obj is not None and _other_object(tr, bid, func, chain, obj):
            continue  # (`saved.calibrate_tsc` of another x86_platform_ops, as writes leaves out)
        qual = tr.struct_path(bid, func, chain, outside=True)
        if qual is None:
            if struct is None:
                out.append(sc.site("read", cid, path, bid, line, col, func, symbol, container="?",
                                   ref_kind=kind))
            continue
        if _match(qual, struct, fields) == "exact":
            out.append(sc.site("read", cid, path, bid, line, col, func, symbol,
                               container=qual[-1].rpartition(".")[0], ref_kind=kind))
    return sorted(out, key=lambda s: (s.extra.get("container") == "?", s.key()))
