"""Turn a meeting's figures into charts: deterministic SVG, alt text and a table of the same numbers.

The only module that imports matplotlib. It never touches pyplot's global state: each chart
is its own Figure, and the house style is applied inside an rc_context.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from .models import DataSet, MeetingFile

# Government Analysis Function palette (colour-blind safe); two series use the first and fourth.
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
TWO_SERIES = ("#12436D", "#F46A25")
KIND_NAMES = {"bar": "Bar chart", "barh": "Horizontal bar chart", "line": "Line chart",
              "stacked": "Stacked bar chart"}


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


def format_number(value: float | None) -> str:
    """UK style: thousands separated by commas, no needless decimals."""
    if value is None:
        return "no data"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def charts_for(content: MeetingFile, font_path: Path | None) -> list[Chart]:
    """Every chart the meeting calls for, in the order the pack prints them."""
    charts = []
    if content.attendance:
        charts.append(draw(DataSet(
            id="attendance", title="Attendance by group", kind="barh", unit="people",
            categories=[row.group for row in content.attendance],
            series={"Attendance": [row.count for row in content.attendance]},
            source="Meeting record"), font_path))
    return charts


def alt_text(dataset: DataSet) -> str:
    unit = f" ({dataset.unit})" if dataset.unit else ""
    parts = []
    for name, values in dataset.series.items():
        figures = ", ".join(f"{category} {format_number(value)}"
                            for category, value in zip(dataset.categories, values))
        parts.append(figures if len(dataset.series) == 1 else f"{name}: {figures}")
    return f"{KIND_NAMES[dataset.kind]} of {dataset.title.lower()}{unit}: " + "; ".join(parts) + "."


def data_table(dataset: DataSet) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    headers = ("", *dataset.series)
    rows = tuple((category, *(format_number(values[index]) for values in dataset.series.values()))
                 for index, category in enumerate(dataset.categories))
    return headers, rows


def draw(dataset: DataSet, font_path: Path | None) -> Chart:
    headers, rows = data_table(dataset)
    return Chart(id=dataset.id, title=dataset.title, svg=_svg(dataset, font_path),
                 alt=alt_text(dataset), headers=headers, rows=rows, unit=dataset.unit,
                 source=dataset.source, caveat=dataset.caveat)


def _style(font_path: Path | None) -> dict:
    from matplotlib import font_manager

    family = "DejaVu Sans"
    if font_path is not None and font_path.exists():
        font_manager.fontManager.addfont(str(font_path))
        family = font_manager.FontProperties(fname=str(font_path)).get_name()
    return {
        "font.family": family, "font.size": 10, "svg.hashsalt": "briefing",
        "svg.fonttype": "path", "axes.spines.top": False, "axes.spines.right": False,
        "axes.edgecolor": "#3D3D3D", "axes.labelcolor": "#0B0C0C", "xtick.color": "#0B0C0C",
        "ytick.color": "#0B0C0C", "axes.titlesize": 11, "path.simplify": False,
    }


def _svg(dataset: DataSet, font_path: Path | None) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    categories = list(dataset.categories)
    series = {name: [v if v is not None else 0 for v in values]
              for name, values in dataset.series.items()}
    colours = TWO_SERIES if len(series) == 2 else PALETTE
    count = len(categories)
    height = max(2.2, 0.45 * count + 0.9) if dataset.kind == "barh" else 3.0
    with matplotlib.rc_context(_style(font_path)):
        figure = Figure(figsize=(6.3, height))
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        positions = list(range(count))
        unit_label = dataset.unit or ""
        if dataset.kind in ("bar", "barh"):
            width = 0.8 / max(1, len(series))
            for index, (name, values) in enumerate(series.items()):
                offset = [p - 0.4 + width * (index + 0.5) for p in positions]
                plot = axes.barh if dataset.kind == "barh" else axes.bar
                bars = plot(offset, values, width * 0.92, label=name,
                            color=colours[index % len(colours)])
                axes.bar_label(bars, labels=[format_number(v) for v in values], padding=3,
                               fontsize=9)
            if dataset.kind == "barh":
                axes.set_yticks(positions, categories)
                axes.invert_yaxis()
                axes.set_xlabel(unit_label)
            else:
                axes.set_xticks(positions, categories)
                axes.set_ylabel(unit_label)
        elif dataset.kind == "stacked":
            bottoms = [0.0] * count
            for index, (name, values) in enumerate(series.items()):
                bars = axes.bar(positions, values, 0.6, bottom=bottoms, label=name,
                                color=colours[index % len(colours)], edgecolor="white")
                axes.bar_label(bars, labels=[format_number(v) if v else "" for v in values],
                               label_type="center", color="white", fontsize=9)
                bottoms = [b + v for b, v in zip(bottoms, values)]
            axes.set_xticks(positions, categories)
            axes.set_ylabel(unit_label)
        else:  # line
            markers = "osD^vP"
            for index, (name, values) in enumerate(dataset.series.items()):
                axes.plot(positions, [float("nan") if v is None else v for v in values], marker=markers[index % len(markers)],
                          color=colours[index % len(colours)], label=name, linewidth=2)
                last = next((i for i in range(count - 1, -1, -1) if values[i] is not None), None)
                if last is not None:
                    axes.annotate(f"{name} {format_number(values[last])}",
                                  (positions[last], values[last]), xytext=(6, 0),
                                  textcoords="offset points", va="center", fontsize=9)
            axes.set_xticks(positions, categories)
            axes.set_ylabel(unit_label)
            axes.set_ylim(bottom=0)
        value_axis = axes.xaxis if dataset.kind == "barh" else axes.yaxis
        if all(float(v).is_integer() for values in series.values() for v in values):
            value_axis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1 and dataset.kind != "line":
            axes.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1, 1))
        axes.margins(x=0.02 if dataset.kind != "barh" else 0.12)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
