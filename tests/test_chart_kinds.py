"""Chart kinds are registered by name: a new one is drawn from a meeting file like the built-in ones."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

import briefing
from briefing.errors import InputError
from briefing.rendering.charts import Plot, chart_kind, kind_names
from briefing.rendering.charts import cache as chart_cache
from briefing.rendering.charts import kinds as chart_kinds
from briefing.rendering.charts.numbers import format_value
from briefing.rendering.charts.placement import Box, Label

from conftest import minimal_meeting, normalise, write_meeting

DOTS = {"id": "stops", "title": "Stops by month", "kind": "dots", "unit": "stops",
        "categories": ["April", "May", "June"], "series": {"Stops": [43210, 51234, 38765]},
        "source": "Test source"}


@pytest.fixture
def dots_kind(monkeypatch):
    """A kind the package does not have, registered for this test only: each value a dot,
    labelled above it in short form (43.2k), which only this kind's drawing prints."""
    monkeypatch.setattr(chart_kinds, "KINDS", dict(chart_kinds.KINDS))

    @chart_kind("dots", "Dot chart")
    class Dots(Plot):
        def place_labels(self) -> None:
            values = next(iter(self.series.values()))
            self.fit_above(lambda short: self._place(values))

        def _place(self, values) -> float:
            for c, value in enumerate(values):
                text = format_value(value, self.unit, short=True)
                width, height = self.measure.box(text)
                x, y = self.position_pt(c), self.value_pt(value) + 0.5 * self.em
                self.labels.append(Label(text, Box(x - width / 2, y, x + width / 2, y + height)))
            return self.overrun()[0]

        def draw_marks(self, axes) -> None:
            for name, values in self.series.items():
                axes.plot(range(self.n), values, linestyle="none", marker="o", label=name)

    return Dots


def _figure_alts(pdf_bytes: bytes) -> list[str]:
    import pikepdf
    from test_pipeline import _struct_elements

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return [str(element.get("/Alt", "")) for element in
                _struct_elements(pdf.Root.StructTreeRoot) if element.get("/S") == "/Figure"]


def test_a_registered_kind_is_drawn_from_a_meeting_file(workspace, dots_kind):
    from pypdf import PdfReader

    path = write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(data=[DOTS]))
    assert "dots" in kind_names()

    pdf = briefing.render(path)

    assert _figure_alts(pdf) == [
        "Stops by month (stops). Dot chart: April 43,210, May 51,234, June 38,765."]
    text = normalise(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages))
    for label in ("43.2k", "51.2k", "38.8k"):  # the kind's own labels, drawn in its SVG
        assert label in text
    assert "Source: Test source." in text


def test_an_unregistered_kind_is_an_error_naming_the_kinds_there_are(workspace):
    path = write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(data=[DOTS]))
    with pytest.raises(InputError) as error:
        briefing.render(path)
    assert str(error.value) == ("inputs/m.yaml:13:9: `data[0].kind` should be one of bar, barh, "
                                "line or stacked; found the text 'dots'")


def test_the_schema_lists_the_registered_kinds(dots_kind):
    from briefing.meeting.schema import meeting_schema

    kind = meeting_schema()["$defs"]["DataSet"]["properties"]["kind"]
    assert kind["enum"] == ["bar", "barh", "dots", "line", "stacked"]
    assert kind["default"] == "bar"


def test_the_cache_key_covers_every_module_of_the_charts_package(tmp_path):
    """Editing any module of the package (a kind, the placement) draws its charts afresh."""
    package = Path(chart_cache.__file__).parent
    digest = chart_cache.code_digest(str(package))
    unchanged = shutil.copytree(package, tmp_path / "unchanged",
                                ignore=shutil.ignore_patterns("__pycache__"))
    assert chart_cache.code_digest(str(unchanged)) == digest  # the same code, the same hash
    for module in ("kinds/line.py", "placement.py"):
        edited = shutil.copytree(package, tmp_path / module.replace("/", "-"),
                                 ignore=shutil.ignore_patterns("__pycache__"))
        with (edited / module).open("a", encoding="utf-8") as file:
            file.write("# edited\n")
        assert chart_cache.code_digest(str(edited)) != digest


def test_a_label_a_rounding_error_from_another_is_placed_not_moved_for_ever():
    """Coordinates from a 40-category, 6-series bar chart of negative and positive figures,
    which drew for ever: the label below a negative bar sits exactly `gap` under another
    label, (y0 - gap) + gap comes out a hair over y0, so the other label counted as met, and
    moving clear of it moved the label nowhere. (Run in a thread: on code that loops, the
    test fails after a minute rather than hanging the suite.)"""
    import threading

    from briefing.rendering.charts.placement import PAD, stacked_past

    gap, bottom = 3.5999999999999996, -24.92946968748823
    other = Box(29.366359375, -21.32946968748823, 70.98364062499999, -5.72946968748823)
    assert other.y0 < bottom + gap and other.y0 - gap == bottom  # met, and moving is no move
    bar = Box(53.0, bottom + PAD, 55.0, 100.0)  # the label starts at `bottom`, PAD under it
    placed = []
    worker = threading.Thread(target=lambda: placed.append(stacked_past(
        50.78664062499999, 91.68335937499998, 15.600000000000001, False, [bar],
        [Label("-11,694", other)], gap, True)), daemon=True)
    worker.start()
    worker.join(60)
    assert placed, "the label was still being moved after a minute"
    assert placed[0] == Box(50.78664062499999, bottom - 15.600000000000001, 91.68335937499998,
                            bottom)


def _stacked_past_by_looking_again(x0, x1, height, upward, obstacles, labels, gap, stack):
    """The placement as first written: after each move, look again at every placed label
    (with the same guard against a move that moves nothing)."""
    def clear_of(boxes, space):
        if upward:
            y0 = max(b.y1 for b in boxes) + space
            return Box(x0, y0, x1, y0 + height)
        y1 = min(b.y0 for b in boxes) - space
        return Box(x0, y1 - height, x1, y1)

    from briefing.rendering.charts.placement import PAD

    box = clear_of([o for o in obstacles if o.x0 < x1 + gap and x0 < o.x1 + gap], PAD)
    while True:
        hits = [label.box for label in labels if box.overlaps(label.box, gap)]
        if not hits:
            return box
        if not stack:
            return None
        moved = clear_of(hits, gap)
        if moved == box:
            return box
        box = moved


def test_placing_past_a_stack_gives_the_boxes_looking_again_after_each_move_gives():
    """Labels in columns from where the label starts, the way it moves (up, or down under a
    negative bar), many exactly `gap` apart by repeated sums (where rounding bites), some
    overlapping, some to the side; stacking or not: the same box, to the last bit, as the
    slower way of looking at every label again after each move."""
    import random

    from briefing.rendering.charts.placement import PAD, stacked_past

    chance = random.Random(20261129)
    for _case in range(3_000):
        gap = chance.choice([3.5999999999999996, 0.3 * 11, 0.1 + 0.2, 2.4])
        height = chance.choice([15.600000000000001, 11.7, 20.8])
        upward = chance.random() < 0.5
        bar_end = chance.uniform(-60, 60)  # the top of a bar, or the bottom of a negative one
        bar = (Box(12.0, bar_end - 40, 18.0, bar_end) if upward
               else Box(12.0, bar_end, 18.0, bar_end + 40))
        edge = bar_end + PAD if upward else bar_end - PAD  # where the label starts
        labels = []
        for _label in range(chance.randint(0, 12)):
            apart = chance.choice([gap, gap, gap * 0.5, 0.0, -height / 2, chance.uniform(0, 9)])
            left = chance.choice([0.0, 10.0, 20.0 + gap, chance.uniform(-30, 60)])
            if upward:
                box = Box(left, edge + apart, left + 30.0, edge + apart + height)
                edge = box.y1
            else:
                box = Box(left, edge - apart - height, left + 30.0, edge - apart)
                edge = box.y0
            labels.append(Label("9", box))
        if chance.random() < 0.5:  # one behind where it starts, `gap` or a little less away
            behind = chance.choice([gap, gap, gap * 0.9])
            if upward:  # under the label's bottom, bar_end + PAD
                start = bar_end + PAD
                labels.append(Label("9", Box(5.0, start - behind - height, 35.0, start - behind)))
            else:  # over the label's top, bar_end - PAD
                start = bar_end - PAD
                labels.append(Label("9", Box(5.0, start + behind, 35.0, start + behind + height)))
        chance.shuffle(labels)
        x0 = chance.uniform(-5, 11)  # the label is over (or under) its bar, 12 to 18
        arguments = (x0, x0 + 24.0, height, upward, [bar], labels, gap, chance.random() < 0.8)
        assert repr(stacked_past(*arguments)) == repr(_stacked_past_by_looking_again(*arguments))
