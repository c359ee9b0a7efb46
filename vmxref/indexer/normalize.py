"""Byte-length-preserving source normaliser driven by a corpus macro profile.

tree-sitter parses C/C++ without a preprocessor, so macro-wrapped declarations
(`DECLCALLBACK(int) foo(...)`, `static __always_inline`, `list_for_each_entry(...) {`)
end up in ERROR nodes. `normalize()` rewrites such macro uses into plain C that the
grammar understands, replacing every removed byte by a space: the result has the same
length and every newline at the same offset, so line/column positions and the offsets
of all remaining identifiers are unchanged.

The data comes from the `[macros]` table of a corpus profile (see the shipped TOML files
for every key). Python + `re`, with optional C twins of the scans over every byte (`_C`:
vmxref.indexer._native's code, candidates, cond_pass, define_comments; the Python below is
the fallback and the reference); never imports tree_sitter.
"""
from __future__ import annotations

import bisect
import fnmatch
import re
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import sub

from vmxref.indexer import native

__all__ = ["MacroProfile", "load_profile", "normalize", "KINDS"]

# Rule kinds, in precedence order for wildcard patterns (exact names always win).
KINDS = ("keyword", "define_function", "declare_array", "member_call", "unwrap_args", "unwrap",
         "paste", "erase_call", "erase")
_KEYWORDS = frozenset({"if", "while", "switch", "else", "do", ""})
_MAX_ARGS = 16384  # longest argument list scanned for a balanced `)`

# Comments, string / char literals and preprocessor lines (matched after a newline: the
# text is scanned with one newline prepended) are blanked in a "code" copy that every pass
# reads, so no rule ever fires inside them. Unrolled loops keep the regex fast. A block
# comment on a directive line is whitespace to the preprocessor: the directive goes on past
# it when anything but blanks follows it on the line where it closes (`#if A /* c */ || B`,
# a comment over several lines with more after it, a line continued by a backslash), and
# ends before it when it ends the line (`#if 0 /* unused */`, `#endif /* FOO */`).
_NONCODE = re.compile(
    rb"/(?:/[^\n]*|\*[^*]*\*+(?:[^/*][^*]*\*+)*/|\*.*\Z)"
    rb"|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    rb"|\n[ \t]*\#[^\n\\/]*(?:(?:\\.|/(?![*/])|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/(?![ \t\r\f\v]*(?:\n|\Z)))[^\n\\/]*)*",
    re.S)
_BLANK = bytes(b if b == 10 else 32 for b in range(256))  # every byte but \n -> space
_NONCODE_SPLIT = re.compile(b"(" + _NONCODE.pattern + b")", re.S)  # _code: keep the matches
_PTOK = re.compile(rb"[(),]")
_WS = re.compile(rb"\s*")
_IDCHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_IDENT = re.compile(rb"\w+")
_WORDS_ONLY = bytes(b if b in _IDCHARS else 32 for b in range(256))  # non-word bytes -> space
_COND = re.compile(rb"[ \t]*\#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b[ \t]*([^\n]*)")
_DEF = re.compile(rb"[ \t]*\#[ \t]*(define|undef)[ \t]+(\w+)")
# a condition on one macro name: `X` of #ifdef/#ifndef, `defined(X)` / `!defined X` of #if/#elif
_DEFINED = re.compile(rb"(!?)[ \t]*defined[ \t]*(?:\([ \t]*(\w+)[ \t]*\)|(\w+))[ \t]*(?:/[*/].*)?$")
_NAME_ONLY = re.compile(rb"(\w+)[ \t]*(?:/[*/].*)?$")
_LEAD_ELSE = re.compile(rb"else\b")
# the comments in a condition (a block comment each a blank; an unterminated one, or a
# `//` one, to the end): `#if 0 /*def LOG_ENABLED*/ /** @todo */` is `#if 0`
_COND_COMMENT = re.compile(rb"/\*.*?(?:\*/|\Z)|//.*", re.S)
# The C twins of _code, _candidates, _conditional_pass and _define_comments
# (vmxref.indexer._native), or None: the Python below then does the work (it stays their
# reference: bench/normtwins.py and tests/test_normalize_native.py set this to None).
_C = native.mod


@dataclass(frozen=True)
class MacroProfile:
    """A compiled `[macros]` table: which identifiers the normaliser rewrites, and how.

    `rules` maps an exact macro name to `(kind, arg)`; `wild` holds `(regex, kind, arg)`
    for `*` patterns. `fn_args` answers `function_name_arg()`.
    """

    rules: dict[str, tuple[str, object]] = field(default_factory=dict)
    wild: tuple[tuple[re.Pattern[str], str, object], ...] = ()
    fn_exact: dict[str, int] = field(default_factory=dict)
    fn_wild: tuple[tuple[re.Pattern[str], int], ...] = ()
    prune_if0: bool = False
    split_conditionals: bool = False
    undefined: re.Pattern[bytes] | None = None  # names no default build defines
    defined: re.Pattern[bytes] | None = None  # names every build defines (`__KERNEL__`)
    needles: tuple[bytes, ...] = ()
    finder: re.Pattern[bytes] = field(default=re.compile(b"(?!)"), compare=False, repr=False)
    _cache: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        """True when the profile rewrites nothing."""
        return not self.needles and not (self.prune_if0 or self.split_conditionals)

    def assumed_undefined(self, name: bytes) -> bool:
        """Is `name` one the profile says no default build defines (`DEBUG_bird`)?"""
        return self.undefined is not None and self.undefined.fullmatch(name) is not None

    def assumed_defined(self, name: bytes) -> bool:
        """Is `name` one the profile says every build defines (`__KERNEL__`)?"""
        return self.defined is not None and self.defined.fullmatch(name) is not None

    @property
    def assumes(self) -> bool:
        """Does the profile assume some macros defined or undefined?"""
        return self.undefined is not None or self.defined is not None

    def assumed(self, name: bytes) -> int:
        """1 when every build defines `name`, 2 when none does, else 0 (the C pass's test)."""
        return 1 if self.assumed_defined(name) else 2 if self.assumed_undefined(name) else 0

    def rule(self, name: str) -> tuple[str, object] | None:
        """The `(kind, arg)` rule for a macro name, or None."""
        if name in self._cache:
            return self._cache[name]
        found = self.rules.get(name)
        if found is None:
            found = next(((k, a) for rx, k, a in self.wild if rx.fullmatch(name)), None)
        self._cache[name] = found
        return found

    def function_name_arg(self, name: str) -> int | None:
        """For a function-defining macro (`FNIEMOP_DEF(name)`, `IEM_CIMPL_DEF_2(name, ...)`):
        the 0-based index of the argument holding the real function name, else None."""
        if name in self.fn_exact:
            return self.fn_exact[name]
        if not self.fn_wild:
            return None
        key = ("fn", name)  # one cache with rule(): keys of another shape
        if key not in self._cache:
            self._cache[key] = next((i for rx, i in self.fn_wild if rx.fullmatch(name)), None)
        return self._cache[key]


def _wild_re(pattern: str) -> str:
    return ".*".join(re.escape(p) for p in pattern.split("*")).replace(".*", r"\w*")


def _entries(table: dict, kind: str):
    """(pattern, arg) pairs of one key; lists mean `arg=None`."""
    value = table.get(kind, [])
    if isinstance(value, dict):
        return list(value.items())
    return [(str(p), None) for p in value]


def _check(kind: str, pattern: str, arg: object) -> None:
    if not re.fullmatch(r"[A-Za-z_*][A-Za-z0-9_*]*", pattern):
        raise ValueError(f"[macros].{kind}: {pattern!r} is not an identifier pattern")
    if kind == "keyword" and arg not in _KEYWORDS:
        raise ValueError(f"[macros].keyword.{pattern}: {arg!r} must be one of "
                         f"{sorted(_KEYWORDS)}")
    if kind == "keyword" and "*" not in pattern and len(str(arg)) > len(pattern):
        raise ValueError(f"[macros].keyword.{pattern}: keyword longer than the macro name")
    if kind == "define_function" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ *]*", str(arg)):
        raise ValueError(f"[macros].define_function.{pattern}: {arg!r} must be a return type")
    if kind == "declare_array" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ *]*", str(arg)):
        raise ValueError(f"[macros].declare_array.{pattern}: {arg!r} must be an element type")
    if kind == "member_call" and not re.fullmatch(r"[A-Za-z_]\w* +[1-9][0-9]*", str(arg)):
        raise ValueError(f"[macros].member_call.{pattern}: {arg!r} must be an object and the "
                         f"argument naming its member, like \"pv_ops 1\"")
    if kind == "unwrap_args" and not re.fullmatch(r"[0-9 =]+", str(arg)):
        raise ValueError(f"[macros].unwrap_args.{pattern}: template {arg!r} must look "
                         f"like \"1 2\" or \"1 2=3\"")


def load_profile(table: dict) -> MacroProfile:
    """Compile the `[macros]` table of a corpus profile into a MacroProfile.

    Raises ValueError naming the key when an entry is malformed.
    """
    from vmxref.errors import VmxrefError

    try:
        return _load(table or {})
    except ValueError as e:
        raise type("MacroProfileError", (VmxrefError,), {})(str(e)) from None


def _load(table: dict) -> MacroProfile:
    rules: dict[str, tuple[str, object]] = {}
    wild: list[tuple[re.Pattern[str], str, object]] = []
    literals: set[bytes] = set()
    for kind in KINDS:
        for pattern, arg in _entries(table, kind):
            _check(kind, pattern, arg)
            if "*" in pattern:
                wild.append((re.compile(_wild_re(pattern)), kind, arg))
            else:
                rules.setdefault(pattern, (kind, arg))
            literals.add(max(pattern.split("*"), key=len).encode())
    fn_exact: dict[str, int] = {}
    fn_wild: list[tuple[re.Pattern[str], int]] = []
    for pattern, arg in _entries(table, "function_name_arg"):
        _check("function_name_arg", pattern, arg)
        if "*" in pattern:
            fn_wild.append((re.compile(_wild_re(pattern)), int(arg)))
        else:
            fn_exact[pattern] = int(arg)
    undefined, defined = (_name_patterns(table, k) for k in ("assume_undefined", "assume_defined"))
    return MacroProfile(rules, tuple(wild), fn_exact, tuple(fn_wild),
                        bool(table.get("prune_if0", False)),
                        bool(table.get("split_conditionals", False)), undefined, defined,
                        needles := _needles(literals),
                        re.compile(b"|".join(map(re.escape, needles))))


def _name_patterns(table: dict, key: str) -> re.Pattern[bytes] | None:
    """[macros].assume_undefined / assume_defined: shell-style macro name patterns."""
    pats = table.get(key, [])
    if not isinstance(pats, list) or not all(
            isinstance(p, str) and re.fullmatch(r"[\w*?\[\]\-]+", p) for p in pats):
        raise ValueError(f"[macros].{key}: a list of macro name patterns "
                         "(`*`, `?` and `[a-z]` as in shell globs)")
    return re.compile("|".join(fnmatch.translate(p) for p in pats).encode()) if pats else None


def _needles(literals: set[bytes]) -> tuple[bytes, ...]:
    """Few short literals whose occurrences cover every pattern: 3-byte prefixes of the
    patterns' longest literal parts, minus those containing another (fewer text passes)."""
    if b"" in literals:
        raise ValueError("[macros]: a pattern needs at least one literal character")
    return tuple(sorted(n for n in literals if not any(o != n and o in n for o in literals)))


def normalize(src: bytes, profile: MacroProfile) -> tuple[bytes, list[tuple[str, int]]]:
    """Return (text of exactly the same length with every b'\\n' at the same offset,
    [(macro_name, byte_offset), ...] for each macro use that was erased or rewritten)."""
    text, uses, _dropped = normalize_ex(src, profile)
    return text, uses


def normalize_ex(src: bytes, profile: MacroProfile, alternate: int = 0,
                 spans: list[tuple[int, int]] | None = None,
                 want: list[tuple[int, int]] | None = None,
                 erased: list[tuple[int, int, int, int, bytes]] | None = None
                 ) -> tuple[bytes, list[tuple[str, int]], list[tuple[int, int]]]:
    """normalize(), and the byte ranges of the branches that flattening a split `#if`
    group dropped (not `#if 0` ones). With `alternate` (1), each such group keeps another of
    its branches (the one after the branch kept otherwise): parsing both texts covers the
    code of the `#else` side too (the worker merges the facts of those ranges). With 2, a
    group that holds such a group keeps its first branch, so that the inner group's other
    branch, blank in the first alternate text, is kept (a third parse, for `#ifdef IN_RING0
    ... #else ... #endif` nested in another split group). With `want` (byte ranges of
    dropped branches no text parsed so far held: the third branch of an `#ifdef
    RT_OS_WINDOWS / #elif defined(RT_OS_LINUX) / #else` group, an inner group's first branch
    inside an outer group's second), each split group keeps its first branch with code that
    is, or holds, the start of such a range, else the branch kept otherwise (`alternate` is
    then not used; the worker asks again until every range was kept once). With a list
    `spans`, the (start, end) byte span of each macro use of the uses returned is appended
    to it, in the same order (the name through the `)` of its arguments: extract widens a
    text that holds the rewritten use to the whole use, see extract._Ctx). With a list
    `erased`, each argument an `unwrap_args` rule dropped that holds a name (the cpu of
    `per_cpu(hrtimer_bases, get_nohz_timer_target())`) is appended to it as (use start, use
    end, argument start, argument end, its normalised text, arguments dropped inside it
    blank): see erased.py, which parses them for the calls and reads they hold."""
    if profile is None or profile.empty:
        return src, [], []
    directives: list[tuple[int, int]] = []
    code = _code(src, directives)
    buf = bytearray(src)
    uses: list[tuple[str, int]] = []
    dropped: list[tuple[int, int]] = []
    if b"_asm" in code:
        code = _blank_msc_asm(code, buf)
    if profile.needles:
        _macro_pass(code, buf, profile, uses, spans, erased)
    if profile.prune_if0 or profile.split_conditionals:
        _conditional_pass(src, code, buf, directives, profile, dropped, alternate,
                          sorted(a for a, _b in want) if want else None)
    if b"/*" in src and b"\\\n" in src:
        _define_comments(src, buf)
    return bytes(buf), uses, dropped


# MSC inline assembly: `__asm { ... }` blocks and `__asm instr operands` lines. They are not
# C; tree-sitter's error recovery turned their contents into declarations (`push dword ptr
# [x]` a global `rc` of type `push`) and cut the function short, so its locals became globals.
_MSC_ASM = re.compile(rb"\b_{1,2}asm\b(?:\s*\{[^{}]*\}|[ \t]+(?!volatile\b|__volatile__\b|goto\b|"
                      rb"inline\b)[a-z][a-z0-9]*\b[^\n;{}]*)")


def _blank_msc_asm(code: bytes, buf: bytearray) -> bytes:
    """Blank MSC `__asm` blocks and lines in buf; return the code copy blanked alike."""
    spans = [m.span() for m in _MSC_ASM.finditer(code)]
    if not spans:
        return code
    c = bytearray(code)
    for a, b in spans:
        _blank(buf, a, b)
        _blank(c, a, b)
    return bytes(c)


# A #define continued over several lines, comments included (tree-sitter's C grammar ends
# the macro at a comment on a continuation line and parses the rest as code).
_LONG_DEFINE = re.compile(rb"^[ \t]*#[ \t]*define\b(?:[^\n\\/]+|\\.|/(?![*/])|/\*.*?\*/|//[^\n]*)*",
                          re.M | re.S)
_COMMENT = re.compile(rb"/\*.*?\*/|//[^\n]*", re.S)


def _define_comments(src: bytes, buf: bytearray) -> None:
    """Blank the comments inside multi-line #defines; a comment spanning lines leaves a `\\`
    before each of its newlines, so the directive still goes on (lengths and newlines kept)."""
    if _C is not None:
        _C.define_comments(src, buf)
        return
    for m in _long_defines(src):
        text = m.group()
        if b"\n" not in text or (b"/*" not in text and b"//" not in text):
            continue
        for c in _COMMENT.finditer(text):
            a, b = m.start() + c.start(), m.start() + c.end()
            _blank(buf, a, b)
            nl = buf.find(b"\n", a, b)
            while nl >= 0:
                buf[nl - 1] = 0x5C  # '\\'
                nl = buf.find(b"\n", nl + 1, b)


def _long_defines(src: bytes):
    """_LONG_DEFINE.finditer(src), found from the `define` words (a `^` scan tries every
    line start: several times slower). A match starts at the start of a line that holds
    `define`, and the next one at or after the end of the last."""
    pos = p = 0
    while (p := src.find(b"define", p)) >= 0:
        ls = src.rfind(b"\n", 0, p) + 1
        m = _LONG_DEFINE.match(src, ls) if ls >= pos else None
        if m is not None:
            yield m
            pos = p = max(m.end(), p + 1)
        else:
            p += 1


def _code(src: bytes, directives: list[tuple[int, int]]) -> bytes:
    """src with comments, literals and preprocessor lines blanked; collects directive spans.

    One split at the non-code matches (the translate / accumulate steps run in C); or
    _C.code, the same scan in C.
    """
    if _C is not None:
        return _C.code(src, directives)
    parts = _NONCODE_SPLIT.split(b"\n" + src)  # code, match, code, match, ..., code
    matches = parts[1::2]
    if matches:
        ends = list(accumulate(map(len, parts)))  # ends[i]: end offset of parts[i]
        is_dir = list(map(bytes.startswith, matches, repeat(b"\n")))
        directives.extend(zip(compress(ends[0::2], is_dir),
                              map(sub, compress(ends[1::2], is_dir), repeat(1))))
        parts[1::2] = map(bytes.translate, matches, repeat(_BLANK))
    return b"".join(parts)[1:]


# --- macro pass -------------------------------------------------------------------------

def _blank(buf: bytearray, start: int, end: int) -> None:
    """Replace buf[start:end] by spaces, keeping newlines."""
    buf[start:end] = buf[start:end].translate(_BLANK)


def arg_spans(code: bytes, pos: int) -> tuple[int, int, list[int]] | None:
    """If a balanced `( ... )` follows pos: (open, close, top-level comma offsets)."""
    start = _WS.match(code, pos).end()
    if start >= len(code) or code[start] != 0x28:  # '('
        return None
    depth, commas = 0, []
    for t in _PTOK.finditer(code, start, min(len(code), start + _MAX_ARGS)):
        c = t.group()
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return start, t.start(), commas
        elif depth == 1:
            commas.append(t.start())
    return None


def _candidates(code: bytes, needles: tuple[bytes, ...]) -> list[int]:
    """Sorted start offsets of identifiers (maximal word runs) containing a needle.

    The needles (identifier characters only) are searched with `bytes.find` in the
    distinct words joined by newlines; each word with a hit is then located in the code by
    `find` with a word-boundary check. Same result as scanning the code with the needle
    alternation (`profile.finder`) and widening each match to its word, several times faster.
    """
    if _C is not None:
        return _C.candidates(code, needles)
    words = set(code.translate(_WORDS_ONLY).split())
    blob = b"\n".join(words)
    hits = set()
    for nd in needles:
        p = blob.find(nd)
        while p >= 0:
            e = blob.find(b"\n", p)
            e = e if e >= 0 else len(blob)
            hits.add(blob[blob.rfind(b"\n", 0, p) + 1:e])
            p = blob.find(nd, e)
    starts = []
    n = len(code)
    for w in hits:
        p = code.find(w)
        while p >= 0:
            e = p + len(w)
            if (p == 0 or code[p - 1] not in _IDCHARS) and (e == n or code[e] not in _IDCHARS):
                starts.append(p)
            p = code.find(w, e)
    starts.sort()
    return starts


def _macro_pass(code: bytes, buf: bytearray, prof: MacroProfile,
                uses: list[tuple[str, int]], spans: list[tuple[int, int]] | None = None,
                erased: list | None = None) -> None:
    pos = 0
    cut: list[tuple[int, int, int, int]] = []  # (use start, end, argument start, end)
    for start in _candidates(code, prof.needles):
        if start < pos or (0x30 <= code[start] <= 0x39):
            continue
        end = _IDENT.match(code, start).end()
        name = code[start:end].decode()
        rule = prof.rule(name)
        pos = _apply(code, buf, start, end, name, rule, uses, spans, cut) if rule else end
    if cut:  # (the arguments unwrap_args drops go last: the uses inside them are rewritten)
        whole = bytes(buf) if erased is not None else b""
        for _s, _e, a, b in cut:
            _blank(buf, a, b)
        if erased is not None:
            _erased_args(code, whole, cut, erased)


def _erased_args(code: bytes, whole: bytes, cut: list[tuple[int, int, int, int]],
                 erased: list) -> None:
    """normalize_ex's `erased`: the dropped arguments (`cut`) with a name in them, their
    text from `whole` (the text before they were blanked) with those dropped inside blank."""
    cut = sorted(cut, key=lambda c: c[2])  # (those inside one follow it)
    for j, (s, e, a, b) in enumerate(cut):
        if not _NAME_START.search(code, a, b):
            continue
        text = bytearray(whole[a:b])
        k = j + 1
        while k < len(cut) and cut[k][2] < b:
            _blank(text, cut[k][2] - a, cut[k][3] - a)
            k += 1
        erased.append((s, e, a, b, bytes(text)))


_NAME_START = re.compile(rb"(?<!\w)[A-Za-z_]")  # (a name, not the x of 0x10)


def _apply(code: bytes, buf: bytearray, start: int, end: int, name: str,
           rule: tuple[str, object], uses: list[tuple[str, int]],
           spans: list[tuple[int, int]] | None = None,
           cut: list[tuple[int, int, int, int]] | None = None) -> int:
    """Apply one rule at a macro use; return where scanning resumes."""
    kind, arg = rule
    if kind == "erase":
        _blank(buf, start, end)
        uses.append((name, start))
        if spans is not None:
            spans.append((start, end))
        return end
    args = arg_spans(code, end)
    if args is None:
        return end
    opn, close, commas = args
    if kind == "erase_call":
        _blank(buf, start, close + 1)
    elif kind == "unwrap":
        _unwrap(buf, start, opn, close, commas)
    elif kind == "unwrap_args":
        _unwrap_args(buf, start, opn, close, commas, str(arg), cut)
    elif kind == "paste":
        if not _paste(code, buf, start, opn, close, commas, str(arg)):
            return end
    elif kind == "define_function":
        if not _define_function(code, buf, start, opn, close, commas, str(arg)):
            return end
    elif kind == "declare_array":
        if not _declare_array(code, buf, start, opn, close, commas, str(arg)):
            return end
    elif kind == "member_call":
        if not _member_call(code, buf, start, opn, close, commas, str(arg)):
            return end
    elif not _keyword(code, buf, start, end, close, str(arg)):
        return end
    uses.append((name, start))
    if spans is not None:
        spans.append((start, close + 1))
    return opn + 1 if kind in ("unwrap", "unwrap_args", "keyword", "define_function",
                               "declare_array", "member_call") else close + 1


def _unwrap(buf: bytearray, start: int, opn: int, close: int, commas: list[int]) -> None:
    """`NAME(a, b, c)` -> `     a  b  c `: blank the name, the parens and top-level commas."""
    _blank(buf, start, opn + 1)
    buf[close] = 0x20
    for c in commas:
        buf[c] = 0x20


_MEMBER_PATH = re.compile(rb"[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)+")


def _paste(code: bytes, buf: bytearray, start: int, opn: int, close: int, commas: list[int],
           glue: str) -> bool:
    """Token pasting: `CTX_SUFF(pTimer)` -> `pTimerR3` (args joined by `glue`), left-aligned
    and padded with spaces to the same length; one argument that is a member path pastes
    onto its last name (right-aligned). False when the arguments are neither."""
    bounds = [opn, *commas, close]
    parts = [code[bounds[i - 1] + 1:bounds[i]].strip() for i in range(1, len(bounds))]
    width = close + 1 - start
    if b"\n" in code[start:close + 1]:
        return False
    if len(parts) == 1 and _MEMBER_PATH.fullmatch(parts[0]):
        # a member path: `CTX_SUFF(pVM->tm.s.pfnVirtualGetRaw)` is `pVM->tm.s.pfnVirtualGetRawR3`
        # (the expression where it was, the glue after its last name: one column left per
        # glue byte past the `)`)
        out = parts[0] + glue.encode()
        if len(out) > width:
            return False
        buf[start:close + 1] = out.rjust(width)
        return True
    if not all(_IDENT.fullmatch(p) for p in parts if p):
        return False
    out = glue.encode().join(parts) if len(parts) > 1 else parts[0] + glue.encode()
    if len(out) > width:
        return False
    buf[start:close + 1] = out + b" " * (width - len(out))
    return True


def _define_function(code: bytes, buf: bytearray, start: int, opn: int, close: int,
                     commas: list[int], ret: str) -> bool:
    """A function-defining macro with (name, type, arg, type, arg, ...) arguments:
    `SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)` -> `long            kill(pid_t  pid, int  sig)`
    (the return type over the macro name, the comma after the name becomes `(`, the commas
    between a type and its parameter spaces). False for another shape (no parameter to open
    the list with: SYSCALL_DEFINE0), which stays as it is."""
    if not commas:
        return _define_function0(code, buf, start, opn, close, ret)
    if len(commas) % 2 or len(ret) > opn - start:
        return False
    if not _IDENT.fullmatch(code[opn + 1:commas[0]].strip()):
        return False
    buf[start:opn + 1] = ret.encode().ljust(opn + 1 - start)
    buf[commas[0]] = 0x28  # '('
    for i, c in enumerate(commas[1:]):
        buf[c] = 0x20 if i % 2 == 0 else 0x2C
    return True


def _define_function0(code: bytes, buf: bytearray, start: int, opn: int, close: int,
                      ret: str) -> bool:
    """The parameterless shape, `SYSCALL_DEFINE0(getpid)` -> `long           getpid()`: the
    name moves one byte left to make room for its `()` (its column is the `(`'s). False when
    the name is no identifier, spans lines, or the return type does not fit."""
    name = code[opn + 1:close].strip()
    if not _IDENT.fullmatch(name) or b"\n" in code[start:close + 1] or \
            len(ret) + 1 + len(name) + 2 > close + 1 - start:
        return False
    _blank(buf, start, close + 1)
    buf[start:start + len(ret)] = ret.encode()
    at = close - 1 - len(name)
    buf[at:close + 1] = name + b"()"
    return True


def _member_call(code: bytes, buf: bytearray, start: int, opn: int, close: int,
                 commas: list[int], arg: str) -> bool:
    """A macro that calls the member of one object its argument N names:
    `PVOP_VCALL3(cpu.write_msr, msr, low, high)` with "pv_ops 1" ->
    `pv_ops.     cpu.write_msr( msr, low, high)` (the object over the macro name, the
    arguments before the member blanked, the comma after it `(`); a member that is the last
    argument moves right against the `)` to make room for its `(`. False when argument N is
    no member path (`a.b`)."""
    obj, n = arg.split()
    n = int(n)
    bounds = [opn, *commas, close]
    if n >= len(bounds):
        return False
    seg = code[bounds[n - 1] + 1:bounds[n]]
    member = seg.strip()
    if not _MEMBER_PATH.fullmatch(member) or b"\n" in member:
        return False
    ms = bounds[n - 1] + 1 + (len(seg) - len(seg.lstrip()))
    prefix = (obj + ".").encode()
    if len(prefix) > opn + 1 - start:
        return False
    if n < len(bounds) - 1:  # arguments follow: the comma after the member opens them
        _blank(buf, start, ms)
        buf[start:start + len(prefix)] = prefix
        buf[bounds[n]] = 0x28  # '('
        return True
    at = close - 1 - len(member)
    if at < start + len(prefix) or b"\n" in code[at:close + 1]:
        return False
    _blank(buf, start, close + 1)
    buf[start:start + len(prefix)] = prefix
    buf[at:close + 1] = member + b"()"
    return True


def _declare_array(code: bytes, buf: bytearray, start: int, opn: int, close: int,
                   commas: list[int], elem: str) -> bool:
    """An array-declaring macro with (name, size) arguments: `DECLARE_BITMAP(pending, 256)`
    -> `unsigned long  pending[ 256]` (the element type over the macro name, the comma
    `[`, the closing parenthesis `]`), so a struct member declared so is a member. False for
    another shape, which stays as it is."""
    if len(commas) != 1 or len(elem) > opn - start:
        return False
    if not _IDENT.fullmatch(code[opn + 1:commas[0]].strip()):
        return False
    buf[start:opn + 1] = elem.encode().ljust(opn + 1 - start)
    buf[commas[0]] = 0x5B  # '['
    buf[close] = 0x5D  # ']'
    return True


def _unwrap_args(buf: bytearray, start: int, opn: int, close: int, commas: list[int],
                 template: str, cut: list[tuple[int, int, int, int]] | None = None) -> None:
    """Keep only the arguments a template names ("1 2=3": args 1, 2 and 3 joined by `=`);
    the others are blanked, or with `cut` appended to it as (use start, use end, argument
    start, argument end) for the caller to blank."""
    bounds = [opn, *commas, close]
    keep = {int(x) for x in re.findall(r"\d+", template)}
    joins = {int(x) for x in re.findall(r"=\s*(\d+)", template)}
    _unwrap(buf, start, opn, close, commas)
    for i in range(1, len(bounds)):
        if i not in keep:
            if cut is None:
                _blank(buf, bounds[i - 1] + 1, bounds[i])
            else:
                cut.append((start, close + 1, bounds[i - 1] + 1, bounds[i]))
        elif i in joins:
            buf[bounds[i - 1]] = 0x3D  # '='


def _keyword(code: bytes, buf: bytearray, start: int, end: int, close: int, kw: str) -> bool:
    """Turn `NAME(args) stmt` into `kw  (args) stmt` (`else`/"" also drop the args)."""
    after = _WS.match(code, close + 1).end()
    if kw in ("if", "while", "switch") and (code[after:after + 1] in (b";", b",", b")", b"")
                                            or not _at_statement(code, start)):
        return False
    if kw in ("", "else"):
        _blank(buf, start, close + 1)
    else:
        _blank(buf, start, end)
    buf[start:start + len(kw)] = kw.encode()
    return True


def _at_statement(code: bytes, start: int) -> bool:
    """True when a statement may begin at start (not a function definition's name)."""
    before = code[max(0, start - 4096):start].rstrip()
    return not before or before[-1:] in b";{}):" or before.endswith((b"else", b"do"))


# --- conditional pass -------------------------------------------------------------------

def _conditional_pass(src: bytes, code: bytes, buf: bytearray,
                      directives: list[tuple[int, int]], prof: MacroProfile,
                      dropped: list[tuple[int, int]], alternate: int,
                      want: list[int] | None = None) -> None:
    """Flatten `#if` groups that split a construct (and `#if 0` groups): keep one branch's
    text, blank the directives and the other branches (in buf and in the code copy).
    `want`: the sorted start offsets of the ranges normalize_ex's `want` names.

    `dropped` gets the branches of split groups blanked here that hold code or a `#define`
    (not dead ones), and the branches split groups kept inside those (an inner group's
    first branch in an outer group's second: blank in this text too)."""
    if _C is not None:  # (the code copy it blanks is its own)
        dropped.extend(_C.cond_pass(src, code, buf, directives, prof.prune_if0,
                                    prof.split_conditionals,
                                    prof.assumed if prof.assumes else None, alternate, want))
        return
    code = bytearray(code)
    stack: list[list[tuple[int, int, bytes, bytes]]] = []
    inner: list[bool] = []  # per open group: a split group inside it kept another branch
    defined: set[bytes] = set()  # macros #defined at file level (outside any #if) so far
    defs: list[int] = []  # where each `#define` starts (a branch of them is no empty one)
    kept: list[tuple[int, int]] = []  # the branches split groups kept (see _flatten)
    for start, end in directives:
        m = _COND.match(src, start, end)
        if m is None:
            if (m := _DEF.match(src, start, end)):
                if m.group(1) == b"define":
                    defs.append(start)
                if prof.prune_if0:
                    _track_define(defined, m.group(1), m.group(2), not stack)
            continue
        cond = m.group(2)
        cond = (_COND_COMMENT.sub(b" ", cond) if b"/" in cond else cond).strip()
        d = (start, end, m.group(1), cond,
             _truth(m.group(1), cond, defined, prof) if prof.prune_if0 else None)
        if d[2] in (b"if", b"ifdef", b"ifndef"):
            stack.append([d])
            inner.append(False)
        elif stack:
            stack[-1].append(d)
            if d[2] == b"endif":
                flag = inner.pop()
                alt = _flatten(code, buf, stack.pop(), prof, dropped, alternate, flag, want,
                               defs, kept)
                if inner and (alt or flag):
                    inner[-1] = True  # (up to every group around it)


def _track_define(defined: set[bytes], what: bytes, name: bytes, top: bool) -> None:
    """Known-defined macros: a `#define` outside any conditional makes its name known; an
    `#undef` anywhere forgets it (inside a conditional it may or may not run)."""
    if what == b"undef":
        defined.discard(name)
    elif top:
        defined.add(name)


def _truth(kind: bytes, cond: bytes, defined: set[bytes],
           prof: MacroProfile | None = None) -> bool | None:
    """The value of a branch condition when it is known, else None: `#if 0`, and a test of
    whether a macro is defined when the file itself #defined it unconditionally above
    (`#define HMVMX_USE_FUNCTION_TABLE` ... `#ifndef HMVMX_USE_FUNCTION_TABLE`) or when the
    profile says no default build defines it (`assume_undefined`: `#ifdef DEBUG_bird`) or
    every build does (`assume_defined`: `#ifndef __KERNEL__`, user-space shims). Any
    other macro the file does not define may come from elsewhere (the build, an include):
    unknown."""
    if kind in (b"if", b"elif"):
        if cond in (b"0", b"(0)"):
            return False
        parts = _conjuncts(cond)
        if parts is not None:  # (`#if 0 && defined(DEBUG_bird)`: false whatever the rest)
            values = [_truth(kind, x, defined, prof) for x in parts]
            return False if False in values else True if all(values) else None
        m = _DEFINED.match(cond)
        if m and ((m.group(2) or m.group(3)) in defined or
                  prof is not None and prof.assumed_defined(m.group(2) or m.group(3))):
            return not m.group(1)
        if m and prof is not None and prof.assumed_undefined(m.group(2) or m.group(3)):
            return bool(m.group(1))
        return None
    if kind in (b"ifdef", b"ifndef"):
        m = _NAME_ONLY.match(cond)
        if m and (m.group(1) in defined or prof is not None and prof.assumed_defined(m.group(1))):
            return kind == b"ifdef"
        if m and prof is not None and prof.assumed_undefined(m.group(1)):
            return kind == b"ifndef"
    return None


def _conjuncts(cond: bytes) -> list[bytes] | None:
    """The operands of a condition that is a chain of `&&` at its top level (stripped), or
    None: no `&&` there, or an `||`, `?` or unbalanced parenthesis at that level."""
    parts, depth, start, i, n = [], 0, 0, 0, len(cond)
    while i < n:
        ch = cond[i]
        if ch == 40:  # (
            depth += 1
        elif ch == 41:  # )
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and (cond.startswith(b"||", i) or ch == 63):  # ?
            return None
        elif depth == 0 and cond.startswith(b"&&", i):
            parts.append(cond[start:i].strip())
            start = i + 2
            i += 1
        i += 1
    if not parts or depth:
        return None
    parts.append(cond[start:].strip())
    return parts


def _dead(group: list) -> list[bool]:
    """Per branch of a group: whether it is never compiled (its condition is known false,
    or an earlier branch's is known true)."""
    dead, taken = [], False
    for d in group[:-1]:
        dead.append(taken or d[4] is False)
        taken = taken or d[4] is True
    return dead


def _needs_flatten(code: bytearray, group: list, prof: MacroProfile
                   ) -> tuple[int, bool] | None:
    """(index of the branch to keep (-1: none), whether the group splits a construct) when
    the group must be flattened, else None. A group right before an `else` parts the `if`
    from its `else` for tree-sitter: with one branch (or no code) (keep, None), its
    directive lines are blanked; with several branches of code it is flattened."""
    live = [i for i, dead in enumerate(_dead(group)) if not dead]
    keep = live[0] if live else -1
    if prof.prune_if0 and len(live) < len(group) - 1 and len(live) <= 1:
        return keep, False
    if not prof.split_conditionals:
        return None
    for i in range(len(group) - 1):
        a, b = group[i][1], group[i + 1][0]
        if code.count(b"{", a, b) != code.count(b"}", a, b) or \
                code.count(b"(", a, b) != code.count(b")", a, b):
            return keep, True
        t = code[a:b].strip()
        if (t and t[-1:] not in b";}{:") or _LEAD_ELSE.match(t):
            return keep, True
    if _LEAD_ELSE.match(code[group[-1][1]:group[-1][1] + 256].lstrip()):
        # an `else` right after the #endif: the group's lines part it from its `if` (the
        # last statement of the group: `#if R3 || R0  if (..) {..}  #endif  else {..}`)
        if len(group) == 2 or not any(code[group[i][1]:group[i + 1][0]].strip()
                                      for i in range(len(group) - 1)):
            return keep, None  # one branch (or no code): its directive lines go
        return keep, True  # several: one is kept, as for a group that splits a construct
    return None


def _flatten(code: bytearray, buf: bytearray, group: list, prof: MacroProfile,
             dropped: list[tuple[int, int]], alternate: int, inner_alt: bool = False,
             want: list[int] | None = None, defs: list[int] = (),
             kept: list[tuple[int, int]] | None = None) -> bool:
    """Flatten one group; True when it kept another branch than the first (`alternate`:
    1 every split group does; 2 only one with no such group inside it, whose branches the
    groups around it keep, as a third parse of a nested split needs; `want`: sorted start
    offsets, the first live branch with code or a `#define` (`defs`: their sorted starts)
    holding one is kept). `kept`: the branches split groups closed so far kept (in the
    order they closed), for `dropped` (see _conditional_pass)."""
    inner = _inner_kept(kept, group[0][0]) if kept else []
    n = len(group) - 1  # (branches)
    dead = _dead(group)
    gone = [False] * n  # the branches blanked here
    if prof.prune_if0 and any(dead) and dead.count(False) > 1:
        # several branches may be compiled: clear the dead ones only
        for i, d in enumerate(group[:-1]):
            if dead[i]:
                _blank(buf, d[1], group[i + 1][0])
                _blank(code, d[1], group[i + 1][0])
                gone[i] = True
    how = _needs_flatten(code, group, prof)
    keep, split = how if how is not None else (-1, None)
    first, own = keep, None

    def content(i: int) -> bool:  # (a live branch with something to parse)
        a, b = group[i][1], group[i + 1][0]
        return not dead[i] and bool(code[a:b].strip() or _holds(defs, a, b))
    if how is not None and split is None:
        for d in group:  # (a group of comments only: its directive lines go, nothing else)
            _blank(buf, d[0], d[1])
    elif how is not None:
        if split and want:
            keep = next((i for i in range(n)
                         if _holds(want, group[i][1], group[i + 1][0]) and content(i)), keep)
        elif split and alternate and not (alternate == 2 and inner_alt):  # the next branch
            keep = next((i for i in range(keep + 1, n)  # with code, when there is one
                         if code[group[i][1]:group[i + 1][0]].strip()), keep)
        for i, d in enumerate(group):
            _blank(buf, d[0], d[1])
            if i < n and i != keep:
                a, b = d[1], group[i + 1][0]
                if split and content(i):
                    dropped.append((a, b))
                if split and not dead[i]:
                    dropped.extend(r for r in inner if a <= r[0] < b)
                _blank(buf, a, b)
                _blank(code, a, b)
                gone[i] = True
        if split and keep >= 0 and content(keep):
            own = (group[keep][1], group[keep + 1][0])
    if kept is not None:
        kept.extend(r for r in inner if not any(
            gone[i] and group[i][1] <= r[0] < group[i + 1][0] for i in range(n)))
        if own is not None:
            kept.append(own)
    return keep != first


def _inner_kept(kept: list[tuple[int, int]], start: int) -> list[tuple[int, int]]:
    """Take from `kept` the branches kept inside a group that starts at `start` (the ones
    after it: groups close in order, the inner ones after those before), in their order."""
    i = len(kept)
    while i and kept[i - 1][0] >= start:
        i -= 1
    inner = kept[i:]
    del kept[i:]
    return inner


def _holds(starts: list[int], a: int, b: int) -> bool:
    """Does [a, b) hold one of the sorted offsets `starts`?"""
    i = bisect.bisect_left(starts, a)
    return i < len(starts) and starts[i] < b
