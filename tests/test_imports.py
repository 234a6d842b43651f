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


def test_weasyprint_loads_its_c_declarations_compiled_without_parsing_c():
    """cffi's parse of WeasyPrint's declarations and of the C types a render names costs
    about 60 ms a process; the compiled tables (briefing/rendering/cdefs.py) skip it. This
    fails after a WeasyPrint upgrade until `python -m briefing.rendering.cdefs` is run."""
    code = ("import sys\nfrom briefing.rendering.pdf import import_weasyprint, parse_render_types\n"
            "import_weasyprint()\nparse_render_types()\n"
            "from weasyprint.text.ffi import ffi, pango\nassert pango.pango_version() > 0\n"
            "print(type(ffi).__name__, 'pycparser' in sys.modules)\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DeclaredFFI", "False"]


# WeasyPrint's declarations parsed by cffi as WeasyPrint does, against the compiled tables:
# every type, struct layout, enum value, constant and function signature alike.
SAME_DECLARATIONS = """
import cffi
from briefing.rendering.cdefs import compiled_ffi, weasyprint_declarations

parsed = cffi.FFI()
parsed.cdef(weasyprint_declarations())
compiled = compiled_ffi()
# The same names of types, structs and unions: none only in the compiled tables.
assert [sorted(names) for names in parsed.list_types()] == \
    [sorted(names) for names in compiled.list_types()]


def shape(ffi, t, depth=0):
    if depth > 3:
        return t.kind
    k = t.kind
    if k in ("primitive", "void"):
        return (k, t.cname)
    if k == "pointer":
        return (k, shape(ffi, t.item, depth + 1))
    if k == "array":
        return (k, t.length, shape(ffi, t.item, depth + 1))
    if k in ("struct", "union"):
        try:
            ffi.sizeof(t)  # completes a struct the compiled tables describe lazily
        except Exception:  # noqa: BLE001 - opaque: each FFI has its own error class
            return (k, None)
        fields = None if t.fields is None else [
            (n, f.offset, f.bitsize, shape(ffi, f.type, depth + 1)) for n, f in t.fields]
        return (k, fields)
    if k == "enum":
        return (k, sorted(t.elements.items()))
    if k == "function":
        return (k, [shape(ffi, a, depth + 1) for a in t.args], shape(ffi, t.result, depth + 1), t.ellipsis)
    raise AssertionError(k)

libs = ["libgobject-2.0.so.0", "libpango-1.0.so.0", "libpangoft2-1.0.so.0", "libharfbuzz.so.0",
        "libharfbuzz-subset.so.0", "libfontconfig.so.1"]
pairs = [(parsed.dlopen(n), compiled.dlopen(n)) for n in libs]
checked = absent = 0  # absent: functions this system's libraries do not have
for key, (tp, _q) in parsed._parser._declarations.items():
    kind, _, name = key.partition(" ")
    if kind in ("function", "macro", "enum"):
        for lp, lc in pairs:
            names = list(tp.enumerators) if kind == "enum" else [name]
            try:
                found = [(getattr(lp, n), getattr(lc, n)) for n in names]
            except AttributeError:
                continue
            for a, b in found:
                if kind == "function":
                    assert shape(parsed, parsed.typeof(a)) == shape(compiled, compiled.typeof(b)), name
                else:
                    assert a == b, name
            checked += 1
            break
        else:
            absent += 1
        continue
    c = key if kind in ("struct", "union") else name
    assert shape(parsed, parsed.typeof(c)) == shape(compiled, compiled.typeof(c)), c
    checked += 1
print(checked, absent, len(parsed._parser._declarations))
"""


def test_the_compiled_c_declarations_are_the_ones_weasyprint_makes():
    result = run_python(SAME_DECLARATIONS)
    assert result.returncode == 0, result.stderr
    checked, absent, declared = map(int, result.stdout.split())
    assert checked + absent == declared and checked > 200, (checked, absent, declared)
