"""Template filters for a case's levels (the timeline stores their codes)."""

from django import template

from nuanxin.cases.models import Level

register = template.Library()


@register.filter
def level_name(code: str) -> str:
    """ "community" -> 社区 (the level's translated name); an unknown code as it is."""
    return str(Level(code).label) if code in Level.values else code
