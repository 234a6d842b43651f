"""The public Python API: briefing.render gives build's bytes; errors are exceptions naming the file."""

from __future__ import annotations

import pytest

import briefing

from conftest import SAMPLE, minimal_meeting, with_sample, write_meeting


def test_render_gives_the_bytes_build_writes(tmp_path, monkeypatch, sample_pack):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1760000000")  # as run_cli sets for sample_pack
    root = with_sample(tmp_path)
    pdf = briefing.render(root / "inputs" / SAMPLE.name)
    assert pdf.startswith(b"%PDF-") and pdf == sample_pack.read_bytes()


def test_render_reports_every_problem_in_the_file_as_an_input_error(workspace):
    broken = minimal_meeting(themes=[{"id": "t1", "title": "Theme", "points": "not a list"}])
    broken["meeting"]["date"] = "12/07/2025"
    path = write_meeting(workspace / "inputs", "broken.yaml", broken)
    with pytest.raises(briefing.InputError) as raised:
        briefing.render(path)
    places = {(d.path, d.line) for d in raised.value.diagnostics}
    assert len(raised.value.diagnostics) == 2
    assert all(shown.endswith("broken.yaml") and line > 0 for shown, line in places)


def test_the_workspace_is_found_from_the_meeting_path(tmp_path):
    from briefing.api import workspace_of

    (tmp_path / "briefing.toml").write_text("")
    deep = tmp_path / "inputs" / "2025" / "m.yaml"
    assert workspace_of(deep) == tmp_path
    assert workspace_of(tmp_path / "x" / "inputs" / "m.yaml") == tmp_path  # toml wins
    bare = tmp_path.parent / f"{tmp_path.name}-bare"
    assert workspace_of(bare / "inputs" / "m.yaml") == bare
    assert workspace_of(bare / "m.yaml") == bare


def test_build_takes_a_workspace_and_settings(workspace):
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    report = briefing.build(workspace, editions=("public",), jobs=1)
    assert report.ok and [p.name for p in report.built] == ["pack-public.pdf"]
    again = briefing.build(workspace, editions=("public",), jobs=1)
    assert again.built == [] and [p.name for p in again.skipped] == ["pack-public.pdf"]
