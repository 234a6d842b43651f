"""Turn command-line flags into a Config and call one function. Nothing else lives here.

Heavy stages are imported inside the commands, so `briefing --help` and `briefing check`
never load matplotlib or WeasyPrint.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from pathlib import Path

import click

from . import __version__
from .errors import BriefingError, Diagnostic, InputError

log = logging.getLogger("briefing")


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def _setup_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.getLogger("briefing").setLevel(level)
    # WeasyPrint and fontTools are chatty at INFO; their warnings still come through.
    for name in ("weasyprint", "weasyprint.progress", "fontTools", "matplotlib"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.ERROR)


def _run(function, verbose: bool) -> None:
    """Call a command body; turn our errors into `error: …` lines and an exit code."""
    try:
        code = function()
    except InputError as error:
        for diagnostic in error.diagnostics:
            click.echo(f"error: {diagnostic}", err=True)
        code = error.exit_code
    except BriefingError as error:
        click.echo(f"error: {error}", err=True)
        if verbose:
            traceback.print_exc()
        code = error.exit_code
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        code = 130
    sys.exit(code or 0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefing")
def main() -> None:
    """Turn community-meeting YAML files into print-ready PDF briefing packs."""


_workspace = click.option("-C", "--workspace", type=click.Path(file_okay=False, path_type=Path),
                          default=".", show_default=True,
                          help="Workspace folder (holds briefing.toml, inputs/, layouts/).")
_verbose = click.option("-v", "--verbose", is_flag=True, help="Debug logging and tracebacks.")
_strict = click.option("--strict", is_flag=True, default=None,
                       help="Treat warnings as failures (for CI).")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDFs (default: output/).")
@click.option("-l", "--layout", "layouts", multiple=True,
              help="Layout to build, e.g. pack, brief, large-print (repeatable).")
@click.option("-e", "--edition", "editions", multiple=True,
              type=click.Choice(["internal", "councillor", "public"]),
              help="Edition to build (repeatable).")
@click.option("--paper", type=click.Choice(["A4", "A5", "letter"]), help="Paper size.")
@click.option("--print-shop", is_flag=True, default=None,
              help="Add 3 mm bleed and crop marks for a professional printer.")
@click.option("--archive", is_flag=True, default=None,
              help="Make PDF/A-3b (still tagged) with the meeting file attached.")
@click.option("--validate", is_flag=True, default=None,
              help="Check each PDF with the page-validation validator; fail on any failure.")
@_strict
@click.option("-f", "--force", is_flag=True, default=None,
              help="Rebuild even if nothing changed.")
@_workspace
@_verbose
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings, errors and the summary.")
def build(files, output, layouts, editions, paper, print_shop, archive, validate, strict, force,
          workspace, verbose, quiet):
    """Build PDF packs for FILES (default: every meeting in inputs/)."""
    _setup_logging(verbose, quiet)

    def body() -> int:
        from .build import build as run_build
        from .config import load_config

        config = load_config(workspace, output=output.resolve() if output else None,
                             build=layouts, editions=editions, paper=paper,
                             print_shop=print_shop, archive=archive, validate=validate,
                             strict=strict, force=force)
        started = time.perf_counter()
        report = run_build(config, list(files) or None)
        for diagnostic in report.warnings:
            click.echo(f"warning: {diagnostic}", err=True)
        for _what, why in report.failed:
            click.echo(f"error: {why}", err=True)
        summary = (f"{len(report.built)} built, {len(report.skipped)} up to date, "
                   f"{len({what for what, _ in report.failed})} failed "
                   f"in {time.perf_counter() - started:.1f} s")
        click.echo(summary, err=True)
        return 0 if report.ok else 1

    _run(body, verbose)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "github", "json"]),
              default="text", show_default=True, help="How to print the diagnostics.")
@_strict
@_workspace
@_verbose
def check(files, output_format, strict, workspace, verbose):
    """Validate meeting files without rendering them (fast: for pre-commit and CI)."""
    _setup_logging(verbose, quiet=True)

    def body() -> int:
        from .checking import check_files
        from .config import load_config

        config = load_config(workspace, strict=strict)
        diagnostics, checked = check_files(config, list(files) or None)
        _print_diagnostics(diagnostics, output_format, checked)
        errors = [d for d in diagnostics if d.severity == "error"]
        return 1 if errors or (config.strict and diagnostics) else 0

    _run(body, verbose)


def _print_diagnostics(diagnostics: list[Diagnostic], output_format: str, checked: int) -> None:
    if output_format == "json":
        click.echo(json.dumps({"checked": checked, "diagnostics": [
            {"path": d.path, "line": d.line, "column": d.column, "severity": d.severity,
             "message": d.message} for d in diagnostics]}, indent=2))
        return
    for d in diagnostics:
        if output_format == "github":
            # GitHub Actions workflow commands: one annotation per problem.
            message = d.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            click.echo(f"::{d.severity} file={d.path},line={max(d.line, 1)},"
                       f"col={max(d.column, 1)}::{message}")
        else:
            click.echo(f"{d.severity}: {d}", err=d.severity == "error")
    if output_format == "text":
        errors = sum(d.severity == "error" for d in diagnostics)
        click.echo(f"checked {checked} file{'s' * (checked != 1)}: {errors} error"
                   f"{'s' * (errors != 1)}, {len(diagnostics) - errors} warning"
                   f"{'s' * (len(diagnostics) - errors != 1)}", err=True)


@main.command()
def schema():
    """Print the JSON Schema of the meeting-file format."""
    from .schema import meeting_schema

    click.echo(json.dumps(meeting_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(path, force):
    """Write a commented starter meeting file at PATH."""
    def body() -> int:
        from .starter import write_starter

        write_starter(path, overwrite=force)
        click.echo(f"wrote {path}; edit it, then run `briefing check {path}`", err=True)
        return 0

    _run(body, verbose=False)
