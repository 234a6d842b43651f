"""Hardened loading: each YAML limit gives a clear, located InputError in bounded time and memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from briefing.errors import InputError
from briefing.meeting.loading import load_meeting
from briefing.meeting.yamlsource import (
    MAX_CATEGORIES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_FOLLOWS,
    MAX_MARKDOWN_NESTING,
    MAX_NODES,
    MAX_SERIES,
    MAX_TEXT_CHARS,
)

from conftest import REPO, composed, run_cli, write_meeting

HEAD = "meeting:\n  title: Limits\n  date: 2025-07-12\n  venue: Hall\n"


def load_error(folder: Path, text: str) -> InputError:
    path = write_meeting(folder, "m.yaml", text)
    with pytest.raises(InputError) as caught:
        load_meeting(path, "m.yaml")
    return caught.value


@pytest.mark.parametrize("tagged", [
    "!!python/object/apply:os.system ['touch {flag}']",
    "!!python/object/new:subprocess.Popen [['touch', '{flag}']]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!include /etc/passwd",
    "!!binary aGVsbG8=",
    "!!set {{a: null}}",
    "!!omap [{{a: 1}}]",
    "!<tag:example.com,2000:app/foo> x",
])
def test_non_standard_tags_are_refused_never_run(tmp_path, tagged):
    flag = tmp_path / "pwned"
    error = load_error(tmp_path, HEAD + f"summary: {tagged.format(flag=flag)}\n")
    assert "tag" in str(error) and "is not allowed" in str(error)
    assert error.diagnostics[0].line == 5
    assert not flag.exists()


def test_duplicate_keys_are_refused(tmp_path):
    error = load_error(tmp_path, HEAD + "summary: one\nsummary: two\n")
    assert "m.yaml:6:1: duplicate key `summary` (first written on line 5)" in str(error)


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):  # 10**10 values if expanded
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 10) + "]")
    return HEAD + "\n".join(lines) + "\n"


def test_alias_expansion_is_bounded_in_time_and_memory(tmp_path):
    tracemalloc.start()
    started = time.process_time()  # this process's CPU: a busy machine does not count
    try:
        error = load_error(tmp_path, billion_laughs())
        elapsed = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"expands to more than {MAX_NODES:,} values (too many aliases?)" in str(error)
    assert error.diagnostics[0].line >= 5
    assert elapsed < 20, elapsed  # about 2 s on the development machine, under tracemalloc
    assert peak < 150_000_000, peak  # about 45 MB measured


HUGE = {"decimal": ("1" * 5_000, "this number has 5,000 digits"),
        "hexadecimal": ("0x" + "f" * 5_000, "this number has about 6,021 digits"),
        "base 60": ("1" + ":59" * 3_000, "this number has about 5,335 digits")}


@pytest.mark.parametrize("written", sorted(HUGE))
@pytest.mark.parametrize("place", [
    "attendance:\n  - group: Residents\n    count: {}\n",
    "themes:\n  - {{id: t, title: T, priority: {}, points: [p]}}\n",  # no upper limit
    "data:\n  - {{id: d, title: D, source: S, categories: [{}, b], series: {{A: [1, 2]}}}}\n",
    "? {}\n: 1\n",  # a key
])
def test_a_number_too_long_for_python_to_print_is_a_located_error(tmp_path, written, place):
    """Python will not turn an int of over 4,300 digits into text, or text into one (and a
    short line of hexadecimal or base 60 makes one): each is one error at the number, not a
    traceback from `check` or, later, from `build`."""
    value, message = HUGE[written]
    text = HEAD + place.format(value)
    error = load_error(tmp_path, text)
    [diagnostic] = error.diagnostics
    assert message + ", more than any count or figure needs; check it" == diagnostic.message
    at = text.index(value)
    assert (diagnostic.line, diagnostic.column) == (text.count("\n", 0, at) + 1,
                                                    at - text.rfind("\n", 0, at))


@pytest.mark.parametrize("nested, line, column", [
    ("summary: " + "[" * 10_000 + "]" * 10_000, 5, 10 + MAX_DEPTH),
    ("summary: " + "{a: " * 10_000 + "}" * 10_000, 5, 10 + 4 * (MAX_DEPTH - 1) + 1),  # the key
    ("summary:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), 6 + MAX_DEPTH, None),
])
def test_deep_nesting_gives_a_located_error_quickly(tmp_path, nested, line, column):
    """Deeper than MAX_DEPTH stops at once: never Python's recursion limit inside PyYAML."""
    started = time.process_time()  # CPU time, so other work on the machine does not count
    error = load_error(tmp_path, HEAD + nested + "\n")
    assert time.process_time() - started < 10
    [diagnostic] = error.diagnostics
    assert f"nested too deeply (the limit is {MAX_DEPTH} levels)" in diagnostic.message
    assert diagnostic.line == line
    if column is not None:
        assert diagnostic.column == column


def test_recursive_alias_is_bounded(tmp_path):
    error = load_error(tmp_path, HEAD + "questions: &q [*q]\n")
    assert "nested too deeply" in str(error) and error.diagnostics[0].line == 5


def test_long_text_loads_up_to_the_text_limit_and_no_further(tmp_path):
    """Text just under MAX_TEXT_CHARS loads; a 4 MB value (under the file limit) does not."""
    text = "word " * (MAX_TEXT_CHARS // 5 - 10)
    path = write_meeting(tmp_path, "m.yaml", HEAD + f"summary: {text}\n")
    assert load_meeting(path).content.summary == text.strip()
    error = load_error(tmp_path, HEAD + "notes: " + "word " * 800_000 + "\n")
    assert (f"m.yaml:5:1: the file's text adds up to more than {MAX_TEXT_CHARS:,} characters"
            in str(error))


def test_control_characters_are_located(tmp_path):
    error = load_error(tmp_path, HEAD + "summary: bell\x07here\n")
    assert "m.yaml:5:14: the character U+0007 is not allowed" in str(error)


def test_file_over_the_limit_is_refused_before_parsing(workspace):
    filler = "# padding\n" * (MAX_FILE_BYTES // 10 + 1)
    write_meeting(workspace / "inputs", "big.yaml", HEAD + filler)
    result = run_cli("build", cwd=workspace)
    assert result.returncode == 1
    size = len((HEAD + filler).encode())
    assert f"error: inputs/big.yaml: file is {size:,} bytes" in result.stderr
    assert f"the limit is {MAX_FILE_BYTES:,} bytes (5 MB)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (workspace / "output").exists()


@pytest.mark.parametrize("escaped, code", [(r"\e", "001B"), (r"\x00", "0000"), (r"\x7f", "007F"),
                                           (r"\N", "0085"), (r"\uFFFE", "FFFE")])
def test_escaped_control_characters_are_located(tmp_path, escaped, code):
    """Found by the fuzz test: an escaped control character broke the PDF's text layer."""
    error = load_error(tmp_path, HEAD + f'summary: "bell{escaped}here"\n')
    assert f"m.yaml:5:10: the text contains the control character U+{code}" in str(error)


def csv_meeting(workspace: Path, csv_name: str) -> str:
    write_meeting(workspace / "inputs", "m.yaml",
                  HEAD + "data:\n  - id: rates\n    title: Rates\n    source: s\n"
                  f"    csv: {csv_name}\n")
    return "inputs/m.yaml:9:10:"  # the value of the `csv:` key


def check_quickly(workspace: Path) -> subprocess.CompletedProcess:
    """`briefing check` with a short time limit: a blocked read fails the test, not the run."""
    try:
        return subprocess.run([sys.executable, "-m", "briefing", "check"], cwd=workspace,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("briefing check blocked on the CSV file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_csv_naming_a_pipe_is_refused_without_reading_it(workspace):
    where = csv_meeting(workspace, "rates.csv")
    os.mkfifo(workspace / "inputs" / "rates.csv")  # nobody writes: reading would block
    result = check_quickly(workspace)
    assert result.returncode == 1
    assert (f"error: {where} `csv: rates.csv` is not a regular file (a pipe, device or "
            "socket); name a saved CSV file") in result.stderr
    assert "Traceback" not in result.stderr


def test_csv_over_the_limit_is_refused_by_its_size_before_reading(workspace):
    from briefing.meeting.datafiles import MAX_CSV_BYTES

    where = csv_meeting(workspace, "rates.csv")
    size = 64 * 1024 ** 2  # sparse: costs no disk space
    with open(workspace / "inputs" / "rates.csv", "wb") as stream:
        stream.truncate(size)
    result = check_quickly(workspace)
    assert result.returncode == 1
    assert (f"error: {where} CSV file `rates.csv` is {size:,} bytes; the limit is "
            f"{MAX_CSV_BYTES:,} bytes (1 MB)") in result.stderr


def test_an_error_quotes_a_very_long_key_cell_or_name_shortened(workspace):
    """A 100,000-character key, cell, series name or category is quoted by its first few
    dozen characters: the error stays one readable line, at the right file and line."""
    long = "x" * 100_000
    csv_meeting(workspace, "rates.csv")
    write_meeting(workspace / "inputs", "k.yaml", HEAD + f"  ? {long}\n  : 1\n")
    (workspace / "inputs" / "rates.csv").write_text(
        f"Year,S{long}\n2021,{long}\nC{long},1\nC{long},2\n", encoding="utf-8")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    shown = "x" * 57 + "…"
    assert f"inputs/k.yaml:5:5: unknown key `{shown}` in `meeting`; expected one of" \
        in result.stderr
    assert (f"inputs/rates.csv:2: `{shown}` in column `S{'x' * 56}…` is not a number"
            in result.stderr)
    assert f"inputs/rates.csv:4: category `C{'x' * 56}…` is repeated (first on line 3)" \
        in result.stderr
    assert max(len(line) for line in result.stderr.splitlines()) < 300, result.stderr[:2000]


@pytest.mark.parametrize(("name", "text", "line"), [
    ("duplicate-theme-id", "themes:\n  - {{id: {L}, title: A, points: [p]}}\n"
                           "  - {{id: {L}, title: B, points: [p]}}\n", 7),
    ("quote-of-no-theme", "themes:\n  - {{id: t, title: A, points: [p]}}\n"
                          "quotes:\n  - {{text: Said, theme: {L}}}\n", 8),
    ("list-hint", "questions: {L}\n", 5),
    ("colon-hint", "questions:\n  - {{? {L} : {L}}}\n", 6),
    ("follows-not-allowed", "  follows: /{L}.yaml\n", 5),
])
def test_a_very_long_word_in_any_message_is_cut(workspace, name, text, line):
    """Whatever message quotes a 100,000-character word the user wrote (an id, a path, a
    line the hint repeats) cuts it to 200 characters: the error stays one short line."""
    write_meeting(workspace / "inputs", "m.yaml", HEAD + text.format(L="x" * 100_000))
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1, result.stderr[:2000]
    errors = [row for row in result.stderr.splitlines() if row.startswith("error:")]
    assert errors and errors[0].startswith(f"error: inputs/m.yaml:{line}:"), errors[0][:300]
    assert "x" * 50 in errors[0] and "x" * 201 not in errors[0] and "…" in errors[0]
    assert max(len(row) for row in errors) < 1_000, max(len(row) for row in errors)


@pytest.mark.parametrize("where", ["key", "csv", "file name", "layout name"])
def test_a_line_break_in_quoted_text_cannot_forge_another_error(workspace, where):
    """What an error quotes or names (a key, a cell, a file's name, a setting) is printed on
    the error's own line, ⏎ for its line break: a file cannot print a line that reads as an
    error about some other file."""
    forged = "a\nerror: other.yaml:1:1: forged"
    if where == "key":
        write_meeting(workspace / "inputs", "m.yaml", HEAD + f"  ? {forged!r}\n  : 1\n"
                      .replace("'", '"'))
    elif where == "csv":
        csv_meeting(workspace, "rates.csv")
        (workspace / "inputs" / "rates.csv").write_text(
            f'Year,Rate\n2021,"{forged}"\n', encoding="utf-8")
    elif where == "file name":
        write_meeting(workspace / "inputs", f"{forged}.yaml", "meeting: [\n")
    else:
        # TOML reads "\n" in a string as a line break
        (workspace / "briefing.toml").write_text('build = ["a\\nerror: other.yaml:1:1: forged"]\n')
        write_meeting(workspace / "inputs", "m.yaml", HEAD)
    result = run_cli("check" if where != "layout name" else "build", cwd=workspace)
    assert result.returncode != 0
    assert not any(row.startswith("error: other.yaml") for row in
                   result.stderr.splitlines()), result.stderr
    assert "a⏎error: other.yaml:1:1: forged" in result.stderr


def test_a_terminal_escape_in_a_csv_cell_is_refused_and_never_printed(workspace):
    where = csv_meeting(workspace, "rates.csv")
    (workspace / "inputs" / "rates.csv").write_text(
        'Year,Rate\n"20\x1b[1A\x1b[2K21",1\n', encoding="utf-8")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert ("error: inputs/rates.csv:2: cell 1 contains the control character U+001B, which "
            "cannot be printed; remove it") in result.stderr
    assert "\x1b" not in result.stderr  # the escape itself never reaches the terminal
    assert where


def test_paths_the_system_refuses_are_errors_not_tracebacks(workspace):
    """A symbolic link loop named by `follows`, `csv` or the command line, an `extends` name
    and an output folder too long for the file system: each an error, never a traceback."""
    (workspace / "inputs" / "loop").symlink_to("loop")
    write_meeting(workspace / "inputs", "m.yaml", HEAD + "  follows: loop/x.yaml\n")
    write_meeting(workspace / "inputs", "n.yaml", HEAD + "data:\n  - {id: d, title: D, "
                  "source: s, csv: loop/x.csv}\n")
    result = run_cli("check", cwd=workspace)
    assert "error: inputs/m.yaml:5:12: `meeting.follows` names 'loop/x.yaml', which is not " \
        "allowed" in result.stderr
    assert "error: inputs/n.yaml:6:39: `csv: loop/x.csv` must be a relative path" in result.stderr
    named = run_cli("check", "inputs/loop/x.yaml", cwd=workspace)
    assert "error: inputs/loop/x.yaml: cannot read the file: Too many levels of symbolic links" \
        in named.stderr
    (workspace / "inputs" / "loop").unlink()
    (workspace / "layouts" / "pack").mkdir(parents=True)
    (workspace / "layouts" / "pack" / "layout.toml").write_text(f'extends = "{"z" * 5000}"\n')
    extends = run_cli("check", cwd=workspace)
    assert "error: layouts/pack/layout.toml:1: `extends = \"zzz" in extends.stderr
    assert "names no layout folder" in extends.stderr
    (workspace / "layouts" / "pack" / "layout.toml").unlink()
    (workspace / "briefing.toml").write_text(f'output = "{"z" * 5000}"\n')
    output = run_cli("build", "-l", "brief", cwd=workspace)
    assert output.returncode == 1
    assert "File name too long; check the paths in briefing.toml" in output.stderr
    for run in (result, named, extends, output):
        assert "Traceback" not in run.stderr
        assert max(len(row) for row in run.stderr.splitlines()) < 1_000


def test_a_follows_name_too_long_for_the_file_system_is_a_located_error(workspace):
    write_meeting(workspace / "inputs", "m.yaml", HEAD + "  follows: " + "y" * 300 + ".yaml\n")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert "error: inputs/m.yaml:5:12: `meeting.follows` names 'yyy" in result.stderr
    assert "which cannot be read (File name too long); name the meeting file it follows" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_libyaml_parser_gives_the_same_nodes_and_lines_as_pure_python():
    from briefing.meeting import yamlsource

    if yamlsource._FastDepthLimitedLoader is None:
        pytest.skip("PyYAML was built without libyaml")
    files = [REPO / "inputs" / "2025-battersea-lrap.yaml", *sorted(REPO.glob("tests/**/*.yaml"))]
    compared = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            continue
        outcome, expected = composed(yamlsource._DepthLimitedLoader, text)
        if outcome == "refused":
            continue  # a broken file: the pure-Python parser reports it (see _compose)
        assert composed(yamlsource._FastDepthLimitedLoader, text) == ("ok", expected), path
        compared += 1
    assert compared >= 20


def oversized_workspace(root: Path) -> dict[str, str]:
    """One meeting file per limit, each just over it: {file: the error it must give}."""
    inputs = root / "inputs"
    expected = {}
    # A 100,000-character summary repeated by aliases: small on disk, 1.1 million once read.
    chunk = "word " * 20_000
    write_meeting(inputs, "aliases.yaml", HEAD + f'summary: &s "{chunk}"\nquestions:\n'
                  + "  - *s\n" * 10)
    expected["aliases.yaml"] = (f"inputs/aliases.yaml:6:1: the file's text adds up to more than "
                                f"{MAX_TEXT_CHARS:,} characters")
    many = MAX_CATEGORIES + 1
    write_meeting(inputs, "categories.yaml", HEAD + "data:\n  - id: d\n    title: T\n"
                  "    source: s\n    categories:\n"
                  + "".join(f"      - c{i}\n" for i in range(many))
                  + "    series:\n      n: [" + ", ".join(["1"] * many) + "]\n")
    expected["categories.yaml"] = (f"inputs/categories.yaml:{10 + MAX_CATEGORIES}:9: data `d` "
                                   f"has {many:,} categories: a chart holds at most "
                                   f"{MAX_CATEGORIES}")
    write_meeting(inputs, "series.yaml", HEAD + "data:\n  - id: d\n    title: T\n"
                  "    source: s\n    categories: [a]\n    series:\n"
                  + "".join(f"      s{i}: [1]\n" for i in range(MAX_SERIES + 1)))
    expected["series.yaml"] = (f"inputs/series.yaml:10:5: data `d` has {MAX_SERIES + 1} series: "
                               f"a chart holds at most {MAX_SERIES}")
    write_meeting(inputs, "attendance.yaml", HEAD + "attendance:\n" + "".join(
        f"  - {{group: g{i}, count: 1}}\n" for i in range(many)))
    expected["attendance.yaml"] = (f"inputs/attendance.yaml:{6 + MAX_CATEGORIES}:5: {many:,} "
                                   f"attendance groups: the limit is {MAX_CATEGORIES}")
    write_meeting(inputs, "rows.yaml", HEAD + "data:\n  - id: d\n    title: T\n    source: s\n"
                  "    csv: rows.csv\n")
    (inputs / "rows.csv").write_text("area,n\n" + "".join(f"a{i},{i}\n" for i in range(many)))
    expected["rows.yaml"] = (f"inputs/rows.csv:{2 + MAX_CATEGORIES}: more than {MAX_CATEGORIES} "
                             "rows of figures")
    write_meeting(inputs, "columns.yaml", HEAD + "data:\n  - id: d\n    title: T\n"
                  "    source: s\n    csv: columns.csv\n")
    (inputs / "columns.csv").write_text(
        "area," + ",".join(f"s{i}" for i in range(MAX_SERIES + 1)) + "\na," + "1," * MAX_SERIES
        + "1\n")
    expected["columns.yaml"] = (f"inputs/columns.csv:1: the header names {MAX_SERIES + 1} "
                                f"series: a chart holds at most {MAX_SERIES}")
    write_meeting(inputs, "markdown.yaml", HEAD + 'summary: "' + "*a " * 500 + "x"
                  + " a*" * 500 + '"\n')
    expected["markdown.yaml"] = ("inputs/markdown.yaml:5:10: `summary` nests Markdown 501 "
                                 f"levels deep (emphasis, links, lists or quotes inside one "
                                 f"another); the limit is {MAX_MARKDOWN_NESTING}")
    # A chain of MAX_FOLLOWS + 1 meetings: inputs/follows.yaml, then chain/c100 ... chain/c000.
    for index in range(MAX_FOLLOWS):
        follows = f"  follows: c{index - 1:03}.yaml\n" if index else ""
        write_meeting(inputs / "chain", f"c{index:03}.yaml", HEAD + follows)
    write_meeting(inputs, "follows.yaml",
                  HEAD + f"  follows: chain/c{MAX_FOLLOWS - 1:03}.yaml\n")
    expected["follows.yaml"] = (f"inputs/follows.yaml:5:12: `meeting.follows` makes a chain of "
                                f"more than {MAX_FOLLOWS} meetings (the {MAX_FOLLOWS}th, "
                                "inputs/chain/c001.yaml, follows yet another)")
    return expected


def test_oversized_inputs_fail_check_and_build_at_their_line(workspace):
    """Each input just over a limit is refused, located, by `check` and by `build` alike,
    before anything is rendered (each of these once took minutes or gigabytes to build)."""
    expected = oversized_workspace(workspace)
    checked = run_cli("check", cwd=workspace)
    built = run_cli("build", "-j", "1", cwd=workspace)
    for result in (checked, built):
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        for name, message in expected.items():
            assert f"error: {message}" in result.stderr, (name, result.stderr[-3000:])
    assert f"checked {len(expected)} files: {len(expected)} errors" in checked.stderr
    assert f"0 built, 0 up to date, {len(expected)} failed" in built.stderr
    assert not list(workspace.glob("output/*/*.pdf"))


def test_inputs_at_the_limits_are_accepted(workspace):
    """Exactly at each limit is fine: the limits refuse only what no meeting needs."""
    inputs = workspace / "inputs"
    write_meeting(inputs, "m.yaml", HEAD + "  follows: chain/c097.yaml\n" + "summary: \""
                  + "*a " * (MAX_MARKDOWN_NESTING - 1) + "x" + " a*" * (MAX_MARKDOWN_NESTING - 1)
                  + '"\ndata:\n  - id: d\n    title: T\n    source: s\n    csv: rows.csv\n')
    (inputs / "rows.csv").write_text(
        "area," + ",".join(f"s{i}" for i in range(MAX_SERIES)) + "\n"
        + "".join(f"a{i}," + ",".join(["1"] * MAX_SERIES) + "\n" for i in range(MAX_CATEGORIES)))
    for index in range(MAX_FOLLOWS - 1):
        follows = f"  follows: c{index - 1:03}.yaml\n" if index else ""
        write_meeting(inputs / "chain", f"c{index:03}.yaml", HEAD + follows)
    result = run_cli("check", cwd=workspace)
    assert "0 errors" in result.stderr, result.stderr[-3000:]


def test_every_meeting_of_a_long_chain_is_checked_against_the_chain_limit(workspace):
    """Chained meetings all in inputs/: each one past the limit fails, naming its own 100th
    meeting back (a walk reused from the meeting before must still say the right one)."""
    count = MAX_FOLLOWS + 20
    for index in range(count):
        follows = f"  follows: c{index - 1:03}.yaml\n" if index else ""
        write_meeting(workspace / "inputs", f"c{index:03}.yaml", HEAD + follows)
    result = run_cli("check", cwd=workspace)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 20, result.stderr[-3000:]
    for index in range(MAX_FOLLOWS, count):
        assert (f"error: inputs/c{index:03}.yaml:5:12: `meeting.follows` makes a chain of more "
                f"than {MAX_FOLLOWS} meetings (the {MAX_FOLLOWS}th, inputs/c"
                f"{index - MAX_FOLLOWS + 1:03}.yaml, follows yet another)") in result.stderr
