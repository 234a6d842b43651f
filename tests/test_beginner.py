"""The slips of people who have never written YAML: each named at its line, with what to type instead."""

from __future__ import annotations

import pytest

from conftest import run_cli

HEAD = "meeting:\n  title: Community conversation\n  date: 2025-07-12\n  venue: Hall\n"
QUOTE = HEAD + "themes:\n  - {id: t, title: T, points: [p]}\nquotes:\n"
COUNT = HEAD + "attendance:\n  - group: Residents\n"
DATA = HEAD + "data:\n  - id: d\n    title: D\n    source: Survey\n    categories: [a, b]\n"

# name: (file text, [(line, words the message on that line must hold)], or [] for a file
# that must check clean). Lines count from 1, as an editor shows them.
CORPUS = {
    # A key without its colon: named on its own line, not the next one.
    "colon-missing": ("meeting:\n  title: T\n  date 2025-07-12\n  venue: V\n",
                      [(3, ["`date` is missing the colon", "write `date: 2025-07-12`"])]),
    "colon-missing-last-key": ("meeting:\n  title: T\n  date: 2025-07-12\n  venue Hall\n",
                               [(4, ["`venue` is missing the colon", "`venue: Hall`"])]),
    "colon-missing-top-level": (HEAD + "summary Residents met officers\n",
                                [(5, ["`summary` is missing the colon",
                                      "`summary: Residents met officers`"])]),
    "colon-without-space": ("meeting:\n  title:Community\n  date: 2025-07-12\n  venue: V\n",
                            [(2, ["`title` is missing the colon",
                                  "put a space after the colon: `title: Community`"])]),
    "equals-instead-of-colon": ("meeting:\n  title = Community\n  date: 2025-07-12\n  venue: V\n",
                                [(2, ["`title` is missing the colon", "`title: Community`"])]),
    # Apostrophes and quotes inside quotes.
    "apostrophe-in-single-quotes": (QUOTE + "  - text: 'I don't know who to call'\n",
                                    [(8, ["apostrophe in `don't`", "write it twice",
                                          "'I don''t know who to call'",
                                          "double quotes: \"I don't know who to call\""])]),
    "apostrophe-in-flow-mapping": (QUOTE + "  - {text: 'We can't get there', theme: t}\n",
                                   [(8, ["apostrophe in `can't`", "'We can''t get there'",
                                         "\"We can't get there\""])]),
    "apostrophe-possessive": (QUOTE + "  - text: 'residents' views matter'\n",
                              [(8, ["apostrophe in `residents'`", "double quotes"])]),
    "double-quotes-inside-double": (QUOTE + '  - text: "She said "no" to us"\n',
                                    [(8, ["ends the text that the opening \" started",
                                          "single quotes ('She said \"no\" to us')"])]),
    "quote-never-closed": (HEAD + 'summary: "Residents met officers\nthemes: []\n',
                           [(5, ["opened with \" on line 5 is never closed",
                                 "add the closing \""])]),
    # `: ` inside text.
    "colon-in-text": (HEAD + "summary: Question 1: what would help?\n",
                      [(5, ["contains `: `", "put the whole text in quotes",
                            'summary: "Question 1: what would help?"'])]),
    "colon-in-list-item": (HEAD + "questions:\n  - Question 1: what would help?\n",
                           [(6, ["should be text, found a mapping", "the `: ` in",
                                 '"Question 1: what would help?"'])]),
    "colon-in-point": (HEAD + "themes:\n  - id: t\n    title: T\n    points:\n"
                              "      - Note: the lights are out\n",
                       [(9, ["`themes[0].points[0]` should be text", "put the whole text in quotes",
                             '"Note: the lights are out"'])]),
    # Curly quotes from a word processor.
    "curly-quotes-around-text-with-colon": (QUOTE + "  - text: \u201cNote: we waited\u201d\n",
                                            [(8, ["curly quote \u201c", "use straight quotes",
                                                  '"Note: we waited"'])]),
    "curly-quotes-kept-in-text": (QUOTE + "  - {text: \u201cWe waited\u201d, theme: t}\n",
                                  [(8, ["curly quotes", "the pack prints", "straight quotes"])]),
    # Tabs and indentation.
    "tab-indent": (HEAD + "themes:\n\t- id: t\n", [(6, ["spaces, not tabs", "replace the tab"])]),
    "tab-after-spaces": (HEAD + "themes:\n  - id: t\n  \t title: T\n",
                         [(7, ["spaces, not tabs"])]),
    "indented-too-far": ("meeting:\n  title: T\n   date: 2025-07-12\n  venue: V\n",
                         [(3, ["`date` is indented 3 spaces", "same column",
                               "`title` on line 2"])]),
    "indented-too-little": ("meeting:\n  title: T\n date: 2025-07-12\n  venue: V\n",
                            [(3, ["`date` is indented 1 space,", "`title` on line 2"])]),
    "item-key-out-of-line": (HEAD + "themes:\n  - id: t\n   title: T\n",
                             [(7, ["`title` is indented 3 spaces", "`id` on line 6 starts after 4"])]),
    "item-key-under-the-dash": (HEAD + "themes:\n  - id: t\n  title: T\n",
                                [(7, ["`title` is indented 2 spaces",
                                      "if it starts another item of the list, begin it with `- `"])]),
    "block-text-line-out-of-step": (HEAD + "summary: |\n    Residents met officers.\n  They asked for more.\n",
                                    [(7, ["this line is indented 2 spaces, less than the text above",
                                          "line 6 has 4"])]),
    "list-item-out-of-step": (HEAD + "attendance:\n  - {group: Residents, count: 3}\n"
                                     "   - {group: Officers, count: 2}\n",
                              [(7, ["this list item is indented 3 spaces", "line 6 has 2",
                                    "same column"])]),
    "list-item-missing-colon": (HEAD + "actions:\n  - id A1\n    action: Open the hall\n",
                                [(6, ["`id` is missing the colon", "`id: A1`"])]),
    # Lists and mappings mixed up.
    "list-written-as-mapping": (HEAD + "themes:\n  id: t\n  title: T\n",
                                [(6, ["`themes` should be a list", "start each item with `- `"])]),
    "mapping-written-as-list": ("meeting:\n  - title: T\n  - date: 2025-07-12\n  - venue: V\n",
                                [(2, ["`meeting` should be a mapping", "remove the `- `"])]),
    "text-instead-of-list": (HEAD + "themes:\n  - id: t\n    title: T\n    points: Parking\n",
                             [(8, ["`themes[0].points` should be a list", "[Parking]"])]),
    "dash-without-space": (HEAD + "questions:\n  -Why?\n  -When?\n",
                           [(6, ["`questions` should be a list", "a space after each `-`"])]),
    "list-on-the-key-line": (HEAD + "questions: - What next?\n",
                             [(5, ["cannot start on the same line as `questions:`",
                                   "`  - What next?`"])]),
    "second-item-without-dash": (HEAD + "themes:\n  - id: a\n    title: A\n    points: [p]\n"
                                        "    id: b\n",
                                 [(9, ["duplicate key `id`", "begin it with `- `"])]),
    "bracket-never-closed": (HEAD + "questions: [Why, When\nthemes: []\n",
                             [(5, ["the `[` on line 5 is not closed", "add `]`"])]),
    # Text YAML reads as something else.
    "text-starting-with-star": (HEAD + "summary: *Urgent* repairs\n",
                                [(5, ["cannot start with *", '"*Urgent* repairs"'])]),
    "text-starting-with-at": (HEAD + "summary: @CllrSmith attended\n",
                              [(5, ["cannot start with @", '"@CllrSmith attended"'])]),
    "text-starting-with-bracket": (HEAD + "summary: [Redacted] said no\n",
                                   [(5, ["cannot start with [", '"[Redacted] said no"'])]),
    "yes-as-text": (HEAD + "questions:\n  - yes\n", [(6, ["should be text", "in quotes"])]),
    # Numbers written as people write them.
    "count-in-words": (COUNT + "    count: twelve\n",
                       [(7, ["`attendance[0].count` should be a whole number", "in digits: 12"])]),
    "count-in-fullwidth-digits": (COUNT + "    count: １２\n",
                                  [(7, ["with the digits 0 to 9: 12"])]),
    "count-in-arabic-indic-digits-with-a-leading-zero": (COUNT + "    count: ٠١٢\n",
                                                         [(7, ["with the digits 0 to 9: 12"])]),
    "count-in-fullwidth-digits-with-unit": (COUNT + "    count: １２ people\n",
                                            [(7, ["write only the number: 12"])]),
    "count-in-arabic-indic-digits-and-letters": (COUNT + "    count: ١٢abc\n",
                                                 [(7, ["write only the number: 12"])]),
    "count-with-unit": (COUNT + "    count: 12 people\n", [(7, ["write only the number: 12"])]),
    "count-with-thousands-comma": (COUNT + "    count: 1,200\n",
                                   [(7, ["without commas: 1200"])]),
    "count-comma-in-flow": (HEAD + "attendance:\n  - {group: Residents, count: 1,200}\n",
                            [(6, ["unknown key `200`", "write numbers without commas"])]),
    "count-with-fraction": (COUNT + "    count: 12.5\n", [(7, ["whole number", "12.5"])]),
    "count-absurd": (COUNT + "    count: 99999999999999999999999\n",
                     [(7, ["`attendance[0].count` is too large", "the limit is 1,000,000;"])]),
    "series-percent": (DATA + "    series: {Agree: [45%, 30]}\n",
                       [(10, ["should be a number", "write only the number: 45",
                              "`unit:`"])]),
    "series-absurd": (DATA + "    series: {Agree: [4, 5000000000000000]}\n",
                      [(10, ["series `Agree`", "too large to chart", "±1,000,000,000,000,000"])]),
    # Dates.
    "date-impossible": ("meeting:\n  title: T\n  date: 2025-02-30\n  venue: V\n",
                        [(3, ["`meeting.date` is 2025-02-30", "not a day in the calendar",
                              "February 2025 has 28 days"])]),
    "date-year-0": ("meeting:\n  title: T\n  date: 0000-01-01\n  venue: V\n",
                    [(3, ["`meeting.date` is 0000-01-01", "there is no year 0"])]),
    "date-last-month-of-9999": (HEAD + "actions:\n  - {id: A1, action: Act, due: 9999-12-32}\n",
                                [(6, ["`actions[0].due` is 9999-12-32",
                                      "December 9999 has 31 days"])]),
    "date-in-arabic-indic-digits": ("meeting:\n  title: T\n  date: ٢٠٢٥-٠٧-١٢\n  venue: V\n",
                                    [(3, ["YYYY-MM-DD", "with the digits 0 to 9: 2025-07-12"])]),
    "date-unpadded-in-arabic-indic-digits": ("meeting:\n  title: T\n  date: ٢٠٢٥-٧-١٢\n  venue: V\n",
                                             [(3, ["with the digits 0 to 9: 2025-07-12"])]),
    "date-with-a-line-break": ('meeting:\n  title: T\n  date: "2025-07-12\\n"\n  venue: V\n',
                               [(3, ["without the spaces or line break around it: 2025-07-12"])]),
    "date-unpadded-in-year-0": ("meeting:\n  title: T\n  date: 0000-7-1\n  venue: V\n",
                                [(3, ["two digits each: 0000-07-01"])]),
    "date-month-13": (HEAD + "actions:\n  - {id: A1, action: Act, due: 2025-13-01}\n",
                      [(6, ["`actions[0].due` is 2025-13-01", "no month 13"])]),
    "date-day-first": ("meeting:\n  title: T\n  date: 12/07/2025\n  venue: V\n",
                       [(3, ["YYYY-MM-DD", "if that is 12 July 2025, write 2025-07-12"])]),
    "date-in-words": ("meeting:\n  title: T\n  date: 12 July 2025\n  venue: V\n",
                      [(3, ["YYYY-MM-DD", "write 2025-07-12"])]),
    "date-with-time": ("meeting:\n  title: T\n  date: 2025-07-12 18:30\n  venue: V\n",
                       [(3, ["without a time", "2025-07-12"])]),
    "date-unpadded": ("meeting:\n  title: T\n  date: 2025-7-2\n  venue: V\n",
                      [(3, ["two digits each: 2025-07-02"])]),
    # Windows line endings just work, and lines still count right.
    "windows-line-endings": ((HEAD + "summary: |\n  Residents met.\n  Officers listened.\n"
                              "themes:\n  - id: t\n    title: T\n    points: [p]\n"
                              ).replace("\n", "\r\n"), []),
    "windows-line-endings-with-a-slip": ((COUNT + "    count: twelve\n").replace("\n", "\r\n"),
                                         [(7, ["in digits: 12"])]),
    "windows-line-endings-missing-colon": ("meeting:\r\n  title: T\r\n  date 2025-07-12\r\n"
                                           "  venue: V\r\n",
                                           [(3, ["`date` is missing the colon", "`date: 2025-07-12`"])]),
}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """Every corpus file checked in one run of the real checker: {name: [(line, message)]}."""
    from briefing.batch.reading import check_files
    from briefing.config import load_config

    root = tmp_path_factory.mktemp("beginner")
    (root / "inputs").mkdir()
    for name, (text, _expected) in CORPUS.items():
        (root / "inputs" / f"{name}.yaml").write_bytes(text.encode("utf-8"))
    diagnostics, count = check_files(load_config(root))
    assert count == len(CORPUS)
    found: dict[str, list] = {name: [] for name in CORPUS}
    for d in diagnostics:
        found[d.path.removeprefix("inputs/").removesuffix(".yaml")].append((d.line, d.message))
    return found


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("name", list(CORPUS))
def test_each_slip_is_named_at_its_line_with_the_fix(checked, name):
    expected = CORPUS[name][1]
    found = checked[name]
    assert len(found) == len(expected), found
    for (line, words), (found_line, message) in zip(expected, found):
        assert found_line == line, (message, line)
        for word in words:
            assert word in message, (word, message)
        assert "YAML syntax error" not in message  # parser words are not what a user acts on


def test_the_command_line_prints_a_slip_as_file_line_column(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "m.yaml").write_text(CORPUS["apostrophe-in-single-quotes"][0])
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(
        "error: inputs/m.yaml:8:17: the apostrophe in `don't` ends the text")
    assert "checked 1 file: 1 error, 0 warnings" in result.stderr
