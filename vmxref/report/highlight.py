"""Pygments highlighting into per-line HTML, with identifiers linked to symbol pages.

The output of `render_lines` is the only pre-escaped source text of the site: every token
goes through `markupsafe.escape`, links are built from generated page names only.
"""
from __future__ import annotations

from typing import Callable, Iterable

from markupsafe import Markup, escape
from pygments.formatters import HtmlFormatter
from pygments.lexers import CLexer, CppLexer
from pygments.token import STANDARD_TYPES, Name, _TokenType

Tokens = list[tuple[_TokenType, str]]
Linker = Callable[[int, str], "str | None"]  # (token index, name) -> href

CSS_SCOPE = ".hl"
_CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".mm")


def tokenize(lines: list[str], path: str) -> Tokens:
    """Lex a file (C, or C++ by suffix); token values keep every newline of the source."""
    cls = CppLexer if path.lower().endswith(_CPP_SUFFIXES) else CLexer
    lexer = cls(stripnl=False, stripall=False, ensurenl=True, tabsize=0)
    return list(lexer.get_tokens("\n".join(lines)))


_NOT_LOCAL_AFTER = frozenset({".", "struct", "union", "enum", "class"})


def name_tokens(tokens: Tokens) -> list[tuple[int, str, int, bool]]:
    """(token index, name, line, member) of every name token; `member` when it follows
    `.`, `->` or `::` (a field or a qualified name) or `struct`, `union`, `enum`, `class`
    (a tag): never a local, whatever locals the function has (`struct kvm *kvm`)."""
    out = []
    line, prev, prev2 = 1, "", ""
    for i, (ttype, value) in enumerate(tokens):
        if ttype in Name:
            member = prev in _NOT_LOCAL_AFTER or prev2 + prev in ("->", "::")
            out.append((i, value, line, member))
        line += value.count("\n")
        if value.strip():
            prev2, prev = prev, value
    return out


def _css_class(ttype: _TokenType) -> str:
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


def _piece(i: int, ttype: _TokenType, text: str, link: Linker) -> str:
    cls = _css_class(ttype)
    body = str(escape(text))
    if ttype in Name and (href := link(i, text)):
        body = f'<a class="id" href="{escape(href)}">{body}</a>'
    if not cls or cls == "w":  # whitespace needs no span
        return body
    return f'<span class="{escape(cls)}">{body}</span>'


def render_lines(tokens: Tokens, nlines: int, link: Linker) -> list[Markup]:
    """Per source line, its highlighted HTML (a name token linked where `link`, given its
    index and text, gives a page)."""
    out: list[list[str]] = [[]]
    for t, (ttype, value) in enumerate(tokens):
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                out.append([])
            if part:
                out[-1].append(_piece(t, ttype, part, link))
    lines = [Markup("".join(p)) for p in out[:nlines]]
    return lines + [Markup("")] * (nlines - len(lines))


def style_css() -> str:
    """Pygments colour rules for highlighted code, scoped to `.hl`."""
    return HtmlFormatter(style="default").get_style_defs(CSS_SCOPE)


def plain_lines(lines: Iterable[str]) -> list[Markup]:
    """Escaped, unhighlighted lines (fallback when a file has no tokens)."""
    return [escape(line) for line in lines]
