"""The tree-sitter adapter: the only module of vmxref that imports tree_sitter.

Keeps the py-tree-sitter API churn (0.22 / 0.25 / 0.26 each broke callers) in one place:
parsers and compiled queries are cached per language, and `captures()` hides whether the
binding exposes `Query.captures` or `QueryCursor.captures`.
"""
from __future__ import annotations

import glob
import os
from functools import lru_cache

import tree_sitter
import tree_sitter_c
import tree_sitter_cpp
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

__all__ = ["Node", "Tree", "parse", "parse_ranges", "reparse", "captures", "grammar_versions",
           "LANGS"]

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


def parse_ranges(source: bytes, lang: str, spans: list[tuple[int, int]]) -> Tree:
    """Parse only the byte spans of `source` (joined where they overlap or meet) as if they
    were the whole text; the nodes keep their places in `source`. (tree-sitter's included
    ranges: the lexer skips the rest, where a blanked copy of the text would have it lex
    spaces.)"""
    joined: list[list[int]] = []
    for a, b in sorted(spans):
        if joined and a <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    ranges, row, at = [], 0, 0  # (rows counted on from the last end: one pass over source)
    for a, b in joined:
        row += source.count(b"\n", at, a)
        start = tree_sitter.Point(row, a - source.rfind(b"\n", 0, a) - 1)
        row += source.count(b"\n", a, b)
        ranges.append(tree_sitter.Range(
            start, tree_sitter.Point(row, b - source.rfind(b"\n", 0, b) - 1), a, b))
        at = b
    p = _parser(lang)
    p.included_ranges = ranges
    try:
        return p.parse(source)
    finally:
        p.included_ranges = []


def reparse(tree: Tree, old: bytes, new: bytes, lang: str) -> Tree:
    """Parse `new`, a text of the same length and newlines as `old` (the text `tree` was
    parsed from), re-using `tree`: every 512-byte block where the texts differ is an edit,
    so tree-sitter re-parses only around those (the alternate text of split `#if` groups
    differs from the first in a few branches). `tree` is edited: use it no more. Texts of
    different lengths get a fresh parse, and so do a text whose re-parse has errors and
    a tree that has errors itself (its re-parse nearly always has them too):
    tree-sitter's error recovery may then differ from a fresh parse's (`struct x *,` blanked
    to `x`: an ERROR before the declarator, or inside it), and the facts must not depend on
    which of the two the worker used."""
    if len(old) != len(new) or tree.root_node.has_error:
        # (a tree with errors: its re-parse had errors too in 46 of 47 alternate texts of
        # VirtualBox's VMM, and was parsed again from scratch: a fifth of the alternate
        # texts' parsing time spent for nothing)
        return parse(new, lang)
    spans: list[list[int]] = []
    for a in range(0, len(old), _BLOCK):  # (slice compares run in C)
        b = min(a + _BLOCK, len(old))
        if old[a:b] != new[a:b]:
            if spans and spans[-1][1] == a:
                spans[-1][1] = b
            else:
                spans.append([a, b])
    for a, b in spans:
        pa = (old.count(b"\n", 0, a), a - old.rfind(b"\n", 0, a) - 1)
        pb = (old.count(b"\n", 0, b), b - old.rfind(b"\n", 0, b) - 1)
        tree.edit(start_byte=a, old_end_byte=b, new_end_byte=b,
                  start_point=pa, old_end_point=pb, new_end_point=pb)
    again = _parser(lang).parse(new, tree)
    return again if not again.root_node.has_error else parse(new, lang)


_BLOCK = 512


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
    return {d: _dist_version(d, m) for d, m in (("tree-sitter", tree_sitter),
                                                ("tree-sitter-c", tree_sitter_c),
                                                ("tree-sitter-cpp", tree_sitter_cpp))}


def _dist_version(dist: str, module) -> str:
    """The installed version of `dist`: from the METADATA of its .dist-info beside the
    package (importlib.metadata costs an index run ~80 ms to import), else as
    importlib.metadata finds it (another kind of install)."""
    site = os.path.dirname(os.path.dirname(os.path.abspath(module.__file__)))
    found = glob.glob(os.path.join(glob.escape(site), dist.replace("-", "_") + "-*.dist-info"))
    if len(found) == 1:
        try:
            with open(os.path.join(found[0], "METADATA"), encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
                    if not line.strip():
                        break  # (the headers end)
        except OSError:
            pass
    from importlib.metadata import version
    return version(dist)
