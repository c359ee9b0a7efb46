"""Time the peers on one file set: universal-ctags, cscope -b -q -k, gtags, and the raw
tree-sitter parse (2 worker processes) of the same files.

    python bench/peers.py SET [--runs 3] [--tools ctags,cscope,gtags,rawparse]

Writes bench/out/SET.json (merging with an earlier run's other tools) and keeps the indexes
in bench/out/idx/SET/TOOL/ for the query-latency comparison of vmxref_bench.py."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
from measure import OUT, VENV_PY, dir_size, machine_info, measure, warm_cache, write_json  # noqa: E402

BENCH = Path(__file__).resolve().parent
TOOLS = ("ctags", "cscope", "gtags", "rawparse")


def idx_dir(set_name: str, tool: str) -> Path:
    """Where TOOL keeps its index for SET."""
    return OUT / "idx" / set_name / tool


def tool_command(tool: str, fs: filesets.FileSet, lst: Path, out: Path) -> list[str]:
    """The exact command line of one tool (run with cwd = the set's root)."""
    if tool == "ctags":
        return ["ctags", "-L", str(lst), "-f", str(out / "tags")]
    if tool == "cscope":
        return ["cscope", "-b", "-q", "-k", "-i", str(lst), "-f", str(out / "cscope.out")]
    if tool == "gtags":
        return ["gtags", "-f", str(lst), str(out)]
    if tool == "rawparse":
        return [VENV_PY, str(BENCH / "rawparse.py"), str(fs.root), str(lst), fs.lang,
                "--procs", "2"]
    raise ValueError(tool)


def _fresh(out: Path):
    def before() -> None:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
    return before


def bench_tool(tool: str, fs: filesets.FileSet, lst: Path, runs: int) -> dict:
    """Measure one tool on the set: median of `runs` fresh builds, plus index size."""
    out = idx_dir(fs.name, tool)
    cmd = tool_command(tool, fs, lst, out)
    res = measure(cmd, runs, cwd=fs.root, before=_fresh(out), label=tool)
    res["command"] = " ".join(cmd)
    res["cwd"] = str(fs.root)
    res["index_bytes"] = 0 if tool == "rawparse" else dir_size(out)
    return res


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("set", choices=list(filesets.SETS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tools", default=",".join(TOOLS))
    a = ap.parse_args(argv)
    fs = filesets.SETS[a.set]
    lst = filesets.write_list(a.set)
    paths = lst.read_text().splitlines()
    warm_s = warm_cache(fs.root, paths)
    nbytes = sum((fs.root / p).stat().st_size for p in paths)
    print(f"{a.set}: {len(paths)} files, {nbytes / 1e6:.1f} MB (cache warmed in {warm_s:.1f}s)",
          flush=True)
    path = OUT / f"{a.set}.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update({"set": a.set, "root": str(fs.root), "list": str(lst), "files": len(paths),
                 "bytes": nbytes, "lang": fs.lang, "machine": machine_info()})
    tools = data.setdefault("tools", {})
    for tool in a.tools.split(","):
        if tool not in TOOLS:
            ap.error(f"unknown tool {tool!r}")
        res = bench_tool(tool, fs, lst, a.runs)
        res["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        tools[tool] = res
        write_json(path, data)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
