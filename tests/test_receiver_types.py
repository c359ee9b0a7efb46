"""Each write carries the declared type of its base variable in the writing function
(`assign.vtype`): what `writes` uses to keep whole-object writes of unrelated locals out."""
from __future__ import annotations

from vmxref import corpora
from vmxref.indexer import worker

SRC = b"""
struct pvclock_vcpu_time_info { u32 version; u32 tsc_to_system_mul; };
struct kvm_vcpu_arch { struct pvclock_vcpu_time_info hv_clock; };
struct kvm_vcpu { struct kvm_vcpu_arch arch; };
static struct pvclock_vcpu_time_info shared;

static void reset_clock(struct kvm_vcpu *vcpu, void *p)
{
	struct pvclock_vcpu_time_info tmp;
	char buf[16];

	memset(&tmp, 0, sizeof(tmp));
	memset(buf, 0, sizeof(buf));
	memset(&vcpu->arch.hv_clock, 0, sizeof(vcpu->arch.hv_clock));
	memset(p, 0, 4);
	memset(&shared, 0, sizeof(shared));
	tmp.version = 1;
}

static void other(void)
{
	unsigned long tmp[4];

	memset(tmp, 0, sizeof(tmp));
}
"""


def _writes(facts) -> dict[tuple[str, str], list[str | None]]:
    out: dict[tuple[str, str], list] = {}
    for _line, _col, func, field, _chain, _op, _value, _kind, vtype in facts.assigns:
        out.setdefault((func, field), []).append(vtype)
    return out


def test_writes_carry_the_declared_type_of_their_base_variable():
    worker.init(corpora.load("linux-kvm").section("macros"), "printf", None)
    facts, status = worker._work(SRC, "c")
    assert status == "ok"
    w = _writes(facts)
    assert w[("reset_clock", "tmp")] == ["pvclock_vcpu_time_info"]
    assert w[("reset_clock", "buf")] == ["char[]"]
    assert w[("reset_clock", "hv_clock")] == ["kvm_vcpu*"]  # the base of vcpu->arch.hv_clock
    assert w[("reset_clock", "p")] == ["void*"]
    assert w[("reset_clock", "shared")] == [None]  # a global: not declared in the function
    assert w[("reset_clock", "version")] == ["pvclock_vcpu_time_info"]
    assert w[("other", "tmp")] == ["unsigned long[]"]  # each function its own declaration
