"""Records shared by every stage: what a query answers with.

Records hold positions and text, never parse-tree nodes. A `Site` is one answer line;
its JSON form is the contract of `--json` (one object per line).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Edge kinds of the call graph, shown in paths and reports.
EDGE_KINDS = ("direct", "ops-table", "static-call", "pointer", "registered", "deferred", "macro")


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a call path: a function, and the site in it that leads to the next hop.

    `edge` says how this hop reaches the next one (the last hop's edge is empty);
    `via` names what an indirect edge went through (`kvm_x86_ops.set_msr`, `KVM_REQ_X`).
    """

    function: str
    file: str
    line: int
    edge: str = ""
    via: str = ""
    entry: str = ""  # entry-point kind when this hop is an entry (ioctl, msr, notifier, ...)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"function": self.function, "file": self.file, "line": self.line}
        if self.edge:
            d["edge"] = self.edge
        if self.via:
            d["via"] = self.via
        if self.entry:
            d["entry"] = self.entry
        return d


@dataclass(slots=True)
class Site:
    """One result: a place in a corpus version, the function around it, and what it is.

    `extra` carries per-kind fields (writes: op, value, container, write_kind; calls: edge,
    via; logline: score, spans); `paths` holds call paths from entry points when asked.
    """

    kind: str
    corpus: str
    version: str
    file: str
    line: int
    col: int
    function: str
    symbol: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)
    paths: list[list[Hop]] | None = None

    def to_json(self) -> dict[str, Any]:
        """The `--json` object: fixed keys first, then the per-kind extras."""
        d: dict[str, Any] = {
            "kind": self.kind, "corpus": self.corpus, "version": self.version,
            "file": self.file, "line": self.line, "col": self.col,
            "function": self.function, "symbol": self.symbol, "text": self.text,
        }
        d.update(self.extra)
        if self.paths is not None:
            d["paths"] = [[h.to_json() for h in p] for p in self.paths]
        return d

    def key(self) -> tuple:
        """Sort key: file, line, column, kind."""
        return (self.corpus, self.version, self.file, self.line, self.col, self.kind, self.symbol)
