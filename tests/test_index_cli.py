"""`vmxref index` on the fast path (vmxref.fastcli, no click) says what the click command
says: the same summary line, the same one-line errors and exit codes; anything unusual
goes to click."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmxref import fastcli
from vmxref.cli import cli

LINUX = str(Path(__file__).parent / "fixtures" / "linux")


def _fast(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vmxref", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def _no_seconds(line: str) -> str:
    return re.sub(r"[0-9.]+s\b", "Ts", line)


def test_fast_index_and_reindex_say_what_click_says(tmp_path):
    fast_dir, full_dir = tmp_path / "fast", tmp_path / "full"
    args = [LINUX, "--corpus", "linux-kvm@fixture", "--no-fulltext", "--procs", "1"]
    first = _fast("index", *args, "--index", str(fast_dir))
    full = CliRunner().invoke(cli, ["index", *args, "--index", str(full_dir)])
    assert first.returncode == 0 == full.exit_code, first.stderr
    assert first.stdout == ""
    m = re.fullmatch(r"indexed linux-kvm@fixture: (\d+) files \((\d+) parsed, 0 shared, "
                     r"0 unchanged; skipped: none\) in [0-9.]+s; full text not built "
                     r"\(--no-fulltext\)\n", first.stderr)
    assert m and int(m[1]) >= 5 and m[1] == m[2], first.stderr
    assert _no_seconds(first.stderr) == _no_seconds(full.output)
    again = _fast("--index", str(fast_dir), "index", *args)  # the index given before the verb
    assert again.returncode == 0
    assert f"0 parsed, 0 shared, {m[1]} unchanged; skipped: none" in again.stderr
    q = ["q", "callers kvm_guest_time_update", "--corpus", "linux-kvm"]
    a = CliRunner().invoke(cli, [*q, "--index", str(fast_dir)])
    b = CliRunner().invoke(cli, [*q, "--index", str(full_dir)])
    assert a.exit_code == 0 and "vcpu_enter_guest" in a.output and a.output == b.output


def test_fast_index_errors_are_the_click_errors(tmp_path):
    args = ["index", str(tmp_path / "no-such-tree"), "--corpus", "linux-kvm@x", "--index",
            str(tmp_path / "idx")]
    fast = _fast(*args)
    full = CliRunner().invoke(cli, args)
    assert fast.returncode == 2 == full.exit_code
    assert fast.stderr.startswith("vmxref: error: ") and fast.stderr.count("\n") == 1
    assert fast.stderr == full.output
    unknown = _fast("index", LINUX, "--corpus", "no-such-profile", "--index", str(tmp_path / "i"))
    assert unknown.returncode == 2 and unknown.stderr.startswith("vmxref: error: ")


def test_fast_index_does_not_import_click(tmp_path):
    code = ("import sys; from vmxref import fastcli\n"
            f"sys.argv = ['vmxref', 'index', {LINUX!r}, '-c', 'linux-kvm@f', '--no-fulltext',"
            f" '--procs=1', '--index={tmp_path / 'i'}']\n"
            "try:\n    fastcli.main()\nexcept SystemExit as e:\n"
            "    print(e.code, 'click' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["0", "False"], r.stderr


@pytest.mark.parametrize("argv", [
    ["index", "--help"],
    ["index", "root"],                                # --corpus is required: click says so
    ["index", "a", "b", "-c", "x"],                   # two roots
    ["index", "root", "-c", "x", "--procs", "many"],  # not a number
    ["index", "root", "-c", "x", "--procs"],          # option without its value
    ["index", "root", "-c", "x", "--no-fulltext=1"],  # a flag with a value
    ["index", "root", "-c", "x", "--frobnicate"],
    ["corpus", "index", "linux-kvm"],
])
def test_unusual_index_invocations_go_to_click(argv):
    assert fastcli._parse_index(argv) is None


def test_plain_index_invocations_are_parsed(monkeypatch):
    monkeypatch.setenv("VMXREF_INDEX", "/env/idx")
    kw = fastcli._parse_index(["index", "src", "--corpus=c@1", "--profile", "p.toml", "--wait",
                               "--procs", "3", "--no-fulltext"])
    assert kw == {"root": "src", "corpus": "c@1", "profile": "p.toml", "procs": 3, "wait": True,
                  "fulltext": False, "index_dir": "/env/idx"}
    kw = fastcli._parse_index(["--index", "/a", "index", "-c", "c", "src"])
    assert kw["index_dir"] == "/a" and kw["root"] == "src" and kw["fulltext"] and not kw["wait"]
    assert fastcli._parse_index(["index", "src", "-c", "c", "--index", "/b"])["index_dir"] == "/b"


def test_a_profile_given_by_a_relative_path_is_read_from_any_directory(tmp_path, monkeypatch):
    """`vmxref index SRC --profile my.toml` keeps the profile's absolute path: a query run
    from another directory reads that profile (its snapshot), not the shipped one of the
    corpus name."""
    import shutil
    from pathlib import Path

    from vmxref import api, corpora
    from vmxref.queries.profiles import profile_section
    src = Path(__file__).parent / "fixtures" / "linux"
    text = Path(corpora.profile_path("linux-kvm")).read_text()
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "mine.toml").write_text(
        text.replace('unbound_member_callbacks = true', 'unbound_member_callbacks = false'))
    monkeypatch.chdir(tmp_path / "work")
    api.index(str(src), "linux-kvm@rel", tmp_path / "ix", profile="mine.toml", procs=1,
              fulltext=False)
    monkeypatch.chdir(tmp_path)
    sc = api.open_scope(tmp_path / "ix", None)
    try:
        assert sc.store.corpora(stats=False)[0]["profile"] == str(tmp_path / "work" / "mine.toml")
        assert profile_section(sc, "entry")["unbound_member_callbacks"] is False
    finally:
        sc.store.close()
    shutil.rmtree(tmp_path / "ix")


def test_a_root_matching_no_file_of_the_profile_is_an_error(tmp_path):
    """QA (audit S, D5): a root one level too deep (or empty) matches none of the profile's
    include globs: one line saying so, exit 2, no empty version made."""
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "notes.txt").write_text("int x;\n")
    ix = tmp_path / "idx"
    r = _fast("index", str(tmp_path / "src"), "--corpus", "linux-kvm@deep", "--index", str(ix))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "matches the linux-kvm profile's [paths] include globs" in r.stderr, r.stderr
    listed = CliRunner().invoke(cli, ["corpus", "list", "--index", str(ix)])
    assert "deep" not in listed.output, listed.output
