from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Display names for the attribute keys nuanxin itself writes; keys from imported sheets are
# already the office's own column titles and are shown as they are.
ATTRIBUTE_LABELS = {
    "category": _("category"),
    "contact": _("contact"),
    "employees": _("employees"),
    "floors": _("floors"),
    "units": _("units"),
    "built_year": _("year built"),
    "amenities": _("amenities"),
    "opening_hours": _("opening hours"),
    "host": _("host unit"),
}


@register.filter
def get_children(children: dict, key: Any) -> list:
    return children.get(key, [])


@register.filter
def attribute_items(attributes: dict) -> list[tuple[str, str]]:
    """(label, text) pairs for a place's attributes; lists read as 热水、无线网络."""
    items = []
    for key, value in attributes.items():
        text = "、".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        items.append((str(ATTRIBUTE_LABELS.get(key, key)), text))
    return items
