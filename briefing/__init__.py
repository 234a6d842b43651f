"""briefing: turn community-meeting YAML files into print-ready PDF briefing packs.

The public API is `render`, `build` and `load_meeting` (see docs/python-api.md). Importing
the package stays light: the heavy stages (matplotlib, WeasyPrint) load only when a render
needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefing.api import build, render
from briefing.errors import BriefingError, InputError

__version__ = "0.1.0"
__all__ = ["BriefingError", "InputError", "__version__", "build", "load_meeting", "render"]

if TYPE_CHECKING:
    from briefing.meeting.loading import Meeting


def load_meeting(path) -> Meeting:
    """Read and validate one meeting file (raises InputError listing every problem)."""
    from briefing.meeting.loading import load_meeting as _load

    return _load(path)
