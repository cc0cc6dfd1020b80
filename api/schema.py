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
