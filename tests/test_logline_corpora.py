"""logline over several corpora (no --corpus): a log line is one product's, so the matches
are ranked together and another corpus's weak ones (a format of mostly arguments that
happens to share a word) are not shown beside a good match."""
from __future__ import annotations

from vmxref import api

LINUX = """\
static void qa_nested_setup(int cpu)
{
\tpr_info("Nested Virtualization enabled\\n");
\tpr_info("clock source switched to tsc on cpu %d\\n", cpu);
}
"""
VBOX = """\
static void emR3FixInitCompleted(bool fA, bool fB, bool fC)
{
    LogRel(("EM: Exit history optimizations: enabled=%RTbool enabled-r0=%RTbool enabled-r0-no-preemption=%RTbool\\n",
            fA, fB, fC));
}
"""


def test_logline_over_two_corpora_keeps_to_the_product_that_printed_it(tmp_path):
    lx = tmp_path / "lx" / "arch" / "x86" / "kvm"
    vb = tmp_path / "vb" / "src" / "VBox" / "VMM" / "VMMR3"
    lx.mkdir(parents=True)
    vb.mkdir(parents=True)
    (lx / "qa_nested.c").write_text(LINUX)
    (vb / "EMFixInit.cpp").write_text(VBOX)
    ix = tmp_path / "ix"
    api.index(str(tmp_path / "lx"), "linux-kvm@qa", ix, procs=1, fulltext=False)
    api.index(str(tmp_path / "vb"), "virtualbox-vmm@fix", ix, procs=1, fulltext=False)
    vbox_only = api.run_query(api.open_scope(ix, "virtualbox-vmm"),
                              "logline '[    1.0] kvm: Nested Virtualization enabled'")
    assert [r.line for r in vbox_only] == [3]  # (alone, the weak match is all there is)
    both = api.run_query(api.open_scope(ix, None),
                         "logline '[    1.0] kvm: Nested Virtualization enabled'")
    assert [(r.corpus, r.line) for r in both] == [("linux-kvm", 3)], both
    line = "00:00:00.500 EM: Exit history optimizations: enabled=true enabled-r0=false " \
           "enabled-r0-no-preemption=false"
    assert [(r.corpus, r.line) for r in api.run_query(api.open_scope(ix, None),
                                                     f"logline '{line}'")][:1] == [
        ("virtualbox-vmm", 3)]
