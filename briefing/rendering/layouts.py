"""Turn a meeting edition and its charts into HTML, through a Jinja2 layout."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from briefing.editions.rules import RULES
from briefing.errors import BriefingError
from briefing.files import read_file, why_unreadable
from briefing.meeting.models import MeetingFile, MeetingInfo, Quote, Theme
from briefing.meeting.textformat import markdown_to_html
from briefing.rendering.charts import Chart
from briefing.rendering.typography import curly, day_date, long_date

if TYPE_CHECKING:
    from briefing.meeting.series import CarriedAction

# In a checkout the layouts sit beside the package; a built wheel carries them inside it.
_PACKAGE = Path(__file__).resolve().parent.parent
_PACKAGED_LAYOUTS = _PACKAGE / "_layouts"
BUILTIN_LAYOUTS = _PACKAGED_LAYOUTS if _PACKAGED_LAYOUTS.is_dir() else _PACKAGE.parent / "layouts"
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
MAX_LAYOUT_FILE_BYTES = 50 * 1024 * 1024  # any file a layout serves: CSS, fonts, images
DEFAULT_CHART_TEXT_SIZE = 12.0  # points: the pack's body size
# Paper width and height in millimetres, and the side margins every built-in layout keeps
# (base.css @page): a chart is drawn exactly as wide as the text column it prints in.
PAPER_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "letter": (215.9, 279.4)}
SIDE_MARGINS_MM = 36.0
# A chart with its title, subtitle and source takes at most half the paper's height, so it
# shares a page with its heading: the drawing gets that less eight lines of its text.
CHART_HEIGHT_SHARE = 0.5
CAPTION_LINES = 8
POINTS_PER_MM = 72 / 25.4


def chart_text_size(roots: list[Path], layout: str) -> float:
    """The size in points chart text prints at in a layout: `chart_text_size` in the layout
    folder's layout.toml (e.g. 16 for large print), 12 when absent. The older
    `chart_text_scale` is still read: 1.25 (its old default) means 12 pt."""
    import tomllib

    for root in roots:
        settings_file = root / layout / LAYOUT_SETTINGS
        if not os.path.lexists(settings_file):
            continue
        try:
            raw = read_file(settings_file, MAX_LAYOUT_FILE_BYTES, inside=root).data
            settings = tomllib.loads(raw.decode("utf-8"))
        except OSError as error:
            raise BriefingError(f"{settings_file}: cannot read layout settings: "
                                f"{why_unreadable(error, MAX_LAYOUT_FILE_BYTES)}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise BriefingError(f"{settings_file}: cannot read layout settings: {error}") from None
        if "chart_text_size" in settings:
            size = settings["chart_text_size"]
            if isinstance(size, bool) or not isinstance(size, (int, float)) or not 6 <= size <= 48:
                raise BriefingError(f"{settings_file}: `chart_text_size` should be a size in "
                                    f"points from 6 to 48, found {size!r}")
            return float(size)
        scale = settings.get("chart_text_scale", 1.25)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0.5 <= scale <= 3:
            raise BriefingError(f"{settings_file}: `chart_text_scale` should be a number "
                                f"from 0.5 to 3, found {scale!r}")
        return round(DEFAULT_CHART_TEXT_SIZE * scale / 1.25, 2)
    return DEFAULT_CHART_TEXT_SIZE


def chart_size(roots: list[Path], layout: str, paper: str):
    """How wide a chart prints on this paper (the text column) and how large its text is."""
    from briefing.rendering.charts import ChartSize

    width, height = PAPER_MM.get(paper, PAPER_MM["A4"])
    text = chart_text_size(roots, layout)
    return ChartSize(width=round((width - SIDE_MARGINS_MM) * POINTS_PER_MM, 2), text=text,
                     max_height=round(height * CHART_HEIGHT_SHARE * POINTS_PER_MM
                                      - CAPTION_LINES * text, 2))


# The page furniture's type sizes in points (`running_head_size`, `marking_size` in
# layout.toml), which must match the layout's CSS: the running head is shortened to fit one
# line beside the marking at these sizes.
DEFAULT_FURNITURE = {"running_head_size": 9.0, "marking_size": 10.0}


def furniture_sizes(roots: list[Path], layout: str) -> tuple[float, float]:
    """(running head size, marking size) in points for a layout."""
    return tuple(layout_setting(roots, layout, key, default, 6, 40)  # type: ignore[return-value]
                 for key, default in DEFAULT_FURNITURE.items())


def layout_setting(roots: list[Path], layout: str, key: str, default: float,
                   least: float, most: float) -> float:
    """A number from the layout folder's layout.toml (the first root that has the file)."""
    import tomllib

    for root in roots:
        settings_file = root / layout / LAYOUT_SETTINGS
        if not settings_file.is_file():
            continue
        try:
            settings = tomllib.loads(settings_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
            raise BriefingError(f"{settings_file}: cannot read layout settings: {error}") from None
        value = settings.get(key, default)
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not least <= value <= most):
            raise BriefingError(f"{settings_file}: `{key}` should be a number "
                                f"from {least:g} to {most:g}, found {value!r}")
        return float(value)
    return default


def overridden_layouts(workspace_layouts: Path | None) -> list[Path]:
    """The workspace's layout folders that take the place of a built-in one (e.g.
    `layouts/pack`, or `layouts/base`, which every built-in layout extends)."""
    if workspace_layouts is None or not workspace_layouts.is_dir() \
            or workspace_layouts.resolve() == BUILTIN_LAYOUTS.resolve():
        return []
    return [workspace_layouts / folder.name for folder in sorted(BUILTIN_LAYOUTS.iterdir())
            if folder.is_dir() and os.path.lexists(workspace_layouts / folder.name)]


def available_layouts(roots: list[Path]) -> list[str]:
    names = set()
    for root in roots:
        names.update(p.parent.name for p in root.glob("*/layout.html"))
    return sorted(names)


@dataclass(frozen=True)
class ThemeSection:
    theme: Theme
    quotes: tuple[Quote, ...]
    actions: int = 0  # how many actions name this theme


def ranked(sections: list[ThemeSection]) -> list[ThemeSection]:
    """Themes in the order a brief leads with them: by `priority` (1 first), then the rest
    by how many quotes and actions they have, most first; ties keep the file's order."""
    return sorted(sections, key=lambda s: (s.theme.priority is None, s.theme.priority or 0,
                                           -(len(s.quotes) + s.actions)))


EDITION_LABELS = {"internal": "Internal", "councillor": "Councillor",
                  "public": "Public release"}


def css_string(value: str) -> Markup:
    """A CSS string literal that no text can break out of (used for margin-box content)."""
    escaped = "".join(ch if ch.isalnum() or ch in " -,.:;'()/&" else f"\\{ord(ch):x} "
                      for ch in value)
    return Markup(f'"{escaped}"')


def svg_data_url(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


class LayoutFileRefused(Exception):
    """A layout template that the loader will not read: a symlink, or not a regular file."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path} {why}")
        self.path = path
        self.why = why


def _read_layout_file(root: Path, pieces: list[str]) -> tuple[Path, str, float] | None:
    """The file `root/pieces…` if it exists: never through a symlink, only a regular file,
    so a template can never be read from outside its layout folder. None if it is absent."""
    import stat

    path = root
    for index, piece in enumerate(pieces):
        path = path / piece
        try:
            status = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise LayoutFileRefused(path, f"cannot be read: {error.strerror}") from None
        if stat.S_ISLNK(status.st_mode):
            raise LayoutFileRefused(path, "is a symlink; layout files must be real files "
                                          "inside the layout folder")
        last = index == len(pieces) - 1
        if not last and not stat.S_ISDIR(status.st_mode):
            return None
    if not stat.S_ISREG(status.st_mode):
        raise LayoutFileRefused(path, "is not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:  # e.g. swapped for a symlink since it was looked at
        raise LayoutFileRefused(path, f"cannot be read: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):
            raise LayoutFileRefused(path, "is not a regular file")
        data = handle.read()
    try:
        return path, data.decode("utf-8"), opened.st_mtime
    except UnicodeDecodeError as error:
        raise LayoutFileRefused(path, f"is not UTF-8 text (byte {error.start})") from None


def _layout_loader_class():
    from jinja2 import BaseLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class LayoutLoader(BaseLoader):
        """Templates from the layout roots only, first root first (see _read_layout_file)."""

        def __init__(self, roots: list[Path], workspace: Path | None) -> None:
            self.roots = [Path(root) for root in roots]
            self.workspace = workspace

        def get_source(self, environment, template):
            pieces = split_template_path(template)  # refuses `..`
            if not pieces or any("\\" in piece or "\0" in piece for piece in pieces):
                raise TemplateNotFound(template)
            for root in self.roots:
                found = _read_layout_file(root, pieces)
                if found is None:
                    continue
                path, source, mtime = found

                def unchanged(path: Path = path, mtime: float = mtime) -> bool:
                    try:
                        return path.lstat().st_mtime == mtime
                    except OSError:
                        return False

                return source, str(path), unchanged
            raise TemplateNotFound(template)

        def shown(self, filename: str | Path) -> str:
            """A template file as the user knows it: relative to the workspace if inside it."""
            path = Path(filename)
            if self.workspace is not None:
                try:
                    return str(path.relative_to(self.workspace))
                except ValueError:
                    pass
            return str(path)

    return LayoutLoader


class LayoutTooLarge(Exception):
    """Arithmetic in a layout whose result would hang the render or exhaust its memory."""


# A layout may not ask for more than this from `**` and `*`: without a bound, `{{ 9**9**9 }}`
# or `{{ "x" * 10**10 }}` would hang or exhaust memory (even while the template compiles).
_MOST_BITS = 100_000
_MOST_ITEMS = 10_000_000


def _sandbox_class():
    import operator

    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class LayoutEnvironment(ImmutableSandboxedEnvironment):
        """Jinja's immutable sandbox: no Python internals, no changing data in place, and no
        arithmetic that would hang or fill memory."""

        intercepted_binops = frozenset({"**", "*"})

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.safe_attributes: dict[tuple[type, str], bool] = {}

        def is_safe_attribute(self, obj, attr, value) -> bool:
            # Jinja's answer depends only on the object's type and the attribute's name;
            # asking once per pair takes most of the sandbox's cost off a pack.
            key = (type(obj), attr)
            safe = self.safe_attributes.get(key)
            if safe is None:
                safe = self.safe_attributes[key] = super().is_safe_attribute(obj, attr, value)
            return safe

        def call_binop(self, context, op, left, right):
            if op == "**" and _is_int(left) and _is_int(right) and right > 0 \
                    and abs(left) > 1 and right * abs(left).bit_length() > _MOST_BITS:
                raise LayoutTooLarge(f"{left} ** {right} is too large a number for a layout")
            if op == "*":
                if _is_int(left) and _is_int(right) \
                        and abs(left).bit_length() + abs(right).bit_length() > _MOST_BITS:
                    raise LayoutTooLarge("multiplying these makes too large a number for a "
                                         "layout")
                for count, other in ((left, right), (right, left)):
                    if _is_int(count) and isinstance(other, (str, bytes, list, tuple)) \
                            and count * len(other) > _MOST_ITEMS:
                        raise LayoutTooLarge(f"repeating something {count} times makes too "
                                            "large a value for a layout")
            return {"**": operator.pow, "*": operator.mul}[op](left, right)

    return LayoutEnvironment


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def make_environment(roots: list[Path], workspace: Path | None = None):
    """A sandboxed Jinja environment whose templates come only from the layout roots."""
    from jinja2 import StrictUndefined, select_autoescape

    environment = _sandbox_class()(
        loader=_layout_loader_class()(roots, workspace),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    environment.filters.update(markdown=markdown_to_html, css_string=css_string,
                               long_date=long_date, day_date=day_date, curly=curly,
                               svg_data_url=svg_data_url)
    return environment


def render_html(environment, layout: str, content: MeetingFile, edition: str,
                charts: list[Chart], paper: str, print_shop: bool = False,
                carried: tuple[CarriedAction, ...] = (), follows: MeetingInfo | None = None,
                **page: object) -> str:
    """Fill the layout's template; meeting text is only ever passed in as data.

    `page` adds what the page furniture needs beyond the meeting (reference, running head,
    licence, …); each has a default so a layout can always be filled. Anything wrong in a
    layout's templates is a BriefingError naming the template and line."""
    from jinja2 import TemplateNotFound

    name = f"{layout}/layout.html"
    try:
        template = environment.get_template(name)
    except TemplateNotFound as error:
        if error.name != name:
            raise template_error(environment, error) from None
        raise BriefingError(f"layout `{layout}` not found; available layouts: "
                            f"{', '.join(available_layouts(_roots(environment)))}") from None
    except Exception as error:
        raise template_error(environment, error) from None
    quotes_by_theme: dict[str | None, list[Quote]] = {}
    for quote in content.quotes:
        quotes_by_theme.setdefault(quote.theme, []).append(quote)
    sections = [ThemeSection(theme, tuple(quotes_by_theme.get(theme.id, ())),
                             sum(action.theme == theme.id for action in content.actions))
                for theme in content.themes]
    document_title = RULES[edition].document_title(content.meeting.title)
    defaults = {"reference": "", "made": None, "licence": None,
                "running_head": content.meeting.title, "head_width": None,
                "marking_width": None, "quote_numbers": {}, "footer_on_one_line": True,
                "head_under_marking": False,
                "edition_label": EDITION_LABELS.get(edition, edition.capitalize())}
    try:
        return template.render(
            meeting=content.meeting, marking=content.marking, content=content, edition=edition,
            document_title=document_title, sections=sections, ranked_sections=ranked(sections),
            charts={chart.id: chart for chart in charts}, chart_list=charts, paper=paper,
            print_shop=print_shop, layout=layout, carried=carried, follows=follows,
            **{**defaults, **page})
    except Exception as error:
        raise template_error(environment, error) from None


# What a layout receives (see render_html), for the message about an undefined name.
LAYOUT_NAMES = ("meeting", "marking", "content", "edition", "document_title", "sections",
                "ranked_sections", "charts", "chart_list", "paper", "print_shop", "layout",
                "carried", "follows", "reference", "made", "licence", "running_head",
                "edition_label")


def template_error(environment, error: BaseException) -> BriefingError:
    """`<template file>:<line>: <what went wrong>` for an error met while loading or filling
    a layout; re-raises an error that did not come from a template (a bug of ours)."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    loader = environment.loader
    if isinstance(error, TemplateSyntaxError) and error.filename:
        where, line = error.filename, error.lineno
    else:
        where, line = _template_frame(error, loader.roots)
    if where is None:
        if isinstance(error, (LayoutFileRefused, TemplateNotFound)):
            where, line = "", 0
        else:
            raise error
    if isinstance(error, LayoutFileRefused):
        message = f"{loader.shown(error.path)} {error.why}"
    elif isinstance(error, TemplateSyntaxError):
        message = f"template syntax error: {error.message}"
    elif isinstance(error, TemplateNotFound):
        message = (f"template `{error.name}` not found in the layout folders "
                   f"({', '.join(loader.shown(root) for root in loader.roots)})")
    elif isinstance(error, LayoutTooLarge):
        message = f"not allowed in a layout: {error}"
    elif isinstance(error, SecurityError):
        message = (f"not allowed in a layout: {str(error).rstrip('.')}. Layouts run in a "
                   "sandbox: they may show the meeting's data but not reach Python internals "
                   "(names starting with `_`) or change data in place (use `namespace()`)")
    elif isinstance(error, UndefinedError):
        message = (f"{error.message}; a layout is given {', '.join(LAYOUT_NAMES)} "
                   "(see the built-in layouts)")
    else:
        message = f"{type(error).__name__}: {error}"
    if len(message) > 1000:
        message = message[:999] + "…"
    if not where:
        return BriefingError(message)
    return BriefingError(f"{loader.shown(where)}:{line}: {message}" if line
                         else f"{loader.shown(where)}: {message}")


def _template_frame(error: BaseException, roots: list[Path]) -> tuple[str | None, int]:
    """The innermost template file and line in the error's traceback (Jinja rewrites its
    frames to name the template source), or (None, 0)."""
    found: tuple[str | None, int] = (None, 0)
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if any(Path(filename).is_relative_to(root) for root in roots):
            found = (filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


def _roots(environment) -> list[Path]:
    return list(environment.loader.roots)
