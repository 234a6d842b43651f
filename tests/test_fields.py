"""Field roles declared once on the models: a new field is withheld, privacy-checked, font-checked
and typeset by its declaration alone, read back from real PDFs and the real check."""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path
from typing import Annotated

import pikepdf
import pytest
import yaml
from pydantic import BaseModel

from briefing.editions.rules import EDITIONS
from briefing.meeting.fields import UNDECLARED, Editions, Role, declaration
from briefing.meeting.models import Action, Identifier, MeetingFile, Prose

from conftest import pdf_pages, write_meeting

INTERNAL_QUOTE = "The gazebo meetings were a waste of everyone's evening"


class CommentedAction(Action):
    """An action with three fields the format does not have, each declared once, here."""

    comment: Prose | None = None
    reference: Identifier | None = None
    private_comment: Annotated[Prose | None, Editions("internal")] = None


class CommentedMeeting(MeetingFile):
    actions: list[CommentedAction] = []


EARLIER = """\
meeting:
  title: Fields test, spring
  date: 2025-04-12
  venue: Test hall
themes:
  - {id: t1, title: Theme one, points: [A point]}
actions:
  - id: E1
    action: Mend the gate.
    private_comment: Ask the marmalade stall first.
"""
MEETING = """\
meeting:
  title: Fields test
  date: 2025-07-12
  venue: Test hall
  follows: ../earlier.yaml
themes:
  - {id: t1, title: Theme one, points: [A point]}
quotes:
  - text: "The gazebo meetings were a waste of everyone's evening"
    speaker: a resident
    theme: t1
    consent: internal
actions:
  - id: F1
    action: Fix the lights.
    comment: 'Ring 020 7946 0958 \u2605 "soon": the gazebo meetings were a waste of everyone''s evening.'
    reference: "it's-F1\u2605"
    private_comment: Call 07700 900123 about the quinoa stall.
"""
LINES = MEETING.splitlines()
COMMENT_LINE = next(n for n, line in enumerate(LINES, 1) if line.startswith("    comment:"))
REFERENCE_LINE = COMMENT_LINE + 1
PRIVATE_LINE = COMMENT_LINE + 2
# The identifier keeps its star (no font has one), so the layout leaves it out.
LAYOUT = """{% extends "base/base.html" %}
{% block main %}
{% for action in content.actions %}
<p>Comment: {{ action.comment }}</p>
<p>Reference: {{ action.reference | replace("\u2605", "") }}</p>
<p>Private: {{ action.private_comment or "none" }}</p>
{% endfor %}
{% for item in carried %}<p>Carried {{ item.action.id }}: {{ item.action.private_comment or "none" }}</p>{% endfor %}
{% endblock %}
"""


@pytest.fixture
def declared(workspace: Path, monkeypatch) -> Path:
    """A workspace whose meeting uses the new fields, read with the models that declare them,
    and a layout that prints them."""
    from briefing.meeting import loading

    monkeypatch.setattr(loading, "MeetingFile", CommentedMeeting)
    write_meeting(workspace, "earlier.yaml", EARLIER)
    write_meeting(workspace / "inputs", "m.yaml", MEETING)
    (workspace / "layouts" / "fields").mkdir(parents=True)
    (workspace / "layouts" / "fields" / "layout.html").write_text(LAYOUT, encoding="utf-8")
    (workspace / "briefing.toml").write_text('build = ["fields"]\n', encoding="utf-8")
    return workspace


def test_a_new_field_is_privacy_and_font_checked_by_its_declaration(declared):
    from briefing.batch.reading import check_files
    from briefing.config import load_config

    diagnostics, _ = check_files(load_config(declared))
    found = [(d.line, d.message) for d in diagnostics if d.severity == "warning"]
    # The new prose field: scanned for the public edition and checked against the fonts.
    assert (COMMENT_LINE, "a UK phone number in `actions[0].comment`, which the public edition "
            "prints; remove it or move it to `notes`") in found, found
    assert any(line == COMMENT_LINE and "`actions[0].comment` repeats the words of a quote"
               in message for line, message in found), found
    assert any(line == COMMENT_LINE and "'\u2605' (U+2605 BLACK STAR)" in message
               for line, message in found), found
    # The new identifier is matched as written: never font-checked (an undeclared field is).
    assert not [message for line, message in found if line == REFERENCE_LINE], found
    # The internal-only field is not in the public edition, so not scanned for it.
    assert not [message for line, message in found if line == PRIVATE_LINE], found


def test_a_new_field_is_withheld_typeset_and_printed_by_edition(declared):
    import briefing

    meeting = declared / "inputs" / "m.yaml"
    pages = {}
    attached = {}
    for edition in EDITIONS:
        pdf = briefing.render(meeting, layout="fields", edition=edition, archive=True)
        path = declared / f"{edition}.pdf"
        path.write_bytes(pdf)
        pages[edition] = " ".join(pdf_pages(path))
        with pikepdf.open(path) as document:
            attached[edition] = {name: yaml.safe_load(
                document.attachments[name].get_file().read_bytes().decode("utf-8"))
                for name in ("m.yaml", "earlier.yaml")}

    internal = pages["internal"]
    # Prose: curled, and the character no font covers printed as the replacement.
    assert ("Comment: Ring 020 7946 0958 \N{REPLACEMENT CHARACTER} \u201csoon\u201d: the gazebo "
            "meetings were a waste of everyone\u2019s evening." in internal), internal
    # An identifier: printed exactly as written, straight apostrophe and all.
    assert "Reference: it's-F1" in internal, internal
    assert "Private: Call 07700 900123 about the quinoa stall." in internal, internal
    assert "Carried E1: Ask the marmalade stall first." in internal, internal
    councillor = " ".join(pdf_pages(declared / "councillor.pdf", every_glyph=True))
    assert councillor.count("gazebo") == 1  # the comment; the quote is not printed
    for edition in ("councillor", "public"):
        # Left out wherever the action is: this meeting's log and the one it carries forward.
        assert "Private: none" in pages[edition], pages[edition]
        assert "Carried E1: none" in pages[edition], pages[edition]
        assert "quinoa" not in pages[edition] and "marmalade" not in pages[edition]
        for name in ("m.yaml", "earlier.yaml"):
            assert "private_comment" not in attached[edition][name]["actions"][0]
    public = pages["public"]
    assert "gazebo" not in public.lower(), public
    assert "Comment: Ring 020 7946 0958 \N{REPLACEMENT CHARACTER} \u201csoon\u201d: [withheld]." in public
    copy = attached["public"]["m.yaml"]
    assert copy["actions"][0]["comment"] == 'Ring 020 7946 0958 \u2605 "soon": [withheld].'
    assert "quotes" not in copy
    assert attached["internal"]["m.yaml"]["actions"][0]["private_comment"].startswith("Call")


def _text_leaves(shape, role: Role, seen: set) -> typing.Iterator[tuple[str, Role]]:
    """(where, role) of every place in a type that can hold text as written in the file."""
    while typing.get_origin(shape) is Annotated:
        shape, *metadata = typing.get_args(shape)
        role = next((item for item in reversed(metadata) if isinstance(item, Role)), role)
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        if shape not in seen:
            seen.add(shape)
            for name in shape.model_fields:
                field = declaration(shape, name)
                for where, leaf in _text_leaves(field.shape, field.role, seen):
                    yield where or f"{shape.__name__}.{name}", leaf
        return
    origin = typing.get_origin(shape)
    if origin is typing.Literal or shape in (str, dt.date):
        yield "", role
    for arg in typing.get_args(shape) if origin is not typing.Literal else ():
        yield from _text_leaves(arg, role, seen)


def test_every_text_field_of_the_format_declares_what_it_is():
    leaves = list(_text_leaves(MeetingFile, UNDECLARED, set()))
    assert len(leaves) > 40
    assert [where for where, role in leaves if role is UNDECLARED] == []


def test_editions_markers_name_real_editions():
    from briefing.meeting.fields import editions_markers

    markers = list(editions_markers(MeetingFile))
    assert markers  # notes and quotes
    for marker in markers:
        assert set(marker.names) <= set(EDITIONS), marker
