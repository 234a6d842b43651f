"""Turn a meeting into one edition of it: what internal, councillor and public readers may see."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from briefing.editions.textfold import fold, folded
from briefing.meeting.models import Marking, MeetingFile, MeetingInfo, Quote

if TYPE_CHECKING:
    from briefing.meeting.series import CarriedAction, Series

EDITIONS = ("internal", "councillor", "public")
WITHHELD = "[withheld]"
# A quote shorter than this many words ("Yes.", "Never again.") is too common a phrase to
# hunt for in other text; the quote itself is still left out of the public edition.
MIN_WORDS_TO_WITHHOLD = 3

Model = TypeVar("Model", bound=BaseModel)
# Keys holding paths to other files: they never print, and changing one would break the file.
# Every other string (ids, names of data series, CSV headers and cells) may print, so every
# other string goes through the withholder.
_PATHS = {"follows", "csv"}
# The one mapping whose keys are the file's own words (series names), not the format's keys.
_DATA_MAPPING = "series"


@dataclass(frozen=True)
class Edition:
    name: str
    all_quotes: bool
    notes: bool
    marking: Marking | None  # None: the file's own marking
    title_suffix: str  # ends the PDF's title, so each edition's file names what it is

    def document_title(self, meeting_title: str) -> str:
        return f"{meeting_title} \u2013 {self.title_suffix}"


RULES = {
    "internal": Edition("internal", all_quotes=True, notes=True, marking=None,
                        title_suffix="internal edition"),
    "councillor": Edition("councillor", all_quotes=True, notes=False, marking=None,
                          title_suffix="councillor edition"),
    "public": Edition("public", all_quotes=False, notes=False,
                      marking=Marking(classification="OFFICIAL", caveat="FOR PUBLIC RELEASE"),
                      title_suffix="public release"),
}


def quote_pattern(text: str) -> re.Pattern[str] | None:
    """A pattern finding a quote's words in folded text (textfold.fold), whatever the spacing,
    punctuation, case, entities, Markdown emphasis, invisible characters or look-alike letters."""
    words = re.findall(r"\w+", folded(text))
    if len(words) < MIN_WORDS_TO_WITHHOLD:
        return None
    return re.compile(r"(?<!\w)" + r"\W+".join(re.escape(word) for word in words) + r"(?!\w)")


def quote_matches(patterns: Iterable[re.Pattern[str]], text: str) -> list[tuple[int, int]]:
    """The spans of the original text where any of the quotes is written, merged, in order."""
    found = fold(text)
    spans = sorted(found.original_span(*match.span())
                   for pattern in patterns for match in pattern.finditer(found.text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class Withholder:
    """Replaces the words of quotes an edition may not show wherever else they were written.

    `model` and `tree` are the one way an edition's text is made: every string in the
    meeting (ids, names of data series, CSV headers and cells included) passes through
    `text`, so a field added to the format later is covered without being listed here.
    """

    def __init__(self, quotes: Iterable[Quote] = ()) -> None:
        patterns = (quote_pattern(quote.text) for quote in quotes)
        self.patterns = [pattern for pattern in patterns if pattern is not None]

    def text(self, value: str) -> str:
        if not self.patterns:
            return value
        pieces, last = [], 0
        for start, end in quote_matches(self.patterns, value):
            pieces += [value[last:start], WITHHELD]
            last = end
        return "".join(pieces) + value[last:] if pieces else value

    def model(self, model: Model) -> Model:
        """A copy of a pydantic model with every string in it withheld from."""
        if not self.patterns:
            return model
        return type(model).model_validate(self.tree(model.model_dump()))

    def tree(self, value, key=None):
        """A copy of plain data (a model dump, or a meeting file's parsed YAML) with every
        string withheld from, the names of data series (mapping keys) included."""
        if isinstance(value, str):
            return value if key in _PATHS else self.text(value)
        if isinstance(value, list):
            return [self.tree(item, key) for item in value]
        if isinstance(value, dict):
            rename = self.text if key == _DATA_MAPPING else (lambda name: name)
            return {rename(name) if isinstance(name, str) else name: self.tree(item, name)
                    for name, item in value.items()}
        return value


def carries(edition: str, key_path: tuple, value: object) -> bool:
    """Whether an edition carries this part of a meeting file (parsed YAML or model) at all:
    the one rule for what the page prints, what the privacy check scans and what an archive
    copy attaches."""
    rules = RULES[edition]
    if key_path == ("notes",):
        return rules.notes
    if len(key_path) == 2 and key_path[0] == "quotes" and not rules.all_quotes:
        consent = value.get("consent") if isinstance(value, dict) else getattr(value, "consent", None)
        return consent == "public"  # a quote without `consent` is internal
    return True


def carried_strings(data: object, edition: str, key_path: tuple = ()
                    ) -> Iterator[tuple[tuple, str]]:
    """(key path, text) of every string in a meeting file's parsed YAML that the edition
    carries, the names of data series included (as the path of their key); paths to other
    files left out, as they never print."""
    if not carries(edition, key_path, data):
        return
    if isinstance(data, str):
        if not key_path or key_path[-1] not in _PATHS:
            yield key_path, data
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from carried_strings(item, edition, (*key_path, index))
    elif isinstance(data, dict):
        for name, item in data.items():
            if key_path and key_path[-1] == _DATA_MAPPING and isinstance(name, str):
                yield (*key_path, name), name
            yield from carried_strings(item, edition, (*key_path, name))


def edition_of(content: MeetingFile, edition: str,
               withheld: Iterable[Quote] = ()) -> MeetingFile:
    """A copy of the meeting holding only what this edition may print.

    `withheld` adds quotes from elsewhere (earlier meetings of a series) whose words the
    edition may not print either; the meeting's own non-public quotes are always included.
    """
    copy = content.model_copy(update={
        "quotes": [quote for index, quote in enumerate(content.quotes)
                   if carries(edition, ("quotes", index), quote)],
        "notes": content.notes if carries(edition, ("notes",), content.notes) else None,
        "marking": RULES[edition].marking or content.marking,
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
