"""Writing files so a crash never leaves one half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Files are made as an ordinary open() would make them (0666 less the umask),
# not 0600 as mkstemp does: a report is for the lab to share. The umask is
# read once, here, because reading it means setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_text(path, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over."""
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it over."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
