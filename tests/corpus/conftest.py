"""Real-corpus tier: Linux 6.1 KVM (from Debian's linux-source-6.1; or VMXREF_LINUX_ROOT).

The answers name lines of the point release the linux-kvm profile pins (`debian_version`);
on another one they are carried over by relocate.py (`linux.L`, `linux.text`, the scorers).

Runs when VMXREF_CORPUS_TESTS=1 (CI sets it) or when VMXREF_LINUX_ROOT points at a tree.
The sources are cached in ./corpora-local/ (git-ignored); the index is built once per session.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import eval_score
from relocate import Relocator
from vmxref import api

REPO = Path(__file__).resolve().parents[2]


def _linux_root() -> Path | None:
    env = os.environ.get("VMXREF_LINUX_ROOT")
    if env:
        return Path(env)
    if os.environ.get("VMXREF_CORPUS_TESTS") != "1":
        return None
    from vmxref.corpora import fetch
    dest = REPO / "corpora-local" / "linux-kvm-6.1"
    if not (dest / "arch/x86/kvm/x86.c").is_file():
        cwd = os.getcwd()
        os.chdir(REPO)
        try:
            fetch.get("linux-kvm", dest=dest, version="6.1")
        finally:
            os.chdir(cwd)
    return dest


@pytest.fixture(scope="session")
def linux_root() -> Path:
    root = _linux_root()
    if root is None:
        pytest.skip("real-corpus tier off: set VMXREF_CORPUS_TESTS=1 (or VMXREF_LINUX_ROOT)")
    return root


@pytest.fixture(scope="session")
def relocate(linux_root) -> Relocator:
    """The pinned lines carried to this tree (relocate.py); the scorers use it too."""
    r = Relocator(linux_root)
    eval_score.RELOCATE = r.line
    return r


@pytest.fixture(scope="session")
def linux_index(linux_root, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("linux-index")
    api.index(str(linux_root), "linux-kvm@6.1", d)
    return d


@pytest.fixture(scope="session")
def linux(linux_index, relocate):
    sc = api.open_scope(linux_index, "linux-kvm@6.1")

    def run(query: str) -> list[dict]:
        return [s.to_json() for s in api.run_query(sc, query)]
    run.scope = sc
    run.index = linux_index
    run.L = relocate.line  # (path, pinned line) -> its line in this tree
    run.text = relocate.text  # every "path:line" of a string relocated
    return run
