"""The catalog `logline` looks a line up in: an inverted index of the logging calls' literal
words, and the calls whose format has no word at all.

Building it reads every logging call of the asked corpora (all of Linux: 672,000 calls,
2 million words, 35,000 wordless calls of 10,000 formats; 4-5 s), so it is kept: in the
process (a shell asks many lines), and in the index folder (`cache/logline-KEY.bin`: a JSON
header and flat arrays, 20 MB, read in 0.1 s), KEY a digest of what the catalog is made of (the
corpus versions, when each was indexed, the blobs of their files, the logging calls' last
row id, the dialects, the catalog's format). An index folder that cannot be written keeps
it in the process only; a cache file that cannot be read is built again. The file is plain
data (a JSON header and flat integer arrays), never unpickled or unmarshalled: an index
folder may come from elsewhere.
"""
from __future__ import annotations

import array
import hashlib
import json
import struct
import os
import tempfile
from pathlib import Path

from vmxref import logfmt
from vmxref.queries.base import Scope

FORMAT = 1  # of the cache file; part of its key
KEEP_FILES = 4  # cache files kept in the index folder (the newest)
MIN_WORDLESS_PIECE = 3  # a format without words is a candidate with a literal piece this long


def wordless_pieces(fmt: str, dialect: str) -> tuple[str, ...]:
    """The literal pieces (blanks stripped) of a format that has no word to index it by, when
    one of them has MIN_WORDLESS_PIECE characters or more (`%p 1->0`: ("1->0",)); () else
    (a bare "%llu\\n" would explain any number, "%s = %s (%s)" any line with `=` and `(`)."""
    toks = logfmt.compile_format(fmt, dialect).tokens
    pieces = tuple(p for t in toks if isinstance(t, str) for p in t.split() if p)
    return pieces if max(map(len, pieces), default=0) >= MIN_WORDLESS_PIECE else ()


class Catalog:
    """The logging calls of a scope by literal word (see module docstring)."""

    def __init__(self, sc: Scope, dialects: dict[int, str]) -> None:
        ids = ",".join(str(i) for i in sc.corpus_ids)
        # blob -> [(corpus, path)] of the files that hold it, in the order the fact joins give
        self.files: dict[int, list[tuple[int, str]]] = {}
        for cid, path, bid in sc.conn.execute(
                f"SELECT corpus_id, path, blob_id FROM file WHERE corpus_id IN ({ids}) "
                "ORDER BY blob_id, corpus_id, path"):
            self.files.setdefault(bid, []).append((cid, path))
        key = _key(sc, ids, dialects)
        data = _load(sc, key)
        if data is None:
            data = _build(sc, self.files, dialects)
            _save(sc, key, data)
        self.rowid, self.bid, self.nkeys = data["rowid"], data["bid"], data["nkeys"]
        self.words: dict[str, int] = {w: i for i, w in enumerate(data["words"])}
        self.offsets, self.postings = data["offsets"], data["postings"]  # word i's calls:
        # postings[offsets[i]:offsets[i + 1]] (indexes into rowid, bid, nkeys)
        # (rowid, blob, {dialect: literal pieces}) of the calls whose format has no word
        self.wordless: list[tuple[int, int, dict[str, tuple[str, ...]]]] = data["wordless"]
        self.dialects = dialects

    def candidates(self, words: set[str], lines: list[str] = ()) -> list[tuple]:
        """(sort key, rowid, corpus, path, blob, share of its words in the line, its word
        count) of the logging calls sharing literal words with the line, most of their words
        first; then the calls whose format has no word at all (`"%p 1->0\\n"`) but whose
        literal text is all in one of `lines`."""
        hits: dict[int, int] = {}
        for w in {w.lower() for w in words}:
            k = self.words.get(w)
            if k is not None:
                got = self.postings[self.offsets[k]:self.offsets[k + 1]]
                if got and max(got) >= len(self.rowid):
                    continue  # (a damaged file: the word leads nowhere)
                for i in got:
                    hits[i] = hits.get(i, 0) + 1
        cands = []
        for i, hit in hits.items():
            rowid, bid, nkeys = self.rowid[i], self.bid[i], self.nkeys[i]
            for cid, path in self.files.get(bid, ()):
                cands.append((-hit / nkeys - hit * 0.01, rowid, cid, path, bid, hit / nkeys,
                              nkeys))
        cands.sort()
        for rowid, bid, by_dialect in self.wordless:
            for cid, path in self.files.get(bid, ()):
                pieces = by_dialect.get(self.dialects.get(cid, "printf"), ())
                if pieces and any(all(p in ln for p in pieces) for ln in lines):
                    cands.append((0.0, rowid, cid, path, bid, 0.0, 0))
        return cands


def _build(sc: Scope, files: dict, dialects: dict[int, str]) -> dict:
    ids = ",".join(str(i) for i in sc.corpus_ids)
    scoped = f"blob_id IN (SELECT blob_id FROM file WHERE corpus_id IN ({ids}))"
    rowids, bids, nkeys = array.array("q"), array.array("i"), array.array("i")
    post: dict[str, list[int]] = {}
    for rowid, bid, keys in sc.conn.execute(
            f"SELECT rowid, blob_id, keys FROM logcall WHERE keys != '' AND {scoped} "
            "ORDER BY rowid"):
        ks = set(keys.lower().split())  # (words compared without their letter case:
        # `hm: max resume loops` is a line of "HM: Max resume loops = %u")
        if not ks:
            continue
        i = len(rowids)
        for k in ks:
            post.setdefault(k, []).append(i)
        rowids.append(rowid)
        bids.append(bid)
        nkeys.append(len(ks))
    wordless = []
    seen: dict[tuple[str, str], tuple[str, ...]] = {}  # (one compile per format text and
    # dialect: all of Linux has 35,000 wordless calls of 10,000 formats, `"%s\n"` thousands)
    for rowid, bid, fmt in sc.conn.execute(
            f"SELECT rowid, blob_id, fmt FROM logcall WHERE keys = '' AND {scoped} ORDER BY rowid"):
        # (a blob shared by versions of other dialects: pieces per dialect, rows per file)
        by_dialect = {}
        for dialect in {dialects.get(cid, "printf") for cid, _p in files.get(bid, ())}:
            key = (fmt, dialect)
            pieces = seen.get(key)
            if pieces is None:
                pieces = seen[key] = wordless_pieces(*key)
            if pieces:
                by_dialect[dialect] = pieces
        if by_dialect:
            wordless.append((rowid, bid, by_dialect))
    words = sorted(post)
    offsets, postings = array.array("q", [0]), array.array("I")
    for w in words:
        postings.extend(post[w])
        offsets.append(len(postings))
    return {"rowid": rowids, "bid": bids, "nkeys": nkeys, "words": words, "offsets": offsets,
            "postings": postings, "wordless": wordless}


def _key(sc: Scope, ids: str, dialects: dict[int, str]) -> str:
    """A digest of what the scope's catalog is made of."""
    c = sc.conn
    corpora = c.execute(f"SELECT id, indexed_at FROM corpus WHERE id IN ({ids}) "
                        "ORDER BY id").fetchall()
    blobs = c.execute(f"SELECT count(*), sum(blob_id), max(blob_id), sum(blob_id * blob_id "
                      f"% 1000003) FROM file WHERE corpus_id IN ({ids})").fetchone()
    last = c.execute("SELECT max(rowid) FROM logcall").fetchone()
    text = repr((FORMAT, corpora, blobs, last, sorted(dialects.items())))
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def _folder(sc: Scope) -> Path:
    return Path(sc.store.path) / "cache"


MAGIC = b"vmxref logline catalog\n"
_ARRAYS = (("rowid", "q"), ("bid", "i"), ("nkeys", "i"), ("offsets", "q"), ("postings", "I"))


def _encode(data: dict) -> bytes:
    """MAGIC, the JSON header's length (8 bytes, little-endian), the header (format, words,
    wordless calls, each array's typecode and item count), then the arrays' items."""
    head = json.dumps({"format": FORMAT, "words": data["words"], "wordless": data["wordless"],
                       "arrays": [[name, code, len(data[name])] for name, code in _ARRAYS]},
                      separators=(",", ":")).encode()
    return b"".join([MAGIC, struct.pack("<Q", len(head)), head,
                     *(data[name].tobytes() for name, _code in _ARRAYS)])


def _decode(raw: bytes) -> dict:
    """The data _encode wrote; ValueError when it is not that (checked: sizes, types)."""
    if not raw.startswith(MAGIC):
        raise ValueError("not a logline catalog")
    at = len(MAGIC)
    (n,) = struct.unpack_from("<Q", raw, at)
    head = json.loads(raw[at + 8:at + 8 + n])
    at += 8 + n
    if head.get("format") != FORMAT or [a[:2] for a in head["arrays"]] != \
            [list(x) for x in _ARRAYS]:
        raise ValueError("another catalog format")
    data = {"words": [str(w) for w in head["words"]],
            "wordless": [(int(r), int(b), {str(d): tuple(map(str, p)) for d, p in by.items()})
                         for r, b, by in head["wordless"]]}
    for name, code, count in head["arrays"]:
        arr = array.array(code)
        end = at + int(count) * arr.itemsize
        if end > len(raw):
            raise ValueError("truncated")
        arr.frombytes(raw[at:end])
        data[name] = arr
        at = end
    if at != len(raw) or len(data["offsets"]) != len(data["words"]) + 1 or \
            not len(data["rowid"]) == len(data["bid"]) == len(data["nkeys"]) or \
            any(b < a for a, b in zip(data["offsets"], data["offsets"][1:])) or \
            data["offsets"][-1] != len(data["postings"]):
        raise ValueError("inconsistent")
    return data


def _load(sc: Scope, key: str) -> dict | None:
    try:
        return _decode((_folder(sc) / f"logline-{key}.bin").read_bytes())
    except (OSError, ValueError, TypeError, KeyError, AttributeError, struct.error):
        return None  # (json's errors are ValueErrors)


def _save(sc: Scope, key: str, data: dict) -> None:
    """Write the catalog to the index folder (atomically; nothing when it cannot be
    written), keeping the KEEP_FILES newest."""
    folder = _folder(sc)
    try:
        folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".logline-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_encode(data))
            os.chmod(tmp, 0o644)  # (as the index beside it: others may read it)
            os.replace(tmp, folder / f"logline-{key}.bin")
        except OSError:
            os.unlink(tmp)
            raise
        old = sorted(folder.glob("logline-*.bin"), key=lambda p: p.stat().st_mtime_ns)
        for p in old[:-KEEP_FILES]:
            p.unlink(missing_ok=True)
    except OSError:
        pass
