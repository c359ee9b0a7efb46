"""Shared fixtures: the fixture corpus indexed once per session, and golden-file checks."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from vmxref import api
from vmxref.indexer.ts import grammar_versions

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDENS = HERE / "goldens"


def pytest_report_header(config):
    return "grammars: " + ", ".join(f"{k} {v}" for k, v in grammar_versions().items())


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", help="rewrite golden files")


@pytest.fixture(scope="session")
def kvm_index(tmp_path_factory) -> Path:
    """The KVM-style fixture tree indexed as linux-kvm@fixture."""
    d = tmp_path_factory.mktemp("kvm-index")
    api.index(str(FIXTURES / "linux"), "linux-kvm@fixture", d, procs=1)
    return d


@pytest.fixture(scope="session")
def kvm(kvm_index):
    """Run a query on the fixture index; returns the results as JSON dicts."""
    sc = api.open_scope(kvm_index, "linux-kvm@fixture")

    def run(query: str) -> list[dict]:
        return [s.to_json() for s in api.run_query(sc, query)]
    run.scope = sc
    return run


@pytest.fixture
def golden(request):
    """assert_golden(name, text): compare with tests/goldens/NAME.txt (--update-goldens rewrites)."""
    def check(name: str, actual: str) -> None:
        path = GOLDENS / f"{name}.txt"
        if request.config.getoption("--update-goldens") or not path.exists():
            path.write_text(actual)
        assert actual == path.read_text(), f"{path} differs; rerun with --update-goldens"
    return check
