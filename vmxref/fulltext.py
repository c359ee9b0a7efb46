"""Full-text search over code, comments and string literals (the only module importing whoosh).

An index directory, written by `build` beside the previous one and swapped in atomically
(fresh, or grown: the previous one's segments and texts kept, a segment added for the texts
it lacked), holds:
- a Whoosh index with one document per *chunk* of each unique file content (blob): a
  line-aligned piece of at most CHUNK_CHARS characters (a whole file, for most), and one field,
  ``w``: the lower-cased identifier parts of the text (``cTSCTicksPerSecond`` -> c, tsc,
  ticks, per, second), existence-only postings fed pre-computed (no analyzer). Docnum ``i``
  is chunk ``i``; a line match needs every query part in one line, so in one chunk: a big
  generated header that holds `clock` and `update` far apart is no candidate.
- ``texts.bin``: per chunk, its text (UTF-8, uncompressed: read in place), its zlib'd
  comment/string spans (lexed over the whole blob, then cut) and the function spans it
  overlaps; ``docs.json`` + ``docs.bin``: (corpus, version, path) -> blob, each chunk's
  blob and first line, the chunk offsets, each blob's key (what a later build grows the
  index by) and, in a grown index, each chunk's rank in path order (the chunks of a text
  no file has any more are left out of searches).

A search asks Whoosh for the chunks holding every query part, then scans just those texts:
a probe word finds candidate lines, a substring test of every part prunes them (both in C
over the bytes of an ASCII chunk, vmxref/_ftscan.c), and an exact part-stream match scores
them. Lines where every unit is an exact identifier are looked for first (whole-word
probe); only if there are fewer than `limit` does the full part scan run. Scores: integer
part = units matched exactly, fraction = match quality.
"""
from __future__ import annotations

import fcntl
import heapq
import mmap
import os
import re
import struct
import time
import zlib
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from itertools import accumulate

from vmxref.lazy import json  # (json.loads by the C scanner: a search does not import json)

TYPE_CHECKING = False  # (pathlib and typing cost a search process ~8 ms; annotations only)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

import io as _io
import pickle as _pickle
import sys as _sys
import types as _types

from vmxref.errors import IndexBusy, IndexCorrupt, NoIndex, QuerySyntaxError, VmxrefError
from vmxref.model import Record

_FTSCAN_VERSION = 3  # _ftscan.c's: the C line filter of another revision is not used
try:
    from vmxref import _ftscan
except ImportError:
    _ftscan = None
if _ftscan is not None and getattr(_ftscan, "VERSION", None) != _FTSCAN_VERSION:
    _ftscan = None

# --- Whoosh keeps its table of contents, segments and stored fields as pickles. An index
# directory is untrusted input (issue: tampered files must be refused, never executed), so
# every unpickling, ours and whoosh's, goes through an unpickler that only builds whoosh's
# own classes and plain data types.

_SAFE_BUILTINS = frozenset({"set", "frozenset", "dict", "list", "tuple", "int", "float", "str",
                            "bytes", "bytearray", "bool", "complex", "range", "slice", "object"})
_SAFE_MODULES = ("whoosh.", "collections", "datetime", "array", "decimal", "vmxref.fulltext")


class _Stub:
    """What a whoosh object (a segment, its codec) unpickles to in a search: its attributes."""


class _SafeUnpickler(_pickle.Unpickler):
    stub_whoosh = False  # True: whoosh's classes load as `_Stub`s (a search never imports whoosh)

    def find_class(self, module: str, name: str):
        if module == "__builtin__":  # protocol-2 pickles name Python 2's module
            module = "builtins"
        if (module == "builtins" and name in _SAFE_BUILTINS) or module.startswith(_SAFE_MODULES) \
                or (module == "copyreg" and name == "_reconstructor") \
                or (module == "_codecs" and name == "encode"):  # bytes in pickle protocol 2
            if self.stub_whoosh and module.startswith("whoosh."):
                return _Stub
            return super().find_class(module, name)
        raise IndexCorrupt(f"the full-text index holds a forbidden object ({module}.{name}); "
                           f"it was tampered with: remove it and re-index")


class _StubUnpickler(_SafeUnpickler):
    stub_whoosh = True


def _safe_load(f, *a, **k):
    return _SafeUnpickler(f).load()


def _safe_loads(data, *a, **k):
    return _SafeUnpickler(_io.BytesIO(data)).load()


# the modules that unpickle what they read, and the writer's own (multi-process writing and
# sorting its runs): all hardened when a build first imports whoosh
_READER_MODULES = ("whoosh.index", "whoosh.filedb.fileindex", "whoosh.util.loading",
                   "whoosh.filedb.structfile", "whoosh.codec.whoosh3", "whoosh.codec.whoosh2",
                   "whoosh.codec.plaintext", "whoosh.filedb.misc", "whoosh.columns",
                   "whoosh.formats")
_WRITER_MODULES = ("whoosh.multiproc", "whoosh.externalsort")


def _harden_whoosh(modules: tuple[str, ...]) -> None:
    import importlib
    shim = _types.SimpleNamespace(**{k: getattr(_pickle, k) for k in dir(_pickle) if not k.startswith("__")})
    shim.loads, shim.load = _safe_loads, _safe_load
    for modname in modules:
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue
        if getattr(mod, "pickle", None) is _pickle:
            mod.pickle = shim
        if getattr(mod, "loads", None) is _pickle.loads:
            mod.loads = _safe_loads
        if getattr(mod, "load", None) is _pickle.load:
            mod.load = _safe_load


def _lazy_morph_en() -> None:
    """whoosh.query imports whoosh.lang.morph_en for `variations` (a query vmxref never
    makes); importing it compiles some 40 regexes. A stand-in loads the real module on
    first use."""
    name = "whoosh.lang.morph_en"
    if name in _sys.modules:
        return

    def variations(word):
        import importlib
        del _sys.modules[name]
        return importlib.import_module(name).variations(word)
    stub = _types.ModuleType(name)
    stub.variations = variations  # type: ignore[attr-defined]
    _sys.modules[name] = stub


_whoosh_ns: Any = None


def _whoosh() -> Any:
    """Whoosh, for building (a search reads the segment files itself, `_Segments`): imported
    and hardened on first use, with `PartsField`, the field type of our schema."""
    global _whoosh_ns
    if _whoosh_ns is None:
        _lazy_morph_en()
        from whoosh import fields, formats, index
        _harden_whoosh(_READER_MODULES + _WRITER_MODULES)

        class _PartsField(fields.FieldType):
            """A keyword field fed with ready-made term lists: no analyzer, no per-token objects."""

            def __init__(self) -> None:
                super().__init__(format=formats.Existence(), analyzer=None, scorable=False)

            def index(self, value: Any, **kwargs: Any) -> Any:
                """Yield (term bytes, 1, 1.0, b"") for each term of a newline-joined bytes list."""
                return [(t, 1, 1.0, b"") for t in value.split(b"\n") if t]

        _PartsField.__module__, _PartsField.__qualname__ = __name__, "_PartsField"
        _whoosh_ns = _types.SimpleNamespace(fields=fields, index=index, PartsField=_PartsField)
    return _whoosh_ns


def __getattr__(name: str) -> Any:
    """`_PartsField`, which the schema pickled in every index names, made on first use."""
    if name == "_PartsField":
        return _whoosh().PartsField
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")



# 7: docs.bin adds each text's key (what a later build grows the index by) and, when
# chunk order is not path order, each chunk's rank in path order; 6: a chunk's text stored
# as it is (a search reads it in place; before, zlib'd); 5: chunks (docs.bin adds each
# chunk's blob and first line); 4: a document per blob, docs.bin; 2, 3: JSON. All are
# still read.
FORMAT = 7
READ_FORMATS = (2, 3, 4, 5, 6, 7)
CHUNK_CHARS = 8_192  # a Whoosh document: a line-aligned piece of a text at most this long
SCOPES = ("code", "comment", "string")
_DOCS, _DOCS_BIN, _TEXTS, _LOCK = "docs.json", "docs.bin", "texts.bin", "{}.lock"
_DOCS_HEADER = struct.Struct("<4Q")  # array lengths: offsets, start, label, path ends
_CHUNKS_HEADER = struct.Struct("<2Q")  # (format 5, after them) chunk blobs, chunk first lines
_GROWN_HEADER = struct.Struct("<2Q")  # (format 7, after them) bytes of text keys, chunk ranks
KEY_SIZE = 20  # bytes of a text's key (a sha1 digest)
_DEAD = 0xFFFF_FFFF  # the rank of a chunk whose text no file has any more
# A build that may grow the index it replaces (`build(grow=True)`) adds a Whoosh segment
# for the new texts and keeps the others' chunks, live or dead, while the index holds
# fewer segments than this and dead chunks are at most this share of the texts' bytes.
MAX_SEGMENTS = 8
MAX_DEAD_SHARE = 0.5
_BATCH = 48  # unique texts per worker task
LINE_BUDGET = 20_000  # candidate lines a limited search checks before it may stop
EXACT_LINE_BUDGET = 2_000  # the same for the whole-word pass (`the`, `if`: stop early)
# bytes (UTF-8) of candidate chunks' text scanned before it may stop (words found together
# in thousands of chunks but seldom on one line: `failed to set` on all of Linux)
CHAR_BUDGET = 24_000_000
EXACT_CHAR_BUDGET = 6_000_000
BLOB_CACHE_CHARS = 64_000_000  # bytes of chunk texts kept between searches in one process
_HEADER = struct.Struct("<III")

# ---------------------------------------------------------------------------------- records


class FileText(Record):
    """One file of one corpus version, with its function spans (1-based, inclusive).

    `key` names its text (bytes: files with the same key share one text; None: the sha1
    of `text`). With a key, `text` and `functions` may be None: `build` asks its `load`
    for them only when the index does not hold that text yet."""

    __slots__ = ('corpus', 'version', 'path', 'text', 'functions', 'key')

    def __init__(self, corpus: str, version: str, path: str, text: str | None,
                 functions: list | None, key: bytes | None = None) -> None:
        self.corpus, self.version, self.path = corpus, version, path
        self.text, self.functions, self.key = text, functions, key


class Hit(Record):
    """One matching line: where it is, what scope the match is in, and its rank score."""

    __slots__ = ('corpus', 'version', 'path', 'line', 'col', 'scope', 'function', 'text', 'score')


# ----------------------------------------------------------------------- words and parts

_WORD = re.compile(r"\w+")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_split_cache: dict[str, tuple[tuple[str, int], ...]] = {}


def split_word(word: str) -> tuple[tuple[str, int], ...]:
    """Split an identifier into lower-cased parts with their offsets inside `word`.

    `cTSCTicksPerSecond` -> c, tsc, ticks, per, second; `tsc_to_system_mul` -> tsc, to,
    system, mul; `u32TscScale` -> u, 32, tsc, scale. A word starting with a digit
    (`0xcf5241bb`) stays one part; a word of underscores has none.
    """
    got = _split_cache.get(word)
    if got is None:
        if word[0].isdigit():
            got = ((word.lower(), 0),)
        else:
            got = tuple((m.group().lower(), m.start()) for m in _PART.finditer(word))
            if not got and word.strip("_"):
                got = ((word.lower(), 0),)
        if len(_split_cache) < 2_000_000:
            _split_cache[word] = got
    return got


def text_terms(text: str) -> set[str]:
    """The set of identifier parts in `text`: what the Whoosh document of a text holds."""
    terms: set[str] = set()
    for word in set(_WORD.findall(text)):
        terms.update(p for p, _ in split_word(word))
    return terms


# ---------------------------------------------------------------------------------- lexer

_LEX_START = re.compile(r"""[/"']""")
_LINE_COMMENT = re.compile(r"//[^\n\\]*(?:\\.[^\n\\]*)*", re.S)
_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?', re.S)
_CHAR = re.compile(r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'?", re.S)
_RAW_STRING = re.compile(r'"([^()\\\s"]{0,16})\(.*?\)\1"', re.S)
_RAW_PREFIX = re.compile(r"(?:\b|u8|[LUu])R$")


def _literal_end(text: str, s: int) -> int:
    """End of the string or char literal (raw strings included) starting at `s`."""
    if text[s] == "'":
        return _CHAR.match(text, s).end()  # type: ignore[union-attr]
    if s and text[s - 1] == "R" and _RAW_PREFIX.search(text, max(0, s - 3), s):
        raw = _RAW_STRING.match(text, s)
        if raw:
            return raw.end()
    return _STRING.match(text, s).end()  # type: ignore[union-attr]


def lex_spans(text: str) -> tuple[list[int], list[int], list[str]]:
    """Comment and string spans of C/C++ `text`: (starts, ends, scopes), sorted by start.

    A left-to-right scan: jump to the next `/`, `"` or `'`, then consume the whole comment
    or literal, so a `/*` inside a string (or a quote inside a comment) is not misread.
    """
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[str] = []
    pos, search = 0, _LEX_START.search
    while m := search(text, pos):
        s = m.start()
        if text[s] != "/":
            e, kind = _literal_end(text, s), "string"
        elif text.startswith("//", s):
            e, kind = _LINE_COMMENT.match(text, s).end(), "comment"  # type: ignore[union-attr]
        elif text.startswith("/*", s):
            e, kind = text.find("*/", s + 2), "comment"
            e = len(text) if e < 0 else e + 2
        else:
            pos = s + 1
            continue
        starts.append(s)
        ends.append(e)
        kinds.append(kind)
        pos = e
    return starts, ends, kinds


def scope_at(spans: tuple[list[int], list[int], list[str]], offset: int) -> str:
    """The scope ("code", "comment" or "string") of character `offset`, given `lex_spans`."""
    starts, ends, kinds = spans
    i = bisect_right(starts, offset) - 1
    if i >= 0 and offset < ends[i]:
        return kinds[i]
    return "code"


# ---------------------------------------------------------------------------------- query


class _Unit(Record):
    """One query unit: a whitespace-separated chunk or a quoted phrase; `prefix`: a
    trailing `*`, the last part matches as a prefix."""

    __slots__ = ('words', 'parts', 'prefix')


_CHUNK = re.compile(r'"(?P<q>[^"]*)"|(?P<b>[^\s"]+)|(?P<bad>")')


def parse_query(text: str) -> list[_Unit]:
    """Parse search text into units; every unit must match on a line (AND).

    A unit's parts must appear contiguously in the line's part stream, so `TscTicks`
    matches `cTSCTicksPerSecond` and `"tsc scale"` matches `tsc scale` or `TscScale`.
    """
    units = []
    for m in _CHUNK.finditer(text):
        if m.group("bad"):
            raise QuerySyntaxError(f"unclosed quote at column {m.start() + 1} in {text!r}",
                                   text, m.start())
        chunk = m.group("q") if m.group("q") is not None else m.group("b")
        words = tuple(_WORD.findall(chunk))
        parts = tuple(p for w in words for p, _ in split_word(w))
        if parts:
            units.append(_Unit(words, parts, chunk.rstrip().endswith("*")))
    if not units:
        raise QuerySyntaxError(f"search text {text!r} has no words to search for", text, 0)
    return units


_PUNCT_TOKEN = re.compile(r"\w+|[^\w\s\"]")


def query_literal(text: str) -> Any:
    """The query as written, when it holds punctuation (`u64Now - `, `tsc_to_system_mul =`,
    `->pfnTimer`, `%llu`): a pattern of its words and punctuation in that order, any
    whitespace between them, ignoring case; a line holding it ranks above the lines that
    hold only its words (search is by word parts: the punctuation alone finds nothing).
    None for a query of words only, or one with a trailing `*` prefix."""
    bare = text.replace('"', " ").strip()
    if bare.endswith("*") or not any(not (ch.isalnum() or ch == "_" or ch.isspace())
                                     for ch in bare):
        return None
    toks = _PUNCT_TOKEN.findall(bare)
    return re.compile(r"\s*".join(map(re.escape, toks)), re.IGNORECASE) if toks else None


def _query_terms(units: list[_Unit]) -> tuple[list[str], list[str]]:
    """(exact parts, prefixes) every candidate text must hold: each unit's exact parts, and a
    prefix for each unit's trailing `*` part (unless that part is also wanted exactly)."""
    exact = sorted({p for u in units for p in (u.parts[:-1] if u.prefix else u.parts)})
    return exact, [u.parts[-1] for u in units if u.prefix and u.parts[-1] not in exact]


# ---------------------------------------------------------------------------------- build


def _schema() -> Any:
    w = _whoosh()
    return w.fields.Schema(w=w.PartsField())


def _analyze(batch: list[tuple[int, str, list]]) -> list[tuple[int, list, int]]:
    """Worker: (blob id, text, functions) -> (blob id, [(first line, joined terms, chunk
    record) per chunk], lines)."""
    out = []
    for blob_id, text, functions in batch:
        spans = lex_spans(text)
        chunks = []
        for start, end, first in chunk_bounds(text):
            piece = text[start:end]
            terms = "\n".join(sorted(text_terms(piece))).encode("utf-8", "surrogatepass")
            last = first + piece.count("\n")
            fns = [f for f in functions if f[0] <= last and f[1] >= first]
            chunks.append((first, terms, _encode_blob(piece, fns, _cut_spans(spans, start, end))))
        out.append((blob_id, chunks, text.count("\n") + 1))
    return out


def chunk_bounds(text: str) -> list[tuple[int, int, int]]:
    """(start, end, first line) of the chunks of `text`: consecutive, line-aligned pieces
    of at most CHUNK_CHARS characters (a longer line is a chunk of its own); one (empty)
    chunk for an empty text."""
    out, start, line, n = [], 0, 1, len(text)
    while True:
        if n - start <= CHUNK_CHARS:
            out.append((start, n, line))
            return out
        cut = text.rfind("\n", start, start + CHUNK_CHARS)
        if cut < 0:  # (a line longer than a chunk: whole)
            cut = text.find("\n", start + CHUNK_CHARS)
            if cut < 0:
                out.append((start, n, line))
                return out
        out.append((start, cut + 1, line))
        line += text.count("\n", start, cut + 1)
        start = cut + 1
        if start == n:
            return out


def _cut_spans(spans: tuple, start: int, end: int) -> tuple[list[int], list[int], list[str]]:
    """The comment/string spans of text[start:end] (offsets from `start`), cut from those of
    the whole text: a comment that began in an earlier chunk is still a comment here."""
    starts, ends, kinds = spans
    i = max(0, bisect_right(starts, start) - 1)
    out: tuple[list[int], list[int], list[str]] = ([], [], [])
    while i < len(starts) and starts[i] < end:
        if ends[i] > start:
            out[0].append(max(starts[i], start) - start)
            out[1].append(min(ends[i], end) - start)
            out[2].append(kinds[i])
        i += 1
    return out


def _encode_blob(text: str, functions: list, spans: tuple | None = None,
                 raw: bool = True) -> bytes:
    """texts.bin record: lengths header, then the text (UTF-8 as it is, or zlib'd when not
    `raw`: the formats before 6), zlib'd comment/string spans (`spans`, or lexed here) and
    functions. A search reads a raw text in place: decompressing the 24 MB of candidate
    chunks of `clock update` on all of Linux cost 100 ms."""
    starts, ends, kinds = spans if spans is not None else lex_spans(text)
    flat = array("I", [0]) * (3 * len(starts))
    flat[0::3], flat[1::3] = array("I", starts), array("I", ends)
    flat[2::3] = array("I", [k == "string" for k in kinds])
    data = text.encode("utf-8", "surrogatepass")
    parts = [data if raw else zlib.compress(data, 1),
             zlib.compress(flat.tobytes(), 1), zlib.compress(json.dumps(functions).encode(), 1)]
    return _HEADER.pack(*map(len, parts)) + b"".join(parts)


def _record_parts(record: bytes) -> tuple[int, int]:
    """Where a texts.bin record's spans and functions begin (see `_encode_blob`)."""
    n_text, n_spans, _ = _HEADER.unpack_from(record)
    return _HEADER.size + n_text, _HEADER.size + n_text + n_spans


def _decode_spans(zspans: bytes) -> tuple:
    flat = array("I")
    flat.frombytes(zlib.decompress(zspans))
    kinds = ["string" if k else "comment" for k in flat[2::3]]
    return flat[0::3], flat[1::3], kinds


def _columns(blobs: list[tuple[int, int]], docs: list[tuple[str, str, str, int]],
             chunks: tuple[list[int], list[int]] | None = None) -> dict:
    """docs.json, columnar (flat lists decode ~5x faster than a list per doc): text offsets
    and sizes (`blobs`: of each chunk); docs grouped by blob (blob b owns docs
    start[b]..start[b+1]) with their path and an index into the (corpus, version) labels;
    `chunks`: the blob and first line of each chunk (None: a chunk per blob, the formats
    before 5)."""
    order = sorted(range(len(docs)), key=lambda i: docs[i][3])
    labels: dict[tuple[str, str], int] = {}
    start, paths, label = [0] * (len(blobs) + 1), [], []
    for i in order:
        c, v, path, b = docs[i]
        start[b + 1] += 1
        paths.append(path)
        label.append(labels.setdefault((c, v), len(labels)))
    nblobs = len(blobs) if chunks is None else (max(chunks[0]) + 1 if chunks[0] else 0)
    start = start[:nblobs + 1]
    for b in range(nblobs):
        start[b + 1] += start[b]
    out = {"format": FORMAT, "offsets": [x for pair in blobs for x in pair],
           "labels": [list(k) for k in labels], "start": start, "paths": paths, "label": label}
    if chunks is not None:
        out["chunk_blob"], out["chunk_line"] = chunks
    return out


def _write_docs(d: Path, cols: dict, in_order: bool = False, source: str | None = None,
                keys: bytes = b"", rank: array | None = None) -> None:
    """docs.json (format, labels) and docs.bin (the large columns as arrays, and the paths
    as one byte string with their end offsets: opening reads them without decoding a
    path, ~20x faster than JSON, which took 20 ms on all of Linux's 55 k files); `keys`:
    each text's key, in text order; `rank`: each chunk's place in path order (None: chunk
    order is path order)."""
    encoded = [p.encode("utf-8", "surrogateescape") for p in cols["paths"]]
    ends = array("Q", accumulate(map(len, encoded)))
    arrays = [array("q", cols["offsets"]), array("q", cols["start"]), array("I", cols["label"]),
              ends]
    chunks = [array("I", cols["chunk_blob"]), array("I", cols["chunk_line"])]
    grown = [array("B", keys), rank if rank is not None else array("I")] if FORMAT >= 7 else []
    with open(d / _DOCS_BIN, "wb") as fh:
        fh.write(_DOCS_HEADER.pack(*(len(a) for a in arrays)))
        fh.write(_CHUNKS_HEADER.pack(*(len(a) for a in chunks)))
        if grown:  # (a test writes the formats before it)
            fh.write(_GROWN_HEADER.pack(*(len(a) for a in grown)))
        for a in arrays + chunks + grown:
            fh.write(a.tobytes())
        fh.write(b"".join(encoded))
    (d / _DOCS).write_text(json.dumps({"format": FORMAT, "labels": cols["labels"],
                                       "files": len(encoded), "in_order": in_order,
                                       **({"source": source} if source else {})},
                                      separators=(",", ":")))


class _Paths:
    """The paths of docs.bin, decoded one at a time (a search needs those of its hits)."""

    __slots__ = ("ends", "data")

    def __init__(self, ends: Any, data: Any) -> None:
        self.ends, self.data = ends, data

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> str:
        a = self.ends[i - 1] if i else 0
        return str(self.data[a:self.ends[i]], "utf-8", "surrogateescape")


def _read_docs_bin(d: str | Path, meta: dict, populate: bool = False) -> dict:
    """The columns of a format-4 doc table, views of the mapped file (IndexCorrupt when
    docs.bin does not fit)."""
    try:
        data = memoryview(_mapped(os.path.join(d, _DOCS_BIN), populate))
    except ValueError:  # (an empty file cannot be mapped)
        data = memoryview(b"")
    if len(data) < _DOCS_HEADER.size:
        raise IndexCorrupt(f"{d}: docs.bin is truncated; rebuild the index")
    counts = _DOCS_HEADER.unpack_from(data)
    out, pos = dict(meta), _DOCS_HEADER.size
    names, codes = ["offsets", "start", "label", "ends"], "qqIQ"
    for since, header, more, more_codes in ((5, _CHUNKS_HEADER, ["chunk_blob", "chunk_line"], "II"),
                                            (7, _GROWN_HEADER, ["keys", "rank"], "BI")):
        if meta.get("format", FORMAT) >= since:  # (the columns that format added)
            if len(data) < pos + header.size:
                raise IndexCorrupt(f"{d}: docs.bin is truncated; rebuild the index")
            counts += header.unpack_from(data, pos)
            pos += header.size
            names, codes = names + more, codes + more_codes
    for name, code, n in zip(names, codes, counts):
        end = pos + n * struct.calcsize(code)
        if end > len(data):
            raise IndexCorrupt(f"{d}: docs.bin is truncated; rebuild the index")
        out[name], pos = data[pos:end].cast(code), end
    ends = out.pop("ends")
    if len(ends) != meta.get("files") or (ends and ends[-1] != len(data) - pos):
        raise IndexCorrupt(f"{d}: docs.bin and docs.json disagree; rebuild the index")
    out["paths"] = _Paths(ends, data[pos:])
    return out


class _Builder:
    """Accumulates unique texts into a fresh directory: Whoosh docs, texts.bin, docs.json.
    With `base` (an open index of this format), the directory starts as that index grown:
    its Whoosh segments linked, its texts.bin copied, its texts known by their keys; new
    texts get a segment of their own and their chunks come after the others."""

    def __init__(self, tmp: Path, procs: int, base: _Opened | None = None) -> None:
        self.tmp, self.procs = tmp, procs
        w = _whoosh()
        self.blob_ids: dict[bytes, int] = {}
        self.chunks: list[tuple[int, int]] = []  # (texts.bin offset, size) of each chunk
        self.chunk_blob: list[int] = []
        self.chunk_line: list[int] = []
        if base is None:
            self.ix = w.index.create_in(str(tmp), _schema())
            self.texts = open(tmp / _TEXTS, "wb")
        else:
            _copy_base(base.dir, tmp)
            self.ix = w.index.open_dir(str(tmp))
            self.texts = open(tmp / _TEXTS, "ab")
            keys = bytes(base.keys)
            self.blob_ids = {keys[i:i + KEY_SIZE]: i // KEY_SIZE
                             for i in range(0, len(keys), KEY_SIZE)}
            self.chunks = list(zip(base.offsets[0::2], base.offsets[1::2]))
            self.chunk_blob, self.chunk_line = list(base.chunk_blob), list(base.chunk_line)
        # 1 GB: a pool that spills runs to disk costs ~2x (all of VirtualBox: 22 s vs 52 s)
        self.writer = self.ix.writer(limitmb=1024)
        self.grown = base is not None
        self.nblobs = len(self.blob_ids)
        self.new_texts = 0
        self.docs: list[tuple[str, str, str, int]] = []
        self.source: str | None = None  # (see build)
        self.lines = 0
        import multiprocessing  # (the builder's imports: a search process loads none of them)
        self.pool = multiprocessing.get_context("fork").Pool(procs) if procs > 1 else None

    def run(self, files: Iterable[FileText], load: Any = None) -> None:
        """Feed every file; unique texts are analysed in workers while we write results."""
        pending: deque = deque()
        for batch in self._new_batches(files, load):
            if self.pool is None:
                self._consume(_analyze(batch))
                continue
            pending.append(self.pool.apply_async(_analyze, (batch,)))
            while len(pending) > 2 * self.procs:
                self._consume(pending.popleft().get())
        while pending:
            self._consume(pending.popleft().get())

    def _new_batches(self, files: Iterable[FileText], load: Any) -> Iterator[list]:
        batch: list[tuple[int, str, list]] = []
        for f in files:
            key = f.key if f.key is not None else _text_key(f.text)
            blob_id = self.blob_ids.get(key)
            if blob_id is None:
                blob_id = self.blob_ids[key] = len(self.blob_ids)
                text, functions = (f.text, f.functions) if f.text is not None else load(f)
                batch.append((blob_id, text, sorted(list(t) for t in functions)))
                self.new_texts += 1
                if len(batch) >= _BATCH:
                    yield batch
                    batch = []
            self.docs.append((f.corpus, f.version, f.path, blob_id))
        if batch:
            yield batch

    def _consume(self, results: list[tuple[int, list, int]]) -> None:
        for blob_id, chunks, nlines in results:
            assert blob_id == self.nblobs, "blob results out of order"
            self.nblobs += 1
            for first, terms, record in chunks:
                self.chunks.append((self.texts.tell(), len(record)))
                self.chunk_blob.append(blob_id)
                self.chunk_line.append(first)
                self.texts.write(record)
                self.writer.add_document(w=terms)
            self.lines += nlines

    def _rank(self) -> array | None:
        """Each chunk's place when chunks are taken in the path order of their texts' first
        files (a text's chunks in a row), _DEAD for those of a text no file has; None when
        that is chunk order (a fresh build fed in path order)."""
        first: dict[int, int] = {}
        for i, (_c, _v, _p, blob) in enumerate(sorted(self.docs)):
            first.setdefault(blob, i)
        of = self.chunk_blob
        order = sorted((c for c in range(len(of)) if of[c] in first),
                       key=lambda c: (first[of[c]], c))
        if len(order) == len(of) and all(c == i for i, c in enumerate(order)):
            return None
        rank = array("I", [_DEAD]) * len(of)
        for i, c in enumerate(order):
            rank[c] = i
        return rank

    def finish(self) -> dict:
        """Commit Whoosh, write docs.json; returns the stats."""
        self.close_pool()
        if self.grown and not self.new_texts:
            self.writer.cancel()  # (no new text: the segments stay as they are)
        else:
            self.writer.commit(merge=False)  # (merging would renumber the chunks)
        self.texts.close()
        rank = self._rank()
        keys = b"".join(self.blob_ids)  # (a dict in insertion order: that of the texts' ids)
        _write_docs(self.tmp, _columns(self.chunks, self.docs, (self.chunk_blob, self.chunk_line)),
                    rank is None, self.source, keys, rank)
        return {"files": len(self.docs), "texts": self.nblobs, "new_texts": self.new_texts,
                "grown": self.grown, "chunks": len(self.chunks), "lines": self.lines,
                "bytes": (self.tmp / _TEXTS).stat().st_size}

    def abort(self) -> None:
        """Drop the half-built directory's writer and workers (the caller removes it)."""
        self.close_pool(terminate=True)
        self.texts.close()
        try:
            self.writer.cancel()
        except Exception:  # noqa: BLE001 - best effort while already failing
            pass

    def close_pool(self, terminate: bool = False) -> None:
        if self.pool is not None:
            self.pool.terminate() if terminate else self.pool.close()
            self.pool.join()
            self.pool = None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _publish(tmp: Path, index_dir: Path) -> None:
    """Make `tmp` the new `index_dir`; the previous one is removed afterwards."""
    import shutil
    if not index_dir.exists():
        os.rename(tmp, index_dir)
        return
    if _exchange(tmp, index_dir):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old index
        return
    old = index_dir.with_name(f".{index_dir.name}.old-{os.getpid()}")
    os.rename(index_dir, old)
    os.rename(tmp, index_dir)
    shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(index_dir: Path) -> None:
    """Remove half-built or superseded siblings left by a killed build (lock held)."""
    import shutil
    stale_dirs = [*index_dir.parent.glob(f".{index_dir.name}.old-*"),
                  *index_dir.parent.glob(f".{index_dir.name}.new-*")]
    for stale in stale_dirs:
        if not index_dir.exists() and ".old-" in stale.name:
            os.rename(stale, index_dir)  # killed between the two fallback renames
            continue
        shutil.rmtree(stale, ignore_errors=True)


def _text_key(text: str) -> bytes:
    """The key of a file given without one: its text's sha1."""
    from hashlib import sha1
    return sha1(text.encode("utf-8", "surrogatepass")).digest()


def _growable(index_dir: Path, keys: set[bytes]) -> _Opened | None:
    """The index in `index_dir`, open, when a build of files with these text keys may grow
    it: this format, its texts' keys kept, fewer than MAX_SEGMENTS segments, and the chunks
    of texts no file has any more (with those already dead) at most MAX_DEAD_SHARE of its
    texts' bytes. Else None: the index is written afresh."""
    try:
        opened = _Opened(os.fspath(index_dir))
    except VmxrefError:
        return None
    if opened.format != FORMAT or opened.keys is None or \
            len(opened.segments.segments) >= MAX_SEGMENTS:
        return None
    old = bytes(opened.keys)
    live = [old[i:i + KEY_SIZE] in keys for i in range(0, len(old), KEY_SIZE)]
    sizes, of = opened.offsets[1::2], opened.chunk_blob
    dead = sum(size for size, blob in zip(sizes, of) if not live[blob])
    return opened if dead <= MAX_DEAD_SHARE * sum(sizes) else None


def _copy_base(src: str, dst: Path) -> None:
    """Start `dst` as a copy of the index in `src` that a writer may grow: Whoosh's files
    (never written again once committed) linked, texts.bin copied (it is appended to)."""
    import shutil
    for name in os.listdir(src):
        if name in (_DOCS, _DOCS_BIN) or name.endswith("LOCK"):
            continue
        if name == _TEXTS:
            shutil.copyfile(os.path.join(src, name), dst / name)
            continue
        try:
            os.link(os.path.join(src, name), dst / name)
        except OSError:  # (a file system without hard links)
            shutil.copyfile(os.path.join(src, name), dst / name)


def build(index_dir: Path, files: Iterable[FileText], *, procs: int = 2,
          source: str | None = None, load: Any = None, grow: bool = False) -> dict:
    """Build a full-text index of `files` and atomically replace `index_dir` with it.

    The new index is written into a sibling directory and swapped in only when complete,
    so a build that raises (or is killed) leaves the previous index searchable; the next
    build removes the leftovers. With `grow`, the index in `index_dir` is grown when it
    can be (see _growable): only the texts it does not hold are analysed and indexed, in
    a segment of their own; the texts no file has any more stay (no file finds them)
    until a build writes the index afresh. `load(file)` gives (text, functions) of a file
    passed with a key and no text, when its text is new. Returns stats: files, texts
    (unique contents), new_texts (those analysed), grown, chunks (Whoosh documents),
    lines (of the new texts), bytes (of texts.bin), seconds. `source` is kept in
    docs.json for `current_source` (what the files are: the caller's digest). Raises
    IndexBusy if another build holds the lock.
    """
    from pathlib import Path
    start = time.perf_counter()
    index_dir = Path(index_dir).absolute()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(index_dir.parent / _LOCK.format(f".{index_dir.name}"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(f"another build is writing {index_dir}; wait for it") from None
        _remove_leftovers(index_dir)
        base = None
        if grow:  # (the keys first: which texts stay, which are dead)
            files = [f if f.key is not None else
                     FileText(f.corpus, f.version, f.path, f.text, f.functions, _text_key(f.text))
                     for f in files]
            base = _growable(index_dir, {f.key for f in files})
        tmp = index_dir.with_name(f".{index_dir.name}.new-{os.getpid()}")
        tmp.mkdir()
        builder = None
        try:
            builder = _Builder(tmp, max(1, procs), base)
            builder.source = source
            builder.run(files, load)
            stats = builder.finish()
        except BaseException:
            import shutil
            if builder is not None:
                builder.abort()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _publish(tmp, index_dir)
    stats["seconds"] = round(time.perf_counter() - start, 3)
    return stats


def open_source(index_dir: str | Path) -> str | None:
    """current_source through this process's open copy (a search opens it anyway)."""
    try:
        opened = _open(index_dir)
    except VmxrefError:
        return None
    return opened.source if opened.format == FORMAT else None


def current_source(index_dir: str | Path) -> str | None:
    """The `source` the full-text index in `index_dir` was built with, when it opens as a
    whole (docs, Whoosh segments and texts.bin agree) in this vmxref's format; else None
    (missing, damaged, half-built, another format: it must be built again)."""
    try:
        opened = _Opened(os.fspath(index_dir))
    except VmxrefError:
        return None
    return opened.source if opened.format == FORMAT else None


# --------------------------------------------------------------------------------- search

# Whoosh's files, read here without importing whoosh (its import and index opening cost more
# than a whole search): the table of contents names the segments; a segment (a compound
# `.seg` or loose files) has a terms file (`.trm`: key/value records of field number + term ->
# term info, an ordered index of their offsets, the pickled extras at the end) and postings
# (`.pst`: per term, blocks of pickled, delta-coded doc numbers). Integers are big-endian.
_TOC_NAME = re.compile(r"_MAIN_([0-9]+)\.toc")
_TOC_VERSION = -111
_INT, _LONG, _USHORT = struct.Struct("!i"), struct.Struct("!q"), struct.Struct("!H")
_KEY_LENGTHS = struct.Struct("!ii")
_TERM_INFO = struct.Struct("!BfIBBfII")  # flags (inlined postings), weight, doc freq, ...
_HASH_DIR_SIZE = 256 * 12  # the hash tables' directory, before the extras


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _unpickle(f: Any, pos: int = 0) -> tuple[Any, int]:
    """The (restricted) unpickled object at `pos` of the file `f` (an mmap is read in place),
    and the offset where it ends."""
    f.seek(pos)
    return _StubUnpickler(f).load(), f.tell()


def _mapped(path: str, populate: bool = False) -> mmap.mmap:
    with open(path, "rb") as fh:
        return _map(fh, populate)


def _map(fh, populate: bool = False) -> mmap.mmap:
    """A read-only map of an open file; with `populate` (preload), its pages mapped at once
    (MAP_POPULATE, where there is one): a started shell's first search then takes no page
    faults (on all of Linux, 956 MB of texts mapped in ~80 ms once, where a common two-word
    search faulted in its 24 MB each time: 114 ms against 65)."""
    flag = getattr(mmap, "MAP_POPULATE", 0) if populate else 0
    if flag:
        return mmap.mmap(fh.fileno(), 0, flags=mmap.MAP_SHARED | flag, prot=mmap.PROT_READ)
    return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class _Segment:
    """One Whoosh segment: the postings of its terms (doc numbers local to the segment)."""

    def __init__(self, d: str, seg: Any, populate: bool = False) -> None:
        name = f"{seg.indexname}_{seg.segid}"
        if seg.compound:
            buf = _mapped(os.path.join(d, f"{name}.seg"), populate)
            diroff = _LONG.unpack_from(buf, 0)[0]
            files = _unpickle(buf, diroff)[0]
            self.tbuf = self.pbuf = buf
            self.t0, tlen = files[f"{name}.trm"]["offset"], files[f"{name}.trm"]["length"]
            self.p0 = files[f"{name}.pst"]["offset"]
        else:
            self.tbuf = _mapped(os.path.join(d, f"{name}.trm"), populate)
            self.pbuf = _mapped(os.path.join(d, f"{name}.pst"), populate)
            self.t0, tlen, self.p0 = 0, len(self.tbuf), 0
        self.deleted = seg._deleted or ()
        buf, t0 = self.tbuf, self.t0
        if buf[t0:t0 + 4] != b"HSH3":
            raise ValueError("not a terms file")
        expos = t0 + tlen - 4 - _INT.unpack_from(buf, t0 + tlen - 4)[0]
        extras, self.index_at = _unpickle(buf, expos)
        self.field = _USHORT.pack(extras["fieldmap"].get("w", 65535))
        self.index = struct.Struct("!" + extras["indextype"])
        self.nkeys = extras["indexlen"]
        self.end = t0 + _LONG.unpack_from(buf, expos - _HASH_DIR_SIZE)[0]  # of the records

    def _record(self, pos: int) -> tuple[bytes, int, int]:
        """(key, value start, value end) of the terms record at `pos`."""
        klen, vlen = _KEY_LENGTHS.unpack_from(self.tbuf, pos)
        k = pos + _KEY_LENGTHS.size
        return self.tbuf[k:k + klen], k + klen, k + klen + vlen

    def _seek(self, key: bytes) -> int:
        """Offset of the first record whose key is >= `key` (binary search of the index)."""
        lo, hi, at, size = 0, self.nkeys, self.index_at, self.index.size
        pos = lambda i: self.t0 + self.index.unpack_from(self.tbuf, at + i * size)[0]  # noqa: E731
        while lo < hi:
            mid = (lo + hi) // 2
            if self._record(pos(mid))[0] < key:
                lo = mid + 1
            else:
                hi = mid
        return pos(lo) if lo < self.nkeys else self.end

    def terms(self, text: str, prefix: bool) -> list[int]:
        """Where the term info of the term `text` is, or of every term starting with it."""
        key = self.field + text.encode("utf-8")
        out, pos = [], self._seek(key)
        while pos < self.end:
            k, vs, ve = self._record(pos)
            if not (k.startswith(key) if prefix else k == key):
                break
            out.append(vs)
            if not prefix:
                break
            pos = ve
        return out

    def doc_freq(self, info: int) -> int:
        return _TERM_INFO.unpack_from(self.tbuf, info)[2]

    def postings(self, info: int, within: list[int] | None) -> Iterator[Iterable[int]]:
        """Doc numbers of one term, a block at a time; with `within` (sorted), blocks
        holding none of those are skipped undecoded."""
        if self.tbuf[info]:  # flags: the postings are inlined in the term info
            yield _unpickle(self.tbuf, info + _TERM_INFO.size)[0][0]
            return
        buf, prev = self.pbuf, -1
        pos = self.p0 + _LONG.unpack_from(self.tbuf, info + _TERM_INFO.size)[0]
        if buf[pos:pos + 4] != b"W3Bl":
            raise ValueError("not a postings list")
        pos += 4
        while True:
            n = _INT.unpack_from(buf, pos)[0]
            end = pos + 4 + abs(n)
            (_, last, _, compressed, _, _), data = _unpickle(buf, pos + 4)
            if within is None or (i := bisect_right(within, prev)) < len(within) and within[i] <= last:
                if compressed:
                    ids = _unpickle(_io.BytesIO(zlib.decompress(buf[data:end])))[0][0]
                else:
                    ids = _unpickle(buf, data)[0][0]
                yield accumulate(ids)
            if n < 0:
                return
            prev, pos = last, end

    def matching(self, exact: list[str], prefixes: list[str]) -> list[int]:
        """Sorted doc numbers holding every `exact` term and a term of every prefix."""
        groups = [self.terms(t, False) for t in exact] + [self.terms(t, True) for t in prefixes]
        if not all(groups):
            return []
        # rarest first: the later (longer) lists decode only the blocks that may still match
        groups.sort(key=lambda g: sum(map(self.doc_freq, g)))
        docs: list[int] | None = None
        for group in groups:
            found: set[int] = set()
            for info in group:
                for block in self.postings(info, docs):
                    found.update(block)
            docs = sorted(found if docs is None else found.intersection(docs))
            if not docs:
                return []
        return [n for n in docs if n not in self.deleted]  # type: ignore[union-attr]


class _Segments:
    """The Whoosh index of a full-text directory: which blobs hold given terms."""

    def __init__(self, d: str, populate: bool = False) -> None:
        gens = [int(m.group(1)) for n in os.listdir(d) if (m := _TOC_NAME.fullmatch(n))]
        if not gens:
            raise ValueError("no table of contents")
        with open(os.path.join(d, f"_MAIN_{max(gens)}.toc"), "rb") as fh:
            toc, pos = fh.read(), 0
        for size in (4, 8, 4):  # the int, long and float sizes of the writer
            got, pos = _varint(toc, pos)
            if got != size:
                raise ValueError("written on another architecture")
        if _INT.unpack_from(toc, pos)[0] != -12345 or _INT.unpack_from(toc, pos + 4)[0] != _TOC_VERSION:
            raise ValueError("unknown table of contents")
        pos += 8
        for _ in range(3):  # whoosh's release
            pos = _varint(toc, pos)[1]
        n, pos = _varint(toc, pos)
        segments = _unpickle(_io.BytesIO(toc), pos + n + 8)[0]  # after the schema, generation, a spare
        self.segments: list[tuple[int, _Segment]] = []
        self.doc_count = 0
        for seg in segments:
            self.segments.append((self.doc_count, _Segment(d, seg, populate)))
            self.doc_count += seg._doccount

    def matching(self, units: list[_Unit]) -> list[int]:
        """Chunk numbers (sorted) whose text contains every part of every unit."""
        exact, prefixes = _query_terms(units)
        return [base + n for base, seg in self.segments for n in seg.matching(exact, prefixes)]


_CORRUPT = (ValueError, KeyError, IndexError, TypeError, AttributeError, EOFError, OSError,
            struct.error, zlib.error, _pickle.UnpicklingError)  # what damaged files raise


def _corrupt(where: str, e: Exception) -> IndexCorrupt:
    return IndexCorrupt(f"{where}: cannot read the Whoosh index ({e.__class__.__name__}: {e}); "
                        "rebuild the index")


class _Opened:
    """An open index: its Whoosh segments, mapped texts and the doc table (cached per process)."""

    def __init__(self, index_dir: str, populate: bool = False) -> None:
        try:
            with open(os.path.join(index_dir, _DOCS), encoding="utf-8") as fh:
                meta = json.loads(fh.read())
        except (OSError, ValueError) as e:
            raise NoIndex(f"no full-text index in {index_dir} ({e.__class__.__name__}); "
                          "run `vmxref index` first") from None
        if meta.get("format") not in READ_FORMATS:
            raise IndexCorrupt(f"{index_dir} holds full-text format {meta.get('format')!r}, "
                               f"expected {FORMAT}; rebuild the index")
        self.format = meta["format"]
        self.raw = self.format >= 6  # (texts stored as they are, read in place)
        self.source = meta.get("source") if isinstance(meta.get("source"), str) else None
        # (the files were fed in path order: docs.bin keeps each text's docs in that order)
        self.in_order = meta.get("in_order") is True
        if meta["format"] == 2:
            meta = _columns([tuple(b) for b in meta["blobs"]], [tuple(d) for d in meta["docs"]])
        elif meta["format"] >= 4:  # (docs.bin)
            try:
                meta = _read_docs_bin(index_dir, meta, populate)
            except OSError as e:
                raise IndexCorrupt(f"{index_dir}: cannot read docs.bin ({e.__class__.__name__}); "
                                   "rebuild the index") from None
        try:
            self.offsets: Any = meta["offsets"]  # (lists, or arrays from docs.bin), per chunk
            self.labels: list[list[str]] = meta["labels"]
            self.start: Any = meta["start"]
            self.paths: list[str] = meta["paths"]
            self.label: Any = meta["label"]
        except KeyError as e:
            raise IndexCorrupt(f"{index_dir}: docs.json lacks {e}; rebuild the index") from None
        self.nchunks = len(self.offsets) // 2
        self.nblobs = len(self.start) - 1
        # (before format 5 a blob is one chunk, from line 1)
        self.chunk_blob: Any = meta.get("chunk_blob", range(self.nchunks))
        self.chunk_line: Any = meta.get("chunk_line")
        # (format 7) each text's key, KEY_SIZE bytes apiece (a build grows the index by
        # the texts whose key is new), and each chunk's rank in path order when chunks
        # are not in path order (a grown index: its new texts come last)
        self.keys: Any = meta.get("keys") or None
        self.rank: Any = meta.get("rank") or None
        self.dir = index_dir
        try:
            self.segments = _Segments(index_dir, populate)
        except _CORRUPT as e:
            raise _corrupt(index_dir, e) from None
        if self.segments.doc_count != self.nchunks or len(self.chunk_blob) != self.nchunks or (
                self.nchunks and self.chunk_blob[-1] >= self.nblobs) or (
                self.chunk_line is not None and len(self.chunk_line) != self.nchunks) or (
                self.keys is not None and len(self.keys) != KEY_SIZE * self.nblobs) or (
                self.rank is not None and len(self.rank) != self.nchunks):
            raise IndexCorrupt(f"{index_dir}: Whoosh and docs.json disagree; rebuild the index")
        try:
            with open(os.path.join(index_dir, _TEXTS), "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                self.texts = _map(fh, populate) if size else b""
        except OSError as e:
            raise IndexCorrupt(f"{index_dir}: cannot read texts.bin ({e.__class__.__name__}); "
                               "rebuild the index") from None
        if self.nchunks and self.offsets[-2] + self.offsets[-1] > size:
            raise IndexCorrupt(f"{index_dir}: texts.bin is truncated; rebuild the index")
        self._decoded: dict[int, _Blob] = {}
        self._decoded_chars = 0

    def docs_of(self, blob: int) -> list[tuple[str, str, str]]:
        """(corpus, version, path) of every file with this content."""
        out = []
        for d in range(self.start[blob], self.start[blob + 1]):
            c, v = self.labels[self.label[d]]
            out.append((c, v, self.paths[d]))
        return out

    def candidates(self, units: list[_Unit]) -> list[int]:
        """Chunk numbers whose text contains every part of every unit."""
        try:
            return self.segments.matching(units)
        except _CORRUPT as e:
            raise _corrupt(self.dir, e) from None

    def blob(self, chunk: int) -> "_Blob":
        """The chunk, kept in a per-process LRU of BLOB_CACHE_CHARS bytes of text."""
        got = self._decoded.pop(chunk, None)
        if got is None:
            off, size = self.offsets[2 * chunk], self.offsets[2 * chunk + 1]
            try:
                got = _Blob(self.texts[off:off + size],
                            self.chunk_line[chunk] if self.chunk_line is not None else 1, self.raw)
            except _CORRUPT as e:
                raise _damaged(e, f"{self.dir}: chunk {chunk}") from None
            self._decoded_chars += len(got.data)
            while self._decoded and self._decoded_chars > BLOB_CACHE_CHARS:
                self._decoded_chars -= len(self._decoded.pop(next(iter(self._decoded))).data)
        self._decoded[chunk] = got
        return got


_open_cache: dict[str, tuple[tuple[int, int], _Opened]] = {}


def preload(index_dir: str | Path) -> None:
    """Open `index_dir` now, its files' pages mapped at once: its segments, doc table and
    texts stay open for this process (a shell's warm-up)."""
    _open(index_dir, populate=True)


def _open(index_dir: str | Path, populate: bool = False) -> _Opened:
    """Open `index_dir`, reusing this process's open copy unless a build replaced it
    (`populate`: its files' pages mapped at once, see _map)."""
    index_dir = os.fspath(index_dir)  # made absolute as Path.absolute() does (`..` kept)
    index_dir = index_dir if os.path.isabs(index_dir) else os.path.join(os.getcwd(), index_dir)
    try:
        st = os.stat(os.path.join(index_dir, _DOCS))
    except OSError:
        raise NoIndex(f"no full-text index in {index_dir}; run `vmxref index` first") from None
    key, stamp = index_dir, (st.st_ino, st.st_mtime_ns)
    cached = _open_cache.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    opened = _Opened(index_dir, populate)
    _open_cache[key] = (stamp, opened)
    return opened


class _LineHit(Record):
    """A matching line of one blob, before it is told apart per file."""

    __slots__ = ('line', 'col', 'scope', 'text', 'score')


def _damaged(e: Exception, where: str = "a chunk of the full-text index") -> IndexCorrupt:
    why = "not UTF-8" if isinstance(e, UnicodeDecodeError) else e.__class__.__name__
    return IndexCorrupt(f"{where}: texts.bin is damaged ({why}); rebuild the index")


class _Blob:
    """A chunk during one query: its UTF-8 `data` (read in place, or decompressed: formats
    before 6), the line of the blob it starts at; the text, its lower-cased twin, spans and
    functions are decoded when a line first needs them (most candidate chunks of a
    multi-word search have no line holding every word)."""

    def __init__(self, record: bytes, first_line: int = 1, raw: bool = True) -> None:
        self._record = record
        self._a, self._b = _record_parts(record)
        self.first_line = first_line
        self._spans: tuple | None = None
        self._functions: list[list] | None = None
        self._text: str | None = None
        self._lower: str | None | bool = False
        data = record[_HEADER.size:self._a]
        self.data = data if raw else zlib.decompress(data)

    @property
    def text(self) -> str:
        if self._text is None:
            try:
                self._text = str(self.data, "utf-8", "surrogatepass")
            except UnicodeDecodeError as e:
                raise _damaged(e) from None
        return self._text

    @property
    def lower(self) -> str | None:
        """The lower-cased text, None when lower-casing moves offsets (`İ`)."""
        if self._lower is False:
            text = self.text
            low = text.lower()
            self._lower = low if len(low) == len(text) else None  # offsets must line up
        return self._lower  # type: ignore[return-value]

    @property
    def spans(self) -> tuple:
        if self._spans is None:
            try:
                self._spans = _decode_spans(self._record[self._a:self._b])
            except _CORRUPT as e:
                raise _damaged(e) from None
        return self._spans

    @property
    def functions(self) -> list[list]:
        if self._functions is None:
            try:
                self._functions = json.loads(zlib.decompress(self._record[self._b:]).decode())
            except _CORRUPT as e:
                raise _damaged(e) from None
        return self._functions

    def find_lines(self, needle: str, whole_word: bool) -> Iterator[int]:
        """Offsets of case-insensitive `needle` (optionally as a whole word), one per line."""
        if self.lower is None:
            pat = rf"(?<!\w){re.escape(needle)}(?!\w)" if whole_word else re.escape(needle)
            yield from (m.start() for m in re.finditer(pat, self.text, re.I))
            return
        low, pos = self.lower, 0
        if whole_word:  # the literal-led regex keeps the search in C; check the left edge here
            for m in re.finditer(re.escape(needle) + r"(?!\w)", low):
                s = m.start()
                if s >= pos and not (s and _is_word(low[s - 1])):
                    yield s
                    pos = low.find("\n", s)
                    if pos < 0:
                        return
            return
        while (pos := low.find(needle, pos)) >= 0:
            yield pos
            pos = low.find("\n", pos)
            if pos < 0:
                return


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Stream:
    """The identifier parts of one line, in order, and which word each part came from."""

    __slots__ = ("parts", "pword", "pidx", "words", "starts")

    def __init__(self, parts: list[str], pword: list[int], pidx: list[int], words: list[str],
                 starts: list[int]) -> None:
        self.parts = parts
        self.pword = pword  # word index of each part
        self.pidx = pidx  # index of each part inside its word
        self.words = words
        self.starts = starts  # text offset of each word

    def is_first(self, i: int) -> bool:
        return self.pidx[i] == 0

    def is_last(self, i: int) -> bool:
        return self.pidx[i] == len(split_word(self.words[self.pword[i]])) - 1

    def offset(self, i: int) -> int:
        return self.starts[self.pword[i]] + split_word(self.words[self.pword[i]])[self.pidx[i]][1]


_part_names: dict[str, tuple[str, ...]] = {}


def _line_stream(text: str, ls: int, le: int, spans: tuple, scope: str | None) -> _Stream:
    """The part stream of text[ls:le], keeping only words in `scope` when it is given."""
    st = _Stream([], [], [], [], [])
    parts, pword, pidx, words, starts = st.parts, st.pword, st.pidx, st.words, st.starts
    for m in _WORD.finditer(text, ls, le):
        if scope and scope_at(spans, m.start()) != scope:
            continue
        word = m.group()
        names = _part_names.get(word)
        if names is None:
            names = tuple(p for p, _ in split_word(word))
            if len(_part_names) < 2_000_000:
                _part_names[word] = names
        if names:
            pword += [len(words)] * len(names)
            pidx += range(len(names))
            parts += names
            words.append(word)
            starts.append(m.start())
    return st


def _unit_occurrences(unit: _Unit, st: _Stream) -> list[tuple[int, int, float]]:
    """(first part index, last part index, score) of each place `unit` matches the stream."""
    parts, k = st.parts, len(unit.parts)
    first, last, mid = unit.parts[0], unit.parts[-1], list(unit.parts[1:-1])
    out = []
    for i in range(len(parts) - k + 1):
        j = i + k - 1
        if k > 1 and (parts[i] != first or parts[i + 1:j] != mid):
            continue
        if parts[j] == last or (unit.prefix and parts[j].startswith(last)):
            out.append((i, j, _occurrence_score(unit, st, i, j)))
    return out


def _occurrence_score(unit: _Unit, st: _Stream, i: int, j: int) -> float:
    """3 exact identifier(s), 2.5 same ignoring case, 1.5 same parts, 1 prefix, 0.5 inside."""
    starts, ends = st.is_first(i), st.is_last(j)
    if starts and (ends or unit.prefix):
        covered = tuple(st.words[st.pword[i]:st.pword[j] + 1])
        if covered == unit.words:
            return 3.0
        if tuple(w.lower() for w in covered) == tuple(w.lower() for w in unit.words):
            return 2.5
        return 1.5
    return 1.0 if starts else 0.75 if ends else 0.5


def _match_line(text: str, ls: int, le: int, units: list[_Unit], spans: tuple,
                scope: str | None, literal: Any = None) -> tuple[int, str, float] | None:
    """Match every unit on text[ls:le]; (offset, scope, score) of the line or None.

    The score's integer part counts units matched as exact identifiers (or exact word
    sequences), and one more when the line holds the query's `literal` (query_literal);
    its fraction grades the rest (case, alignment, adjacency, code scope).
    """
    st = _line_stream(text, ls, le, spans, scope)
    exact, detail, prev, first = 0, 0.0, None, None
    for unit in units:
        occ = _unit_occurrences(unit, st)
        if not occ:
            return None
        best = max(occ, key=lambda o: (o[2], -o[0]))
        exact += best[2] >= 2.5
        detail += best[2]
        if prev and any(o[0] == p[1] + 1 for o in occ for p in prev):
            detail += 0.5  # units adjacent, in query order
        prev, first = occ, first or best
    if literal is not None and literal.search(text, ls, le):
        exact += 1
    offset = st.offset(first[0])
    sc = scope_at(spans, offset)
    detail += 0.25 if sc == "code" else 0.0
    return offset, sc, exact + min(detail / (4.0 * len(units)), 0.99)


def _needles(units: list[_Unit]) -> list[str]:
    """The parts every matching line holds (longest first: the rarest, for the C filter)."""
    return sorted({p for u in units for p in u.parts}, key=len, reverse=True)


def _match_lines(blob: _Blob, lines: list[tuple[int, int, int]], units: list[_Unit],
                 scope: str | None, literal: Any = None) -> list[_LineHit]:
    """The candidate lines (start, end, index) of the blob where all units match."""
    out: list[_LineHit] = []
    text = blob.text if lines else ""
    for ls, le, lineidx in lines:
        got = _match_line(text, ls, le, units, blob.spans, scope, literal)
        if got:
            off, sc, score = got
            out.append(_LineHit(blob.first_line + lineidx, off - ls + 1, sc,
                                text[ls:le].strip(), score))
    return out


def _c_args(probe: tuple[str, bool], needles: list[str]) -> tuple | None:
    """The C filter's arguments for a probe and needles (encoded once per scan, not per
    chunk); None when it is not built or the probe is not ASCII."""
    word, whole = probe
    if _ftscan is None or not word.isascii():
        return None
    return word.encode(), whole, tuple(n.encode() for n in needles)


def _c_lines(buf: Any, start: int, end: int,
             cargs: tuple | None) -> list[tuple[int, int, int]] | None:
    """`_candidate_lines` of buf[start:end] (offsets from `start`) by the C filter (`cargs`:
    _c_args); None when it cannot be used, or the text is not ASCII."""
    if cargs is None:
        return None
    flat = _ftscan.lines(buf, start, end, *cargs)
    if flat is None:
        return None
    it = iter(flat)
    return list(zip(it, it, it))


def _candidate_lines(blob: _Blob, probe: tuple[str, bool], needles: list[str],
                     cargs: Any = ...) -> list[tuple[int, int, int]]:
    """(start, end, index) of each line of the blob's text holding the probe and, where
    lower-casing keeps offsets, every needle (all lower-case): by the C scanner over the
    bytes of a pure-ASCII chunk (`cargs`: _c_args of probe and needles), else here."""
    word, whole = probe
    got = _c_lines(blob.data, 0, len(blob.data),
                   _c_args(probe, needles) if cargs is ... else cargs)
    if got is not None:
        return got
    text, low, out = blob.text, blob.lower, []
    lineidx, counted = 0, 0
    for pos in blob.find_lines(word, whole):
        lineidx += text.count("\n", counted, pos)
        counted = pos
        ls = text.rfind("\n", 0, pos) + 1
        le = text.find("\n", pos)
        if le < 0:
            le = len(text)
        if low is not None:  # cheap test first: every part occurs somewhere on the line
            line = low[ls:le]
            if not all(n in line for n in needles):
                continue
        out.append((ls, le, lineidx))
    return out


def _function_at(functions: list[list], line: int) -> str:
    """Name of the innermost function span containing `line` ("" outside functions)."""
    i = bisect_right(functions, [line, float("inf")]) - 1
    for start, end, name in reversed(functions[max(0, i - 16):i + 1]):
        if start <= line <= end:
            return name
    return ""


def _doc_filter(opened: _Opened, corpus: str | None, version: str | None,
                path_glob: str | None) -> Any:
    """The test a (corpus, version, path) doc must pass; None when every doc of the index
    passes (no filter given, or a corpus/version every text belongs to: what `vmxref search`
    and the shell always give)."""
    if path_glob is None and all(corpus in (None, c) and version in (None, v)
                                 for c, v in opened.labels):
        return None

    def ok(doc: list) -> bool:
        return ((corpus is None or doc[0] == corpus) and (version is None or doc[1] == version)
                and (path_glob is None or fnmatchcase(doc[2], path_glob)))
    return ok


def _probes(units: list[_Unit]) -> tuple[tuple[str, bool], tuple[str, bool]]:
    """(exact probe, part probe) as (needle, whole word): the longest query word as a whole
    word (every all-exact line has it), and the longest part as a substring."""
    word = max((w for u in units for w in u.words), key=len)
    part = max((p for u in units for p in u.parts), key=len)
    return (word.lower(), True), (part, False)


def _best_score(units: list[_Unit], literal: Any = None) -> float:
    """The highest score a line can get (all units exact, adjacent, in code; the query's
    literal, when it has one, on the line)."""
    n = len(units)
    return round(n + (literal is not None) + min((3.0 * n + 0.5 * (n - 1) + 0.25) / (4.0 * n),
                                                 0.99), 4)


class _Query:
    """One search: candidate chunks (in path order) with their docs, scanned once or twice."""

    def __init__(self, opened: _Opened, units: list[_Unit], ok: Any, scope: str | None,
                 literal: Any = None):
        self.opened, self.units, self.scope, self.ok = opened, units, scope, ok
        self.literal = literal  # (query_literal)
        self.of_blob: dict[int, list] = {}
        chunks = opened.candidates(units)
        of_chunk, nblobs = opened.chunk_blob, opened.nblobs
        for chunk in chunks:
            if not 0 <= of_chunk[chunk] < nblobs:  # (a damaged docs.bin)
                raise IndexCorrupt(f"{opened.dir}: chunk {chunk} names no text; rebuild the index")
        if opened.rank is not None and ok is None:  # (a grown index: path order by rank,
            # without the chunks no file holds any more)
            rank = opened.rank
            self.cands = sorted((c for c in chunks if rank[c] != _DEAD), key=rank.__getitem__)
        elif opened.in_order and ok is None:
            # (texts numbered in the order of their first path, a text's chunks in a row:
            # chunk order is path order, and a chunk's docs are read once it has a hit)
            self.cands = chunks
        else:
            keyed = [(docs[0], chunk) for chunk in chunks if (docs := self.docs(of_chunk[chunk]))]
            keyed.sort()
            self.cands = [chunk for _, chunk in keyed]
        self.loaded: dict[int, _Blob] = {}
        self.complete = True

    def _blob(self, chunk: int) -> _Blob:
        blob = self.loaded.get(chunk)
        if blob is None:
            blob = self.loaded[chunk] = self.opened.blob(chunk)
        return blob

    def _skip(self, cands: list[int], i: int, limit: int, cargs: tuple) -> tuple:
        """_ftscan.skip over cands[i:]: (index of the next chunk with a candidate line, or
        not ASCII, or past `limit` bytes, or the end; bytes passed over; its flat lines, or
        None / False when it must be scanned here)."""
        op = self.opened
        try:
            return _ftscan.skip(op.texts, op.offsets, cands, i, _HEADER.size, limit, *cargs)
        except (TypeError, ValueError) as e:
            raise _damaged(e, f"{op.dir}: chunk {cands[i]}") from None

    def _scan(self, chunk: int, probe: tuple[str, bool], needles: list[str],
              cargs: tuple | None, flat: Any = None) -> tuple[list[_LineHit], int, int]:
        """(matching lines, lines checked, bytes scanned) of one chunk: the lines holding
        the probe and every needle (`cargs`: their _c_args; `flat`: those _ftscan.skip
        found), then the exact match. A raw text (format 6) is filtered in the mapped
        texts.bin: a chunk without a candidate line is never copied or decoded."""
        op = self.opened
        if op.raw and cargs is not None:
            try:
                at = op.offsets[2 * chunk] + _HEADER.size
                end = at + _HEADER.unpack_from(op.texts, at - _HEADER.size)[0]
                if flat:
                    it = iter(flat)
                    lines = list(zip(it, it, it))
                else:
                    lines = _c_lines(op.texts, at, end, cargs)
            except (struct.error, ValueError, IndexError) as e:
                raise _damaged(e, f"{op.dir}: chunk {chunk}") from None
            if lines is not None:
                found = _match_lines(self._blob(chunk), lines, self.units, self.scope,
                                     self.literal) \
                    if lines else []
                return found, len(lines), end - at
        blob = self._blob(chunk)
        lines = _candidate_lines(blob, probe, needles, cargs)
        return (_match_lines(blob, lines, self.units, self.scope, self.literal), len(lines),
                len(blob.data))

    def docs(self, blob: int) -> list[tuple[str, str, str]]:
        """The blob's (corpus, version, path) docs the filter keeps, in path order."""
        docs = self.of_blob.get(blob)
        if docs is None:
            docs = self.of_blob[blob] = sorted(d for d in self.opened.docs_of(blob)
                                               if self.ok is None or self.ok(d))
        return docs

    def run(self, probe: tuple[str, bool], enough: int = 0, budget: int = 0,
            char_budget: int = 0) -> list[Hit]:
        """Scan candidate chunks with `probe`; one Hit per matching line and doc.

        With `enough`, stop once that many best-possible hits sort before every chunk
        not yet scanned (ties sort by path, and chunks come in path order). With `budget`
        (`char_budget`), stop after checking that many lines (scanning that many bytes)
        once `enough` hits exist (sets `complete`).
        """
        hits: list[Hit] = []
        top, best, checked, scanned = [], _best_score(self.units, self.literal), 0, 0
        of_chunk = self.opened.chunk_blob
        needles = _needles(self.units)
        cargs = _c_args(probe, needles)
        cands, i, skip = self.cands, 0, cargs is not None and self.opened.raw
        ahead: tuple = (-1, None)  # (a chunk _ftscan.skip stopped at, what it found there)
        while i < len(cands):
            chunk = cands[i]
            if enough and len(top) >= enough and \
                    sum(k < self.docs(of_chunk[chunk])[0] for k in top) >= enough:
                break
            if (budget and checked > budget or char_budget and scanned > char_budget) and \
                    len(hits) >= enough:
                self.complete = False
                break
            got = ahead[1] if ahead[0] == i else None
            if skip and got is None and not (enough and len(top) >= enough):
                # (the chunks without a candidate line passed over in C, to the next one
                # that has one; the checks above change only there, or at the char budget)
                limit = char_budget - scanned if char_budget and len(hits) >= enough else -1
                j, passed, got = self._skip(cands, i, limit, cargs)
                scanned += passed
                if j != i:
                    i, ahead = j, (j, got)
                    continue  # (the checks again, at chunk j)
            found, n, size = self._scan(chunk, probe, needles, cargs, got)
            i += 1
            checked += n
            scanned += size
            for lh in found:
                docs = self.docs(of_chunk[chunk])
                fn = _function_at(self.loaded[chunk].functions, lh.line)
                score = round(lh.score, 4)
                hits += [Hit(d[0], d[1], d[2], lh.line, lh.col, lh.scope, fn, lh.text, score)
                         for d in docs]
                if enough and score >= best:
                    top += docs
        hits.sort(key=lambda h: (-h.score, h.corpus, h.version, h.path, h.line, h.col))
        return hits


class Hits(list):
    """The hits of a search, best first; `complete` is False when a very common query
    stopped scanning early (after LINE_BUDGET candidate lines or CHAR_BUDGET bytes of
    candidate text, in path order) and ranked what it saw."""

    complete: bool = True


def search(index_dir: str | Path, text: str, *, corpus: str | None = None,
           version: str | None = None, path_glob: str | None = None,
           scope: str | None = None, limit: int | None = 50) -> Hits:
    """Search code lines, comments and string literals; best hits first.

    `text` is split into units (whitespace-separated chunks or "quoted phrases"); a line
    matches when every unit's identifier parts occur contiguously on it (`TscTicks` finds
    `cTSCTicksPerSecond`, `tsc scale` finds `u32TscScale`); a trailing `*` makes the last
    part a prefix. Score: integer part = units matched as exact identifiers, so exact hits
    rank first. Filters: corpus, version, path glob (fnmatch on the corpus-relative path),
    scope ("code", "comment" or "string"). `limit` <= 0 or None returns every hit.
    A query matching more than LINE_BUDGET lines (CHAR_BUDGET bytes of candidate
    text) stops early: see `Hits.complete`.
    """
    if scope is not None and scope not in SCOPES:
        raise QuerySyntaxError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    units = parse_query(text)
    literal = query_literal(text)
    opened = _open(index_dir)
    ok = _doc_filter(opened, corpus, version, path_glob)
    out = _search_units(opened, units, ok, scope, limit, literal)
    others = _respellings(opened, units)
    if not others:
        return out
    # (the same letters split otherwise: CTSCTICKSPERSECOND is cTSCTicksPerSecond's c, tsc,
    # ticks, per, second; TscDeadline is tscdeadline's one part): a line once, best first
    best: dict[tuple, Hit] = {(h.corpus, h.version, h.path, h.line): h for h in out}
    complete = out.complete
    for alt in others:
        got = _search_units(opened, alt, ok, scope, limit, literal)
        complete = complete and got.complete
        for h in got:
            k = (h.corpus, h.version, h.path, h.line)
            if k not in best or h.score > best[k].score:
                best[k] = h
    hits = sorted(best.values(), key=lambda h: (-h.score, h.corpus, h.version, h.path, h.line,
                                               h.col))
    merged = Hits(hits[:limit] if limit and limit > 0 else hits)
    merged.complete = complete
    return merged


MAX_RESPELLINGS = 6  # other part splits of a query searched besides the one typed
RESPELL_CHARS = 64  # letters of the longest unit split otherwise


def _respellings(opened: _Opened, units: list[_Unit]) -> list[list[_Unit]]:
    """The query with its units' letters split into other identifier parts the index holds
    (each searched too; at most MAX_RESPELLINGS): a one-part word written in one case that
    is no part of any text (`ctsctickspersecond`, `CTSCTICKSPERSECOND`) split into parts
    that are (c, tsc, ticks, per, second: fewest parts first); a unit of several parts whose
    letters also make one part (`TscDeadline`, `"tsc deadline"` -> tscdeadline)."""
    segments = [seg for _, seg in opened.segments.segments]

    def is_part(t: str) -> bool:
        return any(seg.terms(t, False) for seg in segments)

    choices: list[list[tuple[str, ...]]] = []
    try:
        for u in units:
            joined = "".join(u.parts)
            alts: list[tuple[str, ...]] = []
            if u.prefix:
                pass  # (a prefix stays the typed one)
            elif len(joined) > RESPELL_CHARS:
                pass  # (no identifier: `aaaa...` is not cut a million ways)
            elif len(u.parts) == 1 and len(u.words) == 1 and u.words[0].isalnum() and (
                    u.words[0].islower() or u.words[0].isupper()) and not is_part(joined):
                alts = _splits(joined, is_part, MAX_RESPELLINGS)
            elif len(u.parts) > 1 and is_part(joined):
                alts = [(joined,)]
            choices.append([u.parts] + [a for a in alts if a != u.parts])
    except _CORRUPT as e:
        raise _corrupt(opened.dir, e) from None
    out: list[list[_Unit]] = []
    combos: list[list[tuple[str, ...]]] = [[]]
    for opts in choices:
        combos = [c + [o] for c in combos for o in opts][:MAX_RESPELLINGS + 1]
    for combo in combos[1:]:
        out.append([_Unit(u.words, parts, u.prefix) for u, parts in zip(units, combo)])
    return out


def _splits(word: str, is_part: Any, k: int) -> list[tuple[str, ...]]:
    """Up to `k` ways to cut `word` into pieces that are all parts of the index, fewest
    pieces first (a uniform-cost search over the cut points)."""
    n = len(word)
    ends = [[j for j in range(i + 1, n + 1) if is_part(word[i:j])] for i in range(n)]
    heap: list[tuple[int, int, tuple[str, ...]]] = [(0, 0, ())]
    out: list[tuple[str, ...]] = []
    steps = 0
    while heap and len(out) < k and steps < 20_000:
        cost, i, acc = heapq.heappop(heap)
        steps += 1
        if i == n:
            out.append(acc)
            continue
        for j in ends[i]:
            heapq.heappush(heap, (cost + 1, j, acc + (word[i:j],)))
    return out


def _search_units(opened: _Opened, units: list[_Unit], ok: Any, scope: str | None,
                  limit: int | None, literal: Any = None) -> Hits:
    """`search` of parsed units (`literal`: query_literal of the text)."""
    query = _Query(opened, units, ok, scope, literal)
    exact_probe, part_probe = _probes(units)
    if limit and limit > 0:
        # Exact-identifier lines outrank all others: if there are enough, skip the rest.
        hits = query.run(exact_probe, enough=limit, budget=EXACT_LINE_BUDGET,
                         char_budget=EXACT_CHAR_BUDGET)
        if sum(h.score >= len(units) for h in hits) >= limit:
            out = Hits(hits[:limit])
            out.complete = query.complete
            return out
        query.complete = True
        hits = query.run(part_probe, enough=limit, budget=LINE_BUDGET, char_budget=CHAR_BUDGET)
    else:
        hits = query.run(part_probe)
    out = Hits(hits[:limit] if limit and limit > 0 else hits)
    out.complete = query.complete
    return out
