"""Turn meeting files into diagnostics without rendering anything: the engine of `briefing check`."""

from __future__ import annotations

from pathlib import Path

from .build import covered_by_fonts, find_meetings, shown
from .config import Config
from .errors import Diagnostic, InputError
from .fontcheck import uncovered_characters
from .privacy import check_privacy
from .series import SeriesLoader, series_warnings


def check_files(config: Config, paths: list[Path] | None = None) -> tuple[list[Diagnostic], int]:
    """Every error and warning in the files (their follows chains and what the public edition
    would print included), and how many files were checked."""
    meeting_paths = find_meetings(config, paths)
    diagnostics: list[Diagnostic] = []
    loader = SeriesLoader(lambda path: shown(path, config))
    covered = None
    for path in meeting_paths:
        try:
            meeting = loader.load(path)
            series = loader.series(meeting)
        except InputError as error:
            diagnostics.extend(error.diagnostics)
            continue
        if covered is None:
            covered = covered_by_fonts(config)
        diagnostics.extend(meeting.warnings)
        diagnostics.extend(series_warnings(series))
        diagnostics.extend(uncovered_characters(meeting, covered))
        diagnostics.extend(check_privacy(series, config.workspace))
    # A file followed by others is reported once, not once per meeting that follows it.
    return sorted(dict.fromkeys(diagnostics)), len(meeting_paths)
