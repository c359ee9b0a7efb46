"""Worker side of indexing: normalise, parse and extract one file content (runs in a pool)."""
from __future__ import annotations

import hashlib

from vmxref.indexer import byteviews, defines, extract, includes, slotloads, ts

_MACROS: dict[str, object] = {}


def init(profile_macros: dict, dialect: str = "printf", spool_dir: str | None = None,
         fills: dict | None = None) -> None:
    """Pool initializer: compile the corpus macro profile once per worker process
    (`fills`: the profile's [writes] fills, see extract.extract).

    With `spool_dir`, facts go to this process's spool file (see spool.py) and `work`
    returns only a small Meta record.
    """
    _die_with_parent()
    _arm_deadline()
    _MACROS["profile"] = _load_macros(profile_macros)
    _MACROS["dialect"] = dialect
    _MACROS["spool_dir"] = spool_dir
    _MACROS["fills"] = fills or {}


def _die_with_parent() -> None:
    """In a pool worker: get SIGKILLed when the indexer dies (a `kill -9` leaves no orphans)."""
    import multiprocessing
    import os
    import signal
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    from vmxref.indexer import native
    if native.mod is None or not native.mod.die_with_parent(signal.SIGKILL):
        try:  # (without the C part; ctypes costs a worker ~10 ms to import)
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
    if os.getppid() != parent.pid:  # the parent died before prctl took effect
        os._exit(1)


FILE_SECONDS = 120.0  # one file's normalise + parse + extract in a pool worker, at most


class TooSlow(BaseException):
    """A file's extraction went past FILE_SECONDS (a pathological input, or a bug); not an
    Exception, so that no `except Exception` on its way takes it for an extraction error."""


def _arm_deadline() -> None:
    """In a pool worker: a file that takes longer than FILE_SECONDS is stopped (SIGALRM,
    which also interrupts a regular expression) and indexed without facts, status
    "too-slow", instead of holding the run forever."""
    import multiprocessing
    import signal
    if multiprocessing.parent_process() is None:
        return

    def expired(_sig, _frame):
        raise TooSlow()
    signal.signal(signal.SIGALRM, expired)
    _MACROS["deadline"] = FILE_SECONDS


def _load_macros(table: dict):
    from vmxref.indexer import normalize
    return normalize.load_profile(table)


def work(item: tuple, flush: bool = True) -> tuple[int, object, str]:
    """(job id, path or content, sha1, lang) -> (job id, Meta or Facts or None, status).

    The worker reads the file itself and checks it still has the content the indexer hashed
    (status "changed" otherwise); with a spool, facts go there and a Meta record carrying the
    compressed content comes back.
    """
    from vmxref.indexer import spool
    job, src, sha1, lang = item if len(item) == 4 else (item[0], item[1], None, item[2])
    content = _read(src)
    if content is None or (sha1 and hashlib.sha1(content).hexdigest() != sha1):
        return job, None, "changed"
    facts, status = _work(content, lang)
    sd = _MACROS.get("spool_dir")
    if sd and facts is not None:
        sp = spool.for_process(sd)
        try:
            sp.add(job, facts)
        except (ValueError, TypeError, OverflowError) as e:  # a fact the spool cannot take:
            # this file's facts are dropped (Spool.add deleted its rows), not the run
            status = f"extract-error: {type(e).__name__}: {e}"[:200]
            return job, spool.Meta(None, "", content), status
        if flush:
            sp.flush()
        return job, spool.Meta(facts, sp.path, content), status
    if facts is None:
        return job, spool.Meta(None, "", content), status
    return job, facts, status


def _read(src) -> bytes | None:
    if isinstance(src, bytes):
        return src
    try:
        with open(src, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _work(content: bytes, lang: str) -> tuple[object, str]:
    deadline = _MACROS.get("deadline")
    if not deadline:
        return _extract(content, lang)
    import signal
    signal.setitimer(signal.ITIMER_REAL, float(deadline))
    try:
        return _extract(content, lang)
    except TooSlow:
        return None, f"too-slow: stopped after {deadline:g} s"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _extract(content: bytes, lang: str) -> tuple[object, str]:
    prof = _MACROS.get("profile")
    dialect = _MACROS.get("dialect", "printf")
    fills = _MACROS.get("fills")
    try:
        facts = defines.scan(content)  # a generated header of numeric #defines: no parse
        if facts is not None:
            return facts, "ok"
        text, uses, dropped = (content, [], [])
        spans: list[tuple[int, int]] = []  # (the span of each use: texts hold whole uses)
        erased: list[tuple] = []  # (the arguments unwrap_args dropped, see erased.py)
        if prof is not None:
            from vmxref.indexer import normalize
            text, uses, dropped = normalize.normalize_ex(content, prof, spans=spans,
                                                         erased=erased)
        tree = ts.parse(text, lang)
        # facts read names and texts from the original bytes: offsets are identical
        facts = extract.extract(content, tree, lang, prof, uses, dialect, text=text, fills=fills,
                                use_spans=spans)
        if erased:  # calls and reads inside those arguments: a parse of a text that has them
            from vmxref.indexer import erased as dropped_args
            try:
                dropped_args.recover(content, text, tree, lang, prof, dialect, fills, spans,
                                     erased, facts)
            except Exception:  # noqa: BLE001 - a failure costs the facts of those arguments,
                pass  # never the file's own
        if dropped:  # the other side of `#if` groups that split a construct: more parses
            _other_branches(content, lang, prof, dialect, fills, facts, tree, text, dropped)
        if any(s[1] == "function" and s[2] == s[4] and s[9] for s in facts.syms):
            from vmxref.indexer import expand  # (functions a pasting macro defines here)
            try:
                expand.generated_bodies(content, facts,
                                        lambda t: _plain_facts(t, lang, prof, dialect, fills))
            except Exception:  # noqa: BLE001 - an expansion that fails costs its functions'
                pass  # bodies, never the file's own facts
        facts.slotloads = slotloads.slot_loads(facts)
        facts.byteviews = byteviews.byte_views(facts)
        facts.includes = includes.source_includes(content)
        return facts, "ok"
    except RecursionError:
        return None, "too-deep"
    except Exception as e:  # noqa: BLE001 - one file's extraction bug must not stop the run
        return None, f"extract-error: {type(e).__name__}: {e}"[:200]


BRANCH_PASSES = 32  # parses of `want` texts (normalize_ex) for one file, at most


def _other_branches(content: bytes, lang: str, prof, dialect: str, fills, facts, tree,
                    text: bytes, dropped: list[tuple[int, int]]) -> None:
    """Add to `facts` those of the branches of split `#if` groups the first text dropped
    (`dropped`), each parsed once: an incremental re-parse of the first tree per text, its
    facts on the lines of the branches new in it merged (extract.merge_branches)."""
    from vmxref.indexer import normalize

    tops = [(n.start_byte, n.end_byte, n.type == "ERROR")
            for n in tree.root_node.children] if tree.root_node.has_error else None

    def merge(other: bytes, uses, spans, ranges) -> None:
        around = _around(tops, ranges) if tops else None
        if around:  # (a first tree with errors: its incremental re-parse would be a whole
            # fresh parse (ts.reparse); the top-level constructs around the branches do,
            # each alone: one left open by its branch cannot swallow the next)
            for lo, hi in around:
                mine = [(a, b) for a, b in ranges if lo <= a and b <= hi]
                take(ts.parse_ranges(other, lang, [(lo, hi)]), other, uses, spans, mine,
                     (lo, hi))
        else:
            take(ts.reparse(tree, text, other, lang), other, uses, spans, ranges,
                 (min(a for a, _b in ranges), max(b for _a, b in ranges)))

    def take(tree2, other: bytes, uses, spans, ranges, byte_range) -> None:
        # (byte_range: what the facts of the branches are read with, the declarations of
        # the locals they use included)
        found = extract.extract(content, tree2, lang, prof, uses, dialect, text=other,
                                fills=fills, use_spans=spans, byte_range=byte_range)
        extract.merge_branches(facts, found, content, ranges)

    # the next branch of every such group (the `#else` side)
    spans2: list[tuple[int, int]] = []
    text2, uses2, _ = normalize.normalize_ex(content, prof, alternate=True, spans=spans2)
    seen = [text2]
    if text2 != text:
        merge(text2, uses2, spans2, dropped)
        # (a split group inside another: the alternate text kept the outer group's other
        # branch and blanked the inner one's; a third text keeps the outer's first branch
        # and the inner's other one. Only the ranges blank in both texts before are taken)
        spans3: list[tuple[int, int]] = []
        text3, uses3, _ = normalize.normalize_ex(content, prof, alternate=2, spans=spans3)
        fresh = [(a, b) for a, b in dropped if not text2[a:b].strip() and text3[a:b].strip()]
        if fresh and text3 not in (text, text2):
            merge(text3, uses3, spans3, fresh)
            seen.append(text3)
    # the branches no text held yet (the third of `#ifdef RT_OS_WINDOWS / #elif
    # defined(RT_OS_LINUX) / #else`, an inner group's first branch inside an outer one's
    # second): texts that keep them, one branch of a group per text
    left = [(a, b) for a, b in dropped if not any(t[a:b].strip() for t in seen)]
    for _ in range(BRANCH_PASSES):
        if not left:
            break
        spans_n: list[tuple[int, int]] = []
        text_n, uses_n, _ = normalize.normalize_ex(content, prof, spans=spans_n, want=left)
        fresh = [(a, b) for a, b in left if text_n[a:b].strip()]
        if not fresh:
            break  # (a branch of a group in a dead branch: no text holds it)
        merge(text_n, uses_n, spans_n, fresh)
        left = [(a, b) for a, b in left if not text_n[a:b].strip()]


def _around(tops: list[tuple[int, int, bool]], ranges: list[tuple[int, int]]
            ) -> list[tuple[int, int]] | None:
    """The byte spans of the top-level nodes `tops` ((start, end, is an ERROR) of the first
    tree's) that the byte ranges `ranges` touch, joined where they meet: each branch is
    parsed within the whole constructs around it, the rest of the text not at all. None
    when one of them is an ERROR node: where the construct around a branch begins is then
    unknown (a function whose header the parser lost: its branch would be read outside
    it)."""
    import bisect
    starts = [t[0] for t in tops]
    out: list[list[int]] = []
    for a, b in sorted(ranges):
        i = max(bisect.bisect_right(starts, a) - 1, 0)
        j = min(max(bisect.bisect_left(starts, b) - 1, i), len(tops) - 1)
        if b > tops[j][1] and j + 1 < len(tops):
            j += 1
        if any(t[2] for t in tops[max(i - 1, 0):j + 2]):
            return None
        lo, hi = min(tops[i][0], a), max(tops[j][1], b)
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _plain_facts(text: bytes, lang: str, prof, dialect: str, fills):
    """The facts of one text, normalised, parsed and extracted once (no alternate `#if`
    texts): for expand.generated_bodies."""
    uses: list = []
    spans: list[tuple[int, int]] = []
    norm = text
    if prof is not None:
        from vmxref.indexer import normalize
        norm, uses, _dropped = normalize.normalize_ex(text, prof, spans=spans)
    return extract.extract(text, ts.parse(norm, lang), lang, prof, uses, dialect, text=norm,
                           fills=fills, use_spans=spans)


def work_batch(items: list) -> list:
    """Several jobs in one round trip to the pool (the spool is flushed once at the end)."""
    out = [work(item, flush=False) for item in items]
    if _MACROS.get("spool_dir"):
        from vmxref.indexer import spool
        spool.for_process(_MACROS["spool_dir"]).flush()
    return out
