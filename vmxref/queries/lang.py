"""The vmxref query language: parse, print back and inspect queries.

One language for `vmxref q 'QUERY'` and for saved TOML files. This module only turns
text into a `Query` (an AST of plain data) and back; the engine executes it. Grammar,
informally (docs/query-language.md has the full reference):

    query   := verb-clause ( '|' pipe )*
    pipe    := 'paths' [ 'from' ( 'entry' | FUNC ) ] [ 'depth' N ] | 'limit' N
    target  := IDENT ( '.' IDENT )*          # STRUCT.FIELD[.FIELD...] or VAR

Arguments per verb (`Query.args`; an option that was not given is None):

    def NAME                         {"name"}
    refs NAME [kind K,...]           {"name", "kinds": tuple | None}
    writes TARGET [kind K,...]       {"target": Target, "kinds": tuple | None}
    reads TARGET                     {"target"}
    calls FUNC [arg N = CONST]       {"func", "arg": int | None (1-based), "const": str | None}
    raises CONST / consumes CONST    {"const"}
    callers/callees FUNC [depth N]   {"func", "depth"} (callers: FUNC may be STRUCT.MEMBER)
    path FROM -> TO [max N]          {"from", "to", "max"}   (max: longest path, in calls)
    provenance TARGET [depth N]      {"target", "depth"}
    search TEXT [in S] [path GLOB]   {"text", "in", "path"}
    logline 'LINE'                   {"line"}

Pipes: `Pipe("paths", {"from": FUNC | None, "depth": N | None})` (from None = entry
points) and `Pipe("limit", {"n": N})`.
"""
from __future__ import annotations

TYPE_CHECKING = False  # (typing costs a query process 3 ms to import; annotations only)
if TYPE_CHECKING:
    from typing import Any, Callable, NoReturn

from vmxref.errors import QuerySyntaxError
from vmxref.model import Record

VERBS = ("def", "refs", "writes", "reads", "calls", "raises", "consumes", "callers",
         "callees", "path", "provenance", "search", "logline")
SITE_VERBS = frozenset({"refs", "writes", "reads", "calls", "raises", "consumes", "def",
                        "search", "logline"})
REF_KINDS = ("call", "read", "write", "addr", "type", "macro", "define", "sizeof")
WRITE_KINDS = ("assign", "compound", "incdec", "init", "designated", "out-param",
               "whole-object", "asm")
SEARCH_SCOPES = ("code", "comment", "string")
PIPES = ("paths", "limit")
ROLES = ("function", "constant", "field", "struct", "any")

MAX_DEPTH = 50          # depth, max
MAX_LIMIT = 10000       # | limit
MAX_ARG = 32            # calls ... arg N
MAX_QUERY_LEN = 4096
MAX_TARGET_PARTS = 8

# Scanners: scan(text, pos) -> the end of the match at pos, or -1 (hand-written, not `re`:
# a query process that needs no regular expression does not pay for importing and
# compiling them; tests/test_lang_scan.py checks each against the regular expression it
# replaces, given in its comment).
_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") | _DIGITS
_ALPHA = _ALNUM - _DIGITS
_HEX = frozenset("abcdefABCDEF") | _DIGITS
_WORDCH = _ALNUM | {"-"}
_SUFFIX = frozenset("uUlL")


def _run(text: str, i: int, chars: frozenset) -> int:
    n = len(text)
    while i < n and text[i] in chars:
        i += 1
    return i


def _IDENT(text: str, pos: int) -> int:  # [A-Za-z_][A-Za-z0-9_]*
    return _run(text, pos + 1, _ALNUM) if text[pos:pos + 1] in _ALPHA else -1


def _WORD(text: str, pos: int) -> int:  # [A-Za-z0-9_][A-Za-z0-9_-]*
    return _run(text, pos + 1, _WORDCH) if text[pos:pos + 1] in _ALNUM else -1


def _NUMBER(text: str, pos: int) -> int:  # -?[0-9]+(?![A-Za-z0-9_])
    i = pos + 1 if text.startswith("-", pos) else pos
    end = _run(text, i, _DIGITS)
    return end if end > i and text[end:end + 1] not in _ALNUM else -1


def _CONST_INT(text: str, pos: int) -> int:  # -?(?:0[xX][0-9A-Fa-f]+|[0-9]+)[uUlL]*(?![A-Za-z0-9_])
    i = pos + 1 if text.startswith("-", pos) else pos
    if text[i:i + 2] in ("0x", "0X") and text[i + 2:i + 3] in _HEX:
        end = _run(text, i + 2, _HEX)
    else:
        end = _run(text, i, _DIGITS)
        if end == i:
            return -1
    end = _run(text, end, _SUFFIX)
    return end if text[end:end + 1] not in _ALNUM else -1


def _BARE(text: str, pos: int) -> int:  # [^\s|]+
    i, n = pos, len(text)
    while i < n and text[i] != "|" and not text[i].isspace():
        i += 1
    return i if i > pos else -1


def _TOKEN(text: str, pos: int) -> int:  # -?[A-Za-z0-9_]+|->|\S
    c = text[pos:pos + 1]
    if c in _ALNUM:
        return _run(text, pos, _ALNUM)
    if c == "-" and text[pos + 1:pos + 2] in _ALNUM:
        return _run(text, pos + 1, _ALNUM)
    if text.startswith("->", pos):
        return pos + 2
    return pos + 1 if c and not c.isspace() else -1


def _ARROW(text: str, pos: int) -> int:  # ->
    return pos + 2 if text.startswith("->", pos) else -1


def _WS(text: str, pos: int) -> int:  # \s*
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    return pos


def _full(scan: Callable[[str, int], int], s: str) -> bool:
    """True when `scan` matches all of `s` (re's fullmatch)."""
    return bool(s) and scan(s, 0) == len(s)


_QUOTES = "'\""
_ESCAPABLE = "\\'\""


class Target(Record):
    """What writes/reads/provenance ask about: `STRUCT.FIELD[.FIELD...]` or a bare `VAR`.

    A bare name has struct None and fields == (name,); it may be a variable or a field.
    With two or more parts the first is `struct`: normally a struct or typedef name, but
    the engine also accepts a field there (`hv_clock.tsc_shift`).
    """

    __slots__ = ("struct", "fields")

    def __init__(self, struct: str | None, fields: tuple[str, ...]) -> None:
        self.struct, self.fields = struct, fields

    def __str__(self) -> str:
        return ".".join(((self.struct,) if self.struct else ()) + self.fields)


class Pipe(Record):
    """One `| NAME ...` stage after the verb clause."""

    __slots__ = ("name", "args")

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        self.name, self.args = name, args


class Query(Record):
    """A parsed query. `text` is what the user typed; it does not take part in equality."""

    __slots__ = ("verb", "args", "pipes", "text")
    _no_compare = ("text",)

    def __init__(self, verb: str, args: dict[str, Any], pipes: tuple[Pipe, ...] = (),
                 text: str = "") -> None:
        self.verb, self.args, self.pipes, self.text = verb, args, pipes, text


# --------------------------------------------------------------------------- scanning

class _Parser:
    """A cursor over the query text; every failure raises QuerySyntaxError at a column."""

    def __init__(self, text: str):
        self.text, self.pos, self.prev = text, 0, ""

    def fail(self, msg: str, pos: int | None = None) -> NoReturn:
        """Raise a syntax error pointing at `pos` (default: the current token)."""
        self.ws()
        at = self.pos if pos is None else pos
        raise QuerySyntaxError(f"{msg} at column {at + 1}", self.text, at)

    def ws(self) -> None:
        """Skip whitespace."""
        self.pos = _WS(self.text, self.pos)

    def at_end(self) -> bool:
        """True when only whitespace is left."""
        self.ws()
        return self.pos >= len(self.text)

    def peek(self, scan: Callable[[str, int], int]) -> str | None:
        """The text `scan` would consume next, without consuming it."""
        self.ws()
        end = scan(self.text, self.pos)
        return self.text[self.pos:end] if end >= 0 else None

    def take(self, scan: Callable[[str, int], int]) -> str | None:
        """Consume and return the next match of `scan`, or None."""
        got = self.peek(scan)
        if got is not None:
            self.pos += len(got)
            self.prev = got
        return got

    def take_lit(self, lit: str) -> bool:
        """Consume the literal `lit` if it comes next."""
        self.ws()
        if self.text.startswith(lit, self.pos):
            self.pos += len(lit)
            self.prev = lit
            return True
        return False

    def upcoming(self) -> str:
        """A short description of the next token, for messages."""
        self.ws()
        if self.pos >= len(self.text):
            return "end of query"
        if self.text[self.pos] in _QUOTES:
            return "quoted string"
        return _show(self.text[self.pos:_TOKEN(self.text, self.pos)])

    def expected(self, what: str) -> NoReturn:
        """Fail with "expected WHAT after 'PREV'[, got X]"."""
        after = f" after {_show(self.prev)}" if self.prev else ""
        got = self.upcoming()
        tail = "" if got == "end of query" else f", got {got}"
        self.fail(f"expected {what}{after}{tail}")

    def ident(self, what: str) -> str:
        """A C identifier."""
        got = self.take(_IDENT)
        if got is None:
            self.expected(what)
        return got

    def number(self, name: str, lo: int, hi: int) -> int:
        """A decimal integer in lo..hi; `name` is used in the range message."""
        start = self.pos
        got = self.take(_NUMBER)
        if got is None:
            self.expected("a number")
        shown = got if len(got) <= 20 else f"a {len(got.lstrip('-'))}-digit number"
        if len(got) > 20 or not lo <= int(got) <= hi:
            self.fail(f"{name} must be between {lo} and {hi}, got {shown}",
                      _skip_ws(self.text, start))
        return int(got)

    def string(self) -> str:
        """A quoted string: '...' or "..."; backslash escapes only \\\\, \\' and \\"."""
        self.ws()
        start, quote = self.pos, self.text[self.pos]
        out, i = [], start + 1
        while i < len(self.text):
            c = self.text[i]
            if c == "\\" and i + 1 < len(self.text) and self.text[i + 1] in _ESCAPABLE:
                out.append(self.text[i + 1])
                i += 2
                continue
            if c == quote:
                self.pos, self.prev = i + 1, self.text[start:i + 1]
                return "".join(out)
            out.append(c)
            i += 1
        self.fail("unterminated string", start)

    def at_quote(self) -> bool:
        """True when a quoted string comes next."""
        self.ws()
        return self.pos < len(self.text) and self.text[self.pos] in _QUOTES


def _skip_ws(text: str, pos: int) -> int:
    return _WS(text, pos)


def _show(s: str) -> str:
    """Quote a token for a message, shortened and with control characters escaped."""
    s = s if len(s) <= 30 else s[:27] + "..."
    return repr(s) if not s.isprintable() or "'" in s else f"'{s}'"


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, else ''."""
    import difflib  # only for the hint of a misspelt word
    near = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


# --------------------------------------------------------------------------- arguments

def _kinds(p: _Parser, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    """`K[,K...]` from `allowed`, duplicates dropped, order kept."""
    kinds: list[str] = []
    while True:
        start = _skip_ws(p.text, p.pos)
        k = p.take(_WORD)
        if k is None:
            p.expected(f"a {what} kind ({', '.join(allowed)})")
        if k not in allowed:
            p.fail(f"unknown {what} kind {_show(k)}{_suggest(k, allowed)}; "
                   f"expected one of: {', '.join(allowed)}", start)
        if k not in kinds:
            kinds.append(k)
        if not p.take_lit(","):
            return tuple(kinds)


def _target(p: _Parser) -> Target:
    """`IDENT(::IDENT)*(.IDENT)*`: first part is the struct when there are two or more; it
    may be a struct nested in another as results name it (`kvm_vcpu_arch::apf.halted`)."""
    parts = [p.ident("a variable or STRUCT.FIELD")]
    while p.take_lit("::"):
        parts[0] += "::" + p.ident("a nested struct name")
    while True:
        if p.peek(_ARROW):
            p.fail("use '.' between struct and field names, not '->'")
        if not p.take_lit("."):
            break
        parts.append(p.ident("a field name"))
    if len(parts) > MAX_TARGET_PARTS:
        p.fail(f"a target has at most {MAX_TARGET_PARTS} parts")
    if len(parts) == 1:
        if "::" in parts[0]:
            p.expected("'.' and a field name after a nested struct")
        return Target(None, (parts[0],))
    return Target(parts[0], tuple(parts[1:]))


def _const(p: _Parser, allow_int: bool) -> str:
    """A constant name (or, where allowed, an integer literal such as 0x10 or -1)."""
    if allow_int:
        got = p.take(_CONST_INT)
        if got is not None:
            return got
    return p.ident("a constant name" + (" or number" if allow_int else ""))


def _search_text(p: _Parser) -> str:
    """Quoted text, or bare words up to `in`, `path`, `|` or the end (spaces collapsed)."""
    start = _skip_ws(p.text, p.pos)
    if p.at_quote():
        text = p.string()
        if not text.strip():
            p.fail("empty search text", start)
        return text
    words: list[str] = []
    while (w := p.peek(_BARE)) is not None and w not in ("in", "path"):
        words.append(p.take(_BARE))  # type: ignore[arg-type]
    if not words and p.peek(_BARE):
        p.fail(f"expected search text after 'search', got keyword {_show(p.peek(_BARE) or '')}"
               " (quote the text to search for it)")
    if not words:
        p.expected("search text")
    return " ".join(words)


def _glob(p: _Parser) -> str:
    """A path glob: a quoted string or one bare word."""
    start = _skip_ws(p.text, p.pos)
    glob = p.string() if p.at_quote() else p.take(_BARE)
    if not glob:
        p.fail("expected a path glob after 'path'", start)
    return glob


def _logline(p: _Parser) -> dict[str, Any]:
    start = _skip_ws(p.text, p.pos)
    if not p.at_quote():
        p.fail("logline needs the line in quotes, e.g. logline 'TM: cTSCTicksPerSecond=...'")
    line = p.string()
    if not line.strip():
        p.fail("empty log line", start)
    return {"line": line}


def _path_positional(p: _Parser) -> dict[str, Any]:
    src = p.ident("a function name")
    if not p.take_lit("->"):
        p.expected("'->'")
    return {"from": src, "to": p.ident("a function name")}


def _calls_arg(p: _Parser) -> dict[str, Any]:
    n = p.number("arg", 1, MAX_ARG)
    if not p.take_lit("="):
        p.expected("'='")
    return {"arg": n, "const": _const(p, allow_int=True)}


def _paths_from(p: _Parser) -> dict[str, Any]:
    name = p.ident("'entry' or a function name")
    return {"from": None if name == "entry" else name}


if TYPE_CHECKING:
    Positional = Callable[[_Parser], dict[str, Any]]
    Option = Callable[[_Parser], dict[str, Any]]


def _depth(key: str) -> Option:
    return lambda p: {key: p.number(key, 1, MAX_DEPTH)}


_FUNC: Positional = lambda p: {"func": p.ident("a function name")}  # noqa: E731


def _func_or_slot(p: _Parser) -> dict[str, Any]:
    """A function, or STRUCT.MEMBER: the function-pointer member its calls go through."""
    func = p.ident("a function name (or STRUCT.MEMBER)")
    while p.take_lit("::"):  # (a struct nested in another, as results name it)
        func += "::" + p.ident("a nested struct name")
    path = []
    while p.take_lit("."):
        path.append(p.ident("a member name"))
    if "::" in func and not path:
        p.expected("'.' and a member name after a nested struct")
    if path:  # `TMTIMER.u.Internal.pfnTimer` is the member of TMTIMER::u::Internal
        func = "::".join([func, *path[:-1]]) + "." + path[-1]
    return {"func": func}

_NAME: Positional = lambda p: {"name": p.ident("a name")}  # noqa: E731
_TARGET: Positional = lambda p: {"target": _target(p)}  # noqa: E731
_CONST: Positional = lambda p: {"const": _const(p, allow_int=False)}  # noqa: E731

# verb -> (positional parser, {option keyword: parser}, defaults of the options)
_SPECS: dict[str, tuple[Positional, dict[str, Option], dict[str, Any]]] = {
    "def": (_NAME, {}, {}),
    "refs": (_NAME, {"kind": lambda p: {"kinds": _kinds(p, REF_KINDS, "reference")}},
             {"kinds": None}),
    "writes": (_TARGET, {"kind": lambda p: {"kinds": _kinds(p, WRITE_KINDS, "write")}},
               {"kinds": None}),
    "reads": (_TARGET, {}, {}),
    "calls": (_FUNC, {"arg": _calls_arg}, {"arg": None, "const": None}),
    "raises": (_CONST, {}, {}),
    "consumes": (_CONST, {}, {}),
    "callers": (_func_or_slot, {"depth": _depth("depth")}, {"depth": None}),
    "callees": (_FUNC, {"depth": _depth("depth")}, {"depth": None}),
    "path": (_path_positional, {"max": _depth("max")}, {"max": None}),
    "provenance": (_TARGET, {"depth": _depth("depth")}, {"depth": None}),
    "search": (lambda p: {"text": _search_text(p)},
               {"in": lambda p: {"in": _choice(p, SEARCH_SCOPES, "'in'")},
                "path": lambda p: {"path": _glob(p)}},
               {"in": None, "path": None}),
    "logline": (_logline, {}, {}),
}

_PIPE_SPECS: dict[str, tuple[Positional, dict[str, Option], dict[str, Any]]] = {
    "paths": (lambda p: {}, {"from": _paths_from, "depth": _depth("depth")},
              {"from": None, "depth": None}),
    "limit": (lambda p: {"n": p.number("limit", 1, MAX_LIMIT)}, {}, {}),
}


def _choice(p: _Parser, allowed: tuple[str, ...], after: str) -> str:
    start = _skip_ws(p.text, p.pos)
    got = p.take(_WORD)
    if got is None:
        p.expected(f"{', '.join(allowed[:-1])} or {allowed[-1]}")
    if got not in allowed:
        p.fail(f"expected {', '.join(allowed[:-1])} or {allowed[-1]} after {after}, "
               f"got {_show(got)}{_suggest(got, allowed)}", start)
    return got


# --------------------------------------------------------------------------- parsing

def _clause(p: _Parser, name: str, spec: tuple[Positional, dict[str, Option], dict[str, Any]],
            owner: str) -> dict[str, Any]:
    """Positional arguments, then options in any order, each at most once."""
    positional, options, defaults = spec
    args = {**positional(p), **defaults}
    seen: set[str] = set()
    while not p.at_end() and not p.text.startswith("|", p.pos):
        start = p.pos
        word = p.take(_WORD)
        if word is None:
            p.fail(f"unexpected {p.upcoming()} after {_show(p.prev)}")
        if word not in options:
            _bad_option(p, word, options, owner, start)
        if word in seen:
            p.fail(f"'{word}' given twice", start)
        seen.add(word)
        args.update(options[word](p))
    return args


def _bad_option(p: _Parser, word: str, options: dict[str, Option], owner: str,
                start: int) -> NoReturn:
    if not options:
        p.fail(f"unexpected {_show(word)}: {owner} takes no options; "
               "expected '|' or end of query", start)
    names = ", ".join(options)
    p.fail(f"unknown option {_show(word)} for {owner}{_suggest(word, list(options))}; "
           f"expected one of: {names}", start)


def _verb(p: _Parser) -> str:
    start = _skip_ws(p.text, p.pos)
    word = p.take(_WORD)
    if word is None:
        empty = p.at_end()
        what = "empty query" if empty else f"unexpected {p.upcoming()}"
        p.fail(f"{what}; expected a verb ({', '.join(VERBS)})", 0 if empty else None)
    if word in PIPES:
        p.fail(f"'{word}' is a pipe, not a verb: QUERY | {word} ...", start)
    if word not in VERBS:
        nxt = p.text[p.pos:p.pos + 1]
        if nxt and not nxt.isspace() and not nxt.isascii():  # `cállers`: the letter it stops at
            p.fail(f"unexpected character {nxt!r} in the verb (queries are ASCII)", p.pos)
        hint = _suggest(word, VERBS) or f"; expected one of: {', '.join(VERBS)}"
        p.fail(f"unknown verb {_show(word)}{hint}", start)
    return word


def _pipes(p: _Parser, verb: str) -> tuple[Pipe, ...]:
    pipes: list[Pipe] = []
    while not p.at_end():
        if not p.take_lit("|"):
            p.fail(f"unexpected {p.upcoming()} after {_show(p.prev)}")
        start = _skip_ws(p.text, p.pos)
        name = p.take(_WORD)
        if name is None:
            p.expected("'paths' or 'limit'")
        if name not in PIPES:
            p.fail(f"unknown pipe {_show(name)}{_suggest(name, PIPES)}; "
                   "expected 'paths' or 'limit'", start)
        if any(x.name == name for x in pipes):
            p.fail(f"'| {name}' given twice", start)
        if name == "paths" and verb not in SITE_VERBS:
            p.fail(f"'| paths' needs a query that returns sites "
                   f"({', '.join(v for v in VERBS if v in SITE_VERBS)}), not {verb}", start)
        pipes.append(Pipe(name, _clause(p, name, _PIPE_SPECS[name], f"'| {name}'")))
    return tuple(pipes)


def parse(text: str) -> Query:
    """Parse query text into a Query; raises QuerySyntaxError pointing at the bad token."""
    p = _Parser(text)
    if len(text) > MAX_QUERY_LEN:
        p.fail(f"query is too long ({len(text)} characters, at most {MAX_QUERY_LEN})",
               MAX_QUERY_LEN)
    verb = _verb(p)
    args = _clause(p, verb, _SPECS[verb], verb)
    return Query(verb, args, _pipes(p, verb), text)


def format_error(err: QuerySyntaxError) -> str:
    """One line: the message, then the query with '^' inserted at the failing column."""
    q, pos = err.query, err.pos
    if not q or pos < 0:
        return str(err)
    flat = "".join(c if c.isprintable() else " " for c in q)
    lo, hi = max(0, pos - 40), min(len(flat), pos + 40)
    before = ("..." if lo else "") + flat[lo:pos]
    after = flat[pos:hi] + ("..." if hi < len(flat) else "")
    return f"{err}: {before}^{after}"


# --------------------------------------------------------------------------- unparse

SEARCH_SCOPES = ("code", "comment", "string")


def search_query(words: list[str], scope: str | None = None, path: str | None = None) -> str:
    """The query of `vmxref search WORDS [--in S] [--path G]`: the words are one text, except
    trailing clauses of the language itself (`... in code`, `... path 'arch/*'`), so that
    `vmxref search tsc_khz in code` means what `vmxref q "search tsc_khz in code"` means."""
    words = list(words)
    while len(words) >= 3:
        if scope is None and words[-2] == "in" and words[-1] in SEARCH_SCOPES:
            scope = words[-1]
        elif path is None and words[-2] == "path":
            path = words[-1]
        else:
            break
        words = words[:-2]
    q = f"search {quote(' '.join(words))}"
    if scope:
        q += f" in {scope}"
    if path:
        q += f" path {quote(path)}"
    return q


def quote(s: str) -> str:
    """Quote `s` so that the parser reads it back exactly."""
    q = '"' if "'" in s and '"' not in s else "'"
    out = []
    for i, c in enumerate(s):
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if c == "\\" and (nxt == "" or nxt in _ESCAPABLE):
            out.append("\\\\")
        elif c == q:
            out.append("\\" + q)
        else:
            out.append(c)
    return q + "".join(out) + q


def _bare_text(text: str) -> str:
    """Search text as typed: bare when it scans back the same, else quoted."""
    words = text.split(" ")
    bare = (text and text[0] not in _QUOTES and "|" not in text
            and all(w and _full(_BARE, w) and w not in ("in", "path") for w in words))
    return text if bare else quote(text)


def _bare_glob(glob: str) -> str:
    return glob if glob[0] not in _QUOTES and _full(_BARE, glob) else quote(glob)


def _opt(key: str, value: Any) -> str:
    return "" if value is None else f" {key} {value}"


def _kind_opt(kinds: tuple[str, ...] | None) -> str:
    return f" kind {','.join(kinds)}" if kinds else ""


_UNPARSE: dict[str, Callable[[dict[str, Any]], str]] = {
    "def": lambda a: a["name"],
    "refs": lambda a: a["name"] + _kind_opt(a["kinds"]),
    "writes": lambda a: str(a["target"]) + _kind_opt(a["kinds"]),
    "reads": lambda a: str(a["target"]),
    "calls": lambda a: a["func"] + ("" if a["arg"] is None
                                    else f" arg {a['arg']} = {a['const']}"),
    "raises": lambda a: a["const"],
    "consumes": lambda a: a["const"],
    "callers": lambda a: a["func"] + _opt("depth", a["depth"]),
    "callees": lambda a: a["func"] + _opt("depth", a["depth"]),
    "path": lambda a: f"{a['from']} -> {a['to']}" + _opt("max", a["max"]),
    "provenance": lambda a: str(a["target"]) + _opt("depth", a["depth"]),
    "search": lambda a: (_bare_text(a["text"]) + _opt("in", a["in"])
                         + ("" if a["path"] is None else f" path {_bare_glob(a['path'])}")),
    "logline": lambda a: quote(a["line"]),
}


def _unparse_pipe(pipe: Pipe) -> str:
    if pipe.name == "limit":
        return f"limit {pipe.args['n']}"
    return f"paths from {pipe.args['from'] or 'entry'}" + _opt("depth", pipe.args["depth"])


def unparse(q: Query) -> str:
    """Canonical text of a query; parse(unparse(q)) == q."""
    parts = [f"{q.verb} {_UNPARSE[q.verb](q.args)}"]
    parts += [_unparse_pipe(p) for p in q.pipes]
    return " | ".join(parts)


# --------------------------------------------------------------------------- symbols

def _target_symbols(t: Target) -> list[tuple[str, str]]:
    # The head of `A.B` is usually a struct or typedef, but `hv_clock.tsc_shift`
    # (FIELD.FIELD) is answered too, so the head is only checked to exist.
    head = (t.struct or t.fields[0]).split("::", 1)[0]  # (a nested struct: its outer one)
    return [(head, "any")] + [(f, "field") for f in t.fields[1 if t.struct is None else 0:]]


def _is_name(s: str | None) -> bool:
    return s is not None and _full(_IDENT, s)


def symbols_of(q: Query) -> list[tuple[str, str]]:
    """Names the engine must check exist, as (name, role); role is one of ROLES."""
    a = q.args
    out: list[tuple[str, str]] = []
    if q.verb in ("def", "refs"):
        out.append((a["name"], "any"))
    elif q.verb in ("writes", "reads", "provenance"):
        out += _target_symbols(a["target"])
    elif q.verb == "callers" and "." in a["func"]:
        struct, member = a["func"].split(".", 1)
        out += [(struct.split("::", 1)[0], "any"), (member, "field")]
    elif q.verb in ("calls", "callers", "callees"):
        out.append((a["func"], "function"))
        if _is_name(a.get("const")):
            out.append((a["const"], "constant"))
    elif q.verb in ("raises", "consumes"):
        out.append((a["const"], "constant"))
    elif q.verb == "path":
        out += [(a["from"], "function"), (a["to"], "function")]
    out += [(p.args["from"], "function") for p in q.pipes
            if p.name == "paths" and p.args["from"]]
    return list(dict.fromkeys(out))
