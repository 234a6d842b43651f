"""Which meeting files a build or check reads: those named, or every one in the inputs folder.

Light on purpose (no models, no rendering): the build asks it before importing its stages,
to know whether -j workers will be needed (forkserver.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from briefing.errors import BriefingError
from briefing.meeting.yamlsource import MEETING_SUFFIXES

if TYPE_CHECKING:
    from briefing.config import Config


def find_meetings(config: Config, paths: list[Path] | None = None) -> list[Path]:
    """The meeting files named, or every one under the inputs folder (hidden files, whose
    names start with `.`, are left out: editors and tools keep their own files there)."""
    if paths:
        return [Path(p) for p in paths]
    if not config.inputs.is_dir():
        raise BriefingError(f"no inputs folder at {config.inputs}; create it and put meeting "
                            "files in it, or name the files to build")
    return sorted(p for p in config.inputs.iterdir()
                  if p.suffix in MEETING_SUFFIXES and not p.name.startswith(".") and p.is_file())
