"""Scoring helpers for the evaluation sets in eval_data.py (recall, precision, wrong answers)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from eval_data import DIRECT_KINDS, INDIRECT_KINDS, NEUTRAL_FILES, path_of


def RELOCATE(path: str, line: int) -> int:  # noqa: N802 - (replaced by conftest: relocate.py)
    """A pinned line of `path` as it is in the tree under test."""
    return line


def parse_row(s: str) -> tuple:
    """'x86:3041:__get_kvmclock:out-param[:container]' -> (file, line, func, kind[, container])."""
    parts = s.split(":")
    path = path_of(parts[0])
    out = (path, RELOCATE(path, int(parts[1])), parts[2], parts[3])
    return out + (parts[4],) if len(parts) > 4 else out


def got_row(r: dict, grouping: bool) -> tuple:
    """The comparable tuple of one vmxref JSON result of `writes`."""
    base = (r["file"], r["line"], r.get("function") or "", r.get("write_kind", ""))
    if grouping:
        return base + (r.get("container") or "",)
    return base


@dataclass
class Score:
    """Hits, misses (recall) and false positives (precision) of one part of one question."""
    expected: int = 0
    hits: int = 0
    reported: int = 0
    missed: list = field(default_factory=list)
    wrong: list = field(default_factory=list)
    misgrouped: list = field(default_factory=list)

    def add(self, other: "Score") -> None:
        """Accumulate another Score into this one."""
        self.expected += other.expected
        self.hits += other.hits
        self.reported += other.reported
        self.missed += other.missed
        self.wrong += other.wrong
        self.misgrouped += other.misgrouped

    @property
    def recall(self) -> float:
        """Share of expected rows reported (1.0 when nothing was expected)."""
        return self.hits / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        """Share of counted reported rows that are right (1.0 when nothing was reported)."""
        return (self.reported - len(self.wrong)) / self.reported if self.reported else 1.0


def _compare(exp: set, got: set, neutral: set, grouping: bool) -> Score:
    s = Score(expected=len(exp))
    key = (lambda t: t[:4])
    exp_by = {key(t): t for t in exp}
    got_by = {key(t): t for t in got}
    for k, t in exp_by.items():
        if k in got_by:
            s.hits += 1
            if grouping and got_by[k][4] != t[4]:
                s.misgrouped.append((t, got_by[k][4]))
        else:
            s.missed.append(t)
    for k, t in got_by.items():
        if t[0] in NEUTRAL_FILES or k in neutral:
            continue
        s.reported += 1
        if k not in exp_by:
            s.wrong.append(t)
    return s


def score_writes(case, results: list[dict]) -> tuple[Score, Score | None]:
    """Score one WriteCase: (direct, indirect-or-None)."""
    g = case.grouping
    exp = {parse_row(x) if g else parse_row(x)[:4] for x in case.direct}
    neutral = {parse_row(x)[:4] for x in case.neutral}
    got = {got_row(r, g) for r in results}
    d = _compare(exp, {t for t in got if t[3] in DIRECT_KINDS}, neutral, g)
    if case.indirect is None:
        return d, None
    iexp = {parse_row(x)[:4] for x in case.indirect}
    ig = {t[:4] for t in got if t[3] in INDIRECT_KINDS}
    return d, _compare(iexp, ig, neutral, False)


def score_callers(case, results: list[dict]) -> Score:
    """Score one CallersCase on (file, function) pairs."""
    exp = {(path_of(x.split(":")[0]), x.split(":")[1]) for x in case.expected}
    neutral = {(path_of(x.split(":")[0]), x.split(":")[1]) for x in case.neutral}
    got = {(r["file"], r.get("function") or "") for r in results}
    s = Score(expected=len(exp), hits=len(exp & got), missed=sorted(exp - got))
    counted = got - neutral
    s.reported = len(counted)
    s.wrong = sorted(counted - exp)
    return s


def score_sites(expected: set[str], results: list[dict]) -> Score:
    """Score raises/consumes answers on (file, line, function)."""
    exp = set()
    for x in expected:
        f, line, fn = x.split(":")
        exp.add((path_of(f), RELOCATE(path_of(f), int(line)), fn))
    got = {(r["file"], r["line"], r.get("function") or "") for r in results}
    return Score(expected=len(exp), hits=len(exp & got), reported=len(got),
                 missed=sorted(exp - got), wrong=sorted(got - exp))


def hop_is_real(root, hop: dict, callee: str, lines_cache: dict) -> str:
    """'' if the call site hop[file:line] (in hop[function]) plausibly reaches `callee`; else why.

    The line must name the callee, or be an indirect call: `static_call(`, `->member(`,
    `.member(`, a table call `x[i](`, or a call through a parameter/variable `do_msr(`
    (reported as indirect so they can be inspected).
    """
    f, line = hop.get("file"), hop.get("line")
    if not f or not line:
        return "hop without file:line"
    if f not in lines_cache:
        try:
            lines_cache[f] = (root / f).read_text(errors="replace").splitlines()
        except OSError:
            return f"cannot read {f}"
    lines = lines_cache[f]
    if not 1 <= line <= len(lines):
        return f"line {line} out of range in {f}"
    text = " ".join(x.strip() for x in lines[line - 1:line + 1])  # calls may wrap
    if hop.get("edge") == "deferred":  # request raised here, consumed by `callee` (by design)
        m = re.search(r"(\w+) via ", hop.get("via") or "")
        req = m.group(1) if m else ""
        return "" if req and req in text else f"{f}:{line} does not raise {req}: {text}"
    if hop.get("edge") == "queued":  # a work item queued here, run by `callee` (by design)
        m = re.search(r"queued by \w+\(&([^)]*)\)", hop.get("via") or "")
        obj = re.split(r"->|\.", m.group(1))[-1].strip() if m else ""
        return "" if obj and obj in text else f"{f}:{line} does not queue {obj}: {text}"
    if re.search(rf"\b{re.escape(callee)}\b", text):
        return ""
    if re.search(r"static_call\(|(->|\.)\s*\w+\s*\(|\]\s*\(", lines[line - 1]):
        return ""
    m = re.match(r"(?:parameter|local) (\w+)", hop.get("via") or "")
    if hop.get("edge") == "pointer" and m and re.search(rf"\b{m.group(1)}\s*\(", text):
        return ""  # a call through a function-pointer parameter or local variable
    return f"{f}:{line} does not call {callee}: {lines[line - 1].strip()}"
