"""Random requests for every changing operation of an OpenAPI document (Hypothesis strategies).

Bodies are random JSON of every shape: anything at all, objects with the operation's own field
names holding either a plausible value or anything at all (huge and negative integers, NaN, long
and odd strings, wrong types), and the same with one field nested thousands of levels deep.
Path parameters are ids that exist, ids that do not, the largest ids and garbage.
"""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

REPO = str(Path(__file__).resolve().parents[2]) + "/"
MUTATING = ("post", "put", "patch", "delete")
DEEP = "\u2063deep\u2063"  # a placeholder string, replaced by nesting in the raw body

_HUGE = st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1, 10**30, -(10**30)])
INTEGERS = st.one_of(st.integers(-3, 5), st.integers(-(2**70), 2**70), _HUGE)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, -1.5, 1e308, -0.0]))
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["", " ", "０", "2026-12-01", "9:00-12:00", "all",
                                                        "segment", "U" + "0" * 32, "a" * 5000]))
LEAVES = st.one_of(st.none(), st.booleans(), INTEGERS, FLOATS, TEXT)
ANY_JSON = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def plausible(schema: dict[str, Any], document: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """A value of roughly the declared type (bounds ignored on purpose), or sometimes anything."""
    schema = resolve(schema, document)
    choices = [*schema.get("anyOf", []), *schema.get("oneOf", [])]
    if choices:
        return st.one_of(*(plausible(c, document, depth) for c in choices))
    if "enum" in schema or "const" in schema:
        return st.sampled_from(schema.get("enum") or [schema.get("const")])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*(plausible({**schema, "type": k}, document, depth) for k in kind))
    if kind == "integer":
        return INTEGERS
    if kind == "number":
        return st.one_of(INTEGERS, FLOATS)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        return TEXT
    if kind == "array" and depth < 4:
        return st.lists(plausible(schema.get("items", {}), document, depth + 1), max_size=4)
    if kind == "object" and depth < 4:
        return shaped(schema, document, depth + 1)
    return ANY_JSON


def shaped(schema: dict[str, Any], document: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """An object with the schema's own field names, each plausible or anything."""
    props = resolve(schema, document).get("properties", {})
    if not props:
        return st.dictionaries(TEXT, ANY_JSON, max_size=3)
    return st.fixed_dictionaries({}, optional={
        name: st.one_of(plausible(prop, document, depth), ANY_JSON) for name, prop in props.items()})


def _unbounded(schema: dict[str, Any], document: dict[str, Any]) -> bool:
    schema = resolve(schema, document)
    if any(_unbounded(c, document) for c in schema.get("anyOf", [])):
        return True
    kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    return "integer" in kinds and ("maximum" not in schema or "minimum" not in schema)


def deep_text(value: Any, depth: int) -> str:
    """``value`` as JSON with its first ``DEEP`` placeholder replaced by arrays ``depth`` deep."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace(json.dumps(DEEP, ensure_ascii=False), "[" * depth + "]" * depth, 1)


@st.composite
def json_body(draw: st.DrawFn, schema: dict[str, Any], document: dict[str, Any],
              valid: st.SearchStrategy[Any] | None = None) -> str:
    """Anything; the operation's fields with anything in them; or a ``valid`` body with one field
    replaced by a value of roughly its type or by anything, or nested thousands of levels deep."""
    shapes = [shaped(schema, document), ANY_JSON] + ([valid, valid] if valid is not None else [])
    value = draw(st.one_of(*shapes))
    props = resolve(schema, document).get("properties", {})
    if isinstance(value, dict) and props and draw(st.booleans()):
        for name in draw(st.lists(st.sampled_from(sorted(props)), min_size=1, max_size=3, unique=True)):
            value[name] = draw(st.one_of(plausible(props[name], document), plausible(props[name], document),
                                         ANY_JSON, st.just(DEEP)))
    elif isinstance(value, dict) and draw(st.booleans()):
        extreme = draw(_HUGE)  # every integer the schema leaves unbounded, at once
        value.update({name: extreme for name, prop in props.items() if _unbounded(prop, document)})
    if isinstance(value, dict) and DEEP in value.values():
        return deep_text(value, draw(st.sampled_from([50, 400, 900, 990, 5000, 200_000])))
    return json.dumps(value, ensure_ascii=False)


def raw_body(media: str) -> st.SearchStrategy[bytes]:
    if media.startswith("text/") or media == "application/octet-stream" or media == "message/rfc822":
        return st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace")))
    return st.binary(max_size=200)


def path_value(param: dict[str, Any], known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    schema = param.get("schema", {})
    if schema.get("enum"):
        return st.sampled_from([str(v) for v in schema["enum"]])
    garbage = st.one_of(st.sampled_from(["0", "-1", "2147483647", "2147483648", "9" * 30, "abc", "%00"]),
                        st.text(min_size=1, max_size=10))
    existing = known.get(param["name"]) or ["1", "2", "3"]
    return st.one_of(st.sampled_from(existing), st.sampled_from(existing), garbage)


@dataclass
class Request:
    method: str
    path: str
    content_type: str | None
    body: bytes | None
    query: dict[str, str] = field(default_factory=dict)

    def short(self) -> str:
        body = (self.body or b"")[:160].decode("utf-8", "replace")
        return f"{self.method} {self.path} {self.query or ''} {body}"


@st.composite
def request_for(draw: st.DrawFn, path: str, method: str, op: dict[str, Any], document: dict[str, Any],
                known: dict[str, list[str]], valid: st.SearchStrategy[Any] | None = None) -> Request:
    for param in op.get("parameters", []):
        if param["in"] == "path":
            value = draw(path_value(param, known))
            path = path.replace("{" + param["name"] + "}", quote(value, safe=""))
    query = {}
    for param in op.get("parameters", []):
        if param["in"] == "query" and draw(st.booleans()):
            query[param["name"]] = str(draw(st.one_of(INTEGERS, TEXT)))
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = draw(json_body(content["application/json"]["schema"], document, valid)).encode("utf-8", "surrogatepass")
        return Request(method.upper(), path, "application/json", body, query)
    if content:
        media = draw(st.sampled_from(sorted(content)))
        return Request(method.upper(), path, media, draw(raw_body(media)), query)
    if draw(st.booleans()):  # a body nobody asked for
        return Request(method.upper(), path, "application/json", draw(json_body({}, document)).encode(), query)
    return Request(method.upper(), path, None, None, query)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every changing operation, and every reading one that takes query parameters."""
    return [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()
            if method in MUTATING or any(p["in"] == "query" for p in op.get("parameters", []))]


@dataclass
class ServerErrors(logging.Handler):
    """Distinct server errors, told apart by exception type and the innermost frame of our code."""

    found: dict[str, str] = field(default_factory=dict)
    last: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.ERROR)

    def __hash__(self) -> int:
        return id(self)

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            ours = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(REPO)]
            where = f"{ours[-1].filename[len(REPO):]}:{ours[-1].lineno}" if ours else "?"
            self.last = (f"{type(exc).__name__} at {where}", str(exc).splitlines()[0][:160])

    def take(self) -> tuple[str, str] | None:
        last, self.last = self.last, None
        return last
