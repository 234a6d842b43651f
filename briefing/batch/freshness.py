"""Turn everything that goes into one PDF into a content hash, recorded beside the PDF.

Freshness is by content, never by modification time, so it holds on a fresh clone (CI): a PDF
is up to date when the hash of its inputs (meeting file, followed files, data files, layout
and font files, package version, build options) equals the hash recorded beside it when it
was built, and the PDF itself is still the one that was written. The record is a small JSON
file next to the PDF: `output/<meeting>/.<layout>-<edition>.pdf.inputs.json`, signed with a
key kept outside the workspace (signing.py), so a record from anywhere else is not trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from briefing.batch.signing import sign, verify
from briefing.files import Reads, read_file, real_path
from briefing.meeting.series import Series

log = logging.getLogger(__name__)

RECORD_SUFFIX = ".inputs.json"
MAX_RECORD_BYTES = 1024 * 1024
MAX_PDF_BYTES = 1024 * 1024 * 1024
_MISSING = "missing"
_NOT_A_FILE = "not a regular file"


def series_inputs(series: Series) -> list[Path]:
    """Every file a pack is made from: each meeting file of the series and its CSV data files.

    The series is already loaded and validated (a missing or looping `follows` has failed
    before this point), so nothing is parsed here.
    """
    return [path for path, _what in series.source_files()]


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The package version, a hash of its own source, and the renderers' versions.

    Hashing the source makes an edited checkout rebuild even before the version number moves.
    Versions come from package metadata, so nothing heavy is imported.
    """
    from importlib import metadata

    from briefing import __version__

    digest = hashlib.sha256(f"briefing {__version__}\n".encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in ("weasyprint", "matplotlib", "jinja2", "pydyf", "fonttools"):
        try:
            digest.update(f"{name} {metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent\n".encode())
    return digest.hexdigest()


class FileHasher:
    """SHA-256 of files, each read once per build, remembering what each file looked like.

    A file the build has already read (a meeting or CSV file, in `reads`) is hashed from
    those very bytes, not read again. `changed_since_hashed` lets a build notice a file saved
    while it was rendering, so it never records a hash for bytes it did not render.
    """

    def __init__(self, reads: Reads | None = None) -> None:
        self.reads = reads if reads is not None else Reads()
        self._digests: dict[Path, tuple[tuple[int, int, int] | None, str]] = {}

    def digest(self, path: Path) -> str:
        path = real_path(path)
        if path not in self._digests:
            read = self.reads.get(path)
            self._digests[path] = ((read.signature, read.sha256) if read is not None
                                   else self._read(path))
        return self._digests[path][1]

    def changed_since_hashed(self, paths: Iterable[Path]) -> list[Path]:
        changed = []
        for path in paths:
            path = real_path(path)
            if path in self._digests and _signature(path) != self._digests[path][0]:
                changed.append(path)
        return changed

    @staticmethod
    def _read(path: Path) -> tuple[tuple[int, int, int] | None, str]:
        for _attempt in range(3):
            before = _signature(path)
            if before is None:
                return None, _MISSING
            try:
                digest = _regular_file_digest(path)
            except OSError:
                return None, _MISSING
            if digest is None:  # a pipe or device: reading it could block the build forever
                return before, _NOT_A_FILE
            if _signature(path) == before:
                return before, digest
        return _signature(path), digest


def _regular_file_digest(path: Path) -> str | None:
    """SHA-256 of a regular file's bytes; None, without reading, for a pipe, device or socket.

    Opened non-blocking and checked on the open file, so a file swapped for a pipe after the
    first look cannot stall the build either.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        return None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    with open(os.open(path, flags), "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return None
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


@dataclass(frozen=True)
class Fingerprint:
    """The hash of one output's inputs, and each input's own hash (to say what changed)."""

    value: str
    inputs: dict[str, str]
    paths: tuple[Path, ...]

    def changes_from(self, record: dict | None) -> str:
        """Why an output with this record needs building, in a few words."""
        if record is None:
            return "not built before"
        old = record.get("inputs", {})
        changed = sorted(name for name in self.inputs.keys() | old.keys()
                         if self.inputs.get(name) != old.get(name))
        if not changed:
            return "inputs changed"
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3
                                         else "")
        return f"changed: {shown}"


def fingerprint(hasher: FileHasher, named_files: Iterable[tuple[str, Path]],
                settings: dict[str, str]) -> Fingerprint:
    inputs = {f"{key}": value for key, value in settings.items()}
    paths = []
    for name, path in named_files:
        inputs[name] = hasher.digest(path)
        paths.append(path)
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return Fingerprint(digest, inputs, tuple(paths))


def record_path(output: Path) -> Path:
    return output.with_name(f".{output.name}{RECORD_SUFFIX}")


def read_record(output: Path) -> dict | None:
    try:
        data = read_file(record_path(output), MAX_RECORD_BYTES).data
        record = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def is_fresh(output: Path, current: Fingerprint, record: dict | None, key: bytes) -> bool:
    """Fresh: same inputs hash, the PDF on disk is the very one that was recorded, and the
    record is signed with this machine's key (signing.py): a record written by anyone else,
    such as one committed to the workspace, never makes a PDF count as up to date."""
    if record is None or record.get("hash") != current.value:
        return False
    try:
        pdf = read_file(output, MAX_PDF_BYTES).data  # a regular file, never a pipe
    except OSError:
        return False
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    return (pdf_sha256 == record.get("pdf_sha256")
            and verify(key, record.get("signature"), "record", current.value, pdf_sha256))


def record_bytes(current: Fingerprint, pdf: bytes, key: bytes) -> bytes:
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    return json.dumps({"hash": current.value, "pdf_sha256": pdf_sha256,
                       "signature": sign(key, "record", current.value, pdf_sha256),
                       "inputs": current.inputs}, indent=1, sort_keys=True).encode() + b"\n"


InputsOf = Callable[[Series], list[Path]]
