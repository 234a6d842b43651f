"""Paths from the command line: pipes never block, layout names are folder names checked up
front, -C is the base of relative paths, `briefing new` writes no machine path, and setup
installs what `python3 -m venv` needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, minimal_meeting, run_cli, run_python, write_meeting

# --- a pipe named as a meeting file ------------------------------------------------------

@pytest.mark.parametrize("command", ["check", "build"])
def test_a_fifo_named_on_the_command_line_is_an_error_not_a_hang(workspace, command):
    os.mkfifo(workspace / "inputs" / "pipe.yaml")
    result = subprocess.run([sys.executable, "-m", "briefing", command, "inputs/pipe.yaml"],
                            cwd=workspace, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert ("error: inputs/pipe.yaml: is not a regular file (a pipe, device or socket)"
            in result.stderr)
    assert "Traceback" not in result.stderr


def test_file_hasher_does_not_block_on_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "file").write_bytes(b"abc")
    code = ("import sys\nfrom briefing.batch.freshness import FileHasher\n"
            "h = FileHasher()\nprint(h.digest(sys.argv[1]))\nprint(h.digest(sys.argv[2]))\n")
    result = run_python(code, str(tmp_path / "pipe"), str(tmp_path / "file"), timeout=30)
    assert result.returncode == 0, result.stderr
    pipe, regular = result.stdout.split("\n")[:2]
    assert pipe == "not a regular file"
    assert regular == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- layout names ------------------------------------------------------------------------

def broken_meeting(workspace: Path) -> None:
    """A meeting with an error: if it is reported, the meetings were read before the layout
    name was checked."""
    write_meeting(workspace / "inputs", "m.yaml", "meeting:\n  title: A\n  date: 2025-01-01\n")


@pytest.mark.parametrize("name", ["../pack", "pack/../brief", "/tmp/pack", ".hidden", ""])
def test_a_layout_name_that_is_a_path_is_refused_before_reading(workspace, name):
    broken_meeting(workspace)
    result = run_cli("build", "-l", name, "-l", "pack", cwd=workspace)
    assert result.returncode == 1
    assert f"error: layout name `{name}` is not allowed" in result.stderr
    assert "venue" not in result.stderr
    assert not (workspace / "output").exists()
    assert not (workspace / "pack-internal.pdf").exists()


def test_an_unknown_layout_lists_the_available_ones_before_reading(workspace):
    broken_meeting(workspace)
    (workspace / "layouts" / "glossy").mkdir(parents=True)
    (workspace / "layouts" / "glossy" / "layout.html").write_text("{% extends 'base/base.html' %}")
    result = run_cli("build", "-l", "nosuch", cwd=workspace)
    assert result.returncode == 1
    assert ("error: layout `nosuch` not found; available layouts: brief, glossy, large-print, "
            "pack") in result.stderr
    assert "venue" not in result.stderr and "output" not in result.stderr
    # The workspace's own layout is available.
    result = run_cli("build", "-l", "glossy", cwd=workspace)
    assert "venue" in result.stderr and "not found" not in result.stderr


def test_briefing_toml_layouts_are_checked_too(workspace):
    from briefing.config import load_config
    from briefing.errors import BriefingError

    (workspace / "briefing.toml").write_text('build = ["pack", "../../etc"]\n')
    with pytest.raises(BriefingError, match="layout name `../../etc` is not allowed"):
        load_config(workspace)
    (workspace / "briefing.toml").write_text('build = ["pack", "posh"]\n')
    with pytest.raises(BriefingError, match="layout `posh` not found; available layouts: "
                                            "brief, large-print, pack"):
        load_config(workspace)


# --- -C DIR ------------------------------------------------------------------------------

def test_files_and_output_are_relative_to_the_workspace(tmp_path):
    workspace = tmp_path / "ws"
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("check", "-C", str(workspace), "inputs/m.yaml", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    result = run_cli("build", "-C", "../ws", "inputs/m.yaml", "-o", "packs", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (workspace / "packs" / "m" / "pack-internal.pdf").is_file()
    assert not (elsewhere / "packs").exists()


# --- briefing new ------------------------------------------------------------------------

def test_new_links_the_workspace_schema_relative_to_the_file(workspace):
    (workspace / "meeting.schema.json").write_text(
        run_cli("schema", cwd=workspace).stdout, encoding="utf-8")
    for name, expected in (("inputs/x.yaml", "../meeting.schema.json"),
                           ("inputs/2025/y.yaml", "../../meeting.schema.json"),
                           ("z.yaml", "meeting.schema.json")):
        result = run_cli("new", name, cwd=workspace)
        assert result.returncode == 0, result.stderr
        text = (workspace / name).read_text(encoding="utf-8")
        assert text.splitlines()[0] == f"# yaml-language-server: $schema={expected}"
        assert str(workspace) not in text and "file://" not in text
        assert ((workspace / name).parent / expected).resolve() == \
            (workspace / "meeting.schema.json").resolve()
        check = run_cli("check", name, cwd=workspace)
        assert check.returncode == 0, check.stderr + check.stdout


def test_new_without_a_schema_says_how_to_make_one(workspace):
    result = run_cli("new", "inputs/x.yaml", cwd=workspace)
    assert result.returncode == 0, result.stderr
    text = (workspace / "inputs" / "x.yaml").read_text(encoding="utf-8")
    assert "$schema" not in text and "file://" not in text and str(REPO) not in text
    assert "briefing schema > meeting.schema.json" in text
    assert yaml.safe_load(text)["meeting"]["title"]
    check = run_cli("check", "inputs/x.yaml", cwd=workspace)
    assert check.returncode == 0, check.stderr + check.stdout


# --- scripts/setup -----------------------------------------------------------------------

FAKE_TOOLS = {
    # Every Debian package is installed already, so only python3-venv can be missing.
    "dpkg-query": "#!/bin/sh\nprintf 'install ok installed'\n",
    "apt-get": '#!/bin/sh\necho "apt-get $*" >> "$LOG"\n',
    "sudo": '#!/bin/sh\nexec "$@"\n',
}
FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "-c" ]; then {ensurepip}; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && printf '#!/bin/sh\\nexit 0\\n' > "$3/bin/python" && chmod +x "$3/bin/python"
fi
exit 0
"""


@pytest.mark.parametrize("has_ensurepip", [False, True])
def test_setup_installs_python3_venv_only_when_venv_cannot_work(tmp_path, has_ensurepip):
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "scripts" / "setup").write_bytes((REPO / "scripts" / "setup").read_bytes())
    (project / "scripts" / "setup").chmod(0o755)
    (project / "pyproject.toml").write_text("")
    tools = tmp_path / "bin"
    tools.mkdir()
    for name, text in {**FAKE_TOOLS, "python3": FAKE_PYTHON.format(
            ensurepip="exit 0" if has_ensurepip else "exit 1")}.items():
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    log = tmp_path / "log"
    result = subprocess.run(["bash", "scripts/setup"], cwd=project, capture_output=True,
                            text=True, timeout=60,
                            env={**os.environ, "PATH": f"{tools}:/usr/bin:/bin", "LOG": str(log),
                                 "PYTHON": str(tools / "python3")})
    assert result.returncode == 0, result.stderr
    installs = log.read_text() if log.exists() else ""
    if has_ensurepip:
        assert installs == ""
    else:
        assert "install" in installs and "python3-venv" in installs.split()


def test_readme_lists_the_packages_setup_installs():
    setup = (REPO / "scripts" / "setup").read_text()
    listed = setup.split("system_packages=(")[1].split(")")[0].split() + ["python3-venv"]
    readme = (REPO / "README.md").read_text()
    sentence = readme[readme.index("Setup (`scripts/setup`)"):].split("\n\n")[0]
    for package in listed:
        assert f"`{package}`" in sentence
