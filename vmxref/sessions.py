"""Recorded code-reading sessions: an append-only JSONL log of queries, results and notes.

One file per session, `<index dir>/sessions/NAME.jsonl`; one JSON object per line with a
`type` (start, stop, query, note, bookmark) and a `time` (UTC seconds). `ACTIVE` in the
same directory names the session that `record_if_active` appends to. Lines are only ever
appended; a session can be resumed by starting it again.
"""
from __future__ import annotations

import os
import time
from collections import Counter

TYPE_CHECKING = False  # (typing costs a query process 3 ms, pathlib 5 ms: annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

from vmxref.errors import VmxrefError
from vmxref.model import Hop, Record, Site

MAX_RESULTS = 200     # full results kept per query record
MAX_KEYS = 5000       # match keys (file, function, text) kept per query record
_NAME_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME_CHARS = _NAME_FIRST | frozenset("._-")


def _good_name(name: str) -> bool:
    """A name of [A-Za-z0-9][A-Za-z0-9._-]{0,63} (checked without `re`: every query asks)."""
    return (0 < len(name) <= 64 and name[0] in _NAME_FIRST
            and all(c in _NAME_CHARS for c in name))


class SessionError(VmxrefError):
    """A session that does not exist, is not active, or a bad session name."""


def sessions_dir(index_dir: str | Path | None = None) -> Path:
    """Where session logs live: <index dir>/sessions, or the folder VMXREF_SESSIONS names
    (an index shared read-only, or one a session should not write into)."""
    from pathlib import Path
    return Path(_sessions_dir(index_dir))


def _sessions_dir(index_dir: str | Path | None) -> str:
    if os.environ.get("VMXREF_SESSIONS"):
        return os.environ["VMXREF_SESSIONS"]
    from vmxref.store import default_index_dir
    return os.path.join(index_dir or default_index_dir(), "sessions")


def check_name(name: str) -> str:
    """A session name usable as a file name, or SessionError."""
    if not _good_name(name or ""):
        raise SessionError(f"bad session name {name!r}: use letters, digits, '.', '_', '-' "
                           f"(at most 64, not starting with '.')")
    return name


def log_path(index_dir: Path | None, name: str) -> Path:
    """The JSONL file of a session."""
    return sessions_dir(index_dir) / f"{check_name(name)}.jsonl"


def active(index_dir: str | Path | None = None) -> str | None:
    """Name of the active session, if any."""
    try:
        with open(os.path.join(_sessions_dir(index_dir), "ACTIVE"), encoding="utf-8") as f:
            name = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if _good_name(name) else None


def _append(index_dir: Path | None, name: str, rec: dict[str, Any]) -> None:
    import json
    path = log_path(index_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    rec = {"type": rec.pop("type"), "time": round(time.time(), 3), **rec}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def _require_active(index_dir: Path | None) -> str:
    name = active(index_dir)
    if not name:
        raise SessionError("no active session; run `vmxref session start NAME` first")
    return name


# --- recording -------------------------------------------------------------------------

def compact_meta(meta: dict[str, str]) -> dict[str, str]:
    """What a start record keeps of the index's meta table: everything but the profile
    snapshots and derived caches. A snapshot (`profile:PATH`, the parsed TOML of a corpus
    profile, 20-30 KB) becomes its corpus name and a digest of its contents, which says
    whether a later index ran the same profile; `derived:*` (request tables worked out
    from the index) is left out. Nothing reads `meta` back (replay and export use the
    query records); a log written before this, with whole snapshots, loads the same."""
    import hashlib
    import json
    out = {}
    for key, value in meta.items():
        if key.startswith("derived:"):
            continue
        if key.startswith("profile:"):
            try:
                snap = json.loads(value)
            except (TypeError, ValueError):
                snap = None
            data = snap.get("data") if isinstance(snap, dict) else None
            if isinstance(data, dict):
                text = json.dumps(data, sort_keys=True, ensure_ascii=False)
                value = f"{data.get('name', '')} sha1:" + \
                    hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]
            else:
                value = "sha1:" + hashlib.sha1(str(value).encode("utf-8", "replace")).hexdigest()[:16]
        out[key] = value
    return out


def start(index_dir: Path | None, name: str, meta: dict[str, str] | None = None) -> bool:
    """Make `name` the active session (resuming it when it exists); True when new. `meta`
    (the index's meta table) is recorded as compact_meta keeps it."""
    path = log_path(index_dir, name)
    new = not path.exists()
    _append(index_dir, name, {"type": "start", "name": name, "resumed": not new,
                              "meta": compact_meta(meta or {})})
    (sessions_dir(index_dir) / "ACTIVE").write_text(name + "\n", encoding="utf-8")
    return new


def stop(index_dir: Path | None) -> str:
    """End the active session; returns its name."""
    name = _require_active(index_dir)
    _append(index_dir, name, {"type": "stop"})
    (sessions_dir(index_dir) / "ACTIVE").unlink(missing_ok=True)
    return name


def note(index_dir: Path | None, text: str) -> str:
    """Append a note to the active session; returns its name."""
    name = _require_active(index_dir)
    if not text.strip():
        raise SessionError("empty note")
    _append(index_dir, name, {"type": "note", "text": text})
    return name


def parse_location(loc: str) -> tuple[str, int]:
    """'FILE:LINE' -> (FILE, LINE), or SessionError."""
    path, sep, line = loc.rpartition(":")
    if not sep or not path or not line.isdigit() or int(line) < 1:
        raise SessionError(f"bad bookmark {loc!r}: expected FILE:LINE, e.g. arch/x86/kvm/x86.c:3120")
    return path, int(line)


def bookmark(index_dir: Path | None, loc: str, text: str = "",
             corpus: str | None = None, line_text: str = "") -> str:
    """Append a bookmark FILE:LINE (with a comment) to the active session."""
    name = _require_active(index_dir)
    path, line = parse_location(loc)
    _append(index_dir, name, {"type": "bookmark", "file": path, "line": line, "text": text,
                              "corpus": corpus or "", "line_text": line_text})
    return name


def digest(sites: list[Site]) -> str:
    """Stable digest of a result list (file, function, symbol, text; not line numbers)."""
    import hashlib  # (only when a session records: queries import this module)
    h = hashlib.sha1()
    for s in sites:
        h.update(f"{s.file}\0{s.function}\0{s.symbol}\0{s.text}\n".encode())
    return h.hexdigest()[:16]


def match_key(file: str, function: str, text: str) -> str:
    """What a result is matched by across versions: file, function, statement text."""
    return f"{file}\t{function}\t{' '.join(text.split())}"


def record_if_active(query: str, sc, sites: list[Site]) -> None:
    """Append a query record to the active session, if one is active."""
    name = active(sc.store.dir)
    if not name:
        return
    _append(sc.store.dir, name, {
        "type": "query", "query": query, "corpus": sc.label(), "count": len(sites),
        "digest": digest(sites), "results": [s.to_json() for s in sites[:MAX_RESULTS]],
        "keys": [match_key(s.file, s.function, s.text) for s in sites[:MAX_KEYS]]})


# --- reading ---------------------------------------------------------------------------

def load(index_dir: Path | None, name: str) -> list[dict[str, Any]]:
    """The events of a session, in order (bad lines are skipped)."""
    import json
    path = log_path(index_dir, name)
    if not path.exists():
        known = ", ".join(n for n, _ in list_sessions(index_dir)) or "none"
        raise SessionError(f"no session {name!r} (known: {known}); start one with "
                           f"`vmxref session start {name}`")
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(ev, dict) and isinstance(ev.get("type"), str):
            events.append(ev)
    return events


def list_sessions(index_dir: Path | None) -> list[tuple[str, Counter]]:
    """(name, event counts by type) of every session."""
    import json
    out = []
    for p in sorted(sessions_dir(index_dir).glob("*.jsonl")):
        counts: Counter = Counter()
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                counts[json.loads(line).get("type", "?")] += 1
            except (json.JSONDecodeError, AttributeError):
                counts["bad"] += 1
        out.append((p.stem, counts))
    return out


def site_from_json(d: dict[str, Any]) -> Site:
    """Rebuild a result from its `--json` object (as recorded in a session)."""
    fixed = ("kind", "corpus", "version", "file", "line", "col", "function", "symbol", "text",
             "paths")
    paths = None
    if isinstance(d.get("paths"), list):
        paths = [[Hop(str(h.get("function", "")), str(h.get("file", "")), int(h.get("line", 0)),
                      str(h.get("edge", "")), str(h.get("via", "")), str(h.get("entry", "")))
                  for h in p if isinstance(h, dict)] for p in d["paths"] if isinstance(p, list)]
    return Site(str(d.get("kind", "")), str(d.get("corpus", "")), str(d.get("version", "")),
                str(d.get("file", "")), int(d.get("line", 0)), int(d.get("col", 0)),
                str(d.get("function", "")), str(d.get("symbol", "")), str(d.get("text", "")),
                {k: v for k, v in d.items() if k not in fixed}, paths)


# --- replay ----------------------------------------------------------------------------

class Change(Record):
    """What one recorded query answers on another version."""

    __slots__ = ("query", "recorded_on", "recorded_count", "count", "added", "removed", "error",
                 "partial", "moved")
    __hash__ = None  # type: ignore[assignment]  # mutable

    def __init__(self, query: str, recorded_on: str, recorded_count: int, count: int = 0,
                 added: list[Site] | None = None, removed: list[Site] | None = None,
                 error: str = "", partial: bool = False) -> None:
        self.query, self.recorded_on, self.recorded_count = query, recorded_on, recorded_count
        self.count, self.error = count, error
        self.added: list[Site] = [] if added is None else added
        self.removed: list[Site] = [] if removed is None else removed
        self.partial = partial  # the record kept only a prefix of the results
        self.moved: list[tuple[str, Site, Site, str]] = []  # (status, old, new, note): a
        # removed and an added row `diff` pairs (moved to another function, changed)


def _recorded(ev: dict[str, Any]) -> tuple[Counter, dict[str, Site]]:
    results = [site_from_json(r) for r in ev.get("results", []) if isinstance(r, dict)]
    by_key = {match_key(s.file, s.function, s.text): s for s in results}
    keys = ev.get("keys") or list(by_key)
    return Counter(k for k in keys if isinstance(k, str)), by_key


def _removed_site(key: str, by_key: dict[str, Site]) -> Site:
    if key in by_key:
        return by_key[key]
    file, function, text = (key.split("\t") + ["", ""])[:3]
    return Site("recorded", "", "", file, 0, 0, function, "", text)


def replay_query(sc, ev: dict[str, Any]) -> Change:
    """Re-run one recorded query on `sc` and compare by file + function + statement text."""
    from vmxref import api
    ch = Change(str(ev.get("query", "")), str(ev.get("corpus", "")), int(ev.get("count", 0)))
    old, by_key = _recorded(ev)
    ch.partial = sum(old.values()) < ch.recorded_count
    try:
        sites = api.run_query(sc, ch.query)
    except VmxrefError as e:
        ch.error = str(e)
        sites = []
    ch.count = len(sites)
    new_by_key: dict[str, list[Site]] = {}
    for s in sites:
        new_by_key.setdefault(match_key(s.file, s.function, s.text), []).append(s)
    new = Counter({k: len(v) for k, v in new_by_key.items()})
    for k, n in (new - old).items():
        ch.added += new_by_key[k][-n:]
    for k, n in (old - new).items():
        ch.removed += [_removed_site(k, by_key)] * n
    if ch.added and ch.removed:  # (paired as `diff` pairs them: moved, changed)
        _pair_moves(ch)
    return ch


def _pair_moves(ch: Change) -> None:
    from vmxref.queries import diff
    where = lambda s: (s.file, s.line, s.col, s.text)  # noqa: E731
    for e in diff.diff_sites(ch.removed, ch.added):
        if e.status not in (diff.MOVED, diff.CHANGED, diff.SAME) or not e.old or not e.new:
            continue
        old = next((s for s in ch.removed if where(s) == where(e.old)), None)
        new = next((s for s in ch.added if where(s) == where(e.new)), None)
        if old is None or new is None:
            continue
        ch.removed.remove(old)
        ch.added.remove(new)
        ch.moved.append((e.status, old, new, e.note))


def replay(index_dir: Path | None, name: str, corpus: str) -> list[Change]:
    """Re-run every query of a session on `corpus` (NAME@VERSION)."""
    from vmxref import api
    sc = api.open_scope(index_dir, corpus)
    return [replay_query(sc, ev) for ev in load(index_dir, name) if ev["type"] == "query"]
