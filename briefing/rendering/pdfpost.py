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

It also rebuilds the structure tree so that a screen reader can follow it. WeasyPrint makes
one structure element per page for every element that crosses a page (four "What we heard"
sections, a paragraph split in two); pdf.py has it note each element's HTML source, and the
pieces of one source are joined again (a table's header row repeated on a later page becomes
a pagination artifact). Sections are nested by heading level; every table header cell gets a
/Scope and an /ID, and every data cell the /Headers it falls under; each link is one Link
element with one annotation per line, described by its text and printed; figure bounding
boxes are given in PDF user space (WeasyPrint writes CSS pixels from the top of the page);
the document opens with its title shown and its bookmarks visible.
"""

from __future__ import annotations

import io
import re
import zlib

_EMPTY_UNICODE = re.compile(rb"^(<[0-9A-Fa-f]+>) <>$", re.MULTILINE)


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
            tree = _rebuild_structure(pdf, pdf.Root.StructTreeRoot)
            _artifact_orphans(pdf, pdf.Root.StructTreeRoot, tree)
        pdf.Root.PageMode = pikepdf.Name.UseOutlines
        pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
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


def _artifact_orphans(pdf, tree_root, tree: list) -> None:
    """Re-mark content no reachable structure element owns as pagination artifacts, point
    the parent tree at the elements that own each piece of content now, and add the /IDTree."""
    import pikepdf

    ids = {}
    for element in sorted(tree, key=lambda element: element.objgen):
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
    page_keys = {page.obj.objgen: key for key, page in pages.items()}
    owners, annotation_owners = _content_owners(tree, page_keys)
    numbers = tree_root.ParentTree.get("/Nums", pikepdf.Array())
    new_numbers: dict[int, object] = {}
    for index in range(0, len(numbers), 2):
        key, value = int(numbers[index]), numbers[index + 1]
        if key not in pages or not isinstance(value, pikepdf.Array):
            continue
        owned = owners.get(key, {})
        orphans = {mcid for mcid, element in enumerate(value)
                   if isinstance(element, pikepdf.Dictionary) and mcid not in owned}
        if orphans:
            _mark_as_artifacts(pdf, pages[key], orphans)
        size = max([len(value), *(mcid + 1 for mcid in owned)])
        new_numbers[key] = pikepdf.Array([owned.get(mcid) for mcid in range(size)])
    for annotation, element in annotation_owners:
        if "/StructParent" in annotation:
            new_numbers[int(annotation.StructParent)] = element
    nums = pikepdf.Array()
    for key in sorted(new_numbers):
        nums.append(key)
        nums.append(new_numbers[key])
    tree_root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=nums))
    tree_root.ParentTreeNextKey = max(new_numbers, default=-1) + 1


def _content_owners(tree: list, page_keys: dict) -> tuple[dict[int, dict[int, object]], list]:
    """Which element of the tree owns each marked-content id of each page (by the page's
    /StructParents key), and each annotation with the element that owns it."""
    import pikepdf

    owners: dict[int, dict[int, object]] = {}
    annotations = []
    for element in tree:
        page = element.get("/Pg")
        for kid in _kids(element):
            if isinstance(kid, int):
                if page is not None and page.objgen in page_keys:
                    owners.setdefault(page_keys[page.objgen], {})[kid] = element
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                where = kid.get("/Pg", page)
                if where is not None and where.objgen in page_keys:
                    owners.setdefault(page_keys[where.objgen], {})[int(kid.MCID)] = element
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                annotations.append((kid.Obj, element))
    return owners, annotations


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


# --- the structure tree ----------------------------------------------------------------------

# Keys pdf.py has WeasyPrint's tagger write (see pdf.SOURCE_KEY and pdf.LINK_TEXT_KEY).
_SOURCE = "/BriefingSource"
_LINK_TEXT = "/BriefingText"
_HEADING_LEVELS = {f"/H{n}": n for n in range(1, 7)}
_CONTAINERS = {"/Document", "/Part", "/Art", "/Sect", "/Div", "/NonStruct", "/BlockQuote"}
_PRINT_FLAG = 4
_CSS_PX = 0.75  # points per CSS pixel


def _kids(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if _is_array(kids) else [kids]


def _is_array(value) -> bool:
    import pikepdf

    return isinstance(value, pikepdf.Array)


def _set_kids(element, kids: list) -> None:
    import pikepdf

    element.K = pikepdf.Array(kids)


def _is_element(kid) -> bool:
    import pikepdf

    return isinstance(kid, pikepdf.Dictionary) and "/S" in kid


def _elements(element) -> list:
    return [kid for kid in _kids(element) if _is_element(kid)]


def _walk(tree_root):
    """Every reachable structure element, parents before children, in reading order."""
    stack = list(reversed(_elements(tree_root)))
    seen = set()
    while stack:
        element = stack.pop()
        if element.objgen in seen:
            continue
        seen.add(element.objgen)
        yield element
        stack.extend(reversed(_elements(element)))


def _rebuild_structure(pdf, tree_root) -> list:
    """Rebuild the tree (see the module's docstring); return its elements in reading order."""
    for document in _elements(tree_root):
        _join_continued(pdf, document)
        _nest_sections(document)
    table_number = 0
    tree = []
    for element in list(_walk(tree_root)):
        kind = str(element.S)
        if kind == "/Link" and str(element.P.get("/S", "")) == "/Link":
            continue  # folded into the outermost link below, which _walk met first
        tree.append(element)
        if kind == "/Table":
            table_number += 1
            _label_table(element, table_number)
        elif kind == "/Link" and str(element.P.get("/S", "")) != "/Link":
            _one_link(pdf, element)
        elif kind == "/Figure":
            _figure_box_in_points(element)
        for key in (_SOURCE, _LINK_TEXT):
            if key in element:
                del element[key]
    return tree


def _source(element) -> tuple[bytes, str] | None:
    if _SOURCE not in element:
        return None
    return bytes(element[_SOURCE]), str(element.S)


def _join_continued(pdf, parent) -> None:
    """Join the pieces WeasyPrint made of one element crossing pages, depth first.

    Siblings from the same source are one element continued: a later piece's content moves
    into the first piece. The pieces are neighbours, except the cells of a table row split
    across pages (each cell's second piece follows the row's first pieces) and a table's
    header (or footer) group repeated on the next page: that leaves the tree, and its content
    becomes a pagination artifact.
    """
    kept: list = []
    first_pieces: dict = {}
    kids = _kids(parent)
    for kid in kids:
        source = _source(kid) if _is_element(kid) else None
        if source is not None:
            first = first_pieces.get(source)
            if first is not None:
                if source[1] not in ("/THead", "/TFoot") or first is _last_element(kept):
                    _move_content(pdf, kid, first)
                continue
            first_pieces[source] = kid
        kept.append(kid)
    if len(kept) != len(kids):
        _set_kids(parent, kept)
    for kid in kept:
        if _is_element(kid):
            _join_continued(pdf, kid)


def _last_element(kids: list):
    return next((kid for kid in reversed(kids) if _is_element(kid)), None)


def _move_content(pdf, piece, into) -> None:
    """Append a piece's content to the element it continues (marked content drawn on the
    piece's own page is then referred to with its page)."""
    import pikepdf

    into_page = into.get("/Pg")
    piece_page = piece.get("/Pg")
    moved = []
    for kid in _kids(piece):
        if isinstance(kid, int) and piece_page is not None and (
                into_page is None or piece_page.objgen != into_page.objgen):
            kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=piece_page, MCID=kid)
        elif _is_element(kid):
            kid.P = into
        moved.append(kid)
    _set_kids(into, _kids(into) + moved)


def _heading_level(section) -> int | None:
    """The level of the heading a section opens with (looking through wrappers)."""
    for kid in _elements(section)[:3]:
        kind = str(kid.S)
        if kind in _HEADING_LEVELS:
            return _HEADING_LEVELS[kind]
        if kind in ("/NonStruct", "/Div"):
            level = _heading_level(kid)
            if level is not None:
                return level
    return None


def _nest_sections(parent) -> None:
    """Move a section whose heading is deeper than the section before it into that section
    (a theme under its part), wherever a layout wrote them as siblings; a part is never
    moved into the section of the document's title."""
    kept: list = []
    open_sections: list = []  # (level, section), shallowest first
    changed = False
    for kid in _kids(parent):
        level = _heading_level(kid) if _is_element(kid) and str(kid.S) == "/Sect" else None
        if level is not None:
            while open_sections and open_sections[-1][0] >= level:
                open_sections.pop()
            if open_sections:
                owner = open_sections[-1][1]
                kid.P = owner
                _set_kids(owner, _kids(owner) + [kid])
                changed = True
            else:
                kept.append(kid)
            if level > 1:  # the title's section (the cover) holds no parts
                open_sections.append((level, kid))
        else:
            kept.append(kid)
            if _is_element(kid):
                open_sections.clear()
    if changed:
        _set_kids(parent, kept)
    for kid in _elements(parent):
        if str(kid.S) in _CONTAINERS:
            _nest_sections(kid)


def _table_rows(table) -> list[tuple[object, bool]]:
    """The table's rows in order, each with whether it sits in the header group."""
    rows = []
    for kid in _elements(table):
        kind = str(kid.S)
        if kind in ("/THead", "/TBody", "/TFoot"):
            rows.extend((row, kind == "/THead") for row in _elements(kid) if str(row.S) == "/TR")
        elif kind == "/TR":
            rows.append((kid, False))
    return rows


def _cell_attributes(cell):
    """The cell's /Table attribute dictionary (made if missing)."""
    import pikepdf

    attributes = cell.get("/A")
    if isinstance(attributes, pikepdf.Array):
        for item in attributes:
            if isinstance(item, pikepdf.Dictionary) and item.get("/O") == "/Table":
                return item
        table_attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
        attributes.append(table_attributes)
        return table_attributes
    if not isinstance(attributes, pikepdf.Dictionary):
        attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
        cell.A = attributes
    return attributes


def _label_table(table, number: int) -> None:
    """Give each header cell a /Scope (Column in a header row, Row in a body row) and an
    /ID, and each data cell the /Headers of its row and column headers."""
    import pikepdf

    grid: list[tuple[int, int, int, int, object, bool]] = []  # row, column, rows, columns
    taken: set[tuple[int, int]] = set()
    rows = _table_rows(table)
    for row_index, (row, in_head) in enumerate(rows):
        cells = [cell for cell in _elements(row) if str(cell.S) in ("/TH", "/TD")]
        header_row = in_head or all(str(cell.S) == "/TH" for cell in cells)
        column = 0
        for cell in cells:
            while (row_index, column) in taken:
                column += 1
            attributes = _cell_attributes(cell)
            spans = (int(attributes.get("/RowSpan", 1)), int(attributes.get("/ColSpan", 1)))
            for r in range(row_index, row_index + spans[0]):
                for c in range(column, column + spans[1]):
                    taken.add((r, c))
            grid.append((row_index, column, *spans, cell, header_row))
            column += spans[1]
    column_headers: dict[int, list] = {}
    row_headers: dict[int, list] = {}
    for row_index, column, row_span, column_span, cell, header_row in grid:
        if str(cell.S) != "/TH":
            continue
        identifier = pikepdf.String(f"table{number}-r{row_index + 1}c{column + 1}")
        cell.ID = identifier
        attributes = _cell_attributes(cell)
        if header_row:
            attributes.Scope = pikepdf.Name.Column
            for c in range(column, column + column_span):
                column_headers.setdefault(c, []).append(identifier)
        else:
            attributes.Scope = pikepdf.Name.Row
            for r in range(row_index, row_index + row_span):
                row_headers.setdefault(r, []).append(identifier)
    for row_index, column, row_span, column_span, cell, _header_row in grid:
        attributes = _cell_attributes(cell)
        if str(cell.S) != "/TD":
            if "/Headers" in attributes:
                del attributes["/Headers"]
            continue
        headers = [identifier for r in range(row_index, row_index + row_span)
                   for identifier in row_headers.get(r, [])]
        headers += [identifier for c in range(column, column + column_span)
                    for identifier in column_headers.get(c, [])]
        attributes.Headers = pikepdf.Array(headers)


def _one_link(pdf, link) -> None:
    """Make a link one Link element holding its text and one annotation per line.

    WeasyPrint nests a Link element in a Link for every box the link's text makes (a
    contents entry laid out as a table makes six), each with an overlapping annotation
    described by the target's id. The annotations left are described by the link's text
    and carry the Print flag.
    """
    import pikepdf

    page = link.get("/Pg")
    content, references = [], []

    def gather(element) -> None:
        element_page = element.get("/Pg", page)
        for kid in _kids(element):
            if _is_element(kid) and str(kid.S) == "/Link":
                gather(kid)
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                references.append(kid)
            elif isinstance(kid, int) and element_page is not None and page is not None \
                    and element_page.objgen != page.objgen:
                content.append(pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=element_page, MCID=kid))
            else:
                if _is_element(kid):
                    kid.P = link
                content.append(kid)

    gather(link)
    text = str(link.get(_LINK_TEXT, "")).strip()
    kept = []
    for group in _lines_of(references):
        first = group[0]
        annotation = first.Obj
        annotation.Rect = pikepdf.Array(_union(ref.Obj.Rect for ref in group))
        annotation.F = _PRINT_FLAG
        if text:
            annotation.Contents = pikepdf.String(text)
        kept.append(first)
        for dropped in group[1:]:
            _remove_annotation(dropped)
    _set_kids(link, content + kept)


def _rectangle(rect) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(value) for value in rect)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _union(rects) -> list[float]:
    boxes = [_rectangle(rect) for rect in rects]
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _lines_of(references: list) -> list[list]:
    """Annotation references grouped by page and by the line they sit on (their rectangles
    overlap vertically by more than half the lower one's height)."""
    groups: list[list] = []
    for reference in references:
        page = reference.get("/Pg")
        x1, y1, x2, y2 = _rectangle(reference.Obj.Rect)
        for group in groups:
            same_page = (group[0].get("/Pg") is None or page is None
                         or group[0].Pg.objgen == page.objgen)
            gx1, gy1, gx2, gy2 = _union(ref.Obj.Rect for ref in group)
            overlap = min(y2, gy2) - max(y1, gy1)
            if same_page and overlap > 0.5 * min(y2 - y1, gy2 - gy1):
                group.append(reference)
                break
        else:
            groups.append([reference])
    return groups


def _remove_annotation(reference) -> None:
    import pikepdf

    annotation = reference.Obj
    page = reference.get("/Pg")
    if page is None or "/Annots" not in page:
        return
    page.Annots = pikepdf.Array([a for a in page.Annots if a.objgen != annotation.objgen])


def _figure_box_in_points(figure) -> None:
    """Turn WeasyPrint's figure /BBox (CSS pixels, measured from the top of the page box)
    into PDF user space (points from the bottom), kept inside the page."""
    import pikepdf

    attributes = figure.get("/A")
    page = figure.get("/Pg")
    if not isinstance(attributes, pikepdf.Dictionary) or "/BBox" not in attributes or page is None:
        return
    media = _rectangle(page.MediaBox)
    top = float(page.TrimBox[3]) if "/TrimBox" in page else media[3]
    x1, y1, x2, y2 = (float(value) for value in attributes.BBox)
    box = [x1 * _CSS_PX, top - y2 * _CSS_PX, x2 * _CSS_PX, top - y1 * _CSS_PX]
    box = [min(max(box[0], media[0]), media[2]), min(max(box[1], media[1]), media[3]),
           min(max(box[2], media[0]), media[2]), min(max(box[3], media[1]), media[3])]
    attributes.BBox = pikepdf.Array([round(value, 3) for value in box])
