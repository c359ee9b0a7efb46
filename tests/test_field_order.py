"""Struct member positions (`sym.pos`, used to resolve positional initializers) follow the
document, also in files with parse errors (tree-sitter's capture order does not)."""
from __future__ import annotations

from vmxref import corpora
from vmxref.indexer import worker

# A header in the style of arch/x86/boot: inline asm, attribute macros and a stray token
# that tree-sitter cannot parse, around structs whose member order matters.
SRC = b"""
#define __attribute_used__ __attribute__((used))
struct apic_map_like {
	struct rcu_head rcu;
	u8 mode;
	u32 max_apic_id;
	union {
		struct kvm_lapic *xapic_flat_map[8];
		struct kvm_lapic *xapic_cluster_map[16][4];
	};
	u32 logical_mode;
	struct kvm_lapic *phys_map[];
};
struct biosregs {
	union {
		struct { u32 edi, esi, ebp, _esp, ebx, edx, ecx, eax; };
		struct { u16 di, hdi, si, hsi, bp, hbp, _sp, _hsp; };
	};
	u32 fs_gs;
};
static inline u16 ds(void) { u16 seg; asm("movw %%ds,%0" : "=rm" (seg)); return seg; }
int broken( = ;
struct pvclock_like {
	u32 version;
	u32 pad0 BROKEN_ATTR(;
	u64 tsc_timestamp;
	u64 system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
};
static struct pvclock_like g = { 1, 0, 2, 3, 4, 5, 6 };
"""


def _fields(facts) -> dict[str, list[tuple[tuple[int, int], int]]]:
    out: dict[str, list] = {}
    for name, kind, line, col, _end, scope, _type, pos, *_ in facts.syms:
        if kind == "field":
            out.setdefault(scope, []).append(((line, col), pos, name))
    return out


def test_field_positions_follow_the_document_in_a_file_with_errors():
    worker.init(corpora.load("linux-kvm").section("macros"), "printf", None)
    for _ in range(3):  # the capture order also varies between runs in one process
        facts, status = worker._work(SRC, "c")
        assert status == "ok" and facts.err_lines > 0
        fields = _fields(facts)
        assert [n for _, _, n in sorted(fields["pvclock_like"])][:1] == ["version"]
        assert [p for _, p, n in sorted(fields["apic_map_like"]) if n in ("rcu", "mode", "max_apic_id")] == [0, 1, 2]
        for scope, rows in fields.items():
            rows.sort()
            positions = [p for _, p, _ in rows]
            assert positions == sorted(positions), (scope, rows)
