"""VirtualBox PGM-style mode tables: a template function's per-mode copies (named by
pasting the mode into the name) stored in tables of function pointers, item by item
(`PTB_GST_NAME_REAL(GetPage),`) or by an entry macro #defined inside the table's own
initializer (`PTBMODEDATABTH_ENTRY(.., PTB_BTH_NAME_PAE_PAE)` filling `Nm(InvalidatePage)`):
a call through the table's member calls the template function."""
from __future__ import annotations

from pathlib import Path

import pytest

from cliquery import indexed_cli

FIX = Path(__file__).parent / "fixtures" / "pgmtab_s33"
ALL = "src/VBox/VMM/VMMAll/PGMTabAll.cpp"


@pytest.fixture(scope="module")
def pq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, FIX, "virtualbox-vmm@t", fulltext=False)


def test_the_entry_macro_defined_in_the_initializer_is_known(pq):
    code, rows, out = pq("def", "PTBMODEDATABTH_ENTRY")
    assert code == 0, out
    assert [r["line"] for r in rows] == [81, 83], out


def test_a_call_through_a_member_an_entry_macro_fills_calls_the_template(pq):
    code, rows, out = pq("callers", "InvalidatePage")
    assert code == 0, out
    assert [(r["line"], r["function"], r["edge"]) for r in rows] == [
        (98, "PTBInvalidatePage", "ops-table")], out
    assert "PTBMODEDATABTH.pfnInvalidatePage" in rows[0]["via"], out


def test_a_call_through_a_member_a_pasted_item_fills_calls_the_template(pq):
    code, rows, out = pq("callers", "GetPage")
    assert code == 0, out
    assert [(r["line"], r["function"], r["edge"]) for r in rows] == [
        (92, "PTBGstGetPage", "ops-table")], out
    code, rows, out = pq("path", "PTBGstGetPage", "->", "GetPage")
    assert code == 0, out
    assert rows, out
