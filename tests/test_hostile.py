"""Hostile input: meeting text is data; nothing in a meeting or layout fetches a file or URL.

Every test here runs a loopback HTTP listener and a secret file, and proves two things on the
real PDF: the hostile text printed literally, and the listener heard nothing and the secret
(and /etc/passwd) appear nowhere in the PDF, which embeds no files.
"""

from __future__ import annotations

import http.server
import re
import threading
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import pdf_pages, run_cli, write_meeting

HOSTILE = Path(__file__).resolve().parent / "hostile"
CORPUS = sorted(HOSTILE.glob("*.yaml"))
PASSWD_MARKER = b"root:x:0:0"


class Listener(http.server.ThreadingHTTPServer):
    """A loopback HTTP server that records every connection and would redirect to the secret."""

    daemon_threads = True

    def __init__(self, secret: Path) -> None:
        self.connections: list[tuple[str, int]] = []
        self.requests: list[str] = []
        self.secret = secret
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                listener.requests.append(self.path)
                self.send_response(302)  # a fetcher that followed this would read the secret
                self.send_header("Location", f"file://{listener.secret}")
                self.end_headers()

            do_POST = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def verify_request(self, request, client_address) -> bool:
        self.connections.append(client_address)  # counts even a connection that sends nothing
        return True

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def heard_anything(self) -> bool:
        return bool(self.connections or self.requests)


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> tuple[Path, bytes]:
    token = f"BRIEFING-SECRET-{uuid.uuid4().hex}".encode()
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_bytes(token + b"\n")
    return path, token


@pytest.fixture(scope="module")
def listener(secret):
    server = Listener(secret[0])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def fill(text: str, listener: Listener, secret_path: Path) -> str:
    return text.replace("@PORT@", str(listener.port)).replace("@SECRET@", str(secret_path))


def assert_nothing_leaked(pdf_path: Path, secret_token: bytes) -> None:
    """No secret or /etc/passwd content in any stream, and no embedded or attached file."""
    import pikepdf

    raw = pdf_path.read_bytes()
    assert secret_token not in raw and PASSWD_MARKER not in raw
    with pikepdf.open(pdf_path) as pdf:
        assert len(pdf.attachments) == 0
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) or isinstance(obj, pikepdf.Stream):
                assert obj.get("/Type") not in ("/EmbeddedFile", "/Filespec"), obj.get("/Type")
                assert obj.get("/Subtype") != "/FileAttachment"
            if isinstance(obj, pikepdf.Stream):
                try:
                    data = obj.read_bytes()
                except pikepdf.PdfError:
                    data = obj.read_raw_bytes()
                assert secret_token not in data and PASSWD_MARKER not in data


def link_uris(pdf_path: Path) -> list[str]:
    import pikepdf

    uris = []
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and "/URI" in action:
                    uris.append(str(action["/URI"]))
    return uris


def squash(text: str) -> str:
    """Text without any whitespace: a long hostile string may wrap anywhere in the PDF."""
    # typographic quotes in the PDF are the straight ones of the file, set in type
    return re.sub(r"\s+", "", text).translate(str.maketrans("’‘“”", "''\"\""))


def literal_texts(document: dict) -> list[str]:
    """Every plain-text value the internal edition prints as typed (not the Markdown ones)."""
    meeting = document["meeting"]
    texts = [meeting[key] for key in ("title", "venue", "area", "organiser", "programme")
             if key in meeting]
    if meeting.get("next", {}).get("venue"):
        texts.append(meeting["next"]["venue"])
    texts += document.get("questions", [])
    texts += [row["group"] for row in document.get("attendance", [])]
    for theme in document.get("themes", []):
        texts += [theme["title"], *theme.get("points", [])]
    for quote in document.get("quotes", []):
        texts += [quote["text"], quote.get("speaker", "an attendee")]
    for action in document.get("actions", []):
        texts += [action["id"], action["action"], *([action["owner"]] if "owner" in action else [])]
    if document.get("marking", {}).get("caveat"):
        texts.append(document["marking"]["caveat"].upper())
    return texts


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, listener, secret):
    """Every corpus meeting, filled in and built by the real CLI in one run."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "inputs").mkdir()
    documents = {}
    for source in CORPUS:
        text = fill(source.read_text(encoding="utf-8"), listener, secret[0])
        (root / "inputs" / source.name).write_text(text, encoding="utf-8")
        documents[source.stem] = yaml.safe_load(text)
    result = run_cli("build", cwd=root)
    return root, documents, result


def test_corpus_is_there():
    assert {p.stem for p in CORPUS} >= {"html", "css", "svg", "markdown", "template"}


def test_hostile_meetings_build_without_fetching_anything(hostile_build, listener):
    root, documents, result = hostile_build
    assert result.returncode == 0, result.stderr
    # Meeting text never becomes markup, so the sandbox was never even asked for a URL.
    assert "refused" not in result.stderr, result.stderr
    assert not listener.heard_anything, (listener.connections, listener.requests)
    for stem in documents:
        assert (root / "output" / stem / "pack-internal.pdf").is_file()


def test_a_language_that_breaks_out_of_its_attribute_is_refused(workspace):
    # `meeting.language` goes into lang="…": only the shape of a BCP 47 tag gets that far.
    write_meeting(workspace / "inputs", "m.yaml",
                  "meeting:\n  title: T\n  date: 2025-07-12\n  venue: V\n"
                  "  language: 'en\" style=\"background: url(http://127.0.0.1:9/lang.png)'\n")
    result = run_cli("build", cwd=workspace)
    assert result.returncode == 1
    assert "error: inputs/m.yaml:5:13: `meeting.language` should be a BCP 47 language tag" \
        in result.stderr
    assert not (workspace / "output" / "m").exists()


@pytest.mark.parametrize("stem", [p.stem for p in CORPUS])
def test_hostile_text_prints_literally_and_leaks_nothing(hostile_build, secret, stem):
    root, documents, _ = hostile_build
    pdf = root / "output" / stem / "pack-internal.pdf"
    text = squash(" ".join(pdf_pages(pdf)))
    for value in literal_texts(documents[stem]):
        assert squash(value) in text, value
    assert_nothing_leaked(pdf, secret[1])
    for uri in link_uris(pdf):
        assert uri.startswith(("http://", "https://", "mailto:")), uri


def test_template_syntax_is_not_evaluated(hostile_build):
    root, _, _ = hostile_build
    text = " ".join(pdf_pages(root / "output" / "template" / "pack-internal.pdf"))
    assert "{{ 7*7 }} is what I typed" in text
    assert "49 is what I typed" not in text
    assert "{% raw %}{{ raw }}{% endraw %}" in text
    assert "Markdown summary with {{ 7*7 }} and {% raw %}" in text  # Markdown keeps braces too
    assert "looploop" not in squash(text)


def test_markdown_prints_html_as_text_and_keeps_only_safe_links(hostile_build, listener):
    root, documents, _ = hostile_build
    pdf = root / "output" / "markdown" / "pack-internal.pdf"
    text = " ".join(pdf_pages(pdf))
    port = listener.port
    assert squash(f'Raw HTML: <img src="http://127.0.0.1:{port}/md-raw.png">') in squash(text)
    assert squash(f'<object data="http://127.0.0.1:{port}/md-block"></object>') in squash(text)
    assert "<style>@import" in text
    # Refused links stay as the text the user wrote; they never become clickable.
    assert "[script](javascript:alert(1))" in text
    assert "<file:///etc/passwd>" in text
    uris = link_uris(pdf)
    assert "https://example.org/council" in uris  # safe links still work
    assert not [u for u in uris if not u.startswith(("http://", "https://", "mailto:"))], uris


# --- the sandbox itself, as a hostile workspace layout would meet it ----------------------

@pytest.fixture
def fetcher(tmp_path, secret):
    from briefing.rendering.layout import BUILTIN_LAYOUTS
    from briefing.rendering.pdf import _fetcher_class

    layouts = tmp_path / "layouts"
    (layouts / "mine").mkdir(parents=True)
    (layouts / "mine" / "ok.css").write_text("p { color: black }")
    (layouts / "mine" / "leak.css").symlink_to(secret[0])  # a symlink out of the roots
    (layouts / "mine" / "etc").symlink_to("/etc", target_is_directory=True)
    return _fetcher_class()((layouts.resolve(), BUILTIN_LAYOUTS.resolve()))


def test_fetcher_serves_layout_files_and_data_urls(fetcher):
    from briefing.rendering.layout import VIRTUAL_BASE

    assert fetcher.fetch(VIRTUAL_BASE + "mine/ok.css").read() == b"p { color: black }"
    assert fetcher.fetch(VIRTUAL_BASE + "base/fonts.css").read().startswith(b"/* Fonts")
    assert fetcher.fetch(VIRTUAL_BASE + "base/fonts/NotoSans-Regular.ttf").read(4) == b"\0\1\0\0"
    assert fetcher.fetch("data:text/css,p%7Bx:y%7D").read() == b"p{x:y}"
    assert fetcher.refused == []


def test_fetcher_refuses_everything_else(fetcher, listener, secret, caplog):
    from briefing.rendering.layout import VIRTUAL_BASE
    from briefing.rendering.pdf import ForbiddenResource

    port, secret_path = listener.port, str(secret[0])
    hostile = [
        "file:///etc/passwd", f"file://{secret_path}", "FILE:///etc/passwd", "file:/etc/passwd",
        f"http://127.0.0.1:{port}/x", f"https://127.0.0.1:{port}/x", f"http://localhost:{port}/",
        f"ftp://127.0.0.1:{port}/x", f"http://[::1]:{port}/x",
        f"https://layouts.briefing.invalid@127.0.0.1:{port}/base/base.css",
        "http://layouts.briefing.invalid/base/base.css",  # right host, wrong scheme
        VIRTUAL_BASE + "../../../../../../../../etc/passwd",
        VIRTUAL_BASE + "base/../../../../../../../../etc/passwd",
        VIRTUAL_BASE + "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        VIRTUAL_BASE + "%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        VIRTUAL_BASE + "..%5c..%5c..%5c..%5cetc%5cpasswd",
        VIRTUAL_BASE + "/etc/passwd", VIRTUAL_BASE + "%2Fetc%2Fpasswd",
        VIRTUAL_BASE + secret_path, VIRTUAL_BASE + "%2F" + secret_path.lstrip("/"),
        VIRTUAL_BASE + "base/base.css%00.png", VIRTUAL_BASE + "base",  # a folder, not a file
        VIRTUAL_BASE + "mine/leak.css", VIRTUAL_BASE + "mine/etc/passwd",  # symlinks out
        VIRTUAL_BASE, "javascript:alert(1)", "gopher://127.0.0.1/", "no-scheme",
    ]
    for url in hostile:
        with pytest.raises(ForbiddenResource):
            fetcher.fetch(url)
    assert fetcher.refused == hostile
    assert caplog.text.count("refused to fetch") == len(hostile)
    assert not listener.heard_anything


HOSTILE_LAYOUT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hostile layout</title>
<link rel="stylesheet" href="http://127.0.0.1:{port}/link.css">
<link rel="stylesheet" href="file://{secret}">
<link rel="attachment" href="file://{secret}" title="secret">
<link rel="attachment" href="http://127.0.0.1:{port}/attachment">
<style>
@import url("http://127.0.0.1:{port}/import.css");
@import "file:///etc/passwd";
@import "../../../../../../../../etc/passwd";
@font-face {{ font-family: Evil; src: url(http://127.0.0.1:{port}/font.ttf); }}
@font-face {{ font-family: Evil2; src: url(file://{secret}); }}
body {{ background: url(http://127.0.0.1:{port}/body.png); }}
h1::after {{ content: url(file:///etc/passwd); }}
ul {{ list-style-image: url(http://127.0.0.1:{port}/bullet.png); }}
@page {{ background: url(file://{secret});
  @top-left {{ content: url(http://127.0.0.1:{port}/margin.png) }} }}
p.evil {{ font-family: Evil, Evil2; }}
</style></head>
<body>
<h1 style="background-image: url('http://127.0.0.1:{port}/inline.png')">Hostile layout body</h1>
<p class="evil">Sandbox holds.</p>
<ul><li>bullet</li></ul>
<img src="http://127.0.0.1:{port}/img.png" alt="img">
<img src="file://{secret}" alt="secret">
<img src="%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" alt="traversal">
<object data="http://127.0.0.1:{port}/object.svg" type="image/svg+xml">object</object>
<embed src="file://{secret}">
<a rel="attachment" href="file://{secret}">attach the secret</a>
<a rel="attachment" href="file:///etc/passwd">attach passwd</a>
<a rel="attachment" href="http://127.0.0.1:{port}/a-attachment">attach from the network</a>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="100" height="100">
  <image href="http://127.0.0.1:{port}/svg-image.png" width="10" height="10"/>
  <image xlink:href="file://{secret}" width="10" height="10"/>
  <use href="file://{secret}#x"/>
  <use xlink:href="http://127.0.0.1:{port}/sprite.svg#icon"/>
  <rect width="10" height="10" fill="url(http://127.0.0.1:{port}/pattern.svg#p)"/>
  <text font-family="Evil">svg text</text>
</svg>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
  <style>@import url(http://127.0.0.1:{port}/svg-style.css);</style><rect width="5" height="5"/>
</svg>
<img alt="nested svg" src="data:image/svg+xml;utf8,{nested_svg}">
</body></html>
"""


def test_hostile_layout_html_fetches_nothing(tmp_path, listener, secret):
    """Defence in depth: even HTML written to attack the renderer cannot escape the sandbox."""
    from urllib.parse import quote

    from briefing.rendering.layout import BUILTIN_LAYOUTS
    from briefing.rendering.pdf import html_to_pdf

    nested_svg = quote(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        f'<image href="http://127.0.0.1:{listener.port}/nested.png" width="5" height="5"/>'
        f'<image href="file://{secret[0]}" width="5" height="5"/></svg>')
    html = HOSTILE_LAYOUT.format(port=listener.port, secret=secret[0], nested_svg=nested_svg)
    pdf_bytes, refused = html_to_pdf(html, [BUILTIN_LAYOUTS.resolve()])
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(pdf_bytes)

    assert "Sandbox holds." in " ".join(pdf_pages(pdf))
    assert not listener.heard_anything, (listener.connections, listener.requests)
    assert_nothing_leaked(pdf, secret[1])
    # The sandbox saw (and refused) each route: proof the test reached WeasyPrint's fetching.
    port = listener.port
    for route in ("link.css", "import.css", "font.ttf", "body.png", "inline.png", "img.png",
                  "object.svg", "svg-image.png", "nested.png", "a-attachment", "attachment"):
        assert f"http://127.0.0.1:{port}/{route}" in refused, route
    assert f"file://{secret[0]}" in refused
    assert "file:///etc/passwd" in refused
