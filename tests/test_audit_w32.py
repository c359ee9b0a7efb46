"""Audit W (s32, `logline` and `search`) on small fixtures of its own."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import api
from vmxref.cli import cli

VBOX = Path(__file__).parent / "fixtures" / "audit_w32_vbox"
GIM = "src/VBox/VMM/VMMR3/GIMFixW.cpp"


@pytest.fixture(scope="module")
def wq(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit-w32-vbox")
    api.index(str(VBOX), "virtualbox-vmm@t", d, procs=1, fulltext=True)

    def run(*args: str) -> tuple[int, list[dict], str]:
        r = CliRunner().invoke(cli, [*args, "--json", "--index", str(d)])
        rows = [json.loads(x) for x in r.stdout.splitlines()] if r.exit_code == 0 else []
        return r.exit_code, rows, r.output
    return run


@pytest.mark.parametrize("line, at", [
    ("GIMW:  %28s: %s" % ("cVirtualProcs", "4"), 14),           # one macro into another
    ("GIMW:  %28s: %s" % ("fSyntheticTimer", "1"), 15),         # two, `#a_Member` on the way
    ("GIMW:  %28s: %s" % ("uPartitionFlags", "0x3f"), 13),      # (the direct use, as before)
])
def test_logline_follows_a_macro_into_the_macro_its_body_uses(wq, line, at):
    """`GIMW_LOG_FEAT("cVirtualProcs", v)` expands to `GIMW_LOG_FEAT_EX(a_szName, "%u",
    a_uVal)`, whose body logs `"GIMW:  %28s: " a_szFmt "\\n"`: the use is the whole line's
    statement, with the field name printed padded (and `GIMW_LOG_BIT(fSyntheticTimer)`,
    one macro further, with the member's name stringified)."""
    code, rows, out = wq("logline", "00:00:00.812345 " + line)
    assert code == 0, out
    assert (rows[0]["file"], rows[0]["line"], rows[0]["mode"]) == (GIM, at, "full"), out
    assert rows[0]["function"] == "gimR3FixWLogFeatures"
    assert rows[0]["score"] > 0.8, out

