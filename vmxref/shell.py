"""`vmxref shell`: a query prompt that keeps the index open (history, tab completion)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from vmxref import api, sessions
from vmxref.errors import VmxrefError
from vmxref.queries import engine, lang
from vmxref.render import clean, count, render_sites

HELP = ("Type a query (e.g. `callers kvm_guest_time_update`, `raises KVM_REQ_CLOCK_UPDATE | "
        "paths`), `:json` to toggle JSON output, `:time` to toggle timings, `:quit` to leave.")


class Completer:
    """Completes verbs, keywords and symbol names (prefix lookup in the index)."""

    def __init__(self, sc):
        self.sc = sc
        self.matches: list[str] = []

    def candidates(self, line: str, word: str) -> list[str]:
        if not line.strip() or line.strip() == word:
            return [v + " " for v in lang.VERBS if v.startswith(word)]
        if len(word) < 2:
            return []
        rows = self.sc.conn.execute(
            "SELECT DISTINCT name FROM sym WHERE name >= ? AND name < ? ORDER BY name LIMIT 50",
            (word, word + "\uffff")).fetchall()
        return [r[0] for r in rows]

    def complete(self, text: str, state: int):
        if state == 0:
            import readline
            self.matches = self.candidates(readline.get_line_buffer(), text)
        return self.matches[state] if state < len(self.matches) else None


def _warm_up(sc) -> None:
    """Load what the first query of each kind would otherwise load (modules, the request
    API, the profile tables, the static-call keys), so that every answer in the shell is
    fast."""
    import ast  # noqa: F401 (cases._eval's, imported at its first use)
    import importlib
    import pkgutil

    from vmxref import lazy, queries
    from vmxref.queries import paths, requests, textsearch
    for m in pkgutil.iter_modules(queries.__path__):  # (every query module: a first `path`
        # loaded guards and registered, 3-5 ms of its answer)
        if not m.name.startswith("_"):
            importlib.import_module(f"vmxref.queries.{m.name}")
    lazy.compile_all()
    try:
        requests.request_api(sc)
        paths.Entries(sc)
        # (the corpus-wide static-call keys: the first `path` or `callers` that meets a
        # function named anywhere but in calls builds them, 3 ms of linux-big's ~21 ms)
        from vmxref.queries import edges, staticcalls
        staticcalls.static_keys(edges.graph(sc))
    except VmxrefError:
        pass
    try:
        textsearch.preload(sc)
    except VmxrefError:
        pass  # said again, as an error line, by the first search


def run(index_dir: Path | None, corpus: str | None, as_json: bool) -> None:
    """Read-eval-print loop until EOF or :quit."""
    sc = api.open_scope(index_dir, corpus)
    _warm_up(sc)
    history = sc.store.path / "shell_history"
    try:
        import readline
        readline.set_completer(Completer(sc).complete)
        readline.set_completer_delims(" \t|>")
        readline.parse_and_bind("tab: complete")
        try:
            readline.read_history_file(history)
        except OSError:
            pass
    except ImportError:  # no readline: plain input()
        readline = None  # type: ignore[assignment]
    timing = False
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"vmxref shell on {sc.label()}. {HELP}")
    while True:
        try:
            text = input("vmxref> " if interactive else "").strip()
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            continue
        if not text:
            continue
        if text in (":q", ":quit", ":exit"):
            break
        if text == ":json":
            as_json = not as_json
            continue
        if text == ":time":
            timing = not timing
            continue
        if text in (":h", ":help", "help"):
            print(HELP)
            continue
        t0 = time.perf_counter()
        try:
            sites = api.run_query(sc, text)
        except lang.QuerySyntaxError as e:
            print(f"error: {clean(lang.format_error(e))}")
            continue
        except VmxrefError as e:
            print(f"error: {clean(str(e))}")
            continue
        sessions.record_if_active(text, sc, sites)
        render_sites(sites, as_json, print, len(sc.corpus_ids) > 1)
        said = engine.remark(sc, text, sites) if not as_json else ""
        if said:
            print(clean(f"({said})"))
        if timing or not sites:
            print(f"({count(len(sites), 'result')}, {1000 * (time.perf_counter() - t0):.1f} ms)")
    if readline is not None:
        try:
            readline.write_history_file(history)
        except OSError:
            pass
