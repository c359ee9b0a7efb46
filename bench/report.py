"""Merge bench/out/SET.json (peers.py) and bench/out/SET.vmxref.json (vmxref_bench.py)
into bench/RESULTS.md.

    python bench/report.py [--out bench/RESULTS.md]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
from measure import OUT, machine_info  # noqa: E402

BENCH = Path(__file__).resolve().parent
PEERS = (("ctags", "universal-ctags"), ("cscope", "cscope -b -q -k"), ("gtags", "gtags"),
         ("rawparse", "raw tree-sitter parse, 2 procs"))
PENDING = "pending"


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _mb(n: float | None) -> str:
    return "–" if n is None else f"{n / 1e6:.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None:
        return PENDING
    if not b:
        return "–"
    return f"{a / b:.1f}×"


def _row(name: str, m: dict | None, size: int | None, ratios: list[str]) -> str:
    if m is None:
        cells = [PENDING] * 6
    else:
        tree = m.get("tree_pss_mb")
        cells = [f"{m['wall_s']:.2f}", f"{m['cpu_s']:.2f}", f"{m['peak_rss_mb']:.0f}",
                 f"{tree:.0f}" if tree else "–",  # 0: the run ended before a sample
                 _mb(size) if size else "–", f"{m.get('load1', 0):.1f}"]
    return "| " + " | ".join([name, *cells, *ratios]) + " |"


def _runs_note(block: dict | None) -> str:
    if not block:
        return ""
    walls = ", ".join(f"{r['wall_s']:.2f}" for r in block["runs"])
    return f"{len(block['runs'])} run(s): {walls} s"


def set_table(name: str, peers: dict, mine: dict | None) -> list[str]:
    """The table of one set: peers, raw parse and vmxref rows, ratios vmxref / row."""
    idx = (mine or {}).get("index") or {}
    first = (idx.get("first") or {}).get("median")
    rerun = (idx.get("rerun") or {}).get("median")
    ftext = (idx.get("fulltext") or {}).get("median")
    vsize = idx.get("index_bytes")
    out = [f"### {name}", "",
           f"{peers['files']} files, {peers['bytes'] / 1e6:.1f} MB, root `{peers['root']}`, "
           f"grammar tree-sitter-{peers['lang']}. Peers: median of "
           f"{len(next(iter(peers['tools'].values()))['runs'])} runs; vmxref: median of "
           f"{len(idx['first']['runs']) if first else 0} run(s); page cache warm.", "",
           "| tool | wall s | CPU s | peak RSS MB (largest process) | tree PSS MB (sum) | "
           "index MB | load | vmxref/tool wall | vmxref/tool CPU | vmxref/tool RSS | "
           "vmxref/tool size |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label in PEERS:
        t = peers["tools"].get(key)
        if not t:
            continue
        m = t["median"]
        size = t.get("index_bytes") or None
        ratios = [_ratio(first and first["wall_s"], m["wall_s"]),
                  _ratio(first and first["cpu_s"], m["cpu_s"]),
                  _ratio(first and first["peak_rss_mb"], m["peak_rss_mb"]),
                  _ratio(vsize if first else None, size) if size else "–"]
        bad = f" (rc {m['rc']})" if m["rc"] else ""
        out.append(_row(label + bad, m, size, ratios))
    out.append(_row("**vmxref index --no-fulltext** (fresh)", first, vsize, ["–"] * 4
                    if first else [PENDING] * 4))
    out.append(_row("**vmxref index --no-fulltext** (unchanged re-run)", rerun, None,
                    [f"{rerun['wall_s'] / first['wall_s']:.1%} of fresh", "", "", ""]
                    if rerun and first else [PENDING] * 4))
    fail = f" (**failed**, rc {ftext['rc']})" if ftext and ftext["rc"] else ""
    out.append(_row(f"**vmxref full-text build** (alone){fail}", ftext,
                    idx.get("fulltext_bytes"),
                    ["", "", "", ""] if ftext else [PENDING] * 4))
    out.append("")
    if first:
        rev = idx.get("vmxref_rev")
        out += [f"vmxref revision: {rev}." if rev else "vmxref revision: not recorded (between e8e715d and 3d2e21f; the tree changed during the runs, see the summary).", ""]
        ftrev = idx.get("fulltext_rev")
        out += [f"vmxref fresh: {_runs_note(idx.get('first'))}; re-run: "
                f"{_runs_note(idx.get('rerun'))}; full text: {_runs_note(idx.get('fulltext'))}"
                + (f" (measured at revision {ftrev}: not re-run since)" if ftrev else "") + ".",
                ""]
    out += query_table(mine)
    return out


def query_table(mine: dict | None) -> list[str]:
    """Query latency: each vmxref query kind and the peer lookups, cold and warm."""
    if not mine or "queries" not in mine:
        return ["Query latency: vmxref pending.", ""]
    out = ["| query (one process each) | cold wall s | warm wall s | warm CPU s | lines | "
           "in `vmxref shell` ms |",
           "|---|---:|---:|---:|---:|---:|"]
    for kind, q in mine["queries"].items():
        failed = q["rc"] not in (0, 1) or "Traceback" in q.get("stderr_tail", "")
        rc = f" (**failed**, rc {q['rc']})" if failed else ""
        if q.get("timed_out"):
            rc = f" (**killed after {q['timed_out']:.0f} s**, no answer)"
        shell = f"{q['shell_ms']:.1f}" if "shell_ms" in q else "–"
        out.append(f"| vmxref `{_cell(q['query'])}`{rc} | {q['cold']['wall_s']:.3f} | "
                   f"{q['warm']['wall_s']:.3f} | {q['warm']['cpu_s']:.3f} | {q['lines']} | "
                   f"{shell} |")
    for name, q in mine.get("peer_queries", {}).items():
        out.append(f"| {name}: `{_cell(q['command'])}` | "
                   f"{q['cold']['wall_s']:.3f} | {q['warm']['wall_s']:.3f} | "
                   f"{q['warm']['cpu_s']:.3f} | {q['lines']} | |")
    return out + [""]


def machine_section(m: dict) -> list[str]:
    """The machine and tool versions."""
    t = m["tools"]
    return ["## Machine", "",
            f"- {m['nproc']} CPUs ({m['cpu']}), {m['mem_gib']} GiB RAM, Linux {m['kernel']}, "
            f"Python {m['python']}",
            f"- {t['ctags']}", f"- {t['cscope']}", f"- {t['gtags']}",
            f"- tree-sitter {t['tree-sitter']}, tree-sitter-c {t['tree-sitter-c']}, "
            f"tree-sitter-cpp {t['tree-sitter-cpp']}; vmxref {t['vmxref']}", ""]


def commands_section(all_peers: dict[str, dict], all_mine: dict[str, dict]) -> list[str]:
    """The exact commands, per set (each run in the set's root)."""
    out = ["## Exact commands", "",
           "Each peer runs with cwd = the set's root, on the list "
           "`bench/out/lists/SET.txt` (one relative path a line), into an emptied directory; "
           "every command is wrapped in `/usr/bin/time -f %M` for the peak RSS.", ""]
    for name, p in all_peers.items():
        out += [f"### {name}", "", "```", f"cd {p['root']}"]
        out += [p["tools"][k]["command"] for k, _ in PEERS if k in p["tools"]]
        mine = all_mine.get(name)
        if mine and mine.get("index"):
            out.append(mine["index"]["command"])
            if mine["index"].get("fulltext_command"):
                out.append(mine["index"]["fulltext_command"])
        else:
            out.append("# vmxref: python bench/vmxref_bench.py " + name + "  (pending)")
        out += ["```", ""]
    return out


QUERY_GOALS_MS = {"def": 60, "refs": 60, "callers": 60, "writes": 60, "path": 300,
                  "raises": 300, "search": 150, "search words": 150}
FULLTEXT_GOALS_S = {"vbox-vmm": 10, "linux-big": 60}


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|")


def _ok(good: bool) -> str:
    return "met" if good else "**missed**"


def targets_section(all_peers: dict[str, dict], all_mine: dict[str, dict]) -> list[str]:
    """Issue 8's done-when targets, checked against the measured medians."""
    out = ["## Issue 8 targets", "",
           "Checked against the medians above (wall time on a shared 2-CPU machine; see the "
           "load column). Query latencies: the largest index with query results.", "",
           "| target | set | measured | goal | status |", "|---|---|---:|---:|---|"]
    for name, mine in all_mine.items():
        idx = mine.get("index") or {}
        first = (idx.get("first") or {}).get("median")
        raw = (all_peers.get(name, {}).get("tools", {}).get("rawparse") or {}).get("median")
        if first and raw:
            r = first["wall_s"] / raw["wall_s"]
            rc = first["cpu_s"] / raw["cpu_s"]
            out.append(f"| index wall ÷ raw 2-process parse wall (CPU ratio {rc:.1f}×) | {name} "
                       f"| {r:.1f}× | ≤ 2.5× | {_ok(r <= 2.5)} |")
        rerun = (idx.get("rerun") or {}).get("median")
        if first and rerun:
            r = rerun["wall_s"] / first["wall_s"]
            out.append(f"| unchanged re-index ÷ fresh | {name} | {r:.1%} | < 5 % | {_ok(r < .05)} |")
        ft = (idx.get("fulltext") or {}).get("median")
        if ft and ft["rc"]:
            out.append(f"| full-text build | {name} | **failed** (rc {ft['rc']}) after "
                       f"{ft['wall_s']:.0f} s | – | **missed** |")
        elif ft and name in FULLTEXT_GOALS_S:
            g = FULLTEXT_GOALS_S[name]
            out.append(f"| full-text build | {name} | {ft['wall_s']:.1f} s | < {g} s | "
                       f"{_ok(ft['wall_s'] < g)} |")
        if name == "linux-all" and first:
            cs = (all_peers.get(name, {}).get("tools", {}).get("cscope") or {}).get("median")
            if cs:
                out.append(f"| index wall (cscope: {cs['wall_s']:.0f} s) | {name} | "
                           f"{first['wall_s']:.0f} s | < 73 s | {_ok(first['wall_s'] < 73)} |")
            mem = first.get("tree_pss_mb", first["peak_rss_mb"])
            out.append(f"| peak memory (tree PSS sum; largest process {first['peak_rss_mb']:.0f} "
                       f"MB) | {name} | {mem:.0f} MB | < 1536 MB | {_ok(mem < 1536)} |")
    big = max((n for n in all_mine if all_mine[n].get("queries")),
              key=lambda n: all_peers.get(n, {}).get("bytes", 0), default=None)
    for kind, q in (all_mine[big]["queries"].items() if big else []):
        ms = q["warm"]["wall_s"] * 1000
        g = QUERY_GOALS_MS.get(kind)
        bad = q["rc"] != 0
        note = f" (rc {q['rc']}, {q['lines']} lines)" if bad else ""
        status = "not measured (no answer)" if bad else (_ok(ms < g) if g else "")
        if q.get("timed_out"):
            note, status = f" (killed after {q['timed_out']:.0f} s)", "**missed**"
            ms = q["timed_out"] * 1000
        out.append(f"| `{_cell(q['query'])}` warm, whole process{note} | {big} | {ms:.0f} ms | "
                   f"< {g} ms | {status} |")
        if "shell_ms" in q:
            out.append(f"| `{_cell(q['query'])}` in a started `vmxref shell` | {big} | "
                       f"{q['shell_ms']:.1f} ms | < 20 ms | {_ok(q['shell_ms'] < 20)} |")
    return out + [""]


EXTRAS = (("earlier_sets.md", "Sets not measured again on this machine"), ("targets.md", None),
          ("second_version.txt", "Second version of a corpus "
           "(`bench/second_version.py`)"), ("fulltext_pull.txt", "Full text grown by a pull "
           "(`bench/fulltext_pull.py`)"), ("search_bench.md", "Full-text search and logline "
           "(`bench/search_bench.py`)"), ("phases.md", None))


def extra_sections() -> list[str]:
    """Hand-run results saved in bench/out/ (markdown included as is, text in a code block)."""
    out = []
    for fname, title in EXTRAS:
        p = OUT / fname
        if not p.exists():
            continue
        text = p.read_text().rstrip()
        if title:
            out += [f"## {title}", ""]
        out += ["```", text, "```", ""] if fname.endswith(".txt") else [text, ""]
    return out


def render() -> str:
    """RESULTS.md text from every JSON in bench/out."""
    all_peers = {n: d for n in filesets.SETS if (d := _load(OUT / f"{n}.json"))}
    all_mine = {n: d for n in filesets.SETS if (d := _load(OUT / f"{n}.vmxref.json"))}
    machine = next(iter(all_peers.values()))["machine"] if all_peers else machine_info()
    lines = ["# vmxref benchmark results", "",
             f"Generated by `python bench/report.py` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} from bench/out/*.json. "
             "Wall = elapsed; CPU = user+sys of the process and all the children it reaped; "
             "peak RSS = the largest single process (`/usr/bin/time` %M), so for the 2-process "
             "parse and vmxref's workers it is per process, not their sum; tree PSS = the peak "
             "of the summed proportional set size over vmxref's whole process tree (main + "
             "workers), sampled from /proc/PID/smaps_rollup every 0.1 s (runs before 2026-11-26 "
             "10:40 UTC: linux-kvm, vbox-vmm, linux-big, linux-all; the sampler then cost ~5 % "
             "of the machine) or 0.5 s (later runs) (shared pages counted "
             "once); index size = "
             "bytes of the index files; load = median 1-minute load average before the runs (the "
             "machine is shared with other work: a load above 2 on these 2 CPUs inflates wall "
             "time, CPU time is the steadier figure). Ratios are vmxref (fresh index) ÷ the "
             "row.", ""]
    lines += machine_section(machine)
    lines += ["## Indexing", ""]
    for name, peers in all_peers.items():
        lines += set_table(name, peers, all_mine.get(name))
    lines += targets_section(all_peers, all_mine)
    lines += extra_sections()
    lines += commands_section(all_peers, all_mine)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    a = ap.parse_args(argv)
    a.out.write_text(render())
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
