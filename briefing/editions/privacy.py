"""Turn the text a public edition would print into warnings about likely personal data, by line.

Only what reaches the public edition (its pages or its archive copy) is scanned: every
string of every meeting file in the chain that the models declare readers may see and the
public edition prints (rules.carried_texts), ids, series names and CSV headers and cells
included, but never `notes` or quotes without `consent: public`. Text is compared folded
(textfold.py), so entities, Markdown emphasis, invisible characters and look-alike letters
hide nothing. Patterns find email addresses, UK phone numbers, UK postcodes and
current-format UK vehicle registrations (in capitals or in small letters), names listed in
the workspace's `private-names.txt`, the words of internal quotes written elsewhere, and
counts of residents from 1 to 4. Every pattern runs in time linear in the text. Warnings do
not repeat the value they found (CI logs may be public): they give its kind and position.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefing.editions.rules import carried_texts, quote_pattern, quote_printed
from briefing.editions.textfold import fold, folded
from briefing.errors import Diagnostic, InputError
from briefing.files import read_file, why_unreadable
from briefing.meeting.fields import Found, texts
from briefing.meeting.loading import Meeting
from briefing.meeting.series import Series

PRIVATE_NAMES_FILE = "private-names.txt"
MAX_NAMES_BYTES = 1024 * 1024
SMALL_COUNT = 5  # counts of residents from 1 to SMALL_COUNT - 1 can identify people

# An address is found from each `@` outwards (never by trying every start of a long word,
# which took minutes on 200 KB without a space): the local part to its left, the domain here.
_EMAIL_LOCAL_CHARACTERS = re.compile(r"[\w.+-]")
_EMAIL_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"""
    (?<![\w+])
    (?: (?:\+44|0044)\s?(?:\(0\)\s?)? | \(0 | 0 )
    (?: \d [\s\-)]{0,2} ){8,9} \d
    (?![\w])
""", re.VERBOSE)
# Postcodes and registrations match in either case (`sw11 2ab`), but only written all in
# capitals or all in small letters: `B12 3rd` is a room and a floor, not a postcode.
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b",
                       re.IGNORECASE)
_VEHICLE = re.compile(r"\b[A-HJ-PR-Y]{2}(?:0[1-9]|[1-7]\d) ?[A-HJ-PR-Z]{3}\b", re.IGNORECASE)
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)$")
# In small letters a registration's last three letters can be an ordinary word: `fy24 and`.
_SHORT_WORDS = frozenset("""
    add age ago all and any are ask bad bed big bin bus but buy can car cut day did due end
    far few for fun get got had has her him his how its job let lot low man may men met new
    nor not now off old one our out own pay per put ran ref run saw say see set she six son
    sun tax ten the too top two use van via war was way who why yes yet you
""".split())


def _postcode(text: str) -> bool:
    return text.isupper() or (text.islower() and not _ORDINAL.search(text))


def _vehicle(text: str) -> bool:
    return text.isupper() or (text.islower() and text[-3:] not in _SHORT_WORDS)


def _uk_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and text.lstrip().startswith("+"):
        digits = digits[2:]
    national = digits[1:] if digits.startswith("0") else digits
    return len(national) in (9, 10) and national[0] in "123789"


class _EmailPattern:
    """finditer() over email addresses, linear in the text."""

    def finditer(self, text: str) -> Iterator[_Found]:
        at = text.find("@")
        previous_end = 0
        while at != -1:
            start = at
            while start > previous_end and _EMAIL_LOCAL_CHARACTERS.match(text[start - 1]):
                start -= 1
            domain = _EMAIL_DOMAIN.match(text, at + 1) if start < at else None
            if domain is not None:
                yield _Found(start, text[start:domain.end()])
                previous_end = domain.end()
            else:
                previous_end = at + 1
            at = text.find("@", max(at + 1, previous_end))


@dataclass(frozen=True)
class _Found:
    """A match found without a regular expression, shaped like one."""

    position: int
    text: str

    def start(self) -> int:
        return self.position

    def group(self) -> str:
        return self.text


Detector = tuple[str, Any, Callable[[str], bool]]
DETECTORS: tuple[Detector, ...] = (
    ("an email address", _EmailPattern(), lambda _: True),
    ("a UK phone number", _PHONE, _uk_phone),
    ("a UK postcode", _POSTCODE, _postcode),
    ("a vehicle registration", _VEHICLE, _vehicle),
)


def read_private_names(workspace: Path) -> list[str]:
    """Names never to publish: one a line in private-names.txt, `#` starts a comment."""
    path = workspace / PRIVATE_NAMES_FILE
    if not os.path.lexists(path):
        return []
    try:
        text = read_file(path, MAX_NAMES_BYTES, inside=workspace).data.decode("utf-8-sig")
    except OSError as error:
        raise InputError.at(PRIVATE_NAMES_FILE, 0, "cannot read the list of private names: "
                            f"{why_unreadable(error, MAX_NAMES_BYTES)}") from None
    except UnicodeDecodeError as error:
        raise InputError.at(PRIVATE_NAMES_FILE, 0, "cannot read the list of private names: "
                            f"it is not UTF-8 (at byte {error.start}); save it as UTF-8") from None
    names = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def name_pattern(name: str) -> re.Pattern[str]:
    """A name as whole words in folded text (textfold.fold), any spacing between its words."""
    words = folded(name).split()
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)")


def find_personal_data(text: str, names: Sequence[re.Pattern[str]] = ()) -> list[tuple[str, int]]:
    """(kind, offset in text) of each likely piece of personal data in the text, in order.

    Patterns run on the text as it reads (entities decoded, invisible characters and
    Markdown emphasis dropped, case kept, as postcodes need it); names compare folded."""
    shown = fold(text, match_case=True)
    found = []
    for kind, pattern, accept in DETECTORS:
        found.extend((kind, shown.starts[match.start()]) for match in pattern.finditer(shown.text)
                     if accept(match.group()))
    if names:
        folded_text = fold(text)
        found.extend((f"a name listed in {PRIVATE_NAMES_FILE}", folded_text.starts[match.start()])
                     for pattern in names for match in pattern.finditer(folded_text.text))
    return sorted(found, key=lambda item: item[1])


def public_texts(series: Series) -> Iterator[tuple[Meeting, Found]]:
    """Every text the public edition of the series' newest meeting carries, on its pages or
    in its archive copy: each meeting file of the chain as the public edition keeps it, and
    the headers and cells of this meeting's CSV data files (at the line of their `csv`)."""
    for meeting in series.meetings:
        for found in carried_texts(meeting.document.data, "public", type(meeting.content)):
            yield meeting, found
    current = series.current
    written = current.document.data.get("data") or []
    for index, dataset in enumerate(current.content.data):
        if dataset.csv is None or index >= len(written):
            continue
        # What the CSV file filled in: the fields set on the entry but not written in the YAML.
        filled = dataset.model_fields_set - set(written[index])
        for found in texts(dataset, type(dataset)):
            if found.path[0] in filled and found.role.reaches_readers:
                yield current, Found(("data", index, "csv"), found.text, found.role)


def check_privacy(series: Series, workspace: Path) -> list[Diagnostic]:
    """Warnings, with file and line, about personal data the public edition would print."""
    names = [name_pattern(name) for name in read_private_names(workspace)]
    internal = []
    for meeting in series.meetings:
        shape = type(meeting.content)
        for index, quote in enumerate(meeting.content.quotes):
            pattern = (quote_pattern(quote.text) if not quote_printed(quote, "public", shape)
                       else None)
            if pattern is not None:
                line = meeting.line_of("quotes", index, "text")
                internal.append((pattern, f"{meeting.shown_path}:{line}"))
    warnings: set[Diagnostic] = set()
    files: dict[Path, tuple[str, ...]] = {}

    def warn(meeting: Meeting, found: Found, start: int, message: str) -> None:
        if found.is_key:  # a mapping key: its position is the key's
            line, column = meeting.document.locate(found.path)
        else:
            if meeting.path not in files:
                files[meeting.path] = _file_lines(meeting)
            line, column = _position(meeting, files[meeting.path], found.path, found.text,
                                     start)
        warnings.add(Diagnostic(meeting.shown_path, line, column, message, "warning"))

    for meeting, found in public_texts(series):
        text = found.text
        # The path of a key (the format's only one: a series name) ends in the key itself:
        # never repeat it in a warning.
        where = (f"`{_dotted(found.path[:-1])}` (a series name)" if found.is_key
                 else f"`{_dotted(found.path)}`")
        for kind, start in (() if found.role.published else find_personal_data(text, names)):
            warn(meeting, found, start,
                 f"{kind} in {where}, which the public edition prints; remove it or move it "
                 "to `notes`")
        folded_text = fold(text) if internal else None
        for pattern, source in internal:
            for match in pattern.finditer(folded_text.text):
                warn(meeting, found, folded_text.starts[match.start()],
                     f"{where} repeats the words of a quote without `consent: public` "
                     f"({source}); the public edition prints [withheld] in their place")
    current = series.current
    for index, row in enumerate(current.content.attendance):
        if row.role == "residents" and 0 < row.count < SMALL_COUNT:
            line, column = current.document.locate_value(("attendance", index, "count"))
            warnings.add(Diagnostic(
                current.shown_path, line, column,
                f"attendance count under {SMALL_COUNT} for `{row.group}` would appear in the "
                "public edition, and small numbers of residents can identify people; group it "
                "with another row, or add `role: officials` if the group are officers, staff "
                "or councillors", "warning"))
    return sorted(warnings)


def _dotted(key_path: tuple[Any, ...]) -> str:
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _file_lines(meeting: Meeting) -> tuple[str, ...]:
    """The meeting file's lines as read and parsed (the file is not read again)."""
    if meeting.file is None:
        return ()
    try:
        return tuple(meeting.file.data.decode("utf-8-sig").splitlines())
    except UnicodeDecodeError:
        return ()


def _position(meeting: Meeting, lines: tuple[str, ...], key_path, text: str,
              start: int) -> tuple[int, int]:
    """The line and column in the file of text[start:], inside a possibly multi-line value."""
    line, column = meeting.document.locate_value(key_path)
    if not lines or line < 1:
        return line, column
    found = re.match(r"\S+", text[start:])
    needle = found.group() if found else text[start:]
    # Which occurrence of the needle in the value this is, so repeats get their own line.
    wanted = text.count(needle, 0, start)
    # A block scalar starts on the line after its `|` or `>`; folding can only shorten lines.
    last = min(len(lines), line + text.count("\n") + len(text) // 10 + 2)
    seen = 0
    for number in range(line, last + 1):
        body = lines[number - 1]
        offset = column - 1 if number == line else 0
        position = body.find(needle, offset)
        while position != -1:
            if seen == wanted:
                return number, position + 1
            seen += 1
            position = body.find(needle, position + 1)
    return line, column
