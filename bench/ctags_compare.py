"""Function definitions found by vmxref vs universal-ctags on exactly the same files.

    python bench/ctags_compare.py ROOT PROFILE [--include GLOB ...] [--json OUT] [--show N]

PROFILE is a shipped corpus name (linux-kvm, virtualbox-vmm) or a profile TOML path. The
files are those vmxref.indexer.discover.discover(ROOT, PROFILE) returns; ctags runs on them
with `--kinds-C=f --kinds-C++=f --fields=+nS --output-format=json`, each file forced to the
language the profile gives it. vmxref indexes ROOT into a temporary index (no full-text).
`--include` replaces the profile's [paths] include globs (the profile is copied to a
temporary TOML, so its [macros] stay those of the shipped file).

Prints (Markdown) the share of ctags' function names found by vmxref (distinct names, and
(file, name) pairs), the misses grouped by an automatic cause (see `classify`), and the
vmxref function names that look like macros or keywords (all-caps names #defined anywhere
under ROOT, C/C++ keywords, names matched by the profile's [macros] table) — the goal is
zero of those. `--json` writes every miss (with its source line) and suspect; `--text`
adds the source lines to the printed report (keep them out of committed files).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from vmxref import api, corpora
from vmxref.indexer import normalize, ts
from vmxref.indexer.discover import discover

CTAGS_LANG = {"c": "C", "cpp": "C++"}
KEYWORDS = {
    "if", "else", "while", "for", "do", "switch", "case", "default", "return", "sizeof",
    "goto", "break", "continue", "typeof", "__typeof__", "alignof", "_Alignof", "defined",
    "static_assert", "_Static_assert", "asm", "__asm__", "new", "delete", "operator",
}
MACRO_ALIKE = {"DECLCALLBACK", "VMMR3_INT_DECL", "IEM_DECL_IMPL_DEF", "VMM_INT_DECL",
               "VMMR3DECL", "VMMDECL", "RTDECL", "DECLINLINE", "DECLHIDDEN"}
DEFINE_RE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)", re.M)
ALLCAPS_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
SRC_EXT = (".c", ".h", ".cpp", ".cc", ".hpp", ".cxx", ".inc")


@dataclass
class Miss:
    """A ctags function definition whose (file, name) vmxref does not have."""

    path: str
    name: str
    line: int
    scope: str
    cause: str
    vmxref_here: str
    text: str


def run_ctags(root: str, files) -> list[dict]:
    """ctags function tags of `files` (SourceFile list), one language group per run."""
    exe = shutil.which("ctags-universal") or shutil.which("ctags")
    if exe is None:
        raise SystemExit("universal-ctags not found: apt-get install -y universal-ctags")
    groups: dict[str, list[str]] = defaultdict(list)
    for f in files:
        groups[CTAGS_LANG.get(f.lang, "C")].append(f.path)
    tags: list[dict] = []
    for lang, paths in groups.items():
        cmd = [exe, "--options=NONE", f"--language-force={lang}", "--kinds-C=f",
               "--kinds-C++=f", "--fields=+nS", "--extras=-q", "--output-format=json",
               "-f", "-", "-L", "-"]
        out = subprocess.run(cmd, cwd=root, input="\n".join(paths) + "\n", text=True,
                             capture_output=True, check=True).stdout
        for ln in out.splitlines():
            t = json.loads(ln)
            if t.get("_type") == "tag" and t.get("kind") == "function":
                tags.append(t)
    return tags


def run_vmxref(root: str, profile: str, name: str) -> tuple[list[tuple[str, str, int]], dict, float]:
    """Index ROOT into a temporary index; return ([(name, path, line)], {path: blob}, seconds)."""
    tmp = tempfile.mkdtemp(prefix="ctagscmp-")
    try:
        t0 = time.perf_counter()
        api.index(root, f"{name}@x", Path(tmp), profile=profile, fulltext=False)
        secs = time.perf_counter() - t0
        con = sqlite3.connect(os.path.join(tmp, "index.db"))
        rows = con.execute(
            "SELECT s.name, f.path, s.line FROM sym s JOIN file f ON f.blob_id = s.blob_id "
            "WHERE s.kind = 'function'").fetchall()
        here = defaultdict(list)
        for n, k, p, line in con.execute(
                "SELECT s.name, s.kind, f.path, s.line FROM sym s JOIN file f "
                "ON f.blob_id = s.blob_id WHERE s.kind IN ('function', 'prototype', 'macro')"):
            here[(p, line)].append(f"{k}:{n}")
        con.close()
        return rows, here, secs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def corpus_defines(root: str) -> set[str]:
    """Every name `#define`d in a C/C++ source file anywhere under ROOT."""
    names: set[str] = set()
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(SRC_EXT):
                try:
                    data = open(os.path.join(d, f), "rb").read()
                except OSError:
                    continue
                names.update(m.decode() for m in DEFINE_RE.findall(data))
    return names


def macro_rule_names(prof, name: str) -> bool:
    """True when the profile's [macros] table has a rule for `name`."""
    mp = prof.macro_profile()
    if mp is None:
        return False
    return mp.rule(name) is not None or mp.function_name_arg(name) is not None


def error_lines(text: bytes, lang: str) -> set[int]:
    """1-based lines covered by ERROR nodes (or holding MISSING nodes)."""
    lines: set[int] = set()
    stack = [ts.parse(text, lang).root_node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR":
            lines.update(range(n.start_point[0] + 1, n.end_point[0] + 2))
        elif n.is_missing:
            lines.add(n.start_point[0] + 1)
        elif n.has_error:
            stack.extend(n.children)
    return lines


class FileView:
    """Original and normalised lines and error lines of one file, computed once."""

    def __init__(self, root: str, path: str, lang: str, mprof):
        src = open(os.path.join(root, path), "rb").read()
        norm, _ = normalize.normalize(src, mprof) if mprof is not None else (src, [])
        self.orig = src.split(b"\n")
        self.norm = norm.split(b"\n")
        self.errors = error_lines(norm, lang)

    def line(self, n: int) -> str:
        """Original text of 1-based line n."""
        return self.orig[n - 1].decode("utf-8", "replace").strip() if 0 < n <= len(self.orig) else ""

    def blanked(self, n: int) -> bool:
        """True when the normaliser blanked 1-based line n (a dropped #if branch)."""
        if not 0 < n <= len(self.orig):
            return False
        return bool(self.orig[n - 1].strip()) and not self.norm[n - 1].strip()


def is_macro_tag(t: dict, defines: set[str]) -> bool:
    """A ctags tag named after a macro: an all-caps name #defined under ROOT, or one whose
    tagged line starts with `NAME(` (a file-scope macro invocation such as
    DEFINE_IDTENTRY_SYSVEC(sysvec_foo), whose #define is outside the corpus subset)."""
    name = t["name"]
    if not ALLCAPS_RE.match(name) or t.get("scope"):  # a C++ constructor has a scope
        return False
    pattern = t.get("pattern", "").lstrip("/^").lstrip()
    return name in defines or re.match(re.escape(name) + r"\s*\(", pattern) is not None


def classify(t: dict, view: FileView, defines: set[str], vm_names: set[str], here: list[str],
             file_names: set[str]) -> str:
    """Automatic cause of one miss; the order matters (first match wins)."""
    name, line = t["name"], t["line"]
    if name in KEYWORDS:
        return "ctags false positive: keyword"
    if is_macro_tag(t, defines):
        return "ctags false positive: macro call/use taken for a definition"
    if view.blanked(line):
        return "#if branch dropped by the normaliser"
    if line in view.errors:
        return "parse-error region"
    if any(h.startswith("function:") for h in here):
        return "vmxref names it differently"
    if any(h.startswith("prototype:") for h in here):
        return "vmxref saw a prototype"
    if t.get("scope") and t.get("scopeKind") in ("class", "struct", "namespace", "union"):
        return "C++ method"
    if name in vm_names:
        return "found in another file only"
    return "other"


def suspects(vm_rows, defines: set[str], prof) -> list[tuple[str, str, int, str]]:
    """vmxref function names that look like a macro or a keyword, with the reason."""
    out = []
    for name, path, line in vm_rows:
        why = ""
        if name in KEYWORDS:
            why = "keyword"
        elif name in MACRO_ALIKE:
            why = "declaration macro"
        elif macro_rule_names(prof, name):
            why = "profile [macros] rule"
        elif ALLCAPS_RE.match(name) and name in defines:
            why = "all-caps #defined name"
        if why:
            out.append((name, path, line, why))
    return sorted(out)


def compare(root: str, profile: str, show: int) -> dict:
    """Run both tools and return the whole result (also printed by `report`)."""
    prof = corpora.load(profile)
    files, _ = discover(root, prof)
    langs = {f.path: f.lang for f in files}
    t0 = time.perf_counter()
    tags = run_ctags(root, files)
    ctags_s = time.perf_counter() - t0
    vm_rows, here, vm_s = run_vmxref(root, profile, prof.name)
    defines = corpus_defines(root)
    ct_names = {t["name"] for t in tags}
    fp_names = {t["name"] for t in tags if is_macro_tag(t, defines) or t["name"] in KEYWORDS}
    real = [t for t in tags if t["name"] not in fp_names]
    real_names = {t["name"] for t in real}
    real_pairs = {(t["path"], t["name"]) for t in real}
    vm_names = {r[0] for r in vm_rows}
    vm_pairs = {(r[1], r[0]) for r in vm_rows}
    ct_pairs = {(t["path"], t["name"]) for t in tags}
    mprof = prof.macro_profile()
    views: dict[str, FileView] = {}
    misses: list[Miss] = []
    seen: set[tuple[str, str]] = set()
    for t in sorted(tags, key=lambda t: (t["path"], t["line"])):
        key = (t["path"], t["name"])
        if key in vm_pairs or key in seen:
            continue
        seen.add(key)
        v = views.get(t["path"]) or views.setdefault(
            t["path"], FileView(root, t["path"], langs[t["path"]], mprof))
        h = here.get((t["path"], t["line"]), [])
        cause = classify(t, v, defines, vm_names, h, set())
        misses.append(Miss(t["path"], t["name"], t["line"], t.get("scope", ""), cause,
                           " ".join(h), v.line(t["line"])[:160]))
    return {
        "root": root, "profile": profile, "files": len(files),
        "ctags_seconds": round(ctags_s, 2), "vmxref_seconds": round(vm_s, 2),
        "ctags_tags": len(tags), "ctags_names": len(ct_names), "ctags_pairs": len(ct_pairs),
        "vmxref_functions": len(vm_rows), "vmxref_names": len(vm_names),
        "names_found": len(ct_names & vm_names), "pairs_found": len(ct_pairs & vm_pairs),
        "ctags_macro_names": sorted(fp_names),
        "real_names": len(real_names), "real_names_found": len(real_names & vm_names),
        "real_pairs": len(real_pairs), "real_pairs_found": len(real_pairs & vm_pairs),
        "vmxref_only_names": len(vm_names - ct_names),
        "misses": [asdict(m) for m in misses],
        "missed_names": sorted(ct_names - vm_names),
        "suspects": suspects(vm_rows, defines, prof),
        "allcaps_other": sorted({(r[0], r[1], r[2]) for r in vm_rows if ALLCAPS_RE.match(r[0])
                                 and len(r[0]) > 1} - {s[:3] for s in suspects(vm_rows, defines, prof)}),
        "show": show,
    }


def report(r: dict) -> str:
    """The result as Markdown."""
    pct = lambda a, b: f"{100 * a / b:.2f} %" if b else "n/a"  # noqa: E731
    out = [f"### `{r['root']}` with `{r['profile']}`", "",
           f"files {r['files']}; ctags {r['ctags_seconds']} s, vmxref index {r['vmxref_seconds']} s", "",
           "| measure | ctags | vmxref found | share |", "|---|---|---|---|",
           f"| distinct function names | {r['ctags_names']} | {r['names_found']} | "
           f"{pct(r['names_found'], r['ctags_names'])} |",
           f"| (file, name) pairs | {r['ctags_pairs']} | {r['pairs_found']} | "
           f"{pct(r['pairs_found'], r['ctags_pairs'])} |",
           f"| names, without ctags' macro-named tags | {r['real_names']} | "
           f"{r['real_names_found']} | {pct(r['real_names_found'], r['real_names'])} |",
           f"| pairs, without ctags' macro-named tags | {r['real_pairs']} | "
           f"{r['real_pairs_found']} | {pct(r['real_pairs_found'], r['real_pairs'])} |", "",
           f"ctags' macro-named tags (false positives, {len(r['ctags_macro_names'])} names): "
           + ", ".join(r["ctags_macro_names"][:40]), "",
           f"vmxref function rows {r['vmxref_functions']}, distinct names {r['vmxref_names']} "
           f"({r['vmxref_only_names']} names ctags does not report).", ""]
    missed = set(r["missed_names"])
    by = defaultdict(list)
    for m in r["misses"]:
        by[m["cause"]].append(m)
    out += ["#### (file, name) misses by cause", "",
            "| cause | pairs | of which names missed everywhere |", "|---|---|---|"]
    for cause, ms in sorted(by.items(), key=lambda kv: -len(kv[1])):
        out.append(f"| {cause} | {len(ms)} | {len({m['name'] for m in ms} & missed)} |")
    out.append("")
    for cause, ms in sorted(by.items(), key=lambda kv: -len(kv[1])):
        out += [f"- **{cause}**:"]
        for m in ms[: r["show"]]:
            extra = f" [vmxref: {m['vmxref_here']}]" if m["vmxref_here"] else ""
            text = f" — `{m['text'][:100]}`" if r.get("text") else ""
            out.append(f"  - `{m['path']}:{m['line']}` {m['name']}{extra}{text}")
        if len(ms) > r["show"]:
            out.append(f"  - ... {len(ms) - r['show']} more")
    out += ["", f"#### vmxref functions named like a macro or keyword: {len(r['suspects'])}", ""]
    for name, path, line, why in r["suspects"][: 3 * r["show"]]:
        out.append(f"- `{path}:{line}` {name} ({why})")
    other = r["allcaps_other"]
    out += ["", f"Other all-caps vmxref function names (not #defined under ROOT; review): "
            f"{len(other)}", ""]
    out += [f"- `{p}:{ln}` {n}" for n, p, ln in other[: 3 * r["show"]]]
    return "\n".join(out) + "\n"


def restricted_profile(profile: str, globs: list[str], tmpdir: str) -> str:
    """A copy of the profile TOML whose [paths] include is `globs`; returns its path."""
    path = Path(corpora.load(profile).path)
    text = path.read_text(encoding="utf-8")
    new = "include = [" + ", ".join(json.dumps(g) for g in globs) + "]"
    text, n = re.subn(r"(?ms)^include\s*=\s*\[.*?\]", new.replace("\\", "\\\\"), text, count=1)
    if n != 1:
        raise SystemExit(f"{path}: no [paths] include = [...] to replace")
    out = Path(tmpdir) / path.name
    out.write_text(text, encoding="utf-8")
    return str(out)


def main(argv: list[str] | None = None) -> int:
    """Entry point (see module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root")
    ap.add_argument("profile")
    ap.add_argument("--json", help="write the full result here")
    ap.add_argument("--show", type=int, default=15, help="misses listed per cause")
    ap.add_argument("--include", nargs="+", help="replace the profile's include globs")
    ap.add_argument("--text", action="store_true",
                    help="print each miss's source line (never commit corpus text)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        profile = restricted_profile(a.profile, a.include, tmp) if a.include else a.profile
        r = compare(a.root, profile, a.show)
    r["text"] = a.text
    if a.include:
        r["profile"] = f"{a.profile} (include: {' '.join(a.include)})"
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=1))
    print(report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
