"""Turn the Markdown users write in summaries into safe HTML: no raw HTML, no images, safe links only.

Straight quotes in prose become curly ones (’ “ ”); code spans and link addresses keep theirs.
"""

from __future__ import annotations

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


def markdown_to_html(text: str | None) -> Markup:
    """Markdown to HTML that can only contain what the Markdown itself describes."""
    if not text:
        return Markup("")
    # markdown-it escapes all text and drops raw HTML, so its output is safe to mark up.
    return Markup(_renderer().render(text))  # noqa: S704
