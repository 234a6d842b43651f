"""Turn meeting files into validated series and their diagnostics, without rendering anything.

The read phase of `briefing build` and the whole of `briefing check`: both see the same
errors and warnings because both come through read_meetings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from briefing.batch.inputs import find_meetings
from briefing.config import Config
from briefing.errors import Diagnostic, InputError
from briefing.files import Reads, real_path
from briefing.meeting.series import Series, SeriesLoader, series_warnings

LOCK_NAME = ".briefing.lock"  # in the output folder


def output_name_problems(config: Config, paths: list[Path]) -> dict[Path, Diagnostic]:
    """An error for each meeting file whose PDFs would have no folder of their own in the
    output folder: a name that is empty, only dots, or hidden (`.x.yaml`, which could meet
    the lock file or the chart cache), or the same name as another meeting file's (`x.yml`
    beside `x.yaml`, or `X.yaml`, which is the same folder on some systems)."""
    problems: dict[Path, Diagnostic] = {}
    first: dict[str, Path] = {}
    out = shown(config.output, config)
    for path in paths:
        stem = path.stem
        where = shown(path, config)
        if stem == LOCK_NAME:
            message = (f"its PDFs would go to {out}/{stem}, which is the build's lock file; "
                       "rename the meeting file")
        elif not stem.strip("."):
            message = (f"the name `{path.name}` leaves no name for its output folder "
                       f"({out}/{stem or '(empty)'} is not a folder of its own); rename the "
                       "meeting file")
        elif stem.startswith("."):
            message = (f"its PDFs would go to the hidden folder {out}/{stem}, where briefing "
                       "keeps its own files; rename the meeting file without the leading `.`")
        else:
            key = stem.casefold()
            other = first.setdefault(key, path)
            if other == path:
                continue
            message = (f"{shown(other, config)} and {where} would both write their PDFs to "
                       f"{out}/{stem}; rename one of them")
            problems.setdefault(other, Diagnostic(shown(other, config), 0, 0, message))
        problems.setdefault(path, Diagnostic(where, 0, 0, message))
    return problems


def shown(path: Path, config: Config) -> str:
    """The path as the user knows it: relative to the workspace where possible (a symbolic
    link is named where it is, not where it leads)."""
    for candidate in (Path(os.path.abspath(path)), real_path(path)):
        if candidate.is_relative_to(config.workspace):
            return str(candidate.relative_to(config.workspace))
    return str(path)


def covered_by_fonts(config: Config) -> tuple[frozenset[int], list[Diagnostic]]:
    """The characters the fonts of the workspace's and the built-in layouts can draw, and a
    warning naming each font file that could not be read."""
    from briefing.rendering.fontcheck import covered_characters

    covered, unreadable = covered_characters(config.layout_folders.fonts())
    return covered, [Diagnostic(shown(font, config), 0, 0, f"{why}; its characters are not "
                                "counted as printable", "warning")
                     for font, why in unreadable]


def read_meetings(config: Config, paths: Iterable[Path], *, public: bool,
                  reads: Reads | None = None,
                  ) -> Iterator[tuple[Path, tuple[Series, list[Diagnostic]] | InputError]]:
    """Each meeting with its follows chain and warnings, or the InputError that stops it.

    `public`: also run the privacy check of what the public edition would print. `reads`
    keeps the bytes of every file read, for the build to hash and attach.
    """
    from briefing.editions.privacy import check_privacy
    from briefing.rendering.fontcheck import uncovered_characters

    loader = SeriesLoader(lambda path: shown(path, config), config.workspace, reads)
    covered = None
    font_warnings: list[Diagnostic] = []
    for path in paths:
        try:
            series = loader.series(loader.load(path))
        except InputError as error:
            yield path, error
            continue
        if covered is None:
            covered, font_warnings = covered_by_fonts(config)
        warnings = [*series.current.warnings, *series_warnings(series), *font_warnings,
                    *uncovered_characters(series.current, covered)]
        if public:
            warnings += check_privacy(series, config.workspace)
        yield path, (series, warnings)


def check_files(config: Config, paths: list[Path] | None = None) -> tuple[list[Diagnostic], int]:
    """Every error and warning in the files (their follows chains and what the public edition
    would print included), and how many files were checked."""
    meeting_paths = find_meetings(config, paths)
    diagnostics: list[Diagnostic] = list(output_name_problems(config, meeting_paths).values())
    diagnostics += layout_problems(config)
    for _path, outcome in read_meetings(config, meeting_paths, public=True):
        if isinstance(outcome, InputError):
            diagnostics.extend([*outcome.diagnostics, *outcome.warnings])
        else:
            diagnostics.extend(outcome[1])
    # A file followed by others is reported once, not once per meeting that follows it.
    return sorted(dict.fromkeys(diagnostics)), len(meeting_paths)


def layout_problems(config: Config) -> list[Diagnostic]:
    """What `build` would meet compiling the templates of the layouts it makes: a syntax
    error, or a template the sandboxed loader refuses (a symbolic link, not a regular file,
    not UTF-8). Errors that only rendering can show (a name the layout is not given, a sandbox
    refusal at run time) are left to `build`, which names the template and line."""
    from briefing.rendering.templating import make_environment, template_error

    roots = config.layout_folders.roots
    environment = make_environment(config.layout_folders)
    # Every template in the folders the layouts use (the ones they extend or include too),
    # links and all: the loader, not this list, decides what may be read.
    folders = {folder for layout in config.build for folder in config.layout(layout).folders()}
    names = dict.fromkeys(
        path.relative_to(root).as_posix()
        for folder in sorted(folders) for root in roots if (root / folder).is_dir()
        for path in sorted((root / folder).rglob("*.html"))
        if not any(part.startswith(".") for part in path.relative_to(root).parts))
    problems: list[Diagnostic] = []
    for name in names:
        try:
            environment.get_template(name)
        except Exception as error:  # noqa: BLE001 - each becomes one located message
            try:
                message = str(template_error(environment, error))
            except Exception as unexpected:  # noqa: BLE001
                message = f"{name}: {type(unexpected).__name__}: {unexpected}"
            # "file:line: what", "file: what" or "file what is wrong"
            found = (re.match(r"(\S+?):(\d+): (.*)", message, re.S)
                     or re.match(r"(\S+?):()\s(.*)", message, re.S)
                     or re.match(r"(\S+)()\s(.*)", message, re.S))
            path, line, rest = found.groups() if found else (name, "", message)
            problems.append(Diagnostic(path, int(line or 0), 0, rest))
    return problems
