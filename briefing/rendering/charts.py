"""Turn a meeting's figures into charts: deterministic SVG drawn for the page, words and a table.

The only module that draws with matplotlib, and only when a chart is not already in the cache.
It never touches pyplot's global state: each chart is its own Figure, and the house style is
applied inside an rc_context. A chart is drawn at the width it prints at, with its text at
the size it prints at (ChartSize), and every label is measured and placed before drawing so
that none overlaps another or a bar. Figures too few for a chart become a sentence. A chart's
SVG is cached by the hash of everything that shapes it (the figures, the kind and unit, the
size, the font, this module's code and matplotlib's version).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from briefing.batch.signing import sign, verify
from briefing.meeting.models import DataSet, MeetingFile

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
STATUS_WORDS = {"open": "are open", "in-progress": "are in progress", "done": "are done",
                "dropped": "were dropped"}
ONE_STATUS_WORDS = {"open": "is open", "in-progress": "is in progress", "done": "is done",
                    "dropped": "was dropped"}
MEETING_RECORD = "Meeting record"
CURRENCIES = {"£": "Pounds", "$": "Dollars", "€": "Euros"}
MOST_SERIES_LABELLED = 4  # up to this many series are named on the chart; more get a legend

# The house style, minus the font family and size (resolved when drawing).
STYLE = {
    "svg.hashsalt": "briefing", "svg.fonttype": "none",
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#3D3D3D",
    "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
    "path.simplify": False, "hatch.color": "white", "hatch.linewidth": 1.2,
    "axes.unicode_minus": False,
    # Meeting text is data: "$5 to $10" must print as typed, and "$x^$" must not be parsed
    # as mathtext (which fails with a ValueError deep inside matplotlib).
    "text.parse_math": False,
}


@dataclass(frozen=True)
class ChartSize:
    """How a chart prints: its width and its text size in points, and its greatest height.

    The layout stretches nothing: the SVG is drawn this wide and prints this wide, so its
    text prints at `text` points (the default: A4 less 18 mm margins, 12 pt text)."""

    width: float = 493.2
    text: float = 12.0
    max_height: float = 400.0

    def key(self) -> list[float]:
        return [round(self.width, 2), round(self.text, 2), round(self.max_height, 2)]


@dataclass(frozen=True)
class Chart:
    """A drawn chart (or the sentence that stands for it) and what a reader without sight needs."""

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
    headline: str = ""  # printed as "Figure N: headline" above the chart
    subtitle: str = ""  # what, where, when and the unit
    sentence: str | None = None  # set when the figures are too few to chart: no SVG then


def format_number(value: float | None) -> str:
    """UK style: thousands separated by commas, a decimal point, no needless decimals."""
    if value is None:
        return "no data"
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def compact_number(value: float) -> str:
    """Three significant figures with k, m or bn: 1,480,000 as 1.48m (for labels short of room)."""
    for least, unit, suffix in ((1e9, 1e9, "bn"), (1e6, 1e6, "m"), (1e4, 1e3, "k")):
        if abs(value) >= least:
            text = f"{value / unit:.3g}"
            if "e" not in text:
                return text + suffix
            if unit < 1e9:  # 999,999 rounds to a thousand k: one m
                return compact_number(math.copysign(unit * 1000, value))
            return format_number(round(value / unit)) + suffix
    return format_number(value)


def format_value(value: float | None, unit: str | None, short: bool = False) -> str:
    """A number as labelled on a chart: £ before it, % after it, as the unit says."""
    if value is None:
        return "no data"
    text = compact_number(value) if short else format_number(value)
    if unit == "%":
        return f"{text}%"
    if unit in CURRENCIES:
        return f"-{unit}{text[1:]}" if text.startswith("-") else f"{unit}{text}"
    return text


def unit_phrase(unit: str | None) -> str:
    """What the figures count, for a subtitle: "Number of people", "Per cent", "Pounds (£)"."""
    if not unit:
        return "Number"
    if unit == "%":
        return "Per cent"
    if unit in CURRENCIES:
        return f"{CURRENCIES[unit]} ({unit})"
    if re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)*", unit):
        return f"Number of {unit}"
    return f"Unit: {unit}"


def long_date(value) -> str:
    return f"{value.day} {value:%B %Y}"


# --- the charts a meeting calls for -------------------------------------------------------

def charts_for(content: MeetingFile, font_path: Path | None,
               cache: ChartCache | None = None, size: ChartSize | None = None) -> list[Chart]:
    """Every chart the meeting calls for, in the order the pack prints them.

    A `data:` entry without a source is left out (meetings.py warns about it with its line).
    The pack's own make-up (how many points or quotes each theme has) is never charted.
    """
    cache = cache if cache is not None else ChartCache()
    meeting = content.meeting
    where_when = f"{meeting.venue}, {long_date(meeting.date)}"
    charts = []
    if content.attendance:
        dataset = DataSet(
            id="attendance", title="Attendance by group", kind="barh", unit="people",
            categories=[row.group for row in content.attendance],
            series={"Attendance": [row.count for row in content.attendance]},
            source=MEETING_RECORD)
        charts.append(draw(dataset, font_path, cache, size=size,
                           subtitle=f"Number of people at the meeting by group, {where_when}",
                           sentence=_attendance_sentence(dataset)))
    if content.actions:
        counts = {status: sum(action.status == status for action in content.actions)
                  for status in STATUS_NAMES}
        dataset = DataSet(
            id="actions", title="Actions by status", kind="bar", unit="actions",
            categories=list(STATUS_NAMES.values()), series={"Actions": list(counts.values())},
            source=f"{MEETING_RECORD}: action log")
        charts.append(draw(dataset, font_path, cache, size=size,
                           subtitle=f"Number of actions by status, as recorded for the meeting "
                                    f"at {where_when}",
                           sentence=_actions_sentence(counts)))
    for dataset in content.data:
        if (dataset.source or "").strip():
            charts.append(draw(dataset, font_path, cache, group="data", size=size,
                               chart_id=f"data-{dataset.id}"))
    return charts


def _attendance_sentence(dataset: DataSet) -> str | None:
    if not needs_sentence(dataset):
        return None
    counts = {group: int(count or 0) for group, count
              in zip(dataset.categories, dataset.series["Attendance"], strict=True)}
    total = sum(counts.values())
    present = [group for group, count in counts.items() if count]
    if len(present) == 1 and len(counts) > 2:
        if total == 1:
            return f"The one person at the meeting was in one group: {present[0]}."
        return f"All {total:,} people at the meeting were in one group: {present[0]}."
    return f"{total:,} {'person' if total == 1 else 'people'} attended: " + ", ".join(
        f"{group} {count:,}" for group, count in counts.items()) + "."


def _actions_sentence(counts: dict[str, int]) -> str | None:
    present = [status for status, count in counts.items() if count]
    if len(present) > 1:
        return None
    total = sum(counts.values())
    if not present:
        return "There are no actions."
    if total == 1:
        return f"The only action {ONE_STATUS_WORDS[present[0]]}."
    return f"All {total:,} actions {STATUS_WORDS[present[0]]}."


def needs_sentence(dataset: DataSet) -> bool:
    """Fewer than three values, or all of them in one category: a sentence, not a chart."""
    values = [v for series in dataset.series.values() for v in series if v is not None]
    categories = {category for index, category in enumerate(dataset.categories)
                  if any(series[index] for series in dataset.series.values())}
    return len(values) < 3 or len(categories) <= 1


def series_charts(meetings: Sequence[tuple[str, int, int, int]], font_path: Path | None,
                  cache: ChartCache | None = None,
                  source: str = "Meeting records in this series",
                  size: ChartSize | None = None) -> list[Chart]:
    """Charts across a follow-up series, from (meeting label, attendance, open, done) rows.

    The rows come in the order the meetings were held; "open" counts every action not done
    (open or in progress). Returns attendance per meeting and actions open and done per meeting.
    """
    if not meetings:
        return []
    cache = cache if cache is not None else ChartCache()
    labels = [str(label) for label, *_ in meetings]
    span = f"the {len(labels)} meetings from {labels[0]} to {labels[-1]}"
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
    return [draw(attendance, font_path, cache, group="series", size=size,
                 subtitle=f"Number of people at each of {span}"),
            draw(actions, font_path, cache, group="series", size=size,
                 subtitle=f"Number of actions open (or in progress) and done at each of {span}")]


def draw(dataset: DataSet, font_path: Path | None, cache: ChartCache | None = None,
         group: str = "meeting", chart_id: str | None = None, size: ChartSize | None = None,
         subtitle: str | None = None, sentence: str | None = None) -> Chart:
    """The chart for a data set, or the sentence that stands for it when it has too few values."""
    headers, rows = data_table(dataset)
    headline = (dataset.headline or "").strip() or dataset.title
    if subtitle is None:
        subtitle = unit_phrase(dataset.unit)
        if headline != dataset.title:
            subtitle = f"{dataset.title}. {subtitle}"
    if sentence is None and needs_sentence(dataset):
        sentence = figures_sentence(dataset)
    svg = b"" if sentence else (cache if cache is not None else ChartCache()).svg(
        dataset, font_path, size or ChartSize())
    return Chart(id=chart_id or dataset.id, title=dataset.title, svg=svg,
                 alt=alt_text(dataset), headers=headers, rows=rows, unit=dataset.unit,
                 source=dataset.source, caveat=dataset.caveat, kind=dataset.kind, group=group,
                 headline=headline, subtitle=subtitle, sentence=sentence)


def _figures(dataset: DataSet) -> str:
    """Every figure in words: "Community members 18, Police officers 16" (series named if many)."""
    parts = []
    for name, values in dataset.series.items():
        figures = ", ".join(f"{category} {format_number(value)}"
                            for category, value in zip(dataset.categories, values, strict=True))
        parts.append(figures if len(dataset.series) == 1 else f"{name}: {figures}")
    return "; ".join(parts)


def figures_sentence(dataset: DataSet) -> str:
    """A data set too small to chart, as one sentence: its headline or title, then its figures."""
    lead = (dataset.headline or "").strip().rstrip(".") or dataset.title
    unit = f" ({dataset.unit})" if dataset.unit else ""
    return f"{lead}{unit}: {_figures(dataset)}."


def alt_text(dataset: DataSet) -> str:
    """The message first (headline or title), then every figure, then the caveat."""
    headline = (dataset.headline or "").strip().rstrip(".")
    unit = f" ({dataset.unit})" if dataset.unit else ""
    title = dataset.title
    if len(title) > 1 and not title[1].isupper():
        title = title[0].lower() + title[1:]
    if headline and headline != dataset.title:
        text = f"{headline}. {KIND_NAMES[dataset.kind]} of {title}{unit}: {_figures(dataset)}."
    else:
        text = f"{dataset.title}{unit}. {KIND_NAMES[dataset.kind]}: {_figures(dataset)}."
    caveat = (dataset.caveat or "").strip()
    return f"{text} {caveat}" if caveat else text


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

    def svg(self, dataset: DataSet, font_path: Path | None, size: ChartSize | None = None) -> bytes:
        size = size or ChartSize()
        key = chart_key(dataset, font_path, size)
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
        data = _svg(dataset, font_path, size)
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
        from briefing.files import read_file

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


def chart_key(dataset: DataSet, font_path: Path | None, size: ChartSize | None = None) -> str:
    """The hash of everything that shapes a chart's SVG bytes (not its title, source or id)."""
    material = {
        "kind": dataset.kind, "unit": dataset.unit, "categories": list(dataset.categories),
        "series": [[name, list(values)] for name, values in dataset.series.items()],
        "style": STYLE, "size": (size or ChartSize()).key(),
        "font": _file_digest(str(font_path)) if font_path else None,
        "code": _file_digest(__file__), "matplotlib": _matplotlib_version(),
    }
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=16)
def _file_digest(path: str) -> str | None:
    from briefing.files import read_file

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

def _style(font_path: Path | None, text_size: float) -> dict:
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
    return {**STYLE, "font.family": families, "font.size": text_size,
            "axes.titlesize": text_size, "axes.labelsize": text_size,
            "xtick.labelsize": text_size, "ytick.labelsize": text_size,
            "legend.fontsize": text_size}


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


# Label geometry, in points and ems of chart text. Boxes are measured a little generously
# (WeasyPrint sets the text with Pango, matplotlib measures it with FreeType).
LINE = 1.3  # the height of a line of chart text, in ems
GAP = 0.3  # ems kept clear between two labels
PAD = 3.0  # points between the end of a bar and its label
WIDTH_MARGIN = 1.05  # measured widths are taken this much wider
MAX_LINES = 3  # a category name wraps onto at most this many lines


@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: _Box, gap: float = 0.0) -> bool:
        return (self.x0 < other.x1 + gap and other.x0 < self.x1 + gap
                and self.y0 < other.y1 + gap and other.y0 < self.y1 + gap)


@dataclass(frozen=True)
class _Label:
    text: str
    box: _Box
    ha: str = "center"
    colour: str = INK
    boxed: bool = False  # on a white ground (inside a hatched bar)


class _Measure:
    """Text extents at the chart's text size, as matplotlib reports them (in points)."""

    def __init__(self, size: float) -> None:
        from matplotlib.font_manager import FontProperties
        from matplotlib.textpath import TextToPath

        self.size = size
        self.props = FontProperties(size=size)  # the family comes from the rc_context
        self._path = TextToPath()
        self._widths: dict[str, float] = {}

    def width(self, line: str) -> float:
        if line not in self._widths:
            width, _height, _descent = self._path.get_text_width_height_descent(
                line, self.props, ismath=False)
            self._widths[line] = width * WIDTH_MARGIN + 1
        return self._widths[line]

    def box(self, text: str) -> tuple[float, float]:
        lines = text.split("\n")
        return max(self.width(line) for line in lines), len(lines) * LINE * self.size

    def wrap(self, text: str, limit: float) -> str:
        """Words on lines no wider than `limit`; a word too long for a line is cut with "…"."""
        lines: list[str] = []
        line = ""
        for word in text.split():
            if self.width(word) > limit:
                word = self.cut(word, limit)
            candidate = f"{line} {word}" if line else word
            if line and self.width(candidate) > limit:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
        if len(lines) > MAX_LINES:
            lines = [*lines[:MAX_LINES - 1], self.cut(" ".join(lines[MAX_LINES - 1:]), limit)]
        return "\n".join(lines)

    def cut(self, text: str, limit: float) -> str:
        while len(text) > 1 and self.width(text + "…") > limit:
            text = text[:-1].rstrip()
        return text + "…"


def _svg(dataset: DataSet, font_path: Path | None, size: ChartSize | None = None) -> bytes:
    """The chart as SVG, drawn at the size it prints: nothing stretches it afterwards."""
    import matplotlib

    size = size or ChartSize()
    with matplotlib.rc_context(_style(font_path, size.text)):
        plot = _Plot(dataset, size)
        plot.lay_out()
        return _use_document_fonts(plot.render())


class _Plot:
    """One chart: its geometry worked out in points, its labels placed, then drawn."""

    def __init__(self, dataset: DataSet, size: ChartSize) -> None:
        self.dataset, self.size = dataset, size
        self.kind, self.unit = dataset.kind, dataset.unit
        self.categories = list(dataset.categories)
        self.series = {name: list(values) for name, values in dataset.series.items()}
        self.n, self.m = len(self.categories), len(self.series)
        self.measure = _Measure(size.text)
        self.em = size.text
        self.colours = TWO_SERIES if self.m == 2 else PALETTE
        present = [v for values in self.series.values() for v in values if v is not None]
        self.present = present
        self.big = bool(present) and max(abs(v) for v in present) >= 1e4
        self.named = 2 <= self.m <= MOST_SERIES_LABELLED  # series named on the chart
        self.legend = self.m > MOST_SERIES_LABELLED
        self.labels: list[_Label] = []
        self.all_labelled = True
        self.lo, self.hi = self._value_range()

    # -- geometry ---------------------------------------------------------------------

    def _value_range(self) -> tuple[float, float]:
        if self.kind == "stacked":
            totals = [sum(v or 0 for v in column) for column in zip(*self.series.values(), strict=True)]
            values = totals or [0]
        else:
            values = self.present or [0]
        lo, hi = min(0.0, min(values)), max(0.0, max(values))
        if self.kind == "line" and self.present and min(values) < 0:
            lo = min(values)
        if self.kind == "line" and self.m > 1:  # lines drawn clear of the top of the plot
            hi += (hi - lo) * 0.08
        if hi == lo:
            hi = lo + 1
        return lo, hi

    def lay_out(self) -> None:
        """Place every label; show a value axis with gridlines only if some value is unlabelled."""
        for show_axis in (False, True):
            self.show_axis = show_axis
            self._frame()
            self.lo, self.hi = self._value_range()
            self.labels = []
            self.all_labelled = True
            if self.kind in ("bar", "barh"):
                self._label_bars()
            elif self.kind == "stacked":
                self._label_stacked()
            else:
                self._label_line()
            if self.all_labelled:
                break

    def _frame(self) -> None:
        """The figure's size and the plot's rectangle (left, bottom, width, height) in points."""
        em, width = self.em, self.size.width
        self.top_margin = 0.4 * em
        if self.legend:
            widest = max(self.measure.width(name) for name in self.series) + 5.5 * em
            columns = max(1, min(self.m, int(width // widest)))
            self.legend_columns = columns
            self.top_margin += math.ceil(self.m / columns) * 1.5 * em + 0.5 * em
        tick_width = self.measure.width(self._tick_text(self.hi * 1.3 if self.hi > 0 else self.lo * 1.3))
        if self.kind == "barh":
            self.category_text = [self.measure.wrap(c, 0.4 * width) for c in self.categories]
            left = max((self.measure.box(t)[0] for t in self.category_text), default=0) + 0.6 * em
            bar = LINE * em * 1.3  # each bar holds a line of text beside it, clear of the next
            row = max(self.m * bar / 0.8,
                      max((self.measure.box(t)[1] for t in self.category_text), default=0) + 0.8 * em)
            self.bottom_margin = (LINE * em + 0.6 * em) if self.show_axis else 0.3 * em
            plot_height = max(row * self.n, 2 * em)
            # Rows of bars may run past the usual greatest height (by half) before they are
            # squeezed: a squeezed row has no room for its labels.
            height = min(plot_height + self.top_margin + self.bottom_margin,
                         self.size.max_height * 1.5)
            self.rect = (left, self.bottom_margin, width - left - 0.3 * em,
                         height - self.top_margin - self.bottom_margin)
            self.height = height
            return
        left = (tick_width + 0.8 * em) if self.show_axis else 0.3 * em
        right = 0.3 * em
        if self.kind == "stacked" and self.named or self.kind == "line" and self.m > 1:
            right += max(self.measure.width(name) for name in self.series) + PAD + 0.6 * em
        plot_width = width - left - right
        slot = plot_width / max(1, self.n)
        self.category_every = 1
        if self.kind == "line":  # too many points to name each in full: name every k-th
            longest = max((self.measure.width(word) for c in self.categories for word in c.split()),
                          default=0)
            self.category_every = max(1, math.ceil((longest + 0.4 * em) / slot))
        self.category_text = [self.measure.wrap(c, slot * self.category_every - 0.4 * em)
                              for c in self.categories]
        lines = max((t.count("\n") + 1 for t in self.category_text), default=1)
        self.bottom_margin = lines * LINE * em + 0.5 * em
        plot_height = min(max(0.42 * width, 8 * em),
                          self.size.max_height - self.top_margin - self.bottom_margin)
        plot_height = max(plot_height, 4 * em)
        self.height = plot_height + self.top_margin + self.bottom_margin
        self.rect = (left, self.bottom_margin, plot_width, plot_height)

    def _tick_text(self, value: float) -> str:
        return format_value(value, self.unit, short=self.big)

    def value_pt(self, value: float) -> float:
        left, bottom, width, height = self.rect
        if self.kind == "barh":
            return left + (value - self.lo) / (self.hi - self.lo) * width
        return bottom + (value - self.lo) / (self.hi - self.lo) * height

    def position_pt(self, position: float) -> float:
        """Where a category position (0 to n-1, fractions between) falls, in points."""
        left, bottom, width, height = self.rect
        if self.kind == "barh":  # the first category at the top
            return bottom + height - (position + 0.5) / self.n * height
        if self.kind == "line":
            return left + (position + 0.5) / self.n * width
        return left + (position + 0.5) / self.n * width

    def bar_boxes(self) -> list[tuple[int, int, _Box]]:
        """(category, series, box) of every bar, in points."""
        boxes = []
        step = 0.8 / self.m
        for i, values in enumerate(self.series.values()):
            for c, value in enumerate(values):
                middle = c - 0.4 + step * (i + 0.5)
                a, b = self.position_pt(middle - step * 0.45), self.position_pt(middle + step * 0.45)
                v0, v1 = self.value_pt(min(0, value or 0)), self.value_pt(max(0, value or 0))
                box = (_Box(v0, min(a, b), v1, max(a, b)) if self.kind == "barh"
                       else _Box(min(a, b), v0, max(a, b), v1))
                boxes.append((c, i, box))
        return boxes

    # -- labels ---------------------------------------------------------------------------

    def _collides(self, box: _Box, obstacles: list[_Box]) -> bool:
        gap = GAP * self.em
        return (any(box.overlaps(label.box, gap) for label in self.labels)
                or any(box.overlaps(o, 0.5) for o in obstacles))

    def _label_bars(self) -> None:
        """Value labels at the ends of the bars: full figures, else shortened (£1.48m), else
        shortened and moved above each other (upright bars), else those that cannot fit are
        dropped (and a value axis with gridlines is drawn instead)."""
        texts = {short: [[format_value(v, self.unit, short) for v in values]
                         for values in self.series.values()] for short in (False, True)}
        plans = [(texts[False], False, 0.55)]
        if texts[True] != texts[False]:
            plans.append((texts[True], False, 0.55))
        if self.kind == "bar":
            plans.append((texts[True], True, 0.4))
        plans.append((None, False, 0.0))  # no value labels: series names and a value axis
        for plan_texts, stack, least in plans:
            if self._try_bars(plan_texts, stack, least):
                return

    def _try_bars(self, texts, stack: bool, least: float) -> bool:
        frame = self.rect, self.height
        if stack:  # labels above each other need a taller plot to leave the bars room
            left, bottom, width, height = self.rect
            taller = min(height * 1.5, self.size.max_height - self.height + height)
            self.rect, self.height = (left, bottom, width, taller), self.height - height + taller
        if not self._fit_bars(texts, stack, least):
            self.rect, self.height = frame
            return False
        return True

    def _fit_bars(self, texts, stack: bool, least: float) -> bool:
        drop = texts is None
        self.lo, self.hi = self._value_range()
        for _attempt in range(12):
            self.labels, self.all_labelled = [], True
            overflow = self._place_bar_labels(texts, stack)
            if overflow is None:
                return False  # a label collided and this plan does not drop labels
            grow_hi, grow_lo = overflow
            if grow_hi <= 0.5 and grow_lo <= 0.5:
                break
            span = self._span()
            if grow_hi > 0.5:
                self.hi += (self.hi - self.lo) * grow_hi / max(span - grow_hi, span * 0.1)
            if grow_lo > 0.5:
                self.lo -= (self.hi - self.lo) * grow_lo / max(span - grow_lo, span * 0.1)
        else:
            if not drop:
                return False
        low, high = self._value_range()
        share = (high - low) / (self.hi - self.lo) if self.hi > self.lo else 1  # left to bars
        if share < least:
            return False
        if drop:
            self._drop_outside()
        return True

    def _span(self) -> float:
        return self.rect[2] if self.kind == "barh" else self.rect[3]

    def _place_bar_labels(self, texts, stack: bool):
        """Place labels at the current scale; return how far they overrun the plot at its high
        and low ends (points), or None when one collides. Without texts, only the series'
        names are placed (the value axis then gives the values)."""
        left, bottom, width, height = self.rect
        bars = self.bar_boxes()
        obstacles = [box for _c, _i, box in bars]
        names = list(self.series)
        order = sorted(bars, key=lambda item: (item[0], item[1]))
        for c, i, bar in order:
            value = list(self.series.values())[i][c]
            if texts is None:
                self.all_labelled = False
                text = names[i] if self.named and self.kind == "barh" and c == 0 else None
            else:
                text = texts[i][c]
                if self.named and self.kind == "barh" and c == 0:
                    text = f"{names[i]}: {text}"
            if text is None:
                continue
            label = self._bar_label(text, bar, value, obstacles, stack)
            if label is None:
                if texts is not None:
                    return None
                continue
            self.labels.append(label)
        if self.named and self.kind == "bar":  # name each series over its first bar
            for c, i, bar in order:
                if c == 0:
                    label = self._bar_label(names[i], bar, list(self.series.values())[i][0],
                                            obstacles, True)
                    if label is not None:  # stacked upwards, a name always finds room
                        self.labels.append(label)
        top, end = (bottom + height, left + width)
        if self.kind == "barh":
            return (max((label.box.x1 - end for label in self.labels), default=0),
                    max((left - label.box.x0 for label in self.labels), default=0))
        return (max((label.box.y1 - top for label in self.labels), default=0),
                max((bottom - label.box.y0 for label in self.labels), default=0))

    def _bar_label(self, text: str, bar: _Box, value: float | None, obstacles: list[_Box],
                   stack: bool) -> _Label | None:
        width, height = self.measure.box(text)
        gap = GAP * self.em
        upward = (value or 0) >= 0
        if self.kind == "barh":
            middle = (bar.y0 + bar.y1) / 2
            if upward:
                box = _Box(bar.x1 + PAD, middle - height / 2, bar.x1 + PAD + width, middle + height / 2)
            else:
                box = _Box(bar.x0 - PAD - width, middle - height / 2, bar.x0 - PAD, middle + height / 2)
            if self._collides(box, obstacles):  # past the plot's ends: the scale makes room
                return None
            return _Label(text, box, "left" if upward else "right")
        middle = (bar.x0 + bar.x1) / 2
        left, _bottom, plot_width, _height = self.rect  # kept over the plot, clear of the axis
        x0 = max(min(middle - width / 2, left + plot_width - width), left)
        x1 = x0 + width
        beside = [o for o in obstacles if o.x0 < x1 + gap and x0 < o.x1 + gap]

        def clear_of(boxes: list[_Box], space: float) -> _Box:
            """The label's box just above (or below) all of these boxes."""
            if upward:
                y0 = max(b.y1 for b in boxes) + space
                return _Box(x0, y0, x1, y0 + height)
            y1 = min(b.y0 for b in boxes) - space
            return _Box(x0, y1 - height, x1, y1)

        box = clear_of(beside, PAD)
        while True:
            hits = [label.box for label in self.labels if box.overlaps(label.box, gap)]
            if not hits:
                break
            if not stack:
                return None
            box = clear_of(hits, gap)
        return _Label(text, box, "center")

    def _drop_outside(self) -> None:
        """After the last plan: drop any label still outside the plot (it had no room)."""
        left, bottom, width, height = self.rect
        kept = []
        for label in self.labels:
            inside = (label.box.x1 <= left + width + 0.5 and label.box.x0 >= left - 0.5
                      if self.kind == "barh" else
                      label.box.y1 <= bottom + height + 0.5 and label.box.y0 >= bottom - 0.5)
            if inside:
                kept.append(label)
            else:
                self.all_labelled = False
        self.labels = kept

    def _label_stacked(self) -> None:
        """Each segment's value inside it where it fits; totals above; series named at the right."""
        columns = list(zip(*[[v or 0 for v in values] for values in self.series.values()], strict=True))
        self._fit_above(lambda short: self._place_stacked(columns, short))

    def _fit_above(self, place) -> None:
        """Place labels in full, then shortened, raising the top of the value range until the
        labels above the plot fit (at most 12 tries each); stop at the first that labels all."""
        for short in (False, True):
            self.lo, self.hi = self._value_range()
            for _attempt in range(12):
                self.labels, self.all_labelled = [], True
                overflow = place(short)
                if overflow <= 0.5:
                    break
                span = self.rect[3]
                self.hi += (self.hi - self.lo) * overflow / max(span - overflow, span * 0.1)
            if self.all_labelled:
                return

    def _segments(self, columns) -> list[tuple[int, int, _Box]]:
        boxes = []
        for c, column in enumerate(columns):
            a, b = self.position_pt(c - 0.3), self.position_pt(c + 0.3)
            running = 0.0
            for i, value in enumerate(column):
                boxes.append((c, i, _Box(a, self.value_pt(running), b, self.value_pt(running + value))))
                running += value
        return boxes

    def _place_stacked(self, columns, short: bool) -> float:
        segments = self._segments(columns)
        obstacles = [box for _c, _i, box in segments]
        values = list(self.series.values())
        for c, i, box in segments:
            value = values[i][c]
            if not value:
                continue
            text = format_value(value, self.unit, short)
            width, height = self.measure.box(text)
            if width + 2 <= box.x1 - box.x0 and height <= box.y1 - box.y0:
                middle_x, middle_y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
                self.labels.append(_Label(text, _Box(middle_x - width / 2, middle_y - height / 2,
                                                     middle_x + width / 2, middle_y + height / 2),
                                          colour="white" if i == 0 else INK, boxed=i > 0))
            else:
                self.all_labelled = False
        if self.m > 1:
            for c, column in enumerate(columns):
                text = f"Total {format_value(sum(column), self.unit, short)}"
                column_boxes = [box for cc, _i, box in segments if cc == c]
                top = _Box(column_boxes[0].x0, column_boxes[0].y0, column_boxes[0].x1,
                           max(box.y1 for box in column_boxes))
                label = self._bar_label(text, top, sum(column), obstacles, False)
                if label is None:
                    self.all_labelled = False
                else:
                    self.labels.append(label)
        if self.named:
            last = [box for cc, _i, box in segments if cc == len(columns) - 1]
            wanted = [(last[i].y0 + last[i].y1) / 2 for i in range(self.m)]
            self._names_at(wanted, last[0].x1 + PAD)
        top = self.rect[1] + self.rect[3]
        return max((label.box.y1 - top for label in self.labels), default=0)

    def _names_at(self, wanted: list[float], x: float) -> None:
        """Series names at the right of the plot, each as near its height as the others allow."""
        height = LINE * self.em
        gap = GAP * self.em
        order = sorted(range(len(wanted)), key=lambda i: wanted[i])
        placed: dict[int, float] = {}
        floor = self.rect[1]
        for i in order:  # bottom up, each clear of the one below
            y = max(wanted[i] - height / 2, floor)
            placed[i] = y
            floor = y + height + gap
        ceiling = self.rect[1] + self.rect[3]
        for i in reversed(order):  # then top down, pushed under the top of the plot
            if placed[i] + height > ceiling:
                placed[i] = ceiling - height
            ceiling = placed[i] - gap
        for i, name in enumerate(self.series):
            width = self.measure.width(name)
            self.labels.append(_Label(name, _Box(x, placed[i], x + width, placed[i] + height),
                                      "left"))

    def _label_line(self) -> None:
        """One series: each value above (or below) its point where it fits. Several: names at the
        ends of the lines and a value axis."""
        values = next(iter(self.series.values()))
        self._fit_above(lambda short: self._place_line(values, short))

    def _place_line(self, values, short: bool) -> float:
        marker = 0.5 * self.em
        points = [(self.position_pt(c), self.value_pt(v)) for values_ in self.series.values()
                  for c, v in enumerate(values_) if v is not None]
        obstacles = [_Box(x - marker / 2, y - marker / 2, x + marker / 2, y + marker / 2)
                     for x, y in points]
        if self.m > 1:
            self.all_labelled = False
            ends = []
            for series_values in self.series.values():
                last = next((c for c in range(self.n - 1, -1, -1) if series_values[c] is not None), None)
                ends.append(self.value_pt(series_values[last]) if last is not None else self.rect[1])
            self._names_at(ends, self.rect[0] + self.rect[2] + PAD)
            return 0.0
        for c, value in enumerate(values):
            if value is None:
                continue
            text = format_value(value, self.unit, short)
            width, height = self.measure.box(text)
            x, y = self.position_pt(c), self.value_pt(value)
            x0 = min(max(x - width / 2, 0.0), self.size.width - width)
            for box in (_Box(x0, y + marker / 2 + PAD, x0 + width, y + marker / 2 + PAD + height),
                        _Box(x0, y - marker / 2 - PAD - height, x0 + width, y - marker / 2 - PAD)):
                if not self._collides(box, obstacles) and box.y0 >= self.rect[1]:
                    self.labels.append(_Label(text, box))
                    break
            else:
                self.all_labelled = False
        top = self.rect[1] + self.rect[3]
        return max((label.box.y1 - top for label in self.labels), default=0)

    # -- drawing --------------------------------------------------------------------------

    def render(self) -> bytes:
        from matplotlib.backends.backend_svg import FigureCanvasSVG
        from matplotlib.figure import Figure
        from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

        width, height = self.size.width, self.height
        figure = Figure(figsize=(width / 72, height / 72), dpi=72)
        FigureCanvasSVG(figure)
        left, bottom, plot_width, plot_height = self.rect
        axes = figure.add_axes((left / width, bottom / height, plot_width / width,
                                plot_height / height))
        axes.set_axisbelow(True)
        kind = self.kind
        step = 0.8 / self.m
        if kind in ("bar", "barh"):
            for i, (name, values) in enumerate(self.series.items()):
                offsets = [c - 0.4 + step * (i + 0.5) for c in range(self.n)]
                plot = axes.barh if kind == "barh" else axes.bar
                plot(offsets, [v or 0 for v in values], step * 0.9, label=name,
                     color=self.colours[i % len(self.colours)], hatch=HATCHES[i % len(HATCHES)])
        elif kind == "stacked":
            bottoms = [0.0] * self.n
            for i, (name, values) in enumerate(self.series.items()):
                drawn = [v or 0 for v in values]
                axes.bar(range(self.n), drawn, 0.6, bottom=bottoms, label=name,
                         color=self.colours[i % len(self.colours)],
                         hatch=HATCHES[i % len(HATCHES)], edgecolor="white", linewidth=0.8)
                bottoms = [b + v for b, v in zip(bottoms, drawn, strict=True)]
        else:
            for i, (name, values) in enumerate(self.series.items()):
                axes.plot(range(self.n), [math.nan if v is None else v for v in values],
                          marker=MARKERS[i % len(MARKERS)], markersize=0.5 * self.em,
                          linestyle=LINE_STYLES[i % len(LINE_STYLES)],
                          color=self.colours[i % len(self.colours)], label=name, linewidth=2)
        category_axis, value_axis = (axes.yaxis, axes.xaxis) if kind == "barh" else (axes.xaxis, axes.yaxis)
        if kind == "barh":
            axes.set_ylim(self.n - 0.5, -0.5)
            axes.set_xlim(self.lo, self.hi)
        else:
            axes.set_xlim(-0.5, self.n - 0.5)
            axes.set_ylim(self.lo, self.hi)
        shown = [c for c in range(self.n) if c % self.category_every == 0] \
            if kind != "barh" else list(range(self.n))
        category_axis.set_major_locator(FixedLocator(shown))
        category_axis.set_major_formatter(FuncFormatter(
            lambda position, _index: self.category_text[int(round(position))]
            if 0 <= round(position) < self.n else ""))
        category_axis.set_tick_params(length=0, pad=0.3 * self.em)
        if self.show_axis:
            span = plot_width if kind == "barh" else plot_height
            widest = self.measure.width(self._tick_text(self.hi)) + self.em
            bins = max(2, int(span // (widest if kind == "barh" else 2.5 * self.em)))
            locator = MaxNLocator(nbins=bins, integer=all(float(v).is_integer() for v in self.present))
            value_axis.set_major_locator(locator)
            value_axis.set_major_formatter(FuncFormatter(lambda value, _i: self._tick_text(value)))
            axes.grid(axis="x" if kind == "barh" else "y", color="#D9D9D9", linewidth=0.6)
        else:
            value_axis.set_major_locator(NullLocator())
            axes.spines["bottom" if kind == "barh" else "left"].set_visible(False)
        if kind == "barh" and self.lo < 0 < self.hi or kind != "barh" and self.lo < 0:
            (axes.axvline if kind == "barh" else axes.axhline)(0, color="#3D3D3D", linewidth=0.8)
        if self.legend:
            axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0),
                        ncols=self.legend_columns, handleheight=1.2, handlelength=2.2,
                        borderaxespad=0.3)
        for label in self.labels:
            box = label.box
            x = {"left": box.x0, "right": box.x1, "center": (box.x0 + box.x1) / 2}[label.ha]
            figure.text(x / 72, (box.y0 + box.y1) / 2 / 72, label.text,
                        transform=figure.dpi_scale_trans, ha=label.ha, va="center",
                        multialignment="center", color=label.colour, fontsize=self.em,
                        linespacing=1.15,
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                              "edgecolor": "none"} if label.boxed else None)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            # "Glyph … missing from font(s)": fontcheck already warns about such characters
            # with their file and line; WeasyPrint sets chart text in the document's fonts.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        return buffer.getvalue()


# Text stays text (svg.fonttype "none"): WeasyPrint sets it in the document's own shipped
# fonts (shaping each run whole: see svgtext.py), three times faster than drawing every glyph
# as a path, and it can be searched and copied. matplotlib lays the text out with Noto Sans
# metrics, the first font of the chain.
# No spaces after the commas: WeasyPrint 70's SVG text splits the list on "," and strips only
# quotes, so " 'Briefing Sans Arabic'" would name no font and the host's font would be used.
DOCUMENT_FONTS = b"font-family: 'Briefing Sans','Briefing Sans Arabic','Briefing Sans Bengali'"


def _use_document_fonts(svg: bytes) -> bytes:
    return re.sub(rb"font-family: [^;\"]*", DOCUMENT_FONTS, svg)
