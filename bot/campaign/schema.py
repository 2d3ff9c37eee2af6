"""The campaign file's published JSON Schema, generated from the pydantic models.

`python -m bot.campaign.schema` rewrites bot/campaign/schema.json; a test keeps the two equal.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.campaign.models import CampaignModel

SCHEMA_PATH = Path(__file__).with_name("schema.json")
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def campaign_json_schema() -> dict:
    """The JSON Schema (draft 2020-12) an editor can check campaign files against."""
    schema = CampaignModel.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = "Migration Bot campaign"
    return schema


def schema_text() -> str:
    """The schema as it is checked in: sorted keys, two-space indent, trailing newline."""
    return json.dumps(campaign_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    main()
