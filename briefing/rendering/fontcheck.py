"""Turn a meeting file's text into warnings for characters no shipped font can draw.

The pack's fonts are part of the project (layouts/base/fonts, with a monochrome emoji font
as the last fallback, plus any `fonts/` folder of a layout), never the host's: pdf.py keeps
fontconfig to them. A character none of them covers is printed as REPLACEMENT (the render
swaps it in, see `printable_model`), so it is reported once per value, with the file, line
and column of the first. Which values are drawn as written is declared on the models
(meeting/fields.py): identifiers and file paths are neither checked nor replaced.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from briefing.errors import Diagnostic
from briefing.files import OutsideFolder, read_file, why_unreadable
from briefing.meeting.fields import rewrite, texts
from briefing.meeting.loading import Meeting

# Formatting characters that draw nothing: whitespace, joiners, variation selectors, marks
# of direction; a font need not cover them.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}
# What an uncovered character prints as: visible, in the shipped fonts, and searchable.
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
_SHOWN_REPLACEMENT = f"'{REPLACEMENT}' (U+FFFD REPLACEMENT CHARACTER)"


def draws_nothing(ch: str) -> bool:
    """Whitespace, joiners, marks of direction, variation selectors (the U+FE0F after an
    emoji): characters a font need not cover, as they print nothing of their own."""
    code = ord(ch)
    return (unicodedata.category(ch) in _INVISIBLE_CATEGORIES or 0xFE00 <= code <= 0xFE0F
            or 0xE0100 <= code <= 0xE01EF)


def printable_text(text: str, covered: frozenset[int]) -> str:
    """The text with each character no font covers replaced by REPLACEMENT."""
    if text.isascii():
        return text
    return "".join(ch if ord(ch) in covered or draws_nothing(ch) else REPLACEMENT for ch in text)


def printable_model(model, covered: frozenset[int]):
    """A copy of a pydantic model whose printed text holds only characters the fonts cover
    (the model itself when it already does)."""
    data = model.model_dump()
    fixed = rewrite(data, type(model), lambda text, role: printable_text(text, covered)
                    if role.font_checked else text)
    return model if fixed == data else type(model).model_validate(fixed)


MAX_FONT_BYTES = 50 * 1024 * 1024


def covered_characters(fonts: list[tuple[Path, Path]],
                       ) -> tuple[frozenset[int], list[tuple[Path, str]]]:
    """Every code point at least one of the fonts maps to a glyph, and the fonts that could
    not be read (each with why): a broken font, a pipe or a link out of its layout folder is
    left out with a reason, never a traceback or a hang."""
    covered: set[int] = set()
    unreadable: list[tuple[Path, str]] = []
    for root, font in fonts:
        try:
            file = read_file(font, MAX_FONT_BYTES, inside=root)
        except OutsideFolder:
            unreadable.append((font, "leads outside its layout folder (by a symbolic link); "
                                     "it is not read"))
            continue
        except OSError as error:
            unreadable.append((font, why_unreadable(error, MAX_FONT_BYTES)))
            continue
        key = (file.path, file.signature)
        if key not in _CMAPS:
            _CMAPS[key] = _cmap(file.data)
        if _CMAPS[key] is None:
            unreadable.append((font, "is not a font file that can be read (TrueType or "
                                     "OpenType with a character map); replace or remove it"))
            continue
        covered |= _CMAPS[key]
    return frozenset(covered), unreadable


_CMAPS: dict[tuple[Path, tuple[int, int, int]], frozenset[int] | None] = {}


def _cmap(data: bytes) -> frozenset[int] | None:
    """The code points a font maps, or None if the bytes are not a readable font.

    HarfBuzz reads the character map (the same best Unicode subtable fontTools would pick)
    about ten times faster than fontTools, and a build reads every layout font's map."""
    import uharfbuzz

    face = uharfbuzz.Face(uharfbuzz.Blob(data))
    if face.glyph_count == 0:  # HarfBuzz makes an empty face of what is not a font
        return None
    return frozenset(face.unicodes)


def uncovered_characters(meeting: Meeting, covered: frozenset[int]) -> list[Diagnostic]:
    """A warning for each printed value holding characters no font covers: it lists them,
    at the line and column of the first."""
    lines: list[str] | None = None
    warnings: list[Diagnostic] = []
    reported: set[tuple[int, str]] = set()
    for key_path, text, role, _ in texts(meeting.document.data, type(meeting.content)):
        if not role.font_checked:
            continue
        missing = [ch for ch in dict.fromkeys(text)
                   if ord(ch) not in covered and not draws_nothing(ch)]
        if not missing:
            continue
        if lines is None:  # the bytes that were parsed, not the file read again
            raw = meeting.file.data if meeting.file is not None else b""
            lines = raw.decode("utf-8-sig").splitlines()
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
            message = (f"character {listed} is in none of the pack's fonts and prints as "
                       f"{_SHOWN_REPLACEMENT}; replace it")
        else:
            message = (f"{len(found)} characters are in none of the pack's fonts and each "
                       f"prints as {_SHOWN_REPLACEMENT}: {listed}; replace them")
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
