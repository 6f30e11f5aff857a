"""``/docs``: the API reference, rendered on the server from the app's own OpenAPI schema.

It needs no network and no script (Swagger UI would load from a CDN and run inline
script, which the Content-Security-Policy forbids); ``/openapi.json`` is the
machine-readable schema for client generators and Swagger UI elsewhere. Descriptions are
Markdown (rendered by markdown-it, raw HTML escaped), each route has an example request
(curl, against ``$UNSPIN_URL``; with ``-H "Authorization: Bearer $UNSPIN_KEY"`` when the
server has API keys), and the page links back to the web app and has its icon.

The reference stays in English whatever the web app's interface language: it is made of the
schema's own descriptions, which are English, and a page half translated would read worse.
"""

from __future__ import annotations

import json
import shlex
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "post", "put", "patch", "delete")

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem; color: #1b1b1b; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; background: #f5f5f5; padding: 0.5rem; }
section.operation { border-top: 1px solid #ccc; padding-top: 0.5rem; margin-top: 1.5rem; }
.method { display: inline-block; min-width: 4rem; font-weight: bold; text-transform: uppercase; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { text-align: left; border-bottom: 1px solid #e2e2e2; padding: 0.25rem 0.5rem; vertical-align: top; }
.muted { color: #555; }
.back { margin: 0 0 0.5rem; }
.description p, .description ul { margin: 0.4rem 0; }
td > p:first-child { margin-top: 0; }
td > p:last-child { margin-bottom: 0; }
pre.example { background: #f0f3f8; border-left: 3px solid #1f4e8c; }
@media (prefers-color-scheme: dark) {
  body { background: #151515; color: #e9e9e9; }
  a { color: #9cc1ff; }
  pre { background: #1f1f1f; }
  pre.example { background: #1b2230; border-left-color: #9cc1ff; }
  .muted { color: #adadad; }
  th, td { border-bottom-color: #3b3b3b; }
}
"""

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.info.title }} {{ spec.info.version }}: API reference</title>
<link rel="icon" href="{{ root }}/docs/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{{ root }}/docs/style.css">
</head>
<body>
<header>
<p class="back"><a href="{{ root }}/" rel="home">← Back to unspin</a></p>
<h1>{{ spec.info.title }} <span class="muted">{{ spec.info.version }}</span></h1>
<div class="description">{{ spec.info.description|markdown }}</div>
<p>The OpenAPI schema: <a href="{{ root }}/openapi.json"><code>/openapi.json</code></a>.
Errors are <code>application/problem+json</code> (RFC 9457) with a <code>detail</code> saying what to do.
On a server with API keys, send one as <code>Authorization: Bearer KEY</code> or <code>X-API-Key: KEY</code>.</p>
<p>The example requests read this server's address from <code>UNSPIN_URL</code>{% if keys %} and your key from <code>UNSPIN_KEY</code>{% endif %}:</p>
<pre>export UNSPIN_URL={{ base }}{% if keys %}
export UNSPIN_KEY=your-key{% endif %}</pre>
<nav><ul>
{% for op in operations %}<li><a href="#{{ op.anchor }}"><span class="method">{{ op.method }}</span> <code>{{ op.path }}</code></a> {{ op.summary }}</li>
{% endfor %}</ul></nav>
</header>
<main>
{% for op in operations %}
<section class="operation" id="{{ op.anchor }}">
<h2><span class="method">{{ op.method }}</span> <code>{{ op.path }}</code></h2>
<p><strong>{{ op.summary }}</strong></p>
{% if op.description %}<div class="description">{{ op.description|markdown }}</div>{% endif %}
<h3>Example request</h3>
<pre class="example"><code>{{ op.example }}</code></pre>
{% if op.parameters %}<h3>Parameters</h3>
<table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code>{% if p.required %} (required){% endif %}</td><td>{{ p.in }}</td><td><code>{{ p.type }}</code></td><td>{{ p.description|markdown }}</td></tr>
{% endfor %}</table>{% endif %}
{% if op.body %}<h3>Request body</h3>
<table><tr><th>content type</th><th>schema</th></tr>
{% for media, schema in op.body %}<tr><td><code>{{ media }}</code></td><td><code>{{ schema }}</code></td></tr>
{% endfor %}</table>{% endif %}
<h3>Responses</h3>
<table><tr><th>status</th><th>description</th><th>content</th></tr>
{% for r in op.responses %}<tr><td>{{ r.status }}</td><td>{{ r.description }}</td><td>{% for media, schema in r.content %}<code>{{ media }}</code>: <code>{{ schema }}</code><br>{% endfor %}</td></tr>
{% endfor %}</table>
</section>
{% endfor %}
<section class="operation" id="schemas">
<h2>Schemas</h2>
{% for name, schema in schemas %}
<h3 id="schema-{{ name }}">{{ name }}</h3>
{% if schema.description %}<div class="description">{{ schema.description|markdown }}</div>{% endif %}
{% if schema.fields %}<table><tr><th>field</th><th>type</th><th>description</th></tr>
{% for f in schema.fields %}<tr><td><code>{{ f.name }}</code>{% if f.required %} (required){% endif %}</td><td><code>{{ f.type }}</code></td><td>{{ f.description|markdown }}</td></tr>
{% endfor %}</table>{% endif %}
{% endfor %}
</section>
</main>
</body>
</html>
"""

# CommonMark without raw HTML: a description's "<" is shown, never parsed; javascript: links are refused.
_markdown = MarkdownIt("commonmark", {"html": False})


def markdown(text: str | None) -> Markup:
    """A description written in Markdown, as HTML (the text is escaped; no raw HTML passes)."""
    return Markup(_markdown.render(text or "").strip())


_environment = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
_environment.filters["markdown"] = markdown
_template = _environment.from_string(TEMPLATE)

# Query values and bodies for the example requests of routes where a placeholder would say little; the other
# routes get their required parameters, from the schema's examples, enums and defaults or a NAME placeholder.
_EXAMPLE_QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("get", "/v1/corpus/rates"): {"period": "month", "technique": "loaded language"},
    ("get", "/v1/corpus/trend"): {"label": "Loaded_Language", "period": "week"},
    ("get", "/v1/corpus/compare"): {"a_date_from": "2025-06-15", "b_date_to": "2025-06-14"},
    ("get", "/v1/corpus/articles"): {"technique": "Flag_Waving", "limit": "5"},
    ("get", "/v1/corpus/dashboard"): {"period": "month"},
    ("get", "/v1/corpus/search"): {"q": '"border controls"', "technique": "Flag_Waving"},
    ("get", "/v1/corpus/phrases"): {"of": "Loaded_Language", "limit": "10"},
    ("get", "/v1/corpus/cooccurrence"): {"min_count": "5"},
    ("get", "/v1/compare"): {"a": "ANALYSIS_ID_A", "b": "ANALYSIS_ID_B"},
    ("get", "/v1/agreement"): {"a": "alice", "b": "bob"},
    ("get", "/v1/export"): {"format": "jsonl"},
    ("get", "/v1/reviews"): {"article": "1"},
}
_EXAMPLE_BODIES: dict[tuple[str, str], Any] = {
    ("post", "/v1/analyze"): {"text": "They will never win. Our land, our rules!"},
    ("post", "/v1/reviews"): {
        "article": 1,
        "decisions": [{"kind": "accept", "span": {"start": 4, "end": 11, "technique": "Loaded_Language"}}],
    },
    ("post", "/v1/review-queue/assign"): {"articles": [1, 2], "reviewer": "alice"},
}


def type_of(schema: dict[str, Any]) -> str:
    """A short type name for a JSON schema: ``string``, ``Job``, ``array of CategoryKey``, ``integer | null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(type_of(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(map(repr, schema["enum"]))
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def _content(content: dict[str, Any]) -> list[tuple[str, str]]:
    return [(media, type_of(value.get("schema", {}))) for media, value in content.items()]


def example_request(method: str, path: str, op: dict[str, Any], spec: dict[str, Any], *, keys: bool) -> str:
    """A curl command line for a route: its required parameters (or a chosen example), its body, the key header."""
    query = _EXAMPLE_QUERIES.get((method, path))
    if query is None:
        query = {
            p["name"]: _example_value(p.get("schema", {}), p["name"], spec)
            for p in op.get("parameters", [])
            if p.get("in") == "query" and p.get("required")
        }
    for p in op.get("parameters", []):
        if p.get("in") == "path":
            path = path.replace("{" + p["name"] + "}", p["name"].upper())
    url = "$UNSPIN_URL" + path + ("?" + urlencode(query) if query else "")
    words = ["curl", "-s"]
    if method != "get" and not (method == "post" and op.get("requestBody")):
        words += ["-X", method.upper()]
    command = " ".join(words) + f' "{url}"'  # double quotes: the shell fills in $UNSPIN_URL
    if keys:
        command += ' \\\n     -H "Authorization: Bearer $UNSPIN_KEY"'
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        schema = _resolved(content["multipart/form-data"].get("schema", {}), spec)
        for name in schema.get("required", []):
            command += f" \\\n     -F {name}=@articles.jsonl"
    elif "application/json" in content:
        body = _EXAMPLE_BODIES.get((method, path))
        if body is None:
            body = _example_value(content["application/json"].get("schema", {}), "body", spec)
        command += " \\\n     -H 'Content-Type: application/json' -d " + shlex.quote(
            json.dumps(body, ensure_ascii=False)
        )
    return command


def _resolved(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec.get("components", {}).get("schemas", {}).get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
    return schema


def _example_value(schema: dict[str, Any], name: str, spec: dict[str, Any], depth: int = 0) -> Any:
    """A value that fits a schema: its example, first enum value or default, else a placeholder of its type."""
    schema = _resolved(schema, spec)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolved(s, spec).get("type") != "null"] or schema[key]
            return _example_value(options[0], name, spec, depth)
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("default") is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" and depth < 3:
        properties = schema.get("properties", {})
        return {
            field: _example_value(properties[field], field, spec, depth + 1)
            for field in schema.get("required", [])
            if field in properties
        }
    if kind == "array" and depth < 3:
        return [_example_value(schema.get("items", {}), name, spec, depth + 1)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return name.upper()


def _operations(spec: dict[str, Any], *, keys: bool = False) -> list[dict[str, Any]]:
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            operations.append(
                {
                    "method": method,
                    "path": path,
                    "anchor": op.get("operationId", f"{method}-{path}"),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "example": example_request(method, path, op, spec, keys=keys),
                    "parameters": [
                        {
                            **p,
                            "type": type_of(p.get("schema", {})),
                            "description": p.get("description") or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _content(op.get("requestBody", {}).get("content", {})),
                    "responses": [
                        {
                            "status": status,
                            "description": r.get("description", ""),
                            "content": _content(r.get("content", {})),
                        }
                        for status, r in op.get("responses", {}).items()
                    ],
                }
            )
    return operations


def _schemas(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    schemas = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", ()))
        fields = [
            {
                "name": field,
                "required": field in required,
                "type": type_of(value),
                "description": value.get("description", ""),
            }
            for field, value in schema.get("properties", {}).items()
        ]
        schemas.append((name, {"description": schema.get("description", ""), "fields": fields}))
    return schemas


def render_reference(spec: dict[str, Any], root: str = "", *, base: str = "127.0.0.1:8000", keys: bool = False) -> str:
    """The reference page; ``base`` is the server's address as the examples' ``UNSPIN_URL``."""
    return _template.render(
        spec=spec,
        root=root,
        base=base,
        keys=keys,
        operations=_operations(spec, keys=keys),
        schemas=_schemas(spec),
    )


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    # curl reads an address without a scheme as http://, so only https needs writing out.
    scheme = "https://" if request.url.scheme == "https" else ""
    base = f"{scheme}{request.url.netloc}{root}"
    keys = getattr(getattr(request.app.state, "runtime", None), "keys", None) is not None
    page = render_reference(request.app.openapi(), root, base=base, keys=keys)
    return HTMLResponse(page, headers={"Content-Language": "en"})


@cache
def _icon() -> bytes:
    return (resources.files("unspin.server") / "ui_static" / "icon.svg").read_bytes()


@router.get("/docs/icon.svg")
def docs_icon() -> Response:
    """The app's icon, served here too so that the reference has it without the web UI."""
    return Response(_icon(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/docs/style.css")
def docs_style() -> Response:
    return Response(STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
