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
    """Yield (where, schema $ref, schema, example value) for every embedded example."""
    for path, item in load_spec()["paths"].items():
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
