"""Render one meeting series to PDF bytes in one layout and edition: charts, HTML, WeasyPrint.

A Renderer lives for a whole process (or worker) and keeps what is costly to set up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from briefing.batch.signing import signing_key
from briefing.config import Config
from briefing.errors import Diagnostic
from briefing.files import write_atomically
from briefing.meeting.series import Series

if TYPE_CHECKING:
    from briefing.rendering.chartprocess import ChartProcess

log = logging.getLogger(__name__)

_STRAIGHT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


class RenderedPDF(bytes):
    """A finished PDF's bytes, carrying what the layout check warned about them."""

    warnings: tuple[Diagnostic, ...] = ()

    def __new__(cls, data: bytes, warnings: tuple[Diagnostic, ...] = ()) -> RenderedPDF:
        made = super().__new__(cls, data)
        made.warnings = warnings
        return made

    def __reduce__(self):  # crosses to and from -j workers with its warnings
        return (RenderedPDF, (bytes(self), self.warnings))


def reference(series: Series) -> str:
    """The pack's reference: the meeting file's name and a short hash of its bytes, so a
    reader can tell which version of the file a printed pack came from."""
    path = series.current.path
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    except OSError:
        digest = "unread"
    return f"{path.stem}-{digest}"


def date_made() -> dt.date:
    """Today (UTC), or the day SOURCE_DATE_EPOCH names, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


def layout_warnings(series: Series, layout: str, edition: str,
                    findings) -> tuple[Diagnostic, ...]:
    """The layout check's findings as warnings at the meeting-file line each comes from."""
    warnings = []
    for finding in findings:
        meeting, key_path = origin_in_file(series, finding.origin)
        line = meeting.line_of(*key_path) if key_path else 0
        warnings.append(Diagnostic(meeting.shown_path, line, 0,
                                   f"{layout}-{edition} page {finding.page}: {finding.message}",
                                   "warning"))
    return tuple(dict.fromkeys(warnings))


def origin_in_file(series: Series, origin: str | None):
    """(meeting, key path) of what an element id of the layouts stands for."""
    current = series.current
    content = current.content
    if not origin:
        return current, ()
    if origin == "running-head":
        return current, ("meeting", "short_title" if content.meeting.short_title else "title")
    if origin in ("cover", "brief-head"):
        return current, ("meeting", "title")
    if origin == "alternative-formats":  # the back page
        return current, ("meeting", "contact") if content.meeting.contact else ()
    kind, _, name = origin.partition("-")
    if kind == "action":
        for meeting in reversed(series.meetings):
            for index, action in enumerate(meeting.content.actions):
                if action.id == name:
                    return meeting, ("actions", index)
    if kind == "theme":
        for index, theme in enumerate(content.themes):
            if theme.id == name:
                return current, ("themes", index)
    if kind == "quote" and name.isdigit() and int(name) < len(content.quotes):
        return current, ("quotes", int(name))
    if kind in ("chart", "annex"):
        if name.startswith("data-"):
            for index, dataset in enumerate(content.data):
                if dataset.id == name[5:]:
                    return current, ("data", index)
        if name in ("attendance", "actions", "themes"):
            return current, (name,)
    if origin in ("summary", "questions", "notes", "attendance", "themes", "actions"):
        return current, (origin,)
    if origin == "next":
        return current, ("meeting", "next")
    return current, ()


class Renderer:
    """Holds what is costly to set up (Jinja environment, fonts) across the PDFs of a process."""

    def __init__(self, config: Config, chart_process: ChartProcess | None = None) -> None:
        from briefing.rendering.charts import ChartCache
        from briefing.rendering.templating import make_environment

        self.config = config
        self.layouts = config.layout_folders
        self.roots = list(self.layouts.roots)
        self.environment = make_environment(self.layouts)
        self.charts = ChartCache(config.chart_cache, write=write_atomically,
                                 key=signing_key(config.workspace))
        self._covered: frozenset[int] | None = None  # characters the layouts' fonts draw
        self._prepared: set[str] = set()  # layouts whose templates warm_up has compiled
        self.chart_process = chart_process  # draws the charts while WeasyPrint loads, if any

    def warm_up(self, layout: str | None = None) -> None:
        """Load WeasyPrint and make its font configuration now, before the first PDF is asked
        for: a -j worker does this while the parent is still reading the meetings. Where
        workers fork from the preloaded server (Linux) WeasyPrint is already imported. With a
        layout, also compile its templates and load the post-processing stage: a render does
        this while the chart process draws its charts."""
        from briefing.rendering.pdf import load_weasyprint
        from briefing.rendering.templating import compile_layout

        with collector_paused():
            load_weasyprint(self.roots)
            if layout is None or layout in self._prepared:
                return
            self._prepared.add(layout)  # later renders find the templates compiled
            import_render_stages()
            compile_layout(self.environment, self.config.layout(layout))

    def render(self, series: Series, layout: str, edition: str, *,
               next_up: tuple[Series, str, str] | None = None) -> RenderedPDF:
        """The finished PDF's bytes (with the layout check's warnings); BriefingError if it
        cannot be made. `next_up` (series, layout, edition) is the render that follows, whose
        charts the chart process (if any) then draws while this one lays out its pages."""
        with collector_paused():
            return self._render(series, layout, edition, next_up)

    def _render(self, series: Series, layout: str, edition: str,
                next_up: tuple[Series, str, str] | None = None) -> RenderedPDF:
        from briefing.editions.archive import archive_sources
        from briefing.rendering.chartprocess import calls_for_charts
        from briefing.rendering.illustrative import mark_charts
        from briefing.rendering.layoutcheck import check_document
        from briefing.rendering.pdf import html_to_pdf
        from briefing.rendering.pdfpost import tidy_pdf
        from briefing.rendering.templating import render_html

        view, content, trend, size = self._chart_inputs(series, layout, edition)
        wanted = calls_for_charts(content, trend)
        asked = wanted and self._ask_for_charts(content, trend, size)
        self.warm_up(layout)  # while the chart process draws the charts
        page = self._page_facts(series, content, edition,
                                self.config.layout(layout).furniture_sizes)
        charts = mark_charts(self._charts(asked, content, trend, size) if wanted else [],
                             content, [m.content for m in series.meetings[:-1]],
                             view.withholder.text)
        if next_up is not None:  # drawn while this render lays out its pages
            self._prepare_charts(*next_up)
        html = render_html(self.environment, layout, content, edition, charts,
                           self.config.paper, self.config.print_shop,
                           carried=view.carried, follows=view.follows, **page)
        meeting_day = view.content.meeting.date
        findings = []
        pdf, _refused = html_to_pdf(  # the sandbox warns of each URL it refuses, once
            html, self.roots, archive=self.config.archive,
            attachments=archive_sources(series, edition) if self.config.archive else None,
            created=dt.datetime(meeting_day.year, meeting_day.month, meeting_day.day,
                                tzinfo=dt.UTC),
            inspect=lambda document: findings.extend(check_document(document)))
        pdf = tidy_pdf(pdf)
        if self.config.print_shop:
            from briefing.rendering.printshop import print_shop_boxes

            pdf = print_shop_boxes(pdf)
        return RenderedPDF(pdf, layout_warnings(series, layout, edition, findings))

    def _chart_inputs(self, series: Series, layout: str, edition: str):
        """(edition view, typeset content, trend rows, chart size): what a render's charts
        are drawn from."""
        from briefing.editions.rules import edition_view
        from briefing.rendering.typography import typeset

        view = self.printable(edition_view(series, edition))
        return (view, typeset(view.content), trend_rows(series),
                self.config.layout(layout).chart_size(self.config.paper))

    def _prepare_charts(self, series: Series, layout: str, edition: str) -> None:
        """Ask the chart process (if there is one) to draw the next render's charts ahead."""
        from briefing.rendering.chartprocess import calls_for_charts

        helper = self.chart_process
        if helper is None:
            return
        try:
            _view, content, trend, size = self._chart_inputs(series, layout, edition)
            if calls_for_charts(content, trend):
                helper.prepare((content, trend, self.font_path, size))
        except Exception:  # noqa: BLE001 - that render meets the same problem and reports it
            log.debug("could not ask for the next render's charts", exc_info=True)

    def _ask_for_charts(self, content, trend, size) -> bool:
        """Ask the chart process (if there is one) for the render's charts; whether it was."""
        helper = self.chart_process
        return helper is not None and helper.send((content, trend, self.font_path, size))

    def _charts(self, asked: bool, content, trend, size) -> list:
        """The render's charts: from the chart process, if they were asked of it, else drawn
        here."""
        from briefing.rendering.chartprocess import draw_charts

        helper = self.chart_process
        if asked:
            charts = helper.receive()
            if charts is not None:
                log.debug("%d charts drawn by the chart process (pid %s)", len(charts),
                          helper.process.pid)
                return charts
            log.debug("the chart process could not draw the charts; drawing them here")
        if helper is not None:
            helper.stop()
            self.chart_process = None
        return draw_charts(content, trend, self.font_path, self.charts, size)

    def _page_facts(self, series: Series, content, edition: str,
                    sizes: tuple[float, float]) -> dict:
        """What the pages print besides the meeting: reference, date made, running head…"""
        from briefing.rendering.typography import Measure, footer_fits, running_head

        meeting = content.meeting
        measure = Measure(self.font_path.parent if self.font_path else None)
        head, head_width, marking_width, under = running_head(
            meeting.title, meeting.short_title, content.marking.text, self.config.paper,
            measure, *sizes)
        originals = [" ".join(q.text.split()) for q in series.current.content.quotes]
        numbers = {}
        for quote in content.quotes:
            plain = " ".join(quote.text.translate(_STRAIGHT).split())
            if plain in originals:
                numbers[quote.text] = originals.index(plain)
        return {"reference": reference(series), "made": date_made(),
                "licence": self.config.licence if edition == "public" else None,
                "running_head": head, "head_width": head_width, "head_under_marking": under,
                "marking_width": marking_width, "quote_numbers": numbers,
                "footer_on_one_line": footer_fits(marking_width, self.config.paper, measure,
                                                  sizes[1])}

    def printable(self, view):
        """The edition with every character no layout font covers replaced by a visible
        mark (fontcheck warns about each one, at its line, when the meeting is read)."""
        from briefing.rendering.fontcheck import covered_characters, printable_model

        if self._covered is None:
            self._covered, _unreadable = covered_characters(self.layouts.fonts())  # check warns
        covered = self._covered
        return dataclasses.replace(
            view, content=printable_model(view.content, covered),
            carried=tuple(dataclasses.replace(item, action=printable_model(item.action, covered))
                          for item in view.carried),
            follows=printable_model(view.follows, covered) if view.follows else None)

    @property
    def font_path(self) -> Path | None:
        return self.layouts.font_path


# What _render imports on first use (kept out of this module's own imports so that reading
# meetings never loads them): imported ahead by warm_up, and by the workers' fork server.
RENDER_STAGES = ("pikepdf", "briefing.editions.archive", "briefing.editions.rules",
                 "briefing.rendering.chartprocess", "briefing.rendering.fontcheck",
                 "briefing.rendering.illustrative", "briefing.rendering.layoutcheck",
                 "briefing.rendering.pdf", "briefing.rendering.pdfpost",
                 "briefing.rendering.printshop", "briefing.rendering.svgtext",
                 "briefing.rendering.templating", "briefing.rendering.typography")


def import_render_stages() -> None:
    """Import what a first render would (RENDER_STAGES)."""
    import importlib

    for name in RENDER_STAGES:
        importlib.import_module(name)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for one render, then sweep only the young objects.

    A render allocates hundreds of thousands of short-lived objects, so the collector keeps
    waking mid-render and walking the whole long-lived heap (WeasyPrint, matplotlib, fonts).
    Pausing it takes about 9% off a warm render's median (benchmarks/run.py, warm) and about
    8% off the first render's imports; one young-generation sweep afterwards frees the
    render's cycles, so memory stays flat across a batch.
    """
    if not gc.isenabled():  # someone else manages the collector: leave it alone
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)


def trend_rows(series: Series) -> list[tuple[str, int, int, int]] | None:
    """The series charts' rows, (meeting date, attendance, actions not done, actions done) for
    each meeting so far; None for a meeting that follows no other."""
    if len(series.meetings) < 2:
        return None
    rows = []
    for point in series.trend():
        counts = dict(point.actions_by_status)
        rows.append((f"{point.meeting.date.day} {point.meeting.date:%b %Y}",
                     sum(count for _group, count in point.attendance),
                     counts["open"] + counts["in-progress"], counts["done"]))
    return rows
