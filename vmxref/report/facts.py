"""What the report shows about one symbol: definitions, references, writes, call sites.

Plain SQL on the store (bounded by `cap` rows per section, with the full count); used for
symbol pages only, so nothing here is part of the query language.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from typing import Callable

from vmxref.queries.base import in_chunks
from vmxref.store import Store

LinesFn = Callable[[int], list[str]]

SECTIONS = {
    "definitions": ("sym", "t.name = ? AND t.kind NOT IN ('param', 'local')",
                    "t.line, t.kind, ''"),
    "references": ("ref", "t.name = ?", "t.line, t.kind, coalesce(t.func, '')"),
    "writes": ("assign", "t.field = ?",
               "t.line, t.op || ' ' || coalesce(t.value, ''), coalesce(t.func, '')"),
    "callers": ("call", "t.callee = ?", "t.line, t.kind, coalesce(t.func, '')"),
}


@dataclass
class Fact:
    """One row of a symbol page section."""

    path: str
    line: int
    what: str
    function: str
    text: str


@dataclass
class SymbolFacts:
    """Sections of a symbol page: name -> (total count, first `cap` rows)."""

    name: str
    sections: dict[str, tuple[int, list[Fact]]] = field(default_factory=dict)


class FactReader:
    """Symbol facts of one corpus version, with counts computed in one pass per table."""

    def __init__(self, store: Store, cid: int, names: set[str], lines: LinesFn):
        self.store, self.cid, self.lines = store, cid, lines
        self.counts = {title: self._counts(table, where, names)
                       for title, (table, where, _) in SECTIONS.items()}

    def _counts(self, table: str, where: str, names: set[str]) -> dict[str, int]:
        """Rows per name, for the asked names only (their index entries: a count of the whole
        table per name took minutes on all of Linux)."""
        col = where.split(" ", 1)[0]  # t.name / t.field / t.callee
        cond = where.split(" AND ", 1)[1] if " AND " in where else "1"
        out: dict[str, int] = {}
        for chunk, ms in in_chunks(names):
            out.update(self.store.conn.execute(
                f"SELECT {col}, count(*) FROM {table} t CROSS JOIN file f ON f.blob_id = "
                f"t.blob_id AND f.corpus_id = ? WHERE {col} IN ({ms}) AND {cond} GROUP BY {col}",
                (self.cid, *chunk)))
        return out

    def _section(self, title: str, name: str, cap: int) -> tuple[int, list[Fact]]:
        table, where, cols = SECTIONS[title]
        total = self.counts[title].get(name, 0)
        if not total:
            return 0, []
        rows = self.store.conn.execute(
            f"SELECT f.path, f.blob_id, {cols} FROM {table} t JOIN file f ON f.blob_id = "
            f"t.blob_id AND f.corpus_id = ? WHERE {where} LIMIT ?", (self.cid, name, cap))
        facts = [Fact(path, line or 0, str(what or ""), func, self._text(bid, line or 0))
                 for path, bid, line, what, func in rows]
        return total, sorted(facts, key=lambda f: (f.path, f.line))

    def _text(self, blob_id: int, line: int) -> str:
        ls = self.lines(blob_id)
        return ls[line - 1].strip() if 0 < line <= len(ls) else ""

    def symbol(self, name: str, cap: int = 200) -> SymbolFacts:
        """Definitions, references, writes and call sites of `name` (`cap` rows each)."""
        out = SymbolFacts(name)
        for title in SECTIONS:
            out.sections[title] = self._section(title, name, cap)
        return out


@dataclass
class Defined:
    """What a corpus version defines under one name (parameters and locals left out)."""

    rank: int  # the best of its kinds' KIND_RANK
    count: int  # definitions
    blobs: set[int] = field(default_factory=set)  # the contents that hold them


# Which definitions a reader most wants a page of: code and types before fields and
# variables, declarations last.
KIND_RANK = {"function": 0, "macro": 0, "tracepoint": 0, "struct": 1, "union": 1, "enum": 1,
             "typedef": 1, "class": 1, "template": 1, "field": 2, "enumerator": 2,
             "global": 3, "base": 3, "prototype": 4, "extern": 4}


def defined_names(store: Store, cid: int, among: set[str]) -> dict[str, Defined]:
    """Those of the names `among` with a definition (not a parameter or local) in a corpus
    version, with their kinds' best rank, definition count and blobs (looked up by name:
    the whole symbol table of all of Linux is millions)."""
    out: dict[str, Defined] = {}
    for chunk, ms in in_chunks(among):
        for name, kind, bid in store.conn.execute(
                "SELECT s.name, s.kind, s.blob_id FROM sym s CROSS JOIN file f ON f.blob_id = "
                f"s.blob_id AND f.corpus_id = ? WHERE s.name IN ({ms}) AND s.kind NOT IN "
                "('param', 'local')", (cid, *chunk)):
            d = out.get(name)
            if d is None:
                d = out[name] = Defined(len(KIND_RANK), 0)
            d.rank = min(d.rank, KIND_RANK.get(kind, len(KIND_RANK)))
            d.count += 1
            d.blobs.add(bid)
    return out


def local_scopes(store: Store, blob_id: int) -> list[tuple[int, int, dict[str, list[int]]]]:
    """The functions and macros of a file content that declare parameters or locals:
    (first line, last line, name -> its declaration lines), by first line. The index keeps
    a local's function by name (`scope`); a declaration goes to the body of that name that
    holds its line (a file may define a name twice, under #if, or as a macro too)."""
    bodies: dict[str, list[tuple[int, int, dict[str, list[int]]]]] = {}
    decls = []
    for name, kind, line, end, scope in store.conn.execute(
            "SELECT name, kind, line, end_line, scope FROM sym WHERE blob_id = ? AND kind IN "
            "('function', 'macro', 'param', 'local')", (blob_id,)):
        if line is None:
            continue
        if kind in ("param", "local"):
            decls.append((scope, name, line))
        else:
            bodies.setdefault(name, []).append((line, max(line, end or line), {}))
    for scope, name, line in decls:
        for start, end, names in bodies.get(scope, ()):
            if start <= line <= end:
                names.setdefault(name, []).append(line)
                break
    out = [b for bs in bodies.values() for b in bs if b[2]]
    for _, _, names in out:
        for lines in names.values():
            lines.sort()
    return sorted(out, key=lambda b: (b[0], -b[1]))


def blob_of(store: Store, cid: int, path: str) -> int | None:
    """The blob id of a file of a corpus version (None when the file is not indexed)."""
    r = store.conn.execute("SELECT blob_id FROM file WHERE corpus_id = ? AND path = ?",
                           (cid, path)).fetchone()
    return r[0] if r else None
