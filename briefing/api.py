"""The public Python API: `render` one meeting to PDF bytes, `build` a workspace's packs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefing.errors import InputError

if TYPE_CHECKING:
    from briefing.batch.build import BuildReport
    from briefing.config import Config
    from briefing.rendering.renderer import Renderer

_renderers: dict[Config, Renderer] = {}  # one per settings, so a second render is warm


def workspace_of(meeting_path: Path) -> Path:
    """The folder holding briefing.toml above the meeting; else the folder above `inputs/`;
    else the meeting's own folder."""
    from briefing.config import CONFIG_FILE

    for folder in meeting_path.parents:
        if (folder / CONFIG_FILE).is_file():
            return folder
    if meeting_path.parent.name == "inputs":
        return meeting_path.parent.parent
    return meeting_path.parent


def render(meeting_path: str | Path, *, layout: str = "pack", edition: str = "internal",
           workspace: str | Path | None = None, **settings: Any) -> bytes:
    """One meeting in one layout and edition, as the PDF's bytes, rendered in this process.

    The meeting is read and checked exactly as `briefing build` reads it (its `follows`
    chain, and for the public edition the privacy check); `settings` are briefing.toml's
    keys (`paper="A5"`, `print_shop=True`, `archive=True`, `licence=...`). Raises
    `InputError` listing every problem in the files (with `strict=True`, warnings too), and
    `BriefingError` if the PDF cannot be made. Later calls with the same settings reuse the
    loaded fonts, templates and drawn charts.
    """
    from briefing.batch.build import Job, check_page_limit, output_path
    from briefing.batch.reading import read_meetings
    from briefing.config import load_config
    from briefing.rendering.renderer import Renderer

    meeting_path = Path(meeting_path).resolve()
    root = Path(workspace).resolve() if workspace is not None else workspace_of(meeting_path)
    config = load_config(root, build=(layout,), editions=(edition,), jobs=1, **settings)
    [(_path, outcome)] = read_meetings(config, [meeting_path], public=edition == "public")
    if isinstance(outcome, InputError):
        raise outcome
    series, warnings = outcome
    if config.strict and warnings:
        raise InputError(warnings)
    renderer = _renderers.get(config)
    if renderer is None:
        renderer = _renderers[config] = Renderer(config)
    pdf = renderer.render(series, layout, edition)
    job = Job(meeting_path, layout, edition, output_path(config, meeting_path, layout, edition))
    check_page_limit(config, job, pdf, series)
    return bytes(pdf)


def build(workspace: str | Path | Config = ".", paths: list[str | Path] | None = None,
          **settings: Any) -> BuildReport:
    """Build the PDFs a workspace asks for, as `briefing build` does: only what changed,
    written atomically. `workspace` is a folder (its briefing.toml is read, then `settings`
    applied, e.g. `editions=("public",)`, `force=True`) or a ready Config."""
    from briefing.batch.build import build as run_build
    from briefing.config import Config, load_config

    config = workspace if isinstance(workspace, Config) else load_config(workspace, **settings)
    return run_build(config, [Path(path) for path in paths] if paths is not None else None)
