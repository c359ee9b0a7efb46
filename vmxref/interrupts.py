"""SIGINT/SIGTERM as a flag as well as a KeyboardInterrupt.

Python runs a signal handler in the main thread at the next bytecode; when that happens
inside a finalizer or a library callback, the KeyboardInterrupt it raises is only printed
("Exception ignored ...") and the run goes on. The indexer therefore also checks the flag
before it commits, so an interrupted run never publishes its half-way work.
"""
from __future__ import annotations

import signal

requested = False


def _handler(signum, frame) -> None:
    global requested
    requested = True
    raise KeyboardInterrupt


def install() -> None:
    """Route SIGINT and SIGTERM through the flag (the console entry points call this)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _handler)


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt arrived, even one whose exception was lost."""
    if requested:
        raise KeyboardInterrupt
