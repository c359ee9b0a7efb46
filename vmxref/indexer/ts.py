"""The tree-sitter adapter: the only module of vmxref that imports tree_sitter.

Keeps the py-tree-sitter API churn (0.22 / 0.25 / 0.26 each broke callers) in one place:
parsers and compiled queries are cached per language, and `captures()` hides whether the
binding exposes `Query.captures` or `QueryCursor.captures`.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version as _dist_version

import tree_sitter_c
import tree_sitter_cpp
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

__all__ = ["Node", "Tree", "parse", "captures", "grammar_versions", "LANGS"]

LANGS = ("c", "cpp")


@lru_cache(maxsize=None)
def _language(lang: str) -> Language:
    mod = tree_sitter_cpp if lang == "cpp" else tree_sitter_c
    return Language(mod.language())


@lru_cache(maxsize=None)
def _parser(lang: str) -> Parser:
    return Parser(_language(lang))


@lru_cache(maxsize=None)
def _query(lang: str, source: str) -> Query:
    return Query(_language(lang), source)


def parse(source: bytes, lang: str) -> Tree:
    """Parse `source` with the C or C++ grammar (`lang` is "c" or "cpp")."""
    return _parser(lang).parse(source)


def captures(node: Node, lang: str, query_source: str,
             byte_range: tuple[int, int] | None = None) -> dict[str, list[Node]]:
    """Run a tree-sitter query under `node`; capture name -> nodes in document order (only
    nodes that intersect `byte_range`, when given)."""
    cursor = QueryCursor(_query(lang, query_source))
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    return cursor.captures(node)


def grammar_versions() -> dict[str, str]:
    """Versions of the tree-sitter runtime and grammars (recorded in the index meta table)."""
    return {d: _dist_version(d) for d in ("tree-sitter", "tree-sitter-c", "tree-sitter-cpp")}
