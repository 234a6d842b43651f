"""Set meeting text in type: curly quotes, dates in words, and a running head fitted to one line."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

from briefing.meeting.fields import rewrite
from briefing.meeting.models import MeetingFile

_URL = re.compile(r"(?:\b[A-Za-z][A-Za-z0-9+.-]*://|\bwww\.)\S+|\S+@\S+\.\w+")
_OPENS_AFTER = set(" \t\n([{“‘—–-/\u00a0")


def curly(text: str) -> str:
    """Straight quotes and apostrophes made typographic (’ “ ” ‘), web addresses untouched."""
    if not text or ("'" not in text and '"' not in text):
        return text
    pieces, last = [], 0
    for match in _URL.finditer(text):
        pieces += [_curl(text[last:match.start()], text[:match.start()]), match.group()]
        last = match.end()
    pieces.append(_curl(text[last:], text[:last]))
    return "".join(pieces)


def _curl(piece: str, before: str) -> str:
    out = []
    previous = before[-1:] or " "
    for index, char in enumerate(piece):
        following = piece[index + 1:index + 2]
        if char == '"':
            char = "“" if previous in _OPENS_AFTER else "”"
        elif char == "'":
            opening = previous in _OPENS_AFTER and not following[:1].isdigit()
            # 'tis and '90s are apostrophes; an opening quote needs something to quote
            char = "‘" if opening and following and not following.isspace() else "’"
        out.append(char)
        previous = char
    return "".join(out)


def typeset(content: MeetingFile) -> MeetingFile:
    """A copy of the meeting with every plain-text value curled, series names included, by
    the roles the models declare (Markdown is left to the Markdown renderer, which knows code
    from prose; identifiers, addresses and file paths are left as written)."""
    return type(content).model_validate(rewrite(
        content.model_dump(), type(content),
        lambda text, role: curly(text) if role.typeset else text))


def day_date(value: dt.date | None) -> str:
    """A date in words, GOV.UK style: 4 October 2025."""
    return f"{value.day} {value:%B %Y}" if value else ""


def long_date(value: dt.date | None) -> str:
    """A date in words with its weekday: Saturday 4 October 2025."""
    return f"{value:%A} {value.day} {value:%B %Y}" if value else ""


# --- fitting a running head on one line ---------------------------------------------------

MM = 72 / 25.4
PAPER_POINTS = {"A4": (595.28, 841.89), "A5": (419.53, 595.28), "letter": (612.0, 792.0)}
SIDE_MARGIN = 18 * MM  # base.css: every built-in layout keeps 18 mm at the sides
GAP = 12.0  # points between the running head and the marking
ELLIPSIS = "…"


@lru_cache(maxsize=4)
def _advances(font_file: str) -> tuple[dict[int, float], float]:
    """Each character's advance width in ems, and the font's average, from a font file."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_file, lazy=True)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] / units for code, name in font.getBestCmap().items()
              if name in metrics}
    return widths, sum(widths.values()) / max(len(widths), 1)


class Measure:
    """Text widths in points, from the shipped fonts' advance widths (no kerning or shaping,
    so a few per cent generous; characters the Latin font lacks count as wide ones)."""

    def __init__(self, fonts: Path | None) -> None:
        self.fonts = fonts

    def width(self, text: str, size: float, bold: bool = False) -> float:
        widths = self._widths("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf")
        if widths is None:  # no usable font file: a generous estimate
            return len(text) * 0.62 * size
        return sum(widths.get(ord(char), 0.65) for char in text) * size * 1.04

    def _widths(self, name: str) -> dict[int, float] | None:
        for candidate in (name, "NotoSans-Regular.ttf"):
            path = self.fonts / candidate if self.fonts is not None else None
            if path is not None and path.is_file():
                try:
                    return _advances(str(path))[0]
                except Exception:  # a damaged font: measure by estimate instead
                    continue
        return None

    def fit(self, text: str, room: float, size: float) -> str:
        """The text, or as much of it as fits in `room` points, cut at a word, with "…"."""
        if self.width(text, size) <= room:
            return text
        words = text.split()
        while words:
            words.pop()
            candidate = " ".join(words).rstrip(",;:–—-·") + ELLIPSIS
            if words and self.width(candidate, size) <= room:
                return candidate
        cut = text
        while cut and self.width(cut + ELLIPSIS, size) > room:
            cut = cut[:-1]
        return cut.rstrip() + ELLIPSIS


def running_head(title: str, short_title: str | None, marking: str, paper: str,
                 measure: Measure, head_size: float,
                 marking_size: float) -> tuple[str, float, float, bool]:
    """(the running head's text, its box width, the marking's box width, whether it goes
    under the marking) in points, so that the head fits one line left of a centred marking,
    or, where not even a word fits there, one line of its own under it."""
    page_width = PAPER_POINTS.get(paper, PAPER_POINTS["A4"])[0]
    content = page_width - 2 * SIDE_MARGIN
    marking_width = min(content, measure.width(marking, marking_size, bold=True) + 4)
    room = max((content - marking_width) / 2 - GAP, 0)
    under = room < 6 * head_size  # not even a word beside the marking
    if under:
        room = content
    return measure.fit(short_title or title, room, head_size), room, marking_width, under


def footer_fits(marking_width: float, paper: str, measure: Measure, size: float) -> bool:
    """Whether the marking (centred) and "Page 88 of 88" (right) fit on one line."""
    page_width = PAPER_POINTS.get(paper, PAPER_POINTS["A4"])[0]
    content = page_width - 2 * SIDE_MARGIN
    return (content - marking_width) / 2 - GAP >= measure.width("Page 888 of 888", size)
