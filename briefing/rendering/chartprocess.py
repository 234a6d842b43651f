"""Draw a render's charts in a second process while the first loads WeasyPrint (two cores).

A build that renders in its own process (one output, or -j 1) forks a ChartProcess as it
starts, before it reads any meeting: the child imports matplotlib while the parent reads and
checks the meetings, then draws each render's charts while the parent imports WeasyPrint and
loads its fonts. Each render also asks the child to prepare the next render's charts, which
it draws into its cache while the parent lays out the pages. The charts are the same either
way (`draw_charts`, the same cache); if the child cannot help (it died, or ran out of memory)
the parent draws them itself.

Only on Linux, and only from a process with no other threads: forking is what makes the
child start at once, and forking a process whose other threads may hold locks is unsafe.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# What one render asks for: (content, series trend rows or None, font path, chart size).
Request = tuple[object, "list[tuple[str, int, int, int]] | None", "Path | None", object]


def draw_charts(content, trend_rows, font_path: Path | None, cache, size) -> list:
    """Every chart a render prints: the meeting's own, then (for a series) the trend charts."""
    from briefing.rendering.charts import charts_for, series_charts

    charts = charts_for(content, font_path, cache, size=size)
    if trend_rows:
        charts += series_charts(trend_rows, font_path, cache, size=size)
    return charts


def calls_for_charts(content, trend_rows) -> bool:
    """Whether draw_charts has anything to draw (a chart, or the sentence standing for one),
    worked out without drawing or importing matplotlib."""
    from briefing.rendering.charts.meeting import meeting_datasets

    return bool(trend_rows) or bool(meeting_datasets(content))


class ChartProcess:
    """A forked child that draws charts on request; `receive` gives None if it cannot help."""

    def __init__(self, cache_folder: Path | None, key: bytes | None, memory_mb: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_child, name="briefing-charts", daemon=True,
                                       args=(child_end, self.connection, cache_folder, key,
                                             memory_mb))
        self.process.start()
        child_end.close()
        self.pending = False  # a request sent whose answer has not been read
        self.preparing = False  # charts asked for ahead that the child may still be drawing

    @classmethod
    def start(cls, config) -> ChartProcess | None:
        """A chart process for this build, or None where one cannot safely be forked."""
        if sys.platform != "linux" or threading.active_count() > 1:
            return None
        from briefing.batch.signing import signing_key

        try:
            return cls(config.chart_cache, signing_key(config.workspace), config.memory_mb)
        except Exception as error:  # e.g. no processes left: the parent draws them
            log.debug("no chart process: %s", error)
            return None

    def send(self, request: Request) -> bool:
        """Ask for one render's charts; False if the child is gone, or still owes the answer
        to a render that failed before reading it (that answer must never be taken for this
        one's: the render then draws its charts itself, and the child is stopped)."""
        if self.pending:
            return False
        try:
            self.connection.send(("draw", request))
        except (OSError, ValueError):
            return False
        self.pending = True
        return True

    def prepare(self, request: Request) -> None:
        """Have the child draw a later render's charts into its cache: that render's own
        request then finds them drawn. No answer comes; if the child is gone, that render
        draws them itself. Only asked once the child has answered (not `pending`): the
        child never sends while the parent does, so neither can block on a full pipe."""
        if self.pending:
            return
        try:
            self.connection.send(("prepare", request))
        except (OSError, ValueError):
            return
        self.preparing = True

    def receive(self) -> list | None:
        """The charts asked for, or None if the child could not draw them. Until they come
        the child is busy: a render stopped meanwhile (its time limit) kills it, not waits."""
        try:
            status, charts = self.connection.recv()
        except (EOFError, OSError):
            self.pending = False
            return None
        self.pending = self.preparing = False  # it answers in order: what it prepared is done
        return charts if status == "ok" else None

    def cancel(self) -> bool:
        """End the child now, though it may still be importing matplotlib, since its charts
        will not be asked for; whether it was ended. Not while matplotlib may be writing its
        font list (its first import on this machine): that file is written in place, under a
        lock file, and a kill mid-write would leave every later import waiting on the lock.
        The child writes no chart meanwhile, and ChartCache files are written whole anyway."""
        if not _matplotlib_fonts_listed():
            return False
        self.pending = True
        self.stop()
        return True

    def stop(self) -> None:
        """End the child: told to when idle, killed when busy (its charts are not wanted)."""
        if (self.pending or self.preparing) and self.process.is_alive():
            self.process.kill()
        self.connection.close()
        self.process.join(5)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()


def _matplotlib_fonts_listed() -> bool:
    """Whether matplotlib's font list is cached already (found as matplotlib.get_cachedir
    finds its folder, without importing matplotlib)."""
    import glob
    import os

    folder = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    return bool(glob.glob(os.path.join(glob.escape(folder), "fontlist-v*.json")))


def _child(connection, parent_end, cache_folder: Path | None, key: bytes | None,
           memory_mb: int) -> None:
    """Import the charting stage now, then draw what is asked for until the pipe closes."""
    import os
    import signal

    parent_end.close()  # forked with the parent's end: it must close, or no EOF ever comes

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from briefing.batch.workers import limit_memory
    from briefing.files import write_atomically
    from briefing.rendering.charts import ChartCache

    limit_memory(memory_mb)
    for name in ("fontTools", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import matplotlib.backends.backend_svg  # noqa: F401  (drawing needs it; import it now)
    import matplotlib.figure  # noqa: F401

    cache = ChartCache(cache_folder, write=write_atomically, key=key)
    try:
        while True:
            kind, (content, trend_rows, font_path, size) = connection.recv()
            try:
                reply = ("ok", draw_charts(content, trend_rows, font_path, cache, size))
            except MemoryError:
                reply = ("failed", None)
            except Exception:  # the parent draws them again and reports what went wrong
                log.debug("drawing charts in the chart process failed", exc_info=True)
                reply = ("failed", None)
            if kind == "draw":  # charts prepared for later stay in the cache, unanswered
                connection.send(reply)
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    except MemoryError:
        pass
    finally:
        os._exit(0)  # never run the parent's exit handlers (atexit, buffered output) twice
