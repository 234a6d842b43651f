"""Drawn chart SVGs kept by the hash of everything that shapes them: in memory, and signed on disk."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from briefing.batch.signing import sign, verify
from briefing.meeting.models import DataSet
from briefing.rendering.charts.kinds import kind_named
from briefing.rendering.charts.specs import ChartSize
from briefing.rendering.charts.style import STYLE
from briefing.rendering.charts.svg import chart_svg

log = logging.getLogger(__name__)

MAX_CACHED_BYTES = 20 * 1024 * 1024
PACKAGE = Path(__file__).parent  # every module of it shapes the SVG bytes


@dataclass
class ChartCache:
    """SVGs by the hash of their inputs and style: in memory for the process, on disk across builds.

    `folder` (from Config) keeps drawn SVGs between builds, each with a record of its hash
    signed with `key`; `write` is files.write_atomically, passed in by the Renderer, so a
    cache file is never seen half-written. Without a folder and a key the cache lives in
    memory only.
    """

    folder: Path | None = None
    write: Callable[[Path, bytes], None] | None = None
    key: bytes | None = None  # signs each stored chart's record (signing.py)
    drawn: int = 0
    reused: int = 0
    _memory: dict[str, bytes] = field(default_factory=dict, repr=False)

    def svg(self, dataset: DataSet, font_path: Path | None, size: ChartSize | None = None) -> bytes:
        size = size or ChartSize()
        key = chart_key(dataset, font_path, size)
        if key in self._memory:
            self.reused += 1
            log.debug("chart %s: reused (drawn earlier in this process)", dataset.id)
            return self._memory[key]
        stored = self.folder / f"{key}.svg" if self.folder is not None and self.key else None
        if stored is not None:
            data = self._stored(key, stored)
            if data is not None:
                self.reused += 1
                self._memory[key] = data
                log.debug("chart %s: reused %s", dataset.id, stored.name)
                return data
        data = chart_svg(dataset, font_path, size)
        self.drawn += 1
        self._memory[key] = data
        log.debug("chart %s: drawn", dataset.id)
        if stored is not None and self.write is not None:
            digest = hashlib.sha256(data).hexdigest()
            record = json.dumps({"sha256": digest,
                                 "signature": sign(self.key, "chart", key, digest)})
            try:
                self.write(stored, data)
                self.write(_record_of(stored), record.encode() + b"\n")
            except OSError as error:
                log.warning("could not save chart %s to the cache %s: %s", dataset.id,
                            self.folder, error.strerror or error)
        return data

    def _stored(self, key: str, stored: Path) -> bytes | None:
        """A cached SVG, only if its bytes hash to what its signed record says: a chart
        planted in the cache folder is drawn afresh, never printed."""
        from briefing.files import read_file

        try:
            data = read_file(stored, MAX_CACHED_BYTES, inside=self.folder).data
            record = json.loads(read_file(_record_of(stored), 4096, inside=self.folder).data)
        except (OSError, ValueError):
            return None
        digest = hashlib.sha256(data).hexdigest()
        if (isinstance(record, dict) and record.get("sha256") == digest
                and verify(self.key, record.get("signature"), "chart", key, digest)):
            return data
        log.debug("chart cache: %s does not match its record; drawing it again", stored.name)
        return None


def _record_of(stored: Path) -> Path:
    return stored.with_suffix(".json")


def chart_key(dataset: DataSet, font_path: Path | None, size: ChartSize | None = None) -> str:
    """The hash of everything that shapes a chart's SVG bytes (not its title, source or id):
    the code includes every module of this package and the module the kind is declared in."""
    kind_module = sys.modules.get(kind_named(dataset.kind).__module__)
    kind_file = getattr(kind_module, "__file__", None)
    material = {
        "kind": dataset.kind, "unit": dataset.unit, "categories": list(dataset.categories),
        "series": [[name, list(values)] for name, values in dataset.series.items()],
        "style": STYLE, "size": (size or ChartSize()).key(),
        "font": _file_digest(str(font_path)) if font_path else None,
        "code": code_digest(str(PACKAGE)),
        "kind_code": _file_digest(kind_file) if kind_file else None,
        "matplotlib": _matplotlib_version(),
    }
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=8)
def code_digest(folder: str) -> str:
    """The hash of every Python module below a folder: each one's path in it, then its bytes."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\0{_file_digest(str(path))}\n".encode())
    return digest.hexdigest()


@lru_cache(maxsize=64)
def _file_digest(path: str) -> str | None:
    from briefing.files import read_file

    try:
        return read_file(path, MAX_CACHED_BYTES * 5).sha256  # never a pipe; bounded
    except OSError:
        return None


@lru_cache(maxsize=1)
def _matplotlib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matplotlib")  # read from metadata: does not import matplotlib
    except PackageNotFoundError:
        return "unknown"
