"""Answers do not depend on the order the index returns rows in: the same facts stored in
reverse order (as another worker schedule or other index definitions return them) give the
same paths, callers and writes — ties between equally short paths included."""
from __future__ import annotations

import shutil
import sqlite3

from vmxref import api, schema

# Ties: two equally short paths from the ioctl handler to set_clock, and two calls of
# set_clock in one function (which call site labels the hop is a tie too).
TIES = b"""
struct file_operations { long (*unlocked_ioctl)(void *f, unsigned int cmd, unsigned long arg); };

static void set_clock(int x)
{
}

static void refresh(int x)
{
	set_clock(x);
	set_clock(x + 1);
}

static void resync(int x)
{
	set_clock(x);
}

static long clock_ioctl(void *f, unsigned int cmd, unsigned long arg)
{
	refresh(1);
	resync(2);
	return 0;
}

static const struct file_operations clock_fops = { .unlocked_ioctl = clock_ioctl };
"""

QUERIES = [
    "raises KVM_REQ_CLOCK_UPDATE | paths",
    "raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 8",
    "path kvm_vm_ioctl -> kvm_gen_update_masterclock",
    "path kvm_arch_vcpu_load -> kvm_guest_time_update",
    "callers kvm_guest_time_update",
    "writes pvclock_vcpu_time_info.tsc_to_system_mul",
]


def _reverse_fact_rows(ix) -> None:
    """Rewrite every fact table of both files with its rows in reverse order, then rebuild
    the indexes."""
    for refs, name in ((False, "index.db"), (True, "refs.db")):
        c = sqlite3.connect(ix / name, isolation_level=None)
        c.execute("BEGIN")
        for t in schema.fact_tables(refs):
            c.execute(f"CREATE TABLE rev AS SELECT * FROM {t} ORDER BY rowid DESC")
            c.execute(f"DROP TABLE {t}")
            c.execute(f"ALTER TABLE rev RENAME TO {t}")
        for stmt in schema.ddl(refs, schema.INDEX_SQL).split(";"):
            if stmt.strip():
                c.execute(stmt)
        c.execute("COMMIT")
        c.close()


def _answers(ix, corpus: str, queries: list[str]) -> dict[str, list[dict]]:
    sc = api.open_scope(ix, corpus)
    out = {q: [s.to_json() for s in api.run_query(sc, q)] for q in queries}
    sc.store.close()
    return out


def _reversed_copy(ix, tmp_path):
    rev = tmp_path / "rev"
    shutil.copytree(ix, rev)
    with sqlite3.connect(rev / "index.db") as c:
        before = c.execute("SELECT line FROM call ORDER BY rowid").fetchall()
    _reverse_fact_rows(rev)
    with sqlite3.connect(rev / "index.db") as c:
        after = c.execute("SELECT line FROM call ORDER BY rowid").fetchall()
    assert after == before[::-1]
    return rev


def test_ties_are_broken_the_same_way_whatever_the_row_order(tmp_path):
    src = tmp_path / "src"
    (src / "arch/x86/kvm").mkdir(parents=True)  # (a path the linux-kvm profile includes)
    (src / "arch/x86/kvm/clock.c").write_bytes(TIES)
    ix = tmp_path / "ix"
    api.index(str(src), "linux-kvm@ties", ix, procs=1, fulltext=False)
    queries = ["path clock_ioctl -> set_clock", "callers set_clock"]
    want = _answers(ix, "linux-kvm@ties", queries)
    got = _answers(_reversed_copy(ix, tmp_path), "linux-kvm@ties", queries)
    paths = [[(h["function"], h["line"]) for h in p] for s in want[queries[0]] for p in s["paths"]]
    # (each call of the last function into the target is a result of its own)
    assert sorted(paths) == [[("clock_ioctl", 21), ("refresh", 10), ("set_clock", 4)],
                             [("clock_ioctl", 21), ("refresh", 11), ("set_clock", 4)],
                             [("clock_ioctl", 22), ("resync", 16), ("set_clock", 4)]]
    assert got == want


def test_fixture_answers_do_not_depend_on_row_order(kvm_index, tmp_path):
    want = _answers(kvm_index, "linux-kvm@fixture", QUERIES)
    got = _answers(_reversed_copy(kvm_index, tmp_path), "linux-kvm@fixture", QUERIES)
    assert all(want[q] for q in QUERIES)
    assert got == want
