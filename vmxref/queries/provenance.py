"""`provenance TARGET [depth N]`: where a value comes from, hop by hop backwards.

From each write of the target, the assigned expression is taken apart: local variables lead
to their own writes in the same function; parameters lead to the arguments at each call
site; calls lead to the callee's `return` statements; member accesses lead to the writes
of that member (resolved by receiver type); out-parameters lead to the callee that fills
them. The result is a tree: each root is a write of the target, `extra["from"]` its hops.
"""
from __future__ import annotations

import json
import re

from vmxref.model import Site
from vmxref.queries import lang
from vmxref.queries.base import Scope
from vmxref.queries.edges import graph
from vmxref.queries.types import resolver
from vmxref.queries.writes import writes

MAX_NODES = 160
FANOUT = 6
_CHAIN = re.compile(r"\b([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)+)")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_IDENT = re.compile(r"\b([A-Za-z_]\w*)\b")
_KEYWORDS = frozenset({"sizeof", "return", "if", "while", "for", "switch", "NULL", "true",
                       "false", "struct", "union", "const", "unsigned", "signed", "int", "long",
                       "char", "short", "void", "uint64_t", "uint32_t", "uint16_t", "uint8_t",
                       "int64_t", "int32_t", "u64", "u32", "u16", "u8", "s64", "s32", "bool"})


class _Walk:
    def __init__(self, sc: Scope, depth: int):
        self.sc, self.depth = sc, depth
        self.tr = resolver(sc)
        self.g = graph(sc)
        self.seen: set[tuple] = set()
        self.count = 0

    def node(self, site: Site, hop: str, level: int) -> dict:
        self.count += 1
        d = site.to_json()
        d["hop"] = hop
        d["from"] = self.sources(site, level + 1) if level < self.depth else []
        return d

    def sources(self, site: Site, level: int) -> list[dict]:
        """Hops that feed the value written at `site`."""
        value = site.extra.get("value", "")
        if site.extra.get("write_kind") == "out-param":
            return self.out_param(site, level)
        if site.extra.get("write_kind") in ("whole-object", "incdec") or not value:
            return []
        out: list[dict] = []
        bid = self.blob(site)
        func = site.function
        taken: set[str] = set()
        for m in _CHAIN.finditer(value):
            base, rest = m.group(1), m.group(2)
            fields = [f for f in re.split(r"\s*(?:->|\.)\s*", rest) if f]
            taken.update([base, *fields])
            chain = [f"v:{base}", *fields]
            qual = self.tr.struct_path(bid, func, chain) if bid else None
            if qual:
                owner, _, fld = qual[-1].rpartition(".")
                out += self.field_writes(owner, fld, level)
        for m in _CALL.finditer(value):
            name = m.group(1)
            taken.add(name)
            if name not in _KEYWORDS:
                out += self.returns(name, level)
        for m in _IDENT.finditer(value):
            name = m.group(1)
            if name in taken or name in _KEYWORDS or name.isupper():
                continue
            taken.add(name)
            out += self.variable(site, bid, func, name, level)
        return out[: FANOUT * 3]

    def blob(self, site: Site) -> int | None:
        r = self.sc.conn.execute(
            f"SELECT blob_id FROM file WHERE path = ? AND corpus_id IN ({self.sc._in})",
            (site.file,)).fetchone()
        return r[0] if r else None

    def _budget(self, key: tuple) -> bool:
        if key in self.seen or self.count >= MAX_NODES:
            return False
        self.seen.add(key)
        return True

    def field_writes(self, owner: str, fld: str, level: int) -> list[dict]:
        if not self._budget(("field", owner, fld)):
            return []
        sites = [s for s in writes(self.sc, lang.Target(owner, (fld,)))
                 if s.extra.get("write_kind") != "whole-object"][:FANOUT]
        return [self.node(s, f"field {owner}.{fld}", level) for s in sites]

    def returns(self, func: str, level: int) -> list[dict]:
        if not self._budget(("ret", func)):
            return []
        rows = self.sc.rows("assign", "t.func = ? AND t.kind = 'return'", (func,),
                            "t.line, t.col, t.value")[:FANOUT]
        out = []
        for cid, path, bid, line, col, value in rows:
            s = self.sc.site("provenance", cid, path, bid, line, col, func, func, op="return",
                             value=value, write_kind="return")
            out.append(self.node(s, f"return of {func}()", level))
        return out

    def variable(self, site: Site, bid, func: str, name: str, level: int) -> list[dict]:
        if bid is None or not func:
            return []
        params = self.g.params(func)
        if name in params:
            ptype = self.tr.var_type(bid, func, name)
            if self.tr.struct_of(ptype) is not None:
                return []  # a context handle (pVM, vcpu): it does not carry the value itself
            return self.param(func, params.index(name), name, level)
        is_local = self.sc.conn.execute(
            "SELECT 1 FROM sym WHERE blob_id = ? AND scope = ? AND name = ? AND kind = 'local'",
            (bid, func, name)).fetchone()
        if is_local:
            if not self._budget(("local", bid, func, name)):
                return []
            rows = self.sc.conn.execute(
                "SELECT line, col, op, value, kind FROM assign WHERE blob_id = ? AND func = ? "
                "AND chain = ? AND line <= ? ORDER BY line", (bid, func, json.dumps([f"v:{name}"]),
                                                                site.line)).fetchall()
            out = []
            for line, col, op, value, kind in rows[-FANOUT:]:
                s = self.sc.site("provenance", self.cid(site), site.file, bid, line, col, func, name,
                                 op=op, value=value, write_kind=kind)
                out.append(self.node(s, f"local {name}", level))
            return out
        if self.tr.has_global(name) and self._budget(("global", name)):
            sites = writes(self.sc, lang.Target(None, (name,)))[:FANOUT]
            return [self.node(s, f"global {name}", level) for s in sites]
        return []

    def param(self, func: str, idx: int, name: str, level: int) -> list[dict]:
        if not self._budget(("param", func, idx)):
            return []
        out = []
        for cid, path, bid, line, col, caller, args in self.sc.rows(
                "call", "t.callee = ? AND t.kind = 'direct'", (func,),
                "t.line, t.col, t.func, t.args")[:FANOUT]:
            a = json.loads(args)
            if idx >= len(a):
                continue
            s = self.sc.site("provenance", cid, path, bid, line, col, caller, name, op="arg",
                             value=a[idx], write_kind="argument")
            out.append(self.node(s, f"argument {idx + 1} ({name}) of {func}()", level))
        return out

    def out_param(self, site: Site, level: int) -> list[dict]:
        m = _CALL.match(site.extra.get("value", ""))
        if not m:
            return []
        callee = m.group(1)
        if not self._budget(("out", callee)):
            return []
        rows = self.sc.rows("assign", "t.func = ? AND t.chain LIKE ? AND t.kind IN "
                            "('assign', 'compound')", (callee, '["v:%", "*"]'),
                            "t.line, t.col, t.op, t.value")[:FANOUT]
        out = []
        for cid, path, bid, line, col, op, value in rows:
            s = self.sc.site("provenance", cid, path, bid, line, col, callee, callee, op=op,
                             value=value, write_kind="assign")
            out.append(self.node(s, f"filled by {callee}()", level))
        return out

    def cid(self, site: Site) -> int:
        for c in self.sc.corpus_ids:
            if self.sc.store.corpus_label(c) == (site.corpus, site.version):
                return c
        return self.sc.corpus_ids[0]


def provenance(sc: Scope, target, depth: int = 8) -> list[Site]:
    """Writes of `target`, each with the tree of where its value comes from."""
    w = _Walk(sc, depth)
    roots = [s for s in writes(sc, target) if s.extra.get("write_kind") != "whole-object"]
    out = []
    for s in roots:
        node = w.node(s, "write", 0)
        s.kind = "provenance"
        s.extra["from"] = node["from"]
        s.extra["level"] = 0
        out.append(s)
    return out


def tree_lines(site: Site) -> list[str]:
    """The provenance tree of one root, as indented text lines."""
    lines: list[str] = []

    def walk(nodes: list[dict], indent: int) -> None:
        for n in nodes:
            lines.append(f"{'  ' * indent}<- {n['file']}:{n['line']}: {n['function']}: "
                         f"{n.get('value', '')}  [{n['hop']}]")
            walk(n.get("from", []), indent + 1)
    walk(site.extra.get("from", []), 1)
    return lines
