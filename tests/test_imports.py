"""Importing the package, and the commands that need no rendering, stay light."""

from __future__ import annotations

import subprocess
import sys

from conftest import SAMPLE, run_python


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


LOADED_LIBRARIES = """
from weasyprint.text import ffi
assert ffi.pango.pango_version() > 0 and ffi.fontconfig is not None
assert ffi.harfbuzz_subset is not None  # the setup installs libharfbuzz-subset0
import ctypes.util
assert ctypes.util.find_library.__module__ == "ctypes.util", "the library search is back"
"""


def test_weasyprint_loads_its_libraries_without_starting_a_process():
    # cffi's library search runs ldconfig, gcc and ld: about 0.2 s of a cold build
    code = ("import sys\nstarted = []\n"
            "sys.addaudithook(lambda event, args: event == 'subprocess.Popen'"
            " and started.append(args[1]))\n"
            "from briefing.rendering.pdf import import_weasyprint\nimport_weasyprint()\n"
            + LOADED_LIBRARIES + "print(started)\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_weasyprint_still_loads_where_a_library_needs_the_usual_search():
    # A system where Pango loads only by the path the search finds: the quick import fails,
    # quietly, and the usual one succeeds.
    code = ("import _cffi_backend, ctypes.util\n"
            "load = _cffi_backend.load_library\n"
            "def picky(name, flags=0):\n"
            "    if 'pango-1.0' in str(name) and ctypes.util.find_library('c') is None:\n"
            "        raise OSError('not by that name')\n"
            "    return load(name, flags)\n"
            "_cffi_backend.load_library = picky\n"
            "from briefing.rendering.pdf import import_weasyprint\nimport_weasyprint()\n"
            + LOADED_LIBRARIES + "print('loaded')\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"  # no page of WeasyPrint's installation help
