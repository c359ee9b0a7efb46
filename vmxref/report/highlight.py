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
Linker = Callable[[str], "str | None"]

CSS_SCOPE = ".hl"
_CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".mm")


def tokenize(lines: list[str], path: str) -> Tokens:
    """Lex a file (C, or C++ by suffix); token values keep every newline of the source."""
    cls = CppLexer if path.lower().endswith(_CPP_SUFFIXES) else CLexer
    lexer = cls(stripnl=False, stripall=False, ensurenl=True, tabsize=0)
    return list(lexer.get_tokens("\n".join(lines)))


def identifiers(tokens: Tokens) -> list[str]:
    """Names in the token stream, in order of first appearance."""
    seen: dict[str, None] = {}
    for ttype, value in tokens:
        if ttype in Name and value not in seen:
            seen[value] = None
    return list(seen)


def _css_class(ttype: _TokenType) -> str:
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


def _piece(ttype: _TokenType, text: str, link: Linker) -> str:
    cls = _css_class(ttype)
    body = str(escape(text))
    if ttype in Name and (href := link(text)):
        body = f'<a class="id" href="{escape(href)}">{body}</a>'
    if not cls or cls == "w":  # whitespace needs no span
        return body
    return f'<span class="{escape(cls)}">{body}</span>'


def render_lines(tokens: Tokens, nlines: int, link: Linker) -> list[Markup]:
    """Per source line, its highlighted HTML (identifiers linked where `link` gives a page)."""
    out: list[list[str]] = [[]]
    for ttype, value in tokens:
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                out.append([])
            if part:
                out[-1].append(_piece(ttype, part, link))
    lines = [Markup("".join(p)) for p in out[:nlines]]
    return lines + [Markup("")] * (nlines - len(lines))


def style_css() -> str:
    """Pygments colour rules for highlighted code, scoped to `.hl`."""
    return HtmlFormatter(style="default").get_style_defs(CSS_SCOPE)


def plain_lines(lines: Iterable[str]) -> list[Markup]:
    """Escaped, unhighlighted lines (fallback when a file has no tokens)."""
    return [escape(line) for line in lines]
