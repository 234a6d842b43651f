"""Read a built PDF for the browser only from inside the output folder, never through a
symbolic link, and only if it is still the PDF the build wrote (by its SHA-256)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

MAX_PDF_BYTES = 512 * 1024 * 1024


def read_built_pdf(output_root: Path, path: Path, sha256: str) -> bytes | None:
    """The bytes of `path`, or None when it is outside `output_root`, is or lies under a
    symbolic link below that root, is not a regular file, or no longer has this hash."""
    root = os.path.realpath(output_root)
    try:
        relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(output_root))
    except ValueError:
        return None
    if any(part in ("", ".", "..") for part in relative.parts):
        return None
    candidate = os.path.join(root, *relative.parts)
    # No link anywhere below the root: the resolved path is the path itself.
    if os.path.realpath(candidate) != candidate or not candidate.startswith(root + os.sep):
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(candidate, flags)
    except OSError:
        return None
    with open(handle, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_PDF_BYTES:
            return None
        data = stream.read()
    return data if hashlib.sha256(data).hexdigest() == sha256 else None
