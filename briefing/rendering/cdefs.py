"""WeasyPrint's C declarations compiled ahead by cffi, so each process loads them instead of parsing them.

WeasyPrint declares the Pango, HarfBuzz and fontconfig functions it calls as 16 KB of C that
cffi parses with pycparser on every import, and each C type it later names as a string
(`ffi.new("PangoRectangle *")`) is parsed again on first use: about 60 ms of every process
that renders, a twentieth of a one-pack build. cffi can instead emit those declarations as
compiled type tables (its "out-of-line" mode), which load in about 4 ms and read type strings
with a small C parser.

`weasyprint_cdefs.py` holds the tables for the WeasyPrint this project pins. It is used only
on Linux and while the installed `weasyprint/text/ffi.py` is the file it was made from (its
SHA-256 is recorded); otherwise WeasyPrint is imported as usual. After changing the pinned WeasyPrint:

    .venv/bin/python -m briefing.rendering.cdefs

(tests/test_imports.py fails until it is run).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

GENERATED = Path(__file__).with_name("weasyprint_cdefs.py")


def weasyprint_ffi_file() -> Path | None:
    """The installed weasyprint/text/ffi.py, found without importing WeasyPrint."""
    spec = importlib.util.find_spec("weasyprint")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "text" / "ffi.py"


def _sha256(path: Path | None) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else None
    except OSError:
        return None


def compiled_ffi():  # noqa: ANN201 - a cffi FFI
    """An FFI holding WeasyPrint's declarations, loaded from the compiled tables; None if
    they were made from another WeasyPrint, or this cffi cannot load them."""
    try:
        import _cffi_backend

        from briefing.rendering import weasyprint_cdefs
    except ImportError:
        return None
    if weasyprint_cdefs.WEASYPRINT_FFI_SHA256 != _sha256(weasyprint_ffi_file()):
        log.debug("WeasyPrint's C declarations are not the compiled ones: parsing them")
        return None

    class DeclaredFFI(_cffi_backend.FFI):
        def cdef(self, csource, override=False, packed=False, pack=None) -> None:  # noqa: ANN001
            """Already declared: the tables were compiled from this very source."""

    try:
        return weasyprint_cdefs.declarations(DeclaredFFI)
    except Exception as error:  # noqa: BLE001 - e.g. a cffi that reads another table format
        log.debug("cannot load WeasyPrint's compiled C declarations: %s", error)
        return None


@contextmanager
def compiled_declarations() -> Iterator[None]:
    """While WeasyPrint is imported in this block, its first `cffi.FFI()` gives the FFI
    loaded from the compiled tables (when they match; otherwise nothing changes). Not
    thread-safe: pdf.import_weasyprint holds a lock around it."""
    # Linux only: the compiled FFI loads a library by the name it is given, never searching
    # for it as cffi's own does, which WeasyPrint may need elsewhere (see pdf.import_weasyprint).
    if "weasyprint.text.ffi" in sys.modules or not sys.platform.startswith("linux"):
        yield
        return
    ffi = compiled_ffi()
    if ffi is None:
        yield
        return
    import cffi

    original = cffi.FFI

    def first_one_compiled(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        cffi.FFI = original
        return ffi if not args and not kwargs else original(*args, **kwargs)

    cffi.FFI = first_one_compiled
    try:
        yield
    finally:
        cffi.FFI = original


def weasyprint_declarations() -> str:
    """The C source WeasyPrint gives cffi, caught as its ffi module is imported (in a
    process that has not imported it yet)."""
    import ctypes.util

    import cffi

    if "weasyprint.text.ffi" in sys.modules:
        raise RuntimeError("WeasyPrint is imported already: its declarations are made")
    captured: list[str] = []
    declare = cffi.FFI.cdef
    search = ctypes.util.find_library

    def capture(self, csource, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        captured.append(csource)
        return declare(self, csource, *args, **kwargs)

    cffi.FFI.cdef = capture
    ctypes.util.find_library = lambda name: None  # as import_weasyprint does
    try:
        import weasyprint.text.ffi  # noqa: F401
    finally:
        cffi.FFI.cdef = declare
        ctypes.util.find_library = search
    if len(captured) != 1:
        raise RuntimeError(f"WeasyPrint declared its C functions {len(captured)} times, not once")
    return captured[0]


def generate() -> str:
    """The text of weasyprint_cdefs.py for the installed WeasyPrint and cffi."""
    import tempfile

    import cffi

    ffi = cffi.FFI()
    ffi.cdef(weasyprint_declarations())
    ffi.set_source("_weasyprint_cdefs", None)
    with tempfile.TemporaryDirectory() as folder:
        emitted = Path(folder) / "emitted.py"
        ffi.emit_python_code(str(emitted))
        code = emitted.read_text(encoding="utf-8")
    header = "# auto-generated file\nimport _cffi_backend\n\nffi = _cffi_backend.FFI("
    if not code.startswith(header) or not code.endswith("\n)\n"):
        raise SystemExit("cffi emitted a module of a shape this generator does not know")
    body = "    return FFI(" + code[len(header):].replace("\n", "\n    ").rstrip() + "\n"
    import weasyprint

    return (f'"""WeasyPrint {weasyprint.__version__}\'s C declarations, compiled by cffi (generated by '
            "`python -m\nbriefing.rendering.cdefs`; see briefing/rendering/cdefs.py). Do not edit.\"\"\"\n"
            "# ruff: noqa\n\n"
            f'WEASYPRINT_FFI_SHA256 = "{_sha256(weasyprint_ffi_file())}"\n\n\n'
            "def declarations(FFI):\n" + body)


if __name__ == "__main__":
    GENERATED.write_text(generate(), encoding="utf-8")
    print(f"wrote {GENERATED}")  # noqa: T201
