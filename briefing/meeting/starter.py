"""Turn `briefing new PATH` into a commented starter meeting file that passes `briefing check`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from briefing.errors import BriefingError

STARTER = """\
{schema_line}
# A meeting file for briefing. The full format is in meeting-format.md, which
#   briefing docs
# names (`briefing docs --open` opens it). Check this file with
#   briefing check {name}
# and build the pack with
#   briefing build {name}

meeting:
  title: Community conversation          # (required)
  date: {today}                      # (required) YYYY-MM-DD
  venue: Community hall                  # (required)
  area: Ward, Borough
  organiser: Your organisation

marking:
  classification: OFFICIAL               # OFFICIAL or OFFICIAL-SENSITIVE
  # caveat: PERSONAL DATA

summary: |
  One or two paragraphs on what the meeting was for and what was said. **Markdown** works.

questions:
  - What question did the groups discuss?

attendance:                              # counts only, never names
  - {{group: Community members, count: 10}}
  - {{group: Officers, count: 5}}

themes:
  - id: first-theme                      # quotes and actions refer to this id
    title: First theme
    summary: What residents said about it.
    points:
      - A point that was made

quotes:
  - text: Words a resident said.
    speaker: a resident                  # a role, never a name
    theme: first-theme
    consent: internal                    # public lets the public edition print it

actions:
  - id: A1
    action: What will be done.
    owner: A role, not a name
    due: {due}
    status: open                         # open | in-progress | done | dropped
    theme: first-theme
    you_said: What residents raised.     # printed by the packs of later meetings that follow this one
"""


SCHEMA_FILE = "meeting.schema.json"
# In a checkout the guide sits in docs/; a built wheel carries it inside the package.
_PACKAGE = Path(__file__).resolve().parent.parent
_PACKAGED_DOC = _PACKAGE / "_docs" / "meeting-format.md"
_CHECKOUT_DOC = _PACKAGE.parent / "docs" / "meeting-format.md"


def format_doc() -> Path:
    """Where the meeting-file format guide (meeting-format.md) is on this machine."""
    return _PACKAGED_DOC if _PACKAGED_DOC.is_file() else _CHECKOUT_DOC
NO_SCHEMA = ("# For checking as you type, run `briefing schema > meeting.schema.json` in the "
             "workspace\n# and point your editor's YAML schema setting at it (`briefing new` "
             "then links new files to it).")


def schema_line(path: Path, workspace: Path) -> str:
    """The editor's schema line: the workspace's meeting.schema.json relative to the new file
    (never this machine's absolute path), or how to make one when the workspace has none."""
    schema = Path(os.path.abspath(workspace / SCHEMA_FILE))
    if not schema.is_file():
        return NO_SCHEMA
    relative = os.path.relpath(schema, os.path.abspath(path.parent))
    return f"# yaml-language-server: $schema={Path(relative).as_posix()}"


def write_starter(path: Path, overwrite: bool = False, workspace: Path = Path(".")) -> None:
    if path.exists() and not overwrite:
        raise BriefingError(f"{path} already exists; pick another name or pass --force")
    if path.suffix not in (".yaml", ".yml"):
        raise BriefingError(f"{path}: meeting files end in .yaml")
    today = dt.date.today()
    text = STARTER.format(name=path, today=today.isoformat(),
                          due=(today + dt.timedelta(days=56)).isoformat(),
                          schema_line=schema_line(path, workspace))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise BriefingError(f"cannot write {path}: {error.strerror}") from None
