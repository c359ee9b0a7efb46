"""Records shared by every stage: what a query answers with.

Records hold positions and text, never parse-tree nodes. A `Site` is one answer line;
its JSON form is the contract of `--json` (one object per line).
"""
from __future__ import annotations

TYPE_CHECKING = False  # (typing costs a query process 3 ms to import; annotations only)
if TYPE_CHECKING:
    from typing import Any


class Record:
    """Base of the small value classes of the query path (instead of dataclasses, whose
    import pulls in `inspect` and costs a query process ~8 ms): subclasses list their
    attributes in `__slots__` and write `__init__`; equality, hashing and repr follow the
    slots (those named in `_no_compare` excepted)."""

    __slots__ = ()
    _no_compare: tuple[str, ...] = ()

    def __init__(self, *values: Any) -> None:
        """Set every slot, in the order the classes list them (a subclass with defaults or
        checks writes its own)."""
        names = self._all_slots()
        if len(values) != len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} values "
                            f"({', '.join(names)}), got {len(values)}")
        for name, value in zip(names, values):
            setattr(self, name, value)

    @classmethod
    def _all_slots(cls) -> tuple[str, ...]:
        got = cls.__dict__.get("_slot_names")
        if got is None:
            got = tuple(n for c in reversed(cls.__mro__) for n in c.__dict__.get("__slots__", ()))
            setattr(cls, "_slot_names", got)
        return got

    def _key(self) -> tuple:
        return tuple(getattr(self, f) for f in self._compared())

    @classmethod
    def _compared(cls) -> tuple[str, ...]:
        got = cls.__dict__.get("_compared_slots")
        if got is None:
            names = [n for c in reversed(cls.__mro__) for n in c.__dict__.get("__slots__", ())]
            got = tuple(n for n in names if n not in cls._no_compare and not n.startswith("_"))
            setattr(cls, "_compared_slots", got)
        return got

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._compared())
        return f"{type(self).__name__}({inner})"


# Edge kinds of the call graph, shown in paths and reports.
EDGE_KINDS = ("direct", "ops-table", "static-call", "pointer", "registered", "deferred", "macro",
              "stored", "queued")


class Hop(Record):
    """One step of a call path: a function, and the site in it that leads to the next hop.

    `edge` says how this hop reaches the next one (the last hop's edge is empty);
    `via` names what an indirect edge went through (`kvm_x86_ops.set_msr`, `KVM_REQ_X`).
    """

    __slots__ = ("function", "file", "line", "edge", "via", "entry")

    def __init__(self, function: str, file: str, line: int, edge: str = "", via: str = "",
                 entry: str = "") -> None:
        self.function, self.file, self.line = function, file, line
        self.edge, self.via = edge, via
        self.entry = entry  # entry-point kind when this hop is an entry (ioctl, msr, ...)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"function": self.function, "file": self.file, "line": self.line}
        if self.edge:
            d["edge"] = self.edge
        if self.via:
            d["via"] = self.via
        if self.entry:
            d["entry"] = self.entry
        return d


class Site(Record):
    """One result: a place in a corpus version, the function around it, and what it is.

    `extra` carries per-kind fields (writes: op, value, container, write_kind; calls: edge,
    via; logline: score, spans); `paths` holds call paths from entry points when asked.
    """

    __slots__ = ("kind", "corpus", "version", "file", "line", "col", "function", "symbol",
                 "text", "extra", "paths")
    __hash__ = None  # type: ignore[assignment]  # mutable

    def __init__(self, kind: str, corpus: str, version: str, file: str, line: int, col: int,
                 function: str, symbol: str, text: str, extra: dict[str, Any] | None = None,
                 paths: list[list[Hop]] | None = None) -> None:
        self.kind, self.corpus, self.version, self.file = kind, corpus, version, file
        self.line, self.col, self.function, self.symbol = line, col, function, symbol
        self.text = text
        self.extra: dict[str, Any] = {} if extra is None else extra
        self.paths = paths

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
