"""Generated register headers (numeric #defines only) are read by a line scan: the same
facts as the parse and tree walk, for a fraction of the cost."""
from __future__ import annotations

from vmxref.indexer import defines, extract, ts


def _header(n: int, extra: str = "") -> bytes:
    """A header in the style of the AMD asic_reg ones, written for this test."""
    out = ["/*\n * Register offsets (test fixture written for vmxref)\n */",
           "#ifndef _qa_1_0_SH_MASK_HEADER", "#define _qa_1_0_SH_MASK_HEADER", ""]
    for i in range(n):
        out.append(f"//QAREG{i}_CNTL")
        out.append(f"#define QAREG{i}_CNTL__ENABLE__SHIFT{' ' * 40}0x{i % 32:x}")
        out.append(f"#define QAREG{i}_CNTL__ENABLE_MASK\t0x{1 << (i % 32):08X}L /* mask */")
        out.append(f"#define regQAREG{i}_BASE_IDX {i % 3}")
        out.append(f"#  define mmQAREG{i}_DEFAULT (-{i})")
    out += [extra, "", "#endif"]
    return "\n".join(out).encode() + b"\n"


def _tree_facts(content: bytes):
    return extract.extract(content, ts.parse(content, "c"), "c")


def test_a_numeric_define_header_gives_the_facts_of_the_tree_walk():
    content = _header(800)
    assert len(content) > defines.MIN_SIZE
    fast, slow = defines.scan(content), _tree_facts(content)
    assert fast is not None and len(fast.syms) == 4 * 800 + 1
    assert sorted(fast.syms) == sorted(slow.syms)
    assert fast.nlines == slow.nlines
    assert not any(getattr(slow, k) for k in ("refs", "calls", "assigns", "errors"))


def test_anything_else_takes_the_normal_path():
    assert defines.scan(_header(800, "typedef enum QA_SEL { QA_A = 0 } QA_SEL;")) is None
    assert defines.scan(_header(800, "#define QA_BOTH (QAREG1_CNTL__ENABLE_MASK | 1)")) is None
    assert defines.scan(_header(800, "#define QA_LONG \\\n 1")) is None
    assert defines.scan(_header(10)) is None  # (small: the tree walk)
