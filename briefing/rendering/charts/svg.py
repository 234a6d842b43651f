"""A chart's SVG: its kind lays it out and draws it in the house style, its text in the document's fonts."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

from briefing.meeting.models import DataSet
from briefing.rendering.charts.kinds import kind_named
from briefing.rendering.charts.specs import ChartSize
from briefing.rendering.charts.style import rc_style

# Text stays text (svg.fonttype "none"): WeasyPrint sets it in the document's own shipped
# fonts (shaping each run whole: see svgtext.py), three times faster than drawing every glyph
# as a path, and it can be searched and copied. matplotlib lays the text out with Noto Sans
# metrics, the first font of the chain.
# No spaces after the commas: WeasyPrint 70's SVG text splits the list on "," and strips only
# quotes, so " 'Briefing Sans Arabic'" would name no font and the host's font would be used.
DOCUMENT_FONTS = b"font-family: 'Briefing Sans','Briefing Sans Arabic','Briefing Sans Bengali'"


def chart_svg(dataset: DataSet, font_path: Path | None, size: ChartSize | None = None) -> bytes:
    """The chart as SVG, drawn at the size it prints: nothing stretches it afterwards."""
    import matplotlib

    size = size or ChartSize()
    with matplotlib.rc_context(rc_style(font_path, size.text)):
        plot = kind_named(dataset.kind)(dataset, size)
        plot.lay_out()
        return _use_document_fonts(_dots_as_round_caps(_svg_bytes(plot.render())))


def _svg_bytes(figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # "Glyph … missing from font(s)": fontcheck already warns about such characters
        # with their file and line; WeasyPrint sets chart text in the document's fonts.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def _use_document_fonts(svg: bytes) -> bytes:
    return re.sub(rb"font-family: [^;\"]*", DOCUMENT_FONTS, svg)


# matplotlib draws the dotted hatch as 324 small circles a tile, each a move, eight curves
# and a close, filled and stroked. WeasyPrint reads a pattern's path again for every shape
# it fills (each bar), so a twelve-bar series in dots took a second to print. A stroke of no
# length with round caps paints the same disc (PDF draws a round cap at a point), from two
# points instead of twenty-five: the same picture, read twelve times faster.
_DOTTED_PATH = re.compile(rb'<path d="((?:M [^\n]*\n(?:C [^\n]*\n){8}z\n)+)" '
                          rb'style="([^"]*)stroke-width: ([0-9.]+); stroke-linecap: butt')
_CIRCLE = re.compile(rb"M [^\n]*\n((?:C [^\n]*\n){8})z\n")


def _dots_as_round_caps(svg: bytes) -> bytes:
    """The SVG with each hatch pattern of dots drawn as round-capped points (see above)."""
    def as_points(path) -> bytes:
        dots, radius = [], 0.0
        for circle in _CIRCLE.finditer(path.group(1)):
            ends = [line.split()[-2:] for line in circle.group(1).splitlines()]
            xs, ys = [float(x) for x, _y in ends], [float(y) for _x, y in ends]
            x, y = sum(xs) / len(xs), sum(ys) / len(ys)
            radius = max(radius, (max(xs) - min(xs)) / 2)
            dots.append(b"M %s %s \nL %s %s \n" % (_number(x), _number(y), _number(x + 0.01),
                                                   _number(y)))
        width = float(path.group(3)) + 2 * radius  # the stroke's width, and the disc's
        return (b'<path d="' + b"".join(dots) + b'" style="' + path.group(2)
                + b"stroke-width: " + _number(width) + b"; stroke-linecap: round")

    return _DOTTED_PATH.sub(as_points, svg)


def _number(value: float) -> bytes:
    text = (b"%.6f" % value).rstrip(b"0").rstrip(b".")
    return b"0" if text in (b"-0", b"") else text

