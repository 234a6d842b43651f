"""Turn a meeting into one edition of it: what internal, councillor and public readers may see.

Which editions print a field, and which fields are text a reader may see, are declared on
the models (meeting/models.py, meeting/fields.py); this module applies those declarations.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from briefing.editions import EDITIONS  # noqa: F401 - its home is the package
from briefing.editions.textfold import fold, folded
from briefing.meeting.fields import Found, declaration, printed, rewrite, texts
from briefing.meeting.models import Marking, MeetingFile, MeetingInfo, Quote

if TYPE_CHECKING:
    from briefing.meeting.series import CarriedAction, Series

WITHHELD = "[withheld]"
# A quote shorter than this many words ("Yes.", "Never again.") is too common a phrase to
# hunt for in other text; the quote itself is still left out of the public edition.
MIN_WORDS_TO_WITHHOLD = 3

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Edition:
    name: str
    marking: Marking | None  # None: the file's own marking
    title_suffix: str  # ends the PDF's title, so each edition's file names what it is
    # Its archive copy attaches only the CSV files of the charts it prints (else all of them).
    only_printed_data: bool = False

    def document_title(self, meeting_title: str) -> str:
        return f"{meeting_title} \u2013 {self.title_suffix}"


RULES = {
    "internal": Edition("internal", marking=None, title_suffix="internal edition"),
    "councillor": Edition("councillor", marking=None, title_suffix="councillor edition"),
    "public": Edition("public",
                      marking=Marking(classification="OFFICIAL", caveat="FOR PUBLIC RELEASE"),
                      title_suffix="public release", only_printed_data=True),
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
    meeting that may reach a reader, by the role its field declares (ids, names of data
    series, CSV headers and cells included; paths to other files not), passes through
    `text`, so a field added to the models is covered without being listed here.
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
        return type(model).model_validate(self.tree(model.model_dump(), type(model)))

    def tree(self, value, shape=MeetingFile):
        """A copy of plain data (a model dump, or a meeting file's parsed YAML, described by
        the model `shape`) with every string a reader may see withheld from, the names of
        data series (mapping keys) included."""
        return rewrite(value, shape,
                       lambda text, role: self.text(text) if role.reaches_readers else text)


def carried_texts(data: object, edition: str, shape=MeetingFile) -> Iterator[Found]:
    """Every text of a meeting file's parsed YAML (described by the model `shape`) that the
    edition carries and a reader may see, the names of data series included (as the path of
    their key): the one rule for what the privacy check scans. Paths to other files are left
    out, as they never print."""
    return (found for found in texts(data, shape, edition) if found.role.reaches_readers)


def quote_printed(quote: Quote, edition: str, shape=MeetingFile) -> bool:
    """Whether the edition prints this quote (by the declaration of `quotes` on the model)."""
    editions = declaration(shape, "quotes").editions
    return editions is None or editions.prints(edition, quote)


def edition_of(content: MeetingFile, edition: str, withholder: Withholder) -> MeetingFile:
    """A copy of the meeting holding only what this edition may print, its text passed
    through the edition's `withholder` (withholder_for)."""
    copy = printed(content, type(content), edition).model_copy(update={
        "marking": RULES[edition].marking or content.marking})
    return withholder.model(copy)


def withholder_for(content: MeetingFile, edition: str,
                   withheld: Iterable[Quote] = ()) -> Withholder:
    """What this edition must withhold: the words of every quote it does not print."""
    return Withholder([quote for quote in (*content.quotes, *withheld)
                       if not quote_printed(quote, edition, type(content))])


def edition_part(model: Model, edition: str, withholder: Withholder) -> Model:
    """A part of a meeting (an action, an earlier meeting's details) as the edition prints
    it: without the fields the edition does not print, withheld from."""
    return withholder.model(printed(model, type(model), edition))


@dataclass(frozen=True)
class EditionView:
    """What one edition of a meeting prints, including what it carries from earlier meetings."""

    content: MeetingFile  # its action log holds the carried actions too
    carried: tuple[CarriedAction, ...]  # "you said, we did"
    follows: MeetingInfo | None  # the previous meeting, for the cover
    withholder: Withholder  # for text the render joins from the meeting's words (chart sources)


def edition_view(series: Series, edition: str) -> EditionView:
    """The edition of a series' newest meeting, with nothing the edition may not print."""
    own = series.current.content
    withholder = withholder_for(own, edition, series.internal_quotes)
    content = edition_of(own.model_copy(update={"actions": list(series.actions)}), edition,
                         withholder)
    carried = tuple(dataclasses.replace(item, action=edition_part(item.action, edition, withholder))
                    for item in series.carried)
    previous = series.previous
    follows = edition_part(previous.content.meeting, edition, withholder) if previous else None
    return EditionView(content, carried, follows, withholder)
