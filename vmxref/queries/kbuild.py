"""KBUILD_MODNAME of a kernel source file, from the Kbuild Makefiles under the corpus root.

The kernel compiles each object with `-DKBUILD_MODNAME=NAME` (scripts/Makefile.lib): the
composite object it is a part of (`kvm-intel-y += vmx/vmx.o` -> kvm_intel), else its own
name (`obj-y += kvmclock.o` -> kvmclock); dashes and commas become underscores. The
Makefiles say which: in each directory of the corpus's indexed files (`Kbuild`, else
`Makefile`), with the files they `include` (arch/x86/kvm/Makefile includes
virt/kvm/Makefile.kvm, whose `$(KVM)/kvm_main.o` is ../../../virt/kvm/kvm_main.o from
arch/x86/kvm). Read as text, not run: every `ifdef`/`ifeq` branch counts, a `$(VAR)` is
expanded from the file's own assignments (and `$(srctree)`, `$(src)`, `$(obj)`), and a
word it cannot expand is left out. A root whose Makefiles are absent (an index of a tree
since removed, a corpus extracted without them) gives no names.
"""
from __future__ import annotations

import os
import posixpath

from vmxref.lazy import re

MAX_INCLUDE_DEPTH = 3
MAX_MAKEFILE_BYTES = 1_000_000
_ASSIGN = re.compile(r"^\s*(?:override\s+)?((?:[\w.-]|\$\([^)]*\))+)\s*([:+?]?=)\s*(.*)$")
_INCLUDE = re.compile(r"^\s*-?include\s+(\S+)\s*$")
_VAR = re.compile(r"\$\(([\w-]+)\)")
_LIST = re.compile(r"^(?P<name>[\w-]+?)-(?:y|m|objs|\$\(CONFIG_\w+(?::m=y)?\))$")


def source_dirs(paths) -> list[str]:
    """The directories whose Makefiles may name the modules of these source files: theirs
    and their parents' (not the root's: the top Makefile builds no object)."""
    out: set[str] = set()
    for p in paths:
        d = posixpath.dirname(p)
        while d and d not in out:
            out.add(d)
            d = posixpath.dirname(d)
    return sorted(out)


def name_fix(name: str) -> str:
    """KBUILD_MODNAME as scripts/Makefile.lib spells a module name (`kvm-intel` -> kvm_intel)."""
    return name.replace("-", "_").replace(",", "_")


class Modules:
    """The module of each source file of one corpus root (see module docstring)."""

    def __init__(self, root: str, dirs) -> None:
        self.root = os.path.abspath(root) if root else ""  # (`$(srctree)/...` is absolute)
        self.by_file: dict[str, tuple[str, str]] = {}  # path.c -> (name, Makefile read)
        for d in sorted(set(dirs)) if self.root else ():
            self._read_dir(d)

    def module_of(self, path: str) -> tuple[str, str] | None:
        """(KBUILD_MODNAME, the Makefile that says it) of a source file; a header has the
        module of the .c files of its directory when they all have one; else None."""
        if path.endswith(".h"):
            d = posixpath.dirname(path)
            got = {v for p, v in self.by_file.items() if posixpath.dirname(p) == d}
            return got.pop() if len({n for n, _m in got}) == 1 else None
        return self.by_file.get(posixpath.splitext(path)[0] + ".c")

    def names(self) -> set[str]:
        """Every module name found."""
        return {n for n, _m in self.by_file.values()}

    def _read_dir(self, d: str) -> None:
        for base in ("Kbuild", "Makefile"):
            rel = posixpath.join(d, base) if d else base
            text = _read(self.root, rel)
            if text is not None:
                lists, objs = {}, []
                _parse(self.root, d, rel, text, {"srctree": self.root, "src": d, "obj": d},
                       lists, objs, 0)
                self._assign(d, lists, objs)
                return

    def _assign(self, d: str, lists: dict[str, list[tuple[str, str]]],
                objs: list[tuple[str, str]]) -> None:
        built = {o[:-2] for o, _m in objs}  # (NAME.o in an obj- list: a composite when a
        for name, parts in lists.items():  # NAME-y list has its parts; composites first)
            if name in built:
                for o, makefile in parts:
                    self._set(d, o, name_fix(name), makefile)
        for o, makefile in objs:
            if o[:-2] not in lists:
                self._set(d, o, name_fix(posixpath.basename(o)[:-2]), makefile)

    def _set(self, d: str, obj: str, name: str, makefile: str) -> None:
        if not obj.endswith(".o"):
            return
        path = posixpath.normpath(posixpath.join(d, obj[:-2] + ".c"))
        if not path.startswith("../"):
            self.by_file.setdefault(path, (name, makefile))


def _read(root: str, rel: str) -> str | None:
    """A Makefile's text, or None (absent, unreadable, outside the root, too big)."""
    full = os.path.join(root, rel)
    try:
        if not os.path.realpath(full).startswith(os.path.realpath(root) + os.sep) or \
                os.path.getsize(full) > MAX_MAKEFILE_BYTES:
            return None
        with open(full, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _parse(root: str, d: str, rel: str, text: str, env: dict[str, str],
           lists: dict[str, list[str]], objs: list[str], depth: int) -> None:
    """Collect a Makefile's composite lists (`NAME-y += a.o`) and `obj-*` objects, with the
    paths as the directory `d` builds them (an included file's words are the includer's)."""
    for line in text.replace("\\\n", " ").splitlines():
        line = line.split("#", 1)[0]
        inc = _INCLUDE.match(line)
        if inc is not None:
            target = _expand(inc.group(1), env)
            if target is not None and depth < MAX_INCLUDE_DEPTH:
                target = posixpath.normpath(os.path.relpath(target, root) if
                                            os.path.isabs(target) else posixpath.join(d, target))
                sub = _read(root, target)
                if sub is not None:
                    _parse(root, d, target, sub, env, lists, objs, depth + 1)
            continue
        m = _ASSIGN.match(line)
        if m is None:
            continue
        lhs, op, value = m.groups()
        if lhs.startswith("obj-"):
            objs.extend((w, rel) for w in _words(value, env) if w.endswith(".o"))
            continue
        lm = _LIST.match(lhs)
        if lm is not None:  # (a composite's parts, or a list another takes as `$(gt-y)`)
            lists.setdefault(lm.group("name"), []).extend(
                (w, rel) for w in _words(value, env) if w.endswith(".o"))
        if re.fullmatch(r"[\w-]+", lhs) and not (op == "?=" and lhs in env):
            got = " ".join(_words(value, env))
            env[lhs] = (env.get(lhs, "") + " " + got).strip() if op == "+=" else got


def _words(value: str, env: dict[str, str]) -> list[str]:
    out = []
    for w in value.split():
        got = _expand(w, env)
        if got is not None:
            out.extend(got.split())
    return out


def _expand(text: str, env: dict[str, str]) -> str | None:
    """`$(VAR)` references replaced from env (3 rounds), None when one is unknown."""
    for _ in range(3):
        if "$" not in text:
            return text
        missing = False

        def one(m):
            nonlocal missing
            if m.group(1) not in env:
                missing = True
                return ""
            return env[m.group(1)]
        text = _VAR.sub(one, text)
        if missing:
            return None
    return None if "$" in text else text
