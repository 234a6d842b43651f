# The two commands a newcomer needs: `make packs` and `make test` (each sets up first).
.PHONY: setup packs test check lint schema

setup:
	@scripts/setup

packs: setup
	.venv/bin/briefing build

# Python's bytecode caches (git ignores them) are written even where PYTHONDONTWRITEBYTECODE
# is set, as on many CI images: pytest would otherwise rewrite every test module on each run.
test: setup
	env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m pytest -q -n 2

check: setup
	.venv/bin/briefing check

lint: setup
	.venv/bin/ruff check briefing tests benchmarks

# Regenerate the committed JSON Schema after changing briefing/meeting/models.py.
schema: setup
	.venv/bin/briefing schema > meeting.schema.json
