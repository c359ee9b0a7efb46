"""Macros that give the size or offset of a member (IPRT's RT_UOFFSETOF, Linux's
sizeof_field / offsetofend) read no value: their operands are `sizeof` references, as those
of offsetof(T, m) are, with the C passes and without."""
from __future__ import annotations

import pytest

from vmxref.indexer import extract, native, ts

SRC = b"""\
typedef struct FIXKVMTIME { unsigned u32Version; unsigned long u64Tsc; } FIXKVMTIME;
struct fix_regs { long rax; long rbx; };
static int fixR3Update(int u32Version, struct fix_regs *regs)
{
    int off = RT_UOFFSETOF(FIXKVMTIME, u32Version) + RT_OFFSETOF(FIXKVMTIME, u64Tsc);
    int n = sizeof_field(struct fix_regs, rax) + offsetofend(struct fix_regs, rbx);
    n += RT_SIZEOFMEMB(FIXKVMTIME, u64Tsc) + offsetof(struct fix_regs, rax);
    return off + n + u32Version + regs->rbx + fix_OFFSETOF_like(regs->rax);
}
"""


def _refs(passes) -> set[tuple]:
    old = native._TS[:]
    native._TS[:] = [passes]
    try:
        f = extract.extract(SRC, ts.parse(SRC, "c"), "c")
    finally:
        native._TS[:] = old
    return {r[:4] for r in f.refs}


@pytest.mark.parametrize("passes", [None, native.ts_passes()], ids=["python", "c"])
def test_size_macro_operands_are_sizeof_refs(passes):
    if passes is None and native.ts_passes() is None:
        pytest.skip("same as the other case")
    refs = _refs(passes)
    for name, col in (("FIXKVMTIME", 28), ("u32Version", 40), ("u64Tsc", 78)):
        assert (name, "sizeof", 5, col) in refs
    assert ("rax", "sizeof", 6, 43) in refs and ("rbx", "sizeof", 6, 79) in refs
    assert ("u64Tsc", "sizeof", 7, 36) in refs
    # the function's own reads stay reads; a call merely named like one reads its argument
    assert ("u32Version", "read", 8, 22) in refs
    assert ("rax", "read", 8, 71) in refs
    assert not {r for r in refs if r[2] in (5, 6) and r[1] == "read"}


def test_size_macro_starts_are_those_of_the_pattern():
    """extract._size_macro_starts (name by name with bytes.find) finds what the pattern
    `\\bNAME\\s*\\(` finds: at the start and the end of a text, after a word byte (not a
    use), a name that is the start of a longer one (RT_OFFSETOF / RT_OFFSETOF_ADD), blanks
    and newlines before the parenthesis, a name without one."""
    import random
    import re
    from vmxref.indexer import extract
    pattern = re.compile(rb"\b(?:%s)\s*\(" % b"|".join(extract.SIZE_MACROS))
    pieces = [*extract.SIZE_MACROS, b"(", b" ", b"\n", b"\t", b"x", b"_", b"9", b";", b"a->",
              b"RT_OFFSETOF_ADDX", b"MY_ARRAY_SIZE", b"RT_UOFFSETOF_"]
    rnd = random.Random(7)
    found = 0
    for _ in range(3000):
        text = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        want = {m.start() for m in pattern.finditer(text)}
        assert extract._size_macro_starts(text) == want, text
        found += len(want)
    assert found > 100  # (the sweep holds uses to find)
