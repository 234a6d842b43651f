"""Turn problems found anywhere in the pipeline into one exception type the CLI can print."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file, located as precisely as the input allows."""

    path: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" or "warning"

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
