"""Run and check saved query files.

Two phases, so that a broken file runs nothing:

    prepare(paths, index_dir)  -> load + validate every file (saved.load_all), resolve each
                                  file's corpus to indexed versions (not indexed: SKIP), and
                                  check every symbol the query names exists (else one
                                  QueryFileError `FILE:LINE: no symbol ...; did you mean ...?`);
                                  with `corpus` (--corpus), keep the versions it selects
    execute(plans)             -> run each plan; with expectations, PASS or FAIL with reasons

A file whose corpus has no version runs once per indexed version of that corpus (a file with
no corpus: once per indexed corpus version), so counts and line anchors stay per version.
Every command that runs saved files (run, check, report) plans them here, so a query is
judged the same way everywhere. A file that --corpus leaves without a version to run on
still gets a plan: SKIP, saying so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from vmxref.lazy import re
from vmxref.errors import QueryFileError, UnknownCorpus, UnknownSymbol, VmxrefError
from vmxref import corpora
from vmxref.model import Site
from vmxref.queries import lang, saved
from vmxref.queries.base import Scope
from vmxref.store import Store

PASS, FAIL, SKIP, RAN, ERROR = "PASS", "FAIL", "SKIP", "RAN", "ERROR"


@dataclass
class Plan:
    """One saved query bound to one corpus version (or skipped, with the reason)."""

    saved: saved.SavedQuery
    shown: str                       # the file name as shown in messages
    corpus: str                      # NAME@VERSION it runs on, or the file's corpus spec
    scope: Scope | None = None       # None: skipped
    skip_reason: str = ""


@dataclass(frozen=True)
class Failure:
    """One failed expectation; `file`/`line` locate it in the corpus (None: the query file)."""

    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class Outcome:
    """What running (and checking) one plan gave."""

    plan: Plan
    status: str                      # PASS, FAIL, SKIP, RAN (no expectations), ERROR
    sites: list[Site] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    remark: str = ""                 # what the command line says beside the results
    # (engine.note: `more call paths exist than the 5 shown`), without its `vmxref: `

    @property
    def failed(self) -> bool:
        """True for FAIL and ERROR."""
        return self.status in (FAIL, ERROR)


# --------------------------------------------------------------------------- prepare

def shown_name(path: Path, repo_root: Path | None) -> str:
    """`path` relative to `repo_root` when inside it, else as given (as saved.load shows it)."""
    return saved._shown(path, repo_root)


def key_line(path: Path, key: str) -> int | None:
    """1-based line of the top-level `key = ...` in a TOML file (None when not found)."""
    pat = re.compile(rf"""\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("["):
            return None
        if pat.match(line):
            return n
    return None


def spec_of(sq: saved.SavedQuery) -> str | None:
    """The corpus a file pins, NAME or NAME@VERSION (None: not pinned)."""
    return f"{sq.corpus}@{sq.version}" if sq.version else sq.corpus


def _versions(store: Store, sq: saved.SavedQuery) -> list[tuple[str, list[int]]]:
    """[(label, corpus ids)] to run `sq` on; [] when its corpus is not indexed."""
    try:
        ids = store.corpus_ids(spec_of(sq))
    except UnknownCorpus:
        return []
    return [("@".join(store.corpus_label(i)), [i]) for i in ids]


def unknown_symbol_message(sc: Scope, name: str, label: str | None = None) -> str:
    """`no symbol 'x' in C@V; did you mean y?` for a name the scope does not know."""
    hint = sc.suggest(name).strip().rstrip("?")
    if hint.lower().startswith("did you mean "):
        near = [n for n in hint[len("did you mean "):].split(", ") if n != name]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
    elif hint:  # (`It is in virtualbox-vmm@6.1.36: choose it with --corpus.`)
        hint = f"; {hint[0].lower()}{hint[1:].rstrip('.')}"
    return f"no symbol {name!r} in {label or sc.label()}{hint}"


def _check_symbols(store: Store, sq: saved.SavedQuery, shown: str, ids: list[int],
                   said: list[int]) -> None:
    """Raise QueryFileError naming file and line when the query names a symbol none of the
    versions `ids` knows; the message names (and suggests from) the versions `said`, those
    --corpus selected."""
    sc = Scope(store, ids)
    for name, _role in lang.symbols_of(sq.query):
        if not sc.known(name):
            line = key_line(sq.path, "query")
            where = f"{shown}:{line}" if line else shown
            said_msg = unknown_symbol_message(Scope(store, said), name)
            if sq.version:  # (pinned: --corpus cannot choose another version)
                said_msg = said_msg.replace(": choose it with --corpus", f" (the file's "
                                            f"`corpus` key pins {sq.corpus}@{sq.version})")
            raise QueryFileError(f"{where}: {said_msg}")


def plan_one(store: Store, sq: saved.SavedQuery, shown: str,
             corpus: str | None = None) -> list[Plan]:
    """The plans of one loaded query: one per indexed version, or one SKIP plan. Its symbols
    must be known in the versions `corpus` (--corpus) selects, when it selects some."""
    spec = spec_of(sq) or "any corpus"
    versions = _versions(store, sq)
    if not versions:
        near = store.near_corpus(sq.corpus) if sq.corpus else None
        if near:  # (a typo: a SKIP would let `check` pass without ever running the query)
            line = key_line(sq.path, "corpus")
            raise QueryFileError(f"{shown}:{line or 1}: no corpus {sq.corpus!r} is indexed "
                                 f"and no profile has that name; did you mean {near}?")
        why = f"corpus {spec} is not indexed" + (
            "" if not sq.corpus or sq.corpus.partition("@")[0] in corpora.names()
            else " (nor is it the name of a shipped profile: `vmxref corpus list`)")
        other = sorted(c["version"] for c in store.corpora(stats=False)
                       if sq.version and c["name"] == sq.corpus)
        if other:  # (a version not indexed, or mistyped: `6.1.63` for 6.1.36)
            why += f"; indexed versions of {sq.corpus}: {', '.join(other)}"
        return [Plan(sq, shown, spec, None, why)]
    name, _, version = (corpus or "").partition("@")
    chosen = [v for v in versions if not corpus or _selected(v[0], name, version)]
    if chosen or not corpus:  # (a file --corpus leaves out is a SKIP, whatever it names)
        chosen = chosen or versions
        _check_symbols(store, sq, shown, [i for _, ids in versions for i in ids],
                       [i for _, ids in chosen for i in ids])
    return [Plan(sq, shown, label, Scope(store, ids)) for label, ids in versions]


def plan_all(store: Store, queries: list[saved.SavedQuery], repo_root: Path | None = None,
             corpus: str | None = None) -> list[Plan]:
    """The plans of loaded queries, in order; with `corpus`, only the versions it selects."""
    plans: list[Plan] = []
    for sq in queries:
        plans += plan_one(store, sq, shown_name(sq.path, repo_root), corpus)
    return select(store, plans, corpus)


def prepare(paths: list[Path], index_dir: Path | None = None,
            repo_root: Path | None = None, corpus: str | None = None) -> list[Plan]:
    """Load and validate every file, then bind each to indexed corpus versions (those
    `corpus`, NAME[@VERSION], selects when given).

    Raises QueryFileError (one line, `FILE:LINE: ...`) on the first broken file or unknown
    symbol, before anything runs; NoIndex when there is no index at all; UnknownCorpus when
    `corpus` names no indexed version.
    """
    queries = saved.load_all(paths, repo_root)
    return plan_all(Store.open(index_dir), queries, repo_root, corpus)


# --------------------------------------------------------------------------- --corpus

def _selected(label: str, name: str, version: str) -> bool:
    """Is a plan's corpus (NAME@VERSION, or a pinned NAME) one --corpus NAME[@VERSION] names?"""
    pname, _, pver = label.partition("@")
    return pname == name and (not version or pver in ("", version))


def _not_selected(group: list[Plan], corpus: str) -> Plan:
    """The SKIP plan of a file --corpus leaves without a version to run on."""
    sq, shown = group[0].saved, group[0].shown
    spec = spec_of(sq)
    if spec:
        return Plan(sq, shown, spec, None, f"pinned to {spec}, not selected by --corpus {corpus}")
    ran_on = ", ".join(p.corpus for p in group)
    return Plan(sq, shown, ran_on, None, f"runs on {ran_on}, not selected by --corpus {corpus}")


def select(store: Store, plans: list[Plan], corpus: str | None) -> list[Plan]:
    """Keep the plans of the versions --corpus selects; a file left with none keeps one SKIP
    plan that says why (so every file given gets a line). An unindexed `corpus` raises."""
    if not corpus:
        return plans
    store.corpus_ids(corpus)  # UnknownCorpus: `corpus 'x' is not indexed; indexed: ...`
    name, _, version = corpus.partition("@")
    out: list[Plan] = []
    for _shown, grouped in groupby(plans, key=lambda p: p.shown):
        group = list(grouped)
        keep = [p for p in group if _selected(p.corpus, name, version)]
        out += keep or [_not_selected(group, corpus)]
    return out


# --------------------------------------------------------------------------- execute

def run_plan(plan: Plan, enforce: bool = True) -> Outcome:
    """Run one plan; with `enforce` and an [expect] table, check it (PASS/FAIL)."""
    from vmxref.queries import engine
    if plan.scope is None:
        return Outcome(plan, SKIP, failures=[Failure(plan.skip_reason)])
    try:
        sites = engine.run_parsed(plan.scope, plan.saved.query)
    except UnknownSymbol as e:  # a file that pins no corpus, on a version without its names
        # (a VirtualBox query on linux-kvm): nothing to judge there; one that names its
        # corpus but no version, on a version that lacks the names: no results, judged as
        # such (the docs: "a version that lacks the names the query asks about has no
        # results"); a pinned version is checked before anything runs (_check_symbols)
        if not plan.saved.corpus:
            return Outcome(plan, SKIP, failures=[Failure(str(e).replace("\n", " "))])
        if plan.saved.version:
            return Outcome(plan, ERROR, failures=[Failure(str(e).replace("\n", " "))])
        sites, remark = [], str(e).split("\n")[0]
        expect = plan.saved.expect
        if not enforce or expect is None:
            return Outcome(plan, RAN, sites, remark=remark)
        failures = check_expect(expect, [])
        return Outcome(plan, FAIL if failures else PASS, sites, failures, remark)
    except VmxrefError as e:
        return Outcome(plan, ERROR, failures=[Failure(str(e).replace("\n", " "))])
    remark = engine.remark(plan.scope, plan.saved.query.text, sites)
    expect = plan.saved.expect
    if not enforce or expect is None:
        return Outcome(plan, RAN if not enforce or expect is None else PASS, sites,
                       remark=remark)
    failures = check_expect(expect, [s.to_json() for s in sites])
    return Outcome(plan, FAIL if failures else PASS, sites, failures, remark)


def check_expect(expect: saved.Expect, results: list[dict]) -> list[Failure]:
    """saved.check, one expectation at a time, so that each failure has a location."""
    out = [Failure(m) for m in saved.check(saved.Expect(expect.min, expect.max), results)]
    for a in expect.includes:
        line = a[1] if isinstance(a[1], int) else None
        out += [Failure(m, a[0], line) for m in saved.check(saved.Expect(includes=(a,)), results)]
    for a in expect.excludes:
        for m in saved.check(saved.Expect(excludes=(a,)), results):
            key = "line" if isinstance(a[1], int) else "function"
            hit = next((r for r in results if r["file"] == a[0] and r[key] == a[1]), None)
            out.append(Failure(m, a[0], hit["line"] if hit else None))
    return out


def execute(plans: list[Plan], enforce: bool = True) -> list[Outcome]:
    """Run every plan in order."""
    return [run_plan(p, enforce) for p in plans]


def check_paths(paths: list[Path], index_dir: Path | None = None,
                repo_root: Path | None = None) -> list[Outcome]:
    """prepare + execute with expectations enforced: what `vmxref check` does."""
    return execute(prepare(paths, index_dir, repo_root), enforce=True)


def checked_nothing(outcomes: list[Outcome]) -> bool:
    """True when no plan ran (every file skipped): a check that must not pass."""
    return all(o.status == SKIP for o in outcomes)


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    """Counts per status."""
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts
