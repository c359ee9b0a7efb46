"""What a call site passes: its argument texts, and what was assigned to the members of a
local struct whose address it hands over (`msr.host_initiated = host_initiated; ...
static_call(kvm_x86_set_msr)(vcpu, &msr)`). Read by the path checks (case constants,
boolean guards) and by provenance; memoised per scope."""
from __future__ import annotations

from vmxref.lazy import json

from vmxref.queries.base import Scope


def args(sc: Scope, e) -> list[str]:
    """The argument texts of the call at edge `e` ([] when the call row is unknown)."""
    memo = sc.memo("callsite_args")
    key = (e.blob_id, e.caller or "", e.line, e.col)
    if key not in memo:
        r = sc.conn.execute("SELECT args FROM call WHERE blob_id = ? AND func = ? AND line = ? "
                            "AND col = ?", key).fetchone()
        memo[key] = json.loads(r[0]) if r and r[0] else []
    return memo[key]


def member_assigns(sc: Scope, e, local: str) -> list[tuple[str, str]]:
    """(member path `a.b`, value text) of each assignment to a member of `local` in the
    caller of `e`, up to the call's line."""
    memo = sc.memo("callsite_members")
    key = (e.blob_id, e.caller or "", e.line, local)
    if key not in memo:
        out = []
        for chain, value in sc.conn.execute(
                "SELECT chain, value FROM assign WHERE blob_id = ? AND func = ? AND line <= ? "
                "AND chain LIKE ? AND kind IN ('assign', 'init', 'designated')",
                (*key[:3], f'["v:{local}",%')):
            try:
                parts = json.loads(chain)[1:]
            except ValueError:
                continue
            if parts and all(isinstance(p, str) and p.isidentifier() for p in parts):
                out.append((".".join(parts), (value or "").strip()))
        memo[key] = out
    return memo[key]
