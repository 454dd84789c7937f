"""Faults of the machine, not of the spec or of specc: a full disk, a read-only store, a
deleted ledger, a termination signal. Each gets one clean line and its own exit code
(1 for the environment, 128+signal for a signal), never an "internal error" traceback.
"""
from __future__ import annotations

import errno
import signal
import sqlite3

EXIT_ENVIRONMENT = 1

_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, or use --store on another disk",
    errno.EDQUOT: "the disk quota is exhausted: free some space, or use --store elsewhere",
    errno.EROFS: "the file system is read-only: run where .specc/ can be written, or use --store "
                 "on a writable disk",
    errno.EACCES: "no permission to write there: fix its permissions, or use --store elsewhere",
    errno.EPERM: "the operation is not permitted there: use --store elsewhere",
    errno.EIO: "the disk reported an I/O error",
}
_SQLITE = (("disk is full", errno.ENOSPC), ("readonly", errno.EROFS), ("read-only", errno.EROFS),
           ("unable to open", errno.EACCES), ("disk i/o error", errno.EIO))


class LedgerLost(OSError):
    """The ledger file was deleted or replaced while a run was writing to it."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that a run shuts down the same way:
    Ray stopped, ledger rows closed as interrupted, no C++ stack dump from Ray's handler."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signum)
        self.signum = signum


received: list[int] = []   # signals turned into interrupts (some libraries re-raise a plain one)


def terminate_like_interrupt() -> None:
    """Handle SIGTERM by raising `Terminated` (call again after anything that replaces the
    handler: `ray.init` installs one that dumps a C++ stack and aborts)."""
    def handler(signum, frame):
        received.append(signum)
        raise Terminated(signum)
    signal.signal(signal.SIGTERM, handler)


def environment_fault(exc: BaseException) -> str | None:
    """One line (with a hint) when `exc` is the environment's fault, else None."""
    if isinstance(exc, LedgerLost):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError) or isinstance(exc, sqlite3.DatabaseError):
        text = str(exc)
        code = next((c for needle, c in _SQLITE if needle in text.lower()), None)
        if code is None:
            return None
        return f"the run ledger cannot be written ({text}); {_HINTS[code]}"
    if isinstance(exc, OSError) and exc.errno in _HINTS:
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot write{where}: {exc.strerror or exc}; {_HINTS[exc.errno]}"
    cause = exc.__cause__ or exc.__context__
    return environment_fault(cause) if cause is not None and cause is not exc else None
