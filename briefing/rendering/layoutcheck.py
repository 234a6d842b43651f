"""Find what breaks the house layout in laid-out pages: overflow, overlaps, stranded headings, thin pages, a wrapped head."""

from __future__ import annotations

from dataclasses import dataclass

TOLERANCE = 1.0  # points: rounding in layout, not overflow
THIN = 1 / 3  # a page whose body is filled less than this (not the last of its part) is thin
HEADINGS = ("h1", "h2", "h3", "h4")


@dataclass(frozen=True)
class Finding:
    """One layout problem on one page; `origin` is the id of the nearest element with one
    (such as `action-A3`), for the caller to trace back to the meeting file."""

    page: int
    message: str
    origin: str | None = None


@dataclass
class _Leaf:
    """A line of text, an image or a table row: the units the page is filled with."""

    top: float
    bottom: float
    origin: str | None
    heading: str | None  # the heading's text when the leaf is a line of a heading
    part: str | None


@dataclass(frozen=True)
class _Ink:
    """Where a run of text or an image prints: its left, top, right and bottom edges (a run's
    top and bottom are its line's, so lines stacked in the normal flow never touch)."""

    left: float
    top: float
    right: float
    bottom: float
    what: str
    origin: str | None
    line: int  # the line box it belongs to: runs of one line never overlap each other


def check_document(document) -> list[Finding]:
    """Every layout problem in a WeasyPrint Document (what `HTML.render()` returns)."""
    findings: list[Finding] = []
    pages = []
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        area = (box.content_box_x(), box.content_box_y(),
                box.content_box_x() + box.width, box.content_box_y() + box.height)
        trim = (0.0, 0.0, page.width, page.height)
        leaves: list[_Leaf] = []
        inks: list[_Ink] = []
        for child in box.children:
            if type(child).__name__ == "MarginBox":
                _check_margin_box(child, number, trim, findings)
            else:
                _walk(child, number, area, leaves, findings, None, None, None, inks)
        _check_overlaps(inks, number, findings)
        pages.append((number, area, leaves))
    for part, name in (("cover", "cover"), ("alternative-formats", "back page")):
        spread = [number for number, _area, leaves in pages
                  if any(leaf.part == part for leaf in leaves)]
        if len(spread) > 1:
            findings.append(Finding(spread[1], f"the {name} runs over {len(spread)} pages, "
                                               "not one", part))
    for index, (number, area, leaves) in enumerate(pages):
        if not leaves:
            continue  # a blank page left for duplex printing
        following = pages[index + 1][2] if index + 1 < len(pages) else None
        last_of_part = following is None or not following or (
            following[0].part != leaves[-1].part)
        if following and leaves[-1].heading is not None:
            findings.append(Finding(number, f"the heading “{_short(leaves[-1].heading)}” "
                                            "ends the page, parted from what follows it",
                                    leaves[-1].origin))
        fill = (max(leaf.bottom for leaf in leaves) - area[1]) / (area[3] - area[1])
        if fill < THIN and not last_of_part:
            findings.append(Finding(number, f"the page is only {fill:.0%} full, yet its part "
                                            "goes on over the page", leaves[-1].origin))
    return _collapsed(findings)


def _collapsed(findings: list[Finding]) -> list[Finding]:
    """One finding per kind of problem and origin: the first page, and how many more."""
    groups: dict[tuple, list[Finding]] = {}
    for finding in findings:
        kind = finding.message.split("“")[0] if "crosses" in finding.message or (
            "furniture" in finding.message) else (finding.page, finding.message)
        groups.setdefault((kind, finding.origin), []).append(finding)
    collapsed = []
    for group in groups.values():
        first = group[0]
        others = len({f.page for f in group} - {first.page})
        if others:
            first = Finding(first.page, f"{first.message} (and on {others} more "
                                        f"page{'s' * (others != 1)})", first.origin)
        collapsed.append(first)
    return sorted(collapsed, key=lambda finding: finding.page)


def _short(text: str, most: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most - 1] + "…"


def _text_of(box) -> str:
    if hasattr(box, "text"):
        return box.text
    return " ".join(_text_of(child) for child in getattr(box, "children", ()))


def _check_margin_box(box, number: int, trim, findings: list[Finding]) -> None:
    lines = _count_lines(box)
    if box.at_keyword == "@top-left" and lines > 1:
        findings.append(Finding(number, f"the running head takes {lines} lines, not one "
                                        f"(“{_short(_text_of(box))}”)", "running-head"))
    for text in _text_boxes(box):
        if _outside(text, trim):
            findings.append(Finding(number, f"page furniture “{_short(text.text)}” leaves the "
                                            "page", "running-head"))
            break


def _count_lines(box) -> int:
    if type(box).__name__ == "LineBox":
        return 1
    return sum(_count_lines(child) for child in getattr(box, "children", ()))


def _text_boxes(box):
    if type(box).__name__ == "TextBox":
        yield box
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child)


def _outside(box, area) -> str | None:
    """Which edge of the area a box crosses, if any."""
    left, top, right, bottom = area
    x, y = box.position_x, box.position_y
    width, height = box.margin_width(), box.margin_height()
    if x + width > right + TOLERANCE:
        return f"right edge by {x + width - right:.0f} pt"
    if x < left - TOLERANCE:
        return f"left edge by {left - x:.0f} pt"
    if y + height > bottom + TOLERANCE:
        return f"bottom edge by {y + height - bottom:.0f} pt"
    if y < top - TOLERANCE:
        return f"top edge by {top - y:.0f} pt"
    return None


def _check_overlaps(inks: list[_Ink], number: int, findings: list[Finding]) -> None:
    """One finding for the first two runs of text (or images) that print over each other on
    the page, such as a cover's edition band over a long title's facts."""
    inks.sort(key=lambda ink: (ink.top, ink.left))
    for index, ink in enumerate(inks):
        for other in inks[index + 1:]:
            if other.top >= ink.bottom - TOLERANCE:
                break
            if (other.line != ink.line and other.left < ink.right - TOLERANCE
                    and ink.left < other.right - TOLERANCE):
                findings.append(Finding(number, f"“{_short(other.what, 40)}” prints over "
                                                f"“{_short(ink.what, 40)}”", other.origin))
                return


def _walk(box, number: int, area, leaves: list[_Leaf], findings: list[Finding],
          origin: str | None, heading: str | None, part: str | None,
          inks: list[_Ink]) -> None:
    element = getattr(box, "element", None)
    kind = type(box).__name__
    if element is not None and not kind.startswith("Anonymous"):
        identifier = element.get("id")
        classes = (element.get("class") or "").split()
        if identifier:
            origin = identifier
        if "part" in classes:
            part = identifier or part
        if getattr(box, "element_tag", None) in HEADINGS and heading is None:
            heading = _text_of(box)
    if kind == "LineBox" or "Replaced" in kind:
        top, bottom = box.position_y, box.position_y + box.margin_height()
        leaves.append(_Leaf(top, bottom, origin, heading, part))
        runs = list(_text_boxes(box)) if kind == "LineBox" else [box]
        for run in runs:
            if run.width > 0:
                inks.append(_Ink(run.position_x, top, run.position_x + run.margin_width(), bottom,
                                 getattr(run, "text", "an image"), origin, id(box)))
        for text in runs:
            edge = _outside(text, area)
            if edge:
                what = _short(text.text) if hasattr(text, "text") else "an image"
                findings.append(Finding(number, f"“{what}” crosses the text area’s {edge}",
                                        origin))
                break
        return
    for child in getattr(box, "children", ()):
        _walk(child, number, area, leaves, findings, origin, heading, part, inks)
