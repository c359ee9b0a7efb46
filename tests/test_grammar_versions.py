"""The grammar versions recorded in an index (read from the packages' METADATA without
importing importlib.metadata) are the installed ones."""
from __future__ import annotations

from importlib.metadata import version

from vmxref.indexer import ts


def test_grammar_versions_are_the_installed_ones():
    got = ts.grammar_versions()
    assert got == {d: version(d) for d in ("tree-sitter", "tree-sitter-c", "tree-sitter-cpp")}


def test_another_kind_of_install_asks_importlib(monkeypatch):
    monkeypatch.setattr(ts.glob, "glob", lambda _pattern: [])
    assert ts._dist_version("tree-sitter", ts.tree_sitter) == version("tree-sitter")
