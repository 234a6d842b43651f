"""Fuzzing: any meeting document builds a readable PDF or fails with a located InputError.

CI runs a bounded number of examples; a longer run is one command:

    BRIEFING_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest -q tests/test_fuzz.py

(the full-build test then runs a twentieth as many, at least 10).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from briefing.errors import InputError  # noqa: E402
from briefing.meeting import yamlsource  # noqa: E402
from briefing.meeting.loading import load_meeting  # noqa: E402

from conftest import composed  # noqa: E402

LOAD_EXAMPLES = int(os.environ.get("BRIEFING_FUZZ_EXAMPLES", "100"))  # Hypothesis's own default
BUILD_EXAMPLES = max(10, LOAD_EXAMPLES // 20)
SHOWN = "inputs/fuzz.yaml"

# Odd Unicode: any character YAML can carry (no surrogates), plus right-to-left, combining,
# zero-width, emoji, Bengali and Arabic, which the pack's fonts must cope with.
odd_characters = st.characters(blacklist_categories=("Cs",))  # control characters too
printable = st.characters(blacklist_categories=("Cs", "Cc"))
odd_text = st.one_of(
    st.text(printable, max_size=40), st.text(printable, max_size=40),
    st.text(odd_characters, max_size=10),
    st.sampled_from(["\u202eevil\u202c", "e\u0301\u0301\u0301", "\u200b", "🏳️‍🌈👍🏿", "নমস্কার",
                     "مرحبا", "{{ 7*7 }}", "<b>bold</b>", "$x^$", "\\", "'\"", "---", "- a: b",
                     "yes", "null", "~", "0x1F", "1e400", ".nan", "2025-02-30", "  "]),
)
huge_text = st.builds(lambda piece, count: piece * count,
                      st.sampled_from(["x", "word ", "ন", "<p>", "\u0301"]),
                      st.integers(1_000, 20_000))
text = st.one_of(*[odd_text] * 11, huge_text)  # one value in 12 is huge
scalar = st.one_of(text, st.integers(), st.floats(), st.booleans(), st.none(),
                   st.dates(min_value=dt.date(1, 1, 1)))


def nested(depth: int):
    """A value wrapped in `depth` lists or mappings, to probe the nesting limit."""
    return st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=2),
                                                        st.dictionaries(text, inner, max_size=2)),
                        max_leaves=depth)


def deep(value: object, levels: int) -> object:
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


valid_date = st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)).map(dt.date.isoformat)
required_text = text.filter(lambda t: t.strip() != "")


@st.composite
def meeting_documents(draw) -> dict:
    """A meeting that is valid by construction: the starting point for mutations."""
    theme_ids = draw(st.lists(required_text, max_size=3, unique=True))
    document: dict = {"meeting": {"title": draw(required_text), "date": draw(valid_date),
                                  "venue": draw(required_text)}}
    if draw(st.booleans()):
        document["meeting"].update(area=draw(text), organiser=draw(text))
    if draw(st.booleans()):
        document["marking"] = {"classification": draw(st.sampled_from(["OFFICIAL",
                                                                       "OFFICIAL-SENSITIVE"])),
                               "caveat": draw(text)}
    if draw(st.booleans()):
        document["summary"] = draw(text)
    document["questions"] = draw(st.lists(text, max_size=3))
    document["attendance"] = draw(st.lists(st.fixed_dictionaries(
        {"group": required_text, "count": st.integers(0, 10**6)}), max_size=4))
    document["themes"] = [{"id": theme_id, "title": draw(required_text),
                           "summary": draw(text), "points": draw(st.lists(text, max_size=3))}
                          for theme_id in theme_ids]
    if theme_ids:
        document["quotes"] = draw(st.lists(st.fixed_dictionaries(
            {"text": required_text, "speaker": text, "theme": st.sampled_from(theme_ids),
             "consent": st.sampled_from(["public", "internal"])}), max_size=3))
    document["actions"] = [
        {"id": f"A{index}", "action": draw(required_text),
         "status": draw(st.sampled_from(["open", "in-progress", "done", "dropped"])),
         "due": draw(valid_date)}
        for index in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        document["notes"] = draw(text)
    return document


def paths(value: object, prefix: tuple = ()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


@st.composite
def broken_documents(draw) -> dict:
    """A valid meeting with a few subtle breakages: wrong types, random keys, deep nesting."""
    document = draw(meeting_documents())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(document))[1:]))
        *parents, last = path
        holder = document
        for part in parents:
            holder = holder[part]
        mutation = draw(st.sampled_from(["type", "key", "deep", "delete"]))
        if mutation == "type":
            holder[last] = draw(st.one_of(scalar, nested(6)))
        elif mutation == "key" and isinstance(holder, dict):
            holder[draw(text)] = draw(scalar)
        elif mutation == "deep":
            holder[last] = deep(draw(scalar), draw(st.integers(1, 60)))
        elif isinstance(holder, dict):
            del holder[last]
    return document


def to_yaml(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=80)


@st.composite
def yaml_texts(draw) -> str:
    """Meeting YAML as text, sometimes damaged at the character level (as copy-paste does)."""
    document = draw(st.one_of(meeting_documents(), broken_documents()))
    source = to_yaml(document)
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(source)))
            junk = draw(st.one_of(st.sampled_from(
                ["\t", ": ", "- ", "&a ", "*a", "!!python/object:os.system ", "\x00", "\x1b",
                 "{", "]", "'", '"', "\n  ", "\n", "%YAML 1.1\n", "---\n", "<<: *a\n", "\ufeff",
                 "\u2028", "\x85"]), st.text(odd_characters, max_size=5)))
            source = source[:at] + junk + source[at:]
    return source


def check_outcome(path: Path) -> object:
    """Load one file: a Meeting, or an InputError whose every problem names the file and a line."""
    try:
        return load_meeting(path, SHOWN)
    except InputError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.path == SHOWN, diagnostic
            assert diagnostic.line >= 1, diagnostic
            assert diagnostic.message, diagnostic
        return None


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# One test for two properties of the same texts: making a text (PyYAML's pure-Python emitter
# among it) costs more than checking both, and libyaml's emitter, though faster, would write
# every character past U+FFFF (emoji too) as an escape instead of the raw text tested here.
@settings(max_examples=LOAD_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(source=yaml_texts())
@example(source='meeting:\n  title: "0\\U800010000"\n')  # beyond what chr() takes
@example(source='meeting:\n  title: "0\\U00110000"\n')  # just beyond Unicode
def test_any_text_loads_or_fails_located_and_libyaml_reads_it_as_python_does(fuzz_folder,
                                                                             source):
    """Loading and validating never crash: a Meeting, or an InputError naming the file and a
    line for each problem. And the fast parser (yamlsource._FastDepthLimitedLoader) against
    PyYAML's Python one: the same values, tags and lines; a file it accepts that Python
    refuses has a tab or a `?` in it (the leniencies CHANGELOG.md names), or a byte-order mark
    after its start (which yamlsource._compose always gives to Python). A file it refuses is
    re-read in Python. (Without libyaml there is no fast parser to compare.)"""
    path = fuzz_folder / "load.yaml"
    path.write_text(source, encoding="utf-8")
    check_outcome(path)
    if yamlsource._FastDepthLimitedLoader is None:
        return
    # a byte-order mark inside a line moves libyaml's columns by one, nothing else
    columns = "\ufeff" not in source
    fast, fast_tree = composed(yamlsource._FastDepthLimitedLoader, source, columns)
    slow, slow_tree = composed(yamlsource._DepthLimitedLoader, source, columns)
    if fast == "ok" and slow == "ok":
        assert fast_tree == slow_tree
    elif fast == "ok":
        assert "\t" in source or "?" in source or "\ufeff" in source[1:], source


@pytest.fixture(scope="module")
def renderer(fuzz_folder):
    from briefing.config import load_config
    from briefing.rendering.renderer import Renderer

    return Renderer(load_config(fuzz_folder))


@settings(max_examples=BUILD_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(document=st.one_of(meeting_documents(), broken_documents()),
       edition=st.sampled_from(["internal", "councillor", "public"]))
@example(document={"meeting": {"title": "Long line", "date": "2000-01-01", "venue": "Hall"},
                   "summary": "<p>" * 19999}, edition="internal")  # one line, 59,997 glyphs
def test_full_build_gives_a_readable_pdf_or_a_located_error(fuzz_folder, renderer, document,
                                                            edition):
    import io

    from pypdf import PdfReader

    path = fuzz_folder / "build.yaml"
    path.write_text(to_yaml(document), encoding="utf-8")
    meeting = check_outcome(path)
    if meeting is None:
        return
    from briefing.meeting.series import SeriesLoader

    series = SeriesLoader(lambda _: SHOWN).series(meeting)
    pdf = renderer.render(series, "pack", edition)  # a valid meeting must build: no exception
    # A huge text with no space (up to 20,000 repeats of a piece, such as 59,997 characters of
    # "<p>") is one line, drawn as one text array of its glyphs and their spacing: past the
    # 100,000 elements pypdf 7.1 reads by default (it stops there, to bound its own work).
    with _arrays_of_any_length():
        pages = PdfReader(io.BytesIO(pdf)).pages
        assert len(pages) >= 2
        # A glyph no shipped font has (e.g. U+0CD7) makes pypdf and pdfminer read that page's
        # text as two-byte codes (poppler's pdftotext reads it fine): see the known limits.
        assert "OFFICIAL" in (pages[1].extract_text() or "").replace("\x00", "")


def _arrays_of_any_length():
    """pypdf reading arrays of any length (where its version limits them: 7.1 and later)."""
    import contextlib

    import pypdf

    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:
        return contextlib.nullcontext()
    return apply(array_maximum_element_count=100_000_000)


def test_a_byte_order_mark_inside_the_text_is_read_as_python_reads_it():
    """libyaml takes a byte-order mark at the start of a line as a space; Python refuses it,
    and so does briefing, with Python's message."""
    source = "meeting:\n  title: T\nquestions:\n\ufeff- ''\n"
    with pytest.raises(yaml.YAMLError):
        yamlsource._compose(source)


# Pieces of Markdown that open levels, in any order: quotes and list markers at line starts
# and after one another, emphasis, links and autolinks, escapes, code, headings.
markdown_pieces = st.sampled_from(
    [*"*_[]()<>-+ \t\n\r>1.)a`#=\\!:", "> ", "- ", "+ ", "* ", "1. ", "2) ", "**", "__", "](u)",
     "<http://a.b>", "    ", "\n\n", "\n---\n", "[a]: http://b\n"])


@settings(max_examples=LOAD_EXAMPLES * 5, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=st.lists(markdown_pieces, max_size=40).map("".join))
@example(source="> - > 1. *_[*a*](u)_*")
@example(source="x\r" + "> " * 19 + "*a*")  # a lone carriage return ends a line too
def test_markdown_nesting_is_never_deeper_than_its_counted_bound(source):
    """Loading clears most text by counting the characters that can open a level, without
    parsing it: that count must bound the depth markdown-it finds, or a Markdown bomb
    would pass the nesting limit unparsed."""
    from briefing.meeting.textformat import _nesting_bound, markdown_depth

    assert _nesting_bound(source) >= markdown_depth(source)


def test_prose_is_cleared_by_counting_and_deep_markdown_is_still_refused():
    from briefing.meeting.textformat import _nesting_bound, markdown_nests_deeper_than

    prose = "Residents - 18 of them - met on 12 July 2025 (see the annex). " * 50
    assert _nesting_bound(prose) <= 20  # hyphens and figures inside lines open nothing
    assert markdown_nests_deeper_than(prose, 20) is None
    assert markdown_nests_deeper_than("*a " * 500 + "x" + " a*" * 500, 20) == 501
    assert markdown_nests_deeper_than("*a* " * 30, 20) is None  # counted high, parsed shallow
