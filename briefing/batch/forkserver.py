"""The fork server -j workers start from (Linux): started early, its imports overlap the build's.

The server imports WeasyPrint and matplotlib once (`briefing.batch.preload`), and every worker
forks from it ready to render. Those imports take about a second; a build that will surely
render in workers starts the server before it imports its own stages and reads the meetings,
so that the two run side by side on two cores instead of one after the other.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

PRELOAD = "briefing.batch.preload"


def worker_context(multiprocessing):  # noqa: ANN001, ANN201 - the multiprocessing module
    """A fork server that preloads the heavy stages, on Linux; spawned workers elsewhere."""
    if sys.platform != "linux" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    ensure_server()
    return context


def ensure_server() -> None:
    """Start the fork server, deaf to Ctrl-C, unless it runs: before each worker starts, so
    that a server that was killed is started afresh as the first one was."""
    # Ctrl-C reaches the whole process group, and only the parent acts on it: the server
    # starts with SIGINT blocked (the preload then ignores and unblocks it), so it and every
    # worker forked from it are deaf to Ctrl-C from birth. The parent only defers a Ctrl-C
    # that comes meanwhile (it is delivered as the block ends), never loses one.
    import multiprocessing.forkserver
    import multiprocessing.resource_tracker

    # Starting the server starts multiprocessing's resource tracker first, which unblocks
    # SIGINT once it has spawned its own process: started here beforehand, it leaves the
    # block in place for the server.
    multiprocessing.resource_tracker.ensure_running()
    with _ctrl_c_blocked():
        multiprocessing.forkserver.ensure_running()


def start_early(config, meeting_files: list[Path] | None) -> None:  # noqa: ANN001 - a Config
    """Start the fork server now if the build will surely render in workers: -j 2 or more,
    two outputs or more, and --force or an output folder with no PDF in it yet (a fresh
    clone in CI). Anything else waits until the build knows which outputs are stale."""
    if config.jobs < 2 or sys.platform != "linux":
        return
    from briefing.batch.inputs import find_meetings
    from briefing.errors import BriefingError

    try:
        meetings = len(find_meetings(config, meeting_files))
    except (BriefingError, OSError):
        return  # the build says what is wrong with the inputs folder
    if meetings * len(config.build) * len(config.editions) < 2:
        return
    if not config.force and next(config.output.glob("*/*.pdf"), None) is not None:
        return
    import multiprocessing

    try:
        worker_context(multiprocessing)
    except Exception as error:  # the pool tries again, and reports it
        log.debug("could not start the fork server early: %s", error)
        return
    log.debug("started the workers' fork server early")


@contextmanager
def _ctrl_c_blocked() -> Iterator[None]:
    """Hold back SIGINT from this thread (and processes it starts) for a moment."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
