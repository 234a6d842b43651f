"""Turn problems found anywhere in the pipeline into one exception type the CLI can print."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# A message quotes what the user wrote. A run of it without a space this long (a key, cell or
# path of 100,000 characters) is cut in its middle, keeping both ends (a path's file name).
LONGEST_RUN = 200
_LONG_RUN = re.compile(rf"\S{{{LONGEST_RUN + 1},}}")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def one_line(text: str) -> str:
    """Text as one printed line: a line break shown as ⏎ and any other control character
    (a terminal's escape codes) as \\xNN, so nothing a file holds, or is named, can start a
    line of output that reads as another error, or move the terminal's cursor."""
    text = _LINE_BREAK.sub("⏎", text)
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def shortened(text: str, most: int = 60) -> str:
    """A user's key, name or cell as a message quotes it: over `most` characters, its first
    `most` - 3 and "…", so an error about a 100,000-character key stays a short line."""
    return text if len(text) <= most else text[:most - 3] + "…"


def readable(message: str) -> str:
    """A message as one line, each over-long run of it cut in the middle with "…"."""
    return _LONG_RUN.sub(lambda run: run.group()[:120] + "…" + run.group()[-(LONGEST_RUN - 121):],
                         one_line(message))


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file, located as precisely as the input allows."""

    path: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", readable(self.message))

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class BriefingError(Exception):
    """The one exception that reaches the user: a message and the process exit code."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(BriefingError):
    """One or more problems in the user's files, each with a file, line and column."""

    def __init__(self, diagnostics: list[Diagnostic],
                 warnings: list[Diagnostic] | tuple[Diagnostic, ...] = ()) -> None:
        self.diagnostics = sorted(diagnostics)
        # What the same file warns about, so one `briefing check` run reports everything.
        self.warnings = tuple(sorted(warnings))
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def at(cls, path: Path | str, line: int, message: str, column: int = 0) -> InputError:
        return cls([Diagnostic(str(path), line, column, message)])
