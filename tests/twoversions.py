"""An index of the linux_qa fixture as linux-kvm@1 and an edited copy as linux-kvm@2."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from vmxref import api

FIX = Path(__file__).parent / "fixtures" / "linux_qa"


def index_two(tmp_path: Path, edit: Callable[[Path], None]) -> Path:
    """The index; `edit` changes the copy (its root) before it is indexed as @2."""
    v2 = tmp_path / "v2"
    shutil.copytree(FIX, v2)
    edit(v2)
    idx = tmp_path / "idx"
    api.index(str(FIX), "linux-kvm@1", idx, procs=1, fulltext=False)
    api.index(str(v2), "linux-kvm@2", idx, procs=1, fulltext=False)
    return idx


def drop_asid(root: Path) -> None:
    """Version 2 of qa_ctlcache.c: struct qa_ctl_cached without its member asid."""
    f = root / "arch/x86/kvm/qa_ctlcache.c"
    f.write_text(f.read_text().replace("struct qa_ctl_cached { u64 tsc_off; u32 asid; };",
                                       "struct qa_ctl_cached { u64 tsc_off; };")
                 .replace("\tto->asid = from->asid;\n", "").replace("ctl_cached.asid", "1"))
