"""Turn a meeting into one edition of it: what internal, councillor and public readers may see."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from .models import Marking, MeetingFile, MeetingInfo, Quote

if TYPE_CHECKING:
    from .series import CarriedAction, Series

EDITIONS = ("internal", "councillor", "public")
WITHHELD = "[withheld]"
# A quote shorter than this many words ("Yes.", "Never again.") is too common a phrase to
# hunt for in other text; the quote itself is still left out of the public edition.
MIN_WORDS_TO_WITHHOLD = 3

Model = TypeVar("Model", bound=BaseModel)
# Keys holding identifiers or fixed vocabularies, never free text to search.
_NOT_TEXT = {"id", "theme", "consent", "status", "classification", "kind", "language",
             "follows", "series", "csv"}


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


def quote_pattern(text: str) -> re.Pattern[str] | None:
    """A pattern finding a quote's words in other text, whatever the spacing and apostrophes."""
    words = re.findall(r"\w+", text)
    if len(words) < MIN_WORDS_TO_WITHHOLD:
        return None
    return re.compile(r"\b" + r"\W+".join(re.escape(word) for word in words) + r"\b",
                      re.IGNORECASE)


class Withholder:
    """Replaces the words of quotes an edition may not show wherever else they were written."""

    def __init__(self, quotes: Iterable[Quote] = ()) -> None:
        patterns = (quote_pattern(quote.text) for quote in quotes)
        self.patterns = [pattern for pattern in patterns if pattern is not None]

    def text(self, value: str) -> str:
        for pattern in self.patterns:
            value = pattern.sub(WITHHELD, value)
        return value

    def model(self, model: Model) -> Model:
        """A copy of a pydantic model with every free-text field withheld from."""
        if not self.patterns:
            return model
        return type(model).model_validate(self._walk(model.model_dump(), None))

    def _walk(self, value, key):
        if isinstance(value, str):
            return value if key in _NOT_TEXT else self.text(value)
        if isinstance(value, list):
            return [self._walk(item, key) for item in value]
        if isinstance(value, dict):
            return {name: self._walk(item, name) for name, item in value.items()}
        return value


def edition_of(content: MeetingFile, edition: str,
               withheld: Iterable[Quote] = ()) -> MeetingFile:
    """A copy of the meeting holding only what this edition may print.

    `withheld` adds quotes from elsewhere (earlier meetings of a series) whose words the
    edition may not print either; the meeting's own non-public quotes are always included.
    """
    rules = RULES[edition]
    quotes = content.quotes if rules.all_quotes else [
        quote for quote in content.quotes if quote.consent == "public"]
    copy = content.model_copy(update={
        "quotes": quotes,
        "notes": content.notes if rules.notes else None,
        "marking": rules.marking or content.marking,
    })
    return withholder_for(content, edition, withheld).model(copy)


def withholder_for(content: MeetingFile, edition: str,
                   withheld: Iterable[Quote] = ()) -> Withholder:
    """What this edition must withhold: nothing, or every quote without public consent."""
    if RULES[edition].all_quotes:
        return Withholder()
    return Withholder([quote for quote in (*content.quotes, *withheld)
                       if quote.consent != "public"])


def withhold_dataclass(item, withholder: Withholder, *names: str):
    """A copy of a dataclass whose named pydantic fields went through the withholder."""
    return dataclasses.replace(item, **{name: withholder.model(getattr(item, name))
                                        for name in names})


@dataclass(frozen=True)
class EditionView:
    """What one edition of a meeting prints, including what it carries from earlier meetings."""

    content: MeetingFile  # its action log holds the carried actions too
    carried: tuple[CarriedAction, ...]  # "you said, we did"
    follows: MeetingInfo | None  # the previous meeting, for the cover


def edition_view(series: Series, edition: str) -> EditionView:
    """The edition of a series' newest meeting, with nothing the edition may not print."""
    own = series.current.content
    withheld = series.internal_quotes
    content = edition_of(own.model_copy(update={"actions": list(series.actions)}), edition,
                         withheld)
    withholder = withholder_for(own, edition, withheld)
    carried = tuple(withhold_dataclass(item, withholder, "action") for item in series.carried)
    previous = series.previous
    follows = withholder.model(previous.content.meeting) if previous else None
    return EditionView(content, carried, follows)
