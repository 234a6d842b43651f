"""briefing: turn community-meeting YAML files into print-ready PDF briefing packs.

Importing the package stays light: the heavy stages (matplotlib, WeasyPrint) load only when
a build needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import BriefingError, InputError

__version__ = "0.1.0"
__all__ = ["BriefingError", "InputError", "__version__", "build", "load_meeting"]

if TYPE_CHECKING:
    from .build import BuildReport
    from .config import Config
    from .meetings import Meeting


def load_meeting(path) -> Meeting:
    """Read and validate one meeting file (raises InputError listing every problem)."""
    from .meetings import load_meeting as _load

    return _load(path)


def build(config: Config, paths=None) -> BuildReport:
    """Build the PDFs a Config asks for; see briefing.config.load_config."""
    from .build import build as _build

    return _build(config, paths)
