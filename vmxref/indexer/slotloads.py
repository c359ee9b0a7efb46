"""Calls through a local loaded from a member, found per file at index time.

`int (*cui)(struct kvm_vcpu *) = vcpu->arch.complete_userspace_io; ... cui(vcpu)` calls
whatever is bound to the member `complete_userspace_io`. The call graph (edges.py,
`_local_slot_calls`) asks for such calls by member name. Answered from the facts at query
time, that was a join of every read of the member with the writes on its line and the
calls of the function: on all of Linux a common member name (`func`: 8,000 reads) cost
40-90 ms of a path search, for a handful of sites. The join never leaves one file, so the
worker does it on the facts it has just extracted and the index keeps its rows
(`slotload`), looked up by member name.

A row is what the join gave: a read of `slot` (with a receiver chain) in a function, a
write on the same line of that function to a plain variable (`init` or `assign`), and a
direct call in that function whose callee is that variable's name.
"""
from __future__ import annotations


def slot_loads(f) -> list[tuple]:
    """(slot, func, receiver chain, the variable's chain, the value written, call line,
    call column) of each such call in the facts `f` (extract.Facts), in the order of the
    reads, then of the writes, then of the calls."""
    # (the direct calls first, in one pass: a file without one has no such load; the
    # 10-column assign rows read by index, no star-unpacking)
    direct: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for c in f.calls:
        if c[4] == "direct" and c[2]:
            direct.setdefault((c[2], c[3]), []).append((c[0], c[1]))
    if not direct:
        return []
    loads: dict[tuple[str, int], list[tuple[str, str | None, str]]] = {}
    for a in f.assigns:
        chain = a[4]
        if (a[7] == "init" or a[7] == "assign") and chain is not None and len(chain) >= 6 \
                and "," not in chain and (a[2], chain[4:-2]) in direct:
            # (`["v:x"]`: the variable's name is chain[4:-2])
            loads.setdefault((a[2], a[0]), []).append((chain, a[6], chain[4:-2]))
    if not loads:
        return []
    out = []
    for name, kind, line, _col, func, chain in f.refs:
        if kind != "read" or not func or chain is None:
            continue
        for achain, value, var in loads.get((func, line), ()):
            for cline, ccol in direct[(func, var)]:
                out.append((name, func, chain, achain, value, cline, ccol))
    return out
