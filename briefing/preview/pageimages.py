"""Turn a built PDF into page images at screen resolution (PDFium, through pypdfium2), kept in
memory by the PDF's SHA-256 so that each page of each PDF is drawn once."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from briefing.preview.pdffiles import read_built_pdf

# Pixels per PDF point: a CSS pixel is 0.75 pt, so 1.5 draws at twice the screen's 96 dpi
# for a page shown at 75% of its width, and stays sharp at 100%.
SCALE = 1.5
CSS_PIXELS_PER_POINT = 96 / 72


@dataclass(frozen=True)
class PdfInfo:
    title: str
    page_sizes: tuple[tuple[int, int], ...]  # each page's width and height in CSS pixels


class PageImages:
    """Page counts, titles and PNG images of built PDFs; PDFium is not thread-safe, so one
    lock covers every call into it."""

    def __init__(self, output_root: Path, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.output_root = output_root
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._infos: OrderedDict[str, PdfInfo] = OrderedDict()
        self._images: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._image_bytes = 0

    def info(self, path: Path, sha256: str) -> PdfInfo | None:
        """The PDF's title and page sizes; None if it is not (any more) the PDF with this hash."""
        with self._lock:
            if sha256 in self._infos:
                self._infos.move_to_end(sha256)
                return self._infos[sha256]
            document = self._open(path, sha256)
            if document is None:
                return None
            try:
                sizes = tuple((round(width * CSS_PIXELS_PER_POINT), round(height * CSS_PIXELS_PER_POINT))
                              for width, height in (document.get_page_size(index)
                                                    for index in range(len(document))))
                title = (document.get_metadata_dict().get("Title") or "").strip()
            finally:
                document.close()
            self._infos[sha256] = PdfInfo(title, sizes)
            while len(self._infos) > 256:
                self._infos.popitem(last=False)
            return self._infos[sha256]

    def image(self, path: Path, sha256: str, number: int) -> bytes | None:
        """Page `number` (from 1) as PNG; None if there is no such page of this PDF."""
        with self._lock:
            key = (sha256, number)
            if key in self._images:
                self._images.move_to_end(key)
                return self._images[key]
            document = self._open(path, sha256)
            if document is None:
                return None
            try:
                if not 1 <= number <= len(document):
                    return None
                page = document[number - 1]
                try:
                    picture = page.render(scale=SCALE).to_pil()
                finally:
                    page.close()
            finally:
                document.close()
            buffer = io.BytesIO()
            picture.save(buffer, "PNG", compress_level=1)
            data = buffer.getvalue()
            self._images[key] = data
            self._image_bytes += len(data)
            while self._image_bytes > self.max_bytes and len(self._images) > 1:
                _key, dropped = self._images.popitem(last=False)
                self._image_bytes -= len(dropped)
            return data

    def _open(self, path: Path, sha256: str):
        import pypdfium2

        data = read_built_pdf(self.output_root, path, sha256)
        if data is None:
            return None
        try:
            return pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            return None
