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
            status = _regular_file_inside(face, font_path.parent)
            if status is None:
                continue
            family = _listed_family(font_manager.fontManager, face, status)
            if family is not None:
                families.append(family)
        families = families or ["DejaVu Sans"]
        _prefer_shipped_faces(font_manager.fontManager, set(families), font_path.parent)
    return {**STYLE, "font.family": families, "font.size": text_size,
            "axes.titlesize": text_size, "axes.labelsize": text_size,
            "xtick.labelsize": text_size, "ytick.labelsize": text_size,
            "legend.fontsize": text_size}


# Each face this process has put in matplotlib's font list, by its path: the file's inode,
# size and modification time then, and the family name it was listed under.
_LISTED: dict[str, tuple[tuple[int, int, int], str]] = {}


def _listed_family(manager, face: Path, status) -> str | None:
    """The face's family name, once the face is in matplotlib's font list; None if matplotlib
    cannot read it (tried again next time: the failure may pass, as a lack of file handles does).

    A face is added once, and again only when its file changed (its entries are replaced where
    they stood, so a tie between faces of one family goes as before) or when another fonts
    folder's faces of its family replaced it (_prefer_shipped_faces). Each `addfont` appends
    to the list and empties matplotlib's lookup cache: adding the faces for every chart made
    the list grow by four entries a chart for as long as the process lived (`serve`, `watch`)
    and every text lookup start again over the longer list. `status` is the file's (os.stat).
    """
    from matplotlib import font_manager

    path = str(face)
    identity = (status.st_ino, status.st_size, status.st_mtime_ns)
    known = _LISTED.get(path)
    entries = manager.ttflist
    if known is not None and known[0] == identity and any(
            entry.fname == path and entry.name == known[1] for entry in entries):
        return known[1]
    if known is not None and known[0] != identity:
        # matplotlib keeps each opened font by its path: the file is another font now
        opened = getattr(font_manager, "_get_font", None)
        if opened is not None:
            opened.cache_clear()
    place = next((index for index, entry in enumerate(entries) if entry.fname == path), None)
    rest = [entry for entry in entries if entry.fname != path]
    manager.ttflist = list(rest)
    try:
        manager.addfont(path)  # appends the face (under each of its names), empties the cache
        added = manager.ttflist[len(rest):]
        if not added:  # matplotlib lists an AFM font apart
            raise ValueError("not a TrueType or OpenType face")
    except Exception as error:  # matplotlib raises many types for a broken font
        log.debug("font %s left out of charts: %s", face, error)
        manager.ttflist = entries  # as it was, with any entries the file had
        _LISTED.pop(path, None)
        return None
    if place is not None:  # where the file's entries stood before
        manager.ttflist = rest[:place] + added + rest[place:]
    family = added[0].name  # read from the file now, not from matplotlib's per-path cache
    _LISTED[path] = (identity, family)
    return family


def _regular_file_inside(path: Path, folder: Path):  # noqa: ANN202 - os.stat_result | None
    """The file's status (os.stat) if it is a regular file whose real path lies in folder."""
    import os
    import stat

    real = os.path.realpath(path)
    try:
        status = os.stat(real)
    except OSError:
        return None
    if Path(real).is_relative_to(os.path.realpath(folder)) and stat.S_ISREG(status.st_mode):
        return status
    return None


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
