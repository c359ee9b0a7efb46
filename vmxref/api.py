"""The library API: what the CLI, saved queries, reports and sessions call.

Each CLI command maps to one function here; nothing here prints or exits.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # (pathlib: annotations only; a query process does not import it)
if TYPE_CHECKING:
    from pathlib import Path

from vmxref.model import Site
from vmxref.queries.base import Scope
from vmxref.store import Store


def open_scope(index_dir: str | Path | None = None, corpus: str | None = None) -> Scope:
    """Open the index read-only and restrict it to `corpus` ('NAME' or 'NAME@VERSION')."""
    store = Store.open(index_dir)
    return Scope(store, store.corpus_ids(corpus))


def index(root: str, corpus: str, index_dir: str | Path | None = None, profile: str | None = None,
          procs: int | None = None, progress=None, wait: bool = False, fulltext: bool = True):
    """Index `root` as corpus NAME[@VERSION] with its profile; returns IndexStats.

    The symbol store is published first (one transaction); the full-text index is then
    rebuilt beside it and swapped in when complete.
    """
    from vmxref import corpora, interrupts
    from vmxref.indexer import index_corpus

    name, version = corpora.split_spec(corpus)
    if corpus.endswith("@") or not name:  # (`linux-kvm@`: not the profile's default version)
        from vmxref.errors import UnknownCorpus
        raise UnknownCorpus(f"--corpus {corpus!r}: give NAME or NAME@VERSION (a name and a "
                            f"version around the @)")
    path = corpora.profile_path(profile or name)  # (UnknownCorpus before the index opens)
    st = Store.open_for_write(index_dir, wait=wait)
    try:
        prof = _profile(st, path)
        if prof.name != name:  # a profile file used under another corpus name
            prof = corpora.Profile(name=name, data={**prof.data, "name": name}, path=prof.path,
                                   glob_rx=prof.glob_rx)
        stats = index_corpus(root, prof, version or prof.default_version, st, procs=procs,
                             progress=progress)
        key = f"profile:{prof.path}"
        if prof.glob_rx is None or not corpora.snapshot_stat_is_current(str(prof.path),
                                                                         st.get_meta(key)):
            # (else it came from the index's snapshot, still current)
            snap = corpora.snapshot(prof)  # queries read the profile from here while unchanged
            if snap is not None:
                st.set_meta(key, snap)
        changed = stats.parsed or stats.reused or stats.removed
        from vmxref.queries import requests_meta
        for cid in st.corpus_ids(f"{name}@{version or prof.default_version}"):
            if changed or not requests_meta.is_current(st, cid, prof):
                from vmxref.queries import requests
                requests.precompute(st, cid)
        if stats.parsed:  # the grammars that produced the facts just added
            from vmxref.indexer.ts import grammar_versions
            for k, v in grammar_versions().items():
                st.set_meta(k, v)
        source = None
        if changed or st.get_meta(FULLTEXT_WANTED) is None:  # (what the full text should be
            # made of now: a search from an older one says so, textsearch.search)
            source = _fulltext_source(st)
            st.set_meta(FULLTEXT_WANTED, source)
        interrupts.check()  # (an interrupt whose KeyboardInterrupt was lost on the way)
        st.commit()
        if fulltext:
            interrupts.check()
            secs = build_fulltext(st, force=False, source=source)
            stats.fulltext_seconds = secs or 0.0
            stats.fulltext_current = secs is None
        else:
            stats.fulltext_skipped = True
        return stats
    finally:
        st.close()


def remove(corpus: str, index_dir: str | Path | None = None, wait: bool = False,
           fulltext: bool = True) -> tuple[str, int, int]:
    """Remove corpus version NAME@VERSION (or NAME, when one version of it is indexed) from
    the index: its files, the contents no other version shares, and their facts, in one
    transaction; then the full text drops its texts. Returns (NAME@VERSION, files, contents
    removed)."""
    from vmxref.errors import UnknownCorpus
    st = Store.open_for_write(index_dir, wait=wait)
    try:
        name, version = corpus.partition("@")[::2]
        vers = [c for c in st.corpora(stats=False) if c["name"] == name]
        hit = [c for c in vers if not version or c["version"] == version]
        if len(hit) != 1:
            known = ", ".join(f"{c['name']}@{c['version']}" for c in st.corpora(stats=False))
            raise UnknownCorpus(
                f"corpus {corpus!r} is not indexed; indexed: {known or 'none'}" if not hit else
                f"corpus {name!r} has {len(hit)} versions indexed; name one: "
                + ", ".join(f"{name}@{c['version']}" for c in hit))
        label = f"{name}@{hit[0]['version']}"
        files = st.remove_corpus(hit[0]["id"])
        blobs = st.gc()
        st.commit()
        from vmxref.queries.textsearch import FULLTEXT_DIR
        if fulltext and os.path.isdir(os.path.join(st.dir, FULLTEXT_DIR)):
            build_fulltext(st, force=False)
        return label, files, blobs
    finally:
        st.close()


def _profile(st: Store, path: str):
    """The profile at `path`: from the index's snapshot while the file is unchanged (no
    TOML parsing, glob regexes ready), else parsed."""
    from vmxref import corpora
    snap = st.get_meta(f"profile:{path}")
    prof = corpora.from_snapshot(str(path), snap) if snap is not None else None
    return prof if prof is not None else corpora.load(str(path))


def build_fulltext(st: Store, force: bool = True, source: str | None = None) -> float | None:
    """Build the full-text index of every corpus version in the store; returns seconds.
    Without `force`, None when the full-text index already holds what the store does (the
    same files with the same contents, built by this format and opening whole): an
    unchanged `vmxref index` of all of Linux does not spend 12 minutes on it again; and
    when it holds part of it, it is grown by the contents it lacks (a pull, a second
    version). `force` writes it afresh."""
    import time

    from vmxref import fulltext as ft
    from vmxref.queries.textsearch import FULLTEXT_DIR

    t0 = time.perf_counter()
    conn = st.conn
    source = source or _fulltext_source(st)  # (`source`: computed by the caller already)
    if not force and ft.current_source(os.path.join(st.dir, FULLTEXT_DIR)) == source:
        return None
    blob_of: dict[bytes, int] = {}

    def files():  # (a content is read only if the full text lacks it: `load`)
        for name, version, path, bid, sha1, profile in conn.execute(
                _FILES_SQL.format("b.id, b.sha1, b.profile")):
            key = fulltext_key(sha1, profile)
            blob_of[key] = bid
            yield ft.FileText(name, version, path, None, None, key)
    ft.build(os.path.join(st.dir, FULLTEXT_DIR), files(), source=source,
             load=lambda f: fulltext_text(conn, blob_of[f.key]), grow=not force)
    return round(time.perf_counter() - t0, 3)


def fulltext_key(sha1: str, profile: str) -> bytes:
    """The full-text key of a blob: its content with its facts (the function spans come
    from them)."""
    import hashlib
    return hashlib.sha1(f"{sha1}\0{profile}".encode("utf-8", "surrogateescape")).digest()


def fulltext_text(conn, bid: int) -> tuple[str, list]:
    """(text, function spans) of a blob, as the full text takes them (per blob: a
    corpus-wide dict of spans costs ~100 MB on all of Linux)."""
    import zlib
    content = conn.execute("SELECT content FROM blob WHERE id = ?", (bid,)).fetchone()[0]
    text = zlib.decompress(content).decode("utf-8", "replace") if content else ""
    return text, [tuple(r) for r in conn.execute(
        "SELECT line, end_line, name FROM sym WHERE blob_id = ? AND kind = 'function'", (bid,))]


# every file of every corpus version with columns of its blob, in the order the full text
# is fed (path order: fulltext relies on it, see its in_order)
_FILES_SQL = ("SELECT c.name, c.version, f.path, {} FROM file f "
              "JOIN corpus c ON c.id = f.corpus_id JOIN blob b ON b.id = f.blob_id "
              "ORDER BY c.name, c.version, f.path")


FULLTEXT_WANTED = "fulltext_wanted"  # meta: _fulltext_source of the last index run


def _fulltext_source(st: Store) -> str:
    """A digest of what the full text of the store is made of: every corpus version's file
    paths with their contents (sha1 and macro profile: the function spans come from the
    facts), the full-text format and chunk size."""
    import hashlib

    from vmxref import fulltext as ft
    h = hashlib.sha1(f"{ft.FORMAT} {ft.CHUNK_CHARS}\n".encode())
    for row in st.conn.execute(_FILES_SQL.format("b.sha1, b.profile")):
        h.update("\0".join(row).encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()


def run_query(sc: Scope, text: str) -> list[Site]:
    """Parse and run one query of the query language."""
    from vmxref.queries import engine
    return engine.run(sc, text)


def stats(sc: Scope) -> list[dict]:
    """Per corpus version: files, symbols, references, parse-error share, resolution rates."""
    from vmxref.queries import stats as _stats
    return _stats.corpus_stats(sc)
