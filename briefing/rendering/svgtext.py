"""Make WeasyPrint 70 shape each SVG text run whole, so chart labels join as they do in the body.

WeasyPrint 70 lays SVG text out one character at a time (so that per-letter x, y, dx, dy and
rotate lists can be honoured). Each character is then shaped alone: Bengali conjuncts and
vowel signs fall apart around dotted circles and Arabic letters print unjoined. Chart text
never uses per-letter positions: every <text> matplotlib writes has one x and one y. For such
a run this lays out the whole string with Pango, as HTML text is, in the fonts the SVG names
(the shipped fonts), and draws it at the same place; any other text goes to WeasyPrint's own
code unchanged. Installed by pdf.py before the first PDF is made.
"""

from __future__ import annotations

from math import inf

_PER_LETTER = ("dx", "dy", "rotate", "textLength")


def install() -> None:
    """Route SVG <text>, <tspan>, <textPath> and <a> through `shaped_text` (once a process)."""
    import weasyprint.svg as svg_package

    original = svg_package.TAGS["text"]
    if getattr(original, "shapes_whole_runs", False):
        return

    def text(svg, node, font_size):
        if _single_position(node):
            return _draw_run(svg, node, font_size)
        return original(svg, node, font_size)

    text.shapes_whole_runs = True
    for tag, function in list(svg_package.TAGS.items()):
        if function is original:
            svg_package.TAGS[tag] = text
    # draw_node tells text nodes by comparing with the module's `text`: keep that true.
    svg_package.text = text


def _single_position(node) -> bool:
    """True when nothing asks for letters to be placed one by one."""
    if not node.text or any(name in node.attrib for name in _PER_LETTER):
        return False
    if node.get("letter-spacing") not in (None, "normal", "0"):
        return False
    return all(len((node.attrib.get(name) or "").replace(",", " ").split()) <= 1
               for name in ("x", "y"))


def _draw_run(svg, node, font_size) -> None:
    """WeasyPrint's svg.text.text for one positioned run, laid out as one Pango line."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import Style, TextBox
    from weasyprint.svg.utils import size
    from weasyprint.text.line_break import split_first_line

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"' ") for font in
                            node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    style["font_weight"] = {"normal": 400, "bold": 700}.get(weight, weight)
    try:
        style["font_weight"] = int(style["font_weight"])
    except ValueError:
        style["font_weight"] = 400
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")

    layout, _, _, width, height, baseline = split_first_line(
        node.text, style, svg.context, inf, 0)
    x = svg.cursor_position[0]
    y = svg.cursor_position[1]
    if node.attrib.get("x"):
        x = size(node.attrib["x"].replace(",", " ").split()[0], font_size, svg.inner_width)
    if node.attrib.get("y"):
        y = size(node.attrib["y"].replace(",", " ").split()[0], font_size, svg.inner_height)
    if node.attrib.get("x"):
        svg.cursor_d_position[0] = 0
    if node.attrib.get("y"):
        svg.cursor_d_position[1] = 0
    svg.cursor_position = x + width, y

    # The same vertical alignment rules (and approximations) as WeasyPrint's own code.
    ascent, descent = font_size * .8, font_size * .2
    y_align = 0
    display_anchor = node.get("display-anchor")
    alignment_baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        y_align = -height / 2
    elif display_anchor == "bottom":
        y_align = -height
    elif display_anchor != "top" and alignment_baseline in ("central", "middle"):
        y_align = (ascent + descent) / 2 - descent
    elif display_anchor != "top" and alignment_baseline in (
            "text-before-edge", "before_edge", "top", "hanging", "text-top"):
        y_align = ascent
    elif display_anchor != "top" and alignment_baseline in (
            "text-after-edge", "after_edge", "bottom", "text-bottom"):
        y_align = -descent

    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + y_align
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, (
        (x_position, y_position - baseline),
        (x_position + width, y_position - baseline + height)))

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    text_box = TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(svg.stream, text_box, "none", "none",
                             Matrix(a=1, d=-1, e=x_position, f=y_position))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)
