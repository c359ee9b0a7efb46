"""Audit W (s32, `logline` and `search`) on small fixtures of its own."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref.cli import cli

from cliquery import indexed_cli

VBOX = Path(__file__).parent / "fixtures" / "audit_w32_vbox"
GIM = "src/VBox/VMM/VMMR3/GIMFixW.cpp"


@pytest.fixture(scope="module")
def wq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, VBOX, "virtualbox-vmm@t", fulltext=True)


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


LINUX = Path(__file__).parent / "fixtures" / "audit_w32_linux"
DUMP = "arch/x86/kvm/svm/svm_dumpw.c"


@pytest.fixture(scope="module")
def lq(tmp_path_factory):
    return indexed_cli(tmp_path_factory, LINUX, "linux-kvm@t", fulltext=True)


@pytest.mark.parametrize("line, at, values", [
    ("SVMW: rsp: ffffc90000a3fe48 rbp: ffffc90000a3fe80", 7,
     ["ffffc90000a3fe48", "ffffc90000a3fe80"]),
    ("SVMW: ring: 0 mode: 3 tag: 0000beef", 9, ["0", "3", "0000beef"]),
])
def test_logline_of_a_padded_line_whose_blank_runs_were_collapsed(lq, line, at, values):
    """A dump line pasted through a web page or a mail has each run of blanks as one space:
    it is still the whole output of its padded format (a little under a line that kept its
    blanks), with each value where it is in the line as given."""
    code, rows, out = lq("logline", "[  512.000001] " + line)
    assert code == 0, out
    top = rows[0]
    assert (top["file"], top["line"], top["mode"]) == (DUMP, at, "full"), out
    assert [s["text"] for s in top["spans"]] == values, out
    assert all(line[s["start"]:s["end"]] == s["text"] for s in top["spans"]), out
    code, rows, out = lq("logline", "[  512.000001] SVMW: ring: 0    mode:   3           "
                                    "tag:      0000beef")
    assert rows[0]["line"] == 9 and rows[0]["score"] > top["score"] or at != 9, out


def test_logline_of_several_pasted_lines_answers_each_line(lq):
    """Two dump lines pasted together, each printed by its own call: no statement prints the
    paste whole, so each pasted line's statement comes first, in the paste's order, said
    to be the answer of that pasted line."""
    paste = ("[  512.000001] SVMW: rsp:         ffffc90000a3fe48 rbp:       ffffc90000a3fe80\n"
             "[  512.000002] SVMW: ring: 0    mode:   3           tag:      0000beef")
    code, rows, out = lq("logline", paste)
    assert code == 0, out
    assert [(r["line"], r["mode"], r.get("pasted_line")) for r in rows[:2]] == [
        (7, "full", 1), (9, "full", 2)], out
    assert rows[1]["spans"][-1]["text"] == "0000beef", out
    r = CliRunner().invoke(cli, ["logline", paste, "--index", str(lq.index)])
    assert "[pasted line 2; score" in r.stdout, r.output


@pytest.mark.parametrize("where", [
    "/build/vbox/tinder/src/VBox/VMM/VMMR3/GIMFixW.cpp(24) int gimR3FixWCheckState(uint32_t)",
    "E:\\tinder\\win\\src\\VBox\\VMM\\VMMR3\\GIMFixW.cpp(24) gimR3FixWCheckState",
])
def test_logline_of_an_iprt_assertion_names_its_statement(wq, where):
    """An IPRT assertion's report in VBox.log names the file and line (`Location  :
    FILE(LINE) FUNCTION`, a Linux or a Windows build's path): that statement comes first
    (mode `location`), not the other statement printing the same message."""
    paste = ("00:00:07.000001 !!Assertion Failed!!\n"
             "00:00:07.000002 Expression: <NULL>\n"
             f"00:00:07.000003 Location  : {where}\n"
             "00:00:07.000004 Bad feature state 3")
    code, rows, out = wq("logline", paste)
    assert code == 0, out
    assert (rows[0]["file"], rows[0]["line"], rows[0]["mode"]) == (GIM, 24, "location"), out
    assert rows[0]["function"] == "gimR3FixWCheckState", out
    code, rows, out = wq("logline", paste.splitlines()[2])
    assert (rows[0]["line"], rows[0]["mode"]) == (24, "location"), out


@pytest.mark.parametrize("line, at, values", [
    ('VMSetError: Configuration error: unknown GIMW mode "Bogus"', 31, ["Bogus"]),
    ("VMSetError: GIMW: mode Hyper rejected (VERR_NOT_SUPPORTED)", 33,
     ["Hyper", "VERR_NOT_SUPPORTED"]),
])
def test_logline_of_an_error_whose_format_is_marked_for_translation(wq, line, at, values):
    """`VMSetError(pVM, rc, RT_SRC_POS, N_("..."), ...)`: the format inside the translation
    marker is VMSetError's, so the line VBox.log has (`VMSetError: ` and the message) is
    its whole output, with the values of VMSetError's later arguments."""
    code, rows, out = wq("logline", "00:00:00.912345 " + line)
    assert code == 0, out
    top = rows[0]
    assert (top["line"], top["mode"], top["symbol"]) == (at, "full", "VMSetError"), out
    assert [s["text"] for s in top["spans"]] == values, out
