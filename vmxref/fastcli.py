"""The console entry point, with a fast path for query verbs.

`vmxref callers f`, `vmxref q '...'` and the other query verbs are the commands people type
all day; importing click and every command module costs more than answering them. When the
arguments are a query verb plus only --json / --corpus / --index, the query runs here with the
library alone; anything else (or anything unusual) goes to the full click CLI. A plain
`vmxref index ROOT --corpus C [--profile P] [--procs N] [--wait] [--no-fulltext]` runs here too:
re-indexing an unchanged tree should cost little more than looking at its files.
"""
from __future__ import annotations

import os
import sys

VERBS = frozenset({"def", "refs", "callers", "callees", "writes", "reads", "calls", "raises",
                   "consumes", "path", "provenance"})


def _parse(argv: list[str]) -> tuple[str, str | None, str | None, bool] | None:
    """(query, corpus, index dir, json) for a plain query invocation, else None."""
    index = os.environ.get("VMXREF_INDEX")
    if len(argv) >= 2 and argv[0] == "--index":  # `vmxref --index DIR q ...`
        index, argv = argv[1], argv[2:]
    elif argv and argv[0].startswith("--index="):
        index, argv = argv[0].split("=", 1)[1], argv[1:]
    if not argv or (argv[0] not in VERBS and argv[0] not in ("q", "search")):
        return None
    words, corpus, as_json = [], None, False
    it = iter(argv[1:])
    for a in it:
        if a == "--json":
            as_json = True
        elif a in ("--corpus", "-c"):
            one = next(it, None)
            if one is None:
                return None
            corpus = f"{corpus},{one}" if corpus else one  # (given again: both)
        elif a == "--index":
            index = next(it, None)
            if index is None:
                return None
        elif a.startswith("--corpus=") or a.startswith("--index="):
            k, v = a[2:].split("=", 1)
            if k == "corpus":
                corpus = f"{corpus},{v}" if corpus else v
            else:
                index = v
        elif a.startswith("-") and a not in ("->",):
            return None  # --help and friends: the full CLI
        else:
            words.append(a)
    if not words:
        return None
    if argv[0] == "q":
        if len(words) != 1:
            return None
        return words[0], corpus, index, as_json
    if argv[0] == "search":  # the words are one text (as `vmxref search` reads them)
        from vmxref.queries.lang import search_query
        return search_query(words), corpus, index, as_json
    return f"{argv[0]} {' '.join(words)}", corpus, index, as_json


def _parse_index(argv: list[str]) -> dict | None:
    """api.index() keyword arguments for a plain `vmxref index` invocation, else None."""
    kw: dict = {"index_dir": os.environ.get("VMXREF_INDEX"), "profile": None, "procs": None,
                "wait": False, "fulltext": True}
    if len(argv) >= 2 and argv[0] == "--index":
        kw["index_dir"], argv = argv[1], argv[2:]
    if not argv or argv[0] != "index":
        return None
    roots = []
    it = iter(argv[1:])
    for a in it:
        if "=" in a and a.startswith("--"):
            a, v = a.split("=", 1)
        elif a in ("--corpus", "-c", "--profile", "--procs", "--index"):
            v = next(it, None)
        else:
            v = ""
        if a == "--wait" and not v:
            kw["wait"] = True
        elif a == "--no-fulltext" and not v:
            kw["fulltext"] = False
        elif a in ("--corpus", "-c") and v:
            kw["corpus"] = v
        elif a == "--profile" and v:
            kw["profile"] = v
        elif a == "--index" and v:
            kw["index_dir"] = v
        elif a == "--procs" and v and v.isdigit():
            kw["procs"] = int(v)
        elif a.startswith("-") or v:
            return None  # --help, a bad value, an option without its value: the full CLI says it
        else:
            roots.append(a)
    if len(roots) != 1 or "corpus" not in kw:
        return None
    kw["root"] = roots[0]
    return kw


def run_index(kw: dict) -> int:
    """Index as `vmxref index` does; returns the exit code."""
    from vmxref import api, errors, interrupts
    from vmxref.render import progress_printer
    interrupts.install()
    try:
        stats = api.index(kw["root"], kw["corpus"], kw["index_dir"] or None,
                          kw["profile"], kw["procs"], progress_printer(sys.stderr), kw["wait"],
                          fulltext=kw["fulltext"])
    except (KeyboardInterrupt, Exception) as e:  # (one_line: None for a bug, re-raised)
        said = errors.one_line(e)
        if said is None:
            raise
        print(said[0], file=sys.stderr)
        if isinstance(e, KeyboardInterrupt):
            interrupts.exit_within(said[1])
        return said[1]
    print(stats.summary(), file=sys.stderr)
    return 0


def run_fast(query: str, corpus: str | None, index: str | None, as_json: bool) -> int:
    """Run one query and print it; returns the exit code (0 results, 1 none, 2 error)."""
    from vmxref import api
    from vmxref.errors import VmxrefError, one_line
    from vmxref.render import render_sites
    try:
        sc = api.open_scope(index, corpus)
        sites = api.run_query(sc, query)
        from vmxref import sessions
        sessions.record_if_active(query, sc, sites)
    except (VmxrefError, Exception) as e:  # (one_line: None for a bug, re-raised)
        said = one_line(e)
        if said is None:
            raise
        print(said[0], file=sys.stderr)
        return said[1]
    out = sys.stdout
    render_sites(sites, as_json, lambda line: out.write(line + "\n"), len(sc.corpus_ids) > 1)
    out.flush()
    from vmxref.queries.engine import note as side_note
    note = side_note(sc, query, sites, as_json)
    if note:
        print(note, file=sys.stderr)
    return 0 if sites else 1


def main() -> None:
    """Console entry point."""
    fast = _parse(sys.argv[1:])
    if fast is None:
        kw = _parse_index(sys.argv[1:])
        if kw is not None:
            sys.exit(run_index(kw))
        from vmxref.cli import main as full
        full()
        return
    try:
        code = run_fast(*fast)
    except KeyboardInterrupt:
        print("vmxref: interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a reader that went away (`| head`): nothing more to say
        pass
    # A read-only query leaves nothing to clean up: skip the interpreter's teardown of every
    # module and object (a few ms, as much as some answers take).
    os._exit(code)
