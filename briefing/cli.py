"""Turn command-line flags into a Config and call one function. Nothing else lives here.

Heavy stages are imported inside the commands, so `briefing --help` and `briefing check`
never load matplotlib or WeasyPrint.
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import click

from briefing import __version__
from briefing.config import SETTINGS
from briefing.errors import BriefingError, Diagnostic, InputError, one_line, readable

log = logging.getLogger("briefing")


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = one_line(record.getMessage())
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now, so lines go above a live progress bar."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _say(line: str) -> None:
    """Print an error or warning line to stderr, as one line whatever the files hold."""
    click.echo(one_line(line), err=True)


def _setup_logging(verbose: int, quiet: bool) -> None:
    """-v: this program's decisions (what is rebuilt and why); -vv: the libraries' debug too."""
    handler = _StderrHandler()
    handler.setFormatter(_PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.getLogger("briefing").setLevel(level)
    # WeasyPrint and fontTools are chatty at INFO; their warnings still come through.
    for name in ("weasyprint", "weasyprint.progress", "fontTools", "matplotlib", "PIL"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 2 else logging.ERROR)


class _Group(click.Group):
    """Every error, usage or not, is one `error: …` line on stderr: exit 2 for usage, 1 for
    problems in the files."""

    def main(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - click's signature
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.format_message(), err=True)
            click.echo("\nerror: name a command, such as `briefing check`", err=True)
            code = error.exit_code
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx is not None else "briefing"
            click.echo(f"error: {error.format_message()} (see `{where} --help`)", err=True)
            code = error.exit_code
        except click.ClickException as error:
            click.echo(f"error: {error.format_message()}", err=True)
            code = error.exit_code
        except click.Abort:
            click.echo("error: interrupted", err=True)
            code = 130
        sys.exit(code or 0)


def _run(function, verbose: int) -> None:
    """Call a command body; turn our errors into `error: …` lines and an exit code."""
    try:
        code = function()
    except InputError as error:
        for diagnostic in error.diagnostics:
            _say(f"error: {diagnostic}")
        code = error.exit_code
    except BriefingError as error:
        _say(f"error: {error}")
        if verbose:
            traceback.print_exc()
        code = error.exit_code
    except OSError as error:  # a path the system refuses (too long, a loop): not a traceback
        where = f"{error.filename}: " if error.filename else ""
        _say(readable(f"error: {where}{error.strerror or error}; check the paths in "
                      "briefing.toml and the files it names"))
        if verbose:
            traceback.print_exc()
        code = 1
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        code = 130
    sys.exit(code or 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"],
                                           "max_content_width": 100})
@click.version_option(__version__, prog_name="briefing")
def main() -> None:
    """Turn community-meeting YAML files into print-ready PDF briefing packs."""


def _existing_folder(ctx, param, value: Path) -> Path:  # noqa: ANN001 - click's callback
    if not value.exists():
        raise click.BadParameter(f"the folder {value} does not exist", ctx, param)
    if not value.is_dir():
        raise click.BadParameter(f"{value} is a file, not a folder", ctx, param)
    return value


def _workspace(relative: str = ""):  # noqa: ANN201 - a click decorator
    return click.option("-C", "--workspace", type=click.Path(path_type=Path),
                        callback=_existing_folder, default=".", show_default=True,
                        help="Workspace folder (holds briefing.toml, inputs/, layouts/)."
                             + (f" {relative}" if relative else ""))


def _verbose(what: str = "what is built and why"):  # noqa: ANN201 - a click decorator
    return click.option("-v", "--verbose", count=True,
                        help=f"Say {what}, with tracebacks; -vv adds the libraries' debug "
                             "output.")


def _settings(*names: str, verb: str = "build"):  # noqa: ANN201 - a click decorator
    """The flags of these settings, made from their one declaration in config.py; the
    command receives the values as `settings`, ready for load_config (unset flags: None)."""
    def decorate(command):  # noqa: ANN001, ANN202
        @functools.wraps(command)
        def with_settings(**values):  # noqa: ANN003, ANN202
            return command(settings={name: values.pop(name) for name in names}, **values)

        for name in reversed(names):
            with_settings = _setting_option(SETTINGS[name], verb)(with_settings)
        return with_settings

    return decorate


def _setting_option(setting, verb: str):  # noqa: ANN001, ANN202 - a click decorator
    notes = ["repeatable"] * setting.repeatable + (
        [f"default: `{setting.name}` in briefing.toml, else {setting.default_words()}"]
        if setting.in_file else [])
    text = setting.help.format(verb=verb) + (f" ({'; '.join(notes)})" if notes else "") + "."
    how = {"help": text, "metavar": setting.metavar, "multiple": setting.repeatable}
    if setting.kind is bool:
        how.update(is_flag=True, default=None)
    elif setting.parse is not None:
        how["callback"] = _parsed(setting)
    elif setting.choices:
        how["type"] = click.Choice(setting.choices, case_sensitive=False)
    elif setting.kind is int:
        how["type"] = click.IntRange(min=setting.at_least or 1, max=setting.at_most)
    elif setting.kind is float:
        how["type"] = click.FloatRange(min=setting.at_least or 0, min_open=True,
                                       max=setting.at_most)
    elif setting.kind is Path:
        how["type"] = click.Path(file_okay=False, path_type=Path)
    return click.option(*setting.flags, setting.name, **how)


def _parsed(setting):  # noqa: ANN001, ANN202
    """A flag's text checked as it is read: a wrong value is a usage error (exit 2)."""
    def callback(ctx, param, text):  # noqa: ANN001, ANN202 - click's callback
        try:
            return setting.parse(text)
        except BriefingError as error:
            raise click.BadParameter(str(error).removeprefix(f"{param.opts[-1]} ")) from None
    return callback


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_settings(*(name for name, setting in SETTINGS.items() if setting.flags))  # every one
@_workspace("Relative FILES and -o are taken relative to it.")
@_verbose()
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings, errors and the summary.")
def build(files, settings, workspace, verbose, quiet):
    """Build PDF packs for FILES (default: every meeting in inputs/).

    Outputs whose inputs are unchanged (by content) are skipped; exit code 1 if any failed.
    """
    _setup_logging(verbose, quiet)

    def body() -> int:
        from briefing.config import load_config

        if settings["output"] is not None:
            settings["output"] = (workspace / settings["output"]).resolve()
        config = load_config(workspace, **settings)
        return _build_and_report(config, _in_workspace(workspace, files), quiet)

    _run(body, verbose)


def _in_workspace(workspace: Path, files) -> list[Path] | None:
    """Files named on the command line, relative ones taken relative to the workspace (-C)."""
    return [workspace / path for path in files] or None


def _build_and_report(config, files, quiet: bool, kept=None) -> int:  # noqa: ANN001
    """Run one build and print its warnings, failures and a one-line summary; `kept`
    (watch's KeptRenderers) keeps the renderers warm for the next build."""
    from briefing.batch.forkserver import start_early

    start_early(config, files)  # before the imports below: the server's run beside them
    from briefing.batch.build import build as run_build

    started = time.perf_counter()
    with _progress_bar(quiet) as progress:
        report = run_build(config, files, progress=progress, kept=kept)
    for diagnostic in report.warnings:
        _say(f"warning: {diagnostic}")
    for _what, why in report.failed:
        _say(f"error: {why}")
    failed = len({what for what, _ in report.failed})
    why = (f" ({_plural(report.strict_failures, 'warning')} failed with --strict)"
           if report.strict_failures else "")
    click.echo(f"{len(report.built)} built, {len(report.skipped)} up to date, {failed} failed"
               f"{why} in {time.perf_counter() - started:.1f} s", err=True)
    return 0 if report.ok else 1


class _RichProgress:
    """A progress bar on a terminal: the output just finished, done/total, elapsed time."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=True)
        self.task = None

    def begin(self, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("rendering", total=total)

    def advance(self, output: str, status: str) -> None:
        self.bar.update(self.task, advance=1, description=output)


@contextmanager
def _progress_bar(quiet: bool):
    """A _RichProgress when stderr is a terminal, else None (plain one-line logs for CI)."""
    progress = _RichProgress() if sys.stderr.isatty() and not quiet else None
    try:
        yield progress
    finally:
        if progress is not None:
            progress.bar.stop()


_interval = click.option("--interval", type=click.FloatRange(min=0.05), default=0.5,
                         show_default=True, help="Seconds between looks at the files, with --poll.")
_poll = click.option("--poll", is_flag=True,
                     help="Look at the files every --interval seconds instead of being told of "
                          "saves (for network drives; WATCHFILES_FORCE_POLLING=1 does the same).")


@main.command(short_help="Rebuild what changed each time a file is saved.")
@_settings("build", "editions", "jobs")
@_interval
@_poll
@_workspace()
@_verbose()
def watch(settings, interval, poll, workspace, verbose):
    """Rebuild what changed whenever a meeting, data, layout or config file is saved.

    Watches briefing.toml and everything under the inputs and layout folders. Stop with Ctrl-C.
    """
    _setup_logging(verbose, quiet=False)

    def body() -> int:
        from briefing.batch.watching import watch as run_watch
        from briefing.config import load_config

        def make_config():
            return load_config(workspace, **settings)

        try:
            config = make_config()
        except BriefingError:
            config = None  # a broken briefing.toml is reported below, and watched until fixed
        if config is not None and not config.inputs.is_dir():
            raise BriefingError(f"no inputs folder at {config.inputs}; create it and put "
                                "meeting files in it, then run `briefing watch` again")
        if not verbose:  # say what was rebuilt, not every output that was already up to date
            logging.getLogger("briefing.batch.build").addFilter(
                lambda record: not getattr(record, "up_to_date", False))

        from briefing.batch.warm import KeptRenderers

        kept = KeptRenderers()

        def on_change(config, error) -> None:
            if error is not None:
                _show_error(error)
            else:
                try:
                    _build_and_report(config, None, quiet=False, kept=kept)
                except BriefingError as problem:
                    _show_error(problem)
            click.echo(f"watching for changes in {workspace.resolve()} (Ctrl-C to stop)",
                       err=True)

        try:
            run_watch(workspace.resolve(), make_config, on_change, interval=interval, poll=poll)
        except KeyboardInterrupt:
            click.echo("stopped watching", err=True)
        finally:
            kept.stop()
        return 0

    _run(body, verbose)


@main.command(short_help="Preview the packs in a web browser, refreshed on each save.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_settings("build", "editions", "paper", verb="preview")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback lets other machines see the packs.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a web browser.")
@_interval
@_poll
@_workspace("Relative FILES are taken relative to it.")
@_verbose()
def serve(files, settings, port, host, open_browser, interval, poll, workspace, verbose):
    """Preview the packs in a web browser, rebuilt and refreshed whenever a file is saved.

    Builds FILES (default: every meeting in inputs/) into output/ like `briefing build`, then
    shows each pack as page images with its errors and warnings. Stop with Ctrl-C.
    """
    _setup_logging(verbose, quiet=False)

    def body() -> int:
        from briefing.config import load_config
        from briefing.preview.server import serve as run_serve

        def make_config():  # one process, no workers: every rebuild is warm
            return load_config(workspace, **settings, jobs=1)

        return run_serve(workspace.resolve(), make_config, _in_workspace(workspace, files),
                         host=host, port=port, poll=poll, interval=interval,
                         open_browser=open_browser,
                         announce=lambda message: click.echo(message, err=True))

    _run(body, verbose)


def _show_error(error: BriefingError) -> None:
    if isinstance(error, InputError):
        for diagnostic in error.diagnostics:
            _say(f"error: {diagnostic}")
    else:
        _say(f"error: {error}")


@main.command(short_help="Validate meeting files without rendering them.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format",
              type=click.Choice(["text", "github", "json"], case_sensitive=False),
              default="text", show_default=True, help="How to print the diagnostics.")
@_settings("strict")
@_workspace("Relative FILES are taken relative to it.")
@_verbose("this program's decisions")
def check(files, output_format, settings, workspace, verbose):
    """Validate meeting files without rendering them (fast: for pre-commit and CI)."""
    _setup_logging(verbose, quiet=True)

    def body() -> int:
        from briefing.batch.reading import check_files
        from briefing.config import load_config

        config = load_config(workspace, **settings)
        diagnostics, checked = check_files(config, _in_workspace(workspace, files))
        _print_diagnostics(diagnostics, output_format, checked, config.strict)
        errors = [d for d in diagnostics if d.severity == "error"]
        return 1 if errors or (config.strict and diagnostics) else 0

    _run(body, verbose)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _print_diagnostics(diagnostics: list[Diagnostic], output_format: str, checked: int,
                       strict: bool = False) -> None:
    # One rule in every format: lines and columns count from 1, and a position that is not
    # known (0 inside) is left out: no `:col` in text, no `col=` for GitHub, null in JSON.
    if output_format == "json":
        click.echo(json.dumps({"checked": checked, "diagnostics": [
            {"path": d.path, "line": d.line or None, "column": (d.line and d.column) or None,
             "severity": d.severity, "message": d.message} for d in diagnostics]}, indent=2))
        return
    for d in diagnostics:
        if output_format == "github":
            # GitHub Actions workflow commands: one annotation per problem.
            where = (f",line={d.line}" + (f",col={d.column}" if d.column else "")) if d.line else ""
            click.echo(f"::{d.severity} file={_github_property(d.path)}{where}::"
                       f"{_github_data(d.message)}")
        else:
            _say(f"{d.severity}: {d}")
    if output_format == "text":
        errors = sum(d.severity == "error" for d in diagnostics)
        warnings = len(diagnostics) - errors
        why = f"; --strict fails on the {_plural(warnings, 'warning')}" if strict and warnings else ""
        click.echo(f"checked {_plural(checked, 'file')}: {_plural(errors, 'error')}, "
                   f"{_plural(warnings, 'warning')}{why}", err=True)


def _github_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub documents: it stays one line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """A workflow command's property value (file=…), escaped as GitHub documents: it can
    neither end the command (`::`) nor start another property (`,`)."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


@main.command()
def schema():
    """Print the JSON Schema of the meeting-file format."""
    from briefing.meeting.schema import meeting_schema

    click.echo(json.dumps(meeting_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(path, force):
    """Write a commented starter meeting file at PATH."""
    def body() -> int:
        from briefing.meeting.starter import format_doc, write_starter

        write_starter(path, overwrite=force)
        click.echo(f"wrote {path}; edit it, then run `briefing check {path}`\n"
                   f"the meeting-file format is described in {format_doc()}", err=True)
        return 0

    _run(body, verbose=False)


@main.command()
@click.option("--open", "open_it", is_flag=True,
              help="Open it in the program your system uses for Markdown or text.")
def docs(open_it):
    """Print where the meeting-file format guide is (meeting-format.md)."""
    def body() -> int:
        from briefing.meeting.starter import format_doc

        path = format_doc()
        click.echo(str(path))
        if open_it and click.launch(str(path)) != 0:
            raise BriefingError(f"could not open {path}; open it in a text editor or "
                                "Markdown viewer")
        return 0

    _run(body, verbose=False)


def run() -> None:
    """The `briefing` command (its script and `python -m briefing`): `main`, then an exit
    without Python's teardown of every module and object, which after a render frees
    WeasyPrint's boxes and fonts one by one: about 0.15 s, a tenth of a one-pack build, for
    a process that is ending anyway. Exit handlers still run and output is flushed; the
    usual exit is kept while a non-daemon thread runs (Python would wait for it) and for
    an exit status that is not a number."""
    try:
        main()
    except SystemExit as stop:
        code = stop.code
    else:
        code = 0
    code = 0 if code is None else code
    if not isinstance(code, int) or any(
            thread.is_alive() and not thread.daemon for thread in threading.enumerate()
            if thread is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()  # what sys.exit would run: multiprocessing's, logging's, ...
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more to say
            pass
    os._exit(code)
