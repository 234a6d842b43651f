"""Turn the meeting-file format into pydantic models: the validator and the JSON Schema both come from here.

Field names are the public contract in meeting-format.md: never rename or remove one.
Each field declares what its text is (fields.py: prose, Markdown, verbatim, identifier,
figure, file path) and, where not every edition prints it, which do; withholding, the
privacy check, the font check and typesetting read those declarations.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from briefing.meeting.fields import (
    FIGURE,
    FILE_PATH,
    IDENTIFIER,
    MARKDOWN,
    PROSE,
    PUBLISHED_PROSE,
    PUBLISHED_VERBATIM,
    VERBATIM,
    Editions,
)
from briefing.meeting.yamlsource import ISO_DATE

# The shape of a BCP 47 tag: a 2-3 letter language, then subtags of 2-8 letters or digits.
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


def _iso_text_to_date(value: object) -> object:
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # leaves an impossible date such as 2025-02-30 to fail as a date
    return value


IsoDate = Annotated[dt.date, Strict(), BeforeValidator(_iso_text_to_date),
                    Field(json_schema_extra={"type": "string", "format": "date"}), FIGURE]
# Text, by what it is: see fields.py for what each role means to the checks and the printing.
Prose = Annotated[str, Strict(), PROSE]
Markdown = Annotated[str, Strict(), MARKDOWN]
Verbatim = Annotated[str, Strict(), VERBATIM]
Identifier = Annotated[str, Strict(), IDENTIFIER]
FilePath = Annotated[str, Strict(), FILE_PATH]
PublishedProse = Annotated[str, Strict(), PUBLISHED_PROSE]
PublishedVerbatim = Annotated[str, Strict(), PUBLISHED_VERBATIM]
# The largest figure a chart can draw: beyond a float's range (about 1.8e308) axis limits and
# totals overflow. A thousand million million is more than any figure in a pack.
MAX_CHART_VALUE = 10**15
# People in one group at one meeting: a larger count is a slip of the keyboard.
MAX_COUNT = 1_000_000
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT), FIGURE]
Number = Annotated[float, Strict(), FIGURE]
Flag = Annotated[bool, Strict(), FIGURE]
Priority = Annotated[int, Strict(), Field(ge=1), FIGURE]
# A category's name: a whole number (a year, a ward number) is read as its text.
Category = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
                     Strict(), PROSE]

Classification = Annotated[Literal["OFFICIAL", "OFFICIAL-SENSITIVE"], IDENTIFIER]
Status = Annotated[Literal["open", "in-progress", "done", "dropped"], IDENTIFIER]
Consent = Annotated[Literal["public", "internal"], IDENTIFIER]
AttendanceRole = Annotated[Literal["residents", "officials"], IDENTIFIER]


def _drawable_kind(value: object) -> str:
    """A data set's `kind`: the name of a chart kind the charts package can draw."""
    # Imported here: the charts import these models. Importing the kinds loads no matplotlib.
    from briefing.rendering.charts.kinds import kind_names

    names = kind_names()
    if isinstance(value, str) and value in names:
        return value
    quoted = [repr(name) for name in names]
    expected = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})


class _DrawableKinds:
    """In the JSON Schema, a chart kind is one of the names registered for drawing."""

    def __get_pydantic_json_schema__(self, _schema, _handler) -> dict:
        from briefing.rendering.charts.kinds import kind_names

        return {"enum": list(kind_names()), "type": "string"}


ChartKind = Annotated[str, PlainValidator(_drawable_kind), _DrawableKinds(), IDENTIFIER]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NextMeeting(_Strict):
    date: IsoDate
    venue: Prose | None = None


class Contact(_Strict):
    """Who to ask for the pack in another format; every part optional."""

    name: PublishedProse | None = None
    phone: PublishedProse | None = None
    email: PublishedVerbatim | None = None
    address: PublishedProse | None = None

    def __str__(self) -> str:
        return ", ".join(part for part in (self.name, self.phone, self.email, self.address)
                         if part)


def _contact_from_text(value: object) -> object:
    return {"name": value} if isinstance(value, str) else value


_CONTACT_SCHEMA = {
    "description": "Who to ask for large print and other formats: plain text (an office, a "
                   "phone number), or a mapping of `name`, `phone`, `email` and `address` "
                   "(optional; default: the organiser).",
    "anyOf": [{"type": "string"},
              {"type": "object", "additionalProperties": False,
               "properties": {key: {"type": "string"}
                              for key in ("name", "phone", "email", "address")}},
              {"type": "null"}]}
ContactField = Annotated[Contact | None, PUBLISHED_PROSE, BeforeValidator(_contact_from_text),
                         WithJsonSchema(_CONTACT_SCHEMA)]


class MeetingInfo(_Strict):
    title: Prose = Field(min_length=1)
    short_title: Prose | None = Field(
        None, min_length=1, description="A short form of the title for the running head at "
                                        "the top of each page (optional; default: the title, "
                                        "shortened at a word if it is too long).")
    date: IsoDate
    venue: Prose = Field(min_length=1)
    area: Prose | None = None
    organiser: Prose | None = None
    programme: Prose | None = None
    series: Identifier | None = None
    follows: FilePath | None = Field(
        None, description="The previous meeting's file, relative to this one.")
    next: NextMeeting | None = None
    contact: ContactField = None
    illustrative: Prose | None = Field(
        None, min_length=1,
        description="Set when the file is an example, not a record: says why (e.g. \"dates "
                    "and figures are not real\"); the cover then says so.")
    language: Identifier = Field(
        "en-GB", pattern=LANGUAGE_TAG,
        description="BCP 47 language tag of the pack, such as en-GB, cy or pa-Guru-IN "
                    "(optional; default en-GB).")


class Marking(_Strict):
    classification: Classification = "OFFICIAL"
    caveat: Prose | None = None

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.classification, (self.caveat or "").upper()) if p)


_ILLUSTRATIVE = "true if this entry is made up for an example, not recorded; it prints " \
                "marked \"(illustrative)\" (optional; default false)."


class AttendanceRow(_Strict):
    group: Prose = Field(min_length=1)
    count: Count
    role: AttendanceRole = Field(
        "residents",
        description="Who the group are: `residents` (the public; the default) or `officials` "
                    "(officers, staff, councillors). Small counts of residents can identify "
                    "people and are flagged; counts of officials are not.")
    illustrative: Flag = Field(False, description=_ILLUSTRATIVE)


class Theme(_Strict):
    id: Identifier = Field(min_length=1)
    title: Prose = Field(min_length=1)
    summary: Markdown | None = None
    points: list[Prose] = []
    priority: Priority | None = Field(
        None, description="Which themes the brief leads with: 1 first, then 2 and so on "
                          "(optional; themes without one follow, most quotes and actions first).")


class Quote(_Strict):
    text: Prose = Field(min_length=1)
    speaker: Prose = "an attendee"
    theme: Identifier | None = None
    consent: Consent = "internal"


class Action(_Strict):
    id: Identifier = Field(min_length=1)
    action: Prose = Field(min_length=1)
    owner: Prose | None = None
    due: IsoDate | None = None
    status: Status = "open"
    theme: Identifier | None = None
    you_said: Prose | None = None
    update: Prose | None = None
    illustrative: Flag = Field(False, description=_ILLUSTRATIVE)


class DataSet(_Strict):
    id: Identifier = Field(min_length=1)
    title: Prose = Field(min_length=1)
    headline: Prose | None = Field(
        None, description="The finding in words, printed as the figure's title above the chart "
                          "(e.g. \"Stops fell by a tenth from April to May\"); optional, "
                          "default: the title, which then reads as the figure's title.")
    kind: ChartKind = "bar"
    unit: Prose | None = None
    categories: list[Category] = []
    # The keys are the series' names, printed in the chart's legend and table.
    series: dict[Prose, list[Number | None]] = {}
    csv: FilePath | None = Field(
        None, description="A CSV file next to the meeting file (in its folder or one under "
                          "it): a header row, the first column for categories and one column "
                          "per series; an empty cell is no data.")
    source: Prose | None = Field(
        None, description="Where the figures come from; a chart without a source is not printed.")
    caveat: Prose | None = None
    illustrative: Flag = Field(False, description=_ILLUSTRATIVE)


class MeetingFile(_Strict):
    """The whole meeting file, exactly as written."""

    meeting: MeetingInfo
    marking: Marking = Marking()
    summary: Markdown | None = None
    questions: list[Prose] = []
    attendance: list[AttendanceRow] = []
    themes: list[Theme] = []
    # The public edition prints only the quotes given `consent: public`.
    quotes: Annotated[list[Quote], Editions("internal", "councillor",
                                            entry_if=("consent", "public"))] = []
    actions: list[Action] = []
    data: list[DataSet] = []
    notes: Annotated[Markdown | None, Editions("internal")] = None
