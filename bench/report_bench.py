"""Time `vmxref report` on an indexed corpus with the shipped saved queries.

    /work/venv/bin/python bench/report_bench.py --index /tmp/ix [--runs 3] [QUERY_FILE|DIR...]

Default queries: ./queries. Writes bench/out/report.json (wall/CPU per run, page counts).
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from measure import OUT, VENV_PY, run_once


def main() -> None:
    """Run the report N times into a scratch directory and record the timings."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("paths", nargs="*", default=["queries"])
    ap.add_argument("--index", required=True)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    runs = []
    for _ in range(a.runs):
        out = Path(tempfile.mkdtemp(prefix="vmxref-report-"))
        cmd = [VENV_PY, "-m", "vmxref", "report", "--out", str(out), "--index", a.index, *a.paths]
        r = run_once(cmd)
        r["pages"] = sum(1 for _ in out.glob("*.html"))
        r["megabytes"] = round(sum(f.stat().st_size for f in out.iterdir()) / 1e6, 1)
        runs.append(r)
        shutil.rmtree(out)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps({"queries": a.paths, "runs": runs}, indent=1))
    for r in runs:
        print(f"wall {r['wall_s']:.1f}s cpu {r['cpu_s']:.1f}s rss {r['peak_rss_mb']:.0f}MB "
              f"load1 {r['load1']} pages {r['pages']} size {r['megabytes']}MB rc {r['rc']}")


if __name__ == "__main__":
    main()
