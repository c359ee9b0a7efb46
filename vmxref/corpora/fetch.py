"""Obtain corpus sources: a local tree or tarball, or Debian's linux-source package.

Only the profile's [paths] are extracted, and the files its `[source] also_extract` names
(read at query time, not indexed: the Kbuild Makefiles logline takes module names from). Archive members are filtered (no absolute paths,
no `..`, no links leaving the destination: tarfile's "data" filter).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pathspec

from vmxref import corpora
from vmxref.errors import SourceError

LOCAL = Path("corpora-local")


def default_dest(prof: corpora.Profile, version: str) -> Path:
    """Where `corpus get` puts a corpus version by default."""
    return LOCAL / f"{prof.name}-{version}"


def get(name: str, source: str | None = None, dest: Path | None = None,
        version: str | None = None) -> Path:
    """Fetch corpus `name` into `dest` (only the profile's paths); returns the root."""
    prof = corpora.load(name)
    ver = version or prof.default_version
    dest = Path(dest or default_dest(prof, ver))
    spec = pathspec.PathSpec.from_lines("gitignore", prof.includes + list(
        prof.section("source").get("also_extract", [])))  # (files read, not indexed)
    if source:
        src = Path(source)
        if src.is_dir():
            return _copy_tree(src, dest, spec)
        if src.is_file():
            with tarfile.open(src) as tf:
                return _extract(tf, dest, spec, _strip_prefix(tf, prof))
        raise SourceError(f"--from {source!r}: no such directory or tarball")
    pkg = prof.section("source").get("debian_package")
    if not pkg:
        raise SourceError(f"corpus {name!r} has no packaged source; use "
                          f"`vmxref corpus get {name} --from PATH|TARBALL`")
    return _from_debian(prof, pkg, dest, spec)


def _copy_tree(src: Path, dest: Path, spec: pathspec.PathSpec) -> Path:
    n = 0
    root = src.resolve()
    for rel in spec.match_tree_files(str(root)):
        s = root / rel
        if not s.resolve().is_relative_to(root):
            continue
        d = dest / rel
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(s, d)
        n += 1
    if not n:
        raise SourceError(f"{src}: no file matches the corpus profile's paths")
    return dest


def _strip_prefix(tf: tarfile.TarFile, prof: corpora.Profile) -> str:
    configured = prof.section("source").get("strip_prefix")
    if configured:
        return configured
    first = tf.next()
    if first is not None and "/" in first.name.lstrip("./"):
        return first.name.lstrip("./").split("/", 1)[0] + "/"
    return ""


def _extract(tf: tarfile.TarFile, dest: Path, spec: pathspec.PathSpec, prefix: str) -> Path:
    """Stream-extract the members under `prefix` that the profile's globs select."""
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for m in tf:
        name = m.name.lstrip("./")
        if not name.startswith(prefix) or not m.isfile():
            continue
        rel = name[len(prefix):]
        if not spec.match_file(rel):
            continue
        m.name = rel
        tf.extract(m, dest, filter="data")
        n += 1
    if not n:
        raise SourceError(f"the archive has no file under {prefix!r} matching the profile's paths")
    return dest


def _apt_download(what: str, cache: Path) -> subprocess.CompletedProcess:
    r = subprocess.run(["apt-get", "download", what], cwd=cache, capture_output=True, text=True)
    if r.returncode != 0:  # (stale package lists)
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        r = subprocess.run(["apt-get", "download", what], cwd=cache, capture_output=True, text=True)
    return r


def _debian_package(pkg: str, version: str | None, cache: Path) -> list[Path]:
    """The cached .deb of `pkg` (downloaded when missing): the profile's `debian_version`
    when it names one, as the real-corpus answers were checked on that release (a point
    release moves lines); Debian's current one when that version has left the archive,
    said on stderr."""
    if version:
        pattern = f"{pkg}_{version.split(':')[-1]}_*.deb"  # (no epoch in a .deb's name)
        pinned = sorted(cache.glob(pattern))
        if pinned:
            return pinned
        r = _apt_download(f"{pkg}={version}", cache)
        pinned = sorted(cache.glob(pattern))
        if r.returncode == 0 and pinned:
            return pinned
        sys.stderr.write(f"vmxref: {pkg} {version} is no longer in the archive; taking "
                         f"Debian's current {pkg} (its line numbers may differ)\n")
    debs = sorted(cache.glob(f"{pkg}_*.deb"))
    if not debs:
        r = _apt_download(pkg, cache)
        debs = sorted(cache.glob(f"{pkg}_*.deb"))
        if r.returncode != 0 or not debs:
            raise SourceError(f"`apt-get download {pkg}` failed: {r.stderr.strip()[-200:]}")
    return debs


def _from_debian(prof: corpora.Profile, pkg: str, dest: Path, spec: pathspec.PathSpec) -> Path:
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise SourceError(f"apt-get/dpkg-deb not found: download a Linux release tarball and run "
                          f"`vmxref corpus get {prof.name} --from linux-X.Y.tar.xz`")
    cache = LOCAL / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    debs = _debian_package(pkg, prof.section("source").get("debian_version"), cache)
    member = "./" + prof.section("source").get("tarball_member", "").lstrip("./")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        outer = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(debs[-1])], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=outer.stdout, mode="r|") as tf:
            inner = next((m for m in tf if m.name == member or m.name.endswith(".tar.xz")), None)
            if inner is None:
                raise SourceError(f"{debs[-1].name} holds no {member}")
            fobj = tf.extractfile(inner)
            with tarfile.open(fileobj=io.BufferedReader(fobj), mode="r|xz") as src_tf:  # type: ignore[arg-type]
                out = _extract(src_tf, dest, spec, prof.section("source").get("strip_prefix", ""))
        outer.wait()
        del tmp
    os.utime(dest)
    return out
