"""What a reader without sight gets of a chart: alt text, its figures as a sentence, its table."""

from __future__ import annotations

from briefing.meeting.models import DataSet
from briefing.rendering.charts.kinds import kind_named
from briefing.rendering.charts.numbers import format_number


def alt_text(dataset: DataSet) -> str:
    """The message first (headline or title), then every figure, then the caveat."""
    headline = (dataset.headline or "").strip().rstrip(".")
    unit = f" ({dataset.unit})" if dataset.unit else ""
    title = dataset.title
    if len(title) > 1 and not title[1].isupper():
        title = title[0].lower() + title[1:]
    described = kind_named(dataset.kind).description
    if headline and headline != dataset.title:
        text = f"{headline}. {described} of {title}{unit}: {_figures(dataset)}."
    else:
        text = f"{dataset.title}{unit}. {described}: {_figures(dataset)}."
    caveat = (dataset.caveat or "").strip()
    return f"{text} {caveat}" if caveat else text


def needs_sentence(dataset: DataSet) -> bool:
    """Fewer than three values, or all of them in one category: a sentence, not a chart."""
    values = [v for series in dataset.series.values() for v in series if v is not None]
    categories = {category for index, category in enumerate(dataset.categories)
                  if any(series[index] for series in dataset.series.values())}
    return len(values) < 3 or len(categories) <= 1


def figures_sentence(dataset: DataSet) -> str:
    """A data set too small to chart, as one sentence: its headline or title, then its figures."""
    lead = (dataset.headline or "").strip().rstrip(".") or dataset.title
    unit = f" ({dataset.unit})" if dataset.unit else ""
    return f"{lead}{unit}: {_figures(dataset)}."


def _figures(dataset: DataSet) -> str:
    """Every figure in words: "Community members 18, Police officers 16" (series named if many)."""
    parts = []
    for name, values in dataset.series.items():
        figures = ", ".join(f"{category} {format_number(value)}"
                            for category, value in zip(dataset.categories, values, strict=True))
        parts.append(figures if len(dataset.series) == 1 else f"{name}: {figures}")
    return "; ".join(parts)


def data_table(dataset: DataSet) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    headers = ("", *dataset.series)
    rows = tuple((category, *(format_number(values[index]) for values in dataset.series.values()))
                 for index, category in enumerate(dataset.categories))
    return headers, rows
