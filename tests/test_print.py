"""Print-ready, accessible, reproducible PDFs: read the built PDFs back, check their claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE, pdf_layout, pdf_pages, run_cli, with_sample, write_meeting

LAYOUTS = ("pack", "brief", "large-print")

# Text in every script the shipped fonts must cover, one language per line.
SCRIPTS_SUMMARY = """\
Polish: Zażółć gęślą jaźń, ŁĄĘŚŹŻ.
Yoruba: Ọlọ́run ẹ̀gbọ́n ṣé ọmọ, ẹ kú àárọ̀.
Urdu: اردو زبان میں خوش آمدید۔ ٹھیک ڈاکٹر گاڑی
Arabic: مرحبا بكم في الاجتماع
Bengali: বাংলা ভাষায় স্বাগতম
Greek: Καλημέρα σε όλους.
Cyrillic: Добро пожаловать, їжак.
"""
SCRIPTS_TITLE = "Spotkanie – ẹ kú àárọ̀ – اردو – বাংলা – Καλημέρα – Добро"


def scripts_meeting() -> dict:
    return {
        "meeting": {"title": SCRIPTS_TITLE, "date": "2025-07-12", "venue": "Test hall",
                    "organiser": "Test council", "language": "pl",
                    "next": {"date": "2025-10-04"}},
        "marking": {"classification": "OFFICIAL-SENSITIVE", "caveat": "personal data"},
        "summary": SCRIPTS_SUMMARY,
        "themes": [{"id": "t1", "title": "Ẹ̀kọ́ – Образование – শিক্ষা",
                    "points": ["Ελληνικά και اردو"]}],
        "quotes": [{"text": "Dziękuję – ধন্যবাদ – شکریہ", "theme": "t1"}],
        # a long action log, so the table crosses pages and must repeat its header row
        "actions": [{"id": f"A{n}", "action": f"Action number {n}, long enough to wrap onto "
                     "a second line of the table in the full pack layout.",
                     "owner": "Someone", "due": "2025-09-01"} for n in range(1, 31)],
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sample and the every-script meeting in all three layouts, validated by the CLI."""
    root = with_sample(tmp_path_factory.mktemp("print"))
    write_meeting(root / "inputs", "scripts.yaml", scripts_meeting())
    result = run_cli("build", "-l", "pack", "-l", "brief", "-l", "large-print", "--validate",
                     cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("conforms to PDF/UA-1") == 6, result.stderr
    root.joinpath("stderr.txt").write_text(result.stderr)
    return root / "output"


def all_pdfs(built: Path) -> list[Path]:
    pdfs = sorted(built.glob("*/*.pdf"))
    assert len(pdfs) == 6
    return pdfs


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = with_sample(tmp_path_factory.mktemp("archive"))
    result = run_cli("build", "--archive", "--validate", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "conforms to PDF/UA-1 and PDF/A-3b" in result.stderr
    return root / "output" / SAMPLE.stem / "pack-internal-archive.pdf"


MARKING_WORDS = {"OFFICIAL", "OFFICIAL-SENSITIVE", "PERSONAL", "DATA"}


def marking_lines(page, top: bool) -> list[list[dict]]:
    """Lines of marking words in the top (or bottom) 15% of the page (a pdf_layout page)."""
    lines: dict[int, list[dict]] = {}
    for word in page.words:
        in_band = (word["bottom"] < page.height * 0.15 if top
                   else word["top"] > page.height * 0.85)
        if in_band and word["text"] in MARKING_WORDS:
            lines.setdefault(round(word["top"]), []).append(word)
    return list(lines.values())


def test_marking_bold_capitals_centred_top_and_bottom_of_every_page(built):
    for pdf_path in all_pdfs(built):
        for page in pdf_layout(pdf_path, fonts=True):
            where = f"{pdf_path.parent.name}/{pdf_path.name} page {page.number}"
            for top in (True, False):
                lines = marking_lines(page, top)
                assert any(w["text"].startswith("OFFICIAL") for line in lines
                           for w in line), (where, top)
                for line in lines:
                    assert all("Bold" in w["fontname"] for w in line), where
                    middle = (min(w["x0"] for w in line) + max(w["x1"] for w in line)) / 2
                    assert abs(middle - page.width / 2) < 3, (where, top, middle)


MM = 72 / 25.4


def test_pack_body_text_is_12pt_or_more(sample_pack):
    """Issue 4: every character of the page body is 12pt or more. The margin boxes (running
    head, marking, page number: page furniture) are left out: 22 mm top and bottom, 30 mm at
    the top of the cover (base.css). Chart text is real text in the shipped fonts
    (svg.fonttype "none"), so the charts' labels are held to the same minimum.
    """
    small = []
    pages = pdf_layout(sample_pack, fonts=True)  # a word per run of one font and size
    assert len(pages) > 5
    for page in pages:
        top = (30 if page.number == 1 else 22) * MM
        bottom = page.height - 22 * MM
        body = [w for w in page.words if w["top"] >= top and w["bottom"] <= bottom]
        assert body, page.number
        small += [(page.number, round(w["size"], 2), w["text"]) for w in body
                  if w["size"] < 12 - 0.01]
    assert not small, small[:20]


def test_caveat_printed_with_the_classification(built):
    for text in pdf_pages(built / "scripts" / "pack-internal.pdf"):
        assert text.count("OFFICIAL-SENSITIVE PERSONAL DATA") >= 2


def test_page_numbers_and_running_head(built):
    for layout in ("pack", "large-print"):
        pages = pdf_pages(built / SAMPLE.stem / f"{layout}-internal.pdf")
        for number, text in enumerate(pages[1:], start=2):  # the cover has neither
            assert f"Page {number} of {len(pages)}" in text, (layout, number)
            if "This page is intentionally left blank" in text:
                continue  # a blank left page has no running head
            # meeting.short_title; large print's 16pt head shortens it further, at a word
            assert ("Race Action Plan, Battersea" if layout == "pack" else "Race Action Plan…") \
                in text, (layout, number)


def test_long_table_repeats_its_header_row(built):
    pages = [p for p in pdf_pages(built / "scripts" / "pack-internal.pdf")
             if "Action number" in p]
    assert len(pages) >= 2, "the 30-action log should cross a page"
    for text in pages:
        assert "ID Action Owner Due Status" in text


def test_brief_fits_two_a4_sides(built):
    from pypdf import PdfReader

    for meeting in (SAMPLE.stem, "scripts"):
        reader = PdfReader(built / meeting / "brief-internal.pdf")
        assert 1 <= len(reader.pages) <= 2, meeting
        assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]
    text = " ".join(pdf_pages(built / SAMPLE.stem / "brief-internal.pdf"))
    for expected in ("Summary", "Top themes", "Disparities in policing",
                     "Actions due before the next meeting", "Saturday 4 October 2025"):
        assert expected in text
    # 30 actions are due before the next meeting: the brief lists eight and points on
    scripts = " ".join(pdf_pages(built / "scripts" / "brief-internal.pdf"))
    assert "And 22 more" in scripts and "Action number 9," not in scripts


def test_large_print_has_no_text_under_16pt(built):
    for meeting, marker in ((SAMPLE.stem, "Residents and officers"), ("scripts", "Polish:")):
        pages = pdf_layout(built / meeting / "large-print-internal.pdf", fonts=True)
        sizes = [word["size"] for page in pages for word in page.words]
        summary = next(page for page in pages
                       if marker in " ".join(word["text"] for word in page.words))
        body = [word["size"] for word in summary.words for _character in word["text"]]
        assert sizes and min(sizes) >= 15.9, (meeting, min(sizes))
        assert max(set(body), key=body.count) >= 17.9  # most text is 18pt body


def test_tagged_with_language_metadata_alt_and_bookmarks(built):
    import pikepdf

    for pdf_path in all_pdfs(built):
        with pikepdf.open(pdf_path) as pdf:
            assert "/StructTreeRoot" in pdf.Root, pdf_path
            expected_lang = "pl" if pdf_path.parent.name == "scripts" else "en-GB"
            assert str(pdf.Root.Lang) == expected_lang
            assert pdf.Root.MarkInfo.Marked
            info = pdf.docinfo
            assert str(info.Author) in ("Metropolitan Police Service", "Test council")
            edition = pdf_path.stem.split("-")[-1]
            suffix = {"internal": "internal edition", "councillor": "councillor edition",
                      "public": "public release"}[edition]
            assert str(info.Title) in (f"London Race Action Plan – community conversation – {suffix}",
                                       f"{SCRIPTS_TITLE} – {suffix}")
            assert str(info.Subject) and str(info.Keywords)
            figures = [e for e in _struct_elements(pdf.Root.StructTreeRoot)
                       if e.get("/S") == "/Figure"]
            assert all(str(f.get("/Alt", "")).strip() for f in figures), pdf_path
            with pdf.open_outline() as outline:
                titles = [item.title for item in _outline_items(outline.root)]
        assert "Summary" in titles, (pdf_path, titles)
        if pdf_path.name.startswith(("pack", "large-print")) and "2025" in str(pdf_path):
            assert {"Contents", "What we heard", "Action log"} <= set(titles)
            assert any(e for e in titles if e == "Attendance")


def test_page_furniture_is_artifact_not_orphaned_tags(built):
    import pikepdf

    with pikepdf.open(built / SAMPLE.stem / "pack-internal.pdf") as pdf:
        for index, page in enumerate(pdf.pages):
            artifacts = [operands for operands, operator in pikepdf.parse_content_stream(page)
                         if str(operator) == "BDC" and operands[0] == pikepdf.Name.Artifact]
            # marking top and bottom, page number and running head (the cover: the marking)
            assert len(artifacts) >= (2 if index == 0 else 3)
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        reachable = {e.objgen for e in _struct_elements(pdf.Root.StructTreeRoot)}
        for index in range(1, len(nums), 2):
            if isinstance(nums[index], pikepdf.Array):
                for element in nums[index]:
                    assert element is None or element.objgen in reachable


def test_every_script_prints_in_the_shipped_fonts(built):
    import pikepdf

    stderr = (built.parent / "stderr.txt").read_text()
    assert "none of the pack's fonts" not in stderr
    for layout in LAYOUTS:
        with pikepdf.open(built / "scripts" / f"{layout}-internal.pdf") as pdf:
            fonts = {str(font.BaseFont).split("+")[-1] for page in pdf.pages
                     for font in page.Resources.Font.values()}
        assert fonts and all(f.startswith("Briefing-Sans") for f in fonts), (layout, sorted(fonts))
        assert {"Briefing-Sans", "Briefing-Sans-Arabic", "Briefing-Sans-Bengali"} <= fonts
    text = " ".join(pdf_pages(built / "scripts" / "pack-internal.pdf"))
    for word in ("Zażółć", "Καλημέρα", "Добро", "বাংলা"):
        assert word in text


def test_uncovered_character_warns_with_file_and_line(workspace):
    write_meeting(workspace / "inputs", "m.yaml",
                  "meeting:\n  title: Test\n  date: 2025-07-12\n  venue: Hall\n"
                  "summary: |\n  First line is fine.\n  Then 会 and a star ★ here, 会 again 🙂.\n"
                  "themes:\n  - {id: t1, title: Theme 茶, points: [ok]}\n")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "none of the pack's fonts" in line]
    # One warning per value, listing its characters, at the first one's line and column.
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("warning: inputs/m.yaml:7:8: 2 characters are in none of the "
                               "pack's fonts"), lines[0]
    assert "'会' (U+4F1A CJK UNIFIED IDEOGRAPH-4F1A), '★' (U+2605 BLACK STAR)" in lines[0]
    assert "prints as '\N{REPLACEMENT CHARACTER}' (U+FFFD REPLACEMENT CHARACTER)" in lines[0]
    assert lines[1].startswith("warning: inputs/m.yaml:9:27: character '茶' (U+8336"), lines[1]
    strict = run_cli("check", "--strict", cwd=workspace)
    assert strict.returncode == 1


def test_a_layout_font_that_is_not_a_font_is_named_and_its_characters_not_counted(workspace):
    fonts = workspace / "layouts" / "extra" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "Broken-Regular.ttf").write_bytes(b"\0\1\0\0" + b"not a font " * 100)
    (workspace / "layouts" / "extra" / "layout.html").write_text("<p>{{ meeting.title }}</p>\n")
    write_meeting(workspace / "inputs", "m.yaml", "meeting:\n  title: Test 会\n"
                  "  date: 2025-07-12\n  venue: Hall\n")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert ("warning: layouts/extra/fonts/Broken-Regular.ttf: is not a font file that can be "
            "read") in result.stderr
    assert "'会' (U+4F1A" in result.stderr  # the shipped fonts still count, and lack it


def test_font_coverage_is_each_fonts_best_unicode_character_map():
    import io

    from fontTools.ttLib import TTFont

    from briefing.rendering.fontcheck import covered_characters
    from briefing.rendering.layout import BUILTIN_LAYOUTS

    fonts = sorted((BUILTIN_LAYOUTS / "base" / "fonts").glob("*.ttf"))
    assert len(fonts) >= 6
    for font in fonts:
        covered, unreadable = covered_characters([(BUILTIN_LAYOUTS, font)])
        with TTFont(io.BytesIO(font.read_bytes())) as reference:
            assert covered == set(reference["cmap"].getBestCmap()), font.name
        assert unreadable == []


def test_same_inputs_give_identical_bytes_from_another_directory(built, sample_pack):
    """The session's sample pack was built in a folder of its own, by another build."""
    assert built.parent != sample_pack.parents[2]
    assert (built / SAMPLE.stem / "pack-internal.pdf").read_bytes() == sample_pack.read_bytes()


def test_archive_is_pdf_a_with_the_meeting_file_attached(archive):
    import pikepdf

    with pikepdf.open(archive) as pdf:
        attached = dict(pdf.attachments)
        assert list(attached) == [SAMPLE.name]
        assert attached[SAMPLE.name].get_file().read_bytes() == SAMPLE.read_bytes()
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfaid:part") == "3" and xmp.get("pdfaid:conformance") == "B"
            assert xmp.get("pdfuaid:part") == "1"
        assert "/StructTreeRoot" in pdf.Root
    assert "Saturday 12 July 2025" in " ".join(pdf_pages(archive))


def test_archive_is_reproducible_and_kept_beside_the_normal_pack(archive, tmp_path):
    import pikepdf

    with_sample(tmp_path)
    folder = tmp_path / "output" / SAMPLE.stem
    assert run_cli("build", cwd=tmp_path).returncode == 0
    normal = (folder / "pack-internal.pdf").read_bytes()
    result = run_cli("build", "--archive", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (folder / "pack-internal-archive.pdf").read_bytes() == archive.read_bytes()
    assert (folder / "pack-internal.pdf").read_bytes() == normal  # not replaced
    with pikepdf.open(folder / "pack-internal.pdf") as pdf:
        assert not pdf.attachments  # still the PDF/UA pack, not the archive copy
    # each keeps its own freshness record: neither build makes the other stale
    for flags in ((), ("--archive",)):
        again = run_cli("build", *flags, cwd=tmp_path)
        assert again.returncode == 0 and "0 built, 1 up to date" in again.stderr, again.stderr


def test_paper_and_print_shop(print_shop_brief):
    import pikepdf

    with pikepdf.open(print_shop_brief) as pdf:
        page = pdf.pages[0].obj
        trim = [round(float(v), 1) for v in page.TrimBox]
        media = [round(float(v), 1) for v in page.MediaBox]
        content = pikepdf.unparse_content_stream(pikepdf.parse_content_stream(pdf.pages[0]))
    assert trim == [0, 0, 419.5, 595.3]  # A5
    outer = 13 / 25.4 * 72  # a 3 mm bleed and a 10 mm slug for the crop marks
    width, height = 148 / 25.4 * 72, 210 / 25.4 * 72
    assert media == [round(-outer, 1), round(-outer, 1), round(width + outer, 1),
                     round(height + outer, 1)]
    assert b" l" in content and b" m" in content  # crop marks are drawn lines


def test_user_layout_overrides_base_blocks_and_validate_fails_on_failure(sample_workspace):
    folder = sample_workspace / "layouts" / "notice"
    folder.mkdir(parents=True)
    (folder / "layout.html").write_text(
        '{% extends "base/base.html" %}\n{% import "base/parts.html" as parts %}\n'
        "{% block cover_extra %}<dt>Ward</dt><dd>Our own cover line</dd>{% endblock %}\n"
        "{% block main %}{{ parts.summary(content) }}"
        '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmci'
        'IHdpZHRoPSIxMCIgaGVpZ2h0PSIxMCIvPg==">{% endblock %}\n', encoding="utf-8")
    result = run_cli("build", "-l", "notice", "--validate", cwd=sample_workspace)
    pdf = sample_workspace / "output" / SAMPLE.stem / "notice-internal.pdf"
    text = " ".join(pdf_pages(pdf))
    assert "Our own cover line" in text and "Summary" in text  # the user's blocks, base's rest
    assert "OFFICIAL" in text
    # the image has no alt text: the validator finds it and the build fails for CI
    assert result.returncode == 1
    assert "error: output/2025-battersea-lrap/notice-internal.pdf: PDF_UA_1 " in result.stderr
    assert "1 failed" in result.stderr


def _struct_elements(node):
    import pikepdf

    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from _struct_elements(kid)


def _outline_items(items):
    for item in items:
        yield item
        yield from _outline_items(item.children)


def test_brief_longer_than_two_pages_fails_the_build(workspace):
    import re

    paragraph = ("Residents spoke at length about every aspect of the plan, and this summary "
                 "records all of it rather than the few short paragraphs a brief can hold. ")
    write_meeting(workspace / "inputs", "long.yaml",
                  {**scripts_meeting(), "summary": "\n\n".join([paragraph * 4] * 30)})
    write_meeting(workspace / "inputs", "short.yaml", scripts_meeting())
    result = run_cli("build", "-l", "brief", cwd=workspace)
    assert result.returncode == 1
    found = re.search(r"error: output/long/brief-internal.pdf: the brief for inputs/long.yaml "
                      r"came out at (\d+) pages; it must fit on 2. Its longest part is "
                      r"`summary` \(inputs/long.yaml:\d+, [\d,]+ characters\)", result.stderr)
    assert found and int(found.group(1)) > 2, result.stderr
    assert not (workspace / "output" / "long" / "brief-internal.pdf").exists()
    assert len(pdf_pages(workspace / "output" / "short" / "brief-internal.pdf")) <= 2
    assert "Traceback" not in result.stderr
