"""Bad input made from an app's own OpenAPI document: its write routes, a schema-valid body for each, and the
ways to spoil one field at a time (no tests here).

`write_operations` lists every POST, PUT and PATCH, so a new route is covered as soon as it exists. `example`
builds a body that satisfies the schema (every property present, patterns matched), and `field_mutations`
spoils one leaf of it at a time: 100 KB strings, NUL, lone surrogates, dates in year 1 and 9999, numbers far
out of range, NaN, arrays of 10,000 items. `body_mutations` spoils the body as a whole: bytes that are not
UTF-8, JSON that does not parse or nests too deeply, the wrong content types.
"""

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import find
from hypothesis import strategies as st

WRITE_METHODS = ("post", "put", "patch")
LONG = "长" * 34_000  # ~100 KB of UTF-8
METACHARACTERS = (
    "Robert'); DROP TABLE cases;-- \" OR 1=1 --",
    "<script>alert('x')</script> <b>粗体</b> &amp; &lt;",
    "水费 👨‍👩‍👧‍👦 🚰 ✅",
    "\u202eעברית مرحبا\u202c 混合 RTL",
    "%s %d {0} ${HOME} \\ \\n 100%",
)
"""Valid text that breaks careless code: accepted as text, it must come back exactly as it was sent."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    param_schemas: tuple[dict[str, Any], ...]
    body_schema: dict[str, Any] | None  # the JSON (or form) body's schema, references resolved; None: no body
    content_type: str | None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class Mutation:
    label: str
    content: bytes
    content_type: str
    field: tuple[str | int, ...] | None = None  # the spoiled field: the 422 must name it


def write_operations(document: dict[str, Any]) -> list[Operation]:
    components = document.get("components", {}).get("schemas", {})
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in WRITE_METHODS:
                continue
            params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            body = operation.get("requestBody", {}).get("content", {})
            content_type = next(iter(body), None)
            schema = resolve(body[content_type]["schema"], components) if content_type else None
            names = tuple(p["name"] for p in params)
            operations.append(Operation(method, path, names, tuple(p["schema"] for p in params), schema, content_type))
    return operations


def unknown_value(schema: dict[str, Any]) -> str:
    """A path parameter of the right shape that names nothing: a new UUID, or the simplest matching string."""
    value = example(schema)
    return str(uuid.uuid4()) if _is_uuid(value) else f"{value}"


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def resolve(schema: Any, components: dict[str, Any], depth: int = 0) -> Any:
    """The schema with every local $ref replaced by its target (a recursive model is cut after 8 steps)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            if depth > 8:
                return {}
            target = resolve(components[schema["$ref"].rsplit("/", 1)[1]], components, depth + 1)
            return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return {key: resolve(value, components, depth) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolve(item, components, depth) for item in schema]
    return schema


@cache
def _matching(pattern: str) -> str:
    """The simplest string the pattern fully matches (hypothesis shrinks to it; deterministic)."""
    return find(st.from_regex(pattern, fullmatch=True), lambda _: True)


def _choice(schema: dict[str, Any]) -> dict[str, Any]:
    """The alternative an example takes: the first that is not null (through nested unions)."""
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [option for option in schema[key] if option.get("type") != "null"]
            rest = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
            return _choice({**rest, **(options[0] if options else {"type": "null"})})
    return schema


def example(schema: dict[str, Any]) -> Any:
    """A value the schema accepts, with every optional property present."""
    schema = _choice(schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        if "prefixItems" in schema:
            return [example(item) for item in schema["prefixItems"]]
        item = schema.get("items", {})
        count = max(schema.get("minItems", 0), 1)
        if "enum" in _choice(item):  # distinct members, for lists that must not repeat
            return _choice(item)["enum"][:count]
        return [example(item) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0))
        value = max(low, 1) if schema.get("maximum", 1) >= 1 else low
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    if kind == "string":
        return _string(schema)
    return "ok"


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-03-09"
    if fmt == "date-time":
        return "2026-03-09T09:00:00+08:00"
    if fmt == "time":
        return "09:00:00"
    if fmt == "uuid":
        return str(uuid.uuid4())
    if "pattern" in schema:
        return _matching(schema["pattern"])
    length = max(schema.get("minLength", 0), 2)
    return ("ok" * length)[: min(length, schema.get("maxLength", length))]


def leaves(schema: dict[str, Any], value: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict[str, Any]]]:
    """(path, schema) of every field in `value`: arrays themselves and every scalar inside objects and arrays."""
    schema = _choice(schema)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name, item in value.items():
            yield from leaves(properties.get(name, {}), item, (*path, name))
    elif isinstance(value, list):
        yield path, schema
        items = schema.get("prefixItems") or [schema.get("items", {})] * len(value)
        for index, item in enumerate(value[: len(items)]):
            yield from leaves(items[index], item, (*path, index))
    else:
        yield path, schema


def _replaced(body: Any, path: tuple, new: Any) -> Any:
    changed = copy.deepcopy(body)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return changed


def _free_text(schema: dict[str, Any]) -> bool:
    """A field of `shared.types.text`: its only pattern is the one that keeps NUL out."""
    return r"\x00" in schema.get("pattern", r"\x00") and not any(key in schema for key in ("enum", "const", "format"))


def spoilt_values(schema: dict[str, Any], value: Any) -> Iterator[tuple[str, Any]]:
    """The bad values for one field, by its type."""
    kind = schema.get("type")
    if isinstance(value, list):
        yield "10,000 items", [value[0] if value else "x"] * 10_000
    elif kind == "string" or isinstance(value, str):
        yield "a 100 KB string", LONG
        if schema.get("format") == "date":
            for year in (1, 1900, 2200, 9999):
                yield f"year {year}", f"{year:04d}-06-30"
        elif schema.get("format") == "date-time":
            for year in (1, 1900, 2200, 9999):
                yield f"year {year}", f"{year:04d}-06-30T12:00:00+00:00"
        elif _free_text(schema):
            yield "a NUL character", "before\x00after"
            yield "a lone surrogate", "before\ud800after"
    elif kind == "boolean" or isinstance(value, bool):
        yield "0 for false", 0
        yield '"true" as a string', "true"
    elif kind in ("integer", "number") or isinstance(value, int | float) and not isinstance(value, bool):
        yield "true for a number", True
        yield "10^20", 10**20
        yield "-10^20", -(10**20)
        if kind == "integer":
            yield "-1 (counts, days, money and places are never negative)", -1
        if kind == "number":
            yield "NaN", float("nan")


def field_mutations(operation: Operation) -> list[Mutation]:
    """One spoilt field at a time in an otherwise valid body (JSON bodies only)."""
    if operation.body_schema is None or operation.content_type != "application/json":
        return []
    body = example(operation.body_schema)
    mutations = []
    for path, schema in leaves(operation.body_schema, body):
        if not path:
            continue
        value = _lookup(body, path)
        for what, bad in spoilt_values(schema, value):
            content = json.dumps(_replaced(body, path, bad)).encode()  # ASCII escapes keep lone surrogates
            label = f"{'.'.join(map(str, path))}: {what}"
            mutations.append(Mutation(label, content, "application/json", path))
    return mutations


def _lookup(body: Any, path: tuple) -> Any:
    for part in path:
        body = body[part]
    return body


def body_mutations(operation: Operation) -> list[Mutation]:
    """The body spoilt as a whole."""
    if operation.body_schema is None:
        return []
    valid = json.dumps(example(operation.body_schema), ensure_ascii=False).encode()
    return [
        Mutation("bytes that are not UTF-8", b'{"text": "\xff\xfe\xfa not UTF-8"}', "application/json"),
        Mutation("UTF-8 JSON cut short", valid[: max(1, len(valid) // 2)], "application/json"),
        Mutation("JSON nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, "application/json"),
        Mutation("a JSON string, not an object", b'"just text"', "application/json"),
        Mutation("the valid body as text/plain", valid, "text/plain"),
        Mutation("the valid body as a form", b"text=" + valid, "application/x-www-form-urlencoded"),
        Mutation("the valid body as XML", b"<body>" + valid + b"</body>", "application/xml"),
    ]


def subsequence(needle: tuple, haystack: list) -> bool:
    """Whether the field's path appears, in order, in an error's location (unions add their own steps)."""
    position = iter(haystack)
    return all(any(part == item for item in position) for part in needle)
