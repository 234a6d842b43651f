"""Turn meeting files into diagnostics without rendering anything: the engine of `briefing check`."""

from __future__ import annotations

from pathlib import Path

from .build import find_meetings, shown
from .config import Config
from .errors import Diagnostic, InputError
from .meetings import load_meeting


def check_files(config: Config, paths: list[Path] | None = None) -> tuple[list[Diagnostic], int]:
    """Every error and warning in the files, and how many files were checked."""
    meeting_paths = find_meetings(config, paths)
    diagnostics: list[Diagnostic] = []
    for path in meeting_paths:
        try:
            meeting = load_meeting(path, shown(path, config))
        except InputError as error:
            diagnostics.extend(error.diagnostics)
            continue
        diagnostics.extend(meeting.warnings)
    return sorted(diagnostics), len(meeting_paths)
