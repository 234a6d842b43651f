"""`briefing serve`: the real server on a free loopback port, driven by a real headless browser
(Debian's chromium through Playwright) and by raw HTTP requests.

Set BRIEFING_UPDATE_SCREENSHOTS=1 to write the preview's screenshot to docs/images/preview.png.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE, pdf_pages, run_cli, with_sample
from conftest import wait_for as conftest_wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
WAIT_MS = 180_000  # a cold build on a busy two-core machine; conditions usually hold in seconds
MEETING = SAMPLE.stem
TITLE = "London Race Action Plan – community conversation"
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(),
                                   reason="no browser: /usr/bin/chromium is missing (scripts/setup "
                                          "installs Debian's chromium package)")


class Served:
    """A `briefing serve` process, its workspace, address and log."""

    def __init__(self, root: Path, *args: str) -> None:
        self.root = root
        self.log = root / "serve.log"
        with self.log.open("w") as stream:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "briefing", "serve", "--port", "0", *args],
                cwd=root, stdout=stream, stderr=stream)
        found = self.wait_for(lambda: re.search(r"at (http://127\.0\.0\.1:\d+/)", self.text()),
                              "the address")
        self.url = found.group(1)
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, condition, what: str, seconds: float = WAIT_MS / 1000):
        return conftest_wait_for(condition, what, self.process, self.log, seconds)

    def request(self, path: str, method: str = "GET", host: str | None = None):
        """A raw request: the path is sent exactly as written (no normalising of `..`)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host or f"127.0.0.1:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=120)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample, served in the pack and brief layouts (internal edition)."""
    root = with_sample(tmp_path_factory.mktemp("serve") / "meetings")
    server = Served(root, "-l", "pack", "-l", "brief", "-e", "internal")
    pdf = root / "output" / MEETING / "pack-internal.pdf"
    server.wait_for(lambda: pdf.is_file() and "built" in server.text(), "the first build")
    yield server
    code = server.stop()
    assert code == 0, server.text()
    assert "Traceback" not in server.text()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no browser: /usr/bin/chromium is missing (scripts/setup installs Debian's "
                    "chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors  # no script error, and no script refused by the page's own policy


def _images_loaded(page) -> int:
    """Wait until the first page image has loaded; return how many page images there are."""
    page.wait_for_function("""() => {
        const first = document.querySelector('.pages img');
        return first && first.complete && first.naturalWidth > 0; }""")
    return page.locator(".pages img").count()


@needs_browser
def test_index_lists_the_sample(served, page):
    from playwright.sync_api import expect

    page.goto(served.url)
    row = page.locator("table.meetings tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(f"inputs/{SAMPLE.name}")
    expect(row.locator(".state")).to_have_text("built", timeout=WAIT_MS)
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(TITLE)


@needs_browser
def test_pack_page_follows_saves_errors_and_fixes(served, page, tmp_path):
    from playwright.sync_api import expect

    meeting_file = served.root / "inputs" / SAMPLE.name
    original = meeting_file.read_text(encoding="utf-8")
    pdf = served.root / "output" / MEETING / "pack-internal.pdf"
    page.goto(f"{served.url}meeting/{MEETING}")
    expect(page.locator("h1")).to_have_text(TITLE)
    assert _images_loaded(page) == len(pdf_pages(pdf))
    expect(page.get_by_role("link", name="Open the PDF")).to_have_attribute(
        "href", f"/meeting/{MEETING}/pack/internal.pdf")
    expect(page.get_by_role("navigation", name="Layout").get_by_role("link")).to_have_text(
        ["pack", "brief"])
    screenshot = tmp_path / "preview.png"
    page.screenshot(path=screenshot)
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("BRIEFING_UPDATE_SCREENSHOTS"):
        shutil.copy(screenshot, REPO / "docs" / "images" / "preview.png")

    # A save shows the new title without a reload, where the reader had scrolled to.
    page.evaluate("window.notReloaded = true; window.scrollTo(0, 1500)")
    page.wait_for_function("window.scrollY === 1500")
    meeting_file.write_text(original.replace(f"title: {TITLE}", "title: Preview check – Battersea"),
                            encoding="utf-8")
    expect(page.locator("h1")).to_have_text("Preview check – Battersea", timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded === true && window.scrollY") == 1500
    assert "Preview check – Battersea" in pdf_pages(pdf)[0]

    # A broken save replaces the pages with its error, at its file and line.
    line = next(number for number, text in enumerate(original.splitlines(), start=1)
                if text.strip().startswith("date: 2025-07-12"))
    meeting_file.write_text(original.replace("date: 2025-07-12", "date: 12/07/2025", 1),
                            encoding="utf-8")
    errors = page.locator("section.errors")
    expect(errors).to_contain_text(f"error: inputs/{SAMPLE.name}:{line}:", timeout=WAIT_MS)
    expect(errors).to_contain_text("YYYY-MM-DD")
    expect(page.locator(".pages img")).to_have_count(0)
    expect(page.locator(".file .state")).to_have_text("failed")

    # The fix brings the pack back.
    meeting_file.write_text(original, encoding="utf-8")
    expect(page.locator("h1")).to_have_text(TITLE, timeout=WAIT_MS)
    expect(errors).to_have_count(0)
    assert _images_loaded(page) == len(pdf_pages(pdf))
    assert page.evaluate("window.notReloaded") is True
    assert served.process.poll() is None


TRAVERSALS = [
    "/../../../../etc/passwd",
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2E%2E%2Fpages.py",
    "/meeting/%2e%2e/pack/internal.pdf",
    f"/meeting/{MEETING}/%2e%2e/internal.pdf",
    f"/meeting/{MEETING}/pack/..%2f..%2f..%2f..%2fetc%2fpasswd.pdf",
    f"/meeting/{MEETING}/pack/internal/..%2f..%2fpack-internal.pdf/page-1.png",
    "/meeting/..%2f..%2fbriefing.toml",
    "/output/" + MEETING + "/pack-internal.pdf",
    "/inputs/" + SAMPLE.name,
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_paths_that_climb_out_get_404(served, path):
    status, headers, body = served.request(path)
    assert status == 404, (path, body[:200])
    assert b"root:x:0:0" not in body and b"meeting:" not in body
    assert "script-src 'self'" in headers["content-security-policy"]


def test_a_link_in_the_output_folder_is_not_followed(served, tmp_path):
    """The same PDF bytes, but reached through a link (to a file, or a folder) outside output/."""
    folder = served.root / "output" / MEETING
    pdf = folder / "pack-internal.pdf"
    served.wait_for(lambda: served.request(f"/meeting/{MEETING}")[0] == 200
                    and b"/pack/internal.pdf" in served.request(f"/meeting/{MEETING}")[2],
                    "the pack page")
    status, _headers, body = served.request(f"/meeting/{MEETING}/pack/internal.pdf")
    assert status == 200 and body.startswith(b"%PDF")
    image = re.search(rb'src="(/meeting/[^"]+/)page-1\.png"', served.request(f"/meeting/{MEETING}")[2])
    last = len(pdf_pages(pdf))  # the last pages: no browser has asked for them, none is cached
    images = image.group(1).decode() + "page-{}.png"
    outside = tmp_path / "outside"
    outside.mkdir()
    try:
        pdf.rename(outside / pdf.name)
        pdf.symlink_to(outside / pdf.name)
        assert served.request(f"/meeting/{MEETING}/pack/internal.pdf")[0] == 404
        assert served.request(images.format(last))[0] == 404
        pdf.unlink()
        folder.rename(outside / "folder")
        (outside / "folder" / pdf.name).write_bytes((outside / pdf.name).read_bytes())
        folder.symlink_to(outside / "folder", target_is_directory=True)
        assert served.request(f"/meeting/{MEETING}/pack/internal.pdf")[0] == 404
        assert served.request(images.format(last - 1))[0] == 404
    finally:
        if folder.is_symlink():
            folder.unlink()
            (outside / "folder").rename(folder)
        if pdf.is_symlink():
            pdf.unlink()
        if not pdf.exists():
            (outside / pdf.name).rename(pdf)
    assert served.request(f"/meeting/{MEETING}/pack/internal.pdf")[0] == 200
    assert served.request(images.format(last))[0] == 200


def test_requests_only_read_and_other_hosts_are_refused(served):
    record = served.root / "output" / MEETING / ".pack-internal.pdf.inputs.json"
    before = record.stat().st_mtime_ns
    builds = served.text().count("built ")
    for method in ("POST", "PUT", "DELETE"):
        assert served.request("/", method=method)[0] == 405
    assert served.request("/meeting/new-meeting")[0] == 404
    # A page on another site that points its name at this machine (DNS rebinding) gets nothing.
    status, _headers, body = served.request("/", host="attacker.example")
    assert status == 400 and b"Meetings" not in body
    status, headers, _body = served.request("/", host="localhost")
    assert status == 200
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = served.request("/static/preview.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert b"EventSource" in body
    assert record.stat().st_mtime_ns == before and served.text().count("built ") == builds


def test_text_from_a_meeting_file_is_escaped(served):
    hostile = served.root / "inputs" / "zz-hostile.yaml"
    hostile.write_text("meeting:\n  title: Hostile\n  date: 2025-07-12\n  venue: Hall\n"
                       "'<img src=x onerror=alert(1)>': 1\n"
                       "themes:\n  - {id: t1, title: Theme, points: [A point]}\n",
                       encoding="utf-8")
    try:
        def failed_page():
            status, _headers, body = served.request("/meeting/zz-hostile")
            return status == 200 and b"section class=\"errors\"" in body and body

        body = served.wait_for(failed_page, "the hostile meeting's error page")
        assert b"&lt;img src=x onerror=alert(1)&gt;" in body
        assert b"<img src=x" not in body
        assert b"zz-hostile.yaml:5:1" in body
    finally:
        hostile.unlink()
    served.wait_for(lambda: served.request("/meeting/zz-hostile")[0] == 404, "the file's removal")


def test_start_up_problems_are_explained(tmp_path):
    root = with_sample(tmp_path)
    (root / "briefing.toml").write_text('build = ["pack"]\nedtions = ["public"]\n')
    result = run_cli("serve", "--port", "0", cwd=root)
    assert result.returncode == 1
    assert "error: " in result.stderr and "briefing.toml:2: unknown setting `edtions`" in result.stderr
    (root / "briefing.toml").unlink()
    # An address of no interface here (TEST-NET-1): the warning comes first, then the error.
    result = run_cli("serve", "--host", "192.0.2.1", "--port", "0", cwd=root)
    assert result.returncode == 1
    assert "warning: the preview is reachable from other machines" in result.stderr
    assert "OFFICIAL" in result.stderr
    assert "error: cannot listen on 192.0.2.1:0" in result.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), cwd=root)
    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr and "warning" not in result.stderr
    assert "Traceback" not in result.stderr
