"""Turn a series into the source files one edition's archive copy may carry.

An internal archive carries its meeting files and CSV data files exactly as written. A
councillor archive carries each meeting file without `notes`. A public archive carries each
meeting file without `notes` and without quotes lacking `consent: public`, with every other
text that repeats such a quote withheld, and only the CSV files its printed charts use, their
cells withheld the same way. A copy is written out from the parsed file, so YAML comments
(which may hold anything) are never carried into a councillor or public copy.
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePosixPath
from typing import Any

import yaml

from briefing.editions.rules import RULES, Withholder, withholder_for
from briefing.meeting.fields import printed, prints_everything
from briefing.meeting.models import MeetingFile
from briefing.meeting.series import Series
from briefing.rendering.pdf import FileToAttach

_COPY_HEADERS = {
    "councillor": "Councillor copy of {name}: `notes` removed",
    "public": "Public copy of {name}: `notes` and quotes without public consent removed, "
              "and their words withheld elsewhere",
}


def archive_sources(series: Series, edition: str) -> list[FileToAttach]:
    """What the archive copy of this edition attaches, in a stable order, one file per name:
    made from the bytes that were read and checked, never from a file read again by name."""
    rules = RULES[edition]
    shape = type(series.current.content)
    withholder = withholder_for(series.current.content, edition, series.internal_quotes)
    copies: list[FileToAttach] = []
    names: set[str] = set()

    def add(name: str, data: bytes, description: str) -> None:
        if name not in names:
            names.add(name)
            copies.append(FileToAttach(name, data, description))

    for meeting in reversed(series.meetings):
        is_current = meeting is series.current
        what = ("The meeting file this pack was built from" if is_current
                else "An earlier meeting this one follows")
        if prints_everything(shape, edition):
            if meeting.file is not None:
                add(meeting.path.name, meeting.file.data, what)
        else:
            header = _COPY_HEADERS[edition].format(name=meeting.path.name)
            add(meeting.path.name,
                edition_yaml(meeting.document.data, edition, withholder, header, shape),
                f"{what} ({header[0].lower()}{header[1:]})")
        data_files = dict(meeting.data_files)
        for dataset in meeting.content.data:
            if dataset.csv is None or dataset.csv not in data_files:
                continue
            if rules.only_printed_data and not (is_current and dataset.source):
                continue  # the public edition prints only this meeting's sourced charts
            title = withholder.text(dataset.title)
            add(PurePosixPath(dataset.csv.replace("\\", "/")).name,
                withheld_csv(data_files[dataset.csv].data, withholder),
                f"Data file for the figure \u201c{title}\u201d")
    return copies


def edition_tree(data: dict, edition: str, withholder: Withholder,
                 shape: type[MeetingFile] = MeetingFile) -> dict:
    """A meeting file's parsed YAML with only what the edition carries (by the models'
    declarations), withheld from."""
    return withholder.tree(printed(data, shape, edition), shape)


def edition_yaml(data: dict, edition: str, withholder: Withholder, header: str,
                 shape: type[MeetingFile] = MeetingFile) -> bytes:
    """The edition's copy of a meeting file as YAML text, keys in the file's order."""
    body = yaml.dump(edition_tree(data, edition, withholder, shape), Dumper=_PlainDumper,
                     sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return f"# {header}.\n{body}".encode()


def withheld_csv(raw: bytes, withholder: Withholder) -> bytes:
    """A CSV file with every cell withheld from; the bytes as written when nothing is."""
    if not withholder.patterns:
        return raw
    try:
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error):
        return raw  # it was checked when the meeting was read; this cannot happen
    withheld = [[withholder.text(cell) for cell in row] for row in rows]
    if withheld == rows:
        return raw
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(withheld)
    return out.getvalue().encode()


class _PlainDumper(yaml.SafeDumper):
    """Writes shared values out in full instead of as YAML anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
