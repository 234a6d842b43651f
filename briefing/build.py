"""Turn a Config and meeting files into PDFs on disk: orders the stages and is the only writer."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .errors import BriefingError, Diagnostic, InputError
from .fontcheck import uncovered_characters
from .series import Series, SeriesLoader, series_warnings

log = logging.getLogger(__name__)

MEETING_SUFFIXES = (".yaml", ".yml")


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


def output_path(config: Config, meeting_path: Path, layout: str, edition: str) -> Path:
    return config.output / meeting_path.stem / f"{layout}-{edition}.pdf"


def plan(config: Config, meeting_paths: list[Path]) -> list[Job]:
    return [Job(path, layout, edition, output_path(config, path, layout, edition))
            for path in meeting_paths for layout in config.build for edition in config.editions]


def build(config: Config, paths: list[Path] | None = None) -> BuildReport:
    """Validate every meeting first, then render what is valid; never leave a torn PDF."""
    report = BuildReport()
    meeting_paths = find_meetings(config, paths)
    if not meeting_paths:
        log.warning("no meeting files in %s", shown(config.inputs, config))
    meetings: dict[Path, Series] = {}
    loader = SeriesLoader(lambda path: shown(path, config))
    covered = None
    for path in meeting_paths:
        try:
            meeting = loader.load(path)
            series = loader.series(meeting)
        except InputError as error:
            report.failed.extend((d.path, str(d)) for d in error.diagnostics)
            continue
        if covered is None:
            covered = covered_by_fonts(config)
        warnings = [*meeting.warnings, *series_warnings(series),
                    *uncovered_characters(meeting, covered)]
        if "public" in config.editions:
            from .privacy import check_privacy

            warnings += check_privacy(series, config.workspace)
        report.warnings.extend(warnings)
        if config.strict and warnings:
            report.failed.extend((d.path, f"{d} (warning; --strict)") for d in warnings)
            continue
        meetings[path] = series
    jobs = plan(config, list(meetings))
    if not jobs:
        return report
    renderer = Renderer(config)
    for job in jobs:
        try:
            pdf = renderer.render(meetings[job.meeting_path], job.layout, job.edition)
        except BriefingError as error:
            report.failed.append((shown(job.output, config), str(error)))
            continue
        write_atomically(job.output, pdf)
        report.built.append(job.output)
        log.info("built %s", shown(job.output, config))
        if config.validate:
            validate_output(config, job.output, report)
    return report


def covered_by_fonts(config: Config) -> frozenset[int]:
    """The characters the fonts of the workspace's and the built-in layouts can draw."""
    from .fontcheck import covered_characters, font_files
    from .layouts import layout_roots

    return covered_characters(font_files(layout_roots(config.layouts)))


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
        from .layouts import layout_roots, make_environment

        self.config = config
        self.roots = layout_roots(config.layouts)
        self.environment = make_environment(self.roots)

    def render(self, series: Series, layout: str, edition: str) -> bytes:
        from .charts import charts_for
        from .editions import edition_view
        from .layouts import render_html
        from .pdf import html_to_pdf
        from .pdfpost import tidy_pdf


        view = edition_view(series, edition)
        charts = charts_for(view.content, self.font_path)
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


def source_files(series: Series):
    """The meeting file, the earlier meetings it follows and the data files they name, for
    an archive copy that carries its own source."""
    from .pdf import FileToAttach

    files, names = [], set()
    for meeting in reversed(series.meetings):  # this meeting first, then the older ones
        about = ("The meeting file this pack was built from" if meeting is series.current
                 else "An earlier meeting this one follows")
        candidates = [(meeting.path, about)]
        folder = meeting.path.parent.resolve()
        for dataset in meeting.content.data:
            if dataset.csv is not None:
                candidates.append((folder / dataset.csv,
                                   f"Data file for the figure \u201c{dataset.title}\u201d"))
        for path, description in candidates:
            path = path.resolve()
            if path.is_relative_to(folder) and path.is_file() and path.name not in names:
                names.add(path.name)
                files.append(FileToAttach(path.name, path.read_bytes(), description))
    return files


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
