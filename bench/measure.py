"""Measuring one command: wall, CPU (user+sys of the process and its reaped children),
peak RSS (largest single process, as /usr/bin/time reports it), and the machine facts.

Used by peers.py and vmxref_bench.py; stdlib only."""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
VENV_PY = "/work/venv/bin/python"
TIME = "/usr/bin/time"
# Tree-memory sampling period: one sample costs ~13 ms CPU with a 300 MB indexer tree
# (smaps_rollup walks page tables), so 0.5 s keeps the sampler under 3 % of one core.
SAMPLE_INTERVAL = 0.5


def _children() -> dict[int, list[int]]:
    """ppid -> pids of every process on the machine (from /proc/PID/stat)."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree_memory_kb(root: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in kB over `root` and all its descendants (smaps_rollup)."""
    kids = _children()
    todo, rss, pss = [root], 0, 0
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


class TreeSampler:
    """Samples the memory of a process tree every `interval` s in a thread; `peak_rss_kb`
    and `peak_pss_kb` are the largest sums seen (PSS splits pages shared between the forked
    workers, so it does not count them twice as the RSS sum does)."""

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL) -> None:
        self.pid, self.interval = pid, interval
        self.peak_rss_kb = self.peak_pss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = _tree_memory_kb(self.pid)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        """Stop sampling (call before reaping the process)."""
        self._stop.set()
        self._thread.join()


def run_once(cmd: Sequence[str], cwd: Path | None = None, env: dict | None = None,
             stdout=subprocess.DEVNULL, sample_tree: bool = False) -> dict:
    """Run cmd once under /usr/bin/time; return wall_s, user_s, sys_s, cpu_s, peak_rss_mb,
    rc, load1 (the 1-minute load average before the run; the machine may be shared) and the
    stderr tail on failure. CPU comes from wait4(): the process plus every descendant it
    reaped (worker pools included). Peak RSS is /usr/bin/time's %M: the largest single
    process among them (wait4's own figure would include this Python's RSS, inherited
    through fork/vfork before exec). With `sample_tree`, also tree_rss_mb / tree_pss_mb:
    the peak sum over the whole process tree, sampled every SAMPLE_INTERVAL s (TreeSampler)."""
    load1 = os.getloadavg()[0]
    with tempfile.NamedTemporaryFile("r") as tf, tempfile.TemporaryFile() as err:
        full = [TIME, "-f", "%M", "-o", tf.name, *cmd]
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, env=env, stdout=stdout, stderr=err)
        sampler = TreeSampler(proc.pid) if sample_tree else None
        if sampler:  # wait without reaping, so the last samples still see the tree
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            sampler.stop()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        err_text = err.read()[-600:].decode("utf-8", "replace")
        lines = [ln for ln in tf.read().splitlines() if ln.strip().isdigit()]
    rss_kb = int(lines[-1]) if lines else ru.ru_maxrss
    res = {"wall_s": round(wall, 3), "user_s": round(ru.ru_utime, 3),
           "sys_s": round(ru.ru_stime, 3), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
           "peak_rss_mb": round(rss_kb / 1024, 1), "rc": proc.returncode,
           "load1": round(load1, 2)}
    if sampler:
        res["tree_rss_mb"] = round(sampler.peak_rss_kb / 1024, 1)
        res["tree_pss_mb"] = round(sampler.peak_pss_kb / 1024, 1)
        res["sample_interval_s"] = sampler.interval
    if proc.returncode != 0:
        res["stderr_tail"] = err_text
    return res


def median_of(runs: list[dict]) -> dict:
    """Median of each numeric measure over runs (rc: the worst)."""
    keys = ("wall_s", "user_s", "sys_s", "cpu_s", "peak_rss_mb", "load1", "tree_rss_mb",
            "tree_pss_mb")
    out = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys
           if all(k in r for r in runs)}
    out["rc"] = max((r["rc"] for r in runs), key=abs)
    return out


def measure(cmd: Sequence[str], runs: int, cwd: Path | None = None,
            before: Callable[[], None] | None = None, env: dict | None = None,
            label: str = "") -> dict:
    """Run cmd `runs` times (calling `before` ahead of each run, e.g. to clear the output);
    return {"median": {...}, "runs": [...]} and print one progress line per run."""
    results = []
    for i in range(runs):
        if before:
            before()
        r = run_once(cmd, cwd=cwd, env=env)
        print(f"  {label} run {i + 1}/{runs}: wall {r['wall_s']:.2f}s cpu {r['cpu_s']:.2f}s "
              f"rss {r['peak_rss_mb']:.0f}MB rc {r['rc']} load {r['load1']}", flush=True)
        results.append(r)
    return {"median": median_of(results), "runs": results}


def dir_size(path: Path, names: Sequence[str] | None = None) -> int:
    """Bytes on disk (apparent size) of the files under path (or only those named)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink() and (names is None or p.name in names):
            total += p.stat().st_size
    return total


def warm_cache(root: Path, rel_paths: Sequence[str]) -> float:
    """Read every listed file once so the page cache is warm; return seconds taken."""
    t0 = time.perf_counter()
    for rel in rel_paths:
        try:
            with open(root / rel, "rb") as f:
                while f.read(1 << 20):
                    pass
        except OSError:
            pass
    return time.perf_counter() - t0


def evict(paths: Sequence[Path]) -> None:
    """Drop the given files (recursively, for directories) from the page cache with
    posix_fadvise(DONTNEED): a 'cold' start without needing /proc/sys/vm/drop_caches."""
    for top in paths:
        files = [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
        for p in files:
            try:
                fd = os.open(p, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
            except OSError:
                pass
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def _first_line(cmd: Sequence[str]) -> str:
    if not shutil.which(cmd[0]):
        return "not installed"
    p = subprocess.run(list(cmd), capture_output=True, text=True)
    text = (p.stdout or p.stderr).strip()
    return text.splitlines()[0] if text else "?"


def _py_version(pkg: str) -> str:
    from importlib import metadata
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict:
    """nproc, memory, CPU model, kernel and the versions of every tool benchmarked."""
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(), "mem_gib": round(mem_kb / 2**20, 1), "cpu": model,
        "kernel": platform.release(), "python": platform.python_version(),
        "tools": {
            "ctags": _first_line(["ctags", "--version"]),
            "cscope": _first_line(["cscope", "-V"]),
            "gtags": _first_line(["gtags", "--version"]),
            "tree-sitter": _py_version("tree-sitter"),
            "tree-sitter-c": _py_version("tree-sitter-c"),
            "tree-sitter-cpp": _py_version("tree-sitter-cpp"),
            "vmxref": _py_version("vmxref"),
        },
    }


def write_json(path: Path, data: dict) -> None:
    """Write data as indented JSON (creating parent dirs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
