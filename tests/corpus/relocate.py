"""Expected lines of the real-corpus tier, carried to the point release at hand.

The answers in eval_data.py, test_logline.py, the round-9 checks and the saved queries name
lines of Linux 6.1 as Debian ships it in the pinned point release (the linux-kvm profile's
`debian_version`). Another point release moves lines. `anchors.json` keeps, for every such
line, short hashes of its text and of its text with the lines around it (whitespace removed;
no source text is stored); `Relocator` finds the nearest line to the pinned number with the
same text and neighbours, else the nearest with the same text (a statement such as
`kvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);` occurs many times in one file). On the pinned
release every line is where the answers say; elsewhere an answer whose line moved is still
checked, and one whose statement changed fails as before.

    python tests/corpus/relocate.py --write ROOT   # rewrite anchors.json from the tree at ROOT
"""
from __future__ import annotations

import glob
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / "anchors.json"
REACH = 3000  # how far from its pinned number a line is looked for

# "arch/x86/kvm/x86.c:3000" in tests and saved queries
_PATH_LINE = re.compile(r"(?P<p>(?:arch|virt|include)/[\w/.-]+\.[ch]):(?P<n>\d+)")
# (X86, 3109 ...) in the round-9 checks and test_linux_kvm.py
_TUPLE = re.compile(r"\((?P<c>[A-Z][A-Z0-9]*),\s*(?P<n>\d+)")


def line_hash(text: str) -> str:
    """A line's text without whitespace, hashed (10 hex digits)."""
    return hashlib.sha1("".join(text.split()).encode("utf-8", "surrogateescape")).hexdigest()[:10]


def anchor(lines: list[str], n: int) -> str:
    """The anchor of line `n` (1-based): 'LINE:CONTEXT', the hashes of the line and of the
    line with the one before and the one after."""
    near = lines[max(n - 2, 0):n + 1]
    return f"{line_hash(lines[n - 1])}:{line_hash(chr(10).join(near))}"


class Relocator:
    """Pinned (file, line) -> the same line in the tree at `root` (see the module doc)."""

    def __init__(self, root: Path, anchors: dict[str, dict[str, str]] | None = None) -> None:
        self.root = Path(root)
        self.anchors = anchors if anchors is not None else (
            json.loads(ANCHORS.read_text()) if ANCHORS.exists() else {})
        self._anchors: dict[str, list[tuple[str, str]]] = {}
        self.moved: dict[tuple[str, int], int] = {}

    def _anchored(self, path: str) -> list[tuple[str, str]]:
        got = self._anchors.get(path)
        if got is None:
            try:
                lines = (self.root / path).read_text(errors="surrogateescape").splitlines()
            except OSError:
                lines = []
            got = self._anchors[path] = [tuple(anchor(lines, m).split(":"))
                                         for m in range(1, len(lines) + 1)]
        return got

    def line(self, path: str, n: int) -> int:
        """Where pinned line `n` of `path` is in this tree (`n` when it is not anchored, or
        its text is nowhere near)."""
        want = self.anchors.get(path, {}).get(str(n))
        if want is None:
            return n
        text, context = want.split(":")
        have = self._anchored(path)
        for part, key in ((1, context), (0, text)):
            for d in range(REACH + 1):
                for m in ((n + d, n - d) if d else (n,)):
                    if 1 <= m <= len(have) and have[m - 1][part] == key:
                        if m != n:
                            self.moved[(path, n)] = m
                        return m
        return n

    def text(self, s: str) -> str:
        """`s` with every "path:line" in it relocated."""
        return _PATH_LINE.sub(lambda m: f"{m['p']}:{self.line(m['p'], int(m['n']))}", s)


def pinned_lines() -> set[tuple[str, int]]:
    """Every (path, line) the real-corpus tier pins."""
    sys.path.insert(0, str(HERE))
    import eval_data  # noqa: E402 - (tests/corpus is not a package)
    out: set[tuple[str, int]] = set()
    rows = [r for c in eval_data.WRITE_CASES
            for r in (*c.direct, *(c.indirect or ()), *c.neutral)]
    rows += [r for _q, exp in eval_data.REQUEST_CASES for r in exp]
    rows += [eval_data.PV_MEMCPY, eval_data.PV_GUEST_MEMSET, *eval_data.CLOCK_DATA_WHOLE,
             *eval_data.CLOCK_DATA_NEUTRAL]
    for r in rows:
        short, n = r.split(":")[:2]
        out.add((eval_data.path_of(short), int(n)))
    consts: dict[str, str] = {}
    for f in sorted(HERE.glob("test_*.py")):
        text = f.read_text()
        out |= {(m["p"], int(m["n"])) for m in _PATH_LINE.finditer(text)}
        consts.update(re.findall(r'\b([A-Z][A-Z0-9]*) = "((?:arch|virt|include)/[^"]+)"', text))
        for names, paths in re.findall(r"^([A-Z][A-Z0-9, ]+) = \(([^)]*)\)", text, re.M):
            consts.update(zip([x.strip() for x in names.split(",")],
                              re.findall(r'"([^"]+)"', paths)))
        out |= {(consts[m["c"]], int(m["n"])) for m in _TUPLE.finditer(text) if m["c"] in consts}
    for q in sorted(glob.glob(str(HERE.parents[1] / "queries" / "*.toml"))):
        out |= {(m["p"], int(m["n"])) for m in _PATH_LINE.finditer(Path(q).read_text())}
    return out


def write(root: Path) -> dict[str, dict[str, str]]:
    """anchors.json from the tree at `root` (the pinned release)."""
    anchors: dict[str, dict[str, str]] = {}
    for path, n in sorted(pinned_lines()):
        lines = (root / path).read_text(errors="surrogateescape").splitlines()
        if not 1 <= n <= len(lines):
            raise SystemExit(f"{path}:{n}: no such line under {root}")
        anchors.setdefault(path, {})[str(n)] = anchor(lines, n)
    ANCHORS.write_text(json.dumps(anchors, indent=0, sort_keys=True) + "\n")
    return anchors


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--write":
        raise SystemExit(__doc__)
    got = write(Path(sys.argv[2]))
    print(f"{ANCHORS}: {sum(len(v) for v in got.values())} lines of {len(got)} files")
