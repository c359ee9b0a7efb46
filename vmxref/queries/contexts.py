"""Compilation contexts of call sites, for the feasibility of call paths.

VirtualBox builds the VMM code once per context: ring 3 (VMMR3/), ring 0 (VMMR0/), and
the shared VMMAll/ code for each, with `#ifdef IN_RING3` / `#ifndef IN_RING3` selecting
what a context compiles. A path from a ring-0 exit handler cannot call a function compiled
only into ring 3 (`#ifndef IN_RING3  return VINF_CPUM_R3_MSR_WRITE; #else
gimR3HvEnableTscPage(...)`). The profile's [entry] tables say which defines and which path
prefixes mean which context:

    contexts = { IN_RING3 = "R3", IN_RING0 = "R0", IN_RC = "RC" }
    context_paths = { "src/VBox/VMM/VMMR3/" = "R3", "src/VBox/VMM/VMMR0/" = "R0" }

A call site is compiled in the contexts of its file, narrowed by the `#if` groups around
its line (`#ifdef X`, `#ifndef X`, `#if [!]defined(X)` and their `#else`; other conditions
narrow nothing). A path keeps the contexts common to all its call sites and to the
definitions of the functions it calls; a deferred or registered hop (work picked up later,
by whichever context tests it) starts afresh. Without the tables nothing is checked.
"""
from __future__ import annotations

import bisect

from vmxref.lazy import re

from vmxref.queries.base import Scope

_DIRECTIVE = re.compile(rb"#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b([^\n]*)")  # (first
# on its line: Contexts._scan; a pattern starting with `^` in MULTILINE mode would be tried
# at every byte, this one only where a `#` is)
_DEFINED = re.compile(r"\s*(!)?\s*defined\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*$")
RESET_EDGES = ("deferred", "registered", "queued")


class Contexts:
    """The profile's context tables and the memoised contexts of lines and files."""

    def __init__(self, sc: Scope, entry: dict) -> None:
        self.sc = sc
        self.defines: dict[str, str] = dict(entry.get("contexts", {}))
        self.paths: dict[str, str] = dict(entry.get("context_paths", {}))
        self.all = frozenset(self.defines.values()) | frozenset(self.paths.values())
        self._lines: dict[int, tuple[list[int], list[frozenset[str]]]] = {}

    def of_file(self, path: str) -> frozenset[str]:
        for prefix, ctx in self.paths.items():
            if path.startswith(prefix):
                return frozenset([ctx])
        return self.all

    def of_line(self, blob_id: int, line: int) -> frozenset[str]:
        """Contexts that compile a line of a blob (by the `#if` groups around it)."""
        got = self._lines.get(blob_id)
        if got is None:
            got = self._lines[blob_id] = self._scan(self.sc.store.raw(blob_id))
        starts, ctxs = got
        return ctxs[bisect.bisect_right(starts, line) - 1] if line > 0 else self.all

    def at(self, blob_id: int, line: int, path: str | None = None) -> frozenset[str]:
        """Contexts that compile a line: its file's (`path`, else the blob's first path),
        narrowed by the `#if` groups around it."""
        if path is None:
            files = self.sc.files_of(blob_id)
            path = files[0][1] if files else ""
        return (self.of_file(path) if path else self.all) & self.of_line(blob_id, line)

    def _cond(self, kind: str, rest: str) -> frozenset[str] | None:
        """Contexts a branch condition allows (None: it says nothing about contexts)."""
        if kind in ("ifdef", "ifndef"):
            name, negated = rest.split()[0] if rest.split() else "", kind == "ifndef"
        else:
            m = _DEFINED.match(rest.split("//")[0].split("/*")[0])
            if m is None:
                return None
            name, negated = m.group(2), bool(m.group(1))
        ctx = self.defines.get(name)
        if ctx is None:
            return None
        return (self.all - {ctx}) if negated else frozenset([ctx])

    def _scan(self, data: bytes) -> tuple[list[int], list[frozenset[str]]]:
        """(first lines, contexts): from starts[i] on, until the next start, lines are
        compiled in ctxs[i] (a directive's line has the contexts it opens). Only the
        directive lines are looked at (a regular expression over the bytes)."""
        starts, out = [1], [self.all]
        # per open group: [contexts of the branches before this one (None when one of them
        # said nothing about contexts), this branch's contexts (None: any)]
        stack: list[list] = []
        cur = self.all
        for line, kind_b, rest_b in _directives(data):
            kind, rest = kind_b.decode(), rest_b.decode("utf-8", "replace")
            if kind in ("if", "ifdef", "ifndef"):
                c = self._cond(kind, rest)
                stack.append([frozenset(), c])
            elif kind in ("elif", "else") and stack:
                before, branch = stack[-1]
                before = None if before is None or branch is None else before | branch
                c = self._cond("if", rest) if kind == "elif" else self.all
                if c is not None and before is not None:
                    c = c - before  # (`#elif defined(IN_RING0)` after `#ifdef IN_RING3`)
                elif kind == "else":
                    c = None
                stack[-1] = [before, c]
            elif kind == "endif" and stack:
                stack.pop()
            cur = self.all
            for _before, branch in stack:
                if branch is not None:
                    cur = cur & branch
            _mark(starts, out, line, cur)
        return starts, out


def other_arms(sc: Scope, blob_id: int, a: int, b: int) -> bool:
    """Are lines a and b of a blob in different branches (`#if` / `#elif` / `#else`) of one
    preprocessor group? Then no build compiles both: a parameter written by inline assembly
    under `# ifdef RT_ARCH_X86` is not the value the `# else` branch's return reads."""
    memo = sc.memo("_pp_arms")
    got = memo.get(blob_id)
    if got is None:
        got = memo[blob_id] = _arms(sc.store.raw(blob_id))
    starts, paths = got
    pa = paths[bisect.bisect_right(starts, a) - 1] if a > 0 else ()
    pb = paths[bisect.bisect_right(starts, b) - 1] if b > 0 else ()
    for (ga, ia), (gb, ib) in zip(pa, pb):
        if ga != gb:
            return False
        if ia != ib:
            return True
    return False


def _directives(data: bytes):
    """(line, directive, the rest of its line) of each preprocessor directive that starts a
    line (a regular expression over the bytes; a `#` inside a line is none)."""
    line, at = 1, 0
    for m in _DIRECTIVE.finditer(data):
        bol = data.rfind(b"\n", 0, m.start()) + 1
        if data[bol:m.start()].strip():
            continue
        line += data.count(b"\n", at, m.start())
        at = m.start()
        yield line, m.group(1), m.group(2)


def _arms(data: bytes) -> tuple[list[int], list[tuple[tuple[int, int], ...]]]:
    """(first lines, branch paths): from starts[i] on, lines are in the branches paths[i],
    one (group number, branch number) per open `#if` group, outermost first."""
    starts, out = [1], [()]
    stack: list[list[int]] = []
    groups = 0
    for line, kind, _rest in _directives(data):
        if kind in (b"if", b"ifdef", b"ifndef"):
            groups += 1
            stack.append([groups, 0])
        elif kind in (b"elif", b"else") and stack:
            stack[-1][1] += 1
        elif kind == b"endif" and stack:
            stack.pop()
        _mark(starts, out, line, tuple(tuple(g) for g in stack))
    return starts, out


def _mark(starts: list[int], out: list, line: int, value) -> None:
    """From `line` on, lines have `value` (a directive's line replaces what an earlier one
    on the same line set)."""
    if starts[-1] == line:
        out[-1] = value
    else:
        starts.append(line)
        out.append(value)


def contexts(sc: Scope) -> Contexts | None:
    """The scope's Contexts (None when the profile names no contexts)."""
    got = sc.memo("_contexts").get("c", False)
    if got is False:
        from vmxref.queries.profiles import profile_section
        entry = profile_section(sc, "entry")
        got = Contexts(sc, entry) if entry.get("contexts") or entry.get("context_paths") else None
        sc.memo("_contexts")["c"] = got
    return got


def clash(sc: Scope, dg, nodes: list[str],
          end: tuple[int, int, int] | None = None) -> set[tuple[str, str]]:
    """The first edge of a path whose call site, or whose callee's definitions, are not
    compiled in any context the path has been in so far; with `end` (blob, line, col of the
    site the path ends at, in its last function), the last edge when that line is not
    (`calls X | paths`: a call under `#ifdef IN_RING0` is not reached from ring 3)."""
    cx = contexts(sc)
    if cx is None:
        return set()
    running = _defined_in(sc, cx, nodes[0]) or cx.all
    for a, b in zip(nodes, nodes[1:]):
        e = dg.edge(a, b)
        if e.kind in RESET_EDGES:
            running = cx.all
        running = running & cx.at(e.blob_id, e.line, e.path)
        defined = _defined_in(sc, cx, b)
        if defined:
            running = running & defined
        if not running:
            return {(a, b)}
    if end is not None and len(nodes) > 1:
        if not running & cx.at(end[0], end[1]):
            return {(nodes[-2], nodes[-1])}
    return set()


def _defined_in(sc: Scope, cx: Contexts, func: str) -> frozenset[str]:
    """Contexts that compile some definition of `func` (empty when none is known; memoised:
    every candidate path asks for its functions again)."""
    memo = sc.memo("_defined_in")
    if func not in memo:
        from vmxref.queries.edges import graph
        out: frozenset[str] = frozenset()
        for bid in graph(sc).definitions(func):
            for _cid, path in sc.files_of(bid):
                out |= cx.of_file(path)
        memo[func] = out
    return memo[func]
