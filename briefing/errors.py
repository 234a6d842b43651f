"""Turn problems found anywhere in the pipeline into one exception type the CLI can print."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# A message quotes what the user wrote. A run of it without a space this long (a key, cell or
# path of 100,000 characters) is cut, and a line break in it is shown as ⏎, so that each
# problem stays one line that no file can break into a forged second one.
LONGEST_RUN = 200
_LONG_RUN = re.compile(rf"\S{{{LONGEST_RUN + 1},}}")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def readable(message: str) -> str:
    """The message on one line, each over-long run of it cut with "…"."""
    message = _LINE_BREAK.sub("⏎", message)
    return _LONG_RUN.sub(lambda run: run.group()[:LONGEST_RUN - 3] + "…", message)


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
