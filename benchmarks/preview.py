"""Time `briefing serve` on the sample: the first (cold) build, warm rebuilds after a save, and
how long after each rebuild's PDF is written the open page shows it.

Usage:  .venv/bin/python benchmarks/preview.py [--saves N]

Needs Debian's chromium at /usr/bin/chromium (scripts/setup installs it). Compare the cold and
warm figures with each other, not with another machine's: this one may be shared and noisy.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "inputs" / "2025-battersea-lrap.yaml"
TITLE = "London Race Action Plan – community conversation"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]


def wait_for(condition, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise SystemExit("timed out")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=3)
    saves = parser.parse_args().saves
    from playwright.sync_api import expect, sync_playwright

    root = Path(tempfile.mkdtemp(prefix="briefing-preview-"))
    (root / "inputs").mkdir()
    meeting = root / "inputs" / SAMPLE.name
    original = SAMPLE.read_text(encoding="utf-8")
    meeting.write_text(original, encoding="utf-8")
    pdf = root / "output" / SAMPLE.stem / "pack-internal.pdf"
    log = root / "serve.log"
    started = time.perf_counter()
    with log.open("w") as stream:
        server = subprocess.Popen([sys.executable, "-m", "briefing", "serve", "--port", "0", "-l",
                                   "pack", "-e", "internal"], cwd=root, stdout=stream, stderr=stream)
    try:
        url = wait_for(lambda: re.search(r"at (http://\S+/) ", log.read_text())).group(1)
        wait_for(pdf.is_file)
        cold = time.perf_counter() - started
        rebuilds, shown = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=BROWSER_ARGS)
            page = browser.new_page()
            page.goto(f"{url}meeting/{SAMPLE.stem}")
            for index in range(saves):
                title = f"Timed save {index}"
                before = pdf.stat().st_mtime_ns
                saved = time.perf_counter()
                meeting.write_text(original.replace(f"title: {TITLE}", f"title: {title}"),
                                   encoding="utf-8")
                wait_for(lambda before=before: pdf.stat().st_mtime_ns != before)
                written = time.perf_counter()
                expect(page.locator("h1")).to_have_text(title, timeout=300_000)
                rebuilds.append(written - saved)
                shown.append(time.perf_counter() - written)
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)
        shutil.rmtree(root, ignore_errors=True)
    print(f"cold: start to first PDF                 {cold:6.2f} s")
    print(f"warm: save to rebuilt PDF (median of {saves})   {statistics.median(rebuilds):6.2f} s")
    print(f"page: PDF written to title on the page   {statistics.median(shown):6.2f} s (max "
          f"{max(shown):.2f})")


if __name__ == "__main__":
    main()
