"""Named errors: problems a user can fix. The CLI turns each into a one-line message (exit 2)."""
import errno


class VmxrefError(Exception):
    """Base: a problem the user can fix. The message is shown verbatim, on one line."""


class NoIndex(VmxrefError):
    """No index where one was expected."""


class UnknownCorpus(VmxrefError):
    """A corpus (or corpus version) that is not known or not indexed."""


class UnknownSymbol(VmxrefError):
    """A symbol name that the index does not know."""


class QuerySyntaxError(VmxrefError):
    """A query that does not parse; the message points at the failing token."""

    def __init__(self, message: str, query: str = "", pos: int = -1):
        self.query, self.pos = query, pos
        super().__init__(message)


class QueryFileError(VmxrefError):
    """A saved query file that is invalid (message names file, line and key)."""


class SourceError(VmxrefError):
    """A corpus root or source archive that cannot be read."""


class IndexBusy(VmxrefError):
    """Another indexer holds the index lock."""


class IndexCorrupt(VmxrefError):
    """An index file that is not one of ours, or was tampered with."""


class IndexWriteError(VmxrefError):
    """The index cannot be written (disk full, I/O error, read-only directory); the previous
    index is left as it was."""


EXIT_ERROR, EXIT_INTERRUPTED = 2, 130
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


def one_line(e: BaseException) -> tuple[str, int] | None:
    """The one-line message and exit code of an error the user can act on (None: a bug,
    left to the traceback). Every entry point (click CLI, fast path) says errors this way."""
    from vmxref.render import clean
    if isinstance(e, QuerySyntaxError) and e.query and e.pos >= 0:
        from vmxref.queries.lang import format_error  # (the query with `^` at the column)
        return f"vmxref: error: {clean(format_error(e).replace(chr(10), ' '))}", EXIT_ERROR
    if isinstance(e, VmxrefError):
        return f"vmxref: error: {clean(str(e).replace(chr(10), ' '))}", EXIT_ERROR
    if isinstance(e, KeyboardInterrupt):
        return "vmxref: interrupted", EXIT_INTERRUPTED
    if type(e).__name__ in ("DatabaseError", "JSONDecodeError") and type(e).__module__ in (
            "sqlite3", "json.decoder"):  # (a damaged index: its bytes changed under it)
        return (clean(f"vmxref: error: the index is damaged ({str(e).splitlines()[0][:120]}); "
                      f"remove it and index again"), EXIT_ERROR)
    if isinstance(e, OSError) and e.errno in _DISK_ERRNOS:
        return (clean(f"vmxref: error: {e.strerror} ({e.filename or 'writing'}); free space or "
                      f"fix the directory and re-run"), EXIT_ERROR)
    return None
