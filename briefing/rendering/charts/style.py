"""The house style every chart kind draws with: colours, marks, and the fonts its text is measured in."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

# Government Analysis Function palette (colour-blind safe); two series use the first and fourth.
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
TWO_SERIES = ("#12436D", "#F46A25")
# So series stay apart on a greyscale photocopy: the first solid, the rest hatched or dashed.
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++")
MARKERS = ("o", "s", "D", "^", "v", "P")
LINE_STYLES = ("-", "--", ":", "-.", "-", "--")
INK = "#0B0C0C"
AXIS = "#3D3D3D"  # axis lines and the zero line
GRID = "#D9D9D9"

# The house style, minus the font family and size (resolved when drawing).
STYLE = {
    "svg.hashsalt": "briefing", "svg.fonttype": "none",
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": AXIS,
    "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
    "path.simplify": False, "hatch.color": "white", "hatch.linewidth": 1.2,
    "axes.unicode_minus": False,
    # Meeting text is data: "$5 to $10" must print as typed, and "$x^$" must not be parsed
    # as mathtext (which fails with a ValueError deep inside matplotlib).
    "text.parse_math": False,
}


def rc_style(font_path: Path | None, text_size: float) -> dict:
    """The house style with the fonts beside `font_path` and the text size: an rc_context's rc."""
    from matplotlib import font_manager

    families = ["DejaVu Sans"]
    if font_path is not None and font_path.exists():
        # The main font first, then the other regular faces beside it (Arabic, Bengali):
        # matplotlib falls back through the list, so every script is measured correctly.
        faces = [font_path, *sorted(p for p in font_path.parent.glob("*-Regular.ttf")
                                    if p != font_path)]
        families = []
        for face in faces:
            # Only regular files inside the fonts folder: a pipe would block the render, a
            # link could lead anywhere. A broken face is left out (fontcheck names it).
            if not _regular_file_inside(face, font_path.parent):
                continue
            try:
                font_manager.fontManager.addfont(str(face))
                families.append(font_manager.FontProperties(fname=str(face)).get_name())
            except Exception as error:  # matplotlib raises many types for a broken font
                log.debug("font %s left out of charts: %s", face, error)
        families = families or ["DejaVu Sans"]
        _prefer_shipped_faces(font_manager.fontManager, set(families), font_path.parent)
    return {**STYLE, "font.family": families, "font.size": text_size,
            "axes.titlesize": text_size, "axes.labelsize": text_size,
            "xtick.labelsize": text_size, "ytick.labelsize": text_size,
            "legend.fontsize": text_size}


def _regular_file_inside(path: Path, folder: Path) -> bool:
    import os
    import stat

    real = os.path.realpath(path)
    try:
        return (Path(real).is_relative_to(os.path.realpath(folder))
                and stat.S_ISREG(os.stat(real).st_mode))
    except OSError:
        return False


def _prefer_shipped_faces(manager, families: set[str], folder: Path) -> None:
    """Forget the host's own copies of the shipped families (a host may have another version
    of Noto Sans), so chart text is measured with the shipped files on every machine."""
    folder = folder.resolve()
    kept = [entry for entry in manager.ttflist
            if entry.name not in families or Path(entry.fname).resolve().parent == folder]
    if len(kept) != len(manager.ttflist):
        manager.ttflist = kept
        cached = getattr(manager, "_findfont_cached", None)  # matplotlib's lookup cache
        if cached is not None:
            cached.cache_clear()
