"""SIGINT/SIGTERM as a flag as well as a KeyboardInterrupt.

Python runs a signal handler in the main thread at the next bytecode; when that happens
inside a finalizer or a library callback, the KeyboardInterrupt it raises is only printed
("Exception ignored ...") and the run goes on. The indexer therefore also checks the flag
before it commits, so an interrupted run never publishes its half-way work.
"""
from __future__ import annotations

import signal
from contextlib import contextmanager

requested = False
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _handler(signum, frame) -> None:
    global requested
    requested = True
    raise KeyboardInterrupt


def _flag(signum, frame) -> None:
    global requested
    requested = True


def install() -> None:
    """Route SIGINT and SIGTERM through the flag (the console entry points call this)."""
    for sig in _SIGNALS:
        signal.signal(sig, _handler)


@contextmanager
def deferred():
    """Within: SIGINT and SIGTERM only set the flag; the caller raises with `check()` at
    points where that is safe. A KeyboardInterrupt raised at any bytecode of a process
    pool's own code can leave one of its locks taken: its threads then wait forever, and so
    does the run's exit (a CI run hung so, interrupted while it queued work). The handlers
    in place before come back on the way out (only the main thread can change them: in
    another one this does nothing)."""
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = [signal.getsignal(sig) for sig in _SIGNALS]
    for sig in _SIGNALS:
        signal.signal(sig, _flag)
    try:
        yield
    finally:
        for sig, handler in zip(_SIGNALS, old):
            signal.signal(sig, handler)


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt arrived, even one whose exception was lost."""
    if requested:
        raise KeyboardInterrupt


EXIT_GRACE = 10.0  # seconds an interrupted run may take to end before it is ended


def exit_within(code: int, seconds: float = EXIT_GRACE) -> None:
    """After an interrupt was said: end the process with `code` if its normal exit has not
    done so within `seconds`. The normal exit joins threads (a process pool's manager
    reading its result pipe); once, an interrupted indexer printed `interrupted` and then
    waited on that read for 20 minutes. The timer is a daemon: a prompt exit ignores it."""
    import os
    import threading
    t = threading.Timer(seconds, os._exit, args=(code,))
    t.daemon = True
    t.start()
