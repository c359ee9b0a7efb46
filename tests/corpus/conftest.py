"""Real-corpus tier: Linux 6.1 KVM (from Debian's linux-source-6.1; or VMXREF_LINUX_ROOT).

Runs when VMXREF_CORPUS_TESTS=1 (CI sets it) or when VMXREF_LINUX_ROOT points at a tree.
The sources are cached in ./corpora-local/ (git-ignored); the index is built once per session.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

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
def linux_index(tmp_path_factory) -> Path:
    root = _linux_root()
    if root is None:
        pytest.skip("real-corpus tier off: set VMXREF_CORPUS_TESTS=1 (or VMXREF_LINUX_ROOT)")
    d = tmp_path_factory.mktemp("linux-index")
    api.index(str(root), "linux-kvm@6.1", d)
    return d


@pytest.fixture(scope="session")
def linux(linux_index):
    sc = api.open_scope(linux_index, "linux-kvm@6.1")

    def run(query: str) -> list[dict]:
        return [s.to_json() for s in api.run_query(sc, query)]
    run.scope = sc
    run.index = linux_index
    return run
