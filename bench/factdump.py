"""Dump every extracted fact, sorted, to a text file (the safety net for extractor speed work).

    python bench/factdump.py INDEX_DIR OUT.txt             # facts of an index, joined to paths
    python bench/factdump.py --set SET [--every N] OUT.txt # extract in this process, no index

Each line is `table<TAB>path<TAB>col<TAB>col...` (all columns but blob ids / rowids), plus one
`blob` line per file (nlines, err_lines, status, errors). Lines are sorted; a sha256 per table
is printed (and written to OUT.txt.sha). Two dumps are equal iff every fact is equal.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TABLES = ("sym", "ref", "call", "assign", "logcall", "kase", "guard", "slotload", "byteview",
          "incl")
FACT_ATTR = {"sym": "syms", "ref": "refs", "call": "calls", "assign": "assigns",
             "logcall": "logcalls", "kase": "cases", "guard": "guards", "slotload": "slotloads",
             "byteview": "byteviews", "incl": "includes"}


def _line(table: str, path: str, row) -> str:
    return "\t".join([table, path, *(repr(v) for v in row)])


def from_index(index_dir: Path) -> list[str]:
    """Sorted dump lines of every fact table of index_dir/index.db and refs.db (every
    corpus)."""
    conn = sqlite3.connect(f"file:{index_dir / 'index.db'}?mode=ro", uri=True)
    if (index_dir / "refs.db").exists():  # (an index of vmxref before schema 8: one file)
        conn.execute("ATTACH DATABASE ? AS refs", (f"file:{index_dir / 'refs.db'}?mode=ro",))
    out = []
    for t in TABLES:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({t})")][1:]
        sel = ", ".join(f"x.{c}" for c in cols)
        q = f"SELECT f.path, {sel} FROM {t} x JOIN file f ON f.blob_id = x.blob_id"
        out += [_line(t, r[0], r[1:]) for r in conn.execute(q)]
    q = ("SELECT f.path, b.nlines, b.err_lines, b.status, b.errors FROM blob b "
         "JOIN file f ON f.blob_id = b.id")
    out += [_line("blob", r[0], r[1:]) for r in conn.execute(q)]
    conn.close()
    return sorted(out)


def from_set(name: str, every: int) -> list[str]:
    """Sorted dump lines of every N-th file of a bench set, extracted in this process."""
    import filesets
    import vmxref_bench
    from vmxref.indexer import worker
    fs = filesets.SETS[name]
    prof = vmxref_bench.set_profile(name)
    worker.init(prof.section("macros"), prof.dialect, None, prof.fills())  # (as the pool's)
    out = []
    for rel in filesets.read_list(name)[::every]:
        lang = prof.lang_of(rel) or fs.lang
        facts, status = worker._work((fs.root / rel).read_bytes(), lang)
        if facts is None:
            out.append(_line("blob", rel, (status,)))
            continue
        out.append(_line("blob", rel, (facts.nlines, facts.err_lines, status,
                                       json.dumps(facts.errors))))
        for t in TABLES:
            out += [_line(t, rel, r) for r in getattr(facts, FACT_ATTR[t])]
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", nargs="?", type=Path, help="index directory")
    ap.add_argument("out", type=Path)
    ap.add_argument("--set", default=None)
    ap.add_argument("--every", type=int, default=1)
    a = ap.parse_args(argv)
    lines = from_set(a.set, a.every) if a.set else from_index(a.src)
    a.out.write_text("\n".join(lines) + "\n")
    shas = []
    for t in (*TABLES, "blob"):
        h = hashlib.sha256()
        n = 0
        for ln in lines:
            if ln.startswith(t + "\t"):
                h.update(ln.encode("utf-8", "surrogatepass") + b"\n")
                n += 1
        shas.append(f"{t:8} {n:9d} {h.hexdigest()}")
    Path(str(a.out) + ".sha").write_text("\n".join(shas) + "\n")
    print("\n".join(shas))
    return 0


if __name__ == "__main__":
    sys.exit(main())
