"""The walk skips directories no include glob can reach, and never loses a file the globs
match (compared with matching every file of the tree)."""
from __future__ import annotations

import importlib
import os

import pytest

from vmxref.corpora import Profile

disc_mod = importlib.import_module("vmxref.indexer.discover")  # (the package exports the function)

INCLUDE = ["arch/x86/kvm/**/*.c", "include/linux/kvm*.h", "virt/kvm/*.c", "tools/**/kvm.h"]
FILES = [
    "arch/x86/kvm/x86.c", "arch/x86/kvm/vmx/vmx.c", "arch/x86/kvm/vmx/deep/er/f.c",
    "arch/x86/kernel/kvm.c", "include/linux/kvm_host.h", "include/linux/kvm_types.h",
    "include/linux/mm.h", "include/linux/sub/kvm_x.h", "include/linux/kvm_dir.h/inner.h",
    "virt/kvm/kvm_main.c", "virt/kvm/lib/x.c", "tools/a/b/kvm.h", "tools/kvm.h",
    "a_defs.h", "lib/b_defs.h", "drivers/x/y.c",
]


def _all_matching(root, include) -> list[str]:
    match = disc_mod._spec(include)
    out = []
    for d, _dirs, files in os.walk(root):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
            if match(rel):
                out.append(rel)
    return sorted(out)


@pytest.mark.parametrize("include", [INCLUDE, INCLUDE + ["*_defs.h"]])
def test_pruned_walk_finds_what_matching_every_file_finds(tmp_path, monkeypatch, include):
    for rel in FILES:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("int x;\n")
    prof = Profile("t", {"paths": {"include": include}})
    want = _all_matching(tmp_path, include)
    walked = []
    real_walk = os.walk

    def spy(top, *a, **k):
        for d, dirs, files in real_walk(top, *a, **k):
            walked.append(os.path.relpath(d, tmp_path).replace(os.sep, "/"))
            yield d, dirs, files
    monkeypatch.setattr(disc_mod.os, "walk", spy)
    files, _skipped = disc_mod.discover(tmp_path, prof)
    assert [f.path for f in files] == want
    assert "include/linux/kvm_dir.h/inner.h" in [f.path for f in files]  # gitignore dir match
    assert "arch/x86/kvm/vmx/deep/er" in walked
    if include == INCLUDE:  # (an unanchored glob like `*_defs.h` may match at any depth)
        assert "include/linux/sub" not in walked and "drivers/x" not in walked


def test_read_source_reads_what_the_file_holds_up_to_the_cap(tmp_path):
    """The read is sized by the walk's stat (not cap + 1 bytes for every file); a file over the
    cap, or one that grows past it after its size was taken, is skipped as "size"."""
    from vmxref.indexer.discover import SourceFile, Skipped, read_source
    p = tmp_path / "a.c"
    p.write_bytes(b"int x;\n" * 10)
    f = SourceFile("a.c", str(p), 70, 0, "c")
    assert read_source(f, 100) == b"int x;\n" * 10
    assert read_source(f, 69) == Skipped("a.c", "size")
    f = SourceFile("a.c", str(p), 30, 0, "c")  # the walk's size, taken before the file grew
    assert read_source(f, 100) == b"int x;\n" * 10  # (read on past the stale size)
    assert read_source(f, 50) == Skipped("a.c", "size")
