"""Meeting files: every problem reported at its line, with words an officer can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE, run_cli, write_meeting

BROKEN = Path(__file__).parent / "broken"

# file, then every (line, words that must appear on that error line)
CORPUS = {
    "yaml-syntax.yaml": [(4, ["opened with \" on line 4 is never closed", "add the closing \""])],
    "empty.yaml": [(1, ["empty", "briefing new"])],
    "top-level-list.yaml": [(1, ["top level must be a mapping", "found a list"])],
    "not-utf8.yaml": [(2, ["not UTF-8", "0xe9"])],
    "duplicate-key.yaml": [(9, ["duplicate key `title`", "line 7"])],
    "unknown-key.yaml": [(5, ["unknown key `qoutes`", "did you mean `quotes`?"])],
    "missing-required.yaml": [(1, ["missing required key `venue`", "meeting"]),
                              (5, ["missing required key `title`", "themes[0]"])],
    "wrong-type.yaml": [(5, ["`questions` should be a list", "found the text"]),
                        (7, ["`attendance[0].count` should be a whole number", "'many'"])],
    "bad-date.yaml": [(3, ["`meeting.date`", "YYYY-MM-DD", "'12/07/2025'"]),
                      (8, ["`actions[0].due`", "YYYY-MM-DD", "'2025-9-1'"])],
    "unknown-enum.yaml": [(6, ["classification", "OFFICIAL-SENSITIVE", "'SECRET'"]),
                          (12, ["consent", "public or internal", "'yes please'"]),
                          (16, ["status", "in-progress", "'closed'"]),
                          (20, ["kind", "stacked", "'pie'"])],
    "negative-count.yaml": [(7, ["count", "cannot be negative", "-4"])],
    "unknown-theme.yaml": [(9, ["theme `trsut`", "did you mean `trust`?"]),
                           (13, ["theme `housing`", "known themes: trust"])],
    "duplicate-ids.yaml": [(7, ["duplicate theme id `trust`"]),
                           (10, ["duplicate action id `A1`"])],
    "series-length.yaml": [(10, ["series `Residents` has 2 values", "3 categories"])],
    "python-tag.yaml": [(2, ["tag", "python/object/apply", "not allowed"])],
    "no-such-character.yaml": [(3, ["the escape \\U80001000 names no character",
                                    "write the character itself"])],
    "bad-language.yaml": [(5, ["`meeting.language` should be a BCP 47 language tag",
                               "en-GB", "'xx-!!'"])],
    # Type errors and cross-reference errors together: one run reports them all.
    "mixed.yaml": [(6, ["`attendance[0].count` should be a whole number", "'lots'"]),
                   (9, ["duplicate theme id `trust`", "also themes[0]"]),
                   (10, ["`themes[2].title` should be text", "found a list"]),
                   (18, ["`actions[0].owner` should be text", "the number 12"]),
                   (21, ["duplicate action id `A1`", "also actions[0]"]),
                   (23, ["theme `hosuing`", "did you mean `housing`?"]),
                   (28, ["series `Reports` has 2 values", "3 categories"]),
                   (30, ["duplicate data id `crime`", "also data[0]"]),
                   (32, ["kind", "stacked", "'pie'"]),
                   (33, ["either `csv` or `categories` and `series`"])],
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_broken_file_reports_every_problem_at_its_line(name):
    result = run_cli("check", name, cwd=BROKEN)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    expected = CORPUS[name]
    assert len(errors) == len(expected), result.stderr
    for (line, words), error in zip(expected, errors):
        assert error.startswith(f"error: {name}:{line}:"), (error, line)
        for word in words:
            assert word in error, (word, error)


@pytest.mark.parametrize("tag, valid", [
    ("en-GB", True), ("cy", True), ("pa-Guru-IN", True), ("es-419", True), ("zh-Hant", True),
    ("xx-!!", False), ("english", False), ("en_GB", False), ("en-", False), ("e", False),
    ("en GB", False), ("", False),
])
def test_language_must_look_like_a_bcp47_tag(tag, valid):
    from pydantic import ValidationError

    from briefing.meeting.models import MeetingInfo

    info = {"title": "T", "date": "2025-07-12", "venue": "V", "language": tag}
    if valid:
        assert MeetingInfo.model_validate(info).language == tag
    else:
        with pytest.raises(ValidationError):
            MeetingInfo.model_validate(info)


def test_python_tag_is_refused_not_executed(tmp_path):
    marker = Path("/tmp/briefing-pwned")
    marker.unlink(missing_ok=True)
    run_cli("check", "python-tag.yaml", cwd=BROKEN)
    run_cli("build", str(BROKEN / "python-tag.yaml"), "--output", str(tmp_path), cwd=tmp_path)
    assert not marker.exists()


def test_warnings_exit_zero_unless_strict():
    result = run_cli("check", "warnings.yaml", cwd=BROKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # text diagnostics go to stderr with the summary
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split(":")[2] for w in warnings] == ["6", "9", "13", "16"]
    assert "no points and no quotes" in warnings[0]
    assert "no `theme`" in warnings[1]
    assert "action A1 was due 2025-06-01" in warnings[2] and "still open" in warnings[2]
    # The same rule as "you said, we did": in progress after its due date is overdue too.
    assert "action A2 was due 2025-06-01" in warnings[3] and "still in progress" in warnings[3]
    assert "checked 1 file: 0 errors, 4 warnings" in result.stderr
    assert run_cli("check", "--strict", "warnings.yaml", cwd=BROKEN).returncode == 1


def test_a_file_with_type_errors_still_gets_its_warnings():
    result = run_cli("check", "mixed.yaml", cwd=BROKEN)
    assert result.returncode == 1
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split(":")[2] for w in warnings] == ["10", "14", "19"], result.stderr
    assert "theme `housing` has no points and no quotes" in warnings[0]
    assert "quote has no `theme`" in warnings[1]
    assert "still in progress" in warnings[2]
    assert "checked 1 file: 10 errors, 3 warnings" in result.stderr


def test_cross_reference_checks_skip_values_of_the_wrong_type(workspace):
    # A theme id that is not text cannot be matched: its type error is the only report,
    # not also a made-up "unknown theme" error for the quote that names it.
    write_meeting(workspace / "inputs", "m.yaml",
                  "meeting: {title: T, date: 2025-07-12, venue: V}\n"
                  "themes:\n  - {id: 7, title: Seven, points: [p]}\n"
                  "quotes:\n  - {text: Hi, theme: '7'}\n  - {text: [Hi], theme: 7}\n"
                  "actions:\n  - {id: [A1], action: Go, due: soon, status: open}\n"
                  "data:\n  - {id: d, title: D, categories: A, series: {S: [1]}, source: 5}\n")
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert all("should be" in line for line in errors), errors
    assert len(errors) == 7, result.stderr
    assert "warning:" not in result.stderr


def test_all_errors_of_several_files_in_one_run():
    result = run_cli("check", "unknown-key.yaml", "bad-date.yaml", cwd=BROKEN)
    assert result.returncode == 1
    assert "unknown-key.yaml:5:" in result.stderr and "bad-date.yaml:8:" in result.stderr


def test_github_format_prints_annotations():
    result = run_cli("check", "--format", "github", "unknown-key.yaml", cwd=BROKEN)
    assert result.returncode == 1
    assert result.stdout.strip() == ("::error file=unknown-key.yaml,line=5,col=1::unknown key "
                                     "`qoutes`; did you mean `quotes`?")


def test_json_format_is_machine_readable():
    result = run_cli("check", "--format", "json", "bad-date.yaml", cwd=BROKEN)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["checked"] == 1
    assert [(d["line"], d["severity"]) for d in report["diagnostics"]] == [(3, "error"),
                                                                          (8, "error")]


def test_sample_meeting_checks_clean():
    result = run_cli("check", str(SAMPLE), cwd=REPO, fresh=True)  # `check` in its own process
    assert result.returncode == 0, result.stderr
    assert "0 errors, 0 warnings" in result.stderr


def test_starter_file_passes_check(tmp_path):
    assert run_cli("new", "inputs/first.yaml", cwd=tmp_path).returncode == 0
    result = run_cli("check", "inputs/first.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "0 errors, 0 warnings" in result.stderr
    again = run_cli("new", "inputs/first.yaml", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_committed_schema_is_current_and_accepts_the_sample():
    import jsonschema
    import yaml

    result = run_cli("schema", cwd=REPO, fresh=True)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    committed = json.loads((REPO / "meeting.schema.json").read_text(encoding="utf-8"))
    assert schema == committed, "run `make schema` after changing briefing/meeting/models.py"
    sample = json.loads(json.dumps(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")),
                                   default=str))
    jsonschema.validate(sample, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**sample, "qoutes": []}, schema)


def test_sample_declares_the_schema_for_editors():
    first_line = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../meeting.schema.json"
