"""Turn a meeting file's YAML text into a validated Meeting, with a line number for every problem."""

from __future__ import annotations

import datetime as dt
import difflib
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from briefing.errors import Diagnostic, InputError, shortened
from briefing.files import FileRead, read_file
from briefing.meeting.datafiles import Reader, resolve_data
from briefing.meeting.fields import MARKDOWN, texts
from briefing.meeting.models import MeetingFile, _iso_text_to_date
from briefing.meeting.yamlslips import value_hint
from briefing.meeting.yamlsource import (
    ISO_DATE,
    MAX_CATEGORIES,
    MAX_MARKDOWN_NESTING,
    MAX_SERIES,
    KeyPath,
    YamlDocument,
    describe,
    read_yaml,
)


@dataclass(frozen=True)
class Meeting:
    """A meeting file that passed validation, with where it came from and what it warned."""

    path: Path
    shown_path: str
    content: MeetingFile
    document: YamlDocument = field(repr=False, compare=False)
    warnings: tuple[Diagnostic, ...] = ()
    # Its CSV data files as read and checked, by `csv:` value.
    data_files: tuple[tuple[str, FileRead], ...] = field(default=(), repr=False, compare=False)

    @property
    def file(self) -> FileRead | None:
        """The meeting file's bytes as read and checked."""
        return self.document.file

    @property
    def stem(self) -> str:
        return self.path.stem

    def line_of(self, *key_path: Any) -> int:
        return self.document.locate(key_path)[0]


def load_meeting(path: Path | str, shown_path: str | None = None, *, read: Reader = read_file,
                 inside: Path | None = None) -> Meeting:
    """Read, parse and validate one meeting file; raise InputError listing every problem.

    `inside`: the folder the file's real path must lie in (the workspace); `read` reads each
    file (files.read_file, or a build's files.Reads, so each file is read once per build).
    """
    path = Path(path)
    shown = shown_path or str(path)
    document = read_yaml(path, shown, read=read, inside=inside)
    errors, warnings = _check_references(document.data, document, shown)
    try:
        content = MeetingFile.model_validate(document.data)
    except ValidationError as error:
        found = [_diagnostic(e, document, shown) for e in error.errors()]
        # A refused tag or duplicate key already explains the value at that spot.
        explained = {(p.line, p.column) for p in document.problems}
        raise InputError(document.problems + [d for d in found
                                              if (d.line, d.column) not in explained] + errors,
                         warnings) from None
    content, data_errors, data_files = resolve_data(content, document, path, shown, read)
    errors += data_errors + _check_markdown(content, document, shown)
    if errors or document.problems:
        raise InputError(document.problems + errors, warnings)
    return Meeting(path, shown, content, document, tuple(warnings), tuple(data_files.items()))


# --- pydantic errors, in words an officer can act on -------------------------------------

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "list_type": "a list (lines starting with `- `)",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "bool_type": "true or false",
    "date_type": "a date written YYYY-MM-DD",
    "date_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "a date written YYYY-MM-DD",
}

# What a key's pattern asks for, in words.
_PATTERN_MEANS = {
    "language": "a BCP 47 language tag such as en-GB, cy or pa-Guru-IN (letters, then parts "
                "of letters or digits joined by hyphens)",
}


def _diagnostic(error: dict, document: YamlDocument, shown: str) -> Diagnostic:
    loc = tuple(error["loc"])
    kind = error["type"]
    where = _dotted(loc)
    value = error.get("input")
    if kind == "missing":
        line, column = document.locate(loc[:-1])
        parent = f" under `{_dotted(loc[:-1])}`" if loc[:-1] else ""
        message = f"missing required key `{loc[-1]}`{parent}"
    elif kind == "extra_forbidden":
        line, column = document.locate(loc)
        message = f"unknown key `{shortened(str(loc[-1]))}`" + (
            f" in `{_dotted(loc[:-1])}`" if loc[:-1] else "")
        suggestion = _suggest(str(loc[-1]), loc[:-1])
        if str(loc[-1]).isdigit() and isinstance(value, (int, float)) or value is None and str(loc[-1]).isdigit():
            message += ("; inside { } a comma ends a value, so a number written 1,200 becomes 1 "
                        "and a key `200`: write numbers without commas (1200)")
        elif suggestion:
            message += f"; did you mean `{suggestion}`?"
        else:
            known = _known_keys(loc[:-1])
            if known:
                message += f"; expected one of: {', '.join(known)}"
    else:
        line, column = document.locate_value(loc)
        if kind in _EXPECTED:
            message = f"`{where}` should be {_EXPECTED[kind]}, found {describe(value)}"
            if kind.startswith("date") and isinstance(value, str) and ISO_DATE.match(value):
                message = f"`{where}` is {value}, which is not a day in the calendar"
            if kind in ("string_type",) and isinstance(value, (int, float, bool)):
                message += " (put it in quotes to keep it as text)"
            message += value_hint(_EXPECTED[kind], value)
        elif kind == "literal_error":
            expected = error["ctx"]["expected"].replace("'", "")
            message = f"`{where}` should be one of {expected}; found {describe(value)}"
        elif kind == "greater_than_equal":
            least = error.get("ctx", {}).get("ge", 0)
            message = (f"`{where}` cannot be negative, found {describe(value)}" if least == 0
                       else f"`{where}` should be {least} or more, found {describe(value)}")
        elif kind == "less_than_equal":
            message = (f"`{where}` is too large to chart (the limit is "
                       f"{error['ctx']['le']:,}; check the number), found {describe(value)}")
        elif kind == "string_pattern_mismatch" and loc[-1] in _PATTERN_MEANS:
            message = f"`{where}` should be {_PATTERN_MEANS[loc[-1]]}; found {describe(value)}"
        elif kind == "string_too_short":
            message = f"`{where}` is empty; write some text or remove the key"
        else:
            message = f"`{where}`: {error['msg']}, found {describe(value)}"
    return Diagnostic(shown, line, column, message)


def _dotted(loc: KeyPath) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = shortened(str(part))
            text += f".{name}" if text else name
    return text


def _model_at(loc: KeyPath) -> type[BaseModel] | None:
    """The model whose keys are valid at a key path, following lists and optionals."""
    model: Any = MeetingFile
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = _unwrap(info.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    for arg in typing.get_args(annotation) or ():
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def _known_keys(parent: KeyPath) -> list[str]:
    model = _model_at(parent)
    return list(model.model_fields) if model else []


def _suggest(key: str, parent: KeyPath) -> str | None:
    matches = difflib.get_close_matches(key.lower(), _known_keys(parent), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _check_markdown(content: MeetingFile, document: YamlDocument,
                    shown: str) -> list[Diagnostic]:
    """Markdown nested deeper than MAX_MARKDOWN_NESTING (e.g. emphasis inside emphasis, 500
    deep) cannot be laid out: refuse it here, so `check` fails what `build` would. Which
    fields are Markdown is declared on the models."""
    from briefing.meeting.textformat import markdown_nests_deeper_than

    problems = []
    for loc, text, role, _ in texts(content, type(content)):
        if role is not MARKDOWN:
            continue
        depth = markdown_nests_deeper_than(text, MAX_MARKDOWN_NESTING)
        if depth is not None:
            line, column = document.locate_value(loc)
            problems.append(Diagnostic(
                shown, line, column,
                f"`{_dotted(loc)}` nests Markdown {depth} levels deep (emphasis, links, lists "
                f"or quotes inside one another); the limit is {MAX_MARKDOWN_NESTING}"))
    return problems


# --- checks across the file -------------------------------------------------------------
#
# They read the raw data (what the YAML holds), not the validated model, so they also run
# when the model fails: one run reports type errors and cross-reference errors together.
# A value of the wrong type is left to the type error that reports it.

STILL_OPEN = ("open", "in-progress")


def is_overdue(status: object, due: object, on: object) -> bool:
    """An action open or in progress after its due date, on a meeting's date: the one rule
    for `briefing check` and "you said, we did". Values of the wrong type are not overdue."""
    due, on = _as_date(due), _as_date(on)
    return status in STILL_OPEN and due is not None and on is not None and due < on


def _as_date(value: object) -> dt.date | None:
    value = _iso_text_to_date(value)
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None


def _entries(data: dict, key: str) -> list[tuple[int, dict]]:
    """(index, mapping) of each item of a list at the top level; wrong types are skipped."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _all_entries(data: dict, key: str, field_name: str) -> bool:
    """Every item of the list is a mapping whose `field_name` is text: nothing unreadable."""
    value = data.get(key, [])
    return isinstance(value, list) and all(
        isinstance(item, dict) and isinstance(item.get(field_name), str) for item in value)


def _texts(value: Any, loc: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every text value in the raw data, with its key path."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, (*loc, index))


def _check_references(data: Any, document: YamlDocument,
                      shown: str) -> tuple[list[Diagnostic], list[Diagnostic]]:
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    if not isinstance(data, dict):
        return errors, warnings

    def at(loc: KeyPath, message: str, into: list[Diagnostic]) -> None:
        line, column = document.locate(loc)
        into.append(Diagnostic(shown, line, column, message,
                               "warning" if into is warnings else "error"))

    def unique_ids(key: str, kind: str) -> dict[str, int]:
        first: dict[str, int] = {}
        for index, item in _entries(data, key):
            value = item.get("id")
            if not isinstance(value, str):
                continue
            if value in first:
                at((key, index, "id"),
                   f"duplicate {kind} id `{value}` (also {key}[{first[value]}]); "
                   f"{kind} ids must be unique", errors)
            else:
                first[value] = index
        return first

    for key, drawn in (("attendance", "attendance groups"), ("themes", "themes")):
        items = data.get(key)
        if isinstance(items, list) and len(items) > MAX_CATEGORIES:
            at((key, MAX_CATEGORIES), f"{len(items):,} {drawn}: the limit is {MAX_CATEGORIES} "
                                      "(each is a bar of a chart); group the smaller ones",
               errors)
    theme_ids = unique_ids("themes", "theme")
    unique_ids("actions", "action")
    # A theme whose id cannot be read may be the one a reference names: do not guess.
    all_themes_known = _all_entries(data, "themes", "id")

    def check_theme(kind: str, index: int, theme: object) -> None:
        if isinstance(theme, str) and all_themes_known and theme not in theme_ids:
            hint = difflib.get_close_matches(theme, list(theme_ids), n=1)
            known = f"did you mean `{hint[0]}`?" if hint else (
                f"known themes: {', '.join(theme_ids)}" if theme_ids else "this file has no themes")
            at((kind, index, "theme"), f"{kind[:-1]} refers to theme `{theme}`, which is not "
                                       f"a theme id in this file; {known}", errors)

    quoted_themes = set()
    for index, quote in _entries(data, "quotes"):
        theme = quote.get("theme")
        quoted_themes.add(theme if isinstance(theme, str) else None)
        check_theme("quotes", index, theme)
        if theme is None:
            at(("quotes", index), "quote has no `theme`, so it will not appear under any "
                                  "theme; add `theme: <id>`", warnings)
    meeting = data.get("meeting")
    meeting_date = meeting.get("date") if isinstance(meeting, dict) else None
    first_meeting = isinstance(meeting, dict) and meeting.get("follows") is None
    for index, action in _entries(data, "actions"):
        check_theme("actions", index, action.get("theme"))
        if first_meeting and action.get("update") is not None:
            # `you_said` is written at the first meeting on purpose: later packs print it.
            at(("actions", index, "update"),
               f"action {action.get('id')} has an `update`, but this meeting follows no earlier "
               "one, so this pack prints it nowhere (\"You said, we did\" is in the packs of "
               "later meetings); write progress in the file of the meeting that `follows` this "
               "one", warnings)
        status = action.get("status", "open")
        if is_overdue(status, action.get("due"), meeting_date):
            at(("actions", index, "due"),
               f"action {action.get('id')} was due {_as_date(action['due']).isoformat()}, "
               f"before this meeting ({_as_date(meeting_date).isoformat()}), and is still "
               f"{status.replace('-', ' ')}; update its status", warnings)

    if _all_entries(data, "quotes", "text"):  # every quote read: a theme's quotes are known
        for index, theme in _entries(data, "themes"):
            points = theme.get("points", [])
            if (isinstance(theme.get("id"), str) and points == []
                    and theme["id"] not in quoted_themes):
                at(("themes", index), f"theme `{theme['id']}` has no points and no quotes",
                   warnings)

    for loc, text in _texts(data, ()):
        if len(text) > 1 and text[0] in "\u201c\u2018" and text[-1] in "\u201d\u2019":
            at(loc, f"`{_dotted(loc)}` is wrapped in curly quotes ({text[0]}…{text[-1]}), which "
                    "YAML keeps as part of the text and the pack prints; remove them, or use "
                    "straight quotes (\") if you meant to quote the text", warnings)

    data_ids: dict[str, int] = {}
    for index, dataset in _entries(data, "data"):
        name_ = dataset.get("id")
        shown_id = name_ if isinstance(name_, str) else f"data[{index}]"
        if isinstance(name_, str):
            if name_ in data_ids:
                at(("data", index, "id"),
                   f"duplicate data id `{name_}` (also data[{data_ids[name_]}]); "
                   "data ids must be unique", errors)
            data_ids.setdefault(name_, index)
        csv = dataset.get("csv")
        series = dataset.get("series", {})
        categories = dataset.get("categories", [])
        if isinstance(categories, list) and len(categories) > MAX_CATEGORIES:
            at(("data", index, "categories", MAX_CATEGORIES),
               f"data `{shown_id}` has {len(categories):,} categories: a chart holds at most "
               f"{MAX_CATEGORIES}; group the smaller ones or split the data", errors)
        if isinstance(series, dict) and len(series) > MAX_SERIES:
            at(("data", index, "series"),
               f"data `{shown_id}` has {len(series):,} series: a chart holds at most "
               f"{MAX_SERIES}; split the data into several charts", errors)
        if csv is None:
            if isinstance(categories, list):
                first: dict[object, int] = {}
                for position, category in enumerate(categories):
                    if isinstance(category, (str, int, float)) and category in first:
                        at(("data", index, "categories", position),
                           f"category `{shortened(str(category))}` is repeated (also "
                           f"categories[{first[category]}]); the chart would show two entries a "
                           "reader cannot tell apart: give each category once", warnings)
                    elif isinstance(category, (str, int, float)):
                        first[category] = position
            if isinstance(series, dict) and isinstance(categories, list):
                for name, values in series.items():
                    if isinstance(values, list) and len(values) != len(categories):
                        at(("data", index, "series", name),
                           f"series `{name}` has {len(values)} values but there are "
                           f"{len(categories)} categories; give one value per category",
                           errors)
            if series == {}:
                at(("data", index), f"data `{shown_id}` has no `series` and no `csv`", errors)
        elif isinstance(csv, str) and (series or categories):
            at(("data", index, "csv"), "give either `csv` or `categories` and `series`, "
                                       "not both", errors)
        source = dataset.get("source")
        if source is None or (isinstance(source, str) and not source.strip()):
            at(("data", index), f"data `{shown_id}` has no `source`, so its chart is not "
                                "printed; add `source:` saying where the figures come from",
               warnings)
    return errors, warnings
