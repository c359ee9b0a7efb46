"""`vmxref corpus get` from Debian: the profile's pinned point release when the archive has
it, else Debian's current package, said on stderr (a fake apt-get on PATH)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from vmxref.corpora import fetch

FAKE_APT = """#!/bin/sh
# apt-get download PKG[=VERSION]: the archive holds 6.1.176-1 (current) and 6.1.170-3
[ "$1" = update ] && exit 0
case "$2" in
  *=6.1.176-1|*=6.1.170-3) v=${2#*=}; p=${2%%=*} ;;
  *=*) echo "E: Version '${2#*=}' for '${2%%=*}' was not found" >&2; exit 100 ;;
  *) v=6.1.176-1; p=$2 ;;
esac
echo deb > "${p}_${v}_all.deb"
"""


def _fake_apt(tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    apt = bin_dir / "apt-get"
    apt.write_text(FAKE_APT)
    apt.chmod(apt.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_the_pinned_point_release_is_taken_when_the_archive_has_it(tmp_path, monkeypatch, capsys):
    _fake_apt(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    cache.mkdir()
    debs = fetch._debian_package("linux-source-6.1", "6.1.170-3", cache)
    assert [d.name for d in debs] == ["linux-source-6.1_6.1.170-3_all.deb"]
    assert capsys.readouterr().err == ""
    # (cached: the current package downloaded later does not replace it)
    (cache / "linux-source-6.1_6.1.176-1_all.deb").write_text("deb")
    assert [d.name for d in fetch._debian_package("linux-source-6.1", "6.1.170-3", cache)] == \
        ["linux-source-6.1_6.1.170-3_all.deb"]


def test_a_release_gone_from_the_archive_falls_back_to_the_current_one(tmp_path, monkeypatch,
                                                                      capsys):
    _fake_apt(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    cache.mkdir()
    debs = fetch._debian_package("linux-source-6.1", "6.1.158-1", cache)
    assert [d.name for d in debs] == ["linux-source-6.1_6.1.176-1_all.deb"]
    err = capsys.readouterr().err
    assert "6.1.158-1 is no longer in the archive" in err and err.count("\n") == 1
