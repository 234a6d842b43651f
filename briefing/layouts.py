"""Turn a meeting edition and its charts into HTML, through a Jinja2 layout."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from .charts import Chart
from .editions import RULES
from .errors import BriefingError
from .models import MeetingFile, MeetingInfo, Quote, Theme
from .textformat import markdown_to_html

if TYPE_CHECKING:
    from .series import CarriedAction

# In a checkout the layouts sit beside the package; a built wheel carries them inside it.
_PACKAGED_LAYOUTS = Path(__file__).resolve().parent / "_layouts"
BUILTIN_LAYOUTS = (_PACKAGED_LAYOUTS if _PACKAGED_LAYOUTS.is_dir()
                   else Path(__file__).resolve().parent.parent / "layouts")
VIRTUAL_BASE = "https://layouts.briefing.invalid/"  # never fetched: pdf.py maps it to files


def layout_roots(workspace_layouts: Path | None) -> list[Path]:
    """Folders searched for layouts: the workspace's own first, then the built-in ones."""
    roots = []
    if workspace_layouts is not None and workspace_layouts.is_dir():
        roots.append(workspace_layouts.resolve())
    if BUILTIN_LAYOUTS.resolve() not in roots:
        roots.append(BUILTIN_LAYOUTS.resolve())
    return roots


LAYOUT_SETTINGS = "layout.toml"
# Charts are stretched to the column: at 1.25 their smallest text (9pt) prints at about 12pt,
# the house minimum for text in the pack.
DEFAULT_CHART_TEXT_SCALE = 1.25


def chart_text_scale(roots: list[Path], layout: str) -> float:
    """How much larger than usual a layout prints chart text (`chart_text_scale` in the
    layout folder's layout.toml, e.g. 1.75 for large print; 1.25 when absent)."""
    import tomllib

    for root in roots:
        settings_file = root / layout / LAYOUT_SETTINGS
        if not settings_file.is_file():
            continue
        try:
            settings = tomllib.loads(settings_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
            raise BriefingError(f"{settings_file}: cannot read layout settings: {error}") from None
        scale = settings.get("chart_text_scale", DEFAULT_CHART_TEXT_SCALE)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0.5 <= scale <= 3:
            raise BriefingError(f"{settings_file}: `chart_text_scale` should be a number "
                                f"from 0.5 to 3, found {scale!r}")
        return float(scale)
    return DEFAULT_CHART_TEXT_SCALE


def available_layouts(roots: list[Path]) -> list[str]:
    names = set()
    for root in roots:
        names.update(p.parent.name for p in root.glob("*/layout.html"))
    return sorted(names)


@dataclass(frozen=True)
class ThemeSection:
    theme: Theme
    quotes: tuple[Quote, ...]


def css_string(value: str) -> Markup:
    """A CSS string literal that no text can break out of (used for margin-box content)."""
    escaped = "".join(ch if ch.isalnum() or ch in " -,.:;'()/&" else f"\\{ord(ch):x} "
                      for ch in value)
    return Markup(f'"{escaped}"')


def long_date(value: dt.date | None) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}" if value else ""


def svg_data_url(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def make_environment(roots: list[Path]):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader([str(root) for root in roots]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    environment.filters.update(markdown=markdown_to_html, css_string=css_string,
                               long_date=long_date, svg_data_url=svg_data_url)
    return environment


def render_html(environment, layout: str, content: MeetingFile, edition: str,
                charts: list[Chart], paper: str, print_shop: bool = False,
                carried: tuple[CarriedAction, ...] = (), follows: MeetingInfo | None = None) -> str:
    """Fill the layout's template; meeting text is only ever passed in as data."""
    from jinja2 import TemplateNotFound

    try:
        template = environment.get_template(f"{layout}/layout.html")
    except TemplateNotFound:
        raise BriefingError(f"layout `{layout}` not found; available layouts: "
                            f"{', '.join(available_layouts(_roots(environment)))}") from None
    quotes_by_theme: dict[str | None, list[Quote]] = {}
    for quote in content.quotes:
        quotes_by_theme.setdefault(quote.theme, []).append(quote)
    sections = [ThemeSection(theme, tuple(quotes_by_theme.get(theme.id, ())))
                for theme in content.themes]
    return template.render(
        meeting=content.meeting, marking=content.marking, content=content, edition=edition,
        document_title=RULES[edition].document_title(content.meeting.title),
        sections=sections, charts={chart.id: chart for chart in charts},
        chart_list=charts, paper=paper, print_shop=print_shop, layout=layout,
        carried=carried, follows=follows)


def _roots(environment) -> list[Path]:
    return [Path(p) for p in environment.loader.searchpath]
