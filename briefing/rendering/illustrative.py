"""Mark on the page what a meeting file says is made up, so no invented figure prints as a record."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from briefing.meeting.models import MeetingFile
from briefing.rendering.charts import Chart

MARK = " (illustrative)"
ALT = " These figures are illustrative: made up for an example, not recorded."


def _source(entries: Iterable[object], what: str) -> str:
    entries = list(entries)
    if all(getattr(entry, "illustrative", False) for entry in entries):
        return f"Illustrative {what}, made up for an example: not a record of the meeting"
    return f"Meeting record, except {what} marked illustrative, which are made up"


def _marked(chart: Chart) -> Chart:
    """The chart with "(illustrative)" after its title and headline, and said in its alt text."""
    changes = {"title": chart.title + MARK, "alt": chart.alt + ALT}
    headline = getattr(chart, "headline", "")
    if headline and not headline.endswith(MARK):
        changes["headline"] = headline + MARK
    return dataclasses.replace(chart, **changes)


def mark_charts(charts: list[Chart], content: MeetingFile,
                earlier: Iterable[MeetingFile] = ()) -> list[Chart]:
    """The charts, each one drawn from an illustrative entry titled "… (illustrative)" and,
    where it would have said it came from the meeting record, sourced as made up."""
    earlier = list(earlier)
    made_up = {
        "attendance": ([row for row in content.attendance if row.illustrative],
                       content.attendance, "counts"),
        "actions": ([a for a in content.actions if a.illustrative], content.actions, "actions"),
        "series-attendance": ([row for meeting in (*earlier, content)
                               for row in meeting.attendance if row.illustrative],
                              [row for meeting in (*earlier, content)
                               for row in meeting.attendance], "counts"),
        "series-actions": ([a for meeting in (*earlier, content) for a in meeting.actions
                            if a.illustrative],
                           [a for meeting in (*earlier, content) for a in meeting.actions],
                           "actions"),
    }
    data = {f"data-{dataset.id}": dataset for dataset in content.data}
    marked = []
    for chart in charts:
        if chart.id in made_up and made_up[chart.id][0]:
            _invented, entries, what = made_up[chart.id]
            chart = dataclasses.replace(_marked(chart), source=_source(entries, what))
        elif chart.id in data and data[chart.id].illustrative:
            chart = _marked(chart)
        marked.append(chart)
    return marked
