"""Render one meeting series to PDF bytes in one layout and edition: charts, HTML, WeasyPrint.

A Renderer lives for a whole process (or worker) and keeps what is costly to set up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Config
from .files import is_inside, write_atomically
from .series import Series
from .signing import signing_key

log = logging.getLogger(__name__)


class Renderer:
    """Holds what is costly to set up (Jinja environment, fonts) across the PDFs of a process."""

    def __init__(self, config: Config) -> None:
        from .charts import ChartCache
        from .layouts import layout_roots, make_environment

        self.config = config
        self.roots = layout_roots(config.layouts)
        self.environment = make_environment(self.roots, config.workspace)
        self.charts = ChartCache(config.chart_cache, write=write_atomically,
                                 key=signing_key(config.workspace))
        self.chart_sizes: dict[str, object] = {}  # layout -> its ChartSize on the paper
        self._covered: frozenset[int] | None = None  # characters the layouts' fonts draw

    def warm_up(self) -> None:
        """Load WeasyPrint and make its font configuration now, before the first PDF is asked
        for: a -j worker does this while the parent is still reading the meetings. Where
        workers fork from the preloaded server (Linux) WeasyPrint is already imported."""
        from .pdf import load_weasyprint

        with collector_paused():
            load_weasyprint(self.roots)

    def render(self, series: Series, layout: str, edition: str) -> bytes:
        """The finished PDF's bytes; BriefingError if it cannot be made."""
        with collector_paused():
            return self._render(series, layout, edition)

    def _render(self, series: Series, layout: str, edition: str) -> bytes:
        from .archivecopy import archive_sources
        from .charts import charts_for, series_charts
        from .editions import edition_view
        from .layouts import chart_size, render_html
        from .pdf import html_to_pdf
        from .pdfpost import tidy_pdf

        view = self.printable(edition_view(series, edition))
        if layout not in self.chart_sizes:
            self.chart_sizes[layout] = chart_size(self.roots, layout, self.config.paper)
        size = self.chart_sizes[layout]
        charts = charts_for(view.content, self.font_path, self.charts, size=size)
        if len(series.meetings) > 1:
            charts += series_charts(series_trend_rows(series), self.font_path, self.charts,
                                    size=size)
        html = render_html(self.environment, layout, view.content, edition, charts,
                           self.config.paper, self.config.print_shop,
                           carried=view.carried, follows=view.follows)
        meeting_day = view.content.meeting.date
        pdf, refused = html_to_pdf(
            html, self.roots, archive=self.config.archive,
            attachments=archive_sources(series, edition) if self.config.archive else None,
            created=dt.datetime(meeting_day.year, meeting_day.month, meeting_day.day,
                                tzinfo=dt.UTC))
        for url in refused:
            log.warning("%s: refused to fetch %s", series.current.shown_path, url[:200])
        return tidy_pdf(pdf)

    def printable(self, view):
        """The edition with every character no layout font covers replaced by a visible
        mark (fontcheck warns about each one, at its line, when the meeting is read)."""
        from .fontcheck import covered_characters, font_files, printable_model

        if self._covered is None:
            self._covered, _unreadable = covered_characters(font_files(self.roots))  # check warns
        covered = self._covered
        return dataclasses.replace(
            view, content=printable_model(view.content, covered),
            carried=tuple(dataclasses.replace(item, action=printable_model(item.action, covered))
                          for item in view.carried),
            follows=printable_model(view.follows, covered) if view.follows else None)

    @property
    def font_path(self) -> Path | None:
        for root in self.roots:
            candidate = root / "base" / "fonts" / "NotoSans-Regular.ttf"
            if candidate.is_file() and is_inside(candidate, root):
                return candidate
        return None


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


def series_trend_rows(series: Series) -> list[tuple[str, int, int, int]]:
    """(meeting date, attendance, actions not done, actions done) for each meeting so far."""
    rows = []
    for point in series.trend():
        counts = dict(point.actions_by_status)
        rows.append((f"{point.meeting.date.day} {point.meeting.date:%b %Y}",
                     sum(count for _group, count in point.attendance),
                     counts["open"] + counts["in-progress"], counts["done"]))
    return rows
