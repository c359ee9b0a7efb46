"""vmxref.fulltext.build(grow=True): a pull or a second version adds only the texts the
full-text index lacks; its answers are those of an index written afresh."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from vmxref import fulltext
from vmxref.fulltext import FileText, build, search

# Small sources in the style of KVM's x86.c and VirtualBox's TM (CC0, written here).
X86 = """\
// SPDX-License-Identifier: CC0-1.0
static void kvm_gen_update_masterclock(struct kvm *kvm)
{
	kvm_make_mclock_inprogress_request(kvm); /* clock update for every vcpu */
	kvm_end_pvclock_update(kvm);
}
"""
X86_PULLED = """\
// SPDX-License-Identifier: CC0-1.0
static void kvm_gen_update_masterclock(struct kvm *kvm)
{
	kvm_start_pvclock_update(kvm); // clock update begins here now
	kvm_end_pvclock_update(kvm);
}
"""
PVCLOCK = """\
// SPDX-License-Identifier: CC0-1.0
u64 pvclock_clocksource_read(struct pvclock_vcpu_time_info *src)
{
	return src->system_time + pvclock_scale_delta(src->tsc_to_system_mul);
}
"""
TM = """\
/* SPDX-License-Identifier: CC0-1.0 */
VMMDECL(uint64_t) TMCpuTicksPerSecond(PVMCC pVM)
{
    LogRel(("TM: clock update, cTSCTicksPerSecond=%'RU64\\n", pVM->tm.s.cTSCTicksPerSecond));
    return pVM->tm.s.cTSCTicksPerSecond;
}
"""
GIM = """\
/* SPDX-License-Identifier: CC0-1.0 */
static void gimR3KvmUpdateSystemTime(PVM pVM, PVMCPU pVCpu)
{
    pKvmCpu->u32TscScale = pVM->gim.s.u.Kvm.u32TscScale; /* clock update of the guest */
}
"""
FUNCS = [(2, 6, "f")]


def _key(text: str) -> bytes:
    return fulltext._text_key(text)


def _files(*specs: tuple[str, str, str, str]) -> list[FileText]:
    """FileTexts with a key and no text (as vmxref.api feeds them): `load` gives the text."""
    return [FileText(c, v, p, None, None, _key(t)) for c, v, p, t in specs]


def _load(specs):
    texts = {_key(t): t for _c, _v, _p, t in specs}
    loaded = []

    def load(f: FileText) -> tuple[str, list]:
        loaded.append(f.path)
        return texts[f.key], FUNCS
    return load, loaded


def _grow(d: Path, specs, **kw) -> tuple[dict, list[str]]:
    load, loaded = _load(specs)
    stats = build(d, _files(*specs), procs=1, load=load, grow=True, **kw)
    fulltext._open_cache.clear()
    return stats, loaded


V1 = [("kvm", "6.1", "arch/x86/include/asm/pvclock.h", PVCLOCK),
      ("kvm", "6.1", "arch/x86/kvm/x86.c", X86),
      ("vbox", "6.1.36", "src/VBox/VMM/VMMAll/TMAll.cpp", TM)]
PULLED = [V1[0], ("kvm", "6.1", "arch/x86/kvm/x86.c", X86_PULLED), V1[2],
          ("vbox", "6.1.36", "src/VBox/VMM/VMMR3/GIMKvm.cpp", GIM)]
QUERIES = [("clock update", {}), ("clock", {"limit": 2}), ("pvclock update", {}),
           ("TscScale", {}), ("mclock inprogress", {}), ("clock update", {"scope": "comment"}),
           ("clock", {"path_glob": "src/*"}), ("clock update", {"version": "6.1"}),
           ("update", {"limit": None})]


def _answers(d: Path) -> list:
    fulltext._open_cache.clear()
    return [[(h.corpus, h.version, h.path, h.line, h.col, h.scope, h.function, h.text, h.score)
             for h in search(d, q, **kw)] for q, kw in QUERIES]


def test_a_pull_adds_only_the_new_texts_and_answers_as_a_fresh_index(tmp_path: Path) -> None:
    d, fresh = tmp_path / "ft", tmp_path / "fresh"
    first, loaded = _grow(d, V1)
    assert not first["grown"] and first["new_texts"] == 3 and sorted(loaded) == sorted(
        p for _c, _v, p, _t in V1)
    os.link(d / "texts.bin", tmp_path / "texts.old")  # (as a search that has it open)
    old_texts = (tmp_path / "texts.old").read_bytes()
    stats, loaded = _grow(d, PULLED)
    assert (tmp_path / "texts.old").read_bytes() == old_texts
    assert stats["grown"] and stats["new_texts"] == 2 and stats["texts"] == 5
    assert loaded == ["arch/x86/kvm/x86.c", "src/VBox/VMM/VMMR3/GIMKvm.cpp"]
    _grow(fresh, PULLED)
    assert _answers(d) == _answers(fresh)
    # the pulled-away line is found no more; the new ones are
    assert search(d, "mclock inprogress") == []
    assert [h.path for h in search(d, "TscScale")] == ["src/VBox/VMM/VMMR3/GIMKvm.cpp"]
    opened = fulltext._open(d)
    assert len(opened.segments.segments) == 2 and opened.rank is not None
    assert sum(r == fulltext._DEAD for r in opened.rank) == 1  # (the old x86.c: no file)


def test_a_second_version_shares_the_texts_it_has_in_common(tmp_path: Path) -> None:
    d, fresh = tmp_path / "ft", tmp_path / "fresh"
    _grow(d, V1)
    both = V1 + [(c, "6.2" if c == "kvm" else "7.0", p, t) for c, _v, p, t in PULLED]
    stats, loaded = _grow(d, both)
    assert stats["grown"] and loaded == ["arch/x86/kvm/x86.c", "src/VBox/VMM/VMMR3/GIMKvm.cpp"]
    _grow(fresh, both)
    assert _answers(d) == _answers(fresh)
    assert {h.version for h in search(d, "pvclock clocksource")} == {"6.1", "6.2"}


def test_nothing_new_keeps_the_segments(tmp_path: Path) -> None:
    """A version dropped: no text to add, the files that remain are found as before."""
    d = tmp_path / "ft"
    _grow(d, V1 + [("kvm", "6.2", p, t) for _c, _v, p, t in V1[:2]])
    segs = sorted(n for n in os.listdir(d) if n.endswith(".seg"))
    stats, loaded = _grow(d, V1)
    assert stats["grown"] and stats["new_texts"] == 0 and loaded == []
    assert sorted(n for n in os.listdir(d) if n.endswith(".seg")) == segs
    assert {h.version for h in search(d, "pvclock clocksource")} == {"6.1"}


def test_too_many_segments_or_dead_texts_write_it_afresh(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "ft"
    _grow(d, V1)
    monkeypatch.setattr(fulltext, "MAX_SEGMENTS", 2)
    assert _grow(d, PULLED)[0]["grown"]  # (2 segments now)
    third = PULLED[:3] + [(c, v, p, t + "// SPDX-License-Identifier: CC0-1.0\n")
                          for c, v, p, t in PULLED[3:]]
    stats, loaded = _grow(d, third)
    assert not stats["grown"] and len(loaded) == 4 and stats["texts"] == 4
    opened = fulltext._open(d)
    assert len(opened.segments.segments) == 1 and opened.rank is None
    monkeypatch.setattr(fulltext, "MAX_SEGMENTS", 8)
    # every text but one changed: most of texts.bin would be dead
    changed = [(c, v, p, t.replace("CC0-1.0", "CC0-1.0 ")) for c, v, p, t in third[:3]] + third[3:]
    assert not _grow(d, changed)[0]["grown"]


def test_a_failed_growth_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    d = tmp_path / "ft"
    _grow(d, V1)
    before = _answers(d)
    files = {n: (d / n).read_bytes() for n in os.listdir(d)}

    def load(f: FileText):
        raise OSError("the disk went away")
    with pytest.raises(OSError):
        build(d, _files(*PULLED), procs=1, load=load, grow=True)
    assert {n: (d / n).read_bytes() for n in os.listdir(d)} == files
    assert _answers(d) == before
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".ft.new")]


def test_an_index_of_the_previous_format_is_written_afresh(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "ft"
    with monkeypatch.context() as m:
        m.setattr(fulltext, "FORMAT", 6)
        _grow(d, V1)
    stats, loaded = _grow(d, PULLED)
    assert not stats["grown"] and len(loaded) == 4


def test_a_grown_index_scans_its_chunks_in_path_order(tmp_path: Path) -> None:
    """A search takes candidate chunks in the path order of their files (a limited search
    stops early on it), the new texts' chunks among the others, the dead left out."""
    d = tmp_path / "ft"
    _grow(d, V1)
    _grow(d, PULLED)
    opened = fulltext._open(d)
    assert opened.rank is not None
    q = fulltext._Query(opened, fulltext.parse_query("clock update"), None, None)
    firsts = [q.docs(opened.chunk_blob[c])[0] for c in q.cands]
    assert firsts == sorted(firsts) and [p for _c, _v, p in firsts] == [
        "arch/x86/kvm/x86.c", "src/VBox/VMM/VMMAll/TMAll.cpp", "src/VBox/VMM/VMMR3/GIMKvm.cpp"]
