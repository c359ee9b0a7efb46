"""Check the C extraction passes (vmxref.indexer._tsnative) against their Python twins on a
bench set's real files, and time both.

    python bench/twins.py SET [--every N] [--under PATH-PREFIX]

Every N-th file of the set goes through the worker's steps (vmxref/indexer/worker.py)
twice, without the C passes and with them, alternately; the facts are compared table by
table, rows in order. Prints the files that differ (with the first differing row of each table) and the
seconds of each way. Exit status 1 when a file differs."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
import vmxref_bench  # noqa: E402
from vmxref.indexer import native, worker  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("set", choices=sorted(filesets.SETS))
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--under", default="", help="only the files whose path starts so")
    a = ap.parse_args()
    fs = filesets.SETS[a.set]
    prof = vmxref_bench.set_profile(a.set)
    worker.init(prof.section("macros"), prof.dialect, None, prof.fills())
    passes = native.ts_passes()
    if passes is None:
        print("vmxref.indexer._tsnative is not built (see setup.py)", file=sys.stderr)
        return 2
    seconds = {"python": 0.0, "C": 0.0}
    files = bad = 0
    paths = [p for p in filesets.read_list(a.set) if p.startswith(a.under)]
    for i, rel in enumerate(paths[::a.every]):
        content = (fs.root / rel).read_bytes()
        lang = prof.lang_of(rel) or fs.lang
        got = {}
        for way in (("python", "C") if i % 2 == 0 else ("C", "python")):
            native._TS[:] = [passes if way == "C" else None]
            t = time.perf_counter()
            facts, status = worker._work(content, lang)
            seconds[way] += time.perf_counter() - t
            got[way] = (status, vars(facts) if facts is not None else None)
        native._TS[:] = [passes]
        files += 1
        if got["python"] != got["C"]:
            bad += 1
            print(f"DIFF {rel}")
            (sp, fp), (sc, fc) = got["python"], got["C"]
            if sp != sc or fp is None or fc is None:
                print(f"  status {sp!r} / {sc!r}")
                continue
            for table in fp:
                if fp[table] != fc[table]:
                    x = next((p, c) for p, c in zip(fp[table], fc[table]) if p != c) \
                        if isinstance(fp[table], list) and len(fp[table]) == len(fc[table]) \
                        else (f"{len(fp[table])} rows", f"{len(fc[table])} rows") \
                        if isinstance(fp[table], list) else (fp[table], fc[table])
                    print(f"  {table}: python {x[0]!r}\n  {' ' * len(table)}  C      {x[1]!r}")
    print(f"{a.set}: {files} files, {bad} differ; worker steps: python "
          f"{seconds['python']:.2f} s, with the C passes {seconds['C']:.2f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
