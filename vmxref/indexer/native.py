"""The optional C part of a worker, vmxref.indexer._native (built by setup.py where a C
compiler and SQLite's header are found): `mod` is the module, or None when it is not built
or was built from another revision of _native.c (a checkout updated without reinstalling).
Without it the Python twins do the same work: spool._Sqlite3Writer, extract.ident_tokens."""
from __future__ import annotations

VERSION = 1  # _native.c's VERSION: bump both when the C functions change

try:
    from vmxref.indexer import _native as mod
except ImportError:
    mod = None
if mod is not None and getattr(mod, "VERSION", None) != VERSION:
    mod = None
