"""A recorded session as a readable account: Markdown, or HTML built from the report pages."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vmxref import sessions
from vmxref.errors import VmxrefError
from vmxref.report import facts, svg
from vmxref.report.site import Entry, SiteBuilder, write_all
from vmxref.store import Store

MD_RESULTS = 40      # results listed per query in Markdown
MD_EXCERPTS = 8      # of which with a source excerpt
MD_PATHS = 5         # call paths listed per result
CONTEXT = 2


def when(ts: Any) -> str:
    """A UTC time stamp for humans."""
    try:
        return datetime.fromtimestamp(float(ts), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return "?"


def entries_of(name: str, events: list[dict[str, Any]]) -> list[Entry]:
    """Report entries for the recorded queries of a session, in order."""
    out = []
    for i, ev in enumerate(e for e in events if e["type"] == "query"):
        sites = [sessions.site_from_json(r) for r in ev.get("results", []) if isinstance(r, dict)]
        out.append(Entry(key=f"session:{name}:{i}", title=f"{i + 1}. {ev.get('query', '')}",
                         query=str(ev.get("query", "")), corpus=str(ev.get("corpus", "")),
                         sites=sites, when=when(ev.get("time")), count=int(ev.get("count", 0))))
    return out


def _corpus_of(ev: dict[str, Any], last: str) -> tuple[str, str]:
    spec = (ev.get("corpus") or last or "").split(",")[0].strip()
    name, _, version = spec.partition("@")
    return name, version


def _load(index_dir: Path | None, name: str) -> tuple[list[dict], list[Entry], Store | None]:
    """A session's events and report entries, and the index (None when there is none:
    pages without excerpts or source pages)."""
    events = sessions.load(index_dir, name)
    entries = entries_of(name, events)
    try:
        store: Store | None = Store.open(index_dir)
    except VmxrefError:
        store = None
    return events, entries, store


# --- HTML --------------------------------------------------------------------------------

def export_html(index_dir: Path | None, name: str, out_dir: Path) -> dict:
    """Write a session as a site: its timeline as the index page, then query/source pages."""
    events, entries, store = _load(index_dir, name)
    try:
        b = SiteBuilder(Path(out_dir), store)
        timeline = _timeline(events, entries, b)
        return write_all(b, entries, "session.html", title=f"Session {name}", name=name,
                         timeline=timeline, builder=b)
    finally:
        if store is not None:
            store.close()


def _timeline(events: list[dict[str, Any]], entries: list[Entry], b: SiteBuilder) -> list[dict]:
    out, qi, last = [], 0, ""
    for ev in events:
        item: dict[str, Any] = {"type": ev["type"], "when": when(ev.get("time")),
                                "resumed": bool(ev.get("resumed"))}
        if ev["type"] == "query":
            item["entry"] = entries[qi]
            last = entries[qi].corpus
            qi += 1
        elif ev["type"] == "note":
            item["text"] = str(ev.get("text", ""))
        elif ev["type"] == "bookmark":
            corpus, version = _corpus_of(ev, last)
            item.update(file=str(ev.get("file", "")), line=int(ev.get("line", 0)),
                        text=str(ev.get("text", "")), corpus=f"{corpus}@{version}",
                        line_text=str(ev.get("line_text", "")), key=(corpus, version))
            b.want(corpus, version, item["file"], item["line"])
        out.append(item)
    return out


# --- Markdown ----------------------------------------------------------------------------

def _code(text: str) -> str:
    """An inline Markdown code span that survives backticks in `text`."""
    text = text.replace("\n", " ")
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    tick = "`" * (run + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or run else ""
    return f"{tick}{pad}{text}{pad}{tick}"


def _fence(lines: list[str], lang: str = "c") -> list[str]:
    run = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, run + 1)
    return [f"{fence}{lang}", *lines, fence]


class _Excerpts:
    """Source lines from the index, when there is one."""

    def __init__(self, store: Store | None):
        self.store = store
        self.cids = {(c["name"], c["version"]): c["id"] for c in store.corpora()} if store else {}

    def around(self, corpus: str, version: str, path: str, line: int) -> list[str]:
        cid = self.cids.get((corpus, version))
        bid = facts.blob_of(self.store, cid, path) if cid is not None else None
        if bid is None or line < 1:
            return []
        lines = self.store.lines(bid)
        lo, hi = max(1, line - CONTEXT), min(len(lines), line + CONTEXT)
        return [f"{n:5d}{'>' if n == line else ' '} {lines[n - 1]}" for n in range(lo, hi + 1)]


def _md_query(e: Entry, ex: _Excerpts) -> list[str]:
    out = [f"### Query {_code(e.query)}", "",
           f"On {_code(e.corpus)} at {e.when}: **{e.total} result{'s' if e.total != 1 else ''}**"
           + (f" (first {len(e.sites)} recorded)" if len(e.sites) < e.total else "") + ".", ""]
    for i, s in enumerate(e.sites[:MD_RESULTS]):
        extra = ", ".join(f"{k}: {v}" for k, v in s.extra.items()
                          if isinstance(v, (str, int)) and v != "" and k != "depth")
        out.append(f"- {_code(f'{s.file}:{s.line}')} in {_code(s.function or '(file scope)')}: "
                   f"{_code(s.text)}" + (f" ({extra})" if extra else ""))
        lines = ex.around(s.corpus, s.version, s.file, s.line) if i < MD_EXCERPTS else []
        if lines:
            out += ["", *("  " + x for x in _fence(lines)), ""]
        for p in (s.paths or [])[:MD_PATHS]:
            out.append(f"  - path: {_code(svg.path_text(p))}")
    if len(e.sites) > MD_RESULTS:
        out.append(f"- … {len(e.sites) - MD_RESULTS} more recorded results")
    return out + [""]


def export_markdown(index_dir: Path | None, name: str, out_file: Path) -> int:
    """Write a session as Markdown; returns the number of events written."""
    events, entries, store = _load(index_dir, name)
    try:
        text = "\n".join(_markdown(name, events, entries, _Excerpts(store)))
    finally:
        if store is not None:
            store.close()
    Path(out_file).write_text(text + "\n", encoding="utf-8")
    return len(events)


def _markdown(name: str, events: list[dict[str, Any]], entries: list[Entry],
              ex: _Excerpts) -> list[str]:
    from vmxref.render import count
    n = {t: sum(1 for e in events if e["type"] == t) for t in ("query", "note", "bookmark")}
    out = [f"# Code-reading session {_code(name)}", "",
           f"Recorded from {when(events[0].get('time')) if events else '?'} to "
           f"{when(events[-1].get('time')) if events else '?'}: "
           f"{count(n['query'], 'query').replace('querys', 'queries')}, "
           f"{count(n['note'], 'note')}, {count(n['bookmark'], 'bookmark')}.", ""]
    qi, last = 0, ""
    for ev in events:
        t = ev["type"]
        if t == "note":
            out += [f"**Note** ({when(ev.get('time'))}):", "", str(ev.get("text", "")), ""]
        elif t == "query":
            out += _md_query(entries[qi], ex)
            last = entries[qi].corpus
            qi += 1
        elif t == "bookmark":
            corpus, version = _corpus_of(ev, last)
            loc = f"{ev.get('file', '')}:{ev.get('line', '')}"
            out += [f"**Bookmark** {_code(loc)} ({corpus}@{version}): {ev.get('text', '')}", ""]
            lines = ex.around(corpus, version, str(ev.get("file", "")), int(ev.get("line", 0)))
            if lines:
                out += [*_fence(lines), ""]
        elif t in ("start", "stop"):
            verb = "resumed" if ev.get("resumed") else ("started" if t == "start" else "stopped")
            out += [f"*Session {verb} at {when(ev.get('time'))}.*", ""]
    return out
