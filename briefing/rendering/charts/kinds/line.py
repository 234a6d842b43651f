"""Line charts (`line`): a marked line per series; one is labelled at its points, several are named at their ends."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from briefing.rendering.charts.kinds import chart_kind
from briefing.rendering.charts.numbers import format_value
from briefing.rendering.charts.placement import PAD, Box, Label
from briefing.rendering.charts.plot import Plot
from briefing.rendering.charts.style import LINE_STYLES, MARKERS

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@chart_kind("line", "Line chart")
class Line(Plot):
    def widen(self, lo: float, hi: float) -> tuple[float, float]:
        if self.m > 1:  # lines drawn clear of the top of the plot
            hi += (hi - lo) * 0.08
        return lo, hi

    def names_at_right(self) -> bool:
        return self.m > 1

    def category_step(self, slot: float) -> int:
        """Too many points to name each in full: name every k-th."""
        longest = max((self.measure.width(word) for c in self.categories for word in c.split()),
                      default=0)
        return max(1, math.ceil((longest + 0.4 * self.em) / slot))

    def place_labels(self) -> None:
        """One series: each value above (or below) its point where it fits. Several: names at the
        ends of the lines and a value axis."""
        values = next(iter(self.series.values()))
        self.fit_above(lambda short: self._place(values, short))

    def _place(self, values, short: bool) -> float:
        marker = 0.5 * self.em
        points = [(self.position_pt(c), self.value_pt(v)) for values_ in self.series.values()
                  for c, v in enumerate(values_) if v is not None]
        obstacles = [Box(x - marker / 2, y - marker / 2, x + marker / 2, y + marker / 2)
                     for x, y in points]
        if self.m > 1:
            self.all_labelled = False
            ends = []
            for series_values in self.series.values():
                last = next((c for c in range(self.n - 1, -1, -1) if series_values[c] is not None), None)
                ends.append(self.value_pt(series_values[last]) if last is not None else self.rect[1])
            self.names_at(ends, self.rect[0] + self.rect[2] + PAD)
            return 0.0
        for c, value in enumerate(values):
            if value is None:
                continue
            text = format_value(value, self.unit, short)
            width, height = self.measure.box(text)
            x, y = self.position_pt(c), self.value_pt(value)
            x0 = min(max(x - width / 2, 0.0), self.size.width - width)
            for box in (Box(x0, y + marker / 2 + PAD, x0 + width, y + marker / 2 + PAD + height),
                        Box(x0, y - marker / 2 - PAD - height, x0 + width, y - marker / 2 - PAD)):
                if not self.collides(box, obstacles) and box.y0 >= self.rect[1]:
                    self.labels.append(Label(text, box))
                    break
            else:
                self.all_labelled = False
        return self.overrun()[0]

    def draw_marks(self, axes: Axes) -> None:
        for i, (name, values) in enumerate(self.series.items()):
            axes.plot(range(self.n), [math.nan if v is None else v for v in values],
                      marker=MARKERS[i % len(MARKERS)], markersize=0.5 * self.em,
                      linestyle=LINE_STYLES[i % len(LINE_STYLES)],
                      color=self.colours[i % len(self.colours)], label=name, linewidth=2)
