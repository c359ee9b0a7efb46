"""tests/corpus/relocate.py: pinned lines of the real-corpus tier carried to another point
release by their text and neighbours (no source text stored)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from relocate import Relocator, anchor  # noqa: E402

X86 = "arch/x86/kvm/x86.c"
OLD = """static void a(struct kvm_vcpu *vcpu)
{
\tkvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);
}

static void b(struct kvm_vcpu *vcpu)
{
\tvcpu->arch.tsc_offset = 0;
\tkvm_make_request(KVM_REQ_CLOCK_UPDATE, vcpu);
}
"""


def _anchors(text: str, lines: list[int]) -> dict:
    src = text.splitlines()
    return {X86: {str(n): anchor(src, n) for n in lines}}


def _write(root: Path, text: str) -> None:
    (root / X86).parent.mkdir(parents=True)
    (root / X86).write_text(text)


def test_moved_lines_are_found_by_their_text_and_neighbours(tmp_path: Path) -> None:
    anchors = _anchors(OLD, [3, 8, 9])
    new = "/* a backported comment */\n\n" + OLD.replace(
        "static void b", "static void c(void)\n{\n}\n\nstatic void b")
    _write(tmp_path, new)
    r = Relocator(tmp_path, anchors)
    assert r.line(X86, 3) == 5  # (two lines above it)
    # the same statement as line 3's (now nearer to 9 than its own), told apart by the line
    # before it
    assert r.line(X86, 9) == 15 and r.line(X86, 8) == 14
    assert r.text(f"see {X86}:9 ({X86}:4 is not pinned)") == f"see {X86}:15 ({X86}:4 is not pinned)"
    assert r.moved == {(X86, 3): 5, (X86, 9): 15, (X86, 8): 14}


def test_a_changed_statement_keeps_its_number_and_unanchored_lines_stay(tmp_path: Path) -> None:
    anchors = _anchors(OLD, [8])
    _write(tmp_path, OLD.replace("tsc_offset = 0", "tsc_offset = offset"))
    r = Relocator(tmp_path, anchors)
    assert r.line(X86, 8) == 8 and r.line(X86, 2) == 2 and r.line("arch/x86/kvm/y.c", 8) == 8
    assert r.moved == {}


def test_the_pinned_release_needs_no_move(tmp_path: Path) -> None:
    _write(tmp_path, OLD)
    r = Relocator(tmp_path, _anchors(OLD, [3, 8, 9]))
    assert [r.line(X86, n) for n in (3, 8, 9)] == [3, 8, 9] and r.moved == {}


def test_every_pinned_line_of_the_real_corpus_tier_is_anchored() -> None:
    """A line added to eval_data.py, a test or a saved query needs its anchor (run
    `python tests/corpus/relocate.py --write ROOT` on the pinned release)."""
    import json

    from relocate import ANCHORS, pinned_lines
    anchors = json.loads(ANCHORS.read_text())
    pinned = pinned_lines()
    assert len(pinned) > 200
    assert sorted(p for p in pinned if str(p[1]) not in anchors.get(p[0], {})) == []
