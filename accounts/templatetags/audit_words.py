"""The audit log's sentence for one entry: "Aigerim Seitkali changed the training event
«Training for akimat staff, Aktau»", whole in the translation (the word order differs in Kazakh
and Russian), the record's name linked to its page while it exists."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def audit_sentence(entry) -> SafeString:
    if entry.created:
        sentence = _("%(who)s created the %(kind)s %(object)s")
    elif entry.deleted:
        sentence = _("%(who)s deleted the %(kind)s %(object)s")
    else:
        sentence = _("%(who)s changed the %(kind)s %(object)s")
    name = _("«%(name)s»") % {"name": entry.object_name}
    if entry.url:
        record = format_html('<a href="{}">{}</a>', entry.url, name)
    else:
        record = conditional_escape(name)
    who = entry.who or _("The system")
    # The translated sentence is escaped as text, its placeholders become format_html's, which
    # escapes the values (the record's link is already safe).
    template_text = conditional_escape(sentence)
    for name in ("who", "kind", "object"):
        template_text = template_text.replace(f"%({name})s", "{" + name + "}")
    return format_html(template_text, who=who, kind=entry.model_name, object=record)
