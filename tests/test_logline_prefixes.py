"""`logline` prefixes on a tiny kernel-style tree: KBUILD_MODNAME by directory, wrapper macros
followed through their bodies, printk / pr_cont without pr_fmt, WARNING lines, and VBox-style
double-parenthesis calls matched without any prefix."""
from __future__ import annotations

import pytest

from vmxref import api
from vmxref.queries.logline import _expand_pr_fmt, _format_uses, logline

# Written for these tests (CC0) in the style of include/linux/kvm_host.h and arch/x86/kvm.
HOST_H = """\
/* SPDX-License-Identifier: CC0-1.0 */
#define kvm_pr_unimpl(fmt, ...) \\
	pr_err_ratelimited("kvm [%i]: " fmt, task_tgid_nr(current), ## __VA_ARGS__)
#define vcpu_unimpl(vcpu, fmt, ...) \\
	kvm_pr_unimpl("vcpu%i, guest rIP: 0x%lx " fmt, (vcpu)->vcpu_id, kvm_rip_read(vcpu), ## __VA_ARGS__)
#define insn_failed(fmt...) do { WARN_ONCE(1, fmt); pr_warn_ratelimited(fmt); } while (0)
"""
VMX_C = """\
// SPDX-License-Identifier: CC0-1.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/kvm_host.h>

static void fixture_report(struct kvm_vcpu *vcpu, int n)
{
	pr_info("fixture feature %s\\n", n ? "on" : "off");
	printk(KERN_INFO "fixture plain printk %d\\n", n);
	vcpu_unimpl(vcpu, "fixture unhandled %u\\n", n);
	insn_failed("fixture vmwrite failed: field=%lx\\n", 0x6c16UL);
	WARN_ON_ONCE(n > 4);
}
"""
SVM_C = """\
// SPDX-License-Identifier: CC0-1.0
#define pr_fmt(fmt) "SVM: " fmt

static void fixture_svm(int n)
{
	pr_info("fixture feature %s\\n", n ? "on" : "off");
	pr_cont("fixture continued %d\\n", n);
}
"""


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernel-tree")
    for rel, text in (("include/linux/kvm_host.h", HOST_H), ("arch/x86/kvm/vmx/vmx.c", VMX_C),
                      ("arch/x86/kvm/svm/svm.c", SVM_C)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    ix = tmp_path_factory.mktemp("ix")
    api.index(str(root), "linux-kvm@prefix", ix, procs=1, fulltext=False)
    return api.open_scope(ix, "linux-kvm@prefix")


def _first(scope, line: str) -> tuple[str, int, str]:
    res = logline(scope, line)
    assert res, line
    return res[0].file, res[0].line, res[0].extra["mode"]


@pytest.mark.parametrize("line,where", [
    # KBUILD_MODNAME of arch/x86/kvm/vmx/ is kvm_intel
    ("[    1.000000] kvm_intel: fixture feature on", ("arch/x86/kvm/vmx/vmx.c", 7)),
    # the same format under a literal pr_fmt
    ("[    1.000000] SVM: fixture feature off", ("arch/x86/kvm/svm/svm.c", 6)),
    # printk and pr_cont do not add pr_fmt
    ("[    1.000000] fixture plain printk 3", ("arch/x86/kvm/vmx/vmx.c", 8)),
    ("fixture continued 3", ("arch/x86/kvm/svm/svm.c", 7)),
    # vcpu_unimpl -> kvm_pr_unimpl -> pr_err_ratelimited -> pr_fmt
    ("[   12.000000] kvm_intel: kvm [1234]: vcpu0, guest rIP: 0xfff0 fixture unhandled 5",
     ("arch/x86/kvm/vmx/vmx.c", 9)),
    # fmt... wrapper: WARN_ONCE prints it bare, pr_warn_ratelimited with pr_fmt
    ("fixture vmwrite failed: field=6c16", ("arch/x86/kvm/vmx/vmx.c", 10)),
    ("kvm_intel: fixture vmwrite failed: field=6c16", ("arch/x86/kvm/vmx/vmx.c", 10)),
    # a WARNING line names its statement
    ("WARNING: CPU: 1 PID: 99 at arch/x86/kvm/vmx/vmx.c:11 fixture_report+0x1/0x2 [kvm_intel]",
     ("arch/x86/kvm/vmx/vmx.c", 11)),
])
def test_first_result_with_prefixes(scope, line, where):
    file, lineno, mode = _first(scope, line)
    assert (file, lineno) == where
    assert mode in ("full", "location")


def test_spans_skip_prefix_conversions(scope):
    """Conversions of the prefix (pid, vcpu id, rIP) get arg -1; the call's own start at 0."""
    res = logline(scope, "kvm_intel: kvm [1234]: vcpu0, guest rIP: 0xfff0 fixture unhandled 5")
    spans = res[0].extra["spans"]
    assert [s["text"] for s in spans if s["arg"] == -1] == ["1234", "0", "fff0"]
    assert [(s["arg"], s["text"]) for s in spans if s["arg"] >= 0] == [(0, "5")]
    assert res[0].extra["prefix"] == "kvm_intel: kvm [%i]: vcpu%i, guest rIP: 0x%lx "


def test_format_uses_and_pr_fmt_expansion():
    assert _format_uses('(vcpu, fmt, ...) kvm_pr_unimpl("vcpu%i " fmt, (vcpu)->vcpu_id)') == \
        [("kvm_pr_unimpl", "vcpu%i ")]
    assert _format_uses("(fmt...) do { WARN_ONCE(1, fmt); pr_warn_ratelimited(fmt); } while (0)") == \
        [("WARN_ONCE", ""), ("pr_warn_ratelimited", "")]
    assert _format_uses("(x) ((x) + 1)") == []
    assert _expand_pr_fmt('(fmt) KBUILD_MODNAME ": " fmt', "kvm_amd") == "kvm_amd: "
    assert _expand_pr_fmt('(fmt) KBUILD_MODNAME ": " fmt') == "%s: "
    assert _expand_pr_fmt('(fmt) "pit: " fmt') == "pit: "
