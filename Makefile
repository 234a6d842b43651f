# The two commands a newcomer needs: `make packs` and `make test` (each sets up first).
.PHONY: setup packs test check lint schema

setup:
	@scripts/setup

packs: setup
	.venv/bin/briefing build

test: setup
	.venv/bin/python -m pytest -q -n 2

check: setup
	.venv/bin/briefing check

lint: setup
	.venv/bin/ruff check briefing tests benchmarks

# Regenerate the committed JSON Schema after changing briefing/meeting/models.py.
schema: setup
	.venv/bin/briefing schema > meeting.schema.json
