"""Recorded code-reading sessions: an append-only JSONL log of queries, results and notes."""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from vmxref.model import Site


def sessions_dir(index_dir: Path | None = None) -> Path:
    """Where session logs live: <index dir>/sessions."""
    base = Path(index_dir or os.environ.get("VMXREF_INDEX") or ".vmxref")
    return base / "sessions"


def active(index_dir: Path | None = None) -> str | None:
    """Name of the active session, if any."""
    f = sessions_dir(index_dir) / "ACTIVE"
    try:
        return f.read_text().strip() or None
    except OSError:
        return None


def digest(sites: list[Site]) -> str:
    """Stable digest of a result list (file, function, symbol, text; not line numbers)."""
    h = hashlib.sha1()
    for s in sites:
        h.update(f"{s.file}\0{s.function}\0{s.symbol}\0{s.text}\n".encode())
    return h.hexdigest()[:16]


def record_if_active(query: str, sc, sites: list[Site]) -> None:
    """Append a query record to the active session, if one is active."""
    name = active(sc.store.path)
    if not name:
        return
    rec = {"type": "query", "time": time.time(), "query": query, "corpus": sc.label(),
           "count": len(sites), "digest": digest(sites),
           "results": [s.to_json() for s in sites[:200]]}
    path = sessions_dir(sc.store.path) / f"{name}.jsonl"
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
