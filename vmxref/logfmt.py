"""Match run-time log lines against printf / kernel / IPRT format strings (`vmxref logline`).

Pure Python, no index: the extractor hands over each logging call's format string (adjacent
literals concatenated, C escapes decoded) and, for the kernel, the file's `pr_fmt` prefix.

    spec = compile_format("TM: cTSCTicksPerSecond=%'RU64 (%#RX64) enmTSCMode=%d (%s)", "iprt")
    m = match(spec, clean_line(raw_line))      # Match(score, mode, spans) or None
    literal_keys(fmt, "iprt")                  # words a matching line must contain
    line_words(line)                           # the words of a line (for the pre-filter)

A format compiles to a token list: literal strings and `Conv`s, each with an `Atom` (a small,
linear regex or "any text").  Matching is a memoised depth-first search over (token, position)
with a step budget, never one big backtracking regex, so a 1 MB line is matched or rejected
in bounded time.  Modes, tried in order: "full" (the whole line is the format's output),
"line" (one whole line of a multi-line format), "contained" (extra text before/after it)
and "fragment" (the line is a piece of the output, e.g. a pasted excerpt).  Tables of conversions live in `vmxref.logfmt_conv`.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from vmxref.logfmt_conv import ANY, Atom, conversion_regex, parse_conversion

DIALECTS = ("printf", "kernel", "iprt")
MAX_TOKENS = 256          # longer formats: the tail becomes one "any" atom
MAX_STEPS = 40_000        # search budget per match() call
MAX_OCCURRENCES = 100_000  # occurrences of one literal indexed per line
MAX_FRAGMENT_STARTS = 32   # successful fragment alignments compared per line

_KERN_LEVEL = re.compile(
    r"^(?:\x01[0-7cd]|KERN_(?:EMERG|ALERT|CRIT|ERR|WARNING|NOTICE|INFO|DEBUG|DEFAULT|CONT)\b ?)+")


@dataclass(frozen=True)
class Conv:
    """One conversion of a format: its text (`%'RU64`), argument index and atom.

    `arg_index` is 0-based into the call's arguments after the format; conversions that
    come from the `prefix` get -1, and `%%`-like conversions never become a Conv.
    """

    text: str
    arg_index: int
    atom: Atom


Token = str | Conv
_ANY_CONV = Conv("%", -1, ANY)  # (a conversion whose atom is not wanted: literal_keys)


@dataclass(frozen=True)
class FormatSpec:
    """A compiled format string: tokens plus what the compiler could not understand."""

    fmt: str
    dialect: str
    prefix: str
    tokens: tuple[Token, ...]
    problems: tuple[str, ...] = ()   # non-empty: the format was not fully understood
    unknown: tuple[str, ...] = ()    # conversions matched loosely (e.g. unknown %R types)
    lines: tuple[tuple[Token, ...], ...] = ()   # per output line, for multi-line formats

    @property
    def literal_len(self) -> int:
        """Number of literal characters in the compiled format."""
        return sum(len(t) for t in self.tokens if isinstance(t, str))

    @property
    def ok(self) -> bool:
        """True when every conversion was understood (no problems)."""
        return not self.problems


class Span(NamedTuple):
    """Which part of the line one argument produced."""

    arg_index: int
    conversion: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Match:
    """A successful match: score in 0..1, mode, spans.

    mode: "full" (the line is the whole output), "line" (one whole line of a multi-line
    format's output), "contained" (extra text around the output), "tail" (the output's end,
    its beginning left out) or "fragment" (a piece).
    """

    score: float
    mode: str
    spans: tuple[Span, ...]
    literal_chars: int


def casefolded(spec: FormatSpec) -> FormatSpec:
    """The spec with its literal text in lower case, for a line in lower case (a line
    retyped from a report, `Timekeeping watchdog` for `timekeeping watchdog`): the
    conversions stay as they are."""
    low = lambda toks: tuple(t.lower() if isinstance(t, str) else t for t in toks)  # noqa: E731
    return FormatSpec(spec.fmt, spec.dialect, spec.prefix, low(spec.tokens), spec.problems,
                      spec.unknown, tuple(low(x) for x in spec.lines))


_BLANKS = re.compile(r"[ \t]{2,}")


def blanks_collapsed(spec: FormatSpec) -> FormatSpec | None:
    """The spec with each run of blanks in its literal text made one space, for a line whose
    blank runs were collapsed on the way (pasted from a web page or a mail: `SVM: rip:
    ffffffff81a0b2c4 rflags: ...` of `"%-15s %016llx %-13s %016llx"`); None when its
    literals hold no such run."""
    if not any(isinstance(t, str) and _BLANKS.search(t) for t in spec.tokens):
        return None
    one = lambda toks: tuple(_BLANKS.sub(" ", t) if isinstance(t, str) else t  # noqa: E731
                             for t in toks)
    return FormatSpec(spec.fmt, spec.dialect, spec.prefix, one(spec.tokens), spec.problems,
                      spec.unknown, tuple(one(x) for x in spec.lines))


def collapse_blanks(line: str) -> tuple[str, list[int]]:
    """The line with each run of blanks made one space, and for each of its positions (and
    its end) the position in `line`."""
    out, where, last = [], [], 0
    for m in _BLANKS.finditer(line):
        out.append(line[last:m.start()] + " ")
        where.extend(range(last, m.start() + 1))
        last = m.end()
    out.append(line[last:])
    where.extend(range(last, len(line) + 1))
    return "".join(out), where


# ---------------------------------------------------------------------------------------
# compiling

def compile_format(fmt: str, dialect: str, prefix: str = "") -> FormatSpec:
    """Compile `prefix + fmt` (dialect "printf", "kernel" or "iprt") into a FormatSpec.

    Never raises on odd text: a stray or invalid `%` is kept as literal text and reported in
    `problems`.  Kernel log levels (`\\x016`, `KERN_INFO`) are stripped from both parts, and
    trailing whitespace of the whole format is dropped (clean_line drops it from lines).
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown format dialect {dialect!r} (expected one of {DIALECTS})")
    if dialect == "kernel":
        prefix, fmt = _KERN_LEVEL.sub("", prefix), _KERN_LEVEL.sub("", fmt)
    problems: list[str] = []
    unknown: list[str] = []
    pre_tokens, _ = _tokenize(prefix, dialect, problems, unknown, arg_base=None)
    tokens, _ = _tokenize(fmt, dialect, problems, unknown, arg_base=0)
    merged = _merge(pre_tokens + tokens)
    lines = _split_lines(merged)
    return FormatSpec(fmt, dialect, prefix, tuple(merged), tuple(problems), tuple(unknown),
                      tuple(lines) if len(lines) > 1 else ())


def _split_lines(tokens: list[Token]) -> list[tuple[Token, ...]]:
    """Split a token list at the newlines inside its literals (one list per output line)."""
    lines: list[list[Token]] = [[]]
    for tok in tokens:
        if not isinstance(tok, str):
            lines[-1].append(tok)
            continue
        for k, piece in enumerate(tok.split("\n")):
            if k:
                lines.append([])
            if piece:
                lines[-1].append(piece)
    out = []
    for line in lines:
        if line and isinstance(line[-1], str):
            line[-1] = line[-1].rstrip()
            if not line[-1]:
                line.pop()
        if line:
            out.append(tuple(line))
    return out


def _tokenize(fmt: str, dialect: str, problems: list[str], unknown: list[str],
              arg_base: int | None) -> tuple[list[Token], int]:
    """Split a format into literals and Convs; returns (tokens, number of args used)."""
    out: list[Token] = []
    i, arg, lit = 0, 0, []
    while i < len(fmt):
        j = fmt.find("%", i)
        if j < 0:
            lit.append(fmt[i:])
            break
        lit.append(fmt[i:j])
        conv = parse_conversion(fmt, j, dialect)
        if conv is None:
            problems.append(f"bad conversion at {j}: {fmt[j:j + 8]!r}")
            lit.append("%")
            i = j + 1
            continue
        i = conv.end
        if conv.literal is not None:
            lit.append(conv.literal)
            continue
        if conv.unknown:
            unknown.append(conv.text)
        if conv.position is not None:
            value_arg = conv.position - 1
        else:
            value_arg = arg + conv.stars if conv.nargs else -1
            arg += conv.stars + conv.nargs
        out.append("".join(lit))
        lit = []
        out.append(Conv(conv.text, value_arg if arg_base is not None else -1, conv.atom))
    out.append("".join(lit))
    return out, arg


def _merge(tokens: list[Token]) -> list[Token]:
    """Join adjacent literals, drop empty ones, strip trailing whitespace, cap the length."""
    merged: list[Token] = []
    for tok in tokens:
        if isinstance(tok, str):
            if not tok:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += tok
                continue
        merged.append(tok)
    if merged and isinstance(merged[0], str):
        head = merged[0].lstrip("\r\n")      # a leading newline prints an empty line
        merged = ([head] if head else []) + merged[1:]
    while merged and isinstance(merged[-1], str):
        tail = merged.pop().rstrip()
        if tail:
            merged.append(tail)
            break
    if len(merged) > MAX_TOKENS:
        merged = merged[:MAX_TOKENS] + [Conv("...", -1, ANY)]
    return merged


# ---------------------------------------------------------------------------------------
# pre-filter keys

_WORD = re.compile(r"[A-Za-z0-9_]+")


_PLAIN_S = re.compile(r"%(-?)(\d*)(?:\.(\d+))?s")


def inline_literals(fmt: str, dialect: str, literals: list[str | None]) -> str:
    """`fmt` with each plain `%s` whose argument is a string literal replaced by that text as
    printf prints it (`"%-20s%016llx", "tsc_offset:", x` -> `"tsc_offset:         %016llx"`),
    so a line can be found by its words. `literals[i]`: the i-th argument after the format
    when it is a literal, else None. Stops at the first conversion whose argument it cannot
    place (`n$` positions); unchanged when nothing is inlined."""
    out, i, arg, changed = [], 0, 0, False
    while i < len(fmt):
        j = fmt.find("%", i)
        if j < 0:
            break
        conv = parse_conversion(fmt, j, dialect)
        if conv is None or conv.position is not None:
            break
        out.append(fmt[i:j])
        i = conv.end
        value = arg + conv.stars
        arg += conv.stars + conv.nargs
        m = _PLAIN_S.fullmatch(conv.text)
        lit = literals[value] if m and conv.nargs and value < len(literals) else None
        if lit is None:
            out.append(conv.text)
            continue
        if m.group(3):
            lit = lit[:int(m.group(3))]
        width = int(m.group(2) or 0)
        lit = lit.ljust(width) if m.group(1) else lit.rjust(width)
        out.append(lit.replace("%", "%%"))
        changed = True
    return "".join(out) + fmt[i:] if changed else fmt


def literal_keys(fmt: str, dialect: str, prefix: str = "") -> list[str]:
    """Words (>= 2 chars) of the format's literal text that any full rendering contains.

    A word touching a conversion (`%dms` -> "ms") is left out, because the rendered line
    glues it to the argument's text.  Every line printed by the format (and passed through
    clean_line) contains each key as a whole word of `line_words(line)`.
    """
    if prefix or dialect not in DIALECTS or dialect == "kernel" and _KERN_LEVEL.match(fmt):
        tokens = compile_format(fmt, dialect, prefix).tokens
    elif "%" not in fmt:  # one literal, no conversion to glue to (64 % of VirtualBox VMM's)
        return list(dict.fromkeys(w for w in _WORD.findall(fmt) if len(w) >= 2))
    else:  # (compiling VirtualBox VMM's 17k formats was a quarter of its extraction)
        tokens = _literal_tokens(fmt, dialect)
    keys: list[str] = []
    for k, tok in enumerate(tokens):
        if not isinstance(tok, str):
            continue
        words = list(_WORD.finditer(tok))
        for w in words:
            glued_left = w.start() == 0 and k > 0
            glued_right = w.end() == len(tok) and k + 1 < len(tokens)
            if len(w.group()) >= 2 and not glued_left and not glued_right \
                    and w.group() not in keys:
                keys.append(w.group())
    return keys


def _literal_tokens(fmt: str, dialect: str) -> list[Token]:
    """compile_format(fmt, dialect).tokens with each Conv as ANY_CONV: the same literals
    (`%%` and stray `%`s as text), merged and stripped alike, without building atoms."""
    conv = conversion_regex(dialect).match
    out: list[Token] = []
    i, lit = 0, []
    while True:
        j = fmt.find("%", i)
        if j < 0:
            lit.append(fmt[i:])
            break
        lit.append(fmt[i:j])
        m = conv(fmt, j)
        i = m.end() if m is not None else j + 1
        if m is None or fmt[i - 1] == "%":
            lit.append("%")
            continue
        out.append("".join(lit))
        lit = []
        out.append(_ANY_CONV)
    out.append("".join(lit))
    return _merge(out)


def line_words(line: str) -> set[str]:
    """The set of words of a log line, for intersecting with `literal_keys`."""
    return set(_WORD.findall(line))


# ---------------------------------------------------------------------------------------
# cleaning

_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# syslog / journal stamps before `kernel: `: BSD `Nov 29 08:00:01` (journalctl -o
# short-precise adds `.123456`), RFC 3339 `2026-11-29T08:00:01.123456+01:00` (Debian 12's
# rsyslog files, journalctl -o short-iso / short-iso-precise)
_SYSLOG = re.compile(r"^(?:<\d{1,3}>)?(?:(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,9})?"
                     r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
                     r" \S+ kernel: )?")
# `dmesg -x`: facility and level first (`kern  :warn  : [ 1234.567890] ...`)
_DMESG_X = re.compile(r"^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|"
                      r"local[0-7]) *:(?:emerg|alert|crit|err|warn|notice|info|debug) *: ")
_DMESG = re.compile(r"^(?:<\d{1,3}>)?\[\s*\d+\.\d+\]\s?(?:\[\s*[TC]\d+\]\s?)?"
                    r"|^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ")
# a trace_pipe / trace-cmd report / perf script line: `CPU 0/KVM-2345 [003] d..1. 123.456789:
# kvm_entry: ...` (perf: `kvm:kvm_entry:`; trace-cmd pads after the event name)
_FTRACE = re.compile(r"^\s*\S.*?[- ]\s*\d+\s+(?:\(\s*[\d-]+\)\s+)?\[\d{3,4}\]\s+(?:[\w.]{4,6}\s+)?"
                     r"\d+\.\d+:\s+(?:\w+:)?(\w+):\s+")
# dynamic debug's decoration of a pr_debug line (flags t, m, f, l: `[4321] kvm:func:2482: `);
# only as `name:line: ` or `module:function: ` (a bare `func: ` may be a format's own `%s: `,
# a bare `12: ` its own `%d: `)
_DYNDBG = re.compile(r"^(?:\[\d+\] |<intr> )?(?:(?:[\w.-]+:)?[A-Za-z_]\w*:\d+:"
                     r"|[\w.-]+:[A-Za-z_]\w*:) (?=\S)")
_VBOX_TS = re.compile(r"^\d{1,4}:\d\d:\d\d\.\d{1,9} ")
_VBOX_THREAD = re.compile(
    r"^(?:EMT(?:-\d+)?|EMT #\d+|main|Timer(?:LR)?|VMPowerUp|VMPowerDown|nspr-\d+|ATA-\d+|"
    r"AHCI-\w+|VBoxSvc\w*|DisplayRefresh)\s+")
# another name in a thread column: or the format's own first word, padded (`MSR_K8_LSTAR
# = %RX64`): both readings are tried (clean_variants)
_VBOX_COLUMN = re.compile(r"^[^\s:]{1,16}\s{2,}")


def clean_line(line: str) -> str:
    """Strip what the log system added, keeping what the format printed.

    Removes ANSI escapes, a trailing newline/whitespace, dmesg `[   12.345678] ` (and
    `[ T123]`, `dmesg -T`, `dmesg -x`'s `kern  :warn  : `, syslog `<6>` / `Mon DD hh:mm:ss
    host kernel: ` or RFC 3339 `2026-11-29T08:00:01.123456+01:00 host kernel: `) prefixes, and
    VBox.log `00:00:01.234567 ` timestamps plus a known thread name (`EMT-0   `), and a
    trace line's task, CPU, flags and time (`EVENT: ` is kept, as the format's prefix);
    each line of a pasted multi-line message alike. `kvm [1234]: ` is kept: it is part of
    the format.
    """
    return clean_variants(line)[0]


def clean_variants(line: str) -> list[str]:
    """clean_line's text, then the same with a VBox.log thread column of another name taken
    off too, when every stamped line has one (`00:00:01.234567 RTThrdPP    msg`), and
    without the decoration dynamic debug puts before a pr_debug's text (`kvm:func:2482: `)."""
    lines = _ANSI.sub("", line).rstrip().split("\n")
    cleaned = [_clean_one(x) for x in lines]
    out = ["\n".join(c for c, _col in cleaned)]
    cols = [col for _c, col in cleaned if col is not None]
    if cols and len(cols) == sum(_VBOX_TS.match(_ANSI.sub("", x)) is not None for x in lines):
        out.append("\n".join(c[col:] if col is not None else c for c, col in cleaned))
    undecorated = [_DYNDBG.sub("", c, count=1) for c, _col in cleaned]
    if undecorated != [c for c, _col in cleaned]:
        out.append("\n".join(undecorated))
    # (a source file that is not UTF-8, latin-1 `\xb0C`, keeps U+FFFD where such a byte was:
    # the line as a terminal shows it, `°C`, or with the raw byte, matches that too)
    out += [v for v in (_NON_ASCII.sub("\ufffd", v) for v in out if _NON_ASCII.search(v))
            if v not in out]
    return out


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _clean_one(line: str) -> tuple[str, int | None]:
    """One line cleaned, and where a possible thread column after a VBox.log stamp ends."""
    line = line.rstrip()
    line = _DMESG.sub("", _DMESG_X.sub("", _SYSLOG.sub("", line, count=1), count=1), count=1)
    traced = _FTRACE.match(line)
    if traced:
        return f"{traced.group(1)}: {line[traced.end():]}", None
    stamped = _VBOX_TS.match(line)
    if not stamped:
        return line, None
    line = line[stamped.end():]
    thread = _VBOX_THREAD.match(line)
    if thread and thread.end() < len(line):
        return line[thread.end():], None
    col = _VBOX_COLUMN.match(line)
    return line, (col.end() if col and col.end() < len(line) else None)


# ---------------------------------------------------------------------------------------
# matching

class _OutOfBudget(Exception):
    """Internal: the search used up its step budget."""


_PRE = Conv("", -2, ANY)    # implicit "anything" around the format in contained mode
_POST = Conv("", -2, ANY)


class _Search:
    """One match attempt of a token list against one line (memoised DFS with a budget)."""

    def __init__(self, tokens: tuple[Token, ...], line: str, budget: list[int],
                 fragment: bool = False) -> None:
        self.tokens, self.line, self.n = tokens, line, len(line)
        self.budget, self.fragment = budget, fragment
        self.failed: set[tuple[int, int]] = set()
        self.occ: dict[str, list[int]] = {}

    def tick(self) -> None:
        """Spend one step of the shared budget."""
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise _OutOfBudget

    def occurrences(self, lit: str) -> list[int]:
        """Sorted start positions of `lit` in the line (capped)."""
        found = self.occ.get(lit)
        if found is None:
            found, at = [], self.line.find(lit)
            while at >= 0 and len(found) < MAX_OCCURRENCES:
                found.append(at)
                at = self.line.find(lit, at + 1)
            self.occ[lit] = found
        return found

    def _cut_literal(self, lit: str, pos: int) -> list[int]:
        """Fragment mode: positions p >= pos where line[p:] is a proper prefix of `lit`
        (the line was cut inside that literal), then the end of the line."""
        lo = max(pos, self.n - len(lit) + 1)
        cut = [p for p in range(lo, self.n) if lit.startswith(self.line[p:])]
        return cut + [self.n]

    def literals_in_order(self) -> bool:
        """Cheap necessary condition: every literal occurs, in order, without overlap."""
        pos = 0
        for tok in self.tokens:
            if isinstance(tok, str):
                at = self.line.find(tok, pos)
                if at < 0:
                    return False
                pos = at + len(tok)
        return True

    def run(self, ti: int, pos: int) -> list[Span] | None:
        """Match tokens[ti:] against line[pos:]; returns the spans, or None."""
        key = (ti, pos)
        if key in self.failed:
            return None
        self.tick()
        found = self._step(ti, pos)
        if found is None:
            self.failed.add(key)
        return found

    def _step(self, ti: int, pos: int) -> list[Span] | None:
        if pos == self.n and (self.fragment or ti == len(self.tokens)):
            return []
        if ti == len(self.tokens):
            return None
        tok = self.tokens[ti]
        if isinstance(tok, str):
            if self.line.startswith(tok, pos):
                return self.run(ti + 1, pos + len(tok))
            if self.fragment and self.n - pos < len(tok) and tok.startswith(self.line[pos:]):
                return []
            return None
        for end in self.ends(ti, pos):
            rest = self.run(ti + 1, end)
            if rest is not None:
                return [Span(tok.arg_index, tok.text, pos, end, self.line[pos:end])] + rest
        return None

    def ends(self, ti: int, pos: int, relaxed: bool = False) -> Iterator[int]:
        """Candidate end positions of conversion tokens[ti] starting at pos.

        Shortest first when a literal follows (its occurrences), longest first when
        another conversion follows; every candidate costs one budget step.
        """
        tok = self.tokens[ti]
        atom = ANY if relaxed or isinstance(tok, str) else tok.atom
        tail = tok.atom if relaxed and not isinstance(tok, str) else None  # (the line starts
        # inside this conversion's output: any length, but a tail of what it prints)
        hi = self.n if atom.max_len is None else min(self.n, pos + atom.max_len)
        nxt = self.tokens[ti + 1] if ti + 1 < len(self.tokens) else None
        if nxt is None:
            candidates: Iterable[int] = [self.n] if hi == self.n else []
            if self.fragment:
                atom = ANY
        elif isinstance(nxt, str):
            occ = self.occurrences(nxt)
            lo_i, hi_i = bisect.bisect_left(occ, pos), bisect.bisect_right(occ, hi)
            candidates = (occ[k] for k in range(lo_i, hi_i))
            if self.fragment and hi == self.n:
                candidates = _chain_end(candidates, self._cut_literal(nxt, pos))
        elif ti == 0 and self.tokens[0] is _PRE:
            candidates = range(pos, hi + 1)
        else:   # conversion followed by conversion: greedy (longest first)
            candidates = range(hi, pos - 1, -1)
        for end in candidates:
            self.tick()
            if atom.accepts(self.line, pos, end) and (
                    tail is None or tail.accepts_tail(self.line, pos, end)):
                yield end


def _chain_end(candidates: Iterable[int], more: list[int]) -> Iterator[int]:
    """Yield the candidates, then the extra ones (fragment: output cut short)."""
    yield from candidates
    yield from more


def match(spec: FormatSpec, line: str) -> Match | None:
    """Match one (cleaned) log line against a compiled format; None if it cannot be its output.

    Positions in the spans index `line` as given (only trailing whitespace is ignored).
    Never raises; a search that exceeds its budget counts as no match.
    """
    line = line.rstrip()
    if not line or not spec.tokens:
        return None
    budget = [MAX_STEPS]
    try:
        for mode in ("full", "line", "contained", "tail", "fragment"):
            spans = _match_mode(spec, line, mode, budget)
            if spans is not None:
                return _score(spec, line, mode, spans)
    except (_OutOfBudget, RecursionError):
        return None
    return None


def _match_mode(spec: FormatSpec, line: str, mode: str, budget: list[int]) -> list[Span] | None:
    """Try one matching mode; returns spans or None."""
    if mode == "line":
        for tokens in spec.lines:
            found = _match_full(tokens, line, budget)
            if found is not None:
                return found
        return None
    if mode == "full":
        return _match_full(spec.tokens, line, budget)
    if mode == "contained":
        search = _Search((_PRE,) + spec.tokens + (_POST,), line, budget)
        return search.run(0, 0) if search.literals_in_order() else None
    return _fragment(spec.tokens, line, budget, tail=mode == "tail")


def _match_full(tokens: tuple[Token, ...], line: str, budget: list[int]) -> list[Span] | None:
    """Anchored match of a whole token list against the whole line; when the format ends
    in `literal-ending-in-blanks %s`, also with that %s empty and the blanks gone (the
    line's trailing blanks were stripped: `val 0x%x %s` with "" prints `val 0x8f `)."""
    found = _match_anchored(tokens, line, budget)
    if found is None and (cut := _empty_tail(tokens)) is not None:
        head, dropped = cut
        found = _match_anchored(head, line, budget)
        if found is not None:
            n = len(line)
            found = _EmptyTail(found + [Span(c.arg_index, c.text, n, n, "") for c in dropped])
    return found


class _EmptyTail(list):
    """Spans of a whole match that took the format's last conversions as empty and its
    trailing blank as lost: scored a little under a format that needs no such reading
    (`enmState=%d` before `enmState=%d %s` for `enmState=290`)."""


EMPTY_TAIL_PENALTY = 0.98


def _match_anchored(tokens: tuple[Token, ...], line: str, budget: list[int]) -> list[Span] | None:
    first, last = tokens[0], tokens[-1]
    if isinstance(first, str) and not line.startswith(first):
        return None
    if isinstance(last, str) and not line.endswith(last):
        return None
    search = _Search(tokens, line, budget)
    return search.run(0, 0) if search.literals_in_order() else None


def _empty_tail(tokens: tuple[Token, ...]) -> tuple[tuple[Token, ...], tuple[Conv, ...]] | None:
    """(tokens without their trailing free-text conversions, with the blanks ending the
    literal before them stripped; those conversions), when that literal ends in blanks."""
    k = len(tokens)
    while k and isinstance(tokens[k - 1], Conv) and tokens[k - 1].atom.regex is None:
        k -= 1
    if k == len(tokens) or not k or not isinstance(tokens[k - 1], str) \
            or not tokens[k - 1][-1:].isspace():
        return None
    lit = tokens[k - 1].rstrip()
    head = tokens[:k - 1] + ((lit,) if lit else ())
    return (head, tokens[k:]) if head else None


def _fragment(tokens: tuple[Token, ...], line: str, budget: list[int],
              tail: bool = False) -> list[Span] | None:
    """The line is a piece of the format's output: it may start and end inside any token
    (`tail`: it ends where the output ends, the beginning left out: a line copied without
    its prefix or event name).

    Every start (inside a literal, or inside a conversion that leaves some of the line to
    the tokens after it) is tried; the alignment explaining most characters by literal
    text wins (at most MAX_FRAGMENT_STARTS successful starts are compared).
    """
    search = _Search(tokens, line, budget, fragment=not tail)
    found = []
    for start in _fragment_starts(search, tokens, line, tail):
        if start is not None:
            found.append(start)
            if len(found) >= MAX_FRAGMENT_STARTS or not start:
                break
    if not found:
        return None
    return max(found, key=lambda spans: -sum(s.end - s.start for s in spans))


def _fragment_starts(search: _Search, tokens: tuple[Token, ...],
                     line: str, tail: bool = False) -> Iterator[list[Span] | None]:
    """Yield the span list (or None) of each possible fragment start."""
    n = len(line)
    for ti, tok in enumerate(tokens):
        if not isinstance(tok, str):
            continue
        k = tok.find(line[0])
        while k >= 0:
            search.tick()
            piece = tok[k:]
            if n <= len(piece):
                if piece == line if tail else piece.startswith(line):
                    if not tail or ti == len(tokens) - 1:
                        yield []
            elif line.startswith(piece):
                yield search.run(ti + 1, len(piece))
            k = tok.find(line[0], k + 1)
    for ti, tok in enumerate(tokens):
        if isinstance(tok, Conv) and ti + 1 < len(tokens):
            for end in search.ends(ti, 0, relaxed=True):
                rest = search.run(ti + 1, end) if end < n else None
                if rest is not None:
                    yield [Span(tok.arg_index, tok.text, 0, end, line[:end])] + rest
                    break


def _score(spec: FormatSpec, line: str, mode: str, spans: list[Span]) -> Match | None:
    """Score a match from the characters literal text (and typed arguments) explained.

    full: 0.2 + 0.8 * evidence / len(line); contained, tail and fragment: 0.1 / 0.05 / 0.0 +
    0.7 * ...,
    where evidence = literal chars + weight * chars of typed arguments (numbers, hex, ...).
    """
    n = len(line)
    literal = n - sum(s.end - s.start for s in spans)
    weights = {t.text: t.atom.weight for t in spec.tokens if isinstance(t, Conv)}
    real = [s for s in spans if s.arg_index != -2]
    if mode in ("tail", "fragment") and (literal < min(3, n) or literal < 0.05 * n):
        return None
    typed = sum(weights.get(s.conversion, 0.0) * (s.end - s.start) for s in real)
    base, factor = {"full": (0.2, 0.8), "line": (0.19, 0.8), "contained": (0.1, 0.7),
                    "tail": (0.05, 0.7), "fragment": (0.0, 0.7)}[mode]
    score = min(1.0, base + factor * (literal + typed) / n)
    if isinstance(spans, _EmptyTail):
        score *= EMPTY_TAIL_PENALTY
    return Match(round(score, 6), mode, tuple(real), literal)


# ---------------------------------------------------------------------------------------
# C string literals

_C_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)')
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a"}


def unescape_c(s: str) -> str:
    """Decode the C escapes of a string literal's body (\\n, \\t, \\", \\\\, octal, hex)."""
    return _C_ESCAPE.sub(_unescape_one, s)


def _unescape_one(m: re.Match) -> str:
    e = m.group(1)
    if e[0] == "x":
        return chr(int(e[1:], 16))
    if e[0] in "01234567":
        return chr(int(e, 8))
    return _C_ESCAPES.get(e, e)


_BLANK_LITERAL = re.compile(r'"((?:\\[nrt]|[ \t])*)"')


def blank_literal(args: list[str]) -> tuple[int, str] | None:
    """(index, text) of the first blank string literal among a call's first 4 argument
    texts (`pHlp->pfnPrintf(pHlp, "\\n")`: (1, "\\n")), or None. A call that prints only
    blanks has no log call row (no format to look a line up by), but it ends or pads the
    line of the calls before it."""
    for i, a in enumerate(args[:4]):
        m = _BLANK_LITERAL.fullmatch(a.strip())
        if m is not None and m.group(1):
            return i, unescape_c(m.group(1))
    return None
