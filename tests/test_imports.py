"""Importing the package, and the commands that need no rendering, stay light."""

from __future__ import annotations

import subprocess
import sys

from conftest import SAMPLE


def loaded_modules_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_import_briefing_does_not_load_heavy_stages():
    modules = loaded_modules_after("import briefing")
    assert "weasyprint" not in modules
    assert "matplotlib" not in modules


def test_check_command_does_not_load_heavy_stages():
    code = ("import sys\nfrom briefing.cli import main\n"
            f"sys.argv = ['briefing', 'check', {str(SAMPLE)!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n")
    modules = loaded_modules_after(code)
    assert "weasyprint" not in modules
    assert "matplotlib" not in modules
