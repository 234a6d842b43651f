"""The tagged structure a screen reader follows, and fonts that come only from the layouts:
build real PDFs with the CLI and read their structure trees back with pikepdf."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE, pdf_pages, run_cli, with_sample, write_meeting

FIXTURES = REPO / "tests" / "fixtures" / "accessible"
MEETING = "2025-09-tooting"  # 60 actions, emoji, Bengali and Arabic; follows a June meeting
SHIPPED_FONT_NAMES = ("Briefing-Sans", "Noto-Emoji")


BUILD = ("build", "-l", "pack", "-l", "large-print", f"inputs/{SAMPLE.name}",
         f"inputs/{MEETING}.yaml")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sample and the 60-action meeting as packs and large print, built by -j 2 workers
    (forked from the preloaded server)."""
    root = with_sample(tmp_path_factory.mktemp("tagging"))
    for meeting in FIXTURES.glob("*.yaml"):
        shutil.copy(meeting, root / "inputs" / meeting.name)
    result = run_cli(*BUILD, "-j", "2", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "4 built" in result.stderr, result.stderr
    return root / "output"


def test_meeting_with_emoji_passes_validation(built):
    result = run_cli(*BUILD, "--validate", cwd=built.parent)  # validates the built files
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("conforms to PDF/UA-1") == 4, result.stderr
    assert "none of the pack's fonts" not in result.stderr  # every character has a font


def packs(built: Path) -> list[Path]:
    found = sorted(built.glob("*/*.pdf"))
    assert len(found) == 4
    return found


# --- reading the tree ------------------------------------------------------------------------

def kids(element) -> list:
    import pikepdf

    value = element.get("/K")
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]


def elements(element) -> list:
    import pikepdf

    return [kid for kid in kids(element) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]


def walk(element):
    for kid in elements(element):
        yield kid
        yield from walk(kid)


def document(pdf):
    (root,) = elements(pdf.Root.StructTreeRoot)
    return root


def pages_of(element, pdf) -> set[int]:
    """The pages holding an element's marked content."""
    import pikepdf

    numbers = {page.objgen: index for index, page in enumerate(pdf.pages)}
    found = set()
    for item in [element, *walk(element)]:
        for kid in kids(item):
            if isinstance(kid, int):
                found.add(numbers[item.Pg.objgen])
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                found.add(numbers[kid.get("/Pg", item.get("/Pg")).objgen])
    return found


def headings(element) -> list[str]:
    """The headings among an element's children, and inside the plain /Div groups among them
    (the cover keeps its title in one, above its edition band)."""
    found = []
    for kid in elements(element):
        if str(kid.S) in ("/H1", "/H2", "/H3"):
            found.append(str(kid.S))
        elif str(kid.S) == "/Div":
            found += headings(kid)
    return found


# --- the tests -------------------------------------------------------------------------------

def test_one_section_per_part_with_its_themes_nested(built):
    import pikepdf

    for pdf_path, themes in ((built / SAMPLE.stem / "pack-internal.pdf", 7),
                             (built / MEETING / "pack-internal.pdf", 6),
                             (built / MEETING / "large-print-internal.pdf", 6)):
        with pikepdf.open(pdf_path) as pdf:
            parts = elements(document(pdf))
            # a part continued on the next page is not a second, headless section
            for part in parts:
                assert len([h for h in headings(part) if h in ("/H1", "/H2")]) == 1, (
                    pdf_path, [str(kid.S) for kid in elements(part)])
            what_we_heard = [  # the data annex has a section per chart, each with a table
                part for part in parts
                if [str(k.S) for k in elements(part)].count("/Sect") == themes
                and not [e for e in walk(part) if str(e.S) == "/Table"]]
            assert len(what_we_heard) == 1, pdf_path
            for theme in elements(what_we_heard[0]):
                if str(theme.S) == "/Sect":
                    assert headings(theme)[0] == "/H3"
            assert len(pdf.pages) > len(parts) / 2  # the parts did cross pages


def test_paragraph_split_across_pages_is_one_paragraph(built):
    import pikepdf

    with pikepdf.open(built / MEETING / "pack-internal.pdf") as pdf:
        summary = [part for part in elements(document(pdf))
                   if [str(k.S) for k in elements(part)][:2] == ["/H2", "/P"]][0]
        paragraphs = [kid for kid in elements(summary) if str(kid.S) == "/P"]
        assert len(paragraphs) == 2  # the meeting's summary has two paragraphs
        # The first is long enough to run on to the next page, yet is one P.
        assert len(pages_of(paragraphs[0], pdf)) > 1


def test_action_log_is_one_table_and_every_header_cell_is_scoped(built):
    import pikepdf

    with pikepdf.open(built / MEETING / "pack-internal.pdf") as pdf:
        tree = list(walk(document(pdf)))
        tables = [e for e in tree if str(e.S) == "/Table"]
        log = max(tables, key=lambda table: len(list(walk(table))))
        groups = [str(kid.S) for kid in elements(log)]
        assert groups == ["/THead", "/TBody"], groups  # the repeated header row is not content
        body_rows = elements(elements(log)[1])
        assert len(body_rows) == 60 and len(pages_of(log, pdf)) > 2
        ids = {}
        for table in tables:
            for group in elements(table):
                for row in elements(group):
                    for column, cell in enumerate(elements(row)):
                        if str(cell.S) != "/TH":
                            continue
                        assert not [e for e in walk(cell) if str(e.S) in ("/TH", "/TD")]
                        scope = cell.A.Scope
                        if str(group.S) == "/THead":
                            assert scope == "/Column"
                        else:
                            assert column == 0 and scope == "/Row"
                        assert bytes(cell.ID) not in ids
                        ids[bytes(cell.ID)] = cell
        assert len(ids) == len([e for e in tree if str(e.S) == "/TH"]) > 60
        names = pdf.Root.StructTreeRoot.IDTree.Names
        assert {bytes(names[i]) for i in range(0, len(names), 2)} >= set(ids)
        for cell in (e for e in tree if str(e.S) == "/TD"):
            headers = [bytes(h) for h in cell.A.Headers]
            assert len(headers) == 2 and all(h in ids for h in headers)
            assert {str(ids[h].A.Scope) for h in headers} == {"/Row", "/Column"}


def test_each_contents_entry_is_one_link_with_its_text(built):
    import pdfplumber
    import pikepdf

    for pdf_path in packs(built):
        with pikepdf.open(pdf_path) as pdf:
            tree = list(walk(document(pdf)))
            links = [e for e in tree if str(e.S) == "/Link"]
            assert not [e for e in links if str(e.P.S) == "/Link"]
            for link in links:
                references = [kid for kid in kids(link)
                              if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"]
                assert len(references) == 1, pdf_path  # no entry or link wraps in these packs
            contents_page = pdf.pages[1]
            # the contents' entries (the summary's lists, and a figure with its link to the
            # data annex, may follow on the same page)
            entries = [e for e in tree if str(e.S) == "/LI" and contents_page.objgen
                       == e.Pg.objgen and any(str(k.S) == "/Link" for k in walk(e))]
            linked = {kid.Obj.objgen for entry in entries for link in walk(entry)
                      if str(link.S) == "/Link" for kid in kids(link)
                      if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"}
            annotations = [a for a in contents_page.Annots if a.objgen in linked]
            assert len(annotations) == len(entries) > 5, pdf_path
            described = []
            for annotation in annotations:
                assert int(annotation.F) & 4  # printed
                described.append((str(annotation.Contents), sorted(float(v) for v in annotation.Rect)))
            for page in pdf.pages:
                for annotation in page.get("/Annots", []):
                    assert int(annotation.F) & 4
        with pdfplumber.open(pdf_path) as plumbed:
            page = plumbed.pages[1]
            for text, _ in described:
                assert text[0].isupper(), text  # the entry's words, not its target id
            for annotation in annotations:
                x1, y1, x2, y2 = (float(v) for v in annotation.Rect)
                top, bottom = page.height - max(y1, y2), page.height - min(y1, y2)
                shown = page.crop((min(x1, x2), top, max(x1, x2), bottom)).extract_text()
                assert " ".join(shown.split()).startswith(str(annotation.Contents)), shown


def test_figure_boxes_are_in_points_inside_the_page(built):
    import pdfplumber
    import pikepdf

    pdf_path = built / MEETING / "pack-internal.pdf"
    with pikepdf.open(pdf_path) as pdf:
        numbers = {page.objgen: index for index, page in enumerate(pdf.pages)}
        figures = [(numbers[e.Pg.objgen], [float(v) for v in e.A.BBox])
                   for e in walk(document(pdf)) if str(e.S) == "/Figure"]
        sizes = [[float(v) for v in page.MediaBox] for page in pdf.pages]
    assert len(figures) >= 4  # every chart; the pack's own make-up is never charted
    with pdfplumber.open(pdf_path) as plumbed:
        for index, (x1, y1, x2, y2) in figures:
            left, bottom, right, top = sizes[index]
            assert left <= x1 < x2 <= right and bottom <= y1 < y2 <= top
            # the chart's bars are drawn inside the box (pdfplumber measures from the top)
            page = plumbed.pages[index]
            bars = [r for r in page.rects if r["height"] > 2 and r["width"] > 2]
            inside = [r for r in bars if x1 - 1 <= r["x0"] and r["x1"] <= x2 + 1
                      and page.height - y2 - 1 <= r["top"] and r["bottom"] <= page.height - y1 + 1]
            assert inside, (index, (x1, y1, x2, y2))


def test_opens_with_its_title_and_bookmarks(built):
    import pikepdf

    for pdf_path in packs(built):
        with pikepdf.open(pdf_path) as pdf:
            assert pdf.Root.PageMode == "/UseOutlines"
            assert pdf.Root.ViewerPreferences.DisplayDocTitle is True


def test_emoji_print_in_the_shipped_fonts_only(built):
    import pikepdf

    for pdf_path in packs(built):
        with pikepdf.open(pdf_path) as pdf:
            fonts = {str(font.BaseFont).split("+")[-1] for page in pdf.pages
                     for font in page.Resources.Font.values()}
        assert all(name.startswith(SHIPPED_FONT_NAMES) for name in fonts), (pdf_path, fonts)
        if pdf_path.parent.name == MEETING:
            assert {"Noto-Emoji", "Briefing-Sans-Bengali", "Briefing-Sans-Arabic"} <= fonts
    text = " ".join(pdf_pages(built / MEETING / "pack-internal.pdf"))
    for emoji in "🙂😠😢":
        assert emoji in text
    assert "حوار المجتمع" in text


def test_character_no_font_has_prints_as_the_replacement_the_warning_names(workspace):
    write_meeting(workspace / "inputs", "m.yaml",
                  "meeting:\n  title: Test\n  date: 2025-07-12\n  venue: Hall\n"
                  "summary: |\n  A smile 🙂, a star ★ and 会.\n"
                  "themes:\n  - {id: t1, title: Theme, points: [ok]}\n")
    result = run_cli("build", "-l", "pack", "--validate", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "conforms to PDF/UA-1" in result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "none of the pack's fonts" in line]
    assert warning.startswith("warning: inputs/m.yaml:6:21: 2 characters are in none of the "
                              "pack's fonts and each prints as '\N{REPLACEMENT CHARACTER}'")
    text = " ".join(pdf_pages(workspace / "output" / "m" / "pack-internal.pdf"))
    assert "A smile 🙂, a star \N{REPLACEMENT CHARACTER} and \N{REPLACEMENT CHARACTER}." in text


def test_table_row_split_across_pages_is_one_row(tmp_path):
    import pikepdf

    for meeting in FIXTURES.glob("*.yaml"):
        text = meeting.read_text(encoding="utf-8")
        if meeting.stem == MEETING:  # one action too long for any page: its row must split
            text = text.replace("\nactions:\n", "\nactions:\n- id: LONG\n  action: " + " ".join(
                ["Walk the route with residents and report back on every lamp."] * 40) + "\n", 1)
        write_meeting(tmp_path / "inputs", meeting.name, text)
    result = run_cli("build", "-l", "large-print", "--paper", "A5", "--validate",
                     f"inputs/{MEETING}.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(tmp_path / "output" / MEETING / "large-print-internal.pdf") as pdf:
        tree = list(walk(document(pdf)))
        split_rows = 0
        for table in (e for e in tree if str(e.S) == "/Table"):
            rows = [row for group in elements(table) if str(group.S) in ("/THead", "/TBody")
                    for row in elements(group)]
            assert len({len(elements(row)) for row in rows}) == 1  # every row as wide
            split_rows += sum(len(pages_of(row, pdf)) > 1 for row in rows)
        assert split_rows  # at 18pt on A5 some rows do not fit on what is left of a page


def test_sections_a_layout_writes_side_by_side_are_nested_by_heading(sample_workspace):
    import pikepdf

    folder = sample_workspace / "layouts" / "flat"
    folder.mkdir(parents=True)
    (folder / "layout.html").write_text(  # the themes follow their part instead of inside it
        '{% extends "base/base.html" %}\n{% import "base/parts.html" as parts %}\n'
        '{% block main %}<section id="heard"><h2>What we heard</h2><p>Themes:</p></section>'
        "{% for section in sections %}{{ parts.theme(section) }}{% endfor %}"
        '<section id="end"><h2>The end</h2><p>Thanks.</p></section>{% endblock %}\n',
        encoding="utf-8")
    result = run_cli("build", "-l", "flat", "--validate", cwd=sample_workspace)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(sample_workspace / "output" / SAMPLE.stem / "flat-internal.pdf") as pdf:
        parts = elements(document(pdf))
        assert [headings(part)[:1] for part in parts] == [["/H1"], ["/H2"], ["/H2"]]
        themes = [kid for kid in elements(parts[1]) if str(kid.S) == "/Sect"]
        assert len(themes) == 7 and all(headings(theme) == ["/H3"] for theme in themes)
