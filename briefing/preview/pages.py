"""Turn the preview's state into its HTML pages (Jinja2, everything escaped): the list of
meetings, a meeting's pack or its errors, and "not found"."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from briefing.editions.rules import RULES
from briefing.preview.pageimages import PdfInfo
from briefing.preview.state import Meeting, Snapshot

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATE_TEXT = {"queued": "waiting to build", "building": "building…", "built": "built",
              "warnings": "built, with warnings", "failed": "failed"}


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def meeting_url(name: str, layout: str | None = None, edition: str | None = None) -> str:
    url = f"/meeting/{quote(name, safe='')}"
    if layout is not None and edition is not None:
        url += "?" + urlencode({"layout": layout, "edition": edition})
    return url


def pdf_url(name: str, layout: str, edition: str) -> str:
    return "/".join(("/meeting", *(quote(part, safe="") for part in (name, layout, edition)))) + ".pdf"


def page_url(name: str, layout: str, edition: str, sha256: str, number: int) -> str:
    parts = (quote(part, safe="") for part in (name, layout, edition, sha256))
    return "/".join(("/meeting", *parts, f"page-{number}.png"))


def meeting_title(info: PdfInfo | None, edition: str) -> str | None:
    """The meeting's title, from the PDF's (which ends with the edition's name)."""
    if info is None or not info.title:
        return None
    suffix = f" \u2013 {RULES[edition].title_suffix}" if edition in RULES else ""
    return info.title.removesuffix(suffix) if suffix else info.title


def _common(snapshot: Snapshot) -> dict:
    return {"version": snapshot.version, "workspace": snapshot.workspace,
            "workspace_name": Path(snapshot.workspace).name or snapshot.workspace,
            "problems": snapshot.problems}


@dataclass(frozen=True)
class _Row:
    name: str
    url: str
    title: str | None
    shown: str
    state: str
    state_text: str


def index_page(snapshot: Snapshot, titles: dict[str, str | None]) -> str:
    rows = [_Row(meeting.name, meeting_url(meeting.name), titles.get(meeting.name), meeting.shown,
                 meeting.state, STATE_TEXT[meeting.state])
            for meeting in snapshot.meetings.values()]
    return _environment().get_template("index.html").render(
        **_common(snapshot), layouts=snapshot.layouts, editions=snapshot.editions, meetings=rows)


@dataclass(frozen=True)
class _Choice:
    name: str
    url: str
    current: bool


@dataclass(frozen=True)
class _Page:
    url: str
    width: int
    height: int


def meeting_page(snapshot: Snapshot, meeting: Meeting, layout: str, edition: str,
                 info: PdfInfo | None) -> str:
    """The pack as page images; its errors instead of the pages when it could not be built."""
    output = meeting.output(layout, edition)
    errors = [*meeting.errors, *(output.problems if output is not None else ())]
    pages = []
    if info is not None and output is not None and output.sha256 and not errors:
        pages = [_Page(page_url(meeting.name, layout, edition, output.sha256, number), width, height)
                 for number, (width, height) in enumerate(info.page_sizes, start=1)]
    return _environment().get_template("meeting.html").render(
        **_common(snapshot), meeting=meeting, heading=meeting_title(info, edition) or meeting.shown,
        state_text=STATE_TEXT[meeting.state], layout=layout, edition=edition,
        layouts=[_Choice(name, meeting_url(meeting.name, name, edition), name == layout)
                 for name in snapshot.layouts],
        editions=[_Choice(name, meeting_url(meeting.name, layout, name), name == edition)
                  for name in snapshot.editions],
        errors=errors, warnings=meeting.warnings, pages=pages,
        pdf_url=pdf_url(meeting.name, layout, edition))


def not_found_page(snapshot: Snapshot) -> str:
    return _environment().get_template("not_found.html").render(**_common(snapshot))
