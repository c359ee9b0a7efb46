"""Time indexing a second version of a corpus that shares most files with the first.

    python bench/second_version.py [--corpus linux-kvm] [--root DIR] [--modify 3] [--runs 1]
                                   [--procs N] [--no-fulltext]

Into a fresh index: index ROOT as NAME@base, copy ROOT to a temporary tree and append a
comment to N of its C files, index the copy as NAME@second (blob reuse: only the N edited
contents are parsed), and, for comparison, index the copy alone into another fresh index.
Prints one line per step with seconds (median of --runs) and the parsed/shared file counts.
With --no-fulltext the steps leave the full-text index out (when files changed, api.index
grows it by the contents it lacks: the second version's edited files).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from vmxref import api

DEFAULT_ROOTS = {"linux-kvm": "/work/corpora/linux-all",
                 "virtualbox-vmm": "/work/corpora/vbox-6.1.36"}


def _edit_copy(corpus: str, root: Path, dest: Path, n: int) -> list[str]:
    """Copy `root` to `dest` and append a comment to the first `n` C/C++ files (by path) of
    those the corpus profile indexes."""
    from vmxref import corpora
    from vmxref.indexer.discover import discover
    shutil.copytree(root, dest, symlinks=True)
    found, _skipped = discover(str(dest), corpora.load(corpora.profile_path(corpus)))
    files = sorted(f.path for f in found if f.path.endswith((".c", ".cpp")))[:n]
    for rel in files:
        with (dest / rel).open("a") as f:
            f.write("\n/* second version: edited for bench/second_version.py */\n")
    return files


def _timed(root: Path, spec: str, index: Path, procs: int | None, fulltext: bool = True):
    t0 = time.perf_counter()
    stats = api.index(str(root), spec, index, procs=procs, fulltext=fulltext)
    return time.perf_counter() - t0, stats


def _one_run(corpus: str, root: Path, n: int, procs: int | None, tmp: Path,
             fulltext: bool = True) -> dict:
    copy = tmp / "second"
    edited = _edit_copy(corpus, root, copy, n)
    t_first, s1 = _timed(root, f"{corpus}@base", tmp / "idx", procs, fulltext)
    t_second, s2 = _timed(copy, f"{corpus}@second", tmp / "idx", procs, fulltext)
    t_alone, _ = _timed(copy, f"{corpus}@second", tmp / "idx-alone", procs, fulltext)
    return {"first": t_first, "second": t_second, "alone": t_alone, "files": s1.files,
            "parsed2": s2.parsed, "shared2": s2.reused, "edited": edited}


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print the timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="linux-kvm", choices=sorted(DEFAULT_ROOTS))
    ap.add_argument("--root", type=Path, default=None)
    ap.add_argument("--modify", type=int, default=3, help="files to edit in the copy")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--procs", type=int, default=None, help="indexer worker processes")
    ap.add_argument("--no-fulltext", action="store_true", help="leave the full-text index out")
    a = ap.parse_args(argv)
    root = a.root or Path(DEFAULT_ROOTS[a.corpus])
    runs = []
    for _ in range(a.runs):
        with tempfile.TemporaryDirectory(prefix="vmxref-2nd-") as tmp:
            runs.append(_one_run(a.corpus, root, a.modify, a.procs, Path(tmp),
                                 not a.no_fulltext))
    med = {k: statistics.median(r[k] for r in runs) for k in ("first", "second", "alone")}
    r = runs[-1]
    print(f"corpus {a.corpus} root {root}: {r['files']} files, {a.modify} edited in the copy, "
          f"{a.runs} run(s), procs {a.procs or 'all'}, "
          f"full text {'no' if a.no_fulltext else 'yes'}")
    print(f"first version (fresh index)           {med['first']:8.2f} s")
    print(f"second version (same index, shared)   {med['second']:8.2f} s  "
          f"({r['parsed2']} parsed, {r['shared2']} shared)")
    print(f"second version alone (fresh index)    {med['alone']:8.2f} s")
    print(f"second / first                        {med['second'] / med['first']:8.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
