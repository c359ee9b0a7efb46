"""Per-context twins of pasted member names.

VirtualBox code shared by ring 3 and ring 0 reaches per-context members through a pasting
macro: `pDevIns->CTX_SUFF(pHlp)->pfnTimerSetRelative(...)` is `pHlpR3` where the file is
compiled for ring 3 and `pHlpR0` where it is compiled for ring 0. The profile pastes one
suffix for every context ([macros.paste] CTX_SUFF = "R3"), so the facts name the ring-3
member only; here a member chain read at such a call is also given in each other context,
with the pasted members renamed (`pHlpR0`), so that the ring-0 helper table is followed
too. A path that takes a twin still keeps to one context: the callee's definitions (the
ring-0 table's function in VMMR0/) are checked against the contexts the path is in.
"""
from __future__ import annotations

from vmxref.lazy import re

from vmxref.queries.base import Scope


def _pastes(sc: Scope) -> tuple[dict[str, str], list[str]]:
    """(pasting macro -> its suffix, the context codes), for the macros whose suffix is a
    context code of the profile (memoised; empty for a profile without contexts)."""
    memo = sc.memo("_twins")
    if "p" not in memo:
        from vmxref.queries.profiles import profile_section
        entry = profile_section(sc, "entry")
        codes = sorted({*entry.get("contexts", {}).values(),
                        *entry.get("context_paths", {}).values()})
        paste = profile_section(sc, "macros").get("paste", {})
        memo["p"] = ({m: g for m, g in paste.items() if g and g in codes}, codes)
    return memo["p"]


def twin_chains(sc: Scope, blob_id: int, line: int,
                chain: list[str]) -> list[tuple[str, list[str], str]]:
    """(context, chain, note) for each other context where `chain` (read at a call on
    `line`) has members pasted by a context macro: the chain with those members renamed.
    Empty when no member of the chain was pasted there."""
    pastes, codes = _pastes(sc)
    if not pastes or not any(h.endswith(g) for h in chain[1:] for g in pastes.values()):
        return []
    text = " ".join(sc.store.line_text(blob_id, n) for n in range(line, line + 3))
    pasted: dict[str, tuple[str, str]] = {}  # member as indexed -> (stem, macro)
    for macro, glue in pastes.items():
        for m in re.finditer(rf"\b{re.escape(macro)}\s*\(\s*(\w+)\s*\)", text):
            pasted[m.group(1) + glue] = (m.group(1), macro)
    hops = [i for i, h in enumerate(chain) if i and h in pasted]
    if not hops:
        return []
    out = []
    for code in codes:
        twin = list(chain)
        for i in hops:
            stem, macro = pasted[chain[i]]
            if pastes[macro] != code:
                twin[i] = stem + code
        if twin != list(chain):
            stems = ", ".join(f"{pasted[chain[i]][1]}({pasted[chain[i]][0]}) = {twin[i]}"
                              for i in hops)
            out.append((code, twin, f"in {code}: {stems}"))
    return out
