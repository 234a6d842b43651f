"""Each render runs under a time and a memory limit, in a worker process (-j 2 or more) or in the
build's own process (one output, or -j 1): one that runs out of time, or whose worker is
killed, fails alone and the rest of the batch is built."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ENDLESS_LAYOUT, pdf_pages, run_cli, run_python, write_meeting

HEAD = "meeting:\n  title: {title}\n  date: 2025-07-12\n  venue: Hall\n"


def heavy_meeting() -> str:
    """A meeting within every limit that still takes minutes to render: three charts of 500
    categories by 10 series (each over a minute to draw on an idle core)."""
    values = ", ".join(f"c{i}" for i in range(500))
    data = "".join(
        f"  - id: d{k}\n    title: Heavy {k}\n    source: s\n    categories: [{values}]\n"
        "    series:\n" + "".join(f"      s{j}: [" + ", ".join(str(i + j + k) for i in range(500))
                                 + "]\n" for j in range(10))
        for k in range(3))
    return HEAD.format(title="Heavy") + "data:\n" + data


@pytest.fixture
def batch(workspace: Path) -> Path:
    """inputs/a-heavy.yaml (rendered first) and three one-page meetings."""
    write_meeting(workspace / "inputs", "a-heavy.yaml", heavy_meeting())
    for index in range(3):
        write_meeting(workspace / "inputs", f"b{index}.yaml", HEAD.format(title=f"Small {index}"))
    return workspace


def small_packs(root: Path) -> list[str]:
    return sorted(path.parent.name for path in root.glob("output/*/pack-internal.pdf"))


@pytest.mark.parametrize(("jobs", "where"), [("1", "in this process"), ("2", "in worker")])
def test_a_render_over_the_time_limit_fails_alone_and_the_rest_build(batch, jobs, where):
    (batch / "briefing.toml").write_text("timeout = 600\n")  # the flag overrides the file
    # 3 s: each one-page meeting renders in about 0.2 s, the heavy one in minutes
    result = run_cli("build", "-j", jobs, "--timeout", "3", "-v", cwd=batch)
    assert result.returncode == 1, result.stderr
    assert f"rendering output/a-heavy/pack-internal.pdf {where}" in result.stderr
    assert ("error: output/a-heavy/pack-internal.pdf: rendering it took longer than the time "
            "limit of 3 s, so it was stopped; raise it with --timeout") in result.stderr
    assert "3 built, 0 up to date, 1 failed" in result.stderr
    assert small_packs(batch) == ["b0", "b1", "b2"]
    assert not list(batch.rglob("*.part"))  # nothing half-written is left
    assert "Traceback" not in result.stderr


def heavy_pack_handed_out(batch: Path, *flags: str) -> tuple[subprocess.Popen, int]:
    """A `build -j 2 -v` of the batch, once it says which worker renders the heavy pack;
    with that worker's process id."""
    build = subprocess.Popen([sys.executable, "-m", "briefing", "build", "-j", "2", "-v",
                              *flags], cwd=batch, stderr=subprocess.PIPE, text=True)
    awaited = "rendering output/a-heavy/pack-internal.pdf in worker "
    seen = []
    for line in build.stderr:
        seen.append(line)
        if line.startswith(awaited):
            return build, int(line.split()[-1])
    build.kill()
    pytest.fail("the heavy pack was never handed out:\n" + "".join(seen[-20:]))


def heavy_failed_and_the_rest_built(build: subprocess.Popen, batch: Path, why: str) -> None:
    """The build ends, the heavy pack failed for `why`, and the three small ones are built."""
    _stdout, stderr = build.communicate(timeout=300)
    assert build.returncode == 1, stderr[-3000:]
    assert f"error: output/a-heavy/pack-internal.pdf: {why}" in stderr
    assert "3 built, 0 up to date, 1 failed" in stderr
    assert small_packs(batch) == ["b0", "b1", "b2"]
    assert "Traceback" not in stderr


def ends(pid: int, within: float) -> bool:
    """Whether a process is gone, or has ended and is not yet reaped, within a time: one
    killed with much memory mapped is still running (R) while it unmaps it, for seconds on a
    busy machine."""
    deadline = time.monotonic() + within
    while process_state(pid) not in ("", "Z"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def process_state(pid: int) -> str:
    """A process's state letter ("R", "S", "Z"…), or "" once it is gone (Linux)."""
    status = Path(f"/proc/{pid}/stat")
    return status.read_text().rsplit(")", 1)[1].split()[0] if status.exists() else ""


def test_a_worker_killed_mid_render_fails_only_its_output(batch):
    """Killed as the out-of-memory killer would, once the build says it handed it the work."""
    build, worker = heavy_pack_handed_out(batch)
    os.kill(worker, signal.SIGKILL)
    heavy_failed_and_the_rest_built(build, batch, "the worker rendering it was killed (SIGKILL), "
                                    "perhaps for running out of memory; the memory limit is 2,048 MB")


def test_a_fork_server_killed_mid_render_leaves_its_workers_to_finish_under_the_time_limit(batch):
    """The server the workers fork from reports each worker's end: killed (as the
    out-of-memory killer might), it takes that with it, but the workers run on. The one
    rendering the heavy pack is still stopped at the time limit, and new workers, from a
    server started afresh, build the rest."""
    build, worker = heavy_pack_handed_out(batch, "--timeout", "3")
    server = int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(server, signal.SIGKILL)
    heavy_failed_and_the_rest_built(build, batch, "rendering it took longer than the time "
                                    "limit of 3 s, so it was stopped")
    assert ends(worker, within=60), process_state(worker)  # a killed process takes a moment


STOPPED_AFTER_THE_FORK_SERVER_DIED = """
import os, signal, sys, time
from multiprocessing.connection import wait
from pathlib import Path
from briefing.batch.workers import WorkerPool
from briefing.config import load_config
from briefing.meeting.series import SeriesLoader

config = load_config(Path("."))
loader = SeriesLoader(workspace=Path("."))
pool = WorkerPool(config, 2)
tasks = [(name, name, loader.series(loader.load(f"inputs/{name}.yaml")), "pack", "internal")
         for name in ("a-heavy", "b0", "b1")]
outcomes = pool.render(tasks)
next(outcomes)  # a small pack's: the heavy one is still rendering
(heavy,) = [worker for worker in pool.workers if worker.key == "a-heavy"]
server = int(Path(f"/proc/{heavy.process.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
os.kill(server, signal.SIGKILL)
assert wait([heavy.process.sentinel], 60), "the fork server's end was never seen"
outcomes.close()  # as Ctrl-C would, before the pool has looked at its workers again
pool.stop()
pid, deadline = heavy.process.pid, time.monotonic() + 60
state = lambda: (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                 if Path(f"/proc/{pid}/stat").exists() else "")
while state() not in ("", "Z") and time.monotonic() < deadline:  # SIGKILL takes a moment
    time.sleep(0.05)
print(state() or "gone")
if state() not in ("", "Z"):  # left running by the pool: stopped here, not left behind
    os.kill(pid, signal.SIGKILL)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork from a server")
def test_a_pool_stopped_just_after_its_fork_server_died_stops_its_workers(batch):
    """Its fork server gone, a worker is reported ended while it still renders: stopping the
    pool (Ctrl-C) must still stop it, or it runs on with no time limit."""
    result = run_python(STOPPED_AFTER_THE_FORK_SERVER_DIED, cwd=batch, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] in ("gone", "Z"), result.stdout


WORKERS_DEAD_BEFORE_THEIR_WORK = """
import json, os, signal
from pathlib import Path
from briefing.batch.workers import WorkerPool
from briefing.config import load_config
from briefing.meeting.series import SeriesLoader

config = load_config(Path("."))
loader = SeriesLoader(workspace=Path("."))

def rendered(pool, names):
    # Each named meeting's pack from the pool: "pdf", or why it failed.
    tasks = [(name, name, loader.series(loader.load(f"inputs/{name}.yaml")), "pack",
              "internal") for name in names]
    return {key: outcome if isinstance(outcome, str) else "pdf"
            for key, outcome, _seconds in pool.render(tasks)}

def outcomes(workers, names):
    pool = WorkerPool(config, workers)
    pool.starting.join()
    for worker in pool.workers:  # each has said it is ready (the pool reads that later)
        assert worker.connection.poll(60), "a worker never said it was ready"
    first = pool.workers[0].process
    os.kill(first.pid, signal.SIGKILL)
    first.join(60)
    try:
        return rendered(pool, names)
    finally:
        pool.stop()

def starts_failing(failures, names):
    # A pool, kept as `serve` keeps one, whose next `failures` worker starts fail (as while
    # its fork server is gone): its outcomes and failed starts, then those of a next build.
    pool = WorkerPool(config, 0, most=2)
    start, failed = pool._new_worker, []

    def flaky_start():
        if len(failed) < failures:
            failed.append(1)
            raise OSError("the fork server is gone")
        return start()

    pool._new_worker = flaky_start
    builds = []
    try:
        for _build in range(2):
            builds.append([rendered(pool, names), pool.failed_starts])
            failures = len(failed)  # starts work from the next build on
        return builds
    finally:
        pool.stop()

def server_never_started(names):
    # A kept pool whose fork server could not start when it was made (no processes left,
    # say): its next build tries again.
    pool = WorkerPool(config, 0, most=2)
    pool.context, pool.start_failure = None, OSError("no processes left")
    try:
        return rendered(pool, names)
    finally:
        pool.stop()

print(json.dumps([outcomes(2, ["b0", "b1", "b2"]), outcomes(1, ["b0", "b1"]),
                  outcomes(2, ["b0"]), starts_failing(3, ["b0", "b1"]),
                  starts_failing(5, ["b0", "b1"]), server_never_started(["b0", "b1"])]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork from a server")
def test_a_worker_dead_before_it_is_handed_work_fails_that_output_and_the_rest_build(batch):
    """The first worker of a pool is killed while idle, as the out-of-memory killer might,
    and is then handed a pack: that pack fails, and the rest are built by the other worker
    (also ready: it used to be passed over), or by a new one when it was the only worker;
    handed the last pack, it ends the build. Each of these used to wait for ever. Then
    pools whose worker starts fail for a while, and for good."""
    for heavy in batch.glob("inputs/a-*.yaml"):
        heavy.unlink()
    result = run_python(WORKERS_DEAD_BEFORE_THEIR_WORK, cwd=batch, timeout=120,
                        env={"SOURCE_DATE_EPOCH": "1760000000"})
    assert result.returncode == 0, result.stderr
    two_workers, one_worker, last_pack, recovered, never, no_server = json.loads(
        result.stdout.splitlines()[-1])
    killed = "the worker rendering it was killed (SIGKILL)"
    assert two_workers["b0"].startswith(killed), two_workers
    assert two_workers["b1"] == two_workers["b2"] == "pdf", two_workers
    assert one_worker["b0"].startswith(killed) and one_worker["b1"] == "pdf", one_worker
    assert list(last_pack) == ["b0"] and last_pack["b0"].startswith(killed), last_pack
    # Starts that fail for a while are tried again (a failed one used to fail every output
    # left), and a start that works clears the count.
    both = {"b0": "pdf", "b1": "pdf"}
    assert recovered == [[both, 0], [both, 0]], recovered
    # Given up after 2 + 2 + 1 failures in a row; a `serve` pool's next build tries afresh.
    gone = "worker failed: cannot start a worker process: the fork server is gone"
    assert never == [[{"b0": gone, "b1": gone}, 5], [both, 0]], never
    assert no_server == both, no_server


def test_one_output_renders_in_the_build_process_under_the_time_limit(workspace):
    """No worker is started for a single output, and its time limit still holds: here for a
    workspace layout that would never finish (the threat the limit exists for), stopped after
    the one second it is allowed, leaving no PDF behind."""
    write_meeting(workspace / "inputs", "a.yaml", HEAD.format(title="Endless"))
    (workspace / "layouts" / "endless").mkdir(parents=True)
    (workspace / "layouts" / "endless" / "layout.html").write_text(ENDLESS_LAYOUT)
    result = run_cli("build", "-l", "endless", "--timeout", "1", "-v", cwd=workspace)
    assert result.returncode == 1, result.stderr
    assert "rendering output/a/endless-internal.pdf in this process" in result.stderr
    assert "starting 1 render worker" not in result.stderr
    assert ("error: output/a/endless-internal.pdf: rendering it took longer than the time "
            "limit of 1 s, so it was stopped") in result.stderr
    assert "0 built, 0 up to date, 1 failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not [path for path in workspace.rglob("*") if ".pdf" in path.name]


def test_timeout_and_memory_settings_are_checked_with_their_line(workspace):
    (workspace / "briefing.toml").write_text("jobs = 2\ntimeout = 0\nmemory_mb = 100\n")
    result = run_cli("build", cwd=workspace)
    assert result.returncode == 1
    assert "briefing.toml:2: `timeout` should be a number of seconds above 0" in result.stderr
    assert "briefing.toml:3: `memory_mb = 100` is too little to render a pack" in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the limit is Linux's RLIMIT_AS")
def test_a_worker_cannot_allocate_past_its_memory_limit():
    """What each worker does first: past the limit an allocation fails (and the render with
    it, as `rendering it needed more than the memory limit`) instead of the machine swapping."""
    code = ("from briefing.batch.workers import limit_memory\nlimit_memory(512)\n"
            "try:\n    bytearray(600 * 1024 * 1024)\nexcept MemoryError:\n    print('refused')\n"
            "else:\n    print('allocated')\n")
    result = run_python(code)
    assert result.stdout.strip() == "refused", result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the limit is Linux's RLIMIT_AS")
def test_a_render_in_the_build_process_cannot_allocate_past_the_limit_which_is_then_lifted():
    """Rendering in the build's own process, the memory limit holds for the render's length
    (an allocation past it fails) and is lifted afterwards, as is the alarm."""
    code = ("import signal\nfrom briefing.config import Config\n"
            "from briefing.batch.workers import _limited\n"
            "from pathlib import Path\n"
            "config = Config(workspace=Path('.'), inputs=Path('.'), output=Path('.'), "
            "layouts=Path('.'), memory_mb=512)\n"
            "with _limited(config):\n"
            "    try:\n        bytearray(600 * 1024 * 1024)\n"
            "    except MemoryError:\n        print('refused')\n"
            "bytearray(600 * 1024 * 1024)\nprint('lifted')\n"
            "print(signal.getitimer(signal.ITIMER_REAL)[0] == 0)\n")
    result = run_python(code)
    assert result.stdout.split() == ["refused", "lifted", "True"], result.stderr


def test_a_pack_rendered_in_the_build_process_is_byte_identical_to_a_workers(tmp_path):
    """One output renders here, its charts drawn by the chart process meanwhile; with two
    outputs and -j 2 each renders in a worker. The same meeting comes out the same bytes."""
    sample = Path(__file__).resolve().parent.parent / "inputs" / "2025-battersea-lrap.yaml"
    pdfs = []
    for name, others, jobs in (("here", 0, "1"), ("workers", 1, "2")):
        root = tmp_path / name
        (root / "inputs").mkdir(parents=True)
        (root / "inputs" / sample.name).write_bytes(sample.read_bytes())
        if others:
            write_meeting(root / "inputs", "other.yaml", HEAD.format(title="Other"))
        result = run_cli("build", "-j", jobs, "-v", cwd=root)
        assert result.returncode == 0, result.stderr
        if others:
            assert "in worker" in result.stderr
        else:
            assert "in this process" in result.stderr
            assert "charts drawn by the chart process" in result.stderr
        pdfs.append((root / "output" / sample.stem / "pack-internal.pdf").read_bytes())
    assert pdfs[0] == pdfs[1]


def test_a_build_without_charts_stops_its_chart_process_and_one_with_charts_keeps_it(workspace):
    """The chart process is forked before the meetings are read; when none of the renders has a
    chart it is stopped at once, rather than left importing matplotlib for nothing (once
    matplotlib has listed this machine's fonts, as it has here: this process has imported it)."""
    import matplotlib.font_manager  # noqa: F401  (lists the fonts, if not yet listed)

    for index in range(2):
        write_meeting(workspace / "inputs", f"m{index}.yaml", HEAD.format(title=f"Plain {index}"))
    result = run_cli("build", "-j", "1", "-v", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "no chart to draw: the chart process was stopped" in result.stderr
    assert "2 built" in result.stderr

    write_meeting(workspace / "inputs", "m1.yaml", HEAD.format(title="Counted") +
                  "attendance:\n  - {group: Residents, count: 12}\n  - {group: Officers, count: 3}\n")
    result = run_cli("build", "-j", "1", "-v", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "no chart to draw" not in result.stderr
    assert "charts drawn by the chart process" in result.stderr
    assert "Attendance by group" in " ".join(pdf_pages(workspace / "output" / "m1" /
                                                       "pack-internal.pdf"))


def _three_counted_meetings(workspace: Path) -> tuple:
    """Meetings a, b and c, each with an attendance chart of its own figures (a's counts
    start at 111, b's at 222, c's at 333), read as a build reads them; and the config."""
    from briefing.batch.reading import read_meetings
    from briefing.config import load_config

    for name, count in (("a", 111), ("b", 222), ("c", 333)):
        write_meeting(workspace / "inputs", f"{name}.yaml", HEAD.format(title=name.upper()) +
                      "attendance:\n" + "".join(f"  - {{group: {group}, count: {count + n}}}\n"
                                                 for n, group in enumerate(
                                                     ("Residents", "Officers", "Youth workers",
                                                      "Councillors"))))
    config = load_config(workspace, jobs=1)
    config.chart_cache.mkdir(parents=True)  # as a build makes it
    series = {path.stem: outcome[0] for path, outcome in read_meetings(
        config, sorted((workspace / "inputs").glob("*.yaml")), public=False)}
    return config, series


def _figures_printed(pdf: bytes) -> set[str]:
    """The three-digit numbers a PDF prints (its charts' labels and their tables)."""
    import io

    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return set(re.findall(r"\b\d{3}\b", text))


def _chart_request(renderer, series) -> tuple:
    """What a pack render of the series asks the chart process for."""
    _view, content, trend, size = renderer._chart_inputs(series, "pack", "internal")
    return content, trend, renderer.font_path, size


def _chart_process_renderer(config):
    from briefing.rendering.chartprocess import ChartProcess
    from briefing.rendering.renderer import Renderer

    helper = ChartProcess.start(config)
    assert helper is not None, "this process cannot fork a chart process"
    return helper, Renderer(config, helper)


def test_a_render_has_the_chart_process_draw_the_next_renders_charts_ahead(workspace):
    """While one render lays out its pages, the chart process draws the charts of the render
    that follows, into its cache: that render's own request then finds them drawn. The
    process answers requests in the order they came, so once it has answered a later one the
    charts asked for ahead are drawn (and saved in the chart cache), and each render still
    prints its own charts."""
    config, series = _three_counted_meetings(workspace)
    helper, renderer = _chart_process_renderer(config)
    try:
        first = renderer.render(series["a"], "pack", "internal",
                                next_up=(series["b"], "pack", "internal"))
        last = renderer.render(series["c"], "pack", "internal")  # b's are never asked for
    finally:
        helper.stop()
    cached = sorted(config.chart_cache.glob("*.svg"))
    assert len(cached) == 3, cached  # a's and c's, and b's drawn ahead
    assert {"111", "114"} <= _figures_printed(first) and "222" not in _figures_printed(first)
    assert {"333", "336"} <= _figures_printed(last) and "222" not in _figures_printed(last)


def test_a_request_while_an_answer_is_owed_is_refused_never_given_that_answer(workspace):
    """A render that fails after asking for its charts never reads the answer. A later
    render's request is then refused, and that render draws its own charts (the process is
    stopped), rather than reading the answer meant for the first and printing its charts."""
    config, series = _three_counted_meetings(workspace)
    helper, renderer = _chart_process_renderer(config)
    try:
        assert helper.send(_chart_request(renderer, series["a"]))  # never read
        pdf = renderer.render(series["c"], "pack", "internal")
    finally:
        helper.stop()
    assert renderer.chart_process is None  # stopped: its state was no longer known
    assert {"333", "336"} <= _figures_printed(pdf), _figures_printed(pdf)
    assert "111" not in _figures_printed(pdf)


def test_a_build_in_its_own_process_has_each_next_packs_charts_drawn_ahead(workspace):
    """`build -j 1` of two meetings: the chart process draws the second pack's chart while the
    first pack is laid out, so when the second asks for it, it is already drawn (the chart
    process says which charts it drew and which it reused)."""
    _three_counted_meetings(workspace)
    (workspace / "inputs" / "c.yaml").unlink()
    result = run_cli("build", "-j", "1", "-v", fresh=True, cwd=workspace)  # the child's log
    assert result.returncode == 0, result.stderr
    assert "2 built" in result.stderr
    assert result.stderr.count("chart attendance: drawn") == 2, result.stderr
    assert result.stderr.count("chart attendance: reused") == 1, result.stderr


def test_charts_are_asked_for_ahead_only_when_no_answer_is_owed(workspace):
    """While the chart process owes an answer it may be sending it: a request sent to it then
    could leave both waiting on a full pipe. So charts asked for ahead meanwhile are not
    asked for (here b's: only a's and c's are drawn)."""
    config, series = _three_counted_meetings(workspace)
    helper, renderer = _chart_process_renderer(config)
    try:
        assert helper.send(_chart_request(renderer, series["a"]))
        helper.prepare(_chart_request(renderer, series["b"]))  # an answer is owed: not sent
        assert helper.receive() is not None
        assert helper.send(_chart_request(renderer, series["c"]))
        assert helper.receive() is not None
    finally:
        helper.stop()
    assert len(list(config.chart_cache.glob("*.svg"))) == 2


def test_calls_for_charts_says_whether_a_render_draws_anything():
    from briefing.meeting.models import MeetingFile
    from briefing.rendering.chartprocess import calls_for_charts

    head = {"meeting": {"title": "T", "date": "2025-07-12", "venue": "Hall"}}
    assert not calls_for_charts(MeetingFile.model_validate(head), None)
    assert calls_for_charts(MeetingFile.model_validate(head), [("1 Jul 2025", 10, 1, 0)])
    for extra in ({"attendance": [{"group": "Residents", "count": 3}]},
                  {"actions": [{"id": "A1", "action": "Do it", "owner": "Me",
                                "due": "2025-09-01", "status": "open"}]},
                  {"data": [{"id": "d", "title": "D", "source": "S", "categories": ["a", "b"],
                             "series": {"x": [1, 2]}}]}):
        assert calls_for_charts(MeetingFile.model_validate({**head, **extra}), None), extra
    unsourced = {"data": [{"id": "d", "title": "D", "categories": ["a"], "series": {"x": [1]}}]}
    assert not calls_for_charts(MeetingFile.model_validate({**head, **unsourced}), None)


def test_the_chart_process_is_not_stopped_while_matplotlib_lists_the_fonts(workspace):
    """On a machine where matplotlib has not yet listed the fonts, its first import writes that
    list (in place, under a lock file): the chart process is left to finish, never killed
    mid-write, and the list is there for the next build."""
    write_meeting(workspace / "inputs", "plain.yaml", HEAD.format(title="Plain"))
    cache = workspace.parent / "matplotlib-cache"
    cache.mkdir()
    result = run_cli("build", "-v", cwd=workspace, env={"MPLCONFIGDIR": str(cache)})
    assert result.returncode == 0, result.stderr
    assert "no chart to draw" not in result.stderr
    assert list(cache.glob("fontlist-v*.json")), list(cache.iterdir())
    assert not list(cache.glob("*.matplotlib-lock"))
