"""Renderers kept warm from one build to the next, for `watch` and `serve`.

A build on its own starts its renderers (this process's, or -j workers) and stops them at its
end. `watch` and `serve` build again after every save, and a rebuild that starts afresh pays
again for what the last one had loaded: fonts, compiled templates, matplotlib in the chart
process, started workers. KeptRenderers hands each build the same renderers instead. They
are made anew when the settings change, or any file of the layouts built (templates, CSS,
fonts) is saved, so a rebuild never renders with something an edit has replaced.
"""

from __future__ import annotations

import logging

from briefing.batch.workers import InProcess, Renderers, WorkerPool, renders_here
from briefing.config import Config

log = logging.getLogger(__name__)


class KeptRenderers:
    """This process's renderer and a worker pool, each started on first need and kept."""

    def __init__(self) -> None:
        self.made_for: tuple | None = None
        self.here: InProcess | None = None
        self.pool: WorkerPool | None = None

    def for_build(self, config: Config, outputs: int) -> Renderers:
        """The renderers for a build of `outputs` PDFs (the same choice a build makes alone)."""
        made_for = (config, _layout_files(config))
        if made_for != self.made_for:
            if self.made_for is not None:
                log.debug("settings or layout files changed: starting the renderers afresh")
            self.stop()
            self.made_for = made_for
        if renders_here(config, outputs):
            if self.here is None:
                self.here = InProcess(config, kept=True)
            return self.here
        if self.pool is None:
            self.pool = WorkerPool(config, min(config.jobs, outputs), most=config.jobs)
        return self.pool

    def stop(self) -> None:
        for renderers in (self.here, self.pool):
            if renderers is not None:
                renderers.stop()
        self.here = self.pool = None


def _layout_files(config: Config) -> tuple:
    """Every file of the layouts built, with its size and time of change."""
    state = []
    for name in config.build:
        for shown, path in config.layout(name).files():
            try:
                status = path.stat()
            except OSError:
                status = None
            state.append((shown, status and (status.st_size, status.st_mtime_ns)))
    return tuple(state)
