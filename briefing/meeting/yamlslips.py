"""Turn the YAML slips of a newcomer into the line where they are and what to type instead.

PyYAML reports where its parser gave up, which is often the line after the mistake, in
parser words ("while scanning a simple key"). `explain` looks at the text around that point
for the common slips (a key without its colon, `: ` or an apostrophe inside text, curly
quotes, a tab, a line indented out of step) and says how to fix them; `value_hint` says what
to write when YAML read a value other than as meant (`12 people`, `twelve`, `12/07/2025`,
`- Question 1: what would help?`)."""

from __future__ import annotations

import re
import unicodedata

import yaml

from briefing.meeting.yamlsource import ISO_DATE

_CURLY = "\u201c\u201d\u2018\u2019"
_KEY_VALUE = re.compile(r"^(?P<lead>\s*(?:-\s+)*)(?P<key>[^-\s:#'\"{\[][^:#]*?):(?:\s+(?P<value>.*))?$")
_BARE_WORDS = re.compile(r"^(?P<lead>\s*(?:-\s+)*)(?P<key>[A-Za-z_][\w-]*)(?P<sep>\s*=\s*|\s+|:)(?P<value>\S.*)?$")


def explain(text: str, error: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """(line, column, message) for a syntax error, naming the line where the slip is."""
    lines = text.splitlines()
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = error.problem or ""
    context = error.context or ""
    started = error.context_mark
    for explainer in (_tab, _curly_quotes, _quote_inside_quotes, _colon_in_text, _missing_colon,
                      _unclosed, _special_first_character, _list_on_key_line, _indentation):
        found = explainer(lines, line, column, problem, context, started)
        if found is not None:
            return found
    message = " ".join(part for part in (context, problem) if part)
    return line, column, f"YAML syntax error: {message}"


def _text(lines: list[str], line: int) -> str:
    return lines[line - 1] if 1 <= line <= len(lines) else ""


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _previous_content_line(lines: list[str], line: int) -> int:
    """The nearest line above `line` that holds more than blanks or a comment (0 if none)."""
    for number in range(line - 1, 0, -1):
        stripped = _text(lines, number).strip()
        if stripped and not stripped.startswith("#"):
            return number
    return 0


def _key_column(text: str) -> int:
    """Where the key of a line starts, after any `- ` list markers (0-based)."""
    match = re.match(r"^(\s*(?:-\s+)*)", text)
    return len(match.group(1)) if match else 0


def _tab(lines, line, column, problem, context, started):
    if "'\\t'" not in problem:
        return None
    spot = _text(lines, line).find("\t") + 1 or column
    return line, spot, ("there is a tab here; YAML allows only spaces for indenting and "
                        "after `-`: replace the tab with spaces")


def _curly_quotes(lines, line, column, problem, context, started):
    for number in sorted({line, started.line + 1 if started else line}):
        text = _text(lines, number)
        match = _KEY_VALUE.match(text)
        value = (match.group("value") or "") if match else text.strip().lstrip("- ")
        if value and value[0] in _CURLY:
            fixed = '"' + value.strip(_CURLY).replace('"', "'") + '"'
            return number, len(text) - len(value) + 1, (
                f"the text starts with the curly quote {value[0]}, which YAML does not treat "
                f"as a quote (word processors type them); use straight quotes: {fixed}")
    return None


def _quote_inside_quotes(lines, line, column, problem, context, started):
    """`text: 'I don't know'`: the apostrophe closes the text the first `'` opened."""
    if "expected" not in problem or "<scalar>" not in problem:
        return None
    text = _text(lines, line)
    match = _KEY_VALUE.match(text) or re.match(r"^(?P<lead>\s*(?:-\s+)+)(?P<value>.*)$", text)
    value = (match.group("value") or "").strip() if match else ""
    if match and value and value[0] not in "{[":
        return _explain_quote(text, value, line)
    # In a flow mapping, `{text: 'I don't know', …}`: look at the value the error stopped in.
    for quote in "'\"":
        before = text[: column - 1].rstrip()
        if before.endswith(quote):
            opened = before.rfind(quote, 0, len(before) - 1)
            if opened >= 0 and re.match(r"[\w ]", text[column - 1: column] or " "):
                end = text.find(quote, column - 1)
                value = text[opened: end + 1 if end >= 0 else len(text)]
                return _explain_quote(text, value, line)
    return None


def _explain_quote(text: str, value: str, line: int):
    if len(value) < 2 or value[0] not in "'\"":
        return None
    quote = value[0]
    closing = value.find(quote, 1)
    while quote == "'" and closing + 1 < len(value) and value[closing + 1: closing + 2] == "'":
        closing = value.find(quote, closing + 2)  # '' is an escaped apostrophe
    if closing < 0 or closing == len(value) - 1:
        return None
    inner = value[1:].rstrip()
    inner = inner[:-1] if inner.endswith(quote) else inner
    column = text.find(value) + closing + 1
    word = re.search(r"(\w*)$", value[1:closing]).group(1) + quote + re.match(
        r"\w*", value[closing + 1:]).group()
    if quote == "'":
        doubled = inner.replace("'", "''")
        return line, column, (
            f"the apostrophe in `{word}` ends the text that the opening ' started; inside "
            f"single quotes write it twice ('{doubled}') or put the text in double quotes: "
            f'"{inner}"')
    escaped = inner.replace('"', '\\"')
    return line, column, (
        f'the " in `{word}` ends the text that the opening " started; put the text in single '
        f"quotes ('{inner}') or write each \" inside it as \\\" (\"{escaped}\")")


def _colon_in_text(lines, line, column, problem, context, started):
    """`summary: Question 1: what would help?`: the second `: ` starts a key."""
    if problem != "mapping values are not allowed here":
        return None
    text = _text(lines, line)
    match = _KEY_VALUE.match(text)
    if not match or not match.group("value") or column - 1 <= text.find(match.group("value")):
        return None
    value = match.group("value").strip()
    fixed = '"' + value.replace('"', "'") + '"'
    return line, column, (
        f"the text after `{match.group('key').strip()}:` contains `: `, which YAML reads as the "
        f"start of another key; put the whole text in quotes: "
        f"{match.group('key').strip()}: {fixed}")


def _missing_colon(lines, line, column, problem, context, started):
    """A key written without its colon: PyYAML notices on the next line, or later."""
    if "could not find expected ':'" in problem and started is not None:
        number = started.line + 1
    elif problem == "mapping values are not allowed here":
        number = _previous_content_line(lines, line)
        if not number or _key_column(_text(lines, number)) != _indent(_text(lines, line)):
            return None
    else:
        return None
    text = _text(lines, number)
    match = _BARE_WORDS.match(text)
    if not match or (match.group("sep") == ":" and not match.group("value")):
        return None
    key, value = match.group("key"), (match.group("value") or "").strip()
    if match.group("sep") == ":":
        fix = f"put a space after the colon: `{key}: {value}`"
    else:
        fix = f"write `{key}: {value}`" if value else f"write `{key}:`"
    return number, _key_column(text) + 1, f"`{key}` is missing the colon after it; {fix}"


def _special_first_character(lines, line, column, problem, context, started):
    text = _text(lines, line)
    match = _KEY_VALUE.match(text) or re.match(r"^(?P<lead>\s*(?:-\s+)+)(?P<value>.*)$", text)
    value = (match.group("value") or "").strip() if match else ""
    if not value:
        return None
    first = value[0]
    meaning = {"@": "`@` is reserved", "`": "the backtick is reserved",
               "*": "`*` marks an alias, a reference to another value",
               "&": "`&` marks an anchor", "!": "`!` marks a tag", "%": "`%` marks a directive"
               }.get(first)
    if first in "[{" and "expected" in problem:
        if value.split(" #")[0].rstrip().endswith("}]"[first == "["]):
            return None  # a whole list or mapping: something else is wrong
        meaning = f"`{first}` starts a {'list' if first == '[' else 'mapping'}"
    if meaning is None or ("alias" in problem and first != "*"):
        return None
    fixed = '"' + value.replace('"', "'") + '"'
    return line, text.find(value) + 1, (
        f"text cannot start with {first} in YAML ({meaning}); put the whole text in quotes: "
        f"{fixed}")


def _list_on_key_line(lines, line, column, problem, context, started):
    if problem != "sequence entries are not allowed here":
        return None
    text = _text(lines, line)
    match = _KEY_VALUE.match(text)
    key = match.group("key").strip() if match else "the key"
    item = text[column - 1:].lstrip("- ").strip()
    indent = " " * (_key_column(text) + 2)
    return line, column, (
        f"a list cannot start on the same line as `{key}:`; put each item on its own line "
        f"below it, indented, starting with `- ` (`{key}:` then `{indent}- {item}`), or, if "
        "this is text, put it in quotes")


def _unclosed(lines, line, column, problem, context, started):
    if started is None:
        return None
    opened = started.line + 1
    if "quoted scalar" in context:
        quote = _text(lines, opened)[started.column: started.column + 1] or '"'
        return opened, started.column + 1, (
            f"the text opened with {quote} on line {opened} is never closed; add the closing "
            f"{quote} at the end of the text")
    for kind, opening, closing in (("flow sequence", "[", "]"), ("flow mapping", "{", "}")):
        if kind in context:
            if opened == line:
                return None
            return opened, started.column + 1, (
                f"the `{opening}` on line {opened} is not closed with `{closing}` on that line; "
                f"add `{closing}` at its end, or write the items one per line starting with `- `")
    return None


def _indentation(lines, line, column, problem, context, started):
    if "expected <block end>" not in problem and problem != "mapping values are not allowed here":
        return None
    text = _text(lines, line)
    here = _indent(text)
    spaces = f"{here} space{'s' * (here != 1)}"
    if text.lstrip().startswith("- "):
        above = _previous_content_line(lines, line)
        if not above:
            return None
        return line, here + 1, (
            f"this list item is indented {spaces}, out of step with the lines above (line "
            f"{above} has {_indent(_text(lines, above))}); start every `- ` of one list in the "
            "same column, using spaces only")
    if not _KEY_VALUE.match(text):  # a line of text, such as the lines of a `|` block
        above = _previous_content_line(lines, line)
        if not above or _indent(_text(lines, above)) <= here:
            return None
        return line, here + 1, (
            f"this line is indented {spaces}, less than the text above it; indent every line "
            f"of a block of text at least as far as its first line (line {above} has "
            f"{_indent(_text(lines, above))}), using spaces only")
    above = _previous_content_line(lines, line)
    while above and not _KEY_VALUE.match(_text(lines, above)):
        above = _previous_content_line(lines, above)  # skip the lines of a block of text
    if not above:
        return None
    above_text = _text(lines, above)
    there = _key_column(above_text)
    if here == there and problem != "mapping values are not allowed here":
        return None
    key = text.strip().split(":")[0].lstrip("- ").strip()
    above_key = above_text.strip().lstrip("- ").split(":")[0].strip()
    return line, here + 1, (
        f"`{key}` is indented {spaces}, out of step with the lines above; a key must start "
        f"in the same column as the other keys of its mapping (`{above_key}` on line {above} "
        f"starts after {there}), using spaces only"
        + ("; if it starts another item of the list, begin it with `- `"
           if above_text.lstrip().startswith("- ") else ""))


# --- values YAML read differently from what was meant ------------------------------------

_NUMBER_WORDS = {word: number for number, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                      "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100})
_MONTHS = ("january february march april may june july august september october november "
           "december").split()


def value_hint(expected: str, value: object) -> str:
    """What to type instead, when a value was written the way people write it, not YAML's way
    (`12 people`, `twelve`, `12/07/2025`, `- Question 1: what would help?`); "" if nothing fits."""
    if isinstance(value, dict) and expected == "text" and len(value) == 1:
        key, inner = next(iter(value.items()))
        if isinstance(inner, (str, int, float)) or inner is None:
            written = f"{key}: {inner}" if inner is not None else f"{key}:"
            fixed = '"' + written.replace('"', "'") + '"'
            return (f"; the `: ` in `{written}` makes YAML read a key and a value; put the "
                    f"whole text in quotes: {fixed}")
    if isinstance(value, str) and expected in ("a whole number", "a number"):
        return _number_hint(value.strip(), whole=expected == "a whole number")
    if isinstance(value, float) and expected == "a whole number":
        return "; a count is a whole number of people"
    if isinstance(value, str) and expected.startswith("a date"):
        if value.strip() != value and _is_day(value.strip()):
            return f"; write it without the spaces or line break around it: {value.strip()}"
        return _date_hint(value.strip())
    if isinstance(value, str) and expected.startswith("a list"):
        if value.startswith("-"):
            return "; put a space after each `-` and start each item on its own line"
        return (f"; put each item on its own line starting with `- `, or write [{value}] "
                "for a list of one")
    if isinstance(value, dict) and expected.startswith("a list"):
        return "; start each item with `- ` (for example `  - id: …`)"
    if isinstance(value, list) and expected == "a mapping of keys":
        return "; remove the `- ` before its keys (they are not a list)"
    return ""


def other_digits(text: str) -> str | None:
    """The text with the decimal digits of another script (Arabic-Indic ٢٠٢٥, fullwidth
    ２０２５) written 0 to 9, if it has any; else None. Meeting files and their CSV files take
    numbers and dates in the digits 0 to 9 only. (Superscript or circled digits are not
    decimal digits: no number was ever written with them, so they are left as they are.)"""
    if text.isascii():
        return None
    western = "".join(str(unicodedata.decimal(character, character))
                      if not character.isascii() else character for character in text)
    return western if western != text else None


def number_in_other_digits(text: str) -> str | None:
    """A number written in another script's digits (`١٢`, `٠١٢`, `１２.５`), as a meeting file
    should hold it: in 0 to 9 and without leading zeros, which YAML would read as octal
    (012 is 10); None if the text is not such a number."""
    from decimal import Decimal

    western = other_digits(text)
    if western is None or not re.fullmatch(r"[-+]?[0-9]+(\.[0-9]+)?", western):
        return None
    return format(Decimal(western), "f")


def _number_hint(text: str, whole: bool) -> str:
    if (number := number_in_other_digits(text)) is not None:
        return f"; write it with the digits 0 to 9: {number}"
    text = other_digits(text) or text  # `１２ people`: the hints below then give 12
    lowered = text.lower()
    if lowered in _NUMBER_WORDS:
        return f"; write it in digits: {_NUMBER_WORDS[lowered]}"
    if re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", text):
        return f"; write it without commas: {text.replace(',', '')}"
    if re.fullmatch(r"[-+]?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+", text):
        return "; write the number out in full, without an exponent"
    match = re.match(r"^[£$€]?\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*(%|[A-Za-z].*)?$", text)
    if match and (match.group(2) or text[0] in "£$€"):
        unit = "" if whole else " and put the unit in `unit:`"
        return f"; write only the number: {match.group(1)}{unit}"
    return "; write it in digits, such as 12" if whole else "; write it in digits, such as 12.5"


def _is_day(text: str) -> bool:
    """Whether the text is a day of the calendar written YYYY-MM-DD."""
    import datetime as dt

    if not ISO_DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _date_hint(text: str) -> str:
    import calendar
    import datetime as dt

    if (western := other_digits(text)) is not None:
        if re.fullmatch(r"[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}", western):
            year, month, day = (int(part) for part in western.split("-"))
            padded = f"{year:04d}-{month:02d}-{day:02d}"
            if _is_day(padded):
                return f"; write it with the digits 0 to 9: {padded}"
        text = western  # the hints below then speak of it in 0 to 9

    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        year, month, day = (int(part) for part in text.split("-"))
        if not 1 <= month <= 12:
            return f" (there is no month {month}: write YYYY-MM-DD, the year, then the month, then the day)"
        if year < 1:
            return " (there is no year 0: write YYYY-MM-DD, the year, then the month, then the day)"
        days = calendar.monthrange(year, month)[1]
        return f" ({dt.date(year, month, 1):%B %Y} has {days} days)"
    match = re.fullmatch(r"([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})", text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return f"; if that is {day} {_MONTHS[month - 1].title()} {year}, write {dt.date(year, month, day)}"
        except (ValueError, IndexError):
            return ""
    match = re.fullmatch(r"([0-9]{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\s+([0-9]{4})", text)
    if match:
        day, name, year = match.groups()
        months = [m for m in _MONTHS if m.startswith(name.lower()[:3])]
        if months:
            try:
                return f"; write {dt.date(int(year), _MONTHS.index(months[0]) + 1, int(day))}"
            except ValueError:
                return ""
    match = re.fullmatch(r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})[ T].*", text)
    if match:
        return f"; write only the date, YYYY-MM-DD ({match.group(1)}), without a time"
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return f"; write the month and day with two digits each: {year:04d}-{month:02d}-{day:02d}"
    return ""
