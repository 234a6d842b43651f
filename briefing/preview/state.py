"""What the preview knows of each meeting (its outputs, problems and state), and a version
number that open pages wait on to learn that any of it changed."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

QUEUED, BUILDING, BUILT, WARNINGS, FAILED = "queued", "building", "built", "warnings", "failed"


@dataclass(frozen=True)
class Output:
    """One PDF of a meeting: where the build writes it, and the SHA-256 of the bytes it wrote
    (None until there is a PDF to show, or after it failed, with the reasons)."""

    layout: str
    edition: str
    path: Path
    sha256: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meeting:
    """A meeting file as the preview shows it; replaced whole, never changed in place."""

    name: str  # the file's stem: the meeting's name in URLs and in output/
    path: Path
    shown: str  # the path as the user knows it (workspace-relative)
    state: str = QUEUED
    errors: tuple[str, ...] = ()  # `file:line:col: message`, from reading the meeting
    warnings: tuple[str, ...] = ()
    outputs: dict[tuple[str, str], Output] = field(default_factory=dict)

    def output(self, layout: str, edition: str) -> Output | None:
        return self.outputs.get((layout, edition))


@dataclass(frozen=True)
class Snapshot:
    version: int
    workspace: str
    layouts: tuple[str, ...]
    editions: tuple[str, ...]
    meetings: dict[str, Meeting]
    problems: tuple[str, ...]  # briefing.toml or the inputs folder cannot be used


class PreviewState:
    """Shared by the thread that builds (the writer) and the web server (readers)."""

    def __init__(self, workspace: str) -> None:
        self._lock = threading.Lock()
        self._snapshot = Snapshot(0, workspace, (), (), {}, ())
        self.changes = Changes()
        self.viewed: tuple[str, str, str] | None = None  # (meeting, layout, edition) last opened

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def meeting(self, name: str) -> Meeting | None:
        return self.snapshot().meetings.get(name)

    def _change(self, **values) -> None:
        with self._lock:
            current = self._snapshot
            if all(getattr(current, key) == value for key, value in values.items()):
                return
            self._snapshot = replace(current, version=current.version + 1, **values)
        self.changes.bump()

    def set_problems(self, problems: list[str]) -> None:
        self._change(problems=tuple(problems))

    def set_meetings(self, layouts: tuple[str, ...], editions: tuple[str, ...],
                     meetings: list[Meeting]) -> None:
        """The meetings to show, in order: known ones keep what was last built of them."""
        known = self.snapshot().meetings
        kept = {}
        for meeting in meetings:
            old = known.get(meeting.name)
            if old is not None and old.path == meeting.path:
                outputs = {}
                for key, fresh in meeting.outputs.items():
                    previous = old.outputs.get(key)
                    outputs[key] = previous if previous is not None and previous.path == fresh.path \
                        else fresh
                meeting = replace(old, outputs=outputs)
            kept[meeting.name] = meeting
        self._change(layouts=layouts, editions=editions, meetings=kept, problems=())

    def update(self, name: str, **values) -> None:
        """Change some fields of one meeting (if it is still shown)."""
        with self._lock:
            current = self._snapshot
            meeting = current.meetings.get(name)
            if meeting is None:
                return
            changed = replace(meeting, **values)
            if changed == meeting:
                return
            self._snapshot = replace(current, version=current.version + 1,
                                     meetings={**current.meetings, name: changed})
        self.changes.bump()


class Changes:
    """A version number bumped from any thread; web requests wait for it to move."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self.closed = False
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def bump(self) -> None:
        with self._lock:
            self.version += 1
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_settle, future)
            except RuntimeError:  # that loop has closed
                pass

    def close(self) -> None:
        """The server is stopping: wake every waiter, and let none wait again."""
        self.closed = True
        self.bump()

    async def wait(self, seen: int, timeout: float) -> int:
        """The version once it differs from `seen`, or after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.version != seen or self.closed:
                return self.version
            future = loop.create_future()
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            with self._lock:
                if (loop, future) in self._waiters:
                    self._waiters.remove((loop, future))
        return self.version


def _settle(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
