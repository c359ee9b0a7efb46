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
