"""What a PDF is made from, and which share of the outputs a shard builds (no rendering)."""

from __future__ import annotations

from pathlib import Path

import briefing
from briefing.batch.build import Job, in_shard, plan
from briefing.batch.freshness import series_inputs
from briefing.config import load_config
from briefing.meeting.series import SeriesLoader
from briefing.rendering.layout import LayoutFolders

from conftest import minimal_meeting, run_cli, write_meeting


def follows(name: str, **extra) -> dict:
    return minimal_meeting(meeting={"title": "T", "date": "2025-07-12", "venue": "V",
                                    "follows": name}, **extra)


def test_inputs_are_the_meeting_its_data_and_the_chain_it_follows(workspace):
    inputs = workspace / "inputs"
    (inputs / "data").mkdir()
    (inputs / "data" / "figures.csv").write_text("Year,Residents\n2024,3\n", encoding="utf-8")
    (inputs / "local.csv").write_text("Year,Residents\n2025,4\n", encoding="utf-8")
    csv = [{"id": "d", "title": "D", "csv": "data/figures.csv", "source": "S"}]
    write_meeting(inputs, "2025-03.yaml", minimal_meeting(data=csv))
    write_meeting(inputs, "2025-05.yaml", follows("2025-03.yaml"))
    write_meeting(inputs, "2025-07.yaml", follows("2025-05.yaml", data=[
        {"id": "e", "title": "E", "csv": "local.csv", "source": "S"}]))
    loader = SeriesLoader(str)
    files = series_inputs(loader.series(loader.load(inputs / "2025-07.yaml")))
    assert [p.relative_to(inputs).as_posix() for p in files] == [
        "2025-07.yaml", "local.csv", "2025-05.yaml", "2025-03.yaml", "data/figures.csv"]


def test_layout_files_cover_base_and_the_layout_in_every_root(workspace):
    (workspace / "layouts" / "pack").mkdir(parents=True)
    (workspace / "layouts" / "pack" / "pack.css").write_text("p {}")
    (workspace / "layouts" / "pack" / ".pack.css.swp").write_text("x")
    (workspace / "layouts" / "brief").mkdir()
    (workspace / "layouts" / "brief" / "layout.html").write_text("x")
    names = [name for name, _ in LayoutFolders(workspace / "layouts").layout("pack").files()]
    assert "layouts[0]/pack/pack.css" in names  # the workspace's own file, searched first
    assert "layouts[1]/pack/pack.css" in names  # and the built-in one it shadows
    assert "layouts[1]/base/fonts/NotoSans-Regular.ttf" in names  # the fonts
    assert not any("brief" in name or ".swp" in name for name in names)


def test_shards_are_a_partition_that_ignores_list_order(workspace):
    config = load_config(workspace, build=("pack", "brief"), editions=("internal", "public"))
    paths = [Path(f"inputs/{n:03}.yaml") for n in range(60)]
    jobs = plan(config, paths)
    shards = {k: load_config(workspace, build=("pack",), shard=(k, 3)) for k in (1, 2, 3)}
    shares = {k: {job.output for job in jobs if in_shard(shards[k], job)} for k in (1, 2, 3)}
    assert sum(len(share) for share in shares.values()) == len(jobs)
    assert set().union(*shares.values()) == {job.output for job in jobs}
    assert all(len(share) > len(jobs) / 6 for share in shares.values())  # roughly even
    # adding and reordering meetings moves no existing output to another shard
    more = plan(config, [Path("inputs/new.yaml"), *reversed(paths)])
    shards = {k: load_config(workspace, shard=(k, 3)) for k in (1, 2, 3)}
    again = {k: {job.output for job in more if in_shard(shards[k], job)} for k in (1, 2, 3)}
    assert all(shares[k] <= again[k] for k in shares)
    assert isinstance(jobs[0], Job)


def test_the_example_ci_workflow_builds_every_shard_once():
    import yaml

    from conftest import REPO

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "packs.yml").read_text())
    build = workflow["jobs"]["build"]
    total = int(build["env"]["SHARDS"])
    assert build["strategy"]["matrix"]["shard"] == list(range(1, total + 1))
    assert build["needs"] == "check"
    commands = " ".join(step.get("run", "") for step in build["steps"])
    assert "briefing build" in commands and "--shard ${{ matrix.shard }}/$SHARDS" in commands
    assert any(step.get("uses", "").startswith("actions/upload-artifact")
               for step in build["steps"])


def test_layout_files_follow_what_a_layout_extends(workspace):
    names = [name for name, _ in LayoutFolders(workspace / "layouts").layout("large-print").files()]
    assert "layouts[0]/pack/layout.html" in names  # large-print extends pack/layout.html
    assert "layouts[0]/large-print/large-print.css" in names


def test_editing_the_layout_another_extends_makes_it_stale(workspace):
    """A workspace pack/layout.html that large-print extends: editing it rebuilds large print."""
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())  # its pages do not matter
    pack = workspace / "layouts" / "pack"
    pack.mkdir(parents=True)
    builtin = Path(briefing.__file__).parent.parent / "layouts" / "pack" / "layout.html"
    (pack / "layout.html").write_text(builtin.read_text(encoding="utf-8"), encoding="utf-8")
    first = run_cli("build", "-l", "large-print", cwd=workspace)
    assert first.returncode == 0, first.stderr
    (pack / "layout.html").write_text(
        builtin.read_text(encoding="utf-8") + "{# edited #}\n", encoding="utf-8")
    second = run_cli("build", "-l", "large-print", cwd=workspace)
    assert second.returncode == 0, second.stderr
    assert "1 built, 0 up to date" in second.stderr
