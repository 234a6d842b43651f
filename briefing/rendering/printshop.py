"""Set a print-shop PDF's page boxes: trim, a 3 mm bleed, and a slug outside it for the crop marks."""

from __future__ import annotations

import io

MM = 72 / 25.4
BLEED = 3 * MM  # what a printer trims away: backgrounds run into it
SLUG = 10 * MM  # beyond the bleed: crop marks and crosses, never on the finished page
# The layouts ask WeasyPrint for a bleed of BLEED + SLUG, so that it draws its crop marks in
# the outer part of that margin; this step then declares the real 3 mm bleed.
CSS_BLEED_MM = 13


def print_shop_boxes(pdf_bytes: bytes) -> bytes:
    """MediaBox: trim + bleed + slug (where the marks are); BleedBox: trim + 3 mm;
    TrimBox and ArtBox: the finished page."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            box = page.obj.get("/TrimBox") or page.obj.MediaBox
            left, bottom, right, top = (float(value) for value in box)
            page.obj.TrimBox = pikepdf.Array([left, bottom, right, top])
            page.obj.ArtBox = pikepdf.Array([left, bottom, right, top])
            page.obj.BleedBox = pikepdf.Array([left - BLEED, bottom - BLEED,
                                               right + BLEED, top + BLEED])
            outer = BLEED + SLUG
            page.obj.MediaBox = pikepdf.Array([left - outer, bottom - outer,
                                               right + outer, top + outer])
            if "/CropBox" in page.obj:
                del page.obj["/CropBox"]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=False,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
