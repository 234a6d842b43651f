"""What a chart is once drawn (Chart) and the size it is drawn and printed at (ChartSize)."""

from __future__ import annotations

from dataclasses import dataclass


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
