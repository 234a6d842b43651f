"""Turn briefing.toml and command-line overrides into one frozen Config."""

from __future__ import annotations

import difflib
import math
import os
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin, get_type_hints

from briefing.editions import EDITIONS
from briefing.errors import BriefingError, InputError, shortened
from briefing.files import read_file, why_unreadable

if TYPE_CHECKING:
    from briefing.rendering.layout import Layout, LayoutFolders

CONFIG_FILE = "briefing.toml"
MAX_CONFIG_BYTES = 1024 * 1024
PAPER_SIZES = ("A4", "A5", "letter")
MIN_MEMORY_MB = 512  # less cannot hold WeasyPrint, matplotlib and the fonts
MAX_TIMEOUT = 1e9  # seconds; more overflows the clocks a worker is waited on with


@dataclass(frozen=True)
class Setting:
    """How one Config field is set (briefing.toml, a flag) and whether it changes a PDF.

    Declared once, on the field (see `setting`); the file's checks, the command-line flags
    and the freshness hash are all made from these declarations.
    """

    in_file: bool = False  # briefing.toml may set it, under the field's name
    flags: tuple[str, ...] = ()  # its command-line flags, e.g. ("-j", "--jobs"); none: ()
    help: str = ""  # the flag's help, without a full stop; `{verb}` is the command's verb
    metavar: str | None = None  # how --help names the flag's value, e.g. SECONDS
    choices: tuple[str, ...] = ()  # the only values it takes (any case on the command line)
    noun: str = ""  # what one value is called: "unknown <noun> `x`; choose from ..."
    at_least: float | None = None  # the smallest value allowed
    at_most: float | None = None  # the largest value allowed
    out_of_range: str = ""  # why a value past at_least or at_most is refused
    described: str = ""  # what briefing.toml must hold, when its type says too little
    shown_default: str = ""  # the default as --help words it, when not the value itself
    parse: Callable[[str], Any] | None = None  # the flag's text to a value (BriefingError)
    changes_bytes: bool = False  # part of every output's freshness hash
    # From the field itself:
    name: str = ""
    kind: type = str  # Path, str, int, float, bool or tuple (a list of text)
    default: Any = None

    @property
    def repeatable(self) -> bool:
        """A list given by repeating its flag (e.g. -l pack -l brief)."""
        return self.kind is tuple and self.parse is None

    def default_words(self) -> str:
        """The default as help and messages show it: `120`, `A4`, `pack`, `output/`."""
        if self.shown_default:
            return self.shown_default
        if self.kind is Path:
            return f"{self.default}/"
        if self.kind is tuple:
            return ", ".join(self.default)
        return _shown(self.default)


def setting(default: Any, **how: Any) -> Any:
    """A Config field that is a setting: its default, and the rest of `Setting`."""
    return field(default=default, metadata={"setting": Setting(**how)})


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`K/N` -> (K, N): build the K-th of N shares of the outputs."""
    if text is None:
        return None
    index, slash, total = text.partition("/")
    if not (slash and index.strip().isdigit() and total.strip().isdigit()) or int(total) < 1:
        raise BriefingError(f"--shard {text}: write it as K/N, e.g. 2/3 for the second of "
                            "three shares")
    shard = int(index), int(total)
    _check_shard(shard)
    return shard


def _check_shard(shard: tuple[int, int]) -> None:
    index, total = shard
    if not 1 <= index <= total:
        raise BriefingError(f"--shard {index}/{total}: K must be between 1 and N")


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the meeting files themselves.

    Every field but `workspace` is a setting, declared once here: its type, default, whether
    briefing.toml may set it, its flag and whether it changes a PDF's bytes. Folders are
    relative to the workspace until `load_config` joins them to it.
    """

    workspace: Path
    inputs: Path = setting(Path("inputs"), in_file=True)  # meeting files
    layouts: Path = setting(Path("layouts"), in_file=True)  # searched before the built-in ones
    output: Path = setting(Path("output"), in_file=True, flags=("-o", "--output"),
                           help="Folder for the PDFs")
    # Drawn charts kept between builds; None: `.cache` in the output folder.
    cache: Path | None = setting(None, in_file=True)
    build: tuple[str, ...] = setting(  # layouts made for every meeting
        ("pack",), in_file=True, flags=("-l", "--layout"),
        help="Layout to {verb}, e.g. pack, brief, large-print")
    editions: tuple[str, ...] = setting(
        ("internal",), in_file=True, flags=("-e", "--edition"), help="Edition to {verb}",
        choices=EDITIONS, noun="edition")
    paper: str = setting("A4", in_file=True, flags=("--paper",), help="Paper size",
                         choices=PAPER_SIZES, noun="paper size", changes_bytes=True)
    print_shop: bool = setting(
        False, flags=("--print-shop",), changes_bytes=True,
        help="Add 3 mm bleed and crop marks for a professional printer")
    archive: bool = setting(
        False, flags=("--archive",), changes_bytes=True,
        help="Make PDF/A-3b (still tagged) with the meeting file attached, as "
             "<layout>-<edition>-archive.pdf")
    validate: bool = setting(
        False, flags=("--validate",),
        help="Check each PDF with the page-validation validator; fail on any failure")
    strict: bool = setting(False, flags=("--strict",),
                           help="Treat warnings as failures (for CI)")
    force: bool = setting(False, flags=("-f", "--force"),
                          help="Rebuild even outputs whose inputs have not changed")
    jobs: int = setting(1, in_file=True, flags=("-j", "--jobs"), help="Worker processes",
                        shown_default="one per core")
    shard: tuple[int, int] | None = setting(  # (K, N): build the K-th of N shares
        None, flags=("--shard",), metavar="K/N", parse=parse_shard,
        help="Build only the K-th of N shares of the outputs (for a CI matrix)")
    timeout: float = setting(  # seconds one render may take before it is stopped and fails
        120.0, in_file=True, flags=("--timeout",), metavar="SECONDS",
        help="Stop a render that takes longer and fail its output",
        described="a number of seconds above 0, e.g. 120", at_most=MAX_TIMEOUT,
        out_of_range="longer than a render can be waited for")
    memory_mb: int = setting(  # address space one render worker may use, in megabytes
        2048, in_file=True, at_least=MIN_MEMORY_MB, out_of_range="too little to render a pack")
    # The public edition's licence line, e.g. Open Government Licence v3.0
    licence: str | None = setting(None, in_file=True, changes_bytes=True)

    @cached_property
    def layout_folders(self) -> LayoutFolders:
        """The workspace's and the built-in layouts, each resolved once (rendering/layout.py)."""
        from briefing.rendering.layout import LayoutFolders

        return LayoutFolders(self.layouts, self.workspace)

    def layout(self, name: str) -> Layout:
        return self.layout_folders.layout(name)

    @property
    def chart_cache(self) -> Path | None:
        return self.cache / "charts" if self.cache is not None else None

    def options_fingerprint(self) -> str:
        """The settings that change a PDF's bytes (each declared `changes_bytes`), for
        freshness hashes."""
        return ";".join(f"{item.name}={getattr(self, item.name)}"
                        for item in settings_of(type(self)) if item.changes_bytes)


def settings_of(config_class: type = Config) -> tuple[Setting, ...]:
    """Each setting of a Config class, in field order, with its name, type and default."""
    hints = get_type_hints(config_class)
    return tuple(replace(item.metadata["setting"], name=item.name,
                         kind=_kind(hints[item.name]), default=item.default)
                 for item in fields(config_class) if "setting" in item.metadata)


def _kind(hint: Any) -> type:
    """`Path | None` -> Path, `tuple[str, ...]` -> tuple, `int` -> int."""
    if isinstance(hint, types.UnionType):
        [hint] = [part for part in get_args(hint) if part is not type(None)]
    return get_origin(hint) or hint


SETTINGS = {item.name: item for item in settings_of(Config)}
# The keys briefing.toml may set (flat at the top level, or under a [briefing] table).
_FILE_KEYS = {name: item for name, item in SETTINGS.items() if item.in_file}
_TYPE_NAMES = {Path: "a folder path (text)", tuple: "a list of text, e.g. [\"pack\"]",
               str: "text", int: "a whole number of 1 or more", float: "a number above 0",
               bool: "true or false"}


def load_config(workspace: Path | str = ".", **overrides: Any) -> Config:
    """Read briefing.toml (if any) under workspace, then apply the flags a user actually set."""
    import tomllib

    workspace = Path(workspace).resolve()
    for key in overrides:
        if key not in SETTINGS:
            raise BriefingError(
                f"unknown setting `{shortened(key)}`{_did_you_mean(key, SETTINGS)}")
    settings: dict[str, Any] = {}
    config_path = workspace / CONFIG_FILE
    if os.path.lexists(config_path):
        try:
            text = read_file(config_path, MAX_CONFIG_BYTES, inside=workspace).data.decode("utf-8")
            raw = tomllib.loads(text)
        except OSError as error:
            raise InputError.at(CONFIG_FILE, 0, why_unreadable(error, MAX_CONFIG_BYTES)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise InputError.at(config_path, _toml_line(error), f"invalid TOML: {error}") from None
        table = raw.get("briefing", raw) if isinstance(raw.get("briefing"), dict) else raw
        settings = _check_file_settings(table, config_path, text)
    # Flags default to None and are dropped here, so an unset flag never overrides the file.
    settings.update({key: value for key, value in overrides.items() if value not in (None, ())})
    settings["jobs"] = max(1, int(settings.get("jobs") or os.cpu_count() or 1))
    settings.setdefault("cache", Path(settings.get("output", SETTINGS["output"].default))
                        / ".cache")
    for item in SETTINGS.values():
        value = settings.get(item.name, item.default)
        if item.kind is Path:  # every folder is taken relative to the workspace
            settings[item.name] = workspace / value
        elif isinstance(value, list):
            settings[item.name] = tuple(value)
    config = Config(workspace=workspace, **settings)
    _check_values(config)
    return config


def _check_file_settings(raw: dict, path: Path, text: str = "") -> dict[str, Any]:
    """Every problem in the file at once, each on the line of its key."""
    from briefing.errors import Diagnostic

    problems = []
    for key, value in raw.items():
        item = _FILE_KEYS.get(key)
        if item is None:
            message = f"unknown setting `{shortened(key)}`{_did_you_mean(key, _FILE_KEYS)}"
        elif not _has_type(value, item.kind):
            message = (f"`{key}` should be {item.described or _TYPE_NAMES[item.kind]}, "
                       f"found {shortened(repr(value))}")
        elif item.at_least is not None and value < item.at_least:
            message = (f"`{key} = {value}` is {item.out_of_range}; give at least "
                       f"{_shown(item.at_least)} (the default is {item.default_words()})")
        elif item.at_most is not None and value > item.at_most:
            message = (f"`{key} = {value}` is {item.out_of_range}; give at most "
                       f"{_shown(item.at_most)} (the default is {item.default_words()})")
        else:
            continue
        problems.append(Diagnostic(str(path), _key_line(text, key), 0, message))
    if problems:
        raise InputError(problems)
    return dict(raw)


def _did_you_mean(key: str, known: dict) -> str:
    hint = difflib.get_close_matches(key, list(known), n=1)
    return f"; did you mean `{hint[0]}`?" if hint else f"; known: {', '.join(known)}"


def _shown(value: Any) -> str:
    """120.0 as 120, 1e9 as 1000000000: numbers as a person writes them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _has_type(value: Any, expected: type) -> bool:
    if expected is Path or expected is str:
        return isinstance(value, str) and bool(value)
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if expected is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and value > 0)
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _key_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    return 0


def _check_layouts(config: Config) -> None:
    """Every layout to build is a plain folder name of a layout that exists, resolved (its
    chain and layout.toml settings read) before a meeting is read."""
    _check_layouts_folder(config)
    for layout in config.build:
        config.layout(layout)


def _check_layouts_folder(config: Config) -> None:
    """A layouts folder inside the workspace is reached without symlinks: a committed
    symlink must not move the layout root (briefing.toml may name any folder)."""
    try:
        relative = config.layouts.relative_to(config.workspace)
    except ValueError:
        return
    if ".." in relative.parts:
        return
    folder = config.workspace
    for part in relative.parts:
        folder = folder / part
        if folder.is_symlink():
            raise BriefingError(f"{folder.relative_to(config.workspace)} is a symlink; the "
                                "layouts folder must be a real folder in the workspace (to "
                                "use layouts kept elsewhere, set `layouts` in briefing.toml)")


def _check_values(config: Config) -> None:
    _check_layouts(config)
    for item in SETTINGS.values():
        value = getattr(config, item.name)
        for choice in (value if item.kind is tuple else (value,)) if item.choices else ():
            if choice not in item.choices:
                raise BriefingError(f"unknown {item.noun} `{shortened(str(choice))}`; choose "
                                    f"from {', '.join(item.choices)}")
    if config.shard is not None:
        _check_shard(config.shard)


def _toml_line(error: Exception) -> int:
    return getattr(error, "lineno", 0) or 0
