"""Charts: each kind from inline figures and from CSV, alt text, tables, cache and the built PDF."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pipeline import _struct_elements

from briefing.config import load_config
from briefing.meeting.datafiles import parse_csv
from briefing.meeting.loading import load_meeting
from briefing.meeting.models import DataSet
from briefing.rendering.charts import (
    ChartCache,
    alt_text,
    chart_key,
    charts_for,
    data_table,
    draw,
    format_number,
    series_charts,
)
from briefing.rendering.layout import LayoutFolders

from conftest import REPO, minimal_meeting, normalise, pdf_pages, run_cli, run_python, write_meeting

FONT = REPO / "layouts" / "base" / "fonts" / "NotoSans-Regular.ttf"
KINDS = ("bar", "barh", "line", "stacked")
PASS_CSV = "Year,Black officers,White officers\n2021,68,80\n2024,75,79.5\n"


def _entry(kind: str, **keys) -> dict:
    return {"id": f"{kind}-figures", "title": f"Figures as {kind}", "kind": kind, "unit": "%",
            "source": "Test source", **keys}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_draws_the_same_chart_from_inline_figures_and_from_csv(workspace, kind):
    (workspace / "inputs" / "data").mkdir()
    (workspace / "inputs" / "data" / "pass.csv").write_text(PASS_CSV, encoding="utf-8")
    inline = _entry(kind, categories=["2021", "2024"],
                    series={"Black officers": [68, 75], "White officers": [80, 79.5]})
    from_csv = {**_entry(kind, csv="data/pass.csv"), "id": "from-csv"}
    path = write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(data=[inline, from_csv]))

    meeting = load_meeting(path)
    loaded = meeting.content.data[1]
    assert loaded.categories == ["2021", "2024"]
    assert loaded.series == {"Black officers": [68, 75], "White officers": [80, 79.5]}
    # separate caches: each SVG is drawn afresh, so equal bytes mean equal input and determinism
    first = charts_for(meeting.content, FONT, ChartCache())
    second = charts_for(meeting.content, FONT, ChartCache())
    data = [chart for chart in first if chart.group == "data"]
    assert [chart.id for chart in data] == [f"data-{kind}-figures", "data-from-csv"]
    assert data[0].svg == data[1].svg
    assert [chart.svg for chart in first] == [chart.svg for chart in second]
    root = ElementTree.fromstring(data[0].svg)
    assert root.tag.endswith("svg")
    kind_name = {"bar": "Bar", "barh": "Horizontal bar", "line": "Line",
                 "stacked": "Stacked bar"}[kind]
    assert data[1].alt.startswith(f"Figures as {kind} (%). {kind_name} chart: ")
    for value in ("2021 68", "2024 75", "2021 80", "2024 79.5"):
        assert value in data[1].alt
    assert data[1].rows == (("2021", "68", "80"), ("2024", "75", "79.5"))


def test_kinds_are_drawn_differently():
    base = {"id": "x", "title": "X", "categories": ["A", "B", "C"], "series": {"S": [1, 2, 3]},
            "source": "s"}
    svgs = {kind: draw(DataSet(**base, kind=kind), FONT).svg for kind in KINDS}
    assert len(set(svgs.values())) == len(KINDS)


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # Latin in an Arabic face
def test_fonts_join_matplotlibs_list_once_and_again_when_changed_or_replaced(tmp_path,
                                                                          monkeypatch):
    """A process drawing charts for hours (`serve`, `watch`) keeps matplotlib's font list the
    same length; a fonts folder whose family another folder also ships has its own file
    measured, then the first's again; a font file replaced in place is measured as the new
    font; and a face matplotlib failed to read once is tried again."""
    import shutil

    from matplotlib import font_manager

    from briefing.rendering.charts.style import rc_style

    manager = font_manager.fontManager
    dataset = DataSet(id="d", title="T", kind="bar", categories=["A", "B", "C", "D"],
                      series={"S": [1, 2, 3, 5]}, source="s")
    first = draw(dataset, FONT).svg
    assert first  # drawn, not a sentence
    listed = len(manager.ttflist)
    for _ in range(3):
        assert draw(dataset, FONT).svg == first
    assert len(manager.ttflist) == listed

    def files_of(family: str) -> set[Path]:
        return {Path(entry.fname).parent for entry in manager.ttflist if entry.name == family}

    other = tmp_path / "fonts" / "Other-Regular.ttf"  # a second copy of Noto Sans
    other.parent.mkdir()
    shutil.copy(FONT, other)
    assert draw(dataset, other).svg == first  # the same font file: the same measurements
    assert files_of("Noto Sans") == {other.parent}
    assert draw(dataset, FONT).svg == first
    assert files_of("Noto Sans") == {FONT.parent} and len(manager.ttflist) == listed

    shutil.copy(FONT.parent / "NotoSansArabic-Regular.ttf", other)  # replaced in place
    assert rc_style(other, 9)["font.family"] == ["Noto Sans Arabic"]
    assert {entry.name for entry in manager.ttflist if entry.fname == str(other)} == {
        "Noto Sans Arabic"}
    replaced = draw(dataset, other).svg
    only_arabic = tmp_path / "arabic" / "Only-Regular.ttf"
    only_arabic.parent.mkdir()
    shutil.copy(FONT.parent / "NotoSansArabic-Regular.ttf", only_arabic)
    assert replaced == draw(dataset, only_arabic).svg  # measured as the new font
    assert draw(dataset, FONT).svg == first
    assert files_of("Noto Sans Arabic") == {FONT.parent} and len(manager.ttflist) == listed

    shipped = rc_style(FONT, 9)["font.family"]
    arabic = str(FONT.parent / "NotoSansArabic-Regular.ttf")
    manager.ttflist = [entry for entry in manager.ttflist if entry.fname != arabic]
    real_font = font_manager.ft2font.FT2Font
    failures = []

    def fails_once(path, *args, **kwargs):  # as when the process is out of file handles
        if os.fsdecode(path) == arabic and not failures:
            failures.append(path)
            raise OSError(24, "Too many open files")
        return real_font(path, *args, **kwargs)

    monkeypatch.setattr(font_manager.ft2font, "FT2Font", fails_once)
    assert "Noto Sans Arabic" not in rc_style(FONT, 9)["font.family"] and failures
    assert rc_style(FONT, 9)["font.family"] == shipped and len(manager.ttflist) == listed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12),
                          st.one_of(st.none(), st.integers(-10**7, 10**7),
                                    st.decimals(-10**6, 10**6, places=3).map(float))),
                min_size=1, max_size=8, unique_by=lambda pair: pair[0]))
def test_alt_text_and_table_hold_every_value(pairs):
    dataset = DataSet(id="x", title="Figures", kind="bar", unit="people",
                      categories=[name for name, _ in pairs],
                      series={"Count": [value for _, value in pairs]})
    alt = alt_text(dataset)
    _, rows = data_table(dataset)
    for (category, value), row in zip(pairs, rows, strict=True):
        assert f"{category} {format_number(value)}" in alt
        assert row == (category, format_number(value))
        if value is not None:  # the words give the exact value back
            assert float(format_number(value).replace(",", "")) == pytest.approx(value)


def test_numbers_are_formatted_for_uk_readers():
    assert format_number(1234567) == "1,234,567"
    assert format_number(1384.5) == "1,384.5"
    assert format_number(0.125) == "0.125"
    assert format_number(75.0) == "75"
    assert format_number(None) == "no data"


def test_labels_short_of_room_use_three_figures_and_the_unit():
    from briefing.rendering.charts import compact_number, format_value, unit_phrase

    assert compact_number(1480000) == "1.48m"
    assert compact_number(1700000) == "1.7m"
    assert compact_number(14800) == "14.8k"
    assert compact_number(2500000000) == "2.5bn"
    assert compact_number(9999) == "9,999"
    assert compact_number(999999) == "1m"
    assert format_value(1480000, "£") == "£1,480,000"
    assert format_value(1480000, "£", short=True) == "£1.48m"
    assert format_value(-1500, "£") == "-£1,500"
    assert format_value(68.5, "%") == "68.5%"
    assert (unit_phrase("people"), unit_phrase("%"), unit_phrase("£"), unit_phrase("m/s")) == (
        "Number of people", "Per cent", "Pounds (£)", "Unit: m/s")


def test_series_charts_show_attendance_and_actions_across_meetings():
    rows = [("May 2025", 30, 6, 0), ("July 2025", 34, 4, 2), ("October 2025", 41, 2, 5)]
    charts = series_charts(rows, FONT)
    assert [(chart.kind, chart.group) for chart in charts] == [("line", "series"),
                                                               ("stacked", "series")]
    attendance, actions = charts
    assert "May 2025 30, July 2025 34, October 2025 41" in attendance.alt
    assert "Open: May 2025 6, July 2025 4, October 2025 2" in actions.alt
    assert "Done: May 2025 0, July 2025 2, October 2025 5" in actions.alt
    assert actions.rows[1] == ("July 2025", "4", "2")
    assert series_charts(rows, FONT)[1].svg == actions.svg
    assert series_charts([], FONT) == []


def test_made_up_counts_are_named_in_the_source_and_marked_in_the_table():
    from briefing.meeting.models import MeetingFile
    from briefing.rendering.charts import charts_for
    from briefing.rendering.illustrative import mark_charts

    def meeting(day: str, made_up: tuple[bool, bool], actions: tuple[bool, ...] = ()):
        return MeetingFile.model_validate({
            **minimal_meeting(), "meeting": {"title": "T", "date": day, "venue": "Hall"},
            "attendance": [{"group": "Residents", "count": 20, "illustrative": made_up[0]},
                           {"group": "Officers", "count": 5, "role": "officials",
                            "illustrative": made_up[1]}],
            "actions": [{"id": f"A{n}", "action": "Act", "status": ["open", "done"][n % 2],
                         "illustrative": flag} for n, flag in enumerate(actions)]})

    def marked(content, *earlier, rows=None) -> dict:
        drawn = series_charts(rows, FONT) if rows else charts_for(content, FONT)
        return {chart.id: chart for chart in mark_charts(drawn, content, earlier)}

    some = marked(meeting("2025-07-12", (True, False), (True, False)))
    attendance = some["attendance"]
    assert attendance.title == "Attendance by group (illustrative)"
    assert attendance.source == "Meeting record; made-up counts: Residents"
    assert [row[0] for row in attendance.rows] == ["Residents (illustrative)", "Officers"]
    assert attendance.alt.endswith(" The counts for Residents are made up for an example, "
                                   "not recorded.")
    # Actions print marked one by one in the action log, which the source points to.
    assert some["actions"].source == ("Meeting record, except actions marked illustrative, "
                                      "which are made up")
    assert "Some of these actions are made up" in some["actions"].alt
    every = marked(meeting("2025-07-12", (True, True), (True, True)))["attendance"]
    assert every.source == "Illustrative counts, made up for an example: not a record of the meeting"
    assert [row[0] for row in every.rows] == ["Residents", "Officers"]  # the title says it once
    assert "These figures are illustrative" in every.alt
    none = marked(meeting("2025-07-12", (False, False), (False,)))
    assert none["attendance"].source == "Meeting record" and "(illustrative)" not in str(none)
    # Across a series, the meetings whose counts are partly made up are the ones named.
    earlier, later = meeting("2025-05-01", (False, False)), meeting("2025-07-12", (False, True))
    series = marked(later, earlier, rows=[("1 May 2025", 25, 0, 0), ("12 Jul 2025", 25, 0, 0)])
    assert series["series-attendance"].source == "Meeting record; made-up counts at 12 Jul 2025"
    assert series["series-attendance"].rows[1][0] == "12 Jul 2025 (illustrative)"
    assert series["series-actions"].source == "Meeting records in this series"


def test_made_up_group_names_joined_in_the_source_are_withheld_like_any_text(workspace):
    document = minimal_meeting(
        attendance=[{"group": "Residents", "count": 20, "illustrative": True},
                    {"group": "Police", "count": 5, "role": "officials", "illustrative": True},
                    {"group": "Councillors", "count": 0, "role": "officials"}],
        quotes=[{"text": "Residents and Police", "consent": "internal"}])
    write_meeting(workspace / "inputs", "m.yaml", document)
    result = run_cli("build", "-l", "pack", "-e", "public", "-e", "internal", cwd=workspace)
    assert result.returncode == 0, result.stderr
    public = " ".join(pdf_pages(workspace / "output" / "m" / "pack-public.pdf"))
    assert "Source: Meeting record; made-up counts:" in public
    assert "Residents and Police" not in public
    internal = " ".join(pdf_pages(workspace / "output" / "m" / "pack-internal.pdf"))
    assert "Source: Meeting record; made-up counts: Residents and Police." in internal


def test_cache_draws_once_per_process_and_once_across_processes(tmp_path):
    dataset = DataSet(id="x", title="X", kind="bar", categories=["A"], series={"S": [1]})
    written = []

    def write(path: Path, data: bytes) -> None:
        if path.suffix == ".svg":  # each SVG is written with its signed record
            written.append(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    key = b"k" * 32
    cache = ChartCache(tmp_path / "charts", write=write, key=key)
    first = cache.svg(dataset, FONT)
    again = cache.svg(dataset.model_copy(update={"title": "Retitled", "source": "New"}), FONT)
    assert (cache.drawn, cache.reused, len(written)) == (1, 1, 1)
    assert again == first
    later = ChartCache(tmp_path / "charts", write=write, key=key)  # the next build
    assert later.svg(dataset, FONT) == first
    assert (later.drawn, later.reused) == (0, 1)
    later.svg(dataset.model_copy(update={"series": {"S": [2]}}), FONT)
    assert later.drawn == 1 and len(written) == 2


def test_a_cached_chart_is_used_only_with_its_signed_record(tmp_path):
    from briefing.files import write_atomically

    dataset = DataSet(id="x", title="X", kind="bar", categories=["A"], series={"S": [1]})
    other = dataset.model_copy(update={"series": {"S": [2]}})
    folder = tmp_path / "charts"
    first = ChartCache(folder, write=write_atomically, key=b"k" * 32)
    real, real_other = first.svg(dataset, FONT), first.svg(other, FONT)
    # A cache written with another key (another machine, or a forger) is not trusted.
    stranger = ChartCache(folder, write=write_atomically, key=b"s" * 32)
    assert stranger.svg(dataset, FONT) == real and stranger.drawn == 1
    # Another chart's SVG and record, swapped in, do not pass for this one.
    key = b"k" * 32
    names = {chart_key(d, FONT): d for d in (dataset, other)}
    a, b = sorted(names)
    svg_a, svg_b = (folder / f"{a}.svg").read_bytes(), (folder / f"{b}.svg").read_bytes()
    rec_a, rec_b = (folder / f"{a}.json").read_bytes(), (folder / f"{b}.json").read_bytes()
    (folder / f"{a}.svg").write_bytes(svg_b)
    (folder / f"{a}.json").write_bytes(rec_b)
    (folder / f"{b}.svg").write_bytes(svg_a)
    (folder / f"{b}.json").write_bytes(rec_a)
    later = ChartCache(folder, write=write_atomically, key=key)
    assert later.svg(dataset, FONT) == real and later.svg(other, FONT) == real_other
    assert later.drawn == 2


def test_cache_location_comes_from_config(workspace):
    assert load_config(workspace).chart_cache == workspace / "output" / ".cache" / "charts"
    (workspace / "briefing.toml").write_text('cache = "cache-here"\n', encoding="utf-8")
    assert load_config(workspace).chart_cache == workspace / "cache-here" / "charts"


# --- CSV problems: file:line: message -----------------------------------------------------

@pytest.mark.parametrize(("text", "line", "message"), [
    ("Year,Rate\n2021,68\n2022\n", 3, "this row has 1 cells but the header has 2"),
    ("Year,Rate\n2021,68\n2022,lots\n", 3, "`lots` in column `Rate` is not a number"),
    ("Year,Rate\n2021,68\n,70\n", 3, "the first cell (the category) is empty"),
    ("Year,Rate\n2021,68\n2021,70\n", 3, "category `2021` is repeated (first on line 2)"),
    ("Year,Rate\n", 1, "has a header row but no rows of figures"),
    ("Year\n2021\n", 1, "the header row needs a column for categories"),
    ("Year,Rate\n2021,\"68\n", 2, "CSV syntax error"),
    ("Year,Rate\n2021,nan\n", 2, "`nan` in column `Rate` is not a number"),
    # float() reads other scripts' digits; the meeting file does not, so neither does its CSV
    ("Year,Rate\n2021,\u0661\u0662\n", 2,
     "`\u0661\u0662` in column `Rate` is not a number; write it with the digits 0 to 9: 12"),
    ("Year,Rate\n2021,\uff11\uff12.5\n", 2, "write it with the digits 0 to 9: 12.5"),
    # no such hint where the digits alone would not make it a number
    ("Year,Rate\n2021,\u0661\u0662abc\n", 2,
     "`\u0661\u0662abc` in column `Rate` is not a number; write digits such as 1234"),
    ("Year,Rate\n2021,12m\u00b2\n", 2, "`12m\u00b2` in column `Rate` is not a number; write digits"),
])
def test_csv_problems_name_the_line(text, line, message):
    found, problems = parse_csv(text.encode("utf-8"), "inputs/data/x.csv")
    assert found is None
    assert any(p.line == line and message in p.message for p in problems), problems
    assert str(problems[0]).startswith(f"inputs/data/x.csv:{problems[0].line}: ")


def test_csv_reads_blank_cells_thousands_and_a_byte_order_mark():
    raw = "\ufeffArea,Stops\nNorth,\"1,520\"\nSouth,\nEast,1_000\n\n".encode()
    (categories, series), problems = parse_csv(raw, "x.csv")
    assert problems == []
    assert categories == ["North", "South", "East"]
    assert series == {"Stops": [1520.0, None, 1000.0]}  # 1_000 as in the meeting file


BAD_CSV = "Year,Rate\n2021,68\n2022,sixty\n2023,70,71\n"


@pytest.fixture
def bad_csv_workspace(workspace):
    (workspace / "inputs" / "data").mkdir()
    (workspace / "inputs" / "data" / "rates.csv").write_text(BAD_CSV, encoding="utf-8")
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(data=[
        {"id": "rates", "title": "Rates", "csv": "data/rates.csv", "source": "s"},
        {"id": "outside", "title": "Outside", "csv": "../secret.csv", "source": "s"}]))
    return workspace


def test_an_inline_category_given_twice_is_a_warning_at_the_second(workspace):
    """A CSV file may not repeat a category; inline, a repeat is warned of (an error would
    stop files that built before), and fails `check --strict`."""
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(data=[
        {"id": "areas", "title": "Areas", "source": "s",
         "categories": ["North", "South", "North"], "series": {"Stops": [1, 2, 3]}}]))
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "category `North` is repeated (also categories[0]); the chart would show two " \
        "entries a reader cannot tell apart: give each category once" in result.stderr
    assert run_cli("check", "--strict", cwd=workspace).returncode == 1


@pytest.mark.parametrize("command", ["check", "build"])
def test_bad_csv_row_is_an_error_with_file_and_line(bad_csv_workspace, command):
    result = run_cli(command, cwd=bad_csv_workspace)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "error: inputs/data/rates.csv:3: `sixty` in column `Rate` is not a number; write " \
           "digits such as 1234 or 12.5, or leave the cell empty for no data" in errors
    assert "error: inputs/data/rates.csv:4: this row has 3 cells but the header has 2; give a " \
           "category and one value per series" in errors
    assert any(e.startswith("error: inputs/m.yaml:") and "../secret.csv" in e for e in errors)
    assert "Traceback" not in result.stderr
    assert not (bad_csv_workspace / "output" / "m").exists()


def test_check_reads_csv_without_loading_matplotlib_or_weasyprint(bad_csv_workspace):
    code = ("import sys\nfrom briefing.cli import main\n"
            "sys.argv = ['briefing', 'check']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 1, e.code\n"
            "print(' '.join(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'weasyprint')) or 'light')\n")
    result = run_python(code, cwd=bad_csv_workspace)
    assert "rates.csv:3:" in result.stderr  # the CSV really was read
    assert result.stdout.split() == ["light"]


def test_data_without_source_warns_with_its_line(workspace):
    write_meeting(workspace / "inputs", "m.yaml",
                  "meeting: {title: T, date: 2025-07-12, venue: V}\n"
                  "themes: [{id: t, title: T, points: [p]}]\n"
                  "data:\n"
                  "  - id: x\n"
                  "    title: X\n"
                  "    categories: [A]\n"
                  "    series: {S: [1]}\n")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0
    assert "warning: inputs/m.yaml:4:5: data `x` has no `source`, so its chart is not printed" \
        in result.stderr
    assert run_cli("check", "--strict", cwd=workspace).returncode == 1


# --- the built PDF, and the second build -------------------------------------------------

BUILD = """
import json, sys
from briefing.batch.build import build
from briefing.config import load_config
report = build(load_config(sys.argv[1], force=True))
print(json.dumps({"matplotlib": "matplotlib" in sys.modules, "built": len(report.built),
                  "failed": report.failed, "warnings": [str(d) for d in report.warnings]}))
"""


def _build_in_fresh_process(workspace: Path) -> dict:
    result = run_python(BUILD, str(workspace), cwd=workspace, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def data_pack(tmp_path_factory):
    """A meeting with built-in, inline and CSV charts and one unsourced figure, built twice."""
    root = tmp_path_factory.mktemp("data-pack")
    (root / "inputs" / "data").mkdir(parents=True)
    (root / "inputs" / "data" / "pass.csv").write_text(PASS_CSV, encoding="utf-8")
    write_meeting(root / "inputs", "m.yaml", minimal_meeting(
        attendance=[{"group": "Residents", "count": 1234}, {"group": "Officers", "count": 16}],
        actions=[{"id": "A1", "action": "Do one thing", "status": "done"},
                 {"id": "A2", "action": "Do another thing"}],
        data=[{"id": "stops", "title": "Stops by month", "kind": "bar", "unit": "stops",
               "categories": ["April", "May"], "series": {"Stops": [1520, 1384.5]},
               "source": "Test source alpha", "caveat": "Test caveat beta"},
              {"id": "pass", "title": "Pass rate by year", "kind": "line", "unit": "%",
               "csv": "data/pass.csv", "source": "Test source gamma"},
              {"id": "unsourced", "title": "Unsourced figure", "kind": "bar",
               "categories": ["X"], "series": {"S": [3]}}]))
    first = _build_in_fresh_process(root)
    cached = sorted((root / "output" / ".cache" / "charts").glob("*.svg"))
    drawn = {path.name: _identity(path) for path in cached}
    pdf = root / "output" / "m" / "pack-internal.pdf"
    first_pdf = pdf.read_bytes()
    second = _build_in_fresh_process(root)
    return {"root": root, "first": first, "second": second, "cached": cached, "pdf": pdf,
            "first_pdf": first_pdf, "drawn": drawn,
            "read": {path.name: _identity(path) for path in cached}}


def _identity(path: Path) -> tuple[int, int]:
    """A cached chart's inode and time: a chart drawn again is written anew (a new file)."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def test_pdf_has_one_figure_with_alt_text_per_chart(data_pack):
    import pikepdf

    with pikepdf.open(data_pack["pdf"]) as pdf:
        alts = [str(element.get("/Alt", "")) for element in
                _struct_elements(pdf.Root.StructTreeRoot) if element.get("/S") == "/Figure"]
    # actions and the line chart; attendance and stops have two values each, so they print
    # as sentences; the unsourced figure not at all; the pack's own make-up is never charted
    assert len(alts) == 2, alts
    expected = ["Open 1, In progress 0, Done 1, Dropped 0",
                "Black officers: 2021 68, 2024 75; White officers: 2021 80, 2024 79.5"]
    for figures, alt in zip(expected, alts, strict=True):
        assert figures in alt, alts


def test_pdf_prints_sources_caveats_and_a_data_annex_but_not_unsourced_figures(data_pack):
    text = " ".join(pdf_pages(data_pack["pdf"]))
    assert "Stops by month (stops): April 1,520, May 1,384.5." in text
    assert "1,250 people attended: Residents 1,234, Officers 16." in text
    assert "Source: Test source alpha." in text
    assert "Test caveat beta" in text
    assert "Source: Test source gamma." in text
    assert "Data annex" in text
    assert normalise("April 1,520 May 1,384.5") in text  # the annex table
    assert "Unsourced figure" not in text
    assert any("m.yaml" in w and "`unsourced` has no `source`" in w
               for w in data_pack["first"]["warnings"])


def test_second_build_reuses_every_chart_without_drawing_it_again(data_pack):
    first, second = data_pack["first"], data_pack["second"]
    assert first["built"] == second["built"] == 1 and not first["failed"]
    # Renders run in worker processes: the build itself never loads matplotlib.
    assert first["matplotlib"] is second["matplotlib"] is False
    assert data_pack["read"] == data_pack["drawn"]  # the second build only read the cache
    assert len(data_pack["cached"]) == 2
    # each SVG with its signed record, and nothing else
    assert sorted((data_pack["root"] / "output" / ".cache" / "charts").iterdir()) == sorted(
        [*data_pack["cached"], *(path.with_suffix(".json") for path in data_pack["cached"])])
    assert data_pack["pdf"].read_bytes() == data_pack["first_pdf"]


def test_svg_bytes_match_across_processes(data_pack):
    meeting = load_meeting(data_pack["root"] / "inputs" / "m.yaml")
    cache = ChartCache()
    size = LayoutFolders(None).layout("pack").chart_size("A4")  # as the build draws them for the pack
    drawn = {chart.svg for chart in charts_for(meeting.content, FONT, cache, size=size)} - {b""}
    assert cache.drawn == 2
    assert drawn == {path.read_bytes() for path in data_pack["cached"]}


def test_sample_pack_prints_its_illustrative_figure_marked_as_such(sample_pack):
    import pikepdf

    with pikepdf.open(sample_pack) as pdf:
        figures = [element for element in _struct_elements(pdf.Root.StructTreeRoot)
                   if element.get("/S") == "/Figure"]
    assert len(figures) == 2  # attendance and the one `data:` entry
    assert all(str(figure.get("/Alt", "")).strip() for figure in figures)
    text = " ".join(pdf_pages(sample_pack))
    assert "All 6 actions are open." in text  # every action open: a sentence, not a chart
    assert "Figure 2: Word of mouth brought the most attendees (illustrative)" in text
    assert "How attendees heard about the meeting (illustrative)" in text
    assert "Illustrative only. These figures were not collected at the meeting" in text
