"""Facts the indexer derives per file from the extracted ones are what the queries computed
from the stored facts before: `slotload` (indexer/slotloads.py), the join of a read of a
member, a write of a plain variable on its line and a direct call of that variable in the
same function (or a write of a member of a local object, called through that local); `byteview` (indexer/byteviews.py), the writes of a byte-pointer cast of a
name plus an offset to a plain variable."""
from __future__ import annotations

import json
import sqlite3
import types
from collections import Counter
from pathlib import Path

from vmxref import api
from vmxref.indexer.byteviews import BYTE_VIEW, PREFIXES, byte_views
from vmxref.indexer.slotloads import slot_loads

FIX = Path(__file__).parent / "fixtures"
JOIN = ("SELECT t.name, t.func, t.chain, a.chain, a.value, c.line, c.col FROM ref t "
        "JOIN assign a ON a.blob_id = t.blob_id AND a.func = t.func AND a.line = t.line "
        "AND a.kind IN ('init', 'assign') AND a.chain NOT LIKE '%,%' "
        "JOIN call c ON c.blob_id = t.blob_id AND c.func = t.func AND c.kind = 'direct' "
        "AND c.callee = substr(a.chain, 5, length(a.chain) - 6) "
        "WHERE t.blob_id = ? AND t.kind = 'read' AND t.func != '' AND t.chain IS NOT NULL")
# (and the loads into a member of a local object, `u.pfn = pReq->u.Internal.pfn`, called
# through any member of that local, `u.pfn03(a, b, c)`: the union aliases of slotloads.py)
MEMBER_JOIN = (
    "SELECT t.name, t.func, t.chain, a.chain, a.value, c.line, c.col FROM ref t "
    "JOIN assign a ON a.blob_id = t.blob_id AND a.func = t.func AND a.line = t.line "
    "AND a.kind IN ('init', 'assign') AND substr(a.chain, 1, 4) = '[\"v:' "
    "AND a.chain LIKE '%,%' AND a.chain NOT LIKE '%,%,%' "
    "AND substr(rtrim(a.value), -length(t.name)) = t.name "
    "JOIN call c ON c.blob_id = t.blob_id AND c.func = t.func AND c.kind = 'member' "
    "AND c.recv = substr(a.chain, 1, instr(a.chain, ',') - 1) || ']' "
    "WHERE t.blob_id = ? AND t.kind = 'read' AND t.func != '' AND t.chain IS NOT NULL "
    "AND EXISTS (SELECT 1 FROM sym s WHERE s.blob_id = t.blob_id AND s.scope = t.func "
    "AND s.kind = 'local' AND s.name = substr(a.chain, 5, instr(a.chain, ',') - 6) "
    "AND s.type != '' AND instr(s.type, '*') = 0)")


def _old_byte_views(c: sqlite3.Connection) -> Counter:
    """The scan writes.py ran at query time: values in the casts' index ranges, matched."""
    out: Counter = Counter()
    for prefix in PREFIXES:
        for bid, func, chain_t, value, line in c.execute(
                "SELECT blob_id, func, chain, value, line FROM assign WHERE value >= ? AND "
                "value < ? AND kind IN ('init', 'assign') AND instr(value, '+') > 0 "
                "AND func != ''", (prefix, prefix + "\x7f")):
            m = BYTE_VIEW.match(value or "")
            chain = json.loads(chain_t) if chain_t else []
            if m and func and len(chain) == 1 and chain[0].startswith("v:"):
                out[(bid, func, chain[0][2:], m.group(1), line)] += 1
    return out


def test_stored_rows_are_what_the_queries_computed(tmp_path) -> None:
    loads = views = members = 0
    for tree, corpus in (("linux_qa", "linux-kvm@qa"), ("linux", "linux-kvm@fixture"),
                         ("vbox", "virtualbox-vmm@fixture")):
        d = tmp_path / tree
        api.index(str(FIX / tree), corpus, d, procs=1, fulltext=False)
        c = sqlite3.connect(d / "index.db")
        c.execute("ATTACH DATABASE ? AS refs", (str(d / "refs.db"),))
        for (bid,) in c.execute("SELECT id FROM blob"):
            stored = c.execute("SELECT slot, func, rchain, var, value, line, col FROM slotload "
                               "WHERE blob_id = ?", (bid,)).fetchall()
            joined = c.execute(JOIN, (bid,)).fetchall() + \
                c.execute(MEMBER_JOIN, (bid,)).fetchall()
            assert Counter(stored) == Counter(joined), bid
            loads += len(stored)
            members += sum(1 for r in stored if "," in r[3])
        stored_views = Counter(c.execute("SELECT blob_id, func, var, base, line FROM byteview"))
        assert stored_views == _old_byte_views(c), tree
        views += sum(stored_views.values())
        c.close()
    assert loads >= 1  # (qa_cui.c's `cui = vcpu->arch.complete_io; ... cui(vcpu)`)
    assert members >= 1  # (VMFixReqQueue.cpp's `u.pfn = pReq->u.Internal.pfn; u.pfn02(..)`)
    assert views >= 1  # (qa_asm.c's `char *p = (char *)vmcs12 + offset;`)


def test_byte_views_of_a_hand_made_file() -> None:
    def assign(value, chain='["v:p"]', kind="init", func="f"):
        return (3, 2, func, "p", chain, "=", value, kind, None)
    f = types.SimpleNamespace(assigns=[
        assign("(char *)vmcs12 + offset"),
        assign("(u8 *) (base) + 4", kind="assign"),
        assign("(const u8*)hdr+sizeof(*hdr)"),
        assign("(unsigned char *)s + i"),
        assign("(unsigned  char *)t + i"),  # (outside the casts' ranges, as before)
        assign("(char *)vmcs12 + offset", chain='["v:s", "p"]'),  # (a member: no view)
        assign("(char *)vmcs12 + offset", func=""),  # (file scope)
        assign("(char *)vmcs12 + offset", kind="whole-object"),
        assign("(char *)vmcs12", kind="assign"),  # (no offset)
        assign("(long *)vmcs12 + 1"),  # (no byte pointer)
        assign("( char *)vmcs12 + 1"),  # (outside the casts' ranges, as before)
    ])
    assert byte_views(f) == [("f", "p", "vmcs12", 3), ("f", "p", "base", 3),
                             ("f", "p", "hdr", 3), ("f", "p", "s", 3)]


def test_every_read_write_and_call_combination() -> None:
    f = types.SimpleNamespace(
        refs=[("ops", "read", 5, 9, "run", '["v:dev"]'),
              ("fn", "read", 5, 20, "run", '["v:dev", "ops"]'),
              ("fn", "read", 9, 8, "run", None),  # (no receiver: a plain variable)
              ("fn", "read", 5, 8, "other", '["v:d"]')],
        assigns=[(5, 4, "run", "f", '["v:f"]', "=", "dev->ops->fn", "init", None),
                 (5, 4, "run", "g", '["v:g"]', "=", "dev->ops->fn", "assign", None),
                 (5, 4, "run", "h", '["v:s", "h"]', "=", "dev->ops->fn", "assign", None),
                 (5, 4, "run", "h", '["v:p", "h"]', "=", "dev->ops->fn", "assign", None),
                 (5, 4, "run", "h", '["v:q", "h"]', "=", "dev->ops->fn", "assign", None),
                 (9, 4, "run", "f", '["v:f"]', "=", "fn", "assign", None)],
        calls=[(6, 8, "run", "f", "direct", None, "[]", 6, None),
               (7, 8, "run", "f", "direct", None, "[]", 7, None),
               (8, 8, "run", "g", "member", None, "[]", 8, None),
               (8, 8, "other", "f", "direct", None, "[]", 8, None),
               # (through any member of the local object s; not of the pointer p, nor of
               # q, a parameter)
               (10, 8, "run", "h2", "member", '["v:s"]', "[]", 10, None),
               (11, 8, "run", "h2", "member", '["v:p"]', "[]", 11, None),
               (12, 8, "run", "h2", "member", '["v:q"]', "[]", 12, None)],
        syms=[("s", "local", 2, 4, 2, "run", "(anonymous@1)", 0, 0, None),
              ("p", "local", 3, 4, 3, "run", "union u *", 0, 0, None),
              ("q", "param", 1, 4, 1, "run", "union u", 0, 0, None)])
    assert slot_loads(f) == [
        ("ops", "run", '["v:dev"]', '["v:f"]', "dev->ops->fn", 6, 8),
        ("ops", "run", '["v:dev"]', '["v:f"]', "dev->ops->fn", 7, 8),
        ("fn", "run", '["v:dev", "ops"]', '["v:f"]', "dev->ops->fn", 6, 8),
        ("fn", "run", '["v:dev", "ops"]', '["v:f"]', "dev->ops->fn", 7, 8),
        # (the member read itself only: `fn`, not `ops`)
        ("fn", "run", '["v:dev", "ops"]', '["v:s", "h"]', "dev->ops->fn", 10, 8)]
