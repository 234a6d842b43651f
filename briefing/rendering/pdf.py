"""Turn HTML into PDF bytes with WeasyPrint, using only layout fonts and layout files.

The only module that uses weasyprint (svgtext.py mends its SVG text drawing; preload.py
merely imports it into the -j fork server). Its default URL fetcher reads any local file and any
network address; ours maps the fixed virtual base URL onto the layout folders and refuses
everything else, so nothing in a meeting file can read a local file or touch the network.
Fonts likewise: fontconfig is pointed at layouts/base/fontconfig.conf (the shipped fonts,
nothing of the host's) before WeasyPrint loads, and the fonts of the workspace's layouts are
added to it, so a PDF never depends on the fonts of the machine that built it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from briefing.errors import BriefingError
from briefing.files import read_file, why_unreadable
from briefing.rendering.layout import (
    FONTCONFIG_FILE,
    MAX_LAYOUT_FILE_BYTES,
    SHIPPED_FONTS,
    VIRTUAL_BASE,
    fonts_in,
)

log = logging.getLogger(__name__)


class ForbiddenResource(Exception):
    """A document asked for a resource outside the sandbox."""


def use_layout_fonts_only() -> None:
    """Point fontconfig at the shipped fonts alone. Call before WeasyPrint is imported: its
    import and each font configuration load fontconfig's configuration from this file."""
    os.environ["FONTCONFIG_FILE"] = str(FONTCONFIG_FILE)
    os.environ.pop("FONTCONFIG_SYSROOT", None)


def import_weasyprint() -> None:
    """Import WeasyPrint (pointed at the shipped fonts) without its slow search for libraries.

    WeasyPrint tries several names for each C library it loads (Windows and macOS names
    first). For every name that is not a loadable file, cffi asks `ctypes.util.find_library`,
    which on Linux runs ldconfig, gcc and ld in subprocesses: the import took 0.43 s with
    the search and 0.25 s without. On Linux the names that load are the sonames (libpango-1.0.so.0),
    which the dynamic loader finds by itself, so the search is switched off for the import;
    should a library still not load, the import is tried again the usual way.
    """
    use_layout_fonts_only()
    if "weasyprint" in sys.modules:
        return
    from briefing.rendering.cdefs import compiled_declarations

    # One thread at a time: both the quick import and the compiled declarations swap a
    # library function for the length of the import.
    with _importing, compiled_declarations():  # C declarations loaded, not parsed (cdefs.py)
        _import_weasyprint_quickly()


_importing = threading.Lock()


def _import_weasyprint_quickly() -> None:
    if sys.platform.startswith("linux"):
        import ctypes.util

        search = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:  # WeasyPrint prints a page of help before failing: not for this attempt
            with contextlib.redirect_stdout(io.StringIO()):
                import weasyprint  # noqa: F401
            return
        except OSError:
            for name in [name for name in sys.modules
                         if name == "weasyprint" or name.startswith("weasyprint.")]:
                del sys.modules[name]
        finally:
            ctypes.util.find_library = search
    import weasyprint  # noqa: F401, F811


# The C types WeasyPrint 70 names as strings when it draws and writes a PDF. cffi parses each
# string on first use (with pycparser, about 2 ms each, where the compiled declarations of
# cdefs.py are not used); parsed in the workers' fork server (parse_render_types), every
# worker forks with them parsed.
_RENDER_C_TYPES = ("PangoFcFontMap *", "FcChar8 **", "FcResult *", "char[]", "char[4]",
                   "PangoRectangle *", "PangoLogAttr[]", "unsigned int *", "hb_tag_t[100]")


def parse_render_types() -> None:
    """Have cffi parse, now, the C types WeasyPrint will ask for in a render."""
    import_weasyprint()
    from weasyprint.text.ffi import ffi

    for cdecl in _RENDER_C_TYPES:
        try:
            ffi.typeof(cdecl)
        except Exception:  # noqa: BLE001, S112 - a name a later WeasyPrint dropped: not needed
            continue


# Private keys WeasyPrint's tagger is made to write on each structure element (see
# _note_sources); pdfpost.py reads them to rebuild the tree, then removes them.
SOURCE_KEY = "BriefingSource"  # which HTML element (or pseudo-element) it was made from
LINK_TEXT_KEY = "BriefingText"  # a link's text, to describe its annotation


def _note_sources() -> None:
    """Make WeasyPrint's tagger write, on every structure element, which HTML element it
    came from (and, on a link, its text). WeasyPrint makes one element per page an element
    crosses and forgets that they were one; post-processing joins them up again by this."""
    import pydyf
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import tags

    build = tags._build_box_tree
    if getattr(build, "notes_sources", False):
        return

    def build_noting_sources(box, *args):
        source = box._box if isinstance(box, AbsolutePlaceholder) else box
        for element in build(box, *args):
            if source.element is not None and SOURCE_KEY not in element:
                element[SOURCE_KEY] = pydyf.String(f"{id(source.element)}:{source.element_tag}")
                if element["S"] == "/Link":
                    text = " ".join("".join(source.element.itertext()).split())
                    element[LINK_TEXT_KEY] = pydyf.String(text)
            yield element

    build_noting_sources.notes_sources = True
    tags._build_box_tree = build_noting_sources


def _not_refused(record: logging.LogRecord) -> bool:
    """False for WeasyPrint's own error about a URL the sandbox refused: the sandbox has
    already warned of it, once."""
    args = record.args if isinstance(record.args, tuple) else ()
    return not any(str(arg).startswith(f"{ForbiddenResource.__name__}: ") for arg in args)


def _fetcher_class():
    import_weasyprint()
    _note_sources()
    logging.getLogger("weasyprint").addFilter(_not_refused)  # added once, however often called
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    from briefing.rendering.svgtext import install

    install()  # chart text in Bengali and Arabic script shapes as body text does

    class SandboxedFetcher(URLFetcher):
        """Serve data: URLs and files under the layout roots; refuse and log the rest."""

        def __init__(self, roots: tuple[Path, ...]) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False,
                             fail_on_errors=False)
            self.roots = roots
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = self.local_file(url)
            if found is not None:
                root, candidate = found
                try:  # read once, by its real path, inside its layout folder
                    data = read_file(candidate, MAX_LAYOUT_FILE_BYTES, inside=root).data
                except OSError as error:
                    log.warning("refused to fetch %s: %s", url[:200],
                                why_unreadable(error, MAX_LAYOUT_FILE_BYTES))
                    self.refused.append(url)
                    raise ForbiddenResource(url) from None
                return URLFetcherResponse(url, data, {"Content-Type": _mime_type(candidate)})
            self.refused.append(url)
            log.warning("refused to fetch %s: only layout files and data: URLs are allowed",
                        url[:200])
            raise ForbiddenResource(url)

        def local_file(self, url: str) -> tuple[Path, Path] | None:
            """The layout root and the file under it that a virtual-base URL names, or None.

            The path is percent-decoded first and then resolved (following symlinks), so
            `..`, `%2e%2e`, absolute paths and symlinks can never leave the roots.
            """
            if not url.startswith(VIRTUAL_BASE):
                return None
            relative = unquote(url[len(VIRTUAL_BASE):].split("?")[0].split("#")[0])
            if not relative or "\x00" in relative or "\\" in relative:
                return None
            for root in self.roots:
                try:
                    candidate = (root / relative).resolve()
                    if candidate.is_relative_to(root) and candidate.is_file():
                        return root, candidate
                except (OSError, ValueError):
                    return None
            return None

    return SandboxedFetcher


def _mime_type(path: Path) -> str:
    return {".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".svg": "image/svg+xml",
            ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"
            }.get(path.suffix.lower(), "application/octet-stream")


def workspace_fonts(roots: list[Path]) -> tuple[Path, ...]:
    """The fonts of the layouts beyond the shipped ones (a workspace layout's `fonts/`)."""
    shipped = SHIPPED_FONTS.resolve()
    return tuple(path for root, path in fonts_in(roots)
                 if path.resolve().parent != shipped and _regular_inside(path, root))


def _regular_inside(path: Path, root: Path) -> bool:
    """A regular file that resolves inside root: never a pipe fontconfig would wait on, nor a
    link out of the layout folder (the font check warns about those)."""
    try:
        real = path.resolve(strict=True)
        return real.is_relative_to(root.resolve()) and stat.S_ISREG(real.stat().st_mode)
    except (OSError, RuntimeError):
        return False


@lru_cache(maxsize=1)
def _font_configuration(extra_fonts: tuple[Path, ...] = ()):
    """The process's FontConfiguration: one per process, since building it costs more than
    a small page. It knows the shipped fonts (fontconfig.conf) and `extra_fonts`, so that a
    character none of the CSS fonts has falls back to one of them, never to the host's."""
    import_weasyprint()
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    configuration = FontConfiguration()
    for path in extra_fonts:
        fontconfig.FcConfigAppFontAddFile(configuration._config, os.fsencode(path))
    if extra_fonts:
        pangoft2.pango_fc_font_map_config_changed(
            ffi.cast("PangoFcFontMap *", configuration.font_map))
    return configuration


def load_weasyprint(roots: list[Path]) -> None:
    """Import WeasyPrint and make the process's FontConfiguration, ahead of the first PDF."""
    _fetcher_class()
    _font_configuration(workspace_fonts(roots))


# PDF/A forbids interpolated images; WeasyPrint sets /Interpolate unless told not to.
_ARCHIVE_CSS = "html { image-rendering: crisp-edges; }"

# Declares pdfuaid:part inside PDF/A's XMP (with the extension schema PDF/A requires), so an
# archive copy is both PDF/A-3b and tagged PDF/UA-1: WeasyPrint 70 offers one variant only.
_PDFUA_ID_XMP = (
    b'<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'
    b' pdfuaid:part="1" />'
    b'<rdf:Description rdf:about=""'
    b' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    b' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
    b' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    b'<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
    b'<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>'
    b'<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>'
    b'<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>'
    b'<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">'
    b'<pdfaProperty:name>part</pdfaProperty:name>'
    b'<pdfaProperty:valueType>Integer</pdfaProperty:valueType>'
    b'<pdfaProperty:category>internal</pdfaProperty:category>'
    b'<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed'
    b'</pdfaProperty:description>'
    b'</rdf:li></rdf:Seq></pdfaSchema:property>'
    b'</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>')


@dataclass(frozen=True)
class FileToAttach:
    """A file carried inside an archive PDF (the meeting file, its data files)."""

    name: str
    data: bytes
    description: str


def _archive_finisher(document, pdf) -> None:
    """Leave the XMP metadata stream unfiltered (PDF/A-3b) and declare PDF/UA-1 in it."""
    reference = pdf.catalog.get("Metadata")
    if reference is None:
        return
    stream = pdf.objects[int(reference.split()[0])]
    stream.compress = False
    data = b"".join(part if isinstance(part, bytes) else str(part).encode()
                    for part in stream.stream)
    stream.stream = [data.replace(b"</rdf:RDF>", _PDFUA_ID_XMP + b"</rdf:RDF>", 1)]


def html_to_pdf(html: str, roots: list[Path], *, archive: bool = False,
                attachments: list[FileToAttach] | None = None,
                created: dt.datetime | None = None,
                inspect: Callable[[Any], None] | None = None) -> tuple[bytes, list[str]]:
    """Render HTML to tagged PDF/UA-1 bytes (or PDF/A-3b with `archive`); also return the
    URLs the sandbox refused. `created` pins the attachments' dates for reproducible bytes.
    `inspect` is shown the laid-out pages (WeasyPrint's Document) before they are written."""
    fetcher = _fetcher_class()(tuple(roots))
    font_config = _font_configuration(workspace_fonts(roots))
    from weasyprint import CSS, DEFAULT_OPTIONS, HTML, Attachment

    created = created or dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
    # Attachment objects are single-use: make them afresh for every document.
    files = [Attachment(string=item.data, name=item.name, description=item.description,
                        created=created, modified=created, relationship="Source")
             for item in (attachments or [])]
    options: dict = {"pdf_variant": "pdf/ua-1"}
    if archive:
        options = {"pdf_variant": "pdf/a-3b", "pdf_tags": True,
                   "stylesheets": [CSS(string=_ARCHIVE_CSS)], "finisher": _archive_finisher}
    try:
        options = {**DEFAULT_OPTIONS, "attachments": files or None,
                   "pdf_identifier": b"briefing-pack", "uncompressed_pdf": False, **options}
        finisher = options.pop("finisher", None)
        document = HTML(string=html, base_url=VIRTUAL_BASE, url_fetcher=fetcher).render(
            font_config=font_config, **options)
        if inspect is not None:
            inspect(document)
        pdf = document.write_pdf(finisher=finisher,
                                 **{key: options[key] for key in DEFAULT_OPTIONS})
    except BriefingError:
        raise
    except Exception as error:  # WeasyPrint raises many types; the user needs one message
        log.debug("WeasyPrint failed", exc_info=True)
        raise BriefingError(f"rendering the PDF failed: {type(error).__name__}: {error}") from error
    return pdf, fetcher.refused
