"""File locks shared by every kerasdl process that writes into one reports folder.

POSIX (Linux, macOS): `fcntl.flock`. Windows, which has no `fcntl`: `portalocker`, whose default
Windows locker is `msvcrt.locking` (the same exclusive, whole-process semantics for our use). On
both the operating system drops a process's locks when it dies, even by SIGKILL, so a crashed run
never leaves a stale lock behind, and "can I take the lock of this `.partial` folder?" answers "is
the process that wrote it still alive?" without pid files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: the portalocker path below (tests also take it on Linux by setting this to None)
    fcntl = None  # type: ignore[assignment]

__all__ = ["HeldLock", "REPORTS_LOCK", "exclusive", "is_locked"]

REPORTS_LOCK = ".kerasdl.lock"  # in a reports folder: held while index.html is rebuilt
_WAIT_POLL_S = 0.05  # the portalocker path waits by retrying (msvcrt's own blocking mode gives up after 10 s)


def _take(fd: int, *, wait: bool) -> None:
    """Lock the open file `fd` exclusively; without `wait`, BlockingIOError when another process holds it."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        return
    import portalocker

    while True:
        try:
            portalocker.lock(fd, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
            return
        except portalocker.exceptions.AlreadyLocked:
            if not wait:
                raise BlockingIOError(f"{fd} is locked by another process") from None
        time.sleep(_WAIT_POLL_S)


def _open(path: Path | str, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    return os.open(path, flags, 0o666)


@contextmanager
def exclusive(path: Path | str) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the `with` block, waiting for it."""
    fd = _open(path)
    try:
        _take(fd, wait=True)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class HeldLock:
    """A lock taken without waiting and kept until `release()` (or the process's death)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = _open(self.path)
        try:
            _take(self._fd, wait=False)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise

    def release(self, *, remove: bool = False) -> None:
        if self._fd is None:
            return
        if remove and fcntl is not None:  # POSIX: removed while still held, so no other process locks it first
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None
        if remove and fcntl is None:  # Windows cannot remove an open file: after closing, if nobody took it
            try:
                self.path.unlink(missing_ok=True)
            except PermissionError:
                pass  # another process holds it now: its file


def is_locked(path: Path | str) -> bool:
    """Whether another live process holds the lock on `path` (False when the file does not exist)."""
    try:
        fd = _open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        _take(fd, wait=False)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
