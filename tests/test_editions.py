"""Editions: what internal, councillor and public readers may see, read back from the PDFs."""

from __future__ import annotations

import pytest

from conftest import minimal_meeting, pdf_pages, run_cli, write_meeting

INTERNAL_QUOTE = "The gazebo meetings were a waste of everyone's evening"
UNMARKED_QUOTE = "Nobody reads the leaflets about the quinoa stall"  # no consent: internal
PUBLIC_QUOTE = "We want officers at the summer fair, not outside it"
NOTES = "Superintendent to raise the marmalade complaint privately."


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("editions")
    document = minimal_meeting(
        # The summary and an action repeat an internal quote's words: those must go too.
        summary=f"One resident said: “{INTERNAL_QUOTE.lower()}.” Others agreed.",
        quotes=[
            {"text": INTERNAL_QUOTE, "speaker": "a resident", "theme": "t1",
             "consent": "internal"},
            {"text": UNMARKED_QUOTE, "speaker": "a trader", "theme": "t1"},
            {"text": PUBLIC_QUOTE, "speaker": "a parent", "theme": "t1", "consent": "public"},
        ],
        actions=[{"id": "E1", "action": "Change the meeting format.", "due": "2025-09-01",
                  "you_said": INTERNAL_QUOTE + "."}],
        notes=NOTES)
    write_meeting(root / "inputs", "m.yaml", document)
    result = run_cli("build", "-e", "internal", "-e", "councillor", "-e", "public", cwd=root)
    assert result.returncode == 0, result.stderr
    # the pack prints typographic apostrophes; the file is written with straight ones
    return {edition: " ".join(pdf_pages(root / "output" / "m" / f"pack-{edition}.pdf"))
            .replace("’", "'") for edition in ("internal", "councillor", "public")}


def test_internal_edition_has_every_quote_and_the_notes(editions):
    text = editions["internal"]
    for phrase in (INTERNAL_QUOTE, UNMARKED_QUOTE, PUBLIC_QUOTE, NOTES, "Internal notes"):
        assert phrase in text, phrase


def test_councillor_edition_has_every_quote_but_no_notes(editions):
    text = editions["councillor"]
    for phrase in (INTERNAL_QUOTE, UNMARKED_QUOTE, PUBLIC_QUOTE):
        assert phrase in text, phrase
    assert "marmalade" not in text.lower()
    assert "Internal notes" not in text


def test_public_edition_has_no_internal_quote_and_no_notes_anywhere(editions):
    text = editions["public"].lower()
    assert PUBLIC_QUOTE.lower() in text
    # Distinctive single words, so a line break inside a phrase cannot hide a leak.
    for word in ("gazebo", "quinoa", "leaflets", "marmalade", "superintendent", "internal notes"):
        assert word not in text, word
    assert "[withheld]" in text  # where the summary and the action repeated the quote
    assert "public release" in text  # the cover's edition band
    assert "official for public release" in text


def test_workspace_default_and_flag_choose_editions(workspace):
    from briefing.config import load_config

    assert load_config(workspace).editions == ("internal",)
    (workspace / "briefing.toml").write_text('editions = ["councillor", "public"]\n')
    assert load_config(workspace).editions == ("councillor", "public")
    # A flag the user actually set wins; an unset one (empty) leaves the file's choice.
    assert load_config(workspace, editions=("internal",)).editions == ("internal",)
    assert load_config(workspace, editions=()).editions == ("councillor", "public")
