"""Which names a report's source pages link, and where (tests/fixtures/reportlinks)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitecheck import check_site, parse
from vmxref import api
from vmxref.model import Site
from vmxref.report import names, site
from vmxref.report.site import Entry, SiteBuilder, write_all
from vmxref.store import Store

FIX = Path(__file__).parent / "fixtures" / "reportlinks"
CLOCK = (FIX / "clock.c").read_text().splitlines()


def line_of(text: str) -> int:
    return next(i + 1 for i, t in enumerate(CLOCK) if text in t)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    ix = tmp_path_factory.mktemp("links") / "ix"
    api.index(str(FIX), "links@1", ix, profile=str(FIX / "profile.toml"), procs=1)
    return ix


def build(index: Path, out: Path) -> tuple[dict, dict]:
    """A report of one answer: the write of clk_time.scale in clock.c's clk_register."""
    n = line_of("t->scale = scale")
    answer = Site("write", "links", "1", "clock.c", n, 5, "clk_register", "clk_time.scale",
                  CLOCK[n - 1].strip())
    with Store.open(index) as st:
        summary = write_all(SiteBuilder(out, st), [Entry("k", "writes scale", "writes "
                                                         "clk_time.scale", sites=[answer])],
                            "index.html", corpora=["links@1"])
    return summary, check_site(out)


def page_of(name: str) -> str:
    return names.symbol_page("links", "1", name)


def test_answers_and_own_definitions_linked_past_the_budget(index, tmp_path, monkeypatch):
    monkeypatch.setattr(site, "MAX_SYMBOL_PAGES", 0)
    summary, pages = build(index, tmp_path / "o")
    src = pages[names.source_page("links", "1", "clock.c")]
    for name in ("clk_register", "clk_read", "clk_init", "first_user", "a_reply",  # defined
                 "clk_time", "scale"):  # named by the answer
        assert page_of(name) in src.links, name
    for name in ("ret", "clk_hw_read", "CLK_SCALE_SHIFT", "reply_a"):
        assert page_of(name) not in src.links, name
    # the rest are counted and said on the index page (and the answer's symbol links)
    assert summary["symbols_cut"] >= 4
    idx = "".join(pages["index.html"].text)
    assert f"{summary['symbols_cut']} names defined in the corpora" in " ".join(idx.split())
    q = pages[names.query_page("k", "writes scale")]
    assert page_of("scale") in q.links


def test_rest_by_priority(index, tmp_path, monkeypatch):
    monkeypatch.setattr(site, "MAX_SYMBOL_PAGES", 0)
    must = build(index, tmp_path / "a")[0]["symbol_pages"]
    monkeypatch.setattr(site, "MAX_SYMBOL_PAGES", must + 2)
    summary, pages = build(index, tmp_path / "b")
    src = pages[names.source_page("links", "1", "clock.c")]
    # a macro and a function first; a field of four structs (`ret`, `p`, `i`) last
    assert page_of("CLK_SCALE_SHIFT") in src.links and page_of("clk_hw_read") in src.links
    for name in ("ret", "p", "i", "reply_a"):
        assert page_of(name) not in src.links, name
    assert summary["symbols_cut"] >= 4


def test_no_note_when_nothing_is_cut(index, tmp_path):
    summary, pages = build(index, tmp_path / "o")
    assert summary["symbols_cut"] == 0
    assert "have no page" not in "".join(pages["index.html"].text)
    src = pages[names.source_page("links", "1", "clock.c")]
    assert page_of("reply_a") in src.links and page_of("clk_hw_read") in src.links


def links_on(out: Path, path: str, n: int) -> list[tuple[str, str]]:
    """(name, href) of the linked names on line `n` of a source page."""
    html = (out / names.source_page("links", "1", path)).read_text()
    body = html.split(f'<span id="L{n}"', 1)[1].split('<span id="L', 1)[0]
    return [(m[1], m[0]) for m in re.findall(r'<a class="id" href="([^"]+)">([^<]+)</a>', body)]


def test_locals_link_to_their_declaration(index, tmp_path):
    build(index, tmp_path / "o")
    out, page = tmp_path / "o", names.source_page("links", "1", "clock.c")
    decl_read, decl_first = line_of("u64 ret;"), line_of("int ret;")
    # clk_read's local `ret`: its declaration line, on this page; never the fields' page
    for n in (decl_read, line_of("ret = clk_hw_read"), decl_read + 3):
        assert ("ret", names.line_link(page, decl_read)) in links_on(out, "clock.c", n), n
    # first_user's own `ret`, `p` and `i`; `r->ret` and `r->p` are the fields
    line = links_on(out, "clock.c", line_of("ret = r->ret;"))
    assert line[0] == ("ret", names.line_link(page, decl_first))
    assert ("ret", page_of("ret")) in line
    line = links_on(out, "clock.c", line_of("for (i = 0"))
    assert ("i", names.line_link(page, line_of("int i;"))) in line
    assert ("p", names.line_link(page, line_of("int p = r->p;"))) in line
    # parameters too (`t` of clk_register, a different one from clk_read's)
    assert ("t", names.line_link(page, line_of("static void clk_register"))) in \
        links_on(out, "clock.c", line_of("t->scale = scale"))
    # a name used only as a local gets no symbol page
    assert not (out / page_of("i")).exists()
    assert not any(h == page_of("i") for n in range(1, len(CLOCK) + 1)
                   for _, h in links_on(out, "clock.c", n))


def test_struct_tag_is_not_the_local_of_its_name(index, tmp_path):
    build(index, tmp_path / "o")
    out, page = tmp_path / "o", names.source_page("links", "1", "clock.c")
    n = line_of("clk_scale_of(struct clk_time *clk_time)")
    assert [x for x in links_on(out, "clock.c", n) if x[0] == "clk_time"] == [
        ("clk_time", page_of("clk_time")), ("clk_time", names.line_link(page, n))]
    assert ("clk_time", names.line_link(page, n)) in links_on(out, "clock.c", n + 2)


def test_files_left_without_a_source_page_are_counted_and_said(index, tmp_path, monkeypatch):
    monkeypatch.setattr(site, "MAX_SOURCE_PAGES", 0)
    summary, pages = build(index, tmp_path / "o")
    assert summary["source_pages"] == 0 and summary["sources_cut"] == 1
    text = (tmp_path / "o" / "index.html").read_text()
    assert "link to no source" in text and "rows of 1 file link" in text
