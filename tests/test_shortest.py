"""The path algorithms of vmxref.queries.shortest against brute force on random graphs."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from vmxref.queries.shortest import Digraph, NoPath

WEIGHTS = (1.0, 1.2, 1.5, 2.5)  # the edge weights paths.py uses


def _all_simple(g: Digraph, a: str, b: str) -> list[list[str]]:
    out, stack = [], [[a]]
    while stack:
        p = stack.pop()
        if p[-1] == b:
            out.append(p)
            continue
        stack += [p + [n] for n in g.succ[p[-1]] if n not in p]
    return out


graphs = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.sampled_from(WEIGHTS)),
                  max_size=25)


def _build(edges) -> Digraph:
    g = Digraph()
    for n in range(7):
        g.add_node(f"f{n}")
    for a, b, w in edges:
        if a != b:
            g.add_edge(f"f{a}", f"f{b}", w, (a, b))
    return g


@settings(max_examples=200, deadline=None)
@given(graphs)
def test_shortest_path_is_minimal(edges):
    g = _build(edges)
    every = _all_simple(g, "f0", "f6")
    if not every:
        with pytest.raises(NoPath):
            g.shortest_path("f0", "f6")
        return
    w, p = g.shortest_path("f0", "f6")
    assert p[0] == "f0" and p[-1] == "f6"
    assert w == pytest.approx(g.weight(p))
    assert w == pytest.approx(min(g.weight(q) for q in every))


@settings(max_examples=200, deadline=None)
@given(graphs)
def test_k_shortest_simple_paths_match_brute_force(edges):
    g = _build(edges)
    every = _all_simple(g, "f0", "f6")
    got = list(g.shortest_simple_paths("f0", "f6"))
    assert sorted(map(tuple, got)) == sorted(map(tuple, every))  # each simple path once
    weights = [g.weight(p) for p in got]
    # in order of weight (equal weights summed in another order may differ in the last bit)
    assert all(a <= b + 1e-9 for a, b in zip(weights, weights[1:])), weights


def test_edge_data_and_missing_nodes():
    g = Digraph()
    g.add_edge("a", "b", 1.0, "call at x.c:3")
    assert g.edge("a", "b") == "call at x.c:3" and g.has_edge("a", "b") and not g.has_edge("b", "a")
    assert list(g.shortest_simple_paths("a", "zz")) == []
    with pytest.raises(NoPath):
        g.shortest_path("b", "a")


# --- the C search (vmxref.queries._shortest) against its Python twin ----------------------

def _c_module():
    from vmxref.queries import shortest
    if shortest._shortest is None:
        pytest.skip("vmxref.queries._shortest is not built")
    return shortest._shortest


def test_the_c_search_gives_the_python_twins_answer():
    """Same weight and the same nodes, ties included, between every two nodes of 1,500
    seeded random graphs (mostly equal weights: ties, where the order the nodes are settled
    in decides the path; sums like 0.1 + 0.2 that are not 0.3; self-loops; edges given twice;
    bans of nodes and edges, some absent). (Hypothesis found no tie that mattered in 500
    examples: 1 graph in 200 has one.)"""
    import random
    _c_module()
    rnd = random.Random(31)
    compared = differ = 0
    for _ in range(1500):
        n = rnd.randint(2, 9)
        g = Digraph()
        for _e in range(rnd.randint(0, 3 * n)):
            g.add_edge(f"f{rnd.randrange(n)}", f"f{rnd.randrange(n)}",
                       rnd.choice((1.0, 1.0, 1.0, 1.0, 1.5, 2.5, 0.1, 0.2, 0.3)), None)
        for i in range(n):
            g.add_node(f"f{i}")
        bn = {f"f{rnd.randrange(n + 1)}" for _b in range(rnd.choice((0, 0, 1, 2)))}
        be = {(f"f{rnd.randrange(n)}", f"f{rnd.randrange(n)}")
              for _b in range(rnd.choice((0, 0, 1, 3)))}
        for src in range(n):
            for dst in range(n):
                want = got = None
                try:
                    want = g._shortest_py(f"f{src}", f"f{dst}", bn, be)
                except NoPath:
                    pass
                try:
                    got = g.shortest_path(f"f{src}", f"f{dst}", bn, be)
                except NoPath:
                    pass
                assert got == want, (g.succ, bn, be, src, dst)
                compared += 1
                differ += want is not None and len(want[1]) > 2
    assert compared > 40000 and differ > 5000  # (the sweep holds paths worth comparing)


def test_the_c_search_follows_the_graph_as_it_grows():
    """The arrays the C search reads are made again after each change of the graph."""
    _c_module()
    g = Digraph()
    g.add_edge("a", "b", 1.0, None)
    g.add_edge("b", "c", 1.0, None)
    assert g.shortest_path("a", "c") == (2.0, ["a", "b", "c"])
    g.add_edge("a", "c", 1.5, None)
    assert g.shortest_path("a", "c") == (1.5, ["a", "c"])
    g.add_edge("a", "c", 3.0, None)  # (a weight changed)
    assert g.shortest_path("a", "c") == (2.0, ["a", "b", "c"])
    assert g.shortest_path("a", "c", banned_nodes={"b"}) == (3.0, ["a", "c"])
    g.add_node("d")
    with pytest.raises(NoPath):
        g.shortest_path("a", "d")


def test_the_c_search_refuses_inconsistent_arrays():
    """Arrays that do not describe a graph are an error, not a read past their ends."""
    from array import array
    c = _c_module()
    with pytest.raises(ValueError):
        c.dijkstra(array("i", [0, 1]), array("i", [5]), array("d", [1.0]), 0, 0, None, None)
    with pytest.raises(ValueError):
        c.dijkstra(array("i", [0, 1]), array("i", [0]), array("d", [1.0]), 0, 3, None, None)
    with pytest.raises(ValueError):
        c.dijkstra(array("i", [0, 1]), array("i", [0]), array("d", [1.0]), 0, 0, b"", None)
