"""Does a local pointer or a pointer parameter point into a member path? For `writes` and
`reads` of a path (`kvm_vcpu_arch.pv_time.gpa`): a write through `gpc->gpa` counts when
`gpc` is set to `&...pv_time` in its function, or is a parameter for which the calls of the
function pass such an address (or a variable of theirs that points there), a few callers
up; a local set to a part of the path from a variable that points at the rest counts too
(`ktimer = &apic->lapic_timer`, `apic` pointing at `vcpu->arch.apic`)."""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.base import IN_SCOPE, Scope


def points_into(sc: Scope, bid: int, func: str, var: str, members: list[str],
                 depth: int = 3) -> bool:
    """Is `var` set, in this function, to the address of a member path ending with
    `members` (`struct kvm_arch *ka = &kvm->arch;` for [arch]), or a parameter that the
    calls of the function pass such an address for (`kvm_gpc_activate(kvm,
    &vcpu->arch.pv_time, ...)`: its `gpc->gpa = gpa` writes pv_time.gpa), or their own
    variable that does, `depth` callers up?"""
    memo = sc.memo("_points_into")
    key = (bid, func, var, tuple(members), depth)
    if key not in memo:
        memo[key] = False  # (a recursive call chain ends here)
        memo[key] = any(_value_into(sc, bid, func, v, members, depth) for (v,) in sc.conn.execute(
            "SELECT value FROM assign WHERE blob_id = ? AND func = ? AND chain = ? "
            "AND kind IN ('init', 'assign')", (bid, func or "", f'["v:{var}"]'))) or (
            depth > 0 and bool(func) and _passed_into(sc, func, var, members, depth))
    return memo[key]


def _value_into(sc: Scope, bid: int, func: str, value: str | None, members: list[str],
                depth: int) -> bool:
    """Does `value` (`&kvm->arch`, `vcpu->arch.apic`) designate a member path ending with
    `members`, or a part of one from a variable that points at the rest (`&apic->lapic_timer`
    for [apic, lapic_timer] where `apic` points at an `apic` member)?"""
    if _ends_with(value, members):
        return True
    call = _CALLED.fullmatch((value or "").strip())
    if call is not None and depth > 0:  # `hv = to_kvm_hv(kvm)`, whose body returns
        # `&kvm->arch.hyperv`: what the helper returns
        from vmxref.queries.provenance import returns_of
        from vmxref.queries.macroforms import parts
        if any(_ends_with(r[5], members) for r in returns_of(sc, call.group(1))):
            return True
        for (text,) in sc.conn.execute(  # a macro helper: `#define vcpu_to_pmu(vcpu)
                # (&(vcpu)->arch.pmu)`
                "SELECT DISTINCT text FROM sym WHERE name = ? AND kind = 'macro'",
                (call.group(1),)):
            params, body = parts(text)
            if params is not None and _ends_with(_UNPAREN.sub(r"\1", body), members):
                return True
        return False
    names = [n.strip() for n in _MEMBERS.split((value or "").strip().lstrip("&(").rstrip(")")) if n]
    for j in range(1, len(members)):
        if len(names) == j + 1 and names[1:] == members[-j:] and names[0].isidentifier():
            return depth > 0 and points_into(sc, bid, func, names[0], members[:-j], depth - 1)
    return False


_INDEX = re.compile(r"\[[^\[\]]*\]")
_UNPAREN = re.compile(r"\(\s*([A-Za-z_]\w*)\s*\)")  # `(vcpu)` in a macro body
_CALLED = re.compile(r"(?s)([A-Za-z_]\w*)\s*\(.*\)")


def _passed_into(sc: Scope, func: str, var: str, members: list[str], depth: int) -> bool:
    """Do calls of `func` pass, for its parameter `var`, the address of a member path
    ending with `members` (or a variable of theirs that points there)?"""
    pos = {r[3] for r in sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'param' AND t.name = ?",
                                 (func, var), "t.pos")}
    if len(pos) != 1:
        return False
    k = pos.pop()
    from vmxref.queries.edges import uncast
    for _c, _p, cbid, caller, args in sc.rows("call", "t.callee = ? AND t.kind = 'direct'",
                                              (func,), "t.func, t.args", limit=_MAX_CALLS):
        a = json.loads(args) if args else []
        if k >= len(a):
            continue
        arg = uncast(a[k])
        if _value_into(sc, cbid, caller, arg, members, depth - 1) or (
                arg.isidentifier() and points_into(sc, cbid, caller, arg, members, depth - 1)):
            return True
    return False


def _ends_with(value: str | None, members: list[str]) -> bool:
    value = _INDEX.sub("", value or "")  # (`&hv_vcpu->stimer[i]` is in the stimer member)
    names = [n for n in _MEMBERS.split(value.strip().lstrip("&(").rstrip(")")) if n]
    return len(names) > len(members) and [n.strip() for n in names[-len(members):]] == members


_MAX_CALLS = 300  # calls of a function looked at for what they pass


_MEMBERS = re.compile(r"\s*(?:->|\.)\s*")
