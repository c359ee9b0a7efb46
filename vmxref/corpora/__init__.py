"""Corpus profiles: data (TOML) saying where sources come from, which paths, which macros.

A profile is `vmxref/corpora/NAME.toml` (shipped) or any TOML file given by path. A third
corpus is one new file, not a code change.
"""
from __future__ import annotations

import functools
import os

TYPE_CHECKING = False  # (typing 3 ms, pathlib 5 ms of a query process: annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

from vmxref.errors import UnknownCorpus
from vmxref.lazy import json
from vmxref.model import Record

HERE = os.path.dirname(os.path.abspath(__file__))  # the shipped profiles
EXTRACTOR_VERSION = "93"  # bump when extraction changes: blobs are re-parsed


class Profile(Record):
    """A corpus profile (see the shipped TOML files for every key)."""

    __slots__ = ("name", "data", "path", "glob_rx")
    _no_compare = ("data", "glob_rx")

    def __init__(self, name: str, data: dict[str, Any], path: str | Path | None = None,
                 glob_rx: dict[str, str | None] | None = None) -> None:
        self.name, self.data, self.path = name, data, path
        self.glob_rx = glob_rx  # the [paths] globs as regexes (from a snapshot; see discover)

    @property
    def default_version(self) -> str:
        return str(self.data.get("default_version", "0"))

    @property
    def includes(self) -> list[str]:
        return list(self.data.get("paths", {}).get("include", ["**/*.c", "**/*.h"]))

    @property
    def excludes(self) -> list[str]:
        return list(self.data.get("paths", {}).get("exclude", []))

    @property
    def max_file_bytes(self) -> int:
        return int(self.data.get("limits", {}).get("max_file_bytes", 4_000_000))

    @property
    def dialect(self) -> str:
        return str(self.data.get("dialect", "printf"))

    def section(self, name: str) -> dict[str, Any]:
        """A table of the profile ({} when absent)."""
        return dict(self.data.get(name, {}))

    def lang_of(self, path: str) -> str | None:
        """Grammar for a path ("c" / "cpp"), from the [lang] globs on the file name."""
        import fnmatch  # (an indexing run asks; a query does not)
        base = path.rsplit("/", 1)[-1]
        for pat, lang in self.data.get("lang", {"*.c": "c", "*.h": "c"}).items():
            if fnmatch.fnmatchcase(base, pat):
                return str(lang)
        return None

    def parse_key(self) -> str:
        """Hash of what decides a parse: macros, languages, extractor version."""
        blob = json.dumps([self.data.get("macros", {}), self.data.get("lang", {}),
                           EXTRACTOR_VERSION, self.fills()], sort_keys=True)
        try:  # (the builtin module: hashlib loads OpenSSL, 11 ms of an unchanged re-index)
            from _sha1 import sha1
        except ImportError:
            from hashlib import sha1
        return sha1(blob.encode()).hexdigest()[:16]

    def fills(self) -> dict[str, list[int]]:
        """The [writes] fills table: callee -> 1-based positions of the objects it
        overwrites (the extractor records pointers handed there as whole-object writes)."""
        return {k: [int(p) for p in v] for k, v in
                self.data.get("writes", {}).get("fills", {}).items()}

    def macro_profile(self):
        """The normaliser's compiled macro profile (None when the profile has none)."""
        from vmxref.indexer import normalize
        return normalize.load_profile(self.data.get("macros", {}))


def names() -> list[str]:
    """Names of the shipped corpus profiles."""
    from pathlib import Path
    return sorted(p.stem for p in Path(HERE).glob("*.toml"))


def profile_path(name_or_path: str) -> str:
    """The file of a shipped profile name, or of a profile TOML path (UnknownCorpus when
    there is none). (A str: an unchanged re-index does not import pathlib.)"""
    if name_or_path.endswith(".toml") and os.path.isfile(name_or_path):
        # (absolute: the index keeps it, and queries run from other directories read it)
        return os.path.abspath(name_or_path)
    path = os.path.join(HERE, f"{name_or_path}.toml")
    if not os.path.isfile(path):
        raise UnknownCorpus(f"unknown corpus profile {name_or_path!r}; shipped: "
                            f"{', '.join(names())} (or give a profile .toml file)")
    return path


def load(name_or_path: str) -> Profile:
    """Load a shipped profile by name, or a profile TOML file by path."""
    path = profile_path(name_or_path)
    import tomllib  # (only here: a query process reads the profile from the index's cache)
    try:
        with open(path, encoding="utf-8") as fh:
            data = tomllib.loads(fh.read())
    except tomllib.TOMLDecodeError as e:
        raise UnknownCorpus(f"{path}: invalid TOML: {e}") from None
    return Profile(name=str(data.get("name", _stem(path))), data=data, path=path)


def snapshot(prof: Profile) -> str | None:
    """The parsed profile with its file's mtime and size, as JSON (kept in the index by
    the indexer, so queries need not parse TOML while the file is unchanged)."""
    if prof.path is None:
        return None
    st = os.stat(prof.path)
    text = _text_of(prof.path)
    rx = prof.glob_rx  # (read from the snapshot: only the file's mtime is new)
    if rx is None:
        from vmxref.indexer.discover import glob_regex
        rx = {"include": glob_regex(prof.includes), "exclude": glob_regex(prof.excludes)}
    return json.dumps({"mtime_ns": st.st_mtime_ns, "size": st.st_size, "data": prof.data,
                       "glob_rx": rx, "text": text})


def _text_of(path: str) -> str | None:
    """The text of a profile file (None when unreadable or not UTF-8)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return None


def from_snapshot(path: str, text: str) -> Profile | None:
    """The profile of a `snapshot`, or None when the file changed since (or is gone)."""
    return _snapshot_match(path, text)[0]


def snapshot_stat_is_current(path: str, text: str | None) -> bool:
    """Does the snapshot record the file's present mtime and size? (False: it was found
    current by its text, and the indexer writes it again.)"""
    return text is not None and _snapshot_match(path, text)[1]


def _snapshot_match(path: str, text: str) -> tuple[Profile | None, bool]:
    """(the snapshot's profile while the file is unchanged, else None; whether its stat
    is the one recorded). A file touched, checked out or written again with the same text
    is unchanged: a query then reads it (~8 kB) instead of importing tomllib to parse it."""
    try:
        st = os.stat(path)
    except OSError:
        return None, False
    snap = _parsed_snapshot(path, text)
    if snap is None:
        return None, False
    if (st.st_mtime_ns, st.st_size) == snap[:2]:
        return snap[2], True
    same = snap[3] is not None and st.st_size == snap[1] and _text_of(path) == snap[3]
    return (snap[2] if same else None), False


@functools.lru_cache(maxsize=32)
def _parsed_snapshot(path: str, text: str) -> tuple[int, int, Profile, str | None] | None:
    """(mtime_ns, size, profile, the file's text) of a snapshot's JSON (parsed once per
    process; snapshots written before the text was kept have None)."""
    try:
        snap = json.loads(text)
        data = snap["data"]
        return (snap["mtime_ns"], snap["size"],
                Profile(name=str(data.get("name", _stem(path))), data=data, path=path,
                        glob_rx=snap.get("glob_rx")), snap.get("text"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _stem(path: str) -> str:
    """Path(path).stem, without importing pathlib."""
    base = os.path.basename(path.rstrip("/"))
    i = base.rfind(".")
    return base[:i] if 0 < i < len(base) - 1 else base


def split_spec(spec: str) -> tuple[str, str | None]:
    """'NAME@VERSION' -> (NAME, VERSION); 'NAME' -> (NAME, None)."""
    name, _, version = spec.partition("@")
    return name, (version or None)
