"""SARIF 2.1.0 output of `vmxref check`, for code-scanning tools.

One run; each corpus version is a `uriBaseId` (its root, from the index), so result
locations are relative to the corpus root. Results:

- `vmxref/expectation` (error): one per failed expectation; located at the anchor in the
  corpus (`includes`/`excludes`) or at the saved query file (`min`/`max`).
- `vmxref/error` (error): a query that could not run.
- `vmxref/match` (note): every matched site, informational.

Skipped queries (corpus not indexed) are tool execution notifications, not results.
"""
from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
QUERY_BASE = "QUERYROOT"
RULES = [
    {"id": "vmxref/expectation", "name": "SavedQueryExpectation",
     "shortDescription": {"text": "A saved query's [expect] does not hold"},
     "defaultConfiguration": {"level": "error"}},
    {"id": "vmxref/error", "name": "SavedQueryError",
     "shortDescription": {"text": "A saved query could not run"},
     "defaultConfiguration": {"level": "error"}},
    {"id": "vmxref/match", "name": "SavedQueryMatch",
     "shortDescription": {"text": "A site matched by a saved query"},
     "defaultConfiguration": {"level": "note"}},
]


def _location(uri: str, base: str, line: int | None = None, col: int | None = None,
              message: str | None = None) -> dict[str, Any]:
    phys: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": base}}
    if line:
        phys["region"] = {"startLine": int(line), **({"startColumn": int(col)} if col else {})}
    loc: dict[str, Any] = {"physicalLocation": phys}
    if message:
        loc["message"] = {"text": message}
    return loc


def _result(rule: str, level: str, text: str, locations: list[dict], props: dict) -> dict:
    return {"ruleId": rule, "ruleIndex": [r["id"] for r in RULES].index(rule), "level": level,
            "message": {"text": text}, "locations": locations, "properties": props}


def _query_location(o, repo_root: Path) -> dict[str, Any]:
    """The saved query file: relative to the repository root, else an absolute file URI."""
    path = Path(o.plan.saved.path).resolve()
    try:
        return _location(path.relative_to(repo_root.resolve()).as_posix(), QUERY_BASE)
    except ValueError:
        return {"physicalLocation": {"artifactLocation": {"uri": path.as_uri()}}}


def _outcome_results(o, repo_root: Path) -> list[dict]:
    """The SARIF results of one outcome (see the module docstring)."""
    base = o.plan.corpus
    props = {"query": o.plan.shown, "title": o.plan.saved.title, "corpus": o.plan.corpus,
             "status": o.status}
    out = []
    rule = "vmxref/error" if o.status == "ERROR" else "vmxref/expectation"
    if o.status in ("FAIL", "ERROR"):
        for f in o.failures:
            loc = (_location(f.file, base, f.line) if getattr(f, "file", None)
                   else _query_location(o, repo_root))
            out.append(_result(rule, "error", f"{o.plan.shown}: {o.plan.saved.title}: {f}",
                               [loc], props))
    for s in o.sites:
        out.append(_result("vmxref/match", "note", f"{o.plan.saved.title}: {s.text}",
                           [_location(s.file, base, s.line, s.col)],
                           {**props, "function": s.function, "kind": s.kind}))
    return out


def _bases(outcomes, repo_root: Path) -> dict[str, Any]:
    bases: dict[str, Any] = {QUERY_BASE: {"uri": repo_root.resolve().as_uri() + "/"}}
    for o in outcomes:
        if o.plan.scope is None or o.plan.corpus in bases:
            continue
        roots = {c["id"]: c["root"] for c in o.plan.scope.store.corpora()}
        root = roots.get(o.plan.scope.corpus_ids[0])
        if root:
            bases[o.plan.corpus] = {"uri": Path(root).resolve().as_uri() + "/"}
    return bases


def _version() -> str:
    try:
        return metadata.version("vmxref")
    except metadata.PackageNotFoundError:
        return "0"


def build(outcomes, repo_root: Path | None = None) -> dict[str, Any]:
    """The SARIF log (a dict) for the outcomes of `vmxref check`."""
    repo_root = repo_root or Path.cwd()
    results = [r for o in outcomes for r in _outcome_results(o, repo_root)]
    notes = [{"level": "note", "message": {"text": f"SKIPPED {o.plan.shown}: "
                                                   f"{'; '.join(map(str, o.failures))}"}}
             for o in outcomes if o.status == "SKIP"]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "vmxref", "version": _version(), "rules": RULES}},
        "originalUriBaseIds": _bases(outcomes, repo_root),
        "results": results,
        "invocations": [{"executionSuccessful": True,
                         "toolExecutionNotifications": notes}],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def write(path: Path, outcomes, repo_root: Path | None = None) -> None:
    """Write the SARIF log of `outcomes` to `path`."""
    Path(path).write_text(json.dumps(build(outcomes, repo_root), indent=1, ensure_ascii=False))
