from typing import Any

from django import template

register = template.Library()


@register.filter
def get_children(children: dict, key: Any) -> list:
    return children.get(key, [])
