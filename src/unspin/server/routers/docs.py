"""``/docs``: the API reference, rendered on the server from the app's own OpenAPI schema.

It needs no network and no script (Swagger UI would load from a CDN and run inline
script, which the Content-Security-Policy forbids); ``/openapi.json`` is the
machine-readable schema for client generators and Swagger UI elsewhere.

The reference stays in English whatever the web app's interface language: it is made of the
schema's own descriptions, which are English, and a page half translated would read worse.
"""

from __future__ import annotations

from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

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
"""

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.info.title }} {{ spec.info.version }}: API reference</title>
<link rel="stylesheet" href="{{ root }}/docs/style.css">
</head>
<body>
<header>
<h1>{{ spec.info.title }} <span class="muted">{{ spec.info.version }}</span></h1>
<p>{{ spec.info.description }}</p>
<p>The OpenAPI schema: <a href="{{ root }}/openapi.json"><code>/openapi.json</code></a>.
Errors are <code>application/problem+json</code> (RFC 9457) with a <code>detail</code> saying what to do.
On a server with API keys, send one as <code>Authorization: Bearer KEY</code> or <code>X-API-Key: KEY</code>.</p>
<nav><ul>
{% for op in operations %}<li><a href="#{{ op.anchor }}"><span class="method">{{ op.method }}</span> <code>{{ op.path }}</code></a> {{ op.summary }}</li>
{% endfor %}</ul></nav>
</header>
<main>
{% for op in operations %}
<section class="operation" id="{{ op.anchor }}">
<h2><span class="method">{{ op.method }}</span> <code>{{ op.path }}</code></h2>
<p><strong>{{ op.summary }}</strong></p>
{% if op.description %}<pre>{{ op.description }}</pre>{% endif %}
{% if op.parameters %}<h3>Parameters</h3>
<table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code>{% if p.required %} (required){% endif %}</td><td>{{ p.in }}</td><td><code>{{ p.type }}</code></td><td>{{ p.description }}</td></tr>
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
{% if schema.description %}<p>{{ schema.description }}</p>{% endif %}
{% if schema.fields %}<table><tr><th>field</th><th>type</th><th>description</th></tr>
{% for f in schema.fields %}<tr><td><code>{{ f.name }}</code>{% if f.required %} (required){% endif %}</td><td><code>{{ f.type }}</code></td><td>{{ f.description }}</td></tr>
{% endfor %}</table>{% endif %}
{% endfor %}
</section>
</main>
</body>
</html>
"""

_environment = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
_template = _environment.from_string(TEMPLATE)


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


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
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


def render_reference(spec: dict[str, Any], root: str = "") -> str:
    return _template.render(spec=spec, root=root, operations=_operations(spec), schemas=_schemas(spec))


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    return HTMLResponse(render_reference(request.app.openapi(), root), headers={"Content-Language": "en"})


@router.get("/docs/style.css")
def docs_style() -> Response:
    return Response(STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
