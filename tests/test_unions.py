"""The layout reading of vmxref/queries/unions.py: declarations, sizes, offsets."""
from __future__ import annotations

from vmxref.queries import unions


def names_bits(decl: str):
    return [(f["name"], f["bits"]) for f in unions._declared(decl, None)]


def test_declarations_name_the_declarator_not_the_type():
    assert names_bits("unsigned long orig_val") == [("orig_val", 64)]
    assert names_bits("uint32_t eax, u32Pad00, ecx") == [("eax", 32), ("u32Pad00", 32),
                                                          ("ecx", 32)]
    assert names_bits("uint16_t ax, au16Pad00[3]") == [("ax", 16), ("au16Pad00", 48)]
    assert names_bits("const struct opcode *group") == [("group", 64)]
    assert names_bits("struct segmented_address mem") == [("mem", None)]
    # a function pointer is named by its declarator, not by its parameters' names
    assert names_bits("int (*execute)(struct x86_emulate_ctxt *ctxt)") == [("execute", 64)]


def test_layout_aligns_members_and_packs_bit_fields():
    got = [(f["name"], f["off"], f["bits"]) for f in unions._layout(
        "u8 al, ah, pad[6]; u64 rcx; u32 basic : 16; u32 reserved : 15; u32 failed : 1; "
        "u64 next;", None)]
    assert got == [("al", 0, 8), ("ah", 8, 8), ("pad", 16, 48), ("rcx", 64, 64),
                   ("basic", 128, 16), ("reserved", 144, 15), ("failed", 159, 1),
                   ("next", 192, 64)]
    # past a member of unknown size, offsets are unknown
    assert [f["off"] for f in unions._layout("u32 a; struct x b; u32 c;", None)] == [0, None, None]


def test_comments_strings_and_directives_are_blanked_in_place():
    text = 'u32 a; /* { */ u8 b; // }\n#if X\nchar *s = "{";\n'
    out = unions._blanked(text)
    assert len(out) == len(text) and "{" not in out and "}" not in out
    assert "\n#" in out and "X" not in out
