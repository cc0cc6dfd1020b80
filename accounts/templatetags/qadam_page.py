"""The page title in the browser tab: "Users · Qadam", or just "Qadam" on a page without one."""

from django import template

register = template.Library()

SITE_NAME = "Qadam"


@register.filter(is_safe=True)
def page_title(value: str) -> str:
    """`{% filter page_title %}{% block title %}{% endblock %}{% endfilter %}` in base.html:
    the rendered title block followed by " · Qadam" (a Django template cannot ask whether a
    block is empty, so the filter does)."""
    title = (value or "").strip()
    return f"{title} · {SITE_NAME}" if title else SITE_NAME
