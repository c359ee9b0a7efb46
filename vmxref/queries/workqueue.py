"""Work items: a function registered with an object (`DECLARE_WORK(pvclock_gtod_work, fn)`,
`INIT_DELAYED_WORK(&kvm->arch.kvmclock_update_work, fn)`, `DEFINE_IRQ_WORK(w, fn)`) runs
when that object is queued (`queue_work(wq, &pvclock_gtod_work)`,
`schedule_delayed_work(&kvm->arch.kvmclock_update_work, ..)`, `irq_work_queue(&w)`).

Edges queue site -> function, of kind 'queued' (the function runs later, elsewhere).
The object is the registration's other argument, given by address or declared at file
scope (a variable, or a member path); a queue
site is a call elsewhere that gets its address: of the same variable in the same file, or
of the same member of the same struct. Calls named like cancelling, flushing or setting up
an object (`cancel_delayed_work_sync`, `INIT_WORK`) queue nothing; an object handed along
with other functions too is a shared context (a jump buffer), no work item; nor is a
pointer (a handle the registrar returns: `RTThreadCreate(&hThread, fn, ..)`).
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.edges import uncast
from vmxref.queries.macro_uses import arg_chain

_NOT_QUEUEING = re.compile(r"(?i)(?:^|_)(?:cancel|flush|destroy|init|free|del|pending|busy|drain|"
                           r"sync)(?:_|$)")


def queued_into(g, func: str, registrations) -> list:
    """Edges from the calls that queue an object `func` was registered with (`registrations`:
    the 'registered' edges into `func`)."""
    from vmxref.queries.edges import Edge
    sc, out = g.sc, []
    for reg in registrations:
        row = sc.conn.execute("SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND "
                              "line = ? AND col = ?", (reg.blob_id, reg.caller or "", reg.line,
                                                      reg.col)).fetchone()
        if row is None:
            continue
        registrar, args = row[0], json.loads(row[1])
        given = next(((a.strip(), c) for a, c in ((a, arg_chain(a)) for a in args
                                                  if a.strip() != func) if c), None)
        if given is None or not (given[0].startswith("&") or not reg.caller):
            continue  # a work item is given by address (INIT_WORK(&w, fn)) or declared at
            # file scope (DECLARE_WORK(w, fn)); VMR3ReqCallWaitU(pUVM, .., vmR3Load, ..)
            # runs vmR3Load now, on the EMT: pUVM is no object that is queued later
        obj = given[1]
        if len(obj) == 1 and obj[0] == f"v:{func}":
            continue
        name = obj[-1] if len(obj) > 1 else obj[0][2:]
        cont = g.types.container(reg.blob_id, reg.caller or "", obj) if len(obj) > 1 else None
        if len(obj) > 1 and cont is None:
            continue  # (a member of an unknown struct: any `->work` would do)
        otype = (g.types.field_type(cont, name) if len(obj) > 1
                 else g.types.var_type(reg.blob_id, reg.caller or "", name))
        if otype and g.types.is_pointer(otype):
            continue  # a handle the registrar writes (`RTThreadCreate(&pUVCpu->vm.s.ThreadEMT,
            # vmR3EmulationThread, ..)` starts the thread now): no object that is queued
            # later, and the other calls that get its address (ASMAtomicXchgHandle) run nothing
        matched = []  # the calls that take the address of this very object
        for cid, path, bid, line, col, caller, callee, qargs in _address_calls(sc, name):
            for a in json.loads(qargs):
                a = a.strip()
                if not a.startswith("&"):
                    continue
                chain = arg_chain(a)
                if chain is None or (chain[-1] if len(chain) > 1 else chain[0][2:]) != name:
                    continue
                if len(obj) == 1 and (len(chain) != 1 or bid != reg.blob_id):
                    continue
                if len(obj) > 1 and (len(chain) == 1 or g.types.container(bid, caller, chain) != cont):
                    continue
                matched.append((cid, path, bid, line, col, caller, callee, qargs, a))
                break
        if _shared_context(g, matched, func):
            continue
        for cid, path, bid, line, col, caller, callee, qargs, a in matched:
            if callee == registrar or _NOT_QUEUEING.search(callee) or not caller:
                continue
            out.append(Edge(cid, path, bid, line, col, caller, func, "queued",
                            f"queued by {callee}({a}) (registered by {registrar} at "
                            f"{reg.path}:{reg.line})"))
    return out


def _shared_context(g, calls: list[tuple], func: str) -> bool:
    """True when the object is handed along with other functions too: a context several
    functions run in (VirtualBox's `vmmR0CallRing3SetJmp(&...CallRing3JmpBufR0,
    HMR0RunGuestCode, ...)` and `...SetJmp2(&...CallRing3JmpBufR0, NEMR0RunGuestCode, ...)`:
    a jump buffer, whose other uses queue nothing), not a work item set up with one."""
    for _cid, _path, bid, _line, _col, caller, _callee, qargs, _a in calls:
        for a in json.loads(qargs):
            a = uncast(a)  # ((PFNVMMR0SETJMP2)NEMR0RunGuestCode)
            if a != func and a.isidentifier() and g.names_function(bid, caller, a):
                return True
    return False


MAX_ADDRESS_USES = 300  # a name whose address is taken more often is too generic (`work`)


def _address_calls(sc, name: str) -> list[tuple]:
    """(cid, path, blob, line, col, function, callee, args) of the calls around each place the
    address of something named `name` is taken (memoised per name); none for a name taken
    more than MAX_ADDRESS_USES times (`&x->work` all over a kernel: each needs its struct)."""
    memo = sc.memo("_address_calls")
    if name not in memo:
        rows = []
        uses = sc.rows("ref", "t.name = ? AND t.kind IN ('addr', 'write')", (name,),
                       "t.line, t.func", limit=MAX_ADDRESS_USES + 1)
        if len(uses) > MAX_ADDRESS_USES:
            memo[name] = []
            return []
        for _cid, _path, bid, line, func in uses:
            for cid, path in sc.files_of(bid):
                for cline, ccol, callee, args in sc.conn.execute(
                        "SELECT line, col, callee, args FROM call WHERE blob_id = ? AND func = ? "
                        "AND line <= ? AND end_line >= ?", (bid, func or "", line, line)):
                    rows.append((cid, path, bid, cline, ccol, func, callee, args))
        memo[name] = sorted(set(rows))
    return memo[name]
