"""How the OpenAPI schema describes our token authentication (Swagger UI's "Authorize") and
the lists' CSV flavour."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "BearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (API tokens page, or manage.py api_token).",
        }


def describe_csv_lists(result, generator, request, public):
    """The lists' CSV flavour is text, not the JSON page: say so in the schema (a
    drf-spectacular post-processing hook, settings.SPECTACULAR_SETTINGS)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            if "text/csv" in content:
                content["text/csv"] = {
                    "schema": {
                        "type": "string",
                        "description": "The whole filtered list as CSV (UTF-8 with BOM), one "
                        "column per JSON field; ask with ?format=csv or Accept: text/csv.",
                    }
                }
    return result


REFUSAL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
REFUSALS = {
    "401": "No valid token (Authorization: Bearer <token>).",
    "403": "The token's user may not do this (for a write: their role may not change data).",
    "404": "No such record in the token user's scope (another region's record is not found).",
    "429": "Too many requests with this token this minute: retry after Retry-After seconds.",
}


def describe_refusals(result, generator, request, public):
    """Every operation may be refused (no token, no right, not in scope, too many requests),
    and an operation with parameters or a body may be refused for its input (400): the schema
    says so, with the {"detail": reason} body DRF sends (a drf-spectacular post-processing
    hook, settings.SPECTACULAR_SETTINGS)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Refusal"] = REFUSAL
    ref = {"$ref": "#/components/schemas/Refusal"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, text in REFUSALS.items():
                responses.setdefault(
                    code, {"description": text, "content": {"application/json": {"schema": ref}}}
                )
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault(
                    "400",
                    {
                        "description": "The input was refused: field name -> messages.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                )
    return result
