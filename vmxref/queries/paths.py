"""Entry points and call paths: `| paths [from entry|FUNC] [depth N]` and `path A -> B`.

The graph is explored lazily from the site backwards (callers, indirect edges, and deferred
request edges), so a query touches only the neighbourhood it needs; vmxref.queries.shortest
finds the shortest paths in the explored subgraph. `path A -> B` stops
exploring a few levels after it first reaches A: the paths it reports are the shortest ones.
"""
from __future__ import annotations

import fnmatch
import heapq

from vmxref.lazy import re, json
from vmxref.errors import VmxrefError
from vmxref.model import Hop, Site
from vmxref.queries.base import Scope, in_chunks
from vmxref.queries.cases import case_label, case_prefixes
from vmxref.queries.edges import Edge, graph
from vmxref.queries.profiles import profile_section
from vmxref.queries.feasible import (bool_hops, edge_group, chosen_sites, end_groups,
                                     feasible_path, in_edges, infeasible, limited)
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
        self.rules = profile_section(sc, "entry")
        self.g = graph(sc)
        self._memo: dict[str, str] = {}
        self._decl: dict[str, list[str]] = {}  # function -> macros on its definition line

    def prefetch(self, funcs) -> None:
        """The macros on the definition lines of several functions, in one statement
        (`_kind` asks for them one function at a time otherwise)."""
        if not self.rules.get("decl_macros"):
            return
        want = sorted({f for f in funcs if f not in self._memo and f not in self._decl})
        for chunk, ms in in_chunks(want):
            got: dict[str, list[str]] = {f: [] for f in chunk}
            for fname, mname in self.sc.conn.execute(
                    "SELECT s.name, r.name FROM sym s JOIN ref r ON r.blob_id = s.blob_id AND "
                    f"r.line = s.line AND r.kind = 'macro' WHERE s.name IN ({ms}) AND "
                    "s.kind = 'function'", chunk):
                got[fname].append(mname)
            self._decl.update(got)

    def _decl_macros(self, func: str) -> list[str]:
        if func not in self._decl:
            self.prefetch([func])
        return self._decl.get(func, [])

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
        for slot, cont, _where in bound:
            kind = members.get(f"{cont}.{slot}") or members.get(slot)
            if kind is None and cont is None:  # (an unresolved struct: the member's name)
                kind = next((k for key, k in members.items() if key.endswith(f".{slot}")), None)
            if kind:
                return kind
        regs = r.get("registrars", {})
        tr = self.g.types
        refs = sorted(self.g.value_refs(func)) if regs else []  # (no registrar: none to find)
        tr.prime_locals([(bid, caller, func) for _c, _p, bid, _l, caller, _b in refs if caller])
        refs = [r for r in refs  # (a parameter or local of that name is not the function)
                if not (r[4] and tr.local_type(r[2], r[4], func) is not None)]
        around = self.g.calls_of(  # the registrars' calls in their functions, at once
            ((bid, caller or "") for _c, _p, bid, _l, caller, _b in refs), regs)
        for cid, path, bid, line, caller, _bare in refs:  # first wins
            for first, _col, callee, _k, args, last in around[(bid, caller or "")]:
                if first <= line <= last:
                    idx, kind = regs[callee]
                    a = [x.lstrip("&").strip() for x in json.loads(args)]
                    if (idx < 0 and func in a) or (0 <= idx < len(a) and a[idx] == func):
                        return kind
        decl = r.get("decl_macros", {})
        if decl:
            for mname in self._decl_macros(func):
                if mname in decl:
                    return decl[mname]
                wild = next((k for p, k in decl.items()  # (`DEFINE_IDTENTRY*`)
                             if "*" in p and fnmatch.fnmatchcase(mname, p)), None)
                if wild:
                    return wild
        inline_in = r.get("inline_in", {})  # (the public headers' inline wrappers: called
        if inline_in:  # from code outside the corpus, PDMDevHlpPhysRead by every device)
            for _c, path, _b, _one in self.sc.rows("sym", "t.name = ? AND t.kind = 'function'",
                                             (func,), "1"):
                if path in inline_in:
                    return inline_in[path]
        cand = next((b for b in bound if b[1] is not None and b[0]), None) or next(
            (b for b in bound if b[0] and b[0] not in self.g._tables), None)  # (no array of
        # them; a member, not a plain variable: `irq_forced_thread_fn [callback ]`)
        if r.get("unbound_member_callbacks") and cand and not self.g.has_callers(func):
            # stored in a member that no call of the corpus goes through: called from
            # outside (`x86_platform.get_wallclock = kvm_get_wallclock`, a struct the
            # corpus does not define, is named by its member alone)
            slot, cont, _ = cand
            return f"callback {cont}.{slot}" if cont else f"callback {slot}"
        if r.get("unbound_member_callbacks") and (dangling := self.g.dangling(func)):
            # ... and one the corpus calls too (timekeeping_resume: syscore_ops.resume,
            # and tick_unfreeze): an entry, from which the search goes on
            slot, cont, _ = dangling[0]
            return f"also callback {cont}.{slot}" if cont else f"also callback {slot}"
        return ""
WEAK_ENTRIES = ("exported",)  # internal APIs: sources of paths, but exploration goes on


def is_strong(kind: str) -> bool:
    """Entries from outside the code (ioctl, MSR, notifier, ...) stop the backward search;
    `exported` APIs and callbacks the corpus also calls (`also callback ...`) do not."""
    return bool(kind) and kind not in WEAK_ENTRIES and not kind.startswith("also ")


def _explore_back(sc: Scope, target: str, line: int, depth: int, start: str,
                  slack: int | None = None, chains: bool = False,
                  groups: list | None = None) -> Digraph:
    """Backward BFS from `target` (at `line`) towards `start`, `depth` calls deep. With
    `slack`, exploration ends `slack` levels after the level where `start` is first reached.
    `groups`: see in_edges."""
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
            for e, w in in_edges(sc, f, at, chains, start, groups):
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
          prefixes: list[str], last: str = "",
          end: tuple[int, int, int] | None = None) -> list[Hop]:
    hops = []
    for a, (e, case) in zip(nodes, chosen_sites(sc, dg, nodes, last, prefixes, end)):
        via = e.via if e.kind != "direct" else ""
        if case:
            case = _shown_case(sc, e, case)
            via = f"{case}; {via}" if via else case
        hops.append(Hop(a, e.path, e.line, e.kind, via, entries.kind(a) if not hops else ""))
    hops.append(Hop(site.function, site.file, site.line, entry="" if hops else entries.kind(site.function)))
    return hops


_LABEL = re.compile(r"\bcase\s+(.+?)\s*:(?!:)")


def _shown_case(sc: Scope, e: Edge, case: str) -> str:
    """The case label of a hop as the source writes it: a range in full (`case
    MSR_P6_EVNTSEL0 ... MSR_P6_EVNTSEL1`), and how many labels are stacked with it."""
    from vmxref.queries.cases import governing
    group, top = governing(sc, e.blob_id, e.caller, e.line)
    named = [v for v in group if v not in ("*", "default")]
    if len(named) < 2 and "*" not in group:
        return case
    lines = sc.store.lines(e.blob_id)
    label = case
    for n in range(min(e.line, len(lines)), max(top, 1) - 1, -1):  # (the label nearest above)
        m = _LABEL.search(lines[n - 1])
        if m and case[5:] in m.group(1):
            label = f"case {m.group(1)}"
            break
    return f"{label} (+{len(named) - 1} more)" if len(named) > 1 else label


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
        groups = end_groups(sc, blobs[:1])  # (the site's architecture: no other's calls)
        for chains in (False, True):  # chains of requests only when nothing else leads there
            if start is not None:
                dg = _explore_back(sc, s.function, s.line, depth, start, chains=chains,
                                   groups=groups)
                sources = [start] if start in dg else []
            else:
                dg, sources = _explore_nearest(sc, s.function, s.line, depth, entries,
                                               STRONG_SOURCES, chains, groups)
            found = []
            for src in sources:
                try:
                    cost, nodes = feasible_path(sc, dg, src, s.function, last, end)
                except NoPath:
                    continue
                if len(nodes) - 1 > depth:
                    continue  # (a detour around infeasible calls longer than asked for)
                found.append((not is_strong(entries.kind(src)), cost, nodes))
            if found:
                break
        found.sort()
        found = [p for _w, _c, p in found]
        chosen = _diverse(found)
        other = _other_group_path(sc, dg, chosen, s.function, last, end)
        if other is not None and other not in chosen:  # (an Intel user sees a VMX path too)
            chosen = chosen[:MAX_PATHS_PER_SITE - 1] + [other]
        s.paths = [_hops(sc, dg, p, s, entries, prefixes, last, end) for p in chosen]
        if not s.paths:  # (said, not left blank: a reader cannot tell it from a lost line)
            s.extra["no_path"] = (f"none from {start} within {depth} calls" if start else
                                  f"none from an entry point within {depth} calls")
    return sites


def _other_group_path(sc: Scope, dg: Digraph, paths: list[list[str]], dst: str, last: str,
                      end) -> list[str] | None:
    """When every path shown goes through code of one exclusive group (the SVM side of
    __kvm_set_msr's static call), the best feasible path from the same entries that avoids
    that group's calls, if there is one."""
    groups = {g for p in paths for a, b in zip(p, p[1:])
              if (g := edge_group(sc, dg.edge(a, b))) is not None}
    if len(groups) != 1:
        return None
    g = groups.pop()
    avoid = {(a, b) for a in dg.nodes for b in dg.succ[a] if edge_group(sc, dg.edge(a, b)) == g}
    for src in dict.fromkeys(p[0] for p in paths if any(h in avoid for h in zip(p, p[1:]))):
        try:
            return feasible_path(sc, dg, src, dst, last, end, avoid=avoid)[1]
        except NoPath:
            continue
    return None


STRONG_SOURCES = 4 * MAX_PATHS_PER_SITE  # enough for _diverse to pick from


def _explore_nearest(sc: Scope, target: str, line: int, depth: int, entries: Entries,
                     want: int, chains: bool = False,
                     groups: list | None = None) -> tuple[Digraph, list[str]]:
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
    g = graph(sc)
    while heap and strong < want and len(dg) <= MAX_NODES:
        d, _, hops, f, at = heapq.heappop(heap)
        if f in done:
            continue
        done.add(f)
        if not g.fetched(f):  # its look-ups with those of the next ones the search takes
            # (not of every caller it queues: most are never taken, 9,400 of 10,000 for
            # KVM_REQ_EVENT, with 210,000 uses as a value)
            ahead = [f, *(x[3] for x in _smallest(heap, PREFETCH) if x[3] not in done)]
            g.prefetch(ahead)
            entries.prefetch(ahead)
        kind = entries.kind(f)
        if kind:
            found.append(f)
            if is_strong(kind) and f != target:
                strong += 1
                continue  # an entry from outside the code: the path starts here
        if hops >= depth:
            continue
        edges = in_edges(sc, f, at, chains, groups=groups)
        for e, w in edges:
            if not dg.has_edge(e.caller, f):
                dg.add_edge(e.caller, f, w, e)
            if e.caller not in done and d + w < best.get(e.caller, float("inf")):
                best[e.caller] = d + w
                heapq.heappush(heap, (d + w, tie, hops + 1, e.caller, e.line))
                tie += 1
    return dg, found


PREFETCH = 32  # functions looked up together by _explore_nearest


def _smallest(heap: list, k: int) -> list:
    """The k smallest items of a heap, smallest first, without popping them (a walk down
    from its root: O(k log k))."""
    out: list = []
    todo = [(heap[0], 0)] if heap else []
    while todo and len(out) < k:
        item, i = heapq.heappop(todo)
        out.append(item)
        for c in (2 * i + 1, 2 * i + 2):
            if c < len(heap):
                heapq.heappush(todo, (heap[c], c))
    return out


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
    from vmxref.queries.edges import graph
    src = graph(sc).template_of(src) or src  # (`paging64_page_fault`: its calls are those
    # of the template function FNAME(page_fault), named `page_fault` in the graph)
    if src == dst:
        raise VmxrefError(f"path {src} -> {dst}: the two ends are the same function; "
                          f"`callers {src}` shows whether anything calls it back")
    entries = Entries(sc)
    prefixes = case_prefixes(sc)
    # chains of requests only when nothing else leads there; when every path found near
    # the shortest is infeasible (efer_trap passes MSR_EFER, the case is MSR_IA32_TSC_...),
    # longer ones are looked for (up to MAX_RETRY_LEN calls)
    groups = end_groups(sc, sc.definitions(dst))  # (see in_edges)
    memo = sc.memo("path_query")  # (what engine.note says about this query's answer)
    memo.pop("cut", None)
    memo.pop("infeasible", None)
    memo.pop("unreached", None)
    memo.pop("why", None)

    def search(chains: bool, length: int, sl: int | None):
        dg = _explore_back(sc, dst, 0, length, src, slack=sl, chains=chains, groups=groups)
        if src not in dg:
            return dg, []
        memo["infeasible"] = max(memo.get("infeasible", 0), length)  # (until one is found)
        paths = [p for p in limited(dg.shortest_simple_paths(src, dst), 40)
                 if len(p) - 1 <= length and _last_calls(sc, dg, p)]
        if sl is not None and paths:  # (by weight first: a cheaper path may have more calls)
            fewest = min(len(p) for p in paths)
            paths = [p for p in paths if len(p) <= fewest + sl]
        if len(paths) > MAX_PATHS:
            sc.memo("path_query")["cut"] = True  # (said on stderr: engine.note)
        return dg, _one_per_site_first(dg, paths)[:MAX_PATHS]

    for chains in (False, True):
        dg, found = search(chains, max_len, slack)
        if not found and slack is not None and not chains and max_len < MAX_RETRY_LEN:
            # only infeasible paths near the shortest: every path up to MAX_RETRY_LEN calls;
            # none within max_len calls: the shortest up to MAX_RETRY_LEN (a ring-0 WRMSR exit
            # reaches the APIC timer's ring-0 helper in 9 calls)
            dg, found = search(chains, MAX_RETRY_LEN, None if src in dg else slack)
        if found:
            memo.pop("infeasible", None)
            break
    out, seen = [], set()
    for nodes in found:
        if len(nodes) < 2 or any(_shortcut(dg, nodes, other) for other in found):
            continue
        for last in _last_calls(sc, dg, nodes):
            if (tuple(nodes), last.blob_id, last.line, last.col) in seen:
                continue
            seen.add((tuple(nodes), last.blob_id, last.line, last.col))
            name, version = sc.store.corpus_label(last.cid)
            site = Site("path", name, version, last.path, last.line, last.col, last.caller, dst,
                        sc.store.line_text(last.blob_id, last.line), {"length": len(nodes) - 1})
            where = _definition(sc, dst, last.cid) or (last.path, last.line, last.col)
            end = Site("path", name, version, *where, dst, dst, "")  # (the target's definition)
            site.paths = [_with_last(dg, nodes, last,
                                     lambda: _hops(sc, dg, nodes, end, entries, prefixes))]
            out.append(site)
    if out and slack is not None:  # (the callers of dst no path shown ends in: a longer
        # route may reach them, which `max N` looks for; engine.note says so)
        shown = {s.function for s in out}
        memo["unreached"] = sorted({e.caller for e in graph(sc).into(dst)
                                    if e.caller and e.caller != src} - shown)
    return out


def _shortcut(dg: Digraph, a: list[str], b: list[str]) -> bool:
    """Is path `a` path `b` with a request's tester left out (`x =deferred REQ=> f` beside
    `x =deferred REQ=> vcpu_enter_guest -> f`)? The longer one names where it runs."""
    if len(b) != len(a) + 1:
        return False
    for i in range(len(a) - 1):
        if a[:i + 1] == b[:i + 1] and a[i + 1:] == b[i + 2:]:
            return dg.edge(a[i], a[i + 1]).kind == "deferred" and \
                dg.edge(b[i], b[i + 1]).kind == "deferred"
    return False


MAX_PATHS = 5  # paths shown by `path A -> B`


def _one_per_site_first(dg: Digraph, paths: list[list[str]]) -> list[list[str]]:
    """Paths ending at a call of the target no earlier path ends at first (shortest first
    within each group), so five paths show five call sites when there are."""
    seen, first, rest = set(), [], []
    for p in paths:
        e = dg.edge(p[-2], p[-1]) if len(p) > 1 else None
        key = (e.blob_id, e.line) if e is not None else None
        (rest if key in seen else first).append(p)
        seen.add(key)
    return first + rest


def _last_calls(sc: Scope, dg: Digraph, nodes: list[str]) -> list[Edge]:
    """Each call of the path's last function into the target that the path can take (one
    result per call site: kvm_set_msr_common calls kvm_write_system_time under `case
    MSR_KVM_SYSTEM_TIME_NEW` and under `case MSR_KVM_SYSTEM_TIME`); the calls a value passed
    down the path rules out are left out, and so is a call under a case label the value the
    path carries does not take."""
    memo = sc.memo("path_last_calls")
    key = tuple(dg.edge(a, b) for a, b in zip(nodes, nodes[1:]))
    if key not in memo:
        prefixes = case_prefixes(sc)
        calls = bool_hops(sc, dg, nodes)[-1][2]
        if len(calls) < 2:
            memo[key] = [] if infeasible(sc, dg, nodes) else [
                chosen_sites(sc, dg, nodes, "", prefixes)[-1][0]]
        else:
            memo[key] = list(dict.fromkeys(
                _with_last(dg, nodes, e, lambda: chosen_sites(sc, dg, nodes, "", prefixes)[-1][0])
                for e in sorted(calls, key=lambda x: (x.path, x.line, x.col))
                if not _with_last(dg, nodes, e, lambda: infeasible(sc, dg, nodes))))
    return memo[key]


def _with_last(dg: Digraph, nodes: list[str], e: Edge, fn):
    """fn() while the path's last edge is the call `e` (the graph keeps one call per pair)."""
    a, b = nodes[-2], nodes[-1]
    saved = dg.succ[a][b]
    dg.succ[a][b] = (saved[0], e)
    dg.forced = (a, b)  # (feasible.bool_hops: that call alone, not every call a -> b)
    try:
        return fn()
    finally:
        dg.succ[a][b] = saved
        dg.forced = None


def _site_case(sc: Scope, s: Site) -> str:
    """The case label (without `case `) governing a result's own line, '' if none."""
    blobs = sc.blobs_of(s.file)
    return case_label(sc, blobs[0], s.function, s.line, case_prefixes(sc))[5:] if blobs else ""


def _definition(sc: Scope, func: str, cid: int) -> tuple[str, int, int] | None:
    """(path, line, col) of a function's definition in a corpus version (first by path)."""
    r = sc.conn.execute(
        "SELECT f.path, t.line, t.col FROM sym t CROSS JOIN file f ON f.blob_id = t.blob_id "
        "AND f.corpus_id = ? WHERE t.name = ? AND t.kind = 'function' ORDER BY f.path, t.line "
        "LIMIT 1", (cid, func)).fetchone()
    return tuple(r) if r else None
