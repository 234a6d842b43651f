"""Run the ordinary incremental build after each save, one meeting at a time (the one open in
the browser first, in the layout and edition shown), and tell the preview's state how it went."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from pathlib import Path

from briefing.batch.build import BuildReport, build, output_path
from briefing.batch.inputs import find_meetings
from briefing.batch.reading import shown
from briefing.batch.warm import KeptRenderers
from briefing.config import Config
from briefing.errors import BriefingError, InputError
from briefing.preview.state import BUILDING, BUILT, FAILED, WARNINGS, Meeting, Output, PreviewState

log = logging.getLogger(__name__)


def problem_lines(error: BriefingError) -> list[str]:
    """An error as the `file:line:col: message` lines the command line would print."""
    if isinstance(error, InputError):
        return [str(diagnostic) for diagnostic in error.diagnostics]
    return [str(error)]


class Rebuilder:
    """The watcher's on_change for the preview: runs in the watcher's thread and keeps its
    renderers (workers, fonts, templates) warm between rebuilds, so a rebuild costs only
    what changed. `stop` ends them."""

    def __init__(self, state: PreviewState, files: list[Path] | None) -> None:
        self.state = state
        self.files = files
        self.kept = KeptRenderers()

    def stop(self) -> None:
        self.kept.stop()

    def __call__(self, config: Config | None, error: BriefingError | None) -> None:
        try:
            self._rebuild(config, error)
        except Exception as problem:  # a bug: say so on the pages, and keep watching
            log.debug("rebuilding failed", exc_info=True)
            self.state.set_problems([f"internal error: {type(problem).__name__}: {problem} "
                                     "(run with -v for details)"])

    def _rebuild(self, config: Config | None, error: BriefingError | None) -> None:
        if config is None:
            self.state.set_problems(problem_lines(error) if error is not None else [])
            return
        try:
            paths = find_meetings(config, self.files)
        except BriefingError as problem:
            self.state.set_problems(problem_lines(problem))
            return
        meetings: dict[str, Meeting] = {}
        for path in paths:
            meeting = _meeting(config, path)
            if meeting.name in meetings:
                log.warning("%s has the same name as %s, so the preview shows only the first",
                            meeting.shown, meetings[meeting.name].shown)
                continue
            meetings[meeting.name] = meeting
        self.state.set_meetings(config.build, config.editions, list(meetings.values()))
        for meeting in self._in_order(list(meetings.values())):
            self._build(config, meeting)

    def _in_order(self, meetings: list[Meeting]) -> list[Meeting]:
        viewed = self.state.viewed
        return sorted(meetings, key=lambda meeting: viewed is None or meeting.name != viewed[0])

    def _build(self, config: Config, meeting: Meeting) -> None:
        viewed = self.state.viewed
        if viewed is not None and viewed[0] == meeting.name:  # what is on screen comes first
            config = replace(config, build=_first(config.build, viewed[1]),
                             editions=_first(config.editions, viewed[2]))
        try:
            report = build(config, [meeting.path], progress=_Progress(self.state, meeting, config),
                           kept=self.kept)
        except BriefingError as problem:
            self.state.update(meeting.name, state=FAILED, errors=tuple(problem_lines(problem)),
                              warnings=(), outputs=_cleared(meeting))
            return
        except Exception as problem:  # a bug: say so on the page, keep serving
            log.debug("building %s failed", meeting.shown, exc_info=True)
            message = (f"{meeting.shown}: internal error: {type(problem).__name__}: {problem} "
                       "(run with -v for details)")
            log.error("%s", message)
            self.state.update(meeting.name, state=FAILED, errors=(message,), warnings=(),
                              outputs=_cleared(meeting))
            return
        self.state.update(meeting.name, **_outcome(config, self.state.meeting(meeting.name)
                                                   or meeting, report))


def _meeting(config: Config, path: Path) -> Meeting:
    outputs = {(layout, edition): Output(layout, edition, output_path(config, path, layout, edition))
               for layout in config.build for edition in config.editions}
    return Meeting(name=path.stem, path=path, shown=shown(path, config), outputs=outputs)


def _first(names: tuple[str, ...], first: str) -> tuple[str, ...]:
    return (first, *(name for name in names if name != first)) if first in names else names


def _cleared(meeting: Meeting) -> dict[tuple[str, str], Output]:
    return {key: replace(output, sha256=None, problems=()) for key, output in meeting.outputs.items()}


def _outcome(config: Config, meeting: Meeting, report: BuildReport) -> dict:
    """The meeting's new state, errors, warnings and outputs, from its build's report."""
    names = {shown(output.path, config): key for key, output in meeting.outputs.items()}
    done = {*report.built, *report.skipped}
    failed: dict[tuple[str, str], list[str]] = {}
    errors: list[str] = []
    for what, why in report.failed:
        key = names.get(what)
        if key is None:
            errors.append(why)
        else:
            failed.setdefault(key, []).append(why)
    outputs = {}
    for key, output in meeting.outputs.items():
        if output.path in done:
            outputs[key] = replace(output, sha256=file_sha256(output.path), problems=())
        else:
            outputs[key] = replace(output, sha256=None, problems=tuple(failed.get(key, ())))
    warnings = tuple(dict.fromkeys(str(diagnostic) for diagnostic in report.warnings))
    state = FAILED if errors or failed else WARNINGS if warnings else BUILT
    return {"state": state, "errors": tuple(dict.fromkeys(errors)), "warnings": warnings,
            "outputs": outputs}


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class _Progress:
    """Told by the build when it starts rendering this meeting and as each PDF is written, so
    an open page shows its new pages before the meeting's other layouts are done."""

    def __init__(self, state: PreviewState, meeting: Meeting, config: Config) -> None:
        self.state = state
        self.name = meeting.name
        self.keys = {shown(output.path, config): key for key, output in meeting.outputs.items()}

    def begin(self, total: int) -> None:
        # Rendering starts only once the meeting has been read without errors.
        self.state.update(self.name, state=BUILDING, errors=())

    def advance(self, output: str, status: str) -> None:
        meeting = self.state.meeting(self.name)
        key = self.keys.get(output)
        if status != "built" or meeting is None or key not in meeting.outputs:
            return
        written = replace(meeting.outputs[key], sha256=file_sha256(meeting.outputs[key].path),
                          problems=())
        self.state.update(self.name, outputs={**meeting.outputs, key: written})
