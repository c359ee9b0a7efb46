"""Where the index keeps a corpus version's request API (queries/requests.py computes it at
index time), and whether it is current: kept apart from requests.py so that an unchanged
re-index, which only asks, does not import the query modules (2 ms of its ~38)."""
from __future__ import annotations

from vmxref.lazy import json


def meta_key(cid: int) -> str:
    """The meta row holding the request API of corpus version `cid`."""
    return f"derived:request_api:{cid}"


def section(prof) -> dict:
    """The profile's [requests] table as stored (JSON values), {} without a profile."""
    return json.loads(json.dumps(prof.section("requests"))) if prof is not None else {}


def is_current(store, cid: int, prof) -> bool:
    """Does the index hold the request API of this corpus version, computed from the
    [requests] table `prof` has now?"""
    r = store.conn.execute("SELECT value FROM meta WHERE key = ?", (meta_key(cid),)).fetchone()
    return r is not None and json.loads(r[0]).get("profile") == section(prof)
