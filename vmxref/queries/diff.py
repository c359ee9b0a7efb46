"""Compare one query's results between two versions of a corpus.

Results are matched by what they are, never by line number, in passes from the strictest:

    1. same file, function and statement text            -> same   (line shifts ignored)
    2. same statement text, other function in the same file -> moved
    3. same function and statement text, other file      -> moved
    3b. same statement text, other function and file     -> moved (*)
    4. same function, kind and symbol, text changed      -> changed (e.g. another value)
    5. nearly the same text and same symbol, elsewhere   -> moved (and changed slightly) (*)
    6. the rest: only in the old version -> removed; only in the new -> added

Statement text is normalised (whitespace, comments, a trailing `;` or `{`) before matching.

Results with call paths (`path A -> B`, `... | paths`) are matched by site as above, after
the rows of one site are taken together (`path` gives a row per path); then the paths of a
site that is the same or changed are matched by their hops (the function names, not the
lines, so a path whose lines moved is still the same path). A path only in the new version
is an `added` entry of that site (note `new call path`), one only in the old version a
`removed` one (`call path gone`); the entry of the site itself keeps the common paths. A
site `moved` to another function is reached by other paths: its one entry keeps both
versions' paths and its note counts them (`call paths: 2 gone, 2 new`).
A version shows a few paths per site: a path the other version shows and this one does not
is looked up hop by hop in this one's call graph (diff_query_why), and when every call is
still there it is no `removed` / `added` entry but a note on the site's entry.

Pass 4 pairs the rows of one function, symbol and kind by how alike their texts are (the
likest pair first), not by their order.

(*) A row moved to another function in another file is the same row only when its statement
says more than the symbol itself and the words most rows have (`pKvmCpu->uTsc =
TMCpuTickGetNoCheck(pVCpu)`, not the bare call `TMNotifyStartOfExecution(pVCpu)`, which any
caller has, nor `VMCPU_FF_SET(pVCpu, ..)` among the raises of a flag) or the two functions are
named alike (a renamed one: iomMMIODoComplicatedWrite -> iomMmioDoComplicatedWrite): a removed
caller in 5.1's raw-mode loop and an added one in 6.1's NEM loop are a removed and an added
row, not a move.
"""
from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from vmxref.lazy import re
from vmxref.errors import UnknownCorpus, UnknownSymbol
from vmxref.model import Hop, Site
from vmxref.queries import lang

SAME, MOVED, CHANGED, ADDED, REMOVED = "same", "moved", "changed", "added", "removed"
NEAR = 0.85  # difflib ratio for "nearly the same" statement text
FUNC_ALIKE = 0.75  # the same ratio for function names: one function renamed

_COMMENT = re.compile(r"/\*.*?\*/|//.*$")
_SPACE = re.compile(r"\s+")
_PUNCT_SPACE = re.compile(r"\s*([()\[\],;{}=+\-*/&|<>!?:.])\s*")


@dataclass
class Entry:
    """One line of a diff: a result of the old version, of the new one, or both."""

    status: str
    old: Site | None
    new: Site | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The `--json` object: status, note, and the old and new results."""
        return {"status": self.status, "note": self.note,
                "function": (self.new or self.old).function,
                "old": self.old.to_json() if self.old else None,
                "new": self.new.to_json() if self.new else None}

    def line(self) -> str:
        """Grep-style: the new site (the old one when removed), the status, the old place."""
        s = self.new or self.old
        head = f"{s.file}:{s.line}:{s.col}: {s.function or '-'}: {self.status}"
        if self.note:
            head += f" ({self.note})"
        return f"{head}: {s.text}"


def normalise(text: str) -> str:
    """Statement text without comments, spacing differences and a trailing `;` or `{`."""
    t = _COMMENT.sub("", text)
    t = _SPACE.sub(" ", t).strip()
    t = _PUNCT_SPACE.sub(r"\1", t)
    return t.rstrip(";{ ")


def _kind(s: Site) -> str:
    return f"{s.kind}/{s.extra.get('write_kind') or s.extra.get('ref_kind') or ''}"


def _where(s: Site) -> str:
    return f"{s.function or '-'} at {s.file}:{s.line}"


def _pair(olds: list[Site], news: list[Site], key: Callable[[Site], Any],
          make: Callable[[Site, Site], Entry]) -> list[Entry]:
    """Pair old and new results with equal keys (in order); removes paired ones from the lists."""
    pool: dict[Any, list[Site]] = defaultdict(list)
    for s in news:
        pool[key(s)].append(s)
    out, left = [], []
    for o in olds:
        k = key(o)
        cands = pool.get(k) if k is not None else None  # (None: not to be paired)
        if cands:
            out.append(make(o, cands.pop(0)))
        else:
            left.append(o)
    taken = {id(e.new) for e in out}
    olds[:] = left
    news[:] = [s for s in news if id(s) not in taken]
    return out


def _pair_alike(olds: list[Site], news: list[Site], key: Callable[[Site], Any],
                make: Callable[[Site, Site], Entry]) -> list[Entry]:
    """_pair, where several rows share a key: the likest texts paired first (5.1's
    `VMCPU_FF_IS_PENDING(pVCpu, VMCPU_FF_ALL_REM_MASK & ...)` with 6.1's
    `VMCPU_FF_IS_ANY_SET(pVCpu, VMCPU_FF_ALL_REM_MASK)`, not with the check of TIMER |
    REQUEST that 6.1 dropped); among equally alike ones the same column first, then the
    order of the rows."""
    groups: dict[Any, list[Site]] = defaultdict(list)
    for n in news:
        groups[key(n)].append(n)
    pairs = []
    for i, o in enumerate(olds):
        for j, n in enumerate(groups.get(key(o), ())):
            r = difflib.SequenceMatcher(None, _likeness_text(o), _likeness_text(n)).ratio()
            pairs.append((-r, o.col != n.col, i, j, o, n))  # (then the same indentation:
            # a loop's check beside the same check in the loop around it)
    pairs.sort(key=lambda p: p[:4])
    used_o, used_n, out = set(), set(), []
    for _r, _c, _i, _j, o, n in pairs:
        if id(o) in used_o or id(n) in used_n:
            continue
        used_o.add(id(o))
        used_n.add(id(n))
        out.append(make(o, n))
    olds[:] = [o for o in olds if id(o) not in used_o]
    news[:] = [n for n in news if id(n) not in used_n]
    return out


def _likeness_text(s: Site) -> str:
    """A row's line and what its result says beyond it (the test a `consumes` row makes,
    the value a write stores): a statement over several lines shows its first one only."""
    return " ".join([normalise(s.text), *(normalise(str(s.extra[k])) for k in ("via", "value")
                                          if s.extra.get(k))])


def _same(o: Site, n: Site) -> Entry:
    note = f"line {o.line} -> {n.line}" if o.line != n.line else ""
    return Entry(SAME, o, n, note)


def _moved(o: Site, n: Site) -> Entry:
    return Entry(MOVED, o, n, f"from {_where(o)}")


def _changed(o: Site, n: Site) -> Entry:
    ov, nv = o.extra.get("value"), n.extra.get("value")
    was = f"line {o.line}" if o.file == n.file else f"{o.file}:{o.line}"  # (another file)
    if ov is not None and nv is not None and ov != nv:
        return Entry(CHANGED, o, n, f"value {ov} -> {nv}; was {was}")
    return Entry(CHANGED, o, n, f"was {was}: {o.text}")


def _written(s: Site) -> tuple | None:
    """What a write stores (operator, value), None for other results."""
    if "value" not in s.extra and "op" not in s.extra:
        return None
    return (s.extra.get("op"), normalise(str(s.extra.get("value", ""))))


# (what a statement says beyond its symbol: these words say nothing of where it is)
_PLAIN = frozenset("rc ret err error rcStrict status result return if while for do else "
                   "switch case void int long unsigned signed const static inline sizeof "
                   "NULL true false".split())
_WORD = re.compile(r"[A-Za-z_]\w+")


def _telling(s: Site) -> frozenset[str]:
    """The words of a statement beyond its symbol, the symbol's own call (its arguments)
    and plain words (`rc = `, `return`)."""
    return _telling_words(s.text, s.symbol or "")


@functools.lru_cache(maxsize=4096)
def _telling_words(text: str, symbol: str) -> frozenset[str]:
    t = normalise(text)
    sym = symbol.rsplit(".", 1)[-1]
    if sym:
        t = _without_call(t, sym)
    return frozenset(w for w in _WORD.findall(t) if w not in _PLAIN)


def _common_words(rows: list[Site]) -> frozenset[str]:
    """Words in so many of the rows that they say nothing of which row it is (`VMCPU_FF_SET`
    and `pVCpu` in the rows of `raises VMCPU_FF_BLOCK_NMIS`)."""
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        for w in _telling(r):
            counts[w] += 1
    floor = max(3, len(rows) // 2)
    return frozenset(w for w, n in counts.items() if n >= floor)


def _same_statement(o: Site, n: Site, common: frozenset[str]) -> bool:
    """Do two rows in unrelated places share words that tell their statement apart?"""
    return bool((_telling(o) & _telling(n)) - common)


def _without_call(text: str, name: str) -> str:
    """`text` with each use of `name` taken out, with its argument list when it is called."""
    out, i = [], 0
    for m in re.finditer(rf"\b{re.escape(name)}\b", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        j = m.end()
        if text[j:j + 1] == "(":
            depth = 0
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
        i = j
    out.append(text[i:])
    return "".join(out)


def _far(o: Site, n: Site) -> bool:
    """Another function, not named alike, in another file (iomMMIODoComplicatedWrite ->
    iomMmioDoComplicatedWrite, HMSvmVmrun -> iemSvmVmrun are the function renamed)."""
    return o.file != n.file and o.function != n.function and difflib.SequenceMatcher(
        None, (o.function or "").lower(), (n.function or "").lower()).ratio() < FUNC_ALIKE


def _moved_far(olds: list[Site], news: list[Site], common: frozenset[str]) -> list[Entry]:
    """Pass 3b: the same text in another function of another file, when the statement says
    more than its symbol and the words every row has, or the functions are named alike."""
    out = _pair(olds, news, lambda s: (s.symbol, normalise(s.text)) if _telling(s) - common
                else None, _moved)
    pool: dict[Any, list[Site]] = defaultdict(list)
    for n in news:
        pool[(n.symbol, normalise(n.text))].append(n)
    taken: set[int] = set()
    left = []
    for o in olds:
        cands = pool.get((o.symbol, normalise(o.text)), [])
        i = next((i for i, n in enumerate(cands) if not _far(o, n)), None)
        if i is None:
            left.append(o)
            continue
        n = cands.pop(i)
        taken.add(id(n))
        out.append(_moved(o, n))
    olds[:] = left
    news[:] = [n for n in news if id(n) not in taken]
    return out


def _near_moves(olds: list[Site], news: list[Site], common: frozenset[str]) -> list[Entry]:
    """Pass 5: nearly the same text and the same symbol and kind, in another place."""
    out = []
    for o in list(olds):
        best, score = None, NEAR
        for n in news:
            if n.symbol != o.symbol or _kind(n) != _kind(o):
                continue
            if _far(o, n) and not _same_statement(o, n, common):
                continue  # (a bare call elsewhere: another caller, not this one moved)
            if n.function != o.function and _written(n) != _written(o):
                continue  # (another value written elsewhere: a new write, not this one moved)
            r = difflib.SequenceMatcher(None, normalise(o.text), normalise(n.text)).ratio()
            if r >= score:
                best, score = n, r
        if best is not None:
            olds.remove(o)
            news.remove(best)
            out.append(Entry(MOVED, o, best, f"from {_where(o)}; text changed slightly"))
    return out


# --------------------------------------------------------------------------- call paths

CallPath = list[Hop]


def _site_id(s: Site) -> tuple:
    return (s.kind, s.file, s.line, s.col, s.function, s.symbol, s.text)


def _with_paths(s: Site, paths: list[CallPath] | None, extra: dict | None = None) -> Site:
    """A copy of `s` carrying `paths` (and `extra`, when given)."""
    return Site(s.kind, s.corpus, s.version, s.file, s.line, s.col, s.function, s.symbol,
                s.text, s.extra if extra is None else extra, paths)


def _one_row_per_site(sites: Iterable[Site]) -> list[Site]:
    """Rows of one site that carry paths (`path A -> B`: a row per path) taken together:
    one row with all their paths; extras that differ between the paths are left out."""
    groups: dict[Any, list[Site]] = {}
    for s in sites:
        groups.setdefault(_site_id(s) if s.paths is not None else id(s), []).append(s)
    return [_joined(rows) for rows in groups.values()]


def _joined(rows: list[Site]) -> Site:
    if len(rows) == 1:
        return rows[0]
    extra = {k: v for k, v in rows[0].extra.items() if all(r.extra.get(k) == v for r in rows)}
    return _with_paths(rows[0], [p for r in rows for p in r.paths or []], extra)


def hops(path: CallPath) -> tuple[str, ...]:
    """What identifies a call path across versions: its functions, not its lines."""
    return tuple(h.function for h in path)


def _match_paths(olds: list[CallPath], news: list[CallPath]) -> tuple[list[CallPath], ...]:
    """(common in the old version, common in the new one, only old, only new), by hops."""
    pool: dict[tuple[str, ...], list[CallPath]] = defaultdict(list)
    for p in news:
        pool[hops(p)].append(p)
    both_old, both_new, gone = [], [], []
    for p in olds:
        cands = pool.get(hops(p))
        if cands:
            both_old.append(p)
            both_new.append(cands.pop(0))
        else:
            gone.append(p)
    taken = {id(p) for p in both_new}
    return both_old, both_new, gone, [p for p in news if id(p) not in taken]


def _count(n: int, what: str) -> str:
    return f"{n} {what}s" if n > 1 else what


def _split_paths(e: Entry) -> list[Entry]:
    """A same, changed or moved site with call paths: the site with the paths of both
    versions, and an added / removed entry of it for the paths only one version has."""
    if e.status not in (SAME, CHANGED, MOVED) or e.old.paths is None or e.new.paths is None:
        return [e]
    both_old, both_new, gone, new = _match_paths(e.old.paths, e.new.paths)
    if e.status == MOVED and (gone or new):  # (a site moved to another function is reached
        # by other paths: said on the moved entry, which keeps both versions' paths, not as
        # a removed and an added entry of the same statement)
        said = ", ".join(x for x in (gone and f"{len(gone)} gone", new and f"{len(new)} new")
                         if x)
        return [Entry(MOVED, e.old, e.new, f"{e.note}; call paths: {said}".lstrip("; "))]
    out = [Entry(e.status, _with_paths(e.old, both_old), _with_paths(e.new, both_new), e.note)]
    if gone:
        out.append(Entry(REMOVED, _with_paths(e.old, gone), None,
                         _count(len(gone), "call path") + " gone"))
    if new:
        out.append(Entry(ADDED, None, _with_paths(e.new, new),
                         "new " + _count(len(new), "call path")))
    return out


# --------------------------------------------------------------------------- diff

def diff_sites(old: Iterable[Site], new: Iterable[Site]) -> list[Entry]:
    """Match the results of two versions (see the module docstring); sorted for display."""
    olds, news = _one_row_per_site(old), _one_row_per_site(new)
    common = _common_words(olds + news)
    out = _pair(olds, news, lambda s: (s.file, s.function, s.symbol, normalise(s.text)), _same)
    out += _pair(olds, news, lambda s: (s.file, s.symbol, normalise(s.text)), _moved)
    out += _pair(olds, news, lambda s: (s.function, s.symbol, normalise(s.text)), _moved)
    out += _moved_far(olds, news, common)  # (passes 1-3 paired what stayed in its file or function)
    out += _pair_alike(olds, news, lambda s: (s.function, s.symbol, _kind(s)), _changed)
    out += _near_moves(olds, news, common)
    out = [x for e in out for x in _split_paths(e)]
    out += [Entry(REMOVED, o, None) for o in olds]
    out += [Entry(ADDED, None, n) for n in news]
    order = {REMOVED: 0, ADDED: 1, MOVED: 2, CHANGED: 3, SAME: 4}
    return sorted(out, key=lambda e: (order[e.status], (e.new or e.old).key()))


def _scope(index_dir: Path | None, spec: str):
    from vmxref import api
    if "@" not in spec:
        raise UnknownCorpus(f"--from/--to need NAME@VERSION, got {spec!r}")
    return api.open_scope(index_dir, spec)


def _require_somewhere(q: lang.Query, scopes: list) -> None:
    """Each named symbol must exist in at least one of the two versions."""
    from vmxref.queries.runner import unknown_symbol_message
    for name, _role in lang.symbols_of(q):
        if not any(sc.known(name) for sc in scopes):
            labels = " or ".join(sc.label() for sc in scopes)
            raise UnknownSymbol(unknown_symbol_message(scopes[-1], name, labels))


def diff_query(text: str, from_spec: str, to_spec: str,
               index_dir: Path | None = None) -> list[Entry]:
    """Run `text` on two corpus versions and diff the results."""
    return diff_query_why(text, from_spec, to_spec, index_dir)[0]


def diff_query_why(text: str, from_spec: str, to_spec: str,
                   index_dir: Path | None = None) -> tuple[list[Entry], str | None]:
    """diff_query, and why one version has no results when it lacks what the query names
    (`struct TMCPULOADSTATE has no member 'cHistoryEntries' in virtualbox-vmm@5.1`): its
    rows are all `added` (or `removed`), which says nothing of the member being new."""
    from vmxref.queries import engine
    q = lang.parse(text)
    limited = [p for p in q.pipes if p.name == "limit"]
    if limited:  # (a limit cuts each version's list apart: a row cut off one of them
        # would read as added or removed)
        q = lang.Query(q.verb, q.args, tuple(p for p in q.pipes if p.name != "limit"), q.text)
    a, b = _scope(index_dir, from_spec), _scope(index_dir, to_spec)
    _require_somewhere(q, [a, b])
    old, err_old = _run(engine, a, q)
    new, err_new = _run(engine, b, q)
    if err_old is not None and err_new is not None:  # (the query names what neither
        raise UnknownSymbol(_for_diff(str(err_new))) from None  # version has: its error)
    err = err_old or err_new
    why = [_for_diff(str(err)).rstrip(".")] if err is not None else []
    if limited:
        why.append("all results compared: `| limit` is not applied to a diff")
    entries = recheck_paths(diff_sites(old, new), a, b)
    return entries, "; ".join(why) or None


def recheck_paths(entries: list[Entry], old_sc, new_sc) -> list[Entry]:
    """The `call path gone` (`new call path`) entries without the paths whose every call
    the new (old) version still (already) makes: those were only not among the few paths
    the version shows for the site (6.1.36's tmR3InfoClocks -> TMVirtualGet ->
    tmVirtualGet, behind a new DBGFR3ReportBugCheck path). They become a note on the
    site's entry."""
    hosts = {}  # (the site's entry that keeps the common paths, by each version's site)
    for e in entries:
        if e.status in (SAME, CHANGED, MOVED) and e.old is not None and e.new is not None:
            hosts[("old", _site_id(e.old))] = hosts[("new", _site_id(e.new))] = e
    out = []
    for e in entries:
        gone = e.status == REMOVED and e.new is None and e.note.endswith(" gone")
        came = e.status == ADDED and e.old is None and e.note.startswith("new call path")
        site = e.old if gone else e.new if came else None
        host = hosts.get(("old", _site_id(site)) if gone else ("new", _site_id(site))) \
            if site is not None else None
        if site is None or not site.paths or host is None:
            out.append(e)
            continue
        there = host.new if gone else host.old  # (the site in the other version)
        other = new_sc if gone else old_sc
        kept = [p for p in site.paths if not _calls_still_made(other, p, there.function)]
        found = len(site.paths) - len(kept)
        if found:
            said = (f"{_count(found, 'call path')} of {(old_sc if gone else new_sc).label()} "
                    f"{'still' if gone else 'already'} made in {other.label()}, not among "
                    f"the paths shown there")
            host.note = f"{host.note}; {said}" if host.note else said
        if kept:
            what = _count(len(kept), "call path")
            out.append(Entry(e.status, _with_paths(e.old, kept) if gone else None,
                             None if gone else _with_paths(e.new, kept),
                             f"{what} gone" if gone else f"new {what}"))
    return out


def _calls_still_made(sc, path: CallPath, end: str) -> bool:
    """Does each function of `path` call the next one in the version of `sc` (by names:
    the lines may have moved), ending in `end`, the function of the site there? A deferred
    hop (a request raised here, tested there) is not looked up: False."""
    from vmxref.queries.edges import graph
    if not path or path[-1].function != end:
        return False  # (a site that moved to another function: another path)
    g = graph(sc)
    for a, b in zip(path, path[1:]):
        if a.edge == "deferred":
            return False
        callers = set()
        for e in g.into(b.function):
            callers.add(e.caller)
            if e.origin is not None:
                callers.add(e.origin.caller)
        if a.function not in callers:
            return False
    return True


def _for_diff(message: str) -> str:
    """A query's error as diff says it: the versions are chosen with --from / --to."""
    return message.replace("choose it with --corpus", "choose it with --from / --to")


def _run(engine, sc, q: lang.Query) -> tuple[list[Site], UnknownSymbol | None]:
    """Results in one version; none (and the error) when what the query names exists only
    in the other version (a symbol, a struct's member)."""
    try:
        return engine.run_parsed(sc, q), None
    except UnknownSymbol as e:
        return [], e


def summary_line(entries: list[Entry], from_spec: str, to_spec: str,
                 why: str | None = None) -> str:
    """`5.1 -> 6.1.36: 1 moved, 2 added, ...` (counts per status), and why one version has
    none (diff_query_why)."""
    counts: dict[str, int] = defaultdict(int)
    for e in entries:
        counts[e.status] += 1
    parts = ", ".join(f"{counts[s]} {s}" for s in (ADDED, REMOVED, MOVED, CHANGED, SAME) if counts[s])
    unchanged = entries and all(e.status == SAME for e in entries)
    return (f"{from_spec} -> {to_spec}: {parts or 'no results in either version'}"
            + (f" ({why})" if why else "")
            + (" (no changes: exit status 1, as for a query without results)" if unchanged else ""))
