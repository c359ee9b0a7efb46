"""Checks on a generated static site, by parsing every page with html.parser."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.(?:html|css)")
HOSTILE = ("<script", "</script", "<img", "<svg onload")  # tag starts; text is fine


class Page(HTMLParser):
    """Tags, ids, links and text of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.text: list[str] = []
        self.classes: dict[str, list[str]] = {}
        self._cls: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(a["id"])
        for k in ("href", "src", "xlink:href", "action", "formaction"):
            if a.get(k) is not None:
                self.links.append(a[k])
        self._cls.append(a.get("class"))

    def handle_endtag(self, tag):
        if self._cls:
            self._cls.pop()

    def handle_data(self, data):
        self.text.append(data)
        cls = next((c for c in reversed(self._cls) if c), None)
        if cls:
            self.classes.setdefault(cls, []).append(data)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


def check_site(out: Path) -> dict[str, Page]:
    """Assert the site's invariants; returns the parsed pages by file name."""
    files = {f.name: f for f in out.iterdir() if f.name != ".vmxref-site"}  # (the manifest)
    for name in files:
        assert SAFE_NAME.fullmatch(name), f"unsafe file name {name!r}"
    pages = {n: parse(f) for n, f in files.items() if n.endswith(".html")}
    for name, page in pages.items():
        for tag, attrs in page.tags:
            assert tag not in ("script", "iframe", "object", "embed", "img", "base", "form"), \
                f"{name}: <{tag}> element"
            for k in attrs:
                assert not k.lower().startswith("on"), f"{name}: <{tag} {k}=...>"
                assert k.lower() != "style", f"{name}: inline style attribute"
        raw = files[name].read_text(encoding="utf-8").lower()
        for bad in HOSTILE:
            assert bad not in raw, f"{name}: contains {bad!r} unescaped"
        for link in page.links:
            _check_link(name, link, files, pages)
    return pages


def _check_link(page: str, link: str, files: dict[str, Path], pages: dict[str, Page]) -> None:
    assert "://" not in link and not link.startswith(("/", "\\")) and ":" not in link, \
        f"{page}: non-relative link {link!r}"
    target, _, frag = link.partition("#")
    target = unquote(target) or page
    assert target in files, f"{page}: link to missing {target!r}"
    if frag:
        assert frag in pages[target].ids, f"{page}: missing anchor #{frag} in {target}"
