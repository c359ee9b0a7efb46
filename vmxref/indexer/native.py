"""The optional C parts of a worker, built by setup.py where a C compiler is found; each is
None when it is not built or was built from another revision of its C file (a checkout
updated without reinstalling). Without them the Python twins do the same work.

- `mod`, vmxref.indexer._native (needs SQLite's header): the spool writer
  (spool._Sqlite3Writer's twin), the identifier scan (extract.ident_tokens') and the
  normaliser's scans (normalize._C).
- `ts_passes()`, vmxref.indexer._tsnative (needs the tree-sitter runtime's sources, see
  setup.py): extraction passes over py-tree-sitter's trees. It reads py-tree-sitter's Node
  objects, so it is used only with the tree-sitter version it was compiled with (loaded on
  first use: an index run that parses nothing imports no tree-sitter).
"""
from __future__ import annotations

VERSION = 4  # _native.c's VERSION: bump both when the C functions change
TS_NATIVE_VERSION = 16  # _tsnative.c's TSNATIVE_VERSION

try:
    from vmxref.indexer import _native as mod
except ImportError:
    mod = None
if mod is not None and getattr(mod, "VERSION", None) != VERSION:
    mod = None


_TS: list = []  # [module or None], once loaded


def ts_passes():
    """vmxref.indexer._tsnative, ready for py-tree-sitter's nodes, or None."""
    if not _TS:
        _TS.append(_load_ts())
    return _TS[0]


def _load_ts():
    try:
        from vmxref.indexer import _tsnative as m
    except ImportError:
        return None
    if getattr(m, "VERSION", None) != TS_NATIVE_VERSION:
        return None
    import tree_sitter
    from vmxref.indexer.ts import _dist_version  # (not importlib.metadata: ~14 ms a worker)
    try:
        if _dist_version("tree-sitter", tree_sitter) != m.TS_VERSION:
            return None  # (another runtime built the trees: their layout may differ)
    except ModuleNotFoundError:  # (importlib.metadata's PackageNotFoundError)
        return None
    m.init(tree_sitter.Node)
    return m

