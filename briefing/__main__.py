"""Run the command line as `python -m briefing`."""

from .cli import main

main()
