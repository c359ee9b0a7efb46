"""`search TEXT [in code|comment|string] [path GLOB]`: full text over the indexed corpora."""
from __future__ import annotations

import os

from vmxref import fulltext
from vmxref.errors import NoIndex
from vmxref.model import Site
from vmxref.queries.base import Scope

FULLTEXT_DIR = "fulltext"


def preload(sc: Scope) -> None:
    """Open the full-text index now (kept for the process), e.g. when a shell starts."""
    d = os.path.join(sc.store.dir, FULLTEXT_DIR)
    if os.path.exists(d):
        fulltext.preload(d)


def search(sc: Scope, text: str, scope: str | None = None, path_glob: str | None = None,
           limit: int = 50) -> list[Site]:
    """Ranked lines (code, comments, strings) matching `text`, with their functions."""
    d = os.path.join(sc.store.dir, FULLTEXT_DIR)  # (sc.store.path would import pathlib)
    if not os.path.exists(d):
        raise NoIndex(f"no full-text index in {sc.store.dir}/; re-run `vmxref index` "
                      f"without --no-fulltext")
    wanted = sc.store.get_meta("fulltext_wanted")  # (api.FULLTEXT_WANTED)
    if wanted is not None and fulltext.open_source(d) not in (None, wanted):
        sc.memo("search")["stale"] = True  # (said beside the answer: engine.note)
    labels = [sc.store.corpus_label(c) for c in sc.corpus_ids]
    out: list[Site] = []
    per = limit if len(labels) == 1 else limit * 2
    for name, version in labels:
        hits = fulltext.search(d, text, corpus=name, version=version, path_glob=path_glob,
                               scope=scope, limit=per)
        for h in hits:
            out.append(Site("search", h.corpus, h.version, h.path, h.line, h.col, h.function,
                            text, h.text, {"scope": h.scope, "score": round(h.score, 3)}))
        if not getattr(hits, "complete", True):
            for s in out[-len(hits):]:
                s.extra["incomplete"] = True
    out.sort(key=lambda s: -s.extra["score"])
    return out[:limit]
