"""The charts a meeting and a follow-up series call for, each drawn or put as a sentence."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from briefing.meeting.models import DataSet, MeetingFile
from briefing.rendering.charts.alttext import alt_text, data_table, figures_sentence, needs_sentence
from briefing.rendering.charts.cache import ChartCache
from briefing.rendering.charts.numbers import long_date, unit_phrase
from briefing.rendering.charts.specs import Chart, ChartSize

STATUS_NAMES = {"open": "Open", "in-progress": "In progress", "done": "Done",
                "dropped": "Dropped"}
STATUS_WORDS = {"open": "are open", "in-progress": "are in progress", "done": "are done",
                "dropped": "were dropped"}
ONE_STATUS_WORDS = {"open": "is open", "in-progress": "is in progress", "done": "is done",
                    "dropped": "was dropped"}
MEETING_RECORD = "Meeting record"


def charts_for(content: MeetingFile, font_path: Path | None,
               cache: ChartCache | None = None, size: ChartSize | None = None) -> list[Chart]:
    """Every chart the meeting calls for, in the order the pack prints them.

    A `data:` entry without a source is left out (meetings.py warns about it with its line).
    The pack's own make-up (how many points or quotes each theme has) is never charted.
    """
    cache = cache if cache is not None else ChartCache()
    return [draw(dataset, font_path, cache, size=size, **how)
            for dataset, how in meeting_datasets(content)]


def meeting_datasets(content: MeetingFile) -> list[tuple[DataSet, dict]]:
    """The data sets charts_for draws, each with how it is drawn (draw's keywords); working
    them out draws nothing, so it also says cheaply whether a meeting has any chart."""
    meeting = content.meeting
    where_when = f"{meeting.venue}, {long_date(meeting.date)}"
    datasets = []
    if content.attendance:
        dataset = DataSet(
            id="attendance", title="Attendance by group", kind="barh", unit="people",
            categories=[row.group for row in content.attendance],
            series={"Attendance": [row.count for row in content.attendance]},
            source=MEETING_RECORD)
        datasets.append((dataset, {
            "subtitle": f"Number of people at the meeting by group, {where_when}",
            "sentence": _attendance_sentence(dataset)}))
    if content.actions:
        counts = {status: sum(action.status == status for action in content.actions)
                  for status in STATUS_NAMES}
        dataset = DataSet(
            id="actions", title="Actions by status", kind="bar", unit="actions",
            categories=list(STATUS_NAMES.values()), series={"Actions": list(counts.values())},
            source=f"{MEETING_RECORD}: action log")
        datasets.append((dataset, {
            "subtitle": f"Number of actions by status, as recorded for the meeting at "
                        f"{where_when}",
            "sentence": _actions_sentence(counts)}))
    for dataset in content.data:
        if (dataset.source or "").strip():
            datasets.append((dataset, {"group": "data", "chart_id": f"data-{dataset.id}"}))
    return datasets


def _attendance_sentence(dataset: DataSet) -> str | None:
    if not needs_sentence(dataset):
        return None
    counts = {group: int(count or 0) for group, count
              in zip(dataset.categories, dataset.series["Attendance"], strict=True)}
    total = sum(counts.values())
    present = [group for group, count in counts.items() if count]
    if len(present) == 1 and len(counts) > 2:
        if total == 1:
            return f"The one person at the meeting was in one group: {present[0]}."
        return f"All {total:,} people at the meeting were in one group: {present[0]}."
    return f"{total:,} {'person' if total == 1 else 'people'} attended: " + ", ".join(
        f"{group} {count:,}" for group, count in counts.items()) + "."


def _actions_sentence(counts: dict[str, int]) -> str | None:
    present = [status for status, count in counts.items() if count]
    if len(present) > 1:
        return None
    total = sum(counts.values())
    if not present:
        return "There are no actions."
    if total == 1:
        return f"The only action {ONE_STATUS_WORDS[present[0]]}."
    return f"All {total:,} actions {STATUS_WORDS[present[0]]}."


def series_charts(meetings: Sequence[tuple[str, int, int, int]], font_path: Path | None,
                  cache: ChartCache | None = None,
                  source: str = "Meeting records in this series",
                  size: ChartSize | None = None) -> list[Chart]:
    """Charts across a follow-up series, from (meeting label, attendance, open, done) rows.

    The rows come in the order the meetings were held; "open" counts every action not done
    (open or in progress). Returns attendance per meeting and actions open and done per meeting.
    """
    if not meetings:
        return []
    cache = cache if cache is not None else ChartCache()
    labels = [str(label) for label, *_ in meetings]
    span = f"the {len(labels)} meetings from {labels[0]} to {labels[-1]}"
    attendance = DataSet(
        id="series-attendance", title="Attendance per meeting", kind="line", unit="people",
        categories=labels, series={"Attendance": [int(row[1]) for row in meetings]},
        source=source)
    actions = DataSet(
        id="series-actions", title="Actions open and done per meeting", kind="stacked",
        unit="actions", categories=labels,
        series={"Open": [int(row[2]) for row in meetings],
                "Done": [int(row[3]) for row in meetings]},
        source=source)
    return [draw(attendance, font_path, cache, group="series", size=size,
                 subtitle=f"Number of people at each of {span}"),
            draw(actions, font_path, cache, group="series", size=size,
                 subtitle=f"Number of actions open (or in progress) and done at each of {span}")]


def draw(dataset: DataSet, font_path: Path | None, cache: ChartCache | None = None,
         group: str = "meeting", chart_id: str | None = None, size: ChartSize | None = None,
         subtitle: str | None = None, sentence: str | None = None) -> Chart:
    """The chart for a data set, or the sentence that stands for it when it has too few values."""
    headers, rows = data_table(dataset)
    headline = (dataset.headline or "").strip() or dataset.title
    if subtitle is None:
        subtitle = unit_phrase(dataset.unit)
        if headline != dataset.title:
            subtitle = f"{dataset.title}. {subtitle}"
    if sentence is None and needs_sentence(dataset):
        sentence = figures_sentence(dataset)
    svg = b"" if sentence else (cache if cache is not None else ChartCache()).svg(
        dataset, font_path, size or ChartSize())
    return Chart(id=chart_id or dataset.id, title=dataset.title, svg=svg,
                 alt=alt_text(dataset), headers=headers, rows=rows, unit=dataset.unit,
                 source=dataset.source, caveat=dataset.caveat, kind=dataset.kind, group=group,
                 headline=headline, subtitle=subtitle, sentence=sentence)
