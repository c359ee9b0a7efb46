"""`vmxref shell` with queries on standard input: answers, :json, :time, errors that do
not end the session, and completion of verbs and symbol names."""
from __future__ import annotations

import json
import subprocess
import sys

from vmxref import api
from vmxref.shell import Completer


def _shell(index, script: str) -> list[str]:
    r = subprocess.run([sys.executable, "-m", "vmxref", "shell", "--index", str(index)],
                       input=script, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_answers_errors_and_toggles(kvm_index):
    out = _shell(kvm_index, "\n".join([
        "callers kvm_guest_time_update",
        "callers no_such_function_anywhere",
        "writes (",
        ":json",
        "def kvm_guest_time_update",
        ":json",
        ":time",
        "raises KVM_REQ_CLOCK_UPDATE | paths",
        ":quit",
        "def never_reached",
    ]) + "\n")
    assert any(line.endswith("kvm_guest_time_update(vcpu);") or "kvm_guest_time_update(" in line
               for line in out[:3])
    errors = [line for line in out if line.startswith("error: ")]
    assert len(errors) == 2 and "no_such_function_anywhere" in errors[0]
    js = [json.loads(line) for line in out if line.startswith("{")]
    assert js and js[0]["symbol"] == "kvm_guest_time_update" and js[0]["kind"] == "def"
    timed = [line for line in out if line.startswith("(") and line.endswith(" ms)")]
    assert len(timed) == 1 and "results" in timed[0]  # only after :time
    assert not any("never_reached" in line for line in out)


def test_completion_of_verbs_and_symbols(kvm_index):
    c = Completer(api.open_scope(kvm_index))
    assert "callers " in c.candidates("cal", "cal")
    names = c.candidates("callers kvm_gu", "kvm_gu")
    assert "kvm_guest_time_update" in names and all(n.startswith("kvm_gu") for n in names)


def test_the_shell_says_what_qualifies_an_answer_and_records_the_session(kvm_index):
    """QA (audit C, D5, D8): the one-shot commands' notes (`memset is not defined in the
    indexed files ...`) were left out of the shell; its queries were not recorded in the
    active session."""
    from click.testing import CliRunner

    from vmxref import sessions
    from vmxref.cli import cli
    CliRunner().invoke(cli, ["session", "start", "shelled", "--index", str(kvm_index)])
    try:
        out = _shell(kvm_index, "def memset\ncallers kvm_guest_time_update\n")
    finally:
        CliRunner().invoke(cli, ["session", "stop", "--index", str(kvm_index)])
    assert any(line.startswith("(memset is not defined in the indexed files") for line in out), out
    queries = [e["query"] for e in sessions.load(kvm_index, "shelled") if e["type"] == "query"]
    assert queries == ["def memset", "callers kvm_guest_time_update"]
