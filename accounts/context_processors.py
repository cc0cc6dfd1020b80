from .scope import scope_for


def scope(request):
    """Expose the user's Scope to templates (menus show only what the user may open)."""
    return {"scope": scope_for(getattr(request, "user", None))}
