"""Turn saves of meeting, data, layout and config files into rebuilds of what they changed.

Polls the files' sizes and modification times (no extra dependency, works on network drives
and in containers); a change triggers an ordinary incremental build, which decides by content
what is stale, so touching a file without changing it rebuilds nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from .config import CONFIG_FILE, Config
from .errors import BriefingError

log = logging.getLogger(__name__)

Snapshot = dict[Path, tuple[int, int]]


def watched_files(workspace: Path, config: Config | None) -> Snapshot:
    """briefing.toml, everything under the inputs folder and under each layout root."""
    from .layouts import layout_roots

    folders = []
    if config is not None:
        folders = [config.inputs, *layout_roots(config.layouts)]
    state: Snapshot = {}
    candidates = [workspace / CONFIG_FILE]
    for folder in folders:
        if folder.is_dir():
            candidates.extend(folder.rglob("*"))
    output = config.output.resolve() if config is not None else None
    for path in candidates:
        if path.name.startswith(".") or (output is not None and path.is_relative_to(output)):
            continue
        try:
            status = path.stat()
        except OSError:
            continue
        if not path.is_dir():
            state[path] = (status.st_mtime_ns, status.st_size)
    return state


def watch(workspace: Path, make_config: Callable[[], Config],
          on_change: Callable[[Config | None, BriefingError | None], None], *,
          interval: float = 0.5, stop: Callable[[], bool] = lambda: False) -> None:
    """Call on_change once at the start and again after every save, until stop() is true.

    on_change gets the freshly read Config, or the error that reading briefing.toml raised
    (a broken save of the config file is reported, and watching goes on).
    """
    seen: Snapshot | None = None
    last_good: Config | None = None
    while not stop():
        try:
            config, error = make_config(), None
        except BriefingError as problem:
            config, error = None, problem
        state = watched_files(workspace, config or last_good)
        if state != seen:
            time.sleep(min(interval, 0.2))  # let an editor finish writing
            settled = watched_files(workspace, config or last_good)
            if settled != state:
                continue
            on_change(config, error)
            last_good = config or last_good
            seen = settled
        time.sleep(interval)
