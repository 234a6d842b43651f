"""Fill a layout's Jinja templates with a meeting edition and its charts, and name what goes wrong.

What a template is given, every name and filter, is declared here once (LAYOUT_NAMES,
FILTERS) and described for layout authors in docs/layouts.md.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from briefing.editions.rules import RULES
from briefing.errors import BriefingError
from briefing.meeting.models import MeetingFile, MeetingInfo, Quote, Theme
from briefing.meeting.textformat import markdown_to_html
from briefing.rendering.sandbox import LayoutFileRefused, LayoutTooLarge, layout_loader_class, sandbox_class
from briefing.rendering.typography import curly, day_date, long_date

if TYPE_CHECKING:
    from briefing.meeting.series import CarriedAction
    from briefing.rendering.charts import Chart
    from briefing.rendering.layout import Layout, LayoutFolders


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


# The filters a layout may use besides Jinja's own (docs/layouts.md describes each).
FILTERS = {"markdown": markdown_to_html, "css_string": css_string, "long_date": long_date,
           "day_date": day_date, "curly": curly, "svg_data_url": svg_data_url}

# Every name a layout is given (layout_context), in the order docs/layouts.md lists them.
LAYOUT_NAMES = ("meeting", "marking", "content", "edition", "edition_label", "document_title",
                "sections", "ranked_sections", "charts", "chart_list", "carried", "follows",
                "paper", "print_shop", "layout", "reference", "made", "licence",
                "running_head", "head_width", "head_under_marking", "marking_width",
                "footer_on_one_line", "quote_numbers")


def make_environment(folders: LayoutFolders):
    """A sandboxed Jinja environment whose templates come only from the layout roots."""
    from jinja2 import StrictUndefined, select_autoescape

    environment = sandbox_class()(
        loader=layout_loader_class()(list(folders.roots), folders.workspace),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, bytecode_cache=_compiled_templates())
    environment.filters.update(FILTERS)
    return environment


def compile_layout(environment, layout: Layout) -> None:
    """Compile every template of a layout's chain now, into the process's compiled
    templates. One that cannot compile is left for the render to report, at its line."""
    for name, _path in layout.files():
        if name.endswith(".html"):  # "layouts[0]/pack/layout.html" -> "pack/layout.html"
            try:
                environment.get_template(name.split("/", 1)[1])
            except Exception:  # noqa: BLE001, S112 - rendering names the file and line
                continue


def compile_built_in_layouts() -> None:
    """Compile every built-in layout's templates, for processes forked from this one (the
    workers' fork server): a render's environment finds them compiled, unless its workspace
    replaces them."""
    from briefing.rendering.layout import LayoutFolders

    folders = LayoutFolders(None)
    environment = make_environment(folders)
    for name in folders.names():
        compile_layout(environment, folders.layout(name))


@lru_cache(maxsize=1)
def _compiled_templates():
    """The process's compiled templates, shared by every environment make_environment makes
    (they all compile alike): a later build or renderer in the same process compiles no
    template it has compiled before. Kept by template name, file and source text, so an
    edited template is compiled again; in memory only, never read from a file."""
    from jinja2.bccache import BytecodeCache

    class CompiledTemplates(BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, tuple[str, object]] = {}

        def load_bytecode(self, bucket) -> None:  # noqa: ANN001
            checksum, code = self.code.get(bucket.key, (None, None))
            if checksum == bucket.checksum:
                bucket.code = code

        def dump_bytecode(self, bucket) -> None:  # noqa: ANN001
            self.code[bucket.key] = (bucket.checksum, bucket.code)

    return CompiledTemplates()


def layout_context(layout: str, content: MeetingFile, edition: str, charts: list[Chart],
                   paper: str, print_shop: bool = False, carried: tuple[CarriedAction, ...] = (),
                   follows: MeetingInfo | None = None, **page: object) -> dict[str, object]:
    """Every name the layout's templates are given (LAYOUT_NAMES), the meeting only ever as
    data. `page` adds what the page furniture needs beyond the meeting (reference, running
    head, licence, …); each has a default so a layout can always be filled."""
    quotes_by_theme: dict[str | None, list[Quote]] = {}
    for quote in content.quotes:
        quotes_by_theme.setdefault(quote.theme, []).append(quote)
    sections = [ThemeSection(theme, tuple(quotes_by_theme.get(theme.id, ())),
                             sum(action.theme == theme.id for action in content.actions))
                for theme in content.themes]
    defaults = {"reference": "", "made": None, "licence": None,
                "running_head": content.meeting.title, "head_width": None,
                "marking_width": None, "quote_numbers": {}, "footer_on_one_line": True,
                "head_under_marking": False,
                "edition_label": EDITION_LABELS.get(edition, edition.capitalize())}
    return dict(
        meeting=content.meeting, marking=content.marking, content=content, edition=edition,
        document_title=RULES[edition].document_title(content.meeting.title), sections=sections,
        ranked_sections=ranked(sections), charts={chart.id: chart for chart in charts},
        chart_list=charts, paper=paper, print_shop=print_shop, layout=layout, carried=carried,
        follows=follows, **{**defaults, **page})


def render_html(environment, layout: str, content: MeetingFile, edition: str,
                charts: list[Chart], paper: str, print_shop: bool = False,
                carried: tuple[CarriedAction, ...] = (), follows: MeetingInfo | None = None,
                **page: object) -> str:
    """Fill the layout's template (see layout_context for what it is given). Anything wrong
    in a layout's templates is a BriefingError naming the template and line."""
    from jinja2 import TemplateNotFound

    name = f"{layout}/layout.html"
    try:
        template = environment.get_template(name)
    except TemplateNotFound as error:
        if error.name != name:
            raise template_error(environment, error) from None
        from briefing.rendering.layout import available_layouts

        raise BriefingError(f"layout `{layout}` not found; available layouts: "
                            f"{', '.join(available_layouts(environment.loader.roots))}") from None
    except Exception as error:
        raise template_error(environment, error) from None
    context = layout_context(layout, content, edition, charts, paper, print_shop, carried,
                             follows, **page)
    try:
        return template.render(**context)
    except Exception as error:
        raise template_error(environment, error) from None


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
