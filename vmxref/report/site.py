"""The site builder: query pages, source pages, symbol pages, an index, one stylesheet.

Pages are written flat into one directory under hashed names (see names.py), so links are
relative file names. Templates get plain data; the only pre-escaped fields are highlighted
source lines (highlight.py) and SVG diagrams (svg.py).
"""
from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.resources import files as package_files
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from vmxref.model import Hop, Site
from vmxref.report import facts, highlight, names, svg
from vmxref.store import Store

MAX_SOURCE_PAGES = 400
# Symbol pages beyond the names every report links (those of the answers and those the shown
# files define): the rest of the names on source pages, by SiteBuilder._priority. The 12
# source pages of the shipped queries on Linux 6.1 and VirtualBox 6.1.36 hold about 7,300.
MAX_SYMBOL_PAGES = 12000
MAX_RESULTS_SHOWN = 2000
MAX_EXCERPTS = 400
MAX_TEXT_PATHS = 20
FACT_CAP = 200
CONTEXT = 2
BLOB_CACHE = 512

FileKey = tuple[str, str, str]  # corpus, version, path
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The rows of source and symbol pages (hundreds of thousands): Jinja reads `r.html` from an
# object at once, from a dict only after a failed getattr (an exception per field).
_Row = SimpleNamespace


@dataclass
class Entry:
    """One query as the report shows it (from a saved query file or a session record)."""

    key: str
    title: str
    query: str
    notes: str = ""
    corpus: str = ""
    sites: list[Site] = field(default_factory=list)
    status: str = "none"  # pass | fail | none | skipped | error
    messages: list[str] = field(default_factory=list)
    remark: str = ""  # what qualifies the results (engine.remark: more paths than shown)
    source: str = ""
    when: str = ""
    count: int | None = None  # the full count when `sites` is a recorded prefix

    @property
    def page(self) -> str:
        """The file name of this entry's page."""
        return names.query_page(self.key, self.title)

    @property
    def total(self) -> int:
        """Number of results (the recorded count, when known)."""
        return self.count if self.count is not None else len(self.sites)


@dataclass
class SourceFile:
    """A file a page links to, loaded and highlighted."""

    key: FileKey
    cid: int
    blob_id: int
    lines: list[str]
    tokens: highlight.Tokens
    hits: set[int] = field(default_factory=set)
    html: list[Markup] = field(default_factory=list)
    local_at: dict[int, int] = field(default_factory=dict)  # name token -> declaration line
    global_names: list[str] = field(default_factory=list)  # the other names, in order

    @property
    def page(self) -> str:
        return names.source_page(*self.key)


def make_env() -> Environment:
    """The Jinja2 environment: autoescape on, undefined names are errors."""
    return Environment(loader=PackageLoader("vmxref.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


class SiteBuilder:
    """Collects entries and the files they touch, then writes every page."""

    def __init__(self, out_dir: Path, store: Store | None):
        self.out = Path(out_dir)
        self.store = store
        self.env = make_env()
        self.cids = {(c["name"], c["version"]): c["id"] for c in store.corpora()} if store else {}
        self.wanted: dict[FileKey, set[int]] = {}
        self.sources: dict[FileKey, SourceFile] = {}
        self.symbols: set[tuple[str, str, str]] = set()
        self.answer_names: dict[tuple[str, str], set[str]] = {}  # (corpus, version) -> names
        self.symbols_cut = 0  # names with a definition left without a page (the budget)
        self.sources_cut = 0  # files of answers left without a source page (the budget)
        self.generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.pages = 0
        self.written: set[str] = set()  # the pages this build wrote (MANIFEST)
        self._blobs: OrderedDict[int, list[str]] = OrderedDict()

    # --- collecting ------------------------------------------------------------------
    def want(self, corpus: str, version: str, path: str, line: int) -> None:
        """Ask for a source page of a file (and mark a line of it as a hit)."""
        self.wanted.setdefault((corpus, version, path), set()).add(int(line))

    def want_entry(self, e: Entry) -> None:
        """Ask for the files of an entry's results and of their call paths."""
        for s in e.sites[:MAX_RESULTS_SHOWN]:
            self.want(s.corpus, s.version, s.file, s.line)
            named = self.answer_names.setdefault((s.corpus, s.version), set())
            named.update(_IDENT.findall(s.symbol or ""))
            if s.function:
                named.add(s.function)
            for p in (s.paths or [])[:svg.MAX_COLUMNS]:
                for h in p:
                    self.want(s.corpus, s.version, h.file, 0)
                    named.add(h.function)

    def prepare(self) -> None:
        """Load and lex the wanted files, choose symbol pages, highlight with links."""
        order = sorted(self.wanted, key=lambda k: (-len(self.wanted[k]), k))
        self.sources_cut = max(0, len(order) - MAX_SOURCE_PAGES)  # (their rows link nowhere)
        for key in order[:MAX_SOURCE_PAGES]:
            src = self._load(key)
            if src:
                self.sources[key] = src
        self._choose_symbols()
        for src in self.sources.values():
            link = self._linker(src)
            src.html = highlight.render_lines(src.tokens, len(src.lines), link)

    def _load(self, key: FileKey) -> SourceFile | None:
        cid = self.cids.get((key[0], key[1]))
        if cid is None or self.store is None:
            return None
        bid = facts.blob_of(self.store, cid, key[2])
        if bid is None:
            return None
        lines = self.lines_of(bid)
        hits = {n for n in self.wanted[key] if n > 0}
        src = SourceFile(key, cid, bid, lines, highlight.tokenize(lines, key[2]), hits)
        self._resolve_locals(src)
        return src

    def _resolve_locals(self, src: SourceFile) -> None:
        """Which name tokens are a parameter or local of the function (or macro) around
        them: those link to their declaration's line on the same page, never to a symbol
        page (of a field or global that only shares the name). A name after `.`, `->` or
        `::` is a member, never a local; the latest declaration above the use wins."""
        scopes = facts.local_scopes(self.store, src.blob_id)
        at: list[list[dict[str, list[int]]]] = [[] for _ in range(len(src.lines) + 2)]
        for start, end, decls in scopes:  # outer bodies first, so the innermost is last
            for n in range(start, min(end, len(src.lines)) + 1):
                at[n].append(decls)
        seen: dict[str, None] = {}
        for i, name, line, member in highlight.name_tokens(src.tokens):
            decl = None
            if not member and line < len(at):
                decl = next((d[name] for d in reversed(at[line]) if name in d), None)
            if decl:
                src.local_at[i] = next((n for n in reversed(decl) if n <= line), decl[0])
            elif name not in seen:
                seen[name] = None
        src.global_names = list(seen)

    def _choose_symbols(self) -> None:
        """The names that get a symbol page: every name of the answers and every name a
        shown file defines, then the other names on source pages by `_priority` until
        MAX_SYMBOL_PAGES (the rest are counted in `symbols_cut`, which the index says)."""
        among: dict[tuple[str, str], set[str]] = {}
        blobs: dict[tuple[str, str], set[int]] = {}
        for src in self.sources.values():
            cv = (src.key[0], src.key[1])
            among.setdefault(cv, set()).update(src.global_names)
            blobs.setdefault(cv, set()).add(src.blob_id)
        for cv, named in self.answer_names.items():  # linked from the query pages too
            if cv in self.cids:
                among.setdefault(cv, set()).update(named)
                blobs.setdefault(cv, set())
        must, rest = [], []
        for cv, idents in among.items():
            defined = facts.defined_names(self.store, self.cids[cv], idents)
            answers = self.answer_names.get(cv, set())
            for name, d in defined.items():
                if name in answers or d.blobs & blobs[cv]:
                    must.append((*cv, name))
                else:
                    rest.append((self._priority(name, d), (*cv, name)))
        rest.sort()
        room = max(0, MAX_SYMBOL_PAGES - len(must))
        self.symbols = set(must) | {key for _, key in rest[:room]}
        self.symbols_cut = max(0, len(rest) - room)

    @staticmethod
    def _priority(name: str, d: facts.Defined) -> tuple:
        """Sort key of a name no answer names and no shown file defines: functions, macros
        and types first, then fields, then variables and declarations; among equals, the
        names with fewer definitions (a `ret` or `p` defined as fields of forty structs
        comes last), then longer names."""
        return (d.rank, d.count, -len(name), name)

    def _linker(self, src: SourceFile):
        corpus, version = src.key[0], src.key[1]

        def link(i: int, name: str) -> str | None:
            if i in src.local_at:
                return names.line_link(src.page, src.local_at[i])
            if (corpus, version, name) in self.symbols:
                return names.symbol_page(corpus, version, name)
            return None
        return link

    # --- links -----------------------------------------------------------------------
    def line_href(self, corpus: str, version: str, path: str, line: int) -> str | None:
        """Link to a line of a generated source page (None when the page does not exist)."""
        src = self.sources.get((corpus, version, path))
        if src is None:
            return None
        if 0 < line <= len(src.lines):
            return names.line_link(src.page, line)
        return src.page

    def excerpt(self, corpus: str, version: str, path: str, line: int) -> list[dict]:
        """Highlighted lines around `line` ([] when the file is not loaded)."""
        src = self.sources.get((corpus, version, path))
        if src is None or not 0 < line <= len(src.lines):
            return []
        lo, hi = max(1, line - CONTEXT), min(len(src.lines), line + CONTEXT)
        return [{"n": n, "html": src.html[n - 1], "hit": n == line} for n in range(lo, hi + 1)]

    # --- pages -----------------------------------------------------------------------
    def render(self, template: str, page: str, **ctx: Any) -> None:
        """Render a template to a page of the site."""
        tpl = self.env.get_template(template)
        ctx.setdefault("home", "index.html")
        html = tpl.render(generated=self.generated, **ctx)
        (self.out / page).write_text(html, encoding="utf-8")
        self.pages += 1
        self.written.add(page)

    def write_entry(self, e: Entry, back: str = "index.html") -> None:
        """The page of one query."""
        groups, n_ex = [], 0
        by_file: dict[tuple[str, str, str], dict[str, list[dict]]] = {}
        has_paths = False
        for s in e.sites[:MAX_RESULTS_SHOWN]:
            view = self._result_view(s, with_excerpt=n_ex < MAX_EXCERPTS)
            n_ex += 1
            has_paths = has_paths or bool(s.paths)
            by_file.setdefault((s.corpus, s.version, s.file), {}).setdefault(
                s.function or "(file scope)", []).append(view)
        for (corpus, version, path), funcs in by_file.items():
            groups.append({"file": path, "corpus": f"{corpus}@{version}",
                           "href": self.line_href(corpus, version, path, 0),
                           "functions": [{"name": k, "results": v} for k, v in funcs.items()]})
        self.render("query.html", e.page, title=e.title, e=e, groups=groups, back=back,
                    shown=min(len(e.sites), MAX_RESULTS_SHOWN),
                    legend=svg.legend() if has_paths else Markup(""))

    def _result_view(self, s: Site, with_excerpt: bool) -> dict:
        def hop_link(h: Hop) -> str | None:
            return self.line_href(s.corpus, s.version, h.file, h.line)
        paths = s.paths or []
        details = [f"{k}: {_detail(v)}" for k, v in s.extra.items()
                   if isinstance(v, (str, int, float)) and v != "" and k != "depth"]
        last = _IDENT.findall(s.symbol or "")[-1:]
        symbol_href = (names.symbol_page(s.corpus, s.version, last[0])
                       if last and (s.corpus, s.version, last[0]) in self.symbols else None)
        return {"line": s.line, "col": s.col, "kind": s.kind, "symbol": s.symbol,
                "symbol_href": symbol_href,
                "text": s.text, "details": details,
                "href": self.line_href(s.corpus, s.version, s.file, s.line),
                "excerpt": self.excerpt(s.corpus, s.version, s.file, s.line) if with_excerpt else [],
                "svg": svg.path_diagram(paths, hop_link, f"call paths to {s.function or s.file}"),
                "npaths": len(paths), "asked_paths": s.paths is not None,
                "more_paths": [svg.path_text(p) for p in paths[svg.MAX_COLUMNS:][:MAX_TEXT_PATHS]]}

    def write_sources(self) -> None:
        """One page per loaded source file, with line anchors."""
        for src in self.sources.values():
            rows = [_Row(n=i + 1, html=h, hit=(i + 1) in src.hits)
                    for i, h in enumerate(src.html)]
            self.render("source.html", src.page, title=src.key[2], path=src.key[2],
                        corpus=f"{src.key[0]}@{src.key[1]}", rows=rows)

    def lines_of(self, blob_id: int) -> list[str]:
        """Source lines of a blob, cached for the whole build (LRU of BLOB_CACHE blobs)."""
        if blob_id in self._blobs:
            self._blobs.move_to_end(blob_id)
        else:
            self._blobs[blob_id] = list(self.store.lines(blob_id))
            if len(self._blobs) > BLOB_CACHE:
                self._blobs.popitem(last=False)
        return self._blobs[blob_id]

    def write_symbols(self) -> None:
        """One page per chosen symbol."""
        readers: dict[int, facts.FactReader] = {}
        for corpus, version, name in sorted(self.symbols):
            cid = self.cids[(corpus, version)]
            if cid not in readers:
                wanted = {n for c, v, n in self.symbols if (c, v) == (corpus, version)}
                readers[cid] = facts.FactReader(self.store, cid, wanted, self.lines_of)
            sf = readers[cid].symbol(name, FACT_CAP)
            sections = []
            for title, (total, rows) in sf.sections.items():
                sections.append({"title": title, "total": total, "rows": [
                    _Row(path=r.path, line=r.line, what=r.what, function=r.function,
                         text=r.text, href=self.line_href(corpus, version, r.path, r.line))
                    for r in rows]})
            self.render("symbol.html", names.symbol_page(corpus, version, name), title=name,
                        name=name, corpus=f"{corpus}@{version}", sections=sections, cap=FACT_CAP)

    def write_css(self) -> None:
        """The stylesheet: the package's style.css plus the Pygments colours."""
        base = package_files("vmxref.report").joinpath("static/style.css").read_text("utf-8")
        (self.out / "style.css").write_text(base + "\n" + highlight.style_css() + "\n",
                                            encoding="utf-8")


def _detail(v) -> str:
    """A result's extra value as the page shows it: a JSON list of texts (a log call's
    `args`) as the texts, comma-separated, not as JSON with its escapes."""
    if isinstance(v, str) and v.startswith("[") and v.endswith("]"):
        import json
        try:
            items = json.loads(v)
        except ValueError:
            return v
        if isinstance(items, list) and all(isinstance(x, str) for x in items):
            return ", ".join(items)
    return str(v)


MANIFEST = ".vmxref-site"  # the pages a build wrote, one per line, in the site's folder


def _replace_manifest(out: Path, written: set[str]) -> None:
    """Remove the pages an earlier build into the same folder wrote and this one did not
    (a query dropped from the report, a symbol no longer shown), then record this build's.
    Only files an earlier manifest names are removed: the folder's other files stay."""
    man = out / MANIFEST
    try:
        before = set(man.read_text(encoding="utf-8").split("\n"))
    except OSError:
        before = set()
    for name in sorted(before - written):
        if name and "/" not in name and not name.startswith("."):
            try:
                (out / name).unlink()
            except OSError:
                pass
    man.write_text("\n".join(sorted(written)) + "\n", encoding="utf-8")


def write_all(b: SiteBuilder, entries: list[Entry], index_template: str,
              **index_ctx: Any) -> dict:
    """Prepare and write every page; returns counts and the time taken."""
    t0 = time.perf_counter()
    b.out.mkdir(parents=True, exist_ok=True)
    for e in entries:
        if e.status not in ("skipped", "error"):
            b.want_entry(e)
    b.prepare()
    for e in entries:
        if e.status not in ("skipped", "error"):
            b.write_entry(e)
    b.write_sources()
    b.write_symbols()
    b.write_css()
    b.render(index_template, "index.html", title=index_ctx.pop("title", "vmxref report"),
             entries=entries, symbols_cut=b.symbols_cut, symbol_pages=len(b.symbols),
             max_symbol_pages=MAX_SYMBOL_PAGES, sources_cut=b.sources_cut,
             max_source_pages=MAX_SOURCE_PAGES, **index_ctx)
    _replace_manifest(b.out, b.written | {"style.css"})
    return {"out": str(b.out), "pages": b.pages, "queries": len(entries),
            "source_pages": len(b.sources), "symbol_pages": len(b.symbols),
            "symbols_cut": b.symbols_cut, "sources_cut": b.sources_cut,
            "skipped": [e.title for e in entries if e.status == "skipped"],
            "errors": [e.title for e in entries if e.status == "error"],
            "failed": [e.title for e in entries if e.status == "fail"],
            "seconds": round(time.perf_counter() - t0, 3)}
