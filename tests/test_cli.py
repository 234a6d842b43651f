"""The real command line: exit codes and messages a user (or CI) acts on."""

from __future__ import annotations

from conftest import run_cli, write_meeting


def test_build_succeeds_and_names_the_output(sample_workspace):
    result = run_cli("build", cwd=sample_workspace)
    assert result.returncode == 0, result.stderr
    assert (sample_workspace / "output" / "2025-battersea-lrap" / "pack-internal.pdf").is_file()
    assert "1 built" in result.stderr


def test_build_one_named_file_into_another_folder(sample_workspace):
    result = run_cli("build", "inputs/2025-battersea-lrap.yaml", "--output", "elsewhere",
                     "--layout", "pack", cwd=sample_workspace)
    assert result.returncode == 0, result.stderr
    assert (sample_workspace / "elsewhere" / "2025-battersea-lrap" / "pack-internal.pdf").is_file()
    assert not (sample_workspace / "output").exists()


def test_missing_input_file_is_one_line_error(workspace):
    result = run_cli("build", "inputs/nope.yaml", cwd=workspace)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: inputs/nope.yaml: file not found"]
    assert "Traceback" not in result.stderr


def test_unreadable_yaml_names_file_and_line(workspace):
    write_meeting(workspace / "inputs", "broken.yaml",
                  "meeting:\n  title: A\n  date: 2025-01-01\n  venue: [unclosed\n")
    result = run_cli("build", cwd=workspace)
    assert result.returncode == 1
    assert "error: inputs/broken.yaml:4:10: the `[` on line 4 is not closed with `]`" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_required_field_names_file_and_line(workspace):
    write_meeting(workspace / "inputs", "m.yaml",
                  "summary: hello\nmeeting:\n  title: A\n  date: 2025-01-01\n")
    result = run_cli("build", cwd=workspace)
    assert result.returncode == 1
    assert "error: inputs/m.yaml:2:1: missing required key `venue` under `meeting`" in result.stderr
    assert not (workspace / "output" / "m").exists()


def test_unknown_layout_is_a_clear_error(sample_workspace):
    result = run_cli("build", "--layout", "glossy", cwd=sample_workspace)
    assert result.returncode == 1
    assert "layout `glossy` not found" in result.stderr
    assert "pack" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_and_version(workspace):
    result = run_cli("--version", cwd=workspace)
    assert result.returncode == 0
    assert "briefing" in result.stdout
