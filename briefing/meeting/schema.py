"""Turn the meeting models into a JSON Schema, so editors can complete and check keys as you type."""

from __future__ import annotations

from typing import Any

from briefing.meeting.models import MeetingFile

SCHEMA_ID = "https://briefing.invalid/meeting.schema.json"


def meeting_schema() -> dict[str, Any]:
    schema = MeetingFile.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "briefing meeting file",
        "description": "One community meeting, as described in meeting-format.md. "
                       "Generated from briefing.meeting.models: do not edit by hand.",
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }
