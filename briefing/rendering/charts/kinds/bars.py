"""Bar charts, upright (`bar`) and horizontal (`barh`): a bar per category and series, its value at its end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefing.rendering.charts.kinds import chart_kind
from briefing.rendering.charts.numbers import format_value
from briefing.rendering.charts.placement import LINE, PAD, Box, Label, stretch
from briefing.rendering.charts.plot import Plot
from briefing.rendering.charts.style import AXIS, HATCHES

if TYPE_CHECKING:
    from matplotlib.axes import Axes


class Bars(Plot):
    """What upright and horizontal bars share: where the bars stand and how their values are
    labelled, from full figures down to a value axis."""

    stack_labels = False  # may labels stand above each other, as a last try before the axis

    def middle(self, c: int, i: int) -> float:
        """The category position of the middle of series i's bar in category c."""
        step = 0.8 / self.m
        return c - 0.4 + step * (i + 0.5)

    def bar_boxes(self) -> list[tuple[int, int, Box]]:
        """(category, series, box) of every bar, in points."""
        boxes = []
        step = 0.8 / self.m
        for i, values in enumerate(self.series.values()):
            for c, value in enumerate(values):
                middle = self.middle(c, i)
                a, b = self.position_pt(middle - step * 0.45), self.position_pt(middle + step * 0.45)
                v0, v1 = self.value_pt(min(0, value or 0)), self.value_pt(max(0, value or 0))
                boxes.append((c, i, self.bar_box(a, b, v0, v1)))
        return boxes

    def bar_box(self, a: float, b: float, v0: float, v1: float) -> Box:
        """A bar from category points a to b, and from value points v0 to v1."""
        return Box(min(a, b), v0, max(a, b), v1)

    def series_text(self, i: int, c: int, text: str | None) -> str | None:
        """The label of series i's bar in category c, given its value's text (None: no value)."""
        return text

    def name_series(self, order: list[tuple[int, int, Box]], obstacles: list[Box]) -> None:
        """Name the series on the chart, where the value labels did not."""

    def place_labels(self) -> None:
        """Value labels at the ends of the bars: full figures, else shortened (£1.48m), else
        (if the kind may) shortened and moved above each other, else those that cannot fit
        are dropped (and a value axis with gridlines is drawn instead)."""
        texts = {short: [[format_value(v, self.unit, short) for v in values]
                         for values in self.series.values()] for short in (False, True)}
        plans = [(texts[False], False, 0.55)]
        if texts[True] != texts[False]:
            plans.append((texts[True], False, 0.55))
        if self.stack_labels:
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
        self.lo, self.hi = self.value_range()
        for _attempt in range(12):
            self.labels, self.all_labelled = [], True
            overflow = self._place_bar_labels(texts, stack)
            if overflow is None:
                return False  # a label collided and this plan does not drop labels
            grow_hi, grow_lo = overflow
            if grow_hi <= 0.5 and grow_lo <= 0.5:
                break
            span = self.span()
            if grow_hi > 0.5:
                self.hi += stretch(self.lo, self.hi, grow_hi, span)
            if grow_lo > 0.5:
                self.lo -= stretch(self.lo, self.hi, grow_lo, span)
        else:
            if not drop:
                return False
        low, high = self.value_range()
        share = (high - low) / (self.hi - self.lo) if self.hi > self.lo else 1  # left to bars
        if share < least:
            return False
        if drop:
            self._drop_outside()
        return True

    def _drop_outside(self) -> None:
        """After the last plan: drop any label still outside the plot (it had no room)."""
        start, end = self.value_extent()
        kept = []
        for label in self.labels:
            low, high = self.along(label.box)
            if high <= end + 0.5 and low >= start - 0.5:
                kept.append(label)
            else:
                self.all_labelled = False
        self.labels = kept

    def _place_bar_labels(self, texts, stack: bool) -> tuple[float, float] | None:
        """Place labels at the current scale; return how far they overrun the plot at its high
        and low ends (points), or None when one collides. Without texts, only the series'
        names are placed (the value axis then gives the values)."""
        bars = self.bar_boxes()
        obstacles = [box for _c, _i, box in bars]
        order = sorted(bars, key=lambda item: (item[0], item[1]))
        for c, i, bar in order:
            value = list(self.series.values())[i][c]
            if texts is None:
                self.all_labelled = False
            text = self.series_text(i, c, None if texts is None else texts[i][c])
            if text is None:
                continue
            label = self.label_past(text, bar, value, obstacles, stack)
            if label is None:
                if texts is not None:
                    return None
                continue
            self.labels.append(label)
        self.name_series(order, obstacles)
        return self.overrun()

    def bars_on(self, axes: Axes):
        """The matplotlib call that draws these bars."""
        return axes.bar

    def draw_marks(self, axes: Axes) -> None:
        step = 0.8 / self.m
        bars = self.bars_on(axes)
        for i, (name, values) in enumerate(self.series.items()):
            offsets = [self.middle(c, i) for c in range(self.n)]
            bars(offsets, [v or 0 for v in values], step * 0.9, label=name,
                 color=self.colours[i % len(self.colours)], hatch=HATCHES[i % len(HATCHES)])


@chart_kind("bar", "Bar chart")
class Bar(Bars):
    """Upright bars; the series (two to four) named over their first bars."""

    stack_labels = True

    def name_series(self, order: list[tuple[int, int, Box]], obstacles: list[Box]) -> None:
        if not self.named:
            return
        names = list(self.series)
        for c, i, bar in order:
            if c == 0:
                label = self.label_past(names[i], bar, list(self.series.values())[i][0],
                                        obstacles, True)
                if label is not None:  # stacked upwards, a name always finds room
                    self.labels.append(label)


@chart_kind("barh", "Horizontal bar chart")
class HorizontalBar(Bars):
    """Bars lying along the values, the first category at the top: room for long category
    names; the series (two to four) named in their first bars' labels."""

    def frame(self) -> None:
        em, width = self.em, self.size.width
        self.frame_top()
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

    def value_rect(self) -> tuple[float, float]:
        left, _bottom, width, _height = self.rect
        return left, width

    def position_pt(self, position: float) -> float:
        _left, bottom, _width, height = self.rect  # the first category at the top
        return bottom + height - (position + 0.5) / self.n * height

    def along(self, box: Box) -> tuple[float, float]:
        return box.x0, box.x1

    def bar_box(self, a: float, b: float, v0: float, v1: float) -> Box:
        return Box(v0, min(a, b), v1, max(a, b))

    def series_text(self, i: int, c: int, text: str | None) -> str | None:
        if not (self.named and c == 0):
            return text
        name = list(self.series)[i]
        return name if text is None else f"{name}: {text}"

    def label_past(self, text: str, bar: Box, value: float | None, obstacles: list[Box],
                   stack: bool) -> Label | None:
        """Beside the end of the bar (left of a negative one); None if it would collide."""
        width, height = self.measure.box(text)
        middle = (bar.y0 + bar.y1) / 2
        if (value or 0) >= 0:
            box = Box(bar.x1 + PAD, middle - height / 2, bar.x1 + PAD + width, middle + height / 2)
        else:
            box = Box(bar.x0 - PAD - width, middle - height / 2, bar.x0 - PAD, middle + height / 2)
        if self.collides(box, obstacles):  # past the plot's ends: the scale makes room
            return None
        return Label(text, box, "left" if (value or 0) >= 0 else "right")

    def bars_on(self, axes: Axes):
        return axes.barh

    value_axis_name = "x"
    value_spine = "bottom"

    def axes_of(self, axes: Axes):
        return axes.yaxis, axes.xaxis

    def set_limits(self, axes: Axes) -> None:
        axes.set_ylim(self.n - 0.5, -0.5)
        axes.set_xlim(self.lo, self.hi)

    def shown_categories(self) -> list[int]:
        return list(range(self.n))

    def tick_room(self, widest: float) -> float:
        return widest

    def zero_line(self, axes: Axes) -> None:
        if self.lo < 0 < self.hi:
            axes.axvline(0, color=AXIS, linewidth=0.8)
