"""Read and write the workspace's files safely: each read once, by its real path, inside its
folder, as a regular file of bounded size; each write a temporary file, then a rename."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


class NotRegularFile(OSError):
    """The path is a pipe, device or socket: reading it could block or never end."""


class FileTooLarge(OSError):
    """The file is over the size limit (known from its metadata, before reading)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


class OutsideFolder(OSError):
    """The path leads (by `..` or a symbolic link) outside the folder it must stay in."""


@dataclass(frozen=True)
class FileRead:
    """A file's bytes as read, with the real path they were read from."""

    path: Path  # the real path: symbolic links and `..` resolved
    data: bytes = field(repr=False)
    signature: tuple[int, int, int]  # modification time, size, inode when read

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def real_path(path: Path | str) -> Path:
    """The path with its symbolic links followed as far as they go (a loop of links is left
    as it stands, where Path.resolve raises)."""
    return Path(os.path.realpath(path))


def resolved(path: Path | str) -> Path | None:
    """The path with every symbolic link followed; None where they cannot all be (a loop of
    links, a name the system refuses), so the path leads nowhere that can be checked."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # Path.resolve raises RuntimeError for a loop
        return None


def is_inside(path: Path | str, folder: Path | str) -> bool:
    """Whether the real path lies in the real folder (both resolved)."""
    return real_path(path).is_relative_to(real_path(folder))


def root_for(path: Path | str, workspace: Path) -> Path:
    """The folder a file must resolve inside: the workspace, when the path as written lies in
    it; otherwise (a file named outside the workspace) the real folder it resolves into."""
    if Path(os.path.abspath(path)).is_relative_to(workspace):
        return workspace
    return real_path(path).parent


def read_file(path: Path | str, limit: int, inside: Path | None = None) -> FileRead:
    """A regular file's bytes, read once from its real path, never more than `limit` bytes.

    With `inside`, the real path must lie in that folder (OutsideFolder otherwise): a
    symbolic link out of it is refused before a byte is read. The file's type and size are
    checked (stat) before reading and again on the open file, which is opened non-blocking
    and without following a link, so a file swapped for a pipe or a link in between still
    cannot stall the build or lead elsewhere.
    """
    real = real_path(path)
    if inside is not None and not real.is_relative_to(real_path(inside)):
        raise OutsideFolder(str(path))
    status = os.stat(real)
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(str(path))
    if not stat.S_ISREG(status.st_mode):
        raise NotRegularFile(str(path))
    if status.st_size > limit:
        raise FileTooLarge(status.st_size)
    flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
             | getattr(os, "O_NOFOLLOW", 0))
    with open(os.open(real, flags), "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(str(path))
        data = stream.read(limit + 1)
    if len(data) > limit:  # grew since the check
        raise FileTooLarge(len(data))
    return FileRead(real, data, (status.st_mtime_ns, status.st_size, status.st_ino))


class Reads:
    """Each file read at most once per build, by its real path: checking, hashing and
    attaching all use the same bytes. Called like read_file."""

    def __init__(self) -> None:
        self._files: dict[Path, FileRead] = {}

    def __call__(self, path: Path | str, limit: int, inside: Path | None = None) -> FileRead:
        real = real_path(path)
        if inside is not None and not real.is_relative_to(real_path(inside)):
            raise OutsideFolder(str(path))
        found = self._files.get(real)
        if found is None:
            found = self._files[real] = read_file(real, limit, inside)
        elif len(found.data) > limit:
            raise FileTooLarge(len(found.data))
        return found

    def get(self, path: Path | str) -> FileRead | None:
        """The file as read, if it has been."""
        return self._files.get(real_path(path))


def why_unreadable(error: OSError, limit: int) -> str:
    """What went wrong reading a file, in words that never quote the file."""
    if isinstance(error, OutsideFolder):
        return "leads outside the workspace (by `..` or a symbolic link); it is not read"
    if isinstance(error, FileNotFoundError):
        return "file not found"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(error, NotRegularFile):
        return "is not a regular file (a pipe, device or socket); it is not read"
    if isinstance(error, FileTooLarge):
        return f"file is {error.size:,} bytes; the limit is {limit:,} bytes"
    return f"cannot read the file: {error.strerror or error}"


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".part")
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600; a PDF is for sharing
            os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
