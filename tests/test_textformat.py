"""Markdown in summaries: raw HTML prints as text, no images, only safe links survive."""

from __future__ import annotations

import re

import pytest

from briefing.meeting.textformat import markdown_to_html


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


@pytest.mark.parametrize("source", [
    '<img src="http://127.0.0.1:8000/x.png">',
    '<a rel="attachment" href="file:///etc/passwd">x</a>',
    "<script>alert(1)</script>",
    '<div style="background:url(http://127.0.0.1/x)">',
    "<style>@import url(http://127.0.0.1/x.css);</style>",
])
def test_raw_html_is_escaped_text(source):
    html = markdown_to_html(f"Before {source} after\n\n{source}\n")
    assert "<img" not in html and "<a " not in html and "<script" not in html
    assert "<div" not in html and "<style" not in html
    assert "&lt;" in html


@pytest.mark.parametrize("link", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "file:///etc/passwd", "FILE:///etc/passwd", "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)", "//127.0.0.1/x", "../../etc/passwd", "ftp://127.0.0.1/x",
])
def test_unsafe_links_are_not_links(link):
    for source in (f"[click]({link})", f"<{link}>", f"[click][r]\n\n[r]: {link}"):
        html = markdown_to_html(source)
        assert hrefs(html) == [], (source, html)


def test_safe_links_stay_links():
    html = markdown_to_html("[a](https://example.org/x) [b](http://example.org) "
                            "[c](mailto:team@example.org) <https://example.org/auto>")
    assert hrefs(html) == ["https://example.org/x", "http://example.org",
                           "mailto:team@example.org", "https://example.org/auto"]


def test_images_are_never_img_tags():
    html = markdown_to_html("![alt](http://127.0.0.1:8000/x.png) ![p](file:///etc/passwd)\n\n"
                            "![r][img]\n\n[img]: http://127.0.0.1/ref.png")
    assert "<img" not in html
    assert not [href for href in hrefs(html) if not href.startswith("http")]


def test_template_syntax_is_kept_as_text():
    assert "{{ 7*7 }} {% raw %}" in markdown_to_html("{{ 7*7 }} {% raw %}")
