"""logline's catalog kept in the index folder (vmxref/queries/logcatalog.py): written by the
first look-up, read by the next process, never taken for an index whose calls changed."""
from __future__ import annotations

import shutil
from pathlib import Path

from vmxref import api
from vmxref.queries import logcatalog, logline

FIX = Path(__file__).parent / "fixtures" / "linux"
X86 = "arch/x86/kvm/x86.c"


def _ask(index: Path, line: str) -> list[tuple[str, int]]:
    logline._catalogs.clear()  # (a new process: nothing kept in memory)
    sc = api.open_scope(index, "linux-kvm@t")
    return [(s.file, s.line) for s in api.run_query(sc, f"logline '{line}'")]


def test_the_catalog_is_kept_and_follows_the_index(tmp_path, monkeypatch):
    src, index = tmp_path / "src", tmp_path / "index"
    shutil.copytree(FIX, src)
    api.index(str(src), "linux-kvm@t", index, procs=1)
    line = "guest time update: tsc_khz=1000 shift=2"
    first = _ask(index, line)
    assert (X86, 43) in first
    kept = list((index / "cache").glob("logline-*.bin"))
    assert len(kept) == 1

    built = []  # the second look-up reads the file: no catalog is built
    monkeypatch.setattr(logcatalog, "_build",
                        lambda *a: built.append(1) or (_ for _ in ()).throw(AssertionError))
    assert _ask(index, line) == first and not built
    monkeypatch.undo()

    # the statement's wording changes and the tree is indexed again: the kept catalog is not
    # this index's (the old words would lead nowhere, the new ones be missing)
    x86 = src / X86
    x86.write_text(x86.read_text().replace('"guest time update: tsc_khz=',
                                           '"guest clock refresh: tsc_khz='))
    api.index(str(src), "linux-kvm@t", index, procs=1)
    assert (X86, 43) in _ask(index, "guest clock refresh: tsc_khz=1000 shift=2")
    assert len(list((index / "cache").glob("logline-*.bin"))) == 2


def test_an_unreadable_cache_file_is_built_again(tmp_path):
    index = tmp_path / "index"
    api.index(str(FIX), "linux-kvm@t", index, procs=1)
    line = "guest time update: tsc_khz=1000 shift=2"
    first = _ask(index, line)
    for f in (index / "cache").glob("logline-*.bin"):
        f.write_bytes(b"\x00not marshal")
    assert _ask(index, line) == first
