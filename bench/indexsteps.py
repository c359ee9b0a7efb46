"""Where a fresh `vmxref index` run's wall time goes, step by step, in its main process.

    python bench/indexsteps.py SET [--index-dir DIR] [--keep]

Indexes the set (without full text) into a fresh directory in this process, with timers
wrapped around the steps of vmxref/indexer/__init__.py and store.py: the walk, the pool's
run (its wall time, the main process's CPU and the workers' CPU), the spool merge, CREATE
INDEX, the requests precomputation and the commit. Prints one line per step as it ends
(start offset, duration) and the total. The workers' own phases: bench/phases.py.
"""
from __future__ import annotations

import argparse
import functools
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
import vmxref_bench  # noqa: E402
import vmxref.indexer as indexer  # noqa: E402
from vmxref import api  # noqa: E402
from vmxref.queries import requests  # noqa: E402
from vmxref.store import Store  # noqa: E402

STORE_STEPS = ("drop_indexes", "adopt_spool", "merge_spool", "create_indexes", "set_files",
               "_load_refs", "refs_ready", "instantiate_templates", "gc", "commit")


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


class Steps:
    """Timers wrapped around the steps (the originals are put back by `restore`)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self._saved: list[tuple[object, str, object]] = []

    def _say(self, label: str, start: float, secs: float, extra: str = "") -> None:
        print(f"{start - self.t0:8.2f} +{secs:7.2f}  {label}{extra}", flush=True)

    def wrap(self, owner, name: str) -> None:
        f = getattr(owner, name, None)
        if f is None:  # (a step another revision lacks: comparing revisions, bench/README)
            return

        @functools.wraps(f)
        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                self._say(name, t, time.perf_counter() - t)
        self._saved.append((owner, name, f))
        setattr(owner, name, timed)

    def wrap_pool(self) -> None:
        """indexer.run_jobs: its wall time, when the first result came, CPU of both sides."""
        f = indexer.run_jobs

        def timed(*a, **k):
            t, first = time.perf_counter(), None
            main0, kids0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
            for x in f(*a, **k):
                if first is None:
                    first = time.perf_counter() - t
                yield x
            self._say("run_jobs", t, time.perf_counter() - t,
                      f" (first result after {first or 0:.2f} s; CPU: main "
                      f"{_cpu(resource.RUSAGE_SELF) - main0:.2f} s, workers "
                      f"{_cpu(resource.RUSAGE_CHILDREN) - kids0:.2f} s)")
        self._saved.append((indexer, "run_jobs", f))
        indexer.run_jobs = timed

    def restore(self) -> None:
        for owner, name, f in reversed(self._saved):
            setattr(owner, name, f)


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("set", choices=list(filesets.SETS))
    ap.add_argument("--index-dir", type=Path, default=None,
                    help="a fresh index directory (default: a temporary one, removed after)")
    ap.add_argument("--keep", action="store_true", help="keep the index directory")
    a = ap.parse_args(argv)
    fs = filesets.SETS[a.set]
    prof = vmxref_bench.write_profile(a.set)  # (a bench profile for the big sets, else None)
    index = a.index_dir or Path(tempfile.mkdtemp(prefix="vmxref-steps-"))
    if index.exists() and any(index.iterdir()):
        print(f"indexsteps: {index} is not empty (a fresh index is timed)", file=sys.stderr)
        return 2
    steps = Steps()
    for name in STORE_STEPS:
        steps.wrap(Store, name)
    steps.wrap(indexer, "discover")
    steps.wrap(requests, "precompute")
    steps.wrap_pool()
    try:
        stats = api.index(str(fs.root), fs.corpus, index,
                          profile=str(prof) if prof else None, fulltext=False)
    finally:
        steps.restore()
        if not a.keep and a.index_dir is None:
            shutil.rmtree(index, ignore_errors=True)
    print(f"{time.perf_counter() - steps.t0:8.2f}  total: {a.set}, {stats.parsed} parsed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
