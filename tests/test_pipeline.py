"""The whole pipeline: the sample meeting becomes a PDF that holds what the meeting file says."""

from __future__ import annotations

import gc
import re

import pytest
import yaml

from conftest import SAMPLE, normalise, pdf_pages


def sample_document() -> dict:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def test_sample_pack_holds_the_meeting(sample_pack):
    document = sample_document()
    # the pack prints typographic quotes; the file is written with straight ones
    text = " ".join(pdf_pages(sample_pack)).translate(str.maketrans("’‘“”", "''\"\""))
    assert document["meeting"]["title"] in text
    assert document["meeting"]["venue"] in text
    for theme in document["themes"]:
        assert theme["title"] in text, theme["title"]
    for quote in document["quotes"]:  # the internal edition prints every quote
        assert normalise(quote["text"]) in text, quote["text"]
    for action in document["actions"]:
        assert normalise(action["action"]) in text, action["id"]
    for question in document["questions"]:
        assert question in text


def test_every_page_carries_marking_and_page_numbers(sample_pack):
    pages = pdf_pages(sample_pack)
    assert len(pages) >= 5
    for number, text in enumerate(pages, start=1):
        # top and bottom of the page: the marking appears twice on every page
        assert text.count("OFFICIAL") >= 2, f"page {number}: {text[:120]}"
        if number > 1:  # the cover carries no page number
            assert f"Page {number} of {len(pages)}" in text
    assert len(pages) % 2 == 0  # the back page falls on the back of a sheet


def test_contents_lists_sections_with_page_numbers(sample_pack):
    contents = pdf_pages(sample_pack)[1]
    assert "Contents" in contents
    for section in ("Summary", "Attendance", "What we heard", "Action log"):
        assert section in contents
    # the entries' page numbers never go down: the contents lists sections in print order
    entries = contents.split("Contents", 1)[1]  # the contents' own lines, up to the last entry
    entries = entries[:entries.index("Alternative formats") + len("Alternative formats") + 4]
    numbers = [int(n) for n in re.findall(r"\b(\d+)\b", entries)]
    assert len(numbers) >= 8 and numbers == sorted(numbers), numbers
    # each entry: title, then the real page its section starts on
    pages = pdf_pages(sample_pack)
    for section in ("Summary", "What we heard", "Action log"):
        match = re.search(re.escape(section) + r" (\d+)\b", entries)
        assert match, section
        page = int(match.group(1))
        assert section in pages[page - 1], (section, page)


def test_attendance_chart_is_in_the_pdf_with_alt_text(sample_pack):
    import pikepdf

    with pikepdf.open(sample_pack) as pdf:
        figures = [element for element in _struct_elements(pdf.Root.StructTreeRoot)
                   if element.get("/S") == "/Figure"]
    assert figures, "no Figure in the structure tree"
    alts = [str(figure.get("/Alt", "")) for figure in figures]
    assert any("Community members 18" in alt and "Police officers 16" in alt for alt in alts)


def _struct_elements(node):
    import pikepdf

    kids = node.get("/K")
    if kids is None:
        return
    kids = kids if isinstance(kids, pikepdf.Array) else [kids]
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from _struct_elements(kid)


def test_rendering_pauses_the_cycle_collector_and_always_restores_it():
    from briefing.rendering.renderer import collector_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a render that fails")
    assert gc.isenabled()
    gc.disable()  # a caller that manages the collector itself keeps its choice
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
