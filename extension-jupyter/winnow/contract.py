"""The options of each job kind, and the requests the browser views make, as core declares them
(core/src/contract): contract.json, written by the build (scripts/contract-json.mjs). The magics'
options, the fields the client sends as absolute paths and the relay's allow-list come from here,
so they cannot drift from `winnow` and the server."""

from __future__ import annotations

import argparse
import json
from functools import cache
from pathlib import Path
from typing import Any

_PYTHON_TYPES = {"integer": int, "number": float, "string": str}


@cache
def _contract() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "contract.json").read_text(encoding="utf-8"))


def job_fields(kind: str) -> dict[str, dict[str, Any]]:
    """A job kind's option fields by their API name (`lightlyMetadata`), each as JSON Schema."""
    return _contract()["jobs"][kind]["properties"]


def view_routes() -> list[tuple[str, str]]:
    """The requests the browser views make, as (method, regular expression over the path)."""
    return [(route["method"], route["pattern"]) for route in _contract()["views"]["routes"]]


def view_jobs() -> set[str]:
    """The job kinds the browser views start."""
    return set(_contract()["views"]["jobs"])


def path_fields(kind: str) -> set[str]:
    """The fields of a kind that name a local file or folder, by API name."""
    return {name for name, field in job_fields(kind).items() if field.get("path")}


def option_of(name: str) -> str:
    """`lightlyMetadata` as a command-line option: `--lightly-metadata` (as `winnow` spells it)."""
    return "--" + "".join(f"-{c.lower()}" if c.isupper() else c for c in name)


def dest_of(name: str) -> str:
    """`lightlyMetadata` as a Python name: `lightly_metadata`; `as`, a keyword, as `as_`."""
    snake = option_of(name)[2:].replace("-", "_")
    return "as_" if snake == "as" else snake


def line_fields(kind: str) -> dict[str, dict[str, Any]]:
    """The fields a command line can give: a value or a flag (an object, such as embed's `frames`,
    is for the Python API only)."""
    return {name: field for name, field in job_fields(kind).items() if "object" not in _types(field)}


def add_job_options(parser: argparse.ArgumentParser, kind: str) -> list[str]:
    """Adds a kind's line fields as options (`source` fields as a required, exclusive group);
    returns their Python names, as the parsed namespace holds them."""
    sources = None
    dests = []
    for name, field in line_fields(kind).items():
        group: Any = parser
        if field.get("source"):
            sources = sources or parser.add_mutually_exclusive_group(required=True)
            group = sources
        dests.append(dest_of(name))
        group.add_argument(
            option_of(name), dest=dest_of(name), help=field.get("description"), **_parsing(field)
        )
    return dests


def _parsing(field: dict[str, Any]) -> dict[str, Any]:
    """How argparse reads a field: its choices, its type, or, for true-or-a-name, an optional value."""
    metavar = field.get("metavar", "").upper() or None
    if "enum" in field:
        return {"choices": field["enum"], "metavar": metavar}
    types = _types(field)
    if "boolean" in types:
        return {"nargs": "?", "const": True, "metavar": metavar or "NAME"}
    return {"type": _PYTHON_TYPES.get(next(iter(types), "string"), str), "metavar": metavar}


def _types(field: dict[str, Any]) -> set[str]:
    return {alternative.get("type") for alternative in field.get("anyOf", [field])} - {None}
