"""The full-text search's line filter: vmxref._ftscan (C, over a chunk's bytes) against its
Python twin (fulltext._ftscan = None), and the text formats it reads (format 6 stores a
chunk's text as it is, format 5 zlib'd)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmxref import fulltext
from vmxref.fulltext import FileText, build, search

from test_fulltext import _files, _long_source

needs_c = pytest.mark.skipif(fulltext._ftscan is None and not os.environ.get("VMXREF_REQUIRE_NATIVE"),
                             reason="vmxref._ftscan not built")


def test_the_c_scanner_is_built_where_ci_requires_it() -> None:
    if os.environ.get("VMXREF_REQUIRE_NATIVE"):
        assert fulltext._ftscan is not None, "vmxref._ftscan not built (setup.py)"


def _both(text: str, probe: tuple[str, bool], needles: list[str],
          monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    blob = fulltext._Blob(fulltext._encode_blob(text, []))
    c = fulltext._candidate_lines(blob, probe, needles)
    with monkeypatch.context() as m:
        m.setattr(fulltext, "_ftscan", None)
        py = fulltext._candidate_lines(fulltext._Blob(fulltext._encode_blob(text, [])), probe,
                                       needles)
    return c, py


SAMPLE = """\
static void kvm_gen_update(struct kvm *kvm)
{
\tkvm_clock_update_now(kvm); // Clock UPDATE
\tupdate(clock);update
\tclocks_updated = CLOCK_UPDATE;
}
update
clock update"""


@needs_c
@pytest.mark.parametrize("probe, needles", [
    (("update", False), ["update", "clock"]),
    (("update", True), ["update", "clock"]),
    (("clock", True), ["clock"]),
    (("kvm", True), ["kvm", "gen"]),
    (("kvm_gen_update", True), ["update", "kvm", "gen"]),
    (("x", False), ["x"]),
])
def test_c_lines_are_the_python_lines(probe: tuple[str, bool], needles: list[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    c, py = _both(SAMPLE, probe, needles, monkeypatch)
    assert c == py
    if probe == ("update", True):  # whole word (`UPDATE` in a comment), not inside
        assert [i for _, _, i in c] == [2, 3, 7]  # kvm_clock_update_now or CLOCK_UPDATE


@needs_c
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="aAbB_x1 \n\t(;", max_size=300),
       word=st.sampled_from(["a", "ab", "b_a", "x1", "ba"]), whole=st.booleans(),
       needles=st.lists(st.sampled_from(["a", "b", "ab", "x", "1", "ba"]), max_size=3))
def test_generated_texts_give_the_same_lines(text: str, word: str, whole: bool,
                                             needles: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    c, py = _both(text, (word, whole), needles, monkeypatch)
    assert c == py


def test_non_ascii_chunks_are_left_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lower-casing `İ` adds a character: offsets would move, so no substring pre-test;
    `K` (Kelvin) lower-cases to ASCII `k`. Python scans such chunks."""
    text = "x = 1; /* İ clock */\nKLOCK update; clock update // é\n"
    if fulltext._ftscan is not None:
        data = text.encode()
        assert fulltext._ftscan.lines(data, 0, len(data), b"clock", False, (b"clock",)) is None
        at, end = data.index(b"\n") + 1, data.index(b" //")  # (an ASCII range of it)
        assert fulltext._ftscan.lines(data, at, end, b"clock", False, (b"update",)) == [0, end - at, 0]
        with pytest.raises(ValueError):
            fulltext._ftscan.lines(data, 0, len(data) + 1, b"clock", False, ())
    c, py = _both(text, ("clock", False), ["clock", "update"], monkeypatch)
    assert c == py and [i for _, _, i in c] == [0, 1]


@needs_c
def test_searches_answer_the_same_without_the_c_scanner(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    text, funcs = _long_source()
    build(tmp_path / "ft", [FileText("kvm", "6.1", "arch/x86/kvm/gen.c", text, funcs),
                            *_files()], procs=1)
    queries = ["clock update", "tsc scale", "kvm_clock_helper_399", '"guest clock"',
               "update_state*", "vcpu", "TscTicks", "Clock Pending"]
    for q in queries:
        for limit in (50, None):
            fulltext._open_cache.clear()
            got = search(tmp_path / "ft", q, limit=limit)
            with monkeypatch.context() as m:
                m.setattr(fulltext, "_ftscan", None)
                fulltext._open_cache.clear()
                want = search(tmp_path / "ft", q, limit=limit)
            assert got and list(got) == list(want) and got.complete == want.complete, q


def test_format_5_texts_are_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index written before format 6 (zlib'd chunk texts) answers as a new one."""
    text, funcs = _long_source()
    files = [FileText("kvm", "6.1", "arch/x86/kvm/gen.c", text, funcs), *_files()]
    build(tmp_path / "new", files, procs=1)
    encode = fulltext._encode_blob
    with monkeypatch.context() as m:
        m.setattr(fulltext, "FORMAT", 5)
        m.setattr(fulltext, "_encode_blob", lambda t, f, s=None: encode(t, f, s, raw=False))
        build(tmp_path / "old", files, procs=1)
    fulltext._open_cache.clear()
    assert not fulltext._open(tmp_path / "old").raw and fulltext._open(tmp_path / "new").raw
    assert (tmp_path / "old" / "texts.bin").stat().st_size < (tmp_path / "new" / "texts.bin").stat().st_size
    for q in ["clock update", "tsc scale", "vcpu", "TscTicks"]:
        got, want = search(tmp_path / "old", q, limit=None), search(tmp_path / "new", q, limit=None)
        assert got and list(got) == list(want), q


def test_damaged_texts_are_a_corrupt_index(tmp_path: Path) -> None:
    """A texts.bin whose chunk holds bytes that are not UTF-8, or whose record header lies:
    a clear error, no traceback."""
    from vmxref.errors import IndexCorrupt
    d = tmp_path / "ft"
    build(d, _files(), procs=1)
    data = bytearray((d / "texts.bin").read_bytes())
    at = data.find(b"cTSCTicksPerSecond")
    data[at:at + 2] = b"\xff\xfe"
    (d / "texts.bin").write_bytes(bytes(data))
    fulltext._open_cache.clear()
    with pytest.raises(IndexCorrupt, match="not UTF-8"):
        search(d, "TSCTicksPerSecond", limit=None)
    (d / "texts.bin").write_bytes(b"\xff" * 12 + bytes(data[12:]))  # (the first header)
    fulltext._open_cache.clear()
    with pytest.raises(IndexCorrupt, match="damaged|not UTF-8"):
        search(d, "TscTicks", limit=None)


def test_files_fed_in_path_order_are_searched_lazily_with_the_same_answers(tmp_path: Path) -> None:
    """Fed in (corpus, version, path) order (as `vmxref index` does), chunk order is path
    order: a search reads a chunk's docs only once it has a hit. Fed in another order, it
    sorts the candidates by their first doc first; the answers are the same."""
    text, funcs = _long_source()
    files = sorted([FileText("kvm", "6.1", "arch/x86/kvm/gen.c", text, funcs),
                    FileText("kvm", "6.1", "virt/kvm/gen_copy.c", text, funcs), *_files()],
                   key=lambda f: (f.corpus, f.version, f.path))
    build(tmp_path / "sorted", files, procs=1)
    build(tmp_path / "shuffled", files[::-1], procs=1)
    fulltext._open_cache.clear()
    assert fulltext._open(tmp_path / "sorted").in_order
    assert not fulltext._open(tmp_path / "shuffled").in_order
    for q in ["clock update", "tsc scale", "vcpu", "TscTicks", "kvm_clock_helper_3*"]:
        for limit in (2, 50, None):
            for kw in ({}, {"corpus": "kvm"}, {"path_glob": "virt/*"}):
                got = search(tmp_path / "sorted", q, limit=limit, **kw)
                want = search(tmp_path / "shuffled", q, limit=limit, **kw)
                assert list(got) == list(want) and got.complete == want.complete, (q, kw)
                assert got or kw and q == "TscTicks", (q, kw)  # (VirtualBox's word)


def test_a_filter_every_text_passes_reads_docs_only_of_chunks_with_hits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`vmxref search` names the corpus version of the scope: in an index of that version
    alone it filters nothing, and the search stays lazy."""
    text, funcs = _long_source()
    kvm = [f for f in _files() if f.corpus == "kvm"]
    build(tmp_path / "ft", [FileText("kvm", "6.1", "arch/x86/kvm/gen.c", text, funcs), *kvm],
          procs=1)
    fulltext._open_cache.clear()
    opened = fulltext._open(tmp_path / "ft")
    read = []
    monkeypatch.setattr(opened, "docs_of", lambda b: read.append(b) or
                        fulltext._Opened.docs_of(opened, b))
    want = search(tmp_path / "ft", "pending_17", limit=None)
    got = search(tmp_path / "ft", "pending_17", corpus="kvm", version="6.1", limit=None)
    assert list(got) == list(want) and len(got) == 1
    assert len(opened.candidates(fulltext.parse_query("pending_17"))) > 1
    assert read == [0, 0]  # (gen.c's text, once per search: only its chunk with the hit)
    read.clear()
    assert search(tmp_path / "ft", "pending_17", corpus="vbox") == []
    assert read  # (a real filter: every candidate's docs are read to filter them)


def test_damaged_spans_or_functions_are_a_corrupt_index(tmp_path: Path) -> None:
    """The comment spans and function list of a chunk are decoded when a line needs them:
    bytes that do not decode there are a corrupt index too, not a traceback."""
    import struct

    from vmxref.errors import IndexCorrupt
    d = tmp_path / "ft"
    build(d, _files()[:1], procs=1)
    data = bytearray((d / "texts.bin").read_bytes())
    n_text, n_spans, n_fn = struct.unpack_from("<III", data)
    at = 12 + n_text
    data[at:at + n_spans] = b"\x00" * n_spans  # (not zlib)
    (d / "texts.bin").write_bytes(bytes(data))
    fulltext._open_cache.clear()
    with pytest.raises(IndexCorrupt, match="damaged"):
        search(d, "TscTicks", limit=None)


@needs_c
@pytest.mark.parametrize("budgets", [None, (100, 1_200), (4, 100_000)])
def test_chunks_passed_over_in_c_answer_as_chunks_scanned_one_by_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budgets) -> None:
    """_ftscan.skip passes over the chunks without a candidate line in one call: the hits
    and `complete` are those of scanning every chunk in turn, also when a small line or
    byte budget stops the search early, and with chunks that are not ASCII among them."""
    files = [FileText("kvm", "6.1", f"arch/x86/kvm/f{i:03}.c",
                      f"// SPDX-License-Identifier: CC0-1.0\nint f{i}(void)\n{{\n"
                      + ("\t/* horloge à mettre à jour */\n" if i % 13 == 0 else "")
                      + ("\tupdate_clock_%d();\n" % i if i < 10 else  # (low scores first,
                         "\t/* clock update %d */\n" % i if i in (20, 60) else  # the best
                         "\tclock_%d();\n\tupdate_%d();\n" % (i, i)) + "}\n",  # later)
                      [(2, 7, f"f{i}")]) for i in range(80)]
    build(tmp_path / "ft", files[::-1], procs=1)  # (out of path order: by rank)
    if budgets:
        monkeypatch.setattr(fulltext, "LINE_BUDGET", budgets[0])
        monkeypatch.setattr(fulltext, "EXACT_LINE_BUDGET", budgets[0])
        monkeypatch.setattr(fulltext, "CHAR_BUDGET", budgets[1])
        monkeypatch.setattr(fulltext, "EXACT_CHAR_BUDGET", budgets[1])
    calls, incomplete = [], 0
    real = fulltext._Query._skip

    def skip(self, cands, i, lim, cargs):
        got = real(self, cands, i, lim, cargs)
        calls.append((lim, got[0] - i))
        return got
    monkeypatch.setattr(fulltext._Query, "_skip", skip)
    for q in ["clock update", "update clock", "clock", "horloge", "tsc scale", "f7*"]:
        for limit in (3, 50, None):
            fulltext._open_cache.clear()
            got = search(tmp_path / "ft", q, limit=limit)
            with monkeypatch.context() as m:  # (every chunk scanned by itself)
                m.setattr(fulltext._Query, "_skip", lambda self, cands, i, lim, cargs: (i, 0, None))
                fulltext._open_cache.clear()
                want = search(tmp_path / "ft", q, limit=limit)
            assert list(got) == list(want) and got.complete == want.complete, (q, limit)
            assert got or q == "tsc scale", q
            incomplete += not got.complete
    assert max(n for _lim, n in calls) > 5  # (chunks passed over in one call)
    if budgets:  # (the budgets stopped some searches, one while passing over chunks)
        assert incomplete and any(lim >= 0 for lim, _n in calls)
