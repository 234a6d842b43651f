"""Turn a meeting into one edition of it: what internal, councillor and public readers may see."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Marking, MeetingFile

EDITIONS = ("internal", "councillor", "public")


@dataclass(frozen=True)
class Edition:
    name: str
    all_quotes: bool
    notes: bool
    marking: Marking | None  # None: the file's own marking


RULES = {
    "internal": Edition("internal", all_quotes=True, notes=True, marking=None),
    "councillor": Edition("councillor", all_quotes=True, notes=False, marking=None),
    "public": Edition("public", all_quotes=False, notes=False,
                      marking=Marking(classification="OFFICIAL", caveat="FOR PUBLIC RELEASE")),
}


def edition_of(content: MeetingFile, edition: str) -> MeetingFile:
    """A copy of the meeting holding only what this edition may print."""
    rules = RULES[edition]
    quotes = content.quotes if rules.all_quotes else [
        quote for quote in content.quotes if quote.consent == "public"]
    return content.model_copy(update={
        "quotes": quotes,
        "notes": content.notes if rules.notes else None,
        "marking": rules.marking or content.marking,
    })
