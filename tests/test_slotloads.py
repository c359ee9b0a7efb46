"""The `slotload` rows the indexer stores (indexer/slotloads.py) are the join the call graph
ran at query time before: a read of a member, a write of a plain variable on its line, a
direct call of that variable in the same function."""
from __future__ import annotations

import sqlite3
import types
from collections import Counter
from pathlib import Path

from vmxref import api
from vmxref.indexer.slotloads import slot_loads

FIX = Path(__file__).parent / "fixtures"
JOIN = ("SELECT t.name, t.func, t.chain, a.chain, a.value, c.line, c.col FROM ref t "
        "JOIN assign a ON a.blob_id = t.blob_id AND a.func = t.func AND a.line = t.line "
        "AND a.kind IN ('init', 'assign') AND a.chain NOT LIKE '%,%' "
        "JOIN call c ON c.blob_id = t.blob_id AND c.func = t.func AND c.kind = 'direct' "
        "AND c.callee = substr(a.chain, 5, length(a.chain) - 6) "
        "WHERE t.blob_id = ? AND t.kind = 'read' AND t.func != '' AND t.chain IS NOT NULL")


def test_stored_rows_are_the_join(tmp_path) -> None:
    total = 0
    for tree, corpus in (("linux_qa", "linux-kvm@qa"), ("linux", "linux-kvm@fixture"),
                         ("vbox", "virtualbox-vmm@fixture")):
        d = tmp_path / tree
        api.index(str(FIX / tree), corpus, d, procs=1, fulltext=False)
        c = sqlite3.connect(d / "index.db")
        for (bid,) in c.execute("SELECT id FROM blob"):
            stored = c.execute("SELECT slot, func, rchain, var, value, line, col FROM slotload "
                               "WHERE blob_id = ?", (bid,)).fetchall()
            assert Counter(stored) == Counter(c.execute(JOIN, (bid,)).fetchall()), bid
            total += len(stored)
        c.close()
    assert total >= 1  # (qa_cui.c's `cui = vcpu->arch.complete_io; ... cui(vcpu)`)


def test_every_read_write_and_call_combination() -> None:
    f = types.SimpleNamespace(
        refs=[("ops", "read", 5, 9, "run", '["v:dev"]'),
              ("fn", "read", 5, 20, "run", '["v:dev", "ops"]'),
              ("fn", "read", 9, 8, "run", None),  # (no receiver: a plain variable)
              ("fn", "read", 5, 8, "other", '["v:d"]')],
        assigns=[(5, 4, "run", "f", '["v:f"]', "=", "dev->ops->fn", "init", None),
                 (5, 4, "run", "g", '["v:g"]', "=", "dev->ops->fn", "assign", None),
                 (5, 4, "run", "h", '["v:s", "h"]', "=", "dev->ops->fn", "assign", None),
                 (9, 4, "run", "f", '["v:f"]', "=", "fn", "assign", None)],
        calls=[(6, 8, "run", "f", "direct", None, "[]", 6, None),
               (7, 8, "run", "f", "direct", None, "[]", 7, None),
               (8, 8, "run", "g", "member", None, "[]", 8, None),
               (8, 8, "other", "f", "direct", None, "[]", 8, None)])
    assert slot_loads(f) == [
        ("ops", "run", '["v:dev"]', '["v:f"]', "dev->ops->fn", 6, 8),
        ("ops", "run", '["v:dev"]', '["v:f"]', "dev->ops->fn", 7, 8),
        ("fn", "run", '["v:dev", "ops"]', '["v:f"]', "dev->ops->fn", 6, 8),
        ("fn", "run", '["v:dev", "ops"]', '["v:f"]', "dev->ops->fn", 7, 8)]
