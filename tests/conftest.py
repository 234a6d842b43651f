"""Shared fixtures: real workspaces in temporary folders, real builds, PDFs read back."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "inputs" / "2025-battersea-lrap.yaml"


# The slowest modules, slowest first. With -n 2 each module runs whole on one worker (--dist
# loadfile), and the workers take modules in this order: a slow one handed out last would
# leave the other worker idle while it runs.
SLOWEST_MODULES = ("test_design.py", "test_batch.py", "test_render_limits.py", "test_fuzz.py",
                   "test_serve.py", "test_print.py", "test_tagging.py", "test_cli.py",
                   "test_charts.py", "test_loading_limits.py", "test_sandbox.py",
                   "test_edition_bytes.py", "test_chart_print.py", "test_untrusted_files.py")


def pytest_configure(config) -> None:
    """Run as a terminal runs things, with Ctrl-C (SIGINT) not ignored: a shell starts a
    background job with it ignored, and an ignored signal stays ignored in every process the
    suite starts, so the Ctrl-C tests' builds and the `serve` stopped with SIGINT would run on.
    """
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list) -> None:
    def rank(item) -> int:
        name = item.path.name
        return SLOWEST_MODULES.index(name) if name in SLOWEST_MODULES else len(SLOWEST_MODULES)

    items.sort(key=rank)  # a stable sort: the other modules keep their order


def composed(loader, source: str, with_columns: bool = True):
    """A YAML text as comparable data under one loader: ("ok", tree) or ("refused", None).

    The tree holds each node's tag, line, column (unless left out) and value or children, so
    two parsers can be compared node by node.
    """
    from briefing.meeting import yamlsource

    try:
        return "ok", yaml_tree(yaml.compose(source, Loader=loader), with_columns)
    except (yaml.YAMLError, yamlsource._TooDeep, RecursionError):
        return "refused", None


def yaml_tree(node, with_columns: bool = True):
    """A composed YAML node as comparable data (see `composed`)."""
    if node is None:  # an empty document
        return None
    place = (node.tag, node.start_mark.line, node.start_mark.column if with_columns else None)
    if isinstance(node, yaml.ScalarNode):
        return (*place, node.value)
    if isinstance(node, yaml.SequenceNode):
        return (*place, [yaml_tree(item, with_columns) for item in node.value])
    return (*place, [(yaml_tree(key, with_columns), yaml_tree(value, with_columns))
                     for key, value in node.value])


# A layout whose loops run 10,000,000,000 times (minutes of work on any machine): Jinja's
# sandbox allows each `range`, and only a time limit or a stop ends its render.
ENDLESS_LAYOUT = ('{% extends "base/base.html" %}{% block main %}{% for i in range(100000) %}'
                  "{% for j in range(100000) %}{% endfor %}{% endfor %}{% endblock %}\n")


def normalise(text: str) -> str:
    """PDF text with line breaks and runs of spaces collapsed, for phrase matching."""
    return re.sub(r"\s+", " ", text).strip()


def pdf_pages(path: Path, every_glyph: bool = False) -> list[str]:
    """Each page's text in reading order, normalised. With `every_glyph`, for counting: a
    glyph drawn again over the same glyph counts twice (PDFium's reading keeps one). A file
    is read once per test process for as long as it is the same file (the same inode, size
    and modification time)."""
    stat = Path(path).stat()
    identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if every_glyph:
        return list(_pypdf_pages(Path(path), *identity))
    return list(_pdf_pages(Path(path), *identity))


@functools.cache
def _pypdf_pages(path: Path, *_identity: int) -> tuple[str, ...]:
    from pypdf import PdfReader

    return tuple(normalise(page.extract_text() or "") for page in PdfReader(path).pages)


@functools.cache
def _pdf_pages(path: Path, *_identity: int) -> tuple[str, ...]:
    """PDFium's text of each page (in a twentieth of the time pypdf takes), except where pypdf
    reads the page more faithfully (see _pdfium_reads_faithfully); a word hyphenated at the end
    of a line comes out whole, hyphen kept ("follow-up", where pypdf gives "follow- up")."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        texts = []
        for page in document:
            text = page.get_textpage()
            # a hyphen that ends a line comes as U+0002 or U+FFFE
            texts.append(text.get_text_range().replace("\x02", "-").replace("\ufffe", "-"))
            text.close()
            page.close()
    finally:
        document.close()
    if all(_pdfium_reads_faithfully(text) for text in texts):
        return tuple(normalise(text) for text in texts)
    by_pypdf = _pypdf_pages(path, *_identity)
    return tuple(normalise(text) if _pdfium_reads_faithfully(text) else by_pypdf[index]
                 for index, text in enumerate(texts))


def _pdfium_reads_faithfully(text: str) -> bool:
    """Whether PDFium's text of a page is as faithful as pypdf's. PDFium puts right-to-left
    words, and the marks that join a letter (accents, Bengali vowel signs), out of their
    logical order, and gives an ellipsis as three full stops; pages with characters beyond
    the Basic Multilingual Plane (emoji) are left to pypdf too, as the emoji tests were
    written against its reading."""
    import unicodedata

    return "..." not in text and "\ufffd" not in text and not any(
        ord(character) > 0xFFFF or unicodedata.category(character).startswith("M")
        or unicodedata.bidirectional(character) in ("R", "AL", "AN")
        for character in text if ord(character) > 0x2FF)


class PageLayout(NamedTuple):
    """One page as drawn: its number (from 1), size in points, words and drawn boxes."""

    number: int
    width: float
    height: float
    words: list[dict]  # text, x0, x1, top, bottom (and fontname, size): pdfplumber's words
    drawings: list[dict]  # x0, x1, top, bottom of each image and each painted subpath


def pdf_layout(path: Path, fonts: bool = False) -> tuple[PageLayout, ...]:
    """Where each page's words, images and painted lines and shapes are, in the terms
    pdfplumber gives them (points, measured from the page's top-left corner), read with PDFium
    in a twentieth of the time pdfplumber's parser takes. With fonts, each word also has the
    font's name and size, and a change of either starts a new word (as pdfplumber's
    extract_words(extra_attrs=["fontname", "size"]) does). Read once, as pdf_pages is."""
    stat = Path(path).stat()
    return _pdf_layout(Path(path), fonts, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@functools.cache
def _pdf_layout(path: Path, fonts: bool, *_identity: int) -> tuple[PageLayout, ...]:
    import pypdfium2 as pdfium
    from pdfplumber.utils import extract_words

    document = pdfium.PdfDocument(path)
    try:
        pages = []
        for number, page in enumerate(document, start=1):
            height = page.get_height()
            text = page.get_textpage()
            pages.append(PageLayout(number, page.get_width(), height,
                                    extract_words(_pdfium_chars(text.raw, height, fonts),
                                                  extra_attrs=["fontname", "size"] if fonts
                                                  else None),
                                    _pdfium_drawings(page.raw, height)))
            text.close()
            page.close()
        return tuple(pages)
    finally:
        document.close()


def _pdfium_chars(text_page, height: float, fonts: bool = False) -> list[dict]:
    """The page's characters as pdfminer boxes them: from the pen's start to its advance, and
    from the font's descent below the baseline to one font size above that; one per glyph.
    (PDFium gives a glyph that stands for several characters, or that it decomposes, such as
    an ellipsis into three full stops, as several characters in the same box; and it marks a
    hyphen that ends a line as U+0002.)"""
    import ctypes

    import pypdfium2.raw as raw

    box, matrix, chars = raw.FS_RECTF(), raw.FS_MATRIX(), []
    name, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    for index in range(raw.FPDFText_CountChars(text_page)):
        if raw.FPDFText_IsGenerated(text_page, index) == 1:  # a space PDFium inferred
            continue
        raw.FPDFText_GetLooseCharBox(text_page, index, box)
        character = chr(raw.FPDFText_GetUnicode(text_page, index))
        if chars and (chars[-1]["x0"], chars[-1]["x1"], chars[-1]["box_bottom"]) == (
                box.left, box.right, box.bottom):
            chars[-1]["text"] += character  # the same glyph
            continue
        raw.FPDFText_GetMatrix(text_page, index, matrix)
        upright = matrix.b == 0 and matrix.c == 0 and matrix.a * matrix.d > 0
        bottom = height - box.bottom
        top = bottom - raw.FPDFText_GetFontSize(text_page, index) * abs(matrix.d) if upright \
            else height - box.top
        chars.append({"text": "-" if character == "\x02" else character, "x0": box.left,
                      "x1": box.right, "top": top, "bottom": bottom, "doctop": top,
                      "upright": upright, "box_bottom": box.bottom})
        if fonts:  # the font's name as the PDF has it (subset tag too), its size in points
            raw.FPDFText_GetFontInfo(text_page, index, name, len(name), flags)
            chars[-1].update(fontname=name.value.decode("utf-8", "replace"),
                             size=bottom - top)
    for char in chars:
        char["text"] = _COMPOSED.get(char["text"], char["text"])
    return chars


_COMPOSED = {"...": "\u2026"}  # what PDFium decomposes, as the PDF's text has it


def _pdfium_drawings(page, height: float) -> list[dict]:
    """Each image's box and each painted subpath's (its points' extent, as pdfminer splits a
    path at each move), in forms too; text and shadings are left out."""
    import ctypes

    import pypdfium2.raw as raw

    boxes: list[dict] = []
    x, y, matrix = ctypes.c_float(), ctypes.c_float(), raw.FS_MATRIX()

    def place(points, outer):
        placed = [_apply(outer, point) for point in points]
        xs, ys = [p[0] for p in placed], [p[1] for p in placed]
        boxes.append({"x0": min(xs), "x1": max(xs), "top": height - max(ys),
                      "bottom": height - min(ys)})

    def walk(objects, outer):
        for obj in objects:
            kind = raw.FPDFPageObj_GetType(obj)
            raw.FPDFPageObj_GetMatrix(obj, matrix)
            own = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
            if kind == raw.FPDF_PAGEOBJ_FORM:
                walk([raw.FPDFFormObj_GetObject(obj, index)
                      for index in range(raw.FPDFFormObj_CountObjects(obj))],
                     _multiply(own, outer))
            elif kind == raw.FPDF_PAGEOBJ_IMAGE:
                place([(0, 0), (1, 0), (0, 1), (1, 1)], _multiply(own, outer))
            elif kind == raw.FPDF_PAGEOBJ_PATH:
                subpath: list[tuple[float, float]] = []
                curve = 0
                for index in range(raw.FPDFPath_CountSegments(obj)):
                    segment = raw.FPDFPath_GetPathSegment(obj, index)
                    raw.FPDFPathSegment_GetPoint(segment, x, y)
                    kind = raw.FPDFPathSegment_GetType(segment)
                    if kind == raw.FPDF_SEGMENT_MOVETO:
                        if subpath:
                            place(subpath, _multiply(own, outer))
                        subpath, curve = [(x.value, y.value)], 0
                    elif kind == raw.FPDF_SEGMENT_BEZIERTO:
                        curve += 1  # two control points, then the end: pdfminer keeps the end
                        if curve % 3 == 0:
                            subpath.append((x.value, y.value))
                    else:
                        subpath.append((x.value, y.value))
                if subpath:
                    place(subpath, _multiply(own, outer))

    walk([raw.FPDFPage_GetObject(page, index)
          for index in range(raw.FPDFPage_CountObjects(page))], (1, 0, 0, 1, 0, 0))
    return boxes


def _multiply(first: tuple, then: tuple) -> tuple:
    """The matrix applying `first`, then `then` (PDF's row-vector convention)."""
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = then
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _apply(matrix: tuple, point: tuple[float, float]) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return (a * point[0] + c * point[1] + e, b * point[0] + d * point[1] + f)


def run_cli(*args: str, cwd: Path, env: dict | None = None,
            fresh: bool = False) -> subprocess.CompletedProcess:
    """Run the real command line: the same `main` in this process (a process adds only its
    start-up to what a command proves, and a build's workers then fork from one server per
    test process), except `watch` and `serve`, which run until stopped, and a run with an
    environment of its own. `fresh=True` forces a process, and each command keeps at least
    one test that way."""
    # A fixed "pack made" date, so two builds either side of midnight still match byte for byte.
    fixed = {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1760000000")}
    if not fresh and env is None and args and args[0] not in ("watch", "serve"):
        return run_in_process(*args, cwd=cwd, env=fixed)
    return subprocess.run([sys.executable, "-m", "briefing", *args], cwd=cwd,
                          capture_output=True, text=True,
                          env={**os.environ, **fixed, **(env or {})}, timeout=300)


def run_python(code: str, *args: str, cwd: Path | None = None, timeout: float = 120,
               env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -c code args…` in a fresh interpreter (this one's), its output captured (so it
    returns once every process sharing that output has closed it), with env added to ours."""
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False,
                          env={**os.environ, **env} if env else None)


def run_in_process(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """`briefing *args` through the CLI's own `main`, in this process: the same arguments,
    working folder, environment, exit code, stdout and stderr as a fresh process gives."""
    import contextlib
    import io
    import logging

    # What a build's chart process imports before it draws (chartprocess._child). It is forked
    # from this process, so with these loaded here it is ready at once; otherwise each build
    # waits about half a second for it to load them. (A command's own process loads WeasyPrint
    # meanwhile; this one has WeasyPrint loaded already.)
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401

    import briefing.rendering.charts  # noqa: F401
    from briefing.cli import main

    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    saved_logging = root.handlers[:], root.level, {
        name: logging.getLogger(name).level
        for name in ("briefing", "weasyprint", "weasyprint.progress", "fontTools",
                     "matplotlib", "PIL")}
    saved_env = {name: os.environ.get(name) for name in env}
    here = os.getcwd()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main.main(args=list(args), prog_name="briefing")
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    finally:
        os.chdir(here)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        root.handlers[:], level, levels = saved_logging
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)
    return subprocess.CompletedProcess(["briefing", *args], code, out.getvalue(),
                                       err.getvalue())


def write_meeting(folder: Path, name: str, document: dict | str) -> Path:
    """Write a meeting file from a dict (as YAML) or from YAML text."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def minimal_meeting(**overrides) -> dict:
    document = {
        "meeting": {"title": "Test meeting", "date": "2025-07-12", "venue": "Test hall"},
        "themes": [{"id": "t1", "title": "Theme one", "points": ["A point"]}],
    }
    document.update(overrides)
    return document


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty workspace with an inputs/ folder."""
    (tmp_path / "inputs").mkdir()
    return tmp_path


def with_sample(root: Path) -> Path:
    """Make root a workspace holding the sample meeting in inputs/; return root."""
    (root / "inputs").mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, root / "inputs" / SAMPLE.name)
    return root


@pytest.fixture
def sample_workspace(workspace: Path) -> Path:
    return with_sample(workspace)


def made_once(tmp_path_factory, name: str, make) -> Path:
    """A folder made by make(folder) once per test session, even when pytest-xdist runs the
    session in several processes: the first to ask makes it (the others wait on a file lock)
    and all read the same files. Tests must not change what is in it."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker's folder sits in the session's
        base = base.parent
    folder, done = base / f"shared-{name}", base / f"shared-{name}.done"
    with open(base / f"shared-{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a maker that failed part-way
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def sample_pack(tmp_path_factory) -> Path:
    """The sample meeting's internal pack, built once per test session by the real CLI."""
    def make(root: Path) -> None:
        result = run_cli("build", cwd=with_sample(root))
        assert result.returncode == 0, result.stderr

    return made_once(tmp_path_factory, "sample", make) / "output" / SAMPLE.stem / \
        "pack-internal.pdf"


@pytest.fixture(scope="session")
def print_shop_brief(tmp_path_factory) -> Path:
    """The sample's brief on A5 for a print shop (`--print-shop`), built once per session."""
    def make(root: Path) -> None:
        result = run_cli("build", "-l", "brief", "--paper", "A5", "--print-shop",
                         cwd=with_sample(root))
        assert result.returncode == 0, result.stderr

    return made_once(tmp_path_factory, "print-shop", make) / "output" / SAMPLE.stem / \
        "brief-internal.pdf"


def wait_for(condition, what: str, process: subprocess.Popen, log: Path, seconds: float = 120):
    """Poll until condition() is true (returning its value), while the process runs; fail with
    its log when it stops or the time runs out. Waits on a condition, never a fixed time."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text(encoding='utf-8', errors='replace')}")
