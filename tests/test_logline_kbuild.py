"""`logline` spells KBUILD_MODNAME in `pr_fmt(fmt) KBUILD_MODNAME ": " fmt` as the Kbuild
Makefiles under the corpus root say (scripts/Makefile.lib: the composite object a file is a
part of, `kvm-intel-y += vmx/vmx.o` -> kvm_intel; else the file's own object, `obj-y +=
kvmclock.o` -> kvmclock), the profile's `[log] modules` overriding them, the directory
default map when the Makefiles are gone. Fixtures written for these tests (CC0) in the
style of Linux's arch/x86/kvm and its Makefiles."""
from __future__ import annotations

import shutil

import pytest

from vmxref import api
from vmxref.queries.logline import logline

PR_FMT = '#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt\n'
FILES = {
    "arch/x86/kvm/Makefile": """\
# SPDX-License-Identifier: CC0-1.0
include $(srctree)/virt/kvm/Makefile.kvm

kvm-y\t\t\t+= x86.o \\
\t\t\t   mmu/fixmmu.o
ifdef CONFIG_HYPERV
kvm-y\t\t\t+= fixhv.o
endif
kvm-intel-y\t\t+= vmx/fixvmx.o
fixtdp-y := mmu/fixtdp.o
kvm-y += $(fixtdp-y)
kvm-$(CONFIG_FIX_COND:m=y) += fixcond.o
kvm-amd-$(CONFIG_KVM_AMD_SEV) += svm/fixsev.o

obj-$(CONFIG_KVM)\t+= kvm.o
obj-$(CONFIG_KVM_INTEL)\t+= kvm-intel.o
obj-$(CONFIG_KVM_AMD)\t+= kvm-amd.o
AFLAGS_vmx/vmenter.o    := -iquote $(obj)
""",
    "virt/kvm/Makefile.kvm": """\
# SPDX-License-Identifier: CC0-1.0
KVM ?= ../../../virt/kvm

kvm-y := $(KVM)/fixmain.o
kvm-$(CONFIG_KVM_VFIO) += $(KVM)/$(UNKNOWN_DIR)/fixvfio.o
""",
    "arch/x86/kernel/Makefile": """\
# SPDX-License-Identifier: CC0-1.0
obj-$(CONFIG_KVM_GUEST)\t\t+= kvm.o kvmclock.o
""",
    "arch/x86/kvm/x86.c": PR_FMT + 'void fix_x86(void) { pr_info("fixture x86 ready\\n"); }\n',
    "arch/x86/kvm/mmu/fixmmu.c": PR_FMT + 'void fix_mmu(void) { pr_info("fixture mmu ready\\n"); }\n',
    "arch/x86/kvm/vmx/fixvmx.c": PR_FMT + 'void fix_vmx(void) { pr_info("fixture vmx ready\\n"); }\n',
    "arch/x86/kvm/svm/fixsev.c": PR_FMT + 'void fix_sev(void) { pr_info("fixture sev ready\\n"); }\n',
    "virt/kvm/fixmain.c": PR_FMT + 'void fix_main(void) { pr_info("fixture main ready\\n"); }\n',
    "arch/x86/kernel/kvmclock.c": PR_FMT + 'void fix_clock(void) { pr_info("fixture clock ready\\n"); }\n',
    "arch/x86/kernel/kvm.c": PR_FMT + 'void fix_guest(void) { pr_info("fixture clock ready\\n"); }\n',
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernel-tree")
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    ix = tmp_path_factory.mktemp("ix")
    api.index(str(root), "linux-kvm@kb", ix, procs=1, fulltext=False)
    return root, ix


def _first(ix, line):
    got = logline(api.open_scope(ix, "linux-kvm@kb"), line)
    assert got, line
    return got[0]


@pytest.mark.parametrize("line,where,name,said", [
    ("[ 1.0] kvm: fixture x86 ready", "arch/x86/kvm/x86.c", "kvm", "arch/x86/kvm/Makefile"),
    ("[ 1.0] kvm: fixture mmu ready", "arch/x86/kvm/mmu/fixmmu.c", "kvm",
     "arch/x86/kvm/Makefile"),
    ("[ 1.0] kvm_intel: fixture vmx ready", "arch/x86/kvm/vmx/fixvmx.c", "kvm_intel",
     "arch/x86/kvm/Makefile"),
    ("[ 1.0] kvm_amd: fixture sev ready", "arch/x86/kvm/svm/fixsev.c", "kvm_amd",
     "arch/x86/kvm/Makefile"),
    ("[ 1.0] kvm: fixture main ready", "virt/kvm/fixmain.c", "kvm", "virt/kvm/Makefile.kvm"),
    ("[ 1.0] kvmclock: fixture clock ready", "arch/x86/kernel/kvmclock.c", "kvmclock",
     "arch/x86/kernel/Makefile"),
    ("[ 1.0] kvm: fixture clock ready", "arch/x86/kernel/kvm.c", "kvm",
     "arch/x86/kernel/Makefile"),
])
def test_the_module_name_comes_from_the_makefiles(tree, line, where, name, said):
    got = _first(tree[1], line)
    assert (got.file, got.extra["mode"]) == (where, "full")
    assert (got.extra["modname"], got.extra["modname_from"]) == (name, said)


def test_a_built_in_object_is_its_own_module(tree):
    """kvm.c and kvmclock.c print one format: the line with `kvmclock: ` is kvmclock.c's,
    kvm.c's only as a line another module's name was put before (before, both printed
    `%s: ` and tied)."""
    res = logline(api.open_scope(tree[1], "linux-kvm@kb"), "[ 2.0] kvmclock: fixture clock ready")
    assert [r.file for r in res] == ["arch/x86/kernel/kvmclock.c", "arch/x86/kernel/kvm.c"]
    assert res[0].extra["score"] > res[1].extra["score"]
    assert "module_prefix" not in res[0].extra and res[1].extra["module_prefix"] == "kvmclock"


def test_makefiles_gone_the_directory_map_or_any_name(tree, tmp_path):
    """An index whose root lost its Makefiles: vmx/ is kvm_intel by the default directory
    map, a file outside it prints some `NAME: `."""
    root, ix = tree
    bare = tmp_path / "ix"
    shutil.copytree(ix, bare)
    for rel in FILES:
        if "Makefile" in rel:
            (root / rel).rename(root / (rel + ".away"))
    try:
        sc = api.open_scope(bare, "linux-kvm@kb")
        got = logline(sc, "[ 1.0] kvm_intel: fixture vmx ready")[0]
        assert (got.extra["modname"], got.extra["modname_from"]) == ("kvm_intel",
                                                                     "directory default")
        got = logline(sc, "[ 1.0] anything: fixture clock ready")[0]
        assert got.extra["mode"] == "full" and got.extra["modname"] == "%s"
    finally:
        for rel in FILES:
            if "Makefile" in rel:
                (root / (rel + ".away")).rename(root / rel)


def test_the_profile_map_overrides_the_makefiles(tree, tmp_path):
    root, _ix = tree
    prof = tmp_path / "kb.toml"
    shipped = (api.__file__.rsplit("/", 1)[0] + "/corpora/linux-kvm.toml")
    text = open(shipped).read()
    prof.write_text(text.replace('name = "linux-kvm"', 'name = "linux-kb"', 1)
                    + '\n[log]\nmodules = { "arch/x86/kernel/" = "guestfix" }\n')
    ix = tmp_path / "ix2"
    api.index(str(root), "linux-kb@1", ix, profile=str(prof), procs=1, fulltext=False)
    got = logline(api.open_scope(ix, "linux-kb@1"), "[ 1.0] guestfix: fixture clock ready")[0]
    assert (got.extra["modname"], got.extra["modname_from"]) == ("guestfix",
                                                                 "profile [log] modules")


def test_makefile_reading(tree):
    """The forms read: `+=`/`:=`/`?=`, continued lines, ifdef branches all taken, includes,
    $(VAR) from the file's own assignments; a word with an unknown variable is left out."""
    from vmxref.queries import kbuild
    assert kbuild.name_fix("kvm-intel") == "kvm_intel"
    assert kbuild.source_dirs(["a/b/c.c", "a/d.c"]) == ["a", "a/b"]
    mods = kbuild.Modules(str(tree[0]), ["arch/x86/kvm", "virt/kvm", "arch/x86/kernel"])
    assert mods.module_of("arch/x86/kvm/fixhv.c") == ("kvm", "arch/x86/kvm/Makefile")
    assert mods.module_of("arch/x86/kvm/vmx/vmx.h") == ("kvm_intel", "arch/x86/kvm/Makefile")
    assert mods.module_of("arch/x86/kvm/mmu/fixtdp.c") == ("kvm", "arch/x86/kvm/Makefile")
    assert mods.module_of("arch/x86/kvm/fixcond.c") == ("kvm", "arch/x86/kvm/Makefile")
    assert mods.module_of("virt/kvm/fixvfio.c") is None
    assert mods.module_of("arch/x86/kvm/vmenter.c") is None
    assert mods.names() == {"kvm", "kvm_intel", "kvm_amd", "kvmclock"}
    assert kbuild.Modules(str(tree[0] / "nowhere"), ["arch/x86/kvm"]).names() == set()


def test_corpus_get_extracts_the_kbuild_makefiles(tmp_path):
    """`vmxref corpus get linux-kvm --from TARBALL` takes the Makefiles the profile's
    `[source] also_extract` names beside its [paths] (logline reads them; the indexer
    does not), and leaves the other Makefiles."""
    import tarfile
    from vmxref.corpora import fetch
    src = tmp_path / "linux-source-6.1"
    for rel, text in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    (src / "drivers").mkdir()
    (src / "drivers" / "Makefile").write_text("obj-y += fix.o\n")
    tar = tmp_path / "linux.tar.gz"
    with tarfile.open(tar, "w:gz") as tf:
        tf.add(src, arcname="linux-source-6.1")
    root = fetch.get("linux-kvm", str(tar), tmp_path / "got")
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*Makefile*")) == [
        "arch/x86/kernel/Makefile", "arch/x86/kvm/Makefile", "virt/kvm/Makefile.kvm"]
    stats = api.index(str(root), "linux-kvm@got", tmp_path / "ix", procs=1, fulltext=False)
    assert stats.files == len([r for r in FILES if r.endswith(".c")])
