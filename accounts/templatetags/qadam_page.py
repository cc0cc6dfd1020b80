"""Page chrome for base.html and every page: the title in the browser tab ("Users · Qadam", or
just "Qadam" on a page without one) and the breadcrumb trail."""

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


@register.inclusion_tag("partials/breadcrumbs.html")
def breadcrumbs(*trail) -> dict:
    """The breadcrumb trail of a page: (label, link) pairs from the top, then the label of the
    page itself, e.g.
    `{% breadcrumbs _("Events") events_url event.title event.get_absolute_url _("Sessions") %}`."""
    *links, current = trail
    crumbs = list(zip(links[::2], links[1::2], strict=True))
    return {"crumbs": [*crumbs, (current, "")]}
