"""The committed JSON Schema is generated from the models; a stale file fails here."""

import json

from taskspec.compiler.models import TaskSpec
from taskspec.library import SCHEMA_PATH


def test_schema_is_up_to_date():
    committed = json.loads(SCHEMA_PATH.read_text())
    assert committed == TaskSpec.model_json_schema(), (
        "schemas/taskspec.schema.json is stale; regenerate with: taskspec schema > schemas/taskspec.schema.json")


def test_schema_describes_every_top_level_key():
    properties = TaskSpec.model_json_schema()["properties"]
    required = {"task", "dt", "observation", "action", "trial", "periods", "inputs", "target", "outcomes"}
    assert required <= set(properties)
    assert all("description" in p or "$ref" in p or "anyOf" in p for p in properties.values())
