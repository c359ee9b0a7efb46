"""Worker side of indexing: normalise, parse and extract one file content (runs in a pool)."""
from __future__ import annotations

from vmxref.indexer import extract, ts

_MACROS: dict[str, object] = {}


def init(profile_macros: dict, dialect: str = "printf") -> None:
    """Pool initializer: compile the corpus macro profile once per worker process."""
    _die_with_parent()
    _MACROS["profile"] = _load_macros(profile_macros)
    _MACROS["dialect"] = dialect


def _die_with_parent() -> None:
    """In a pool worker: get SIGKILLed when the indexer dies (a `kill -9` leaves no orphans)."""
    import multiprocessing
    import os
    import signal
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent.pid:  # the parent died before prctl took effect
        os._exit(1)


def _load_macros(table: dict):
    try:
        from vmxref.indexer import normalize
    except ImportError:  # normaliser not available: parse raw text
        return None
    return normalize.load_profile(table)


def work(item: tuple[int, bytes, str]) -> tuple[int, object, str]:
    """(job id, content, lang) -> (job id, Facts or None, status)."""
    job, content, lang = item
    prof = _MACROS.get("profile")
    try:
        text, uses = (content, [])
        if prof is not None:
            from vmxref.indexer import normalize
            text, uses = normalize.normalize(content, prof)
        tree = ts.parse(text, lang)
        # facts read names and texts from the original bytes: offsets are identical
        return job, extract.extract(content, tree, lang, prof, uses, _MACROS.get("dialect", "printf"),
                                             text=text), "ok"
    except RecursionError:
        return job, None, "too-deep"
    except Exception as e:  # noqa: BLE001 - one file's extraction bug must not stop the run
        return job, None, f"extract-error: {type(e).__name__}: {e}"[:200]


def work_batch(items: list) -> list:
    """Several jobs in one round trip to the pool."""
    return [work(item) for item in items]
