"""`logline 'LINE'`: which statement printed a run-time log line.

Every call that passes a string literal was indexed with its format and the format's
literal words (`logcall.keys`). A line is cleaned (timestamps, dmesg and VBox.log columns),
candidates are the formats whose words it contains, and each candidate is matched with its
dialect's conversions (printf, kernel `%p*`, IPRT `%R*`) and the prefix the call adds:
the file's `pr_fmt` for `pr_*` calls, or the literal a wrapper macro puts before `fmt`
(`kvm_pr_unimpl`, `vcpu_unimpl`, ...).
"""
from __future__ import annotations

import re

from vmxref import logfmt
from vmxref.model import Site
from vmxref.queries.base import Scope
from vmxref.queries.edges import _profile_section

MAX_CANDIDATES = 300
MAX_RESULTS = 10
_MACRO_PREFIX = re.compile(r'"((?:[^"\\]|\\.)*)"\s*(?:##\s*)?fmt\b')
_MODNAME = re.compile(r"\bKBUILD_MODNAME\b")


def logline(sc: Scope, line: str) -> list[Site]:
    """Statements that can print `line`, best first, with the part each argument produced."""
    clean = logfmt.clean_line(line)
    words = logfmt.line_words(clean)
    dialects = _dialects(sc)
    cands = []
    for cid, path, bid, rowid, keys in sc.rows("logcall", "1", (), "t.rowid, t.keys"):
        ks = keys.split() if keys else []
        if not ks:
            continue
        hit = sum(k in words for k in ks)
        if hit:
            cands.append((-hit / len(ks) - hit * 0.01, rowid, cid, path, bid))
    cands.sort()
    prefixes = _Prefixes(sc)
    out = []
    for _, rowid, cid, path, bid in cands[:MAX_CANDIDATES]:
        line_, col, func, callee, fmt, args = sc.conn.execute(
            "SELECT line, col, func, callee, fmt, args FROM logcall WHERE rowid = ?", (rowid,)).fetchone()
        dialect = dialects.get(cid, "printf")
        spec = logfmt.compile_format(fmt, dialect, prefixes.get(bid, callee, dialect))
        m = logfmt.match(spec, clean)
        if m is None:
            continue
        site = sc.site("logline", cid, path, bid, line_, col, func, callee, score=round(m.score, 3),
                       mode=m.mode, format=fmt,
                       spans=[{"arg": s.arg_index, "conversion": s.conversion, "start": s.start,
                               "end": s.end, "text": s.text} for s in m.spans])
        site.extra["args"] = args
        out.append(site)
    out.sort(key=lambda s: (-s.extra["score"], s.key()))
    return out[:MAX_RESULTS]


def _dialects(sc: Scope) -> dict[int, str]:
    from vmxref import corpora
    out = {}
    for c in sc.store.corpora():
        if c["id"] in sc.corpus_ids:
            try:
                out[c["id"]] = corpora.load(c["name"]).dialect
            except Exception:  # noqa: BLE001 - a custom profile without a dialect
                out[c["id"]] = "printf"
    return out


class _Prefixes:
    """What a logging call puts before its format: pr_fmt for pr_*, a wrapper macro's literal."""

    def __init__(self, sc: Scope):
        self.sc = sc
        self._prfmt: dict[int, str] = {}
        self._macro: dict[str, str] = {}
        self.printers = _profile_section(sc, "log").get("pr_fmt_callers", ["pr_", "printk"])

    def get(self, bid: int, callee: str, dialect: str) -> str:
        if dialect != "kernel":
            return ""
        pre = self.macro_prefix(callee)
        if callee.startswith("pr_") or callee.startswith("printk"):
            pre = self.pr_fmt(bid) + pre
        return pre

    def pr_fmt(self, bid: int) -> str:
        if bid not in self._prfmt:
            r = self.sc.conn.execute("SELECT text FROM sym WHERE blob_id = ? AND name = 'pr_fmt' "
                                     "AND kind = 'macro' LIMIT 1", (bid,)).fetchone()
            self._prfmt[bid] = _expand_pr_fmt(r[0]) if r and r[0] else ""
        return self._prfmt[bid]

    def macro_prefix(self, name: str) -> str:
        if name not in self._macro:
            r = self.sc.rows("sym", "t.name = ? AND t.kind = 'macro'", (name,), "t.text", limit=1)
            text = r[0][3] if r else ""
            m = _MACRO_PREFIX.search(text or "")
            self._macro[name] = m.group(1) if m else ""
        return self._macro[name]


def _expand_pr_fmt(text: str) -> str:
    """`(fmt) KBUILD_MODNAME ": " fmt` -> "%s: " (the module name matches any word)."""
    body = text.split(")", 1)[1] if text.startswith("(") else text
    lits = re.findall(r'"((?:[^"\\]|\\.)*)"|\b(KBUILD_MODNAME)\b|\bfmt\b', body)
    out = []
    for lit, mod in lits:
        if mod:
            out.append("%s")
        elif lit:
            out.append(lit)
        else:
            break
    return "".join(out)
