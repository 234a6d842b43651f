"""Turn a Config and meeting files into PDFs on disk: orders the stages and is the only writer."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .errors import BriefingError, Diagnostic, InputError
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
    for path in meeting_paths:
        try:
            meeting = loader.load(path)
            series = loader.series(meeting)
        except InputError as error:
            report.failed.extend((d.path, str(d)) for d in error.diagnostics)
            continue
        warnings = [*meeting.warnings, *series_warnings(series)]
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
    return report


class Renderer:
    """Holds what is costly to set up (Jinja environment, fonts) across the PDFs of a process."""

    def __init__(self, config: Config) -> None:
        from .charts import ChartCache
        from .layouts import layout_roots, make_environment

        self.config = config
        self.roots = layout_roots(config.layouts)
        self.environment = make_environment(self.roots)
        self.charts = ChartCache(config.chart_cache, write=write_atomically)

    def render(self, series: Series, layout: str, edition: str) -> bytes:
        from .charts import charts_for, series_charts
        from .editions import edition_view
        from .layouts import render_html
        from .pdf import html_to_pdf

        view = edition_view(series, edition)
        charts = charts_for(view.content, self.font_path, self.charts)
        if len(series.meetings) > 1:
            charts += series_charts(series_trend_rows(series), self.font_path, self.charts)
        html = render_html(self.environment, layout, view.content, edition, charts,
                           self.config.paper, self.config.print_shop,
                           carried=view.carried, follows=view.follows)
        pdf, refused = html_to_pdf(html, self.roots)
        for url in refused:
            log.warning("%s: refused to fetch %s", series.current.shown_path, url[:200])
        return pdf

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
