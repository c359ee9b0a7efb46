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
direct call in that function whose callee is that variable's name. Or the write is to a
member of a local declared as an object, not a pointer, `u.pfn = pReq->u.Internal.pfn`
(vmR3ReqProcessOne), the value is that very member read, and the call is a member call
through that local, `u.pfn03(a, b, c)`: of any member, since the local may be a union whose
members alias the one written (the query side keeps the rows of unions only, edges.py).
"""
from __future__ import annotations


def slot_loads(f) -> list[tuple]:
    """(slot, func, receiver chain, the variable's chain, the value written, call line,
    call column) of each such call in the facts `f` (extract.Facts), in the order of the
    reads, then of the writes, then of the calls."""
    # (the direct calls first, in one pass: a file without one has no such load; the
    # 10-column assign rows read by index, no star-unpacking)
    # (member calls through a plain variable are keyed by their receiver, `["v:u"]`)
    direct: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for c in f.calls:
        if c[2] and (c[4] == "direct" or (c[4] == "member" and c[5] is not None and
                                          c[5].startswith('["v:') and "," not in c[5])):
            direct.setdefault((c[2], c[3] if c[4] == "direct" else c[5]),
                              []).append((c[0], c[1]))
    if not direct:
        return []
    loads: dict[tuple[str, int], list[tuple[str, str | None, str]]] = {}
    objects = None
    for a in f.assigns:
        chain = a[4]
        if (a[7] != "init" and a[7] != "assign") or chain is None or len(chain) < 6:
            continue
        if "," not in chain:  # (`["v:x"]`: the variable's name is chain[4:-2])
            key = chain[4:-2]
        elif chain.startswith('["v:') and chain.count(",") == 1:  # `["v:u", "pfn"]`
            key = chain[:chain.index(",")] + "]"
            if objects is None:  # (locals not declared as pointers: `p->a = ..` is no
                # union's; parameters neither)
                objects = {(s[5], s[0]) for s in f.syms if s[1] == "local" and s[6]
                           and "*" not in s[6]}
            if (a[2], chain[4:chain.index(",") - 1]) not in objects:
                continue
        else:
            continue
        if (a[2], key) in direct:
            loads.setdefault((a[2], a[0]), []).append((chain, a[6], key))
    if not loads:
        return []
    out = []
    for name, kind, line, _col, func, chain in f.refs:
        if kind != "read" or not func or chain is None:
            continue
        for achain, value, var in loads.get((func, line), ()):
            if var[0] == "[" and not (value or "").rstrip().endswith(name):
                continue  # (into a member: only the member loaded itself, `.. = p->pfn`)
            for cline, ccol in direct[(func, var)]:
                out.append((name, func, chain, achain, value, cline, ccol))
    return out
