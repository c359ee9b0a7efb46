"""A small C-preprocessor-style expander of macro calls, over definitions handed in.

macroforms.arg_use reads a macro body as text and follows an argument into the macros the
body calls; it cannot follow one through a body that makes the name of the macro it calls
by pasting, calls through a parameter (`#define RT_UNPACK_CALL(a_Fn, a_Args) a_Fn a_Args`)
or dispatches on a count of its arguments. IPRT's RT_NOREF does all three:
`RT_NOREF(x)` counts its arguments, pastes the count onto RT_NOREF and calls RT_NOREF1(x),
which casts x to void. There it asks this module for the expansion itself: a call of the
macro with a sentinel argument, expanded with the corpus's own definitions, in which the
sentinel's uses are classified as in a body.

The expansion follows C11 6.10.3: a function-like macro's parameter is replaced by its
argument fully macro-expanded, except next to `#` (stringified) or `##` (pasted as
written, an empty one a placemarker); `__VA_ARGS__` (or a GNU `name...`) is the variable
arguments, `, ## __VA_ARGS__` drops the comma when they are empty, `__VA_OPT__(..)` keeps
its tokens only when they are not; the result is rescanned with the rest of the text. A
macro is not expanded again inside its own expansion: each token carries the set of
macros it came out of (Prosser's hide sets), kept as the token travels, so a name
painted inside its own expansion stays unexpanded. Limits on the number of expansions,
the tokens held and the nesting of argument expansions end a runaway definition
(Incomplete).

A macro with several definitions (versions, configurations) is expanded once for each
choice of them (a choice made per macro name, the same at every use in one expansion), up
to MAX_VARIANTS; a choice under which a macro is called with a number of arguments its
definition does not take is a configuration that would not compile that call, and gives
no expansion.
"""
from __future__ import annotations

from vmxref.lazy import re

RESERVED = "__vmxref_"  # prefix of the names this module makes up (never looked up)
SENTINEL = RESERVED + "arg__"
MAX_STEPS = 4000      # macro expansions in one expansion of a call
MAX_TOKENS = 20000    # tokens held at once (pending and expanded)
MAX_DEPTH = 48        # nested argument pre-expansions
MAX_VARIANTS = 16     # expansions tried for the choices of definitions

_TOKEN = re.compile(
    r"(?s)(?P<ws>(?:\s|\\(?=\s|$)|/\*.*?\*/|//[^\n]*)+)"
    r"|(?P<str>(?:u8|[uUL])?(?:\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'))"
    r"|(?P<num>\.?\d(?:[eEpP][+-]|[\w.])*)"
    r"|(?P<id>[A-Za-z_$][\w$]*)"
    r"|(?P<op>\#\#|%:%:|\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|.)")


class Incomplete(Exception):
    """The expansion could not be completed: a limit reached, or a text it cannot read."""


class _Arity(Exception):
    """A macro called with a number of arguments its chosen definition does not take."""


class _Choose(Exception):
    """A macro with several definitions met before one was chosen for it."""

    def __init__(self, name: str, count: int) -> None:
        super().__init__(name)
        self.name, self.count = name, count


class Macro:
    """One definition: `params` None for an object-like macro, else the parameter names
    (a variadic last one `...` or `name...`); `alt`, the object-like reading of a text the
    index keeps ambiguous (`(UINT32_MAX)`: a parameter list with no body, or a body);
    `whole` False for a body the index keeps cut."""

    __slots__ = ("params", "body", "alt", "whole")

    def __init__(self, params, body: str, alt: str | None = None, whole: bool = True) -> None:
        self.params = tuple(params) if params is not None else None
        self.body, self.alt, self.whole = body, alt, whole

    def key(self) -> tuple:
        return (self.params, self.body, self.alt, self.whole)

    def __repr__(self) -> str:
        return f"Macro({self.params!r}, {self.body!r})"


class Tok:
    """A preprocessing token: text, kind (id, num, str, op, or pm for a placemarker),
    whether whitespace came before it, and its hide set."""

    __slots__ = ("text", "kind", "space", "hs")

    def __init__(self, text: str, kind: str, space: bool = False,
                 hs: frozenset = frozenset()) -> None:
        self.text, self.kind, self.space, self.hs = text, kind, space, hs

    def __repr__(self) -> str:
        return self.text


def lex(text: str) -> list[Tok]:
    """The tokens of a text (comments and continuation backslashes are whitespace)."""
    out: list[Tok] = []
    space = False
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            space = True
            continue
        out.append(Tok(m.group(), kind, space))
        space = False
    return out


def render(toks: list[Tok]) -> str:
    """The text of expanded tokens, one space between each two (no two tokens run into
    one)."""
    return " ".join(t.text for t in toks)


def _stringified(arg: list[Tok], space: bool) -> Tok:
    """`#param`: the argument's spelling as a string literal."""
    parts = []
    for i, t in enumerate(arg):
        if i and t.space:
            parts.append(" ")
        parts.append(t.text.replace("\\", "\\\\").replace('"', '\\"') if t.kind == "str"
                     else t.text)
    return Tok('"' + "".join(parts) + '"', "str", space)


def _params(macro: Macro) -> tuple[list[str], str | None]:
    """(parameter names, the variadic one's name or None): `...` is __VA_ARGS__."""
    names, va = [], None
    for p in macro.params or ():
        if p.endswith("..."):
            va = p[:-3].strip() or "__VA_ARGS__"
            names.append(va)
        else:
            names.append(p)
    return names, va


class Expander:
    """Expands texts with the definitions `defs(name)` gives (a list of Macro; empty for a
    name that is no macro), within the limits."""

    def __init__(self, defs, max_steps: int = MAX_STEPS, max_tokens: int = MAX_TOKENS,
                 max_depth: int = MAX_DEPTH, max_variants: int = MAX_VARIANTS) -> None:
        self._lookup = defs
        self._defs: dict[str, list[Macro]] = {}
        self._bodies: dict[tuple, list[Tok]] = {}
        self.max_steps, self.max_tokens = max_steps, max_tokens
        self.max_depth, self.max_variants = max_depth, max_variants
        self.choice: dict[str, int] = {}
        self.steps = 0

    def definitions(self, name: str) -> list[Macro]:
        """The distinct definitions of `name` (none for the names made up here)."""
        if name not in self._defs:
            out, seen = [], set()
            if not name.startswith(RESERVED):
                for d in self._lookup(name) or ():
                    if d.key() not in seen:
                        seen.add(d.key())
                        out.append(d)
            self._defs[name] = out
        return self._defs[name]

    def expand(self, text: str, choice: dict[str, int] | None = None) -> str:
        """The expansion of `text` with one definition chosen for each macro that has
        several (`choice`: name -> index into its definitions); raises Incomplete, or
        _Choose for a macro with several definitions and no choice, or _Arity."""
        self.choice = dict(choice or {})
        self.steps = 0
        return render(self._expand(lex(text), 0))

    def expand_all(self, text: str, choice: dict[str, int] | None = None) -> list[str]:
        """The expansions of `text`, one for each choice of definitions (see the module's
        docstring) that gives one; raises Incomplete when a limit is reached or more than
        max_variants expansions are tried."""
        todo, out, tried = [dict(choice or {})], [], 0
        while todo:
            ch = todo.pop()
            tried += 1
            if tried > self.max_variants:
                raise Incomplete("too many choices of definitions")
            try:
                out.append(self.expand(text, ch))
            except _Choose as c:
                todo.extend({**ch, c.name: i} for i in reversed(range(c.count)))
            except _Arity:
                continue
        return out

    def _body(self, d: Macro, alt: bool) -> list[Tok]:
        key = (d.key(), alt)
        if key not in self._bodies:
            self._bodies[key] = lex(d.alt if alt else d.body)
        return self._bodies[key]

    def _pick(self, name: str, pending: list[Tok]) -> tuple[Macro, bool] | None:
        """(definition, read as object-like) of the macro `name` expands by here (its
        next token is pending[-1]), or None when it does not expand."""
        ds = self.definitions(name)
        if not ds:
            return None
        paren = bool(pending) and pending[-1].kind == "op" and pending[-1].text == "("
        if not paren and all(d.params is not None and d.alt is None for d in ds):
            return None  # (a function-like macro's name without arguments)
        if len(ds) == 1:
            d = ds[0]
        elif name in self.choice:
            d = ds[self.choice[name]]
        else:
            raise _Choose(name, len(ds))
        if not d.whole:
            raise Incomplete(f"the definition of {name} is cut")
        if d.params is None or paren:
            return d, d.params is None
        return (d, True) if d.alt is not None else None

    def _expand(self, toks: list[Tok], depth: int) -> list[Tok]:
        """`toks` fully macro-expanded (as the rest of a text: a function-like macro's name
        at the end takes no arguments from beyond it)."""
        if depth > self.max_depth:
            raise Incomplete("arguments nested too deep")
        pending = toks[::-1]
        out: list[Tok] = []
        while pending:
            t = pending.pop()
            if t.kind != "id" or t.text in t.hs:
                out.append(t)
                continue
            picked = self._pick(t.text, pending)
            if picked is None:
                out.append(t)
                continue
            d, as_object = picked
            self.steps += 1
            if self.steps > self.max_steps:
                raise Incomplete("too many expansions")
            if as_object:
                body = self._subst(self._body(d, d.params is not None), None, None,
                                   t.hs | {t.text}, depth)
            else:
                args, close = self._arguments(pending)
                binding, va = self._bind(d, args)
                body = self._subst(self._body(d, False), binding, va,
                                   (t.hs & close.hs) | {t.text}, depth)
            if body:
                body[0] = Tok(body[0].text, body[0].kind, t.space, body[0].hs)
            pending.extend(reversed(body))
            if len(pending) + len(out) > self.max_tokens:
                raise Incomplete("expansion too long")
        return out

    @staticmethod
    def _arguments(pending: list[Tok]) -> tuple[list[list[Tok]], Tok]:
        """The arguments of a call whose `(` is pending[-1] (taken off `pending`), and its
        closing parenthesis."""
        pending.pop()
        args: list[list[Tok]] = []
        cur: list[Tok] = []
        level = 0
        while pending:
            t = pending.pop()
            if t.kind == "op" and t.text == "(":
                level += 1
            elif t.kind == "op" and t.text == ")":
                if level == 0:
                    args.append(cur)
                    return args, t
                level -= 1
            elif t.kind == "op" and t.text == "," and level == 0:
                args.append(cur)
                cur = []
                continue
            cur.append(t)
        raise Incomplete("a macro call without its closing parenthesis")

    @staticmethod
    def _bind(d: Macro, args: list[list[Tok]]) -> tuple[dict[str, list[Tok]], str | None]:
        """{parameter: argument tokens} of a call, and the variadic parameter's name."""
        names, va = _params(d)
        if not names:
            if args != [[]]:
                raise _Arity(d)
            return {}, None
        if va is None:
            if len(args) != len(names):
                raise _Arity(d)
            return dict(zip(names, args)), None
        fixed = len(names) - 1
        if len(args) < fixed or (fixed == 0 and not args):
            raise _Arity(d)
        binding = dict(zip(names[:-1], args[:fixed]))
        rest: list[Tok] = []
        for i, a in enumerate(args[fixed:]):
            if i:
                rest.append(Tok(",", "op"))
            rest.extend(a)
        binding[va] = rest
        return binding, va

    def _subst(self, body: list[Tok], binding: dict[str, list[Tok]] | None, va: str | None,
               hs: frozenset, depth: int) -> list[Tok]:
        """A replacement list with the arguments put in (C11 6.10.3.1-3), every token
        given the hide set `hs` too."""
        binding = binding or {}
        expanded: dict[str, list[Tok]] = {}
        out: list[Tok] = []
        i, n = 0, len(body)
        while i < n:
            t = body[i]
            nxt = body[i + 1] if i + 1 < n else None
            is_param = t.kind == "id" and t.text in binding
            if t.kind == "op" and t.text in ("#", "%:") and binding and nxt is not None \
                    and nxt.kind == "id" and nxt.text in binding:
                out.append(_stringified(binding[nxt.text], t.space))
                i += 2
                continue
            if t.kind == "op" and t.text in ("##", "%:%:"):
                if not out or nxt is None:
                    raise Incomplete("## at an end of a replacement list")
                i += 2
                if nxt.kind == "id" and nxt.text in binding:
                    rhs = binding[nxt.text]
                    if nxt.text == va and out[-1].kind == "op" and out[-1].text == ",":
                        if not rhs:  # `, ## __VA_ARGS__` with none: no comma either
                            out.pop()
                        else:
                            out.extend(_copies(rhs, nxt.space))
                        continue
                else:
                    rhs = [nxt]
                if not rhs:
                    continue  # (a placemarker on the right: the left stays)
                lhs = out.pop()
                if lhs.kind == "pm":
                    out.extend(_copies(rhs, lhs.space))
                else:
                    out.extend(_pasted(lhs, rhs[0]))
                    out.extend(_copies(rhs[1:], None))
                continue
            if is_param:
                arg = binding[t.text]
                if nxt is not None and nxt.kind == "op" and nxt.text in ("##", "%:%:"):
                    out.extend(_copies(arg, t.space) or [Tok("", "pm", t.space)])
                else:
                    if t.text not in expanded:
                        expanded[t.text] = self._expand(arg, depth + 1)
                    out.extend(_copies(expanded[t.text], t.space))
                i += 1
                continue
            if va is not None and t.kind == "id" and t.text == "__VA_OPT__" \
                    and nxt is not None and nxt.text == "(":
                end = _closing(body, i + 1)
                if self._expand(binding[va], depth + 1):
                    out.extend(self._subst(body[i + 2:end], binding, va, frozenset(), depth))
                else:
                    out.append(Tok("", "pm", t.space))
                i = end + 1
                continue
            out.append(Tok(t.text, t.kind, t.space))
            i += 1
        return [Tok(x.text, x.kind, x.space, x.hs | hs) for x in out if x.kind != "pm"]


def _copies(toks: list[Tok], space: bool | None) -> list[Tok]:
    """Copies of tokens, the first with `space` (None: as it was)."""
    out = [Tok(t.text, t.kind, t.space, t.hs) for t in toks]
    if out and space is not None:
        out[0].space = space
    return out


def _pasted(lhs: Tok, rhs: Tok) -> list[Tok]:
    """`lhs ## rhs`: one token, or (a paste that makes no one token, which a compiler
    rejects) the two as they were."""
    toks = lex(lhs.text + rhs.text)
    if len(toks) == 1:
        return [Tok(toks[0].text, toks[0].kind, lhs.space, lhs.hs & rhs.hs)]
    return [lhs, Tok(rhs.text, rhs.kind, rhs.space, rhs.hs)]


def _closing(body: list[Tok], i: int) -> int:
    """The index of the parenthesis closing the one at body[i]."""
    level = 0
    for k in range(i, len(body)):
        if body[k].kind == "op" and body[k].text == "(":
            level += 1
        elif body[k].kind == "op" and body[k].text == ")":
            level -= 1
            if level == 0:
                return k
    raise Incomplete("__VA_OPT__ without its closing parenthesis")


def call_expansions(defs, macro: str, idx: int, nargs: int | None = None,
                    **limits) -> list[str] | None:
    """The expansions (one per choice of definitions) of a call of `macro` with SENTINEL as
    its idx-th argument, and made-up names for the others: `nargs` arguments for a
    variadic definition (at least idx + 1 and its named parameters; that many when None),
    as many as its parameters for another. None when an expansion is incomplete, or none
    is had (no function-like definition takes such a call)."""
    ex = Expander(defs, **limits)
    ds = ex.definitions(macro)
    out: list[str] = []
    try:
        for i, d in enumerate(ds):
            if d.params is None:
                continue
            names, va = _params(d)
            fixed = len(names) - (va is not None)
            if va is None:
                count = len(names)
            else:
                count = max(idx + 1, fixed, nargs if nargs is not None else 0)
            if idx >= count:
                continue
            args = [SENTINEL if k == idx else f"{RESERVED}{k}__" for k in range(count)]
            out += ex.expand_all(f"{macro}({', '.join(args)})", {macro: i} if len(ds) > 1
                                 else None)
    except Incomplete:
        return None
    return out or None
