"""Measured label layout shared by the chart kinds: text boxes in points, kept clear of each other."""

from __future__ import annotations

from dataclasses import dataclass

from briefing.rendering.charts.style import INK

# In points and ems of chart text. Boxes are measured a little generously (WeasyPrint sets the
# text with Pango, matplotlib measures it with FreeType).
LINE = 1.3  # the height of a line of chart text, in ems
GAP = 0.3  # ems kept clear between two labels
PAD = 3.0  # points between the end of a bar and its label
WIDTH_MARGIN = 1.05  # measured widths are taken this much wider
MAX_LINES = 3  # a category name wraps onto at most this many lines


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        return (self.x0 < other.x1 + gap and other.x0 < self.x1 + gap
                and self.y0 < other.y1 + gap and other.y0 < self.y1 + gap)


@dataclass(frozen=True)
class Label:
    text: str
    box: Box
    ha: str = "center"
    colour: str = INK
    boxed: bool = False  # on a white ground (inside a hatched bar)


class Measure:
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


def collides(box: Box, labels: list[Label], obstacles: list[Box], gap: float) -> bool:
    """Whether a box comes within `gap` of a placed label, or touches an obstacle (a bar, a point)."""
    return (any(box.overlaps(label.box, gap) for label in labels)
            or any(box.overlaps(o, 0.5) for o in obstacles))


def stacked_past(x0: float, x1: float, height: float, upward: bool, obstacles: list[Box],
                 labels: list[Label], gap: float, stack: bool) -> Box | None:
    """A label's box across x0 to x1, just above the obstacles under it (below them when not
    `upward`); then, if it may stack, past every placed label in its way, else None."""
    beside = [o for o in obstacles if o.x0 < x1 + gap and x0 < o.x1 + gap]

    def clear_of(boxes: list[Box], space: float) -> Box:
        """The label's box just above (or below) all of these boxes."""
        if upward:
            y0 = max(b.y1 for b in boxes) + space
            return Box(x0, y0, x1, y0 + height)
        y1 = min(b.y0 for b in boxes) - space
        return Box(x0, y1 - height, x1, y1)

    # The box keeps its x0 and x1 as it moves up (or down): only labels across them can meet
    # it. Taken in the order the box comes to them, the labels it has come to are a prefix of
    # the column, and it is clear once it is past the furthest of them: the same boxes, at the
    # same coordinates, as looking again at every label after each move, in linear time.
    column = [label.box for label in labels
              if label.box.x0 < x1 + gap and x0 < label.box.x1 + gap]
    column.sort(key=(lambda b: b.y0) if upward else (lambda b: -b.y1))
    box = clear_of(beside, PAD)
    come_to = 0
    furthest: Box | None = None  # of the labels come to: the highest top (lowest bottom)
    while True:
        if upward:
            while come_to < len(column) and column[come_to].y0 < box.y1 + gap:
                if furthest is None or column[come_to].y1 > furthest.y1:
                    furthest = column[come_to]
                come_to += 1
            hit = furthest is not None and box.y0 < furthest.y1 + gap
        else:
            while come_to < len(column) and box.y0 < column[come_to].y1 + gap:
                if furthest is None or column[come_to].y0 < furthest.y0:
                    furthest = column[come_to]
                come_to += 1
            hit = furthest is not None and furthest.y0 < box.y1 + gap
        if not hit:
            return box
        if not stack:
            return None
        moved = clear_of([furthest], gap)
        if moved == box:  # already `gap` from it: a hit only by rounding, (y1 - gap) + gap
            return box    # being a hair over y1; looking again would go round for ever
        box = moved


def spread(wanted: list[float], height: float, gap: float, floor: float,
           ceiling: float) -> dict[int, float]:
    """The bottom of each of these one-line labels, as near its wanted middle as the others
    allow: placed bottom up, each clear of the one below, then pushed down under the ceiling."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed: dict[int, float] = {}
    for i in order:
        y = max(wanted[i] - height / 2, floor)
        placed[i] = y
        floor = y + height + gap
    for i in reversed(order):
        if placed[i] + height > ceiling:
            placed[i] = ceiling - height
        ceiling = placed[i] - gap
    return placed


def stretch(lo: float, hi: float, overflow: float, span: float) -> float:
    """How far to widen the value range lo to hi so that labels overrunning a plot `span` points
    long by `overflow` points fit inside it."""
    return (hi - lo) * overflow / max(span - overflow, span * 0.1)
