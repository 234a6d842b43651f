"""Render PDFs under time and memory limits, in workers or in this process; Ctrl-C stops them all.

With -j 2 or more, renders run in workers: a worker that runs out of time is stopped, and
one that dies (killed by the system for memory, say) fails only the output it was rendering;
a new worker takes its place and the rest of the batch is built. With one output to render
or -j 1, where this process can enforce both limits itself (Linux, main thread), it renders
them here (InProcess): an alarm stops a render past its time, and an address-space limit
set for the render's length makes one that needs too much memory fail alone. That saves
starting a worker, and the charts are drawn meanwhile in a second process (chartprocess.py).

On Linux the workers fork from a server that has already imported WeasyPrint and matplotlib
(`briefing.batch.preload`, started by forkserver.py), so each starts in milliseconds rather than after a second of imports.
The server runs no threads, so forking it is safe (the parent may run a progress-bar thread
and is never forked). If the server is killed, the workers it started finish what they are
rendering, still under the time limit, and new workers come from a server started afresh.
Elsewhere workers are spawned: macOS system libraries are not safe to use in a forked child,
and Windows cannot fork.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from briefing.batch.forkserver import ensure_server, worker_context
from briefing.config import Config
from briefing.errors import BriefingError
from briefing.meeting.series import Series
from briefing.rendering.renderer import Renderer, trend_rows

log = logging.getLogger(__name__)

Task = tuple[Hashable, str, Series, str, str]  # (key, name for messages, series, layout, edition)
Outcome = tuple[Hashable, "bytes | str", float]  # (key, PDF or why it failed, seconds)


def render_or_error(renderer: Renderer, series: Series, layout: str, edition: str,
                    name: object, next_up: tuple[Series, str, str] | None = None) -> bytes | str:
    """The PDF, or why it failed: one meeting's failure never stops the others. `next_up`
    is the render that follows (Renderer.render)."""
    try:
        return renderer.render(series, layout, edition, next_up=next_up)
    except BriefingError as error:
        return str(error)
    except MemoryError:
        return (f"{_NEEDED_MORE} of "
                f"{renderer.config.memory_mb:,} MB, so it was stopped; {_RAISE_MEMORY}")
    except Exception as error:  # a bug: report it against this output, keep building
        log.debug("rendering %s failed", name, exc_info=True)
        return f"internal error: {type(error).__name__}: {error} (run with -v for details)"


_NEEDED_MORE = "rendering it needed more than the memory limit"
_OUT_OF_MEMORY = 3  # a worker's exit code when it ran out of memory between renders
_RAISE_MEMORY = "raise `memory_mb` in briefing.toml if this pack really needs more"
_RAISE_TIME = "raise it with --timeout or `timeout` in briefing.toml if this pack really is that large"


@dataclass
class _Worker:
    """One worker process, the parent's end of its pipe, and the render it was given."""

    process: object  # a multiprocessing Process
    connection: object  # a multiprocessing Connection
    ready: bool = False  # it has set up its renderer and waits for work
    key: Hashable | None = None  # the output it is rendering
    name: str = ""  # that output, as messages name it
    deadline: float = 0.0  # time.monotonic() by which that render must be done
    # Its fork server stopped while it ran: its exit can no longer be watched, only its pipe,
    # and it is stopped by its process id. It finishes the render it has, and takes no more.
    orphaned: bool = False
    born: bytes | None = None  # its start time (Linux), so a reused process id is not it


class WorkerPool:
    """Worker processes for rendering; starting them begins at once, in the background."""

    def __init__(self, config: Config, workers: int, *, most: int | None = None) -> None:
        """Start `workers` now; with `most`, more start later as the work needs them."""
        self.config = config
        self.size = max(workers, most or 0)
        self.level = logging.getLogger("briefing").getEffectiveLevel()
        self.workers: list[_Worker] = []
        self.context = None
        self.start_failure: BaseException | None = None
        self.failed_starts = 0
        self.stopping = False
        log.debug("starting %d render worker%s", workers, "s" * (workers != 1))
        self._make_context()
        if self.context is None:
            workers = 0
        # Started from a thread: the first start waits for the fork server's imports, and
        # the parent has meetings to read meanwhile.
        self.starting = threading.Thread(target=self._start, args=(workers,),
                                         name="briefing-start-workers", daemon=True)
        self.starting.start()

    def _make_context(self) -> None:
        """The context workers start from (the fork server, started); else why it failed."""
        import multiprocessing

        try:
            self.context = worker_context(multiprocessing)
        except Exception as error:  # e.g. no processes left: every output says so
            self.start_failure = error

    def _start(self, workers: int) -> None:
        for _ in range(workers):
            if self.stopping:
                return
            try:
                self.workers.append(self._new_worker())
            except Exception as error:  # e.g. the fork server could not start: tried again
                self.start_failure = error
                self.failed_starts += 1
                return

    def _new_worker(self) -> _Worker:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, name="briefing-worker", daemon=True,
            args=(child_end, self.config, self.level))
        try:
            if self.context.get_start_method() == "forkserver":
                ensure_server()
            process.start()
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        return _Worker(process, parent_end, born=_process_status(process.pid)[1])

    def render(self, tasks: list[Task]) -> Iterator[Outcome]:
        """Each task's outcome, in the order they finish."""
        from multiprocessing.connection import wait

        self.starting.join()
        queue = deque(tasks)
        self.failed_starts = 0  # each build tries afresh (a kept pool builds again and again)
        if self.context is None:  # the fork server could not start for an earlier build
            self._make_context()
        while queue or any(worker.key is not None for worker in self.workers):
            failure = self._fill(len(queue))
            if failure is not None:  # no worker can start: every output left says why
                while queue:
                    yield queue.popleft()[0], failure, 0.0
                continue
            # A copy: a worker found dead as it is handed work leaves self.workers, and the
            # next one must still be handed work.
            for worker in list(self.workers):
                if worker.ready and worker.key is None and queue and not worker.orphaned:
                    yield from self._hand_out(worker, queue.popleft())
            busy = [worker.deadline for worker in self.workers if worker.key is not None]
            if not self.workers or not (queue or busy):
                # Workers found dead took the last tasks, or all the workers: nothing would
                # answer the wait below. Start others for the work left, or end.
                continue
            timeout = max(0.0, min(busy) - time.monotonic()) if busy else None
            waiting = {}
            for worker in self.workers:
                waiting[worker.connection] = worker
                if not worker.orphaned:
                    waiting[worker.process.sentinel] = worker
            ready = set(wait(list(waiting), timeout))
            for worker in list(self.workers):
                if worker.connection in ready:
                    yield from self._receive(worker)
                elif not worker.orphaned and worker.process.sentinel in ready:
                    if worker.key is not None and _running(worker):
                        # The fork server stopped (it reports each worker's exit), not the
                        # worker: let it finish, watching its pipe and its time limit.
                        log.debug("the workers' fork server stopped; worker %s renders on",
                                  worker.process.pid)
                        worker.orphaned = True
                    else:
                        yield from self._retire(worker, self._death(worker))
            now = time.monotonic()
            for worker in list(self.workers):
                if worker.key is not None and now >= worker.deadline:
                    yield from self._retire(worker, (
                        f"rendering it took longer than the time limit of "
                        f"{_seconds(self.config.timeout)}, so it was stopped; {_RAISE_TIME}"))

    def _fill(self, queued: int) -> str | None:
        """Start workers until there are enough for the work left; why none can start, if so.
        A start that fails is tried again (a fork server that stopped is started afresh),
        until more than the pool's size and two more have failed in a row."""
        busy = sum(worker.key is not None for worker in self.workers)
        while len(self.workers) < min(self.size, busy + queued):
            if self.context is None or self.failed_starts > self.size + 2:
                reason = self.start_failure or "each exited as it started (run with -v)"
                if self.workers:
                    return None  # those still running take the work
                return f"worker failed: cannot start a worker process: {reason}"
            try:
                worker = self._new_worker()
            except Exception as error:
                self.start_failure = error
                self.failed_starts += 1
                continue
            self.workers.append(worker)
        return None

    def _hand_out(self, worker: _Worker, task: Task) -> Iterator[Outcome]:
        key, name, series, layout, edition = task
        worker.key, worker.name = key, name
        worker.deadline = time.monotonic() + self.config.timeout
        log.debug("rendering %s in worker %s", name, worker.process.pid)
        try:
            worker.connection.send((series, layout, edition, name))
        except (OSError, ValueError):  # it died since it said it was ready
            yield from self._retire(worker, self._death(worker))

    def _receive(self, worker: _Worker) -> Iterator[Outcome]:
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            yield from self._retire(worker, self._death(worker))
            return
        if not worker.ready:
            worker.ready = True
            self.failed_starts, self.start_failure = 0, None  # workers start again
            return
        key, worker.key = worker.key, None
        outcome, seconds = message
        yield key, outcome, seconds
        if worker.orphaned:  # done with the render it had: no more work for it
            yield from self._retire(worker, "")

    def _death(self, worker: _Worker) -> str:
        if worker.orphaned:  # its exit code went with the fork server
            return ("the worker rendering it stopped, after the server the workers start from "
                    "had stopped; build again")
        worker.process.join(5)
        code = worker.process.exitcode
        if code is not None and code < 0:
            try:
                how = f"was killed ({signal.Signals(-code).name})"
            except ValueError:
                how = f"was killed (signal {-code})"
        elif code == _OUT_OF_MEMORY:
            return (f"the worker rendering it ran out of memory (the limit is "
                    f"{self.config.memory_mb:,} MB per worker); {_RAISE_MEMORY}")
        else:
            how = f"exited (code {code})"
        return (f"the worker rendering it {how}, perhaps for running out of memory; the "
                f"memory limit is {self.config.memory_mb:,} MB per worker, or the system's "
                f"if lower; {_RAISE_MEMORY}")

    def _retire(self, worker: _Worker, reason: str) -> Iterator[Outcome]:
        """Stop a worker for good; its render, if any, fails with the reason."""
        self.workers.remove(worker)
        _kill(worker)
        if not worker.ready:
            self.failed_starts += 1
        if worker.key is not None:
            log.debug("worker %s stopped while rendering %s", worker.process.pid, worker.name)
            yield worker.key, reason, 0.0

    def stop(self) -> None:
        """Stop every worker: an idle one is told to exit, a busy one (its render no longer
        wanted, e.g. after Ctrl-C) is killed, as is any that does not exit at once."""
        self.stopping = True
        try:
            self.starting.join()
        finally:
            for worker in self.workers:
                if worker.key is not None or not worker.ready:
                    _kill(worker)
                else:
                    worker.connection.close()  # it reads the end of the pipe and exits
            for worker in self.workers:
                worker.process.join(5)
                _kill(worker)
            self.workers = []


def _kill(worker: _Worker) -> None:
    if worker.process.exitcode is None:
        worker.process.kill()
        worker.process.join()
    elif _running(worker):  # its fork server stopped and took its exit code: by its id
        try:
            os.kill(worker.process.pid, signal.SIGKILL)
        except OSError:  # it ended meanwhile
            pass
    worker.orphaned = False
    worker.connection.close()


def _process_status(pid: int) -> tuple[bytes, bytes | None]:
    """A process's state letter and start time from /proc (Linux), or ("", None)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[0], fields[19]
    except (OSError, IndexError):
        return b"", None


def _running(worker: _Worker) -> bool:
    """Whether the worker's process has not ended, though its fork server may say it has:
    its id names a process that is not a zombie and started when the worker did."""
    state, born = _process_status(worker.process.pid)
    return worker.born is not None and born == worker.born and state not in (b"", b"Z")


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _worker_main(connection, config: Config, level: int) -> None:
    """A worker: set up a renderer, say so, then render what the parent sends until it closes
    the pipe. Its memory is limited first, so a render that needs too much fails alone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    limit_memory(config.memory_mb)
    renderer = _start_worker(config, level)
    try:
        connection.send(("ready", os.getpid()))
        while True:
            series, layout, edition, name = connection.recv()
            started = time.perf_counter()
            outcome = render_or_error(renderer, series, layout, edition, name)
            connection.send((outcome, time.perf_counter() - started))
    except (EOFError, OSError):  # the parent closed the pipe (or is gone): nothing left to do
        return
    except MemoryError:  # outside a render (e.g. receiving one): the parent says so
        os._exit(_OUT_OF_MEMORY)


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space: past it, allocations fail (MemoryError)."""
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = megabytes * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # no such limit here (Windows, macOS)
        log.debug("cannot limit a worker's memory on this system")


def _start_worker(config: Config, level: int) -> Renderer:
    from briefing.errors import one_line

    class OneLine(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return one_line(f"warning: {record.getMessage()}")  # workers only warn

    handler = logging.StreamHandler()
    handler.setFormatter(OneLine())
    logging.getLogger("briefing").addHandler(handler)
    logging.getLogger("briefing").setLevel(max(level, logging.WARNING))
    logging.getLogger("briefing").propagate = False
    for name in ("weasyprint", "fontTools", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    renderer = Renderer(config)
    try:
        renderer.warm_up()
    except Exception:  # e.g. Pango missing: each render will then say so, as a failure
        log.debug("warming up a worker failed", exc_info=True)
    return renderer


class _OutOfTime(BaseException):
    """Raised by the alarm in a render past its time limit: a BaseException, so that no
    `except Exception` on the way (WeasyPrint has many) can swallow it."""


_armed = False  # whether the alarm may still stop the render (not once it is over)


def _out_of_time(_signum, _frame) -> None:
    if _armed:
        raise _OutOfTime


def renders_here(config: Config, outputs: int) -> bool:
    """Whether renders can run in this process: one output or -j 1, in the main thread of a
    process whose alarm signal is free, on a system where the memory limit can be set."""
    if outputs != 1 and config.jobs != 1:
        return False
    if (not hasattr(signal, "setitimer") or sys.platform != "linux"
            or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0):
        return False
    try:
        import resource
    except ImportError:
        return False
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    # A limit someone else set, or a process already near the limit: use workers instead.
    return soft == resource.RLIM_INFINITY and _address_space() < config.memory_mb * 1024 * 1024 // 2


def _address_space() -> int:
    """This process's address space in bytes (Linux)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 1 << 62


class InProcess:
    """Renders in this process, one at a time, each under the time and memory limits; the
    same interface as WorkerPool. Its chart process (if it could fork one) starts at once,
    before the meetings are read; for one build (not `kept` for later ones) it is stopped as
    soon as the renders turn out to have no chart, rather than left to import matplotlib."""

    def __init__(self, config: Config, kept: bool = False) -> None:
        from briefing.rendering.chartprocess import ChartProcess

        self.config = config
        self.kept = kept
        self.chart_process = ChartProcess.start(config)
        self.renderer: Renderer | None = None

    def render(self, tasks: list[Task]) -> Iterator[Outcome]:
        """Each task's outcome, in order."""
        if (self.chart_process is not None and not self.kept and not _any_charts(tasks)
                and self.chart_process.cancel()):
            log.debug("no chart to draw: the chart process was stopped")
            self.chart_process = None
        for index, (key, name, series, layout, edition) in enumerate(tasks):
            if self.renderer is None:
                self.renderer = Renderer(self.config, self.chart_process)
            log.debug("rendering %s in this process", name)
            following = tasks[index + 1][2:] if index + 1 < len(tasks) else None
            started = time.perf_counter()
            try:
                with _limited(self.config):
                    outcome = render_or_error(self.renderer, series, layout, edition, name,
                                              following)
            except _OutOfTime:
                outcome = (f"rendering it took longer than the time limit of "
                           f"{_seconds(self.config.timeout)}, so it was stopped; {_RAISE_TIME}")
                self._start_afresh()
            if isinstance(outcome, str) and outcome.startswith(_NEEDED_MORE):
                self._start_afresh()
            yield key, outcome, time.perf_counter() - started

    def _start_afresh(self) -> None:
        """After a stopped render: a new renderer, and no chart process (it may be busy)."""
        self.renderer = None
        if self.chart_process is not None:
            self.chart_process.stop()
            self.chart_process = None

    def stop(self) -> None:
        if self.chart_process is not None:
            self.chart_process.stop()
            self.chart_process = None


def _any_charts(tasks: list[Task]) -> bool:
    """Whether any render draws a chart. Asked of each meeting as written: an edition only
    leaves things out, so a meeting with no chart has none in any edition. Anything
    unexpected counts as a chart (the render then reports it, against its own output)."""
    from briefing.rendering.chartprocess import calls_for_charts

    try:
        return any(calls_for_charts(series.current.content, trend_rows(series))
                   for _key, _name, series, _layout, _edition in tasks)
    except Exception:  # noqa: BLE001
        return True


@contextmanager
def _limited(config: Config) -> Iterator[None]:
    """Hold this process to the time limit (an alarm) and the memory limit (its address
    space) for the length of one render, then lift both."""
    import resource

    global _armed
    previous = resource.getrlimit(resource.RLIMIT_AS)
    handler = signal.signal(signal.SIGALRM, _out_of_time)
    try:
        limit_memory(config.memory_mb)
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, config.timeout)
        yield
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, previous)
        signal.signal(signal.SIGALRM, handler)


Renderers = WorkerPool | InProcess


def renderers_for(config: Config, outputs: int) -> Renderers:
    """Render here for one output or -j 1 (where this process can hold itself to the
    limits), else in as many workers as -j allows and there are outputs."""
    if renders_here(config, outputs):
        return InProcess(config)
    return WorkerPool(config, min(config.jobs, outputs))
