"""Hostile paths: `meeting.follows` cannot read, quote or attach a file outside its allowed
folder (the workspace, or the named meeting's own folder), however the path gets there."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from conftest import run_cli, write_meeting

PASSWD_MARKER = "root:x:0:0"


def meeting_text(title: str, follows: str | None = None, summary: str = "") -> str:
    lines = ["meeting:", f"  title: {title}", "  date: 2025-07-12", "  venue: Hall"]
    if follows is not None:
        lines.append(f"  follows: '{follows}'")  # line 5, value at column 12
    if summary:
        lines.append(f"summary: {summary}")
    lines += ["themes:", "  - {id: t1, title: Theme, points: [A point]}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def outside(tmp_path_factory) -> tuple[Path, str]:
    """A valid meeting outside the workspace, carrying a token that must never leak."""
    token = f"OUTSIDE-SECRET-{uuid.uuid4().hex}"
    folder = tmp_path_factory.mktemp("elsewhere")
    write_meeting(folder, "old.yaml", meeting_text(token, summary=token))
    return folder / "old.yaml", token


def follows_value(case: str, workspace: Path, outside_file: Path) -> str:
    """Point inputs/new.yaml's `follows` outside the workspace in one of several ways."""
    if case == "absolute-passwd":
        return "/etc/passwd"
    if case == "absolute-meeting":
        return str(outside_file)
    if case == "dotdot":
        return os.path.relpath(outside_file, workspace / "inputs")
    if case == "symlinked-file":
        (workspace / "archive").mkdir()
        (workspace / "archive" / "old.yaml").symlink_to(outside_file)
        return "../archive/old.yaml"
    if case == "symlinked-folder":
        (workspace / "archive").symlink_to(outside_file.parent, target_is_directory=True)
        return "../archive/old.yaml"
    raise AssertionError(case)


CASES = ["absolute-passwd", "absolute-meeting", "dotdot", "symlinked-file", "symlinked-folder"]


@pytest.mark.parametrize("case", CASES)
def test_follows_outside_the_workspace_is_refused_by_check_and_archive_build(
        workspace, outside, case):
    outside_file, token = outside
    value = follows_value(case, workspace, outside_file)
    write_meeting(workspace / "inputs", "new.yaml", meeting_text("New", value))

    check = run_cli("check", cwd=workspace)
    build = run_cli("build", "--archive", "inputs/new.yaml", cwd=workspace)
    for result in (check, build):
        assert result.returncode == 1, result.stderr
        said = result.stdout + result.stderr
        assert ("error: inputs/new.yaml:5:12: `meeting.follows` names "
                f"{value!r}, which is not allowed") in result.stderr
        assert token not in said and PASSWD_MARKER not in said
        assert "Traceback" not in said
    # Nothing was made, so nothing outside was attached or printed into a PDF.
    made = [p for p in (workspace / "output").rglob("*") if p.is_file()]
    assert not [p for p in made if p.suffix == ".pdf"]
    for path in made:
        data = path.read_bytes()
        assert token.encode() not in data and PASSWD_MARKER.encode() not in data


def test_follows_inside_the_workspace_may_use_dotdot(workspace):
    write_meeting(workspace / "archive", "old.yaml", meeting_text("Old"))
    write_meeting(workspace / "inputs" / "2025", "new.yaml",
                  meeting_text("New", "../../archive/old.yaml"))
    result = run_cli("check", "inputs/2025/new.yaml", cwd=workspace)
    assert result.returncode == 0, result.stderr


def test_a_meeting_outside_the_workspace_may_follow_its_own_neighbours(workspace, outside):
    outside_file, _token = outside
    newer = write_meeting(outside_file.parent, "new.yaml", meeting_text("New", "old.yaml"))
    result = run_cli("check", str(newer), cwd=workspace)
    assert result.returncode == 0, result.stderr
    # ... but not its folder's parent: the allowed folder is its own.
    write_meeting(outside_file.parent / "sub", "newer.yaml", meeting_text("N", "../old.yaml"))
    result = run_cli("check", str(outside_file.parent / "sub" / "newer.yaml"), cwd=workspace)
    assert result.returncode == 1
    assert "`meeting.follows` names '../old.yaml', which is not allowed" in result.stderr


def test_follows_must_name_a_yaml_file(workspace):
    (workspace / "private-names.txt").write_text("Jo Bloggs\n", encoding="utf-8")
    write_meeting(workspace / "inputs", "new.yaml", meeting_text("New", "../private-names.txt"))
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert "inputs/new.yaml:5:12: `meeting.follows` names '../private-names.txt', which is " \
        "not allowed" in result.stderr
    assert "Jo Bloggs" not in result.stdout + result.stderr
