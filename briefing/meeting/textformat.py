"""Turn the Markdown users write in summaries into safe HTML: no raw HTML, no images, safe links only.

Straight quotes in prose become curly ones (’ “ ”); code spans and link addresses keep theirs.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup

SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")


@lru_cache(maxsize=1)
def _renderer():
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True,
                                         "quotes": "“”‘’"})
    renderer.disable(["image", "html_block", "html_inline"])
    renderer.enable(["smartquotes"])
    renderer.validateLink = lambda url: url.strip().lower().startswith(SAFE_LINK_SCHEMES)
    return renderer


def markdown_depth(text: str | None) -> int:
    """How deeply the Markdown's elements nest inside one another (a paragraph alone is 1)."""
    if not text:
        return 0
    deepest = 0
    for block in _renderer().parse(text):
        level = block.level + (block.nesting == 1)
        deepest = max(deepest, level)
        inline_level = 0
        for token in block.children or ():
            inline_level += max(token.nesting, 0)
            deepest = max(deepest, level + inline_level)
            inline_level += min(token.nesting, 0)
    return deepest


# What can open a nesting level: at a line's start (with what may come before a list
# marker or quote there), `>` opens a quote, and `-`, `+`, `*` or digits before `.` or `)`
# a list and its item; anywhere, `*` or `_` opens emphasis, `[` or `<` a link.
_LINE_START = re.compile(r"^[ \t>*+\-0-9.)]*", re.MULTILINE)
_NUMBER_MARKER = re.compile(r"[0-9]+[.)]")


def _nesting_bound(text: str) -> int:
    """An upper bound on markdown_depth(text), from counting the characters that can open a
    level (each opens at most one, a list marker two: the list and its item), plus one for
    the paragraph or heading and a margin. No parsing: a few microseconds for a summary."""
    bound = 3 + sum(text.count(mark) for mark in "*_[<")
    # Line starts as markdown-it finds them: it reads a lone carriage return as a line end.
    for prefix in _LINE_START.findall(text.replace("\r", "\n")):
        bound += prefix.count(">") + 2 * (prefix.count("-") + prefix.count("+")
                                          + prefix.count("*")
                                          + len(_NUMBER_MARKER.findall(prefix)))
    return bound


def markdown_nests_deeper_than(text: str | None, limit: int) -> int | None:
    """How deep the Markdown nests if that is deeper than `limit`, else None. Most text is
    cleared by counting (_nesting_bound) without being parsed."""
    if not text or _nesting_bound(text) <= limit:
        return None
    depth = markdown_depth(text)
    return depth if depth > limit else None


def markdown_to_html(text: str | None) -> Markup:
    """Markdown to HTML that can only contain what the Markdown itself describes."""
    if not text:
        return Markup("")
    # markdown-it escapes all text and drops raw HTML, so its output is safe to mark up.
    return Markup(_renderer().render(text))  # noqa: S704
