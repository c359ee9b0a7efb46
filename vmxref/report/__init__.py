"""HTML reports: a static site of saved queries, their results, call paths and sources.

The only package that uses Jinja2 and Pygments. `build_site` runs saved queries and writes
the site; `vmxref.sessions` reuses the same pages to export a recorded session.
"""
from __future__ import annotations

import time
from pathlib import Path

from vmxref.errors import UnknownCorpus, VmxrefError
from vmxref.queries.base import Scope
from vmxref.queries.saved import SavedQuery, check
from vmxref.report.site import Entry, SiteBuilder, write_all
from vmxref.store import Store

__all__ = ["build_site", "run_saved", "Entry", "SiteBuilder", "write_all"]


def _spec(sq: SavedQuery) -> str | None:
    if not sq.corpus:
        return None
    return sq.corpus + (f"@{sq.version}" if sq.version else "")


def run_saved(store: Store, sq: SavedQuery, key: str | None = None) -> Entry:
    """Run one saved query on the store and check its expectations."""
    from vmxref import api
    e = Entry(key=key or str(sq.path), title=sq.title, query=sq.query.text, notes=sq.notes,
              corpus=_spec(sq) or "all indexed corpora", source=sq.path.name)
    try:
        sc = Scope(store, store.corpus_ids(_spec(sq)))
    except UnknownCorpus as err:
        e.status, e.messages = "skipped", [str(err)]
        return e
    try:
        e.sites = api.run_query(sc, sq.query.text)
    except VmxrefError as err:
        e.status, e.messages = "error", [str(err)]
        return e
    if sq.expect is not None:
        e.messages = check(sq.expect, [s.to_json() for s in e.sites])
        e.status = "fail" if e.messages else "pass"
    return e


def build_site(out_dir: Path, saved_queries: list[SavedQuery],
               index_dir: Path | None = None) -> dict:
    """Run `saved_queries` and write the static site into `out_dir`; returns a summary.

    Summary keys: out, pages, queries, source_pages, symbol_pages, skipped, errors, failed,
    seconds (build time including the queries).
    """
    t0 = time.perf_counter()
    with Store.open(index_dir) as store:
        entries = [run_saved(store, sq, key=f"{i}:{sq.path}") for i, sq in
                   enumerate(saved_queries)]
        corpora = [f"{c['name']}@{c['version']}" for c in store.corpora()]
        b = SiteBuilder(Path(out_dir), store)
        summary = write_all(b, entries, "index.html", title="vmxref report", corpora=corpora)
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    return summary
