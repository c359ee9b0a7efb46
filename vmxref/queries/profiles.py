"""The corpus profile tables a query consults ([entry], [requests], [writes], ...): read
from the profile each asked corpus version was indexed with (the index's snapshot of it while
the file is unchanged), merged over the versions, once per scope."""
from __future__ import annotations

import functools

from vmxref.queries.base import Scope


def profile_section(sc: Scope, name: str) -> dict:
    """A table of the profile each asked corpus was indexed with (merged; read once per
    scope — path searches ask for [entry] per candidate path). Callers must not change it."""
    memo = sc.memo("_profile_sections")
    if name not in memo:
        memo[name] = _merged(sc, name)
    return memo[name]


def _merged(sc: Scope, name: str) -> dict:
    out: dict = {}
    for c in sc.store.corpora(stats=False):
        if c["id"] in sc.corpus_ids:
            prof = profile_of(c, sc.store)
            if prof is None:
                continue
            for k, v in prof.section(name).items():
                if isinstance(v, dict):
                    out.setdefault(k, {}).update(v)
                else:
                    out[k] = v
    return out


def profile_of(corpus_row: dict, store=None):
    """The profile a corpus version was indexed with (its stored path, else its name):
    the index's snapshot of it while the file is unchanged (no TOML parsing), else the file."""
    path = corpus_row.get("profile") or ""
    if store is not None and path:
        r = store.conn.execute("SELECT value FROM meta WHERE key = ?",
                               (f"profile:{path}",)).fetchone()
        if r is not None:
            from vmxref import corpora
            prof = corpora.from_snapshot(path, r[0])
            if prof is not None:
                return prof
    return _load_profile(path, corpus_row["name"])


@functools.lru_cache(maxsize=32)
def _load_profile(path: str, name: str):
    """Parse a profile once per process (every query consults several of its tables)."""
    from vmxref import corpora
    from vmxref.errors import VmxrefError
    for key in (path, name):
        if key:
            try:
                return corpora.load(key)
            except VmxrefError:
                continue
    return None
