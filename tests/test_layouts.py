"""Layouts resolved once: the chain a layout extends (declared in layout.toml or read from its
template), the settings it takes from that chain, the files that make it stale, its errors,
and the documented names its templates are given."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import briefing
from briefing.config import load_config
from briefing.errors import BriefingError, InputError
from briefing.rendering.layout import BUILTIN_LAYOUTS, SETTINGS

from conftest import REPO, minimal_meeting, run_cli, write_meeting

DOCS = REPO / "docs" / "layouts.md"


def make_layout(workspace: Path, name: str, template: str | None = None,
                settings: str | None = None) -> Path:
    folder = workspace / "layouts" / name
    folder.mkdir(parents=True, exist_ok=True)
    if template is not None:
        (folder / "layout.html").write_text(template, encoding="utf-8")
    if settings is not None:
        (folder / "layout.toml").write_text(settings, encoding="utf-8")
    return folder


def extending(parent: str) -> str:
    return f'{{% extends "{parent}/layout.html" %}}\n'


def test_a_workspace_layout_extends_a_built_in_one_through_layout_toml(workspace):
    make_layout(workspace, "big", extending("large-print"), 'extends = "large-print"\n')
    make_layout(workspace, "short", extending("brief"), 'extends = "brief"\nmarking_size = 12\n')
    config = load_config(workspace, build=("big", "short", "pack"))

    big = config.layout("big")
    assert big.chain == ("big", "large-print", "pack", "base")
    assert big.chart_text_size == 16 and big.furniture_sizes == (16, 16)  # from large-print
    assert big.chart_size("A4").text == 16 and big.page_limit("A4") is None
    names = [name for name, _path in big.files()]
    assert "layouts[0]/big/layout.toml" in names
    assert "layouts[1]/pack/layout.html" in names  # what large-print extends, in turn
    assert "layouts[1]/large-print/layout.toml" in names

    short = config.layout("short")
    assert short.chain == ("short", "brief", "base")
    assert (short.page_limit("A4"), short.page_limit("letter"), short.page_limit("A5")) == (2, 2, 4)
    assert short.furniture_sizes == (9, 12)  # its own marking size, base's running head
    assert config.layout("pack").chain == ("pack", "base")
    assert config.layout("pack").page_limit("A4") is None


@pytest.mark.parametrize("template", [
    extending("large-print"),  # read without Jinja
    "  {%- extends 'large-print/layout.html' -%}{% block main %}{% endblock %}",
    "{# my pack #}\n" + extending("large-print"),  # parsed by Jinja
])
def test_a_layout_without_layout_toml_takes_its_chain_from_its_template(workspace, template):
    make_layout(workspace, "mine", template)
    mine = load_config(workspace, build=("mine",)).layout("mine")
    assert mine.chain == ("mine", "large-print", "pack", "base")
    assert mine.chart_text_size == 16
    names = [name for name, _path in mine.files()]
    assert {"layouts[1]/large-print/large-print.css", "layouts[1]/pack/layout.html"} <= set(names)


def test_a_layout_extending_brief_keeps_its_page_limit(workspace):
    make_layout(workspace, "short", extending("brief"), 'extends = "brief"\n')
    summary = "\n\n".join(["Residents spoke about the high street at length. " * 12] * 14)
    path = write_meeting(workspace / "inputs", "long.yaml", minimal_meeting(summary=summary))
    with pytest.raises(BriefingError, match=r"the short for inputs/long\.yaml came out at \d+ "
                                            r"pages; it must fit on 2\. Its longest part is "
                                            r"`summary`"):
        briefing.render(path, layout="short")


def test_every_font_of_every_layout_makes_a_layout_stale(workspace):
    """A font in any layout's fonts/ folder is a fallback for every layout."""
    fonts = workspace / "layouts" / "extra" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "Extra-Regular.ttf").write_bytes((BUILTIN_LAYOUTS / "base" / "fonts" /
                                               "NotoSans-Regular.ttf").read_bytes())
    names = [name for name, _path in load_config(workspace).layout("pack").files()]
    assert "layouts[0]/extra/fonts/Extra-Regular.ttf" in names


def test_editing_a_layout_of_the_declared_chain_rebuilds_with_its_settings(workspace):
    """`big` declares that it extends the workspace's own large-print: a new chart text size
    there rebuilds big, and big's charts print at it."""
    builtin = (BUILTIN_LAYOUTS / "large-print" / "layout.toml").read_text(encoding="utf-8")
    large_print = make_layout(workspace, "large-print", settings=builtin)
    make_layout(workspace, "big", extending("large-print"), 'extends = "large-print"\n')
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting(
        data=[{"id": "stops", "title": "Stops", "categories": ["April", "May", "June"],
               "series": {"Stops": [10, 12, 9]}, "source": "Police records"}]))
    first = run_cli("build", "-l", "big", cwd=workspace)
    assert first.returncode == 0, first.stderr
    pdf = workspace / "output" / "m" / "big-internal.pdf"
    before = pdf.read_bytes()

    (large_print / "layout.toml").write_text(builtin.replace("chart_text_size = 16",
                                                             "chart_text_size = 20"))
    second = run_cli("build", "-l", "big", cwd=workspace)
    assert second.returncode == 0, second.stderr
    assert "1 built, 0 up to date" in second.stderr
    assert pdf.read_bytes() != before
    assert load_config(workspace, build=("big",)).layout("big").chart_text_size == 20


def test_a_wrong_layout_toml_is_an_error_at_its_line(workspace):
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    make_layout(workspace, "pack", settings='# my pack\nchart_size = 14\npage_limit = 2.5\n')
    for command in ("build", "check"):
        result = run_cli(command, cwd=workspace)
        assert result.returncode == 1, result.stderr
        assert ("error: layouts/pack/layout.toml:2: unknown key `chart_size`; did you mean "
                "`chart_text_size`?") in result.stderr
        assert ("error: layouts/pack/layout.toml:3: `page_limit` should be a whole number of "
                "pages from 1 to 1000, found 2.5") in result.stderr
        assert "Traceback" not in result.stderr
    assert not (workspace / "output" / "m").exists()


@pytest.mark.parametrize(("settings", "message"), [
    ('extends = "nowhere"\n', r'`extends = "nowhere"` names no layout folder; available '
                              r'layouts: brief, large-print, loop, pack'),
    ('\nextends = "loop"\n', r'`extends = "loop"` goes round in a loop \(loop → loop\)'),
    ('extends = "../pack"\n', r"`extends` should be the folder name of the layout this one "
                              r"extends, e\.g\. \"pack\", found '\.\./pack'"),
    ("chart_text_size = 100\n", r"`chart_text_size` should be a size in points from 6 to 48"),
])
def test_a_wrong_extends_or_value_names_its_line(workspace, settings, message):
    make_layout(workspace, "loop", extending("pack"), settings)
    with pytest.raises(InputError) as raised:
        load_config(workspace, build=("loop",))
    [problem] = raised.value.diagnostics
    assert problem.path == "layouts/loop/layout.toml"
    assert problem.line == settings.count("\n", 0, settings.index("=")) + 1
    assert re.search(message, problem.message), problem.message


def documented(section: str) -> list[str]:
    """The names in the first column of the table under a heading of docs/layouts.md."""
    text = DOCS.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", body, re.M)


def test_docs_list_every_name_filter_and_setting_a_layout_is_given():
    from briefing.meeting.models import MeetingFile
    from briefing.rendering.templating import FILTERS, LAYOUT_NAMES, layout_context

    meeting = MeetingFile.model_validate(minimal_meeting())
    given = layout_context("pack", meeting, "internal", [], "A4")
    assert list(documented("What a template is given")) == list(LAYOUT_NAMES)
    assert set(given) == set(LAYOUT_NAMES)
    assert documented("Filters") and set(documented("Filters")) == set(FILTERS)
    assert documented("layout.toml") == ["extends", *SETTINGS]


def test_every_documented_name_reaches_a_template(workspace):
    names = documented("What a template is given")
    checks = "".join(f"{{% if {name} is not defined %}}MISSING-{name} {{% endif %}}"
                     for name in names)
    make_layout(workspace, "names", '{% extends "base/base.html" %}\n{% block main %}'
                f"<p>{checks}ALL-GIVEN</p>{{% endblock %}}\n")
    path = write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    import io

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in
                    PdfReader(io.BytesIO(briefing.render(path, layout="names"))).pages)
    assert "ALL-GIVEN" in text and "MISSING" not in text


def test_a_template_edited_between_two_renderers_of_a_process_is_compiled_again(workspace):
    # Compiled templates are shared by the process's environments; an edit, even one that
    # leaves the file's size and time of change as they were, must never print the old text.
    import os

    from briefing.rendering.templating import make_environment

    template = workspace / "layouts" / "mine" / "layout.html"
    template.parent.mkdir(parents=True)
    template.write_text("<p>First {{ 1 + 1 }}</p>\n", encoding="utf-8")
    first = make_environment(load_config(workspace).layout_folders)
    assert first.get_template("mine/layout.html").render() == "<p>First 2</p>\n"
    status = template.stat()
    template.write_text("<p>Again {{ 2 + 2 }}</p>\n", encoding="utf-8")
    os.utime(template, ns=(status.st_atime_ns, status.st_mtime_ns))
    again = make_environment(load_config(workspace).layout_folders)
    assert again.get_template("mine/layout.html").render() == "<p>Again 4</p>\n"
