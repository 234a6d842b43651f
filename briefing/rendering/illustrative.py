"""Mark on the page what a meeting file says is made up, so no invented figure prints as a record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from briefing.meeting.models import MeetingFile
    from briefing.rendering.charts import Chart

MARK = " (illustrative)"
ALT = " These figures are illustrative: made up for an example, not recorded."


@dataclasses.dataclass(frozen=True)
class _MadeUp:
    """What a chart counts, which of those entries are made up, and (where each row of the
    chart's table stands for entries of its own) which rows count a made-up one."""

    what: str  # "counts" or "actions"
    entries: list
    rows: list[bool] | None = None  # None: the entries print marked elsewhere (the action log)
    rows_are_meetings: bool = False  # each row a meeting's total (a series), not a group

    @property
    def some(self) -> bool:
        return any(entry.illustrative for entry in self.entries)

    @property
    def every(self) -> bool:
        return all(entry.illustrative for entry in self.entries)


def _named(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _marked(chart: Chart, made_up: _MadeUp | None = None,
            withhold: Callable[[str], str] = str) -> Chart:
    """The chart titled "… (illustrative)", and its source, table and alt text saying which of
    its figures are made up: all of them, unless `made_up` says only some are."""
    changes = {"title": chart.title + MARK, "alt": chart.alt + ALT}
    headline = getattr(chart, "headline", "")
    if headline and not headline.endswith(MARK):
        changes["headline"] = headline + MARK
    if made_up is None:
        return dataclasses.replace(chart, **changes)
    what = made_up.what
    if made_up.every:
        source = f"Illustrative {what}, made up for an example: not a record of the meeting"
    elif made_up.rows is None:  # each made-up entry is marked where it prints
        source = f"Meeting record, except {what} marked illustrative, which are made up"
        changes["alt"] = (chart.alt + f" Some of these {what} are made up for an example, not "
                          f"recorded: those marked illustrative.")
    else:  # the made-up rows are named in the source and marked in the table
        names = _named([row[0] for row, flag in zip(chart.rows, made_up.rows, strict=True)
                        if flag])
        if made_up.rows_are_meetings:  # a meeting's total is made up in part or in whole
            source = f"Meeting record; made-up {what} at {names}"
            changes["alt"] = chart.alt + (f" Some {what} at {names} are made up for an "
                                          f"example, not recorded.")
        else:
            # Group names, each withheld from as the edition requires, could together spell
            # out a quote it withholds: the joined names pass through `withhold` too.
            names = withhold(names)
            source = f"Meeting record; made-up {what}: {names}"
            changes["alt"] = chart.alt + (f" The {what} for {names} are made up for an "
                                          f"example, not recorded.")
        changes["rows"] = tuple((row[0] + MARK, *row[1:]) if flag else row
                                for row, flag in zip(chart.rows, made_up.rows, strict=True))
    return dataclasses.replace(chart, source=source, **changes)


def mark_charts(charts: list[Chart], content: MeetingFile, earlier: Iterable[MeetingFile] = (),
                withhold: Callable[[str], str] = str) -> list[Chart]:
    """The charts, each one drawn from an illustrative entry titled "… (illustrative)" and,
    where it would have said it came from the meeting record, sourced as made up: all of it,
    or the groups or meetings whose counts are (also marked in the chart's table).
    `withhold` is the edition's withholding, for text this joins from the meeting's words."""
    meetings = (*earlier, content)
    made_up = {
        "attendance": _MadeUp("counts", list(content.attendance),
                              [row.illustrative for row in content.attendance]),
        "actions": _MadeUp("actions", list(content.actions)),
        "series-attendance": _MadeUp(
            "counts", [row for meeting in meetings for row in meeting.attendance],
            [any(row.illustrative for row in meeting.attendance) for meeting in meetings],
            rows_are_meetings=True),
        "series-actions": _MadeUp(
            "actions", [action for meeting in meetings for action in meeting.actions]),
    }
    data = {f"data-{dataset.id}": dataset for dataset in content.data}
    marked = []
    for chart in charts:
        if chart.id in made_up and made_up[chart.id].some:
            chart = _marked(chart, made_up[chart.id], withhold)
        elif chart.id in data and data[chart.id].illustrative:
            chart = _marked(chart)
        marked.append(chart)
    return marked
