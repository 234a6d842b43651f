"""Many meetings: incremental by content, parallel, sharded, atomic, locked and watched.

One module-scoped workspace of 9 tiny meetings is built once; tests that change it work on
copies, so the suite renders as few PDFs as it can.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (
    ENDLESS_LAYOUT,
    REPO,
    minimal_meeting,
    pdf_pages,
    run_cli,
    run_python,
    write_meeting,
)
from conftest import wait_for as conftest_wait_for

COUNT = 9  # enough for three shards to each get a real share (3, 3 and 2 packs)
BROKEN = 6  # the meeting the shards test breaks
CONFIG = """\
# the workspace's defaults; flags override them
[briefing]
output = "packs"
build = ["pack"]
editions = ["internal"]
jobs = 2
"""


def meeting(index: int, title: str = "Meeting") -> dict:
    extra = {"attendance": [{"group": "Residents", "count": 12}]} if index == 0 else {}
    if index == 1:
        extra["summary"] = "Residents asked for *more* patrols - [the ward plan](https://example.org)."
    return minimal_meeting(meeting={"title": f"{title} {index:02}", "date": "2025-07-12",
                                    "venue": "Test hall"}, **extra)


def make_workspace(root: Path) -> Path:
    for index in range(COUNT):
        write_meeting(root / "inputs", f"m{index:02}.yaml", meeting(index))
    (root / "briefing.toml").write_text(CONFIG, encoding="utf-8")
    # the workspace's own copy of the pack layout, as the pack layout's comment suggests
    shutil.copytree(REPO / "layouts" / "pack", root / "layouts" / "pack")
    (root / "layouts" / "other").mkdir()
    (root / "layouts" / "other" / "layout.html").write_text("<p>{{ meeting.title }}</p>\n")
    return root


def pdfs(root: Path) -> dict[str, bytes]:
    return {path.parent.name: path.read_bytes() for path in (root / "packs").glob("*/*.pdf")}


def output_lines(stderr: str, word: str) -> list[str]:
    return sorted(line.split()[1] for line in stderr.splitlines() if line.startswith(word + " "))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """COUNT meetings built once with `jobs = 2` from briefing.toml: (root, result, PDF bytes)."""
    root = make_workspace(tmp_path_factory.mktemp("fleet"))
    result = run_cli("build", cwd=root)
    return root, result, pdfs(root)


@pytest.fixture
def fleet_copy(fleet, tmp_path):
    root, _result, _bytes = fleet
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    return copy


def test_first_build_makes_every_pack(fleet):
    root, result, built = fleet
    assert result.returncode == 0, result.stderr
    assert f"{COUNT} built, 0 up to date, 0 failed" in result.stderr
    # not a terminal: one plain line per output
    assert output_lines(result.stderr, "built") == [
        f"packs/m{index:02}/pack-internal.pdf" for index in range(COUNT)]
    assert sorted(built) == [f"m{index:02}" for index in range(COUNT)]
    for index in (0, 7, COUNT - 1):
        assert f"Meeting {index:02}" in pdf_pages(root / "packs" / f"m{index:02}" /
                                                  "pack-internal.pdf")[0]
    assert not (root / "output").exists()  # `output` in briefing.toml was used


def test_second_build_skips_all_without_loading_the_renderers(fleet):
    root, _result, before = fleet
    code = ("import sys\nfrom briefing.cli import main\nsys.argv = ['briefing', 'build']\n"
            "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
            "import multiprocessing.forkserver as server\n"
            "print('\\n'.join(sys.modules))\nprint('server', server._forkserver._forkserver_pid)\n"
            "sys.exit(code)\n")
    result = run_python(code, cwd=root)
    assert result.returncode == 0, result.stderr
    assert f"0 built, {COUNT} up to date, 0 failed" in result.stderr
    assert len(output_lines(result.stderr, "up")) == COUNT  # "up to date  <output>"
    modules = set(result.stdout.split())
    assert "weasyprint" not in modules and "matplotlib" not in modules
    assert "server None" in result.stdout  # nor the workers' fork server
    assert pdfs(root) == before


@pytest.mark.parametrize(("meetings", "flags", "starts"), [
    (2, ["-j", "2"], True),  # nothing built yet: workers will render, start their server now
    (1, ["-j", "2"], False),  # one output renders in the build's own process
    (2, ["-j", "1"], False),
])
def test_the_fork_server_starts_before_the_meetings_are_read(tmp_path, meetings, flags, starts):
    for index in range(meetings):
        write_meeting(tmp_path / "inputs", f"m{index}.yaml", meeting(index))
    code = ("import sys\nfrom briefing.config import load_config\n"
            "from briefing.batch.forkserver import start_early\n"
            f"start_early(load_config(sys.argv[1], build=('pack',), editions=('internal',), "
            f"jobs={flags[1]}), None)\n"
            "import multiprocessing.forkserver as server\n"
            "print(server._forkserver._forkserver_pid is not None)\n"
            "print('weasyprint' in sys.modules, 'briefing.meeting.models' in sys.modules)\n")
    result = run_python(code, str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(starts), "False", "False"]  # and nothing heavy here


def test_fresh_clone_with_new_timestamps_is_up_to_date(fleet, tmp_path):
    root, _result, before = fleet
    clone = tmp_path / "clone"  # another path, and every file newer than before
    shutil.copytree(root, clone, copy_function=shutil.copy)
    for path in (clone / "inputs").iterdir():
        os.utime(path, (time.time() + 60, time.time() + 60))
    result = run_cli("build", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert f"0 built, {COUNT} up to date" in result.stderr
    assert pdfs(clone) == before


def test_an_up_to_date_build_parses_no_template_and_no_markdown(fleet):
    """Reading a layout's `{% extends %}` and clearing prose of deep Markdown is done
    without Jinja or markdown-it, which are most of an up-to-date build's time after reading."""
    root, _result, _before = fleet
    code = ("import sys\nfrom briefing.cli import main\nsys.argv = ['briefing', 'build']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(' '.join(m for m in ('jinja2', 'markdown_it', 'weasyprint') if m in sys.modules)"
            " or 'light')\n")
    result = run_python(code, cwd=root)
    assert f"0 built, {COUNT} up to date" in result.stderr, result.stderr
    assert result.stdout.split() == ["light"]


def test_changing_one_meeting_rebuilds_only_its_pack(fleet, fleet_copy):
    _root, _result, before = fleet
    path = fleet_copy / "inputs" / "m07.yaml"
    old = path.stat()
    write_meeting(fleet_copy / "inputs", "m07.yaml", meeting(7, title="Changed"))
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))  # same mtime: content decides
    result = run_cli("build", "-v", cwd=fleet_copy)
    assert result.returncode == 0, result.stderr
    assert f"1 built, {COUNT - 1} up to date" in result.stderr
    assert "changed: inputs/m07.yaml" in result.stderr  # says why
    after = pdfs(fleet_copy)
    assert [name for name in after if after[name] != before[name]] == ["m07"]
    assert "Changed 07" in pdf_pages(fleet_copy / "packs" / "m07" / "pack-internal.pdf")[0]


def test_layout_change_rebuilds_its_users_and_bytes_do_not_depend_on_jobs(fleet, fleet_copy):
    _root, _result, built_with_two = fleet
    (fleet_copy / "layouts" / "other" / "layout.html").write_text("<p>changed</p>\n")
    result = run_cli("build", cwd=fleet_copy)
    assert f"0 built, {COUNT} up to date" in result.stderr, result.stderr  # no pack uses `other`

    with (fleet_copy / "layouts" / "pack" / "pack.css").open("a") as css:
        css.write("\n/* reviewed by the comms team */\n")  # new bytes, same rendering
    result = run_cli("build", "-j", "1", cwd=fleet_copy)
    assert result.returncode == 0, result.stderr
    assert f"{COUNT} built, 0 up to date" in result.stderr
    assert pdfs(fleet_copy) == built_with_two  # -j 1 gives the bytes -j 2 gave


def test_shards_split_the_outputs_and_a_broken_meeting_fails_alone(fleet, tmp_path):
    root = tmp_path / "broken"
    shutil.copytree(fleet[0], root, ignore=shutil.ignore_patterns("packs"))
    write_meeting(root / "inputs", f"m{BROKEN:02}.yaml",
                  "meeting:\n  title: Broken\n  date: 2025-07-12\n")
    # three shards at once in one workspace: the lock makes them take turns
    shards = [subprocess.Popen([sys.executable, "-m", "briefing", "build", "--shard",
                                f"{k}/3", "-j", "1"], cwd=root, stderr=subprocess.PIPE,
                               text=True) for k in (1, 2, 3)]
    outcomes = [(shard.wait(timeout=300), shard.stderr.read()) for shard in shards]
    built = [output_lines(stderr, "built") for _code, stderr in outcomes]
    everyone = sorted(sum(built, []))
    assert everyone == sorted(set(everyone)), "an output was built by two shards"
    assert everyone == [f"packs/m{i:02}/pack-internal.pdf" for i in range(COUNT) if i != BROKEN]
    assert all(len(share) >= 2 for share in built)  # each shard got a real share
    broken = [code for code, stderr in outcomes if f"inputs/m{BROKEN:02}.yaml" in stderr]
    assert broken == [1], outcomes  # reported once, by the shard that owns it
    assert sorted(code for code, _ in outcomes) == [0, 0, 1]

    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert f"0 built, {COUNT - 1} up to date, 1 failed" in result.stderr
    assert f"error: inputs/m{BROKEN:02}.yaml:1:1: missing required key `venue`" in result.stderr
    assert len(pdfs(root)) == COUNT - 1 and f"m{BROKEN:02}" not in pdfs(root)


def test_killed_build_leaves_old_or_new_pdfs_never_a_torn_one(fleet, fleet_copy):
    from pypdf import PdfReader

    _root, _result, old = fleet
    for index in range(COUNT):
        write_meeting(fleet_copy / "inputs", f"m{index:02}.yaml", meeting(index, "Revised"))
    # Each meeting is built in its pack, then in a layout that never finishes: the build is
    # still running when it is killed, however late this test sees the first new PDF.
    (fleet_copy / "layouts" / "endless").mkdir()
    (fleet_copy / "layouts" / "endless" / "layout.html").write_text(ENDLESS_LAYOUT)
    build = subprocess.Popen([sys.executable, "-m", "briefing", "build", "-j", "1",
                              "-l", "pack", "-l", "endless"],
                             cwd=fleet_copy, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and pdfs(fleet_copy) == old:
        time.sleep(0.02)
    build.send_signal(signal.SIGKILL)
    build.wait()
    now = pdfs(fleet_copy)
    assert len(now) == COUNT
    replaced = [name for name in now if now[name] != old[name]]
    assert 1 <= len(replaced) < COUNT, "the build was not killed part-way"
    for name in replaced:  # every new file is a whole, readable PDF with the new text
        text = PdfReader(fleet_copy / "packs" / name / "pack-internal.pdf").pages[0]
        assert "Revised" in text.extract_text()

    # back to the old text: only the replaced packs are stale, and leftovers are cleared
    for index in range(COUNT):
        write_meeting(fleet_copy / "inputs", f"m{index:02}.yaml", meeting(index))
    (fleet_copy / "packs" / "m03" / ".pack-internal.pdf.1234.part").write_bytes(b"%PDF-1.")
    result = run_cli("build", "-j", "1", cwd=fleet_copy)
    assert result.returncode == 0, result.stderr
    assert f"{len(replaced)} built, {COUNT - len(replaced)} up to date" in result.stderr
    assert pdfs(fleet_copy) == old
    assert not list((fleet_copy / "packs").glob("*/.*.part"))


@pytest.mark.parametrize("moment", ["forced, while workers start", "forced, while workers render",
                                    "incremental, while workers render"])
def test_ctrl_c_stops_a_parallel_build_cleanly(fleet, fleet_copy, moment):
    """Ctrl-C reaches the whole process group (parent, fork server, workers): one message,
    exit code 130, no traceback from any process, no torn file, no process left behind.
    It is sent on a definite event, a line of the build's own log: as it starts its workers
    (the moment a Ctrl-C was once lost), or once it has written a PDF. Each meeting is also
    built in a layout that never finishes, so the build is still running when the Ctrl-C
    comes, however slowly this test reads its log."""
    _root, _result, old = fleet
    for index in range(COUNT):
        write_meeting(fleet_copy / "inputs", f"m{index:02}.yaml", meeting(index, "Revised"))
    (fleet_copy / "layouts" / "endless").mkdir()
    (fleet_copy / "layouts" / "endless" / "layout.html").write_text(ENDLESS_LAYOUT)
    force = ["--force"] if moment.startswith("forced") else []
    build = subprocess.Popen([sys.executable, "-m", "briefing", "build", "-j", "2", "-v",
                              "-l", "pack", "-l", "endless", *force],
                             cwd=fleet_copy, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    awaited = "starting 2 render workers" if moment.endswith("start") else "built "
    seen = []
    try:
        for line in build.stderr:
            seen.append(line)
            if line.startswith(awaited):
                break
        assert seen and seen[-1].startswith(awaited), "".join(seen[-20:])
        os.killpg(build.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        _stdout, stderr = build.communicate(timeout=120)
        assert _group_ends(build.pid, within=60), "a process of the build was left running"
    finally:  # a build that ignored the Ctrl-C must not render endlessly through the suite
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.pid, signal.SIGKILL)
        if build.returncode is None:
            build.wait(timeout=60)
    assert build.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr, stderr
    assert "error: interrupted" in stderr
    assert not list((fleet_copy / "packs").glob("*/.*.part"))
    for pdf in (fleet_copy / "packs").glob("*/*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF-") and pdf.read_bytes().rstrip().endswith(
            b"%%EOF")


# Code that starts the workers' fork server and names its module `server`.
SERVER_STARTED = ("from briefing.batch.forkserver import worker_context\n"
                  "worker_context(multiprocessing)\n"
                  "import multiprocessing.forkserver as server\n")


def test_a_ctrl_c_as_the_fork_server_starts_does_not_stop_it():
    """The fork server is sent SIGINT (as a terminal's Ctrl-C reaches the whole process
    group) the moment it has been started, while it imports WeasyPrint: it is deaf to it
    from birth, says nothing, and still forks workers."""
    code = ("import multiprocessing, os, signal\nfrom multiprocessing.connection import wait\n"
            + SERVER_STARTED +
            "started = server._forkserver._forkserver_pid\n"
            "os.kill(started, signal.SIGINT)\n"
            "sentinel, pipe = server.connect_to_new_process([])\n"
            "os.close(pipe)\n"
            "print(wait([sentinel], timeout=60) == [sentinel])\n"
            "print(server._forkserver._forkserver_pid == started,"
            " os.waitpid(started, os.WNOHANG) == (0, 0))\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    # the same server, still running, forked the worker
    assert result.stdout.split() == ["True", "True", "True"], result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_the_fork_server_ends_with_its_build_without_pythons_shutdown(tmp_path):
    """The server shares the build's stderr, so whoever reads a build's output waits for the
    server to end too: it skips Python's exit handlers and shutdown (0.1 to 0.3 s with
    WeasyPrint loaded). A handler registered before the preload, as a site module would, must
    not run when the build has gone and the server ends; the server still removes the
    temporary config folder matplotlib makes where none is writable. Any other process that
    imports the preload ends as usual: its own handlers run and its exit status stands."""
    probe, ran = tmp_path / "probe", tmp_path / "ran.txt"
    probe.mkdir()
    # a temporary folder of its own, with a short path: the server's socket is made in it
    temporary = Path(tempfile.mkdtemp(prefix="briefing-test-"))
    (tmp_path / "not-a-folder").write_text("")  # as MPLCONFIGDIR: matplotlib makes its own
    (probe / "sitecustomize.py").write_text(
        "import atexit, os, sys\n"
        "if any('from multiprocessing.forkserver import main' in arg for arg in sys.orig_argv):\n"
        "    atexit.register(lambda: open(os.environ['PROBE_RAN'], 'a').write('shut down\\n'))\n")
    code = ("import atexit, multiprocessing, os, sys\n"
            "from multiprocessing.connection import wait\n"
            + SERVER_STARTED +
            "sentinel, pipe = server.connect_to_new_process([])\n"  # the server is up
            "os.close(pipe)\n"
            "print(wait([sentinel], timeout=60) == [sentinel])\n"
            "import briefing.batch.preload\n"  # here, not in the server: nothing changes
            "atexit.register(print, 'handlers ran')\n"
            "sys.exit(3)\n")
    search = os.pathsep.join(filter(None, [str(probe), os.environ.get("PYTHONPATH")]))
    result = run_python(code, env={"PYTHONPATH": search, "PROBE_RAN": str(ran),
                                   "MPLCONFIGDIR": str(tmp_path / "not-a-folder"),
                                   "TMPDIR": str(temporary)})
    assert result.returncode == 3, result.stderr
    assert "Matplotlib created a temporary cache directory" in result.stderr
    left = list(temporary.glob("matplotlib-*"))
    shutil.rmtree(temporary, ignore_errors=True)
    assert not left, "a temporary config folder was left"
    assert result.stdout.split() == ["True", "handlers", "ran"], result.stdout + result.stderr
    # run_python returned when the server closed the shared stderr as it ended: any exit
    # handler it ran had run by then
    assert not ran.exists(), "the fork server ran Python's exit handlers"


def test_a_worker_whose_build_was_stopped_as_it_started_ends_quietly():
    """The race behind a Ctrl-C while workers start, made certain: the fork server forks a
    worker, and the build's end of the worker's pipe closes before the worker is told
    anything. The worker ends without a traceback (the build has already said
    "interrupted")."""
    code = ("import multiprocessing, os\nfrom multiprocessing.connection import wait\n"
            + SERVER_STARTED +
            "sentinel, pipe = server.connect_to_new_process([])\n"
            "os.close(pipe)\n"
            "print(wait([sentinel], timeout=60) == [sentinel])\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert "Traceback" not in result.stderr, result.stderr


def test_workers_fork_with_what_a_first_render_loads_already_loaded():
    """A worker forked from the preloaded server finds the stages a render imports already
    imported, every built-in layout's templates compiled and WeasyPrint's C types parsed
    (where they are not compiled: see test_imports), instead of each worker doing it again."""
    templates = len(list((REPO / "layouts").rglob("*.html")))
    check = ("import sys\n"
             "from briefing.rendering.renderer import RENDER_STAGES\n"
             "missing = [name for name in RENDER_STAGES if name not in sys.modules]\n"
             "from briefing.rendering.templating import _compiled_templates\n"
             "from briefing.rendering.pdf import _RENDER_C_TYPES\n"
             "from weasyprint.text.ffi import ffi\n"
             # An FFI loaded from compiled declarations (test_imports) reads type names
             # without parsing them; one that parses them must have them parsed already.
             "unparsed = [] if type(ffi).__name__ == 'DeclaredFFI' else [\n"
             "    name for name in _RENDER_C_TYPES if name not in ffi._parsed_types]\n"
             f"sys.exit(0 if not missing and not unparsed and len(_compiled_templates().code)"
             f" == {templates} else 3)\n")
    code = ("import multiprocessing, sys\n"
            "from briefing.batch.forkserver import worker_context\n"
            "context = worker_context(multiprocessing)\n"
            "worker = context.Process(target=exec, args=(sys.argv[1], {}))\n"
            "worker.start(); worker.join(60)\n"
            "print(worker.exitcode)\n")
    result = run_python(code, check)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0"], result.stdout + result.stderr


def _group_ends(group: int, within: float) -> bool:
    """Whether every process of a process group has ended within a time. (One that has ended
    but whose parent ended first waits, a zombie, for the system's first process to reap it:
    in some containers that takes seconds. It runs nothing, so it counts as ended.)"""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _running_in_group(group):
            return True
        time.sleep(0.1)
    return False


def _running_in_group(group: int) -> bool:
    """Whether a process of the group is running (on Linux, read from /proc; elsewhere, any
    process of the group that has not been reaped counts)."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it has just gone
            continue
        state, _parent, process_group = stat[stat.rindex(")") + 2:].split()[:3]
        if int(process_group) == group and state != "Z":
            return True
    return False


def test_a_second_build_waits_for_the_lock(fleet):
    root = fleet[0]
    with open(root / "packs" / ".briefing.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = subprocess.Popen([sys.executable, "-m", "briefing", "build"], cwd=root,
                                   stderr=subprocess.PIPE, text=True)
        # On an event, not a time: the build says it is waiting, and is then blocked on the
        # lock we hold, so it cannot have finished.
        said = []
        for line in waiting.stderr:  # ends at the message, or when the build ends without it
            said.append(line)
            if "another briefing build is writing" in line:
                break
        assert waiting.poll() is None, "the build did not wait for the lock: " + "".join(said)
        fcntl.flock(lock, fcntl.LOCK_UN)
    stderr = "".join(said) + waiting.stderr.read()
    assert waiting.wait(timeout=60) == 0, stderr
    assert "another briefing build is writing" in stderr
    assert f"0 built, {COUNT} up to date" in stderr


@pytest.mark.parametrize("how", [[], ["--poll"]], ids=["notified", "polling"])
def test_watch_rebuilds_on_save_and_survives_a_broken_save(workspace, how):
    write_meeting(workspace / "inputs", "m.yaml", meeting(1, "First"))
    shutil.copytree(REPO / "layouts" / "pack", workspace / "layouts" / "pack")
    template = workspace / "layouts" / "pack" / "layout.html"
    target = workspace / "output" / "m" / "pack-internal.pdf"
    log = workspace / "watch.log"
    with log.open("w") as stream:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "briefing", "watch", "--interval", "0.2", "-j", "1", "-v",
             "-l", "pack", "-e", "internal", *how],
            cwd=workspace, stderr=stream, stdout=stream)
    try:
        def wait_for(condition, what):
            conftest_wait_for(condition, what, watcher, log, 120)

        def pdf_says(text):
            return lambda: target.is_file() and text in " ".join(pdf_pages(target))

        wait_for(pdf_says("First 01"), "the first build")
        write_meeting(workspace / "inputs", "m.yaml", meeting(1, "Second"))
        wait_for(pdf_says("Second 01"), "the rebuild after a save")
        write_meeting(workspace / "inputs", "m.yaml", "meeting:\n  title: [unclosed\n")
        wait_for(lambda: "error: inputs/m.yaml:" in log.read_text(), "the error")
        write_meeting(workspace / "inputs", "m.yaml", meeting(1, "Third"))
        wait_for(pdf_says("Third 01"), "the rebuild after fixing the file")
        # Rebuilds after meeting saves keep the renderers (fonts, templates) warm ...
        assert "starting the renderers afresh" not in log.read_text()
        assert "Traceback" not in log.read_text()
        if how:  # the rest is the same whether told of saves or polling
            return
        # ... and a saved layout file makes new ones: the rebuild shows the edit.
        template.write_text(template.read_text(encoding="utf-8").replace(
            '"What we heard"', '"What residents told us"'), encoding="utf-8")
        wait_for(pdf_says("What residents told us"), "the rebuild after a layout edit")
        assert log.read_text().count("starting the renderers afresh") == 1
        assert "Traceback" not in log.read_text()
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)


def test_pdf_is_readable_by_others(fleet):
    mode = (fleet[0] / "packs" / "m00" / "pack-internal.pdf").stat().st_mode
    assert mode & 0o044 == 0o044 & ~_umask()


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_records_name_inputs_by_workspace_relative_path(fleet):
    record = (fleet[0] / "packs" / "m00" / ".pack-internal.pdf.inputs.json").read_text()
    assert str(fleet[0]) not in record  # nothing machine-specific: a CI cache can carry it
    assert hashlib.sha256((fleet[0] / "inputs" / "m00.yaml").read_bytes()).hexdigest() in record


def test_watch_looks_only_at_the_folders_a_build_reads(workspace):
    """The workspace itself (for briefing.toml), inputs/ and layouts/ with their subfolders;
    never output/, hidden folders or a virtual environment, however many folders they hold."""
    from briefing.batch.watching import watched_files, watched_folders
    from briefing.config import load_config

    for folder in ("inputs/2025", "inputs/.git/objects", "layouts/mine/css", ".venv/lib/site",
                   "output/m", "notes", "elsewhere/data/.hidden"):
        (workspace / folder).mkdir(parents=True)
    write_meeting(workspace / "inputs" / "2025", "m.yaml", meeting(1))
    (workspace / "layouts" / "mine" / "layout.html").write_text("{% extends 'base/base.html' %}")
    (workspace / "inputs" / ".m.yaml.swp").write_text("swap")
    (workspace / "inputs" / "m.yaml~").write_text("backup")
    (workspace / "notes" / "todo.txt").write_text("not an input")
    (workspace / "README.md").write_text("not an input")
    config = load_config(workspace)
    folders = {path.relative_to(workspace.resolve()).as_posix()
               for path in watched_folders(workspace, config) if path.is_relative_to(workspace.resolve())}
    assert folders == {".", "inputs", "inputs/2025", "layouts", "layouts/mine", "layouts/mine/css"}
    files = {path.relative_to(workspace.resolve()).as_posix() for path in watched_files(workspace, config)
             if path.is_relative_to(workspace.resolve())}
    assert files == {"inputs/2025/m.yaml", "layouts/mine/layout.html"}
    (workspace / "briefing.toml").write_text('build = ["pack"]\n')
    assert workspace.resolve() / "briefing.toml" in watched_files(workspace, config)
    # `serve elsewhere/m.yaml`: that meeting's folder and the folders under it, too.
    write_meeting(workspace / "elsewhere", "m.yaml", meeting(2))
    (workspace / "elsewhere" / "data" / "x.csv").write_text("Year,Count\n2025,1\n")
    also = [workspace / "elsewhere"]
    assert {"elsewhere", "elsewhere/data"} <= {
        path.relative_to(workspace.resolve()).as_posix()
        for path in watched_folders(workspace, config, also) if path.is_relative_to(workspace.resolve())}
    assert {workspace.resolve() / "elsewhere" / "m.yaml",
            workspace.resolve() / "elsewhere" / "data" / "x.csv"} <= set(watched_files(workspace, config, also))
