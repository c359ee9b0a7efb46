"""Time `vmxref index` on one file set (fresh index, then an unchanged re-run) and the
query latency of each query kind, cold and warm, next to cscope and GNU Global lookups.

    python bench/vmxref_bench.py SET [--runs 3] [--skip-index] [--skip-queries] [--skip-fulltext]

Each run: a fresh `vmxref index --no-fulltext` (everything but full text), an unchanged
re-run of it, then the full-text build alone (a separate process, as `vmxref index` runs it
after the symbol store is committed):
    VMXREF_INDEX=DIR bench/out/venv-query/bin/vmxref index ROOT --corpus NAME@VERSION
        --no-fulltext [--profile bench/out/profiles/SET.toml]
    VMXREF_INDEX=DIR bench/out/venv-query/bin/python -c FULLTEXT_SNIPPET
(bench/out/venv-query: a regular `pip install .` of the checkout, rebuilt at every run).
The big sets' profiles are written at run time (bench/out/profiles/SET.toml): the shipped
profile of the family (linux-kvm / virtualbox-vmm) with only `name`, `description` and
[paths] replaced, so the macro normaliser and every other table are the shipped ones.
Queries: VMXREF_INDEX=DIR bench/out/venv-query/bin/vmxref q --corpus NAME@VERSION 'QUERY'
(one process each) -- a regular, byte-compiled `pip install .` of the checkout in its own
venv, as a user installs vmxref (the development venv's editable install adds ~14 ms of
import hooks to every process, and this machine sets PYTHONDONTWRITEBYTECODE, so an
editable checkout is recompiled by every process). The same queries are then timed inside
one `vmxref shell` (started once per run; each answer's own time, as `:time` prints it).
'cold' evicts the index directory and the vmxref package from the page cache
(posix_fadvise DONTNEED) before each run; 'warm' follows three unmeasured runs.
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
PROFILES = OUT / "profiles"
SHIPPED = BENCH.parent / "vmxref" / "corpora"

# Sets that are no shipped corpus: (shipped profile they copy, [paths] include globs).
BIG_PATHS: dict[str, tuple[str, list[str]]] = {
    "linux-big": ("linux-kvm", [
        "arch/x86/**/*.c", "arch/x86/**/*.h", "include/**/*.c", "include/**/*.h",
        "kernel/**/*.c", "kernel/**/*.h", "mm/**/*.c", "mm/**/*.h", "virt/**/*.c",
        "virt/**/*.h"]),
    "linux-all": ("linux-kvm", ["**/*.c", "**/*.h"]),
    "vbox-all": ("virtualbox-vmm", [
        "src/**/*.c", "src/**/*.cpp", "src/**/*.h",
        "include/**/*.c", "include/**/*.cpp", "include/**/*.h"]),
}
FULLTEXT_SNIPPET = ("import os, pathlib; from vmxref import api; from vmxref.store import Store; "
                    "st = Store.open_for_write(pathlib.Path(os.environ['VMXREF_INDEX'])); "
                    "print(api.build_fulltext(st)); st.close()")

# Per family: the symbols of each query kind (real identifiers of Linux 6.1 / VBox 6.1.36).
LINUX_Q = {
    "def": "def kvm_guest_time_update",
    "refs": "refs kvm_guest_time_update",
    "callers": "callers kvm_guest_time_update",
    "writes": "writes pvclock_vcpu_time_info.tsc_to_system_mul",
    "path": "path kvm_arch_vcpu_ioctl_run -> kvm_guest_time_update",
    "raises": "raises KVM_REQ_CLOCK_UPDATE | paths",
    "search": "search kvmclock",
    "search words": "search clock update",  # (words that meet on few lines of many files)
}
VBOX_Q = {
    "def": "def TMCpuTicksPerSecond",
    "refs": "refs TMCpuTicksPerSecond",
    "callers": "callers TMCpuTicksPerSecond",
    "writes": "writes GIMKVMSYSTEMTIME.u32TscScale",
    "path": "path gimKvmWriteMsr -> gimR3KvmEnableSystemTime",
    "raises": "raises VMCPU_FF_TIMER | paths",
    "search": "search u32TscScale",
    "search words": "search tsc offset",
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


def profile_text(shipped: str, name: str, include: list[str]) -> str:
    """The shipped profile's TOML with `name`, `description` and the [paths] table replaced."""
    out, in_paths = [], False
    for line in (SHIPPED / f"{shipped}.toml").read_text().splitlines():
        head = line.strip()
        if head.startswith("["):
            in_paths = head == "[paths]"
            if in_paths:
                globs = ",\n".join(f"    {g!r}".replace("'", '"') for g in include)
                out += ["[paths]", f"include = [\n{globs},\n]", "exclude = []", ""]
                continue
        if in_paths:
            continue
        if head.startswith("name ="):
            line = f'name = "{name}"'
        elif head.startswith("description ="):
            line = f'description = "bench set {name}: {shipped} profile, bench paths"'
        out.append(line)
    return f"# Written by bench/vmxref_bench.py from vmxref/corpora/{shipped}.toml.\n" + \
        "\n".join(out) + "\n"


def write_profile(set_name: str) -> Path | None:
    """bench/out/profiles/SET.toml for a set that is no shipped corpus (None otherwise)."""
    if set_name not in BIG_PATHS:
        return None
    shipped, include = BIG_PATHS[set_name]
    PROFILES.mkdir(parents=True, exist_ok=True)
    path = PROFILES / f"{set_name}.toml"
    text = profile_text(shipped, set_name, include)
    # (rewriting it unchanged would make the index's snapshot of it stale: every query of
    # the set's index would then parse the TOML again)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def set_profile(set_name: str):
    """The corpus profile (vmxref.corpora.Profile) the set is indexed with."""
    from vmxref import corpora
    path = write_profile(set_name)
    return corpora.load(str(path) if path else filesets.SETS[set_name].corpus.split("@")[0])


def index_command(fs: filesets.FileSet, exe: Path) -> list[str]:
    """`vmxref index --no-fulltext` for the set (a bench profile for the big sets)."""
    cmd = [str(exe), "index", str(fs.root), "--corpus", fs.corpus, "--no-fulltext"]
    prof = write_profile(fs.name)
    if prof:
        cmd += ["--profile", str(prof)]
    return cmd


def fulltext_command(exe: Path) -> list[str]:
    """The full-text build alone, on the index named by VMXREF_INDEX."""
    return [str(exe.parent / "python"), "-c", FULLTEXT_SNIPPET]


def _fulltext_bytes(index: Path) -> int:
    from vmxref.queries.textsearch import FULLTEXT_DIR
    ft = index / FULLTEXT_DIR
    return dir_size(ft) if ft.exists() else 0


def bench_index(fs: filesets.FileSet, index: Path, runs: int, exe: Path,
                fulltext: bool = True) -> dict:
    """Median of `runs` (fresh index, unchanged re-run, full-text build) triples; the index
    is left in place (with its full text); `fulltext` False: no full-text builds."""
    cmd = index_command(fs, exe)
    ftcmd = fulltext_command(exe)
    env = vmxref_env(index)
    first, rerun, ftext = [], [], []
    sizes = {}
    steps = (("first", first, cmd), ("rerun", rerun, cmd), ("fulltext", ftext, ftcmd))
    if not fulltext:
        steps = steps[:2]
    for i in range(runs):
        shutil.rmtree(index, ignore_errors=True)
        for label, bucket, c in steps:
            r = run_once(c, cwd=BENCH.parent, env=env, sample_tree=True)
            r["summary"] = r.pop("stderr_tail", "") if r["rc"] else ""
            print(f"  vmxref {label} {i + 1}/{runs}: wall {r['wall_s']:.2f}s "
                  f"cpu {r['cpu_s']:.2f}s rss {r['peak_rss_mb']:.0f}MB "
                  f"tree-pss {r.get('tree_pss_mb', 0):.0f}MB rc {r['rc']} load {r['load1']}",
                  flush=True)
            bucket.append(r)
            if label == "rerun":
                sizes = {"index_bytes": dir_size(index)}
            if r["rc"]:
                break
        if any(b[-1]["rc"] for _, b, _ in steps if b):
            break
    sizes["fulltext_bytes"] = _fulltext_bytes(index)
    return {
        "command": f"VMXREF_INDEX={index} " + " ".join(cmd), "cwd": str(BENCH.parent),
        "fulltext_command": f"VMXREF_INDEX={index} {ftcmd[0]} -c \"{FULLTEXT_SNIPPET}\"",
        "first": {"median": median_of(first), "runs": first},
        "rerun": {"median": median_of(rerun), "runs": rerun} if rerun else None,
        "fulltext": {"median": median_of(ftext), "runs": ftext} if ftext else None,
        **sizes,
    }


def _timed_lines(cmd: list[str], cwd: Path, env: dict) -> dict:
    with tempfile.TemporaryFile() as out:
        r = run_once(cmd, cwd=cwd, env=env, stdout=out)
        out.seek(0)
        r["lines"] = sum(1 for _ in out)
    return r


WARM_UP = 3  # unmeasured runs before the warm ones: after an eviction, this VM's page cache
#             needs a few runs to settle (writes on all of Linux: 72, 74, 61, 60, 61, 49 ms)


def latency(cmd: list[str], cwd: Path, env: dict, runs: int, evict_paths: list[Path],
            timeout: float | None = None) -> dict:
    """Cold (evicted before each run) and warm (after WARM_UP unmeasured runs) medians.

    With `timeout`, each run is wrapped in `timeout -s KILL`; a run that hits it (rc -9 or
    137) ends the measurement of this query: its figures are that run's (a lower bound) and
    "timed_out" is set."""
    if timeout:
        cmd = ["timeout", "-s", "KILL", str(timeout), *cmd]
    cold, warm = [], []
    out = lambda rs: rs[-1]["rc"] in (137, -9)  # noqa: E731
    for _ in range(runs):
        evict(evict_paths)
        cold.append(_timed_lines(cmd, cwd, env))
        if timeout and out(cold):
            r = cold[-1]
            pick = {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "peak_rss_mb": r["peak_rss_mb"]}
            return {"command": " ".join(cmd), "cold": pick, "warm": pick, "lines": r["lines"],
                    "rc": r["rc"], "timed_out": timeout, "stderr_tail": ""}
    for _ in range(WARM_UP):
        _timed_lines(cmd, cwd, env)
    for _ in range(runs):
        warm.append(_timed_lines(cmd, cwd, env))
    pick = lambda rs: {"wall_s": round(statistics.median(r["wall_s"] for r in rs), 3),  # noqa: E731
                       "cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 3),
                       "peak_rss_mb": max(r["peak_rss_mb"] for r in rs)}
    return {"command": " ".join(cmd), "cold": pick(cold), "warm": pick(warm),
            "lines": warm[-1]["lines"], "rc": warm[-1]["rc"],
            "stderr_tail": warm[-1].get("stderr_tail", "")}


QUERY_VENV = OUT / "venv-query"


def installed_vmxref() -> tuple[Path, Path]:
    """(the `vmxref` script, its package dir) of a regular install of this checkout in
    bench/out/venv-query (rebuilt on every bench run, so it is the revision under test)."""
    import subprocess
    py = QUERY_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([VENV_PY, "-m", "venv", str(QUERY_VENV)], check=True)
        # as scripts/setup.sh does: a current pip writes a console script that imports
        # only sys (pip 23's imported re, about 10 ms of every query process)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"],
                       capture_output=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps",
                    str(BENCH.parent)], check=True, capture_output=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(BENCH.parent)], check=True,
                   capture_output=True)  # the dependencies (search needs whoosh)
    pkg = subprocess.run([str(py), "-c", "import vmxref, os; print(os.path.dirname(vmxref.__file__))"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return QUERY_VENV / "bin" / "vmxref", Path(pkg)


def shell_latency(exe: Path, fs: filesets.FileSet, env: dict, runs: int) -> dict:
    """Per query kind: the median answer time inside a started `vmxref shell` (one shell
    process per run, every query kind asked once in it, `:time` on; one unmeasured shell
    first, with the page cache warm as for the warm whole-process runs)."""
    import re
    import subprocess
    qs = queries_for(fs)
    script = ":time\n" + "".join(q + "\n" for q in qs.values())
    times: dict[str, list[float]] = {k: [] for k in qs}
    for i in range(runs + 1):  # (the first shell unmeasured: the page cache is warm for the
        # index pages the queries read, as it is for the warm whole-process figures; right
        # after their cold runs, a first shell read them from disk: path 54 ms against 21)
        out = subprocess.run([str(exe), "shell", "--corpus", fs.corpus], input=script, env=env,
                             capture_output=True, text=True, cwd=BENCH.parent).stdout
        ms = [float(m) for m in re.findall(r"\(\d+ results?, ([0-9.]+) ms\)", out)]
        for k, v in zip(qs, ms):
            if i:
                times[k].append(v)
    return {k: round(statistics.median(v), 1) for k, v in times.items() if v}


def bench_queries(fs: filesets.FileSet, index: Path, runs: int, exe: Path, pkg: Path,
                  timeout: float | None = None) -> tuple[dict, dict]:
    """Latency of each vmxref query kind and of the peer lookups."""
    env = vmxref_env(index)
    mine = {}
    for kind, text in queries_for(fs).items():
        cmd = [str(exe), "q", "--corpus", fs.corpus, text]
        mine[kind] = {"query": text,
                      **latency(cmd, BENCH.parent, env, runs, [index, pkg], timeout)}
        print(f"  {kind:8} {mine[kind]['cold']['wall_s']:.3f}s cold "
              f"{mine[kind]['warm']['wall_s']:.3f}s warm, {mine[kind]['lines']} lines, "
              f"rc {mine[kind]['rc']}", flush=True)
    shell = shell_latency(exe, fs, env, runs)
    for kind, ms in shell.items():
        mine[kind]["shell_ms"] = ms
        print(f"  {kind:8} {ms:.1f} ms in vmxref shell", flush=True)
    peers = {}
    for name, (cmd, idx, extra) in peer_queries(fs).items():
        if not idx.exists():
            continue
        peers[name] = latency(cmd, fs.root, {**os.environ, **extra}, runs, [idx])
        print(f"  {name:20} {peers[name]['cold']['wall_s']:.3f}s cold "
              f"{peers[name]['warm']['wall_s']:.3f}s warm, {peers[name]['lines']} lines",
              flush=True)
    return mine, peers


def vmxref_revision() -> str:
    """The commit of the checkout under test, with "+dirty" when vmxref/ has local changes
    (the package is installed editable: other work in the tree changes what is measured)."""
    import subprocess
    repo = BENCH.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "vmxref"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+dirty" if dirty else "")


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
    ap.add_argument("--skip-fulltext", action="store_true",
                    help="no full-text builds: the set's earlier full-text figures are kept, "
                         "marked with the revision that measured them")
    ap.add_argument("--query-timeout", type=float, default=None,
                    help="kill a vmxref query after this many seconds (recorded as timed out)")
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
    exe, pkg = installed_vmxref()
    if not a.skip_index:
        rev = vmxref_revision()
        old = data.get("index") or {}
        data["index"] = bench_index(fs, index, a.runs, exe, fulltext=not a.skip_fulltext)
        data["index"]["vmxref_rev"] = rev
        if a.skip_fulltext and old.get("fulltext"):
            for k in ("fulltext", "fulltext_bytes", "fulltext_command"):
                data["index"][k] = old.get(k)
            data["index"]["fulltext_rev"] = old.get("fulltext_rev") or old.get("vmxref_rev")
        write_json(path, data)
    if not a.skip_queries:
        data["queries_vmxref_rev"] = vmxref_revision()
        data["queries"], data["peer_queries"] = bench_queries(fs, index, a.runs, exe, pkg,
                                                              a.query_timeout)
    write_json(path, data)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
