"""Reading the contract and the seed pages, shared by the contract and generated-code tests."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "close-sequences.yaml"
# CI clones main with shared/ beside it; the seeds are Close's own documentation pages.
SEEDS_DIR = ROOT.parent / "shared" / "seeds"


@functools.cache
def load_spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (one level is all this document uses outside schemas)."""
    ref = node.get("$ref")
    if ref is None:
        return node
    target: Any = load_spec()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def iter_examples() -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    """Yield (where, schema $ref, schema, example value) for every embedded example.

    Webhooks (requests Close sends) are labelled `POST webhook:<name> request <example>`.
    """
    spec = load_spec()
    items = [*spec["paths"].items()]
    items += [(f"webhook:{name}", item) for name, item in spec.get("webhooks", {}).items()]
    for path, item in items:
        for method, op in item.items():
            if method == "parameters":
                continue
            media_types = []
            if "requestBody" in op:
                media_types.append(("request", op["requestBody"]["content"]))
            for status, response in op["responses"].items():
                media_types.append((status, resolve(response).get("content", {})))
            for where, content in media_types:
                for media in content.values():
                    examples = dict(media.get("examples", {}))
                    if "example" in media:
                        examples["example"] = {"value": media["example"]}
                    for name, example in examples.items():
                        value = resolve(example)["value"]
                        label = f"{method.upper()} {path} {where} {name}"
                        yield label, media["schema"].get("$ref", ""), media["schema"], value


def seed_examples(page: Path) -> tuple[Any | None, Any]:
    """Return the (request body, response body) JSON shown on one Close documentation page."""
    text = page.read_text()
    request = None
    curl = re.search(r"-d '(\{.*?\n>\s*\})'", text, re.S)
    if curl:
        request = json.loads("\n".join(line.lstrip(">") for line in curl.group(1).splitlines()))
    lines = text.splitlines()
    start = lines.index("1{")
    numbered = []
    for line in lines[start:]:
        match = re.match(r"\d+(.*)$", line)
        if not match:
            break
        numbered.append(match.group(1))
    return request, json.loads("\n".join(numbered))


# JSON Schema 2020-12's keywords (core, applicator, validation, unevaluated, format,
# content, meta-data) and those OpenAPI 3.1 adds to a Schema Object.
SCHEMA_KEYWORDS = frozenset({
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary",
    "$comment", "$defs",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "prefixItems",
    "items", "contains", "properties", "patternProperties", "additionalProperties",
    "propertyNames", "unevaluatedItems", "unevaluatedProperties",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
    "dependentRequired",
    "format", "contentEncoding", "contentMediaType", "contentSchema",
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
    "discriminator", "xml", "externalDocs", "example",
})  # fmt: skip
_ONE_SCHEMA = (
    "additionalProperties",
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")  # fmt: skip


def stray_schema_keys(spec: dict[str, Any]) -> list[str]:
    """Where a schema holds a key that is no JSON Schema or OpenAPI keyword (nor `x-`).

    Such a key is ignored by every validator and the generator, so a YAML slip (an unquoted
    `, ` in a flow mapping makes a key of the rest of a description) would pass unseen.
    """
    found: list[str] = []

    def schema(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key not in SCHEMA_KEYWORDS and not str(key).startswith("x-"):
                found.append(f"{where}: {key!r}")
            elif key in _ONE_SCHEMA:
                schema(value, f"{where}.{key}")
            elif key in _SCHEMA_LISTS:
                for i, item in enumerate(value):
                    schema(item, f"{where}.{key}[{i}]")
            elif key in _SCHEMA_MAPS:
                for name, item in value.items():
                    schema(item, f"{where}.{key}.{name}")

    def holders(node: Any, where: str) -> None:
        # Outside components.schemas a schema sits under `schema` (parameters, headers,
        # media types); everything else is walked only to find those.
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "schema":
                    schema(value, f"{where}.schema")
                elif key != "examples" and key != "example":
                    holders(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                holders(item, f"{where}[{i}]")

    for name, value in spec.get("components", {}).get("schemas", {}).items():
        schema(value, f"components.schemas.{name}")
    holders({k: v for k, v in spec.items() if k != "components"}, "")
    holders({k: v for k, v in spec.get("components", {}).items() if k != "schemas"}, "components")
    return found
