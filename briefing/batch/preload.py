"""Imported once by the worker fork server: ignores Ctrl-C and loads the heavy stages, so every
worker forks deaf to Ctrl-C (the parent handles it), with WeasyPrint imported and what a first
render needs already loaded (the built-in layouts' templates compiled, among others). When the
build ends, the server ends at once, without Python's shutdown.

The fork server imports this module by name and would die on any error but ImportError, so
nothing here may raise: a renderer that cannot load (Pango missing, say) fails in each render
instead, with a message the build reports against every output.
"""

try:
    import signal

    # The server starts with SIGINT blocked (forkserver.py); ignored first, then unblocked, a
    # Ctrl-C sent while it started is dropped here instead of interrupting the imports.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
except Exception:  # noqa: BLE001, S110 (see the docstring)
    pass

try:
    import sys

    def _quiet_when_the_build_is_gone(kind, value, traceback) -> None:  # noqa: ANN001
        """A worker forked just as its build was stopped (Ctrl-C) finds the build's end of
        its pipe closed before it was told anything: it ends without a traceback, since the
        build has already said it was interrupted. Anything else is shown as usual."""
        if issubclass(kind, (EOFError, BrokenPipeError, ConnectionResetError)):
            return
        sys.__excepthook__(kind, value, traceback)

    sys.excepthook = _quiet_when_the_build_is_gone  # workers fork with it
except Exception:  # noqa: BLE001, S110 (see the docstring)
    pass

try:
    import os

    # matplotlib makes a temporary config folder (and removes it at exit) where none is
    # writable: noted, so that a server leaving without Python's shutdown removes it too.
    _config_folder_before = os.environ.get("MPLCONFIGDIR")
except Exception:  # noqa: BLE001, S110 (see the docstring)
    pass

try:
    from briefing.rendering.pdf import import_weasyprint

    import_weasyprint()  # pointed at the shipped fonts, without the slow library search
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401

    from briefing.rendering import charts, renderer  # noqa: F401
except Exception:  # noqa: BLE001, S110 (see the docstring)
    pass

try:
    # What a render loads on first use, loaded once here rather than in every worker (0.1 to
    # 0.2 s of each worker's first render): the stages imported inside Renderer._render, the
    # built-in layouts' compiled templates and the C types WeasyPrint parses as it writes.
    from briefing.rendering.pdf import parse_render_types
    from briefing.rendering.renderer import import_render_stages
    from briefing.rendering.templating import compile_built_in_layouts

    import_render_stages()
    compile_built_in_layouts()
    parse_render_types()
except Exception:  # noqa: BLE001, S110 (see the docstring)
    pass

try:
    import atexit

    def _started_by_the_fork_server() -> bool:
        """Whether multiprocessing's fork server is importing this module (not a test, say)."""
        frame = sys._getframe()
        while frame is not None:
            if (frame.f_code.co_name == "main"
                    and frame.f_globals.get("__name__") == "multiprocessing.forkserver"):
                return True
            frame = frame.f_back
        return False

    def _leave_at_once(server: int) -> None:
        """End the server without Python's shutdown. The server ends when its build does, and
        shares the build's stderr: whoever reads the build's output (CI, a script, the
        benchmarks) waits until the server has closed it too, and tearing down WeasyPrint and
        matplotlib takes 0.1 to 0.3 s. The server writes no files; it flushes its output and
        removes matplotlib's temporary config folder, if matplotlib made one, itself. It runs
        first of the exit handlers (registered after the imports above registered theirs), and
        only in the server: a worker forked from it exits as it always did."""
        if os.getpid() != server:
            return
        import shutil
        import tempfile

        made = os.environ.get("MPLCONFIGDIR")
        if (made and made != _config_folder_before
                and os.path.basename(made).startswith("matplotlib-")
                and os.path.dirname(made) == tempfile.gettempdir()):
            shutil.rmtree(made, ignore_errors=True)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 (a closed stream: nothing to flush)
                pass
        os._exit(1 if getattr(sys, "last_type", None) is not None else 0)  # an uncaught error: 1

    if _started_by_the_fork_server():
        atexit.register(_leave_at_once, os.getpid())
except Exception:  # noqa: BLE001, S110 (see the docstring)
    pass
