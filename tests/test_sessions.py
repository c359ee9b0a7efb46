"""Sessions: record through the CLI, note, bookmark, replay on a changed version, export."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitecheck import check_site
from test_report import index_two_versions
from vmxref import sessions
from vmxref.cli import cli
from vmxref.errors import VmxrefError


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    return index_two_versions(tmp_path_factory.mktemp("sess"))


def run(ix: Path, *args: str):
    r = CliRunner().invoke(cli, [*args, "--index", str(ix)])
    assert r.exit_code in (0, 1), r.output
    return r


@pytest.fixture(scope="module")
def recorded(two_versions) -> Path:
    ix = two_versions
    run(ix, "session", "start", "clock")
    run(ix, "session", "note", "Why does the guest clock <drift>?")
    run(ix, "callers", "kvm_guest_time_update", "--corpus", "fixture@1")
    run(ix, "session", "bookmark", "x86.c:61", "the update", "--corpus", "fixture@1")
    run(ix, "refs", "kvm_make_request", "--corpus", "fixture@1")
    run(ix, "session", "stop")
    run(ix, "callers", "kvm_guest_time_update", "--corpus", "fixture@1")  # not recorded
    return ix


def test_log_is_jsonl(recorded):
    events = [json.loads(x) for x in
              (recorded / "sessions" / "clock.jsonl").read_text().splitlines()]
    assert [e["type"] for e in events] == ["start", "note", "query", "bookmark", "query", "stop"]
    q = events[2]
    assert q["count"] == 3 and q["corpus"] == "fixture@1" and len(q["keys"]) == 3
    assert events[3]["line_text"] == "r = kvm_guest_time_update(vcpu);"
    assert sessions.active(recorded) is None


def test_list_and_show(recorded):
    assert "clock: 2 queries, 1 note, 1 bookmark" in run(recorded, "session", "list").output
    out = run(recorded, "session", "show", "clock").output
    assert "note: Why does the guest clock <drift>?" in out and "-> 3 results" in out


def test_replay_shows_changes(recorded):
    changes = sessions.replay(recorded, "clock", "fixture@2")
    callers = changes[0]
    # (the call moved from vmx_vcpu_load to vmx_post_run: paired as `diff` pairs it, not a
    # removed and an added row: audit S, D7)
    assert not callers.added and not callers.removed, (callers.added, callers.removed)
    assert [(st, o.function, n.function) for st, o, n, _note in callers.moved] == [
        ("moved", "vmx_vcpu_load", "vmx_post_run")]
    assert not changes[1].added and not changes[1].removed
    out = run(recorded, "session", "replay", "clock", "--corpus", "fixture@2").output
    assert "~ vmx.c:" in out and "moved (from vmx_vcpu_load at vmx.c:8" in out, out
    assert "+0 -0 ~1]" in out, out


def test_replay_same_version_is_unchanged(recorded):
    assert all(not c.added and not c.removed for c in sessions.replay(recorded, "clock", "fixture@1"))


def test_export_markdown(recorded, tmp_path):
    md = tmp_path / "clock.md"
    run(recorded, "session", "export", "clock", "--md", str(md))
    text = md.read_text()
    assert "Why does the guest clock <drift>?" in text
    assert "### Query `callers kvm_guest_time_update`" in text
    assert "```c" in text and "kvm_guest_time_update(vcpu);" in text
    assert "**Bookmark** `x86.c:61`" in text


def test_export_html(recorded, tmp_path):
    out = tmp_path / "html"
    run(recorded, "session", "export", "clock", "--html", str(out))
    pages = check_site(out)
    idx = "".join(pages["index.html"].text)
    assert "Why does the guest clock <drift>?" in idx and "the update" in idx
    assert sum(1 for h in pages["index.html"].links if h.startswith("q-")) == 2


def test_errors():
    with pytest.raises(VmxrefError):
        sessions.check_name("../evil")
    with pytest.raises(VmxrefError):
        sessions.parse_location("x86.c")


def test_start_record_keeps_profiles_as_digests(recorded):
    events = [json.loads(x) for x in
              (recorded / "sessions" / "clock.jsonl").read_text().splitlines()]
    meta = events[0]["meta"]
    profiles = {k: v for k, v in meta.items() if k.startswith("profile:")}
    assert profiles and all(re.fullmatch(r"fixture sha1:[0-9a-f]{16}", v)
                            for v in profiles.values()), profiles
    assert meta["schema_version"] and "fixture@1" in meta["corpora"]
    assert not any(k.startswith("derived:") for k in meta)
    assert len(json.dumps(events[0])) < 1000


def test_old_log_with_whole_profiles_still_works(recorded, tmp_path):
    """A log written before compact_meta: its start record holds whole profile snapshots."""
    lines = (recorded / "sessions" / "clock.jsonl").read_text().splitlines()
    start = json.loads(lines[0])
    start["meta"] = {"schema_version": "7", "profile:/x/fixture.toml": json.dumps(
        {"mtime_ns": 1, "size": 2, "data": {"name": "fixture", "pad": "x" * 30000}}),
        "derived:request_api:1": json.dumps({"clearers": {}})}
    (recorded / "sessions" / "old.jsonl").write_text(
        "\n".join([json.dumps(start), *lines[1:]]) + "\n")
    try:
        assert [e["type"] for e in sessions.load(recorded, "old")][:3] == ["start", "note", "query"]
        callers = sessions.replay(recorded, "old", "fixture@2")[0]
        assert [n.function for _st, _o, n, _note in callers.moved] == ["vmx_post_run"]
        run(recorded, "session", "export", "old", "--md", str(tmp_path / "old.md"))
        assert "### Query `callers kvm_guest_time_update`" in (tmp_path / "old.md").read_text()
        run(recorded, "session", "export", "old", "--html", str(tmp_path / "html"))
        check_site(tmp_path / "html")
    finally:
        (recorded / "sessions" / "old.jsonl").unlink()


@pytest.mark.parametrize("loc, args, said", [
    ("NoSuch.c:10", ["--corpus", "fixture@1"], "no file NoSuch.c in fixture@1"),
    ("x86.c:999999", ["--corpus", "fixture@1"], "no line 999999"),
    ("x86.c:61", ["--corpus", "fixture@7"], "fixture@7"),
    ("x86.c:61", [], "say which corpus version x86.c is in"),
])
def test_a_bookmark_of_a_place_that_is_not_there_is_refused(two_versions, loc, args, said):
    """QA (audit C, D9): a missing file, a line past the end, an unindexed version, or no
    version at all (no query yet) were recorded without a word, exported as `(@)`."""
    ix, name = two_versions, "checked-" + re.sub(r"\W", "", said)[:24]
    run(ix, "session", "start", name)
    try:
        r = CliRunner().invoke(cli, ["session", "bookmark", loc, "why", *args, "--index", str(ix)])
        assert r.exit_code == 2 and said in r.output, r.output
        r = CliRunner().invoke(cli, ["session", "bookmark", "x86.c:61", "ok", "--corpus",
                                     "fixture@1", "--index", str(ix)])
        assert r.exit_code == 0, r.output
    finally:
        run(ix, "session", "stop")
    [mark] = [e for e in sessions.load(ix, name) if e["type"] == "bookmark"]
    assert mark["corpus"] == "fixture@1" and mark["line_text"] and mark["file"].endswith("x86.c")


def test_sessions_can_live_outside_the_index(two_versions, tmp_path, monkeypatch):
    """QA (audit C, D10): session logs could only be written into the index directory."""
    away = tmp_path / "away"
    monkeypatch.setenv("VMXREF_SESSIONS", str(away))
    ix = two_versions
    run(ix, "session", "start", "elsewhere")
    run(ix, "callers", "kvm_guest_time_update", "--corpus", "fixture@1")
    run(ix, "session", "stop")
    assert (away / "elsewhere.jsonl").exists() and not (ix / "sessions" / "elsewhere.jsonl").exists()
    assert [e["type"] for e in sessions.load(ix, "elsewhere")] == ["start", "query", "stop"]
