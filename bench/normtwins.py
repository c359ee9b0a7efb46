"""Check the C parts of the source normaliser (normalize._C: vmxref.indexer._native's code,
candidates and cond_pass) against their Python twins on a bench set's real files, and time
both.

    python bench/normtwins.py SET [--every N]

Every N-th file of the set goes through normalize.normalize_ex with the set's macro profile,
with alternate=False and alternate=True, each with the C parts and with them switched off
(normalize._C = None), the two ways in alternating order; (text, uses, dropped) are compared
exactly. Prints the files that differ (with the first differing offset of the text) and the
seconds of each way. Exit status 1 when a file differs, 2 when the C module is not built."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
import vmxref_bench  # noqa: E402
from vmxref.indexer import native, normalize  # noqa: E402


def first_diff(a: bytes, b: bytes) -> int:
    """The first offset where a and b differ (the shorter length when one is a prefix)."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("set", choices=sorted(filesets.SETS))
    ap.add_argument("--every", type=int, default=1)
    a = ap.parse_args()
    fs = filesets.SETS[a.set]
    prof = vmxref_bench.set_profile(a.set)
    macros = normalize.load_profile(prof.section("macros"))
    if native.mod is None:
        print("vmxref.indexer._native is not built (see setup.py)", file=sys.stderr)
        return 2
    seconds = {"python": 0.0, "C": 0.0}
    files = bad = 0
    for i, rel in enumerate(filesets.read_list(a.set)[::a.every]):
        content = (fs.root / rel).read_bytes()
        files += 1
        for alternate in (False, True):
            got = {}
            for way in (("python", "C") if i % 2 == 0 else ("C", "python")):
                normalize._C = native.mod if way == "C" else None
                t = time.perf_counter()
                got[way] = normalize.normalize_ex(content, macros, alternate)
                seconds[way] += time.perf_counter() - t
            normalize._C = native.mod
            if got["python"] != got["C"]:
                bad += 1
                (tp, up, dp), (tc, uc, dc) = got["python"], got["C"]
                what = [f"text at offset {first_diff(tp, tc)}"] if tp != tc else []
                what += ["uses"] if up != uc else []
                what += [f"dropped {dp[:3]!r}... / {dc[:3]!r}..."] if dp != dc else []
                print(f"DIFF {rel} (alternate={alternate}): {', '.join(what)}")
                break
    print(f"{a.set}: {files} files, {bad} differ; normalize_ex (both alternates): python "
          f"{seconds['python']:.2f} s, with the C parts {seconds['C']:.2f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
