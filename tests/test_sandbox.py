"""An untrusted workspace: hostile layouts, symlinked templates, forged CI annotations, and
`check` refusing what `build` would refuse. Every test runs the real CLI in a temporary
workspace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE, minimal_meeting, pdf_pages, run_cli, with_sample, write_meeting

BASE = '{% extends "base/base.html" %}\n{% block main %}\n'
END = "\n{% endblock %}\n"

# Each escapes the template as a plain Jinja environment allowed; the marker file proves
# whether a shell command ran, `uid=` whether its output reached a PDF.
ESCAPES = {
    "cycler": "{{ cycler.__init__.__globals__.os.popen('@CMD@').read() }}",
    "joiner": "{{ joiner.__init__.__globals__.os.popen('@CMD@').read() }}",
    "namespace": "{{ namespace.__init__.__globals__.os.popen('@CMD@').read() }}",
    "lipsum": "{{ lipsum.__globals__['os'].popen('@CMD@').read() }}",
    "context": "{{ self._TemplateReference__context.cycler.__init__.__globals__"
               ".os.popen('@CMD@').read() }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "attr-filter": "{{ (cycler | attr('__init__') | attr('__globals__'))['os']"
                   ".popen('@CMD@').read() }}",
    "format": "{{ '{0.__init__.__globals__[os]}'.format(cycler) }}",
    "mutate": "{% set found = [] %}{{ found.append(1) }}{{ content.themes.append(1) }}",
    "huge-power": "{{ 10 ** 100000000 }}",
    "huge-repeat": "{{ 'x' * 10000000000 }}",
    "huge-product": "{% set n = namespace(x=2 ** 60000) %}{% for _ in range(12) %}"
                    "{% set n.x = n.x * n.x %}{% endfor %}{{ n.x }}",
}


@pytest.fixture
def layout_workspace(tmp_path: Path) -> Path:
    """The sample meeting in a workspace with a layouts/ folder of its own."""
    root = with_sample(tmp_path / "ws")
    (root / "layouts").mkdir()
    return root


def write_layout(root: Path, name: str, body: str) -> Path:
    folder = root / "layouts" / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "layout.html"
    path.write_text(BASE + body + END, encoding="utf-8")
    return path


def pdfs_hold(root: Path, text: bytes) -> list[Path]:
    return [pdf for pdf in root.rglob("*.pdf") if text in pdf.read_bytes()
            or text.decode() in " ".join(pdf_pages(pdf))]


def test_hostile_layouts_run_no_python_and_fail_only_their_own_output(layout_workspace,
                                                                      tmp_path):
    root = layout_workspace
    marker = tmp_path / "command-ran"
    command = f"touch {marker}; id"
    for name, body in ESCAPES.items():
        write_layout(root, name, body.replace("@CMD@", command))
    arguments = [argument for name in ESCAPES for argument in ("-l", name)]
    result = run_cli("build", *arguments, "-l", "brief", "-e", "internal", "-j", "1", cwd=root)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not marker.exists(), "a layout ran a shell command"
    assert "uid=" not in result.stderr + result.stdout
    assert pdfs_hold(root, b"uid=") == []
    for name in ESCAPES:  # each names its template and the line of the escape
        assert re.search(rf"^error: output/{SAMPLE.stem}/{name}-internal\.pdf: "
                         rf"layouts/{name}/layout\.html:3: ", result.stderr, re.M), \
            (name, result.stderr)
        assert not (root / "output" / SAMPLE.stem / f"{name}-internal.pdf").exists()
    assert "not allowed in a layout" in result.stderr
    # The other output of the same meeting is built.
    assert (root / "output" / SAMPLE.stem / "brief-internal.pdf").is_file()
    assert f"1 built, 0 up to date, {len(ESCAPES)} failed" in result.stderr


def test_template_errors_name_the_template_and_line(layout_workspace):
    root = layout_workspace
    write_layout(root, "syntax", "<p>fine</p>\n{% if %}")
    write_layout(root, "undefined", "\n{{ meeting.title }}\n{{ no_such_thing.title }}")
    write_layout(root, "missing", "{% include 'missing/nowhere.html' %}")
    write_layout(root, "dotdot", "{% include '../../inputs/2025-battersea-lrap.yaml' %}")
    nested = write_layout(root, "nested", "{% include 'nested/part.html' %}")
    (nested.parent / "part.html").write_text("one\ntwo {{ 1 // 0 }}\n", encoding="utf-8")
    (root / "layouts" / "binary").mkdir()
    (root / "layouts" / "binary" / "layout.html").write_bytes(b"\xff\xfe{{ x }}")
    result = run_cli("build", "-l", "syntax", "-l", "undefined", "-l", "missing", "-l", "dotdot",
                     "-l", "nested", "-l", "binary", "-e", "internal", "-j", "1", cwd=root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    errors = "\n".join(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "layouts/syntax/layout.html:4: template syntax error:" in errors
    assert "layouts/undefined/layout.html:5: 'no_such_thing' is undefined" in errors
    assert "layouts/missing/layout.html:3: template `missing/nowhere.html` not found" in errors
    assert "layouts/dotdot/layout.html:3: template `../../inputs/" in errors
    assert "layouts/nested/part.html:2: ZeroDivisionError" in errors
    assert "layouts/binary/layout.html is not UTF-8 text" in errors
    assert "0 built, 0 up to date, 6 failed" in result.stderr


def test_templates_symlinked_out_of_the_workspace_are_refused(layout_workspace, tmp_path):
    root = layout_workspace
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.html"
    secret.write_text("TOP-SECRET-TEMPLATE {{ meeting.title }}", encoding="utf-8")
    (outside / "layout.html").write_text(BASE + "TOP-SECRET-TEMPLATE" + END, encoding="utf-8")
    # An included part, a whole layout.html and a whole layout folder, each a symlink out.
    write_layout(root, "part", "{% include 'part/secret.html' %}")
    (root / "layouts" / "part" / "secret.html").symlink_to(secret)
    (root / "layouts" / "file").mkdir()
    (root / "layouts" / "file" / "layout.html").symlink_to(outside / "layout.html")
    (root / "layouts" / "folder").symlink_to(outside, target_is_directory=True)
    # A part symlinked to another file inside the layouts is refused as well.
    write_layout(root, "inside", "{% include 'inside/again.html' %}")
    (root / "layouts" / "inside" / "again.html").symlink_to(root / "layouts" / "part" /
                                                           "layout.html")
    result = run_cli("build", "-l", "part", "-l", "file", "-l", "folder", "-l", "inside",
                     "-l", "brief", "-e", "internal", "-j", "1", cwd=root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "layouts/part/layout.html:3: layouts/part/secret.html is a symlink" in result.stderr
    assert "layouts/file/layout.html is a symlink" in result.stderr
    assert "layouts/folder is a symlink" in result.stderr
    assert "layouts/inside/again.html is a symlink" in result.stderr
    assert "TOP-SECRET" not in result.stderr
    assert pdfs_hold(root, b"TOP-SECRET") == []
    assert "1 built, 0 up to date, 4 failed" in result.stderr


def test_a_symlinked_layouts_folder_is_refused(tmp_path):
    root = with_sample(tmp_path / "ws")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "mine").mkdir(parents=True)
    (elsewhere / "mine" / "layout.html").write_text(BASE + "ELSEWHERE" + END, encoding="utf-8")
    (root / "layouts").symlink_to(elsewhere, target_is_directory=True)
    for command in (("build", "-l", "mine"), ("check",)):
        result = run_cli(*command, cwd=root)
        assert result.returncode == 1
        assert "error: layouts is a symlink; the layouts folder must be a real folder" \
            in result.stderr
    assert not (root / "output").exists()


def test_a_workspace_layout_that_replaces_a_built_in_one_is_reported_once(layout_workspace):
    root = layout_workspace
    shutil.copytree(SAMPLE.parent.parent / "layouts" / "pack", root / "layouts" / "pack")
    layout = root / "layouts" / "pack" / "layout.html"
    layout.write_text(layout.read_text(encoding="utf-8").replace(
        "{% block back %}", "{% block cover_extra %}<dt>Made</dt><dd>OWN-PACK</dd>"
        "{% endblock %}\n{% block back %}"), encoding="utf-8")
    (root / "layouts" / "mine").mkdir()  # an own name replaces nothing
    (root / "layouts" / "mine" / "layout.html").write_text(BASE + END, encoding="utf-8")
    # two one-page meetings in place of the sample: two workers, each loading the layouts
    (root / "inputs" / SAMPLE.name).unlink()
    write_meeting(root / "inputs", "first.yaml", minimal_meeting())
    write_meeting(root / "inputs", "second.yaml", minimal_meeting())
    result = run_cli("build", "-l", "pack", "-l", "mine", "-e", "internal", "-e", "public",
                     "-j", "2", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("overrides the built-in layout") == 1, result.stderr
    assert "warning: layouts/pack overrides the built-in layout" in result.stderr
    assert "OWN-PACK" in " ".join(pdf_pages(root / "output" / "second" / "pack-public.pdf"))


def test_each_refused_url_is_warned_once(workspace):
    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    write_layout(workspace, "mine", '<img src="https://example.com/x.png" alt="x">'
                                    '<img src="file:///etc/passwd" alt="y">'
                                    '<link rel="stylesheet" href="https://example.com/s.css">')
    result = run_cli("build", "-l", "mine", "-j", "1", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "error:" not in result.stderr, result.stderr  # WeasyPrint's own word on each
    for url in ("https://example.com/x.png", "file:///etc/passwd", "https://example.com/s.css"):
        assert result.stderr.count(url) == 1, result.stderr
        assert (f"warning: refused to fetch {url}: only layout files and data: URLs are "
                "allowed") in result.stderr


def test_a_hostile_layout_sees_only_its_editions_data(layout_workspace):
    root = layout_workspace
    write_layout(root, "leak", "{{ content.notes }}\n{% for quote in content.quotes %}"
                               "<p>{{ quote.text }}</p>{% endfor %}")
    sample = root / "inputs" / SAMPLE.name  # the sample's quotes are all public: add one
    sample.write_text(sample.read_text(encoding="utf-8").replace(
        "\nactions:", "\n  - {text: \"A resident I spoke to said that she'd like to see police "
        "on patrol.\", theme: everyday-presence, consent: internal}\n\nactions:", 1),
        encoding="utf-8")
    result = run_cli("build", "-l", "leak", "-e", "public", "-e", "internal", cwd=root)
    assert result.returncode == 0, result.stderr
    straight = str.maketrans("’“”", "'\"\"")  # the pages print typographic quotes
    public = " ".join(pdf_pages(root / "output" / SAMPLE.stem / "leak-public.pdf")).translate(
        straight)
    internal = " ".join(pdf_pages(root / "output" / SAMPLE.stem / "leak-internal.pdf")
                        ).translate(straight)
    notes, internal_quote = "Internal only. Officers nearly matched", "she'd like to see police"
    assert notes in internal and internal_quote in internal  # the layout does print them
    assert notes not in public and internal_quote not in public
    assert "Where are the people we're meant to be engaging?" in public


def test_the_built_in_layouts_folder_as_the_workspace_layouts_overrides_nothing(tmp_path):
    from briefing.rendering.layout import BUILTIN_LAYOUTS

    root = with_sample(tmp_path / "ws")
    (root / "briefing.toml").write_text(f'layouts = "{BUILTIN_LAYOUTS.as_posix()}"\n',
                                        encoding="utf-8")
    result = run_cli("build", "-l", "brief", "-e", "internal", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "overrides" not in result.stderr


# --- GitHub annotations --------------------------------------------------------------------

FORGED_NAMES = [
    "a\n::error file=forged.yaml,line=1::forged annotation.yaml",
    "b::warning file=forged.yaml,line=2::forged.yaml",
    "c,line=99,col=9.yaml",
    "d%0A::error::percent.yaml",
    "e\r::error::carriage.yaml",
]
ANNOTATION = re.compile(r"^::(error|warning) file=([^,:]*),line=(\d+),col=(\d+)::(.*)$")


def github_unescape(text: str) -> str:
    for escaped, character in (("%3A", ":"), ("%2C", ","), ("%0A", "\n"), ("%0D", "\r"),
                               ("%25", "%")):
        text = text.replace(escaped, character)
    return text


def test_github_annotations_cannot_be_forged_by_file_names(workspace):
    for name in FORGED_NAMES:
        write_meeting(workspace / "inputs", name,
                      "meeting:\n  title: T\n  date: 2025-07-12\n  venue: V\nqoutes: []\n")
    result = run_cli("check", "--format", "github", cwd=workspace)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(FORGED_NAMES), result.stdout
    files = []
    for line in lines:
        match = ANNOTATION.match(line)
        assert match, line
        severity, file, line_number, column, message = match.groups()
        assert (severity, line_number, column) == ("error", "5", "1")
        assert github_unescape(message) == "unknown key `qoutes`; did you mean `quotes`?"
        files.append(github_unescape(file))
    assert sorted(files) == sorted(f"inputs/{name}" for name in FORGED_NAMES)


# --- check refuses what build refuses -------------------------------------------------------

def _sample_with(old: str, new: str) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _at(needle: str) -> str:
    """`line:column` of the first character after `needle` in the sample meeting file."""
    for number, line in enumerate(SAMPLE.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return f"{number}:{line.index(needle) + len(needle) + 1}"
    raise AssertionError(needle)


CHART_ENTRY = ("    categories: [Word of mouth, Community group, Police social media, Library poster]\n"
               "    series:\n      Attendees: [11, 9, 8, 6]\n")
PARITY = {
    # A lone surrogate, as YAML's \u escape writes it: not a character, cannot go in a PDF.
    "surrogate": (_sample_with("  - How can trust be restored?", '  - "How can \\ud800 trust"'),
                  None, f"inputs/m.yaml:{_at('  - ')}: the text contains U+D800, half of a UTF-16 "
                        "surrogate pair"),
    # Finite numbers whose chart axes or totals overflow.
    "float-max": (_sample_with("Attendees: [11, 9, 8, 6]", "Attendees: [11, 9, 1.0e+308, 6]")
                  .replace("kind: barh", "kind: line"),
                  None, f"inputs/m.yaml:{_at('Attendees: [11, 9, ')}: series `Attendees` holds a value that is too "
                        "large to chart"),
    "float-mixed": (_sample_with("Attendees: [11, 9, 8, 6]",
                                 "Attendees: [1.0e+308, -1.0e+308, 0, 6]")
                    .replace("kind: barh", "kind: line"),
                    None, f"inputs/m.yaml:{_at('Attendees: [')}: series `Attendees` holds a value that is too "
                          "large to chart"),
    "float-near-max": (_sample_with("Attendees: [11, 9, 8, 6]", "Attendees: [11, 9, 1.7e+308, 6]"),
                       None, f"inputs/m.yaml:{_at('Attendees: [11, 9, ')}: series `Attendees` holds a value that is "
                             "too large to chart"),
    "csv": (_sample_with(CHART_ENTRY, "    csv: figures.csv\n"),
            "Where,Attendees\nLibrary,11\nGreen,1.0e+308\nOnline,-1.0e+308\n",
            "inputs/figures.csv:3: `1.0e+308` in column `Attendees` is too large to chart"),
    "count": (_sample_with("count: 18}", "count: 1" + "0" * 400 + "}"),
              None, f"inputs/m.yaml:{_at('count: ')}: `attendance[0].count` is too large to chart"),
}


@pytest.mark.parametrize("case", list(PARITY))
def test_check_refuses_what_build_refuses(workspace, case):
    text, csv, diagnostic = PARITY[case]
    write_meeting(workspace / "inputs", "m.yaml", text)
    if csv is not None:
        (workspace / "inputs" / "figures.csv").write_text(csv, encoding="utf-8")
    checked = run_cli("check", cwd=workspace)
    built = run_cli("build", "-l", "pack", "-l", "brief", "-e", "internal", "-e", "public",
                    "-j", "1", cwd=workspace)
    assert checked.returncode == 1, checked.stderr
    assert f"error: {diagnostic}" in checked.stderr
    assert built.returncode == 1, built.stderr
    assert f"error: {diagnostic}" in built.stderr  # the same words, before any rendering
    assert "internal error" not in built.stderr and "Traceback" not in built.stderr
    assert not list(workspace.rglob("*.pdf"))


def test_figures_up_to_the_limit_still_chart(workspace):
    write_meeting(workspace / "inputs", "m.yaml", _sample_with(
        "Attendees: [11, 9, 8, 6]", "Attendees: [1000000000000000, -1.0e+15, 0.000001, 6]")
        .replace("kind: barh", "kind: line"))
    checked = run_cli("check", cwd=workspace)
    assert checked.returncode == 0, checked.stderr
    built = run_cli("build", "-l", "pack", "-e", "internal", cwd=workspace)
    assert built.returncode == 0, built.stderr
    assert "1,000,000,000,000,000" in " ".join(pdf_pages(workspace / "output" / "m" /
                                                          "pack-internal.pdf"))


def test_check_reports_the_template_errors_build_would_fail_on(layout_workspace, tmp_path):
    """`check` compiles the templates of the layouts the workspace builds: a syntax error and
    a template symlinked out of the workspace are errors at their file, before any render."""
    root = layout_workspace
    (root / "briefing.toml").write_text('build = ["syntax", "linked"]\n', encoding="utf-8")
    write_layout(root, "syntax", "<p>fine</p>\n{% if %}")
    secret = tmp_path / "secret.html"
    secret.write_text("SECRET-TEMPLATE {{ 1 }}", encoding="utf-8")
    (root / "layouts" / "linked").mkdir()
    (root / "layouts" / "linked" / "layout.html").symlink_to(secret)
    result = run_cli("check", cwd=root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "SECRET-TEMPLATE" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any(line.startswith("error: layouts/syntax/layout.html:4: template syntax error:")
               for line in errors), errors
    assert any(line.startswith("error: layouts/linked/layout.html") and "symlink" in line
               for line in errors), errors
    assert result.stderr.splitlines()[-1] == "checked 1 file: 2 errors, 0 warnings"
