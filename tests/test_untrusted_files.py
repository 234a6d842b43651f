"""An untrusted workspace: every file is read once, inside the workspace, as a regular file;
outputs cannot escape or collide; cached charts and freshness records are verified. Each test
plants the hostile file in a temporary workspace and runs the real command line."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import minimal_meeting, pdf_pages, run_cli, write_meeting

PASSWD_MARKER = "root:x:0:0"


def said(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def test_archive_attaches_the_csv_that_was_checked_not_a_file_named_like_it(workspace, tmp_path_factory):
    """`csv: 'sub\\env.csv'` is checked as sub/env.csv; a file literally named `sub\\env.csv`
    (a symlink to secrets) must not be what the archive copy carries."""
    import pikepdf

    token = f"SECRET-{uuid.uuid4().hex}"
    secrets = tmp_path_factory.mktemp("elsewhere") / "environ"
    secrets.write_text(f"Group,Count\nAWS_KEY={token},1\n", encoding="utf-8")
    inputs = workspace / "inputs"
    (inputs / "sub").mkdir()
    (inputs / "sub" / "env.csv").write_text("Group,Count\nResidents,12\n", encoding="utf-8")
    (inputs / "sub\\env.csv").symlink_to(secrets)
    write_meeting(inputs, "m.yaml", minimal_meeting(data=[
        {"id": "d", "title": "Figures", "csv": "sub\\env.csv", "source": "Survey"}]))

    result = run_cli("build", "--archive", cwd=workspace)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(workspace / "output" / "m" / "pack-internal-archive.pdf") as pdf:
        attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    assert attached["env.csv"] == b"Group,Count\nResidents,12\n"
    assert all(token.encode() not in data for data in attached.values())
    assert token not in said(result)


def test_a_meeting_file_symlinked_out_of_the_workspace_is_refused_unquoted(workspace):
    (workspace / "inputs" / "evil.yaml").symlink_to("/etc/passwd")
    write_meeting(workspace / "inputs", "good.yaml", minimal_meeting())

    check = run_cli("check", cwd=workspace)
    build = run_cli("build", cwd=workspace)
    for result in (check, build):
        assert result.returncode == 1
        assert "error: inputs/evil.yaml: " in result.stderr
        assert "outside the workspace" in result.stderr
        assert PASSWD_MARKER not in said(result) and "root:" not in said(result)
        assert "Traceback" not in said(result)
    # One file does not stop everyone: the good meeting is still built.
    assert "1 built" in build.stderr
    assert (workspace / "output" / "good" / "pack-internal.pdf").is_file()
    assert not (workspace / "output" / "evil").exists()


def test_a_meeting_file_symlinked_inside_the_workspace_is_read(workspace):
    write_meeting(workspace / "archive", "real.yaml", minimal_meeting())
    (workspace / "inputs" / "linked.yaml").symlink_to(workspace / "archive" / "real.yaml")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "checked 1 file" in result.stderr


def test_a_hidden_yaml_such_as_the_lock_name_does_not_stop_the_build(workspace):
    write_meeting(workspace / "inputs", ".briefing.lock.yaml", minimal_meeting())
    write_meeting(workspace / "inputs", "good.yaml", minimal_meeting())

    build = run_cli("build", cwd=workspace)
    assert build.returncode == 0, build.stderr
    assert "1 built, 0 up to date, 0 failed" in build.stderr
    assert (workspace / "output" / "good" / "pack-internal.pdf").is_file()

    named = run_cli("build", "inputs/.briefing.lock.yaml", cwd=workspace)
    assert named.returncode == 1
    assert "Traceback" not in said(named)
    assert "error: inputs/.briefing.lock.yaml: " in named.stderr
    assert "output/.briefing.lock" in named.stderr


def test_a_dot_only_stem_is_refused_and_writes_nothing_outside_output(workspace):
    write_meeting(workspace / "inputs", "...yaml", minimal_meeting())
    for command in ("check", "build"):
        result = run_cli(command, "inputs/...yaml", cwd=workspace)
        assert result.returncode == 1, result.stderr
        assert "error: inputs/...yaml: " in result.stderr, result.stderr
        assert "Traceback" not in said(result)
    assert not list(workspace.glob("*.pdf"))
    assert not list(workspace.rglob("*.pdf"))


def test_two_meetings_with_one_stem_are_an_error_naming_both(workspace):
    write_meeting(workspace / "inputs", "x.yaml", minimal_meeting())
    write_meeting(workspace / "inputs", "x.yml", minimal_meeting())
    write_meeting(workspace / "inputs", "other.yaml", minimal_meeting())

    check = run_cli("check", cwd=workspace)
    assert check.returncode == 1
    build = run_cli("build", cwd=workspace)
    assert build.returncode == 1
    for result in (check, build):
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert any("inputs/x.yaml" in line and "inputs/x.yml" in line for line in errors), errors
        assert "Traceback" not in said(result)
    assert not (workspace / "output" / "x").exists()
    assert (workspace / "output" / "other" / "pack-internal.pdf").is_file()


def test_an_output_folder_symlinked_out_of_the_workspace_is_refused(workspace, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (workspace / "output").symlink_to(elsewhere, target_is_directory=True)
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())

    result = run_cli("build", cwd=workspace)
    assert result.returncode == 1
    assert "error: " in result.stderr and "outside the workspace" in result.stderr
    assert "Traceback" not in said(result)
    assert not list(elsewhere.iterdir())


def test_a_meeting_output_folder_symlinked_away_is_refused(workspace, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    kept = elsewhere / ".someone-elses.part"
    kept.write_bytes(b"not ours")
    (workspace / "output").mkdir()
    (workspace / "output" / "m").symlink_to(elsewhere, target_is_directory=True)
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    write_meeting(workspace / "inputs", "other.yaml", minimal_meeting())

    result = run_cli("build", cwd=workspace)
    assert result.returncode == 1
    assert "error: output/m is a symbolic link or a file" in result.stderr, result.stderr
    assert list(elsewhere.iterdir()) == [kept]  # nothing written there, nothing removed
    assert (workspace / "output" / "other" / "pack-internal.pdf").is_file()


def _check_with_timeout(workspace: Path) -> subprocess.CompletedProcess:
    # The safety net, not a wait: a hang ends the test with TimeoutExpired instead of
    # blocking the suite.
    return subprocess.run([sys.executable, "-m", "briefing", "check"], cwd=workspace,
                          capture_output=True, text=True, timeout=120)


def test_a_broken_font_is_a_warning_naming_it_in_check_and_build(workspace):
    fonts = workspace / "layouts" / "extra" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "broken.ttf").write_bytes(b"\x00\x01\x00\x00" + os.urandom(64))
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())

    check = run_cli("check", cwd=workspace)
    build = run_cli("build", cwd=workspace)
    for result in (check, build):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in said(result)
        assert "warning: layouts/extra/fonts/broken.ttf: " in result.stderr, result.stderr
    assert (workspace / "output" / "m" / "pack-internal.pdf").is_file()


def test_a_fifo_named_like_a_font_does_not_hang_check(workspace):
    fonts = workspace / "layouts" / "extra" / "fonts"
    fonts.mkdir(parents=True)
    os.mkfifo(fonts / "x.ttf")
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())

    result = _check_with_timeout(workspace)
    assert result.returncode == 0, result.stderr
    assert "warning: layouts/extra/fonts/x.ttf: " in result.stderr
    assert "not a regular file" in result.stderr


def test_a_planted_chart_in_the_cache_is_not_printed(workspace):
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(  # three groups: a chart
        attendance=[{"group": "Residents", "count": 12}, {"group": "Officers", "count": 5},
                    {"group": "Councillors", "count": 2}]))
    assert run_cli("build", cwd=workspace).returncode == 0
    cached = sorted((workspace / "output" / ".cache" / "charts").glob("*.svg"))
    assert cached
    planted = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
               b'width="400" height="100"><text x="10" y="50">PLANTED CHART TEXT</text></svg>\n')
    for path in cached:
        path.write_bytes(planted)

    result = run_cli("build", "--force", cwd=workspace)
    assert result.returncode == 0, result.stderr
    text = " ".join(pdf_pages(workspace / "output" / "m" / "pack-internal.pdf"))
    assert "PLANTED CHART TEXT" not in text
    assert "Residents" in text
    # The cache holds the real chart again.
    assert all(path.read_bytes() != planted for path in cached)


def test_a_forged_record_does_not_make_a_foreign_pdf_up_to_date(workspace):
    import pikepdf

    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(
        meeting={"title": "The real meeting", "date": "2025-07-12", "venue": "Hall"}))
    assert run_cli("build", cwd=workspace).returncode == 0
    pdf = workspace / "output" / "m" / "pack-internal.pdf"
    record = workspace / "output" / "m" / ".pack-internal.pdf.inputs.json"

    foreign = pikepdf.new()
    foreign.add_blank_page()
    foreign.save(pdf)
    forged = json.loads(record.read_text(encoding="utf-8"))
    forged["pdf_sha256"] = hashlib.sha256(pdf.read_bytes()).hexdigest()
    record.write_text(json.dumps(forged), encoding="utf-8")

    result = run_cli("build", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "1 built, 0 up to date" in result.stderr, result.stderr
    assert "The real meeting" in " ".join(pdf_pages(pdf))
    # ... and the record the build wrote holds: the next build has nothing to do.
    again = run_cli("build", cwd=workspace)
    assert "0 built, 1 up to date" in again.stderr, again.stderr


@pytest.mark.parametrize("name", ["private-names.txt", "briefing.toml"])
def test_workspace_settings_symlinked_out_of_the_workspace_are_refused(workspace, name,
                                                                       tmp_path_factory):
    token = f"SECRET-{uuid.uuid4().hex}"
    secret = tmp_path_factory.mktemp("elsewhere") / "secret"
    secret.write_text(f"{token}\n", encoding="utf-8")
    (workspace / name).symlink_to(secret)
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())

    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert f"error: {name}: " in result.stderr and "outside the workspace" in result.stderr
    assert token not in said(result)


def test_a_fifo_beside_the_chart_font_does_not_hang_build(workspace):
    from conftest import REPO

    fonts = workspace / "layouts" / "base" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "NotoSans-Regular.ttf").write_bytes(
        (REPO / "layouts" / "base" / "fonts" / "NotoSans-Regular.ttf").read_bytes())
    os.mkfifo(fonts / "Evil-Regular.ttf")
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(
        attendance=[{"group": "Residents", "count": 12}]))

    # The timeout is the safety net against a hang, not a wait.
    result = subprocess.run([sys.executable, "-m", "briefing", "build"], cwd=workspace,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    assert "warning: layouts/base/fonts/Evil-Regular.ttf: " in result.stderr
    assert "Residents" in " ".join(pdf_pages(workspace / "output" / "m" / "pack-internal.pdf"))
