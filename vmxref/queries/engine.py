"""The query engine: runs a parsed query on a scope and applies its pipes."""
from __future__ import annotations

from vmxref.errors import UnknownSymbol, VmxrefError
from vmxref.model import Site
from vmxref.queries import lang
from vmxref.queries.base import Scope


def run(sc: Scope, text: str) -> list[Site]:
    """Parse `text` and run it."""
    return run_parsed(sc, lang.parse(text))


def run_parsed(sc: Scope, q: lang.Query) -> list[Site]:
    """Run a parsed query, then its pipes in order. On several corpus versions (no
    --corpus) it runs on each alone, its results one version after the other: types, tables
    and call graphs are those of one version (5.1's PDMDEVREG is not 6.1.36's); a version
    that lacks a name the query asks about has no results. `search` and `logline` rank
    across them (a log line is one product's: its best match decides what else is shown)."""
    if len(sc.corpus_ids) > 1 and q.verb not in ("search", "logline"):
        out: list[Site] = []
        missing = sc.memo("version_missing")  # corpus id -> why it has no results (note())
        missing.clear()
        for cid in sc.corpus_ids:
            try:
                out += _run_one(Scope(sc.store, [cid]), q)
            except UnknownSymbol as e:
                missing[cid] = str(e)
        if len(missing) == len(sc.corpus_ids):
            return _run_one(sc, q)  # (the error, with look-alikes from every version)
        return out
    return _run_one(sc, q)


def _run_one(sc: Scope, q: lang.Query) -> list[Site]:
    fn = _VERBS.get(q.verb)
    if fn is None:
        raise VmxrefError(f"the verb {q.verb!r} is not available in this build of vmxref")
    args = q.args
    if q.verb in ("search", "logline") and q.pipes and q.pipes[0].name == "limit":
        args = {**args, "limit": q.pipes[0].args["n"]}  # the ranking keeps that many
    sites = fn(sc, args)
    for p in q.pipes:
        if p.name == "limit":
            sites = sites[: p.args["n"]]
        elif p.name == "paths":
            from vmxref.queries import paths
            sites = paths.attach(sc, sites, start=p.args.get("from"), depth=p.args.get("depth") or 6)
    return sites


def _def(sc, a):
    from vmxref.queries.symbols import definitions
    return definitions(sc, a["name"])


def _refs(sc, a):
    from vmxref.queries.symbols import references
    return references(sc, a["name"], a.get("kinds"))


def _callers(sc, a):
    from vmxref.queries.callgraph import callers
    return callers(sc, a["func"], a.get("depth") or 1)


def _callees(sc, a):
    from vmxref.queries.callgraph import callees
    return callees(sc, a["func"], a.get("depth") or 1)


def _writes(sc, a):
    from vmxref.queries.writes import writes
    return writes(sc, a["target"], a.get("kinds"))


def _reads(sc, a):
    from vmxref.queries.writes import reads
    return reads(sc, a["target"])


def _provenance(sc, a):
    from vmxref.queries.provenance import provenance
    return provenance(sc, a["target"], a.get("depth") or 8)


def _calls(sc, a):
    from vmxref.queries.requests import calls
    return calls(sc, a["func"], a.get("arg"), a.get("const"))


def _raises(sc, a):
    from vmxref.queries.requests import raises
    return raises(sc, a["const"])


def _consumes(sc, a):
    from vmxref.queries.requests import consumes
    return consumes(sc, a["const"])


def _path(sc, a):
    from vmxref.queries.paths import path_query
    if a.get("max"):  # an explicit bound: every path up to that length is explored
        return path_query(sc, a["from"], a["to"], a["max"], slack=None)
    return path_query(sc, a["from"], a["to"])


def _search(sc, a):
    from vmxref.queries.textsearch import search
    return search(sc, a["text"], a.get("in"), a.get("path"), limit=a.get("limit") or SEARCH_LIMIT)


SEARCH_LIMIT = 50  # best matches a search keeps unless `| limit N` asks for more


def _without_version(message: str) -> str:
    """An UnknownSymbol message of one version, without its ` in NAME@VERSION` (the note
    names the version) and its suggestions: `struct kvm_mmio_fragment has no member 'val'`."""
    import re
    return re.split(r" in [\w.-]+@[\w.-]+|\. |: did you mean| Did you mean", message, 1)[0].rstrip(".")


def _cleared_at(sc: Scope, const: str) -> str:
    """Where the profile's [requests] clearers take `const` (`kvm_clear_request(REQ, vcpu)`:
    retired, never tested): `file:line (function)`, at most three, or ''."""
    from vmxref.queries.requests import clears
    try:
        rows = clears(sc, const)
    except VmxrefError:
        return ""
    places = []
    for bid, func, line, _col, _callee, _end in sorted(rows, key=lambda r: (r[0], r[2])):
        files = sc.files_of(bid)
        places.append(f"{files[0][1] if files else '?'}:{line} ({func})")
    return ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")


def _pending_tests(sc: Scope) -> str:
    """`; while pending, ...`: the calls of the profile's [requests] pending_testers (tests
    of whether any request is pending), which a request nothing tests by name still meets."""
    from vmxref.queries.profiles import profile_section
    names = profile_section(sc, "requests").get("pending_testers", [])
    places = []
    for name in names:
        for _c, path, _b, line, func in sc.rows("call", "t.callee = ?", (name,),
                                                "t.line, t.func", limit=4):
            places.append(f"{path}:{line} ({func})")
    if not places:
        return ""
    return (f"; while it is pending, the tests of any pending request see it: "
            f"{', '.join(places[:3])}{' ...' if len(places) > 3 else ''}")


def remark(sc: Scope, query: str, sites: list) -> str:
    """note() where the results are shown with a count (saved queries' `run`, `check -v`,
    reports, the shell): what qualifies them, without `vmxref: ` and without the `no
    results` line (said by the count)."""
    try:
        said = note(sc, query, sites, as_json=True) or ""
    except VmxrefError:
        return ""
    return "\n".join(line.removeprefix("vmxref: ") for line in said.splitlines())


def note(sc: Scope, query: str, sites: list, as_json: bool = False) -> str | None:
    """What the command line says on stderr beside the results: that a search stopped at its
    default limit; that a name asked with `def` is only used, defined outside the indexed
    files (an empty answer that would read as "no such thing"); that there is no result (not
    with --json: its readers have the exit code)."""
    missing = dict(sc.memo("version_missing"))  # (before the hints below run more queries)
    q = query.lstrip()
    if q.startswith("search") and sc.memo("search").pop("stale", False):
        return ("vmxref: the full-text index is older than the rest of the index (the last "
                "`vmxref index` ran with --no-fulltext or stopped before it): lines and texts "
                "may be out of date; run `vmxref index` again to bring it up to date")
    if q.startswith("search") and any(s.extra.get("incomplete") for s in sites):
        return ("vmxref: a very common search stopped early: the best matches of the files "
                "it scanned first (in path order) are shown; `in code|comment|string` or "
                "`path GLOB` narrow it")
    if q.startswith("search") and len(sites) >= SEARCH_LIMIT and "limit" not in q.split("|", 1)[-1]:
        return (f"vmxref: the {SEARCH_LIMIT} best matches are shown; add `| limit N` to the query "
                f"for more")
    if q.startswith("logline") and sites and sc.memo("logline").get("cut"):
        n = sc.memo("logline").pop("cut")
        return (f"vmxref: {n} more statement{'s' if n != 1 else ''} could have printed it, "
                f"scored as the last shown or below; add `| limit N` to the query for more")
    words = q.split()
    if words and words[0] == "path" and sites and sc.memo("path_query").get("cut"):
        src, dst = words[1], words[3] if len(words) > 3 else ""
        return (f"vmxref: more call paths exist than the {len(sites)} shown; `calls {dst} | paths "
                f"from {src}` gives each call site of {dst} its own")
    if words and words[0] == "path" and sites and (other := sc.memo("path_query").get("unreached")):
        from vmxref.queries.paths import MAX_RETRY_LEN, PATH_SLACK
        src, dst = words[1], words[3] if len(words) > 3 else ""
        names = ", ".join(other[:3]) + (f" and {len(other) - 3} more" if len(other) > 3 else "")
        return (f"vmxref: {dst} is also called from {names}, on no path shown; `path {src} -> "
                f"{dst} max {MAX_RETRY_LEN}` also looks for the paths more than {PATH_SLACK} "
                f"calls longer than the shortest (up to {MAX_RETRY_LEN} calls)")
    if len(sites) <= 2 and len(words) >= 2 and words[0] in ("writes", "reads") and "." in words[1] \
            and "|" not in q:
        hint = _unknown_receivers(sc, words[0], words[1].rsplit(".", 1)[1], sites)
        if hint:
            return hint
    if not sites and q.startswith("def "):
        name = q.split()[1] if len(q.split()) > 1 else ""
        n = len(sc.rows("ref", "t.name = ?", (name,), "1", limit=1000)) if name else 0
        if n:
            many = "1000 or more times" if n >= 1000 else "once" if n == 1 else f"{n} times"
            return (f"vmxref: {name} is not defined in the indexed files of {sc.label()} (it is "
                    f"used {many}: `vmxref refs {name}`)")
    if len(words) >= 2 and words[0] == "callers" and (cut := sc.memo("macro_cut").get(words[1])):
        from vmxref.queries.edges import MAX_MACRO_USES
        ms = ", ".join(cut[:3]) + (" ..." if len(cut) > 3 else "")
        return (f"vmxref: the uses of {ms} (a macro used more than {MAX_MACRO_USES} times "
                f"whose body calls {words[1]}) are not listed one by one: `vmxref callers "
                f"{cut[0]}` lists them")
    if not sites and words[0] in ("callers", "callees") and len(words) >= 2 and \
            sc.has_sym(words[1], ("tracepoint",)):
        return (f"vmxref: {words[1]} is a trace event, not a function: "
                f"`vmxref callers trace_{words[1]}` lists where it fires")
    if sites and len(sc.corpus_ids) > 1 and not as_json:  # (several versions: say which
        # of them has nothing, so a one-version answer does not read as the only one)
        have = {(s.corpus, s.version) for s in sites}
        none = ["@".join(lbl) + (f" ({_without_version(missing[cid])})" if cid in missing else "")
                for cid, lbl in zip(sc.corpus_ids, map(sc.store.corpus_label, sc.corpus_ids))
                if tuple(lbl) not in have]
        if none:
            return f"vmxref: no results in {'; '.join(none)}"
    if sites and len(words) >= 2 and words[0] in ("callers", "callees") and \
            words[1].isidentifier():
        from vmxref.queries.callgraph import definitions
        defs = definitions(sc, words[1])
        cid = next((c for c in sc.corpus_ids if sum(d[0] == c for d in defs) > 1), None)
        defs = [d for d in defs if d[0] == cid]  # (one version's: each version has its own)
        if len(defs) > 1:
            at = ", ".join(f"{d[1]}:{d[3]}" for d in defs[:4]) + (" ..." if len(defs) > 4 else "")
            return (f"vmxref: {words[1]} has {len(defs)} definitions ({at}): " + (
                "each row says which one it reaches where that can be told" if words[0] ==
                "callers" else "the calls of each are listed, their files tell them apart"))
    if sites and len(words) >= 2 and words[0] in ("consumes", "raises") and words[1].isidentifier():
        from vmxref.queries.requests import VALUE_KINDS
        if not sc.has_sym(words[1], VALUE_KINDS):
            return (f"vmxref: {words[1]} is defined nowhere in the indexed files of "
                    f"{sc.label()}: only the statements that name it are listed (no mask can be "
                    f"said to hold it)")
    if not sites and len(words) >= 2 and words[0] == "consumes" and "|" not in q:
        cleared = _cleared_at(sc, words[1])
        if cleared:
            return (f"vmxref: nothing tests {words[1]} in {sc.label()}; it is cleared "
                    f"without a test at {cleared}{_pending_tests(sc)}")
    if not sites and not as_json:  # (stdout stays empty, exit code 1: said for a reader)
        said = f"vmxref: no results for `{' '.join(words)}` in {sc.label()}"
        if words[0] == "path" and sc.memo("path_query").get("infeasible"):
            why = sc.memo("path_query").get("why") or {"case", "test"}
            said = (f"vmxref: call paths of at most {sc.memo('path_query')['infeasible']} calls "
                    f"exist for `{' '.join(words)}` in {sc.label()}, but none can run: each "
                    f"{' or '.join(_WHY[w] for w in sorted(why, key=list(_WHY).index))}")
        elif words[0] == "path" and len(words) >= 2 and (where := _only_declared(sc, words[1])):
            said = (f"vmxref: no results for `{' '.join(words)}` in {sc.label()}: {words[1]} "
                    f"has no body in the indexed files (only declared, at {where}), so no call "
                    f"path can start in it")
        elif words[0] == "path" and "max" not in words:
            from vmxref.queries.paths import MAX_RETRY_LEN
            said = (f"vmxref: no call path of at most {MAX_RETRY_LEN} calls for "
                    f"`{' '.join(words)}` in {sc.label()} (`max N` looks for longer ones)")
        from vmxref.queries.hints import wrong_kind  # (a name of another kind than the verb takes)
        hint = wrong_kind(sc, query)
        return f"{said}\n{hint}" if hint else said
    return None


_WHY = {  # (feasible.infeasible's checks, as a path query with none left names them)
    "case": "contradicts a `case` label on its way",
    "test": "contradicts a test of what the path passes down",
    "group": "mixes code the profile keeps apart ([entry] exclusive_paths: VMX and SVM)",
    "table": "goes on through another function table of a struct than its first",
    "static": "calls a `static` function of another file",
    "context": "leaves its compilation context (`#ifdef IN_RING3` and ring-0 code)",
    "deferred": "goes through a request no test on its way retires",
    "registered": "calls a callback registered on another container (notifier chain) than "
                  "the one it hands down",
    "handed": "runs a function kept in a member (a request packet) that another call than "
              "the one on its way stored there",
}


def _only_declared(sc: Scope, name: str) -> str | None:
    """file:line of a declaration of `name` when the corpus declares it and defines no
    body for it (`start_kernel`: init/main.c is not among linux-big's files), else None."""
    if not name.isidentifier() or sc.has_sym(name, ("function", "macro")):
        return None
    rows = sc.rows("sym", "t.name = ? AND t.kind = 'prototype'", (name,), "t.line", limit=1)
    return f"{rows[0][1]}:{rows[0][3]}" if rows else None


def _unknown_receivers(sc: Scope, verb: str, field: str, shown=()) -> str | None:
    """The note for a struct-qualified writes/reads with few answers: how many of the
    member's accesses have a receiver whose type is unknown (`vmcb->control.tsc_offset`:
    struct vmcb is defined outside the indexed files), so none of them could be counted."""
    if not field.isidentifier():
        return None
    try:
        rows = run(sc, f"{verb} {field}")
    except VmxrefError:
        return None
    # ("?": no type for the receiver; "vmcb.control": a member of a struct defined outside,
    # whose own type is unknown)
    seen = {(s.corpus, s.version, s.file, s.line, s.col) for s in shown}
    n = sum(1 for s in rows if (s.extra.get("container") == "?" or "." in s.extra.get(
        "container", "")) and (s.corpus, s.version, s.file, s.line, s.col) not in seen)
    if not n:
        return None
    what = "writes" if verb == "writes" else "reads"
    return (f"vmxref: {n} more {what} of a member {field} have a receiver of unknown type "
            f"(a struct defined outside the indexed files?): `vmxref {verb} {field}` lists them")


def _logline(sc, a):
    from vmxref.queries.logline import logline
    return logline(sc, a["line"], a.get("limit"))


_VERBS = {"def": _def, "refs": _refs, "callers": _callers, "callees": _callees,
          "writes": _writes, "reads": _reads, "provenance": _provenance, "calls": _calls,
          "raises": _raises, "consumes": _consumes, "path": _path, "search": _search,
          "logline": _logline}
