"""The privacy check: likely personal data the public edition would print, found at its line."""

from __future__ import annotations

import json

import pytest

from briefing.editions.privacy import find_personal_data

from conftest import run_cli, run_python, write_meeting

MEETING = """\
meeting:
  title: Parking on Acacia Avenue
  date: 2025-07-12
  venue: Hall at SW11 5AB
summary: |
  Residents met to talk about parking on 12 July.
  Write to jo.bloggs@example.org for the minutes.
attendance:
  - {group: Residents, count: 12}
  - {group: Youth workers, count: 3}
  - {group: Councillors, count: 0}
themes:
  - id: parking
    title: Parking
    points:
      - Cars parked on the pavement, 1,234 complaints since 2024-01-01
      - Call 020 7946 0958 to report it
quotes:
  - text: Ask jane  doe, she knows everyone.
    speaker: a resident
    theme: parking
    consent: public
  - text: Jane Doe lives at SW11 5AB, phone 07700 900123.
    speaker: a resident
    theme: parking
actions:
  - id: P1
    action: Check the van parked on Acacia Avenue.
    update: The van, AB12 CDE, was moved.
    you_said: Ring +44 (0)7700 900456 any time.
notes: |
  Jane Doe's email is jane@example.com; van owner WX23 ABC.
"""
NAMES = ("# Names never to publish, one a line\nJane Doe\n\n  # indented comment\n"
         "Mr Nobody  # trailing\n")

EXPECTED = [  # (line, text found there, kind)
    (4, "SW11 5AB", "a UK postcode in `meeting.venue`"),
    (7, "jo.bloggs@example.org", "an email address in `summary`"),
    (10, "3}", "attendance count under 5 for `Youth workers`"),
    (17, "020 7946", "a UK phone number in `themes[0].points[1]`"),
    (19, "jane  doe", "a name listed in private-names.txt in `quotes[0].text`"),
    (29, "AB12 CDE", "a vehicle registration in `actions[0].update`"),
    (30, "+44 (0)7700", "a UK phone number in `actions[0].you_said`"),
]


@pytest.fixture
def privacy_workspace(workspace):
    write_meeting(workspace / "inputs", "p.yaml", MEETING)
    (workspace / "private-names.txt").write_text(NAMES, encoding="utf-8")
    return workspace


def test_check_finds_each_kind_of_personal_data_at_its_line(privacy_workspace):
    result = run_cli("check", "--format", "json", cwd=privacy_workspace)
    assert result.returncode == 0, result.stderr  # warnings only, without --strict
    diagnostics = json.loads(result.stdout)["diagnostics"]
    # P1's `update` on a meeting that follows none is warned about too: not a privacy finding.
    found = [(d["line"], d["column"], d["message"]) for d in diagnostics
             if "follows no earlier one" not in d["message"]]
    lines = MEETING.splitlines()
    expected = [(line, lines[line - 1].index(text) + 1, kind) for line, text, kind in EXPECTED]
    assert [where[:2] for where in found] == [where[:2] for where in expected]
    for (_, _, message), (_, _, kind) in zip(found, expected, strict=True):
        assert message.startswith(kind), message
    # Never the value itself: CI logs may be public.
    assert "jo.bloggs" not in result.stdout and "7946" not in result.stdout


def test_text_output_and_strict(privacy_workspace):
    result = run_cli("check", cwd=privacy_workspace)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "warning: inputs/p.yaml:7:12: an email address in `summary`" in result.stderr
    assert "checked 1 file: 0 errors, 8 warnings" in result.stderr  # 7, and P1's `update`
    strict = run_cli("check", "--strict", cwd=privacy_workspace)
    assert strict.returncode == 1
    assert "warning: inputs/p.yaml:7:12: an email address in `summary`" in strict.stderr


def test_build_warns_only_when_making_the_public_edition(privacy_workspace):
    result = run_cli("build", "--strict", "-e", "public", cwd=privacy_workspace)
    assert result.returncode == 1
    assert "inputs/p.yaml:29:22: a vehicle registration in `actions[0].update`" in result.stderr
    assert "(warning; --strict)" in result.stderr
    assert not (privacy_workspace / "output" / "p").exists()
    internal = run_cli("build", "-e", "internal", cwd=privacy_workspace)
    assert internal.returncode == 0, internal.stderr
    warnings = [line for line in internal.stderr.splitlines() if line.startswith("warning:")]
    # Only P1's `update` on a first meeting (printed by no pack), no privacy warning.
    assert [("follows no earlier one" in line) for line in warnings] == [True], warnings


def test_a_carried_action_is_checked_in_the_file_that_wrote_it(workspace):
    write_meeting(workspace / "archive", "old.yaml",
                  "meeting:\n  title: Old\n  date: 2025-01-01\n  venue: Hall\n"
                  "actions:\n  - id: X1\n    action: Ring back.\n"
                  "    you_said: Email me at someone@example.com\n")
    write_meeting(workspace / "inputs", "new.yaml",
                  "meeting:\n  title: New\n  date: 2025-03-01\n  venue: Hall\n"
                  "  follows: ../archive/old.yaml\n")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0
    assert ("warning: archive/old.yaml:8:27: an email address in `actions[0].you_said`"
            in result.stderr)


@pytest.mark.parametrize("contact", [
    '"Community safety team, 020 7946 0000, safety@example.org"',
    "\n    name: Community safety team\n    phone: 020 7946 0000\n    email: safety@example.org",
])
def test_the_contact_is_meant_to_be_published_and_not_warned_about(workspace, contact):
    write_meeting(workspace / "inputs", "m.yaml",
                  "meeting:\n  title: T\n  date: 2025-03-01\n  venue: Hall\n"
                  f"  contact: {contact}\n"
                  "summary: Ring 020 7946 0000 for help.\n")
    result = run_cli("check", "--format", "json", cwd=workspace)
    warned = [d["message"] for d in json.loads(result.stdout)["diagnostics"]]
    # The same number in the summary is still found: only the contact is left alone.
    assert warned == ["a UK phone number in `summary`, which the public edition prints; "
                      "remove it or move it to `notes`"]


@pytest.mark.parametrize("text", [
    "Meeting on 2025-07-12 at 18:30; 1,234 stops, 0.5% change, A4 paper, page 12",
    "Ward SW11, room B12 3rd floor, the M25, ISO 9001, 2024/25 figures 01 02 03",
    "Call 999 or 101; case 0123456 is closed",
    # Small letters are matched too, without catching rooms, floors and budget years.
    "room b12 3rd floor, the w1 2nd floor, a4 1st draft, Room B12 3Rd",
    "in fy24 and fy25 the figures rose; q3 fy23 was flat; ks2 sats; covid19 ab12 cases",
    "Sw11 residents; Ab12 Cde Ltd; Bd51 Smr; the m25 and a3 roads; 4pm to 6am",
])
def test_ordinary_text_is_not_personal_data(text):
    assert find_personal_data(text) == []


@pytest.mark.parametrize("text, kind", [
    ("ring 07700 900123", "a UK phone number"),
    ("ring 07700900123", "a UK phone number"),
    ("ring (020) 7946 0958", "a UK phone number"),
    ("ring +447700900123", "a UK phone number"),
    ("ring 0161-496-0000", "a UK phone number"),
    ("at EC1A 1BB", "a UK postcode"),
    ("at M1 1AE", "a UK postcode"),
    ("at CR26XH", "a UK postcode"),
    ("van BD51 SMR", "a vehicle registration"),
    ("van BD51SMR", "a vehicle registration"),
    ("at sw11 2ab", "a UK postcode"),
    ("at ec1a 1bb, by the door", "a UK postcode"),
    ("at cr26xh", "a UK postcode"),
    ("van bd51 smr", "a vehicle registration"),
    ("van ab12cde parked", "a vehicle registration"),
    ("mail a.b+c@council.gov.uk", "an email address"),
])
def test_each_kind_is_found(text, kind):
    assert [found for found, _ in find_personal_data(text)] == [kind]


def test_a_long_text_without_spaces_is_scanned_in_linear_time(workspace):
    """200 KB with no space once took minutes in the email pattern; it must take moments.
    The timeout only keeps a regression from hanging the suite: the scan takes about 0.1 s."""

    script = ("from briefing.editions.privacy import find_personal_data\n"
              "text = 'a.' * 100_000 + ' jo@example.org ' + ('ab' * 50 + '@') * 1000\n"
              "print([kind for kind, _ in find_personal_data(text)])")
    result = run_python(script, cwd=workspace)
    assert result.stdout.strip() == "['an email address']", result.stderr
