"""The library API: what the CLI, saved queries, reports and sessions call.

Each CLI command maps to one function here; nothing here prints or exits.
"""
from __future__ import annotations

from pathlib import Path

from vmxref.model import Site
from vmxref.queries.base import Scope
from vmxref.store import Store


def open_scope(index_dir: Path | None = None, corpus: str | None = None) -> Scope:
    """Open the index read-only and restrict it to `corpus` ('NAME' or 'NAME@VERSION')."""
    store = Store.open(index_dir)
    return Scope(store, store.corpus_ids(corpus))


def index(root: str, corpus: str, index_dir: Path | None = None, profile: str | None = None,
          procs: int | None = None, progress=None, wait: bool = False):
    """Index `root` as corpus NAME[@VERSION] with its profile; returns IndexStats."""
    from vmxref import corpora
    from vmxref.indexer import index_corpus
    from vmxref.indexer.ts import grammar_versions

    name, version = corpora.split_spec(corpus)
    prof = corpora.load(profile or name)
    if prof.name != name:  # a profile file used under another corpus name
        prof = corpora.Profile(name=name, data={**prof.data, "name": name}, path=prof.path)
    st = Store.open_for_write(index_dir, wait=wait)
    try:
        stats = index_corpus(root, prof, version or prof.default_version, st, procs=procs,
                             progress=progress)
        for k, v in grammar_versions().items():
            st.set_meta(k, v)
        st.commit()
        return stats
    finally:
        st.close()


def run_query(sc: Scope, text: str) -> list[Site]:
    """Parse and run one query of the query language."""
    from vmxref.queries import engine
    return engine.run(sc, text)


def stats(sc: Scope) -> list[dict]:
    """Per corpus version: files, symbols, references, parse-error share, resolution rates."""
    from vmxref.queries import stats as _stats
    return _stats.corpus_stats(sc)
