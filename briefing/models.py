"""Turn the meeting-file format into pydantic models: the validator and the JSON Schema both come from here.

Field names are the public contract in meeting-format.md: never rename or remove one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_text_to_date(value: object) -> object:
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # leaves an impossible date such as 2025-02-30 to fail as a date
    return value


IsoDate = Annotated[dt.date, Strict(), BeforeValidator(_iso_text_to_date),
                    Field(json_schema_extra={"type": "string", "format": "date"})]
Text = Annotated[str, Strict()]
Count = Annotated[int, Strict(), Field(ge=0)]
Number = Annotated[float, Strict()]
Category = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v), Strict()]

Classification = Literal["OFFICIAL", "OFFICIAL-SENSITIVE"]
Status = Literal["open", "in-progress", "done", "dropped"]
Consent = Literal["public", "internal"]
ChartKind = Literal["bar", "barh", "line", "stacked"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NextMeeting(_Strict):
    date: IsoDate
    venue: Optional[Text] = None


class MeetingInfo(_Strict):
    title: Text = Field(min_length=1)
    date: IsoDate
    venue: Text = Field(min_length=1)
    area: Optional[Text] = None
    organiser: Optional[Text] = None
    programme: Optional[Text] = None
    series: Optional[Text] = None
    follows: Optional[Text] = Field(
        None, description="The previous meeting's file, relative to this one.")
    next: Optional[NextMeeting] = None
    language: Text = Field(
        "en-GB", description="BCP 47 language tag of the pack (optional; default en-GB).")


class Marking(_Strict):
    classification: Classification = "OFFICIAL"
    caveat: Optional[Text] = None

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.classification, (self.caveat or "").upper()) if p)


class AttendanceRow(_Strict):
    group: Text = Field(min_length=1)
    count: Count


class Theme(_Strict):
    id: Text = Field(min_length=1)
    title: Text = Field(min_length=1)
    summary: Optional[Text] = None
    points: list[Text] = []


class Quote(_Strict):
    text: Text = Field(min_length=1)
    speaker: Text = "an attendee"
    theme: Optional[Text] = None
    consent: Consent = "internal"


class Action(_Strict):
    id: Text = Field(min_length=1)
    action: Text = Field(min_length=1)
    owner: Optional[Text] = None
    due: Optional[IsoDate] = None
    status: Status = "open"
    theme: Optional[Text] = None
    you_said: Optional[Text] = None
    update: Optional[Text] = None


class DataSet(_Strict):
    id: Text = Field(min_length=1)
    title: Text = Field(min_length=1)
    kind: ChartKind = "bar"
    unit: Optional[Text] = None
    categories: list[Category] = []
    series: dict[str, list[Optional[Number]]] = {}
    csv: Optional[Text] = Field(
        None, description="A CSV file next to the meeting file: a header row, the first "
                          "column for categories and one column per series.")
    source: Optional[Text] = None
    caveat: Optional[Text] = None


class MeetingFile(_Strict):
    """The whole meeting file, exactly as written."""

    meeting: MeetingInfo
    marking: Marking = Marking()
    summary: Optional[Text] = None
    questions: list[Text] = []
    attendance: list[AttendanceRow] = []
    themes: list[Theme] = []
    quotes: list[Quote] = []
    actions: list[Action] = []
    data: list[DataSet] = []
    notes: Optional[Text] = None
