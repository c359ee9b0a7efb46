"""Weighted shortest paths on the small call subgraphs a query explores.

A query explores a few hundred functions around its target; the graph algorithms it needs
are Dijkstra and Yen's k shortest simple paths. They live here (a few dozen lines) instead
of importing networkx, whose import alone costs a query process ~140 ms.
"""
from __future__ import annotations

import heapq
from array import array
from itertools import count

try:  # (optional: the C twin of _shortest_py, built by pip where a compiler is found)
    from vmxref.queries import _shortest
except ImportError:  # pragma: no cover - exercised where the extension is not built
    _shortest = None
_C_VERSION = 1  # = SHORTEST_VERSION of _shortest.c (an older build is not used)
if _shortest is not None and getattr(_shortest, "VERSION", 0) != _C_VERSION:
    _shortest = None
TYPE_CHECKING = False  # (typing costs a query process 3 ms to import; annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterator


class NoPath(Exception):
    """No path between the two nodes."""


def _flags(banned, index: dict, n: int) -> bytearray | None:
    """One byte per node or edge, 1 where banned (the C search's form of a ban set; keys
    not in the graph are left out)."""
    if not banned:
        return None
    out = bytearray(n)
    for key in banned:
        i = index.get(key)
        if i is not None:
            out[i] = 1
    return out


class Digraph:
    """A directed graph with one weighted, labelled edge per ordered pair of nodes."""

    def __init__(self) -> None:
        # (a node's successors and their weights are changed by add_node / add_edge only:
        # the arrays of the C search are made again after those; paths.py swaps an edge's
        # data for a while, never its weight)
        self.succ: dict[str, dict[str, tuple[float, Any]]] = {}
        self.forced: tuple[str, str] | None = None  # (paths.py _with_last: its one call)
        self._arrays: tuple | None = None

    def add_node(self, n: str) -> None:
        if n not in self.succ:
            self.succ[n] = {}
            self._arrays = None

    def add_edge(self, a: str, b: str, weight: float, data: Any) -> None:
        self.succ.setdefault(a, {})[b] = (weight, data)
        self.succ.setdefault(b, {})
        self._arrays = None

    def has_edge(self, a: str, b: str) -> bool:
        return b in self.succ.get(a, ())

    def edge(self, a: str, b: str) -> Any:
        """The data of edge a -> b."""
        return self.succ[a][b][1]

    def __contains__(self, n: str) -> bool:
        return n in self.succ

    def __len__(self) -> int:
        return len(self.succ)

    @property
    def nodes(self) -> list[str]:
        return list(self.succ)

    def weight(self, path: list[str]) -> float:
        """Total weight of a path given as a node list."""
        return sum(self.succ[a][b][0] for a, b in zip(path, path[1:]))

    def shortest_path(self, src: str, dst: str, banned_nodes: frozenset | set = frozenset(),
                      banned_edges: frozenset | set = frozenset()) -> tuple[float, list[str]]:
        """(weight, nodes) of a least-weight path (Dijkstra; ties: first found). NoPath if none.
        In C when vmxref.queries._shortest is built (the same answer: see _shortest.c)."""
        if src not in self.succ or dst not in self.succ:
            raise NoPath(f"{src} -> {dst}")
        if _shortest is None:
            return self._shortest_py(src, dst, banned_nodes, banned_edges)
        if self._arrays is None:
            self._arrays = self._make_arrays()
        ids, names, offsets, targets, weights, edge_at = self._arrays
        got = _shortest.dijkstra(offsets, targets, weights, ids[src], ids[dst],
                                 _flags(banned_nodes, ids, len(names)),
                                 _flags(banned_edges, edge_at, len(targets)))
        if got is None:
            raise NoPath(f"{src} -> {dst}")
        return got[0], [names[i] for i in got[1]]

    def _make_arrays(self) -> tuple:
        """The graph as the C search takes it: node ids in the order of `succ`, each node's
        successors from offsets[id] on, in the order of its dict; (a, b) -> edge index."""
        ids = {n: i for i, n in enumerate(self.succ)}
        offsets = array("i", [0])
        targets = array("i")
        weights = array("d")
        edge_at: dict[tuple[str, str], int] = {}
        for a, nbrs in self.succ.items():
            for b, (w, _data) in nbrs.items():
                edge_at[(a, b)] = len(targets)
                targets.append(ids[b])
                weights.append(w)
            offsets.append(len(targets))
        return ids, list(self.succ), offsets, targets, weights, edge_at

    def _shortest_py(self, src: str, dst: str, banned_nodes, banned_edges) -> tuple[float, list[str]]:
        """shortest_path in Python: the reference of the C search."""
        dist: dict[str, float] = {}
        seen = {src: 0.0}
        pred: dict[str, str] = {}
        tie = count()
        heap = [(0.0, next(tie), src)]
        while heap:
            d, _, v = heapq.heappop(heap)
            if v in dist:
                continue
            dist[v] = d
            if v == dst:
                break
            for u, (w, _data) in self.succ[v].items():
                if u in banned_nodes or (v, u) in banned_edges:
                    continue
                du = d + w
                if u not in dist and (u not in seen or du < seen[u]):
                    seen[u] = du
                    pred[u] = v
                    heapq.heappush(heap, (du, next(tie), u))
        if dst not in dist:
            raise NoPath(f"{src} -> {dst}")
        path = [dst]
        while path[-1] != src:
            path.append(pred[path[-1]])
        return dist[dst], path[::-1]

    def shortest_simple_paths(self, src: str, dst: str) -> Iterator[list[str]]:
        """Simple paths src -> dst in order of weight (Yen's algorithm), generated lazily."""
        try:
            first = self.shortest_path(src, dst)
        except NoPath:
            return
        found: list[list[str]] = []
        cand: list[tuple[float, int, list[str]]] = []
        queued: set[tuple[str, ...]] = set()
        tie = count()
        heapq.heappush(cand, (first[0], next(tie), first[1]))
        queued.add(tuple(first[1]))
        while cand:
            _w, _, path = heapq.heappop(cand)
            yield path
            found.append(path)
            for i in range(len(path) - 1):
                root = path[:i + 1]
                banned_edges = {(p[i], p[i + 1]) for p in found if len(p) > i + 1 and p[:i + 1] == root}
                banned_nodes = set(root[:-1])
                try:
                    w, spur = self.shortest_path(root[-1], dst, banned_nodes, banned_edges)
                except NoPath:
                    continue
                full = root[:-1] + spur
                key = tuple(full)
                if key not in queued:
                    queued.add(key)
                    heapq.heappush(cand, (self.weight(root) + w, next(tie), full))
