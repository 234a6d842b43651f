"""Turn a meeting file's YAML text into a validated Meeting, with a line number for every problem."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .datafiles import resolve_data
from .errors import Diagnostic, InputError
from .models import MeetingFile
from .yamlsource import KeyPath, YamlDocument, describe, read_yaml


@dataclass(frozen=True)
class Meeting:
    """A meeting file that passed validation, with where it came from and what it warned."""

    path: Path
    shown_path: str
    content: MeetingFile
    document: YamlDocument = field(repr=False, compare=False)
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def stem(self) -> str:
        return self.path.stem

    def line_of(self, *key_path: Any) -> int:
        return self.document.locate(key_path)[0]


def load_meeting(path: Path | str, shown_path: str | None = None) -> Meeting:
    """Read, parse and validate one meeting file; raise InputError listing every problem."""
    path = Path(path)
    shown = shown_path or str(path)
    document = read_yaml(path, shown)
    try:
        content = MeetingFile.model_validate(document.data)
    except ValidationError as error:
        found = [_diagnostic(e, document, shown) for e in error.errors()]
        # A refused tag or duplicate key already explains the value at that spot.
        explained = {(p.line, p.column) for p in document.problems}
        raise InputError(document.problems + [d for d in found
                                              if (d.line, d.column) not in explained]) from None
    errors, warnings = _check_references(content, document, shown)
    content, data_errors = resolve_data(content, document, path, shown)
    errors += data_errors
    if errors or document.problems:
        raise InputError(document.problems + errors)
    return Meeting(path, shown, content, document, tuple(warnings))


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
        message = f"unknown key `{loc[-1]}`" + (f" in `{_dotted(loc[:-1])}`" if loc[:-1] else "")
        suggestion = _suggest(str(loc[-1]), loc[:-1])
        if suggestion:
            message += f"; did you mean `{suggestion}`?"
        else:
            known = _known_keys(loc[:-1])
            if known:
                message += f"; expected one of: {', '.join(known)}"
    else:
        line, column = document.locate_value(loc)
        if kind in _EXPECTED:
            message = f"`{where}` should be {_EXPECTED[kind]}, found {describe(value)}"
            if kind in ("string_type",) and isinstance(value, (int, float, bool)):
                message += " (put it in quotes to keep it as text)"
        elif kind == "literal_error":
            expected = error["ctx"]["expected"].replace("'", "")
            message = f"`{where}` should be one of {expected}; found {describe(value)}"
        elif kind == "greater_than_equal":
            message = f"`{where}` cannot be negative, found {describe(value)}"
        elif kind == "string_too_short":
            message = f"`{where}` is empty; write some text or remove the key"
        else:
            message = f"`{where}`: {error['msg']}, found {describe(value)}"
    return Diagnostic(shown, line, column, message)


def _dotted(loc: KeyPath) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
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


# --- checks across the file -------------------------------------------------------------

def _check_references(content: MeetingFile, document: YamlDocument,
                      shown: str) -> tuple[list[Diagnostic], list[Diagnostic]]:
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []

    def at(loc: KeyPath, message: str, into: list[Diagnostic]) -> None:
        line, column = document.locate(loc)
        into.append(Diagnostic(shown, line, column, message,
                               "warning" if into is warnings else "error"))

    theme_ids: dict[str, int] = {}
    for index, theme in enumerate(content.themes):
        if theme.id in theme_ids:
            at(("themes", index, "id"),
               f"duplicate theme id `{theme.id}` (also themes[{theme_ids[theme.id]}]); "
               "theme ids must be unique", errors)
        else:
            theme_ids[theme.id] = index

    action_ids: dict[str, int] = {}
    for index, action in enumerate(content.actions):
        if action.id in action_ids:
            at(("actions", index, "id"),
               f"duplicate action id `{action.id}` (also actions[{action_ids[action.id]}]); "
               "action ids must be unique", errors)
        else:
            action_ids[action.id] = index

    def check_theme(kind: str, index: int, theme: str | None) -> None:
        if theme is not None and theme not in theme_ids:
            hint = difflib.get_close_matches(theme, list(theme_ids), n=1)
            known = f"did you mean `{hint[0]}`?" if hint else (
                f"known themes: {', '.join(theme_ids)}" if theme_ids else "this file has no themes")
            at((kind, index, "theme"), f"{kind[:-1]} refers to theme `{theme}`, which is not "
                                       f"a theme id in this file; {known}", errors)

    for index, quote in enumerate(content.quotes):
        check_theme("quotes", index, quote.theme)
        if quote.theme is None:
            at(("quotes", index), "quote has no `theme`, so it will not appear under any "
                                  "theme; add `theme: <id>`", warnings)
    for index, action in enumerate(content.actions):
        check_theme("actions", index, action.theme)
        if action.status == "open" and action.due and action.due < content.meeting.date:
            at(("actions", index, "due"),
               f"action {action.id} was due {action.due.isoformat()}, before this meeting "
               f"({content.meeting.date.isoformat()}), and is still open; update its status",
               warnings)

    quoted_themes = {quote.theme for quote in content.quotes}
    for index, theme in enumerate(content.themes):
        if not theme.points and theme.id not in quoted_themes:
            at(("themes", index), f"theme `{theme.id}` has no points and no quotes", warnings)

    data_ids: dict[str, int] = {}
    for index, dataset in enumerate(content.data):
        if dataset.id in data_ids:
            at(("data", index, "id"),
               f"duplicate data id `{dataset.id}` (also data[{data_ids[dataset.id]}]); "
               "data ids must be unique", errors)
        data_ids.setdefault(dataset.id, index)
        if dataset.csv is None:
            for name, values in dataset.series.items():
                if len(values) != len(dataset.categories):
                    at(("data", index, "series", name),
                       f"series `{name}` has {len(values)} values but there are "
                       f"{len(dataset.categories)} categories; give one value per category",
                       errors)
        elif dataset.series or dataset.categories:
            at(("data", index, "csv"), "give either `csv` or `categories` and `series`, "
                                       "not both", errors)
        if dataset.csv is None and not dataset.series:
            at(("data", index), f"data `{dataset.id}` has no `series` and no `csv`", errors)
        if not (dataset.source or "").strip():
            at(("data", index), f"data `{dataset.id}` has no `source`, so its chart is not "
                                "printed; add `source:` saying where the figures come from",
               warnings)
    return errors, warnings
