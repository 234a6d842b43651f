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
        return _use_document_fonts(_svg_bytes(plot.render()))


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
