"""Turn a meeting and the meetings it follows into a Series: carried actions, "you said, we did"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from briefing.errors import Diagnostic, InputError, shortened
from briefing.files import FileRead, Reads, read_file, real_path, resolved, root_for
from briefing.meeting.loading import Meeting, is_overdue, load_meeting
from briefing.meeting.models import Action, MeetingInfo, Quote
from briefing.meeting.yamlsource import MAX_FOLLOWS, MEETING_SUFFIXES

log = logging.getLogger(__name__)

FOLLOWS = ("meeting", "follows")


@dataclass(frozen=True)
class SourceFile:
    """One file a pack is made from: the name it is known by, its bytes, what it is."""

    name: str
    file: FileRead
    description: str


@dataclass(frozen=True)
class CarriedAction:
    """One action agreed at an earlier meeting, as it stands at this one."""

    action: Action  # as it stands now: the newest restatement merged over the older ones
    status_then: str  # its status at the previous meeting
    restated: bool  # this meeting's file restates it (so `update` and `status` may be new)
    overdue: bool  # still open or in progress after its due date, on this meeting's date

    @property
    def status_now(self) -> str:
        return self.action.status

    @property
    def changed(self) -> bool:
        return self.status_then != self.status_now


@dataclass(frozen=True)
class SeriesPoint:
    """One meeting of a series in numbers, for charts across the series."""

    meeting: MeetingInfo
    attendance: tuple[tuple[str, int], ...]  # (group, count)
    actions_by_status: tuple[tuple[str, int], ...]  # (status, how many), all statuses


@dataclass(frozen=True)
class Series:
    """A meeting with the meetings it follows: oldest first, this meeting last."""

    meetings: tuple[Meeting, ...]
    actions: tuple[Action, ...]  # this meeting's action log: carried actions, then new ones
    carried: tuple[CarriedAction, ...]  # for "you said, we did"

    @property
    def current(self) -> Meeting:
        return self.meetings[-1]

    @property
    def previous(self) -> Meeting | None:
        return self.meetings[-2] if len(self.meetings) > 1 else None

    def source_files(self) -> list[tuple[Path, str]]:
        """Every file the pack is made from (by real path), with what it is: this meeting's
        file, then the meetings it follows, each followed by its CSV data files (for
        freshness hashes)."""
        return [(source.file.path, source.description) for source in self.sources()]

    def sources(self) -> list[SourceFile]:
        """The files the pack is made from, as read and checked: what an archive copy
        carries, byte for byte (no file is read again by name)."""
        found: dict[Path, SourceFile] = {}
        for meeting in reversed(self.meetings):
            if meeting.file is not None:
                found.setdefault(meeting.file.path, SourceFile(
                    meeting.path.name, meeting.file,
                    "The meeting file this pack was built from" if meeting is self.current
                    else "An earlier meeting this one follows"))
            titles = {dataset.csv: dataset.title for dataset in meeting.content.data}
            for csv, file in meeting.data_files:
                found.setdefault(file.path, SourceFile(
                    PurePosixPath(csv.replace("\\", "/")).name, file,
                    f"Data file for the figure \u201c{titles.get(csv, csv)}\u201d"))
        return list(found.values())

    @property
    def internal_quotes(self) -> tuple[Quote, ...]:
        """Quotes without public consent anywhere in the chain: never for the public edition."""
        return tuple(quote for meeting in self.meetings for quote in meeting.content.quotes
                     if quote.consent != "public")

    def trend(self) -> list[SeriesPoint]:
        """Attendance and action status at each meeting of the series, oldest first."""
        points = []
        actions: dict[str, Action] = {}
        for meeting in self.meetings:
            actions = merge_actions(actions, meeting.content.actions)
            counts = {status: 0 for status in ("open", "in-progress", "done", "dropped")}
            for action in actions.values():
                counts[action.status] += 1
            points.append(SeriesPoint(
                meeting.content.meeting,
                tuple((row.group, row.count) for row in meeting.content.attendance),
                tuple(counts.items())))
        return points


def merge_actions(older: dict[str, Action], newer: list[Action]) -> dict[str, Action]:
    """Carry actions forward by id: keys a newer file writes replace the older values."""
    merged = dict(older)
    for action in newer:
        if action.id in merged:
            merged[action.id] = merged[action.id].model_copy(
                update={name: getattr(action, name) for name in action.model_fields_set})
        else:
            merged[action.id] = action
    return merged


class SeriesLoader:
    """Loads meetings and their `follows` chains, each file parsed at most once per build."""

    def __init__(self, shown: Callable[[Path], str] = str, workspace: Path | None = None,
                 reads: Reads | None = None) -> None:
        self.shown = shown
        self.workspace = workspace.resolve() if workspace is not None else None
        self.read = reads if reads is not None else read_file
        self._meetings: dict[Path, Meeting | InputError] = {}
        self._series: dict[Path, Series | InputError] = {}
        self._long_chains: dict[Path, list[Meeting]] = {}  # newest first, MAX_FOLLOWS long

    def load(self, path: Path | str) -> Meeting:
        """One meeting file, validated (raises InputError); cached by its resolved path.

        A file written inside the workspace must resolve inside it: a symbolic link out of
        it is refused unread."""
        path = Path(path)
        inside = root_for(path, self.workspace) if self.workspace is not None else None
        return _remembered(self._meetings, real_path(path),
                           lambda: load_meeting(path, self.shown(path), read=self.read,
                                                inside=inside))

    def series(self, meeting: Meeting) -> Series:
        """The meeting's series; InputError names the file and line of a broken `follows`."""
        return _remembered(self._series, meeting.path.resolve(),
                           lambda: self._make_series(meeting))

    def chain(self, meeting: Meeting) -> list[Meeting]:
        """The meetings this one follows, oldest first, ending with this one."""
        chain = [meeting]
        seen = {meeting.path.resolve(): meeting}
        root = self.follows_root(meeting)
        while chain[-1].content.meeting.follows:
            newer = chain[-1]
            if len(chain) == MAX_FOLLOWS:
                raise self._too_long(chain)
            line, column = newer.document.locate_value(FOLLOWS)
            follows = newer.content.meeting.follows
            target = follows_path(follows, newer.path, root)
            if target is None:
                # Refused before anything is read: the message never shows the target's text.
                raise InputError([Diagnostic(
                    newer.shown_path, line, column,
                    f"`meeting.follows` names {shortened(follows)!r}, which is not allowed: "
                    "it must be a relative path to a .yaml meeting file inside "
                    f"{self._root_shown(root)} (no absolute paths, and no `..` or symbolic "
                    "link leading outside it)")])
            if target in seen:
                start = next(i for i, m in enumerate(chain) if m.path.resolve() == target)
                loop = " → ".join(m.shown_path for m in chain[start:])
                raise InputError([Diagnostic(
                    newer.shown_path, line, column,
                    f"`meeting.follows` makes a loop: {loop} → {seen[target].shown_path}; "
                    "a meeting can only follow an earlier one")])
            try:
                found = target.is_file()
            except OSError as error:  # a name too long for the file system, say
                raise InputError([Diagnostic(
                    newer.shown_path, line, column,
                    f"`meeting.follows` names {shortened(follows)!r}, which cannot be read "
                    f"({error.strerror}); name the meeting file it follows")]) from None
            if not found:
                raise InputError([Diagnostic(
                    newer.shown_path, line, column,
                    f"`meeting.follows` names {shortened(follows)!r}, but there is no file "
                    f"{self.shown(target)} (the path is relative to this file)")])
            try:
                older = self.load(target)
            except InputError as error:
                raise InputError([*error.diagnostics, Diagnostic(
                    newer.shown_path, line, column,
                    f"the meeting this follows ({self.shown(target)}) has errors; fix them "
                    "first")]) from None
            seen[target] = older
            chain.append(older)
            # A chain already walked from `older` is reused rather than walked again, so a
            # workspace of N chained meetings is read in N steps, not N × MAX_FOLLOWS.
            if self.follows_root(older) != root:
                continue
            known = self._series.get(target)
            if isinstance(known, Series):
                chain.extend(reversed(known.meetings[:-1]))
                if len(chain) > MAX_FOLLOWS:
                    raise self._too_long(chain)
                break
            if target in self._long_chains:
                raise self._too_long(chain + self._long_chains[target][1:])
        chain.reverse()
        return chain

    def _too_long(self, chain: list[Meeting]) -> InputError:
        """The error for a chain (newest first) of more than MAX_FOLLOWS meetings."""
        meeting, last = chain[0], chain[MAX_FOLLOWS - 1]
        self._long_chains[meeting.path.resolve()] = chain[:MAX_FOLLOWS]
        line, column = meeting.document.locate_value(FOLLOWS)
        return InputError([Diagnostic(
            meeting.shown_path, line, column,
            f"`meeting.follows` makes a chain of more than {MAX_FOLLOWS} meetings (the "
            f"{MAX_FOLLOWS}th, {last.shown_path}, follows yet another); the limit is "
            f"{MAX_FOLLOWS}: start a new series by leaving `follows` out of an older "
            "meeting")])

    def follows_root(self, meeting: Meeting) -> Path:
        """The folder a meeting's `follows` chain must stay inside: the workspace when the
        meeting file is in it, else the meeting file's own folder (symbolic links resolved)."""
        path = meeting.path.resolve()
        if self.workspace is not None and path.is_relative_to(self.workspace):
            return self.workspace
        return path.parent

    def _root_shown(self, root: Path) -> str:
        return "the workspace" if root == self.workspace else f"the folder {root}"

    def _make_series(self, meeting: Meeting) -> Series:
        chain = self.chain(meeting)
        before: dict[str, Action] = {}
        for older in chain[:-1]:
            before = merge_actions(before, older.content.actions)
        now = merge_actions(before, meeting.content.actions)
        restated = {action.id for action in meeting.content.actions}
        carried = tuple(CarriedAction(now[key], before[key].status, key in restated,
                                      is_overdue(now[key].status, now[key].due,
                                                 meeting.content.meeting.date))
                        for key in before)
        if len(chain) > 1:
            log.debug("%s follows %d earlier meeting(s); %d action(s) carried",
                      meeting.shown_path, len(chain) - 1, len(carried))
        return Series(tuple(chain), tuple(now.values()), carried)


def follows_path(follows: str, meeting_path: Path, root: Path) -> Path | None:
    """Where a `follows` value points (resolved), or None if it may not be read: an absolute
    path, not a .yaml file, or a path that leads (by `..` or a symbolic link) outside root."""
    relative = PurePosixPath(follows.replace("\\", "/"))
    if relative.is_absolute() or relative.suffix.lower() not in MEETING_SUFFIXES:
        return None
    target = resolved(meeting_path.parent / Path(*relative.parts))
    return target if target is not None and target.is_relative_to(root) else None


def series_warnings(series: Series) -> list[Diagnostic]:
    """Things in a chain worth a second look that do not stop a build."""
    warnings = []
    current = series.current
    # An action restated here with its own `due` is already checked against this meeting.
    checked = {action.id for action in current.content.actions if "due" in action.model_fields_set}
    for item in series.carried:
        if item.overdue and item.action.id not in checked:
            restated = [index for index, action in enumerate(current.content.actions)
                        if action.id == item.action.id]
            line, column = (current.document.locate(("actions", restated[0])) if restated
                            else current.document.locate_value(FOLLOWS))
            warnings.append(Diagnostic(
                current.shown_path, line, column,
                f"carried action {item.action.id} was due {item.action.due.isoformat()}, before "
                f"this meeting ({current.content.meeting.date.isoformat()}), and is still "
                f"{item.status_now.replace('-', ' ')}, so the pack prints it as Overdue; "
                + ("give it its new `status` (or a new `due`)" if restated else
                   f"restate it under `actions:` with `id: {item.action.id}` and its new "
                   "`status` (or a new `due`)"), "warning"))
    previous = series.previous
    if previous is not None:
        if previous.content.meeting.date >= current.content.meeting.date:
            line, column = current.document.locate_value(FOLLOWS)
            warnings.append(Diagnostic(
                current.shown_path, line, column,
                f"this meeting ({current.content.meeting.date.isoformat()}) follows "
                f"{previous.shown_path}, dated {previous.content.meeting.date.isoformat()}, "
                "which is not earlier", "warning"))
    return warnings


def _remembered(cache: dict, key: Path, make: Callable[[], Any]) -> Any:
    """make() once per key; a file that failed fails again from the cache, unread."""
    if key not in cache:
        try:
            cache[key] = make()
        except InputError as error:
            cache[key] = error
    found = cache[key]
    if isinstance(found, InputError):
        raise found
    return found
