"""File sets for the benchmarks: one path per line, relative to the set's root.

    python bench/filesets.py --prepare          # extract Linux 6.1 + VirtualBox sources once
    python bench/filesets.py SET [SET...]       # write bench/out/lists/SET.txt, print root
    python bench/filesets.py --all              # every set

Sets (all lists are sorted, regular files only, no symlinks):
  linux-kvm  the KVM subset of Linux 6.1 (same paths as the linux-kvm corpus profile)
  vbox-vmm   VirtualBox 6.1.36 src/VBox/VMM + include (*.c *.cpp *.h *.cpp.h)
  linux-big  Linux 6.1 arch/x86 + include + kernel + mm + virt (*.c *.h)
  vbox-all   all VirtualBox src + include (from the fetched git mirror)
  linux-all  all of Linux 6.1 (*.c *.h)
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
LISTS = OUT / "lists"
CORPORA = Path(os.environ.get("VMXREF_BENCH_CORPORA", "/work/corpora"))
LINUX_TARBALL = CORPORA / "linux-source-6.1.tar.xz"
LINUX_ALL = CORPORA / "linux-all"
VBOX_VMM = CORPORA / "vbox-6.1.36"
VBOX_ALL = CORPORA / "vbox-all"
VBOX_MIRROR = Path("/work/.mirror/pop-os+virtualbox/repo")
EXTRACT = Path("/work/shared/tools/extract-snapshot")

C_EXT = (".c", ".h")
VBOX_EXT = (".c", ".cpp", ".h")  # *.cpp.h ends in .h


@dataclass(frozen=True)
class FileSet:
    """A named benchmark set: a root, include globs (fnmatch on the relative path,
    '*' crossing '/'), allowed suffixes and the source language of its files."""

    name: str
    root: Path
    include: tuple[str, ...]
    suffixes: tuple[str, ...]
    lang: str  # "c" or "cpp": the tree-sitter grammar the raw-parse baseline uses
    # NAME@VERSION given to `vmxref index`. The big sets index under the name of the shipped
    # profile their bench profile copies (linux-kvm, virtualbox-vmm) with a distinct version:
    # at query time vmxref looks the [requests], [entry], [callgraph] tables up by corpus
    # NAME in the shipped profiles, so a corpus named linux-big would answer `raises` with
    # nothing (queries/profiles.py profile_section).
    corpus: str
    exclude: tuple[str, ...] = field(default=())
    # a shipped corpus profile whose [paths] choose the files instead of `include` (the
    # files `vmxref index` itself takes: the set cannot drift from the corpus)
    profile: str | None = None


SETS: dict[str, FileSet] = {
    s.name: s for s in (
        FileSet("linux-kvm", LINUX_ALL, (), C_EXT, "c", "linux-kvm@6.1", profile="linux-kvm"),
        FileSet("vbox-vmm", VBOX_VMM, ("src/VBox/VMM/*", "include/*"), VBOX_EXT, "cpp",
                "virtualbox-vmm@6.1.36"),
        FileSet("linux-big", LINUX_ALL,
                ("arch/x86/*", "include/*", "kernel/*", "mm/*", "virt/*"), C_EXT, "c",
                "linux-kvm@6.1-big"),
        FileSet("vbox-all", VBOX_ALL, ("src/*", "include/*"), VBOX_EXT, "cpp",
                "virtualbox-vmm@6.1.36-all"),
        FileSet("linux-all", LINUX_ALL, ("*",), C_EXT, "c", "linux-kvm@6.1-all"),
    )
}


def walk(root: Path) -> list[str]:
    """All regular files under root (no symlinks followed), as sorted relative paths."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            out.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return sorted(out)


def select(fs: FileSet) -> list[str]:
    """The relative paths of fs, filtered by its globs and suffixes."""
    if not fs.root.is_dir():
        raise SystemExit(f"{fs.root} missing: run `python bench/filesets.py --prepare`")
    if fs.profile is not None:
        from vmxref import corpora
        from vmxref.indexer.discover import discover
        files, _skipped = discover(str(fs.root), corpora.load(fs.profile))
        return sorted(f.path for f in files if f.path.endswith(fs.suffixes))
    return [p for p in walk(fs.root)
            if p.endswith(fs.suffixes)
            and any(fnmatch.fnmatchcase(p, g) for g in fs.include)
            and not any(fnmatch.fnmatchcase(p, g) for g in fs.exclude)]


def write_list(name: str) -> Path:
    """Write bench/out/lists/NAME.txt and return its path."""
    fs = SETS[name]
    paths = select(fs)
    LISTS.mkdir(parents=True, exist_ok=True)
    out = LISTS / f"{name}.txt"
    out.write_text("".join(p + "\n" for p in paths))
    return out


def list_path(name: str) -> Path:
    """The list file of set NAME, writing it if missing."""
    p = LISTS / f"{name}.txt"
    return p if p.exists() else write_list(name)


def read_list(name: str) -> list[str]:
    """The relative paths of set NAME."""
    return list_path(name).read_text().splitlines()


def prepare_linux() -> None:
    """Extract the whole Linux 6.1 tarball into CORPORA/linux-all (once)."""
    marker = LINUX_ALL / ".extracted"
    if marker.exists():
        print(f"{LINUX_ALL}: already extracted")
        return
    LINUX_ALL.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-xJf", str(LINUX_TARBALL), "-C", str(LINUX_ALL),
                    "--strip-components=1"], check=True)
    marker.write_text("linux-source-6.1.tar.xz\n")
    print(f"{LINUX_ALL}: extracted")


def prepare_vbox() -> None:
    """Extract VirtualBox src + include from the git mirror into CORPORA/vbox-all (once).

    Same selection as /work/shared/tools/extract-snapshot (blobs < 4 MB, C/C++/asm suffixes),
    but each `git archive` batch is untarred separately: that tool pipes several concatenated
    tar streams into one `tar -x`, which stops at the first end-of-archive block and so only
    extracts the first xargs batch (about 2,000 of 11,891 files)."""
    marker = VBOX_ALL / ".extracted"
    if marker.exists():
        print(f"{VBOX_ALL}: already extracted")
        return
    git = ["git", "--git-dir", str(VBOX_MIRROR)]
    tree = subprocess.run(git + ["ls-tree", "-r", "-l", "HEAD"], check=True,
                          capture_output=True, text=True).stdout
    paths = []
    for line in tree.splitlines():
        meta, path = line.split("\t", 1)
        size = meta.split()[3]
        if (size.isdigit() and int(size) < 4_000_000 and re.match(r"(src|include)/", path)
                and re.search(r"\.(c|cc|cpp|cxx|h|hh|hpp|inc|mac|asm|S)$", path)):
            paths.append(path)
    VBOX_ALL.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(paths), 1000):
        arch = subprocess.Popen(git + ["archive", "HEAD", "--"] + paths[i:i + 1000],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        subprocess.run(["tar", "-x", "-C", str(VBOX_ALL)], stdin=arch.stdout, check=True)
        arch.stdout.close()
        if arch.wait() != 0:
            raise SystemExit("git archive failed")
    marker.write_text(f"{VBOX_MIRROR} HEAD, {len(paths)} files\n")
    print(f"{VBOX_ALL}: extracted {len(paths)} files")


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", help="set names")
    ap.add_argument("--prepare", action="store_true", help="extract the corpora")
    ap.add_argument("--all", action="store_true", help="write the lists of every set")
    args = ap.parse_args(argv)
    if args.prepare:
        prepare_linux()
        prepare_vbox()
    names = list(SETS) if args.all else args.sets
    for n in names:
        if n not in SETS:
            ap.error(f"unknown set {n!r}; known: {', '.join(SETS)}")
        p = write_list(n)
        paths = p.read_text().splitlines()
        size = sum((SETS[n].root / q).stat().st_size for q in paths)
        print(f"{n}: {len(paths)} files, {size / 1e6:.1f} MB, root {SETS[n].root}, list {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
