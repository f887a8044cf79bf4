"""One process at a time on a file: an advisory lock held while it works."""

from __future__ import annotations

import os
from pathlib import Path


def hold(path: Path) -> int | None:
    """Lock `path` for this process; return its descriptor, None if busy.

    The lock goes when the descriptor is closed or the process ends (even
    by SIGKILL). Where flock does not exist (Windows) nothing is locked.
    """
    created = not path.exists()
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    if created:  # make the new file's name durable too
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    try:
        import fcntl
    except ImportError:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
