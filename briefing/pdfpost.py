"""Turn WeasyPrint's PDF bytes into cleaner tagged PDF bytes with pikepdf (the only pikepdf import).

WeasyPrint 70 marks the content of page-margin boxes (running head, protective marking,
"Page N of M") as /Span marked content whose structure elements it never links into the
structure tree. Assistive technology then finds orphaned content on every page. Page
furniture is an artifact in PDF/UA terms, so this step re-marks it `/Artifact /Pagination`
and drops the orphans from the parent tree. It also turns image interpolation off (PDF/A)
and adds the /IDTree that table header /ID strings need (ISO 32000-1, table 322). Where
WeasyPrint's ToUnicode map gives a glyph an empty string (the second glyph of a Bengali
cluster, say `ি` drawn before its consonant, whose text went to the first glyph), it maps
the glyph to U+200D ZERO WIDTH JOINER: an empty `<>` is malformed, and PDF/UA-1 needs every
drawn glyph mapped, while the joiner adds nothing visible to copied or searched text.
The output is saved with a content-derived /ID, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zlib

_EMPTY_UNICODE = re.compile(rb"^(<[0-9A-Fa-f]+>) <>$", re.MULTILINE)


def _reachable_elements(tree_root) -> set[tuple[int, int]]:
    import pikepdf

    reachable: set[tuple[int, int]] = set()
    stack = [tree_root]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        if kids is None:
            continue
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if (isinstance(kid, pikepdf.Dictionary) and "/S" in kid
                    and kid.objgen not in reachable):
                reachable.add(kid.objgen)
                stack.append(kid)
    return reachable


def tidy_pdf(pdf_bytes: bytes) -> bytes:
    """Mark page furniture as artifacts, stop image interpolation, add the /IDTree."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for obj in pdf.objects:
            if (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
                    and obj.get("/Interpolate") is not None):
                obj.Interpolate = False
        _map_empty_unicode(pdf)
        if "/StructTreeRoot" in pdf.Root:
            _artifact_orphans(pdf, pdf.Root.StructTreeRoot)
        _no_trailing_carriage_return(pdf)
        out = io.BytesIO()
        # Streams this step writes are compressed by _write_deflated; pikepdf must not
        # recompress them (its bytes could end in CR again).
        pdf.save(out, deterministic_id=True, compress_streams=False,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _map_empty_unicode(pdf) -> None:
    import pikepdf

    seen = set()
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or "/ToUnicode" not in obj:
            continue
        cmap = obj.ToUnicode
        if cmap.objgen in seen:
            continue
        seen.add(cmap.objgen)
        data = cmap.read_bytes()
        fixed = _EMPTY_UNICODE.sub(rb"\1 <200d>", data)
        if fixed != data:
            _write_deflated(cmap, fixed)


def _artifact_orphans(pdf, tree_root) -> None:
    import pikepdf

    reachable = _reachable_elements(tree_root)
    ids = {}
    for objgen in sorted(reachable):
        element = pdf.get_object(objgen)
        if "/ID" in element:
            ids[bytes(element.ID)] = element
    if ids and "/IDTree" not in tree_root:
        names = pikepdf.Array()
        for key in sorted(ids):
            names.append(pikepdf.String(key))
            names.append(ids[key])
        tree_root.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=names))
    if "/ParentTree" not in tree_root:
        return
    pages = {int(page.obj.StructParents): page for page in pdf.pages
             if "/StructParents" in page.obj}
    numbers = tree_root.ParentTree.get("/Nums", pikepdf.Array())
    for index in range(0, len(numbers), 2):
        key, value = int(numbers[index]), numbers[index + 1]
        if not isinstance(value, pikepdf.Array) or key not in pages:
            continue
        orphans = {mcid for mcid, element in enumerate(value)
                   if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable}
        if not orphans:
            continue
        page = pages[key]
        _mark_as_artifacts(pdf, page, orphans)
        for mcid in orphans:
            value[mcid] = None


# How pydyf writes a marked-content start: "/Span\n<</MCID 7>>\nBDC".
_MARKED_CONTENT = re.compile(rb"/\w+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
_PAGINATION = b"/Artifact\n<</Type /Pagination>>\nBDC"


def _mark_as_artifacts(pdf, page, orphans: set[int]) -> None:
    """Re-mark the orphaned MCIDs of one page as pagination artifacts.

    A byte-level rewrite of the decoded content stream: parsing and unparsing every operator
    with pikepdf cost a third of a second per pack. Should the stream ever be written in a
    form the pattern does not match, the operator-level rewrite below is used instead.
    """
    import pikepdf

    contents = page.obj.Contents
    if isinstance(contents, pikepdf.Stream):
        found: set[int] = set()

        def replace(match: re.Match) -> bytes:
            mcid = int(match.group(1))
            if mcid in orphans:
                found.add(mcid)
                return _PAGINATION
            return match.group(0)

        data = _MARKED_CONTENT.sub(replace, contents.read_bytes())
        if found == orphans:
            page.Contents = _new_stream(pdf, data)
            return
    instructions = []
    for operands, operator in pikepdf.parse_content_stream(page):
        if (str(operator) == "BDC" and len(operands) == 2
                and isinstance(operands[1], pikepdf.Dictionary)
                and int(operands[1].get("/MCID", -1)) in orphans):
            operands = [pikepdf.Name.Artifact,
                        pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
        instructions.append((operands, operator))
    page.Contents = _new_stream(pdf, pikepdf.unparse_content_stream(instructions))


def _write_deflated(stream, data: bytes) -> None:
    """Replace a stream's data, Flate-compressed so that its bytes do not end in CR.

    Followed by the "\n" before `endstream`, a final CR reads as a CRLF end of line, and
    PDF/A validators then find the stream one byte shorter than its /Length
    (PDFA3B-STREAM-LENGTH-001). About one compressed stream in 256 ends that way by chance;
    another compression level gives other bytes.
    """
    import pikepdf

    for level in (6, 9, 5, 8, 4, 7, 3, 2, 1):
        packed = zlib.compress(data, level)
        if not packed.endswith(b"\r"):
            stream.write(packed, filter=pikepdf.Name.FlateDecode)
            return
    stream.write(data)  # pragma: no cover (nine levels all ending in CR)


def _new_stream(pdf, data: bytes):
    stream = pdf.make_stream(b"")
    _write_deflated(stream, data)
    return stream


def _no_trailing_carriage_return(pdf) -> None:
    """Re-compress any Flate stream WeasyPrint wrote whose bytes end in CR (see above)."""
    import pikepdf

    for obj in pdf.objects:
        if (isinstance(obj, pikepdf.Stream) and obj.get("/Filter") == "/FlateDecode"
                and "/DecodeParms" not in obj and obj.read_raw_bytes().endswith(b"\r")):
            _write_deflated(obj, obj.read_bytes())


def page_count(pdf_bytes: bytes) -> int:
    """How many pages a PDF has (reads only the page tree)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return len(pdf.pages)
