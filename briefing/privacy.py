"""Turn the text a public edition would print into warnings about likely personal data, by line.

Only what reaches the public edition is scanned: never `notes` or quotes without
`consent: public`. Patterns find email addresses, UK phone numbers, UK postcodes and
current-format UK vehicle registrations (in capitals or in small letters), names listed in
the workspace's `private-names.txt`, the words of internal quotes written elsewhere, and
attendance counts from 1 to 4. Warnings do not repeat the value they found (CI logs may be
public): they give its kind and position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .editions import quote_pattern
from .errors import Diagnostic, InputError
from .meetings import Meeting
from .series import Series

PRIVATE_NAMES_FILE = "private-names.txt"
SMALL_COUNT = 5  # attendance counts from 1 to SMALL_COUNT - 1 can identify people
ACTION_FIELDS = ("action", "owner", "you_said", "update")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
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


Detector = tuple[str, re.Pattern[str], Callable[[str], bool]]
DETECTORS: tuple[Detector, ...] = (
    ("an email address", _EMAIL, lambda _: True),
    ("a UK phone number", _PHONE, _uk_phone),
    ("a UK postcode", _POSTCODE, _postcode),
    ("a vehicle registration", _VEHICLE, _vehicle),
)


def read_private_names(workspace: Path) -> list[str]:
    """Names never to publish: one a line in private-names.txt, `#` starts a comment."""
    path = workspace / PRIVATE_NAMES_FILE
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError.at(path, 0, f"cannot read the list of private names: {error}") from None
    names = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def name_pattern(name: str) -> re.Pattern[str]:
    """A name as whole words, any case, any spacing between its words."""
    words = name.split()
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)",
                      re.IGNORECASE)


def find_personal_data(text: str, names: Sequence[re.Pattern[str]] = ()) -> list[tuple[str, int]]:
    """(kind, offset) of each likely piece of personal data in the text, in order."""
    found = []
    for kind, pattern, accept in DETECTORS:
        found.extend((kind, match.start()) for match in pattern.finditer(text)
                     if accept(match.group()))
    for pattern in names:
        found.extend((f"a name listed in {PRIVATE_NAMES_FILE}", match.start())
                     for match in pattern.finditer(text))
    return sorted(found, key=lambda item: item[1])


def public_texts(series: Series) -> Iterator[tuple[Meeting, tuple[Any, ...], str]]:
    """Every piece of free text the public edition of the series' newest meeting prints."""
    current = series.current
    content = current.content
    for key in ("title", "venue", "area", "organiser", "programme"):
        value = getattr(content.meeting, key)
        if value:
            yield current, ("meeting", key), value
    if content.meeting.next and content.meeting.next.venue:
        yield current, ("meeting", "next", "venue"), content.meeting.next.venue
    if content.summary:
        yield current, ("summary",), content.summary
    for index, question in enumerate(content.questions):
        yield current, ("questions", index), question
    for index, row in enumerate(content.attendance):
        yield current, ("attendance", index, "group"), row.group
    for index, theme in enumerate(content.themes):
        yield current, ("themes", index, "title"), theme.title
        if theme.summary:
            yield current, ("themes", index, "summary"), theme.summary
        for number, point in enumerate(theme.points):
            yield current, ("themes", index, "points", number), point
    for index, quote in enumerate(content.quotes):
        if quote.consent == "public":
            yield current, ("quotes", index, "text"), quote.text
            yield current, ("quotes", index, "speaker"), quote.speaker
    for index, dataset in enumerate(content.data):
        for key in ("title", "unit", "source", "caveat"):
            value = getattr(dataset, key)
            if value:
                yield current, ("data", index, key), value
        for number, category in enumerate(dataset.categories):
            yield current, ("data", index, "categories", number), str(category)
        for name in dataset.series:
            yield current, ("data", index, "series", name), name
    if series.previous is not None:  # the cover names the meeting this one follows
        yield series.previous, ("meeting", "title"), series.previous.content.meeting.title
    # The action log and "you said, we did": each value from the newest file that wrote it.
    for action in series.actions:
        for key in ACTION_FIELDS:
            if getattr(action, key):
                found = _written_in(series, action.id, key)
                if found:
                    meeting, index = found
                    yield meeting, ("actions", index, key), getattr(action, key)


def _written_in(series: Series, action_id: str, key: str) -> tuple[Meeting, int] | None:
    for meeting in reversed(series.meetings):
        for index, action in enumerate(meeting.content.actions):
            if action.id == action_id and key in action.model_fields_set:
                return meeting, index
    return None


def check_privacy(series: Series, workspace: Path) -> list[Diagnostic]:
    """Warnings, with file and line, about personal data the public edition would print."""
    names = [name_pattern(name) for name in read_private_names(workspace)]
    internal = []
    for meeting in series.meetings:
        for index, quote in enumerate(meeting.content.quotes):
            pattern = quote_pattern(quote.text) if quote.consent != "public" else None
            if pattern is not None:
                line = meeting.line_of("quotes", index, "text")
                internal.append((pattern, f"{meeting.shown_path}:{line}"))
    warnings: set[Diagnostic] = set()
    files: dict[Path, tuple[str, ...]] = {}

    def warn(meeting: Meeting, key_path, text: str, start: int, message: str) -> None:
        if meeting.path not in files:
            files[meeting.path] = _file_lines(meeting.path)
        line, column = _position(meeting, files[meeting.path], key_path, text, start)
        warnings.add(Diagnostic(meeting.shown_path, line, column, message, "warning"))

    for meeting, key_path, text in public_texts(series):
        where = _dotted(key_path)
        for kind, start in find_personal_data(text, names):
            warn(meeting, key_path, text, start,
                 f"{kind} in `{where}`, which the public edition prints; remove it or move it "
                 "to `notes`")
        for pattern, source in internal:
            for match in pattern.finditer(text):
                warn(meeting, key_path, text, match.start(),
                     f"`{where}` repeats the words of a quote without `consent: public` "
                     f"({source}); the public edition prints [withheld] in their place")
    current = series.current
    for index, row in enumerate(current.content.attendance):
        if 0 < row.count < SMALL_COUNT:
            line, column = current.document.locate_value(("attendance", index, "count"))
            warnings.add(Diagnostic(
                current.shown_path, line, column,
                f"attendance count under {SMALL_COUNT} for `{row.group}` would appear in the "
                "public edition, and small numbers can identify people; consider grouping "
                "it with another row", "warning"))
    return sorted(warnings)


def _dotted(key_path: tuple[Any, ...]) -> str:
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _file_lines(path: Path) -> tuple[str, ...]:
    try:
        return tuple(path.read_text(encoding="utf-8-sig").splitlines())
    except (OSError, UnicodeDecodeError):
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
