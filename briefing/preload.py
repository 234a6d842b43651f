"""Imported once by the -j fork server: loads the heavy stages so every worker forks with them.

The fork server imports this module by name and would die on any error but ImportError, so
nothing here may raise: a renderer that cannot load (Pango missing, say) fails in each render
instead, with a message the build reports against every output.
"""

try:
    from .pdf import use_layout_fonts_only

    use_layout_fonts_only()  # before WeasyPrint's import loads a fontconfig configuration
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import weasyprint  # noqa: F401

    from . import charts, rendering  # noqa: F401
except Exception:  # noqa: BLE001, S110 (see the docstring)
    pass
