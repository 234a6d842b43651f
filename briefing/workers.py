"""Render PDFs in -j worker processes, each with one Renderer, and stop them cleanly on Ctrl-C.

On Linux the workers fork from a server that has already imported WeasyPrint and matplotlib
(`briefing.preload`), so each starts in milliseconds rather than after a second of imports.
The server runs no threads, so forking it is safe (the parent may run a progress-bar thread
and is never forked). Elsewhere workers are spawned: macOS system libraries are not safe to
use in a forked child, and Windows cannot fork.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from .config import Config
from .errors import BriefingError
from .rendering import Renderer
from .series import Series

log = logging.getLogger(__name__)

Task = tuple[Hashable, Series, str, str]  # (key, series, layout, edition)
Outcome = tuple[Hashable, "bytes | str", float]  # (key, PDF or why it failed, seconds)


def render_or_error(renderer: Renderer, series: Series, layout: str, edition: str,
                    name: object) -> bytes | str:
    """The PDF, or why it failed: one meeting's failure never stops the others."""
    try:
        return renderer.render(series, layout, edition)
    except BriefingError as error:
        return str(error)
    except Exception as error:  # a bug: report it against this output, keep building
        log.debug("rendering %s failed", name, exc_info=True)
        return f"internal error: {type(error).__name__}: {error} (run with -v for details)"


class WorkerPool:
    """Worker processes for -j N; starting them begins at once, in the background."""

    def __init__(self, config: Config, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        level = logging.getLogger("briefing").getEffectiveLevel()
        self.executor = None
        self.start_failure: BaseException | None = None
        try:
            context = _worker_context(multiprocessing)
            self.executor = ProcessPoolExecutor(
                workers, mp_context=context, initializer=_start_worker, initargs=(config, level))
        except Exception as error:  # e.g. no processes left: every output says so
            self.start_failure = error
            workers = 0
        # Ask for the workers now (the executor starts them only as work arrives), from a
        # thread: starting the first one waits for the fork server's imports, and the
        # parent has meetings to read meanwhile.
        self.starting = threading.Thread(target=self._start, args=(workers,),
                                         name="briefing-start-workers", daemon=True)
        self.starting.start()

    def _start(self, workers: int) -> None:
        try:
            for _ in range(workers):
                self.executor.submit(_worker_ready)
        except Exception as error:  # e.g. the fork server could not start: render() says so
            self.start_failure = error

    def render(self, tasks: list[Task]) -> Iterator[Outcome]:
        """Each task's outcome, in the order they finish."""
        from concurrent.futures import as_completed

        self.starting.join()
        futures = {}
        for key, series, layout, edition in tasks:
            try:
                if self.start_failure is not None:
                    raise self.start_failure
                futures[self.executor.submit(_render_in_worker, series, layout, edition,
                                             key)] = key
            except Exception as error:  # a broken pool: every output fails with the reason
                yield key, _worker_failure(error), 0.0
        for future in as_completed(futures):
            try:
                outcome, seconds = future.result()
            except Exception as error:  # e.g. a worker killed by the system
                outcome, seconds = _worker_failure(error), 0.0
            yield futures[future], outcome, seconds

    def stop(self) -> None:
        """Cancel queued renders, let those already handed to the workers finish (a few per
        worker), and wait for the workers to exit. A worker is never killed while it might
        be sending a PDF back (that can hang the pool); a second Ctrl-C does kill them."""
        with _deaf_to_ctrl_c():  # a worker left half-started would complain after we exit
            self.starting.join()
        if self.executor is None:
            return
        try:
            self.executor.shutdown(wait=True, cancel_futures=True)
        except KeyboardInterrupt:
            for process in list((getattr(self.executor, "_processes", None) or {}).values()):
                process.kill()
            raise


def _worker_failure(error: BaseException) -> str:
    return f"worker failed: {type(error).__name__}: {error}"


def _worker_context(multiprocessing):
    """A fork server that preloads the heavy stages, on Linux; spawned workers elsewhere."""
    if sys.platform != "linux" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["briefing.preload"])
    # Started now, ignoring SIGINT, so that it and every worker forked from it are born deaf
    # to Ctrl-C: it reaches the whole process group, and only the parent acts on it.
    import multiprocessing.forkserver

    with _deaf_to_ctrl_c():
        multiprocessing.forkserver.ensure_running()
    return context


@contextmanager
def _deaf_to_ctrl_c() -> Iterator[None]:
    """Ignore SIGINT for a moment (only the main thread may change signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_worker_renderer: Renderer | None = None  # one per worker process, set by _start_worker


def _start_worker(config: Config, level: int) -> None:
    global _worker_renderer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("warning: %(message)s"))  # workers only warn
    logging.getLogger("briefing").addHandler(handler)
    logging.getLogger("briefing").setLevel(max(level, logging.WARNING))
    logging.getLogger("briefing").propagate = False
    for name in ("weasyprint", "fontTools", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    _worker_renderer = Renderer(config)
    try:
        _worker_renderer.warm_up()
    except Exception:  # e.g. Pango missing: each render will then say so, as a failure
        log.debug("warming up a worker failed", exc_info=True)


def _worker_ready() -> None:
    """A no-op task: submitting one per worker makes the executor start them all now."""


def _render_in_worker(series: Series, layout: str, edition: str,
                      name: object) -> tuple[bytes | str, float]:
    assert _worker_renderer is not None
    started = time.perf_counter()
    outcome = render_or_error(_worker_renderer, series, layout, edition, name)
    return outcome, time.perf_counter() - started
