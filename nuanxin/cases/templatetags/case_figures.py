"""Template filters for the figures page."""

from django import template

register = template.Library()


@register.filter
def percent(rate: float | None) -> str:
    """0.8333 -> "83.3%"; no rate (nothing to count) -> "—"."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}".removesuffix(".0") + "%"
