"""Resolve a layout once: the folders it extends, its files and fonts, and its layout.toml settings.

Layouts are folders in the layout roots: the workspace's `layouts/` first, then the built-in
ones. A layout extends another (its `layout.toml` says `extends = "pack"`; without that, the
folder its `layout.html` names in `{% extends "pack/layout.html" %}`), and every chain ends in
`base`. Settings (chart text size, page-furniture sizes, page limit) are taken from the
nearest folder of the chain that sets them; docs/layouts.md describes each for authors.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from briefing.errors import BriefingError, Diagnostic, InputError, shortened
from briefing.files import is_inside, read_file, real_path, why_unreadable

# In a checkout the layouts sit beside the package; a built wheel carries them inside it.
_PACKAGE = Path(__file__).resolve().parent.parent
_PACKAGED_LAYOUTS = _PACKAGE / "_layouts"
BUILTIN_LAYOUTS = _PACKAGED_LAYOUTS if _PACKAGED_LAYOUTS.is_dir() else _PACKAGE.parent / "layouts"
VIRTUAL_BASE = "https://layouts.briefing.invalid/"  # never fetched: pdf.py maps it to files
BASE = "base"  # the folder every layout extends in the end: base.html, parts, CSS, fonts
SHIPPED_FONTS = BUILTIN_LAYOUTS / BASE / "fonts"
FONTCONFIG_FILE = BUILTIN_LAYOUTS / BASE / "fontconfig.conf"  # names the shipped fonts only
CHART_FONT = "NotoSans-Regular.ttf"  # in base/fonts: the face charts are drawn in
FONT_SUFFIXES = (".ttf", ".otf")
LAYOUT_SETTINGS = "layout.toml"
MAX_LAYOUT_FILE_BYTES = 50 * 1024 * 1024  # any file a layout serves: CSS, fonts, images
# A layout is named by its folder: never a path (`../pack` would also put PDFs outside output/).
_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]*"  # a layout folder's name
LAYOUT_NAME = re.compile(rf"\A{_NAME}\Z")

# Paper width and height in millimetres, and the side margins every built-in layout keeps
# (base.css @page): a chart is drawn exactly as wide as the text column it prints in.
PAPER_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "letter": (215.9, 279.4)}
SIDE_MARGINS_MM = 36.0
# A chart with its title, subtitle and source takes at most half the paper's height, so it
# shares a page with its heading: the drawing gets that less eight lines of its text.
CHART_HEIGHT_SHARE = 0.5
CAPTION_LINES = 8
POINTS_PER_MM = 72 / 25.4
A5_PAGES_PER_SIDE = 2  # a page limit counts A4 or letter sides; an A5 page holds about half


@dataclass(frozen=True)
class Setting:
    """One key a layout.toml may set: its default and the numbers it may take."""

    default: float | int | None
    what: str  # "a size in points", for the message about a wrong value
    least: float
    most: float
    whole: bool = False


# Every key a layout.toml may set besides `extends` (the folder name of the layout it extends).
SETTINGS = {
    # The size chart text prints at; charts are drawn as wide as the text column.
    "chart_text_size": Setting(12.0, "a size in points", 6, 48),
    # The older form of chart_text_size: 1.25 means 12 points.
    "chart_text_scale": Setting(1.25, "a number", 0.5, 3),
    # The page furniture's sizes as the layout's CSS sets them: the running head is
    # shortened to fit one line beside the marking at these sizes.
    "running_head_size": Setting(9.0, "a number", 6, 40),
    "marking_size": Setting(10.0, "a number", 6, 40),
    # The most A4 or letter sides the layout may print (twice as many A5 pages): a longer
    # PDF fails, naming the meeting's longest part. None: no limit.
    "page_limit": Setting(None, "a whole number of pages", 1, 1000, whole=True),
}
EXTENDS = "extends"
KNOWN_KEYS = (EXTENDS, *SETTINGS)


def layout_roots(workspace_layouts: Path | None) -> list[Path]:
    """Folders searched for layouts: the workspace's own first, then the built-in ones."""
    roots = []
    if workspace_layouts is not None and workspace_layouts.is_dir():
        roots.append(workspace_layouts.resolve())
    if BUILTIN_LAYOUTS.resolve() not in roots:
        roots.append(BUILTIN_LAYOUTS.resolve())
    return roots


def available_layouts(roots: list[Path] | tuple[Path, ...]) -> list[str]:
    """Every layout there is to build: the folders holding a layout.html."""
    return sorted({p.parent.name for root in roots for p in root.glob("*/layout.html")})


def fonts_in(roots: list[Path] | tuple[Path, ...]) -> list[tuple[Path, Path]]:
    """The fonts a build may use: every TTF/OTF in a `fonts` folder of a layout root, each
    with its root (the folder it must resolve inside). Every one is a fallback for every
    layout: a character none of the CSS fonts has prints in the first of them that has it."""
    found = []
    for root in roots:
        for folder in sorted(root.glob("*/fonts")):
            found.extend((root, p) for p in sorted(folder.iterdir())
                         if p.suffix.lower() in FONT_SUFFIXES)
    return found


@dataclass(frozen=True)
class _FolderSettings:
    """What one folder's layout.toml sets (none when it has no layout.toml)."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


class LayoutFolders:
    """The layout roots of a workspace and each layout in them, resolved once."""

    def __init__(self, workspace_layouts: Path | None, workspace: Path | None = None) -> None:
        self.workspace_layouts = workspace_layouts
        self.workspace = workspace
        self.roots = tuple(layout_roots(workspace_layouts))
        self._layouts: dict[str, Layout] = {}
        self._settings: dict[str, _FolderSettings] = {}
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        """Every layout there is to build (see available_layouts)."""
        if self._names is None:
            self._names = available_layouts(self.roots)
        return self._names

    def layout(self, name: str) -> Layout:
        """The layout named, resolved on first use; BriefingError if there is none, and an
        InputError at the file and line of anything wrong in a layout.toml of its chain."""
        if name in self._layouts:
            return self._layouts[name]
        if not LAYOUT_NAME.match(name):
            raise BriefingError(f"layout name `{name}` is not allowed: a layout is named by "
                                "its folder (letters, digits, `-` and `_`, e.g. pack or "
                                "large-print), never by a path")
        if name not in self.names():
            raise BriefingError(f"layout `{shortened(name)}` not found; available layouts: "
                                f"{', '.join(self.names()) or 'none'}")
        chain = self._chain(name)
        values: dict[str, Any] = {}
        for folder in chain:  # the nearest folder that sets a key decides it
            for key, value in self._folder_settings(folder).values.items():
                values.setdefault(key, value)
        values = {key: values.get(key, setting.default) for key, setting in SETTINGS.items()}
        self._layouts[name] = made = Layout(
            name, chain, self, chart_text_size=float(values["chart_text_size"]),
            running_head_size=float(values["running_head_size"]),
            marking_size=float(values["marking_size"]), most_pages=values["page_limit"])
        return made

    def fonts(self) -> list[tuple[Path, Path]]:
        return fonts_in(self.roots)

    @property
    def font_path(self) -> Path | None:
        """The face charts are drawn in (and running heads measured with): base/fonts."""
        for root in self.roots:
            candidate = root / BASE / "fonts" / CHART_FONT
            if candidate.is_file() and is_inside(candidate, root):
                return candidate
        return None

    def overridden(self) -> list[Path]:
        """The workspace's layout folders that take the place of a built-in one (e.g.
        `layouts/pack`, or `layouts/base`, which every built-in layout extends)."""
        workspace_layouts = self.workspace_layouts
        if workspace_layouts is None or not workspace_layouts.is_dir() \
                or workspace_layouts.resolve() == BUILTIN_LAYOUTS.resolve():
            return []
        return [workspace_layouts / folder.name for folder in sorted(BUILTIN_LAYOUTS.iterdir())
                if folder.is_dir() and os.path.lexists(workspace_layouts / folder.name)]

    def shown(self, path: Path) -> str:
        """A path as the user knows it: relative to the workspace where it lies inside."""
        if self.workspace is not None and path.is_relative_to(self.workspace):
            return str(path.relative_to(self.workspace))
        return str(path)

    def _chain(self, name: str) -> tuple[str, ...]:
        """The layout's folder, the folders it extends in turn, then `base`."""
        chain = [name]
        while True:
            folder = chain[-1]
            own = self._folder_settings(folder)
            parent = own.values.get(EXTENDS)
            declared = parent is not None
            if not declared:
                parent = self._extended_in_template(folder)
            if parent is None or parent == BASE:
                break
            if parent in chain or not any(_is_folder(root / parent) for root in self.roots):
                if not declared:  # the template's own mistake: rendering names it
                    break
                why = (f"goes round in a loop ({' → '.join([*chain, parent])})"
                       if parent in chain else
                       f"names no layout folder; available layouts: {', '.join(self.names())}")
                raise InputError.at(self.shown(own.path or Path(folder)), own.lines.get(EXTENDS, 0),
                                    f"`extends = \"{parent}\"` {why}")
            chain.append(parent)
        return (*chain, BASE)

    def _extended_in_template(self, folder: str) -> str | None:
        """The folder `{% extends "<folder>/…" %}` names in the folder's layout.html (the
        one the loader would use), or None."""
        from briefing.rendering.sandbox import LayoutFileRefused, read_layout_file

        for root in self.roots:
            try:
                found = read_layout_file(root, [folder, "layout.html"])
            except LayoutFileRefused:  # rendering says why
                return None
            if found is not None:
                return _folder_extended_by(found[1])
        return None

    def _folder_settings(self, folder: str) -> _FolderSettings:
        """The folder's layout.toml (the first root's that has one), every key checked."""
        if folder in self._settings:
            return self._settings[folder]
        import tomllib

        from briefing.config import _key_line

        settings = _FolderSettings()
        for root in self.roots:
            path = root / folder / LAYOUT_SETTINGS
            if not os.path.lexists(path):
                continue
            shown = self.shown(path)
            try:
                text = read_file(path, MAX_LAYOUT_FILE_BYTES, inside=root).data.decode("utf-8")
                raw = tomllib.loads(text)
            except OSError as error:
                raise InputError.at(shown, 0, "cannot read layout settings: "
                                    f"{why_unreadable(error, MAX_LAYOUT_FILE_BYTES)}") from None
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise InputError.at(shown, 0, f"cannot read layout settings: {error}") from None
            lines = {key: _key_line(text, key) for key in raw}
            problems = [Diagnostic(shown, lines[key], 0, message)
                        for key, value in raw.items()
                        if (message := _setting_problem(key, value)) is not None]
            if problems:
                raise InputError(problems)
            values = dict(raw)
            if "chart_text_scale" in values:  # the older form, read as a size
                scale = values.pop("chart_text_scale")
                values.setdefault("chart_text_size", round(
                    SETTINGS["chart_text_size"].default * scale
                    / SETTINGS["chart_text_scale"].default, 2))
            settings = _FolderSettings(path, values, lines)
            break
        self._settings[folder] = settings
        return settings


def _setting_problem(key: str, value: Any) -> str | None:
    """What is wrong with one key of a layout.toml, or None."""
    if key == EXTENDS:
        if isinstance(value, str) and LAYOUT_NAME.match(value):
            return None
        return (f"`extends` should be the folder name of the layout this one extends, "
                f"e.g. \"pack\", found {shortened(repr(value))}")
    setting = SETTINGS.get(key)
    if setting is None:
        hint = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
        return f"unknown key `{shortened(key)}`" + (
            f"; did you mean `{hint[0]}`?" if hint else f"; it may set {', '.join(KNOWN_KEYS)}")
    number = (int,) if setting.whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, number) \
            or not setting.least <= value <= setting.most:
        return (f"`{key}` should be {setting.what} from {setting.least:g} to "
                f"{setting.most:g}, found {shortened(repr(value))}")
    return None


@dataclass(frozen=True)
class Layout:
    """One layout, resolved: its folder chain and what its layout.toml files set."""

    name: str
    chain: tuple[str, ...]  # (name, the folder it extends, …, "base")
    folders_of: LayoutFolders = field(repr=False, compare=False)
    chart_text_size: float  # points (SETTINGS has the defaults)
    running_head_size: float
    marking_size: float
    most_pages: int | None  # on A4 or letter

    @property
    def roots(self) -> tuple[Path, ...]:
        return self.folders_of.roots

    @property
    def furniture_sizes(self) -> tuple[float, float]:
        """(running head size, marking size) in points."""
        return self.running_head_size, self.marking_size

    def chart_size(self, paper: str):
        """How wide a chart prints on this paper (the text column) and how large its text is."""
        from briefing.rendering.charts import ChartSize

        width, height = PAPER_MM.get(paper, PAPER_MM["A4"])
        text = self.chart_text_size
        return ChartSize(width=round((width - SIDE_MARGINS_MM) * POINTS_PER_MM, 2), text=text,
                         max_height=round(height * CHART_HEIGHT_SHARE * POINTS_PER_MM
                                          - CAPTION_LINES * text, 2))

    def page_limit(self, paper: str) -> int | None:
        """The most pages the layout may print on this paper, or None."""
        if self.most_pages is None:
            return None
        return self.most_pages * (A5_PAGES_PER_SIDE if paper == "A5" else 1)

    def fonts(self) -> list[tuple[Path, Path]]:
        """Every font the layout may print with, each with its root (see fonts_in)."""
        return self.folders_of.fonts()

    def folders(self) -> tuple[str, ...]:
        """The chain's folders, then every other layout folder their templates and
        stylesheets name (an import or include, a stylesheet link, a CSS `@import` or
        `url()`), followed to the end."""
        return self._walk()[0]

    def files(self) -> list[tuple[str, Path]]:
        """Every file the layout's PDFs are made from, named root-relatively: each file of
        its folders in every layout root, and every font. Names carry the root's place in the
        search order (0 = the workspace's own folder when it has one), so a workspace file
        that starts to shadow a built-in one changes the hash. Editor backups, hidden files
        and links leading out of the root are left out."""
        folders, files = self._walk()
        roots = list(self.roots)
        for root, font in self.fonts():
            if _kept(font, root):
                files.setdefault(f"layouts[{roots.index(root)}]/"
                                 f"{font.relative_to(root).as_posix()}", font)
        return sorted(files.items())

    def _walk(self) -> tuple[tuple[str, ...], dict[str, Path]]:
        roots = list(self.roots)
        todo = list(self.chain)
        seen: list[str] = []
        files: dict[str, Path] = {}
        while todo:
            folder = todo.pop(0)
            if folder in seen:
                continue
            seen.append(folder)
            for index, root in enumerate(roots):
                top = root / folder
                if not top.is_dir():
                    continue
                for path in sorted(top.rglob("*")):
                    if not _kept(path, root):
                        continue
                    files[f"layouts[{index}]/{path.relative_to(root).as_posix()}"] = path
                    if path.suffix in _TEMPLATE_SUFFIXES:
                        todo.extend(sorted(_named_folders(path, roots) - set(seen)))
        return tuple(seen), files


_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part")
_TEMPLATE_SUFFIXES = (".html", ".css")
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
# A quoted or url()'d path whose first part is a folder: "pack/layout.html", url(base/x.ttf).
_FOLDER_REFERENCE = re.compile(r"""["'(]\s*([A-Za-z0-9][\w.-]*)/""")


def _kept(path: Path, root: Path) -> bool:
    """A layout file that counts: a file, not hidden, not an editor's backup, and never a
    link leading out of its root."""
    relative = path.relative_to(root)
    return (path.is_file() and not any(part.startswith(".") for part in relative.parts)
            and not path.name.endswith(_IGNORED_SUFFIXES) and "__pycache__" not in relative.parts
            and real_path(path).is_relative_to(root))


def _named_folders(path: Path, roots: list[Path]) -> set[str]:
    """The layout folders a template or stylesheet names (those that exist in some root)."""
    try:  # a regular file of bounded size (its real path was checked by the caller)
        text = read_file(path, MAX_TEMPLATE_BYTES).data.decode("utf-8", errors="replace")
    except OSError:
        return set()
    return {name for name in _FOLDER_REFERENCE.findall(text)
            if any((root / name).is_dir() for root in roots)}


# Only whitespace before it; a quoted name with no quote or backslash inside, then `%}`.
_OPENING_EXTENDS = re.compile(
    rf"""\s*\{{%[-+]?\s*extends\s+(["'])(?P<folder>{_NAME})/[^"'\\\n]*\1\s*[-+]?%\}}""")


@lru_cache(maxsize=64)
def _folder_extended_by(template: str) -> str | None:
    """The layout folder a template's `{% extends "<folder>/…" %}` names, or None. Parsed,
    never run; remembered by the template's text, since parsing takes longer than a small
    meeting takes to read (and `briefing.render` resolves its layouts on every call).

    A template that opens with a plain `{% extends "<folder>/…" %}`, as layouts do, is read
    without Jinja: importing and running its parser is most of an up-to-date build's layout
    work. Jinja would find the same tag first (only a template broken further on reads
    differently: Jinja gives None, and rendering names its line either way)."""
    opening = _OPENING_EXTENDS.match(template)
    if opening is not None:
        return opening["folder"]
    from jinja2 import Environment, TemplateSyntaxError, nodes

    try:
        tree = Environment().parse(template)
    except TemplateSyntaxError:  # rendering and `check` name the line
        return None
    for node in tree.find_all(nodes.Extends):
        target = node.template
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            first, slash, _rest = target.value.partition("/")
            return first if slash and LAYOUT_NAME.match(first) else None
        return None
    return None


def _is_folder(path: Path) -> bool:
    """Whether the path is a folder; False for a name the system refuses (too long)."""
    try:
        return path.is_dir()
    except OSError:
        return False
