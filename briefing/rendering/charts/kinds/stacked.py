"""Stacked bar charts (`stacked`): a column per category, a segment per series, totals above."""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefing.rendering.charts.kinds import chart_kind
from briefing.rendering.charts.numbers import format_value
from briefing.rendering.charts.placement import PAD, Box, Label
from briefing.rendering.charts.plot import Plot
from briefing.rendering.charts.style import HATCHES, INK

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@chart_kind("stacked", "Stacked bar chart")
class Stacked(Plot):
    def range_values(self) -> list[float]:
        totals = [sum(v or 0 for v in column) for column in zip(*self.series.values(), strict=True)]
        return totals or [0]

    def names_at_right(self) -> bool:
        return self.named

    def place_labels(self) -> None:
        """Each segment's value inside it where it fits; totals above; series named at the right."""
        columns = list(zip(*[[v or 0 for v in values] for values in self.series.values()], strict=True))
        self.fit_above(lambda short: self._place(columns, short))

    def _segments(self, columns) -> list[tuple[int, int, Box]]:
        boxes = []
        for c, column in enumerate(columns):
            a, b = self.position_pt(c - 0.3), self.position_pt(c + 0.3)
            running = 0.0
            for i, value in enumerate(column):
                boxes.append((c, i, Box(a, self.value_pt(running), b, self.value_pt(running + value))))
                running += value
        return boxes

    def _place(self, columns, short: bool) -> float:
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
                self.labels.append(Label(text, Box(middle_x - width / 2, middle_y - height / 2,
                                                   middle_x + width / 2, middle_y + height / 2),
                                         colour="white" if i == 0 else INK, boxed=i > 0))
            else:
                self.all_labelled = False
        if self.m > 1:
            for c, column in enumerate(columns):
                text = f"Total {format_value(sum(column), self.unit, short)}"
                column_boxes = [box for cc, _i, box in segments if cc == c]
                top = Box(column_boxes[0].x0, column_boxes[0].y0, column_boxes[0].x1,
                          max(box.y1 for box in column_boxes))
                label = self.label_past(text, top, sum(column), obstacles, False)
                if label is None:
                    self.all_labelled = False
                else:
                    self.labels.append(label)
        if self.named:
            last = [box for cc, _i, box in segments if cc == len(columns) - 1]
            wanted = [(last[i].y0 + last[i].y1) / 2 for i in range(self.m)]
            self.names_at(wanted, last[0].x1 + PAD)
        return self.overrun()[0]

    def draw_marks(self, axes: Axes) -> None:
        bottoms = [0.0] * self.n
        for i, (name, values) in enumerate(self.series.items()):
            drawn = [v or 0 for v in values]
            axes.bar(range(self.n), drawn, 0.6, bottom=bottoms, label=name,
                     color=self.colours[i % len(self.colours)],
                     hatch=HATCHES[i % len(HATCHES)], edgecolor="white", linewidth=0.8)
            bottoms = [b + v for b, v in zip(bottoms, drawn, strict=True)]
