"""Baseline: parse every listed file with tree-sitter in a pool of worker processes, nothing else.

    python bench/rawparse.py ROOT LIST {c|cpp} [--procs 2]

Prints files, bytes, trees with errors and seconds on stdout (one JSON line)."""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time

_PARSER = None


def _init(lang: str) -> None:
    """Worker initialiser: build one parser for the grammar (c or cpp)."""
    global _PARSER
    import tree_sitter
    if lang == "c":
        import tree_sitter_c as grammar
    else:
        import tree_sitter_cpp as grammar
    _PARSER = tree_sitter.Parser(tree_sitter.Language(grammar.language()))


def _parse(path: str) -> tuple[int, int]:
    """Parse one file; return (bytes, 1 if the tree has an error node else 0)."""
    with open(path, "rb") as f:
        data = f.read()
    tree = _PARSER.parse(data)
    return len(data), int(tree.root_node.has_error)


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("list")
    ap.add_argument("lang", choices=("c", "cpp"))
    ap.add_argument("--procs", type=int, default=2)
    a = ap.parse_args(argv)
    with open(a.list) as f:
        paths = [f"{a.root}/{line.rstrip()}" for line in f if line.strip()]
    t0 = time.perf_counter()
    pool = mp.Pool(a.procs, initializer=_init, initargs=(a.lang,))
    nbytes = errors = 0
    for size, err in pool.imap_unordered(_parse, paths, chunksize=16):
        nbytes += size
        errors += err
    pool.close()
    pool.join()
    print(json.dumps({"files": len(paths), "bytes": nbytes, "trees_with_errors": errors,
                      "seconds": round(time.perf_counter() - t0, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
