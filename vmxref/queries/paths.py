"""Entry points and call paths: `| paths [from entry|FUNC] [depth N]` and `path A -> B`.

The graph is explored lazily from the site backwards (callers, indirect edges, and deferred
request edges), so a query touches only the neighbourhood it needs; vmxref.queries.shortest
finds the shortest paths in the explored subgraph. `path A -> B` stops
exploring a few levels after it first reaches A: the paths it reports are the shortest ones.
"""
from __future__ import annotations

import heapq
import os
import json
import re

from vmxref.errors import VmxrefError
from vmxref.model import Hop, Site
from vmxref.queries import callsite
from vmxref.queries.base import Scope
from vmxref.queries.edges import Edge, _profile_section, graph
from vmxref.queries.requests import deferred_into
from vmxref.queries.shortest import Digraph, NoPath

MAX_PATHS_PER_SITE = 4
MAX_NODES = 4000
MAX_RETRY_LEN = 12  # `path A -> B` when every path near the shortest is infeasible
PATH_SLACK = 2  # `path A -> B`: levels explored beyond the one where A is first reached
#                (unless `max N` is given: then every path up to N calls)


class Entries:
    """Decides whether a function is an entry point, per the profile's [entry] rules."""

    def __init__(self, sc: Scope):
        self.sc = sc
        self.rules = _profile_section(sc, "entry")
        self.g = graph(sc)
        self._memo: dict[str, str] = {}

    def kind(self, func: str) -> str:
        """Entry kind of `func` ('' when it is not an entry point)."""
        if func not in self._memo:
            self._memo[func] = self._kind(func)
        return self._memo[func]

    def _kind(self, func: str) -> str:
        r = self.rules
        if func in r.get("functions", []):
            return "entry"
        members = r.get("members", {})
        bound = self.g.bindings_of(func)
        for slot, _cont, _where in bound:
            if slot in members:
                return members[slot]
        regs = r.get("registrars", {})
        tr = self.g.types
        for cid, path, bid, line, caller, _bare in sorted(self.g.value_refs(func)):  # first wins
            if caller and tr.local_type(bid, caller, func) is not None:
                continue  # a parameter or local of that name, not the function
            for callee, args in self.sc.conn.execute(
                    "SELECT callee, args FROM call WHERE blob_id = ? AND func = ? AND line <= ? "
                    "AND end_line >= ?", (bid, caller or "", line, line)):
                if callee in regs:
                    idx, kind = regs[callee]
                    a = [x.lstrip("&").strip() for x in json.loads(args)]
                    if (idx < 0 and func in a) or (0 <= idx < len(a) and a[idx] == func):
                        return kind
        decl = r.get("decl_macros", {})
        if decl:
            for (mname,) in self.sc.conn.execute(
                    "SELECT r.name FROM sym s JOIN ref r ON r.blob_id = s.blob_id AND r.line = s.line "
                    "AND r.kind = 'macro' WHERE s.name = ? AND s.kind = 'function'", (func,)):
                if mname in decl:
                    return decl[mname]
        members_bound = [b for b in bound if b[1] is not None]
        if r.get("unbound_member_callbacks") and members_bound and not self.g.has_callers(func):
            slot, cont, _ = members_bound[0]
            return f"callback {cont}.{slot}"
        return ""


def _case_label(sc: Scope, blob_id: int, func: str, line: int, prefixes: list[str]) -> str:
    """The `case X:` governing a line of a function, when X has one of the profile's
    prefixes: the nearest case above it whose switch is still open there (a switch that
    closed before it, or an inner one, governs nothing there)."""
    values = _case_values(sc, blob_id, func, line, prefixes)
    return f"case {values[0]}" if values else ""


_ONLY_LABELS = re.compile(r"\s*(?:(?:case\b[^:]*|default\s*):\s*|/\*.*?\*/\s*|//.*)*")


def _case_values(sc: Scope, blob_id: int, func: str, line: int,
                 prefixes: list[str]) -> tuple[str, ...]:
    """The constants of the `case` labels governing a line (see _case_label), the nearest
    first, with the labels stacked above it (`case HV_X64_MSR_REFERENCE_TSC: ... case
    HV_X64_MSR_TSC_EMULATION_STATUS:` lead to the same code); () when none has a prefix."""
    if not prefixes:
        return ()
    memo = sc.memo("_case_labels")
    key = (blob_id, func, line)
    if key not in memo:
        memo[key] = ()
        rows = sc.conn.execute(
            "SELECT value, line FROM kase WHERE blob_id = ? AND func = ? AND line <= ? "
            "ORDER BY line DESC LIMIT 64", key).fetchall()
        lines = sc.store.lines(blob_id)
        for i, (value, kline) in enumerate(rows):
            if _still_open(lines, kline, line):
                group, top = [value], kline
                for value2, kline2 in rows[i + 1:]:  # stacked: only labels in between
                    if not all(_ONLY_LABELS.fullmatch(t) for t in lines[kline2 - 1:top - 1]):
                        break
                    group.append(value2)
                    top = kline2
                if any(v.startswith(p) for v in group for p in prefixes):
                    if any("..." in t for t in lines[top - 1:kline]):
                        group.append("*")  # a range (`case A ... B:`): any value may be in it
                    memo[key] = tuple(group)
                break
    return memo[key]


def _edge_case(sc: Scope, e: Edge, prefixes: list[str]) -> str:
    """The case label governing the call of an edge."""
    return _case_label(sc, e.blob_id, e.caller, e.line, prefixes)


_NOT_BRACES = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//.*|/\*.*?\*/')


_DEFAULT = re.compile(r"\bdefault\s*:")


def _still_open(lines: list[str], case_line: int, line: int) -> bool:
    """Does the block holding the `case` on `case_line` stay open down to `line`, with no
    `default:` of that switch in between (the line is under the case)?"""
    depth = 0
    for k, text in enumerate(lines[case_line - 1:line - 1]):
        text = _NOT_BRACES.sub("", text)
        if k and depth == 0 and _DEFAULT.search(text):
            return False
        for ch in text:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth < 0:
                    return False
    return True


WEIGHTS = {"direct": 1.0, "static-call": 1.0, "ops-table": 1.0, "pointer": 1.2,
           "registered": 1.5, "deferred": 2.5, "macro": 1.0, "queued": 2.0}
WEAK_ENTRIES = ("exported",)  # internal APIs: sources of paths, but exploration goes on


def is_strong(kind: str) -> bool:
    """Entries from outside the code (ioctl, MSR, notifier, ...) stop the backward search."""
    return bool(kind) and kind not in WEAK_ENTRIES


def _in_edges(sc: Scope, f: str, at: int, chains: bool = False) -> list[tuple[Edge, float]]:
    """(edge, weight) of every call into `f` a backward search crosses: call, indirect and
    deferred edges (a deferred edge — request raised elsewhere, tested here — only for the
    requests whose test guards `at`, the line of `f` the path goes through)."""
    out = []
    for e in graph(sc).into(f) + deferred_into(sc, f, at):
        if e.origin is not None:  # through a parameter: the path goes through the passing call
            e = e.origin
        if not e.caller or e.caller == f:
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


def _explore_back(sc: Scope, target: str, line: int, depth: int, start: str,
                  slack: int | None = None, chains: bool = False) -> Digraph:
    """Backward BFS from `target` (at `line`) towards `start`, `depth` calls deep. With
    `slack`, exploration ends `slack` levels after the level where `start` is first reached."""
    dg = Digraph()
    dg.add_node(target)
    frontier = [(target, line)]
    level = 0
    g = graph(sc)
    while level < depth:
        level += 1
        nxt = []
        g.prefetch(f for f, _at in frontier if f != start)
        for f, at in frontier:
            if f == start and f != target:
                continue
            for e, w in _in_edges(sc, f, at, chains):
                if e.caller not in dg:
                    nxt.append((e.caller, e.line))
                if not dg.has_edge(e.caller, f):
                    dg.add_edge(e.caller, f, w, e)
            if len(dg) > MAX_NODES:
                return dg
        if slack is not None and start in dg and depth > level + slack:
            depth = level + slack
        frontier = nxt
    return dg


def _hops(sc: Scope, dg: Digraph, nodes: list[str], site: Site, entries: Entries,
          prefixes: list[str], last: str = "") -> list[Hop]:
    hops = []
    for a, (e, case) in zip(nodes, _chosen_sites(sc, dg, nodes, last, prefixes)):
        via = e.via if e.kind != "direct" else ""
        if case:
            via = f"{case}; {via}" if via else case
        hops.append(Hop(a, e.path, e.line, e.kind, via, entries.kind(a) if not hops else ""))
    hops.append(Hop(site.function, site.file, site.line, entry="" if hops else entries.kind(site.function)))
    return hops


def _chosen_sites(sc: Scope, dg: Digraph, nodes: list[str], last: str,
                  prefixes: list[str]) -> list[tuple[Edge, str]]:
    """(call, its case label) for each hop of a path: of parallel calls a -> b, the one the
    case label further down the path allows (_call_site); `last` is the case of the path's
    end. The feasibility check and the hops shown use the same choice."""
    from vmxref.queries import guards
    usable = guards.usable(sc, _bool_hops(sc, dg, nodes))  # (not ruled out by a constant)
    chosen: list[tuple[Edge, str]] = []
    after = f"case {last}" if last else ""
    for i, (a, b) in reversed(list(enumerate(zip(nodes, nodes[1:])))):
        allowed = {(x.blob_id, x.line, x.col) for x in usable[i]}
        e = dg.edge(a, b)
        if allowed and (e.blob_id, e.line, e.col) not in allowed:
            e = usable[i][0]
        e, case = _call_site(sc, e, a, b, after, prefixes, allowed)
        chosen.append((e, case))
        after = case or after
    return chosen[::-1]


def _call_site(sc: Scope, e: Edge, a: str, b: str, after: str,
               prefixes: list[str], allowed: set | None = None) -> tuple[Edge, str]:
    """Of the calls a -> b, the one a path through `after` (the case label of the next call
    down) can take: vmx_set_msr calls kvm_set_msr_common under `case MSR_EFER` and under
    `default`; a path that goes on under `case MSR_IA32_TSC` came through the default.
    Prefers the call under that same case, then one under no case of its family, then the
    first; returns the call and its case label."""
    fam = _families(sc, prefixes)[0]
    case = _edge_case(sc, e, prefixes)
    if not after or not case or fam(case) != fam(after) or case == after:
        return e, case
    stacked = _case_values(sc, e.blob_id, e.caller, e.line, prefixes)
    if after[5:] in stacked:  # one call under several labels: the one the path goes on with
        return e, after
    if "*" in stacked:  # ... or the range it may be in (`case STIMER0_CONFIG ... STIMER3_COUNT`)
        rng = _range_label(sc, e, after[5:])
        if rng:
            return e, rng
    best = None
    for other in _in_edges(sc, b, 0):
        o = other[0]
        if o.caller != a or o.kind != e.kind or (allowed and (o.blob_id, o.line, o.col)
                                                 not in allowed):
            continue
        label = _edge_case(sc, o, prefixes)
        if label == after:
            return o, label
        if best is None and fam(label) != fam(after):
            best = (o, label)
    return best or (e, case)


_RANGE = re.compile(r"\bcase\s+([A-Za-z_]\w*)\s*\.\.\.\s*([A-Za-z_]\w*)\s*:")


def _range_label(sc: Scope, e: Edge, value: str) -> str:
    """Of the `case A ... B:` labels stacked above a call (the lines of labels only, as in
    _case_values), the one whose ends share the longest prefix with `value` (names, not
    numbers, are known), as `case A ... B`."""
    lines = sc.store.lines(e.blob_id)
    best, score = "", 0
    i = e.line - 1  # (1-based: the line above the call)
    while 0 < i <= len(lines) and e.line - i < 40 and _ONLY_LABELS.fullmatch(lines[i - 1]):
        for m in _RANGE.finditer(lines[i - 1]):
            n = max(len(os.path.commonprefix([value, m.group(1)])),
                    len(os.path.commonprefix([value, m.group(2)])))
            if n > score:
                best, score = f"case {m.group(1)} ... {m.group(2)}", n
        i -= 1
    return best


def _family(label: str, prefixes: list[str]) -> str:
    """The profile prefix a case label's constant has (`MSR_` for `case MSR_EFER`)."""
    value = label[5:] if label.startswith("case ") else label
    return max((p for p in prefixes if value.startswith(p)), key=len, default="")


def attach(sc: Scope, sites: list[Site], start: str | None = None, depth: int = 6) -> list[Site]:
    """Attach to every site the shortest call paths from entry points (or from `start`)."""
    entries = Entries(sc)
    prefixes = case_prefixes(sc)
    for s in sites:
        if not s.function:
            s.paths = []
            continue
        last = _site_case(sc, s)
        blobs = sc.blobs_of(s.file)
        end = (blobs[0], s.line, s.col) if blobs else None
        for chains in (False, True):  # chains of requests only when nothing else leads there
            if start is not None:
                dg = _explore_back(sc, s.function, s.line, depth, start, chains=chains)
                sources = [start] if start in dg else []
            else:
                dg, sources = _explore_nearest(sc, s.function, s.line, depth, entries,
                                               STRONG_SOURCES, chains)
            found = []
            for src in sources:
                try:
                    cost, nodes = _feasible_path(sc, dg, src, s.function, last, end)
                except NoPath:
                    continue
                found.append((not is_strong(entries.kind(src)), cost, nodes))
            if found:
                break
        found.sort()
        found = [p for _w, _c, p in found]
        s.paths = [_hops(sc, dg, p, s, entries, prefixes, last) for p in _diverse(found)]
    return sites


STRONG_SOURCES = 4 * MAX_PATHS_PER_SITE  # enough for _diverse to pick from


def _explore_nearest(sc: Scope, target: str, line: int, depth: int, entries: Entries,
                     want: int, chains: bool = False) -> tuple[Digraph, list[str]]:
    """Best-first backward search from `target` (at `line`) over call, indirect and deferred
    edges: functions in order of path weight, at most `depth` calls away, strong entries not
    crossed; ends once `want` strong entries are found. Returns the explored graph and the
    entries in the order found (nearest first). A site deep in the vCPU loop has thousands of
    callers within six calls: only the nearest are looked at (each costs a few look-ups)."""
    dg = Digraph()
    dg.add_node(target)
    best = {target: 0.0}
    heap = [(0.0, 0, 0, target, line)]  # (weight, tie, calls, function, line the path uses)
    done: set[str] = set()
    found: list[str] = []
    strong = 0
    tie = 1
    while heap and strong < want and len(dg) <= MAX_NODES:
        d, _, hops, f, at = heapq.heappop(heap)
        if f in done:
            continue
        done.add(f)
        kind = entries.kind(f)
        if kind:
            found.append(f)
            if is_strong(kind) and f != target:
                strong += 1
                continue  # an entry from outside the code: the path starts here
        if hops >= depth:
            continue
        edges = _in_edges(sc, f, at, chains)
        if hops + 1 < depth:  # the callers are the next functions the search looks at
            graph(sc).prefetch(e.caller for e, _w in edges if e.caller not in done)
        for e, w in edges:
            if not dg.has_edge(e.caller, f):
                dg.add_edge(e.caller, f, w, e)
            if e.caller not in done and d + w < best.get(e.caller, float("inf")):
                best[e.caller] = d + w
                heapq.heappush(heap, (d + w, tie, hops + 1, e.caller, e.line))
                tie += 1
    return dg, found


def _diverse(paths: list[list[str]]) -> list[list[str]]:
    """Shortest paths first, at most one per entry and per first hop after the entry."""
    out, seen = [], set()
    for p in paths:
        key = p[1] if len(p) > 1 else p[0]
        if key in seen and len(out) >= 2:
            continue
        seen.add(key)
        out.append(p)
        if len(out) >= MAX_PATHS_PER_SITE:
            break
    return out


def path_query(sc: Scope, src: str, dst: str, max_len: int = 8,
               slack: int | None = PATH_SLACK) -> list[Site]:
    """Call paths from function `src` to function `dst` (shortest first, up to 5); with
    `slack`, only paths at most `slack` calls longer than the shortest one are looked for."""
    sc.require(src)
    sc.require(dst)
    if src == dst:
        raise VmxrefError(f"path {src} -> {dst}: the two ends are the same function; "
                          f"`callers {src}` shows whether anything calls it back")
    entries = Entries(sc)
    prefixes = case_prefixes(sc)
    # chains of requests only when nothing else leads there; when every path found near
    # the shortest is infeasible (efer_trap passes MSR_EFER, the case is MSR_IA32_TSC_...),
    # longer ones are looked for (up to MAX_RETRY_LEN calls)
    def search(chains: bool, length: int, sl: int | None):
        dg = _explore_back(sc, dst, 0, length, src, slack=sl, chains=chains)
        return dg, (_limited((p for p in _limited(dg.shortest_simple_paths(src, dst), 40)
                              if not _clash(sc, dg, p)), 5) if src in dg else [])

    for chains in (False, True):
        dg, found = search(chains, max_len, slack)
        if not found and slack is not None and not chains and max_len < MAX_RETRY_LEN:
            # only infeasible paths near the shortest: every path up to MAX_RETRY_LEN calls;
            # none within max_len calls: the shortest up to MAX_RETRY_LEN (a ring-0 WRMSR exit
            # reaches the APIC timer's ring-0 helper in 9 calls)
            dg, found = search(chains, MAX_RETRY_LEN, None if src in dg else slack)
        if found:
            break
    out = []
    for nodes in found:
        if len(nodes) < 2:
            continue
        last: Edge = _chosen_sites(sc, dg, nodes, "", prefixes)[-1][0]
        name, version = sc.store.corpus_label(last.cid)
        site = Site("path", name, version, last.path, last.line, last.col, last.caller, dst,
                    sc.store.line_text(last.blob_id, last.line), {"length": len(nodes) - 1})
        where = _definition(sc, dst, last.cid) or (last.path, last.line, last.col)
        end = Site("path", name, version, *where, dst, dst, "")  # (the target where it is defined)
        site.paths = [_hops(sc, dg, nodes, end, entries, prefixes)]
        out.append(site)
    return out


def _site_case(sc: Scope, s: Site) -> str:
    """The case label (without `case `) governing a result's own line, '' if none."""
    blobs = sc.blobs_of(s.file)
    return _case_label(sc, blobs[0], s.function, s.line, case_prefixes(sc))[5:] if blobs else ""


RETRY_PATHS = 20  # simple paths tried when banning clashing edges left none


def _feasible_path(sc: Scope, dg: Digraph, src: str, dst: str, last: str = "",
                   end: tuple[int, int, int] | None = None) -> tuple[float, list[str]]:
    """The least-weight feasible path (see _clash): one table of each function-table struct
    (a path from vmx_handle_exit does not go on through svm_x86_ops.set_msr), no constant
    passed that a `case` further down does not take. NoPath when there is none (an
    infeasible path is not shown as one)."""
    banned: set[tuple[str, str]] = set()
    for _ in range(8):
        try:
            cost, nodes = dg.shortest_path(src, dst, banned_edges=banned)
        except NoPath:
            break
        clash = _clash(sc, dg, nodes, last, end)
        if not clash:
            return cost, nodes
        banned |= clash
    if banned:  # a banned edge may be right on another route (the edge that fixed a value
        # a later branch contradicts is the only way out of `src`): the next shortest paths
        for nodes in _limited(dg.shortest_simple_paths(src, dst), RETRY_PATHS):
            if not _clash(sc, dg, nodes, last, end):
                return dg.weight(nodes), nodes
    raise NoPath(f"{src} -> {dst}")


def _clash(sc: Scope, dg: Digraph, nodes: list[str], last: str = "",
           end: tuple[int, int, int] | None = None) -> set[tuple[str, str]]:
    """Edges that make a path infeasible: another table of a struct (_table_clash), a call
    passing a constant that a `case` further down does not take (_case_clash; `last`: the
    case of the path's end), or a value a branch further down contradicts (guards.clash;
    `end`: blob, line and column of the site the path ends at)."""
    from vmxref.queries import contexts
    return (_table_clash(sc, dg, nodes) | _case_clash(sc, dg, nodes, last)
            | _group_clash(sc, dg, nodes) | contexts.clash(sc, dg, nodes, end)
            | _deferred_clash(sc, dg, nodes) or _bool_clash(sc, dg, nodes, end))


def _bool_clash(sc: Scope, dg: Digraph, nodes: list[str],
                end: tuple[int, int, int] | None) -> set[tuple[str, str]]:
    """guards.clash over the path's hops, each with every call a -> b of its kind."""
    from vmxref.queries import guards
    return guards.clash(sc, _bool_hops(sc, dg, nodes), end)


def _bool_hops(sc: Scope, dg: Digraph, nodes: list[str]) -> list[tuple[str, str, list[Edge]]]:
    """(a, b, every call a -> b of the path edge's kind) for each hop of a path."""
    g, memo = graph(sc), sc.memo("_bool_hops")
    hops = []
    for a, b in zip(nodes, nodes[1:]):
        e = dg.edge(a, b)
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


def _group_clash(sc: Scope, dg: Digraph, nodes: list[str]) -> set[tuple[str, str]]:
    """The edge where a path first calls from, or through a table bound in, a file of a
    second group of the profile's [entry] exclusive_paths (VMX and SVM code: a CPU runs
    one of them)."""
    groups = _profile_section(sc, "entry").get("exclusive_paths", [])
    if not groups:
        return set()
    seen = None
    for a, b in zip(nodes, nodes[1:]):
        e = dg.edge(a, b)
        for path in (e.path, e.bound[1] if e.bound else ""):
            g = next((i for i, prefixes in enumerate(groups)
                      if any(path.startswith(p) for p in prefixes)), None)
            if g is None:
                continue
            if seen is None:
                seen = g
            elif g != seen:
                return {(a, b)}
    return set()


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
    fam, declared = _families(sc, prefixes)
    chosen = _chosen_sites(sc, dg, nodes, last, prefixes)
    edges = [(a, b, e) for (a, b), (e, _l) in zip(zip(nodes, nodes[1:]), chosen)]
    labels = [label[5:] for _e, label in chosen] + [last]
    stacked = [set(_case_values(sc, e.blob_id, e.caller, e.line, prefixes)) | {lab}
               for (_a, _b, e), lab in zip(edges, labels)] + [{last}]
    # family -> (values, the edge that fixed them); a case label fixes the value only for
    # the families the profile declares one value ([entry] case_families: MSR indices), as
    # KVM_ names ioctls and the attribute types of their own switches alike
    current: dict[str, tuple[frozenset[str], tuple[str, str]]] = {}
    for i, label in enumerate(labels):
        here = edges[i][:2] if i < len(edges) else None
        f = fam(label) if label else ""
        if f and "*" in stacked[i]:  # a case range: any value may pass, none is fixed
            current.pop(f, None)
        elif f:
            group = frozenset(v for v in stacked[i] if v and fam(v) == f)
            if f in current and not group & current[f][0]:
                return {current[f][1]}
            if here is not None and f in declared:
                current[f] = (group, here)
        if here is None or edges[i][2].kind not in ("direct", "static-call"):
            continue
        passed: dict[str, set[str]] = {}
        for c in _passed_constants(sc, edges[i][2], prefixes):
            passed.setdefault(fam(c), set()).add(c)
        for pf, values in passed.items():
            current[pf] = (frozenset(values), here)
    return set()


def _families(sc: Scope, prefixes: list[str]):
    """(label -> its family: the longest case prefix it has, with the profile's [entry]
    case_families merged (["MSR_", "HV_X64_MSR_"]: both name MSR indices); the families
    so declared)."""
    memo = sc.memo("_families")
    if "f" not in memo:
        groups = _profile_section(sc, "entry").get("case_families", [])
        merged = {p: group[0] for group in groups for p in group}
        memo["f"] = (lambda label: merged.get(_family(label, prefixes), _family(label, prefixes)),
                     frozenset(group[0] for group in groups))
    return memo["f"]


_WORD = re.compile(r"[A-Za-z_]\w*")


_ADDRESS_OF = re.compile(r"&\s*([A-Za-z_]\w*)")


def _passed_constants(sc: Scope, e: Edge, prefixes: list[str]) -> frozenset[str]:
    """The case-family constants among the arguments of the call at an edge, also set in a
    member of a local struct whose address it passes (`msr_info.index = MSR_EFER; ...
    kvm_set_msr_common(vcpu, &msr_info)`) (memoised)."""
    memo = sc.memo("_passed_constants")
    key = (e.blob_id, e.caller, e.line, e.col)
    if key not in memo:
        args = callsite.args(sc, e)
        found = {t for t in _WORD.findall(" ".join(args)) if _family(t, prefixes)}
        for a in args:
            m = _ADDRESS_OF.fullmatch(a.strip())
            for _member, v in callsite.member_assigns(sc, e, m.group(1)) if m else ():
                if _family(v, prefixes) and _WORD.fullmatch(v):
                    found.add(v)
        memo[key] = frozenset(found)
    return memo[key]


def case_prefixes(sc: Scope) -> list[str]:
    """The profile's [entry] case_prefixes (the `case` labels worth naming on a path)."""
    return _profile_section(sc, "entry").get("case_prefixes", [])


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


def _definition(sc: Scope, func: str, cid: int) -> tuple[str, int, int] | None:
    """(path, line, col) of a function's definition in a corpus version (first by path)."""
    r = sc.conn.execute(
        "SELECT f.path, t.line, t.col FROM sym t CROSS JOIN file f ON f.blob_id = t.blob_id "
        "AND f.corpus_id = ? WHERE t.name = ? AND t.kind = 'function' ORDER BY f.path, t.line "
        "LIMIT 1", (cid, func)).fetchone()
    return tuple(r) if r else None


def _limited(it, n: int) -> list:
    out = []
    for x in it:
        out.append(x)
        if len(out) >= n:
            break
    return out
