"""Turn briefing.toml and command-line overrides into one frozen Config."""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefing.editions.rules import EDITIONS
from briefing.errors import BriefingError, InputError
from briefing.files import read_file, why_unreadable

if TYPE_CHECKING:
    from briefing.rendering.layout import Layout, LayoutFolders

CONFIG_FILE = "briefing.toml"
MAX_CONFIG_BYTES = 1024 * 1024
PAPER_SIZES = ("A4", "A5", "letter")


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the meeting files themselves."""

    workspace: Path
    inputs: Path
    layouts: Path
    output: Path
    build: tuple[str, ...] = ("pack",)  # layouts made for every meeting
    editions: tuple[str, ...] = ("internal",)
    paper: str = "A4"
    print_shop: bool = False
    archive: bool = False
    validate: bool = False
    strict: bool = False
    force: bool = False
    jobs: int = 1
    shard: tuple[int, int] | None = None  # (K, N): build the K-th of N shares
    cache: Path | None = None  # drawn charts kept between builds; None: in memory only
    timeout: float = 120.0  # seconds one render may take before it is stopped and fails
    memory_mb: int = 2048  # address space one render worker may use, in megabytes
    licence: str | None = None  # the public edition's licence line, e.g. Open Government Licence v3.0

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
        """The options that change a PDF's bytes, for freshness hashes."""
        return (f"paper={self.paper};print_shop={self.print_shop};archive={self.archive};"
                f"licence={self.licence}")


# The keys briefing.toml may set (flat at the top level, or under a [briefing] table).
_FILE_KEYS = {"inputs": Path, "layouts": Path, "output": Path, "cache": Path, "build": list,
              "editions": list, "paper": str, "jobs": int, "timeout": float,
              "memory_mb": int, "licence": str}
_TYPE_NAMES = {Path: "a folder path (text)", list: "a list of text, e.g. [\"pack\"]",
               str: "text", int: "a whole number of 1 or more",
               float: "a number of seconds above 0, e.g. 120"}
MIN_MEMORY_MB = 512  # less cannot hold WeasyPrint, matplotlib and the fonts


def load_config(workspace: Path | str = ".", **overrides: Any) -> Config:
    """Read briefing.toml (if any) under workspace, then apply the flags a user actually set."""
    import tomllib

    workspace = Path(workspace).resolve()
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
    jobs = settings.pop("jobs", None) or os.cpu_count() or 1
    output = workspace / settings.pop("output", "output")
    config = Config(
        workspace=workspace,
        inputs=workspace / settings.pop("inputs", "inputs"),
        layouts=workspace / settings.pop("layouts", "layouts"),
        output=output,
        cache=workspace / settings.pop("cache", output / ".cache"),
        jobs=max(1, int(jobs)))
    known = {f.name for f in fields(Config)}
    config = replace(config, **{k: (tuple(v) if isinstance(v, list) else v)
                                for k, v in settings.items() if k in known})
    _check_values(config)
    return config


def _check_file_settings(raw: dict, path: Path, text: str = "") -> dict[str, Any]:
    """Every problem in the file at once, each on the line of its key."""
    from briefing.errors import Diagnostic

    problems = []
    for key, value in raw.items():
        expected = _FILE_KEYS.get(key)
        if expected is None:
            hint = difflib.get_close_matches(key, list(_FILE_KEYS), n=1)
            message = f"unknown setting `{key}`" + (
                f"; did you mean `{hint[0]}`?" if hint else f"; known: {', '.join(_FILE_KEYS)}")
        elif not _has_type(value, expected):
            message = f"`{key}` should be {_TYPE_NAMES[expected]}, found {value!r}"
        elif key == "memory_mb" and value < MIN_MEMORY_MB:
            message = (f"`memory_mb = {value}` is too little to render a pack; give at least "
                       f"{MIN_MEMORY_MB} (the default is {Config.memory_mb})")
        else:
            continue
        problems.append(Diagnostic(str(path), _key_line(text, key), 0, message))
    if problems:
        raise InputError(problems)
    return dict(raw)


def _has_type(value: Any, expected: type) -> bool:
    if expected is Path or expected is str:
        return isinstance(value, str) and bool(value)
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


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`K/N` -> (K, N): build the K-th of N shares of the outputs."""
    if text is None:
        return None
    index, slash, total = text.partition("/")
    if not (slash and index.strip().isdigit() and total.strip().isdigit()) or int(total) < 1:
        raise BriefingError(f"--shard {text}: write it as K/N, e.g. 2/3 for the second of "
                            "three shares")
    return int(index), int(total)


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
    for edition in config.editions:
        if edition not in EDITIONS:
            raise BriefingError(f"unknown edition `{edition}`; choose from {', '.join(EDITIONS)}")
    if config.paper not in PAPER_SIZES:
        raise BriefingError(f"unknown paper size `{config.paper}`; choose from "
                            f"{', '.join(PAPER_SIZES)}")
    if config.shard is not None:
        index, total = config.shard
        if not 1 <= index <= total:
            raise BriefingError(f"--shard {index}/{total}: K must be between 1 and N")


def _toml_line(error: Exception) -> int:
    return getattr(error, "lineno", 0) or 0
