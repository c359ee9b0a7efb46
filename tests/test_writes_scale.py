"""`writes` of a common member name: what makes it cheap must not change the answers.

- a write that reaches the asked member's storage only through a pointer below it is no
  write of it (`h->emb.next->val`: another object), and the members below are not looked
  for through pointers;
- rows whose chain resolves elsewhere are dropped once per (declared type, chain), before
  the callee of an out-parameter is looked into;
- whether a callee only reads through a parameter does not depend on the questions the
  scope answered before (a `vmxref shell` keeps one scope for every question).
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vmxref import api

SRC = """\
struct fx_node { int val; struct fx_node *next; };
struct fx_emb { int flags; struct fx_node *next; struct fx_node inl; };
struct fx_holder { struct fx_emb emb; int flags; };
struct fx_other { int flags; };

static int fx_peek(const struct fx_emb *e);
static int fx_inner(struct fx_emb *e) { return e->flags; }
static int fx_mid(struct fx_emb *e) { return fx_inner(e); }
static int fx_outer(struct fx_emb *e) { return fx_mid(e); }
static void fx_fill(int *p) { *p = 3; }

static void fx_writes(struct fx_holder *h, struct fx_other *o)
{
	h->emb.flags = 1;
	h->emb.next->val = 2;
	h->emb.inl.val = 3;
	o->flags = 4;
	fx_fill(&o->flags);
	fx_fill(&h->emb.flags);
	h->flags = 5;
}

static void fx_reads(struct fx_holder *h, struct fx_holder *g)
{
	fx_outer(&h->emb);
	fx_inner(&g->emb);
}

struct fx_other2 { struct fx_emb e2; };
static void fx_reads2(struct fx_other2 *q) { fx_outer(&q->e2); }

#define fx_setarg(v, x) ((v) = (x))
static void fx_args(struct fx_holder *h)
{
	unsigned long flags = 0;
	fx_setarg(flags, 6);
	fx_setarg(h->emb.flags, 7);
}
"""


def _scope(tmp_path):
    kvm = tmp_path / "src" / "arch" / "x86" / "kvm"  # (a path the linux-kvm profile indexes)
    kvm.mkdir(parents=True)
    (kvm / "fx.c").write_text(SRC)
    api.index(str(tmp_path / "src"), "linux-kvm@fx", tmp_path / "ix", procs=1, fulltext=False)
    return lambda: api.open_scope(tmp_path / "ix", "linux-kvm@fx")


def _lines(sites):
    return sorted((s.line, s.extra.get("write_kind"), s.extra.get("container")) for s in sites)


def test_members_below_stop_at_pointers(tmp_path):
    sc = _scope(tmp_path)()
    got = _lines(api.run_query(sc, "writes fx_holder.emb"))
    assert (16, "assign", "fx_holder") in got  # h->emb.inl.val: inside emb's storage
    assert (14, "assign", "fx_holder") in got
    assert 15 not in {g[0] for g in got}  # h->emb.next->val writes an fx_node elsewhere


def test_rows_of_other_structs_dropped(tmp_path):
    sc = _scope(tmp_path)()
    got = _lines(api.run_query(sc, "writes fx_emb.flags"))
    # h->emb.flags = 1, fx_fill(&h->emb.flags), fx_setarg(h->emb.flags, 7); not o->flags,
    # fx_fill(&o->flags), h->flags
    assert [g[0] for g in got] == [14, 19, 37]
    assert {g[2] for g in got} == {"fx_emb"}
    other = _lines(api.run_query(sc, "writes fx_other.flags"))
    assert [g[0] for g in other] == [17, 18]


def test_read_only_answers_do_not_depend_on_earlier_questions(tmp_path):
    fresh = _scope(tmp_path)
    alone = _lines(api.run_query(fresh(), "writes fx_holder.emb"))
    sc = fresh()
    # (fx_outer hands `e` to fx_mid, which hands it to fx_inner: deciding fx_outer looks
    # at fx_inner with no depth left, "not known to only read"; asked itself, it is known)
    api.run_query(sc, "writes fx_other2.e2")
    after = _lines(api.run_query(sc, "writes fx_holder.emb"))
    assert after == alone
    assert 26 not in {g[0] for g in alone}  # fx_inner(&g->emb) only reads it


def test_member_writes_by_argument_macros_of_a_common_name(tmp_path, monkeypatch):
    from vmxref.queries import macro_uses
    monkeypatch.setattr(macro_uses, "MAX_REFS_WALKED", 0)  # (as for `flags` on all of Linux)
    fresh = _scope(tmp_path)
    member = _lines(api.run_query(fresh(), "writes fx_emb.flags"))
    assert 37 in {g[0] for g in member} and 36 not in {g[0] for g in member}
    assert {36, 37} <= {g[0] for g in _lines(api.run_query(fresh(), "writes flags"))}


def test_read_only_addresses_read_at_once_or_line_by_line(tmp_path, monkeypatch):
    from vmxref.queries import readonly
    fresh = _scope(tmp_path)

    def kinds(q):
        return sorted((s.line, s.extra.get("ref_kind")) for s in api.run_query(fresh(), q))
    by_line = {q: kinds(q) for q in ("refs emb", "refs flags")}
    assert (26, "read") in by_line["refs emb"]  # fx_inner(&g->emb) only reads it
    assert (18, "write") in by_line["refs flags"]  # fx_fill(&o->flags) writes it
    monkeypatch.setattr(readonly, "_LINES_ONE_BY_ONE", 0)  # (as for `refs flags` on Linux)
    assert {q: kinds(q) for q in by_line} == by_line


@settings(max_examples=400)
@given(st.text(alphabet="ab*", min_size=1, max_size=7).filter(lambda k: "*" in k),
       st.text(alphabet="ab", max_size=8))
def test_profile_globs_match_as_the_regex_they_replace(key: str, name: str) -> None:
    """[writes] table keys with `*` (`atomic*_read`) match without compiling a regex each."""
    import re

    from vmxref.queries.readonly import _glob_match
    rx = re.compile(".*".join(map(re.escape, key.split("*"))))
    assert _glob_match(tuple(key.split("*")), name) == bool(rx.fullmatch(name))
