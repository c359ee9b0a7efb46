"""Answers of many questions on a real index, dumped for comparison before and after a change.

    python bench/answers.py dump --index DIR --corpus NAME@VERSION OUT.json [--every N]
                                 [--same-as EARLIER.json]
    python bench/answers.py diff BEFORE.json AFTER.json

`dump` asks, in one process (as `vmxref shell` would), questions generated from the index
itself, so that the set grows with the code it covers and needs no list kept by hand:
  - `raises C | paths` and `consumes C` for every request constant of the corpus (the
    macros named like the profile's requests: KVM_REQ_*, VMCPU_FF_*, VM_FF_*);
  - `callers F`, `callees F` for every Nth function of the corpus (by name);
  - `writes S.f` for every Nth struct member that is written somewhere, `provenance S.f`
    for every 3Nth;
  - `def X` / `refs X` for every 3Nth function.
`--shuffle SEED` asks them in a random order: `diff` against a dump in the first order shows
the answers that depend on the questions asked before them in the process (memo bugs).
`--same-as` asks the questions of an earlier dump instead (the generated set follows the
index: after a change to the facts, every Nth name may be another one).
Each answer is kept as the lines `vmxref` prints, with its time in the process (the first
time a question's kind is asked pays what the process had not loaded yet). `diff` prints
the questions whose lines differ (lines only in BEFORE with `-`, only in AFTER with `+`)
and the summed time per question kind of both runs; exit status 1 when an answer changed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# Request constants by corpus name: the macro names `raises`/`consumes` are asked for.
REQUEST_GLOBS = {"linux-kvm": ["KVM_REQ_*"], "virtualbox-vmm": ["VMCPU_FF_*", "VM_FF_*"]}
# Constants that name a mask or a bit number rather than one request.
NOT_REQUESTS = ("_MASK", "_BIT", "_NR", "_FLAGS")


def _names(sc, sql: str, args: tuple = ()) -> list[str]:
    ids = ",".join(str(i) for i in sc.corpus_ids)
    return sorted({r[0] for r in sc.conn.execute(sql.replace("{ids}", ids), args)})


def questions(sc, corpus: str, every: int) -> list[str]:
    """The questions, in a fixed order (kinds interleaved as a session would ask them)."""
    name = corpus.split("@", 1)[0]
    consts: list[str] = []
    for glob in REQUEST_GLOBS.get(name, []):
        consts += [c for c in _names(
            sc, "SELECT DISTINCT s.name FROM sym s JOIN file f ON f.blob_id = s.blob_id "
                "AND f.corpus_id IN ({ids}) WHERE s.kind = 'macro' AND s.name GLOB ?", (glob,))
            if not c.endswith(NOT_REQUESTS)]
    funcs = _names(sc, "SELECT DISTINCT s.name FROM sym s JOIN file f ON f.blob_id = s.blob_id "
                       "AND f.corpus_id IN ({ids}) WHERE s.kind = 'function'")
    fields = _names(sc, "SELECT DISTINCT s.scope || '.' || s.name FROM sym s JOIN file f "
                        "ON f.blob_id = s.blob_id AND f.corpus_id IN ({ids}) "
                        "WHERE s.kind = 'field' AND s.scope GLOB '[A-Za-z_]*' "
                        "AND s.name IN (SELECT field FROM assign)")  # (not `(anonymous@N)`)
    out = []
    for c in consts:
        out += [f"raises {c} | paths", f"consumes {c}"]
    for i, f in enumerate(funcs[::every]):
        out += [f"callers {f}", f"callees {f}"]
        if i % 3 == 0:
            out += [f"def {f}", f"refs {f}"]
    for i, fld in enumerate(fields[::every]):
        out.append(f"writes {fld}")
        if i % 3 == 0:
            out.append(f"provenance {fld}")
    return out


def dump(args) -> int:
    from vmxref import api
    from vmxref.errors import VmxrefError
    from vmxref.render import render_sites
    sc = api.open_scope(Path(args.index), args.corpus)
    qs = (list(json.loads(Path(args.same_as).read_text())["answers"]) if args.same_as
          else questions(sc, args.corpus, args.every))
    if args.shuffle is not None:  # (another order in the same process: `diff` with a dump
        # in the first order shows any answer that depends on the questions asked before)
        import random
        random.Random(args.shuffle).shuffle(qs)
    answers = {}
    t_all = time.perf_counter()
    for q in qs:
        lines: list[str] = []
        t = time.perf_counter()
        try:
            sites = api.run_query(sc, q)
            render_sites(sites, False, lines.append, len(sc.corpus_ids) > 1)
        except VmxrefError as e:
            lines = [f"error: {e}"]
        answers[q] = {"lines": lines, "ms": round(1000 * (time.perf_counter() - t), 2)}
    Path(args.out).write_text(json.dumps({"corpus": args.corpus, "answers": answers},
                                         indent=0, sort_keys=True))
    n = sum(len(a["lines"]) for a in answers.values())
    print(f"{len(qs)} questions, {n} lines, {time.perf_counter() - t_all:.1f} s -> {args.out}")
    return 0


def _kind_ms(answers: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for q, a in answers.items():
        k = q.split()[0] + (" | paths" if q.endswith("| paths") else "")
        out[k] = out.get(k, 0.0) + a["ms"]
    return out


def diff(args) -> int:
    a = json.loads(Path(args.before).read_text())["answers"]
    b = json.loads(Path(args.after).read_text())["answers"]
    changed = 0
    for q in sorted(set(a) | set(b)):
        la, lb = a.get(q, {}).get("lines"), b.get(q, {}).get("lines")
        if la == lb:
            continue
        changed += 1
        print(f"== {q}" + (" (only in BEFORE)" if lb is None else
                           " (only in AFTER)" if la is None else ""))
        sa, sb = set(la or []), set(lb or [])
        for line in la or []:
            if line not in sb:
                print(f"- {line}")
        for line in lb or []:
            if line not in sa:
                print(f"+ {line}")
        if sa == sb:
            print("  (same lines, another order)")
    ka, kb = _kind_ms(a), _kind_ms(b)
    for k in sorted(set(ka) | set(kb)):
        print(f"{k:20} {ka.get(k, 0):9.1f} ms -> {kb.get(k, 0):9.1f} ms")
    print(f"{changed} of {len(set(a) | set(b))} answers differ")
    return 1 if changed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--index", required=True)
    d.add_argument("--corpus", required=True)
    d.add_argument("--every", type=int, default=40)
    d.add_argument("--same-as", help="ask the questions of this earlier dump")
    d.add_argument("--shuffle", type=int, metavar="SEED",
                   help="ask them in a random order (an answer must not depend on it)")
    d.add_argument("out")
    f = sub.add_parser("diff")
    f.add_argument("before")
    f.add_argument("after")
    args = ap.parse_args(argv)
    return dump(args) if args.cmd == "dump" else diff(args)


if __name__ == "__main__":
    sys.exit(main())
