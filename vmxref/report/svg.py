"""Call-path diagrams as inline SVG, made in Python (no native binary).

A diagram shows up to MAX_COLUMNS paths side by side, one column per path, the entry point
at the top and the result's function at the bottom. Each arrow is styled by its edge kind
(colour and dash pattern) and labelled with the kind, so the legend is not the only cue.
All text is escaped; links are generated page names only.
"""
from __future__ import annotations

from typing import Callable

from markupsafe import Markup

from vmxref.model import Hop

# edge kind -> (colour, dash pattern, legend text)
EDGE_STYLES: dict[str, tuple[str, str, str]] = {
    "direct": ("#404040", "", "direct call"),
    "ops-table": ("#1f6fb4", "7 3", "through an ops table"),
    "static-call": ("#7b3fb0", "2 3", "static_call()"),
    "pointer": ("#d06a00", "9 3 2 3", "function pointer"),
    "registered": ("#238b23", "4 4", "registered callback"),
    "deferred": ("#c62828", "12 4", "deferred request"),
    "macro": ("#7a5230", "1 3", "macro"),
    "stored": ("#238b23", "1 5", "stored callback, called outside the corpus"),
    "queued": ("#c62828", "6 2 1 2", "work item queued"),
}
_UNKNOWN = ("#777777", "3 2", "other")

MAX_COLUMNS = 4
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 230, 40, 70, 46, 8
LABEL_ROOM = 150  # right of the last column, for arrow labels
MAX_CHARS = 30

LinkFn = Callable[[Hop], "str | None"]


def _short(text: str, n: int = MAX_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _style(edge: str) -> tuple[str, str, str]:
    return EDGE_STYLES.get(edge, _UNKNOWN)


def _box(h: Hop, x: int, y: int, href: str | None) -> str:
    entry = bool(h.entry)
    where = f"{h.file.rsplit('/', 1)[-1]}:{h.line}"
    label = _short(h.function or "?") if not entry else _short(f"{h.function} [{h.entry}]")
    body = Markup(
        '<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="5" class="{cls}"/>'
        '<text x="{tx}" y="{ty1}" class="fn">{label}</text>'
        '<text x="{tx}" y="{ty2}" class="loc">{where}</text>'
        '<title>{full}</title>').format(
        x=x, y=y, w=BOX_W, h=BOX_H, cls="entry" if entry else "hop", tx=x + PAD,
        ty1=y + 16, ty2=y + 32, label=label, where=_short(where, 36),
        full=f"{h.function} ({h.file}:{h.line})" + (f" entry: {h.entry}" if entry else ""))
    if href:
        return str(Markup('<a href="{}">{}</a>').format(href, body))
    return str(body)


def _arrow(h: Hop, x: int, y0: int, y1: int) -> str:
    colour, dash, _ = _style(h.edge or "direct")
    cx = x + BOX_W // 2
    label = _short(h.edge + (f": {h.via}" if h.via else ""), 40) if h.edge else ""
    dash_attr = Markup(' stroke-dasharray="{}"').format(dash) if dash else Markup("")
    return str(Markup(
        '<line x1="{cx}" y1="{y0}" x2="{cx}" y2="{ya}" stroke="{c}" stroke-width="2"{d}/>'
        '<polygon points="{p}" fill="{c}"/>'
        '<text x="{tx}" y="{ty}" class="edge" fill="{c}">{label}</text>').format(
        cx=cx, y0=y0, ya=y1 - 7, c=colour, d=dash_attr,
        p=f"{cx - 5},{y1 - 8} {cx + 5},{y1 - 8} {cx},{y1}", tx=cx + 6, ty=(y0 + y1) // 2 + 4,
        label=label))


def _column(path: list[Hop], x: int, link: LinkFn) -> list[str]:
    parts = []
    for i, h in enumerate(path):
        y = PAD + i * (BOX_H + GAP_Y)
        parts.append(_box(h, x, y, link(h)))
        if i + 1 < len(path):
            parts.append(_arrow(h, x, y + BOX_H, y + BOX_H + GAP_Y))
    return parts


def path_diagram(paths: list[list[Hop]], link: LinkFn, title: str = "call paths") -> Markup:
    """An inline <svg> of up to MAX_COLUMNS paths (entry at the top); empty when no paths."""
    shown = [p for p in paths if p][:MAX_COLUMNS]
    if not shown:
        return Markup("")
    rows = max(len(p) for p in shown)
    width = PAD * 2 + len(shown) * BOX_W + (len(shown) - 1) * GAP_X + LABEL_ROOM
    height = PAD * 2 + rows * BOX_H + (rows - 1) * GAP_Y
    body: list[str] = []
    for col, p in enumerate(shown):
        body += _column(p, PAD + col * (BOX_W + GAP_X), link)
    head = Markup('<svg class="paths" xmlns="http://www.w3.org/2000/svg" role="img" '
                  'width="{w}" height="{h}" viewBox="0 0 {w} {h}"><title>{t}</title>').format(
        w=width, h=height, t=title)
    return head + Markup("".join(body)) + Markup("</svg>")


def legend() -> Markup:
    """A small SVG legend of the edge kinds."""
    items = list(EDGE_STYLES.items())
    parts = []
    for i, (kind, (colour, dash, text)) in enumerate(items):
        x = 8 + (i % 3) * 290
        y = 16 + (i // 3) * 22
        d = Markup(' stroke-dasharray="{}"').format(dash) if dash else Markup("")
        parts.append(str(Markup(
            '<line x1="{x}" y1="{y}" x2="{x2}" y2="{y}" stroke="{c}" stroke-width="2"{d}/>'
            '<text x="{tx}" y="{ty}" class="edge">{k} ({t})</text>').format(
            x=x, x2=x + 40, y=y, c=colour, d=d, tx=x + 46, ty=y + 4, k=kind, t=text)))
    rows = (len(items) + 2) // 3
    return Markup('<svg class="legend" xmlns="http://www.w3.org/2000/svg" role="img" '
                  'width="880" height="{h}" viewBox="0 0 880 {h}"><title>edge kinds</title>'
                  ).format(h=rows * 22 + 10) + Markup("".join(parts)) + Markup("</svg>")


def path_text(path: list[Hop]) -> str:
    """A one-line text form of a path (for paths beyond the diagram and for Markdown)."""
    out = []
    for h in path:
        out.append(h.function + (f" [{h.entry}]" if h.entry else "") + f" ({h.file}:{h.line})")
        if h.edge:
            out.append(f"-{h.edge}" + (f" {h.via}" if h.via else "") + "->")
    return " ".join(out)
