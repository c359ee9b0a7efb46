"""Benchmark `vmxref search` and `vmxref logline`: Whoosh build time and size, query latency
in-process (warm) and as a whole process, for linux-kvm and virtualbox-vmm.

    /work/venv/bin/python bench/search_bench.py --linux LINUX_ROOT --vbox VBOX_ROOT [--repeat N]

Each tree is indexed into a fresh temporary directory (symbol store + full text; the
full-text build time is the part `vmxref index` reports as "full text"). In-process numbers
are the median of N warm runs after one cold run in the same process (index opened once);
whole-process numbers are the median wall time of N `vmxref ...` runs. Prints markdown.
The trees are local copies and are never committed; the queries below name only identifiers
and log lines.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vmxref import api
from vmxref.queries.logline import logline
from vmxref.queries.textsearch import FULLTEXT_DIR, search

GOAL_MS = 100.0
QUERIES = {
    "linux-kvm@6.1": {
        "search": ["tsc_to_system_mul", "TscScale", "kvm guest time", "tsc offset --in comment",
                   "vcpu", "KVM_REQ_CLOCK_UPDATE --path arch/x86/kvm/x86.c"],
        "logline": ["[    4.010203] SVM: kvm: Nested Paging enabled",
                    "[  100.000001] kvm [4321]: vcpu0, guest rIP: 0xffffffff8107a1b4 "
                    "Unhandled WRMSR(0x1a0) = 0x850089",
                    "[    0.000000] kvm-clock: using sched offset of 3164470371 cycles"],
    },
    "virtualbox-vmm@6.1.36": {
        "search": ["TscTicks", "u32TscScale", "tsc scale", "TSC --in comment", "pVCpu",
                   "cTSCTicksPerSecond --path *TM*", "the"],
        "logline": ["00:00:00.664186 TM: cTSCTicksPerSecond=3 478 274 491 (0xcf5241bb) "
                    "enmTSCMode=1 (VirtTscEmulated)",
                    "00:00:05.200000 GIM: KVM: Enabled wall-clock struct. at 0x000000007ffe2000 - "
                    "u32Sec=1700000000 u32Nano=123456789 uVersion=2",
                    "00:00:00.700001 HM: MSR_IA32_VMX_MISC                 = 0x7004c1e7"],
    },
}


def _split(q: str) -> tuple[str, str | None, str | None]:
    """'TEXT [--in SCOPE] [--path GLOB]' -> (text, scope, glob)."""
    scope = glob = None
    if " --path " in q:
        q, glob = q.split(" --path ", 1)
    if " --in " in q:
        q, scope = q.split(" --in ", 1)
    return q, scope, glob


def _ms(fn, repeat: int) -> tuple[float, float, int]:
    """(cold ms, median warm ms, result count) of `fn()`."""
    t0 = time.perf_counter()
    n = len(fn())
    cold = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - t0) * 1000)
    return cold, statistics.median(warm), n


def _process_ms(args: list[str], index: Path, repeat: int) -> float:
    """Median wall ms of `vmxref ARGS --index INDEX` as a fresh process."""
    exe = str(Path(sys.executable).with_name("vmxref"))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([exe, *args, "--index", str(index)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench_corpus(root: Path, corpus: str, repeat: int) -> tuple[dict, list[dict]]:
    """Index `root`, then time its queries; (build row, query rows)."""
    ix = Path(tempfile.mkdtemp(prefix="vmxref-search-bench-"))
    t0 = time.perf_counter()
    st = api.index(str(root), corpus, ix)
    total = time.perf_counter() - t0
    build = {"corpus": corpus, "files": st.files, "index_s": round(total, 1),
             "fulltext_s": round(st.fulltext_seconds, 2),
             "fulltext_mb": round(_dir_mb(ix / FULLTEXT_DIR), 1),
             "store_mb": round(sum(p.stat().st_size for p in [*ix.glob("index.db*"), *ix.glob("refs.db*")]) / 1e6, 1)}
    sc = api.open_scope(ix, corpus)
    rows = []
    for q in QUERIES[corpus]["search"]:
        text, scope, glob = _split(q)
        cold, warm, n = _ms(lambda: search(sc, text, scope, glob), repeat)
        cli = ["search", *text.split()] + (["--in", scope] if scope else []) + \
            (["--path", glob] if glob else [])
        rows.append({"corpus": corpus, "verb": "search", "query": q, "hits": n, "cold": cold,
                     "warm": warm, "process": _process_ms(cli, ix, max(3, repeat // 3))})
    for line in QUERIES[corpus]["logline"]:
        cold, warm, n = _ms(lambda: logline(sc, line), repeat)
        rows.append({"corpus": corpus, "verb": "logline", "query": line, "hits": n, "cold": cold,
                     "warm": warm, "process": _process_ms(["logline", line], ix, max(3, repeat // 3))})
    return build, rows


def render(builds: list[dict], rows: list[dict]) -> str:
    """The two markdown tables."""
    out = ["| corpus | files | index s (total) | full-text build s | full-text MB | store MB |",
           "|---|---:|---:|---:|---:|---:|"]
    out += [f"| {b['corpus']} | {b['files']} | {b['index_s']} | {b['fulltext_s']} | "
            f"{b['fulltext_mb']} | {b['store_mb']} |" for b in builds]
    out += ["", "| corpus | verb | query | results | cold ms | warm ms (median) | process ms |",
            "|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        q = r["query"] if len(r["query"]) <= 48 else r["query"][:45] + "..."
        flag = "" if r["warm"] < GOAL_MS else " **>100**"
        out.append(f"| {r['corpus']} | {r['verb']} | `{q.replace('|', '/')}` | {r['hits']} | "
                   f"{r['cold']:.1f} | {r['warm']:.1f}{flag} | {r['process']:.0f} |")
    warm = [r["warm"] for r in rows]
    out += ["", f"warm: max {max(warm):.1f} ms, median {statistics.median(warm):.1f} ms "
                f"(goal < {GOAL_MS:.0f} ms); machine: {os.cpu_count()} cpus"]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--linux", type=Path, help="Linux tree (linux-kvm@6.1 profile)")
    ap.add_argument("--vbox", type=Path, help="VirtualBox 6.1.36 tree (virtualbox-vmm@6.1.36)")
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    if not (args.linux or args.vbox):
        ap.error("give --linux and/or --vbox")
    builds, rows = [], []
    for root, corpus in ((args.linux, "linux-kvm@6.1"), (args.vbox, "virtualbox-vmm@6.1.36")):
        if root:
            b, r = bench_corpus(root, corpus, args.repeat)
            builds.append(b)
            rows += r
    print(render(builds, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
