"""Which call paths can run: the edges a backward search crosses (in_edges), the call
taken at each hop of a path (chosen_sites: of parallel calls, the one the next hop's case
label and the boolean guards allow), and the checks that make a path infeasible (infeasible):
another function table of a struct than the path's first, a case constant contradicted
further down, a second exclusive group of the profile, a compilation context left, a
deferred hop not guarded by its request's test, a literal that a branch further down
contradicts. feasible_path finds the least-weight path none of them rejects."""
from __future__ import annotations

from vmxref.lazy import re

from vmxref.conditions import c_int
from vmxref.queries import callsite
from vmxref.queries.base import Scope
from vmxref.queries.cases import (case_prefixes, case_values, edge_case, families, governing,
                                  in_ranges, own_labels, passed_constants, range_label,
                                  switch_on)
from vmxref.queries.edges import ARG_EDGES, Edge, bare, graph
from vmxref.queries.profiles import profile_section
from vmxref.queries.requests import deferred_into
from vmxref.queries.shortest import Digraph, NoPath

WEIGHTS = {"direct": 1.0, "static-call": 1.0, "ops-table": 1.0, "pointer": 1.2,
           "registered": 1.5, "deferred": 2.5, "macro": 1.0, "queued": 2.0}


def in_edges(sc: Scope, f: str, at: int, chains: bool = False,
             start: str | None = None,
             groups: list[set[int] | None] | None = None) -> list[tuple[Edge, float]]:
    """(edge, weight) of every call into `f` a backward search crosses: call, indirect and
    deferred edges (a deferred edge — request raised elsewhere, tested here — only for the
    requests whose test guards `at`, the line of `f` the path goes through). A call through
    a parameter is crossed from the call that passed the function, unless it is made by
    `start`, the function the path starts in (VMMR3EmtRendezvous calls pfnRendezvous: any
    function passed to it). `groups` (end_groups of where the search began): a call of
    another group of a partition is not crossed (arm64's code on the way to x86's)."""
    out = []
    parts = partitions(sc) if groups and any(g is not None for g in groups) else []
    for e in graph(sc).into(f) + deferred_into(sc, f, at):
        if e.origin is not None and e.caller != start:  # the path goes through the passing call
            e = e.origin
        if not e.caller or e.caller == f:
            continue
        if parts and not _group_fits(sc, e, parts, groups):
            continue
        out.append((e, WEIGHTS.get(e.kind, 1.0)))
        if chains and e.kind == "direct":  # called under a request test: its raisers lead
            # here directly, not through the tester (a chain of requests passes
            # vcpu_enter_guest twice; only asked for when no path was found without: the
            # extra edges widen a search a lot)
            for d in deferred_into(sc, e.caller, e.line):
                if d.caller != f:
                    out.append((Edge(d.cid, d.path, d.blob_id, d.line, d.col, d.caller, f,
                                     "deferred", f"{d.via}, tested in {e.caller} at "
                                     f"{e.path}:{e.line}"), WEIGHTS["deferred"]))
    return out


def chosen_sites(sc: Scope, dg: Digraph, nodes: list[str], last: str,
                  prefixes: list[str],
                  end: tuple[int, int, int] | None = None) -> list[tuple[Edge, str]]:
    """(call, its case label) for each hop of a path: of parallel calls a -> b, the one the
    case label further down the path allows (call_site); `last` is the case of the path's
    end. The feasibility check and the hops shown use the same choice."""
    from vmxref.queries import guards
    hops = bool_hops(sc, dg, nodes)
    usable = guards.usable(sc, hops)  # (not ruled out by a constant, nor by a switch below)
    usable = [s or u for s, u in zip(switch_usable(sc, hops, usable, end), usable)]
    chosen: list[tuple[Edge, str]] = []
    after = f"case {last}" if last else ""
    agreed = sc.memo("case_sites").get(_sites_key(dg, nodes, last))
    if agreed is not None:  # (the calls _case_clash took where the first choice clashed)
        return agreed
    clash, groups, parts = _group_state(sc, dg, nodes)
    for i, (a, b) in reversed(list(enumerate(zip(nodes, nodes[1:])))):
        fits = [x for x in usable[i] if _group_fits(sc, x, parts, groups)] \
            if parts and clash is None else []  # (arm64's call of vcpu_load is no x86 path's)
        allowed = {(x.blob_id, x.line, x.col) for x in fits or usable[i]}
        e = dg.edge(a, b)
        if allowed and (e.blob_id, e.line, e.col) not in allowed:
            e = (fits or usable[i])[0]
        e, case = call_site(sc, e, a, b, after, prefixes, allowed)
        chosen.append((e, case))
        after = case or after
    return chosen[::-1]


def _sites_key(dg: Digraph, nodes: list[str], last: str) -> tuple:
    return (id(dg), tuple(dg.edge(a, b) for a, b in zip(nodes, nodes[1:])), last)


def call_site(sc: Scope, e: Edge, a: str, b: str, after: str,
               prefixes: list[str], allowed: set | None = None) -> tuple[Edge, str]:
    """Of the calls a -> b, the one a path through `after` (the case label of the next call
    down) can take: vmx_set_msr calls kvm_set_msr_common under `case MSR_EFER` and under
    `default`; a path that goes on under `case MSR_IA32_TSC` came through the default.
    Prefers the call under that same case, then one under no case of its family, then the
    first; returns the call and its case label."""
    fam = families(sc, prefixes)[0]
    case = edge_case(sc, e, prefixes)
    if not after or not case or fam(case) != fam(after) or case == after:
        return e, case
    stacked = case_values(sc, e.blob_id, e.caller, e.line, prefixes)
    if after[5:] in stacked:  # one call under several labels: the one the path goes on with
        return e, after
    if "*" in stacked:  # ... or the range it may be in (`case STIMER0_CONFIG ... STIMER3_COUNT`)
        rng = range_label(sc, e, after[5:])
        if rng:
            return e, rng
    best = None
    for other in in_edges(sc, b, 0):
        o = other[0]
        if o.caller != a or o.kind != e.kind or (allowed and (o.blob_id, o.line, o.col)
                                                 not in allowed):
            continue
        label = edge_case(sc, o, prefixes)
        if label == after:
            return o, label
        if best is None and fam(label) != fam(after):
            best = (o, label)
    return best or (e, case)


RETRY_PATHS = 20  # simple paths tried when banning clashing edges left none


def feasible_path(sc: Scope, dg: Digraph, src: str, dst: str, last: str = "",
                   end: tuple[int, int, int] | None = None,
                   avoid: frozenset | set = frozenset()) -> tuple[float, list[str]]:
    """The least-weight feasible path (see infeasible): one table of each function-table struct
    (a path from vmx_handle_exit does not go on through svm_x86_ops.set_msr), no constant
    passed that a `case` further down does not take. NoPath when there is none (an
    infeasible path is not shown as one). `avoid`: edges the path must not take."""
    banned: set[tuple[str, str]] = set()
    for _ in range(8):
        try:
            cost, nodes = dg.shortest_path(src, dst, banned_edges=banned | avoid)
        except NoPath:
            break
        bad = infeasible(sc, dg, nodes, last, end)
        if not bad:
            return cost, nodes
        banned |= bad
    if banned:  # a banned edge may be right on another route (the edge that fixed a value
        # a later branch contradicts is the only way out of `src`): the next shortest paths
        for nodes in limited(dg.shortest_simple_paths(src, dst), RETRY_PATHS):
            if avoid and any(h in avoid for h in zip(nodes, nodes[1:])):
                continue
            if not infeasible(sc, dg, nodes, last, end):
                return dg.weight(nodes), nodes
    raise NoPath(f"{src} -> {dst}")


def edge_group(sc: Scope, e: Edge) -> int | None:
    """The profile's [entry] exclusive_paths group an edge's call site or bound table is
    in (VMX or SVM code), or None."""
    groups = profile_section(sc, "entry").get("exclusive_paths", [])
    return next(iter(_groups_of(groups, (e.path, e.bound[1] if e.bound else ""))), None)


def _groups_of(groups: list[list[str]], paths) -> list[int]:
    """The group (the first whose path prefixes match) of each of these paths that has one
    (callers memoise: _call_groups, end_groups)."""
    out = []
    for path in paths:
        g = next((i for i, prefixes in enumerate(groups)
                  if any(path.startswith(p) for p in prefixes)), None) if path else None
        if g is not None:
            out.append(g)
    return out


def infeasible(sc: Scope, dg: Digraph, nodes: list[str], last: str = "",
               end: tuple[int, int, int] | None = None) -> set[tuple[str, str]]:
    """Edges that make a path infeasible: another table of a struct (_table_clash), a call
    passing a constant that a `case` further down does not take (_case_clash; `last`: the
    case of the path's end), a callback registered on another container than the one the
    path hands down (registered.clash), or a value a branch further down contradicts
    (guards.clash; `end`: blob, line and column of the site the path ends at)."""
    from vmxref.queries import contexts, registered
    found = [("table", _table_clash(sc, dg, nodes)), ("case", _case_clash(sc, dg, nodes, last)),
             ("group", _group_clash(sc, dg, nodes, end)),
             ("static", _static_clash(sc, dg, nodes, end)),
             ("context", contexts.clash(sc, dg, nodes, end)),
             ("deferred", _deferred_clash(sc, dg, nodes)),
             ("handed", _handed_clash(sc, dg, nodes)),
             ("registered", registered.clash(sc, dg, bool_hops(sc, dg, nodes)))]
    bad = set().union(*(edges for _why, edges in found))
    if not bad:
        for why, check in (("test", _switch_clash), ("test", _bool_clash)):
            bad = check(sc, dg, nodes, end)
            if bad:
                found.append((why, bad))
                break
    # (what ruled paths out, for the message of a path query that shows none: engine.note)
    sc.memo("path_query").setdefault("why", set()).update(w for w, edges in found if edges)
    return bad


def _static_clash(sc: Scope, dg: Digraph, nodes: list[str],
                  end: tuple[int, int, int] | None) -> set[tuple[str, str]]:
    """A call by name from one source file into a function that the path goes on through
    (its next hop's calls, or the site it ends at: `end`) in a `static` definition of that
    name in another source file: a file's static function is called from that file only
    (the graph's nodes are names; VMX's calls of its static grow_ple_window do not go on
    in SVM's). Every call of the hop must be ruled out; a call written in a header (a
    template the source file includes) is not."""
    g = graph(sc)
    hops = bool_hops(sc, dg, nodes)
    for i, (a, b, calls) in enumerate(hops):
        if dg.edge(a, b).kind not in ("direct", "macro"):  # (through a pointer: any file's
            continue  # static; a macro's call is written where it is used)
        if i + 1 < len(hops):
            there = {x.blob_id for x in hops[i + 1][2]}
        elif end is not None:
            there = {end[0]}
        else:
            continue
        if all(g.private_file(c.path) and c.blob_id != bid and g.static_in(b, bid)
               for c in calls for bid in there):
            return {(a, b)}
    return set()


def _switch_clash(sc: Scope, dg: Digraph, nodes: list[str],
                  end: tuple[int, int, int] | None) -> set[tuple[str, str]]:
    """A call passing a named constant for a parameter its callee switches on, where the path
    goes on under other case labels of that switch: `apicSetInterruptFF(pVCpu,
    PDMAPICIRQ_UPDATE_PENDING)` does not reach `case PDMAPICIRQ_HARDWARE:` there (any
    constant, no profile prefix needed). Every parallel call into the callee, and every
    parallel call out of it, must be ruled out."""
    from vmxref.queries import guards
    hops = bool_hops(sc, dg, nodes)
    usable = guards.usable(sc, hops)
    for i, (calls, left) in enumerate(zip(switch_usable(sc, hops, usable, end), usable)):
        if left and not calls:  # (none left by the guards: _bool_clash names the edge that
            return {hops[i][:2]}  # fixed the value they contradict)
    return set()


def switch_usable(sc: Scope, hops: list[tuple[str, str, list[Edge]]],
                  usable: list[list[Edge]],
                  end: tuple[int, int, int] | None = None) -> list[list[Edge]]:
    """Per hop, the calls of `usable` (those no known value rules out: guards.usable) that
    no switch further down sends elsewhere either (_switch_rules_out), from the path's end
    back: each check alone may leave a call, and none be left by both (the PIC's
    ClearInterruptFF reaches APICLocalInterrupt's EXTINT calls only with a level of 1, and
    its NMI call passes PDMAPICIRQ_NMI, which `case PDMAPICIRQ_EXTINT:` does not take). The
    last hop is checked against `end` (blob, line, col) when given."""
    params = graph(sc).params
    out: list[list[Edge]] = [list(u) for u in usable]
    for i in range(len(hops) - 1, -1, -1):
        b = hops[i][1]
        if i + 1 < len(hops):
            places = [(x.blob_id, x.line) for x in out[i + 1] or hops[i + 1][2]]
        elif end is not None:
            places = [(end[0], end[1])]
        else:
            continue
        out[i] = [e for e in out[i] if not all(
            _switch_rules_out(sc, e, b, bid, line, params(b)) for bid, line in places)]
    return out


def _switch_rules_out(sc: Scope, e: Edge, func: str, bid: int, line: int,
                      params: list[str]) -> bool:
    """Does the call `e` pass a constant that the switch governing `line` of `func` (on one
    of its parameters) sends elsewhere?"""
    if e.kind not in ARG_EDGES:
        return False
    group, top = governing(sc, bid, func, line)
    if not group or "*" in group:
        return False
    var = switch_on(sc, bid, top)
    if not var or var not in params:
        return False
    args = callsite.args(sc, e)
    k = params.index(var)
    c = args[k].strip() if k < len(args) else ""
    number = c_int(c)
    if number is not None:  # `ops->set_cr(ctxt, 0, cr0)`: `case 0:` only, in a switch of numbers
        labels = {c_int(v) for v in own_labels(sc, bid, func) if v != "default"}
        return bool(labels) and None not in labels and \
            number not in {c_int(v) for v in group} and ("default" not in group or number in labels)
    if not c.isidentifier() or c in group:
        return False
    passed = _switched_values(sc, e, c)
    if passed:  # (the caller's own switch variable, under its case labels: those values)
        if "default" in group:
            return all(v in own_labels(sc, bid, func) for v in passed)
        return not set(passed) & set(group)
    if "default" in group:  # (any value without a case of its own gets there)
        return c in own_labels(sc, bid, func)
    return c in own_labels(sc, bid, func) or sc.has_sym(c, ("enumerator", "macro"))


def _switched_values(sc: Scope, e: Edge, name: str) -> tuple[str, ...]:
    """The values a variable `name` handed on by call `e` can have there when the call is
    under `case` labels of a switch on that very variable (APICLocalInterrupt's `case
    XAPICDELIVERYMODE_SMI: case XAPICDELIVERYMODE_NMI:` ... `apicSendIntr(..,
    enmDeliveryMode, ..)`), and nothing in between assigns it; () when unknown."""
    group, top = governing(sc, e.blob_id, e.caller, e.line)
    if not group or "*" in group or "default" in group or switch_on(sc, e.blob_id, top) != name:
        return ()
    if sc.conn.execute("SELECT 1 FROM assign WHERE blob_id = ? AND func = ? AND line BETWEEN ? "
                       "AND ? AND chain = ?", (e.blob_id, e.caller, top, e.line,
                                               f'["v:{name}"]')).fetchone():
        return ()
    return group


def _bool_clash(sc: Scope, dg: Digraph, nodes: list[str],
                end: tuple[int, int, int] | None) -> set[tuple[str, str]]:
    """guards.clash over the path's hops, each with every call a -> b of its kind."""
    from vmxref.queries import guards
    return guards.clash(sc, bool_hops(sc, dg, nodes), end)


def bool_hops(sc: Scope, dg: Digraph, nodes: list[str]) -> list[tuple[str, str, list[Edge]]]:
    """(a, b, every call a -> b of the path edge's kind) for each hop of a path."""
    g, memo = graph(sc), sc.memo("bool_hops")
    hops = []
    forced = getattr(dg, "forced", None)  # (a path shown per call of its last hop)
    for a, b in zip(nodes, nodes[1:]):
        e = dg.edge(a, b)
        if (a, b) == forced:
            hops.append((a, b, [e]))
            continue
        key = (a, b, e.kind)
        if key not in memo:
            memo[key] = [x for x in g.into(b)
                         if x.caller == a and x.kind == e.kind and x.origin is None]
        hops.append((a, b, memo[key] or [e]))
    return hops


def _deferred_clash(sc: Scope, dg: Digraph, nodes: list[str]) -> set[tuple[str, str]]:
    """A deferred hop (a request raised in a, tested in b) followed by a call of b that the
    test of that request does not guard: the path edges are kept per pair of functions, so
    a raise of KVM_REQ_CLOCK_UPDATE into vcpu_enter_guest must not go on through the
    handler of another request there."""
    for i in range(len(nodes) - 2):
        a, b, c = nodes[i:i + 3]
        e = dg.edge(a, b)
        if e.kind != "deferred" or "tested in" in e.via:
            continue
        nxt = dg.edge(b, c)
        guarded = {(d.caller, d.line, d.via) for d in deferred_into(sc, b, nxt.line)}
        if (e.caller, e.line, e.via) not in guarded:
            return {(a, b)}
    return set()


_STORED_FROM = re.compile(r"set from parameter (\w+) of (\w+) at ")


def _handed_clash(sc: Scope, dg: Digraph, nodes: list[str]) -> set[tuple[str, str]]:
    """A hop through a member a function stored from its parameter (VMR3ReqCallVU's
    `pReq->u.Internal.pfn = pfnFunction`, called in vmR3ReqProcessOne) on a path that came
    through that storing function: the member holds what the path handed it, so the hop
    goes only to that function. VMMR3EmtRendezvous queues `(PFNRT)VMMR3EmtRendezvous`
    through VMR3ReqCallWait: the queue then runs VMMR3EmtRendezvous, not the
    tmR3SetWarpDrive that TMR3SetWarpDrive queues. The argument is followed up the path
    through the parameters that hand it on; a path that did not come through the storing
    function (an EMT loop running what any thread queued), or an argument that is no
    function's name, rules nothing out."""
    g = graph(sc)
    for i in range(1, len(nodes) - 1):
        a, b = nodes[i], nodes[i + 1]
        e = dg.edge(a, b)
        if e.kind != "pointer" or e.origin is not None:
            continue
        m = _STORED_FROM.search(e.via or "")
        if not m or m.group(2) not in nodes[:i + 1]:
            continue
        name, k = m.group(1), max(j for j in range(i + 1) if nodes[j] == m.group(2))
        while k > 0 and name:
            ps = g.params(nodes[k])
            if name not in ps:
                break
            idx = ps.index(name)
            x = dg.edge(nodes[k - 1], nodes[k])
            if x.kind not in ARG_EDGES:
                break
            args = callsite.args(sc, x)
            if idx >= len(args):
                break
            arg = bare(args[idx])
            if arg in g.params(nodes[k - 1]):
                name, k = arg, k - 1
                continue
            if arg != b and _WORD.fullmatch(arg) and g.is_function(arg):
                return {(a, b)}
            break
    return set()


def _group_clash(sc: Scope, dg: Digraph, nodes: list[str],
                 end: tuple[int, int, int] | None = None) -> set[tuple[str, str]]:
    """The hop where a path can no longer keep to one group of a partition (see
    _group_state)."""
    clash = _group_state(sc, dg, nodes, end)[0]
    return {clash} if clash is not None else set()


def _group_state(sc: Scope, dg: Digraph, nodes: list[str],
                 end: tuple[int, int, int] | None = None) -> tuple:
    """(the hop where the path can no longer keep to one group of a partition or None, the
    groups of each partition it may keep to (None: any), the partitions). Partitions: the
    profile's [entry] exclusive_paths (VMX and SVM code: a CPU runs one of them) and each
    of its exclusive_sets (the architectures of a kernel; user-space tools and the kernel).
    A call is in the group of its file and of the table it is bound in; a hop may take any
    of its calls (kvm_arch_vcpu_ioctl_run calls vcpu_load in arm64's and in x86's); a hop
    with a call in no group of the partition (common code) keeps every group open. Where
    the path ends is in a group of each exclusive_sets partition too: the site (`end`),
    else a definition of the last function."""
    parts = partitions(sc)
    allowed = [None] * len(parts)
    if len(parts) > 1 and len(nodes) > 1:
        allowed = end_groups(sc, [end[0]] if end is not None else sc.definitions(nodes[-1]))
    for a, b, calls in bool_hops(sc, dg, nodes) if parts else ():
        groups_of = [_call_groups(sc, c) for c in calls]
        for k in range(len(parts)):
            hop: set[int] = set()
            for got in groups_of:
                if not got[k]:
                    break  # (a call of common code: any group goes on)
                if len(got[k]) == 1:  # (in the group of one file and of another's table:
                    hop |= got[k]  # none)
            else:
                allowed[k] = hop if allowed[k] is None else allowed[k] & hop
                if not allowed[k]:
                    return (a, b), allowed, parts
    return None, allowed, parts


def partitions(sc: Scope) -> list[list[list[str]]]:
    """The profile's [entry] exclusive_paths and exclusive_sets partitions (non-empty)."""
    entry = profile_section(sc, "entry")
    return [p for p in [entry.get("exclusive_paths", []), *entry.get("exclusive_sets", [])] if p]


def end_groups(sc: Scope, places: list[int]) -> list[set[int] | None]:
    """Per partition, the groups a path may keep to that ends in one of these blobs (a site,
    or the definitions of the function it ends in); None: any (exclusive_paths always: a
    site in VMX code may be reached from the common code of either)."""
    memo = sc.memo("end_groups")
    key = tuple(places)
    if key not in memo:
        parts = partitions(sc)
        out: list[set[int] | None] = [None] * len(parts)
        where = [next((p for _c, p in sc.files_of(bid)), "") for bid in places]
        for k, groups in enumerate(parts[1:], 1):
            got = [_groups_of(groups, [w]) for w in where]
            if where and all(got):
                out[k] = {g[0] for g in got}
        memo[key] = out
    return [None if x is None else set(x) for x in memo[key]]  # (the caller's to narrow)


def _group_fits(sc: Scope, e: Edge, parts: list, allowed: list) -> bool:
    """Is the call `e` in a group (or none) of each partition that the path may keep to?"""
    for got, ok in zip(_call_groups(sc, e), allowed):
        if ok is not None and got and (len(got) > 1 or not got <= ok):
            return False
    return True


def _call_groups(sc: Scope, e: Edge) -> tuple[frozenset[int], ...]:
    """Per partition, the groups of a call's file and of the table it is bound in."""
    memo = sc.memo("call_groups")
    key = (e.path, e.bound[1] if e.bound else "")
    got = memo.get(key)
    if got is None:
        got = memo[key] = tuple(frozenset(_groups_of(groups, key)) for groups in partitions(sc))
    return got


def _case_clash(sc: Scope, dg: Digraph, nodes: list[str], last: str = "") -> set[tuple[str, str]]:
    """The value a switch dispatches on, followed along the path per family of case
    constants: a call that passes a constant (`__kvm_set_msr(vcpu, MSR_IA32_XSS, ...)`) or a
    hop under `case X` fixes it; a later hop under `case Y` of the same family (`case
    MSR_IA32_TSC_ADJUST`, or `vmx_set_msr [case MSR_EFER] -> kvm_set_msr_common [case
    HV_X64_MSR_TSC_EMULATION_STATUS]`) cannot be reached until a call passes another
    constant of it. The edge that fixed the contradicted value is the clash (the later one
    may be right on another route)."""
    prefixes = case_prefixes(sc)
    if not prefixes:
        return set()
    fam, declared = families(sc, prefixes)
    chosen = list(chosen_sites(sc, dg, nodes, last, prefixes))
    edges = [(a, b, e) for (a, b), (e, _l) in zip(zip(nodes, nodes[1:]), chosen)]
    labels = [label[5:] for _e, label in chosen] + [last]
    stacked = [set(case_values(sc, e.blob_id, e.caller, e.line, prefixes)) | {lab}
               for (_a, _b, e), lab in zip(edges, labels)] + [{last}]
    # family -> (values, the edge that fixed them, the names that carry a passed value in
    # the function reached, None for a value fixed by a case label); a case label fixes the
    # value only for the families the profile declares one value ([entry] case_families:
    # MSR indices), as KVM_ names ioctls and the attribute types of their own switches alike
    current: dict[str, tuple[frozenset[str], tuple[str, str], frozenset[str] | None]] = {}
    params = graph(sc).params

    def clash_at(e: Edge | None, label: str, stack: set[str]) -> tuple[str, str] | None:
        """The edge that fixed a value this site (`e` under `label`) contradicts, or None."""
        f = fam(label) if label else ""
        if f and "*" in stack:  # a case range: any value may pass, none is fixed...
            if f in current and e is not None and not stack & current[f][0] and (
                    current[f][0] <= own_labels(sc, e.blob_id, e.caller)
                    or in_ranges(sc, e, current[f][0]) is False):
                return current[f][1]  # ... but one with a case of its own in that switch
                # (MSR_IA32_XSS has `case MSR_IA32_XSS:` in kvm_set_msr_common: C case values
                # are distinct, so it never falls into the HV_X64_MSR_* range there), or
                # one the ranges' #defined bounds leave out
            return None
        if f:
            group = frozenset(v for v in stack if v and fam(v) == f)
            return current[f][1] if f in current and not group & current[f][0] else None
        if e is not None:  # under `default:`: no value with a case of its own gets there
            grp, _top = governing(sc, e.blob_id, e.caller, e.line)
            if grp and all(v == "default" for v in grp):
                own = own_labels(sc, e.blob_id, e.caller)
                for values, fixed, _names in current.values():
                    if values and values <= own:
                        return fixed
        return None

    others, swapped = None, False
    for i, label in enumerate(labels):
        here = edges[i][:2] if i < len(edges) else None
        e = edges[i][2] if here is not None else None
        hit = clash_at(e, label, stacked[i])
        if hit is not None and e is not None:  # another call of that pair may agree (vmx_set_msr
            # calls kvm_set_msr_common under `case MSR_EFER` and under `default:`)
            others = bool_hops(sc, dg, nodes) if others is None else others
            for alt in sorted(others[i][2], key=lambda x: (x.path, x.line, x.col)):
                if alt is e:
                    continue
                alabel = edge_case(sc, alt, prefixes)[5:]
                astack = set(case_values(sc, alt.blob_id, alt.caller, alt.line, prefixes)) | {alabel}
                if clash_at(alt, alabel, astack) is None:
                    e, label, stacked[i], hit = alt, alabel, astack, None
                    edges[i] = (*here, alt)
                    chosen[i] = (alt, f"case {alabel}" if alabel else "")
                    swapped = True
                    break
        if hit is not None:
            return {hit}
        f = fam(label) if label else ""
        if f and "*" in stacked[i]:
            current.pop(f, None)
        elif f and here is not None and f in declared:
            current[f] = (frozenset(v for v in stacked[i] if v and fam(v) == f), here, None)
        if here is None:
            continue
        passed: dict[str, set[str]] = {}
        if e.kind in ARG_EDGES:  # (`ctxt->ops->get_msr(ctxt, MSR_IA32_TSC, &tsc)` too)
            for c in passed_constants(sc, e, prefixes):
                passed.setdefault(fam(c), set()).add(c)
        for pf, (values, fixed, names) in list(current.items()):
            if names is not None and pf not in passed:  # (a value handed on, or not)
                got = _carried(sc, e, names, params(e.callee))
                if got:
                    current[pf] = (values, fixed, got)
                else:
                    del current[pf]
        for pf, values in passed.items():
            current[pf] = (frozenset(values), here, _carried(sc, e, values, params(e.callee)))
    if swapped:  # (the hops shown are the calls that agree)
        sc.memo("case_sites")[_sites_key(dg, nodes, last)] = chosen
    return set()


def _carried(sc: Scope, e: Edge, names, params: list[str]) -> frozenset[str]:
    """The parameters of the callee of `e` that receive one of `names` (constants, or the
    caller's parameters that hold one): an argument that mentions it, or the address of a
    local struct one of whose members was set to it (`msr.index = index; ...
    kvm_x86_set_msr(vcpu, &msr)`). A constant passed to kvm_apic_local_deliver(apic,
    APIC_LVTT) selects the LVT register there; the delivery mode that __apic_accept_irq
    switches on is read from it, not handed on, so APIC_LVTT says nothing of that switch."""
    if e.kind not in ARG_EDGES:
        return frozenset()
    args = callsite.args(sc, e)
    out = set()
    for k, a in enumerate(args[:len(params)]):
        words = set(_WORD.findall(a))
        if words & names:
            out.add(params[k])
            continue
        m = _ADDRESS_OF.fullmatch(a.strip())
        if m and any(v.strip() in names for _m, v in callsite.member_assigns(sc, e, m.group(1))):
            out.add(params[k])
    return frozenset(out)


_WORD = re.compile(r"[A-Za-z_]\w*")
_ADDRESS_OF = re.compile(r"&\s*([A-Za-z_]\w*)")


def _table_clash(sc: Scope, dg: Digraph, nodes: list[str]) -> set[tuple[str, str]]:
    """Edges of the path through a table of a struct other than the first one it uses (the
    table that binds the path's first function, if one does, comes first)."""
    first: dict[str, str] = {}
    for slot, cont, where in graph(sc).bindings_of(nodes[0]):
        if cont:
            first.setdefault(cont, where.rpartition(":")[0])
    clash = set()
    for a, b in zip(nodes, nodes[1:]):
        e: Edge = dg.edge(a, b)
        if e.bound is None:
            continue
        table, where = e.bound
        if first.setdefault(table, where) != where:
            clash.add((a, b))
    return clash


def limited(it, n: int) -> list:
    out = []
    for x in it:
        out.append(x)
        if len(out) >= n:
            break
    return out
