"""`vmxref report`: a static site from a fixture corpus with a hostile file, parsed back."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitecheck import check_site, parse
from vmxref import api
from vmxref.cli import cli
from vmxref.model import Hop, Site
from vmxref.queries.saved import load_all
from vmxref.report import build_site, names, svg
from vmxref.report.site import Entry, SiteBuilder, write_all
from vmxref.store import Store

FIX = Path(__file__).parent / "fixtures" / "report"
PROFILE = FIX / "profile.toml"
HOSTILE_NAME = 'x"><img src=x onerror=alert(1)>.c'
HOSTILE_SRC = """// SPDX-License-Identifier: CC0-1.0
// </script><script>alert(1)</script> "><img src=x onerror=alert(2)>
#include "kvm_host.h"

static const char *evil_banner = "</script><script>alert(3)</script>\\"><img src=x onerror=alert(4)>";

/* "><img src=x onerror=alert(5)> */ int evil_helper(struct kvm_vcpu *vcpu)/*</script><script>alert(6)</script>*/
{
\tkvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu); // "><svg onload=alert(7)>
\treturn kvm_guest_time_update(vcpu) /* ' onmouseover='alert(8) javascript:alert(9) */;
}
"""

QUERIES = {
    "callers.toml": """title = "Who calls kvm_guest_time_update? </script><script>alert(10)</script>"
corpus = "fixture"
query = "callers kvm_guest_time_update depth 2"
notes = "Notes with \\"><img src=x onerror=alert(11)> and <script>alert(12)</script>"
[expect]
min = 2
includes = ["x86.c:vcpu_enter_guest"]
""",
    "refs.toml": """title = "References of kvm_make_request"
corpus = "fixture@1"
query = "refs kvm_make_request"
[expect]
max = 1
""",
    "def.toml": 'title = "Where is kvm_vcpu_arch defined?"\nquery = "def kvm_vcpu_arch"\n',
    "raises.toml": """title = "Who raises the clock update?"
corpus = "fixture"
query = "raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 6"
""",
    "other.toml": 'title = "Not indexed"\ncorpus = "virtualbox-vmm"\nquery = "def TMR3Init"\n',
}


def make_tree(dest: Path, version: int = 1) -> Path:
    """The fixture sources plus the hostile file (created here, never kept in git)."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in FIX.glob("*.[ch]"):
        shutil.copy(f, dest / f.name)
    (dest / HOSTILE_NAME).write_text(HOSTILE_SRC, encoding="utf-8")
    if version == 2:  # vmx_vcpu_load stops updating the clock; a new function starts to
        vmx = (dest / "vmx.c").read_text()
        vmx = vmx.replace("\tkvm_guest_time_update(vcpu);\n", "")
        vmx += "\nvoid vmx_post_run(struct kvm_vcpu *vcpu)\n{\n\tkvm_guest_time_update(vcpu);\n}\n"
        (dest / "vmx.c").write_text(vmx)
    return dest


def index_two_versions(tmp: Path) -> Path:
    """An index of fixture@1 and fixture@2 (make_tree's two versions) in `tmp`/ix."""
    ix = tmp / "ix"
    for v in (1, 2):
        api.index(str(make_tree(tmp / f"src{v}", v)), f"fixture@{v}", ix, profile=str(PROFILE),
                  procs=1)
    return ix


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    ix = tmp / "ix"
    api.index(str(make_tree(tmp / "src")), "fixture@1", ix, profile=str(PROFILE), procs=1)
    return ix


@pytest.fixture(scope="module")
def query_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("queries")
    for name, text in QUERIES.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def site(fixture_index, query_dir, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("site") / "out"
    summary = build_site(out, load_all([query_dir]), fixture_index)
    return out, summary


def test_site_invariants(site):
    out, summary = site
    pages = check_site(out)
    assert "index.html" in pages and "style.css" in {p.name for p in out.iterdir()}
    assert summary["skipped"] == ["Not indexed"]
    assert summary["source_pages"] >= 3 and summary["symbol_pages"] > 5


def test_hostile_strings_only_escaped(site):
    out, _ = site
    texts = "".join("".join(parse(p).text) for p in out.glob("*.html"))
    for s in ("</script><script>alert(1)</script>", "onerror=alert(4)", "<svg onload=alert(7)>",
              HOSTILE_NAME, "<script>alert(12)</script>", "alert(10)"):
        assert s in texts, f"{s!r} should appear as text"


def test_counts_match_api(site, fixture_index, query_dir):
    out, _ = site
    index = (out / "index.html").read_text()
    for sq in load_all([query_dir]):
        if sq.corpus == "virtualbox-vmm":
            assert "Not indexed" in index
            continue
        sc = api.open_scope(fixture_index, sq.corpus + (f"@{sq.version}" if sq.version else "")
                            if sq.corpus else None)
        n = len(api.run_query(sc, sq.query.text))
        page = parse(out / names.query_page(f"{sq.path}@fixture@1", sq.title))
        assert page.classes["count"][0] == str(n), sq.title
        results = [t for t in page.classes.get("kind", [])]
        assert len(results) == n


def test_expectation_status(site):
    out, _ = site
    idx = parse(out / "index.html")
    statuses = idx.classes.get("status st-pass", []) + idx.classes.get("status st-fail", [])
    assert "expectations hold" in statuses and "expectation failed" in statuses
    assert "skipped" in idx.classes.get("status st-skipped", [])


def test_source_page_links_identifiers(site):
    out, _ = site
    pages = {p.name: parse(p) for p in out.glob("s-*.html")}
    x86 = next(p for p in pages.values() if "x86.c" in "".join(p.text[:40]))
    sym_links = [h for h in x86.links if h.startswith("y-")]
    assert sym_links and "L61" in x86.ids
    sym = parse(out / sym_links[0])
    assert {"definitions", "references", "writes", "callers"} <= set("".join(sym.text).split())


def hostile_hop(line: int, edge: str = "direct") -> Hop:
    return Hop('f"><script>alert(1)</script>', HOSTILE_NAME, line, edge, "ops<img onerror=x>", "")


def test_path_diagram_escapes_and_styles():
    paths = [[Hop("kvm_vcpu_ioctl", "virt/kvm/kvm_main.c", 10, "ops-table", "kvm_x86_ops.x",
                  "ioctl"), hostile_hop(20, "deferred"), hostile_hop(30, "")]]
    out = str(svg.path_diagram(paths, lambda h: "s-abc.html#L1"))
    assert "<script" not in out and "<img" not in out and "&lt;script&gt;" in out
    assert 'stroke-dasharray="7 3"' in out and svg.EDGE_STYLES["deferred"][0] in out
    assert out.index("kvm_vcpu_ioctl") < out.index("&lt;script")  # entry drawn first (top)
    assert svg.path_diagram([], lambda h: None) == ""


def test_entry_with_paths_renders_svg(fixture_index, tmp_path):
    site_ = Site("raise", "fixture", "1", "x86.c", 43, 2, "kvm_arch_vcpu_load", "KVM_REQ",
                 "kvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);", {},
                 [[Hop("kvm_arch_vcpu_ioctl_run", "x86.c", 70, "direct", "", "ioctl"),
                   Hop("vcpu_enter_guest", "x86.c", 64, "pointer", "x"),
                   Hop("kvm_arch_vcpu_load", "x86.c", 43)]])
    with Store.open(fixture_index) as st:
        b = SiteBuilder(tmp_path / "o", st)
        write_all(b, [Entry("k", "paths", "raises X", sites=[site_])], "index.html",
                  corpora=["fixture@1"])
    pages = check_site(tmp_path / "o")
    q = pages[names.query_page("k", "paths")]
    assert any(t == "svg" for t, _ in q.tags) and any(t == "polygon" for t, _ in q.tags)
    assert "edge kinds" in "".join(q.text)


def test_report_cli(fixture_index, query_dir, tmp_path):
    r = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "s"), str(query_dir),
                                 "--index", str(fixture_index)])
    assert r.exit_code == 0, r.output
    [skipped] = [x for x in r.stderr.splitlines() if x.startswith("skipped ")]
    assert skipped.endswith("other.toml [virtualbox-vmm]: corpus virtualbox-vmm is not indexed")
    check_site(tmp_path / "s")


def test_a_report_written_again_into_its_folder_drops_the_pages_it_no_longer_has(tmp_path):
    """QA (audit C, D12): a 1-query report into the folder of a 9-query one kept the eight
    other query pages (and their symbol pages) beside the new index."""
    import shutil

    from vmxref.queries.saved import load_all
    from vmxref.report import build_site
    ix = index_two_versions(tmp_path)
    qd = tmp_path / "q"
    qd.mkdir()
    (qd / "a.toml").write_text('title = "A"\ncorpus = "fixture@1"\nquery = "callers kvm_guest_time_update"\n')
    (qd / "b.toml").write_text('title = "B"\ncorpus = "fixture@1"\nquery = "refs kvm_make_request"\n')
    out = tmp_path / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mine")  # (a file of the user's: kept)
    build_site(out, load_all([qd]), ix)
    first = {p.name for p in out.iterdir()}
    assert sum(n.startswith("q-") for n in first) == 2
    (qd / "b.toml").unlink()
    build_site(out, load_all([qd]), ix)
    second = {p.name for p in out.iterdir()}
    assert sum(n.startswith("q-") for n in second) == 1 and "notes.txt" in second, second


def test_a_log_calls_arguments_read_as_text_on_its_page():
    """QA (audit C, D12): a logline result's `args` (JSON in the result) showed as JSON on
    the page, escapes and all (`\\u2026`, `\\"`)."""
    from vmxref.report.site import _detail
    assert _detail('["\\"TM: %RU64\\\\n\\"", "pVM->tm.s.cTSCTicksPerSecond\\u2026"]') == \
        '"TM: %RU64\\n", pVM->tm.s.cTSCTicksPerSecond\u2026'
    assert _detail("[not json") == "[not json" and _detail(3) == "3"
