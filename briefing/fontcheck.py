"""Turn a meeting file's text into warnings for characters no shipped font can draw.

The pack's fonts are part of the project (layouts/base/fonts, plus any `fonts/` folder of a
layout), not the host's. A character none of them covers would print as an empty box, or in
whatever font the build machine happens to have, so they are reported once per value, with
the file, line and column of the first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import Diagnostic
from .meetings import Meeting

FONT_SUFFIXES = (".ttf", ".otf")
# Keys whose values never print (identifiers, file names, enumerations).
_NOT_PRINTED = {"id", "theme", "follows", "csv", "consent", "status", "kind", "language",
                "classification"}
# Formatting characters that draw nothing: whitespace, joiners, variation selectors, marks
# of direction; a font need not cover them.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def font_files(roots: list[Path]) -> list[Path]:
    """The fonts a build may use: every TTF/OTF in a `fonts` folder of a layout root."""
    found = []
    for root in roots:
        for folder in sorted(root.glob("*/fonts")):
            found.extend(sorted(p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES))
    return found


def covered_characters(fonts: list[Path]) -> frozenset[int]:
    """Every code point at least one of the fonts maps to a glyph."""
    covered: set[int] = set()
    for font in fonts:
        stat = font.stat()
        covered |= _cmap(font, stat.st_size, stat.st_mtime_ns)
    return frozenset(covered)


@lru_cache(maxsize=64)
def _cmap(path: Path, size: int, mtime: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font["cmap"].getBestCmap() or ())


def _printed_text(data: Any, key_path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _NOT_PRINTED or key_path + (key,) == ("meeting", "series"):
                continue
            if isinstance(key, str):
                yield key_path + (key,), key
            yield from _printed_text(value, key_path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _printed_text(value, key_path + (index,))
    elif isinstance(data, str):
        yield key_path, data


def uncovered_characters(meeting: Meeting, covered: frozenset[int]) -> list[Diagnostic]:
    """A warning for each printed value holding characters no font covers: it lists them,
    at the line and column of the first."""
    lines: list[str] | None = None
    warnings: list[Diagnostic] = []
    reported: set[tuple[int, str]] = set()
    for key_path, text in _printed_text(meeting.document.data):
        missing = [ch for ch in dict.fromkeys(text)
                   if ord(ch) not in covered
                   and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES]
        if not missing:
            continue
        if lines is None:
            lines = meeting.path.read_text(encoding="utf-8-sig").splitlines()
        start_line, start_column = meeting.document.locate_value(key_path)
        found = []
        for ch in missing:
            line, column = _find(lines, ch, start_line, start_column)
            if (line, ch) not in reported:  # a key and its value may share a line
                reported.add((line, ch))
                found.append((line, column, ch))
        if not found:
            continue
        line, column, _ = min(found)
        listed = ", ".join(f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')})"
                           for _, _, ch in found)
        if len(found) == 1:
            message = (f"character {listed} is in none of the pack's fonts and would print "
                       "as an empty box; replace it")
        else:
            message = (f"{len(found)} characters are in none of the pack's fonts and would "
                       f"print as empty boxes: {listed}; replace them")
        warnings.append(Diagnostic(
            meeting.shown_path, line, column,
            f"{message}, or add a font that covers {'them' if len(found) > 1 else 'it'} to a "
            "`fonts` folder of your layouts", "warning"))
    return warnings


def _find(lines: list[str], ch: str, line: int, column: int) -> tuple[int, int]:
    """Where the character is written: the first occurrence at or after the value's start."""
    for number in range(max(line, 1), len(lines) + 1):
        text = lines[number - 1]
        offset = text.find(ch, column - 1 if number == line else 0)
        if offset >= 0:
            return number, offset + 1
    return line, column
