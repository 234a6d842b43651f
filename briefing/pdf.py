"""Turn HTML into PDF bytes with WeasyPrint, fetching nothing but data: URLs and layout files.

The only module that imports weasyprint. Its default URL fetcher reads any local file and any
network address; ours maps the fixed virtual base URL onto the layout folders and refuses
everything else, so nothing in a meeting file can read a local file or touch the network.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from .errors import BriefingError
from .layouts import VIRTUAL_BASE

log = logging.getLogger(__name__)


class ForbiddenResource(Exception):
    """A document asked for a resource outside the sandbox."""


def _fetcher_class():
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

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
            candidate = self.local_file(url)
            if candidate is not None:
                return URLFetcherResponse(url, candidate.read_bytes(),
                                          {"Content-Type": _mime_type(candidate)})
            self.refused.append(url)
            log.warning("refused to fetch %s: only layout files and data: URLs are allowed",
                        url[:200])
            raise ForbiddenResource(url)

        def local_file(self, url: str) -> Path | None:
            """The file under a layout root that a virtual-base URL names, or None.

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
                        return candidate
                except (OSError, ValueError):
                    return None
            return None

    return SandboxedFetcher


def _mime_type(path: Path) -> str:
    return {".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".svg": "image/svg+xml",
            ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"
            }.get(path.suffix.lower(), "application/octet-stream")


@lru_cache(maxsize=1)
def _font_configuration():
    # One per process: building it costs more than a small page (see DESIGN.md).
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str, roots: list[Path], *, variant: str | None = "pdf/ua-1",
                attachments: list[tuple[str, bytes]] | None = None,
                created: str | None = None) -> tuple[bytes, list[str]]:
    """Render HTML to PDF bytes; also return the URLs the sandbox refused."""
    from weasyprint import HTML, Attachment

    fetcher = _fetcher_class()(tuple(roots))
    files = [Attachment(string=data, name=name, url_fetcher=fetcher, base_url=VIRTUAL_BASE,
                        created=created, modified=created)
             for name, data in (attachments or [])]
    try:
        document = HTML(string=html, base_url=VIRTUAL_BASE, url_fetcher=fetcher)
        pdf = document.write_pdf(
            pdf_variant=variant, pdf_tags=True, font_config=_font_configuration(),
            attachments=files or None, pdf_identifier=b"briefing-pack",
            uncompressed_pdf=False)
    except Exception as error:  # WeasyPrint raises many types; the user needs one message
        log.debug("WeasyPrint failed", exc_info=True)
        raise BriefingError(f"rendering the PDF failed: {type(error).__name__}: {error}") from error
    return pdf, fetcher.refused
