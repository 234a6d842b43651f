"""Charts as they print: shaping, printed text sizes, label collisions, sentences and alt text,
read back from PDFs the real command line builds on A4 and A5 in the pack and large print."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_pipeline import _struct_elements

from briefing.meeting.models import DataSet
from briefing.rendering.charts import alt_text, draw

from conftest import REPO, pdf_layout, pdf_pages, run_cli, write_meeting

FONTS = REPO / "layouts" / "base" / "fonts"
PAPERS = ("A4", "A5")
LAYOUTS = {"pack": 12.0, "large-print": 16.0}  # the least chart text may print at, in points

BENGALI = "গ্রুপ বাংলা"
ARABIC = "مجموعة عربية"
URDU = "اردو گروپ"
LABELS = {BENGALI: "NotoSansBengali-Regular.ttf", ARABIC: "NotoSansArabic-Regular.ttf",
          URDU: "NotoSansArabic-Regular.ttf"}

SCRIPTS = {
    "meeting": {"title": "Chart scripts", "date": "2025-07-12", "venue": "Test hall"},
    "attendance": [{"group": BENGALI, "count": 12}, {"group": ARABIC, "count": 9},
                   {"group": URDU, "count": 5}, {"group": "Polish grupa Łódź", "count": 3}],
    "themes": [{"id": "t1", "title": "Theme one", "points": ["A point"]}],
    # every action open: one category, so a sentence rather than a chart
    "actions": [{"id": f"A{n}", "action": f"Action {n}"} for n in range(1, 7)],
    "data": [{"id": "two", "title": "Stops by month", "unit": "stops",
              "categories": ["April", "May"], "series": {"Stops": [1520, 1384]},
              "source": "Test source"}],
}
MONEY = {
    "meeting": {"title": "Chart money", "date": "2025-07-12", "venue": "Test hall"},
    "themes": [{"id": "t1", "title": "Theme one", "points": ["A point"]}],
    "data": [{"id": "money", "title": "Spending by ward", "kind": "bar", "unit": "£",
              "categories": ["North ward", "South ward", "East ward", "West ward"],
              "series": {"2023-24": [1480000, 1395000, 1620000, 1210000],
                         "2024-25": [1520000, 1410000, 1700000, 1190000]},
              "source": "Council accounts", "caveat": "Figures before the audit."}],
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> Path:
    """Both meetings in the pack and large print, on A4 and on A5: output/<paper>/<stem>/."""
    root = tmp_path_factory.mktemp("chart-print")
    write_meeting(root / "inputs", "scripts.yaml", SCRIPTS)
    write_meeting(root / "inputs", "money.yaml", MONEY)
    for paper in PAPERS:
        result = run_cli("build", "-l", "pack", "-l", "large-print", "-e", "internal",
                         "--paper", paper, "-o", f"output/{paper}", cwd=root)
        assert result.returncode == 0, result.stderr
    return root / "output"


# --- reading the PDF's content streams --------------------------------------------------

@dataclass(frozen=True)
class GlyphRun:
    """One text-showing operator: its font, glyph ids, printed size and whether it is drawn
    inside a /Figure's marked content (a chart's text is; the page's own text is not)."""

    page: int
    font: str
    glyphs: tuple[int, ...]
    size: float
    in_figure: bool


def _times(m, n):
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s,
            e * p + f * r + t, e * q + f * s + u)


def glyph_runs(path: Path) -> list[GlyphRun]:
    """Every Tj/TJ in the PDF with its glyph ids (Identity-H: two bytes each) and the size it
    prints at: the font size times the scale of the text matrix and every enclosing matrix."""
    import pikepdf

    runs: list[GlyphRun] = []

    def walk(content, resources, ctm, in_figure, page):
        saved, tm, font, size, marks = [], (1, 0, 0, 1, 0, 0), "", 0.0, []
        line = tm
        for operands, operator in pikepdf.parse_content_stream(content):
            op = str(operator)
            if op == "q":
                saved.append(ctm)
            elif op == "Q":
                ctm = saved.pop()
            elif op == "cm":
                ctm = _times(tuple(float(x) for x in operands), ctm)
            elif op in ("BDC", "BMC"):
                marks.append(str(operands[0]))
            elif op == "EMC":
                marks.pop()
            elif op == "BT":
                tm = line = (1, 0, 0, 1, 0, 0)
            elif op == "Tf":
                font, size = str(resources.Font[operands[0]].BaseFont), float(operands[1])
            elif op == "Tm":
                tm = line = tuple(float(x) for x in operands)
            elif op in ("Td", "TD"):
                tm = line = _times((1, 0, 0, 1, float(operands[0]), float(operands[1])), line)
            elif op in ("Tj", "TJ", "'", '"'):
                items = operands[0] if op == "TJ" else [operands[-1]]
                data = b"".join(bytes(item) for item in items if isinstance(item, pikepdf.String))
                a, b, c, d, _e, _f = _times(tm, ctm)
                runs.append(GlyphRun(page, font, tuple(int.from_bytes(data[i:i + 2], "big")
                                                       for i in range(0, len(data), 2)),
                                     size * math.sqrt(abs(a * d - b * c)),
                                     in_figure or "/Figure" in marks))
            elif op == "Do":
                xobject = resources.XObject[operands[0]]
                if xobject.get("/Subtype") == "/Form":
                    matrix = tuple(float(x) for x in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))
                    walk(xobject, xobject.get("/Resources", resources), _times(matrix, ctm),
                         in_figure or "/Figure" in marks, page)

    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            walk(page, page.Resources, (1, 0, 0, 1, 0, 0), False, number)
    return runs


def harfbuzz_glyphs(text: str, font_file: str) -> tuple[int, ...]:
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(FONTS / font_file)))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(hb.Font(face), buffer)
    return tuple(info.codepoint for info in buffer.glyph_infos)


def _contains(haystack: tuple[int, ...], needle: tuple[int, ...]) -> bool:
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def _figure_alts(path: Path) -> list[str]:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return [str(element.get("/Alt", "")) for element in _struct_elements(pdf.Root.StructTreeRoot)
                if element.get("/S") == "/Figure"]


# --- shaping ----------------------------------------------------------------------------

@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_bengali_arabic_and_urdu_chart_labels_are_shaped_as_harfbuzz_shapes_them(printed, paper, layout):
    """Each label's glyph ids in the chart are the ids HarfBuzz gives the same text in the same
    shipped font: conjuncts and vowel signs (Bengali) and joined letters (Arabic, Urdu), no
    dotted circles."""
    runs = [run for run in glyph_runs(printed / paper / "scripts" / f"{layout}-internal.pdf")
            if run.in_figure]
    assert runs, "no chart text found"
    for label, font_file in LABELS.items():
        family = "Bengali" if "Bengali" in font_file else "Arabic"
        drawn = [run.glyphs for run in runs if run.font.endswith(f"Briefing-Sans-{family}")]
        expected = harfbuzz_glyphs(label, font_file)
        assert any(_contains(glyphs, expected) for glyphs in drawn), (label, expected, drawn)
    dotted_circle = harfbuzz_glyphs("\u25cc", "NotoSansBengali-Regular.ttf")[0]
    assert not any(dotted_circle in run.glyphs for run in runs if "Bengali" in run.font)


# --- printed sizes ------------------------------------------------------------------------

@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_chart_text_prints_at_body_size_or_more(printed, paper, layout):
    """Every glyph of every chart, at the size it prints (font size times every matrix
    around it): 12 pt or more in the pack, 16 pt or more in large print, on A4 and A5."""
    least = LAYOUTS[layout]
    for meeting in ("scripts", "money"):
        path = printed / paper / meeting / f"{layout}-internal.pdf"
        sizes = [run.size for run in glyph_runs(path) if run.in_figure and run.glyphs]
        assert len(sizes) > 5, (meeting, sizes)
        assert min(sizes) >= least - 0.05, (paper, layout, meeting, min(sizes))
        assert max(sizes) <= least + 0.05  # drawn for its width, not stretched to it
        # read back as text (pdfplumber's words, through PDFium), the chart's series names
        # print at the same sizes
        words = [w for page in pdf_layout(path, fonts=True) for w in page.words]
        named = [w["size"] for w in words if w["text"] in ("2023-24", "2024-25", "North")]
        assert all(size >= least - 0.05 for size in named), named


def test_chart_is_drawn_for_the_width_it_prints_at(printed):
    """The chart image is as wide as A4's or A5's text column (174 mm, 112 mm)."""
    import pdfplumber

    for paper, column in (("A4", 174), ("A5", 112)):
        with pdfplumber.open(printed / paper / "money" / "pack-internal.pdf") as pdf:
            page = next(p for p in pdf.pages if "Figure 1:" in (p.extract_text() or ""))
            white = [r for r in page.rects if r.get("non_stroking_color") in ((1, 1, 1), (1.0, 1.0, 1.0))]
        widest = max(r["x1"] - r["x0"] for r in white)  # the chart's white background
        assert abs(widest - column * 72 / 25.4) < 1.5, (paper, widest)


# --- collisions ---------------------------------------------------------------------------

def _chart_page(path: Path):
    import pdfplumber

    pdf = pdfplumber.open(path)
    for page in pdf.pages:
        if "Source: Council accounts" in (page.extract_text() or ""):
            return pdf, page
    raise AssertionError("no chart page")


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_seven_digit_grouped_bars_print_no_label_over_another_or_a_bar(printed, paper, layout):
    """£1,480,000 and its neighbours, two series side by side: every word of the chart (values,
    series names, categories) is clear of every other and of every bar."""
    pdf, page = _chart_page(printed / paper / "money" / f"{layout}-internal.pdf")
    with pdf:
        words = page.extract_words(keep_blank_chars=False)
        source = next(w for w in words if w["text"] == "Source:")
        # the chart lies between what is printed above it (the section heading, and the
        # figure's title and subtitle) and its source line
        above = max(w["bottom"] for w in words if w["top"] < source["top"]
                    and w["text"] in ("Figures", "Figure", "Pounds"))
        caption_lines = {round(w["top"]) for w in words if w["text"] in ("Spending", "ward (£)")}
        labels = [w for w in words if above < w["top"] and w["bottom"] < source["top"]
                  and round(w["top"]) not in caption_lines]
        bars = [r for r in page.rects if above < r["top"] < source["top"]
                and r["x1"] - r["x0"] < page.width / 3 and r["bottom"] - r["top"] > 1
                and r.get("non_stroking_color") not in ((1, 1, 1), (1.0, 1.0, 1.0))]
    assert len(bars) >= 8, bars
    assert len(labels) >= 8, labels

    def overlap(a, b, slack=0.5):
        return (a["x0"] < b["x1"] - slack and b["x0"] < a["x1"] - slack
                and a["top"] < b["bottom"] - slack and b["top"] < a["bottom"] - slack)

    clashes = [(a["text"], b["text"]) for i, a in enumerate(labels) for b in labels[i + 1:]
               if overlap(a, b)]
    assert not clashes, clashes
    over_bars = [(w["text"], round(b["x0"]), round(b["top"])) for w in labels for b in bars
                 if overlap(w, b)]
    assert not over_bars, over_bars
    texts = " ".join(w["text"] for w in labels)
    for expected in ("2023-24", "2024-25", "North", "West"):
        assert expected in texts
    # the values are labelled, or where they cannot all fit at this size, a value axis gives them
    assert "£1.48m" in texts or "£1,480,000" in texts or "£1.5m" in texts


def test_no_legend_and_no_gridlines_when_every_value_is_labelled(printed):
    """The grouped bars name their two series on the chart and label every value: no legend
    swatches, no gridlines, no value axis."""
    pdf, page = _chart_page(printed / "A4" / "money" / "pack-internal.pdf")
    with pdf:
        found = page.extract_words()
        source = next(w for w in found if w["text"] == "Source:")
        # only the chart: the data annex may follow it on the same page, naming the series again
        words = [w["text"] for w in found if w["bottom"] <= source["top"]]
        thin = [line for line in page.lines if abs(line["top"] - line["bottom"]) < 0.1
                and line["x1"] - line["x0"] > 100 and line["bottom"] <= source["top"]]
    assert words.count("2023-24") == 1 and words.count("2024-25") == 1  # named once, directly
    for value in ("£1.48m", "£1.52m", "£1.21m", "£1.19m", "£1.62m", "£1.7m"):
        assert value in words
    assert len(thin) <= 1, thin  # at most the baseline: no gridlines


# --- sentences instead of charts ----------------------------------------------------------

def test_too_few_values_or_one_category_print_as_a_sentence(printed):
    path = printed / "A4" / "scripts" / "pack-internal.pdf"
    text = " ".join(pdf_pages(path))
    assert "All 6 actions are open." in text
    assert "Stops by month (stops): April 1,520, May 1,384." in text
    alts = _figure_alts(path)
    assert len(alts) == 1 and alts[0].startswith("Attendance by group"), alts  # the only chart
    assert "Points and quotes by theme" not in text  # the pack's own make-up is never charted


@pytest.mark.parametrize(("categories", "series", "sentence"), [
    (["A", "B"], {"S": [1, 2]}, True),  # two values
    (["A", "B", "C"], {"S": [5, 0, 0]}, True),  # one category
    (["A", "B", "C"], {"S": [5, None, None]}, True),  # one value
    (["A", "B", "C"], {"S": [5, 0, 1]}, False),
    (["A", "B"], {"S": [1, 2], "T": [3, 4]}, False),  # four values in two categories
])
def test_sentence_rule(categories, series, sentence):
    from briefing.rendering.charts import needs_sentence

    dataset = DataSet(id="x", title="X", categories=categories, series=series, source="s")
    assert needs_sentence(dataset) is sentence
    chart = draw(dataset, None)
    assert (chart.sentence is not None) is sentence
    assert (chart.svg == b"") is sentence


# --- alt text -----------------------------------------------------------------------------

def test_alt_text_gives_the_headline_then_the_figures_then_the_caveat(printed):
    dataset = DataSet(id="x", title="Spending by ward", headline="East ward spent the most",
                      unit="£", categories=["North", "East", "West"],
                      series={"Spend": [1480000, 1700000, 1190000]}, source="s",
                      caveat="Illustrative only: not real figures.")
    alt = alt_text(dataset)
    assert alt.startswith("East ward spent the most. ")
    assert alt.index("East ward spent") < alt.index("North 1,480,000") < alt.index("Illustrative only")
    assert alt.endswith("Illustrative only: not real figures.")
    # and in the built PDF, for a chart without a headline: its title, figures, caveat
    [alt] = _figure_alts(printed / "A4" / "money" / "pack-internal.pdf")
    assert alt.startswith("Spending by ward (£). Bar chart: ")
    assert alt.index("North ward 1,480,000") < alt.index("Figures before the audit.")
    assert alt.endswith("Figures before the audit.")


def test_headline_prints_above_the_chart_with_figure_number_subtitle_and_source(printed):
    path = printed / "A4" / "scripts" / "pack-internal.pdf"
    text = " ".join(pdf_pages(path))
    assert ("Figure 1: Attendance by group Number of people at the meeting by group, Test hall, "
            "12 July 2025") in text
    money = " ".join(pdf_pages(printed / "A4" / "money" / "pack-internal.pdf"))
    assert "Figure 1: Spending by ward Pounds (£)" in money
    assert "Source: Council accounts. Note: Figures before the audit." in money


def test_chart_size_is_in_the_cache_key(tmp_path):
    from briefing.rendering.charts import ChartCache, ChartSize, chart_key

    dataset = DataSet(id="x", title="X", categories=["A", "B", "C"], series={"S": [1, 2, 3]})
    a4, a5 = ChartSize(width=493.23), ChartSize(width=317.48)
    assert chart_key(dataset, None, a4) != chart_key(dataset, None, a5)
    assert chart_key(dataset, None, a4) != chart_key(dataset, None, ChartSize(text=16))
    cache = ChartCache()
    assert cache.svg(dataset, None, a4) != cache.svg(dataset, None, a5)
    assert b'width="317.48' in cache.svg(dataset, None, a5)
    assert cache.drawn == 2


def _dot_centres(svg: bytes) -> set[tuple[float, float]]:
    """The centre of every dot of the dotted hatch: of each circle matplotlib drew (a move,
    eight curves, a close), or of each round-capped point that stands for one."""
    import re

    centres = set()
    for circle in re.finditer(rb"M [^\n]*\n((?:C [^\n]*\n){8})z\n", svg):
        ends = [[float(n) for n in line.split()[-2:]] for line in circle.group(1).splitlines()]
        centres.add((round(sum(x for x, _ in ends) / 8, 2), round(sum(y for _, y in ends) / 8, 2)))
    for point in re.finditer(rb"M (\S+) (\S+) \nL (\S+) (\S+) \n", svg):
        x, y, to_x, to_y = (float(n) for n in point.groups())
        if abs(to_x - x) < 0.05 and to_y == y:  # a point, not a line of another hatch
            centres.add((round(x, 2), round(y, 2)))
    return centres


@pytest.mark.parametrize("kind", ["bar", "stacked"])
def test_the_dotted_hatch_prints_the_same_dots_from_two_points_each(kind):
    """The third series' dots are drawn as round-capped points, which WeasyPrint reads in a
    twelfth of the time it reads matplotlib's circles (it reads a hatch again for every bar):
    the same dots, in the same places, as wide as circle and outline were."""
    import re

    import matplotlib

    from briefing.rendering.charts.kinds import kind_named
    from briefing.rendering.charts.specs import ChartSize
    from briefing.rendering.charts.style import rc_style
    from briefing.rendering.charts.svg import _svg_bytes, chart_svg

    dataset = DataSet(id="d", title="D", kind=kind, categories=["Jan", "Feb", "Mar"],
                      series={"A": [3, 5, 4], "B": [4, 2, 6], "C": [5, 6, 2]})
    with matplotlib.rc_context(rc_style(None, ChartSize().text)):
        plot = kind_named(kind)(dataset, ChartSize())
        plot.lay_out()
        drawn = _svg_bytes(plot.render())  # as matplotlib writes it
    printed = chart_svg(dataset, None)
    assert len(_dot_centres(drawn)) > 300  # a 72-point tile of them
    assert _dot_centres(printed) == _dot_centres(drawn)
    assert re.search(rb"(?:C [^\n]*\n){8}z", printed) is None  # no circle left
    assert b"stroke-width: 2; stroke-linecap: round" in printed  # 0.4 radius, 1.2 outline
    assert printed.count(b"<pattern") == drawn.count(b"<pattern") == 2
