"""Turn a Config and meeting files into PDFs on disk: orders the stages, writes PDFs and records."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from briefing.batch.freshness import (
    FileHasher,
    Fingerprint,
    InputsOf,
    code_fingerprint,
    fingerprint,
    is_fresh,
    read_record,
    record_bytes,
    record_path,
    series_inputs,
)
from briefing.batch.inputs import find_meetings
from briefing.batch.reading import LOCK_NAME, output_name_problems, read_meetings, shown
from briefing.batch.signing import signing_key
from briefing.batch.warm import KeptRenderers
from briefing.batch.workers import Renderers, renderers_for
from briefing.config import Config
from briefing.errors import BriefingError, Diagnostic, InputError
from briefing.files import is_inside, root_for, write_atomically
from briefing.meeting.series import Series

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One PDF to make: a meeting in one layout and one edition."""

    meeting_path: Path
    layout: str
    edition: str
    output: Path


@dataclass
class BuildReport:
    built: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    warnings: list[Diagnostic] = field(default_factory=list)
    strict_failures: int = 0  # warnings that failed their meeting because of --strict

    @property
    def ok(self) -> bool:
        return not self.failed


def _in_workspace(path: Path, config: Config) -> str:
    """The path relative to the workspace as written, without following symlinks."""
    try:
        return str(path.relative_to(config.workspace))
    except ValueError:
        return str(path)


def output_path(config: Config, meeting_path: Path, layout: str, edition: str) -> Path:
    """`output/<meeting>/<layout>-<edition>.pdf`; an archive copy (PDF/A) gets its own
    `-archive` name, so it never replaces the PDF/UA pack beside it."""
    suffix = "-archive" if config.archive else ""
    return config.output / meeting_path.stem / f"{layout}-{edition}{suffix}.pdf"


def plan(config: Config, meeting_paths: list[Path]) -> list[Job]:
    return [Job(path, layout, edition, output_path(config, path, layout, edition))
            for path in meeting_paths for layout in config.build for edition in config.editions]


class Progress(Protocol):
    """Told how many outputs need rendering, then of each one as it finishes (e.g. a bar)."""

    def begin(self, total: int) -> None: ...

    def advance(self, output: str, status: str) -> None: ...


def in_shard(config: Config, job: Job) -> bool:
    """Whether this output belongs to the shard asked for: by a hash of its name, so a shard
    keeps its outputs however meetings are added, removed or reordered."""
    if config.shard is None:
        return True
    index, total = config.shard
    try:
        name = job.output.relative_to(config.output).as_posix()
    except ValueError:
        name = job.output.as_posix()
    return int(hashlib.sha256(name.encode()).hexdigest()[:16], 16) % total == index - 1


def build(config: Config, paths: list[Path] | None = None, *, progress: Progress | None = None,
          inputs_of: InputsOf = series_inputs, kept: KeptRenderers | None = None) -> BuildReport:
    """Validate the meetings first, then render only what changed; never leave a torn PDF.

    `inputs_of` lists the files a pack is made from (freshness.series_inputs by default).
    `kept` keeps the renderers warm for the next build (`watch`, `serve`); without it they
    are started for this build and stopped at its end.
    """
    report = BuildReport()
    check_output_folders(config)
    for folder in config.layout_folders.overridden():
        log.warning("%s overrides the built-in layout", _in_workspace(folder, config))
    meeting_paths = find_meetings(config, paths)
    if not meeting_paths:
        log.warning("no meeting files in %s", shown(config.inputs, config))
    jobs = [job for job in plan(config, meeting_paths) if in_shard(config, job)]
    # A meeting whose PDFs would have no folder of their own fails alone (in its shard).
    misnamed = output_name_problems(config, meeting_paths)
    ours = dict.fromkeys(job.meeting_path for job in jobs)
    report.failed.extend((d.path, str(d)) for path, d in misnamed.items() if path in ours)
    jobs = [job for job in jobs if job.meeting_path not in misnamed
            and _output_folder_is_ours(config, job, report)]
    if not jobs:
        return report
    pool = _start_pool_early(config, jobs) if kept is None else None
    try:
        _read_and_render(config, jobs, pool, report, progress, inputs_of, kept)
    finally:
        if pool is not None:
            pool.stop()
    return report


def _read_and_render(config: Config, jobs: list[Job], pool: Renderers | None,
                     report: BuildReport, progress: Progress | None,
                     inputs_of: InputsOf, kept: KeptRenderers | None) -> None:
    hasher = FileHasher()
    meetings: dict[Path, Series] = {}
    # Read everything, then write: every meeting is validated before the first PDF.
    for path, outcome in read_meetings(config, dict.fromkeys(job.meeting_path for job in jobs),
                                       public="public" in config.editions,
                                       reads=hasher.reads):
        if isinstance(outcome, InputError):
            report.failed.extend((d.path, str(d)) for d in outcome.diagnostics)
            _add_warnings(report, outcome.warnings)
            continue
        series, warnings = outcome
        if config.strict and warnings:  # each said once: as the failure it now is
            report.failed.extend((shown(path, config), f"{d} (warning; --strict)")
                                 for d in warnings)
            report.strict_failures += len(warnings)
            continue
        _add_warnings(report, warnings)
        meetings[path] = series
    if not meetings:
        return
    with output_lock(config.output):
        _remove_torn_files(config.output)
        todo = _stale_jobs(config, jobs, meetings, hasher, inputs_of, report)
        _render_all(config, todo, report, hasher, progress, pool or kept)
        if config.validate:
            for output in [*report.built, *report.skipped]:
                validate_output(config, output, report)


def _add_warnings(report: BuildReport, warnings) -> None:
    """Add warnings once each (a broken font warns with every meeting that reads it)."""
    seen = set(report.warnings)
    report.warnings.extend(w for w in dict.fromkeys(warnings) if w not in seen)


def check_output_folders(config: Config) -> None:
    """Refuse an output or cache folder that is written inside the workspace but leads (by a
    symbolic link) out of it: a committed `output` link must not send PDFs anywhere. A folder
    named outside the workspace (`-o /elsewhere`) is the user's own choice."""
    for name, folder in (("output", config.output), ("cache", config.cache)):
        if folder is None:
            continue
        root = root_for(folder, config.workspace)
        if root == config.workspace and not is_inside(folder, config.workspace):
            raise BriefingError(
                f"the {name} folder {shown(folder, config)} is a symbolic link (or lies in "
                "one) leading outside the workspace; remove the link, or name a folder "
                "outside the workspace with -o")


def _output_folder_is_ours(config: Config, job: Job, report: BuildReport) -> bool:
    """A meeting's folder in the output folder must not be a link to somewhere else."""
    folder = job.output.parent
    if not os.path.lexists(folder) or (folder.is_dir() and not folder.is_symlink()
                                       and is_inside(folder, config.output)):
        return True
    where = shown(config.output, config) + "/" + folder.name
    if not any(what == where for what, _why in report.failed):
        report.failed.append((where, f"{where} is a symbolic link or a file, not a folder of "
                                     "its own in the output folder; remove it and build again"))
    return False


def _stale_jobs(config: Config, jobs: list[Job], meetings: dict[Path, Series],
                hasher: FileHasher, inputs_of: InputsOf,
                report: BuildReport) -> list[tuple[Job, Series, Fingerprint]]:
    key = signing_key(config.workspace)
    layout_files = {layout: config.layout(layout).files() for layout in {job.layout for job in jobs}}
    settings = {"briefing": code_fingerprint(), "options": config.options_fingerprint()}
    todo = []
    for job in jobs:
        meeting = meetings.get(job.meeting_path)
        if meeting is None:
            continue
        named = [(shown(path, config), path) for path in inputs_of(meeting)]
        current = fingerprint(hasher, named + layout_files[job.layout],
                              {**settings, "layout": job.layout, "edition": job.edition})
        record = read_record(job.output)
        if not config.force and is_fresh(job.output, current, record, key):
            report.skipped.append(job.output)
            log.info("up to date  %s", shown(job.output, config), extra={"up_to_date": True})
            continue
        log.debug("building %s: %s", shown(job.output, config),
                  "--force" if config.force else current.changes_from(record))
        todo.append((job, meeting, current))
    return todo


def _render_all(config: Config, todo: list[tuple[Job, Series, Fingerprint]],
                report: BuildReport, hasher: FileHasher, progress: Progress | None,
                pool: Renderers | KeptRenderers | None) -> None:
    if not todo:
        return
    # Every render runs under the time and memory limits: here for one output or -j 1, else
    # in worker processes. Started before the progress bar's thread (see chartprocess.py).
    own_pool = None
    if isinstance(pool, KeptRenderers):
        pool = pool.for_build(config, len(todo))
    elif pool is None:
        pool = own_pool = renderers_for(config, len(todo))
    if progress is not None:
        progress.begin(len(todo))
    try:
        _write_results(config, _render_in_pool(config, pool, todo), report, hasher, progress,
                       {job: meeting for job, meeting, _current in todo})
    finally:
        if own_pool is not None:
            own_pool.stop()


def _write_results(config: Config, results: Iterator[Result], report: BuildReport,
                   hasher: FileHasher, progress: Progress | None,
                   series: dict[Job, Series] | None = None) -> None:
    series = series or {}
    for job, current, outcome, seconds in results:
        name = shown(job.output, config)
        if isinstance(outcome, bytes):
            layout_warnings = getattr(outcome, "warnings", ())
            report.warnings.extend(layout_warnings)
            try:
                check_page_limit(config, job, outcome, series.get(job))
            except BriefingError as error:
                outcome = str(error)
            if isinstance(outcome, bytes) and config.strict and layout_warnings:
                outcome = (f"{len(layout_warnings)} layout warning"
                           f"{'s' * (len(layout_warnings) != 1)} (--strict)")
        if isinstance(outcome, bytes):
            write_atomically(job.output, outcome)
            changed = hasher.changed_since_hashed(current.paths)
            if changed:  # rendered from bytes that are no longer there: don't call it fresh
                record_path(job.output).unlink(missing_ok=True)
                log.warning("%s changed while %s was building; it will be rebuilt next time",
                            shown(changed[0], config), name)
            else:
                write_atomically(record_path(job.output),
                                 record_bytes(current, outcome, signing_key(config.workspace)))
            report.built.append(job.output)
            log.info("built       %s (%.1f s)", name, seconds)
        else:
            report.failed.append((name, f"{name}: {outcome}"))
            log.info("failed      %s", name)
        if progress is not None:
            progress.advance(name, "built" if isinstance(outcome, bytes) else "failed")


def check_page_limit(config: Config, job: Job, pdf: bytes, series: Series | None = None) -> None:
    """Raise BriefingError if a layout with a page limit (the two-sided brief) came out longer:
    two A4 or letter sides, or four A5 pages (its layout.toml's `page_limit`). The message
    names the longest part."""
    limit = config.layout(job.layout).page_limit(config.paper)
    if limit is None:
        return
    from briefing.rendering.pdfpost import page_count

    pages = page_count(pdf)
    if pages > limit:
        longest = longest_part(series) if series is not None else None
        advice = (f"Its longest part is {longest}: shorten that first"
                  if longest else "Shorten the meeting's `summary` (a few short paragraphs)")
        raise BriefingError(
            f"the {job.layout} for {shown(job.meeting_path, config)} came out at {pages} pages; "
            f"it must fit on {limit}. {advice}, or build the full pack instead")


def longest_part(series: Series) -> str | None:
    """Of what the brief prints (summary, its three themes, the actions it lists), the
    longest in characters, as "`summary` (inputs/x.yaml:12, 3,400 characters)"."""
    from briefing.rendering.templating import ThemeSection, ranked

    meeting = series.current
    content = meeting.content
    parts: list[tuple[int, str, tuple]] = []
    if content.summary:
        parts.append((len(content.summary), "`summary`", ("summary",)))
    sections = [ThemeSection(theme, tuple(q for q in content.quotes if q.theme == theme.id),
                             sum(a.theme == theme.id for a in content.actions))
                for theme in content.themes]
    for section in ranked(sections)[:3]:
        theme = section.theme
        size = (len(theme.title) + len(theme.summary or "") + sum(map(len, theme.points))
                + sum(len(q.text) for q in section.quotes[:1]))
        index = content.themes.index(theme)
        parts.append((size, f"theme `{theme.id}`", ("themes", index)))
    if content.actions:
        size = sum(len(a.action) + len(a.owner or "") for a in content.actions[:8])
        parts.append((size, "the actions (the brief lists up to eight)", ("actions",)))
    if not parts:
        return None
    size, name, key_path = max(parts, key=lambda part: part[0])
    return f"{name} ({meeting.shown_path}:{meeting.line_of(*key_path)}, {size:,} characters)"


Result = tuple[Job, Fingerprint, "bytes | str", float]


def _render_in_pool(config: Config, pool: Renderers, todo) -> Iterator[Result]:
    jobs = {job: (job, current) for job, _meeting, current in todo}
    tasks = [(job, shown(job.output, config), meeting, job.layout, job.edition)
             for job, meeting, _current in todo]
    for job, outcome, seconds in pool.render(tasks):
        yield *jobs[job], outcome, seconds


def _start_pool_early(config: Config, jobs: list[Job]) -> Renderers | None:
    """Start the -j workers (or, rendering here, the chart process) before the meetings are
    read, so that their start-up overlaps the reading: only for --force or an output folder
    with nothing built yet (a fresh clone in CI), where PDFs will surely be made. Otherwise
    they start once the stale outputs are known, and only if there are some."""
    if not config.force and any(record_path(job.output).exists() for job in jobs):
        return None
    return renderers_for(config, len(jobs))


@contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the output folder's lock: a second build in the same workspace waits its turn."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Never through a link: a planted `.briefing.lock` link must not open another file.
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        handle = open(os.open(folder / LOCK_NAME, flags, 0o666), "a+b")  # noqa: SIM115
    except OSError as error:
        raise BriefingError(f"cannot write to {folder}: {error.strerror}") from None
    with handle:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; atomic writes still hold
            yield
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another briefing build is writing %s; waiting for it to finish",
                        folder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_torn_files(folder: Path) -> None:
    """Delete temporary files left by a build that was killed (we hold the lock: none is live)."""
    for leftover in folder.glob("*/.*.part"):
        if not leftover.parent.is_symlink():  # never in a folder a link leads to
            leftover.unlink(missing_ok=True)


def validate_output(config: Config, output: Path, report: BuildReport) -> None:
    """Run the PDF/UA-1 (and, for archives, PDF/A-3b) validator; each failure fails the build."""
    from briefing.rendering.validation import conformance_failures, profiles_for

    failures = conformance_failures(output, config.archive)
    where = shown(output, config)
    report.failed.extend((where, f"{where}: {failure}") for failure in failures)
    if not failures:
        names = {"PDF_UA_1": "PDF/UA-1", "PDF_A_3B": "PDF/A-3b"}
        log.info("validated %s: conforms to %s", where,
                 " and ".join(names[p] for p in profiles_for(config.archive)))
