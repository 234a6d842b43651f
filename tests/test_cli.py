"""The real command line: exit codes and messages a user (or CI) acts on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, minimal_meeting, run_cli, run_python, write_meeting
from conftest import wait_for as conftest_wait_for


def test_build_succeeds_and_names_the_output(workspace):
    """A one-page meeting: this and the next are about where the command writes, not what the
    pages hold (the session's sample_pack fixture builds the sample with the same command)."""
    write_meeting(workspace / "inputs", "2025-battersea-lrap.yaml", minimal_meeting())
    result = run_cli("build", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert (workspace / "output" / "2025-battersea-lrap" / "pack-internal.pdf").is_file()
    assert "1 built" in result.stderr


def test_build_one_named_file_into_another_folder(workspace):
    write_meeting(workspace / "inputs", "2025-battersea-lrap.yaml", minimal_meeting())
    write_meeting(workspace / "inputs", "other.yaml", minimal_meeting())
    result = run_cli("build", "inputs/2025-battersea-lrap.yaml", "--output", "elsewhere",
                     "--layout", "pack", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert (workspace / "elsewhere" / "2025-battersea-lrap" / "pack-internal.pdf").is_file()
    assert not (workspace / "elsewhere" / "other").exists()  # only the named file
    assert not (workspace / "output").exists()


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
    result = run_cli("--version", cwd=workspace, fresh=True)
    assert result.returncode == 0
    assert "briefing" in result.stdout


# --- one rule for every error: `error: …` on stderr; exit 2 for usage, 1 for the files -------

@pytest.mark.parametrize("args, words", [
    (["build", "--paper", "A3"], ["'--paper'", "'A3'"]),
    (["build", "-j", "0"], ["'-j'", "0"]),
    (["build", "--shard", "1"], ["'--shard'", "K/N"]),
    (["build", "--shard", "4/3"], ["'--shard'", "between 1 and N"]),
    (["check", "--format", "xml"], ["'--format'", "'xml'"]),
    (["bogus"], ["bogus"]),
    (["build", "--no-such-flag"], ["--no-such-flag"]),
    (["check", "-C", "nowhere"], ["the folder nowhere does not exist"]),
    (["watch", "-C", "nowhere"], ["the folder nowhere does not exist"]),
])
def test_usage_errors_are_one_error_line_and_exit_2(workspace, args, words):
    result = run_cli(*args, cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Error:" not in result.stderr and "Usage:" not in result.stderr
    for word in words:
        assert word in result.stderr
    assert "--help" in result.stderr  # where to look next


def test_choices_are_case_insensitive(workspace):
    write_meeting(workspace / "inputs", "m.yaml", "meeting: {title: T, date: 2025-07-12, venue: V}\n")
    result = run_cli("check", "--format", "JSON", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["checked"] == 1
    # Past the flags: the missing file is the (input) error, exit 1.
    result = run_cli("build", "--paper", "a5", "--edition", "Public", "inputs/none.yaml",
                     cwd=workspace)
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        1, "error: inputs/none.yaml: file not found")


def test_help_says_only_what_applies(workspace):
    top = run_cli("--help", cwd=workspace).stdout
    summaries = [line for line in top.splitlines() if line.startswith("  ") and "..." in line]
    assert summaries == []  # no summary cut mid-sentence
    assert "docs" in top
    check_help = " ".join(run_cli("check", "--help", cwd=workspace).stdout.split())
    assert "Relative FILES are taken relative to it" in check_help and "-o" not in check_help
    watch_help = " ".join(run_cli("watch", "--help", cwd=workspace).stdout.split())
    assert "Relative FILES" not in watch_help and "-o" not in watch_help
    assert "Workspace folder (holds briefing.toml, inputs/, layouts/). [default: .]" in watch_help
    assert "-vv" in run_cli("build", "--help", cwd=workspace).stdout


@pytest.mark.parametrize("name, content, line", [("empty.yaml", "", 1), ("gone.yaml", None, None)])
def test_every_format_leaves_out_a_column_it_does_not_know(workspace, name, content, line):
    if content is not None:
        (workspace / "inputs" / name).write_text(content)
    path = f"inputs/{name}"
    text = run_cli("check", path, cwd=workspace).stderr.splitlines()[0]
    github = run_cli("check", "--format", "github", path, cwd=workspace).stdout.strip()
    report = json.loads(run_cli("check", "--format", "json", path, cwd=workspace).stdout)
    diagnostic = report["diagnostics"][0]
    if line is None:
        assert text.startswith(f"error: {path}: ")
        assert github.startswith(f"::error file={path}::")
    else:
        assert text.startswith(f"error: {path}:{line}: ")
        assert github.startswith(f"::error file={path},line={line}::")
    assert (diagnostic["line"], diagnostic["column"]) == (line, None)


def test_docs_names_the_format_guide_and_new_points_to_it(tmp_path):
    result = run_cli("docs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    guide = Path(result.stdout.strip())
    assert guide.name == "meeting-format.md" and guide.is_absolute()
    assert guide.read_text(encoding="utf-8").startswith("# The meeting file")
    made = run_cli("new", "inputs/first.yaml", cwd=tmp_path, fresh=True)
    assert made.returncode == 0, made.stderr
    assert str(guide) in made.stderr
    assert "briefing docs" in (tmp_path / "inputs" / "first.yaml").read_text(encoding="utf-8")


def test_the_wheel_carries_the_format_guide(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(wheels), str(REPO)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("briefing-*.whl")
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert "briefing/_docs/meeting-format.md" in archive.namelist()
        archive.extractall(unpacked)
    # Installed from the wheel (no checkout beside it), `briefing docs` names the packaged copy.
    result = run_cli("docs", cwd=tmp_path, env={"PYTHONPATH": str(unpacked)})
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == unpacked / "briefing" / "_docs" / "meeting-format.md"


def test_verbose_shows_our_decisions_and_vv_the_libraries(workspace):
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    once = run_cli("build", "-v", "-j", "1", "-l", "brief", cwd=workspace)
    assert once.returncode == 0, once.stderr
    assert "building output/m/brief-internal.pdf: not built before" in once.stderr
    assert "table from disk" not in once.stderr  # fontTools' debug lines
    # A process of its own: the libraries' debug lines are set up once per process.
    twice = run_cli("build", "-vv", "-j", "1", "-l", "brief", "--force", cwd=workspace, fresh=True)
    assert twice.returncode == 0, twice.stderr
    assert "table from disk" in twice.stderr


def test_watch_without_inputs_says_so_and_stops(tmp_path):
    result = subprocess.run([sys.executable, "-m", "briefing", "watch"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no inputs folder at "), result.stderr
    assert "watching for changes" not in result.stderr


def test_watch_prints_what_it_rebuilt_not_what_it_skipped(workspace):
    write_meeting(workspace / "inputs", "a.yaml", minimal_meeting())
    write_meeting(workspace / "inputs", "b.yaml", minimal_meeting())
    log = workspace / "watch.log"
    with log.open("w") as stream:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "briefing", "watch", "--interval", "0.2", "-j", "1",
             "-l", "brief"], cwd=workspace, stderr=stream, stdout=stream)
    try:
        def wait_for(condition, what):
            conftest_wait_for(condition, what, watcher, log, 180)

        def watching(times):
            return lambda: log.read_text().count("watching for changes") >= times

        wait_for(watching(1), "the first build")
        assert "built       output/b/brief-internal.pdf" in log.read_text()
        write_meeting(workspace / "inputs", "a.yaml", minimal_meeting(summary="Changed."))
        wait_for(watching(2), "the rebuild after a save")
        text = log.read_text()
        assert text.count("built       output/a/brief-internal.pdf") == 2, text
        assert "up to date  output/b" not in text  # b was not rebuilt, and is not listed
        assert "1 built, 1 up to date, 0 failed" in text
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)


def test_setup_waits_for_the_package_lock_instead_of_failing(tmp_path):
    # A copy of scripts/setup on a machine that lacks the system libraries, with stand-ins
    # for dpkg-query and apt-get that record how they were called.
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "setup", tmp_path / "scripts" / "setup")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    for name, body in (("dpkg-query", "exit 1"), ("apt-get", f'echo "$*" >> {calls}'),
                       ("sudo", '"$@"'), ("id", "echo 0")):
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("#!/bin/sh\nexit 0\n")
    venv_python.chmod(0o755)
    (tmp_path / ".venv" / ".briefing-installed").touch()
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "setup")], capture_output=True,
                            text=True, timeout=60,
                            env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert "waits up to 5 minutes" in result.stdout
    recorded = calls.read_text().splitlines()
    assert len(recorded) == 2
    assert all(line.startswith("-o DPkg::Lock::Timeout=300 ") for line in recorded), recorded
    assert "libpango-1.0-0" in recorded[1]


# The command as its script runs it, with an exit handler and an object whose finaliser
# speaks only when Python's teardown frees it.
COMMAND_WITH_PROBES = """
import atexit, sys, threading
atexit.register(lambda: print("exit handler ran", flush=True))
class FreedAtTeardown:
    def __del__(self):
        print("teardown ran", flush=True)
kept = FreedAtTeardown()
if sys.argv[1] == "thread":
    release = threading.Event()  # set as Python's shutdown begins, before it joins threads
    threading.Thread(target=release.wait).start()
    threading._register_atexit(release.set)
sys.argv = ["briefing", *sys.argv[2:]]
from briefing.cli import run
run()
"""


@pytest.mark.parametrize(("command", "code"), [(["--version"], 0), (["check", "nope.yaml"], 1),
                                                (["nosuch"], 2)])
def test_the_command_ends_without_pythons_teardown_keeping_its_exit_handlers(workspace,
                                                                            command, code):
    """After a build, Python's teardown frees WeasyPrint's objects one by one for about
    0.15 s; the command skips it, but still runs exit handlers and keeps its status."""
    result = run_python(COMMAND_WITH_PROBES, "plain", *command, cwd=workspace)
    assert result.returncode == code, result.stderr
    assert "exit handler ran" in result.stdout
    assert "teardown ran" not in result.stdout
    assert ("briefing, version" in result.stdout) == (command == ["--version"])  # flushed


def test_the_command_ends_as_usual_while_a_thread_it_must_wait_for_runs(workspace):
    result = run_python(COMMAND_WITH_PROBES, "thread", "--version", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("exit handler ran") == 1
    assert "teardown ran" in result.stdout
