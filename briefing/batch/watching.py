"""Turn saves of meeting, data, layout and config files into rebuilds of what they changed.

The operating system tells us of saves (inotify and its kin, through `watchfiles`); on a
network drive or in a container where it cannot, `--poll` (or WATCHFILES_FORCE_POLLING=1)
looks at the files every `interval` seconds instead. A change triggers an ordinary
incremental build, which decides by content what is stale, so touching a file without
changing it rebuilds nothing. `briefing watch` and `briefing serve` share this watcher.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from briefing.config import CONFIG_FILE, Config
from briefing.errors import BriefingError

log = logging.getLogger(__name__)

Snapshot = dict[Path, tuple[int, int]]
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part")


def watched_folders(workspace: Path, config: Config | None, also: Iterable[Path] = ()) -> list[Path]:
    """The workspace itself (for briefing.toml), and every folder under the inputs folder,
    under each layout root and under `also` (the folders of meeting files named outside the
    inputs folder). Each is watched on its own, so nothing else is crawled: hidden folders
    (a git history, a virtual environment), the output folder and caches are left out."""
    tops = [config.inputs, *config.layout_folders.roots] if config is not None else []
    output = config.output.resolve() if config is not None else None
    folders = [workspace.resolve()]
    for top in [*tops, *also]:
        if not top.is_dir():
            continue
        for folder, subfolders, _files in os.walk(top.resolve()):
            here = Path(folder)
            if output is not None and here.is_relative_to(output):
                subfolders[:] = []
                continue
            folders.append(here)
            subfolders[:] = sorted(name for name in subfolders if not _ignored(name))
    return list(dict.fromkeys(folders))


def watched_files(workspace: Path, config: Config | None, also: Iterable[Path] = ()) -> Snapshot:
    """Each watched file's modification time and size: briefing.toml, and the files in the
    watched folders."""
    state: Snapshot = {}
    workspace = workspace.resolve()
    also = [folder.resolve() for folder in also]
    for folder in watched_folders(workspace, config, also):
        try:
            children = list(folder.iterdir())
        except OSError:
            continue
        for path in children:
            if not _relevant(path, workspace, also):
                continue
            try:
                status = path.stat()
            except OSError:
                continue
            if not path.is_dir():
                state[path] = (status.st_mtime_ns, status.st_size)
    return state


def _ignored(name: str) -> bool:
    return (name.startswith(".") or name.endswith(_IGNORED_SUFFIXES)
            or name in ("__pycache__", "node_modules"))


def _relevant(path: Path, workspace: Path, also: list[Path] = ()) -> bool:
    """A file a build may read: not hidden, not an editor's backup or swap file, and in the
    workspace folder itself only briefing.toml (unless a meeting named in `also` is there)."""
    if _ignored(path.name):
        return False
    return path.parent != workspace or path.name == CONFIG_FILE or workspace in also


def watch(workspace: Path, make_config: Callable[[], Config],
          on_change: Callable[[Config | None, BriefingError | None], None], *,
          interval: float = 0.5, poll: bool = False, stop=None, also: Iterable[Path] = ()) -> None:
    """Call on_change once at the start and again after every save, until `stop` (a
    threading.Event) is set; `also` adds folders to watch (see watched_folders).

    on_change gets the freshly read Config, or the error that reading briefing.toml raised
    (a broken save of the config file is reported, and watching goes on). A save made while
    on_change runs is not lost: it triggers the next call.
    """
    workspace = workspace.resolve()
    also = [folder.resolve() for folder in also]
    last_good: Config | None = None
    while stop is None or not stop.is_set():
        try:
            config, error = make_config(), None
        except BriefingError as problem:
            config, error = None, problem
        last_good = config or last_good
        before = watched_files(workspace, last_good, also)
        on_change(config, error)
        while True:
            try:
                saved = _wait_for_save(workspace, last_good, also, before, interval, poll, stop)
                break
            except OSError as problem:  # e.g. the system's limit on watched folders
                if poll:
                    raise
                log.warning("cannot be told of saves here (%s); looking at the files every "
                            "%g s instead", problem, interval)
                poll = True
        if not saved:
            return


def _wait_for_save(workspace: Path, config: Config | None, also: list[Path], before: Snapshot,
                   interval: float, poll: bool, stop) -> bool:
    """Block until a watched file is saved (True), or until stop is set (False)."""
    import watchfiles

    folders = watched_folders(workspace, config, also)

    def relevant(_change, name: str) -> bool:
        return _relevant(Path(name), workspace, also)

    changes = watchfiles.watch(*folders, watch_filter=relevant, recursive=False,
                               stop_event=stop, force_polling=True if poll else None,
                               poll_delay_ms=max(50, int(interval * 1000)), debounce=1600,
                               step=max(50, min(200, int(interval * 1000))),
                               yield_on_timeout=True, rust_timeout=1000)
    try:
        for batch in changes:
            # Saves made while the last build ran, before this watcher started, count too.
            if batch or watched_files(workspace, config, also) != before:
                log.debug("changed: %s", ", ".join(sorted(name for _change, name in batch)))
                return True
    finally:
        changes.close()
    return False
