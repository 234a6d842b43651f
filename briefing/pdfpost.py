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
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
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
            cmap.write(fixed)


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
        instructions = []
        for operands, operator in pikepdf.parse_content_stream(page):
            if (str(operator) == "BDC" and len(operands) == 2
                    and isinstance(operands[1], pikepdf.Dictionary)
                    and int(operands[1].get("/MCID", -1)) in orphans):
                operands = [pikepdf.Name.Artifact,
                            pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
            instructions.append((operands, operator))
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        for mcid in orphans:
            value[mcid] = None


def page_count(pdf_bytes: bytes) -> int:
    """How many pages a PDF has (reads only the page tree)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return len(pdf.pages)
