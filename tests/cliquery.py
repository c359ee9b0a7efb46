"""A fixture tree indexed for one test module, and vmxref's command line run on it."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from vmxref import api
from vmxref.cli import cli


def indexed_cli(tmp_path_factory, fixture: Path, corpus: str, **index_kw):
    """Index `fixture` as `corpus` (one worker) into a fresh folder; returns run(*args):
    one vmxref command with --json on that index, as (exit code, JSON rows when it
    succeeded, output); run.index is the folder."""
    d = tmp_path_factory.mktemp(f"{fixture.name}-index")
    api.index(str(fixture), corpus, d, procs=1, **index_kw)

    def run(*args: str) -> tuple[int, list[dict], str]:
        r = CliRunner().invoke(cli, [*args, "--json", "--index", str(d)])
        rows = [json.loads(x) for x in r.stdout.splitlines()] if r.exit_code == 0 else []
        return r.exit_code, rows, r.output
    run.index = d  # type: ignore[attr-defined]
    return run
