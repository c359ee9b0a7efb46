"""`vmxref stats`: per corpus version, how much was indexed and how much was understood."""
from __future__ import annotations

from vmxref.queries.base import Scope
from vmxref.queries.edges import Graph
from vmxref.queries.types import _PRIMITIVE, parse_chain, resolver


def corpus_stats(sc: Scope, resolution: bool = True) -> list[dict]:
    """One dict per corpus version of the scope."""
    out = []
    for cid in sc.corpus_ids:
        sub = Scope(sc.store, [cid])
        name, version = sc.store.corpus_label(cid)
        c = sc.conn
        files, lines, err = c.execute(
            "SELECT count(*), coalesce(sum(b.nlines), 0), coalesce(sum(b.err_lines), 0) "
            "FROM file f JOIN blob b ON b.id = f.blob_id WHERE f.corpus_id = ?", (cid,)).fetchone()
        row = {"corpus": name, "version": version, "files": files, "lines": lines}
        info = next((x for x in sc.store.corpora() if x["id"] == cid), {})
        row["skipped"] = info.get("stats", {}).get("skipped", {})
        for table, label in (("sym", "symbols"), ("ref", "references"), ("call", "calls"),
                             ("assign", "writes"), ("logcall", "format_strings")):
            row[label] = c.execute(
                f"SELECT count(*) FROM {table} t JOIN file f ON f.blob_id = t.blob_id "
                f"WHERE f.corpus_id = ?", (cid,)).fetchone()[0]
        row["functions"] = c.execute(
            "SELECT count(*) FROM sym t JOIN file f ON f.blob_id = t.blob_id "
            "WHERE f.corpus_id = ? AND t.kind = 'function'", (cid,)).fetchone()[0]
        row["parse_error_lines"] = err
        row["parse_error_share"] = f"{100.0 * err / lines:.2f} %" if lines else "0 %"
        worst = c.execute(
            "SELECT f.path, b.err_lines FROM file f JOIN blob b ON b.id = f.blob_id "
            "WHERE f.corpus_id = ? AND b.err_lines > 0 ORDER BY b.err_lines DESC LIMIT 5",
            (cid,)).fetchall()
        row["worst_files"] = ", ".join(f"{p} ({n})" for p, n in worst)
        factless = c.execute(
            "SELECT f.path, b.status FROM file f JOIN blob b ON b.id = f.blob_id "
            "WHERE f.corpus_id = ? AND b.status != 'ok' ORDER BY f.path LIMIT 50",
            (cid,)).fetchall()
        row["files_without_facts"] = ", ".join(f"{p} ({why})" for p, why in factless)
        if resolution:
            row.update(_resolution(sub))
        out.append(row)
    return out


def _resolution(sc: Scope) -> dict:
    """Share of field accesses whose receiver struct resolved; share of indirect calls resolved."""
    tr = resolver(sc)
    total = ok = ok_corpus = 0
    memo: dict[tuple, bool] = {}
    for _cid, _path, bid, chain_t, func, name in sc.rows(
            "ref", "t.chain IS NOT NULL", (), "t.chain, t.func, t.name"):
        chain = list(parse_chain(chain_t)) + [name]
        key = (bid, func, tuple(chain)) if chain[0].startswith("v:") else (0, "", tuple(chain))
        if key not in memo:
            in_corpus = tr.container(bid, func, chain) is not None
            memo[key] = (in_corpus or tr.receiver_type(bid, func, chain) is not None, in_corpus)
        total += 1
        ok += memo[key][0]
        ok_corpus += memo[key][1]
    g = Graph(sc)
    ind_total = ind_ok = 0
    by_kind: dict[str, list[int]] = {}
    seen: set[str] = set()
    for _cid, _path, bid, func, kind in sc.rows(
            "call", "t.kind IN ('member', 'static-call', 'pointer')", (), "t.func, t.kind"):
        if func in seen:
            continue
        seen.add(func)
    resolved: dict[tuple, bool] = {}
    for fn in seen:
        for e in g.out_of(fn):
            if e.kind != "direct":
                resolved[(e.path, e.line, e.col)] = True
    for _cid, path, bid, line, col, kind, callee in sc.rows(
            "call", "t.kind IN ('member', 'static-call', 'pointer')", (), "t.line, t.col, t.kind, t.callee"):
        if kind == "pointer" and (callee == "?" or tr.typedef(callee) is not None
                                  or callee in _PRIMITIVE):
            continue  # `(u32)(x)` casts and asm operands (`"a"(nr)`) the grammar reads as calls
        hit = resolved.get((path, line, col), False)
        ind_total += 1
        ind_ok += hit
        k = by_kind.setdefault(kind, [0, 0])
        k[0] += 1
        k[1] += hit
    pct = lambda a, b: f"{100.0 * a / b:.1f} %" if b else "n/a"  # noqa: E731
    return {
        "field_accesses": total,
        "receiver_resolved": pct(ok, total),
        "receiver_struct_in_corpus": pct(ok_corpus, total),
        "indirect_calls": ind_total,
        "indirect_resolved": pct(ind_ok, ind_total),
        "indirect_resolved_by_kind": {k: pct(v[1], v[0]) + f" of {v[0]}" for k, v in by_kind.items()},
    }
