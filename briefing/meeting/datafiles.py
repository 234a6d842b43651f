"""Turn a meeting's `data:` entries into complete figures, reading the CSV files they name.

A CSV data file sits next to the meeting file (or in a folder under it): a header row, the
first column for categories and one column per series. Every problem is reported as
`file:line: message`, so `briefing check` catches a bad row before a build does. Nothing
here loads the drawing or PDF libraries: checking must stay light.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from briefing.errors import Diagnostic, shortened
from briefing.files import (
    FileRead,
    FileTooLarge,
    NotRegularFile,
    OutsideFolder,
    read_file,
    resolved,
)
from briefing.meeting.models import MAX_CHART_VALUE, DataSet, MeetingFile
from briefing.meeting.yamlslips import number_in_other_digits
from briefing.meeting.yamlsource import (
    CONTROL_CHARACTER,
    MAX_CATEGORIES,
    MAX_SERIES,
    YamlDocument,
)

MAX_CSV_BYTES = 1024 * 1024
TOO_LARGE = f"is too large to chart (the limit is ±{MAX_CHART_VALUE:,})"
_THOUSANDS = re.compile(r"^[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")


Reader = Callable[..., FileRead]  # files.read_file, or a build's files.Reads


def resolve_data(content: MeetingFile, document: YamlDocument, meeting_path: Path, shown: str,
                 read: Reader = read_file,
                 ) -> tuple[MeetingFile, list[Diagnostic], dict[str, FileRead]]:
    """The meeting with every CSV-backed data entry filled in, every problem found, and the
    CSV files as read (by `csv:` value): the very bytes checked are the ones an archive
    copy carries."""
    problems: list[Diagnostic] = []
    reads: dict[str, FileRead] = {}
    resolved: list[DataSet] = []
    for index, dataset in enumerate(content.data):
        for name, values in dataset.series.items():
            shown_name = shortened(name)
            if any(v is not None and not math.isfinite(v) for v in values):
                line, column = document.locate(("data", index, "series", name))
                problems.append(Diagnostic(shown, line, column,
                                           f"series `{shown_name}` holds a value that is not a "
                                           "finite number (.nan or .inf); leave it empty instead"))
            elif too_large := [i for i, v in enumerate(values)
                               if v is not None and abs(v) > MAX_CHART_VALUE]:
                line, column = document.locate_value(("data", index, "series", name,
                                                      too_large[0]))
                problems.append(Diagnostic(shown, line, column,
                                           f"series `{shown_name}` holds a value that {TOO_LARGE}"))
        if dataset.csv is None or dataset.series or dataset.categories:
            resolved.append(dataset)  # inline, or already reported as "not both"
            continue
        line, column = document.locate_value(("data", index, "csv"))
        found = _read_csv_entry(dataset.csv, meeting_path, shown, line, column, problems, read)
        if found is None:
            resolved.append(dataset)
            continue
        (categories, series), reads[dataset.csv] = found
        resolved.append(dataset.model_copy(update={"categories": categories, "series": series}))
    return content.model_copy(update={"data": resolved}), problems, reads


def csv_path(csv_name: str, meeting_path: Path) -> Path | None:
    """Where a `csv:` value points, or None if it leaves the meeting file's folder."""
    relative = PurePosixPath(csv_name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None
    folder = meeting_path.parent.resolve()
    target = resolved(folder / Path(*relative.parts))
    return target if target is not None and target.is_relative_to(folder) else None


def _read_csv_entry(csv_name: str, meeting_path: Path, shown: str, line: int, column: int,
                    problems: list[Diagnostic], read: Reader):
    def at_key(message: str) -> None:
        problems.append(Diagnostic(shown, line, column, message))

    target = csv_path(csv_name, meeting_path)
    if target is None:
        at_key(f"`csv: {csv_name}` must be a relative path to a file in this meeting file's "
               "folder or a folder under it (no `..`, no absolute paths)")
        return None
    shown_csv = str(PurePosixPath(Path(shown).parent.as_posix()) / csv_name.replace("\\", "/"))
    if shown_csv.startswith("./"):
        shown_csv = shown_csv[2:]
    try:
        # Read from the path that was checked (never the raw name), and only inside the
        # meeting file's folder: a symbolic link swapped in meanwhile is refused too.
        file = read(target, MAX_CSV_BYTES, inside=meeting_path.parent)
    except OutsideFolder:
        at_key(f"`csv: {csv_name}` leads outside this meeting file's folder (by a symbolic "
               "link); name a CSV file inside it")
        return None
    except FileNotFoundError:
        at_key(f"CSV file `{shortened(csv_name)}` not found (looked for {shown_csv})")
        return None
    except IsADirectoryError:
        at_key(f"`csv: {csv_name}` is a folder, not a CSV file")
        return None
    except NotRegularFile:
        at_key(f"`csv: {csv_name}` is not a regular file (a pipe, device or socket); "
               "name a saved CSV file")
        return None
    except FileTooLarge as error:
        at_key(f"CSV file `{shortened(csv_name)}` is {error.size:,} bytes; the limit is "
               f"{MAX_CSV_BYTES:,} bytes (1 MB)")
        return None
    except OSError as error:
        at_key(f"cannot read CSV file `{shortened(csv_name)}`: {error.strerror}")
        return None
    found, csv_problems = parse_csv(file.data, shown_csv)
    problems.extend(csv_problems)
    return (found, file) if not csv_problems else None


def parse_csv(raw: bytes, shown: str) -> tuple[tuple[list[str], dict[str, list[float | None]]]
                                               | None, list[Diagnostic]]:
    """Categories and series from CSV bytes; or the problems, each at its file and line."""
    problems: list[Diagnostic] = []

    def at(line: int, message: str) -> None:
        problems.append(Diagnostic(shown, line, 0, message))

    if len(raw) > MAX_CSV_BYTES:
        at(0, f"CSV file is {len(raw):,} bytes; the limit is {MAX_CSV_BYTES:,} bytes (1 MB)")
        return None, problems
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        at(raw[: error.start].count(b"\n") + 1,
           f"the CSV file is not UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8")
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    shown_names: list[str] = []  # the series' names as messages quote them
    header_line = 0
    categories: list[str] = []
    rows: list[list[float | None]] = []
    seen: dict[str, int] = {}
    rows_read = 0
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines, including a trailing one, are allowed
            cells = [cell.strip() for cell in row]
            unprintable = [(position, found.group()) for position, cell in enumerate(cells, 1)
                           if (found := CONTROL_CHARACTER.search(cell))]
            if unprintable:  # as in a meeting file's text: it would print as nothing
                position, character = unprintable[0]
                at(line, f"cell {position} contains the control character "
                         f"U+{ord(character):04X}, which cannot be printed; remove it")
                if header is None:
                    return None, problems
                continue
            if header is None:
                header, header_line = cells, line
                if len(header) < 2:
                    at(line, "the header row needs a column for categories and at least one "
                             "column of values, separated by commas")
                    return None, problems
                names = header[1:]
                shown_names = [shortened(name) for name in names]
                if len(names) > MAX_SERIES:
                    at(line, f"the header names {len(names):,} series: a chart holds at most "
                             f"{MAX_SERIES}; split the figures into several CSV files")
                    return None, problems
                for position, name in enumerate(names, start=2):
                    if not name:
                        at(line, f"column {position} of the header row is empty; "
                                 "name the series")
                    elif names.count(name) > 1 and names.index(name) + 2 == position:
                        at(line, f"the header names the series `{shortened(name)}` twice")
                continue
            if len(cells) != len(header):
                at(line, f"this row has {len(cells)} cells but the header has {len(header)}; "
                         "give a category and one value per series")
                continue
            rows_read += 1
            if rows_read > MAX_CATEGORIES:
                at(line, f"more than {MAX_CATEGORIES} rows of figures: a chart holds at most "
                         f"{MAX_CATEGORIES} categories; group the smaller ones or split the file")
                return None, problems
            category = cells[0]
            if not category:
                at(line, "the first cell (the category) is empty")
                continue
            if category in seen:
                at(line, f"category `{shortened(category)}` is repeated "
                         f"(first on line {seen[category]})")
                continue
            seen[category] = line
            values: list[float | None] = []
            for shown_name, cell in zip(shown_names, cells[1:], strict=True):
                value = _number(cell)
                if value is _NOT_A_NUMBER:
                    number = number_in_other_digits(cell)
                    fix = (f"write it with the digits 0 to 9: {number}" if number is not None
                           else "write digits such as 1234 or 12.5, or leave the cell empty for "
                                "no data")
                    at(line, f"`{shortened(cell)}` in column `{shown_name}` is not a number; "
                             f"{fix}")
                    value = None
                elif value is not None and abs(value) > MAX_CHART_VALUE:
                    at(line, f"`{shortened(cell)}` in column `{shown_name}` {TOO_LARGE}")
                    value = None
                values.append(value)
            categories.append(category)
            rows.append(values)
    except csv.Error as error:
        at(reader.line_num, f"CSV syntax error: {error}")
        return None, problems
    if header is None:
        at(1, "the CSV file is empty; it needs a header row and at least one row of figures")
        return None, problems
    if not rows and not problems:
        at(header_line, "the CSV file has a header row but no rows of figures")
    if problems:
        return None, problems
    series = {name: [row[index] for row in rows] for index, name in enumerate(header[1:])}
    return (categories, series), problems


_NOT_A_NUMBER = object()


def _number(cell: str):
    """The cell's number, None for an empty cell, or _NOT_A_NUMBER. Only the digits 0 to 9
    count, as in the meeting file: Python's float() also reads other scripts' digits (١٢,
    １２), which YAML refuses. (Both take 1_000.)"""
    if cell == "":
        return None
    if not cell.isascii():
        return _NOT_A_NUMBER
    text = cell.replace(",", "") if _THOUSANDS.match(cell) else cell
    try:
        value = float(text)
    except ValueError:
        return _NOT_A_NUMBER
    return value if math.isfinite(value) else _NOT_A_NUMBER
