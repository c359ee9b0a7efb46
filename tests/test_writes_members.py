"""writes(..., members=False): a variable's own writes without the writes into its members
(provenance's global writes keep only those, and looking for the rest scanned every write of
the corpus for a common name)."""
from __future__ import annotations

from vmxref import api
from vmxref.queries import lang
from vmxref.queries.writes import writes

SRC = """\
struct fix_in { int x; };
struct fix_out { struct fix_in fix_inner; };
struct fix_out fix_g;
struct fix_in fix_inner;

static void fix_set(int k)
{
	fix_g.fix_inner.x = k;
	fix_inner.x = k;
	fix_inner = (struct fix_in){ 0 };
	fix_g.fix_inner = fix_inner;
}
"""


def _scope(tmp_path):
    kvm = tmp_path / "src" / "arch" / "x86" / "kvm"  # (a path the linux-kvm profile indexes)
    kvm.mkdir(parents=True)
    (kvm / "fix.c").write_text(SRC)
    api.index(str(tmp_path / "src"), "linux-kvm@fix", tmp_path / "ix", procs=1, fulltext=False)
    return api.open_scope(tmp_path / "ix", "linux-kvm@fix")


def _rows(sites):
    return sorted((s.line, s.extra.get("container"), s.extra.get("op")) for s in sites)


def test_members_false_keeps_the_variables_own_writes_only(tmp_path):
    sc = _scope(tmp_path)
    target = lang.Target(None, ("fix_inner",))
    every = _rows(writes(sc, target))
    own = _rows(writes(sc, target, members=False))
    assert (8, "fix_out", "=") in every  # a write into the member (found among "members below")
    assert 8 not in {r[0] for r in own}
    assert [r for r in own if not r[1]] == [r for r in every if not r[1]] == [(10, "", "=")]
    assert (11, "fix_out", "=") in own  # (the member itself: its own writes stay)


PTR_SRC = """\
struct fix_frag { void *data; unsigned char bytes[8]; struct fix_in in; unsigned int len; };

static void fix_fill(struct fix_frag *frag, const void *src, void *other)
{
	memcpy(frag->data, src, frag->len);
	memcpy(frag->bytes, src, 8);
	memcpy(&frag->data, &other, sizeof(void *));
	memset(&frag->in, 0, sizeof(frag->in));
	memcpy((void *)(frag->data), src, 4);
	frag->data = other;
}
"""


def test_memcpy_through_a_pointer_member_writes_the_pointee_not_the_member(tmp_path):
    """memcpy(p->data, ...) with `void *data` fills what data points at: the member keeps its
    value, so it is no write of p->data; into an array member, or given the member's address,
    it is one."""
    kvm = tmp_path / "src" / "arch" / "x86" / "kvm"
    kvm.mkdir(parents=True)
    (kvm / "frag.c").write_text(SRC + PTR_SRC)
    api.index(str(tmp_path / "src"), "linux-kvm@fix", tmp_path / "ix", procs=1, fulltext=False)
    sc = api.open_scope(tmp_path / "ix", "linux-kvm@fix")
    base = SRC.count("\n")

    def lines(member):
        return sorted(s.line - base for s in writes(sc, lang.Target("fix_frag", (member,))))

    assert lines("data") == [7, 10]  # the address handed over, and the assignment
    assert lines("bytes") == [6]
    assert lines("in") == [8]


INIT_SRC = """\
struct fix_pair { int a; int b; };

static void fix_inits(void)
{
	struct fix_pair p = { .a = 1 };
	struct fix_pair q = { .b = 2 };
	fix_use(&p, &q);
}
"""


def test_an_initializer_naming_the_member_is_its_row_only(tmp_path):
    """`q = { .b = 2 }` is q.b's designated row, not also a whole-object one; `fix_use(&p,
    &q)`, a call out of the corpus, may write both."""
    kvm = tmp_path / "src" / "arch" / "x86" / "kvm"
    kvm.mkdir(parents=True)
    (kvm / "inits.c").write_text(INIT_SRC)
    api.index(str(tmp_path / "src"), "linux-kvm@fix", tmp_path / "ix", procs=1, fulltext=False)
    sc = api.open_scope(tmp_path / "ix", "linux-kvm@fix")
    got = sorted((s.line, s.extra["write_kind"]) for s in writes(sc, lang.Target("fix_pair", ("b",))))
    assert got == [(6, "designated"), (7, "whole-object"), (7, "whole-object")]


def test_address_of_a_name_is_the_pattern_it_replaces():
    """writes._address_of answers as re.search(rf"&\\s*\\(?\\s*{name}\\b", text) does, without a
    pattern per name (random texts over the characters that matter)."""
    import random
    import re

    from vmxref.queries.writes import _address_of
    rng = random.Random(35)
    for _ in range(5000):
        text = "".join(rng.choice("ap& \t(_)x1") for _ in range(rng.randint(0, 14)))
        name = rng.choice(["a", "p", "ap", "x1"])
        assert _address_of(name, text) == bool(
            re.search(rf"&\s*\(?\s*{re.escape(name)}\b", text)), (name, text)
