"""File locks shared by every kerasdl process that writes into one reports folder.

`fcntl.flock` (POSIX; Linux and macOS, not Windows): the kernel drops a process's locks when it
dies, even by SIGKILL, so a crashed run never leaves a stale lock behind, and "can I take the lock
of this `.partial` folder?" answers "is the process that wrote it still alive?" without pid files.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["HeldLock", "REPORTS_LOCK", "exclusive", "is_locked"]

REPORTS_LOCK = ".kerasdl.lock"  # in a reports folder: held while index.html is rebuilt


@contextmanager
def exclusive(path: Path | str) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the `with` block, waiting for it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class HeldLock:
    """A lock taken without waiting and kept until `release()` (or the process's death)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise

    def release(self, *, remove: bool = False) -> None:
        if self._fd is None:
            return
        if remove:
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def is_locked(path: Path | str) -> bool:
    """Whether another live process holds the lock on `path` (False when the file does not exist)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
