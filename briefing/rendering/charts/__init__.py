"""Turn a meeting's figures into charts: deterministic SVG drawn for the page, words and a table."""

# The only package that draws with matplotlib, and only when a chart is not already in the
# cache. It never touches pyplot's global state: each chart is its own Figure, and the house
# style is applied inside an rc_context. A chart is drawn at the width it prints at, with its
# text at the size it prints at (ChartSize), and every label is measured and placed before
# drawing so that none overlaps another or a bar. Figures too few for a chart become a sentence.
#
# - meeting.py: the charts a meeting and a series call for (`charts_for`, `meeting_datasets`,
#   `series_charts`, `draw`)
# - kinds/: each chart kind, a Plot subclass registered by name with `chart_kind`
# - plot.py: the geometry every kind builds on; placement.py: measured label layout
# - style.py: colours, marks and fonts; svg.py: a kind laid out and drawn as SVG
# - alttext.py: alt text, figures as a sentence, the data table; numbers.py: figures in words
# - cache.py: SVGs by the hash of everything that shapes them (this package's code included)
# - specs.py: Chart (a drawn chart) and ChartSize (how large it prints)

from briefing.rendering.charts.alttext import alt_text, data_table, figures_sentence, needs_sentence
from briefing.rendering.charts.cache import ChartCache, chart_key
from briefing.rendering.charts.kinds import chart_kind, kind_named, kind_names
from briefing.rendering.charts.meeting import charts_for, draw, series_charts
from briefing.rendering.charts.numbers import compact_number, format_number, format_value, unit_phrase
from briefing.rendering.charts.plot import Plot
from briefing.rendering.charts.specs import Chart, ChartSize

__all__ = [
    "Chart", "ChartCache", "ChartSize", "Plot", "alt_text", "chart_key", "chart_kind",
    "charts_for", "compact_number", "data_table", "draw", "figures_sentence", "format_number",
    "format_value", "kind_named", "kind_names", "needs_sentence", "series_charts", "unit_phrase",
]
