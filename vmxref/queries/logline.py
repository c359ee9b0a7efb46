"""`logline 'LINE'`: which statement printed a run-time log line.

Every call that passes a string literal was indexed with its format and the format's
literal words (`logcall.keys`). A line is cleaned (timestamps, dmesg and VBox.log columns),
candidates are the formats whose words it contains, and each candidate is matched with its
dialect's conversions (printf, kernel `%p*`, IPRT `%R*`) and the prefixes the call adds:

- wrapper macros, followed through their bodies: `vcpu_unimpl(vcpu, fmt)` ->
  `kvm_pr_unimpl("vcpu%i, guest rIP: 0x%lx " fmt)` -> `pr_err_ratelimited("kvm [%i]: " fmt)`;
- the file's `pr_fmt` when the chain ends in a `pr_*` call (not `printk`, not `pr_cont`),
  with `KBUILD_MODNAME` spelled as the module the file is built into (vmx/vmx.c ->
  kvm_intel): the profile's `[log] modules` when it has them, else the Kbuild Makefiles
  under the corpus root (queries/kbuild.py), else a default map by directory; results
  say which (`modname`, `modname_from`);
- kernel lines that start with a module name newer kernels add (`kvm_intel: `) are also
  tried without it, against formats without their hard-coded `kvm: ` (a small penalty).

A `WARNING: CPU: 0 PID: 1 at FILE:LINE func+0x..` or `kernel BUG at FILE:LINE!` line names
its statement outright: that statement comes first (mode "location"). A `FUNC: 12 callbacks
suppressed` line (printed by lib/ratelimit.c for a rate-limited message of FUNC) gives the
rate-limited logging calls of FUNC (mode "ratelimit").
"""
from __future__ import annotations

import functools
import posixpath

from vmxref import logfmt
from vmxref.ctext import enclosing_call
from vmxref.lazy import re, json
from vmxref.model import Site
from vmxref.queries import casenames, firing, logcatalog, logjoined
from vmxref.queries.base import Scope, split_args
from vmxref.queries.profiles import profile_section
from vmxref.queries.macroforms import parts

MAX_CANDIDATES = 300
MAX_RESULTS = 10
MIN_RELATIVE_SCORE = 0.4       # results scoring under this share of the best are dropped
OTHER_CORPUS_SHARE = 0.7       # another corpus's results under this share of the best
MIN_SCORE = 0.3                # and under this at all: a line no format explains (a changed
                               # word) finds nothing rather than `"kvm-%d"` inside it
NEAR_BELOW = 0.5               # no match scoring this well: near misses are added,
NEAR_WORDS = 0.75              # statements with this share of their literal words in the line
NEAR_SCORE = 0.5               # (their score: this x that share squared, under any good match,
NEAR_FULL_WORDS = 6            # less for statements of fewer words than this)
MODULE_PREFIX_PENALTY = 0.95   # a match found only after removing a newer module prefix
OTHER_MODULE_PENALTY = 0.6     # ... the prefix of another module than the file's (kvm_intel:
                               # before a line of svm/, whose module is kvm_amd)
MAX_MACRO_DEPTH = 4
_FMT_PARAMS = ("fmt", "format", "msg", "f")
_KERNEL_MODULES = {             # default KBUILD_MODNAME by directory (profile [log] modules)
    "arch/x86/kvm/vmx/": "kvm_intel", "arch/x86/kvm/svm/": "kvm_amd",
    "arch/x86/kvm/": "kvm", "virt/kvm/": "kvm",
}
_OWN_PREFIX = re.compile(r"^(?:kvm|KVM|svm|SVM|vmx|VMX): ")
_LOCATION = re.compile(r"(?:WARNING: CPU: \d+ PID: \d+ at |kernel BUG at )"
                       r"(?P<path>[\w./+-]+):(?P<line>\d+)(?:!| (?P<func>[\w.]+)\+0x)")
# IPRT's assertion report in VBox.log: `Location  : FILE(LINE) FUNCTION` (the function as
# __PRETTY_FUNCTION__ prints it, `int tmTimerSet(PVMCC, ...)`, or its bare name; a Windows
# build's path has backslashes and a drive)
_IPRT_LOCATION = re.compile(r"^Location\s*:\s*(?P<path>[^\n]+?)\((?P<line>\d+)\)(?: (?P<func>[^\n]*))?$",
                            re.M)
_SIGNATURE_NAME = re.compile(r"([A-Za-z_~][\w:~]*)\s*\(")
_PR_BUILTIN = re.compile(r"^pr_(?:emerg|alert|crit|err|warn|warning|notice|info|debug|devel|cont)"
                         r"(?:_once|_ratelimited|_deferred(?:_once)?)?$")
_LIT = r'"(?:[^"\\]|\\.)*"'
TRACE_PRINTER = "TP_printk"     # the callee of trace events' rows (indexer/traceevents.py)
_FUNC_LOGGER = re.compile(r"^Log(?:Rel|Flow|Warn)?\d*Func$")  # (IPRT: "%Rfn: " first)
# (IPRT callees whose text reaches a release build's log: among equal scores they come first,
# a line pasted from VBox.log is more likely theirs than a debug-only statement's)
_RELEASE = re.compile(r"LogRel|AssertLogRel|AssertRelease|RTLogRel|VMSetError|VMR3SetError")


@functools.lru_cache(maxsize=8192)
def _spec(fmt: str, dialect: str, prefix: str) -> logfmt.FormatSpec:
    return logfmt.compile_format(fmt, dialect, prefix)


@functools.lru_cache(maxsize=1024)
def _folded_spec(fmt: str, dialect: str, prefix: str) -> logfmt.FormatSpec:
    return logfmt.casefolded(_spec(fmt, dialect, prefix))


def logline(sc: Scope, line: str, limit: int | None = None) -> list[Site]:
    """Statements that can print `line`, best first, with the part each argument produced:
    the first MAX_RESULTS (`limit`), how many more were left out in sc.memo("logline").

    Several lines pasted together that no one statement prints whole (no `full` or `line`
    match first, nor a line naming its statement's place: a dump's lines, each of its own
    call) are also asked one by one: the best statement of each pasted line comes first,
    in the paste's order (`pasted_line`: its number), then the answers of the whole
    paste."""
    out = _logline(sc, line)
    pasted = [x for x in logfmt.clean_line(line).split("\n") if x.strip()]
    raw = [x for x in line.split("\n") if logfmt.clean_line(x).strip()]
    if 1 < len(pasted) <= MAX_PASTED_LINES and len(raw) == len(pasted) and not (
            out and out[0].extra["mode"] in ("full", "line", "location")):
        per: list[Site] = []
        seen: set[tuple] = set()
        for k, one in enumerate(raw, 1):
            got = _logline(sc, one)
            for s in got:
                if s.extra["score"] < got[0].extra["score"] or s.key() in seen:
                    continue  # (the best of the line, ties included)
                s.extra["pasted_line"] = k
                seen.add(s.key())
                per.append(s)
        out = per + [s for s in out if s.key() not in seen]
    keep = limit or MAX_RESULTS
    sc.memo("logline")["cut"] = max(0, len(out) - keep)
    return out[:keep]


MAX_PASTED_LINES = 20  # lines of a paste asked one by one at most


def _logline(sc: Scope, line: str) -> list[Site]:
    """logline's answers for the paste as one text, best first (all of them)."""
    cleans = logfmt.clean_variants(line)
    clean = cleans[0]
    cat = _catalog(sc)
    dialects, prefixes = cat.dialects, cat.prefixes
    modules = prefixes.module_names() if "kernel" in dialects.values() else ()
    variants = [v for c in cleans for v in _variants(c, modules)]
    words = set().union(*map(logfmt.line_words, cleans))
    out = _located(sc, clean) or _suppressed(sc, cat.prefixes, cleans)
    cands = cat.candidates(words, cleans)[:MAX_CANDIDATES]
    matched: dict[int, Site] = {}
    for _, rowid, cid, path, bid, _frac, nkeys in cands:
        site = _best_match(sc, rowid, cid, path, bid, dialects.get(cid, "printf"), prefixes,
                           variants, 1.0 if nkeys else WORDLESS_PENALTY)
        if site is not None:
            out.append(site)
            matched[rowid] = site
    if max((s.extra["score"] for s in out), default=0.0) < NEAR_BELOW:
        near = _near_misses(sc, cands, matched)
        weaker = {id(matched[r]) for r, _s in near if r in matched}
        out = [s for s in out if id(s) not in weaker] + [s for _r, s in near]
    best: dict[tuple, Site] = {}  # one result per statement (a macro whose body logs one
    for s in out:  # of several formats has a row for each at its use)
        k = (s.corpus, s.version, s.file, s.line, s.col, s.function)  # (a trace class: per event)
        if k not in best or s.extra["score"] > best[k].extra["score"]:
            best[k] = s
    out = list(best.values())
    out.sort(key=lambda s: (-s.extra["score"], not s.extra.pop("_printer", True),
                            _RELEASE.search(s.symbol or "") is None, s.key()))
    if out:
        floor = max(MIN_SCORE, out[0].extra["score"] * MIN_RELATIVE_SCORE)
        other = out[0].extra["score"] * OTHER_CORPUS_SHARE  # (a line one product printed)
        out = [s for s in out if s.extra["score"] >= floor
               and (s.corpus == out[0].corpus or s.extra["score"] >= other)]
    for s in out:  # (a line several calls printed: the ones after the first)
        rowid = s.extra.pop("_rowid", None)
        later = logjoined.continued_by(sc, rowid) if rowid is not None else []
        if later:
            s.extra["continued_by"] = later
    return out


class _Catalog:
    """Per-scope data kept between queries in one process: the logging calls by literal word
    (logcatalog.Catalog, also kept in the index folder), the corpora's dialects and the
    prefix resolver."""

    def __init__(self, sc: Scope) -> None:
        self.dialects = _dialects(sc)
        self.prefixes = _Prefixes(sc, self.dialects)
        self.calls = logcatalog.Catalog(sc, self.dialects)

    def candidates(self, words: set[str], lines: list[str] = ()) -> list[tuple]:
        return self.calls.candidates(words, lines)


WORDLESS_PENALTY = 0.99  # a format without words is scored a little under one with words that
# fits as well (`%sAVIC` and `AVIC` both print `AVIC`: the statement whose text is the word
# comes first)


_catalogs: dict[tuple, _Catalog] = {}


def _catalog(sc: Scope) -> _Catalog:
    """The scope's catalog, rebuilt when the index changed (at most 4 kept)."""
    db = sc.store.path / "index.db"
    stamp = tuple(f.stat().st_mtime_ns if f.exists() else 0
                  for f in (db, db.with_name("index.db-wal")))
    key = (str(sc.store.path), tuple(sc.corpus_ids), stamp)
    cat = _catalogs.get(key)
    if cat is None:
        if len(_catalogs) >= 4:
            _catalogs.pop(next(iter(_catalogs)))
        cat = _catalogs[key] = _Catalog(sc)
    cat.prefixes.sc = sc
    return cat


def _near_misses(sc: Scope, cands: list[tuple], matched: dict[int, Site]) -> list[tuple[int, Site]]:
    """When no format explains the line well: the statements whose literal words it has
    nearly all (at least NEAR_WORDS of them, 3 or more words: a changed or renamed field,
    a newer wording, a value printed otherwise than its conversion says), mode "near",
    scored below any real match (NEAR_SCORE x that share², scaled down under
    NEAR_FULL_WORDS words); a statement whose own match scored lower and is no full match
    (a fragment: the line's end did not fit) is given the near score instead; a full match
    keeps its own score and spans. (rowid, site) pairs."""
    out = []
    score = lambda c: NEAR_SCORE * c[5] ** 2 * min(1.0, c[6] / NEAR_FULL_WORDS)  # noqa: E731
    near = [c for c in cands if c[5] >= NEAR_WORDS and c[6] >= 3 and (
        c[1] not in matched or matched[c[1]].extra["mode"] != "full"
        and matched[c[1]].extra["score"] < score(c))]
    near.sort(key=lambda c: -score(c))
    for c in near[:10]:
        _, rowid, cid, path, bid, frac, nkeys = c
        line_, col, func, callee, fmt, args, fmt_arg = _logcall(sc, rowid)
        site = sc.site("logline", cid, path, bid, line_, col, func, callee,
                       score=round(score(c), 3), mode="near", format=fmt, prefix="",
                       spans=[])
        site.extra["args"] = args
        site.extra["_printer"] = True
        out.append((rowid, site))
    return out


def _variants(clean: str, modules: tuple[str, ...]) -> list[tuple[str, str]]:
    """(line, module stripped) pairs: the line (""), and without a leading module name
    (`kvm_intel: `)."""
    out = [(clean, "")]
    for mod in modules:
        if clean.startswith(mod + ": ") and len(clean) > len(mod) + 2:
            out.append((clean[len(mod) + 2:], mod))
            break
    return out


def _logcall(sc: Scope, rowid: int) -> tuple:
    """(line, col, func, callee, fmt, args, fmt_arg) of a logging call."""
    return sc.conn.execute("SELECT line, col, func, callee, fmt, args, fmt_arg FROM logcall "
                           "WHERE rowid = ?", (rowid,)).fetchone()


def _wrong_line(m, args_t: str | None, fmt_arg: int | None, line: int) -> bool:
    """Does a `__LINE__` argument of the call print another number in this match than the
    call's own line (`TMAll(%d)` with __LINE__ at TMAll.cpp:257 cannot print `TMAll(800)`)?"""
    if not args_t or "__LINE__" not in args_t or fmt_arg is None:
        return False
    args = json.loads(args_t)
    if len(args) == fmt_arg + 1 and args[fmt_arg].lstrip().startswith("("):  # IPRT's
        args, fmt_arg = split_args(args[fmt_arg].lstrip()[1:]), 0  # `Log5(("fmt", a, b))`
    for s in m.spans:
        k = fmt_arg + 1 + s.arg_index
        if s.arg_index >= 0 and k < len(args) and args[k].strip() == "__LINE__" \
                and s.text.strip().isdigit() and s.text.strip() != str(line):
            return True
    return False


def _best_match(sc: Scope, rowid: int, cid: int, path: str, bid: int, dialect: str,
                prefixes: "_Prefixes", variants: list[tuple[str, str]],
                penalty: float = 1.0) -> Site | None:
    """Match one logging call against the line variants; its best result or None
    (`penalty`: a factor of its score)."""
    line_, col, func, callee, fmt, args, fmt_arg = _logcall(sc, rowid)
    fmt = casenames.with_case_names(sc, cid, fmt, dialect, args, fmt_arg)
    best, folded, without = None, False, ""
    for fold in (False, True):
        if fold and (best is not None and best[1].mode == "full" or not any(
                t.isascii() for t, _s in variants)):
            break  # (a whole match as given)
        for text, stripped in variants:
            if fold and not text.isascii():
                continue
            given = text.lower() if fold else text  # (a line retyped, a word capitalised:
            owns = {fmt, _OWN_PREFIX.sub("", fmt)} if stripped else {fmt}  # case ignored)
            for own in owns:
                for prefix in prefixes.get(bid, path, callee, dialect,
                                           with_pr_fmt=not stripped, func=func, cid=cid):
                    spec = (_folded_spec if fold else _spec)(own, dialect, prefix)
                    m = logfmt.match(spec, given)
                    if m is None or (m.mode != "full" and (fold or m.literal_chars < 3)):
                        continue
                    if fold:  # (the arguments' text as the line has it)
                        m = logfmt.Match(m.score, m.mode, tuple(
                            x._replace(text=text[x.start:x.end]) for x in m.spans),
                            m.literal_chars)
                    score = m.score * (1.0 if not stripped else MODULE_PREFIX_PENALTY if
                                       prefixes.module_of(path, cid) in (None, stripped) else
                                       OTHER_MODULE_PENALTY) * (CASE_PENALTY if fold else 1.0)
                    if not prefix and func and dialect != "kernel" and \
                            _FUNC_LOGGER.match(callee):
                        score *= FUNC_PREFIX_MISSING_PENALTY  # (LogFlowFunc prints `func: `
                        # first: a line without it fits a statement that prints none better)
                    if best is None or score > best[0]:
                        best, folded, without = (score, m, prefix), fold, stripped
    if best is None or best[1].mode != "full":
        blank = _blanks_collapsed(fmt, dialect, prefixes.get(bid, path, callee, dialect,
                                                             func=func, cid=cid), variants)
        if blank is not None and (best is None or blank[0] > best[0]):
            best, folded, without = blank, False, ""
    if best is None:
        return None
    score, m, prefix = best
    score *= penalty
    if _wrong_line(m, args, fmt_arg, line_):
        score *= WRONG_LINE_PENALTY  # (another statement of the same format printed it)
    site = sc.site("logline", cid, path, bid, line_, col, func, callee, score=round(score, 3),
                   mode=m.mode, format=fmt, prefix=prefix,
                   spans=[{"arg": s.arg_index, "conversion": s.conversion, "start": s.start,
                           "end": s.end, "text": s.text} for s in m.spans])
    site.extra["args"] = args
    site.extra["_rowid"] = rowid
    own = prefixes.pr_fmt(bid, path, cid) if dialect == "kernel" and prefix else ""
    if own and prefix.startswith(own) and prefixes.uses_modname(bid):
        name, source = prefixes.module_source(path, cid)  # (KBUILD_MODNAME: which, and
        site.extra["modname"] = name or "%s"  # who said so)
        site.extra["modname_from"] = source or "unknown"
    if folded:
        site.extra["case_differs"] = True
    if without:  # (a line with a module's name first that this statement does not print:
        site.extra["module_prefix"] = without  # a newer kernel's pr_fmt, or another tree's)
    site.extra["_printer"] = prefixes.is_printer(callee) or callee == TRACE_PRINTER
    if callee == TRACE_PRINTER:
        site.extra["emitted_by"] = firing.emitters(
            sc, func, bid, line_, json.loads(args or "[]"), site.extra["spans"])
    return site


BLANKS_PENALTY = 0.9  # a whole match only once the runs of blanks are made one space


def _blanks_collapsed(fmt: str, dialect: str, prefixes: list[str],
                      variants: list[tuple[str, str]]) -> tuple | None:
    """(score, match, prefix) of a whole match of the format whose literal runs of blanks
    are made one space, against a line whose runs are made one too (a line pasted through
    a web page or a mail lost the padding: `vmpl: 0 cpl: 0 efer: ...`), or None; the
    spans point into the line as given."""
    best = None
    for text, stripped in variants:
        if stripped:
            continue
        one, where = logfmt.collapse_blanks(text)
        for prefix in prefixes:
            spec = logfmt.blanks_collapsed(_spec(fmt, dialect, prefix))
            m = logfmt.match(spec, one) if spec is not None else None
            if m is None or m.mode != "full":
                continue
            spans = tuple(x._replace(start=where[x.start], end=where[x.end - 1] + 1 if x.end >
                                     x.start else where[x.start],
                                     text=text[where[x.start]:where[x.end - 1] + 1]
                                     if x.end > x.start else "") for x in m.spans)
            got = (m.score * BLANKS_PENALTY, logfmt.Match(m.score, m.mode, spans,
                                                           m.literal_chars), prefix)
            if best is None or got[0] > best[0]:
                best = got
    return best


def _located(sc: Scope, clean: str) -> list[Site]:
    """The statement a `WARNING: ... at FILE:LINE` / `kernel BUG at FILE:LINE!` names, or
    an IPRT assertion's `Location  : FILE(LINE) FUNCTION` line."""
    m = _LOCATION.search(clean) or _IPRT_LOCATION.search(clean)
    if m is None:
        return []
    lineno = int(m.group("line"))
    named = (m.group("func") or "").strip()
    if named and not re.fullmatch(r"[\w.]+", named):  # (a signature: its function's name)
        got = _SIGNATURE_NAME.search(named)
        named = got.group(1).rsplit("::", 1)[-1] if got else ""
    where = re.sub(r"^[A-Za-z]:", "", m.group("path").strip().replace("\\", "/"))
    for path in _indexed_paths(where):
        rows = sc.rows("call", "f.path = ? AND t.line = ?", (path, lineno),
                       "t.col, t.func, t.callee")
        if rows:
            cid, p, bid, col, func, callee = min(rows, key=lambda r: r[3])
            break
        files = sc.conn.execute(f"SELECT corpus_id, path, blob_id FROM file WHERE path = ? "
                                f"AND corpus_id IN ({sc._in})", (path,)).fetchall()
        if files:
            (cid, p, bid), col, func, callee = files[0], 1, "", ""
            break
    else:
        return []
    return [sc.site("logline", cid, p, bid, lineno, col, func or named, callee,
                    score=1.0, mode="location", format="", prefix="", spans=[], args="[]",
                    _printer=True)]


def _indexed_paths(path: str) -> list[str]:
    """The paths a WARNING's file may be indexed as: the path with `..` resolved (kvm.ko
    builds virt/kvm as `arch/x86/kvm/../../../virt/kvm/kvm_main.c`), then its tails without
    leading directories (a build tree's absolute path, `/build/linux-6.1/arch/x86/...`)."""
    norm = posixpath.normpath(path).lstrip("/")
    parts = norm.split("/")
    return [norm] + ["/".join(parts[k:]) for k in range(1, min(len(parts) - 1, MAX_PATH_STRIP + 1))]


MAX_PATH_STRIP = 8  # leading directories of a WARNING's path tried away at most


_SUPPRESSED = re.compile(r"^(?P<func>[A-Za-z_]\w*): \d+ callbacks suppressed$", re.M)


def _suppressed(sc: Scope, prefixes: "_Prefixes", cleans: list[str]) -> list[Site]:
    """`FUNC: 12 callbacks suppressed` (lib/ratelimit.c names the function whose rate-limited
    message it dropped): the rate-limited logging calls of FUNC (pr_*_ratelimited, or a
    macro reaching one: vcpu_unimpl), mode "ratelimit"."""
    m = next(filter(None, (_SUPPRESSED.search(c) for c in cleans)), None)
    if m is None:
        return []
    out = []
    for cid, path, bid, line, col, callee, fmt, args in sc.rows(
            "logcall", "t.func = ?", (m.group("func"),),
            "t.line, t.col, t.callee, t.fmt, t.args"):
        if callee != TRACE_PRINTER and prefixes.ratelimited(callee):
            out.append(sc.site("logline", cid, path, bid, line, col, m.group("func"), callee,
                               score=1.0, mode="ratelimit", format=fmt, prefix="", spans=[],
                               args=args, _printer=True))
    return out


def _dialects(sc: Scope) -> dict[int, str]:
    from vmxref.queries.profiles import profile_of
    out = {}
    for c in sc.store.corpora():
        if c["id"] in sc.corpus_ids:
            prof = profile_of(c, sc.store)
            out[c["id"]] = prof.dialect if prof is not None else "printf"
    return out


class _Prefixes:
    """What a logging call puts before its format: wrapper macros' literals, then pr_fmt.

    Profile `[log]` keys (all optional): `pr_fmt_callers` (callee prefixes that apply the
    file's pr_fmt, default ["pr_"]), `no_pr_fmt` (exceptions, default ["pr_cont"]),
    `modules` (directory prefix -> KBUILD_MODNAME, over the Makefiles'), `printers` (callee prefixes that
    print, preferred at equal score), `[log.prefixes]` (callee -> the texts it prints before
    its format, outside the kernel dialect: VirtualBox's VMSetError logs `VMSetError: `).
    """

    def __init__(self, sc: Scope, dialects: dict[int, str] | None = None):
        self.sc = sc
        self.dialects = dialects or {}
        prof = profile_section(sc, "log")
        self.pr_callers = tuple(prof.get("pr_fmt_callers", ["pr_"]))
        self.no_pr = frozenset(prof.get("no_pr_fmt", ["pr_cont"]))
        self.own_modules = "modules" in prof  # (the profile's map overrides the Makefiles)
        self.modules = dict(prof.get("modules", _KERNEL_MODULES))
        self._kbuild: dict[int, object] = {}
        self.callee_prefixes = {k: list(v) for k, v in prof.get("prefixes", {}).items()}
        self.printers = tuple(prof.get("printers", [
            "pr_", "printk", "dev_", "WARN", "BUG", "kvm_", "vcpu_", "Log", "RTPrintf",
            "RTLog", "Assert", "DBGF", "pfnPrintf"]))
        self._prfmt: dict[tuple[int, str], str] = {}
        self._prfmts: dict[tuple[int, str, str], list[str]] = {}
        self._chain: dict[str, tuple[tuple[str, bool], ...]] = {}
        self._macro: dict[str, str | None] = {}
        self._fired: dict[str, bool] = {}

    def fired(self, event: str) -> bool:
        """True when some `trace_EVENT(...)` call fires this trace event."""
        if event not in self._fired:
            self._fired[event] = bool(self.sc.rows("call", "t.callee = ?", (f"trace_{event}",),
                                                   "1", limit=1))
        return self._fired[event]

    def module_names(self) -> tuple[str, ...]:
        """Module names a kernel line may start with (longest first)."""
        names = set(self.modules.values())
        for cid in self.sc.corpus_ids:
            names |= self.kbuild(cid).names()
        return tuple(sorted(names, key=len, reverse=True))

    def is_printer(self, callee: str) -> bool:
        """True when `callee` is a known printing call or a macro that reaches one."""
        return callee.startswith(self.printers) or self.macro_body(callee) is not None

    def get(self, bid: int, path: str, callee: str, dialect: str,
            with_pr_fmt: bool = True, func: str = "", cid: int | None = None) -> list[str]:
        """The prefixes this call may print before its format (usually one). IPRT's
        LogFunc / LogRelFunc / LogFlowFunc ... print the function's name first. A trace
        event's TP_printk (`func` is the event) is printed after `EVENT: `."""
        if callee == TRACE_PRINTER:  # (any `NAME: ` when no trace_EVENT() call names it:
            return [f"{func}: "] + ([] if self.fired(func) else ["%s: "])  # a class, a macro)
        if dialect != "kernel":
            if func and _FUNC_LOGGER.match(callee):
                return [f"{func}: ", ""]
            return self.callee_prefixes.get(callee, [""])
        out: list[str] = []
        chain = self.chain(callee)
        fmts = self.pr_fmts(bid, path, func, cid) if with_pr_fmt and any(r for _l, r in chain) \
            else [""]
        for lit, reaches_pr in chain:
            for fmt in fmts if reaches_pr else [""]:
                if fmt + lit not in out:
                    out.append(fmt + lit)
        return out or [""]

    def pr_fmts(self, bid: int, path: str, func: str, cid: int | None = None) -> list[str]:
        """The pr_fmt a call of function `func` prints with: its file's; in a header that
        defines none, that of each file calling `func` too (an inline helper of x86.h prints
        `SVM: ` from svm.c, whose pr_fmt is defined before it includes the header)."""
        own = self.pr_fmt(bid, path, cid)
        if own or not path.endswith(".h") or not func:
            return [own]
        key = (bid, path, func)
        if key not in self._prfmts:
            found = [own]
            for ccid, cpath, cbid, _one in self.sc.rows("call", "t.callee = ?", (func,), "1",
                                                        limit=200):
                fmt = self.pr_fmt(cbid, cpath, ccid) if not cpath.endswith(".h") else ""
                if fmt and fmt not in found:
                    found.append(fmt)
            self._prfmts[key] = found[:MAX_INCLUDER_PREFIXES + 1]
        return self._prfmts[key]

    def chain(self, callee: str, depth: int = 0) -> tuple[tuple[str, bool], ...]:
        """(literal prefix, ends in a pr_fmt caller) for each way `callee` prints its format."""
        if callee in self._chain:
            return self._chain[callee]
        applies_pr_fmt = callee.startswith(self.pr_callers) and callee not in self.no_pr
        body = None
        if depth < MAX_MACRO_DEPTH and not _PR_BUILTIN.match(callee):
            body = self.macro_body(callee)
        alts: list[tuple[str, bool]] = []
        for inner, lit in _format_uses(body) if body else []:
            for pre, reaches in self.chain(inner, depth + 1):
                if (pre + lit, reaches) not in alts:
                    alts.append((pre + lit, reaches))
        got = tuple(alts) or (("", applies_pr_fmt),)
        self._chain[callee] = got
        return got

    def ratelimited(self, callee: str, depth: int = 0) -> bool:
        """Does `callee` print through a rate limit (pr_err_ratelimited, printk_ratelimited,
        or a macro that reaches one: vcpu_unimpl -> kvm_pr_unimpl -> pr_err_ratelimited)?"""
        if "ratelimited" in callee:
            return True
        body = None
        if depth < MAX_MACRO_DEPTH and not _PR_BUILTIN.match(callee):
            body = self.macro_body(callee)
        return any(self.ratelimited(inner, depth + 1) for inner, _lit in _format_uses(body)) \
            if body else False

    def macro_body(self, name: str) -> str | None:
        """The indexed text of macro `name` (`(params) body`), or None."""
        if name not in self._macro:
            r = self.sc.rows("sym", "t.name = ? AND t.kind = 'macro'", (name,), "t.text")
            texts = [row[3] for row in r if row[3] and _format_uses(row[3])]
            self._macro[name] = texts[0] if texts else None
        return self._macro[name]

    def pr_fmt(self, bid: int, path: str, cid: int | None = None) -> str:
        """The expanded pr_fmt of a file ("" when it defines none)."""
        key = (bid, path, cid)
        if key not in self._prfmt:
            r = self.sc.conn.execute("SELECT text FROM sym WHERE blob_id = ? AND scope = '' AND "
                                     "name = 'pr_fmt' AND kind = 'macro' LIMIT 1", (bid,)).fetchone()
            self._prfmt[key] = _expand_pr_fmt(r[0], self.module_of(path, cid)) \
                if r and r[0] else ""
        return self._prfmt[key]

    def uses_modname(self, bid: int) -> bool:
        """Does the file's pr_fmt print KBUILD_MODNAME?"""
        r = self.sc.conn.execute("SELECT text FROM sym WHERE blob_id = ? AND scope = '' AND "
                                 "name = 'pr_fmt' AND kind = 'macro' LIMIT 1", (bid,)).fetchone()
        return bool(r and r[0] and re.search(r"\bKBUILD_MODNAME\b", r[0]))

    def module_of(self, path: str, cid: int | None = None) -> str | None:
        """KBUILD_MODNAME of a file (module_source's name), or None."""
        return self.module_source(path, cid)[0]

    def module_source(self, path: str, cid: int | None = None) -> tuple[str | None, str]:
        """(KBUILD_MODNAME of a file, where it comes from): the profile's `[log] modules`
        (by directory, longest prefix) when the profile has them; else the Kbuild Makefiles
        under the corpus root (queries/kbuild.py: "arch/x86/kvm/Makefile"); else the
        default directory map ("directory default"); (None, "") when none knows it."""
        best = max((d for d in self.modules if path.startswith(d)), key=len, default=None)
        if best is not None and self.own_modules:
            return self.modules[best], "profile [log] modules"
        for c in ([cid] if cid is not None else self.sc.corpus_ids):
            got = self.kbuild(c).module_of(path)
            if got is not None:
                return got
        if best is not None:
            return self.modules[best], "directory default"
        return None, ""

    def kbuild(self, cid: int):
        """The Makefiles' modules of a kernel corpus version (none for other dialects, or
        when its root has no Makefiles)."""
        if cid not in self._kbuild:
            from vmxref.queries import kbuild
            root, dirs = "", []
            row = self.sc.conn.execute("SELECT root FROM corpus WHERE id = ?", (cid,)).fetchone()
            if row and self.dialects.get(cid) == "kernel":
                root = row[0]
                dirs = kbuild.source_dirs(p for (p,) in self.sc.conn.execute(
                    "SELECT path FROM file WHERE corpus_id = ? AND path LIKE '%.c'", (cid,)))
            self._kbuild[cid] = kbuild.Modules(root, dirs if root else [])
        return self._kbuild[cid]


WRONG_LINE_PENALTY = 0.5  # a match whose __LINE__ argument printed another line number
FUNC_PREFIX_MISSING_PENALTY = 0.9  # a Log*Func statement matched without its `func: `
CASE_PENALTY = 0.9  # a whole match only when the letter case of the line is ignored
MAX_INCLUDER_PREFIXES = 6  # pr_fmts of the files calling a header's function tried at most


def _format_uses(text: str) -> list[tuple[str, str]]:
    """(called name, literal before the format) for each call in a macro body that is
    passed the macro's format parameter: `kvm_pr_unimpl("vcpu%i " fmt, ...)` ->
    ("kvm_pr_unimpl", "vcpu%i ")."""
    params, body = parts(text)
    if params is None:
        return []
    names = [p for p in params if p in _FMT_PARAMS]
    names += [p[:-3] for p in params if p.endswith("...") and p != "..." and p[:-3]]
    if not names:
        return []
    out = []
    for name in names[:1]:
        for m in re.finditer(rf"((?:{_LIT}\s*)*)(?:##\s*)?\b{re.escape(name)}\b", body):
            call = enclosing_call(body, m.start())  # (the indexer's scanner of macro bodies)
            if call is None:
                continue
            callee = call[0]
            lits = re.findall(_LIT, m.group(1))
            lit = "".join(logfmt.unescape_c(s[1:-1]) for s in lits)
            if (callee, lit) not in out:
                out.append((callee, lit))
    return out


def _expand_pr_fmt(text: str, module: str | None = None) -> str:
    """`(fmt) KBUILD_MODNAME ": " fmt` -> "kvm_intel: " (or "%s: " with no known module)."""
    body = text.split(")", 1)[1] if text.startswith("(") else text
    lits = re.findall(r'"((?:[^"\\]|\\.)*)"|\b(KBUILD_MODNAME)\b|\bfmt\b', body)
    out = []
    for lit, mod in lits:
        if mod:
            out.append(module.replace("%", "%%") if module else "%s")
        elif lit:
            out.append(logfmt.unescape_c(lit))
        else:
            break
    return "".join(out)
