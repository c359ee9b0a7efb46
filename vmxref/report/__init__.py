"""HTML reports: a static site of saved queries, their results, call paths and sources.

The only package that uses Jinja2 and Pygments. `build_site` runs saved queries and writes
the site; `vmxref.sessions` reuses the same pages to export a recorded session. Saved files
are planned, run and judged as `vmxref run` and `vmxref check` do (vmxref.queries.runner):
a file that pins no corpus version runs once per indexed version, and the report has a row
and a page per file and version.
"""
from __future__ import annotations

import time
from pathlib import Path

from vmxref.queries import runner
from vmxref.queries.saved import SavedQuery
from vmxref.report.site import Entry, SiteBuilder, write_all
from vmxref.store import Store

__all__ = ["build_site", "entry_of", "Entry", "SiteBuilder", "write_all"]

_STATUS = {runner.PASS: "pass", runner.FAIL: "fail", runner.RAN: "none",
           runner.SKIP: "skipped", runner.ERROR: "error"}


def entry_of(o: runner.Outcome) -> Entry:
    """The report's row of one outcome: one saved file on one corpus version."""
    sq, plan = o.plan.saved, o.plan
    return Entry(key=f"{sq.path}@{plan.corpus}", title=sq.title, query=sq.query.text,
                 notes=sq.notes, corpus=plan.corpus, sites=o.sites, status=_STATUS[o.status],
                 messages=[str(f) for f in o.failures], source=sq.path.name, remark=o.remark)


def _not_run(outcomes: list[runner.Outcome]) -> list[str]:
    """One line per skipped or failed-to-run outcome, for the command line."""
    said = {runner.SKIP: "skipped", runner.ERROR: "query error"}
    return [f"{said[o.status]} {o.plan.shown} [{o.plan.corpus}]: "
            f"{'; '.join(map(str, o.failures))}" for o in outcomes if o.status in said]


def build_site(out_dir: Path, saved_queries: list[SavedQuery], index_dir: Path | None = None,
               corpus: str | None = None, repo_root: Path | None = None) -> dict:
    """Run `saved_queries` (on the versions `corpus` selects, when given) and write the
    static site into `out_dir`; returns a summary.

    Summary keys: out, pages, queries (rows: files x versions), files, source_pages,
    symbol_pages, skipped, errors, failed (titles), not_run (lines saying why), seconds
    (build time including the queries). Raises as runner.prepare does (an unknown symbol,
    an unindexed --corpus) before anything runs.
    """
    t0 = time.perf_counter()
    with Store.open(index_dir) as store:
        plans = runner.plan_all(store, saved_queries, repo_root, corpus)
        outcomes = runner.execute(plans, enforce=True)
        corpora = [f"{c['name']}@{c['version']}" for c in store.corpora()]
        b = SiteBuilder(Path(out_dir), store)
        summary = write_all(b, [entry_of(o) for o in outcomes], "index.html",
                            title="vmxref report", corpora=corpora, files=len(saved_queries))
    summary.update(files=len(saved_queries), not_run=_not_run(outcomes),
                   seconds=round(time.perf_counter() - t0, 3))
    return summary
