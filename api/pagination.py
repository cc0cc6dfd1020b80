"""Cursor pagination for large pulls: a stable order on a unique key, so walking every page
returns every row once even while rows are added; `page_size` up to settings.API_MAX_PAGE_SIZE."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import CursorPagination, _positive_int


class StableCursorPagination(CursorPagination):
    ordering = ("pk",)
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        asked = request.query_params.get(self.page_size_query_param)
        if asked:
            try:
                return _positive_int(asked, strict=True, cutoff=settings.API_MAX_PAGE_SIZE)
            except (KeyError, ValueError):
                pass
        return settings.API_PAGE_SIZE

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": settings.API_MAX_PAGE_SIZE,
                    "default": settings.API_PAGE_SIZE,
                }
        return params
