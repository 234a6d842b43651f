"""Run the command line as `python -m briefing`."""

from .cli import main

if __name__ == "__main__":  # build workers are spawned processes: they must not rerun the CLI
    main()
