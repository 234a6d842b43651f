"""Run the command line as `python -m briefing`."""

from briefing.cli import run

if __name__ == "__main__":  # -j workers re-import this package: they must not rerun the CLI
    run()
