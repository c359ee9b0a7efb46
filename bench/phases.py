"""Where a worker's time goes: read, normalise, parse, extract, spool write, compress,
summed per phase over the files of a set, in this one process (no pool).

    python bench/phases.py SET [--every N] [--under DIR] [--top 10] [--profile-extract OUT.prof]

Runs the same steps as vmxref/indexer/worker.py for every N-th file of the set's list, with
the set's profile (the shipped one, or bench/out/profiles/SET.toml written by
vmxref_bench.py). Prints seconds and shares per phase, the raw parse of the unnormalised
bytes for comparison (the rawparse.py floor), and the files with the slowest extraction.
`--profile-extract` also writes a cProfile of the extract phase alone."""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
import vmxref_bench  # noqa: E402
from vmxref.indexer import extract, normalize, spool, ts  # noqa: E402

PHASES = ("read", "sha1", "normalize", "parse", "extract", "spool", "compress")


def run(name: str, every: int, prof_out: Path | None,
        under: str = "") -> tuple[dict, float, list, int]:
    """Phase totals, raw parse seconds, per-file extract times, files timed."""
    fs = filesets.SETS[name]
    prof = vmxref_bench.set_profile(name)
    macros = normalize.load_profile(prof.section("macros"))
    paths = [p for p in filesets.read_list(name) if p.startswith(under)][::every]
    tot = dict.fromkeys(PHASES, 0.0)
    raw = 0.0
    per_file = []
    profiler = cProfile.Profile() if prof_out else None
    with tempfile.TemporaryDirectory() as tmp:
        sp = spool.Spool(str(Path(tmp) / "spool.db"))
        for job, rel in enumerate(paths):
            lang = prof.lang_of(rel) or fs.lang
            t = [time.perf_counter()]
            content = (fs.root / rel).read_bytes()
            t.append(time.perf_counter())
            hashlib.sha1(content).hexdigest()
            t.append(time.perf_counter())
            text, uses = normalize.normalize(content, macros)
            t.append(time.perf_counter())
            tree = ts.parse(text, lang)
            t.append(time.perf_counter())
            if profiler:
                profiler.enable()
            try:
                facts = extract.extract(content, tree, lang, macros, uses, prof.dialect,
                                        text=text, fills=prof.fills())
            except Exception:  # noqa: BLE001 - as in the worker: one file's failure
                facts = None
            if profiler:
                profiler.disable()
            t.append(time.perf_counter())
            if facts is not None:
                sp.add(job, facts)
            t.append(time.perf_counter())
            zlib.compress(content, 1)
            t.append(time.perf_counter())
            for i, ph in enumerate(PHASES):
                tot[ph] += t[i + 1] - t[i]
            per_file.append((t[5] - t[4], rel, len(content)))
            r0 = time.perf_counter()
            ts.parse(content, lang)
            raw += time.perf_counter() - r0
        sp.flush()
    if profiler:
        profiler.dump_stats(str(prof_out))
    return tot, raw, sorted(per_file, reverse=True), len(paths)


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("set", choices=list(filesets.SETS))
    ap.add_argument("--every", type=int, default=1, help="time every N-th file of the list")
    ap.add_argument("--under", default="", help="only the files under this directory")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--profile-extract", type=Path, default=None)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    tot, raw, per_file, n = run(a.set, a.every, a.profile_extract, a.under)
    total = sum(tot.values())
    print(f"{a.set}: {n} files (every {a.every}), one process, "
          f"{time.perf_counter() - t0:.1f}s wall")
    print("| phase | s | share | × raw parse |\n|---|---:|---:|---:|")
    for ph in PHASES:
        print(f"| {ph} | {tot[ph]:.2f} | {tot[ph] / total:.0%} | {tot[ph] / raw:.2f} |")
    print(f"| **worker total** | {total:.2f} | 100% | {total / raw:.2f} |")
    print(f"| raw parse of the same bytes (unnormalised) | {raw:.2f} | | 1.00 |")
    print("\nslowest extractions:")
    for sec, rel, size in per_file[:a.top]:
        print(f"  {sec * 1000:8.1f} ms  {size / 1e3:7.0f} kB  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
