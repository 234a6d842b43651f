"""Declare what each meeting field holds and which editions print it; walk meeting data by those declarations.

A field's type carries its role (`Annotated[str, PROSE]`, or an alias such as `Prose` in
models.py) and, when not every edition prints it, an `Editions` marker. Withholding, the
privacy check, the font check and typesetting walk a meeting (parsed YAML, a model dump or
a model) along the model's types and read these declarations, so a field added to the
models is covered by declaring it once. Neither marker reaches the JSON Schema.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel


@dataclass(frozen=True)
class Role:
    """What a field's text is, and so what the checks and the printing do with it."""

    name: str
    reaches_readers: bool  # may reach a reader (page or archive copy): privacy-scanned, withheld
    font_checked: bool  # drawn as written: warned about, and replaced, where no font covers it
    typeset: bool  # plain text: straight quotes are curled
    published: bool = False  # meant to be public (the contact): no personal-data warnings


PROSE = Role("prose", reaches_readers=True, font_checked=True, typeset=True)
# Prose written in Markdown: the Markdown renderer typesets it, knowing code from prose.
MARKDOWN = Role("Markdown", reaches_readers=True, font_checked=True, typeset=False)
# Printed exactly as written, such as an email address.
VERBATIM = Role("verbatim", reaches_readers=True, font_checked=True, typeset=False)
# How to reach the organiser: meant to be published, so phone numbers and email addresses
# in it are not personal data to warn about (internal quotes are still withheld).
PUBLISHED_PROSE = Role("published prose", reaches_readers=True, font_checked=True, typeset=True,
                       published=True)
PUBLISHED_VERBATIM = Role("published verbatim", reaches_readers=True, font_checked=True,
                          typeset=False, published=True)
# An id, a reference to one, or one of a fixed set of words: matched and linked as written,
# so never curled or replaced; still scanned and withheld, as it may print.
IDENTIFIER = Role("identifier", reaches_readers=True, font_checked=False, typeset=False)
# A number, a date or a yes/no: printed formatted, never as the text written.
FIGURE = Role("figure", reaches_readers=True, font_checked=True, typeset=False)
# The path of another file: it never prints, and changing it would break the meeting file.
FILE_PATH = Role("file path", reaches_readers=False, font_checked=False, typeset=False)
# The text of a field that declares no role is treated as prose: checked and withheld.
UNDECLARED = Role("undeclared", reaches_readers=True, font_checked=True, typeset=True)


@dataclass(frozen=True, init=False)
class Editions:
    """Which editions print a field (a field without this marker prints in every edition).

    `entry_if=(key, value)`: each entry of the list prints in the other editions too when its
    `key` holds `value` (a quote with `consent: public`). A copy of plain data leaves such a
    field out once nothing in it is printed.
    """

    names: tuple[str, ...]
    entry_if: tuple[str, object] | None

    def __init__(self, *names: str, entry_if: tuple[str, object] | None = None) -> None:
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "entry_if", entry_if)

    def prints(self, edition: str, value: object) -> bool:
        """Whether the edition prints this value of the field (an entry, with `entry_if`)."""
        if edition in self.names:
            return True
        if self.entry_if is None:
            return False
        key, wanted = self.entry_if
        found = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return found == wanted


class Found(NamedTuple):
    """One text in a meeting: where (the key path), what, its role, and whether it is a key
    of a mapping (a data series' name) rather than a value."""

    path: tuple
    text: str
    role: Role
    is_key: bool = False


def texts(value: Any, shape: Any, edition: str | None = None) -> Iterator[Found]:
    """Every string in a meeting (parsed YAML, a model dump or a model, described by `shape`,
    a model class) with its declared role, keys of mappings such as series names included;
    with `edition`, only what that edition prints. Paths keep the file's list positions."""
    yield from _texts(value, shape, UNDECLARED, (), edition)


def rewrite(value: Any, shape: Any, change: Callable[[str, Role], str]) -> Any:
    """A copy of plain data (parsed YAML or a model dump) with each string, and each key of a
    mapping whose keys are the file's own words, replaced by `change(text, role)`."""
    return _rewrite(value, shape, UNDECLARED, change)


def printed(value: Any, shape: Any, edition: str) -> Any:
    """A copy of a meeting (parsed YAML, a model dump or a model) holding only what the edition
    prints: a field it does not print left out (in a model: set to its default), entries of
    a list it does not print dropped. The value itself when nothing is dropped."""
    shape, _ = _resolve(shape, value, UNDECLARED)
    model = _model(shape, value)
    if not _has_markers(model or shape):
        return value
    if model is not None and isinstance(value, BaseModel):
        update = {}
        for name, info in model.model_fields.items():
            entry = getattr(value, name)
            field_shape, _, editions = declaration(model, name)
            kept = _printed_field(entry, field_shape, editions, edition)
            if kept is _LEFT_OUT:
                update[name] = info.get_default(call_default_factory=True)
            elif kept is not entry:
                update[name] = kept
        return value.model_copy(update=update) if update else value
    if model is not None and isinstance(value, dict):
        copy = {}
        for name, entry in value.items():
            field_shape, _, editions = declaration(model, name)
            kept = _printed_field(entry, field_shape, editions, edition, plain=True)
            if kept is not _LEFT_OUT:
                copy[name] = kept
        return copy
    if isinstance(value, list):
        item = _item_shape(shape)
        copy = [printed(entry, item, edition) for entry in value]
        return value if all(a is b for a, b in zip(copy, value, strict=True)) else copy
    return value


class Declaration(NamedTuple):
    """What a model declares about one of its fields."""

    shape: Any  # its type, past Annotated layers
    role: Role  # UNDECLARED if it declares none
    editions: Editions | None  # None: every edition prints it


@cache
def declaration(model: type[BaseModel], name: object) -> Declaration:
    """What the model declares about a field; for a key it does not know, Any and UNDECLARED."""
    info = model.model_fields.get(name) if isinstance(name, str) else None
    if info is None:
        return Declaration(Any, UNDECLARED, None)
    role, editions = UNDECLARED, None
    for item in info.metadata:
        role = item if isinstance(item, Role) else role
        editions = item if isinstance(item, Editions) else editions
    shape, role, inner = _strip(info.annotation, role)
    return Declaration(shape, role, editions or inner)


def editions_markers(shape: Any) -> Iterator[Editions]:
    """Every Editions marker declared in a model and the models inside it."""
    yield from _markers(shape, set())


def prints_everything(shape: Any, edition: str) -> bool:
    """Whether the edition prints every field of the model, whatever its values."""
    return all(edition in marker.names for marker in editions_markers(shape))


# --- walking along the types -------------------------------------------------------------

_LEFT_OUT = object()


def _texts(value: Any, shape: Any, role: Role, path: tuple,
           edition: str | None) -> Iterator[Found]:
    shape, role = _resolve(shape, value, role)
    if isinstance(value, str):
        yield Found(path, value, role)
        return
    model = _model(shape, value)
    if model is not None and isinstance(value, (dict, BaseModel)):
        entries = (value.items() if isinstance(value, dict)
                   else ((name, getattr(value, name)) for name in model.model_fields))
        for name, entry in entries:
            field_shape, field_role, editions = declaration(model, name)
            where = (*path, name)
            if edition is not None and editions is not None:
                if editions.entry_if is not None and isinstance(entry, list):
                    list_shape, list_role = _resolve(field_shape, entry, field_role)
                    item = _item_shape(list_shape)
                    for index, each in enumerate(entry):
                        if editions.prints(edition, each):
                            yield from _texts(each, item, list_role, (*where, index), edition)
                    continue
                if not editions.prints(edition, entry):
                    continue
            yield from _texts(entry, field_shape, field_role, where, edition)
    elif isinstance(value, list):
        item = _item_shape(shape)
        for index, entry in enumerate(value):
            yield from _texts(entry, item, role, (*path, index), edition)
    elif isinstance(value, dict):
        key_shape, item = _mapping_shapes(shape)
        for name, entry in value.items():
            if isinstance(name, str):
                yield Found((*path, name), name, _resolve(key_shape, name, role)[1], True)
            yield from _texts(entry, item, role, (*path, name), edition)


def _rewrite(value: Any, shape: Any, role: Role, change: Callable[[str, Role], str]) -> Any:
    shape, role = _resolve(shape, value, role)
    if isinstance(value, str):
        return change(value, role)
    if isinstance(value, list):
        item = _item_shape(shape)
        return [_rewrite(entry, item, role, change) for entry in value]
    if isinstance(value, dict):
        model = _model(shape, value)
        if model is not None:
            return {name: _rewrite(entry, *declaration(model, name)[:2], change)
                    for name, entry in value.items()}
        key_shape, item = _mapping_shapes(shape)
        return {change(name, _resolve(key_shape, name, role)[1]) if isinstance(name, str)
                else name: _rewrite(entry, item, role, change)
                for name, entry in value.items()}
    return value


def _printed_field(entry: Any, shape: Any, editions: Editions | None, edition: str,
                   plain: bool = False) -> Any:
    if editions is not None:
        if editions.entry_if is not None and isinstance(entry, list):
            kept = [each for each in entry if editions.prints(edition, each)]
            if plain and not kept:
                return _LEFT_OUT
            entry = kept if len(kept) < len(entry) else entry
        elif not editions.prints(edition, entry):
            return _LEFT_OUT
    return printed(entry, shape, edition)


def _strip(annotation: Any, role: Role) -> tuple[Any, Role, Editions | None]:
    """The type inside any Annotated layers, the role they declare (the last one written wins,
    else `role`) and their Editions marker."""
    editions = None
    while typing.get_origin(annotation) is Annotated:
        annotation, *metadata = typing.get_args(annotation)
        for item in metadata:
            role = item if isinstance(item, Role) else role
            editions = item if isinstance(item, Editions) else editions
    return annotation, role, editions


def _resolve(shape: Any, value: Any, role: Role) -> tuple[Any, Role]:
    """The type describing `value` (past Annotated layers, the union member it fits) and the
    role declared on the way."""
    kind = (None if value is None else dict if isinstance(value, (dict, BaseModel))
            else list if isinstance(value, list) else str)
    try:
        return _resolve_kind(shape, kind, role)
    except TypeError:  # a type that cannot be a cache key
        return _resolve_kind.__wrapped__(shape, kind, role)


@cache
def _resolve_kind(shape: Any, kind: type | None, role: Role) -> tuple[Any, Role]:
    example = {None: None, dict: {}, list: [], str: ""}[kind]
    while True:
        shape, role, _ = _strip(shape, role)
        if not _is_union(shape):
            return shape, role
        shape = next((arm for arm in typing.get_args(shape)
                      if _fits(_strip(arm, role)[0], example)), Any)


def _is_union(shape: Any) -> bool:
    return typing.get_origin(shape) in (typing.Union, types.UnionType)


def _fits(shape: Any, value: Any) -> bool:
    origin = typing.get_origin(shape)
    if value is None:
        return shape is type(None)
    if _is_union(shape):
        return any(_fits(_strip(arm, UNDECLARED)[0], value) for arm in typing.get_args(shape))
    if isinstance(value, (dict, BaseModel)):
        return origin is dict or _is_model(shape)
    if isinstance(value, list):
        return origin is list
    return shape is not type(None) and origin not in (dict, list) and not _is_model(shape)


def _is_model(shape: Any) -> bool:
    return isinstance(shape, type) and issubclass(shape, BaseModel)


def _model(shape: Any, value: Any) -> type[BaseModel] | None:
    if isinstance(value, BaseModel):
        return type(value)
    return shape if _is_model(shape) else None


def _item_shape(shape: Any) -> Any:
    args = typing.get_args(shape) if typing.get_origin(shape) is list else ()
    return args[0] if args else Any


def _mapping_shapes(shape: Any) -> tuple[Any, Any]:
    args = typing.get_args(shape) if typing.get_origin(shape) is dict else ()
    return (args[0], args[1]) if len(args) == 2 else (Any, Any)


def _has_markers(shape: Any) -> bool:
    """Whether any part of the type declares an Editions marker (else `printed` keeps it whole)."""
    try:
        return _declares_markers(shape)
    except TypeError:  # a type that cannot be a cache key
        return True


@cache
def _declares_markers(shape: Any) -> bool:
    return any(True for _ in _markers(shape, set()))


def _markers(shape: Any, seen: set) -> Iterator[Editions]:
    shape = _strip(shape, UNDECLARED)[0]
    if _is_model(shape):
        if shape in seen:
            return
        seen.add(shape)
        for name in shape.model_fields:
            field_shape, _, marker = declaration(shape, name)
            if marker is not None:
                yield marker
            yield from _markers(field_shape, seen)
    else:
        for arg in typing.get_args(shape):
            yield from _markers(arg, seen)
