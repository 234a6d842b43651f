"""Every byte of a public or councillor PDF: nothing internal in pages, strings, streams or attachments.

The fixture in tests/fixtures/leaky writes its internal quotes and notes everywhere a meeting
file can (Markdown, entities, soft hyphens, zero-width joiners, look-alike letters, ids,
series names, CSV headers, an earlier meeting it follows). The tests build real PDFs with the
real command line and read back every page's text, every string and every decompressed
stream (attachments, XMP, outline, /Alt, /ActualText, the document info).
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pikepdf
import pytest
import yaml

from conftest import pdf_pages, run_cli

LEAKY = Path(__file__).parent / "fixtures" / "leaky"

# Words that appear only in internal material: quotes without public consent and notes.
INTERNAL_QUOTES = ("Close the youth centre on Falcon Road",
                   "The launderette owner keeps a list of names")
NOTES_WORDS = ("Quartermaine", "informant", "Pemberton", "Oyelaran")
ONLY_INTERNAL_WORDS = ("Falcon", "launderette")
# The disguises, exactly as written in the file.
DISGUISES = ("clo&#115;e", "youth *c*entre", "yo\u00aduth", "cen\u200dtre",
             "\u0421lose the youth \u0441entre", "youth __centre__")


@pytest.fixture(scope="module")
def leaky_workspace(tmp_path_factory) -> Path:
    """The leaky meetings, built in the public and councillor editions, archived and not."""
    root = tmp_path_factory.mktemp("leaky")
    shutil.copytree(LEAKY, root / "inputs")
    (root / "inputs" / "earlier.yaml").rename(root / "earlier.yaml")  # not a pack of its own
    text = (root / "inputs" / "leaky.yaml").read_text(encoding="utf-8")
    (root / "inputs" / "leaky.yaml").write_text(
        text.replace("follows: earlier.yaml", "follows: ../earlier.yaml"), encoding="utf-8")
    for extra in ([], ["--archive"]):
        result = run_cli("build", "-l", "pack", "-e", "public", "-e", "councillor", "-e",
                         "internal", *extra, cwd=root)
        assert result.returncode == 0, result.stderr
    return root


def pdf_of(root: Path, edition: str, archive: bool) -> Path:
    return root / "output" / "leaky" / f"pack-{edition}{'-archive' if archive else ''}.pdf"


def every_text(path: Path) -> str:
    """Page text, every string object and every decodable stream of a PDF, as one text."""
    parts = list(pdf_pages(path))
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            parts.extend(_strings_in(obj))
            if isinstance(obj, pikepdf.Stream):
                try:
                    data = obj.read_bytes()
                except pikepdf.PdfError:
                    data = obj.read_raw_bytes()
                parts.append(data.decode("utf-8", errors="ignore"))
                parts.append(data.decode("utf-16-be", errors="ignore"))
                parts.extend(_strings_in(obj.stream_dict))
    return "\n".join(parts)


def _strings_in(obj, depth: int = 0) -> list[str]:
    if depth > 6:
        return []
    if isinstance(obj, pikepdf.String):
        return [str(obj)]
    if isinstance(obj, pikepdf.Array):
        return [s for item in obj for s in _strings_in(item, depth + 1)]
    if isinstance(obj, pikepdf.Dictionary):
        return [s for key in obj.keys() if key not in ("/Parent", "/P", "/Pg", "/K")
                for s in _strings_in(obj[key], depth + 1)]
    return []


def squeezed(text: str) -> str:
    """Letters and digits only, NFKC and case folded: spacing and punctuation cannot hide."""
    return re.sub(r"\W+", "", unicodedata.normalize("NFKC", text).casefold())


def assert_no_internal_quote(found: str) -> None:
    flat = squeezed(found)
    for quote in INTERNAL_QUOTES:
        assert squeezed(quote) not in flat, quote
    for word in ONLY_INTERNAL_WORDS:
        assert word.casefold() not in found.casefold(), word
    for disguise in DISGUISES:
        assert disguise not in found, disguise


def assert_no_notes(found: str) -> None:
    for word in NOTES_WORDS:
        assert word.casefold() not in found.casefold(), word


@pytest.mark.parametrize("archive", [False, True], ids=["pack", "archive"])
def test_public_edition_carries_no_internal_quote_or_note_in_any_byte(leaky_workspace, archive):
    found = every_text(pdf_of(leaky_workspace, "public", archive))
    assert "[withheld]" in found  # the disguised repeats were found, not just left out
    assert_no_internal_quote(found)
    assert_no_notes(found)


@pytest.mark.parametrize("archive", [False, True], ids=["pack", "archive"])
def test_councillor_edition_carries_no_note_in_any_byte(leaky_workspace, archive):
    found = every_text(pdf_of(leaky_workspace, "councillor", archive))
    assert_no_notes(found)
    assert "Falcon Road" in found  # the councillor edition prints every quote


def attachments(path: Path) -> dict[str, bytes]:
    with pikepdf.open(path) as pdf:
        return {name: spec.get_file().read_bytes()
                for name, spec in pdf.attachments.items()}


def test_internal_archive_attaches_the_files_as_written(leaky_workspace):
    found = attachments(pdf_of(leaky_workspace, "internal", True))
    inputs = leaky_workspace / "inputs"
    assert found == {"leaky.yaml": (inputs / "leaky.yaml").read_bytes(),
                     "earlier.yaml": (leaky_workspace / "earlier.yaml").read_bytes(),
                     "views.csv": (inputs / "data" / "views.csv").read_bytes()}


def test_councillor_archive_attaches_copies_without_notes(leaky_workspace):
    found = attachments(pdf_of(leaky_workspace, "councillor", True))
    assert set(found) == {"leaky.yaml", "earlier.yaml", "views.csv"}
    for name in ("leaky.yaml", "earlier.yaml"):
        copy = yaml.safe_load(found[name])
        assert "notes" not in copy
        assert len(copy["quotes"]) == len(yaml.safe_load(
            (leaky_workspace / ("inputs" if name == "leaky.yaml" else "") / name).read_text()
        )["quotes"])
    assert b"# A meeting full of internal material" not in found["leaky.yaml"]  # no comments


def test_public_archive_attaches_a_public_copy_that_still_checks(leaky_workspace, tmp_path):
    found = attachments(pdf_of(leaky_workspace, "public", True))
    assert set(found) == {"leaky.yaml", "earlier.yaml", "views.csv"}
    copy = yaml.safe_load(found["leaky.yaml"])
    assert [quote["consent"] for quote in copy["quotes"]] == ["public"]
    assert "notes" not in copy and "quotes" not in yaml.safe_load(found["earlier.yaml"])
    assert copy["data"][0]["series"] == {"[withheld]": [3, 5, 7]}
    assert found["views.csv"].splitlines()[0] == b"Month,[withheld],Others"
    # Everything else is as written, and the copy is a meeting file that passes `check`.
    assert copy["meeting"]["venue"] == "Test Hall, Battersea"
    assert copy["attendance"][1] == {"group": "Police officers", "count": 2, "role": "officials"}
    (tmp_path / "inputs" / "data").mkdir(parents=True)
    for name, data in found.items():
        target = tmp_path / "inputs" / ("data" if name.endswith(".csv") else "") / name
        target.write_bytes(data)
    (tmp_path / "inputs" / "leaky.yaml").write_text(
        found["leaky.yaml"].decode().replace("follows: ../earlier.yaml", "follows: earlier.yaml"))
    result = run_cli("check", "inputs/leaky.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("edition", "suffix"), [("public", "public release"),
                                                 ("councillor", "councillor edition"),
                                                 ("internal", "internal edition")])
def test_each_edition_has_its_own_title_and_only_the_meeting_date(leaky_workspace, edition,
                                                                  suffix):
    title = f"Leak test \u2013 community conversation \u2013 {suffix}"
    for archive in (False, True):
        with pikepdf.open(pdf_of(leaky_workspace, edition, archive)) as pdf:
            assert str(pdf.docinfo["/Title"]) == title
            with pdf.open_metadata() as xmp:
                assert xmp["dc:title"] == title
                dates = [str(value) for key, value in xmp.items() if "Date" in key]
            dates += [str(pdf.docinfo[key]) for key in ("/CreationDate", "/ModDate")]
            assert dates and all(re.sub(r"\D", "", date).startswith("20250712")
                                 for date in dates), dates
            assert all(re.fullmatch(r"D:20250712(000000)?[^1-9]*", str(pdf.docinfo[key]))
                       for key in ("/CreationDate", "/ModDate"))


def test_staff_counts_are_not_small_numbers_but_residents_are(tmp_path):
    (tmp_path / "inputs").mkdir()
    meeting = (LEAKY / "earlier.yaml").read_text().replace(
        "themes:", "attendance:\n  - {group: Police officers, count: 2, role: officials}\n"
                   "  - {group: Councillors, count: 1, role: officials}\n"
                   "  - {group: Young residents, count: 3}\n  - {group: Others, count: 12}\n"
                   "themes:")
    (tmp_path / "inputs" / "m.yaml").write_text(meeting)
    result = run_cli("check", "--strict", cwd=tmp_path)
    small = [line for line in result.stderr.splitlines() if "attendance count" in line]
    assert len(small) == 1 and "`Young residents`" in small[0], result.stderr
    assert small[0].startswith("warning: inputs/m.yaml:9:")


def test_strict_prints_each_problem_once_and_counts_them(leaky_workspace):
    result = run_cli("build", "--strict", "-l", "pack", "-e", "public", cwd=leaky_workspace)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    problems = [line for line in lines if line.startswith(("error:", "warning:"))]
    assert problems and len(problems) == len(set(problems))
    assert all(line.startswith("error:") and line.endswith("(warning; --strict)")
               for line in problems)
    assert f"1 failed ({len(problems)} warnings failed with --strict)" in lines[-1]
    checked = run_cli("check", "--strict", cwd=leaky_workspace)
    warnings = [line for line in checked.stderr.splitlines() if line.startswith("warning:")]
    assert checked.returncode == 1 and len(warnings) == len(set(warnings)) == len(problems)
    assert checked.stderr.splitlines()[-1].endswith(
        f"--strict fails on the {len(problems)} warnings")
