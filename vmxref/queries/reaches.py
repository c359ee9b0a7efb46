"""Can a named static object reach a parameter? The calls through a member of a parameter that
a function bound in that object's initialiser is not called from. (The same for an object
embedded as a member of another struct, `kvm->pm_notifier.notifier_call = f`: only an
expression naming that member, `&kvm->pm_notifier`, can be it; _member_binder.)

`static struct notifier_block pvclock_gtod_notifier = { .notifier_call = pvclock_gtod_notify }`
binds pvclock_gtod_notify to notifier_block.notifier_call, and every call through that member
may call it, except where the object the member is read from cannot be that one: kernel/
tracepoint.c's register_tracepoint_module_notifier(struct notifier_block *nb) calls
`nb->notifier_call(..)` on the block handed to it, and nothing hands it
pvclock_gtod_notifier (a static object of another file: only its own file can name it).

The answer is "cannot" only when every way into the parameter is known and none can carry
the object: the function's address is taken nowhere (no unknown callers), each call of it
passes, at that position, another object's address (`&other`, `&x->member`), NULL, or a
parameter of its own caller that (recursively, a few calls deep) cannot carry it; or the
function is exported (a registrar of the profile's [entry] with an `exported` kind:
EXPORT_SYMBOL) and no code of the corpus calls it: modules call it with
objects of their own, and cannot name a static one (that they could load it from memory it
was stored in is not followed). A function nothing in the corpus calls that is not exported
(a header's inline helper, say) is called by code the corpus leaves out, which may hand on
anything; so may a local variable, a member read or any other expression passed on: the call
is kept.
"""
from __future__ import annotations

from vmxref.lazy import json, re
from vmxref.queries.base import Scope
from vmxref.queries.types import parse_chain
from vmxref.schema import SYM_STATIC

DEPTH = 8  # calls (and assignments) followed back from the parameter
_NULL = frozenset({"NULL", "0", "nullptr"})


def misses(g, func: str, where: str, slot: str, bid: int, caller: str,
           recv: list[str] | None) -> bool:
    """Is the member call (receiver chain `recv`, in `caller` of blob `bid`) through `slot`
    one that `func`, bound to `slot` at `where` ("path:line"), cannot be called from? Only
    for a binding in a file-scope static object's initialiser and a receiver that is a
    parameter of the caller, never assigned there."""
    if not recv or len(recv) != 1 or not recv[0].startswith("v:") or not caller:
        return False
    obj = binder(g, func, where, slot)
    if obj is None:
        return False
    params = g.params(caller)
    p = recv[0][2:]
    if p not in params or _assigned(g.sc, bid, caller, p):
        return False
    return not reaches(g, obj, caller, params.index(p), DEPTH)


def binder(g, func: str, where: str, slot: str) -> str | None:
    """What binds `func` to member `slot` at `where` (path:line): the name of a file-scope
    `static` object whose designated initialiser does (_static_binder), `->M` for an object
    embedded as member M of another struct (_member_binder), else None (memoised)."""
    memo = g.sc.memo("reaches_binder")
    key = (func, where, slot)
    if key not in memo:
        path, _, line = where.rpartition(":")
        memo[key] = (_static_binder(g, func, path, int(line), slot) or
                     _member_binder(g, func, path, int(line), slot)) \
            if path and line.isdigit() else None
    return memo[key]


def _static_binder(g, func: str, path: str, line: int, slot: str) -> str | None:
    if not g.private_file(path):
        return None
    for _cid, p, bid, chain_t, fn in g.sc.rows(
            "assign", "t.field = ? AND t.value IN (?, ?) AND t.kind = 'designated' AND "
            "t.line = ?", (slot, func, "&" + func, line), "t.chain, t.func"):
        chain = parse_chain(chain_t)
        if p != path or fn or len(chain) != 2 or not chain[0].startswith("v:"):
            continue
        obj = chain[0][2:]
        flags = [r[3] for r in g.sc.rows("sym", "t.name = ? AND t.kind = 'global' AND "
                                         "t.blob_id = ?", (obj, bid), "t.flags")]
        if flags and all(f & SYM_STATIC for f in flags):
            return obj
    return None


def _member_binder(g, func: str, path: str, line: int, slot: str) -> str | None:
    """`->M` when the binding is into an object embedded as member M of another struct
    (`kvm->pm_notifier.notifier_call = kvm_pm_notifier_call`, pm_notifier a `struct
    notifier_block` in struct kvm, not a pointer): only an expression naming a member M can
    be that object (`&kvm->pm_notifier`)."""
    found = set()
    for _cid, p, bid, chain_t, fn in g.sc.rows(
            "assign", "t.field = ? AND t.value IN (?, ?) AND t.kind = 'assign' AND t.line = ?",
            (slot, func, "&" + func, line), "t.chain, t.func"):
        chain = list(parse_chain(chain_t))
        if p != path or not fn or len(chain) < 3 or chain[-2] in ("[]", "*") or \
                chain[-2].startswith("#"):
            return None
        qual = g.types.struct_path(bid, fn, chain)
        if not qual or len(qual) < 2:
            return None
        outer, _, member = qual[-2].rpartition(".")
        mtype = g.types.field_type(outer, member) if outer else None
        if member != chain[-2] or mtype is None or g.types.is_pointer(mtype) or \
                g.types.is_array(mtype):
            return None
        found.add(member)
    return f"->{found.pop()}" if len(found) == 1 else None


def _assigned(sc: Scope, bid: int, func: str, name: str) -> bool:
    """Is the variable `name` assigned in `func` (`nb = nb->next`)?"""
    return sc.conn.execute(
        "SELECT 1 FROM assign WHERE blob_id = ? AND func = ? AND chain = ? AND kind = 'assign' "
        "LIMIT 1", (bid, func, f'["v:{name}"]')).fetchone() is not None


def reaches(g, obj: str, func: str, k: int, depth: int) -> bool:
    """May the static object `obj` (or its address) be what parameter `k` of `func` holds?
    True when unknown (memoised; a cycle of calls counts as unknown)."""
    memo = g.sc.memo("reaches_param")
    key = (obj, func, k, depth)
    if key not in memo:
        memo[key] = True  # (while computing: a call back into it is unknown)
        memo[key] = _reaches(g, obj, func, k, depth)
    return memo[key]


def _reaches(g, obj: str, func: str, k: int, depth: int) -> bool:
    sc = g.sc
    if depth <= 0:
        return True
    taken, exported = _uses(sc, func)
    if taken:
        return True  # (its address is taken: called from where the graph does not say)
    calls = sc.rows("call", "t.callee = ?", (func,), "t.func, t.kind, t.args")
    if not calls:  # (called from outside the corpus: by modules, with objects of their own,
        return not exported  # if exported; else by code the corpus leaves out, which may
        # hand on what it loads from memory the object was stored in)
    for _cid, _path, bid, caller, kind, args_t in calls:
        if kind != "direct":
            return True
        args = json.loads(args_t) if args_t else []
        if k >= len(args) or may_be(g, obj, bid, caller, args[k], depth):
            return True  # (a variadic or mis-read call; or it may pass the object)
    return False


MAX_STORES = 64  # stores into a member of that name looked at (more: may be anything)
_MEMBER = re.compile(r"(?:->|\.)\s*([A-Za-z_]\w*)$")


def may_be(g, obj: str, bid: int, func: str, expr: str, depth: int) -> bool:
    """May the value of `expr`, written in `func` of blob `bid`, be the static object `obj`
    or its address? No for NULL, for another object's address (`&other`, `&x->member`),
    for a parameter no caller hands it (reaches), for a local or a member whose every
    assignment is such a value (`notif_blk = &lag->notif_block`; `nn->nb = nb` wherever a
    member of that name is stored, its value judged where it is written); yes (unknown) for
    anything else."""
    a = _peel(expr)
    if obj.startswith("->"):  # (an object embedded as a member: any expression naming it)
        if re.search(rf"(?:->|\.)\s*{re.escape(obj[2:])}\b", a):
            return True
    elif re.search(rf"\b{re.escape(obj)}\b", a):
        return True
    if a in _NULL:
        return False
    if a.startswith("&"):
        rest = a[1:].strip()
        return not (rest.isidentifier() or re.fullmatch(r"[\w\s.>\[\]-]+", rest) and
                    ("->" in rest or "." in rest or "[" in rest))  # (another object, or a
        # member of one)
    if depth <= 1:
        return True
    sc = g.sc
    if a.isidentifier() and func:
        params = g.params(func)
        if a in params and not _assigned(sc, bid, func, a):
            return reaches(g, obj, func, params.index(a), depth - 1)
        if g.types.local_type(bid, func, a) is None:
            return True  # (a global: any code may store into it)
        sets = sc.conn.execute(
            "SELECT value, kind FROM assign WHERE blob_id = ? AND func = ? AND chain = ?",
            (bid, func, f'["v:{a}"]')).fetchall()
        if not sets or any(kind not in ("init", "assign") for _v, kind in sets):
            return True  # (not set here, or set through its address)
        return any(may_be(g, obj, bid, func, v or "", depth - 1) for v, _k in sets)
    m = _MEMBER.search(a)
    if m is None:
        return True  # (a call's result, an element, arithmetic)
    stores = sc.rows("assign", "t.field = ? AND t.kind IN ('init', 'assign', 'designated', "
                     "'out-param')", (m.group(1),), "t.func, t.value, t.kind",
                     limit=MAX_STORES + 1)
    if len(stores) > MAX_STORES:
        return True
    return any(kind == "out-param" or may_be(g, obj, sbid, fn or "", value or "", depth - 1)
               for _c, _p, sbid, fn, value, kind in stores)


def _uses(sc: Scope, func: str) -> tuple[bool, bool]:
    """(is a function used as a value: its address stored, passed, or handed to a macro;
    is it exported: named at file scope by a registrar the profile's [entry] gives an
    `exported` kind, `EXPORT_SYMBOL(f)`, which only makes it callable from outside the
    corpus)."""
    exports = _export_macros(sc)
    exported = False
    for _cid, _path, bid, fn, line in sc.rows(
            "ref", "t.name = ? AND t.kind IN ('read', 'addr')", (func,), "t.func, t.line"):
        if fn:
            return True, exported
        macros = [m for (m,) in sc.conn.execute(
            "SELECT name FROM ref WHERE blob_id = ? AND line = ? AND kind IN ('macro', 'call')",
            (bid, line))]
        if not macros or not all(m in exports for m in macros):
            return True, exported
        exported = True
    return False, exported


def _export_macros(sc: Scope) -> frozenset[str]:
    """The registrars of the profile's [entry] whose entries are exported APIs (paths'
    weak entries: EXPORT_SYMBOL, EXPORT_SYMBOL_GPL)."""
    memo = sc.memo("reaches_exports")
    if "m" not in memo:
        from vmxref.queries.paths import WEAK_ENTRIES
        from vmxref.queries.profiles import profile_section
        regs = profile_section(sc, "entry").get("registrars", {})
        memo["m"] = frozenset(m for m, (_i, kind) in regs.items() if kind in WEAK_ENTRIES)
    return memo["m"]


def _peel(arg: str) -> str:
    """An argument without its casts and outer parentheses."""
    from vmxref.queries.edges import uncast
    a = uncast(arg).strip()
    while a.startswith("(") and a.endswith(")"):
        a = uncast(a[1:-1]).strip()
    return a
