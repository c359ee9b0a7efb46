"""Time `vmxref index` on one file set (fresh index, then an unchanged re-run) and the
query latency of each query kind, cold and warm, next to cscope and GNU Global lookups.

    python bench/vmxref_bench.py SET [--runs 3] [--skip-index] [--skip-queries]

The index command (the CLI contract; the index dir is given by VMXREF_INDEX, which the
contract honours wherever --index would be placed):
    VMXREF_INDEX=DIR /work/venv/bin/python -m vmxref index ROOT --corpus NAME@VERSION
        [--profile bench/profiles/SET.toml]
Queries: VMXREF_INDEX=DIR python -m vmxref q --corpus NAME@VERSION 'QUERY' (one process each).
'cold' evicts the index directory and the vmxref package from the page cache
(posix_fadvise DONTNEED) before each run; 'warm' follows an unmeasured run.
Peer lookups use the indexes peers.py left in bench/out/idx/SET/ (run it first).
Writes bench/out/SET.vmxref.json."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
from measure import (OUT, VENV_PY, dir_size, evict, machine_info, median_of,  # noqa: E402
                     run_once, warm_cache, write_json)

BENCH = Path(__file__).resolve().parent
PROFILES = BENCH / "profiles"

# Per family: the symbols of each query kind (real identifiers of Linux 6.1 / VBox 6.1.36).
LINUX_Q = {
    "def": "def kvm_guest_time_update",
    "refs": "refs kvm_guest_time_update",
    "callers": "callers kvm_guest_time_update",
    "writes": "writes pvclock_vcpu_time_info.tsc_to_system_mul",
    "path": "path kvm_arch_vcpu_ioctl_run -> kvm_guest_time_update",
    "raises": "raises KVM_REQ_CLOCK_UPDATE | paths",
    "search": "search kvmclock",
}
VBOX_Q = {
    "def": "def TMCpuTicksPerSecond",
    "refs": "refs TMCpuTicksPerSecond",
    "callers": "callers TMCpuTicksPerSecond",
    "writes": "writes GIMKVMSYSTEMTIME.u32TscScale",
    "path": "path gimKvmWriteMsr -> gimR3KvmEnableSystemTime",
    "raises": "raises VMCPU_FF_TIMER | paths",
    "search": "search u32TscScale",
}


def queries_for(fs: filesets.FileSet) -> dict[str, str]:
    """The query of each kind for the set's family."""
    return LINUX_Q if fs.name.startswith("linux") else VBOX_Q


def peer_queries(fs: filesets.FileSet) -> dict[str, tuple[list[str], str, dict]]:
    """Peer lookups: name -> (command, the tool's index dir, extra environment)."""
    q = queries_for(fs)
    sym = q["def"].split()[1]
    text = q["search"].split()[1]
    cs = OUT / "idx" / fs.name / "cscope"
    gt = OUT / "idx" / fs.name / "gtags"
    genv = {"GTAGSROOT": str(fs.root), "GTAGSDBPATH": str(gt)}
    cfile = str(cs / "cscope.out")
    return {
        "cscope -1 (def)": (["cscope", "-d", "-f", cfile, "-L", "-1", sym], cs, {}),
        "cscope -0 (refs)": (["cscope", "-d", "-f", cfile, "-L", "-0", sym], cs, {}),
        "cscope -3 (callers)": (["cscope", "-d", "-f", cfile, "-L", "-3", sym], cs, {}),
        "cscope -4 (text)": (["cscope", "-d", "-f", cfile, "-L", "-4", text], cs, {}),
        "global -x (def)": (["global", "-x", sym], gt, genv),
        "global -rx (refs)": (["global", "-rx", sym], gt, genv),
    }


def vmxref_env(index: Path) -> dict:
    """The environment for a vmxref process using index directory `index`."""
    return {**os.environ, "VMXREF_INDEX": str(index)}


def index_command(fs: filesets.FileSet) -> list[str]:
    """`vmxref index` for the set (a bench profile for the sets that are no shipped corpus)."""
    cmd = [VENV_PY, "-m", "vmxref", "index", str(fs.root), "--corpus", fs.corpus]
    prof = PROFILES / f"{fs.name}.toml"
    if prof.exists():
        cmd += ["--profile", str(prof)]
    return cmd


def bench_index(fs: filesets.FileSet, index: Path, runs: int) -> dict:
    """Median of `runs` (fresh index, unchanged re-run) pairs; the index is left in place."""
    cmd = index_command(fs)
    env = vmxref_env(index)
    first, rerun = [], []
    for i in range(runs):
        shutil.rmtree(index, ignore_errors=True)
        for label, bucket in (("first", first), ("rerun", rerun)):
            r = run_once(cmd, cwd=BENCH.parent, env=env)
            r["summary"] = r.pop("stderr_tail", "") if r["rc"] else ""
            print(f"  vmxref index {label} {i + 1}/{runs}: wall {r['wall_s']:.2f}s "
                  f"cpu {r['cpu_s']:.2f}s rss {r['peak_rss_mb']:.0f}MB rc {r['rc']}", flush=True)
            bucket.append(r)
            if r["rc"]:
                break
        if first[-1]["rc"]:
            break
    return {
        "command": f"VMXREF_INDEX={index} " + " ".join(cmd), "cwd": str(BENCH.parent),
        "first": {"median": median_of(first), "runs": first},
        "rerun": {"median": median_of(rerun), "runs": rerun} if rerun else None,
        "index_bytes": dir_size(index),
    }


def _timed_lines(cmd: list[str], cwd: Path, env: dict) -> dict:
    with tempfile.TemporaryFile() as out:
        r = run_once(cmd, cwd=cwd, env=env, stdout=out)
        out.seek(0)
        r["lines"] = sum(1 for _ in out)
    return r


def latency(cmd: list[str], cwd: Path, env: dict, runs: int, evict_paths: list[Path]) -> dict:
    """Cold (evicted before each run) and warm (after an unmeasured run) medians."""
    cold, warm = [], []
    for _ in range(runs):
        evict(evict_paths)
        cold.append(_timed_lines(cmd, cwd, env))
    _timed_lines(cmd, cwd, env)
    for _ in range(runs):
        warm.append(_timed_lines(cmd, cwd, env))
    pick = lambda rs: {"wall_s": round(statistics.median(r["wall_s"] for r in rs), 3),  # noqa: E731
                       "cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 3),
                       "peak_rss_mb": max(r["peak_rss_mb"] for r in rs)}
    return {"command": " ".join(cmd), "cold": pick(cold), "warm": pick(warm),
            "lines": warm[-1]["lines"], "rc": warm[-1]["rc"],
            "stderr_tail": warm[-1].get("stderr_tail", "")}


def bench_queries(fs: filesets.FileSet, index: Path, runs: int) -> tuple[dict, dict]:
    """Latency of each vmxref query kind and of the peer lookups."""
    pkg = BENCH.parent / "vmxref"
    env = vmxref_env(index)
    mine = {}
    for kind, text in queries_for(fs).items():
        cmd = [VENV_PY, "-m", "vmxref", "q", "--corpus", fs.corpus, text]
        mine[kind] = {"query": text, **latency(cmd, BENCH.parent, env, runs, [index, pkg])}
        print(f"  {kind:8} {mine[kind]['cold']['wall_s']:.3f}s cold "
              f"{mine[kind]['warm']['wall_s']:.3f}s warm, {mine[kind]['lines']} lines, "
              f"rc {mine[kind]['rc']}", flush=True)
    peers = {}
    for name, (cmd, idx, extra) in peer_queries(fs).items():
        if not idx.exists():
            continue
        peers[name] = latency(cmd, fs.root, {**os.environ, **extra}, runs, [idx])
        print(f"  {name:20} {peers[name]['cold']['wall_s']:.3f}s cold "
              f"{peers[name]['warm']['wall_s']:.3f}s warm, {peers[name]['lines']} lines",
              flush=True)
    return mine, peers


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("set", choices=list(filesets.SETS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--index-dir", type=Path, default=None,
                    help="default bench/out/idx/SET/vmxref")
    ap.add_argument("--skip-index", action="store_true", help="query an existing index")
    ap.add_argument("--skip-queries", action="store_true")
    ap.add_argument("--json-out", type=Path, default=None,
                    help="default bench/out/SET.vmxref.json (what report.py reads)")
    a = ap.parse_args(argv)
    fs = filesets.SETS[a.set]
    index = a.index_dir or OUT / "idx" / a.set / "vmxref"
    paths = filesets.write_list(a.set).read_text().splitlines()
    warm_cache(fs.root, paths)
    path = a.json_out or OUT / f"{a.set}.vmxref.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update({"set": a.set, "root": str(fs.root), "files": len(paths), "corpus": fs.corpus,
            "machine": machine_info(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    print(f"{a.set}: vmxref on {len(paths)} files", flush=True)
    if not a.skip_index:
        data["index"] = bench_index(fs, index, a.runs)
        write_json(path, data)
    if not a.skip_queries:
        data["queries"], data["peer_queries"] = bench_queries(fs, index, a.runs)
    write_json(path, data)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
