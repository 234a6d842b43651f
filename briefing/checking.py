"""Turn meeting files into validated series and their diagnostics, without rendering anything.

The read phase of `briefing build` and the whole of `briefing check`: both see the same
errors and warnings because both come through read_meetings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .config import Config
from .errors import BriefingError, Diagnostic, InputError
from .series import Series, SeriesLoader, series_warnings

MEETING_SUFFIXES = (".yaml", ".yml")


def find_meetings(config: Config, paths: list[Path] | None = None) -> list[Path]:
    """The meeting files named, or every one under the inputs folder."""
    if paths:
        return [Path(p) for p in paths]
    if not config.inputs.is_dir():
        raise BriefingError(f"no inputs folder at {config.inputs}; create it and put meeting "
                            "files in it, or name the files to build")
    return sorted(p for p in config.inputs.iterdir()
                  if p.suffix in MEETING_SUFFIXES and p.is_file())


def shown(path: Path, config: Config) -> str:
    """The path as the user knows it: relative to the workspace where possible."""
    try:
        return str(path.resolve().relative_to(config.workspace))
    except ValueError:
        return str(path)


def covered_by_fonts(config: Config) -> frozenset[int]:
    """The characters the fonts of the workspace's and the built-in layouts can draw."""
    from .fontcheck import covered_characters, font_files
    from .layouts import layout_roots

    return covered_characters(font_files(layout_roots(config.layouts)))


def read_meetings(config: Config, paths: Iterable[Path], *, public: bool,
                  before_parsing: Callable[[Path], object] | None = None,
                  ) -> Iterator[tuple[Path, tuple[Series, list[Diagnostic]] | InputError]]:
    """Each meeting with its follows chain and warnings, or the InputError that stops it.

    `public`: also run the privacy check of what the public edition would print.
    """
    from .fontcheck import uncovered_characters
    from .privacy import check_privacy

    loader = SeriesLoader(lambda path: shown(path, config), config.workspace)
    covered = None
    for path in paths:
        if before_parsing is not None:
            before_parsing(path)
        try:
            series = loader.series(loader.load(path))
        except InputError as error:
            yield path, error
            continue
        if covered is None:
            covered = covered_by_fonts(config)
        warnings = [*series.current.warnings, *series_warnings(series),
                    *uncovered_characters(series.current, covered)]
        if public:
            warnings += check_privacy(series, config.workspace)
        yield path, (series, warnings)


def check_files(config: Config, paths: list[Path] | None = None) -> tuple[list[Diagnostic], int]:
    """Every error and warning in the files (their follows chains and what the public edition
    would print included), and how many files were checked."""
    meeting_paths = find_meetings(config, paths)
    diagnostics: list[Diagnostic] = []
    for _path, outcome in read_meetings(config, meeting_paths, public=True):
        if isinstance(outcome, InputError):
            diagnostics.extend([*outcome.diagnostics, *outcome.warnings])
        else:
            diagnostics.extend(outcome[1])
    # A file followed by others is reported once, not once per meeting that follows it.
    return sorted(dict.fromkeys(diagnostics)), len(meeting_paths)
