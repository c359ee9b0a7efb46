"""What the command line makes of what people type: `vmxref logline` given the query's own
quoting, and the hint under `no results` when a verb is given a name of another kind."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from vmxref import fastcli
from vmxref.cli import cli, quoted_text

LINE = "guest time update: tsc_khz=3000 shift=1"   # pr_info in the fixture's x86.c:43


def invoke(kvm_index, *args: str):
    return CliRunner().invoke(cli, [*args, "--index", str(kvm_index)])


# --------------------------------------------------------------------------- logline quoting

@pytest.mark.parametrize("typed", [f"'{LINE}'", f'"{LINE}"'])
def test_logline_argument_in_one_pair_of_quotes_is_the_line(kvm_index, typed):
    """`vmxref logline "'LINE'"` (the query's quoting pasted) answers as `vmxref logline LINE`.
    Was: the quotes were part of the line, which then matched nothing."""
    plain = invoke(kvm_index, "logline", LINE, "--json")
    quoted = invoke(kvm_index, "logline", typed, "--json")
    assert plain.exit_code == quoted.exit_code == 0, quoted.output
    assert [json.loads(x)["line"] for x in plain.stdout.splitlines()] == [43]
    assert quoted.stdout == plain.stdout


@pytest.mark.parametrize("text, query_text", [
    ("'some text'", "'some text'"),            # one pair: the query's own quotes
    ('"it\'s here"', '"it\'s here"'),
    ("plain text", "'plain text'"),
    ("'a' is 'b'", "\"'a' is 'b'\""),          # a line with quotes in it stays whole
    ("'a' | limit 2", "\"'a' | limit 2\""),    # (not a pipe)
    ("'unclosed", "\"'unclosed\""),
    ("'", "\"'\""),
])
def test_quoted_text_strips_only_one_whole_pair(text, query_text):
    assert quoted_text("logline", text) == query_text


# --------------------------------------------------------------------------- wrong-kind hints

@pytest.mark.parametrize("args, hint", [
    (["callers", "hw_tsc_khz"],
     "vmxref: hw_tsc_khz is a member of kvm_vcpu_arch: try `writes kvm_vcpu_arch.hw_tsc_khz`"),
    (["provenance", "kvm_guest_time_update"],
     "vmxref: kvm_guest_time_update is a function: try `callers kvm_guest_time_update`"),
    (["raises", "kvm_guest_time_update"],
     "vmxref: kvm_guest_time_update is a function: try `callers kvm_guest_time_update`"),
    (["callees", "KVM_REQ_CLOCK_UPDATE"],
     "vmxref: KVM_REQ_CLOCK_UPDATE is a macro: try `refs KVM_REQ_CLOCK_UPDATE`"),
    (["callers", "kvm_vcpu_arch"],
     "vmxref: kvm_vcpu_arch is a type: try `refs kvm_vcpu_arch kind type`"),
])
def test_no_results_for_a_name_of_another_kind_says_what_it_is(kvm_index, args, hint):
    r = invoke(kvm_index, *args)
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.splitlines() == [
        f"vmxref: no results for `{' '.join(args)}` in linux-kvm@fixture", hint]
    assert invoke(kvm_index, *args, "--json").stderr == ""   # (JSON readers have the exit code)


def test_no_hint_for_a_name_of_the_right_kind(kvm_index):
    """kvm_arch_init_vm is a function nothing calls: no results, nothing to hint."""
    r = invoke(kvm_index, "callers", "kvm_arch_init_vm")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "vmxref: no results for `callers kvm_arch_init_vm` in linux-kvm@fixture"]


def test_fast_path_gives_the_hint_too(kvm_index, capsys):
    """`vmxref callers X` runs in fastcli without click: the same note."""
    code = fastcli.run_fast("callers hw_tsc_khz", "linux-kvm@fixture", str(kvm_index), False)
    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "vmxref: hw_tsc_khz is a member of kvm_vcpu_arch: try `writes kvm_vcpu_arch.hw_tsc_khz`")
