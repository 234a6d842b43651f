"""Turn a meeting file into a PDF the way a developer would in an afternoon: the speed baseline.

benchmarks/run.py times this beside `briefing build` (the "naive" measure). It does what a
hand-written script would: `yaml.safe_load`, four charts with matplotlib's object API (SVG,
text kept as text), one Jinja template, the same Noto Sans fonts, and WeasyPrint's
`write_pdf(pdf_variant="pdf/ua-1")`. No checks, no editions, no caching, no post-processing.

Usage:  .venv/bin/python benchmarks/naive_script.py MEETING.yaml OUT.pdf
"""

from __future__ import annotations

import io
import sys
from collections import Counter
from pathlib import Path

import jinja2
import yaml
from matplotlib.figure import Figure
from weasyprint import HTML

FONTS = Path(__file__).resolve().parent.parent / "layouts" / "base" / "fonts"
PALETTE = ["#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1"]

TEMPLATE = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{{ m.meeting.title }}</title>
<style>
@font-face { font-family: Noto Sans; src: url("{{ fonts }}/NotoSans-Regular.ttf"); }
@font-face { font-family: Noto Sans; font-weight: bold; src: url("{{ fonts }}/NotoSans-Bold.ttf"); }
@page { size: A4; margin: 25mm 20mm;
        @top-center { content: "{{ marking }}"; font: bold 10pt Noto Sans; }
        @bottom-center { content: "{{ marking }}"; font: bold 10pt Noto Sans; }
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 10pt Noto Sans; } }
body { font: 12pt/1.4 Noto Sans; }
h1 { font-size: 24pt; } h2 { font-size: 16pt; break-before: page; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #999; padding: 4pt; text-align: left; }
img { width: 100%; }
</style></head><body>
<h1>{{ m.meeting.title }}</h1>
<p>{{ m.meeting.date }}, {{ m.meeting.venue }}</p>
<h2>Summary</h2><p>{{ m.summary }}</p>
{% if m.questions %}<h2>Questions</h2><ul>{% for q in m.questions %}<li>{{ q }}</li>{% endfor %}</ul>{% endif %}
<h2>Attendance</h2><img src="{{ charts.attendance }}" alt="Attendance by group">
<h2>What we heard</h2>
{% for theme in m.themes %}<h3>{{ theme.title }}</h3><p>{{ theme.summary or "" }}</p>
<ul>{% for p in theme.points or [] %}<li>{{ p }}</li>{% endfor %}</ul>
{% for q in m.quotes or [] if q.theme == theme.id %}
<blockquote>“{{ q.text }}” – {{ q.speaker or "an attendee" }}</blockquote>{% endfor %}
{% endfor %}
<img src="{{ charts.themes }}" alt="Points and quotes per theme">
<h2>Action log</h2><img src="{{ charts.actions }}" alt="Actions by status">
<table><thead><tr><th>ID</th><th>Action</th><th>Owner</th><th>Due</th><th>Status</th></tr></thead>
{% for a in m.actions or [] %}<tr><td>{{ a.id }}</td><td>{{ a.action }}</td><td>{{ a.owner or "" }}</td>
<td>{{ a.due or "" }}</td><td>{{ a.status or "open" }}</td></tr>{% endfor %}
</table>
<h2>Figures</h2>
{% for d in m.data or [] %}<h3>{{ d.title }}</h3><img src="{{ charts[d.id] }}" alt="{{ d.title }}">
<p>Source: {{ d.source }}</p>{% endfor %}
</body></html>"""


def svg_data_url(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    from urllib.parse import quote

    return "data:image/svg+xml," + quote(buffer.getvalue())


def bar_chart(title: str, labels: list[str], values: list[float], horizontal: bool = True) -> str:
    figure = Figure(figsize=(6.3, 0.5 + 0.45 * max(len(labels), 2)))
    axes = figure.add_subplot()
    positions = range(len(labels))
    if horizontal:
        bars = axes.barh(positions, values, color=PALETTE[0])
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()
    else:
        bars = axes.bar(positions, values, color=PALETTE[0])
        axes.set_xticks(list(positions), labels)
    axes.bar_label(bars, padding=3)
    axes.set_title(title, loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    return svg_data_url(figure)


def main(meeting_path: str, out_path: str) -> None:
    import matplotlib
    from matplotlib import font_manager

    for face in ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"):
        font_manager.fontManager.addfont(FONTS / face)
    family = font_manager.FontProperties(fname=FONTS / "NotoSans-Regular.ttf").get_name()
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.family": family,
                                "svg.hashsalt": "naive"})
    m = yaml.safe_load(Path(meeting_path).read_text(encoding="utf-8"))
    attendance = m.get("attendance") or []
    themes = m.get("themes") or []
    quotes = m.get("quotes") or []
    actions = m.get("actions") or []
    statuses = Counter(a.get("status", "open") for a in actions)
    quotes_per_theme = Counter(q.get("theme") for q in quotes)
    charts = {
        "attendance": bar_chart("Attendance by group", [r["group"] for r in attendance],
                                [r["count"] for r in attendance]),
        "themes": bar_chart("Points and quotes per theme", [t["title"] for t in themes],
                            [len(t.get("points") or []) + quotes_per_theme[t["id"]] for t in themes]),
        "actions": bar_chart("Actions by status", ["open", "in-progress", "done", "dropped"],
                             [statuses[s] for s in ("open", "in-progress", "done", "dropped")],
                             horizontal=False),
    }
    for dataset in m.get("data") or []:
        (name, values), = list(dataset["series"].items())[:1]
        charts[dataset["id"]] = bar_chart(f"{dataset['title']} ({name})",
                                          [str(c) for c in dataset["categories"]], values,
                                          horizontal=dataset.get("kind") == "barh")
    marking = (m.get("marking") or {}).get("classification", "OFFICIAL")
    html = jinja2.Environment(autoescape=True).from_string(TEMPLATE).render(
        m=m, charts=charts, marking=marking, fonts=FONTS.as_uri())
    HTML(string=html).write_pdf(out_path, pdf_variant="pdf/ua-1")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.splitlines()[-1].strip())
    main(sys.argv[1], sys.argv[2])
