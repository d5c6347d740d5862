"""The JSON output is a published contract: ``schema_version`` plus a JSON Schema shipped in the
package, which the demo's real output (and an ongoing incident's) satisfies, and which describes
every field the output has."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.config import Config
from reconstruct.model import Kind
from reconstruct.render import RenderOptions, render
from reconstruct.render.jsonout import SCHEMA_VERSION, schema
from tests.test_render_fixture import timeline


def validator() -> jsonschema.Draft202012Validator:
    value = schema()
    jsonschema.Draft202012Validator.check_schema(value)
    return jsonschema.Draft202012Validator(value)


def demo_json() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--incident", "demo", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_demo_output_satisfies_the_published_schema() -> None:
    doc = demo_json()
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert len(doc["events"]) >= 15
    validator().validate(doc)


def test_an_ongoing_incident_without_number_or_priority_satisfies_it() -> None:
    tl = timeline(resolved=False, severity=None)
    tl = dataclasses.replace(tl, incident=dataclasses.replace(tl.incident, number=None, url=None))
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    assert doc["incident"]["resolved_at"] is None and doc["incident"]["number"] is None
    validator().validate(doc)


def _mutated(path: list[str | int], value: object) -> dict[str, Any]:
    doc = copy.deepcopy(demo_json())
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["schema_version"], 2),
        (["events", 0, "time"], "2026-03-14T09:42:07+01:00"),
        (["events", 0, "kind"], "happened"),
        (["events", 0, "links", 0, "url"], "javascript:alert(1)"),
        (["incident", "started_at"], "2026-03-14 09:42:07"),
        (["metrics", "time_to_ack_s"], "115"),
        (["omitted", "slack:#inc-4821"], -1),
    ],
)
def test_the_schema_rejects_what_breaks_the_contract(path: list[str | int], value: object) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(_mutated(path, value))


def test_kinds_in_the_schema_are_the_models_kinds() -> None:
    kinds = schema()["$defs"]["event"]["properties"]["kind"]["enum"]
    assert sorted(kinds) == sorted(k.value for k in Kind)


def _undocumented(doc: Any, node: dict[str, Any], defs: dict[str, Any], where: str) -> list[str]:
    """Keys of ``doc`` that the schema ``node`` does not describe (free-form maps excepted)."""
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    for option in node.get("anyOf", []):
        if "$ref" in option or option.get("type") == "object":
            return _undocumented(doc, option, defs, where)
    missing: list[str] = []
    if isinstance(doc, dict) and "properties" in node:
        for key, value in doc.items():
            if key not in node["properties"]:
                missing.append(f"{where}.{key}")
            else:
                missing += _undocumented(value, node["properties"][key], defs, f"{where}.{key}")
    elif isinstance(doc, list) and "items" in node:
        for i, item in enumerate(doc):
            missing += _undocumented(item, node["items"], defs, f"{where}[{i}]")
    return missing


def test_every_field_of_the_output_is_in_the_schema() -> None:
    value = schema()
    assert _undocumented(demo_json(), value, value["$defs"], "$") == [], (
        "a field was added to the JSON output: describe it in "
        "reconstruct/render/schema/timeline-v1.schema.json"
    )
