"""Turn a Config and meeting files into PDFs on disk: orders the stages and is the only writer."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .checking import find_meetings, read_meetings, shown
from .config import Config
from .errors import BriefingError, Diagnostic, InputError
from .freshness import (
    FileHasher,
    Fingerprint,
    InputsOf,
    code_fingerprint,
    fingerprint,
    is_fresh,
    layout_files,
    read_record,
    record_bytes,
    record_path,
    series_inputs,
)
from .series import Series

log = logging.getLogger(__name__)

LOCK_NAME = ".briefing.lock"


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

    @property
    def ok(self) -> bool:
        return not self.failed


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
          inputs_of: InputsOf = series_inputs) -> BuildReport:
    """Validate the meetings first, then render only what changed; never leave a torn PDF.

    `inputs_of` lists the files a pack is made from (freshness.series_inputs by default).
    """
    report = BuildReport()
    meeting_paths = find_meetings(config, paths)
    if not meeting_paths:
        log.warning("no meeting files in %s", shown(config.inputs, config))
    jobs = [job for job in plan(config, meeting_paths) if in_shard(config, job)]
    if not jobs:
        return report
    hasher = FileHasher()
    meetings: dict[Path, Series] = {}
    # Read everything, then write: every meeting is validated before the first PDF.
    for path, outcome in read_meetings(config, dict.fromkeys(job.meeting_path for job in jobs),
                                       public="public" in config.editions,
                                       before_parsing=hasher.digest):
        if isinstance(outcome, InputError):
            report.failed.extend((d.path, str(d)) for d in outcome.diagnostics)
            report.warnings.extend(outcome.warnings)
            continue
        series, warnings = outcome
        report.warnings.extend(warnings)
        if config.strict and warnings:
            report.failed.extend((d.path, f"{d} (warning; --strict)") for d in warnings)
            continue
        meetings[path] = series
    if not meetings:
        return report
    with output_lock(config.output):
        _remove_torn_files(config.output)
        todo = _stale_jobs(config, jobs, meetings, hasher, inputs_of, report)
        _render_all(config, todo, report, hasher, progress)
        if config.validate:
            for output in [*report.built, *report.skipped]:
                validate_output(config, output, report)
    return report


def _stale_jobs(config: Config, jobs: list[Job], meetings: dict[Path, Series],
                hasher: FileHasher, inputs_of: InputsOf,
                report: BuildReport) -> list[tuple[Job, Series, Fingerprint]]:
    from .layouts import layout_roots

    roots = layout_roots(config.layouts)
    settings = {"briefing": code_fingerprint(), "options": config.options_fingerprint()}
    todo = []
    for job in jobs:
        meeting = meetings.get(job.meeting_path)
        if meeting is None:
            continue
        named = [(shown(path, config), path) for path in inputs_of(meeting)]
        current = fingerprint(hasher, named + layout_files(roots, job.layout),
                              {**settings, "layout": job.layout, "edition": job.edition})
        record = read_record(job.output)
        if not config.force and is_fresh(job.output, current, record):
            report.skipped.append(job.output)
            log.info("up to date  %s", shown(job.output, config))
            continue
        log.debug("building %s: %s", shown(job.output, config),
                  "--force" if config.force else current.changes_from(record))
        todo.append((job, meeting, current))
    return todo


def _render_all(config: Config, todo: list[tuple[Job, Series, Fingerprint]],
                report: BuildReport, hasher: FileHasher, progress: Progress | None) -> None:
    if not todo:
        return
    if progress is not None:
        progress.begin(len(todo))
    workers = min(config.jobs, len(todo))
    results = (_render_here(config, todo) if workers <= 1
               else _render_in_pool(config, todo, workers))
    for job, current, outcome, seconds in results:
        name = shown(job.output, config)
        if isinstance(outcome, bytes):
            try:
                check_page_limit(config, job, outcome)
            except BriefingError as error:
                outcome = str(error)
        if isinstance(outcome, bytes):
            write_atomically(job.output, outcome)
            changed = hasher.changed_since_hashed(current.paths)
            if changed:  # rendered from bytes that are no longer there: don't call it fresh
                record_path(job.output).unlink(missing_ok=True)
                log.warning("%s changed while %s was building; it will be rebuilt next time",
                            shown(changed[0], config), name)
            else:
                write_atomically(record_path(job.output), record_bytes(current, outcome))
            report.built.append(job.output)
            log.info("built       %s (%.1f s)", name, seconds)
        else:
            report.failed.append((name, f"{name}: {outcome}"))
            log.info("failed      %s", name)
        if progress is not None:
            progress.advance(name, "built" if isinstance(outcome, bytes) else "failed")


PAGE_LIMITS = {"brief": 2}  # layout -> most pages it may have on A4 or letter paper


def check_page_limit(config: Config, job: Job, pdf: bytes) -> None:
    """Raise BriefingError if a layout with a page limit (the two-sided brief) came out longer.

    The limit is two A4 (or letter) sides; on A5 the same text takes about twice the pages,
    so A5 is not held to it.
    """
    limit = PAGE_LIMITS.get(job.layout)
    if limit is None or config.paper == "A5":
        return
    from .pdfpost import page_count

    pages = page_count(pdf)
    if pages > limit:
        raise BriefingError(
            f"the {job.layout} for {shown(job.meeting_path, config)} came out at {pages} pages; "
            f"it must fit on {limit}. Shorten the meeting's `summary` (a few short paragraphs), "
            "or build the full pack instead")


Result = tuple[Job, Fingerprint, "bytes | str", float]


def _render_here(config: Config, todo) -> Iterator[Result]:
    renderer = Renderer(config)
    for job, meeting, current in todo:
        started = time.perf_counter()
        yield job, current, _render_or_error(renderer, meeting, job), \
            time.perf_counter() - started


def _render_or_error(renderer: Renderer, meeting: Series, job: Job) -> bytes | str:
    """The PDF, or why it failed: one meeting's failure never stops the others."""
    try:
        return renderer.render(meeting, job.layout, job.edition)
    except BriefingError as error:
        return str(error)
    except Exception as error:  # a bug: report it against this output, keep building
        log.debug("rendering %s failed", job.output, exc_info=True)
        return f"internal error: {type(error).__name__}: {error} (run with -v for details)"


def _render_in_pool(config: Config, todo, workers: int) -> Iterator[Result]:
    """Render in worker processes, each with one Renderer for all the PDFs it makes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    level = logging.getLogger("briefing").getEffectiveLevel()
    # spawn, not fork: the parent may run a progress-bar thread, and fork copies locks held
    # by other threads; every worker imports the heavy stages once either way.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(config, level))
    try:
        futures = {pool.submit(_render_in_worker, meeting, job): (job, current)
                   for job, meeting, current in todo}
        for future in as_completed(futures):
            job, current = futures[future]
            try:
                outcome, seconds = future.result()
            except Exception as error:  # e.g. a worker killed by the system
                outcome, seconds = f"worker failed: {type(error).__name__}: {error}", 0.0
            yield job, current, outcome, seconds
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_worker_renderer: Renderer | None = None  # one per worker process, set by _start_worker


def _start_worker(config: Config, level: int) -> None:
    global _worker_renderer
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("warning: %(message)s"))  # workers only warn
    logging.getLogger("briefing").addHandler(handler)
    logging.getLogger("briefing").setLevel(max(level, logging.WARNING))
    logging.getLogger("briefing").propagate = False
    for name in ("weasyprint", "fontTools", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    _worker_renderer = Renderer(config)


def _render_in_worker(meeting: Series, job: Job) -> tuple[bytes | str, float]:
    assert _worker_renderer is not None
    started = time.perf_counter()
    outcome = _render_or_error(_worker_renderer, meeting, job)
    return outcome, time.perf_counter() - started


@contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the output folder's lock: a second build in the same workspace waits its turn."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_NAME, "a+b")  # noqa: SIM115 (held for the whole build)
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
        leftover.unlink(missing_ok=True)


def validate_output(config: Config, output: Path, report: BuildReport) -> None:
    """Run the PDF/UA-1 (and, for archives, PDF/A-3b) validator; each failure fails the build."""
    from .validation import conformance_failures, profiles_for

    failures = conformance_failures(output, config.archive)
    where = shown(output, config)
    report.failed.extend((where, f"{where}: {failure}") for failure in failures)
    if not failures:
        names = {"PDF_UA_1": "PDF/UA-1", "PDF_A_3B": "PDF/A-3b"}
        log.info("validated %s: conforms to %s", where,
                 " and ".join(names[p] for p in profiles_for(config.archive)))


class Renderer:
    """Holds what is costly to set up (Jinja environment, fonts) across the PDFs of a process."""

    def __init__(self, config: Config) -> None:
        from .charts import ChartCache
        from .layouts import layout_roots, make_environment

        self.config = config
        self.roots = layout_roots(config.layouts)
        self.environment = make_environment(self.roots)
        self.charts = ChartCache(config.chart_cache, write=write_atomically)
        self.chart_text_scales: dict[str, float] = {}  # layout -> its layout.toml setting

    def render(self, series: Series, layout: str, edition: str) -> bytes:
        from .charts import charts_for, series_charts
        from .editions import edition_view
        from .layouts import chart_text_scale, render_html
        from .pdf import html_to_pdf
        from .pdfpost import tidy_pdf

        view = edition_view(series, edition)
        if layout not in self.chart_text_scales:
            self.chart_text_scales[layout] = chart_text_scale(self.roots, layout)
        scale = self.chart_text_scales[layout]
        charts = charts_for(view.content, self.font_path, self.charts, text_scale=scale)
        if len(series.meetings) > 1:
            charts += series_charts(series_trend_rows(series), self.font_path, self.charts,
                                    text_scale=scale)
        html = render_html(self.environment, layout, view.content, edition, charts,
                           self.config.paper, self.config.print_shop,
                           carried=view.carried, follows=view.follows)
        meeting_day = view.content.meeting.date
        pdf, refused = html_to_pdf(
            html, self.roots, archive=self.config.archive,
            attachments=source_files(series) if self.config.archive else None,
            created=dt.datetime(meeting_day.year, meeting_day.month, meeting_day.day,
                                tzinfo=dt.UTC))
        for url in refused:
            log.warning("%s: refused to fetch %s", series.current.shown_path, url[:200])
        return tidy_pdf(pdf)

    @property
    def font_path(self) -> Path | None:
        for root in self.roots:
            candidate = root / "base" / "fonts" / "NotoSans-Regular.ttf"
            if candidate.is_file():
                return candidate
        return None


def series_trend_rows(series: Series) -> list[tuple[str, int, int, int]]:
    """(meeting date, attendance, actions not done, actions done) for each meeting so far."""
    rows = []
    for point in series.trend():
        counts = dict(point.actions_by_status)
        rows.append((f"{point.meeting.date.day} {point.meeting.date:%b %Y}",
                     sum(count for _group, count in point.attendance),
                     counts["open"] + counts["in-progress"], counts["done"]))
    return rows


def source_files(series: Series):
    """The files an archive copy carries so that it holds its own source."""
    from .pdf import FileToAttach

    files, names = [], set()
    for path, description in series.source_files():
        if path.is_file() and path.name not in names:
            names.add(path.name)
            files.append(FileToAttach(path.name, path.read_bytes(), description))
    return files


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
