"""A chart's geometry, worked out in points before drawing: what every chart kind builds on."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from briefing.rendering.charts.numbers import format_value
from briefing.rendering.charts.placement import (
    GAP,
    LINE,
    PAD,
    Box,
    Label,
    Measure,
    collides,
    spread,
    stacked_past,
    stretch,
)
from briefing.rendering.charts.style import AXIS, GRID, PALETTE, TWO_SERIES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from briefing.meeting.models import DataSet
    from briefing.rendering.charts.specs import ChartSize

MOST_SERIES_LABELLED = 4  # up to this many series are named on the chart; more get a legend


class Plot:
    """One chart: its geometry worked out in points, its labels placed, then drawn.

    A chart kind subclasses Plot and is registered by name (`chart_kind` in kinds/). It must
    give `place_labels` (put labels in `self.labels`; set `self.all_labelled` False when some
    value is left for a value axis to show) and `draw_marks` (its bars, lines or points on the
    matplotlib axes). It may change the hooks below: the values the range must hold, room at
    the right for series names, how often categories are named. The plot is upright:
    categories run along the bottom and values up the side (horizontal bars turn it).
    """

    name = ""  # the kind's name, as written in a meeting file (set by chart_kind)
    description = ""  # the kind in words for alt text, "Bar chart" (set by chart_kind)

    def __init__(self, dataset: DataSet, size: ChartSize) -> None:
        self.dataset, self.size = dataset, size
        self.unit = dataset.unit
        self.categories = list(dataset.categories)
        self.series = {name: list(values) for name, values in dataset.series.items()}
        self.n, self.m = len(self.categories), len(self.series)
        self.measure = Measure(size.text)
        self.em = size.text
        self.colours = TWO_SERIES if self.m == 2 else PALETTE
        present = [v for values in self.series.values() for v in values if v is not None]
        self.present = present
        self.big = bool(present) and max(abs(v) for v in present) >= 1e4
        self.named = 2 <= self.m <= MOST_SERIES_LABELLED  # series named on the chart
        self.legend = self.m > MOST_SERIES_LABELLED
        self.labels: list[Label] = []
        self.all_labelled = True
        self.lo, self.hi = self.value_range()

    # -- what a kind gives ------------------------------------------------------------

    def place_labels(self) -> None:
        raise NotImplementedError

    def draw_marks(self, axes: Axes) -> None:
        raise NotImplementedError

    def range_values(self) -> list[float]:
        """The values the value range must hold (besides zero)."""
        return self.present or [0]

    def widen(self, lo: float, hi: float) -> tuple[float, float]:
        """The value range, widened where the kind needs room."""
        return lo, hi

    def names_at_right(self) -> bool:
        """Whether series names stand at the right of the plot (room is kept for them)."""
        return False

    def category_step(self, slot: float) -> int:
        """Every how many categories one is named, each having `slot` points of width."""
        return 1

    # -- geometry ---------------------------------------------------------------------

    def value_range(self) -> tuple[float, float]:
        values = self.range_values()
        lo, hi = self.widen(min(0.0, min(values)), max(0.0, max(values)))
        if hi == lo:
            hi = lo + 1
        return lo, hi

    def lay_out(self) -> None:
        """Place every label; show a value axis with gridlines only if some value is unlabelled."""
        for show_axis in (False, True):
            self.show_axis = show_axis
            self.frame()
            self.lo, self.hi = self.value_range()
            self.labels = []
            self.all_labelled = True
            self.place_labels()
            if self.all_labelled:
                break

    def frame_top(self) -> None:
        """The room above the plot: a little, and the legend's rows when there is one."""
        em = self.em
        self.top_margin = 0.4 * em
        if self.legend:
            widest = max(self.measure.width(name) for name in self.series) + 5.5 * em
            columns = max(1, min(self.m, int(self.size.width // widest)))
            self.legend_columns = columns
            self.top_margin += math.ceil(self.m / columns) * 1.5 * em + 0.5 * em

    def frame(self) -> None:
        """The figure's size and the plot's rectangle (left, bottom, width, height) in points."""
        em, width = self.em, self.size.width
        self.frame_top()
        tick_width = self.measure.width(self.tick_text(self.hi * 1.3 if self.hi > 0 else self.lo * 1.3))
        left = (tick_width + 0.8 * em) if self.show_axis else 0.3 * em
        right = 0.3 * em
        if self.names_at_right():
            right += max(self.measure.width(name) for name in self.series) + PAD + 0.6 * em
        plot_width = width - left - right
        slot = plot_width / max(1, self.n)
        self.category_every = self.category_step(slot)
        self.category_text = [self.measure.wrap(c, slot * self.category_every - 0.4 * em)
                              for c in self.categories]
        lines = max((t.count("\n") + 1 for t in self.category_text), default=1)
        self.bottom_margin = lines * LINE * em + 0.5 * em
        plot_height = min(max(0.42 * width, 8 * em),
                          self.size.max_height - self.top_margin - self.bottom_margin)
        plot_height = max(plot_height, 4 * em)
        self.height = plot_height + self.top_margin + self.bottom_margin
        self.rect = (left, self.bottom_margin, plot_width, plot_height)

    def tick_text(self, value: float) -> str:
        return format_value(value, self.unit, short=self.big)

    def value_rect(self) -> tuple[float, float]:
        """Where the plot starts along the values, and its length along them, in points."""
        _left, bottom, _width, height = self.rect
        return bottom, height

    def value_pt(self, value: float) -> float:
        start, length = self.value_rect()
        return start + (value - self.lo) / (self.hi - self.lo) * length

    def position_pt(self, position: float) -> float:
        """Where a category position (0 to n-1, fractions between) falls, in points."""
        left, _bottom, width, _height = self.rect
        return left + (position + 0.5) / self.n * width

    def value_extent(self) -> tuple[float, float]:
        """Where the plot starts and ends along the values, in points."""
        start, length = self.value_rect()
        return start, start + length

    def span(self) -> float:
        """The plot's length along the values, in points."""
        return self.value_rect()[1]

    def along(self, box: Box) -> tuple[float, float]:
        """Where a box starts and ends along the values."""
        return box.y0, box.y1

    # -- labels -----------------------------------------------------------------------

    def collides(self, box: Box, obstacles: list[Box]) -> bool:
        return collides(box, self.labels, obstacles, GAP * self.em)

    def label_past(self, text: str, bar: Box, value: float | None, obstacles: list[Box],
                   stack: bool) -> Label | None:
        """A value label just past the end of a bar (above it, or below a negative one), clear
        of the boxes beside it; then past other labels if it may stack, else None."""
        width, height = self.measure.box(text)
        middle = (bar.x0 + bar.x1) / 2
        left, _bottom, plot_width, _height = self.rect  # kept over the plot, clear of the axis
        x0 = max(min(middle - width / 2, left + plot_width - width), left)
        box = stacked_past(x0, x0 + width, height, (value or 0) >= 0, obstacles, self.labels,
                           GAP * self.em, stack)
        return None if box is None else Label(text, box, "center")

    def overrun(self) -> tuple[float, float]:
        """How far the labels run past the plot's high and low ends (points)."""
        start, end = self.value_extent()
        return (max((self.along(label.box)[1] - end for label in self.labels), default=0),
                max((start - self.along(label.box)[0] for label in self.labels), default=0))

    def fit_above(self, place: Callable[[bool], float]) -> None:
        """Place labels in full, then shortened, raising the top of the value range until the
        labels above the plot fit (at most 12 tries each); stop at the first that labels all.
        `place(short)` places them and returns how far they run past the top."""
        for short in (False, True):
            self.lo, self.hi = self.value_range()
            for _attempt in range(12):
                self.labels, self.all_labelled = [], True
                overflow = place(short)
                if overflow <= 0.5:
                    break
                self.hi += stretch(self.lo, self.hi, overflow, self.span())
            if self.all_labelled:
                return

    def names_at(self, wanted: list[float], x: float) -> None:
        """Series names at the right of the plot, each as near its height as the others allow."""
        height = LINE * self.em
        placed = spread(wanted, height, GAP * self.em, self.rect[1], self.rect[1] + self.rect[3])
        for i, name in enumerate(self.series):
            width = self.measure.width(name)
            self.labels.append(Label(name, Box(x, placed[i], x + width, placed[i] + height),
                                     "left"))

    # -- drawing ----------------------------------------------------------------------

    value_axis_name = "y"  # the axis values are read along, and the spine beside it
    value_spine = "left"

    def axes_of(self, axes: Axes):
        """The category axis and the value axis."""
        return axes.xaxis, axes.yaxis

    def set_limits(self, axes: Axes) -> None:
        axes.set_xlim(-0.5, self.n - 0.5)
        axes.set_ylim(self.lo, self.hi)

    def shown_categories(self) -> list[int]:
        return [c for c in range(self.n) if c % self.category_every == 0]

    def tick_room(self, widest: float) -> float:
        """The room one value-axis tick takes, its widest text being `widest` points wide."""
        return 2.5 * self.em

    def zero_line(self, axes: Axes) -> None:
        if self.lo < 0:
            axes.axhline(0, color=AXIS, linewidth=0.8)

    def render(self) -> Figure:
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
        self.draw_marks(axes)
        category_axis, value_axis = self.axes_of(axes)
        self.set_limits(axes)
        category_axis.set_major_locator(FixedLocator(self.shown_categories()))
        category_axis.set_major_formatter(FuncFormatter(
            lambda position, _index: self.category_text[int(round(position))]
            if 0 <= round(position) < self.n else ""))
        category_axis.set_tick_params(length=0, pad=0.3 * self.em)
        if self.show_axis:
            widest = self.measure.width(self.tick_text(self.hi)) + self.em
            bins = max(2, int(self.span() // self.tick_room(widest)))
            locator = MaxNLocator(nbins=bins, integer=all(float(v).is_integer() for v in self.present))
            value_axis.set_major_locator(locator)
            value_axis.set_major_formatter(FuncFormatter(lambda value, _i: self.tick_text(value)))
            axes.grid(axis=self.value_axis_name, color=GRID, linewidth=0.6)
        else:
            value_axis.set_major_locator(NullLocator())
            axes.spines[self.value_spine].set_visible(False)
        self.zero_line(axes)
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
        return figure
