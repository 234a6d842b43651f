"""Turn a meeting's figures into charts: deterministic SVG, alt text and a table of the figures.

The only module that draws with matplotlib, and only when a chart is not already in the cache.
It never touches pyplot's global state: each chart is its own Figure, and the house style is
applied inside an rc_context. A chart's SVG is cached by the hash of everything that shapes
it (the figures, the kind and unit, the font, this module's code and matplotlib's version).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .models import DataSet, MeetingFile
from .signing import sign, verify

log = logging.getLogger(__name__)

# Government Analysis Function palette (colour-blind safe); two series use the first and fourth.
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
TWO_SERIES = ("#12436D", "#F46A25")
# So series stay apart on a greyscale photocopy: the first solid, the rest hatched or dashed.
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++")
MARKERS = ("o", "s", "D", "^", "v", "P")
LINE_STYLES = ("-", "--", ":", "-.", "-", "--")
INK = "#0B0C0C"
KIND_NAMES = {"bar": "Bar chart", "barh": "Horizontal bar chart", "line": "Line chart",
              "stacked": "Stacked bar chart"}
STATUS_NAMES = {"open": "Open", "in-progress": "In progress", "done": "Done",
                "dropped": "Dropped"}
MEETING_RECORD = "Meeting record"
FIGURE_WIDTH_INCHES = 6.3  # about the text column of A4 with 18 mm margins
MAX_PRINTED_HEIGHT_INCHES = 7.5

# The house style, minus the font family (resolved from the font file only when drawing).
STYLE = {
    "font.size": 11, "svg.hashsalt": "briefing", "svg.fonttype": "none",
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#3D3D3D",
    "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK, "axes.titlesize": 11,
    "path.simplify": False, "hatch.color": "white", "hatch.linewidth": 1.2,
    "axes.unicode_minus": False,
    # Meeting text is data: "$5 to $10" must print as typed, and "$x^$" must not be parsed
    # as mathtext (which fails with a ValueError deep inside matplotlib).
    "text.parse_math": False,
}


@dataclass(frozen=True)
class Chart:
    """A drawn chart and everything a reader without sight of it needs."""

    id: str
    title: str
    svg: bytes
    alt: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    unit: str | None = None
    source: str | None = None
    caveat: str | None = None
    kind: str = "bar"
    group: str = "meeting"  # meeting (drawn from the meeting), data (its `data:`), series


def format_number(value: float | None) -> str:
    """UK style: thousands separated by commas, a decimal point, no needless decimals."""
    if value is None:
        return "no data"
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: float | None, unit: str | None) -> str:
    """A number as labelled on a chart: with its % sign when the unit is per cent."""
    text = format_number(value)
    return f"{text}%" if unit == "%" and value is not None else text


def axis_label(unit: str | None) -> str:
    if not unit:
        return "Number"
    if unit == "%":
        return "Per cent (%)"
    return unit[0].upper() + unit[1:]


# --- the charts a meeting calls for -------------------------------------------------------

def charts_for(content: MeetingFile, font_path: Path | None,
               cache: ChartCache | None = None, text_scale: float = 1.0) -> list[Chart]:
    """Every chart the meeting calls for, in the order the pack prints them.

    A `data:` entry without a source is left out (meetings.py warns about it with its line).
    """
    cache = cache if cache is not None else ChartCache()
    charts = []
    if content.attendance:
        charts.append(draw(DataSet(
            id="attendance", title="Attendance by group", kind="barh", unit="people",
            categories=[row.group for row in content.attendance],
            series={"Attendance": [row.count for row in content.attendance]},
            source=MEETING_RECORD), font_path, cache, text_scale=text_scale))
    if content.themes and (content.quotes or any(theme.points for theme in content.themes)):
        quotes = [sum(quote.theme == theme.id for quote in content.quotes)
                  for theme in content.themes]
        charts.append(draw(DataSet(
            id="themes", title="Points and quotes by theme", kind="barh", unit="number",
            categories=[theme.title for theme in content.themes],
            series={"Points": [len(theme.points) for theme in content.themes],
                    "Quotes": quotes},
            source=f"{MEETING_RECORD}: the points and quotes printed in this pack"),
            font_path, cache, text_scale=text_scale))
    if content.actions:
        charts.append(draw(DataSet(
            id="actions", title="Actions by status", kind="bar", unit="actions",
            categories=list(STATUS_NAMES.values()),
            series={"Actions": [sum(action.status == status for action in content.actions)
                                for status in STATUS_NAMES]},
            source=f"{MEETING_RECORD}: action log"), font_path, cache, text_scale=text_scale))
    for dataset in content.data:
        if (dataset.source or "").strip():
            charts.append(draw(dataset, font_path, cache, group="data", text_scale=text_scale,
                               chart_id=f"data-{dataset.id}"))
    return charts


def series_charts(meetings: Sequence[tuple[str, int, int, int]], font_path: Path | None,
                  cache: ChartCache | None = None,
                  source: str = "Meeting records in this series",
                  text_scale: float = 1.0) -> list[Chart]:
    """Charts across a follow-up series, from (meeting label, attendance, open, done) rows.

    The rows come in the order the meetings were held; "open" counts every action not done
    (open or in progress). Returns attendance per meeting and actions open and done per meeting.
    """
    if not meetings:
        return []
    cache = cache if cache is not None else ChartCache()
    labels = [str(label) for label, *_ in meetings]
    attendance = DataSet(
        id="series-attendance", title="Attendance per meeting", kind="line", unit="people",
        categories=labels, series={"Attendance": [int(row[1]) for row in meetings]},
        source=source)
    actions = DataSet(
        id="series-actions", title="Actions open and done per meeting", kind="stacked",
        unit="actions", categories=labels,
        series={"Open": [int(row[2]) for row in meetings],
                "Done": [int(row[3]) for row in meetings]},
        source=source)
    return [draw(attendance, font_path, cache, group="series", text_scale=text_scale),
            draw(actions, font_path, cache, group="series", text_scale=text_scale)]


def draw(dataset: DataSet, font_path: Path | None, cache: ChartCache | None = None,
         group: str = "meeting", chart_id: str | None = None, text_scale: float = 1.0) -> Chart:
    headers, rows = data_table(dataset)
    svg = (cache if cache is not None else ChartCache()).svg(dataset, font_path, text_scale)
    return Chart(id=chart_id or dataset.id, title=dataset.title, svg=svg,
                 alt=alt_text(dataset), headers=headers, rows=rows, unit=dataset.unit,
                 source=dataset.source, caveat=dataset.caveat, kind=dataset.kind, group=group)


def alt_text(dataset: DataSet) -> str:
    """Every figure in words: "Bar chart of attendance by group (people): Community members 18…"."""
    unit = f" ({dataset.unit})" if dataset.unit else ""
    parts = []
    for name, values in dataset.series.items():
        figures = ", ".join(f"{category} {format_number(value)}"
                            for category, value in zip(dataset.categories, values, strict=True))
        parts.append(figures if len(dataset.series) == 1 else f"{name}: {figures}")
    title = dataset.title
    if len(title) > 1 and not title[1].isupper():
        title = title[0].lower() + title[1:]
    return f"{KIND_NAMES[dataset.kind]} of {title}{unit}: " + "; ".join(parts) + "."


def data_table(dataset: DataSet) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    headers = ("", *dataset.series)
    rows = tuple((category, *(format_number(values[index]) for values in dataset.series.values()))
                 for index, category in enumerate(dataset.categories))
    return headers, rows


# --- the cache ----------------------------------------------------------------------------

@dataclass
class ChartCache:
    """SVGs by the hash of their inputs and style: in memory for the process, on disk across builds.

    `folder` (from Config) keeps drawn SVGs between builds, each with a record of its hash
    signed with `key`; `write` is files.write_atomically, passed in by the Renderer, so a
    cache file is never seen half-written. Without a folder and a key the cache lives in
    memory only.
    """

    folder: Path | None = None
    write: Callable[[Path, bytes], None] | None = None
    key: bytes | None = None  # signs each stored chart's record (signing.py)
    drawn: int = 0
    reused: int = 0
    _memory: dict[str, bytes] = field(default_factory=dict, repr=False)

    def svg(self, dataset: DataSet, font_path: Path | None, text_scale: float = 1.0) -> bytes:
        key = chart_key(dataset, font_path, text_scale)
        if key in self._memory:
            self.reused += 1
            return self._memory[key]
        stored = self.folder / f"{key}.svg" if self.folder is not None and self.key else None
        if stored is not None:
            data = self._stored(key, stored)
            if data is not None:
                self.reused += 1
                self._memory[key] = data
                log.debug("chart %s: reused %s", dataset.id, stored.name)
                return data
        data = _svg(dataset, font_path, text_scale)
        self.drawn += 1
        self._memory[key] = data
        log.debug("chart %s: drawn", dataset.id)
        if stored is not None and self.write is not None:
            digest = hashlib.sha256(data).hexdigest()
            record = json.dumps({"sha256": digest,
                                 "signature": sign(self.key, "chart", key, digest)})
            try:
                self.write(stored, data)
                self.write(_record_of(stored), record.encode() + b"\n")
            except OSError as error:
                log.warning("could not save chart %s to the cache %s: %s", dataset.id,
                            self.folder, error.strerror or error)
        return data


    def _stored(self, key: str, stored: Path) -> bytes | None:
        """A cached SVG, only if its bytes hash to what its signed record says: a chart
        planted in the cache folder is drawn afresh, never printed."""
        from .files import read_file

        try:
            data = read_file(stored, MAX_CACHED_BYTES, inside=self.folder).data
            record = json.loads(read_file(_record_of(stored), 4096, inside=self.folder).data)
        except (OSError, ValueError):
            return None
        digest = hashlib.sha256(data).hexdigest()
        if (isinstance(record, dict) and record.get("sha256") == digest
                and verify(self.key, record.get("signature"), "chart", key, digest)):
            return data
        log.debug("chart cache: %s does not match its record; drawing it again", stored.name)
        return None


MAX_CACHED_BYTES = 20 * 1024 * 1024


def _record_of(stored: Path) -> Path:
    return stored.with_suffix(".json")


def chart_key(dataset: DataSet, font_path: Path | None, text_scale: float = 1.0) -> str:
    """The hash of everything that shapes a chart's SVG bytes (not its title, source or id)."""
    material = {
        "kind": dataset.kind, "unit": dataset.unit, "categories": list(dataset.categories),
        "series": [[name, list(values)] for name, values in dataset.series.items()],
        "style": STYLE, "text_scale": text_scale, "font": _file_digest(str(font_path)) if font_path else None,
        "code": _file_digest(__file__), "matplotlib": _matplotlib_version(),
    }
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=16)
def _file_digest(path: str) -> str | None:
    from .files import read_file

    try:
        return read_file(path, MAX_CACHED_BYTES * 5).sha256  # never a pipe; bounded
    except OSError:
        return None


@lru_cache(maxsize=1)
def _matplotlib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matplotlib")  # read from metadata: does not import matplotlib
    except PackageNotFoundError:
        return "unknown"


# --- drawing ------------------------------------------------------------------------------

def _style(font_path: Path | None) -> dict:
    from matplotlib import font_manager

    families = ["DejaVu Sans"]
    if font_path is not None and font_path.exists():
        # The main font first, then the other regular faces beside it (Arabic, Bengali):
        # matplotlib falls back through the list, so every script is measured correctly.
        faces = [font_path, *sorted(p for p in font_path.parent.glob("*-Regular.ttf")
                                    if p != font_path)]
        families = []
        for face in faces:
            # Only regular files inside the fonts folder: a pipe would block the render, a
            # link could lead anywhere. A broken face is left out (fontcheck names it).
            if not _regular_file_inside(face, font_path.parent):
                continue
            try:
                font_manager.fontManager.addfont(str(face))
                families.append(font_manager.FontProperties(fname=str(face)).get_name())
            except Exception as error:  # matplotlib raises many types for a broken font
                log.debug("font %s left out of charts: %s", face, error)
        families = families or ["DejaVu Sans"]
        _prefer_shipped_faces(font_manager.fontManager, set(families), font_path.parent)
    return {**STYLE, "font.family": families}


def _regular_file_inside(path: Path, folder: Path) -> bool:
    import os
    import stat

    real = os.path.realpath(path)
    try:
        return (Path(real).is_relative_to(os.path.realpath(folder))
                and stat.S_ISREG(os.stat(real).st_mode))
    except OSError:
        return False


def _prefer_shipped_faces(manager, families: set[str], folder: Path) -> None:
    """Forget the host's own copies of the shipped families (a host may have another version
    of Noto Sans), so chart text is measured with the shipped files on every machine."""
    folder = folder.resolve()
    kept = [entry for entry in manager.ttflist
            if entry.name not in families or Path(entry.fname).resolve().parent == folder]
    if len(kept) != len(manager.ttflist):
        manager.ttflist = kept
        cached = getattr(manager, "_findfont_cached", None)  # matplotlib's lookup cache
        if cached is not None:
            cached.cache_clear()


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _svg(dataset: DataSet, font_path: Path | None, text_scale: float = 1.0) -> bytes:
    """The chart as SVG. `text_scale` > 1 draws a narrower figure with the same type sizes,
    so text prints that much larger once the layout stretches the chart to the column."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    kind, unit = dataset.kind, dataset.unit
    count = len(dataset.categories)
    series = dict(dataset.series)
    colours = TWO_SERIES if len(series) == 2 else PALETTE
    positions = list(range(count))
    present = [v for values in series.values() for v in values if v is not None]
    if kind == "barh":
        height = max(2.4, 0.3 * count * max(1, len(series)) + 0.25 * count + 1.0)
        categories = [_wrap(c, 26) for c in dataset.categories]
    else:
        height = 3.4
        categories = [_wrap(c, max(8, 60 // max(1, count))) for c in dataset.categories]
    # Stretched to the column, a chart prints about text_scale times its drawn size: keep it
    # short enough to share a page with its heading and caption.
    height = min(height, MAX_PRINTED_HEIGHT_INCHES / text_scale)
    with matplotlib.rc_context(_style(font_path)):
        figure = Figure(figsize=(FIGURE_WIDTH_INCHES / text_scale, height))
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        axes.set_axisbelow(True)
        value_axis = "x" if kind == "barh" else "y"
        axes.grid(axis=value_axis, color="#D9D9D9", linewidth=0.6)
        if kind in ("bar", "barh"):
            width = 0.8 / max(1, len(series))
            for index, (name, values) in enumerate(series.items()):
                offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
                plot = axes.barh if kind == "barh" else axes.bar
                bars = plot(offsets, [v or 0 for v in values], width * 0.9, label=name,
                            color=colours[index % len(colours)],
                            hatch=HATCHES[index % len(HATCHES)])
                axes.bar_label(bars, labels=[format_value(v, unit) for v in values],
                               padding=3, fontsize=10, color=INK)
        elif kind == "stacked":
            bottoms = [0.0] * count
            last = None
            for index, (name, values) in enumerate(series.items()):
                drawn = [v or 0 for v in values]
                last = axes.bar(positions, drawn, 0.6, bottom=bottoms, label=name,
                                color=colours[index % len(colours)],
                                hatch=HATCHES[index % len(HATCHES)], edgecolor="white",
                                linewidth=0.8)
                axes.bar_label(last, labels=[format_value(v, unit) if v else "" for v in values],
                               label_type="center", fontsize=10, color=INK,
                               bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                                     "edgecolor": "none"})
                bottoms = [b + v for b, v in zip(bottoms, drawn, strict=True)]
            if last is not None and len(series) > 1:
                axes.bar_label(last, labels=[f"Total {format_value(t, unit)}" for t in bottoms],
                               padding=3, fontsize=10, color=INK)
        else:  # line: distinct markers and dashes, each series named at its end
            for index, (name, values) in enumerate(series.items()):
                colour = colours[index % len(colours)]
                axes.plot(positions, [float("nan") if v is None else v for v in values],
                          marker=MARKERS[index % len(MARKERS)], markersize=6,
                          linestyle=LINE_STYLES[index % len(LINE_STYLES)], color=colour,
                          label=name, linewidth=2)
                if count <= 12 and len(series) == 1:
                    for position, value in zip(positions, values, strict=True):
                        if value is not None:
                            axes.annotate(format_value(value, unit), (position, value),
                                          xytext=(0, 7), textcoords="offset points",
                                          ha="center", fontsize=9, color=INK)
                last = next((i for i in range(count - 1, -1, -1) if values[i] is not None), None)
                if last is not None and len(series) > 1:
                    axes.annotate(name, (positions[last], values[last]), xytext=(9, 0),
                                  textcoords="offset points", va="center", fontsize=10,
                                  color=colour if index != 3 else INK)
            longest = max((len(name) for name in series), default=0) if len(series) > 1 else 0
            axes.set_xlim(-0.4, max(0, count - 1) + 0.4 + (0.02 * longest * max(1, count)))
            if present and min(present) >= 0:
                axes.set_ylim(bottom=0, top=max(present) * 1.15 or 1)
        if kind == "barh":
            axes.set_yticks(positions, categories)
            axes.invert_yaxis()
            axes.set_xlabel(axis_label(unit))
            axes.margins(x=0.12)
        else:
            axes.set_xticks(positions, categories)
            # Horizontal, above the axis: easier to read than rotated text, and it stays text
            # of a known size for large print.
            axes.set_ylabel(axis_label(unit), rotation=0, ha="left", va="bottom")
            axes.yaxis.set_label_coords(0, 1.03)
            if kind != "line":
                axes.margins(y=0.12)
        axis = axes.xaxis if kind == "barh" else axes.yaxis
        axis.set_major_formatter(FuncFormatter(lambda value, _position: format_number(value)))
        if all(float(v).is_integer() for v in present):
            axis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1 and kind != "line":
            axes.legend(frameon=False, fontsize=10, loc="lower right", bbox_to_anchor=(1, 1.0),
                        ncols=min(len(series), 3), handleheight=1.2, handlelength=2.2)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            # "Glyph … missing from font(s)": fontcheck already warns about such characters
            # with their file and line; WeasyPrint sets chart text in the document's fonts.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
            figure.tight_layout()
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _use_document_fonts(buffer.getvalue())


# Text stays text (svg.fonttype "none"): WeasyPrint sets it in the document's own shipped
# fonts, three times faster than drawing every glyph as a path, and it can be searched and
# copied. matplotlib lays the text out with Noto Sans metrics, the first font of the chain.
# No spaces after the commas: WeasyPrint 70's SVG text splits the list on "," and strips only
# quotes, so " 'Briefing Sans Arabic'" would name no font and the host's font would be used.
DOCUMENT_FONTS = b"font-family: 'Briefing Sans','Briefing Sans Arabic','Briefing Sans Bengali'"


def _use_document_fonts(svg: bytes) -> bytes:
    return re.sub(rb"font-family: [^;\"]*", DOCUMENT_FONTS, svg)
