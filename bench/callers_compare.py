"""Recall of `vmxref callers` against cscope's "functions calling this function" on the
same files.

    python bench/callers_compare.py SET [--every N] [--show 40] [--json OUT]

SET is a bench file set whose index and cscope database bench/vmxref_bench.py and
bench/peers.py wrote (bench/out/idx/SET/vmxref, bench/out/idx/SET/cscope/cscope.out). For
every N-th function the vmxref index defines in the set, both tools are asked for its
callers (cscope's line mode, `3NAME`; vmxref's `callers NAME` at depth 1, every edge kind)
and the call sites, (file, line) pairs, are compared:

- **cscope only**: a site cscope names and vmxref does not. cscope reads text (it counts
  calls in `#if 0` code, in comments' code-like text and, under the name of the macro, in
  `#define` bodies), so each such site is classified by its line: in a #define, in a
  comment, a declaration or definition rather than a call (`static int f(...)` lines that
  cscope reads as calls), a name followed by `(` that is no call of the function (a member
  or a label of the same name), or **other** — the ones to read: a missed call.
- **vmxref only**: sites vmxref names and cscope does not, counted by edge kind (calls
  through function pointers, ops tables, static calls, macros; cscope sees none of them).

Prints a Markdown summary and the first --show "other" misses with their line text (keep
the text out of committed files: it is the corpus's).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import filesets  # noqa: E402
import vmxref_bench  # noqa: E402
from vmxref import api  # noqa: E402
from vmxref.errors import VmxrefError  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def cscope_callers(db: Path, root: Path, names: list[str]) -> dict[str, set[tuple[str, int]]]:
    """name -> {(file, line)} of cscope's `-3` answers (one cscope process in line mode)."""
    script = "".join(f"3{n}\n" for n in names)
    out = subprocess.run(["cscope", "-d", "-l", "-f", str(db)], input=script, cwd=root,
                         capture_output=True, text=True, errors="replace").stdout
    got: dict[str, set[tuple[str, int]]] = {}
    it = iter(names)
    cur = None
    for line in out.split("\n"):
        if line.startswith(">> ") and line[3:].strip():  # one answer's head per query
            cur = got.setdefault(next(it), set())  # ("cscope: N lines", or an error)
            continue
        parts = line.split(" ", 3)
        if cur is not None and len(parts) >= 3 and parts[2].isdigit():
            cur.add((parts[0], int(parts[2])))
    return got


def vmxref_callers(sc, name: str) -> dict[tuple[str, int], str]:
    """(file, line) -> edge kind of vmxref's callers of `name` (depth 1)."""
    try:
        res = api.run_query(sc, f"callers {name}")
    except VmxrefError:
        return {}
    return {(r.file, r.line): (r.extra or {}).get("edge") or "?"
            for r in res if r.kind == "caller" and r.file}


_DEFINE = re.compile(r"^\s*#\s*define\b")
_PP = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)")
_DEAD: dict[int, set[int]] = {}


def _dead_lines(lines: list[str]) -> set[int]:
    """The lines of a file inside `#if 0`, or in the `#else` of an `#if 1` (1-based)."""
    key = id(lines)
    if key not in _DEAD:
        dead: set[int] = set()
        stack: list[str] = []  # per open #if: "if0", "if1", "else1" (dead) or "open"
        for n, t in enumerate(lines, 1):
            m = _PP.match(t)
            if m:
                d, rest = m.group(1), m.group(2).split("/*")[0].split("//")[0].strip()
                if d.startswith("if"):
                    stack.append({"0": "if0", "1": "if1"}.get(rest, "open") if d == "if"
                                 else "open")
                elif d in ("else", "elif") and stack:
                    stack[-1] = "else1" if stack[-1] == "if1" else "open"
                elif d == "endif" and stack:
                    stack.pop()
                continue
            if "if0" in stack or "else1" in stack:
                dead.add(n)
        _DEAD[key] = dead
    return _DEAD[key]


def classify(name: str, text: str, lines: list[str], line: int) -> str:
    """Why a cscope-only site may be no call vmxref should list (see the module doc)."""
    s = text.strip()
    if line in _dead_lines(lines):
        return "in #if 0 code"
    if _DEFINE.match(s) or (line > 1 and lines[line - 2].rstrip().endswith("\\")):
        return "in a #define"
    if s.startswith(("/*", "*", "//")):
        return "in a comment"
    m = re.search(rf"(?<![\w]){re.escape(name)}\s*\(", s)
    if not m:
        return "name not followed by ( on the line"
    before = s[:m.start()]
    if re.search(r"(\.|->)\s*$", before):
        return "a member of the same name"
    if re.fullmatch(r"[\w\s*(),]*", before) and before.strip() and \
            not re.search(r"\b(?:return|if|while|for|switch|case|else|do|sizeof)\b", before) \
            and not before.rstrip().endswith(("(", ",")) and s.endswith((";", ")", "{", ",")):
        return "a declaration or definition"  # (a type, qualifiers, `VMMDECL(int)` before it)
    return "other"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("set", choices=list(filesets.SETS))
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--show", type=int, default=40)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    fs = filesets.SETS[a.set]
    idx = OUT / "idx" / fs.name / "vmxref"
    db = OUT / "idx" / fs.name / "cscope" / "cscope.out"
    if not (idx / "index.db").exists() or not db.exists():
        print(f"callers_compare: run bench/peers.py {a.set} and bench/vmxref_bench.py {a.set} "
              f"first ({idx}, {db})", file=sys.stderr)
        return 2
    sc = api.open_scope(idx, fs.corpus)
    names = sorted({n for (n,) in sc.conn.execute(  # (C++ operators and destructors:
        # no names cscope can be asked for)
        "SELECT DISTINCT name FROM sym WHERE kind = 'function'") if n.isidentifier()})[::a.every]
    theirs = cscope_callers(db, fs.root, names)
    texts: dict[str, list[str]] = {}

    def lines_of(path: str) -> list[str]:
        if path not in texts:
            try:
                texts[path] = (fs.root / path).read_text(errors="replace").split("\n")
            except OSError:
                texts[path] = []
        return texts[path]

    causes: Counter = Counter()
    mine_only: Counter = Counter()
    others: list[dict] = []
    classified: list[dict] = []
    extra: list[dict] = []
    both = n_theirs = n_mine = 0
    slow: list[tuple[float, str]] = []
    for name in names:
        t = time.perf_counter()
        mine = vmxref_callers(sc, name)
        slow.append((time.perf_counter() - t, name))
        cs = theirs.get(name, set())
        n_theirs += len(cs)
        n_mine += len(mine)
        for site in cs:
            if site in mine:
                both += 1
                continue
            ls = lines_of(site[0])
            text = ls[site[1] - 1] if 0 < site[1] <= len(ls) else ""
            why = classify(name, text, ls, site[1])
            causes[why] += 1
            if why != "other":
                classified.append({"name": name, "file": site[0], "line": site[1], "why": why,
                                   "text": text.strip()})
            else:
                others.append({"name": name, "file": site[0], "line": site[1], "text": text.strip()})
        for site, edge in mine.items():
            if site not in cs:
                mine_only[edge] += 1
                extra.append({"name": name, "file": site[0], "line": site[1], "edge": edge})
    print(f"## callers of {len(names)} functions of {a.set}: vmxref against cscope -3\n")
    print(f"- cscope sites: {n_theirs}; vmxref sites: {n_mine}; in both: {both} "
          f"({100 * both / max(1, n_theirs):.1f} % of cscope's)")
    calls = n_theirs - sum(v for k, v in causes.items() if k != "other")
    print(f"- of cscope's sites that are calls vmxref should list (not in a #define, #if 0 "
          f"code, a comment, a declaration or a member): {calls}; vmxref lists "
          f"{100 * both / max(1, calls):.2f} %")
    print("- cscope only, by cause: " + ", ".join(f"{k} {v}" for k, v in causes.most_common()))
    print("- vmxref only, by edge: " + ", ".join(f"{k} {v}" for k, v in mine_only.most_common()))
    slow.sort(reverse=True)
    print(f"- vmxref time: {sum(t for t, _ in slow):.1f} s in all; slowest: " +
          ", ".join(f"{n} {t * 1000:.0f} ms" for t, n in slow[:5]))
    for o in others[:a.show]:
        print(f"    {o['file']}:{o['line']}  {o['name']}  | {o['text'][:120]}")
    if a.json:
        a.json.write_text(json.dumps({"others": others, "classified": classified,
                                      "causes": causes, "vmxref_only": mine_only,
                                      "vmxref_only_sites": extra}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
