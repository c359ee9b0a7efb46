"""Saved query files: TOML with a title, a corpus, one query and optional expectations.

    title = "Who requests a kvmclock update?"
    corpus = "linux-kvm"              # NAME or NAME@VERSION (optional)
    query = "raises KVM_REQ_CLOCK_UPDATE | paths from entry depth 6"
    notes = "..."                     # optional
    [expect]                          # optional; `vmxref check` enforces it
    min = 10
    max = 40
    includes = ["arch/x86/kvm/x86.c:kvm_arch_vcpu_load", "arch/x86/kvm/x86.c:2345"]
    excludes = ["arch/x86/kvm/x86.c:kvm_check_request"]

Everything is validated on load; a problem becomes one QueryFileError line,
`FILE:LINE: message`. tomllib has no positions, so key lines come from the raw text.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from vmxref.errors import QueryFileError, QuerySyntaxError
from vmxref.queries.lang import Query, format_error, parse
from vmxref.render import count

TOP_KEYS = ("title", "corpus", "query", "notes", "expect")
REQUIRED = ("title", "query")
EXPECT_KEYS = ("min", "max", "includes", "excludes")
MAX_COUNT = 1_000_000
MAX_FILE_BYTES = 1_000_000

_CORPUS = re.compile(r"([a-z0-9][a-z0-9._-]*)(?:@([A-Za-z0-9][A-Za-z0-9._+~-]*))?")
_FUNCTION = re.compile(r"[A-Za-z_~][A-Za-z0-9_]*(?:::[A-Za-z_~][A-Za-z0-9_]*)*")
_TOML_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_HEADER = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")

Anchor = tuple[str, "str | int"]  # (corpus-relative path, function name or line number)


@dataclass(frozen=True)
class Expect:
    """What `vmxref check` demands of a saved query's results."""

    min: int | None = None
    max: int | None = None
    includes: tuple[Anchor, ...] = ()
    excludes: tuple[Anchor, ...] = ()


@dataclass(frozen=True)
class SavedQuery:
    """One loaded and validated query file."""

    path: Path
    title: str
    corpus: str | None
    version: str | None
    query: Query
    notes: str
    expect: Expect | None

    @property
    def name(self) -> str:
        """The file name without `.toml` (used for report pages)."""
        return self.path.stem


# --------------------------------------------------------------------------- positions

class _Source:
    """The raw file text, shown name, and key-to-line lookup for messages."""

    def __init__(self, shown: str, raw: str):
        self.shown, self.raw = shown, raw

    def error(self, msg: str, line: int | None = None) -> QueryFileError:
        """A QueryFileError `FILE:LINE: msg` (no line part when unknown)."""
        where = f"{self.shown}:{line}" if line else self.shown
        return QueryFileError(f"{where}: {msg}")

    def key_error(self, msg: str, key: str, table: str | None = None) -> QueryFileError:
        """An error located at the line where `key` (in `table`) is set."""
        return self.error(msg, self.line_of(key, table))

    def line_of(self, key: str, table: str | None = None) -> int | None:
        """1-based line of `key = ...` in `table` (None: top level), or of `[key]`."""
        current: str | None = None
        key_re = re.compile(rf"""\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.]""")
        dotted = re.compile(rf"\s*{re.escape(table)}\s*\.\s*{re.escape(key)}\s*=") if table else None
        for n, line in enumerate(self.raw.splitlines(), 1):
            if m := _HEADER.match(line):
                current = m.group(1)
                if table is None and (current == key or current.startswith(key + ".")):
                    return n
                continue
            if current == table and key_re.match(line):
                return n
            if current is None and dotted and dotted.match(line):
                return n
        return self._mention(key)

    def _mention(self, key: str) -> int | None:
        """Fallback: the first line that mentions `key` as a word (inline tables etc.)."""
        word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])")
        for n, line in enumerate(self.raw.splitlines(), 1):
            if word.search(line):
                return n
        return None


# --------------------------------------------------------------------------- loading

def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)


def _check_keys(src: _Source, data: dict[str, Any], known: tuple[str, ...],
                table: str | None) -> None:
    for key in data:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            where = f" in [{table}]" if table else ""
            raise src.key_error(f"unknown key {key!r}{where}{hint}; expected one of: "
                                f"{', '.join(known)}", key, table)


def _string(src: _Source, data: dict[str, Any], key: str, table: str | None = None) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise src.key_error(f"{key!r} must be a string, got {_type_name(value)}", key, table)
    return value


def _count(src: _Source, data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise src.key_error(f"'{key}' must be an integer, got {_type_name(value)}", key, "expect")
    if not 0 <= value <= MAX_COUNT:
        raise src.key_error(f"'{key}' must be between 0 and {MAX_COUNT}, got {value}",
                            key, "expect")
    return value


def parse_anchor(text: str) -> Anchor:
    """`path:function` or `path:line` -> (path, function | line); ValueError when bad."""
    if text.startswith("/") or "\\" in text or re.match(r"[A-Za-z]:[\\/]", text):
        raise ValueError(f"{text!r}: the path must be relative to the corpus root")
    path, sep, what = text.partition(":")
    if not sep or not path or not what:
        raise ValueError(f"{text!r} is not PATH:FUNCTION or PATH:LINE")
    pure = PurePosixPath(path)
    if ".." in pure.parts:
        raise ValueError(f"{text!r}: the path leaves the corpus root ('..')")
    if what.isdigit():
        line = int(what)
        if not 1 <= line <= 10_000_000:
            raise ValueError(f"{text!r}: line {what} is out of range")
        return (str(pure), line)
    if not _FUNCTION.fullmatch(what):
        raise ValueError(f"{text!r}: {what!r} is neither a function name nor a line number")
    return (str(pure), what)


def _anchors(src: _Source, data: dict[str, Any], key: str) -> tuple[Anchor, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise src.key_error(f"'{key}' must be an array of strings", key, "expect")
    try:
        return tuple(parse_anchor(v) for v in value)
    except ValueError as e:
        raise src.key_error(f"bad entry in '{key}': {e}", key, "expect") from None


def _expect(src: _Source, data: Any) -> Expect | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise src.key_error(f"'expect' must be a table, got {_type_name(data)}", "expect")
    _check_keys(src, data, EXPECT_KEYS, "expect")
    lo, hi = _count(src, data, "min"), _count(src, data, "max")
    if lo is not None and hi is not None and lo > hi:
        raise src.key_error(f"'min' ({lo}) is greater than 'max' ({hi})", "min", "expect")
    inc, exc = _anchors(src, data, "includes"), _anchors(src, data, "excludes")
    both = [f"{p}:{w}" for p, w in inc if (p, w) in exc]
    if both:  # (the file could never pass)
        raise src.key_error(f"{both[0]!r} is in both 'includes' and 'excludes'", "excludes",
                            "expect")
    if hi == 0 and inc:
        raise src.key_error("'includes' names results but 'max' is 0", "includes", "expect")
    return Expect(lo, hi, inc, exc)


def _corpus(src: _Source, value: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    m = _CORPUS.fullmatch(value)
    if not m:
        raise src.key_error(f"'corpus' must be NAME or NAME@VERSION, got {value!r}", "corpus")
    return m.group(1), m.group(2)


def _query(src: _Source, text: str) -> Query:
    try:
        return parse(text)
    except QuerySyntaxError as e:
        raise src.key_error(f"query syntax error: {format_error(e)}", "query") from None


def _read(src_path: Path, shown: str) -> tuple[_Source, dict[str, Any]]:
    src = _Source(shown, "")
    try:
        raw_bytes = src_path.read_bytes()
    except OSError as e:
        raise src.error(f"cannot read: {e.strerror or e}") from None
    if len(raw_bytes) > MAX_FILE_BYTES:
        raise src.error(f"file is too large ({len(raw_bytes)} bytes) for a query file")
    try:
        src.raw = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise src.error("not UTF-8 text") from None
    try:
        return src, tomllib.loads(src.raw)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _TOML_LINE.search(msg)
        line = int(m.group(1)) if m else None
        raise src.error(f"invalid TOML: {_TOML_LINE.sub('', msg)}", line) from None


def _shown(path: Path, repo_root: Path | None) -> str:
    if repo_root is not None:
        try:
            return path.resolve().relative_to(repo_root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def load(path: Path, repo_root: Path | None = None) -> SavedQuery:
    """Load and validate one query file; messages name the file relative to `repo_root`."""
    src, data = _read(path, _shown(path, repo_root))
    _check_keys(src, data, TOP_KEYS, None)
    for key in REQUIRED:
        if key not in data:
            raise src.error(f"missing required key '{key}'")
    title, query = _string(src, data, "title"), _string(src, data, "query")
    notes, corpus = _string(src, data, "notes"), _string(src, data, "corpus")
    if not (title or "").strip():
        raise src.key_error("'title' is empty", "title")
    name, version = _corpus(src, corpus)
    return SavedQuery(path=path, title=title or "", corpus=name, version=version,
                      query=_query(src, query or ""), notes=notes or "",
                      expect=_expect(src, data.get("expect")))


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                raise QueryFileError(f"{p}: no *.toml query files in this directory")
            files += found
        elif p.exists():
            files.append(p)
        else:
            raise QueryFileError(f"{p}: no such file or directory")
    return list(dict.fromkeys(files))


def load_all(paths: list[Path], repo_root: Path | None = None) -> list[SavedQuery]:
    """Load files and directories (their *.toml, sorted); the first problem raises."""
    return [load(f, repo_root) for f in _expand(paths)]


# --------------------------------------------------------------------------- check

def _matches(anchor: Anchor, result: dict[str, Any]) -> bool:
    path, what = anchor
    if str(PurePosixPath(str(result.get("file", "")))) != path:
        return False
    key = "line" if isinstance(what, int) else "function"
    return result.get(key) == what


def _anchor_text(anchor: Anchor) -> str:
    return f"{anchor[0]}:{anchor[1]}"


def check(expect: Expect, results: list[dict[str, Any]]) -> list[str]:
    """Failure messages for `results` (the CLI's JSON dicts); [] when all expectations hold."""
    failures: list[str] = []
    n = len(results)
    if expect.min is not None and n < expect.min:
        failures.append(f"expected at least {count(expect.min, 'result')}, got {n}")
    if expect.max is not None and n > expect.max:
        failures.append(f"expected at most {count(expect.max, 'result')}, got {n}")
    for anchor in expect.includes:
        if not any(_matches(anchor, r) for r in results):
            failures.append(f"missing expected result {_anchor_text(anchor)}")
    for anchor in expect.excludes:
        hits = [r for r in results if _matches(anchor, r)]
        if hits:
            lines = ", ".join(str(r.get("line")) for r in hits[:5])
            failures.append(f"unexpected result {_anchor_text(anchor)} (line {lines})")
    return failures
