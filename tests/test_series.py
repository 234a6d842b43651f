"""Follow-up meetings: a three-meeting chain carried forward, read back from the built PDFs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import minimal_meeting, pdf_pages, run_cli, write_meeting

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "series"
SPRING, MAY, SUMMER = "2025-03-spring.yaml", "2025-05-may.yaml", "2025-07-summer.yaml"


@pytest.fixture(scope="module")
def series_workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("series")
    shutil.copytree(FIXTURES, root / "inputs")
    # The workspace default makes both editions: no --edition flag below.
    (root / "briefing.toml").write_text('editions = ["internal", "public"]\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def summer(series_workspace) -> dict[str, list[str]]:
    result = run_cli("build", f"inputs/{SUMMER}", cwd=series_workspace)
    assert result.returncode == 0, result.stderr
    assert "2 built" in result.stderr
    folder = series_workspace / "output" / "2025-07-summer"
    return {edition: pdf_pages(folder / f"pack-{edition}.pdf")
            for edition in ("internal", "public")}


SECTION_HEADINGS = ("Contents", "Summary", "Questions discussed", "Attendance", "What we heard",
                    "You said, we did", "Action log", "Figures and data", "Data annex", "Internal notes",
                    "Next meeting", "Alternative formats")


def section(pages: list[str], heading: str) -> str:
    """The text of a section, from its heading (not the contents entry, which is followed by
    a page number) to the next section's heading: sections flow on within a part."""
    text = " ".join(pages[1:])
    def headings(name: str):
        return [m.start() for m in re.finditer(re.escape(name) + r"(?! \d)", text)]
    starts = headings(heading)
    assert len(starts) == 1, (heading, starts)
    ends = [at for name in SECTION_HEADINGS if name != heading for at in headings(name)
            if at > starts[0]]
    return text[starts[0]:min(ends, default=len(text))]


def rows(text: str) -> dict[str, str]:
    """Each table row's text, keyed by its action id (the first cell)."""
    body = text.split("Status", 1)[1]
    starts = [(m.group(1), m.start()) for m in re.finditer(r"(?:^| )(S\d) ", body)]
    return {key: body[start:(starts[i + 1][1] if i + 1 < len(starts) else len(body))]
            for i, (key, start) in enumerate(starts)}


def test_cover_says_which_meeting_this_follows(summer):
    for pages in summer.values():
        assert "Follows Falcon Road safety – May follow-up, 10 May 2025" in pages[0]


def test_you_said_we_did_carries_updates_statuses_and_overdue(summer):
    found = rows(section(summer["internal"], "You said, we did"))
    # S6 is new at this meeting: it is in the action log, not in "you said, we did".
    assert sorted(found) == ["S1", "S2", "S3", "S4", "S5", "S7"]
    # Restated at every meeting: the newest update and status, the status it had in May.
    assert "We never get to see the figures." in found["S1"]  # you_said from March
    assert "published on the borough website" in found["S1"]
    assert "Now: Done Last meeting: In progress" in found["S1"]
    assert "Overdue" not in found["S1"]
    # Never restated: carried unchanged from March, open past its due date in July.
    assert "pitch black after seven" in found["S2"]
    assert "Done: No update yet." in found["S2"]
    assert "Now: Open Last meeting: Open Overdue: due 30 June 2025" in found["S2"]
    # Done in May and carried unchanged: past due, but not overdue.
    assert "Now: Done Last meeting: Done" in found["S3"] and "Overdue" not in found["S3"]
    assert "The youth forum has met twice." in found["S3"]
    # Open, not yet due.
    assert "Now: Open Last meeting: Open" in found["S4"] and "Overdue" not in found["S4"]
    # Added in May, dropped in July.
    assert "Now: Dropped Last meeting: Open" in found["S5"] and "Overdue" not in found["S5"]
    assert "closed for building works" in found["S5"]
    # In progress since May and not restated: in progress past due is overdue too.
    assert "Now: In progress Last meeting: In progress Overdue: due 1 July 2025" in found["S7"]
    assert "Site survey booked." in found["S7"]


def test_action_log_includes_carried_actions(summer):
    log = section(summer["internal"], "Action log")
    for text in ("Get the underpass lights repaired.",  # March, never restated
                 "Invite the housing officer to explain repair times.",  # March
                 "Review the CCTV coverage on the estate.",  # May
                 "Walk the station route with residents after dark."):  # new in July
        assert text in log
    assert re.search(r"S1 Publish local stop and search figures every quarter\. "
                     r"Borough stop and search lead 15 April 2025 Done", log)  # owner from March


def test_contents_lists_you_said_we_did(summer):
    assert "You said, we did" in summer["internal"][1]


def test_public_edition_withholds_earlier_internal_quote(summer):
    internal, public = " ".join(summer["internal"]), " ".join(summer["public"])
    # March's S2 `you_said` repeats March's internal quote word for word.
    assert "pitch black" in internal
    assert "pitch black" not in public
    assert "S2 [withheld]." in public
    assert "Spring notes" not in internal  # an earlier meeting's notes are never carried
    assert "OFFICIAL FOR PUBLIC RELEASE" in summer["public"][0]


def test_check_follows_chains_and_reports_the_repeated_quote_once(series_workspace):
    result = run_cli("check", "--format", "json", cwd=series_workspace)
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["checked"] == 3
    # Reached from all three meetings' public editions, reported once; then the carried
    # actions each later pack prints as "Overdue".
    assert [(d["path"], d["line"], d["column"]) for d in report["diagnostics"]] == [
        (f"inputs/{SPRING}", 38, 15), ("inputs/2025-05-may.yaml", 20, 5),
        (f"inputs/{SUMMER}", 7, 12), (f"inputs/{SUMMER}", 7, 12)]
    assert "inputs/2025-03-spring.yaml:19" in report["diagnostics"][0]["message"]


def test_a_meeting_followed_by_many_is_parsed_once(series_workspace, monkeypatch):
    from briefing.meeting import series as series_module

    parsed: list[str] = []
    real = series_module.load_meeting

    def counting(path, shown=None, **options):
        parsed.append(Path(path).name)
        return real(path, shown, **options)

    monkeypatch.setattr(series_module, "load_meeting", counting)
    loader = series_module.SeriesLoader()
    inputs = series_workspace / "inputs"
    for name in (SUMMER, MAY, SPRING):
        chain = loader.series(loader.load(inputs / name))
    assert sorted(parsed) == sorted([SPRING, MAY, SUMMER])
    assert [m.path.name for m in loader.series(loader.load(inputs / SUMMER)).meetings] == [
        SPRING, MAY, SUMMER]
    assert len(chain.meetings) == 1
    trend = loader.series(loader.load(inputs / SUMMER)).trend()
    assert [dict(point.actions_by_status)["done"] for point in trend] == [0, 1, 2]
    assert [dict(point.attendance)["Residents"] for point in trend] == [22, 17, 25]


def follows(name: str, target: str) -> dict:
    document = minimal_meeting()
    document["meeting"] = {**document["meeting"], "title": name, "follows": target}
    return document


def test_a_loop_in_follows_is_an_error_naming_file_and_line(workspace):
    write_meeting(workspace / "inputs", "a.yaml", follows("A", "b.yaml"))
    write_meeting(workspace / "inputs", "b.yaml", follows("B", "a.yaml"))
    line = (workspace / "inputs" / "a.yaml").read_text().splitlines().index("  follows: b.yaml") + 1
    for command in ("check", "build"):
        result = run_cli(command, cwd=workspace)
        assert result.returncode == 1, result.stderr
        # Each file is checked in turn, so the loop is found from both ends.
        assert (f"error: inputs/b.yaml:{line}:12: `meeting.follows` makes a loop: "
                "inputs/a.yaml → inputs/b.yaml → inputs/a.yaml") in result.stderr
        assert (f"error: inputs/a.yaml:{line}:12: `meeting.follows` makes a loop: "
                "inputs/b.yaml → inputs/a.yaml → inputs/b.yaml") in result.stderr
        assert "Traceback" not in result.stderr
    assert not list((workspace / "output").rglob("*.pdf"))  # only the build lock, no pack


def test_a_meeting_following_itself_is_a_loop(workspace):
    write_meeting(workspace / "inputs", "self.yaml", follows("Self", "self.yaml"))
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert "inputs/self.yaml:5:12: `meeting.follows` makes a loop" in result.stderr


def test_a_missing_follows_file_is_an_error_naming_file_and_line(workspace):
    write_meeting(workspace / "inputs", "c.yaml", follows("C", "../archive/nope.yaml"))
    for command in ("check", "build"):
        result = run_cli(command, cwd=workspace)
        assert result.returncode == 1, result.stderr
        assert ("error: inputs/c.yaml:5:12: `meeting.follows` names '../archive/nope.yaml', but "
                "there is no file archive/nope.yaml") in result.stderr
        assert "Traceback" not in result.stderr


def test_a_broken_followed_file_is_reported_in_both_files(workspace):
    write_meeting(workspace / "archive", "old.yaml", "meeting:\n  title: Old\n  date: 2025-01-01\n")
    write_meeting(workspace / "inputs", "new.yaml", follows("New", "../archive/old.yaml"))
    result = run_cli("check", "inputs/new.yaml", cwd=workspace)
    assert result.returncode == 1
    assert ("error: archive/old.yaml:1:1: missing required key `venue` under `meeting`"
            in result.stderr)
    assert "error: inputs/new.yaml:5:12: the meeting this follows (archive/old.yaml) has errors" \
        in result.stderr
