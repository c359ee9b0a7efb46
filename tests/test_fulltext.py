"""vmxref.fulltext: identifier splitting, scopes, filters, functions, atomic replacement."""
from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from vmxref import fulltext
from vmxref.errors import IndexBusy, IndexCorrupt, NoIndex, QuerySyntaxError
from vmxref.fulltext import FileText, build, lex_spans, scope_at, search, split_word

# Small synthetic sources in the style of VirtualBox TM and KVM pvclock (CC0, written here).
VBOX_TM = """\
/* SPDX-License-Identifier: CC0-1.0 */
/** The TSC ticks per second, see TMCpuTicksPerSecond. */
static uint64_t g_cTicks;

VMMDECL(uint64_t) TMCpuTicksPerSecond(PVMCC pVM)
{
    uint64_t cTSCTicksPerSecond = pVM->tm.s.cTSCTicksPerSecond;
    LogRel(("TM: cTSCTicksPerSecond=%'RU64\\n", cTSCTicksPerSecond));
    return cTSCTicksPerSecond;
}

static void gimKvmUpdate(PGIMKVMCPU pKvmCpu, uint64_t uTscFreqLo)
{
    pKvmCpu->u32TscScale = (uint32_t)uTscFreqLo; // tsc scale for the guest
    const char *psz = "TscTicks are counted here";
}
"""

KVM_PVCLOCK = """\
// SPDX-License-Identifier: CC0-1.0
static inline u64 pvclock_scale_delta(u64 delta, u32 mul_frac, int shift)
{
	return (delta * mul_frac) >> shift;
}

u64 __pvclock_read_cycles(const struct pvclock_vcpu_time_info *src, u64 tsc)
{
	u64 delta = tsc - src->tsc_timestamp;
	return src->system_time + pvclock_scale_delta(delta, src->tsc_to_system_mul, src->tsc_shift);
}
"""

KVM_X86 = """\
// SPDX-License-Identifier: CC0-1.0
void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	/* TscTicks is not a KVM word, but "tsc scale" in a comment is */
	vcpu->arch.tsc_offset_adjustment = 0;
	kvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);
}
"""

FUNCS_VBOX = [(5, 10, "TMCpuTicksPerSecond"), (12, 16, "gimKvmUpdate")]
FUNCS_PV = [(2, 5, "pvclock_scale_delta"), (7, 11, "__pvclock_read_cycles")]
FUNCS_X86 = [(2, 7, "kvm_arch_vcpu_load")]


def _files(kvm_version: str = "6.1") -> list[FileText]:
    return [
        FileText("vbox", "6.1.36", "src/VBox/VMM/VMMAll/TMAll.cpp", VBOX_TM, FUNCS_VBOX),
        FileText("vbox", "5.1", "src/VBox/VMM/VMMAll/TMAll.cpp", VBOX_TM, FUNCS_VBOX),
        FileText("kvm", kvm_version, "arch/x86/include/asm/pvclock.h", KVM_PVCLOCK, FUNCS_PV),
        FileText("kvm", kvm_version, "arch/x86/kvm/x86.c", KVM_X86, FUNCS_X86),
    ]


@pytest.fixture(scope="module", params=[1, 2], ids=["procs1", "procs2"])
def index_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ft") / "fulltext"
    stats = build(d, _files(), procs=request.param)
    assert stats["files"] == 4 and stats["texts"] == 3  # both vbox versions share one text
    return d


def _where(hits: list[fulltext.Hit]) -> list[tuple[str, int]]:
    return [(h.path.rsplit("/", 1)[-1], h.line) for h in hits]


@pytest.mark.parametrize("word, parts", [
    ("cTSCTicksPerSecond", ["c", "tsc", "ticks", "per", "second"]),
    ("u32TscScale", ["u", "32", "tsc", "scale"]),
    ("tsc_to_system_mul", ["tsc", "to", "system", "mul"]),
    ("pVCpu", ["p", "v", "cpu"]),
    ("0xcf5241bb", ["0xcf5241bb"]),
    ("__", []),
])
def test_split_word(word: str, parts: list[str]) -> None:
    assert [p for p, _ in split_word(word)] == parts


def test_camel_query_finds_hungarian_identifier(index_dir: Path) -> None:
    hits = search(index_dir, "TscTicks", corpus="vbox", version="6.1.36")
    texts = [h.text for h in hits]
    assert any("pVM->tm.s.cTSCTicksPerSecond" in t for t in texts)
    # the exact identifier (in the string literal) ranks first
    assert hits[0].scope == "string" and "TscTicks are counted" in hits[0].text
    assert hits[0].score >= 1 > hits[-1].score


def test_two_words_find_both_spellings(index_dir: Path) -> None:
    hits = search(index_dir, "tsc scale")
    found = {h.text for h in hits}
    assert any("u32TscScale" in t for t in found)
    assert any("tsc_to_system_mul" in t for t in found)


def test_member_access_identifiers_stay_findable(index_dir: Path) -> None:
    hits = search(index_dir, "tsc_to_system_mul")
    assert _where(hits) == [("pvclock.h", 10)]
    assert hits[0].col == hits[0].text.index("tsc_to_system_mul") + 2  # 1 tab + 1-based
    assert search(index_dir, "vcpu->arch.tsc_offset_adjustment")[0].line == 5
    assert search(index_dir, "tm.s")  # a.b->c pieces as a phrase


def test_exact_identifier_ranks_first(index_dir: Path) -> None:
    hits = search(index_dir, "cTSCTicksPerSecond", version="6.1.36")
    assert sorted(h.line for h in hits) == [7, 8, 9]  # "TSC ticks per second" lacks the c
    assert all(h.score >= 1 for h in hits)
    hits = search(index_dir, "TicksPerSecond", version="6.1.36")
    assert sorted(h.line for h in hits) == [2, 5, 7, 8, 9] and all(h.score < 1 for h in hits)
    assert hits[0].line == 2  # "ticks per second": whole words beat identifier suffixes


def test_punctuation_in_the_query_ranks_the_lines_holding_it_first(index_dir: Path) -> None:
    """Search is by word parts; the punctuation of a query (`x =`, `x;`) makes the lines
    that hold it as written (any whitespace between, any case) rank above those holding
    only the words; a query of words alone scores as before."""
    hits = search(index_dir, "cTSCTicksPerSecond =", version="6.1.36")
    assert {h.line for h in hits[:2]} == {7, 8} and hits[2].line == 9, _where(hits)
    assert hits[1].score >= 2 > hits[2].score >= 1
    hits = search(index_dir, "return cTSCTicksPerSecond;", version="6.1.36")
    assert hits[0].line == 9 and hits[0].score >= 3
    assert all(h.score < 2 for h in search(index_dir, "cTSCTicksPerSecond", version="6.1.36"))
    assert fulltext.query_literal("tsc*") is None and fulltext.query_literal("tsc scale") is None
    assert fulltext.query_literal('"->tsc_timestamp"').search("src->tsc_timestamp;")


def test_phrase(index_dir: Path) -> None:
    hits = search(index_dir, '"tsc scale"')
    assert ("TMAll.cpp", 14) in _where(hits)  # u32TscScale and the comment
    assert all("tsc" in h.text.lower() and "scale" in h.text.lower() for h in hits)
    assert not search(index_dir, '"scale tsc"')


def test_prefix(index_dir: Path) -> None:
    assert {h.line for h in search(index_dir, "pvclock_scale*")} == {2, 10}


@pytest.mark.parametrize("scope, lines", [
    ("comment", {2, 14}),  # the doc comment and the trailing // comment
    ("string", {8, 15}),
])
def test_scope_filter(index_dir: Path, scope: str, lines: set[int]) -> None:
    hits = search(index_dir, "tsc", corpus="vbox", version="5.1", scope=scope)
    assert {h.line for h in hits} == lines
    assert {h.scope for h in hits} == {scope}


def test_scope_of_hits(index_dir: Path) -> None:
    hits = {h.line: h.scope for h in search(index_dir, "KVM", corpus="kvm", limit=0)}
    assert hits == {2: "code", 4: "comment", 6: "code"}


def test_filters(index_dir: Path) -> None:
    assert {h.corpus for h in search(index_dir, "tsc", corpus="kvm")} == {"kvm"}
    assert {h.version for h in search(index_dir, "tsc", version="5.1")} == {"5.1"}
    by_glob = search(index_dir, "tsc", path_glob="arch/x86/kvm/*")
    assert {h.path for h in by_glob} == {"arch/x86/kvm/x86.c"}
    assert not search(index_dir, "tsc", corpus="nope")
    assert len(search(index_dir, "tsc", limit=2)) == 2


def test_function_attribution(index_dir: Path) -> None:
    fn = {h.line: h.function for h in search(index_dir, "tsc", corpus="vbox", limit=0)}
    assert fn[7] == "TMCpuTicksPerSecond" and fn[14] == "gimKvmUpdate" and fn[2] == ""


def test_bad_queries(index_dir: Path) -> None:
    with pytest.raises(QuerySyntaxError):
        search(index_dir, "->")
    with pytest.raises(QuerySyntaxError):
        search(index_dir, '"tsc')
    with pytest.raises(QuerySyntaxError):
        search(index_dir, "tsc", scope="macro")
    with pytest.raises(NoIndex):
        search(index_dir.parent / "missing", "tsc")


def test_lexer_scopes() -> None:
    src = 'a = R"x(/* no )x"; /* c "q" */ b = \'"\'; // end \\\n more\nc = "s\\"t" / 2;'
    spans = lex_spans(src)
    got = [(src[s:e], k) for s, e, k in zip(*spans)]
    assert got == [('"x(/* no )x"', "string"), ('/* c "q" */', "comment"),
                   ("'\"'", "string"), ("// end \\\n more", "comment"), ('"s\\"t"', "string")]
    assert scope_at(spans, src.index("more")) == "comment"
    assert scope_at(spans, src.index("/ 2")) == "code"


def test_failed_build_keeps_old_index(tmp_path: Path) -> None:
    d = tmp_path / "fulltext"
    build(d, _files(), procs=1)

    def broken():
        yield from _files(kvm_version="6.2")
        raise RuntimeError("indexer died")

    with pytest.raises(RuntimeError):
        build(d, broken(), procs=2)
    assert {h.version for h in search(d, "tsc", corpus="kvm")} == {"6.1"}
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["fulltext"]


def test_rebuild_replaces_and_cleans_leftovers(tmp_path: Path) -> None:
    d = tmp_path / "fulltext"
    build(d, _files(), procs=1)
    search(d, "tsc")  # warm the open-index cache, which must notice the swap
    (tmp_path / ".fulltext.new-999999").mkdir()  # as left by a killed build
    build(d, _files(kvm_version="6.2"), procs=1)
    assert {h.version for h in search(d, "tsc", corpus="kvm")} == {"6.2"}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["fulltext"]


def test_concurrent_build_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / ".fulltext.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(IndexBusy):
            build(tmp_path / "fulltext", _files(), procs=1)


def test_empty_build_and_partial_flag(tmp_path: Path) -> None:
    d = tmp_path / "fulltext"
    assert build(d, [], procs=2)["files"] == 0
    hits = search(d, "tsc")
    assert hits == [] and hits.complete


def _slow_files():
    yield from _files(kvm_version="6.2")
    import time
    time.sleep(60)  # killed here


def test_killed_build_keeps_old_index(tmp_path: Path) -> None:
    import multiprocessing
    import os
    import signal
    import time

    d = tmp_path / "fulltext"
    build(d, _files(), procs=1)
    child = multiprocessing.get_context("fork").Process(target=build, args=(d, _slow_files()),
                                                        kwargs={"procs": 1})
    child.start()
    deadline = time.time() + 20
    while not list(tmp_path.glob(".fulltext.new-*")) and time.time() < deadline:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert list(tmp_path.glob(".fulltext.new-*"))  # the half-built leftover
    assert {h.version for h in search(d, "tsc", corpus="kvm")} == {"6.1"}
    build(d, _files(kvm_version="6.3"), procs=1)
    assert not list(tmp_path.glob(".fulltext.*-*"))
    assert {h.version for h in search(d, "tsc", corpus="kvm")} == {"6.3"}


def test_publish_without_rename_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fulltext, "_exchange", lambda a, b: False)
    d = tmp_path / "fulltext"
    build(d, _files(), procs=1)
    build(d, _files(kvm_version="6.2"), procs=1)
    assert {h.version for h in search(d, "tsc", corpus="kvm")} == {"6.2"}
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["fulltext"]


def test_index_of_the_previous_docs_formats_is_still_searched(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """docs.json formats 2 (one list per doc) and 3 (JSON columns) written by earlier builds
    read like format 4 (docs.bin); their texts are zlib'd (before format 6)."""
    import json
    d = tmp_path / "fulltext"
    encode = fulltext._encode_blob
    with monkeypatch.context() as m:
        m.setattr(fulltext, "FORMAT", 5)
        m.setattr(fulltext, "_encode_blob", lambda t, f, s=None: encode(t, f, s, raw=False))
        build(d, _files())
    new = [(h.corpus, h.version, h.path, h.line) for h in search(d, "TscTicks")]
    cols = fulltext._read_docs_bin(d, json.loads((d / "docs.json").read_text()))
    cols = {k: [v[i] for i in range(len(v))] for k, v in cols.items()
            if k in ("offsets", "labels", "start", "paths", "label")}
    (d / "docs.bin").unlink()
    (d / "docs.json").write_text(json.dumps({"format": 3, **cols}))
    fulltext._open_cache.clear()
    assert new and [(h.corpus, h.version, h.path, h.line) for h in search(d, "TscTicks")] == new
    st, lab = cols["start"], cols["labels"]
    docs = [[*lab[cols["label"][i]], cols["paths"][i], b]
            for b in range(len(st) - 1) for i in range(st[b], st[b + 1])]
    offs = cols["offsets"]
    (d / "docs.json").write_text(json.dumps({"format": 2, "docs": docs,
                                             "blobs": [offs[i:i + 2] for i in range(0, len(offs), 2)]}))
    fulltext._open_cache.clear()
    assert [(h.corpus, h.version, h.path, h.line) for h in search(d, "TscTicks")] == new


def test_a_truncated_docs_bin_is_a_corrupt_index(tmp_path: Path) -> None:
    d = tmp_path / "fulltext"
    build(d, _files())
    data = (d / "docs.bin").read_bytes()
    (d / "docs.bin").write_bytes(data[: len(data) // 2])
    fulltext._open_cache.clear()
    with pytest.raises(IndexCorrupt):
        search(d, "TscTicks")


# --- chunks: a long text is several Whoosh documents; answers are those of one document


def _long_source(n: int = 400) -> tuple[str, list[tuple[int, int, str]]]:
    """A generated file of many small functions, a block comment that spans a chunk
    boundary, and words that meet on one line only near the end."""
    lines, funcs = ["// SPDX-License-Identifier: CC0-1.0"], []
    for i in range(n):
        start = len(lines) + 1
        lines += [f"static int kvm_clock_helper_{i}(struct kvm_vcpu *vcpu)", "{",
                  f"\tvcpu->arch.pending_{i} = {i}; /* clock pending */",
                  f"\treturn update_state_{i}(vcpu);", "}"]
        funcs.append((start, len(lines), f"kvm_clock_helper_{i}"))
        if i == n // 2:  # (a comment several kilobytes long: it crosses a chunk edge)
            lines += ["/*"] + [f" * tsc scale note {k}: the guest clock update is lazy"
                               for k in range(300)] + [" */"]
    start = len(lines) + 1
    lines += ["static void kvm_gen_update(struct kvm *kvm)", "{",
              "\tkvm_clock_update_now(kvm); // clock update", "}"]
    funcs.append((start, len(lines), "kvm_gen_update"))
    return "\n".join(lines) + "\n", funcs


def test_chunk_bounds_cover_the_text_at_line_ends() -> None:
    text, _ = _long_source()
    assert len(text) > 4 * fulltext.CHUNK_CHARS
    bounds = fulltext.chunk_bounds(text)
    assert len(bounds) > 4 and bounds[0][:1] == (0,) and bounds[-1][1] == len(text)
    for (s, e, line), nxt in zip(bounds, bounds[1:] + [None]):
        assert e - s <= fulltext.CHUNK_CHARS and text[e - 1] == "\n"
        assert line == text.count("\n", 0, s) + 1
        if nxt:
            assert nxt[0] == e
    assert fulltext.chunk_bounds("") == [(0, 0, 1)]
    long_line = "x" * (fulltext.CHUNK_CHARS + 5)
    assert fulltext.chunk_bounds(f"a\n{long_line}\nb") == [(0, 2, 1), (2, len(long_line) + 3, 2),
                                                          (len(long_line) + 3, len(long_line) + 4, 3)]
    exact = "y" * (fulltext.CHUNK_CHARS - 1) + "\n"
    assert fulltext.chunk_bounds(exact + "z\n") == [(0, len(exact), 1), (len(exact), len(exact) + 2, 2)]


@pytest.mark.parametrize("query", ["clock update", "tsc scale", "kvm_clock_helper_399",
                                   "pending_17", '"guest clock"', "update_state*", "vcpu"])
def test_chunked_index_answers_as_one_document_per_file(tmp_path: Path, query: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines, columns, scopes (a comment opened in an earlier chunk), functions and ranks
    are those of an index whose documents are whole files."""
    text, funcs = _long_source()
    files = [FileText("kvm", "6.1", "arch/x86/kvm/gen.c", text, funcs), *_files()]
    build(tmp_path / "chunked", files, procs=1)
    monkeypatch.setattr(fulltext, "CHUNK_CHARS", 10 * len(text))
    build(tmp_path / "whole", files, procs=1)
    fulltext._open_cache.clear()
    chunked = fulltext._open(tmp_path / "chunked")
    assert chunked.nchunks > chunked.nblobs == 4
    assert fulltext._open(tmp_path / "whole").nchunks == 4
    for limit in (50, None):
        got = search(tmp_path / "chunked", query, limit=limit)
        want = search(tmp_path / "whole", query, limit=limit)
        assert got and list(got) == list(want) and got.complete == want.complete
    if query == "tsc scale":
        assert {h.scope for h in got if h.path.endswith("gen.c")} == {"comment"}
        assert min(h.line for h in got if h.path.endswith("gen.c")) > 1000


def test_chunks_narrow_the_candidates(tmp_path: Path) -> None:
    """Words that meet on no line of a chunk do not make it a candidate."""
    text, funcs = _long_source()
    build(tmp_path / "ft", [FileText("kvm", "6.1", "gen.c", text, funcs)], procs=1)
    fulltext._open_cache.clear()
    opened = fulltext._open(tmp_path / "ft")
    cands = opened.candidates(fulltext.parse_query("gen update"))
    assert cands == [opened.nchunks - 1]
    hits = search(tmp_path / "ft", "kvm_gen_update")
    assert [(h.line, h.function) for h in hits] == [(text.count("\n") - 3, "kvm_gen_update")]


def test_a_chunk_naming_no_text_is_a_corrupt_index(tmp_path: Path) -> None:
    """docs.bin's chunk -> text column damaged in the middle: a clear error, no traceback."""
    import struct
    text, funcs = _long_source()
    d = tmp_path / "ft"
    build(d, [FileText("kvm", "6.1", "gen.c", text, funcs), *_files()], procs=1)
    data = bytearray((d / "docs.bin").read_bytes())
    counts = struct.unpack_from("<4Q", data) + struct.unpack_from("<2Q", data, 32)
    pos = 64 + sum(n * struct.calcsize(c) for n, c in zip(counts[:4], "qqIQ"))  # (3 headers)
    assert counts[4] > 3
    struct.pack_into("<I", data, pos + 4 * 2, 10**6)  # (the third chunk's text)
    (d / "docs.bin").write_bytes(bytes(data))
    fulltext._open_cache.clear()
    with pytest.raises(IndexCorrupt, match="names no text"):
        search(d, "vcpu", limit=None)
